"""Species sets and the eight splits, step for step as the original partitioner.

The steps are listed in docs/curation.md#partition; each relabels records in one ``state``
column.  Global assignment is reproduced on purpose (docs/curation.md#key-assignment): a step
chooses species or barcode keys from its candidate records, then relabels *every* record with
that species or key.  When that moves a record that was not a candidate (a leak), or when any
invariant breaks (docs/curation.md#invariants), the run fails naming the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from curation.partition import selection, species_sets
from curation.partition.invariants import MAX_EXAMPLES, gather_facts, run_checks
from curation.partition.placeholders import genus_flag, species_flag
from curation.partition.species_sets import STATE, STATES, state
from schemas.config import PartitionConfig
from schemas.tables import SPLIT_DTYPE, SPLITS, SPLITS_SCHEMA, conform

#: The curated columns partitioning reads.
INPUT_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "barcode_key": pl.UInt32,
    "genus": pl.String,
    "species": pl.String,
}

#: Multiplier packing (barcode_key, state code) into one integer (10 states < 16).
_STATE_SLOTS = 16


class PartitionError(ValueError):
    """The input breaks the partitioner's contract, or a result breaks an invariant."""


def partition(curated: pl.DataFrame, cfg: PartitionConfig) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Split a curated table.  Returns (SPLITS_SCHEMA frame sorted by processid, checks).

    ``checks`` is JSON-able: every invariant of docs/curation.md#invariants with
    its outcome, per-step and per-split counts.  Raises :class:`PartitionError` when the input
    lacks a column, a processid or a key, when the configured targets cannot be met, or when an
    invariant fails; the message names the invariant, the species and the keys involved.
    """
    frame = prepare(curated)
    # Every step chooses among species-labelled records; the unlabelled 90 % only matter where
    # a key step's global assignment reaches them, which whole_table() replays.
    run = _Run(frame.filter(pl.col("species").is_not_null()))
    try:
        singletons = _species_steps(run, cfg)
        _seen_steps(run, cfg, singletons)
        _unseen_steps(run, cfg)
    except selection.SelectionError as err:
        raise PartitionError(f"configuration cannot be met: {err}") from None
    leftover = species_sets.heldout_candidates()
    run.relabel("other_heldout", leftover, leftover, "other_heldout")
    records = run.whole_table(frame)
    return finish(records, run.frame, singletons, pl.concat(run.leaks), run.steps, cfg)


def finish(
    records: pl.DataFrame,
    labelled: pl.DataFrame,
    singletons: pl.Series,
    leaks: pl.DataFrame,
    steps: dict[str, Any],
    cfg: PartitionConfig,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Check the invariants of a finished run and give its splits and checks (see
    :func:`partition`).  ``records`` has every record with its final ``state``, ``labelled``
    the species-labelled ones; raises :class:`PartitionError` naming every failed invariant."""
    key_splits = _key_splits(records)
    invariants = run_checks(gather_facts(records, labelled, key_splits, singletons, leaks, cfg))
    failed = [check for check in invariants if not check["passed"]]
    if failed:
        raise PartitionError(
            "; ".join(
                f"invariant {check['name']} failed for {check['violations']} {check['unit']}: "
                + ", ".join(check["examples"])
                for check in failed
            )
        )
    # STATE lists the eight splits first, so once no provisional state is left the cast to the
    # split Enum is a relabelling of the same values.
    splits = records.select(
        "processid",
        split=pl.col("state").cast(SPLIT_DTYPE),
        species_set=species_sets.species_set("state"),
        is_placeholder="is_placeholder",
    )
    # Every frame of a run keeps prepare()'s processid order: checking it spares a string sort.
    if not splits.get_column("processid").is_sorted():
        splits = splits.sort("processid")
    checks = {
        "records": records.height,
        "invariants": invariants,
        "steps": steps,
        "splits": _split_counts(records, key_splits),
    }
    return conform(splits, SPLITS_SCHEMA), checks


