"""Noise on single records, in groups without group-level noise; a record gets at most one.

* ``partial_label:<rank>``: labelled only down to ``rank`` (another record of the group deeper);
* ``subfamily_blank``: some records of a group leave the subfamily blank that the others give
  (5 x Metopininae + 5 blank on one Megaselia barcode);
* ``open_mixed``: one record of a named species' group writes ``<Genus> sp.`` or another
  open-nomenclature form (5 x Megaselia abdita + 1 x Megaselia sp.);
* ``genus_missing``: species present, genus blank;
* ``genus_several_words``: the genus column holds a species-like string
  (``malaiseGraci01 Malaise4560``), with the record's species or without a species;
* ``genus_wrong``: the genus column names a sibling genus of the species' own;
* ``species_wrong``: the species belongs to another genus than the record's;
* ``filler_in_input``: an unplaced genus's record writes ``unassigned <Family>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from curation.synthetic import names
from curation.synthetic.random import sample
from curation.synthetic.taxonomy import FAMILY, GENUS, PHYLUM, SPECIES, SUBFAMILY

if TYPE_CHECKING:
    from curation.synthetic.labels import Draft

#: Partial labelling: relative weight of each raw depth (phylum .. genus) below the group's;
#: mostly family, the rank most BIOSCAN records stop at.
_PARTIAL_DEPTH = np.array([0.1, 0.2, 3.0, 12.0, 3.0, 6.0])
#: Share of ``genus_several_words`` records that also have no species.
_SEVERAL_WORDS_ALONE = 0.4


def inject(draft: Draft) -> None:
    """Every record-level noise, in turn, on records without one yet."""
    quiet = ~draft.group_busy[draft.barcode]
    position = np.arange(draft.records) - draft.first[draft.barcode]
    _partial(draft, quiet & (position > 0))
    _blank_subfamilies(draft, quiet & (position > 0))
    _open_mixed(draft, quiet & (position > 0))
    _genus_missing(draft, quiet)
    _several_words(draft, quiet)
    _genus_wrong(draft, quiet & (position > 0))
    _species_wrong(draft, quiet & (position > 0))
    _filler_in_input(draft, quiet)


def _pick(draft: Draft, eligible: np.ndarray, kind: str) -> np.ndarray:
    """Up to the budget of ``kind`` of the eligible records that are not busy; marks them."""
    chosen = sample(draft.rng, np.flatnonzero(eligible & ~draft.busy), draft.budget(kind))
    draft.busy[chosen] = True
    return chosen


def _flag(draft: Draft, name: str, chosen: np.ndarray) -> None:
    flag = np.zeros(draft.records, dtype=bool)
    flag[chosen] = True
    draft.tag(name, flag, "flag")


def _node(draft: Draft) -> np.ndarray:
    """Each record's group taxon."""
    return draft.groups.barcode_node[draft.barcode]


def _partial(draft: Draft, eligible: np.ndarray) -> None:
    """Records labelled less deeply than their group: a raw depth below the group's (never a
    filler subfamily, which is written blank anyway)."""
    tx = draft.tx
    node = _node(draft)
    chosen = _pick(draft, eligible & (tx.rank[node] > PHYLUM), "partial")
    depth = tx.rank[node[chosen]].astype(np.int64)
    weights = np.tile(_PARTIAL_DEPTH, (len(chosen), 1))
    weights[np.arange(6)[None, :] >= depth[:, None]] = 0.0
    weights[draft.written[chosen, SUBFAMILY] < 0, SUBFAMILY] = 0.0
    cumulative = np.cumsum(weights, axis=1)
    u = draft.rng.random(len(chosen)) * cumulative[:, -1]
    raw = (cumulative <= u[:, None]).sum(axis=1)
    deeper = np.arange(7)[None, :] > raw[:, None]
    draft.written[chosen] = np.where(deeper, -1, draft.written[chosen])
    ranks = np.full(draft.records, -1, dtype=np.int64)
    ranks[chosen] = raw
    draft.tag("partial_label", ranks, "rank")


