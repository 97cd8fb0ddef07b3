"""Random streams and heavy-tailed integer splits shared by the synthetic-export modules.

Every part of the model draws from its own stream, derived from the user's seed and a fixed
stream number (never from ``hash()``), so changing how one part draws leaves the others' output
unchanged and the whole export stays a pure function of ``(records, seed)``.
"""

from __future__ import annotations

import numpy as np

#: Stream numbers; never renumber one (that would change every export of that seed).
STREAMS = {
    "taxonomy": 1,
    "thinning": 2,
    "names": 3,
    "groups": 4,
    "labels": 5,
    "spelling": 6,
    "sequences": 7,
    "geography": 8,
    "specimens": 9,
    "rows": 10,
    "evolution": 11,
}


def stream(seed: int, name: str, *extra: int) -> np.random.Generator:
    """The PCG64 generator of stream ``name`` (and optional sub-stream numbers) for ``seed``."""
    sequence = np.random.SeedSequence([seed, STREAMS[name], *extra])
    return np.random.Generator(np.random.PCG64(sequence))


def compose(
    totals: np.ndarray, parts: np.ndarray, weights: np.ndarray, cap: int | None = None
) -> np.ndarray:
    """Split each ``totals[i]`` into ``parts[i]`` positive integers proportional to ``weights``.

    ``weights`` holds one value per part, the parts of unit ``i`` consecutive.  Every part gets 1
    and the rest is shared by weight (floor, then largest remainder, ties by position), so the
    sizes are as heavy-tailed as the weights while summing exactly to the totals.  With ``cap``,
    no part exceeds it (the excess goes to the unit's other parts; the caller guarantees
    ``parts[i] * cap >= totals[i]``).
    """
    totals = np.asarray(totals, dtype=np.int64)
    parts = np.asarray(parts, dtype=np.int64)
    if np.any(parts < 1) or np.any(totals < parts):
        raise ValueError("compose needs 1 <= parts <= totals for every unit")
    unit = np.repeat(np.arange(len(totals)), parts)
    sizes = np.ones(len(unit), dtype=np.int64)
    room = np.full(len(unit), np.inf if cap is None else float(cap - 1))
    free = np.ones(len(unit), dtype=bool)
    left = totals - parts
    while left.any():
        w = np.where(free, weights, 0.0)
        unit_w = np.bincount(unit, w, minlength=len(totals))
        # A unit whose free parts have no weight left shares evenly among its free parts.
        even = unit_w[unit] <= 0
        w = np.where(even & free, 1.0, w)
        unit_w = np.bincount(unit, w, minlength=len(totals))
        share = np.where(unit_w[unit] > 0, left[unit] * w / np.maximum(unit_w[unit], 1e-300), 0)
        share = np.minimum(share, room)
        base = np.floor(share).astype(np.int64)
        given = np.bincount(unit, base, minlength=len(totals))
        rest = left - given
        remainder = np.where(free & (base < room), share - base, -1.0)
        # Within each unit, largest remainder first (ties by position): one stable float sort.
        order = np.argsort(unit + (1.0 - remainder) / 4.0, kind="stable")
        starts = np.cumsum(parts) - parts
        position = np.empty(len(unit), dtype=np.int64)
        position[order] = np.arange(len(unit)) - starts[unit[order]]
        extra = (position < rest[unit]) & (remainder >= 0)
        add = base + extra
        if not add.any():
            raise ValueError("compose cannot place the remaining records under the cap")
        sizes += add
        room = room - add
        free &= room > 0
        left = left - np.bincount(unit, add, minlength=len(totals))
    return sizes


def sample(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct candidates drawn uniformly (all of them if fewer), in ascending order.

    Top-k of random keys: linear time, unlike a full permutation of millions of candidates.
    """
    if count >= len(candidates):
        return np.sort(candidates)
    if count <= 0:
        return candidates[:0]
    keys = rng.random(len(candidates))
    return np.sort(candidates[np.argpartition(keys, count)[:count]])


def lognormal_weights(rng: np.random.Generator, count: int, sigma: float) -> np.ndarray:
    return rng.lognormal(0.0, sigma, size=count)


def allocate(total: int, weights: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Integers in [lower, upper] summing to ``total``, the surplus over ``lower`` by weight.

    Used to hand out category counts to parents (each parent gets at least ``lower``).
    """
    lower = np.asarray(lower, dtype=np.int64)
    upper = np.asarray(upper, dtype=np.int64)
    counts = lower.copy()
    left = int(total - counts.sum())
    while left > 0:
        room = upper - counts
        open_ = room > 0
        if not open_.any():
            break
        w = np.where(open_, weights, 0.0)
        share = left * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), room)
        if add.sum() == 0:
            # Hand the remainder out one by one, largest fractional share first.
            order = np.lexsort((np.arange(len(share)), -(share - np.floor(share))))
            order = order[open_[order]][:left]
            add = np.zeros_like(counts)
            add[order] = 1
        counts += add
        left -= int(add.sum())
    return counts
