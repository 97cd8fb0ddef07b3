"""Spelling noise: a record writes a name as another spelling of the same name.

Kinds (tag ``<kind>:<rank>`` or ``<kind>``): ``case_variant`` (lower/upper/title case),
``whitespace_variant`` (a leading, trailing or doubled space), ``unpadded_code``
(``Aus Malaise749`` for ``Aus Malaise0749``), ``malaise_typo`` (``Maliaise``), and
``genus_code_padding`` (``gelBioLep1`` for ``gelBioLep01``, in the genus column and as the
species' first word).  C3 keeps the spelling most frequent in the whole input, so variants are
capped per name: fewer than half of its occurrences (a quarter for the genus codes, which the
species' first words repeat).  Records with other record-level noise, or whose column already
shows a text, get none.  Rates are per 5,150,850 records; the C2/C3 ones sum to the paper's
7,673 reworded records, whitespace (C0) and genus codes come on top.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from curation.synthetic import catalogue as cat
from curation.synthetic import names
from curation.synthetic.taxonomy import FAMILY, GENUS, SPECIES, SUBFAMILY

if TYPE_CHECKING:
    from curation.synthetic.labels import Draft

#: (kind, rank, records per 5,150,850).
KINDS = (
    ("unpadded_code", SPECIES, 1_200),
    ("malaise_typo", SPECIES, 1_200),
    ("case_variant", SPECIES, 2_000),
    ("case_variant", GENUS, 2_300),
    ("case_variant", FAMILY, 500),
    ("case_variant", SUBFAMILY, 300),
    ("case_variant", 2, 150),
    ("case_variant", 1, 23),
    ("whitespace_variant", SPECIES, 1_000),
    ("whitespace_variant", GENUS, 800),
    ("whitespace_variant", FAMILY, 700),
    ("genus_code_padding", GENUS, 1_000),
)
_FLOOR_FROM, _FLOOR = 20_000, 3
#: Kinds tagged with their rank (``case_variant:genus``); the others occur at one rank.
_RANKED = ("case_variant", "whitespace_variant")
#: A genus code whose number has a leading zero: ``gelBioLep01``.
_PADDED_CODE = re.compile(r"^(.*[A-Za-z])0+(\d+)$")


def unpadded_genus(name: str) -> str | None:
    """``gelBioLep01`` -> ``gelBioLep1``; None when the name has no zero-padded code."""
    match = _PADDED_CODE.match(name)
    return None if match is None else match.group(1) + match.group(2)


def _maker(kind: str):
    makers = {
        "case_variant": names.case_variant,
        "whitespace_variant": names.whitespace_variant,
        "unpadded_code": lambda name, choice: names.unpadded(name),
        "malaise_typo": names.malaise_typo,
        "genus_code_padding": lambda name, choice: unpadded_genus(name),
    }
    return makers[kind]


def inject(draft: Draft) -> None:
    """Spelling variants on records and columns that show their node's name plainly."""
    tx = draft.tx
    shown = np.ones((draft.records, 7), dtype=bool)
    for records, rank, _ in draft.texts:
        shown[records, rank] = False
    tags: dict[tuple[str, int], np.ndarray] = {}
    for kind, rank, per_full in KINDS:
        label = draft.written[:, rank]
        ok = (label >= 0) & shown[:, rank] & ~draft.busy
        applicable = np.array([_maker(kind)(name, 0) is not None for name in tx.name])
        ok &= applicable[np.maximum(label, 0)]
        count = round(per_full / cat.N_FULL * draft.records)
        count = max(count, _FLOOR) if draft.records >= _FLOOR_FROM else count
        picked = _capped(draft, np.flatnonzero(ok), label, count, 4 if rank == GENUS else 2)
        if not len(picked):
            continue
        draft.busy[picked] = True
        shown[picked, rank] = False
        choice = draft.rng.integers(0, 6, size=len(picked))
        texts = [
            _maker(kind)(tx.name[label[r]], int(c)) for r, c in zip(picked, choice, strict=True)
        ]
        draft.text(picked, rank, texts)
        if kind == "genus_code_padding":
            _species_follow(draft, picked, texts, shown)
        tags.setdefault((kind, rank), np.zeros(draft.records, dtype=bool))[picked] = True
    for (kind, rank), flag in tags.items():
        if kind in _RANKED:
            draft.tag(kind, np.where(flag, rank, -1), "rank")
        else:
            draft.tag(kind, flag, "flag")


def _capped(
    draft: Draft, candidates: np.ndarray, label: np.ndarray, count: int, share: int
) -> np.ndarray:
    """``count`` random candidates, at most ``(occurrences - 1) // share`` per name."""
    rng = draft.rng
    if not len(candidates) or count <= 0:
        return candidates[:0]
    picked = candidates[rng.permutation(len(candidates))[: count * 2]]
    occurrences = np.bincount(label[label >= 0], minlength=draft.tx.size)
    name = label[picked]
    order = np.argsort(name, kind="stable")
    start = np.r_[True, name[order][1:] != name[order][:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    keep = np.zeros(len(picked), dtype=bool)
    keep[order] = (np.arange(len(order)) - group_start) < (occurrences[name[order]] - 1) // share
    return np.sort(picked[keep][:count])


def _species_follow(draft: Draft, records: np.ndarray, genera: list[str], shown: np.ndarray):
    """A record writing its genus code unpadded writes its species' first word the same way."""
    species = draft.written[records, SPECIES]
    with_species = (species >= 0) & shown[records, SPECIES]
    at = records[with_species]
    texts = [
        genus + draft.tx.name[s][len(draft.tx.name[draft.written[r, GENUS]]) :]
        for r, s, genus in zip(
            at, species[with_species], pl.Series(genera).filter(with_species), strict=True
        )
    ]
    draft.text(at, SPECIES, texts)
    shown[at, SPECIES] = False
