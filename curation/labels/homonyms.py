"""Homonyms: a genus or species name under two lineages after curation (docs/curation.md#homonyms).

The vote leaves one label path per barcode, but across barcodes a name can still sit under two
parents: ``Lutzomyia longipalpis`` under Psychodidae on most barcodes and under another family
on a few, or a placeholder genus code reused in two families.  Left as it is, one species would
be two classes, and a placeholder species would count as "seen" through a homonym genus of
another family.

The rule runs on all records at once, after inference.  A *lineage* of a name is the tuple of
its ancestors (phylum ... the rank above; a subfamily filler counts as no subfamily).  Two
lineages *conflict* when they hold different taxa at some rank (a missing ancestor conflicts
with nothing).  For each genus, then each species, name:

* the *reference* lineage is the one with most records; each lineage that conflicts with it is
  curtailed at the first rank where they differ: that rank and every deeper one are nulled for
  its records (the records keep what is not in dispute);
* if a conflicting lineage has as many records as the reference, there is no majority: every
  record of the name is curtailed at the shallowest rank where its lineages hold two taxa;
* where the reference names no taxon, the lineages left standing may still name two: rank by
  rank, the largest of them decides, and those naming another taxon are curtailed at that rank
  (on a tie, all that name the rank are).

Lineages that differ only by missing ancestors are not curtailed; they are reported by
:func:`curation.labels.provenance.hierarchy_report`.  The work is done on the distinct label
paths, and only the records of the names concerned are touched.
"""

from __future__ import annotations

import polars as pl

from curation.labels.groups import annotated
from curation.labels.provenance import apply_rule
from schemas.tables import RANKS

#: The ranks whose names are made single-parented, in this order (a genus curtailed removes
#: its species too, so the species pass sees the result).
RANKS_CHECKED = ("genus", "species")
RULE = "homonym_curtail"
_CUT = "_cut"


