"""The global label steps, after the barcode shards are gathered (docs/curation.md#order).

Subfamily completion and the homonym rule look at every record of a name, not at one barcode,
so they run once on the gathered labels: the homonym rule first (it removes the lineages that
would place a genus in two subfamilies), then subfamily completion.  Then the record's
``taxon`` (C8), the flags and ``inferred_ranks`` (from the whole changes table) and the BIN
conflicts are derived, and the labels become the curated table.  The inputs are sorted by
processid whatever the shard count, so the output is too.  :func:`plan` and
:func:`complete_shard` do the same one barcode shard at a time (rule ``gather_curation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curation import names
from curation.labels import homonyms, provenance, subfamily
from curation.labels.groups import KeyOrder
from curation.labels.provenance import by_processid, sort_changes
from schemas.tables import CURATED_SCHEMA, LABELS_SCHEMA, RANKS, conform


@dataclass(frozen=True)
class Plan:
    """What the global steps decide from every record: the homonym cuts and the subfamily
    placements of the genera.  Both come from the distinct label paths, so a run over barcode
    shards plans once from the shards' summed paths and completes each shard on its own."""

    cuts: list[tuple[str, pl.DataFrame]]
    placed: pl.DataFrame


def plan(paths: pl.DataFrame) -> Plan:
    """The :class:`Plan` of labels whose :func:`homonyms.label_paths` are ``paths`` (summed over
    every shard: :func:`homonyms.sum_paths`)."""
    cuts, cut_paths = homonyms.plan(paths)
    return Plan(cuts=cuts, placed=subfamily.placements(cut_paths))


def complete(
    labels: pl.DataFrame, changes: pl.DataFrame, *, fill_unassigned_subfamily: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Homonyms, subfamily completion, taxon, flags, BIN conflicts: (curated, all changes).

    ``labels`` are the inferred labels of every record and ``changes`` everything the shards
    changed; both are returned sorted by processid, the changes in their contract order.
    """
    labels = conform(labels, LABELS_SCHEMA)
    return complete_shard(
        labels,
        changes,
        plan(homonyms.label_paths(labels)),
        fill_unassigned_subfamily=fill_unassigned_subfamily,
    )


def complete_shard(
    labels: pl.DataFrame, changes: pl.DataFrame, planned: Plan, *, fill_unassigned_subfamily: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`complete` of one barcode shard (every record of its keys, with their changes),
    given the :class:`Plan` of all shards: each step below is per record, per processid or per
    barcode key, so the shards' results together are :func:`complete` of all records."""
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    labels, curtailed = homonyms.apply_cuts(labels, planned.cuts)
    labels, completed = subfamily.complete(
        labels, fill_unassigned_subfamily=fill_unassigned_subfamily, placed=planned.placed
    )
    all_changes = sort_changes([changes, *curtailed, completed])
    # BINs are compared as strings: with about one BIN per key, coding them costs more than
    # moving them.
    conflicted = KeyOrder(labels["barcode_key"]).conflicts(labels["dna_bin"])
    curated = provenance.with_flags(labels, all_changes).with_columns(
        taxon(), pl.col("barcode_key").is_in(conflicted.implode()).alias("bin_conflict")
    )
    return conform(curated, CURATED_SCHEMA), all_changes


def taxon() -> pl.Expr:
    """C8: the deepest non-null rank, never a subfamily filler (docs/curation.md#taxon)."""
    subfamily_label = pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily"))
    deepest_first = [
        pl.col(rank) if rank != "subfamily" else subfamily_label for rank in reversed(RANKS)
    ]
    return pl.coalesce(deepest_first).alias("taxon")
