"""DNA barcodes stored once per distinct sequence: numbered by ingest, joined back by emit.

About half of BIOSCAN-5M's 5.15 M barcodes are repeats, and the ~650-byte sequences are most of
the bytes of every table that holds them.  So ingest numbers the barcodes
(``barcode_key``: docs/curation.md#barcode-key) and writes each key's sequence once, in key
order (BARCODES_SCHEMA).  A record keeps its key, plus its barcode as given in
``padded_barcode`` for the few barcodes that start or end with N (these differ from their key's
sequence).  Emit joins the sequences back by key:
gathering string views from one column, not copying sequence bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curation.sorting import text_order

_ROW = "_row"
_KEY = "_key"


@dataclass(frozen=True)
class NumberedBarcodes:
    #: ``barcode_key`` of each barcode (UInt32), in the input's order.
    keys: pl.Series
    #: The barcode where it starts or ends with N, else null (``padded_barcode``).
    padded: pl.Series
    #: One row per key, in key order: ``barcode_key``, ``sequence`` (BARCODES_SCHEMA).
    sequences: pl.DataFrame


def number_barcodes(barcodes: pl.Series) -> NumberedBarcodes:
    """Number ``barcodes`` (no nulls) by the byte order of their N-stripped form.

    The rows are grouped by value through a hash, and only one barcode of each group is sorted
    (docs/decisions.md "Barcode keys are exact without a full sort").
    """
    key, padded = split_padding(barcodes.alias(_KEY))
    keys, sequences = number_sequences(key)
    return NumberedBarcodes(keys=keys, padded=padded.alias("padded_barcode"), sequences=sequences)


def number_sequences(sequences: pl.Series) -> tuple[pl.Series, pl.DataFrame]:
    """:func:`number_barcodes` of N-stripped ``sequences`` (no nulls): each one's
    ``barcode_key``, and one row per key (BARCODES_SCHEMA).  The gather's sequence runs hold
    stripped sequences already, so it skips :func:`split_padding`'s scan of every one."""
    key = sequences.alias(_KEY)
    rows, group = _value_groups(key)
    firsts = rows.filter(_starts(group))  # the first row of each group, in group order
    # the groups' barcodes in row order, so that the sort reads them from memory in sequence
    by_row = firsts.arg_sort()
    distinct = key.gather(firsts.gather(by_row))
    by_text = text_order(distinct)
    ordered = distinct.gather(by_text)
    new_value = _starts(ordered)
    rank = new_value.cum_sum().cast(pl.UInt32) - 1
    distinct_rank = _zeros(distinct.len()).scatter(by_text, rank)
    group_rank = _zeros(distinct.len()).scatter(by_row, distinct_rank)
    keys = _zeros(key.len()).scatter(rows, group_rank.gather(group))
    # a hash collision may have split one value into several groups: keep one row per rank
    sequence = ordered.filter(new_value)
    table = pl.DataFrame(
        [
            pl.int_range(sequence.len(), dtype=pl.UInt32, eager=True).alias("barcode_key"),
            sequence.alias("sequence"),
        ]
    )
    return keys.alias("barcode_key"), table


def split_padding(barcodes: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``barcodes`` N-stripped (named as given) and ``padded_barcode`` (the barcode where it
    starts or ends with N, else null).  Only the few padded barcodes are copied: the others
    share their strings."""
    is_padded = barcodes.str.starts_with("N") | barcodes.str.ends_with("N")
    padded = pl.select(pl.when(is_padded).then(barcodes)).to_series()
    padded_rows = is_padded.arg_true()
    if not padded_rows.is_empty():
        stripped = barcodes.gather(padded_rows).str.strip_chars("N")
        barcodes = barcodes.clone().scatter(padded_rows, stripped)
    return barcodes, padded.alias("padded_barcode")


def dna_barcodes(keys: pl.Series, padded: pl.Series, sequences: pl.Series) -> pl.Series:
    """Each record's ``dna_barcode``: its ``padded`` barcode where it has one, else the sequence
    of its key (``sequences`` indexed by key; the caller checks that every key is in range)."""
    barcodes = sequences.rechunk().gather(keys)
    given = padded.is_not_null().arg_true()
    if not given.is_empty():
        barcodes = barcodes.scatter(given, padded.gather(given))
    return barcodes.alias("dna_barcode")


def _value_groups(key: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows ordered so that equal values are neighbours, and a group number per position.

    Rows are ordered by the value's hash; a new group starts wherever the hash or the value
    changes.  A hash collision can only split one value into several groups (never merge two
    values), and :func:`number_barcodes` ranks equal values equally, so the keys stay exact.
    """
    frame = key.to_frame().with_columns(
        _grouping_hash(pl.col(_KEY)).alias("_hash"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
    )
    by_hash = frame.sort("_hash", maintain_order=True)  # stable: rows stay in order within a hash
    rows = by_hash.get_column(_ROW)
    changes = _starts(by_hash.get_column("_hash")) | _starts(by_hash.get_column(_KEY))
    return rows, changes.cum_sum().cast(pl.UInt32) - 1


def _zeros(length: int) -> pl.Series:
    return pl.repeat(0, length, dtype=pl.UInt32, eager=True)


def _grouping_hash(value: pl.Expr) -> pl.Expr:
    """The hash that groups equal barcodes (a separate function so a test can force collisions)."""
    return value.hash()


def _starts(series: pl.Series) -> pl.Series:
    """True where a value differs from the one before it (the first is a start).

    Neighbours are compared through zero-copy slices: a shift would copy string views.
    """
    if series.is_empty():
        return pl.Series(series.name, [], dtype=pl.Boolean)
    differs = series.slice(1) != series.slice(0, series.len() - 1)
    return pl.concat([pl.Series(series.name, [True]), differs])
