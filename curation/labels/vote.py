"""C5: the per-barcode majority vote with curtailment (curation-spec 3.5, DECISIONS.md A2).

For every barcode key and rank, top to bottom: the non-null annotations at that rank are the
votes.  One distinct value: nothing to do.  Several: if the most common one holds at least
``vote_threshold`` of the votes, the minority records are relabelled to it; otherwise the group
is *curtailed*: that rank and every deeper one are nulled for all its records, and the vote stops.
A subfamily filler (``unassigned <Family>``) that is then the deepest label is nulled too.

Relabelling a rank changes no vote at a deeper rank, so every (key, rank) verdict is computed
independently, on the (key, value) counts, and the curtail rank of a key is simply the
shallowest rank it failed.  The keys with a conflict are found by a linear pass per rank
(:class:`curation.labels.groups.KeyOrder`); only they are counted and only their rows change.
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels.groups import KeyOrder, codes
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.tables import LABELS_SCHEMA, RANKS, conform


def resolve(labels: pl.DataFrame, *, vote_threshold: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C5 on a shard of labels: (labels, changes), both sorted by processid."""
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    order = KeyOrder(labels["barcode_key"])
    conflicted = pl.concat([order.conflicts(codes(labels[rank])) for rank in RANKS]).unique()
    in_conflict = labels.filter(pl.col("barcode_key").is_in(conflicted.implode()))
    verdicts = vote(in_conflict, vote_threshold)
    changes: list[pl.DataFrame] = []
    if verdicts.height:
        labels = labels.join(verdicts, on="barcode_key", how="left", maintain_order="left")
        for index, rank in enumerate(RANKS):
            winner = pl.col(f"_winner_{index}")
            relabelled = pl.when(pl.col(rank).is_not_null() & winner.is_not_null()).then(winner)
            labels, voted = apply_rule(labels, rank, relabelled.otherwise(pl.col(rank)), "C5_vote")
            changes.append(voted)
        for index, rank in enumerate(RANKS):
            kept = pl.when(pl.col("_curtail").fill_null(len(RANKS)) > index).then(pl.col(rank))
            labels, curtailed = apply_rule(labels, rank, kept, "C5_curtail")
            changes.append(curtailed)
        labels = labels.drop(verdicts.columns[1:])
    # The deepest label must never be a filler: after curtailment at genus, and for a filler
    # that came without a genus in the input.
    dangling = names.is_filler(pl.col("subfamily")) & pl.col("genus").is_null()
    dangling = dangling & pl.col("species").is_null()
    labels, dropped = apply_rule(
        labels, "subfamily", pl.when(~dangling).then(pl.col("subfamily")), "C5_filler_dropped"
    )
    changes.append(dropped)
    return by_processid(labels), sort_changes(changes)


def vote(labels: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """One row per barcode key with a conflict at some rank.

    Columns: ``barcode_key``, ``_winner_<i>`` for each rank index i (the majority value the
    minority is relabelled to; null where the rank has no conflict or is curtailed), and
    ``_curtail`` (the shallowest rank index without a majority, null if none).  The share is
    compared as ``top / votes >= threshold``: one correctly rounded division, so 9 of 10 is
    exactly 0.9.  A tie cannot win (threshold > 0.5); the winner is otherwise unique.
    """
    verdicts = []
    for index, rank in enumerate(RANKS):
        counts = (
            labels.filter(pl.col(rank).is_not_null())
            .group_by("barcode_key", rank)
            .agg(pl.len().alias("n"))
        )
        conflicts = (
            counts.filter(pl.len().over("barcode_key") > 1)
            .group_by("barcode_key")
            .agg(
                pl.col(rank).sort_by(["n", rank], descending=[True, False]).first().alias("winner"),
                (pl.col("n").max() / pl.col("n").sum() >= threshold).alias("wins"),
            )
            .with_columns(pl.lit(index, pl.Int64).alias("rank"))
        )
        verdicts.append(conflicts)
    conflicts = pl.concat(verdicts, how="vertical")
    if conflicts.is_empty():
        return pl.DataFrame()
    curtail = (
        conflicts.filter(~pl.col("wins"))
        .group_by("barcode_key")
        .agg(pl.col("rank").min().alias("_curtail"))
    )
    result = conflicts.select(pl.col("barcode_key").unique()).join(
        curtail, on="barcode_key", how="left"
    )
    winners = conflicts.join(curtail, on="barcode_key", how="left").filter(
        pl.col("wins") & (pl.col("rank") < pl.col("_curtail").fill_null(len(RANKS)))
    )
    for index in range(len(RANKS)):
        at_rank = winners.filter(pl.col("rank") == index).select(
            "barcode_key", pl.col("winner").alias(f"_winner_{index}")
        )
        result = result.join(at_rank, on="barcode_key", how="left")
    return result.sort("barcode_key")
