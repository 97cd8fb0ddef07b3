"""The global label steps, after the barcode shards are gathered (docs/curation.md#order).

Subfamily completion and the homonym rule look at every record of a name, not at one barcode,
so they run once on the gathered labels: the homonym rule first (it removes the lineages that
would place a genus in two subfamilies), then subfamily completion.  Then the record's
``taxon`` (C8), the flags and ``inferred_ranks`` (from the whole changes table) and the BIN
conflicts are derived, and the labels become the curated table.  The inputs are sorted by
processid whatever the shard count, so the output is too.
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels import homonyms, provenance, subfamily
from curation.labels.groups import KeyOrder
from curation.labels.provenance import by_processid, sort_changes
from schemas.tables import CURATED_SCHEMA, LABELS_SCHEMA, RANKS, conform


def complete(
    labels: pl.DataFrame, changes: pl.DataFrame, *, fill_unassigned_subfamily: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Homonyms, subfamily completion, taxon, flags, BIN conflicts: (curated, all changes).

    ``labels`` are the inferred labels of every record and ``changes`` everything the shards
    changed; both are returned sorted by processid, the changes in their contract order.
    """
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    labels, curtailed = homonyms.curtail(labels)
    labels, completed = subfamily.complete(
        labels, fill_unassigned_subfamily=fill_unassigned_subfamily
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
