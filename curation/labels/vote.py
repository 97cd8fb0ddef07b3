"""C5: the per-barcode majority vote with curtailment (docs/curation.md#vote).

For every barcode key and rank, top to bottom, the votes are the records' annotations at that
rank; a subfamily filler (``unassigned <Family>``) is no annotation and never votes.  One
distinct value: nothing to do.  Several: if the most common one holds at least
``vote_threshold`` of the votes, it wins: the outvoted records are relabelled to it, and their
deeper annotations, which name children of a parent the group rejected, are nulled before the
deeper ranks are voted.  Otherwise the group is *curtailed*: that rank and every deeper one are
nulled for all its records, and its vote stops.

A key without a conflict at any rank is left alone (its votes can only lose values), so the
conflicting keys are found first by a linear pass per rank
(:class:`curation.labels.groups.KeyOrder`) and only their records are voted, rank by rank.
"""

from __future__ import annotations

import polars as pl

from curation.labels.groups import KeyOrder, annotated, codes
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.tables import LABELS_SCHEMA, RANKS, conform

_TOP, _WINS = "_top", "_wins"


def resolve(labels: pl.DataFrame, *, vote_threshold: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C5 on a shard of labels: (labels, changes), both sorted by processid."""
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    order = KeyOrder(labels["barcode_key"])
    conflicted = pl.concat(
        [order.conflicts(codes(labels.select(annotated(rank)).to_series())) for rank in RANKS]
    ).unique()
    rows = labels.select(pl.col("barcode_key").is_in(conflicted.implode()).arg_true()).to_series()
    if rows.is_empty():
        return labels, sort_changes([])
    voted, changes = vote(labels[rows], vote_threshold)
    resolved = labels.with_columns(
        labels[rank].clone().scatter(rows, voted[rank]) for rank in RANKS
    )
    return resolved, sort_changes(changes)


def vote(group: pl.DataFrame, threshold: float) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The vote on the records of some barcode keys, rank by rank: (labels, change frames).

    The share is compared as ``top / votes >= threshold``: one correctly rounded division, so
    9 of 10 is exactly 0.9 and wins at the default threshold.  A tie cannot win (threshold >
    0.5), so the winner is unique.
    """
    changes: list[pl.DataFrame] = []
    for index, rank in enumerate(RANKS):
        verdicts = verdict(group, rank, threshold)
        if verdicts.is_empty():
            continue
        group = group.join(verdicts, on="barcode_key", how="left", maintain_order="left")
        outvoted = pl.col(_WINS).fill_null(False) & annotated(rank).is_not_null()
        outvoted = outvoted & (annotated(rank) != pl.col(_TOP))
        group = group.with_columns(outvoted.alias("_outvoted"))
        relabelled = pl.when(pl.col("_outvoted")).then(pl.col(_TOP)).otherwise(pl.col(rank))
        group, relabels = apply_rule(group, rank, relabelled, "C5_vote")
        changes.append(relabels)
        for deeper in RANKS[index + 1 :]:
            voided = pl.when(~pl.col("_outvoted")).then(pl.col(deeper))
            group, nulled = apply_rule(group, deeper, voided, "C5_outvoted")
            changes.append(nulled)
        curtailed = ~pl.col(_WINS).fill_null(True)
        for deeper in RANKS[index:]:
            kept = pl.when(~curtailed).then(pl.col(deeper))
            group, nulled = apply_rule(group, deeper, kept, "C5_curtail")
            changes.append(nulled)
        group = group.drop(_TOP, _WINS, "_outvoted")
    return group, changes


def verdict(labels: pl.DataFrame, rank: str, threshold: float) -> pl.DataFrame:
    """Per barcode key with several values at ``rank``: the most common value (``_top``) and
    whether it holds at least ``threshold`` of the key's votes (``_wins``)."""
    counts = (
        labels.select("barcode_key", annotated(rank).alias("value"))
        .drop_nulls("value")
        .group_by("barcode_key", "value")
        .agg(pl.len().alias("n"))
    )
    return (
        counts.filter(pl.len().over("barcode_key") > 1)
        .group_by("barcode_key")
        .agg(
            pl.col("value").sort_by(["n", "value"], descending=[True, False]).first().alias(_TOP),
            (pl.col("n").max() / pl.col("n").sum() >= threshold).alias(_WINS),
        )
        .sort("barcode_key")
    )
