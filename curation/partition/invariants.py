"""The invariants a partition must satisfy (docs/curation.md#invariants), as a table of checks.

Each check finds its violations in a deterministic order; the partition fails when any check has
one, and ``checks.json`` (shown in the quality report) lists every check with its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from schemas.config import PartitionConfig
from schemas.tables import SPECIES_SET_OF_SPLIT

#: Examples quoted per failed invariant, in the error message and in checks.json.
MAX_EXAMPLES = 5
SEEN_SPLITS = ("train", "val", "test")
UNSEEN_SPLITS = ("key_unseen", "val_unseen", "test_unseen")


@dataclass(frozen=True)
class Facts:
    """What the checks look at once every step has run."""

    #: Every record with its final ``state``.
    records: pl.DataFrame
    #: The species-labelled records with ``split`` (state as text) and ``set`` (species set).
    labelled: pl.DataFrame
    #: Distinct (barcode_key, state_code) pairs.
    key_splits: pl.DataFrame
    #: The seen species with a single record.
    singletons: pl.Series
    #: Records a step relabelled without being its candidates (step_no, step, key, species, before).
    leaks: pl.DataFrame
    cfg: PartitionConfig


@dataclass(frozen=True)
class Invariant:
    name: str
    #: What a violation counts: records, species, keys, ...
    unit: str
    violations: Callable[[Facts], pl.DataFrame]
    describe: Callable[[dict[str, Any]], str]


def gather_facts(
    records: pl.DataFrame,
    labelled: pl.DataFrame,
    key_splits: pl.DataFrame,
    singletons: pl.Series,
    leaks: pl.DataFrame,
    cfg: PartitionConfig,
) -> Facts:
    """The checks' view of a run; ``labelled`` is the run's own (species-labelled) frame."""
    all_sets = {**SPECIES_SET_OF_SPLIT, "seen": "seen", "unseen": "unseen"}
    labelled = labelled.with_columns(
        split=pl.col("state").cast(pl.String),
        set=pl.col("state").replace_strict(all_sets, return_dtype=pl.String),
    )
    return Facts(records, labelled, key_splits, singletons, leaks, cfg)


def run_checks(facts: Facts) -> list[dict[str, Any]]:
    """Every invariant's outcome, JSON-able, in table order."""
    results = []
    for invariant in INVARIANTS:
        bad = invariant.violations(facts)
        examples = bad.head(MAX_EXAMPLES).iter_rows(named=True)
        results.append(
            {
                "name": invariant.name,
                "passed": bad.height == 0,
                "violations": bad.height,
                "unit": invariant.unit,
                "examples": [invariant.describe(row) for row in examples],
            }
        )
    return results


def _left_provisional(facts: Facts) -> pl.DataFrame:
    # Unlabelled records are never "seen"/"unseen": no step gives those states by key.
    provisional = pl.col("state").is_in(["seen", "unseen"])
    return facts.labelled.filter(provisional).sort("processid")


def _pretrain_not_unlabelled(facts: Facts) -> pl.DataFrame:
    wrong = (pl.col("state") == "pretrain") != pl.col("species").is_null()
    return facts.records.filter(wrong).sort("barcode_key", "processid")


def _species_in_two_sets(facts: Facts) -> pl.DataFrame:
    return (
        facts.labelled.group_by("species")
        .agg(sets=pl.col("set").unique().sort())
        .filter(pl.col("sets").list.len() > 1)
        .sort("species")
    )


def _keys_in_two_splits(facts: Facts) -> pl.DataFrame:
    shared = facts.key_splits.filter(pl.col("barcode_key").is_duplicated())["barcode_key"]
    return (
        facts.records.filter(pl.col("barcode_key").is_in(shared.implode()))
        .group_by("barcode_key")
        .agg(
            splits=pl.col("state").cast(pl.String).unique().sort(),
            species=pl.col("species").drop_nulls().unique().sort(),
        )
        .sort("barcode_key")
    )


def _missing_from(splits: tuple[str, ...], home: str) -> Callable[[Facts], pl.DataFrame]:
    """(species, split) pairs of ``splits`` whose species has no record in ``home``."""

    def violations(facts: Facts) -> pl.DataFrame:
        labelled = facts.labelled
        at_home = labelled.filter(pl.col("split") == home).get_column("species").unique()
        away = pl.col("split").is_in(splits) & ~pl.col("species").is_in(at_home.implode())
        return labelled.filter(away).group_by("species", "split").len().sort("species", "split")

    return violations