def curtail(labels: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The homonym rule on all curated labels: (labels, change frames)."""
    cuts, _ = plan(label_paths(labels))
    return apply_cuts(labels, cuts)


def plan(paths: pl.DataFrame) -> tuple[list[tuple[str, pl.DataFrame]], pl.DataFrame]:
    """The cuts of every checked rank, from the label paths of *all* records: ([(rank, cuts)],
    the paths after them).

    A cut depends only on the names' lineages and record counts, which the paths hold, and the
    species pass sees the genera's result by cutting the paths themselves; so a run over barcode
    shards sums the shards' paths, plans once and applies the cuts shard by shard.
    """
    planned: list[tuple[str, pl.DataFrame]] = []
    for rank in RANKS_CHECKED:
        cuts = lineage_cuts(paths, rank)
        if cuts.is_empty():
            continue
        planned.append((rank, cuts))
        paths = _cut_paths(paths, rank, cuts)
    return planned, paths


def apply_cuts(
    labels: pl.DataFrame, cuts: list[tuple[str, pl.DataFrame]]
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Labels (all records or one barcode shard) with the planned cuts applied, in rank order:
    (labels, change frames)."""
    changes: list[pl.DataFrame] = []
    for rank, rank_cuts in cuts:
        labels, curtailed = _apply(labels, rank, rank_cuts)
        changes += curtailed
    return labels, changes


def sum_paths(paths: list[pl.DataFrame]) -> pl.DataFrame:
    """Several tables of label paths (e.g. one per shard) as one: their ``records`` summed."""
    return (
        pl.concat([frame.select(*RANKS, "records") for frame in paths], how="vertical")
        .group_by(RANKS)
        .agg(pl.col("records").sum().cast(pl.UInt32))
    )


def label_paths(labels: pl.DataFrame) -> pl.DataFrame:
    """The distinct label paths (fillers as null) with their record counts (``records``)."""
    return (
        labels.lazy()
        .select(annotated(rank) for rank in RANKS)
        .group_by(RANKS)
        .agg(pl.len().alias("records"))
        .collect()
    )


def lineage_cuts(paths: pl.DataFrame, rank: str) -> pl.DataFrame:
    """The lineages of ``rank``'s names to curtail: the name, its ancestors, ``records`` and
    ``_cut``, the index of the shallowest rank to null (see the module docstring)."""
    ancestors = list(RANKS[: RANKS.index(rank)])
    lineages = (
        paths.filter(pl.col(rank).is_not_null())
        .group_by(rank, *ancestors)
        .agg(pl.col("records").sum())
        .filter(pl.len().over(rank) > 1)
    )
    if lineages.is_empty():
        return lineages.with_columns(pl.lit(None, pl.UInt8).alias(_CUT))
    ordered = lineages.sort(
        [rank, "records", *ancestors],
        descending=[False, True, *[False] * len(ancestors)],
        nulls_last=True,
    )
    reference = ordered.group_by(rank, maintain_order=True).first()
    reference = reference.rename({name: f"_ref_{name}" for name in [*ancestors, "records"]})
    joined = lineages.join(reference, on=rank, how="left")
    conflict = pl.min_horizontal(
        pl.when(
            pl.col(a).is_not_null()
            & pl.col(f"_ref_{a}").is_not_null()
            & (pl.col(a) != pl.col(f"_ref_{a}"))
        ).then(pl.lit(index, pl.UInt8))
        for index, a in enumerate(ancestors)
    )
    tied = ((pl.col("records") == pl.col("_ref_records")) & conflict.is_not_null()).any()
    disputed = pl.min_horizontal(
        pl.when(pl.col(a).drop_nulls().n_unique().over(rank) > 1).then(pl.lit(index, pl.UInt8))
        for index, a in enumerate(ancestors)
    )
    cut = pl.when(tied.over(rank)).then(disputed).otherwise(conflict)
    decided = joined.with_columns(cut.alias(_CUT)).select(rank, *ancestors, "records", _CUT)
    return (
        _settle_where_the_reference_is_silent(decided, rank, ancestors)
        .filter(pl.col(_CUT).is_not_null())
        .sort(rank, *ancestors, nulls_last=True)
    )


def _settle_where_the_reference_is_silent(
    lineages: pl.DataFrame, rank: str, ancestors: list[str]
) -> pl.DataFrame:
    """The lineages left standing agree with the reference, but may still name different taxa
    where it names none (a genus without a subfamily on most records, in two subfamilies on
    the rest).  Rank by rank, shallowest first, the standing lineage with most records that
    names the rank decides it (ordered as the reference is chosen); a standing lineage naming
    another taxon there is cut at that rank, and if one of as many records does, every
    standing lineage naming the rank is (no majority)."""
    descending = [False, True, *[False] * len(ancestors)]
    for index, ancestor in enumerate(ancestors):
        naming = pl.col(_CUT).is_null() & pl.col(ancestor).is_not_null()
        decided = (
            lineages.filter(naming)
            .sort([rank, "records", *ancestors], descending=descending, nulls_last=True)
            .group_by(rank, maintain_order=True)
            .agg(pl.col(ancestor).first().alias("_taxon"), pl.col("records").first().alias("_most"))
        )
        if decided.is_empty():
            continue
        other = naming & (pl.col(ancestor) != pl.col("_taxon")).fill_null(False)
        tied = (other & (pl.col("records") == pl.col("_most"))).any().over(rank)
        lineages = (
            lineages.join(decided, on=rank, how="left")
            .with_columns(
                pl.when(other | (naming & tied))
                .then(pl.lit(index, pl.UInt8))
                .otherwise(pl.col(_CUT))
                .alias(_CUT)
            )
            .drop("_taxon", "_most")
        )
    return lineages


def _with_cut(frame: pl.DataFrame, rank: str, cuts: pl.DataFrame) -> pl.DataFrame:
    """``frame`` plus ``_cut``: for a row on a lineage of ``cuts``, its cut, else null."""
    keys = [name for name in RANKS[: RANKS.index(rank) + 1]]
    named = frame.with_row_index("_row").filter(pl.col(rank).is_in(cuts[rank].unique().implode()))
    matched = named.with_columns(annotated("subfamily")).join(
        cuts.select(*keys, _CUT), on=keys, how="inner", nulls_equal=True
    )
    cut = pl.repeat(None, frame.height, dtype=pl.UInt8, eager=True).scatter(
        matched["_row"], matched[_CUT]
    )
    return frame.with_columns(cut.alias(_CUT))


def _kept(index: int, column: str) -> pl.Expr:
    """``column`` (the ``index``-th rank) where the row's cut is deeper, else null."""
    return pl.when(pl.col(_CUT).fill_null(len(RANKS)) > index).then(pl.col(column))


def _apply(
    labels: pl.DataFrame, rank: str, cuts: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Null, for the records on a lineage of ``cuts``, the rank ``_cut`` and every deeper one."""
    labels = _with_cut(labels, rank, cuts)
    changes = []
    for index, column in enumerate(RANKS):
        labels, curtailed = apply_rule(labels, column, _kept(index, column), RULE)
        changes.append(curtailed)
    return labels.drop(_CUT), changes


def _cut_paths(paths: pl.DataFrame, rank: str, cuts: pl.DataFrame) -> pl.DataFrame:
    """The label paths after :func:`_apply` of ``cuts`` to their records, summed again."""
    cut = _with_cut(paths, rank, cuts)
    return sum_paths([cut.with_columns(_kept(i, column) for i, column in enumerate(RANKS))])
