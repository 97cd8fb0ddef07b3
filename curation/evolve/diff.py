"""What changed from one release to the next: records added, removed, relabelled and moved
between splits, species that changed species set, and the counts per split and per species
before and after (docs/formats.md#release-diff).

Pure: frames of the two releases' records (``curation.evolve.releases.read_release``) and their
changes tables in, the diff tables (``schemas.tables.DIFF_SCHEMAS``) out, each
sorted by its key.  A release compared with itself gives empty difference tables and equal
counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curation.partition.species_sets import species_set
from schemas.tables import DIFF_DIFFERENCES, DIFF_SCHEMAS, RANK_DTYPE, RANKS, SPLITS, conform

#: The columns of a release the diff reads.
DIFF_COLUMNS: tuple[str, ...] = tuple(DIFF_SCHEMAS["added"])
#: Joins the names of several rules (a label several rules changed) and several species sets.
RULE_SEPARATOR = ", "
SET_SEPARATOR = "+"
#: The row order of each table.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "added": ("processid",),
    "removed": ("processid",),
    "relabelled": ("processid", "rank"),
    "moved": ("processid",),
    "species_sets": ("species",),
    "split_counts": ("split",),
    "species_counts": ("species",),
}


@dataclass(frozen=True)
class ReleaseDiff:
    """The diff tables, by name (DIFF_SCHEMAS), and whether each release had a changes table
    (else its ``*_rule`` column is empty)."""

    tables: dict[str, pl.DataFrame]
    old_rules: bool
    new_rules: bool

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def is_empty(self) -> bool:
        """No record added, removed, relabelled or moved and no species changed set."""
        return all(self.tables[name].is_empty() for name in DIFF_DIFFERENCES)


def diff(
    old: pl.DataFrame,
    new: pl.DataFrame,
    old_changes: pl.DataFrame | None = None,
    new_changes: pl.DataFrame | None = None,
) -> ReleaseDiff:
    """The diff from the ``old`` release to the ``new`` one (records with DIFF_COLUMNS, one row
    per processid).  ``*_changes`` are the releases' changes tables (CHANGES_SCHEMA), where they
    have one: they name the rules that made each side of a relabelling."""
    old, new = _by_processid(old), _by_processid(new)
    in_new = _found(old["processid"], new["processid"])
    in_old = _found(new["processid"], old["processid"])
    added, removed = new.filter(~in_old), old.filter(~in_new)
    relabelled, moved = _in_both(old.filter(in_new), new.filter(in_old), old_changes, new_changes)
    species_counts = _species_counts(old, new)
    tables = {
        "added": added,
        "removed": removed,
        "relabelled": relabelled,
        "moved": moved,
        "species_sets": species_counts.filter(pl.col("old_set").ne_missing(pl.col("new_set"))),
        "split_counts": _split_counts(old, new, moved, added, removed),
        "species_counts": species_counts,
    }
    return ReleaseDiff(
        {
            name: conform(table, DIFF_SCHEMAS[name]).sort(SORT_KEYS[name], nulls_last=True)
            for name, table in tables.items()
        },
        old_rules=old_changes is not None,
        new_rules=new_changes is not None,
    )


def _by_processid(release: pl.DataFrame) -> pl.DataFrame:
    """``release`` as the diff reads it: DIFF_COLUMNS, sorted by processid (read_release's order
    already, which is checked, not redone)."""
    release = conform(release, DIFF_SCHEMAS["added"])
    if release["processid"].is_sorted():
        return release
    return release[release["processid"].arg_sort()]


def _found(keys: pl.Series, among: pl.Series) -> pl.Series:
    """Which of ``keys`` are in ``among`` (sorted): a binary search each, so two releases are
    matched without the hash table of a join (1 GiB at 5.15 M records)."""
    if among.is_empty():
        return pl.repeat(False, keys.len(), eager=True)
    at = among.search_sorted(keys, side="left").clip(upper_bound=among.len() - 1)
    return (among.gather(at) == keys).fill_null(False)


def _in_both(
    old: pl.DataFrame,
    new: pl.DataFrame,
    old_changes: pl.DataFrame | None,
    new_changes: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The relabelled and the moved records among ``old`` and ``new``, the records of both
    releases, in the same (processid) order.  The two side by side are let go on return."""
    suffixed = new.drop("processid").rename(lambda name: f"{name}_new")
    kept = old.hstack(suffixed)
    moved = kept.filter(pl.col("split") != pl.col("split_new")).select(
        "processid", old_split="split", new_split="split_new"
    )
    return _relabelled(kept, old_changes, new_changes), moved