def _unseen_genera_not_in_train(facts: Facts) -> pl.DataFrame:
    labelled = facts.labelled
    train_genera = labelled.filter(pl.col("state") == "train").get_column("genus").unique()
    stray = pl.col("split").is_in(UNSEEN_SPLITS) & ~pl.col("genus").is_in(
        train_genera.implode(), nulls_equal=True
    )
    return (
        labelled.filter(stray)
        .group_by("genus", "species")
        .len()
        .sort("genus", "species", nulls_last=True)
    )


def _small_unseen_species(facts: Facts) -> pl.DataFrame:
    return (
        facts.labelled.filter(pl.col("set") == "unseen")
        .group_by("species")
        .len()
        .filter(pl.col("len") < facts.cfg.unseen_min_rows)
        .sort("species")
    )


def _thin_test_species(facts: Facts) -> pl.DataFrame:
    """Species of a test split below the minimums: records and keys in its species set, and
    records in the split itself."""
    cfg = facts.cfg
    found = []
    for split, set_splits in (("test", SEEN_SPLITS), ("test_unseen", UNSEEN_SPLITS)):
        per_species = (
            facts.labelled.filter(pl.col("split").is_in(set_splits))
            .group_by("species")
            .agg(
                test_rows=(pl.col("split") == split).sum().cast(pl.Int64),
                rows=pl.len().cast(pl.Int64),
                keys=pl.col("barcode_key").n_unique().cast(pl.Int64),
            )
        )
        thin = (
            (pl.col("test_rows") < cfg.test_lower_bound)
            | (pl.col("rows") < cfg.test_min_rows)
            | (pl.col("keys") < 2)
        )
        found.append(
            per_species.filter((pl.col("test_rows") > 0) & thin)
            .with_columns(split=pl.lit(split))
            .select("species", "split", "test_rows", "rows", "keys")
            .sort("species")
        )
    return pl.concat(found)


def _singletons_outside_train(facts: Facts) -> pl.DataFrame:
    lost = pl.col("species").is_in(facts.singletons.implode()) & (pl.col("split") != "train")
    return facts.labelled.filter(lost).sort("species", "processid")


def _leaks(facts: Facts) -> pl.DataFrame:
    return facts.leaks.sort("step_no", "barcode_key", "species", "before", nulls_last=True)


def _in_split(row: dict[str, Any]) -> str:
    return f"{row['species']!r} in {row['split']}"


#: The invariants, in the order checks.json lists them.
INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "one_split_per_row",
        "records",
        _left_provisional,
        lambda r: f"{r['processid']} left in {r['state']!r}",
    ),
    Invariant(
        "pretrain_iff_species_null",
        "records",
        _pretrain_not_unlabelled,
        lambda r: (
            f"{r['processid']} (key {r['barcode_key']}, species {r['species']!r}) in {r['state']}"
        ),
    ),
    Invariant(
        "species_sets_disjoint",
        "species",
        _species_in_two_sets,
        lambda r: f"{r['species']!r} in sets {r['sets']}",
    ),
    Invariant(
        "key_in_one_split",
        "keys",
        _keys_in_two_splits,
        lambda r: f"key {r['barcode_key']} in {r['splits']} (species {r['species']})",
    ),
    Invariant(
        "eval_species_in_train",
        "species/split pairs",
        _missing_from(("val", "test"), "train"),
        _in_split,
    ),
    Invariant(
        "unseen_eval_species_in_key_unseen",
        "species/split pairs",
        _missing_from(("val_unseen", "test_unseen"), "key_unseen"),
        _in_split,
    ),
    Invariant(
        "unseen_genera_in_train",
        "genus/species pairs",
        _unseen_genera_not_in_train,
        lambda r: f"genus {r['genus']!r} of {r['species']!r} not in train",
    ),
    Invariant(
        "unseen_species_min_rows",
        "species",
        _small_unseen_species,
        lambda r: f"{r['species']!r} has {r['len']} records",
    ),
    Invariant(
        "test_species_minimums",
        "species/split pairs",
        _thin_test_species,
        lambda r: (
            f"{r['species']!r} in {r['split']}: {r['test_rows']} of {r['rows']} records, "
            f"{r['keys']} keys"
        ),
    ),
    Invariant(
        "singletons_in_train",
        "records",
        _singletons_outside_train,
        lambda r: f"{r['processid']} ({r['species']!r}) in {r['split']}",
    ),
    Invariant(
        "no_global_assignment_leak",
        "records",
        _leaks,
        lambda r: (
            f"step {r['step']} took key {r['barcode_key']} (species {r['species']!r}) "
            f"from a {r['before']} record"
        ),
    ),
)
