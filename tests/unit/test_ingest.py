"""Ingest on tiny hand-made exports: every hazard of docs/formats.md#hazards, every error path.

Each test writes its input to tmp_path and checks records, rejects, issues and summary.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from curation.ingest.codes import ISSUE_CODES, REJECT_REASONS, IngestError
from curation.ingest.gather import gather
from curation.ingest.parse import parse_part
from schemas.tables import INGEST_ISSUES_SCHEMA, LABELS_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from schemas.vocabulary import MISSING_TOKENS
from tests.ingest_files import (
    BARCODE,
    BCDM,
    TABLES,
    V4,
    bcdm_row,
    ingest,
    v4_row,
    write_export,
)


def run(tmp_path, rows, name="export.tsv", **options):
    return ingest([write_export(tmp_path / name, rows, **options)])


def only_record(result) -> dict:
    assert result.records.height == 1, result.rejects
    return result.records_with_barcodes().row(0, named=True)


def reasons(result) -> list[tuple[int, str]]:
    return result.rejects.select("source_line", "reason").rows()


# --- the tables ---------------------------------------------------------------------------------


def test_tables_follow_their_contracts(tmp_path):
    result = run(tmp_path, [bcdm_row(), bcdm_row(processid="PROC002-24", marker_code="CAD")])
    assert result.records.schema == pl.Schema(RECORDS_SCHEMA)
    assert result.labels.schema == pl.Schema(LABELS_SCHEMA)
    assert result.rejects.schema == pl.Schema(REJECTS_SCHEMA)
    assert result.issues.schema == pl.Schema(INGEST_ISSUES_SCHEMA)
    record = only_record(result)
    assert record["source_file"] == "export.tsv"
    assert record["source_line"] == 2
    assert (record["coord-lat"], record["coord-lon"]) == (69.6653, 30.3321)
    assert result.rejects.row(0) == (
        "export.tsv",
        3,
        "PROC002-24",
        "non_target_marker",
        "marker_code CAD",
    )


def test_records_are_sorted_by_processid(tmp_path):
    rows = [
        bcdm_row(processid=p, nuc=BARCODE + tail)
        for p, tail in [("C-1", "A"), ("A-1", "C"), ("B-1", "G")]
    ]
    assert run(tmp_path, rows).records["processid"].to_list() == ["A-1", "B-1", "C-1"]


def test_summary_counts(tmp_path):
    rows = [
        bcdm_row(),
        bcdm_row(processid="P2", marker_code="CAD"),
        bcdm_row(processid="P3", nuc="None"),
    ]
    summary = run(tmp_path, rows).summary
    assert summary["rows_read"] == 3 and summary["released"] == 1 and summary["rejected"] == 2
    assert summary["rejects"] == {
        r: {"non_target_marker": 1, "no_barcode": 1}.get(r, 0) for r in REJECT_REASONS
    }
    assert set(summary["issues"]) == set(ISSUE_CODES)
    assert summary["files"][0]["layout"] == "bcdm" and summary["barcode_keys"] == 1
    json.dumps(summary)  # serialisable as it is


# --- missing values and whitespace --------------------------------------------------------------


@pytest.mark.parametrize("token", [*MISSING_TOKENS, " ", "  None "])
def test_missing_value_tokens_are_null_in_every_column(tmp_path, token):
    fields = {
        name: token
        for name in ["sampleid", "bin_uri", *BCDM[3:10], "country_ocean", "province_state", "coord"]
    }
    record = only_record(run(tmp_path, [bcdm_row(**fields)]))
    assert all(
        record[name] is None
        for name in [
            "sampleid",
            "dna_bin",
            "phylum",
            "species",
            "country",
            "province_state",
            "coord-lat",
        ]
    )


def test_bioscan1m_sentinels_are_missing_only_in_bioscan1m_files(tmp_path):
    header = ["processid", "sampleid", "uri", *BCDM[3:10], "nucraw"]
    row = {
        **{name: "not_classified" for name in header},
        "processid": "P1",
        "nucraw": BARCODE,
        "uri": "no_data",
    }
    record = only_record(run(tmp_path, [row], header=header))
    assert record["species"] is None and record["dna_bin"] is None
    kept = only_record(run(tmp_path, [bcdm_row(species="not_classified")], name="b.tsv"))
    assert kept["species"] == "not_classified"


def test_rank_labels_keep_whitespace_other_text_is_trimmed(tmp_path):
    row = bcdm_row(
        genus=" Chironomus  ",
        species="Chironomus  sp. 1 ",
        country_ocean=" Norway ",
        processid=" PROC001-24 ",
        marker_code=" COI-5P ",
    )
    record = only_record(run(tmp_path, [row]))
    assert (record["genus"], record["species"]) == (" Chironomus  ", "Chironomus  sp. 1 ")
    assert (record["country"], record["processid"], record["marker_code"]) == (
        "Norway",
        "PROC001-24",
        "COI-5P",
    )


def test_quotes_are_never_processed(tmp_path):
    row = bcdm_row(country_ocean='"Norway', province_state='"Salween River" Aqua')
    record = only_record(run(tmp_path, [row]))
    assert record["country"] == '"Norway'
    assert record["province_state"] == '"Salween River" Aqua'


# --- sequences and barcode keys -----------------------------------------------------------------


def test_sequence_cleaning_removes_gaps_and_whitespace_and_upper_cases(tmp_path):
    record = only_record(run(tmp_path, [bcdm_row(nuc="--aac gt..RYKM-nn--")]))
    assert record["dna_barcode"] == "AACGTRYKMNN"


def test_long_sequences_are_never_truncated(tmp_path):
    long = "ACGT" * 400
    assert only_record(run(tmp_path, [bcdm_row(nuc=long)]))["dna_barcode"] == long


@pytest.mark.parametrize(
    ("nuc", "reason", "detail"),
    [
        ("None", "no_barcode", "no sequence"),
        ("NA", "no_barcode", "no sequence"),  # a token made of IUPAC letters
        (" NA ", "no_barcode", "no sequence"),
        ("nan", "no_barcode", "no sequence"),
        ("   ", "no_barcode", "no sequence"),
        ("----", "no_barcode", "no sequence"),
        ("NNN-NN", "no_barcode", "only N"),
        ("ACGTXACGT*", "invalid_barcode", "characters outside IUPAC: X*"),
        ("acgt1", "invalid_barcode", "characters outside IUPAC: 1"),
    ],
)
def test_unusable_sequences_are_rejected(tmp_path, nuc, reason, detail):
    result = run(tmp_path, [bcdm_row(nuc=nuc)])
    assert result.records.is_empty()
    assert result.rejects.select("reason", "detail").row(0) == (reason, detail)


def test_barcode_key_is_the_dense_byte_order_rank_without_end_ns(tmp_path):
    barcodes = {"P1": "NNACGTT", "P2": "ACGTTNN", "P3": "ACGTA", "P4": "CA", "P5": "ACGTT"}
    rows = [bcdm_row(processid=p, nuc=b) for p, b in barcodes.items()]
    keys = dict(run(tmp_path, rows).records.select("processid", "barcode_key").iter_rows())
    # keys: ACGTA < ACGTT (P1, P2, P5 share it) < CA
    assert keys == {"P1": 1, "P2": 1, "P3": 0, "P4": 2, "P5": 1}


# --- markers, processids, duplicates ------------------------------------------------------------


def test_other_markers_are_rejected_and_target_is_configurable(tmp_path):
    rows = [bcdm_row(), bcdm_row(marker_code="CAD", nuc="ACGTACGT")]
    default = run(tmp_path, rows)
    assert reasons(default) == [(3, "non_target_marker")]
    other = ingest([str(tmp_path / "export.tsv")], target_marker="CAD")
    assert other.records["marker_code"].to_list() == ["CAD"]


def test_v4_row_without_marker_and_sequence_is_no_barcode(tmp_path):
    rows = [
        v4_row(),
        v4_row(processid="P2", markercode="", nucleotides=""),
        v4_row(processid="P3", markercode=""),
    ]
    result = run(tmp_path, rows, header=V4)
    assert result.rejects.select("processid", "reason", "detail").rows() == [
        ("P2", "no_barcode", "no sequence"),
        ("P3", "non_target_marker", "marker_code missing"),
    ]


def test_missing_processid_is_rejected(tmp_path):
    result = run(tmp_path, [bcdm_row(processid=" ")])
    assert reasons(result) == [(2, "missing_processid")]


def test_exact_duplicates_collapse_onto_the_first(tmp_path):
    result = run(tmp_path, [bcdm_row(), bcdm_row(), bcdm_row()])
    path = "export.tsv"
    assert only_record(result)["source_line"] == 2
    assert result.rejects.select("source_line", "reason", "detail").rows() == [
        (3, "exact_duplicate", f"copy of {path}:2"),
        (4, "exact_duplicate", f"copy of {path}:2"),
    ]


def test_conflicting_duplicates_keep_the_longest_barcode(tmp_path):
    rows = [bcdm_row(nuc=BARCODE), bcdm_row(nuc=BARCODE + "ACGT"), bcdm_row(nuc=BARCODE[:-4])]
    result = run(tmp_path, rows)
    assert only_record(result)["source_line"] == 3
    assert reasons(result) == [(2, "duplicate_processid"), (4, "duplicate_processid")]


def test_duplicate_ties_go_to_input_order_file_first(tmp_path):
    first = write_export(tmp_path / "b.tsv", [bcdm_row(species="Chironomus sp. 2")])
    second = write_export(
        tmp_path / "a.tsv", [bcdm_row(nuc="X"), bcdm_row(species="Chironomus sp. 3")]
    )
    result = ingest([first, second])
    record = only_record(result)
    assert (record["source_file"], record["species"]) == ("b.tsv", "Chironomus sp. 2")
    assert result.rejects.select("source_file", "reason", "detail").rows() == [
        ("a.tsv", "invalid_barcode", "characters outside IUPAC: X"),
        ("a.tsv", "duplicate_processid", "kept b.tsv:2"),
    ]


def test_inputs_go_by_file_name_and_shared_names_by_position(tmp_path):
    (tmp_path / "x").mkdir()
    first = write_export(tmp_path / "export.tsv", [bcdm_row()])
    second = write_export(tmp_path / "x" / "export.tsv", [bcdm_row(processid="P2", nuc="")])
    result = ingest([first, second])
    assert only_record(result)["source_file"] == "export.tsv#1"
    assert result.rejects["source_file"].to_list() == ["export.tsv#2"]
    assert [f["path"] for f in result.summary["files"]] == ["export.tsv#1", "export.tsv#2"]


def test_rows_of_other_markers_do_not_count_as_duplicates(tmp_path):
    result = run(tmp_path, [bcdm_row(marker_code="CAD"), bcdm_row()])
    assert only_record(result)["source_line"] == 3
    assert reasons(result) == [(2, "non_target_marker")]


# --- coordinates and numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coord", "expected"),
    [
        ("[69.6653, 30.3321]", (69.6653, 30.3321)),
        ("(19.3786,-88.1892)", (19.3786, -88.1892)),
        ("-35.26,149.05", (-35.26, 149.05)),
    ],
)
def test_coordinate_syntaxes(tmp_path, coord, expected):
    record = only_record(run(tmp_path, [bcdm_row(coord=coord)]))
    assert (record["coord-lat"], record["coord-lon"]) == expected


@pytest.mark.parametrize(
    ("coord", "issue"),
    [
        ("[95.1, 30.0]", "coordinate_out_of_range"),
        ("[9.1, -181]", "coordinate_out_of_range"),
        ("[north, 30.0]", "coordinate_unparsable"),
        ("[1, 2, 3]", "coordinate_unparsable"),
        ("69.66", "coordinate_unparsable"),
    ],
)
def test_bad_coordinates_are_nulled_with_an_issue(tmp_path, coord, issue):
    result = run(tmp_path, [bcdm_row(coord=coord)])
    record = only_record(result)
    assert (record["coord-lat"], record["coord-lon"]) == (None, None)
    assert result.issues.select("source_line", "processid", "field", "issue", "detail").rows() == [
        (2, "PROC001-24", "coord", issue, f"coord={coord}")
    ]


def test_v4_coordinate_with_one_part_missing_is_incomplete(tmp_path):
    result = run(tmp_path, [v4_row(lat="48.2273", lon="")], header=V4)
    assert only_record(result)["coord-lat"] is None
    assert result.issues.select("field", "issue", "detail").rows() == [
        ("lat,lon", "coordinate_incomplete", "lat=48.2273 lon=(missing)")
    ]


def test_bioscan5m_csv_numbers_and_quoted_cells(tmp_path):
    header = [
        "processid",
        "sampleid",
        "dna_bin",
        *BCDM[3:10],
        "dna_barcode",
        "country",
        "province_state",
        "coord-lat",
        "coord-lon",
        "image_measurement_value",
        "area_fraction",
        "scale_factor",
        "inferred_ranks",
        "index_bioscan_1M_insect",
    ]
    base = {name: "" for name in header} | {"processid": "P1", "dna_barcode": BARCODE}
    rows = [
        base
        | {
            "image_measurement_value": "8605",
            "index_bioscan_1M_insect": "150502.0",
            "province_state": '"Bocas del Toro, Panama"',
            "inferred_ranks": "2",
        },
        base
        | {
            "processid": "P2",
            "dna_barcode": BARCODE + "A",
            "area_fraction": "big",
            "index_bioscan_1M_insect": "12.5",
            "inferred_ranks": "7",  # codes are 0-6
        },
    ]
    result = run(tmp_path, rows, name="m.csv", header=header, separator=",")
    first, second = result.records.sort("processid").rows(named=True)
    assert (first["image_measurement_value"], first["index_bioscan_1M_insect"]) == (8605.0, 150502)
    assert first["province_state"] == "Bocas del Toro, Panama"
    assert (second["area_fraction"], second["index_bioscan_1M_insect"]) == (None, None)
    assert result.labels.sort("processid")["given_inferred_ranks"].to_list() == [2, None]
    assert result.issues.select("field", "issue", "detail").rows() == [
        ("area_fraction", "number_unparsable", "area_fraction=big"),
        ("index_bioscan_1M_insect", "number_unparsable", "index_bioscan_1M_insect=12.5"),
        ("inferred_ranks", "number_unparsable", "inferred_ranks=7"),
    ]


# --- encodings ----------------------------------------------------------------------------------


def test_invalid_utf8_field_falls_back_to_cp1252_with_an_issue(tmp_path):
    path = tmp_path / "raw.tsv"
    rows = [bcdm_row(province_state="Troms X"), bcdm_row(processid="P2", nuc=BARCODE + "A")]
    write_export(path, rows)
    path.write_bytes(path.read_bytes().replace(b"Troms X", b"Troms \x96 X"))
    result = ingest([str(path)])
    assert (
        result.records.filter(pl.col("processid") == "PROC001-24")["province_state"].item()
        == "Troms – X"
    )
    assert result.issues.select("source_line", "processid", "field", "issue").rows() == [
        (2, "PROC001-24", "province/state", "cp1252_fallback")
    ]


def test_r_escapes_and_c1_controls_are_repaired_in_labels(tmp_path):
    rows = [bcdm_row(province_state="Troms <96> X", country_ocean="Norway\x96North")]
    result = run(tmp_path, rows)
    record = only_record(result)
    assert (record["province_state"], record["country"]) == ("Troms – X", "Norway–North")
    assert result.issues.select("field", "issue").rows() == [
        ("country/ocean", "c1_control_character"),
        ("province/state", "r_escaped_byte"),
    ]


def test_a_repaired_byte_in_a_rank_label_is_not_ascii_so_the_label_is_nulled(tmp_path):
    """The repair is recorded, then the name rule nulls the label (docs/curation.md#text)."""
    result = run(tmp_path, [bcdm_row(species="Osmia <96> sp.")])
    assert only_record(result)["species"] is None
    assert result.issues.select("field", "issue", "detail").rows() == [
        ("species", "r_escaped_byte", "Osmia <96> sp. -> Osmia – sp."),
        ("species", "invalid_name_character", "'Osmia –<U+2013> sp.' -> null"),
    ]


def test_utf8_bom_is_stripped(tmp_path):
    path = tmp_path / "bom.tsv"
    write_export(path, [bcdm_row()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = ingest([str(path)])
    assert only_record(result)["processid"] == "PROC001-24"
    assert result.summary["files"][0]["utf8_bom"] is True


# --- lines --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("eol", "header_eol"), [("\n", "\n"), ("\r\n", "\r\n"), ("\r\n", "\n")])
def test_line_endings_give_the_same_records(tmp_path, eol, header_eol):
    rows = [bcdm_row(processid=f"P{i}", nuc=BARCODE + "ACGT"[i]) for i in range(3)]
    result = run(tmp_path, rows, eol=eol, header_eol=header_eol)
    reference = run(tmp_path, rows, name="lf.tsv")
    assert result.records.drop("source_file").equals(reference.records.drop("source_file"))
    assert result.records["species"].to_list() == ["Chironomus sp. 1"] * 3


def test_bare_lf_inside_a_crlf_row_is_in_field_text(tmp_path):
    rows = [
        bcdm_row(processid="P1", province_state="Finn\nmark"),
        bcdm_row(processid="P2", nuc=BARCODE + "A", sampleid="S\n2\n"),
        bcdm_row(processid="P3", nuc=BARCODE + "C"),
    ]
    result = run(tmp_path, rows, eol="\r\n")
    records = result.records.select("processid", "sampleid", "province_state", "source_line")
    # The joined rows are rows again; the line break itself never reaches a released value.
    assert records.rows() == [("P1", "S1", "Finn mark", 2), ("P3", "S1", "Finnmark", 7)]
    assert result.rejects.select("source_line", "reason", "detail").rows() == [
        (4, "invalid_identifier", "sampleid S\\n2")
    ]
    assert result.issues.select("source_line", "processid", "field", "issue", "detail").rows() == [
        (2, "P1", "province/state", "bare_newline_in_field", "lines 2-3"),
        (2, "P1", "province/state", "control_character", "'Finn<U+000A>mark' -> 'Finn mark'"),
        (4, "P2", "sampleid", "bare_newline_in_field", "lines 4-6"),
    ]
    assert result.summary["rows_read"] == 3


def test_two_bare_lfs_in_a_field_of_a_crlf_row_are_one_row(tmp_path):
    """An empty line ending in a bare LF is the field's second LF, not a blank line (found by
    the hostile-text property: the row was read as two ragged rows)."""
    rows = [bcdm_row(processid="P1", province_state="Finn\n\nmark"), bcdm_row(processid="P2")]
    rows[1]["nuc"] = BARCODE + "A"
    result = run(tmp_path, rows, eol="\r\n")
    assert result.summary["rows_read"] == 2 and result.summary["rejected"] == 0
    assert result.records["processid"].to_list() == ["P1", "P2"]
    assert result.issues.filter(issue="bare_newline_in_field")["detail"].to_list() == ["lines 2-4"]


def test_bare_lf_in_an_lf_file_splits_the_row_into_ragged_lines(tmp_path):
    result = run(tmp_path, [bcdm_row(province_state="Finn\nmark"), bcdm_row(processid="P2")])
    assert reasons(result) == [(2, "ragged_row"), (3, "ragged_row")]
    assert result.summary["rows_read"] == 3 and only_record(result)["processid"] == "P2"


def test_ragged_rows_are_rejected_with_their_line_never_shifted(tmp_path):
    path = tmp_path / "ragged.tsv"
    write_export(path, [bcdm_row(processid="P1"), bcdm_row(processid="P2", nuc=BARCODE + "A")])
    text = path.read_text().splitlines(keepends=True)
    text[1] = text[1].replace("\tNorway", "\tNor\tway")  # one field too many
    path.write_text("".join(text) + "P3\tS3\tBOLD:AAA0001\n" + "\t".join(bcdm_row().values())[:40])
    result = ingest([str(path)])
    assert result.rejects.select("source_line", "processid", "reason", "detail").rows() == [
        (2, None, "ragged_row", "16 fields, the header has 15"),
        (4, None, "ragged_row", "3 fields, the header has 15"),
        (5, None, "ragged_row", "5 fields, the header has 15"),
    ]
    assert only_record(result)["processid"] == "P2"


def test_blank_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "blank.tsv"
    write_export(path, [bcdm_row()], eol="\r\n")
    path.write_bytes(path.read_bytes() + b"\r\n\n")
    result = ingest([str(path)])
    assert result.summary["files"][0]["blank_lines"] == 2
    assert result.summary["rows_read"] == 1 and result.rejects.is_empty()


def test_gzip_input_gives_the_same_records(tmp_path):
    plain = write_export(tmp_path / "export.tsv", [bcdm_row()])
    packed = tmp_path / "export.tsv.gz"
    packed.write_bytes(gzip.compress((tmp_path / "export.tsv").read_bytes()))
    assert (
        ingest([str(packed)])
        .records.drop("source_file")
        .equals(ingest([plain]).records.drop("source_file"))
    )


# --- errors -------------------------------------------------------------------------------------


def test_ingest_error_names_file_line_and_field():
    text = str(IngestError("data/x.tsv", 7, "nuc", "bad"))
    assert text == "data/x.tsv: line 7: field 'nuc': bad"


def test_ingest_error_leaves_out_the_line_and_field_it_does_not_have():
    assert str(IngestError("x.tsv", 1, None, "unknown layout")) == "x.tsv: line 1: unknown layout"
    assert str(IngestError("x.gz", None, None, "truncated gzip")) == "x.gz: truncated gzip"


def test_empty_file_is_an_error_header_only_is_zero_rows(tmp_path):
    (tmp_path / "empty.tsv").write_bytes(b"")
    with pytest.raises(IngestError, match="empty.tsv: .*empty file"):
        ingest([str(tmp_path / "empty.tsv")])
    result = run(tmp_path, [], name="header.tsv")
    assert result.records.is_empty() and result.summary["rows_read"] == 0


def test_truncated_gzip_is_an_error(tmp_path):
    write_export(tmp_path / "export.tsv", [bcdm_row(processid=f"P{i}") for i in range(200)])
    packed = tmp_path / "export.tsv.gz"
    packed.write_bytes(gzip.compress((tmp_path / "export.tsv").read_bytes())[:-30])
    with pytest.raises(IngestError, match="truncated gzip"):
        ingest([str(packed)])


def test_unknown_layout_and_missing_column_errors_name_the_file(tmp_path):
    (tmp_path / "odd.tsv").write_text("alpha\tbeta\n1\t2\n")
    with pytest.raises(IngestError, match=r"odd\.tsv: line 1: .*unknown layout.*'alpha'"):
        ingest([str(tmp_path / "odd.tsv")])
    path = write_export(
        tmp_path / "short.tsv", [bcdm_row()], header=[h for h in BCDM if h != "coord"]
    )
    with pytest.raises(IngestError, match=r"short\.tsv: line 1: field 'coord': missing required"):
        ingest([path])


def test_no_input_is_an_error():
    with pytest.raises(IngestError, match="no input file"):
        ingest([])


def test_same_input_gives_identical_output(tmp_path):
    rows = [
        bcdm_row(processid=f"P{i % 7}", nuc=BARCODE + "ACGT"[i % 4], coord=f"[{i}, 95]")
        for i in range(30)
    ]
    first, second = run(tmp_path, rows), run(tmp_path, rows)
    for name in ("records", "barcodes", "labels", "rejects", "issues"):
        assert getattr(first, name).equals(getattr(second, name))
    assert first.summary == second.summary


def test_the_gather_reads_the_parts_not_the_inputs(tmp_path):
    paths = [
        write_export(tmp_path / "a.tsv", [bcdm_row()]),
        write_export(tmp_path / "b.tsv", [bcdm_row(processid="P2"), bcdm_row(processid="P3")]),
    ]
    parts = [tmp_path / f"parts/{index}-0" for index in range(2)]
    metas = [parse_part(p, i, 0, 1, "COI-5P", 3.0, parts[i]) for i, p in enumerate(paths)]
    assert [meta["rows_read"] for meta in metas] == [1, 2]
    for path in paths:
        Path(path).unlink()
    outputs = {key: str(tmp_path / f"{key}.parquet") for key in TABLES}
    summary = gather(parts, paths, "COI-5P", None, 3.0, outputs)
    records = pl.read_parquet(outputs["records"])
    assert records["processid"].to_list() == ["P2", "P3", "PROC001-24"]
    assert [entry["path"] for entry in summary["files"]] == ["a.tsv", "b.tsv"]
