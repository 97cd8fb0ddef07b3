"""Sorting millions of strings (processids, barcodes) in byte order, fast.

The strings are sorted by their first 8 bytes read as a big-endian integer (the same order), and
only ties compare whole strings (docs/decisions.md "Millions of strings are sorted by an integer
prefix first").
"""

from __future__ import annotations

import polars as pl

_ROW = "_row"
_PREFIX = "_prefix"


def text_order(values: pl.Series) -> pl.Series:
    """The arg sort (UInt32) of ``values`` in byte order, nulls first, as ``values.arg_sort()``
    (the order among equal values is unspecified)."""
    frame = pl.DataFrame([_prefix(values).alias(_PREFIX), values.alias("_value")])
    return frame.with_row_index(_ROW).sort(_PREFIX, "_value")[_ROW]


def _prefix(values: pl.Series) -> pl.Series:
    """The first 8 bytes of each string as a big-endian UInt64 (shorter strings padded with
    zero bytes, null for null): ``_prefix(a) < _prefix(b)`` implies ``a < b`` in byte order."""
    first8 = values.cast(pl.Binary).bin.head(8)
    words = first8.bin.reinterpret(dtype=pl.UInt64, endianness="big")
    short = (words.is_null() & values.is_not_null()).arg_true()  # fewer than 8 bytes: rare
    if short.is_empty():
        return words
    padded = [int.from_bytes(b.ljust(8, b"\0"), "big") for b in first8.gather(short)]
    return words.scatter(short, pl.Series(padded, dtype=pl.UInt64))
