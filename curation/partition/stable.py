"""Stable partitioning: release N+1's splits kept as close to release N's as the rules allow.

Policy (docs/curation.md#stable-partitioning): species sets come from the original rules on the
new data.  A barcode key inherits the split of the previous release's records it holds (linked
by processid, and by the N-stripped sequence, so a withdrawn record's barcode stays where it
was), where that split is in the key's species set; a key holding two such splits goes to its
set's training split.  The evaluation
splits are topped up with new keys only, on targets computed on the new totals, with the
original selection routine.  Repairs then move whole keys to training where an invariant would
break.  Every record of the previous release that is not in its old split is reported with the
policy's reason (SPLIT_MOVES_SCHEMA).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from curation.partition import selection, species_sets
from curation.partition.species_sets import STATE, STATES
from curation.partition.splits import PartitionError, finish, prepare
from schemas.config import PartitionConfig
from schemas.tables import (
    MOVE_REASONS,
    SPECIES_SET_OF_SPLIT,
    SPLIT_DTYPE,
    SPLIT_MOVES_SCHEMA,
    conform,
)

#: The previous release's columns stable partitioning reads (``dna_barcode`` may be null outside
#: the labelled splits: only labelled keys are linked by sequence).
PREVIOUS_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "split": SPLIT_DTYPE,
    "dna_barcode": pl.String,
}
#: The training split of each species set that has evaluation splits.
TRAINING = {"seen": "train", "unseen": "key_unseen"}
#: An empty leak table: stable runs relabel no record by global assignment.
_LEAK_SCHEMA = {
    "step_no": pl.UInt32,
    "step": pl.String,
    "barcode_key": pl.UInt32,
    "species": pl.String,
    "before": pl.String,
}
_SET_OF = pl.col("split").replace_strict(SPECIES_SET_OF_SPLIT, return_dtype=pl.String)


def stable_partition(
    curated: pl.DataFrame, barcodes: pl.DataFrame, previous: pl.DataFrame, cfg: PartitionConfig
) -> tuple[pl.DataFrame, dict[str, Any], pl.DataFrame]:
    """Split ``curated`` following ``previous`` (PREVIOUS_SCHEMA; ``barcodes``: BARCODES_SCHEMA).

    Returns the splits and checks as :func:`curation.partition.splits.partition` does, and the
    moves (SPLIT_MOVES_SCHEMA).  Raises :class:`PartitionError` as it does.
    """
    frame = prepare(curated)
    previous = _previous(previous)
    labelled, singletons = _species_states(frame, cfg)
    keys = _anchored_keys(labelled, barcodes, previous)
    steps: dict[str, Any] = {"kept_keys": int(keys["split"].is_not_null().sum())}
    try:
        keys = _place_new_keys(labelled, keys, singletons, cfg, steps)
    except selection.SelectionError as err:
        raise PartitionError(f"configuration cannot be met: {err}") from None
    keys = _repair(labelled, keys, cfg, steps)
    labelled = labelled.drop("state").join(
        keys.select("barcode_key", state=pl.col("split").cast(STATE)), on="barcode_key"
    )
    labelled = labelled.sort("row")
    codes = np.full(frame.height, STATES.index("pretrain"), dtype=np.uint32)
    codes[labelled["row"].to_numpy()] = labelled["state"].to_physical().to_numpy()
    records = frame.with_columns(state=pl.Series(STATES, dtype=STATE).gather(codes))
    leaks = pl.DataFrame(schema=_LEAK_SCHEMA)
    splits, checks = finish(records, labelled, singletons, leaks, steps, cfg)
    moves = split_moves(previous, splits, records, keys)
    checks["stable"] = moves_summary(previous, moves)
    checks["stable_overlap"] = overlap_check(previous, moves)
    return splits, checks, moves


def _previous(previous: pl.DataFrame) -> pl.DataFrame:
    """The previous release's records as PREVIOUS_SCHEMA, barcodes N-stripped like keys."""
    missing = [name for name in PREVIOUS_SCHEMA if name not in previous.columns]
    if missing:
        raise PartitionError(f"previous release lacks column(s) {', '.join(missing)}")
    previous = conform(previous.select(list(PREVIOUS_SCHEMA)), PREVIOUS_SCHEMA)
    return previous.with_columns(pl.col("dna_barcode").str.strip_chars("N"))


