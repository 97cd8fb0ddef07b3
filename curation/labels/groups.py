"""Questions about barcode groups, answered on key-sorted codes instead of hash group-bys.

The per-barcode stages keep asking two things of every rank: does a barcode key carry more
than one distinct label (a conflict), and which label does it carry (to copy into the records
that lack it)?  A ``group_by(barcode_key, label)`` answers both but hashes millions of strings
per rank, and moving strings into key order is as slow (random access to string data).  So the
labels are replaced by integer codes (:func:`codes`), the codes are put in key order, and each
non-null code is compared with its neighbour: a key holds two distinct labels exactly when two
of its consecutive non-null codes differ.  A key with one label hands the *row* that carries it
to its other rows by a fill forward and backward that stops at the key's boundary, so only the
few rows that actually receive a label touch string data.

Every answer is a set of keys or one label per key, so it does not depend on the order of the
rows within a key.
"""

from __future__ import annotations

import polars as pl

from curation import names


def annotated(rank: str) -> pl.Expr:
    """A rank's annotations, the values that vote and are inferred: the column, with subfamily
    fillers as null (a filler says "no subfamily known", docs/curation.md#vote)."""
    column = pl.col(rank)
    return names.real_subfamily(column).alias(rank) if rank == "subfamily" else column


def codes(labels: pl.Series) -> pl.Series:
    """Integer codes of string labels: equal codes exactly for equal labels, null for null.

    Moving codes into key order is far cheaper than moving the strings.  The code values are
    arbitrary (first-seen order of a global string cache) and never leave the caller.
    """
    return labels.cast(pl.Categorical).to_physical()


class KeyOrder:
    """The rows of a frame in barcode-key order, for per-key questions about its columns."""

    def __init__(self, keys: pl.Series) -> None:
        self.order = keys.arg_sort()
        self._sorted = pl.DataFrame({"key": keys.gather(self.order), "row": self.order})

    def conflicts(self, values: pl.Series) -> pl.Series:
        """The keys (sorted, distinct) whose non-null ``values`` are not all equal.

        ``values`` are in the frame's row order; pass :func:`codes` of a label column rather
        than the strings.
        """
        present = self._sorted.with_columns(values.gather(self.order).alias("value")).filter(
            pl.col("value").is_not_null()
        )
        differs = (pl.col("key") == pl.col("key").shift(1)) & (
            pl.col("value") != pl.col("value").shift(1)
        )
        return present.filter(differs)["key"].unique().sort()

    def fill(self, values: pl.Series, sources: pl.Series | None = None) -> pl.Series:
        """``values`` with each null replaced by the non-null value of its key.

        The key must carry at most one distinct value (see :meth:`conflicts`), so any row that
        carries it will do: the nearest one before or after in key order.  ``sources``
        (default: ``values``) are the values that may be copied; a null source is never copied.
        """
        sources = values if sources is None else sources
        if not values.null_count():
            return values
        carries = sources.is_not_null().gather(self.order)

        def nearest(fill: str) -> pl.Expr:
            """The nearest carrying row before/after, if it belongs to the same key."""
            key = getattr(pl.when(pl.col("carries")).then(pl.col("key")), fill)()
            row = getattr(pl.when(pl.col("carries")).then(pl.col("row")), fill)()
            return pl.when(key == pl.col("key")).then(row)

        missing = values.is_null().gather(self.order)
        source = pl.coalesce(nearest("forward_fill"), nearest("backward_fill"))
        targets = (
            self._sorted.with_columns(carries.alias("carries"), missing.alias("missing"))
            .with_columns(source.alias("source"))
            .filter(pl.col("missing") & pl.col("source").is_not_null())
            .select("row", "source")
        )
        if targets.is_empty():
            return values
        return values.clone().scatter(targets["row"], sources.gather(targets["source"]))
