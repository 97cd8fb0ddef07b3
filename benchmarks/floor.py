"""The machine's floor for a release build: read the raw export once, write the release once.

A build cannot be faster than parsing its input's fields and encoding its output files, so this
prints what those two take on this machine, for comparison with ``benchmarks/run.py``:

* *read*: the export's lines split into string fields by polars' CSV reader, batch by batch
  (no cleaning, no checks, nothing kept);
* *write*: a built release, loaded into memory first (not timed), written once more with the
  release's own writers as one fragment (the CSV rows and per-split Parquet files side by side,
  a split at a time, as an emit_part job writes them);
* *join*: that fragment made the release's files as emit_metadata does with one emit_part job
  (curation/release/fragments.py): the CSV and the per-split files linked into place, the full
  Parquet file put together from the split files' bytes and checksummed on the way.

    python benchmarks/floor.py EXPORT.tsv RELEASE_DIR
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from curation.release import fragments
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLITS

#: The Parquet files' key-value metadata.
METADATA = {"sort_order": "split, processid"}
#: Bytes per batch of the read: as the ingest's batches (memory_gb 3), a few hundred MB.
READ_BATCH_BYTES = 384 << 20


def measured(label: str, work: Callable[[], object]) -> None:
    """Run ``work`` and print its wall time and the CPU time of this process meanwhile."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{label:<8}{wall:>9.1f} s wall{cpu:>9.1f} s CPU   {result}", flush=True)


def read_export(export: Path) -> str:
    """Every line of ``export`` split into string fields, a batch of whole lines at a time;
    the number of rows."""
    rows = 0
    with export.open("rb") as handle:
        header = handle.readline()
        while data := handle.read(READ_BATCH_BYTES):
            data += handle.readline()  # to the end of the batch's last line
            batch = pl.read_csv(
                header + data,
                separator="\t",
                quote_char=None,
                infer_schema=False,
                truncate_ragged_lines=True,
                encoding="utf8-lossy",
            )
            rows += batch.height
    return f"{rows:,} rows"


def write_fragment(release: pl.DataFrame, out: Path, row_group_size: int) -> str:
    """The release written once as one fragment, a split at a time (in release order)."""
    parts = (part for _, part in release.group_by("split", maintain_order=True))
    rows = fragments.write(
        out / "fragment", parts, first=True, row_group_size=row_group_size, metadata=METADATA
    )
    return f"{rows:,} records, {_size(out / 'fragment'):.2f} GiB written"


def join(out: Path) -> str:
    """The fragment put together into the release's files."""
    fragments.join(
        [out / "fragment"],
        out / "release.csv",
        out / "release.parquet",
        {split: out / f"split_{split}.parquet" for split in SPLITS},
        METADATA,
    )
    release = _size(out) - _size(out / "fragment")
    return f"{release:.2f} GiB of release files (the full Parquet file copied, the rest linked)"


def _size(directory: Path) -> float:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file()) / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the raw export the release was built from")
    parser.add_argument("release", type=Path, help="a built release directory (its Parquet file)")
    parser.add_argument("--row-group-size", type=int, default=131_072)
    parser.add_argument("--scratch", type=Path, default=None, help="where to write (then deleted)")
    args = parser.parse_args()

    measured("read", lambda: read_export(args.export))
    parquet = next(args.release.rglob("*_metadata.parquet"))
    release = pl.read_parquet(parquet).select(list(RELEASE_PARQUET_SCHEMA))
    with tempfile.TemporaryDirectory(prefix="floor-", dir=args.scratch) as scratch:
        out = Path(scratch)
        measured("write", lambda: write_fragment(release, out, args.row_group_size))
        measured("join", lambda: join(out))


if __name__ == "__main__":
    main()
