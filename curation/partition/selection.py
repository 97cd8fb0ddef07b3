"""The per-species barcode selection routine of the original partitioner.

Each evaluation split takes whole barcode keys from every species, aiming at a per-species
target (docs/curation.md#test, #val, #long-tail).  The routine is sequential: species in
code-point order share one random generator per step.  Reproducing the original's counts needs
its species order, numpy's ``default_rng(seed)`` with the very same calls
(``integers(lo, hi, size=1)[0]``, only in the random branch), and float64 arithmetic in its
operation order (``target * 1.1 - alloc``; ``0.2 * 250 * 1.1 == 55.00000000000001``).  Keys of
equal size go by ``barcode_key`` (docs/decisions.md "Tie order of equal-size keys").
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import polars as pl

#: Soft factors of the original: the cumulative criterion allows a 10 % overshoot of the target;
#: the "even the smallest overshoots" fallback allows none for test steps and 10 % for val steps.
SOFT_CUMULATIVE = 1.1
SOFT_FALLBACK_TEST = 1.0
SOFT_FALLBACK_VAL = 1.1

#: Columns of a key-size table: one row per (species, barcode key) with its candidate records.
KEY_SIZES_SCHEMA: dict[str, pl.DataType] = {
    "species": pl.String,
    "barcode_key": pl.UInt32,
    "size": pl.UInt32,
}


class SelectionError(ValueError):
    """The configured targets ask for more records than a species has (original: "Impossible
    outcome"); never raised with the default configuration, where ``n >= 1.1 * target``."""


@dataclass(frozen=True)
class SelectionRule:
    """One parameterisation of the routine.  ``target(n) == 0`` skips a species."""

    name: str
    seed: int
    target: Callable[[int], float]
    lower: Callable[[int], float]
    upper: Callable[[int], float]
    key_cap: Callable[[int], float]
    soft_fallback: float
    soft_cumulative: float = SOFT_CUMULATIVE
    #: Keys and records the species has besides its candidates (stable partitioning: those it
    #: keeps from a previous release).  The only-key and "most of the species" guards count them.
    kept_keys: int = 0
    kept_records: int = 0


def count_target(n: int, min_rows: int, cap: int) -> int:
    """Test records wanted from a species of ``n`` records: min(cap, floor(4 + (n - 8) / 4))."""
    if n < min_rows:
        return 0
    return min(math.floor(4 + (n - 8) / 4), cap)


def count_rule(name: str, seed: int, min_rows: int, cap: int, lower_bound: int) -> SelectionRule:
    """The test and test_unseen steps: integer targets, at most about a third of the keys."""

    def upper(n: int) -> int:
        return 0 if n < min_rows else math.floor(4 + (n - 8) / 3)

    def key_cap(nb: int) -> int:
        return 0 if nb < 3 else math.floor(1 + (nb - 2) / 3)

    return SelectionRule(
        name=name,
        seed=seed,
        target=lambda n: count_target(n, min_rows, cap),
        lower=lambda _n: lower_bound,
        upper=upper,
        key_cap=key_cap,
        soft_fallback=SOFT_FALLBACK_TEST,
    )


def fraction_rule(name: str, seed: int, fraction: float, min_rows: int = 0) -> SelectionRule:
    """The val and val_unseen steps: a float share of the records and keys, up to twice that.

    The original wrote ``pc / 100 * n`` and ``2 * pc / 100 * n`` with an integer percentage;
    ``fraction * n`` and ``(2 * fraction) * n`` are the same float64 values for 5 % and 20 %.
    """
    return SelectionRule(
        name=name,
        seed=seed,
        target=lambda n: 0 if n < min_rows else fraction * n,
        lower=lambda _n: 0,
        upper=lambda n: (2 * fraction) * n,
        key_cap=lambda nb: fraction * nb,
        soft_fallback=SOFT_FALLBACK_VAL,
    )


@dataclass(frozen=True)
class _Aim:
    """What one rule asks of one species of ``n`` records (candidates and kept ones)."""

    rule: str
    n: int
    target: float
    lower: float
    upper: float
    key_cap: float
    soft_cumulative: float
    soft_fallback: float


def pick_positions(
    sizes: Sequence[int], n: int, rule: SelectionRule, rng: np.random.Generator
) -> list[int]:
    """Positions (into ``sizes``, sorted ascending) of the keys one species gives to the split.

    ``n`` is the species' number of candidate records (``sum(sizes)``).  Returns [] when the
    species is skipped or its picks stay below the lower bound.
    """
    target = rule.target(n)
    if target == 0 or len(sizes) + rule.kept_keys == 1:  # never split a species' only barcode
        return []
    aim = _Aim(
        rule.name,
        n + rule.kept_records,
        target,
        rule.lower(n),
        rule.upper(n),
        rule.key_cap(len(sizes)),
        rule.soft_cumulative,
        rule.soft_fallback,
    )
    left = list(sizes)
    origin = list(range(len(left)))
    picked: list[int] = []
    alloc = 0
    while (i := _next_pick(left, alloc, len(picked), aim, rng)) is not None:
        picked.append(origin[i])
        alloc += left[i]
        if alloc >= target:
            break
        del left[i], origin[i]
        if len(picked) >= aim.key_cap:
            break
    return picked if alloc >= aim.lower else []


def _next_pick(
    left: list[int], alloc: int, picks: int, aim: _Aim, rng: np.random.Generator
) -> int | None:
    """Position (into ``left``) of the next key to take, or None to stop.

    The original tested every key with boolean masks.  Because ``left`` is ascending and its
    running total strictly increasing, the options (size <= target - alloc and running total
    >= target * s1 - alloc) are the contiguous positions [first, fits), found by bisection.
    Python compares ints with floats exactly, as numpy compared int64 with float64 here.
    """
    first = bisect_left(list(accumulate(left)), aim.target * aim.soft_cumulative - alloc)
    fits = bisect_right(left, aim.target - alloc)
    if first >= fits:
        return _fallback(left, alloc, first, aim)
    if picks + 1 >= aim.key_cap:
        # The last key allowed: the largest that fits, or the next one if that lands closer.
        c = fits - 1
        if (
            c < len(left) - 1
            and abs(alloc + left[c + 1] - aim.target) < abs(aim.target - (alloc + left[c]))
            and alloc + left[c + 1] <= aim.upper
        ):
            return c + 1
        return c
    # A random option from the upper half of the options (the original's top_rand); lo < hi
    # always holds for k >= 1, so its range adjustment never applies.
    k = fits - first
    return first + int(rng.integers(int(k * 0.5), k, size=1)[0])


def _fallback(left: list[int], alloc: int, first: int, aim: _Aim) -> int | None:
    """The pick when no key is an option (docs/curation.md#test), or None to stop."""
    target, smallest = aim.target, left[0]
    if alloc == 0 and smallest > target:
        # Every key overshoots: take the smallest if it is not most of the species (no
        # upper-bound check here, as in the original: test vector S05).
        return 0 if aim.lower <= smallest < aim.n / 2 else None
    if smallest > target * aim.soft_fallback - alloc:
        # Even the smallest key overshoots what is left.
        if smallest > (target - alloc) / 2 or alloc + smallest > aim.upper:
            return None
        return 0
    if first == len(left):
        raise SelectionError(
            f"{aim.rule}: target {target} is unreachable for a species of {aim.n} records "
            f"(target x {aim.soft_cumulative} exceeds the records left)"
        )
    # The key where the running total reaches the target, or the one before if that lands closer.
    c = first
    if alloc + left[c] > aim.upper:  # the original tests c, not the key it would choose
        return None
    if c > 0 and abs(alloc + left[c - 1] - target) < abs(target - (alloc + left[c])):
        return c - 1
    return c


def key_sizes(candidates: pl.DataFrame) -> pl.DataFrame:
    """Records per (species, key) of the candidate records, sorted by species, size, key."""
    return (
        candidates.group_by("species", "barcode_key")
        .agg(size=pl.len().cast(pl.UInt32))
        .sort("species", "size", "barcode_key")
        .select(list(KEY_SIZES_SCHEMA))
    )


def _species_bounds(sizes: pl.DataFrame) -> pl.DataFrame:
    """Per species (ascending): first row in ``sizes``, number of keys, number of records."""
    return (
        sizes.with_row_index("row")
        .group_by("species")
        .agg(
            start=pl.col("row").min(),
            keys=pl.len(),
            records=pl.col("size").sum(),
        )
        .sort("species")
    )


def select(
    sizes: pl.DataFrame,
    rule: SelectionRule,
    rule_of: Callable[[str], SelectionRule | None] | None = None,
) -> pl.DataFrame:
    """Run the routine over every species of a :func:`key_sizes` table.

    ``rule_of``, if given, gives each species its own rule (None skips the species); the
    generator is ``rule``'s all the same (stable partitioning: targets net of kept records).
    Returns the picked keys (KEY_SIZES_SCHEMA plus ``pick``, the order of picking within the
    species), sorted by species then pick order.
    """
    sizes = sizes.sort("species", "size", "barcode_key")  # each species a contiguous, ascending run
    # Species with a single key neither pick nor draw: leave them out of the Python loop (unless
    # their rules count kept keys besides).
    bounds = _species_bounds(sizes)
    if rule_of is None:
        bounds = bounds.filter(pl.col("keys") > 1)
    all_sizes = sizes.get_column("size").to_list()
    rng = np.random.default_rng(rule.seed)
    rows: list[int] = []
    picks: list[int] = []
    for species, start, nb, n in bounds.select("species", "start", "keys", "records").iter_rows():
        own = rule if rule_of is None else rule_of(species)
        if own is None:
            continue
        positions = pick_positions(all_sizes[start : start + nb], n, own, rng)
        rows.extend(start + p for p in positions)
        picks.extend(range(len(positions)))
    return sizes[rows].with_columns(pick=pl.Series(picks, dtype=pl.UInt32)).sort("species", "pick")


def long_tail_quota(fraction: float, singletons: int, small_group_records: int) -> int:
    """Long-tail val records wanted: round-half-even(fraction x (singletons + small records)).

    ``small_group_records`` sums the val candidates of species below the val minimum size.
    """
    return round(fraction * (singletons + small_group_records))


def long_tail(
    sizes: pl.DataFrame,
    test_records: pl.DataFrame,
    quota: int,
    min_rows: int,
    max_rows: int,
    test_target_of: Callable[[int], int],
) -> pl.DataFrame:
    """Val long tail (docs/curation.md#long-tail): one single-record key from each small
    species, up to ``quota``.

    Species (ascending) qualify with ``min_rows <= n < max_rows`` remaining candidates, a test
    share not above the test target of their full size, and a key of one record.  The original
    counts a key, then stops once ``quota`` is reached, so a zero quota still takes one key.
    ``test_records`` has ``species`` and ``test_rows``.  Returns picked keys as :func:`select`.
    """
    firsts = (
        sizes.group_by("species")
        .agg(
            n=pl.col("size").sum(),
            # The species' first key in (size, key) order: a size-1 key if it has one.
            barcode_key=pl.col("barcode_key").sort_by("size", "barcode_key").first(),
            size=pl.col("size").min(),
        )
        .join(test_records, on="species", how="left")
        .with_columns(pl.col("test_rows").fill_null(0))
        .filter(pl.col("n").is_between(min_rows, max_rows, closed="left"))
        .sort("species")
    )
    test_ceiling = [
        test_target_of(int(n) + int(t)) for n, t in firsts.select("n", "test_rows").iter_rows()
    ]
    eligible = firsts.filter(
        (pl.col("test_rows") <= pl.Series(test_ceiling, dtype=pl.Int64)) & (pl.col("size") == 1)
    )
    return (
        eligible.head(max(quota, 1))
        .with_columns(pick=pl.lit(0, dtype=pl.UInt32))
        .select(*KEY_SIZES_SCHEMA, "pick")
    )
