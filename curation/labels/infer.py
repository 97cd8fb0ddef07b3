"""C6, inference from the barcode group (docs/curation.md#inference).

After the vote (C5) every rank holds at most one distinct annotation within a barcode key.  C6
copies it into the records of the key that lack it ("inferred from the samples labelled to a
greater degree of detail"), so afterwards all records of a key carry the same annotations.  A
subfamily filler is no annotation: it is never copied, and a record whose subfamily is a filler
receives the key's real subfamily like a record without one.

``inferred_ranks`` and the flags are derived later from the whole changes table
(:mod:`curation.labels.complete`), once the global steps have run.
"""

from __future__ import annotations

import polars as pl

from curation.labels.groups import KeyOrder, annotated, codes
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.tables import LABELS_SCHEMA, RANKS, conform


def infer(labels: pl.DataFrame, prior_changes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C6 on a shard of resolved labels: (labels, all changes), both sorted by processid.

    ``labels`` must be resolved (C5); a key with two annotations at one rank is an error, not
    something to pick from.  ``prior_changes`` are the changes of normalise and resolve for
    these records; the returned changes are those plus this stage's.
    """
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    order = KeyOrder(labels["barcode_key"])
    changes: list[pl.DataFrame] = [prior_changes]
    for rank in RANKS:
        given = labels.select(annotated(rank)).to_series()
        split = order.conflicts(codes(given))
        if split.len():
            raise ValueError(
                f"barcode key {split[0]} has several {rank} values; infer needs labels resolved "
                "by the vote (run resolve first)"
            )
        filled = pl.coalesce(pl.lit(order.fill(given)), pl.col(rank))
        labels, inferred = apply_rule(labels, rank, filled, "C6_inferred")
        changes.append(inferred)
    return labels, sort_changes(changes)
