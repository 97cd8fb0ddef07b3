"""Invariants of ingest on generated exports: no crash on any bytes, conservation of rows, and
independence from line endings and column order."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ingest_files import BARCODE, BCDM, bcdm_row, ingest

#: Each example ingests one or two small files (~0.1 s): 30 examples keep the module quick.
PROPERTY = settings(max_examples=30, deadline=None)

#: Row variants that exercise every reject reason and most issues.
KINDS = {
    "good": {},
    "other_marker": {"marker_code": "CAD"},
    "no_sequence": {"nuc": "None"},
    "invalid_sequence": {"nuc": "ACGT*ACGT"},
    "lower_case": {"nuc": "acgt-acgtn"},
    "missing_processid": {"processid": "NA"},
    "bad_coordinate": {"coord": "[91, 200]"},
    "blank_labels": {"species": " ", "genus": "None"},
}


@st.composite
def exports(draw, max_rows: int = 8) -> list[dict[str, str]]:
    """Rows of assorted kinds; processids drawn from a small pool so that duplicates occur."""
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        kind = draw(st.sampled_from(sorted(KINDS)))
        processid = draw(st.sampled_from(["P1", "P2", "P3", "P4"]))
        tail = draw(st.sampled_from(["", "A", "CC"]))
        rows.append(bcdm_row(processid=processid, nuc=BARCODE + tail) | KINDS[kind])
    return rows


def ingest_bytes(data: bytes):
    """Ingest ``data`` as a file; its temporary folder is erased from the output's text."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.tsv"
        path.write_bytes(data)
        result = ingest([str(path)])
    erase = pl.col("detail").str.replace_all(folder, "<dir>", literal=True)
    return type(result)(
        records=result.records.drop("source_file"),
        barcodes=result.barcodes,
        labels=result.labels,
        rejects=result.rejects.drop("source_file").with_columns(erase),
        issues=result.issues.drop("source_file"),
        summary=result.summary,
    )


#: A header as real exports have it: columns ingest does not read before, between and after the
#: ones it reads, the last one usually empty (BCDM's trailing columns are).
UNREAD = {"collection_notes": "Malaise trap", "elev": "412", "sequence_upload_date": ""}
WIDE = [
    "collection_notes",
    *BCDM[:5],
    "elev",
    *BCDM[5:],
    "sequence_upload_date",
]


def export_bytes(rows, header=WIDE, endings=None) -> bytes:
    endings = endings or ["\n"] * (len(rows) + 1)
    cells = [[{**UNREAD, **row}[name] for name in header] for row in rows]
    lines = ["\t".join(header)] + ["\t".join(line) for line in cells]
    return "".join(line + end for line, end in zip(lines, endings, strict=True)).encode()


def assert_same(first, second) -> None:
    for name in ("records", "barcodes", "labels", "rejects", "issues"):
        assert getattr(first, name).equals(getattr(second, name)), name


@PROPERTY
@given(
    rows=exports(), field=st.sampled_from(WIDE), raw=st.binary(max_size=12), at=st.integers(0, 7)
)
def test_any_bytes_in_a_field_only_ever_give_rejects_or_issues(rows, field, raw, at):
    rows = rows or [bcdm_row()]
    data = export_bytes(rows)
    lines = data.split(b"\n")
    target = 1 + at % len(rows)
    cells = lines[target].split(b"\t")
    cells[WIDE.index(field)] = raw
    lines[target] = b"\t".join(cells)
    result = ingest_bytes(b"\n".join(lines))
    summary = result.summary
    assert summary["rows_read"] == summary["released"] + summary["rejected"]
    if not any(byte in raw for byte in b"\t\n"):
        assert summary["rows_read"] == len(rows)


@PROPERTY
@given(rows=exports(), choices=st.lists(st.sampled_from(["\n", "\r\n"]), min_size=9, max_size=9))
def test_line_endings_never_change_the_tables(rows, choices):
    mixed = ingest_bytes(export_bytes(rows, endings=choices[: len(rows) + 1]))
    assert_same(mixed, ingest_bytes(export_bytes(rows)))


@PROPERTY
@given(rows=exports(), order=st.permutations(WIDE))
def test_column_order_never_changes_the_tables(rows, order):
    assert_same(
        ingest_bytes(export_bytes(rows, header=list(order))), ingest_bytes(export_bytes(rows))
    )


@PROPERTY
@given(
    rows=exports(max_rows=10),
    short=st.dictionaries(st.integers(0, 9), st.integers(0, len(WIDE) - 1)),
    long=st.dictionaries(st.integers(0, 9), st.integers(0, len(WIDE))),
    blank=st.sets(st.integers(0, 9)),
)
def test_every_line_is_released_or_rejected_exactly_once(rows, short, long, blank):
    """A field dropped or inserted anywhere in a line makes a ragged row, never shifted columns."""
    lines = export_bytes(rows).split(b"\n")[:-1]
    body = []
    for index, line in enumerate(lines[1:]):
        if index in blank:
            body.append(b"")
        cells = line.split(b"\t")
        if index in short:
            del cells[short[index]]
        if index in long:
            cells.insert(long[index], b"EXTRA")
        body.append(b"\t".join(cells))
    result = ingest_bytes(b"\n".join([lines[0], *body]) + b"\n")
    data_lines = {number for number, line in enumerate(body, 2) if line}
    released = result.records["source_line"].to_list()
    rejected = result.rejects["source_line"].to_list()
    assert sorted(released + rejected) == sorted(data_lines)
    assert result.summary["rows_read"] == len(data_lines)
    assert result.records["processid"].is_unique().all()
    bad = {line for line in data_lines if body[line - 2].count(b"\t") != len(WIDE) - 1}
    assert set(result.rejects.filter(pl.col("reason") == "ragged_row")["source_line"]) == bad


@PROPERTY
@given(
    rows=exports(max_rows=6),
    line=st.integers(0, 5),
    position=st.integers(0, len(WIDE)),
    extra=st.sampled_from([b"EXTRA", b""]),
)
def test_a_field_inserted_anywhere_is_a_ragged_row_not_a_shifted_one(rows, line, position, extra):
    rows = rows or [bcdm_row()]
    lines = export_bytes(rows).split(b"\n")[:-1]
    target = 1 + line % len(rows)
    cells = lines[target].split(b"\t")
    cells.insert(position, extra)
    lines[target] = b"\t".join(cells)
    result = ingest_bytes(b"\n".join(lines) + b"\n")
    ragged = result.rejects.filter(pl.col("reason") == "ragged_row")["source_line"].to_list()
    assert ragged == [target + 1]
    assert target + 1 not in result.records["source_line"].to_list()