@dataclass
class _Run:
    """The states of the species-labelled records during one run, and what each step did."""

    frame: pl.DataFrame
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    leaks: list[pl.DataFrame] = field(default_factory=list)
    key_steps: list[tuple[str, str, pl.Series]] = field(default_factory=list)

    def relabel(
        self, step: str, selected: pl.Expr, candidates: pl.Expr, label: str, **stats: Any
    ) -> None:
        """Give ``label`` to every selected record; remember selected non-candidates (leaks)."""
        self.frame, moved = self._apply(
            self.frame, len(self.steps), step, selected, candidates, label
        )
        self.steps[step] = {**stats, "records": moved}

    def relabel_keys(
        self, step: str, picked: pl.DataFrame, candidates: pl.Expr, label: str, **stats: Any
    ) -> None:
        """Relabel every record whose key is among ``picked``'s (the global semantics)."""
        keys = picked.get_column("barcode_key")
        self.key_steps.append((step, label, keys))
        self.relabel(
            step,
            pl.col("barcode_key").is_in(keys.implode()),
            candidates,
            label,
            species=picked.get_column("species").n_unique(),
            keys=keys.len(),
            **stats,
        )

    def whole_table(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (all records, with ``row``) with the final ``state`` of every record.

        Unlabelled records stay in pretrain unless they share a key that a step picked: then,
        as in the original, that step relabels them too (in step order), and they are leaks.
        """
        codes = np.full(frame.height, STATES.index("pretrain"), dtype=np.uint32)
        codes[self.frame.get_column("row").to_numpy()] = (
            self.frame.get_column("state").to_physical().to_numpy()
        )
        records = frame.with_columns(state=pl.Series(STATES, dtype=STATE).gather(codes))
        order = list(self.steps)
        for step, label, keys in self.key_steps:
            reached = pl.col("species").is_null() & pl.col("barcode_key").is_in(keys.implode())
            records, moved = self._apply(
                records, order.index(step), step, reached, pl.lit(False), label
            )
            self.steps[step]["records"] += moved
        return records

    def _apply(
        self,
        frame: pl.DataFrame,
        step_no: int,
        step: str,
        selected: pl.Expr,
        candidates: pl.Expr,
        label: str,
    ) -> tuple[pl.DataFrame, int]:
        """``frame`` with the selected records relabelled, and how many there were."""
        tagged = frame.with_columns(_selected=selected, _candidate=candidates)
        leaked = tagged.filter(pl.col("_selected") & ~pl.col("_candidate")).select(
            step_no=pl.lit(step_no, dtype=pl.UInt32),
            step=pl.lit(step),
            barcode_key="barcode_key",
            species="species",
            before=pl.col("state").cast(pl.String),
        )
        self.leaks.append(leaked)
        relabelled = tagged.with_columns(
            state=pl.when("_selected").then(state(label)).otherwise("state")
        ).drop("_selected", "_candidate")
        return relabelled, int(tagged.get_column("_selected").sum())


def prepare(curated: pl.DataFrame) -> pl.DataFrame:
    """The columns partitioning needs, checked and sorted by processid, plus the placeholder
    flag and ``row``, the record's position in that order.

    Sorting first makes every later frame processid-ordered (eager polars keeps row order), so
    the final sort costs nothing; the curated table normally arrives sorted already.
    """
    missing = [name for name in INPUT_SCHEMA if name not in curated.columns]
    if missing:
        raise PartitionError(f"curated table lacks column(s) {', '.join(missing)}")
    try:
        frame = conform(curated, INPUT_SCHEMA)
    except pl.exceptions.PolarsError as err:
        raise PartitionError(f"curated table has a column of the wrong type: {err}") from None
    for name in ("processid", "barcode_key"):
        nulls = frame.filter(pl.col(name).is_null())
        if nulls.height:
            ids = nulls.get_column("processid").drop_nulls().sort().head(MAX_EXAMPLES).to_list()
            raise PartitionError(f"{nulls.height} record(s) have no {name}, e.g. processid {ids}")
    if not frame.get_column("processid").is_sorted():  # checking is far cheaper than sorting
        frame = frame.sort("processid")
    # Sorted, a repeated processid has an equal neighbour: fewer runs than records.
    if frame.height and frame.get_column("processid").rle_id().max() != frame.height - 1:
        ids = (
            frame.filter(pl.col("processid").is_duplicated())
            .get_column("processid")
            .unique()
            .sort()
            .head(MAX_EXAMPLES)
            .to_list()
        )
        raise PartitionError(f"processid is not unique: {ids}")
    # The rules are per column: evaluate them on the distinct names, not on every record.
    species = _distinct(frame, "species").filter(species_flag("species")).get_column("species")
    genera = _distinct(frame, "genus").filter(genus_flag("genus")).get_column("genus")
    flag = pl.col("species").is_in(species.implode()) | pl.col("genus").is_in(genera.implode())
    return frame.with_columns(is_placeholder=flag.fill_null(False)).with_row_index("row")


def _distinct(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The distinct non-null values of a column, as a one-column frame."""
    return frame.get_column(name).drop_nulls().unique().to_frame()


def _seen_candidates() -> pl.Expr:
    return pl.col("species").is_not_null() & (pl.col("state") == "seen")


def _unseen_candidates() -> pl.Expr:
    return pl.col("species").is_not_null() & (pl.col("state") == "unseen")


def _species_steps(run: _Run, cfg: PartitionConfig) -> pl.Series:
    """Steps 1-3: provisional sets, unseen species, singletons.  Returns the singleton species."""
    run.frame = species_sets.provisional(run.frame)
    candidates = species_sets.unseen_candidates(run.frame)
    unseen = species_sets.unseen_species(run.frame, candidates, cfg.unseen_min_rows)
    chosen = pl.col("species").is_in(unseen.implode())
    run.relabel("unseen", chosen, candidates, "unseen", species=unseen.len())
    singletons = (
        run.frame.filter(_seen_candidates())
        .group_by("species")
        .len()
        .filter(pl.col("len") == 1)
        .get_column("species")
        .sort()
    )
    run.relabel(
        "singletons",
        pl.col("species").is_in(singletons.implode()),
        _seen_candidates(),
        "train",
        species=singletons.len(),
    )
    return singletons


def _seen_steps(run: _Run, cfg: PartitionConfig, singletons: pl.Series) -> None:
    """Steps 4-8: test, val (main and long tail), train."""
    test_rule = selection.count_rule(
        "test", cfg.seeds.test, cfg.test_min_rows, cfg.test_target_cap, cfg.test_lower_bound
    )
    sizes = selection.key_sizes(run.frame.filter(_seen_candidates()))
    run.relabel_keys("test", selection.select(sizes, test_rule), _seen_candidates(), "test")

    sizes = selection.key_sizes(run.frame.filter(_seen_candidates()))
    val_rule = selection.fraction_rule("val", cfg.seeds.val, cfg.val_fraction, cfg.val_min_rows)
    main = selection.select(sizes, val_rule)
    per_species = sizes.group_by("species").agg(n=pl.col("size").sum())
    small_records = int(per_species.filter(pl.col("n") < cfg.val_min_rows).get_column("n").sum())
    quota = selection.long_tail_quota(cfg.val_fraction, singletons.len(), small_records)
    test_records = (
        run.frame.filter(pl.col("state") == "test")
        .group_by("species")
        .agg(test_rows=pl.len().cast(pl.Int64))
    )
    tail = selection.long_tail(
        sizes, test_records, quota, cfg.long_tail_min_rows, cfg.val_min_rows, test_rule.target
    )
    run.relabel_keys(
        "val",
        pl.concat([main, tail]),
        _seen_candidates(),
        "val",
        main_keys=main.height,
        long_tail={"quota": quota, "taken": tail.height, "records": int(tail["size"].sum())},
    )
    run.relabel("train", _seen_candidates(), _seen_candidates(), "train")


def _unseen_steps(run: _Run, cfg: PartitionConfig) -> None:
    """Steps 9-11: test_unseen, val_unseen, key_unseen."""
    test_rule = selection.count_rule(
        "test_unseen",
        cfg.seeds.test_unseen,
        cfg.test_min_rows,
        cfg.test_target_cap,
        cfg.test_lower_bound,
    )
    sizes = selection.key_sizes(run.frame.filter(_unseen_candidates()))
    picked = selection.select(sizes, test_rule)
    run.relabel_keys("test_unseen", picked, _unseen_candidates(), "test_unseen")

    val_rule = selection.fraction_rule("val_unseen", cfg.seeds.val_unseen, cfg.val_unseen_fraction)
    sizes = selection.key_sizes(run.frame.filter(_unseen_candidates()))
    picked = selection.select(sizes, val_rule)
    run.relabel_keys("val_unseen", picked, _unseen_candidates(), "val_unseen")
    run.relabel("key_unseen", _unseen_candidates(), _unseen_candidates(), "key_unseen")


def _key_splits(frame: pl.DataFrame) -> pl.DataFrame:
    """Distinct (barcode_key, state code) pairs.  Packed into one integer: hashing 5 M integers
    is several times faster than hashing 5 M (integer, enum) rows."""
    packed = pl.col("barcode_key").cast(pl.UInt64) * _STATE_SLOTS + pl.col(
        "state"
    ).to_physical().cast(pl.UInt64)
    return frame.select(packed.unique().alias("packed")).select(
        barcode_key=(pl.col("packed") // _STATE_SLOTS).cast(pl.UInt32),
        state_code=(pl.col("packed") % _STATE_SLOTS).cast(pl.UInt32),
    )


def _split_counts(frame: pl.DataFrame, key_splits: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Records, distinct barcode keys and distinct species of every split."""
    # Species are counted on the labelled tenth only: a string hash over every record cost
    # as much memory as the records' own columns.
    records = dict(frame.group_by("state").len().iter_rows())
    labelled = frame.filter(pl.col("species").is_not_null())
    species = dict(labelled.group_by("state").agg(pl.col("species").n_unique()).iter_rows())
    keys = {
        STATES[code]: count for code, count in key_splits.group_by("state_code").len().iter_rows()
    }
    return {
        split: {
            "records": int(records.get(split, 0)),
            "keys": int(keys.get(split, 0)),
            "species": int(species.get(split, 0)),
        }
        for split in SPLITS
    }