def _species_states(frame: pl.DataFrame, cfg: PartitionConfig) -> tuple[pl.DataFrame, pl.Series]:
    """The labelled records with ``state``: seen, unseen, train (singletons) or other_heldout,
    by the original rules (species_sets) on the new data.  Returns them and the singletons."""
    labelled = species_sets.provisional(frame.filter(pl.col("species").is_not_null()))
    candidates = species_sets.unseen_candidates(labelled)
    unseen = species_sets.unseen_species(labelled, candidates, cfg.unseen_min_rows)
    labelled = labelled.with_columns(
        state=pl.when(pl.col("species").is_in(unseen.implode()))
        .then(species_sets.state("unseen"))
        .otherwise("state")
    )
    seen = labelled.filter(pl.col("state") == "seen")
    singletons = seen.group_by("species").len().filter(pl.col("len") == 1)["species"].sort()
    leftover = species_sets.heldout_candidates()
    labelled = labelled.with_columns(
        state=pl.when(pl.col("species").is_in(singletons.implode()) & (pl.col("state") == "seen"))
        .then(species_sets.state("train"))
        .when(leftover)
        .then(species_sets.state("other_heldout"))
        .otherwise("state"),
    )
    set_of = {**SPECIES_SET_OF_SPLIT, "seen": "seen", "unseen": "unseen"}
    labelled = labelled.with_columns(
        set=pl.col("state").cast(pl.String).replace_strict(set_of, return_dtype=pl.String)
    )
    return labelled, singletons


def _anchored_keys(
    labelled: pl.DataFrame, barcodes: pl.DataFrame, previous: pl.DataFrame
) -> pl.DataFrame:
    """One row per key of a labelled record: ``barcode_key``, ``set``, ``split`` (the split it
    keeps, null for a new key) and ``reason`` (why that split, when it is forced).

    A key's anchors are the previous splits of its records (by processid) and of the previous
    records with its sequence (compared as text, on the few keys concerned), in its set only.
    """
    keys = labelled.group_by("barcode_key").agg(set=pl.col("set").min())
    by_record = labelled.select("processid", "barcode_key").join(
        previous.select("processid", "split"), on="processid"
    )
    sequences = barcodes.select("barcode_key", dna_barcode="sequence").join(
        keys.select("barcode_key"), on="barcode_key", how="semi"
    )
    earlier = previous.filter(pl.col("split") != "pretrain").select("dna_barcode", "split")
    by_sequence = sequences.join(earlier.unique(), on="dna_barcode").select("barcode_key", "split")
    training = pl.col("set").replace_strict(TRAINING, default=None, return_dtype=pl.String)
    anchors = (
        pl.concat([by_record.select("barcode_key", "split"), by_sequence])
        .unique()
        .join(keys, on="barcode_key")
        # A record of N in pretrain that now has a species: a model pretrained on N has seen
        # its sequence, so it anchors its key to the set's training split, not to evaluation.
        .with_columns(
            split=pl.when(pl.col("split") == "pretrain")
            .then(training)
            .otherwise(pl.col("split").cast(pl.String))
        )
        .filter(pl.col("split").is_not_null())
        .filter(_SET_OF == pl.col("set"))
        .unique()
        .group_by("barcode_key")
        .agg(splits=pl.col("split").sort())
    )
    joined = pl.col("splits").list.len() > 1
    return (
        keys.join(anchors, on="barcode_key", how="left")
        .with_columns(
            split=pl.when(pl.col("set") == "heldout")
            .then(pl.lit("other_heldout"))
            .when(joined)
            .then(training)
            .otherwise(pl.col("splits").list.first()),
            reason=pl.when(joined).then(pl.lit("key_joins_splits")),
        )
        .drop("splits")
        .sort("barcode_key")
    )


