"""BINs and barcode groups: how the records hanging at each taxon share DNA barcodes.

A *barcode group* is the set of records with one DNA barcode (one barcode key after the ingest's
cleaning); all its records hang at the same taxon, because after curation all records of a
barcode carry the same labels.  Barcodes are grouped into BINs inside a taxon: a taxon that ends
at species gets one BIN per ~400 records (a species is usually one BIN), any other taxon one BIN
per ~16 records (the mean of Table 2), calibrated so the export has 324,411 BINs and 2,486,492
barcodes per 5,150,850 records -- i.e. the per-record rates of Table 2 at every size.  BIN and
barcode sizes are log-normal splits (heavy-tailed: median 2 records per BIN); the largest BIN
and the largest barcode are pinned to Table A5's 35,458 and 3,743 records (scaled), in the
taxon with the most hanging records (Cecidomyiidae).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation.synthetic import catalogue as cat
from curation.synthetic.random import compose, lognormal_weights, stream
from curation.synthetic.taxonomy import SPECIES, Taxonomy

#: Records per BIN (before the global rescaling to Table 2's BIN count): a taxon that ends at
#: species is mostly one BIN, any other taxon holds many species, so many BINs.
_RECORDS_PER_SPECIES_BIN = 400.0
_RECORDS_PER_BIN = 16.0
_BIN_SIGMA = 2.2
_BARCODE_SIGMA = 1.6


@dataclass(frozen=True)
class Groups:
    """Barcode groups (one row per barcode) and BINs (one row per BIN)."""

    barcode_node: np.ndarray  #: int32 taxon every record of the barcode hangs at
    barcode_bin: np.ndarray  #: int32 the barcode's BIN
    barcode_size: np.ndarray  #: int64 records of the barcode
    barcode_index: np.ndarray  #: int32 position of the barcode within its BIN
    bin_node: np.ndarray  #: int32 taxon of the BIN

    @property
    def barcodes(self) -> int:
        return len(self.barcode_size)

    @property
    def bins(self) -> int:
        return len(self.bin_node)


def _scaled(full: int, records: int) -> int:
    return round(full * records / cat.N_FULL)


def _counts(mass: np.ndarray, per: np.ndarray, total: int) -> np.ndarray:
    """``clip(round(mass / (per * c)), 1, mass)``, ``c`` solved so the counts sum to ``total``."""
    total = int(np.clip(total, len(mass), mass.sum()))

    def counts(c: float) -> np.ndarray:
        return np.clip(np.rint(mass / (per * c)), 1, mass).astype(np.int64)

    lo, hi = 1e-9, 1e9
    for _ in range(64):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if counts(mid).sum() > total else (lo, mid)
    result = counts(hi)
    # Rounding leaves the sum a little short: add one part to the units with the most room.
    diff = total - int(result.sum())
    while diff > 0:
        room = mass - result
        order = np.lexsort((np.arange(len(mass)), -room))[:diff]
        order = order[room[order] > 0]
        result[order] += 1
        diff -= len(order)
    return result


def _split_with_top(
    rng: np.random.Generator, totals: np.ndarray, parts: np.ndarray, top: int, sigma: float
) -> np.ndarray:
    """Split ``totals`` into ``parts`` log-normal sizes; the largest unit's first part is ``top``.

    Every other part stays below ``top`` so the pinned part is the largest.
    """
    host = int(np.argmax(totals))
    pin = 2 <= top <= totals[host] - (parts[host] - 1) and parts[host] >= 2
    rest_totals = totals.copy()
    rest_parts = parts.copy()
    if pin:
        rest_totals[host] -= top
        rest_parts[host] -= 1
    # The cap must leave room for every unit (only binds in tiny exports).
    needed = int((-(-rest_totals // np.maximum(rest_parts, 1))).max(initial=1))
    cap = max(top - 1, needed) if pin else None
    sizes = compose(
        rest_totals, rest_parts, lognormal_weights(rng, int(rest_parts.sum()), sigma), cap=cap
    )
    if pin:
        start = int(rest_parts[:host].sum())
        sizes = np.insert(sizes, start, top)
    return sizes


def build(taxonomy: Taxonomy, seed: int) -> Groups:
    """BINs and barcode groups of the taxonomy's hanging records (deterministic in the seed)."""
    rng = stream(seed, "groups")
    records = int(taxonomy.hanging.sum())
    nodes = np.flatnonzero(taxonomy.hanging > 0)
    hanging = taxonomy.hanging[nodes]
    # Biggest hanging taxon first, so it hosts the pinned largest BIN and barcode.
    order = np.lexsort((nodes, -hanging))
    nodes, hanging = nodes[order], hanging[order]
    per = np.where(taxonomy.rank[nodes] == SPECIES, _RECORDS_PER_SPECIES_BIN, _RECORDS_PER_BIN)
    bins_per_node = _counts(hanging, per, _scaled(cat.BINS_FULL, records))
    bin_size = _split_with_top(
        rng, hanging, bins_per_node, _scaled(cat.TOP_BIN_FULL, records), _BIN_SIGMA
    )
    bin_node = np.repeat(nodes, bins_per_node).astype(np.int32)
    # Records per barcode: one rate everywhere, rescaled to Table 2's barcode count.
    barcodes_per_bin = _counts(
        bin_size, np.full(len(bin_size), 2.0), _scaled(cat.BARCODES_FULL, records)
    )
    barcode_size = _split_with_top(
        rng, bin_size, barcodes_per_bin, _scaled(cat.TOP_BARCODE_FULL, records), _BARCODE_SIGMA
    )
    barcode_bin = np.repeat(np.arange(len(bin_size)), barcodes_per_bin).astype(np.int32)
    first = np.cumsum(barcodes_per_bin) - barcodes_per_bin
    barcode_index = np.arange(len(barcode_size)) - np.repeat(first, barcodes_per_bin)
    return Groups(
        barcode_node=bin_node[barcode_bin],
        barcode_bin=barcode_bin,
        barcode_size=barcode_size,
        barcode_index=barcode_index.astype(np.int32),
        bin_node=bin_node,
    )