def _relabelled(
    kept: pl.DataFrame, old_changes: pl.DataFrame | None, new_changes: pl.DataFrame | None
) -> pl.DataFrame:
    """One row per record of both releases and rank whose label differs (a label gained or
    lost counts), with each release's rules that made its value."""
    relabels = pl.concat(
        [
            kept.filter(pl.col(rank).ne_missing(pl.col(f"{rank}_new"))).select(
                "processid",
                rank=pl.lit(rank, dtype=RANK_DTYPE),
                old_value=pl.col(rank),
                new_value=pl.col(f"{rank}_new"),
            )
            for rank in RANKS
        ]
    )
    for side, changes in (("old", old_changes), ("new", new_changes)):
        relabels = _with_rules(relabels, changes, f"{side}_rule")
    return relabels


def _with_rules(relabels: pl.DataFrame, changes: pl.DataFrame | None, name: str) -> pl.DataFrame:
    """``relabels`` with column ``name``: the rules of ``changes`` that changed each label, in
    order of application (null: none did, or no changes table)."""
    if changes is None:
        return relabels.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    # The changes table is in order of application within a record (docs/curation.md#provenance).
    rules = (
        changes.filter(pl.col("column").is_in(RANKS))
        .group_by("processid", "column", maintain_order=True)
        .agg(pl.col("rule").unique(maintain_order=True).str.join(RULE_SEPARATOR).alias(name))
        .with_columns(rank=pl.col("column").cast(RANK_DTYPE))
        .drop("column")
    )
    return relabels.join(rules, on=["processid", "rank"], how="left")


def _split_counts(
    old: pl.DataFrame,
    new: pl.DataFrame,
    moved: pl.DataFrame,
    added: pl.DataFrame,
    removed: pl.DataFrame,
) -> pl.DataFrame:
    """Per split: records before and after, and how one becomes the other (old = kept +
    moved_out + removed; new = kept + moved_in + added)."""
    counts = pl.DataFrame({"split": pl.Series(SPLITS, dtype=DIFF_SCHEMAS["moved"]["old_split"])})
    for name, frame, column in (
        ("old_records", old, "split"),
        ("new_records", new, "split"),
        ("moved_out", moved, "old_split"),
        ("moved_in", moved, "new_split"),
        ("removed", removed, "split"),
        ("added", added, "split"),
    ):
        per_split = frame.group_by(column).agg(pl.len().alias(name)).rename({column: "split"})
        counts = counts.join(per_split, on="split", how="left")
    counts = counts.fill_null(0)
    return counts.with_columns(kept=pl.col("old_records") - pl.col("moved_out") - pl.col("removed"))


def _species_counts(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Per species (null: records without a species label): records and species set in each
    release; a species absent from a release has 0 records and a null set there."""
    before, after = _species(old, "old"), _species(new, "new")
    both = before.join(after, on="species", how="full", coalesce=True, nulls_equal=True)
    return both.with_columns(pl.col("old_records", "new_records").fill_null(0))


def _species(records: pl.DataFrame, which: str) -> pl.DataFrame:
    """Records and species set of each species of one release.  A species whose records are in
    several sets gets them all, in SPECIES_SETS order, joined by SET_SEPARATOR."""
    return records.group_by("species").agg(
        pl.len().cast(pl.Int64).alias(f"{which}_records"),
        species_set("split")
        .unique()
        .sort()
        .cast(pl.String)
        .str.join(SET_SEPARATOR)
        .alias(f"{which}_set"),
    )
