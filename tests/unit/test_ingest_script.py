"""The ingest rule scripts (ingest_part per input, then ingest): outputs on success; one logged
error line, no output, on bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from tests.ingest_files import BARCODE, bcdm_row, write_export
from tests.scripts import run_rule_script

OUTPUTS = ("records", "barcodes", "labels", "rejects", "issues", "summary", "checksums")


def run_script(tmp_path: Path, exports: list[str]) -> dict[str, Path]:
    json_outputs = ("summary", "checksums")
    outputs = {
        name: tmp_path / "out" / f"{name}.{'json' if name in json_outputs else 'parquet'}"
        for name in OUTPUTS
    }
    parts = []
    for index, export in enumerate(exports):
        parts.append(tmp_path / "parts" / f"{index}-0")
        run_rule_script(
            "ingest_part",
            {"export": export},
            {"part": parts[-1]},
            log=tmp_path / f"ingest_part_{index}.log",
            wildcards={"part": f"{index}-0"},
        )
    inputs = {"exports": exports, "parts": parts}
    run_rule_script("ingest", inputs, outputs, log=tmp_path / "ingest.log")
    return outputs


def test_script_writes_every_output(tmp_path):
    export = write_export(tmp_path / "export.tsv", [bcdm_row(), bcdm_row(processid="P2", nuc="")])
    outputs = run_script(tmp_path, [export])
    assert pl.read_parquet(outputs["records"])["processid"].to_list() == ["PROC001-24"]
    assert pl.read_parquet(outputs["barcodes"])["sequence"].to_list() == [BARCODE]
    assert pl.read_parquet(outputs["rejects"])["reason"].to_list() == ["no_barcode"]
    assert json.loads(outputs["summary"].read_text())["rows_read"] == 2
    checksums = json.loads(outputs["checksums"].read_text())
    data = Path(export).read_bytes()
    assert checksums == [
        {
            "path": export,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "rows": None,
        }
    ]


def error_lines(log: Path) -> list[str]:
    """The ERROR lines of a rule log, without their time stamps."""
    return [
        line.split(" ERROR ", 1)[1] for line in log.read_text().splitlines() if " ERROR " in line
    ]


def test_bad_input_is_one_logged_line_and_no_output(tmp_path, capsys):
    (tmp_path / "seq.fasta").write_text(">P1|Osmia|COI-5P\nACGT\n")
    with pytest.raises(SystemExit) as stopped:
        run_script(tmp_path, [str(tmp_path / "seq.fasta")])
    assert stopped.value.code == 1
    # The build prints the logged line last (curation.console.failure); nothing else is said.
    assert capsys.readouterr().err == ""
    [error] = error_lines(tmp_path / "ingest_part_0.log")
    assert error.startswith(f"{tmp_path / 'seq.fasta'}: line 1: this is a FASTA")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([], "the input files hold no data rows"),
        (
            [bcdm_row(nuc=""), bcdm_row(processid="P2", marker_code="CAD")],
            "all 2 rows were rejected (1 non_target_marker, 1 no_barcode)",
        ),
        (
            [bcdm_row(nuc=""), bcdm_row(processid="P2", nuc="")],
            (
                "all 2 rows were rejected (2 no_barcode): no row has a sequence (layout bcdm): give an "
                "export with sequences (a BOLD v4 specimen TSV and a BIOSCAN-1M file without nucraw "
                "have none; docs/formats.md)"
            ),
        ),
    ],
)
def test_nothing_released_stops_with_one_line_and_no_output(tmp_path, rows, why):
    export = write_export(tmp_path / "export.tsv", rows)
    with pytest.raises(SystemExit) as stopped:
        run_script(tmp_path, [export])
    assert stopped.value.code == 1
    assert error_lines(tmp_path / "ingest.log") == [f"no record was released: {why}"]
    assert not (tmp_path / "out").exists()
