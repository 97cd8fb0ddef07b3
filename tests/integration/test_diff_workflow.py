"""The workflow's diff (rule diff, release.compare_with): a release built from an export, then
the next release from the same export with rows added and species relabelled, compared with a
copy of the first.  The diff is in the release, listed by its MANIFEST, linked from its report,
and its counts agree with DuckDB's on the two releases."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from curation.evolve.output import FILES
from curation.release import manifest
from schemas.tables import RANKS
from tests.support import ROOT
from tests.workflow import build, snakemake, write_config

pytestmark = pytest.mark.slow

RECORDS = 3000
#: Export rows the older release lacks, and species the newer one's export relabels.
NEW_ROWS, RELABELLED = 200, 30


def exports(root: Path) -> tuple[Path, Path, set[str], set[str]]:
    """The older export (the last NEW_ROWS rows left out) and the newer one (all rows, the
    species of RELABELLED rows renamed), and the processids added and relabelled."""
    export = root / "export.tsv"
    subprocess.run(
        [sys.executable, "-m", "curation.synthetic", "--records", str(RECORDS), "--seed", "7"]
        + ["--out", str(export)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    header, *rows = export.read_text(encoding="utf-8").split("\n")[:-1]
    columns = header.split("\t")
    genus, species = columns.index("genus"), columns.index("species")
    older, newer = root / "older.tsv", root / "newer.tsv"
    older.write_text("\n".join([header, *rows[:-NEW_ROWS]]) + "\n", encoding="utf-8")
    relabelled, lines = set(), [header]
    for row in rows:
        fields = row.split("\t")
        if len(relabelled) < RELABELLED and "None" not in (fields[genus], fields[species]):
            fields[species] = f"{fields[genus]} evolvens"
            relabelled.add(fields[0])
        lines.append("\t".join(fields))
    newer.write_text("\n".join(lines) + "\n", encoding="utf-8")
    added = {row.split("\t")[0] for row in rows[-NEW_ROWS:]}
    return older, newer, added, relabelled


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """The older release (a copy, as a maintainer keeps it) and the newer one, with what the
    newer export added and relabelled."""
    root = tmp_path_factory.mktemp("evolve")
    older, newer, added, relabelled = exports(root)
    first = build(root / "first", {"input": {"files": [str(older)]}})
    kept = root / "releases" / "0.1.0"
    shutil.copytree(first, kept)
    config = {
        "input": {"files": [str(newer)]},
        "release": {"version": "0.2.0", "compare_with": str(kept)},
    }
    second = build(root / "second", config)
    return kept, second, added, relabelled


def _parquet(release: Path) -> str:
    return str(release / "metadata/parquet/BIOSCAN_5M_Insect_Dataset_metadata.parquet")


def test_the_release_holds_its_diff_listed_and_linked(releases):
    kept, release, _, _ = releases
    listed = manifest.listed_files((release / "MANIFEST").read_text(encoding="utf-8"))
    assert {f"diff/{path}" for path in FILES.values()} <= set(listed)
    assert not manifest.verify(release, checksums=True)
    assert "<a href='diff/summary.html'>" in (release / "report.html").read_text(encoding="utf-8")
    assert (
        "| `diff/` | what changed since the compared release" in (release / "README.md").read_text()
    )
    text = (release / "MANIFEST").read_text(encoding="utf-8")
    inputs = text.split("[inputs]")[1].split("\n\n")[0]
    sha = manifest.sha256_file(_parquet(kept))
    assert f"{sha}\t" in inputs  # the compared table is an input of the release's digest
    summary = (release / "diff" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Changes from BIOSCAN-5M-rebuild 0.1.0 to BIOSCAN-5M-rebuild 0.2.0")


def test_the_diff_shows_the_added_and_relabelled_records(releases):
    _, release, added, relabelled = releases
    diff = release / "diff"
    found_added = set(pl.read_parquet(diff / "added.parquet")["processid"])
    assert found_added and found_added <= added
    assert pl.read_parquet(diff / "removed.parquet").is_empty()
    renamed = pl.read_parquet(diff / "relabelled.parquet").filter(
        pl.col("new_value").str.ends_with(" evolvens")
    )
    assert set(renamed["processid"]) <= relabelled and renamed.height >= RELABELLED // 2
    assert (renamed["rank"] == "species").all()


def test_the_diff_counts_agree_with_duckdb(releases):
    kept, release, _, _ = releases
    con = duckdb.connect()
    con.execute(f"CREATE VIEW old AS SELECT * FROM '{_parquet(kept)}'")
    con.execute(f"CREATE VIEW new AS SELECT * FROM '{_parquet(release)}'")
    diff = release / "diff"

    def count(query: str) -> int:
        return con.execute(query).fetchone()[0]

    assert pl.read_parquet(diff / "added.parquet").height == count(
        "SELECT count(*) FROM new ANTI JOIN old USING (processid)"
    )
    assert pl.read_parquet(diff / "moved.parquet").height == count(
        "SELECT count(*) FROM old JOIN new USING (processid) WHERE old.split <> new.split"
    )
    relabelled = pl.read_parquet(diff / "relabelled.parquet")
    for rank in RANKS:
        assert relabelled.filter(pl.col("rank") == rank).height == count(
            f'SELECT count(*) FROM old JOIN new USING (processid) WHERE old."{rank}" IS DISTINCT '
            f'FROM new."{rank}"'
        ), rank
    splits = pl.read_parquet(diff / "split_counts.parquet")
    for side in ("old", "new"):
        per_split = dict(con.execute(f"SELECT split, count(*) FROM {side} GROUP BY 1").fetchall())
        assert {s: n for s, n in splits.select("split", f"{side}_records").iter_rows() if n} == (
            per_split
        )


def test_a_complete_build_with_a_diff_has_nothing_left_to_do(releases):
    _, release, _, _ = releases
    done = snakemake(release.parent.parent, "--cores", "1", "--dry-run")
    assert "Nothing to be done" in done.stdout + done.stderr


@pytest.mark.parametrize("setting", ["release.compare_with", "partition.previous_release"])
def test_following_or_comparing_with_its_own_output_stops_with_one_line(tmp_path, setting):
    """Each build replaces its own output: following it would make every build follow the one
    just made (and publishing prunes the versions it followed)."""
    section, key = setting.split(".")
    write_config(tmp_path, {section: {key: "results/bioscan5m"}})
    done = snakemake(tmp_path, "--cores", "1", "--dry-run", check=False)
    assert done.returncode != 0
    assert f"{setting}: results/bioscan5m is in this build's own output" in done.stderr
    assert "Traceback" not in done.stderr
