"""A whole release built by the three emit rule scripts from constructed emit inputs
(tests/release_build.py): its files, their contracts, and two builds byte for byte."""

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import mlcroissant as mlc
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from curation.release import manifest, publish, stats
from schemas.tables import RELEASE_COLUMNS, RELEASE_PARQUET_SCHEMA, SPLITS
from tests.client import CLIENT_DTYPES, CLIENT_USECOLS, client_metadata_path
from tests.release_build import CFG, L, R, W
from tests.release_build import build as release_build
from tests.release_frames import synthetic_inputs
from tests.support import ROOT

RECORDS = 1500
RELEASE_FILES = L.release_files()


def build(root: Path, inputs: dict[str, pl.DataFrame] | None = None) -> None:
    release_build(root, inputs or synthetic_inputs(RECORDS, seed=8))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    build(root)
    return root


def path(root: Path, key: str) -> Path:
    return root / RELEASE_FILES[key]


def test_the_release_holds_exactly_its_files(release):
    found = {p.relative_to(release).as_posix() for p in (release / R).rglob("*") if p.is_file()}
    assert found == set(RELEASE_FILES.values())


def test_the_release_is_a_link_to_a_complete_version_beside_it(release):
    link = release / R
    assert link.is_symlink() and publish.current(link) is not None
    assert publish.current(link).parent == release / f"{R}.versions"
    assert manifest.verify(link) == []
    # the version holds the files built in the staging directory, no more, no fewer
    staged = release / W / "release"
    assert {p.relative_to(staged) for p in staged.rglob("*") if p.is_file()} == {
        p.relative_to(link) for p in link.rglob("*") if p.is_file()
    }


def test_the_bioscan5m_client_finds_the_csv_under_the_documented_root(release):
    # config.yaml's output_dir results/bioscan5m: BIOSCAN5M(root="results") reads it
    assert Path(R).name == "bioscan5m"
    with contextlib.chdir(release):
        path = client_metadata_path(os.path.dirname(R))
        assert os.path.samefile(path, RELEASE_FILES["csv"])
        frame = pd.read_csv(path, dtype=CLIENT_DTYPES, usecols=CLIENT_USECOLS)
    assert len(frame) == RECORDS and set(frame["split"]) == set(SPLITS)


