"""The whole workflow on real BOLD v4, BCDM and BIOSCAN files, and on an unreadable one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from tests.support import REAL, ROOT
from tests.workflow import build, digests, snakemake, write_config

pytestmark = pytest.mark.slow

EXPORTS = [
    REAL / "bold_v4" / "bold_v4_combined_Osmia_2020-04-20.tsv",
    REAL / "bold_v4" / "bold_v4_combined_Coelioxys_2023-02-20.tsv",
    REAL / "bcdm" / "bcdm_BOLD_Public.18-Dec-2023_head999.tsv",
    REAL / "bcdm" / "bcdm_BOLD_Public.21-Jun-2024_curated_NL_filtered.tsv",
    REAL / "bcdm" / "bcdm_2025_Chironominae_Norway.tsv",
    ROOT / "tests" / "data" / "derived" / "bioscan5m_browser_sample-records.csv",
]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("real"), {"input": {"files": [str(p) for p in EXPORTS]}})


def test_real_files_in_tiny_batches_shards_and_parts_give_a_byte_identical_release(
    release, tmp_path
):
    """Ingest reading these real files in tiny batches and two byte ranges each
    (tests/unit/test_ingest_batches.py cuts every real export, invalid UTF-8 included), and the
    release assembled in many small parts (curation/release/parts.py): the same release."""
    config = {"input": {"files": [str(p) for p in EXPORTS]}, "memory_gb": 0.001, "shards": 2}
    assert digests(build(tmp_path / "tiny", config)) == digests(release)


def test_every_real_row_is_released_or_rejected(release):
    work = release.parent / "work"
    summary = json.loads((work / "ingest" / "summary.json").read_text())
    table = pl.read_parquet(
        release / "metadata" / "parquet" / "BIOSCAN_5M_Insect_Dataset_metadata.parquet"
    )
    rejects = pl.read_parquet(release / "metadata" / "parquet" / "rejects.parquet")
    data_rows = sum(len(p.read_bytes().splitlines()) - 1 for p in EXPORTS)
    assert summary["rows_read"] == data_rows == table.height + rejects.height
    assert table.get_column("processid").is_unique().all()
    assert set(rejects.get_column("source_file").unique()) <= {p.name for p in EXPORTS}


def test_real_release_is_partitioned_and_described(release):
    table = pl.read_parquet(
        release / "metadata" / "parquet" / "BIOSCAN_5M_Insect_Dataset_metadata.parquet"
    )
    assert (table.get_column("split") == "pretrain").to_list() == table.get_column(
        "species"
    ).is_null().to_list()
    assert table.get_column("dna_barcode").str.contains(r"^[ACGTURYSWKMBDHVN]+$").all()
    manifest = (release / "MANIFEST").read_text()
    assert all(path.name in manifest for path in EXPORTS)
    checks = json.loads((release.parent / "work" / "partition" / "checks.json").read_text())
    assert all(check["passed"] for check in checks["invariants"])


def test_an_unreadable_input_stops_the_build_before_the_release(tmp_path):
    truncated = tmp_path / "export.tsv.gz"
    truncated.write_bytes(gzip.compress(EXPORTS[4].read_bytes())[:5000])
    run_dir = tmp_path / "run"
    write_config(run_dir, {"input": {"files": [str(truncated)]}})
    done = snakemake(run_dir, "--cores", "2", check=False)
    assert done.returncode != 0
    assert str(truncated) in done.stdout + done.stderr
    release = run_dir / "results" / "bioscan5m"
    assert not release.exists() or not any(p.is_file() for p in release.rglob("*"))


def test_an_unsupported_file_is_the_last_thing_a_build_says(tmp_path):
    unsupported = tmp_path / "specimens.tsv"
    unsupported.write_text("foo\tbar\n1\t2\n")
    run_dir = tmp_path / "run"
    write_config(run_dir, {"input": {"files": [str(unsupported)]}})
    done = snakemake(run_dir, "--cores", "2", check=False)
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).splitlines()
    assert lines[-3:] == [
        "Build failed:",
        (
            f"  ingest: {unsupported}: line 1: unknown layout: header starts 'foo', 'bar'; "
            "supported: BOLD v4 combined/specimen TSV, BCDM data-package TSV (2023-2025 layouts), "
            "BIOSCAN-5M metadata CSV, BIOSCAN-1M metadata TSV; plain or gzip"
        ),
        "    (log: results/work/logs/ingest/0-0.log)",
    ]
    assert len(lines) <= 6 and "Traceback" not in done.stderr and "field -" not in done.stderr
