"""Sorting strings by an integer prefix gives exactly their byte order."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.sorting import text_order

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=40))
def test_text_order_is_utf8_byte_order_with_nulls_first(values):
    """Short, long, zero-byte and multi-byte text alike; equal prefixes fall to the whole value."""
    order = text_order(pl.Series(values, dtype=pl.String)).to_list()
    assert sorted(order) == list(range(len(values)))
    nulls = [v for v in values if v is None]
    texts = sorted((v for v in values if v is not None), key=lambda v: v.encode())
    assert [values[i] for i in order] == nulls + texts


def test_text_order_on_shared_prefixes():
    values = ["ACGTACGTA", "ACGTACGT", "ACGTACGTC", "ACGTACG", "ACGTACGTA"]
    ordered = [values[i] for i in text_order(pl.Series(values)).to_list()]
    assert ordered == ["ACGTACG", "ACGTACGT", "ACGTACGTA", "ACGTACGTA", "ACGTACGTC"]
