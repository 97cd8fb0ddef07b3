"""``python -m curation.evolve OLD NEW --out DIR``: compare two releases and write the diff.

OLD and NEW are releases of this pipeline (a release directory, or its CSV or Parquet metadata
file) or any BIOSCAN-5M metadata CSV, the official one included.  DIR receives the diff's
Parquet tables, ``summary.md``, ``summary.html`` and ``plots/`` (docs/formats.md#release-diff).
A path that is not a release stops the command with one line naming it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from curation import io
from curation.evolve import output, summary
from curation.evolve.diff import DIFF_COLUMNS, ReleaseDiff, diff
from curation.evolve.releases import ReleaseError, read_changes, read_release


def compare(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> ReleaseDiff:
    """The diff from the release at ``old`` to the release at ``new`` (their changes tables,
    where they have one, name the rules behind each side of a relabelling)."""
    return diff(
        read_release(old, DIFF_COLUMNS),
        read_release(new, DIFF_COLUMNS),
        read_changes(old),
        read_changes(new),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curation.evolve",
        description="Compare two releases (this pipeline's or BIOSCAN-5M metadata CSVs): records "
        "added, removed, relabelled and moved between splits, species that changed species set, "
        "counts per split and species.  Writes Parquet tables, summary.md, summary.html and plots.",
    )
    parser.add_argument("old", help="the older release: its directory, or a metadata CSV/Parquet")
    parser.add_argument("new", help="the newer release: its directory, or a metadata CSV/Parquet")
    parser.add_argument("--out", required=True, help="directory to write the diff into")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"--out {out}: exists and is not a directory")
    if release := _release_holding(out):
        return _fail(
            f"--out {out}: inside the release {release} (it has a MANIFEST): a release's files "
            "are only its own; write the diff elsewhere"
        )
    try:
        found = compare(args.old, args.new)
        out.mkdir(parents=True, exist_ok=True)
        # Stage beside the outputs, so that each file appears by one rename on one filesystem.
        staging = tempfile.mkdtemp(prefix=".staging-", dir=out)
        os.environ[io.STAGING_ENV] = staging
        try:
            output.write(found, out, old=args.old, new=args.new)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except ReleaseError as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(f"--out {out}: cannot write the diff ({err.strerror or err})")
    print(f"diff     {args.old} -> {args.new}: {summary.headline(found)}", file=sys.stderr)
    print(f"  summary  {out / output.FILES['summary_html']}", file=sys.stderr)
    return 0


def _release_holding(out: Path) -> Path | None:
    """The release ``out`` is in (or is): a directory with a MANIFEST and a metadata/ folder
    (a project's own MANIFEST file alone is no release); None if none."""
    for place in (out.resolve(), *out.resolve().parents):
        if (place / "MANIFEST").is_file() and (place / "metadata").is_dir():
            return place
    return None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