def _place_new_keys(
    labelled: pl.DataFrame,
    keys: pl.DataFrame,
    singletons: pl.Series,
    cfg: PartitionConfig,
    steps: dict[str, Any],
) -> pl.DataFrame:
    """``keys`` with every key placed: singletons' keys in train, then the evaluation splits
    topped up from new keys by the original rules, the rest in their set's training split."""
    single = labelled.filter(pl.col("species").is_in(singletons.implode()))["barcode_key"]
    keys = _force(keys, single, "train", "singleton")
    test = selection.count_rule(
        "test", cfg.seeds.test, cfg.test_min_rows, cfg.test_target_cap, cfg.test_lower_bound
    )
    keys = _top_up(labelled, keys, "seen", "test", test, (), steps)
    val = selection.fraction_rule("val", cfg.seeds.val, cfg.val_fraction, cfg.val_min_rows)
    keys = _top_up(labelled, keys, "seen", "val", val, ("test",), steps)
    keys = _long_tail(labelled, keys, singletons, test, cfg, steps)
    test_unseen = selection.count_rule(
        "test_unseen",
        cfg.seeds.test_unseen,
        cfg.test_min_rows,
        cfg.test_target_cap,
        cfg.test_lower_bound,
    )
    keys = _top_up(labelled, keys, "unseen", "test_unseen", test_unseen, (), steps)
    val_unseen = selection.fraction_rule(
        "val_unseen", cfg.seeds.val_unseen, cfg.val_unseen_fraction
    )
    keys = _top_up(labelled, keys, "unseen", "val_unseen", val_unseen, ("test_unseen",), steps)
    training = pl.col("set").replace_strict(TRAINING, default=None, return_dtype=pl.String)
    return keys.with_columns(split=pl.col("split").fill_null(training))


def _force(
    keys: pl.DataFrame, chosen: pl.Series, split: str, reason: str | None = None
) -> pl.DataFrame:
    """``keys`` with the ``chosen`` keys in ``split``; a key that had another split gets
    ``reason`` (new keys have none to give)."""
    hit = pl.col("barcode_key").is_in(chosen.implode())
    moved = hit & pl.col("split").is_not_null() & (pl.col("split") != split)
    return keys.with_columns(
        reason=pl.when(moved).then(pl.lit(reason)).otherwise("reason"),
        split=pl.when(hit).then(pl.lit(split)).otherwise("split"),
    )


def _species_in_set(
    labelled: pl.DataFrame, keys: pl.DataFrame, species_set: str, excluded: tuple[str, ...]
) -> pl.DataFrame:
    """The records of a species set with their key's current ``split``, outside ``excluded``."""
    records = labelled.filter(pl.col("set") == species_set).select("species", "barcode_key")
    records = records.join(keys.select("barcode_key", "split"), on="barcode_key")
    return records.filter(~pl.col("split").is_in(excluded).fill_null(False))


def _top_up(
    labelled: pl.DataFrame,
    keys: pl.DataFrame,
    species_set: str,
    split: str,
    rule: selection.SelectionRule,
    excluded: tuple[str, ...],
    steps: dict[str, Any],
) -> pl.DataFrame:
    """One evaluation step: each species' target on its new total (records of the set outside
    ``excluded``), net of the records it keeps in ``split``, taken from new keys only."""
    records = _species_in_set(labelled, keys, species_set, excluded)
    totals = records.group_by("species").agg(
        n=pl.len(),
        nb=pl.col("barcode_key").n_unique(),
        held=(pl.col("split") == split).sum(),
        held_keys=pl.col("barcode_key").filter(pl.col("split") == split).n_unique(),
        free=pl.col("split").is_null().sum(),
        nb_kept=pl.col("barcode_key").filter(pl.col("split").is_not_null()).n_unique(),
    )
    stats = {row[0]: row[1:] for row in totals.iter_rows()}
    sizes = selection.key_sizes(records.filter(pl.col("split").is_null()))
    picked = selection.select(sizes, rule, lambda species: _net_rule(rule, *stats[species]))
    steps[split] = {
        "new_keys": picked.height,
        "new_records": int(picked["size"].sum()),
        "species": picked["species"].n_unique(),
    }
    return _force(keys, picked["barcode_key"], split)


