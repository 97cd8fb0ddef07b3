"""Ingest in bounded memory: an export cut in batches (and parts) anywhere reads as a whole.

The batches of a tiny memory budget, and the byte ranges of sharded parse jobs, give the same
records, barcodes, labels, rejects, issues and summary as one read of the whole file, through
every recovery path: CRLF rows holding a bare LF, ragged and blank lines, invalid UTF-8.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ingest.batches import BATCH_SHARE, GIB, batch_bytes, cut, part_range
from curation.ingest.parse import parse_part
from curation.ingest.read import open_export
from tests.ingest_files import BCDM, bcdm_row, ingest
from tests.support import REAL
from tests.unit.test_ingest_properties import WIDE, assert_same, export_bytes, exports

PROPERTY = settings(max_examples=40, deadline=None)


def budget(batch: int) -> float:
    """The memory_gb whose batches are ``batch`` bytes."""
    return (batch + 0.5) / (GIB * BATCH_SHARE)


def test_the_budget_sets_the_batch_size():
    assert batch_bytes(budget(1000)) == 1000
    assert batch_bytes(3) == int(3 * GIB * BATCH_SHARE)


#: Lines that take every path of the reader: (kind, bytes of the data line without ending).
HAZARDS = ["plain", "bare_lf", "ragged", "blank", "cp1252", "quote"]


@st.composite
def hazardous(draw) -> bytes:
    """A CRLF export whose lines hold each hazard somewhere."""
    rows = draw(exports(max_rows=10)) or [bcdm_row()]
    lines = export_bytes(rows).split(b"\n")[:-1]
    out = [lines[0] + b"\r\n"]
    for line in lines[1:]:
        kind = draw(st.sampled_from(HAZARDS))
        cells = line.split(b"\t")
        if kind == "bare_lf":  # a note holding a bare LF: one row on two lines
            cells[0] = b"Malaise\ntrap"
        elif kind == "ragged":
            cells.insert(draw(st.integers(0, len(cells))), b"EXTRA")
        elif kind == "blank":
            out.append(b"\r\n")
        elif kind == "cp1252":
            cells[WIDE.index("species")] = b"Chironomus \x96 sp. 1"
        elif kind == "quote":
            cells[0] = b'"Malaise" trap'
        out.append(b"\t".join(cells) + b"\r\n")
    return b"".join(out)


def ingest_cut(data: bytes, memory_gb: float = 3.0, parts: int = 1):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.tsv"
        path.write_bytes(data)
        result = ingest([str(path)], memory_gb=memory_gb, parts=parts)
    return result


@PROPERTY
@given(data=hazardous(), batch=st.integers(1, 3000), parts=st.integers(1, 4))
def test_any_batches_and_parts_read_as_the_whole_file(data, batch, parts):
    whole = ingest_cut(data)
    cut_up = ingest_cut(data, budget(batch), parts)
    assert_same(whole, cut_up)
    assert whole.summary == cut_up.summary


@PROPERTY
@given(data=hazardous(), offset=st.integers(1, 5000))
def test_a_cut_goes_before_a_whole_line_only(tmp_path_factory, data, offset):
    path = tmp_path_factory.mktemp("cut") / "export.tsv"
    path.write_bytes(data)
    export = open_export(str(path), path.parent)
    offset = min(offset + export.data_start, len(data))
    with open(path, "rb") as handle:
        at = cut(handle, offset, len(data), export.columns)
    assert offset <= at <= len(data)
    if at < len(data):
        assert data[at - 1 : at] == b"\n"
        line = data[at:].split(b"\n")[0].removesuffix(b"\r")
        assert line.count(b"\t") == len(WIDE) - 1


def test_parts_meet_and_cover_the_data(tmp_path):
    data = export_bytes([bcdm_row(processid=f"P{i}") for i in range(50)])
    path = tmp_path / "export.tsv"
    path.write_bytes(data)
    export = open_export(str(path), tmp_path)
    with open(path, "rb") as handle:
        ranges = [
            part_range(handle, len(data), export.data_start, export.columns, p, 7) for p in range(7)
        ]
    assert ranges[0][0] == export.data_start and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert sum(end > start for start, end in ranges) == 7


REAL_EXPORTS = sorted(str(path.relative_to(REAL)) for path in REAL.glob("*/*.tsv"))


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_exports_read_the_same_in_batches_and_parts(name, tmp_path):
    """CRLF, invalid UTF-8 and ragged rows of real files, through the batched path."""
    path = str(REAL / name)
    size = Path(path).stat().st_size
    whole = ingest([path])
    memory_gb = budget(size // 9)
    meta = parse_part(path, 0, 0, 3, "COI-5P", memory_gb, tmp_path / "part")
    assert meta["batches"] >= 3  # the batched path is taken
    cut_up = ingest([path], memory_gb=memory_gb, parts=3)
    assert_same(whole, cut_up)
    assert whole.summary == cut_up.summary


def test_several_files_in_tiny_batches_read_as_a_whole(tmp_path):
    paths = []
    for index in range(3):
        rows = [
            bcdm_row(processid=f"P{(index * 7 + i) % 40}", nuc="ACGT" * (5 + i % 9))
            for i in range(40)
        ]
        path = tmp_path / f"e{index}.tsv"
        path.write_bytes(export_bytes(rows, header=BCDM))
        paths.append(str(path))
    assert_same(ingest(paths), ingest(paths, memory_gb=budget(700), parts=2))
