"""C4, subfamily completion at genus level (docs/curation.md#subfamily-completion).

The paper fills the subfamily of the genera "not grouped into a subfamily" so that genus ->
subfamily is a function.  It runs on all records at once, after inference (and the homonym
rule), and looks at genera, not at single records:

* a genus that the curated records place in exactly one subfamily gives it to its records that
  lack one (``Plutella`` records without a subfamily get ``Plutellinae``);
* a genus placed in no subfamily gets ``unassigned <Family>`` (the record's own family; without
  a family there is nothing to name the filler after, so the hole stays);
* a genus placed in several subfamilies is left as it is and reported;
* a filler never ends a record: one without a genus under it is removed.

A filler in the input is no placement (it never voted either), so it is completed like a
missing subfamily.  The rule records its changes as ``C4_subfamily_completion``; it does not
change ``inferred_ranks``.
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels.groups import annotated
from curation.labels.provenance import apply_rule

RULE = "C4_subfamily_completion"


def placements(labels: pl.DataFrame) -> pl.DataFrame:
    """Per genus with a real subfamily somewhere: ``subfamilies`` (how many distinct) and
    ``placed`` (the subfamily when there is exactly one).  ``labels`` may be the records or
    their distinct label paths (:func:`curation.labels.homonyms.label_paths`): the same
    placements."""
    return (
        labels.lazy()
        .select("genus", annotated("subfamily"))
        .drop_nulls()
        .group_by("genus")
        .agg(
            pl.col("subfamily").n_unique().alias("subfamilies"),
            pl.col("subfamily").first().alias("placed"),
        )
        .with_columns(pl.when(pl.col("subfamilies") == 1).then(pl.col("placed")).alias("placed"))
        .sort("genus")
        .collect()
    )


def complete(
    labels: pl.DataFrame, *, fill_unassigned_subfamily: bool, placed: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Subfamily completion on all curated labels: (labels, changes).

    With ``fill_unassigned_subfamily`` off, no filler is written and those of the input are
    removed; the placed genera are still completed.  ``placed`` are the :func:`placements` of
    every record, given when ``labels`` are one barcode shard of them.
    """
    placed = placements(labels) if placed is None else placed
    several = placed.filter(pl.col("subfamilies") > 1)["genus"].implode()
    single = placed.filter(pl.col("subfamilies") == 1)
    subfamily = pl.col("subfamily")
    known = annotated("subfamily").is_not_null()
    from_genus = pl.col("genus").replace_strict(
        single["genus"], single["placed"], default=None, return_dtype=pl.String
    )
    unplaced = names.filler(pl.col("family")) if fill_unassigned_subfamily else pl.lit(None)
    value = (
        pl.when(pl.col("genus").is_null())
        .then(pl.when(known).then(subfamily))
        .when(known)
        .then(subfamily)
        .when(from_genus.is_not_null())
        .then(from_genus)
        .when(pl.col("genus").is_in(several))
        .then(subfamily if fill_unassigned_subfamily else pl.lit(None))
        .otherwise(unplaced)
    )
    return apply_rule(labels, "subfamily", value, RULE)
