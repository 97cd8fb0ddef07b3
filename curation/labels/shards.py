"""Barcode shards: independent slices of the per-barcode stages.

All records of one barcode key must land in the same shard, and the result of the pipeline must
not depend on the number of shards.  The shard of a record is its integer ``barcode_key`` modulo
the shard count: keys are dense ranks assigned at ingest, so this is stable across runs and
machines (unlike Python's ``hash()`` or ``Expr.hash``) and spreads keys evenly.

Shards are kept sorted by processid, and every record of a processid is in one shard, so
gathering is a stable sort on processid that keeps each shard's own order within a processid
(the changes table's rule order) — and no sort at all for a single shard.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from schemas.tables import conform

KEY = "processid"


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by processid, stably; free when it already is (the usual case)."""
    if frame.get_column(KEY).is_sorted():
        return frame
    return frame.sort(KEY, maintain_order=True)


def split(labels: pl.DataFrame, count: int) -> list[pl.DataFrame]:
    """The ``count`` shards of ``labels``, each sorted by processid."""
    labels = _sorted(labels)
    if count == 1:
        return [labels]
    shard = pl.col("barcode_key") % count
    return [labels.filter(shard == i) for i in range(count)]


def split_lazy(labels: pl.LazyFrame, count: int) -> list[pl.LazyFrame]:
    """The ``count`` shards of a lazy labels table, each in the table's order (ingest writes it
    in processid order; a stage sorts a shard that is not, :func:`curation.labels.provenance.by_processid`),
    for a streaming sink: no shard is ever whole in memory."""
    shard = pl.col("barcode_key") % count
    return [labels.filter(shard == i) for i in range(count)]


def gather(shards: Sequence[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Concatenate shard outputs into one frame whose order does not depend on the shard count:
    by processid, then each shard's own order."""
    if not shards:
        return pl.DataFrame(schema=schema)
    combined = pl.concat([conform(frame, schema) for frame in shards], how="vertical")
    return combined if len(shards) == 1 else _sorted(combined)
