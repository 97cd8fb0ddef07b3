"""The global label steps, after the barcode shards are gathered (docs/curation.md#order).

Subfamily completion and the homonym rule look at every record of a name, not at one barcode,
so they run once on the gathered labels: the homonym rule first (it removes the lineages that
would place a genus in two subfamilies), then subfamily completion.  Then the record's
``taxon`` (C8), the flags and ``inferred_ranks`` (from the whole changes table) and the BIN
conflicts are derived, and the labels become the curated table.  The inputs are sorted by
processid whatever the shard count, so the output is too.  :func:`plan` and
:func:`gather` do the same one piece of records at a time (rule ``gather_curation``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import polars as pl

from curation import names
from curation.labels import homonyms, provenance, subfamily
from curation.labels.groups import KeyOrder
from curation.labels.provenance import by_processid, sort_changes
from schemas.tables import CURATED_SCHEMA, LABELS_SCHEMA, RANKS, conform

#: Bytes of memory one record of a piece of the global steps may take: with the next piece read
#: and the last one written, pieces of 1 Mi records (this figure at the default 3 GiB) peaked at
#: 1.1 GiB in rule gather_curation at 5.15 M records.
PIECE_RECORD_BYTES = 1536
#: Share of the memory budget a piece may fill, and the fewest records of a piece.
_BUDGET_SHARE, _MIN_PIECE = 0.5, 1024


def piece_rows(memory_gb: float) -> int:
    """Records of one piece of the global steps in rule gather_curation (a processid range of
    every shard, :func:`gather`): as many as ``memory_gb`` allows, whatever the input size."""
    return max(_MIN_PIECE, int(memory_gb * (1 << 30) * _BUDGET_SHARE) // PIECE_RECORD_BYTES)


@dataclass(frozen=True)
class Plan:
    """What the global steps decide from every record: the homonym cuts, the subfamily
    placements of the genera and the barcode keys whose records carry two BINs.  The first two
    come from the distinct label paths, the keys from each shard (all records of a key are in
    one shard); so a run over barcode shards plans once from the shards' :func:`shard_facts`
    and completes any set of records (with their changes) on its own."""

    cuts: list[tuple[str, pl.DataFrame]]
    placed: pl.DataFrame
    conflicted: pl.Series


def shard_facts(labels: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What :func:`plan` needs of one barcode shard of inferred labels: its label paths
    (:func:`homonyms.label_paths`) and its keys whose BINs conflict (``barcode_key``).  Small
    tables, made where the shard is in memory anyway (rule infer)."""
    labels = conform(labels, LABELS_SCHEMA)
    # BINs are compared as strings: with about one BIN per key, coding them costs more than
    # moving them.
    conflicted = KeyOrder(labels["barcode_key"]).conflicts(labels["dna_bin"])
    return homonyms.label_paths(labels), conflicted.alias("barcode_key").to_frame()


def plan(paths: pl.DataFrame, conflicts: pl.DataFrame) -> Plan:
    """The :class:`Plan` of labels whose :func:`homonyms.label_paths` are ``paths`` (summed over
    every shard: :func:`homonyms.sum_paths`) and whose conflicting keys are ``conflicts``."""
    cuts, cut_paths = homonyms.plan(paths)
    return Plan(
        cuts=cuts,
        placed=subfamily.placements(cut_paths),
        conflicted=conflicts["barcode_key"].unique().sort(),
    )


def complete(
    labels: pl.DataFrame, changes: pl.DataFrame, *, fill_unassigned_subfamily: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Homonyms, subfamily completion, taxon, flags, BIN conflicts: (curated, all changes).

    ``labels`` are the inferred labels of every record and ``changes`` everything the shards
    changed; both are returned sorted by processid, the changes in their contract order.
    """
    return complete_piece(
        labels,
        changes,
        plan(*shard_facts(labels)),
        fill_unassigned_subfamily=fill_unassigned_subfamily,
    )


def complete_piece(
    labels: pl.DataFrame, changes: pl.DataFrame, planned: Plan, *, fill_unassigned_subfamily: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`complete` of some records (a barcode shard, a processid range of every shard),
    with their changes, given the :class:`Plan` of all records: each step below is per
    record or per processid once the plan is made, so the pieces' results together are
    :func:`complete` of all records."""
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    labels, curtailed = homonyms.apply_cuts(labels, planned.cuts)
    labels, completed = subfamily.complete(
        labels, fill_unassigned_subfamily=fill_unassigned_subfamily, placed=planned.placed
    )
    all_changes = sort_changes([changes, *curtailed, completed])
    conflicted = pl.col("barcode_key").is_in(planned.conflicted.implode())
    curated = provenance.with_flags(labels, all_changes).with_columns(
        taxon(), conflicted.alias("bin_conflict")
    )
    return conform(curated, CURATED_SCHEMA), all_changes


def gather(
    pieces: Iterable[tuple[pl.DataFrame, pl.DataFrame]],
    planned: Plan,
    *,
    fill_unassigned_subfamily: bool,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame]]]:
    """The global steps piece by piece (rule gather_curation): for each piece of records with
    their changes, in order, its curated labels, changes and summary facts
    (:func:`provenance.summary_facts`, whose :func:`provenance.summarise_facts` is the run's
    summary).  Pieces in processid order give the curated and changes tables in that order."""
    for labels, changes in pieces:
        curated, all_changes = complete_piece(
            labels, changes, planned, fill_unassigned_subfamily=fill_unassigned_subfamily
        )
        yield curated, all_changes, provenance.summary_facts(curated, all_changes)


def taxon() -> pl.Expr:
    """C8: the deepest non-null rank, never a subfamily filler (docs/curation.md#taxon)."""
    subfamily_label = pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily"))
    deepest_first = [
        pl.col(rank) if rank != "subfamily" else subfamily_label for rank in reversed(RANKS)
    ]
    return pl.coalesce(deepest_first).alias("taxon")