def test_datasets_loads_the_eight_named_splits_with_their_types(release, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a directory on disk: no network, say so
    import datasets  # read at import: after the offline switch

    loaded = datasets.load_dataset(str(release / R), cache_dir=str(tmp_path))
    assert list(loaded) == list(SPLITS)
    parquet = pl.read_parquet(path(release, "parquet"))
    for split in SPLITS:
        expected = parquet.filter(pl.col("split") == split)
        assert loaded[split].num_rows == expected.height
        assert loaded[split]["processid"] == expected["processid"].to_list()
    features = loaded["train"].features
    assert list(features) == list(RELEASE_PARQUET_SCHEMA)
    assert features["inferred_ranks"].dtype == "uint8"
    assert features["species"].dtype == "string" and features["coord-lat"].dtype == "float64"


def test_datasets_loads_each_release_not_one_cached_under_the_same_folder_name(
    release, tmp_path, monkeypatch
):
    """Releases live in folders named alike (bioscan5m): datasets keys its cache by the card's
    configs and the folder's name, so the card names its config after the data."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    other = tmp_path / "other"
    build(other, synthetic_inputs(700, seed=9))
    cache = str(tmp_path / "cache")
    for root, records in ((release, RECORDS), (other, 700)):
        loaded = datasets.load_dataset(str(root / R), cache_dir=cache)
        assert sum(loaded.num_rows.values()) == records


def test_a_split_filter_reads_only_that_splits_row_groups(release):
    file = path(release, "parquet")
    meta = pq.ParquetFile(file).metadata
    column = meta.schema.names.index("split")
    groups = [meta.row_group(i).column(column).statistics for i in range(meta.num_row_groups)]
    assert all(g.min == g.max for g in groups)
    for split in SPLITS:
        profile = duckdb.sql(
            f"EXPLAIN ANALYZE SELECT processid FROM '{file}' WHERE split = '{split}'"
        ).fetchall()[0][1]
        scanned = re.search(r"Row Groups Scanned: (\d+) / (\d+)", profile)
        own = sum(g.min == split for g in groups)
        assert scanned and (int(scanned[1]), int(scanned[2])) == (own, len(groups)), profile


def test_each_split_has_its_own_parquet_file(release):
    parquet = pl.read_parquet(path(release, "parquet"))
    for split in SPLITS:
        alone = pl.read_parquet(path(release, f"split_{split}"))
        assert alone.equals(parquet.filter(pl.col("split") == split)), split


def test_csv_follows_the_client_contract(release):
    frame = pd.read_csv(path(release, "csv"), dtype=CLIENT_DTYPES)
    assert list(frame.columns) == list(RELEASE_COLUMNS)
    assert len(frame) == RECORDS
    assert frame["split"].isin(SPLITS).all()
    assert frame["inferred_ranks"].between(0, 6).all()
    order = [SPLITS.index(s) for s in frame["split"]]
    keys = list(zip(order, frame["processid"], strict=True))
    assert keys == sorted(keys)
    pretrain = frame.loc[frame["split"] == "pretrain", "chunk"]
    assert pretrain.str.fullmatch(r"[0-9a-f]{2}").all()


def test_parquet_and_csv_hold_the_same_rows(release):
    parquet = pl.read_parquet(path(release, "parquet"))
    csv = pl.read_csv(path(release, "csv"), infer_schema=False)
    assert parquet["processid"].to_list() == csv["processid"].to_list()
    assert parquet["species"].to_list() == csv["species"].to_list()
    assert parquet["coord-lat"].to_list() == csv["coord-lat"].cast(pl.Float64).to_list()
    meta = dict(
        duckdb.sql(
            "SELECT decode(key), decode(value) "
            f"FROM parquet_kv_metadata('{path(release, 'parquet')}')"
        ).fetchall()
    )
    assert (
        meta["release_name"] == CFG.release.name and meta["release_version"] == CFG.release.version
    )
    assert meta["sort_order"].startswith("split (release order: pretrain, train,")


def test_croissant_validates_and_every_record_set_loads(release):
    dataset = mlc.Dataset(jsonld=path(release, "croissant"))
    assert not dataset.metadata.ctx.issues.warnings
    counts = {"specimens": RECORDS, "splits": len(SPLITS)}
    for name in ("changes", "rejects", "issues"):
        counts[name] = pl.read_parquet(path(release, name)).height
    for record_set, expected in counts.items():
        assert sum(1 for _ in dataset.records(record_set=record_set)) == expected, record_set


def test_statistics_tables_and_markdown(release):
    table3 = pl.read_csv(path(release, "stats_table3"))
    assert table3["split"].to_list() == list(SPLITS) and table3["rows"].sum() == RECORDS
    text = path(release, "stats").read_text()
    assert all(title in text for title in stats.TABLES.values())


def test_report_shows_passing_checks_plots_and_config(release):
    html = path(release, "report").read_text()
    assert "checks passed" in html and "FAIL" not in html
    assert html.count("data:image/png;base64,") == 5
    assert "parquet_row_group_size" in html


def test_manifest_lists_every_file_with_its_checksum_and_rows(release):
    text = path(release, "manifest").read_text()
    files = text.split("[files]")[1].split("\n\n")[0].splitlines()[1:]
    listed = {}
    for line in files:
        sha, size, rows, name = line.split("\t")
        listed[name] = (sha, int(size), rows)
    expected = {v.removeprefix(f"{R}/") for k, v in RELEASE_FILES.items() if k != "manifest"}
    assert set(listed) == expected
    for name, (sha, size, _rows) in listed.items():
        data = (release / R / name).read_bytes()
        assert sha == hashlib.sha256(data).hexdigest() and size == len(data), name
    assert listed[RELEASE_FILES["csv"].removeprefix(f"{R}/")][2] == str(RECORDS)
    assert "\tgenerated_bcdm.tsv\n" in text and "\tcorrections.tsv\n" in text
    assert "[tools]" in text


def readme_queries() -> list[str]:
    """Every ```sql block of the README's "Query with DuckDB" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Query with DuckDB", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_has_at_least_five_queries():
    assert len(readme_queries()) >= 5


@pytest.mark.parametrize("query", readme_queries())
def test_readme_query_runs_on_the_release(release, query):
    # The README's paths are relative to the build root (the directory that holds results/).
    with contextlib.chdir(release):
        result = duckdb.sql(query)
        columns, rows = result.columns, result.fetchall()
    if "GROUP BY split" in query and "species" not in query.split("GROUP BY")[1]:
        assert len(rows) == len(SPLITS)
    if "GROUP BY split" in query:
        # Splits are listed in release order (pretrain, train, ...), never alphabetically.
        order = [SPLITS.index(row[columns.index("split")]) for row in rows]
        assert order == sorted(order)
    # The file metadata query shows the release's own keys, not pyarrow's base64 schema.
    assert not any("ARROW:schema" in str(value) for row in rows for value in row)


def test_two_builds_are_byte_identical(release, tmp_path):
    # The second build runs in a fresh interpreter, so no in-process state can make them agree.
    subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys; from pathlib import Path; "
                "from tests.release_build import build; "
                "from tests.release_frames import synthetic_inputs; "
                f"build(Path(sys.argv[1]), synthetic_inputs({RECORDS}, seed=8))"
            ),
            str(tmp_path),
        ],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    for key in RELEASE_FILES:
        assert path(tmp_path, key).read_bytes() == path(release, key).read_bytes(), key


def test_inputs_in_another_order_give_the_same_release(release, tmp_path):
    """Upstream tables that are not row-aligned (not the pipeline's own) are assembled in one
    piece by the first emit_part job, which sorts them: the same files."""
    inputs = synthetic_inputs(RECORDS, seed=8)
    inputs["splits"] = inputs["splits"].sample(fraction=1.0, shuffle=True, seed=3)
    build(tmp_path, inputs)
    log = (tmp_path / W / "logs" / "emit_part" / "1-of-1.log").read_text()
    assert "the release is assembled in one piece" in log
    for key in ("csv", "parquet", *(f"split_{split}" for split in SPLITS)):
        assert path(tmp_path, key).read_bytes() == path(release, key).read_bytes(), key


def test_inconsistent_inputs_fail_clearly_and_leave_no_release(tmp_path):
    inputs = synthetic_inputs(50, seed=1)
    inputs["splits"] = inputs["splits"].slice(1)
    with pytest.raises(SystemExit) as stopped:
        build(tmp_path, inputs)
    assert stopped.value.code == 1
    assert not (tmp_path / R).exists() or not any(p.is_file() for p in (tmp_path / R).rglob("*"))
    log = (tmp_path / W / "logs" / "emit_part" / "1-of-1.log").read_text()
    assert re.search(r"ERROR the emit inputs disagree:.*missing from splits", log, re.DOTALL)
    assert "Traceback" not in log


def test_manifest_and_summaries_are_valid_json_free_of_timestamps(release):
    assert (
        json.loads(path(release, "croissant").read_text())["datePublished"]
        == CFG.release.date_published.isoformat()
    )
    text = path(release, "manifest").read_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)