def _net_rule(
    rule: selection.SelectionRule,
    n: int,
    nb: int,
    held: int,
    held_keys: int,
    free: int,
    nb_kept: int,
) -> selection.SelectionRule | None:
    """``rule`` for one species of ``n`` records in ``nb`` keys (``nb_kept`` of them kept) that
    keeps ``held`` records in ``held_keys`` keys of the split and has ``free`` new records: what
    is left of its target, within what the new records can reach.  None when nothing is left."""
    target = rule.target(n) - held
    cap = rule.key_cap(nb) - held_keys
    if target <= 0 or cap <= 0 or free == 0:
        return None
    reachable = free / rule.soft_cumulative
    while reachable * rule.soft_cumulative > free:  # float rounding: stay within the records
        reachable = math.nextafter(reachable, 0)
    target = min(target, reachable)
    lower = max(rule.lower(n) - held, 0)
    upper = rule.upper(n) - held
    return replace(
        rule,
        target=lambda _n: target,
        lower=lambda _n: lower,
        upper=lambda _n: upper,
        key_cap=lambda _nb: cap,
        kept_keys=nb_kept,
        kept_records=n - free,
    )


def _long_tail(
    labelled: pl.DataFrame,
    keys: pl.DataFrame,
    singletons: pl.Series,
    test: selection.SelectionRule,
    cfg: PartitionConfig,
    steps: dict[str, Any],
) -> pl.DataFrame:
    """The val long tail on the new totals: species with long_tail_min_rows to val_min_rows - 1
    records left after test and no val record give one new single-record key, up to the quota
    of the original (less the long-tail records the previous release keeps)."""
    records = _species_in_set(labelled, keys, "seen", ("test",)).filter(
        ~pl.col("species").is_in(singletons.implode())
    )
    totals = records.group_by("species").agg(n=pl.len(), val=(pl.col("split") == "val").sum())
    small = totals.filter(pl.col("n") < cfg.val_min_rows)
    quota = selection.long_tail_quota(cfg.val_fraction, singletons.len(), int(small["n"].sum()))
    quota -= int(small["val"].sum())
    qualifying = small.filter((pl.col("val") == 0) & (pl.col("n") >= cfg.long_tail_min_rows))[
        "species"
    ]
    steps["val_long_tail"] = {"quota": max(quota, 0), "taken": 0}
    if quota <= 0 or qualifying.is_empty():
        return keys
    free = records.filter(pl.col("split").is_null() & pl.col("species").is_in(qualifying.implode()))
    tested = (
        labelled.filter(pl.col("set") == "seen")
        .join(keys.filter(pl.col("split") == "test"), on="barcode_key")
        .group_by("species")
        .agg(test_rows=pl.len().cast(pl.Int64))
    )
    tail = selection.long_tail(
        selection.key_sizes(free), tested, quota, 1, cfg.val_min_rows, test.target
    )
    steps["val_long_tail"]["taken"] = tail.height
    return _force(keys, tail["barcode_key"], "val")


def _repair(
    labelled: pl.DataFrame, keys: pl.DataFrame, cfg: PartitionConfig, steps: dict[str, Any]
) -> pl.DataFrame:
    """Move whole keys to their set's training split where an invariant would break: a test
    split's species below the test minimums, an evaluation species with no training record.
    Repeated until nothing moves (a move can only thin another species' evaluation records)."""
    moved = {"test_minimum": 0, "no_training_record": 0}
    for _round in range(keys.height + 1):
        changed = False
        for reason in moved:
            records = labelled.select("species", "barcode_key", "set").join(
                keys.select("barcode_key", "split"), on="barcode_key"
            )
            bad = _thin_tests(records, cfg) if reason == "test_minimum" else _untrained(records)
            for species_set, training in TRAINING.items():
                chosen = bad.filter(pl.col("set") == species_set)["barcode_key"].unique()
                if chosen.len():
                    keys = _force(keys, chosen, training, reason)
                    moved[reason] += chosen.len()
                    changed = True
        if not changed:
            break
    steps["repairs"] = moved
    return keys