def _blank_subfamilies(draft: Draft, eligible: np.ndarray) -> None:
    """Some records of a group without the real subfamily its other records give."""
    placed = (draft.written[:, GENUS] >= 0) & (draft.written[:, SUBFAMILY] >= 0)
    chosen = _pick(draft, eligible & placed, "subfamily_blank")
    draft.written[chosen, SUBFAMILY] = -1
    _flag(draft, "subfamily_blank", chosen)


def _open_mixed(draft: Draft, eligible: np.ndarray) -> None:
    """A record of a named species' group that writes an open-nomenclature form instead."""
    tx = draft.tx
    named = (draft.written[:, SPECIES] >= 0) & (draft.groups.barcode_size[draft.barcode] >= 3)
    chosen = _pick(draft, eligible & named, "open_mixed")
    genus = draft.written[chosen, GENUS]
    words = names.epithets(draft.rng, len(chosen), set())
    texts = [
        names.open_nomenclature(tx.name[g], word, draft.rng)
        for g, word in zip(genus, words, strict=True)
    ]
    draft.written[chosen, SPECIES] = -1
    draft.text(chosen, SPECIES, texts)
    _flag(draft, "open_mixed", chosen)


def _genus_missing(draft: Draft, eligible: np.ndarray) -> None:
    chosen = _pick(draft, eligible & (draft.written[:, SPECIES] >= 0), "genus_missing")
    draft.written[chosen, GENUS] = -1
    _flag(draft, "genus_missing", chosen)


def _several_words(draft: Draft, eligible: np.ndarray) -> None:
    """The genus column holds ``<genus> <code>``; some of these records have no species."""
    tx = draft.tx
    chosen = _pick(draft, eligible & (draft.written[:, SPECIES] >= 0), "genus_several_words")
    codes = draft.rng.integers(0, 10_000, size=len(chosen))
    genera = draft.written[chosen, GENUS]
    texts = [f"{tx.name[g]} Malaise{c:04d}" for g, c in zip(genera, codes, strict=True)]
    draft.text(chosen, GENUS, texts)
    alone = chosen[draft.rng.random(len(chosen)) < _SEVERAL_WORDS_ALONE]
    draft.written[alone, SPECIES] = -1
    _flag(draft, "genus_several_words", chosen)


def _genus_wrong(draft: Draft, eligible: np.ndarray) -> None:
    """The genus column names a sibling of the species' genus (the barcode knows better)."""
    named = (draft.written[:, SPECIES] >= 0) & (draft.groups.barcode_size[draft.barcode] >= 3)
    genus = draft.written[:, GENUS]
    named &= (genus >= 0) & draft.has_siblings[np.maximum(genus, 0)]
    chosen = _pick(draft, eligible & named, "genus_wrong")
    for record in chosen:
        options = draft.siblings(int(draft.written[record, GENUS]))
        draft.written[record, GENUS] = options[draft.rng.integers(0, len(options))]
    _flag(draft, "genus_wrong", chosen)


def _species_wrong(draft: Draft, eligible: np.ndarray) -> None:
    """The species is one of another genus, the genus column the record's own."""
    tx = draft.tx
    species = np.flatnonzero(tx.rank == SPECIES)
    chosen = _pick(draft, eligible & (draft.written[:, SPECIES] >= 0), "species_wrong")
    for record in chosen:
        own = draft.written[record, GENUS]
        while True:
            other = int(species[draft.rng.integers(0, len(species))])
            if tx.ancestors[other, GENUS] != own:
                break
        draft.written[record, SPECIES] = other
    _flag(draft, "species_wrong", chosen)


def _filler_in_input(draft: Draft, eligible: np.ndarray) -> None:
    """An unplaced genus's record writes the filler out (as an earlier curation wrote it)."""
    tx = draft.tx
    node = _node(draft)
    subfamily = tx.ancestors[node, SUBFAMILY]
    unplaced = (subfamily >= 0) & tx.filler[np.maximum(subfamily, 0)]
    unplaced &= (draft.written[:, GENUS] >= 0) & (draft.written[:, FAMILY] >= 0)
    chosen = _pick(draft, eligible & unplaced, "filler_in_input")
    families = draft.written[chosen, FAMILY]
    draft.text(chosen, SUBFAMILY, [f"unassigned {tx.name[f]}" for f in families])
    _flag(draft, "filler_in_input", chosen)
