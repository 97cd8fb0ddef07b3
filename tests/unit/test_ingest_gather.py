"""The gather's passes: the released row is chosen without barcodes, duplicates are told apart
by their sequences' ranks, and only released records' barcodes get keys, for any budget."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ingest.assemble import (
    FILE,
    ID,
    IDENTITY_COLUMNS,
    LENGTH,
    RUN_ROW,
    SEQUENCE_RANK,
    choose,
    deduplicate,
)
from curation.ingest.gather import _parquet_writer, _Run, _sequence_ranges
from tests.ingest_files import BARCODE, bcdm_row, ingest, write_export
from tests.unit.test_ingest_batches import budget

#: Barcodes of one processid's rows: equal, padded, longer, shorter.
BARCODES = ["ACGT", "NNACGT", "ACGTAC", "ACG", "TTTT"]


@st.composite
def shared_rows(draw) -> pl.DataFrame:
    """Candidates of a few processids, drawn from small pools so copies and ties occur."""
    count = draw(st.integers(1, 12))
    rows = []
    for number in range(count):
        barcode = draw(st.sampled_from(BARCODES))
        rows.append(
            {
                ID: number,
                "processid": draw(st.sampled_from(["P1", "P2", "P3"])),
                FILE: draw(st.integers(0, 1)),
                "source_line": number + 2,
                "species": draw(st.sampled_from(["a b", "a c"])),
                "dna_barcode": barcode,
            }
        )
    frame = pl.DataFrame(rows).with_columns(
        pl.col(ID).cast(pl.UInt32),
        pl.col(FILE).cast(pl.UInt32),
        pl.col("dna_barcode").str.len_bytes().cast(pl.UInt32).alias(LENGTH),
        pl.col("dna_barcode")
        .str.strip_chars("N")
        .rank("dense")
        .cast(pl.UInt32)
        .alias(SEQUENCE_RANK),
        pl.when(pl.col("dna_barcode").str.starts_with("N"))
        .then("dna_barcode")
        .alias("padded_barcode"),
    )
    return frame


@settings(max_examples=200, deadline=None)
@given(rows=shared_rows())
def test_choose_keeps_the_row_deduplicate_keeps(rows):
    """choose finds each processid's released row without comparing barcodes; deduplicate,
    which compares whole rows, keeps the same one."""
    pid = pl.col("processid")
    shared = rows.filter(pid.is_duplicated())
    values = [c for c in IDENTITY_COLUMNS if c not in shared.columns]
    full = shared.with_columns(
        pl.format("f{}", FILE).alias("source_file"),
        *(pl.lit(None).alias(name) for name in values),
    )
    rejected = set(deduplicate(full).get_column(ID).to_list())
    choice = choose(rows, None)
    assert set(choice.dropped.to_list()) == rejected
    assert set(choice.shared.to_list()) == set(shared.get_column(ID).to_list())
    assert sum(count for _, count in choice.released.iter_rows()) == rows["processid"].n_unique()
    # the released rows, at their places among ``rows``, in processid order
    released = rows[choice.order]
    assert released["processid"].to_list() == sorted(set(rows["processid"].to_list()))
    assert set(released[ID].to_list()) == set(rows[ID].to_list()) - rejected


def test_choose_orders_only_the_records_in_scope():
    """Out-of-scope records are neither dropped twice nor gathered by the later pass."""
    rows = pl.DataFrame(
        {
            ID: [0, 1, 2, 3],
            "processid": ["P3", "P1", "P2", "P1"],
            FILE: [0, 0, 0, 0],
            "source_line": [2, 3, 4, 5],
            LENGTH: [5, 5, 5, 6],
            "phylum": ["Arthropoda", "Arthropoda", "Chordata", "Arthropoda"],
        },
        schema_overrides={ID: pl.UInt32, FILE: pl.UInt32, LENGTH: pl.UInt32},
    )
    choice = choose(rows, {"phylum": ["Arthropoda"]})
    assert rows[choice.order][ID].to_list() == [3, 0]  # P1's longer row, then P3
    assert sorted(choice.dropped.to_list()) == [1, 2]
    assert choice.order.dtype == pl.UInt32


def test_a_padded_barcode_is_not_a_copy_of_its_stripped_sequence(tmp_path):
    """Two rows whose barcodes strip to one sequence differ unless the padding is the same."""
    rows = [
        bcdm_row(nuc=BARCODE),
        bcdm_row(nuc="NN" + BARCODE),
        bcdm_row(nuc="NN" + BARCODE),
        bcdm_row(processid="P2", nuc=BARCODE),
    ]
    path = write_export(tmp_path / "export.tsv", rows)
    for memory_gb in (3.0, budget(400)):
        result = ingest([path], memory_gb=memory_gb, parts=2)
        assert result.rejects.select("source_line", "reason", "detail").rows() == [
            (2, "duplicate_processid", "kept export.tsv:3"),
            (4, "exact_duplicate", "copy of export.tsv:3"),
        ]
        assert result.records.select("processid", "barcode_key", "padded_barcode").rows() == [
            ("P2", 0, None),
            ("PROC001-24", 0, "NN" + BARCODE),
        ]
        assert result.barcodes.rows() == [(0, BARCODE)]


def test_only_released_records_barcodes_get_keys(tmp_path):
    """A barcode held only by a duplicate's other row or an out-of-scope record has no key, so
    the keys stay dense, in any number of sequence ranges."""
    rows = [
        bcdm_row(processid="P1", nuc="C" * 30),
        bcdm_row(processid="P1", nuc="A" * 20),  # shorter: not released
        bcdm_row(processid="P2", nuc="G" * 30, phylum="Chordata"),  # out of scope
        bcdm_row(processid="P3", nuc="T" * 30),
        *(bcdm_row(processid=f"Q{i}", nuc="ACGT" * (5 + i)) for i in range(20)),
    ]
    path = write_export(tmp_path / "export.tsv", rows)
    whole = ingest([path], scope={"phylum": ["Arthropoda"]})
    for memory_gb in (budget(300), budget(900)):
        cut = ingest([path], scope={"phylum": ["Arthropoda"]}, memory_gb=memory_gb, parts=3)
        for name in ("records", "barcodes", "labels", "rejects"):
            assert getattr(cut, name).equals(getattr(whole, name)), name
    sequences = whole.barcodes.get_column("sequence").to_list()
    assert "A" * 20 not in sequences and "G" * 30 not in sequences
    assert whole.barcodes.get_column("barcode_key").to_list() == list(range(len(sequences)))
    assert sequences == sorted(sequences)


def test_gather_files_keep_dictionaries_for_repeating_columns_only(tmp_path):
    """A file the gather writes reads back as written, range after range; its labels are
    dictionary-encoded, its identifiers plain (a dictionary of unique values is wasted work)."""
    ranges = [
        pl.DataFrame({"processid": ["P1", "P2"], "phylum": ["Arthropoda"] * 2}),
        pl.DataFrame({"processid": ["P3"], "phylum": ["Chordata"]}),
    ]
    schema = {"processid": pl.String(), "phylum": pl.String()}
    path = tmp_path / "labels.parquet"
    with _parquet_writer(path, schema) as writer:
        for frame in ranges:
            writer.write(frame.with_columns(pl.col("phylum").cast(pl.Categorical)))
    assert pl.read_parquet(path).equals(pl.concat(ranges))
    chunks = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {chunks.column(i).path_in_schema: chunks.column(i).encodings for i in (0, 1)}
    assert "RLE_DICTIONARY" in encodings["phylum"]
    assert "RLE_DICTIONARY" not in encodings["processid"]


#: Keys and bounds from one small pool, so bounds fall on keys, between them and on repeats.
_KEYS = ["A", "AB", "B", "BA", "BB", "C", "CC"]


@settings(max_examples=80, deadline=None)
@given(
    runs=st.lists(st.lists(st.sampled_from(_KEYS), max_size=12), min_size=1, max_size=4),
    bounds=st.lists(st.sampled_from(_KEYS), unique=True, max_size=4),
    group=st.integers(1, 4),
)
def test_runs_read_forward_give_each_range_its_filtered_rows(runs, bounds, group):
    """Reading each sorted run forward, each row group once, gives every range the rows (and
    row order) of filtering every run by the range, whatever the row groups and bounds."""
    bounds, runs = sorted(bounds), [sorted(keys) for keys in runs]
    with tempfile.TemporaryDirectory() as tmp:
        made, offset = [], 0
        for number, keys in enumerate(runs):
            path = Path(tmp) / f"sequences-{number}.parquet"
            pl.DataFrame(
                {"sequence": keys, RUN_ROW: range(len(keys))},
                schema={"sequence": pl.String, RUN_ROW: pl.UInt32},
            ).write_parquet(path, row_group_size=group)
            made.append(_Run(path, path, offset))
            offset += len(keys)
        got = [frame.rows() for frame in _sequence_ranges(made, bounds)]
    expected = []
    for low, high in zip([None, *bounds], [*bounds, None], strict=True):
        rows = [
            (key, run.offset + place)
            for run, keys in zip(made, runs, strict=True)
            for place, key in enumerate(keys)
            if (low is None or key >= low) and (high is None or key < high)
        ]
        if rows:
            expected.append(rows)
    assert got == expected