def _thin_tests(records: pl.DataFrame, cfg: PartitionConfig) -> pl.DataFrame:
    """Test records (set, barcode_key) of species below the test minimums (invariants.py)."""
    per_species = records.group_by("set", "species").agg(
        test_rows=pl.col("split").is_in(["test", "test_unseen"]).sum(),
        rows=pl.len(),
        keys=pl.col("barcode_key").n_unique(),
    )
    thin = per_species.filter(
        (pl.col("test_rows") > 0)
        & (
            (pl.col("test_rows") < cfg.test_lower_bound)
            | (pl.col("rows") < cfg.test_min_rows)
            | (pl.col("keys") < 2)
        )
    )
    return records.filter(pl.col("split").is_in(["test", "test_unseen"])).join(
        thin.select("set", "species"), on=["set", "species"]
    )


def _untrained(records: pl.DataFrame) -> pl.DataFrame:
    """Evaluation records (set, barcode_key) of species with no record in their training split."""
    training = pl.col("set").replace_strict(TRAINING, default=None, return_dtype=pl.String)
    trained = records.filter(pl.col("split") == training).select("set", "species").unique()
    evaluated = records.filter(pl.col("set").is_in(list(TRAINING)) & (pl.col("split") != training))
    return evaluated.join(trained, on=["set", "species"], how="anti")


def split_moves(
    previous: pl.DataFrame, splits: pl.DataFrame, records: pl.DataFrame, keys: pl.DataFrame
) -> pl.DataFrame:
    """Every previous record not in its previous split now, with the policy's reason."""
    now = splits.select("processid", "split").join(
        records.select("processid", "barcode_key"), on="processid"
    )
    now = now.join(keys.select("barcode_key", "reason"), on="barcode_key", how="left")
    joined = previous.select("processid", previous_split="split").join(
        now, on="processid", how="left"
    )
    was = pl.col("previous_split").cast(pl.String).replace_strict(SPECIES_SET_OF_SPLIT)
    is_ = pl.col("split").cast(pl.String).replace_strict(SPECIES_SET_OF_SPLIT, default=None)
    reason = (
        pl.when(pl.col("split").is_null())
        .then(pl.lit("withdrawn"))
        .when((was != "unknown") & (is_ == "unknown"))
        .then(pl.lit("label_removed"))
        .when((was == "unknown") & (is_ != "unknown"))
        .then(pl.lit("label_added"))
        .when(was.is_in(["unseen", "heldout"]) & (is_ == "seen"))
        .then(pl.lit("species_named"))
        .when(was != is_)
        .then(pl.lit("species_set_changed"))
        .otherwise(pl.col("reason").fill_null("unexplained"))
    )
    moved = joined.filter(pl.col("split").is_null() | (pl.col("split") != pl.col("previous_split")))
    return conform(
        moved.select("processid", "previous_split", "split", reason=reason).sort("processid"),
        SPLIT_MOVES_SCHEMA,
    )


def moves_summary(previous: pl.DataFrame, moves: pl.DataFrame) -> dict[str, Any]:
    """The checks' ``stable`` entry: previous records, how many kept their split, moves per
    reason (every reason listed, in policy order)."""
    counts = dict(moves.group_by("reason").len().iter_rows())
    return {
        "name": "stable: every move is one the policy names",
        "passed": counts.get("unexplained", 0) == 0,
        "previous_records": previous.height,
        "kept": previous.height - moves.height,
        "moved": {reason: int(counts.get(reason, 0)) for reason in MOVE_REASONS},
    }


def overlap_check(previous: pl.DataFrame, moves: pl.DataFrame) -> dict[str, Any]:
    """The checks' ``stable_overlap`` entry: does this build still release any record of the
    previous release?  None at all means it follows an unrelated release (a wrong path): every
    record would be "withdrawn" and nothing kept, which no maintainer meant."""
    shared = previous.height - int((moves.get_column("reason") == "withdrawn").sum())
    return {
        "name": "stable: this release holds records of the previous one",
        "passed": previous.height == 0 or shared > 0,
        "shared_records": shared,
    }
