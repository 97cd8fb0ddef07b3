"""C6 inference, C4 again, C7 open nomenclature, C8 taxon and the per-record flags.

After the vote (C5) every rank holds at most one distinct value within a barcode key.  C6
copies it into the records of the key that lack it ("inferred from the samples labelled to a
greater degree of detail"), so afterwards all records of a key carry the same labels.  C6 can
create subfamily holes (a genus copied into a record without subfamily), which C4 fills again;
C7 nulls species names that identify no unique species; C8 names the record's taxon.

``inferred_ranks`` and the ``label_was_*`` flags are derived from the whole changes table
(previous stages' and this one's), so they agree with it by construction and a second run
reproduces them.
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels import provenance, subfamily
from curation.labels.groups import KeyOrder, codes
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.tables import CURATED_SCHEMA, LABELS_SCHEMA, RANKS, conform


def infer(
    labels: pl.DataFrame,
    prior_changes: pl.DataFrame,
    *,
    fill_unassigned_subfamily: bool,
    remove_open_nomenclature: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C6, C4 again, C7, C8 and the flags: (curated, all changes), both sorted by processid.

    ``labels`` must be resolved (C5); a key with two values at one rank is an error, not
    something to pick from.  ``prior_changes`` are the changes of normalise and resolve for
    these records; the returned changes are those plus this stage's.
    """
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    order = KeyOrder(labels["barcode_key"])
    changes: list[pl.DataFrame] = [prior_changes]
    for rank in RANKS:
        split = order.conflicts(codes(labels[rank]))
        if split.len():
            raise ValueError(
                f"barcode key {split[0]} has several {rank} values; infer needs labels resolved "
                "by the vote (run resolve first)"
            )
        sources = labels[rank]
        if rank == "species" and remove_open_nomenclature:
            # A species that C7 removes is not copied: inferring it only to null it again
            # would record an inference and a drop that cancel out.
            sources = labels.select(
                pl.when(~names.is_open_nomenclature(pl.col(rank))).then(pl.col(rank))
            ).to_series()
        filled = order.fill(labels[rank], sources)
        labels, inferred = apply_rule(labels, rank, filled, "C6_inferred")
        changes.append(inferred)
    if fill_unassigned_subfamily:
        labels, fillers = subfamily.fill_unassigned_subfamily(
            labels, "C4_unassigned_subfamily_after_inference"
        )
        changes.append(fillers)
    if remove_open_nomenclature:
        unique = pl.when(~names.is_open_nomenclature(pl.col("species"))).then(pl.col("species"))
        labels, removed = apply_rule(labels, "species", unique, "C7_open_nomenclature")
        changes.append(removed)
    all_changes = sort_changes(changes)
    # BINs are compared as strings: with about one BIN per key, coding them costs more than
    # moving them.
    conflicted = order.conflicts(labels["dna_bin"])
    curated = provenance.with_flags(labels, all_changes).with_columns(
        taxon(), pl.col("barcode_key").is_in(conflicted.implode()).alias("bin_conflict")
    )
    return conform(curated, CURATED_SCHEMA), all_changes


def taxon() -> pl.Expr:
    """C8: the deepest non-null rank, never a subfamily filler (DECISIONS.md A14)."""
    subfamily = pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily"))
    deepest_first = [pl.col(rank) if rank != "subfamily" else subfamily for rank in reversed(RANKS)]
    return pl.coalesce(deepest_first).alias("taxon")
