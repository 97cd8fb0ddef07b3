"""Barcode shards: independent slices of the per-barcode stages.

All records of one barcode key must land in the same shard, and the result of the pipeline must
not depend on the number of shards.  The shard of a record is its integer ``barcode_key`` modulo
the shard count: keys are dense ranks assigned at ingest, so this is stable across runs and
machines (unlike Python's ``hash()`` or ``Expr.hash``) and spreads keys evenly.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from schemas.tables import conform


def split(labels: pl.DataFrame, count: int) -> list[pl.DataFrame]:
    """The ``count`` shards of ``labels``, each sorted by processid."""
    shard = (pl.col("barcode_key") % count).alias("_shard")
    tagged = labels.with_columns(shard)
    return [
        tagged.filter(pl.col("_shard") == i).drop("_shard").sort("processid")
        for i in range(count)
    ]


def gather(
    shards: Sequence[pl.DataFrame], schema: dict[str, pl.DataType], order: Sequence[str]
) -> pl.DataFrame:
    """Concatenate shard outputs into one frame with a total, shard-count-independent order."""
    if not shards:
        return pl.DataFrame(schema=schema)
    combined = pl.concat([conform(frame, schema) for frame in shards], how="vertical")
    return combined.sort(list(order), nulls_last=True, maintain_order=True)
