"""Barcodes stored once per sequence: keys, the sequence table, and joining them back."""

from __future__ import annotations

from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ingest import barcodes as barcodes_module
from curation.ingest.barcodes import dna_barcodes, number_barcodes, number_sequences
from schemas.tables import BARCODES_SCHEMA

BARCODE_LISTS = st.lists(st.text(alphabet="ACGN", min_size=1, max_size=6), max_size=30)


def expected_keys(barcodes: list[str]) -> list[int]:
    stripped = [barcode.strip("N") for barcode in barcodes]
    ranks = {key: rank for rank, key in enumerate(sorted(set(stripped)))}
    return [ranks[key] for key in stripped]


@settings(max_examples=100, deadline=None)
@given(BARCODE_LISTS)
def test_keys_are_a_dense_rank_of_the_n_stripped_barcode(barcodes):
    keys = number_barcodes(pl.Series(barcodes, dtype=pl.String)).keys.to_list()
    assert keys == expected_keys(barcodes)


@settings(max_examples=100, deadline=None)
@given(BARCODE_LISTS)
def test_sequence_table_and_padding_give_back_every_barcode(barcodes):
    numbered = number_barcodes(pl.Series(barcodes, dtype=pl.String))
    table = numbered.sequences
    assert table.schema == pl.Schema(BARCODES_SCHEMA)
    assert table["barcode_key"].to_list() == list(range(table.height))
    assert table["sequence"].to_list() == sorted({b.strip("N") for b in barcodes})
    assert numbered.padded.to_list() == [b if b != b.strip("N") else None for b in barcodes]
    rebuilt = dna_barcodes(numbered.keys, numbered.padded, table["sequence"])
    assert rebuilt.to_list() == barcodes


@settings(max_examples=100, deadline=None)
@given(BARCODE_LISTS, st.integers(min_value=1, max_value=3))
def test_numbering_does_not_depend_on_the_grouping_hash(barcodes, buckets):
    """Hash collisions (forced: every value into one of a few buckets) change nothing."""
    series = pl.Series(barcodes, dtype=pl.String)
    reference = number_barcodes(series)

    def colliding(value: pl.Expr) -> pl.Expr:
        return value.str.len_bytes().cast(pl.UInt64) % buckets

    with mock.patch.object(barcodes_module, "_grouping_hash", colliding):
        numbered = number_barcodes(series)
    assert numbered.keys.to_list() == expected_keys(barcodes)
    assert numbered.sequences.equals(reference.sequences)


@settings(max_examples=100, deadline=None)
@given(BARCODE_LISTS)
def test_stripped_sequences_are_numbered_as_their_barcodes(barcodes):
    """The gather numbers its runs' stripped sequences with number_sequences: the keys and
    table of number_barcodes, without its padding scan."""
    keys, table = number_sequences(pl.Series([b.strip("N") for b in barcodes], dtype=pl.String))
    numbered = number_barcodes(pl.Series(barcodes, dtype=pl.String))
    assert keys.to_list() == numbered.keys.to_list() and keys.dtype == pl.UInt32
    assert table.equals(numbered.sequences)


def test_edge_cases():
    assert number_barcodes(pl.Series([], dtype=pl.String)).keys.to_list() == []
    assert number_barcodes(pl.Series([], dtype=pl.String)).sequences.is_empty()
    numbered = number_barcodes(pl.Series(["NAN", "A", "B"]))
    assert numbered.keys.to_list() == [0, 0, 1]
    assert numbered.keys.dtype == pl.UInt32
    assert numbered.sequences["sequence"].to_list() == ["A", "B"]
