"""Records and their labels: the curated truth and the raw labels the export shows.

Every released record belongs to a barcode group and its *truth* is the path of the taxon the
group hangs at (:mod:`curation.synthetic.groups`).  Its *raw* labels start as that path, with
fillers (``unassigned <Family>``) written as missing, and then receive at most one group-level
noise (curtailment conflict, outvoted minority, open nomenclature) and at most one record-level
noise (partial labels, missing genus, one spelling variant).  Each noise is the inverse of one
curation rule, so the truth is what that rule gives back; the table in :mod:`curation.synthetic.generate`
lists which rule each tag relies on.

Safety margins.  C3 keeps the most frequent spelling in the whole input, so spelling noise is
capped per name: fewer than half of a name's occurrences are variants.  Vote shares keep away
from the 0.9 threshold: a curtailed group's largest share is at most 0.8, an outvoted minority is
at most 5 % of a group of at least 11 (share >= 10/11), so the truth holds for any threshold in
(0.8, 0.909].  Conflicting values are labelled no deeper than the conflicting rank, and minority
values are siblings at the group's deepest rank, so a vote never leaves a child of the wrong
parent behind.

Rates are the paper's per record (section 9.10: 3,478 dropped, 172,895 inferred, 7,673
reworded, 82 genus-from-species per 5,150,850 records); outvoted minorities, which the paper
does not count, are set at 2,000 per 5,150,850, whitespace variants at 2,500.  From 20,000
records up every noise occurs at least 3 times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.synthetic import catalogue as cat
from curation.synthetic import names
from curation.synthetic.groups import Groups
from curation.synthetic.random import sample, stream
from curation.synthetic.taxonomy import FAMILY, GENUS, PHYLUM, SPECIES, SUBFAMILY, Taxonomy
from schemas.tables import RANKS

_PER_FULL = 1.0 / cat.N_FULL
_RATES = {
    "curtail": 3_478 * _PER_FULL,
    "partial": 172_895 * _PER_FULL,
    "minority": 2_000 * _PER_FULL,
    "genus_missing": 82 * _PER_FULL,
}
#: Spelling noise per record: (kind, rank, records per 5,150,850); the C2/C3 ones sum to the
#: paper's 7,673 reworded records, whitespace (C0) comes on top.
_SPELLING = (
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
)
_SPELLING_KINDS = {
    "case_variant": 1,
    "whitespace_variant": 2,
    "unpadded_code": 3,
    "malaise_typo": 4,
}
_FLOOR_FROM = 20_000
_FLOOR = 3
#: Partial labelling: relative weight of each raw depth (phylum .. genus) below the truth
#: depth; mostly family, the rank most BIOSCAN records stop at.
_PARTIAL_DEPTH = np.array([0.1, 0.2, 3.0, 12.0, 3.0, 6.0])
_MINORITY_MIN_GROUP = 11
_MINORITY_SHARE = 0.05
_CURTAIL_MAX_SHARE = 0.8
_CURTAIL_MAX_GROUP = 20
_FILLER_CURTAIL_SHARE = 0.3


@dataclass(frozen=True)
class Labels:
    """Per released record (ordered by barcode group): where its labels come from."""

    barcode: np.ndarray  #: int32 barcode group
    truth_node: np.ndarray  #: int32 taxon of the curated labels
    raw_node: np.ndarray  #: int32 taxon whose path gives the raw labels
    open_species: np.ndarray  #: bool raw species is the genus's open-nomenclature value
    genus_missing: np.ndarray  #: bool raw genus written as missing
    spelling_rank: np.ndarray  #: int8 rank of the spelling variant, -1 none
    spelling: pl.Series  #: String: the variant text (null when spelling_rank < 0)
    tags: pl.Series  #: String: ';'-joined noise tags, null when nothing was injected

    @property
    def records(self) -> int:
        return len(self.barcode)


def _budget(rate: float, records: int) -> int:
    count = round(rate * records)
    return max(count, _FLOOR) if records >= _FLOOR_FROM else count


def _take_groups(
    rng: np.random.Generator, eligible: np.ndarray, size: np.ndarray, records: int
) -> np.ndarray:
    """Random eligible groups whose sizes add up to about ``records``."""
    order = rng.permutation(eligible)
    total = np.cumsum(size[order])
    return np.sort(
        order[: int(np.searchsorted(total, records, side="left")) + 1]
        if records > 0 and len(order)
        else order[:0]
    )


def build(taxonomy: Taxonomy, groups: Groups, seed: int) -> Labels:
    """Raw labels, noise and truth of every released record (records ordered by group)."""
    rng = stream(seed, "labels")
    tx = taxonomy
    size = groups.barcode_size
    node = groups.barcode_node
    barcode = np.repeat(np.arange(groups.barcodes, dtype=np.int32), size)
    records = len(barcode)
    first = np.cumsum(size) - size
    raw_node = node[barcode].astype(np.int64)
    children = _children(tx)

    # Group-level noise; a group gets at most one.
    open_group = (tx.open_share[node] > 0) & (rng.random(groups.barcodes) < tx.open_share[node])
    curtail_rank, filler_dropped = _curtail(rng, tx, groups, children, open_group, raw_node)
    minority_rank = _outvoted_minority(
        rng, tx, groups, children, open_group | (curtail_rank >= 0), raw_node
    )
    conflict = np.repeat((curtail_rank >= 0) | (minority_rank >= 0), size)

    # Record-level noise; a record gets at most one (the group's first record keeps its labels).
    truth_node = node[barcode].astype(np.int32)
    position = np.arange(records) - np.repeat(first, size)
    partial_rank = _partial(rng, tx, truth_node, ~conflict & (position > 0), raw_node)
    open_species = open_group[barcode] & (partial_rank < 0)
    genus_missing = np.zeros(records, dtype=bool)
    candidates = np.flatnonzero(
        ~conflict & (partial_rank < 0) & ~open_species & (tx.rank[raw_node] == SPECIES)
    )
    genus_missing[sample(rng, candidates, _budget(_RATES["genus_missing"], records))] = True
    spelling_rank, spelling_kind, text = _spelling(
        rng, tx, raw_node, open_species, genus_missing, (partial_rank >= 0) | genus_missing
    )

    # BOLD leaves the subfamily of an unplaced genus empty; C4 fills it.
    raw_genus = tx.ancestors[raw_node, GENUS]
    raw_subfamily = tx.ancestors[raw_node, SUBFAMILY]
    unassigned = (
        (raw_genus >= 0)
        & ~genus_missing
        & (raw_subfamily >= 0)
        & tx.filler[np.maximum(raw_subfamily, 0)]
    )
    spelled = {kind: spelling_kind == code for kind, code in _SPELLING_KINDS.items()}
    tags = noise_column(
        [
            ("curtailed", curtail_rank[barcode], "rank"),
            ("filler_dropped", filler_dropped[barcode], "flag"),
            (
                "minority_label",
                np.where(raw_node != truth_node, minority_rank[barcode], -1),
                "rank",
            ),
            ("open_nomenclature", open_species, "flag"),
            ("partial_label", partial_rank, "rank"),
            ("genus_missing", genus_missing, "flag"),
            ("unassigned_subfamily", unassigned, "flag"),
            ("case_variant", np.where(spelled["case_variant"], spelling_rank, -1), "rank"),
            (
                "whitespace_variant",
                np.where(spelled["whitespace_variant"], spelling_rank, -1),
                "rank",
            ),
            ("unpadded_code", spelled["unpadded_code"], "flag"),
            ("malaise_typo", spelled["malaise_typo"], "flag"),
        ],
        records,
    )
    return Labels(
        barcode=barcode,
        truth_node=truth_node,
        raw_node=raw_node.astype(np.int32),
        open_species=open_species,
        genus_missing=genus_missing,
        spelling_rank=spelling_rank,
        spelling=text,
        tags=tags,
    )


def _curtail(
    rng: np.random.Generator,
    tx: Taxonomy,
    groups: Groups,
    children: dict[str, dict[int, np.ndarray]],
    busy: np.ndarray,
    raw_node: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Groups whose records split between two values one rank below the group's taxon.

    The largest value keeps at most 80 % of the group, so C5 curtails there for every record.
    With a family's genera without subfamily as the values, the filler rule applies as well.
    Writes the records' raw nodes; returns per group the conflicting rank (-1: none) and
    whether the filler rule applies.
    """
    size, node = groups.barcode_size, groups.barcode_node
    regular = _option_count(children["regular"], tx.size)[node] >= 2
    filler = _option_count(children["filler"], tx.size)[node] >= 2
    eligible = np.flatnonzero(
        (regular | filler) & ~busy & (size >= 2) & (size <= _CURTAIL_MAX_GROUP)
    )
    chosen = _take_groups(rng, eligible, size, _budget(_RATES["curtail"], int(size.sum())))
    with_filler = filler[chosen] & (
        ~regular[chosen] | (rng.random(len(chosen)) < _FILLER_CURTAIL_SHARE)
    )
    rank = np.full(groups.barcodes, -1, dtype=np.int8)
    dropped = np.zeros(groups.barcodes, dtype=bool)
    first = np.cumsum(size) - size
    for g, use_filler in zip(chosen, with_filler, strict=True):
        options = children["filler" if use_filler else "regular"][int(node[g])]
        a, b = options[rng.choice(len(options), size=2, replace=False)]
        n = int(size[g])
        values = np.full(n, a)
        values[rng.permutation(n)[: max(1, int(np.ceil(n * (1 - _CURTAIL_MAX_SHARE))))]] = b
        raw_node[first[g] : first[g] + n] = values
        rank[g] = tx.rank[a]
        dropped[g] = use_filler
    return rank, dropped


def _outvoted_minority(
    rng: np.random.Generator,
    tx: Taxonomy,
    groups: Groups,
    children: dict[str, dict[int, np.ndarray]],
    busy: np.ndarray,
    raw_node: np.ndarray,
) -> np.ndarray:
    """Groups of >= 11 records where <= 5 % carry a sibling of the group's taxon.

    Writes the minority records' raw nodes (the group's last records); returns per group the
    rank of the outvoted value (-1: none).
    """
    size, node = groups.barcode_size, groups.barcode_node
    sibling = _siblings(children["regular"])
    depth = tx.rank[node]
    eligible = np.flatnonzero(
        ~busy
        & (size >= _MINORITY_MIN_GROUP)
        & (depth > PHYLUM)
        & (_option_count(sibling, tx.size)[node] > 0)
    )
    minority = np.maximum(1, np.floor(size * _MINORITY_SHARE)).astype(np.int64)
    chosen = _take_groups(rng, eligible, minority, _budget(_RATES["minority"], int(size.sum())))
    rank = np.full(groups.barcodes, -1, dtype=np.int8)
    end = np.cumsum(size)
    for g in chosen:
        options = sibling[int(node[g])]
        raw_node[end[g] - minority[g] : end[g]] = options[int(rng.integers(0, len(options)))]
        rank[g] = depth[g]
    return rank


def _partial(
    rng: np.random.Generator,
    tx: Taxonomy,
    truth_node: np.ndarray,
    eligible: np.ndarray,
    raw_node: np.ndarray,
) -> np.ndarray:
    """Records labelled less deeply than their group (C6 infers the rest).

    Writes their raw nodes; returns per record the deepest raw rank (-1: not partial).
    """
    candidates = np.flatnonzero(eligible & (tx.rank[truth_node] > PHYLUM))
    chosen = sample(rng, candidates, _budget(_RATES["partial"], len(truth_node)))
    depth = _partial_depths(rng, tx, truth_node[chosen])
    raw_node[chosen] = tx.ancestors[truth_node[chosen], depth]
    rank = np.full(len(truth_node), -1, dtype=np.int8)
    rank[chosen] = depth
    return rank


def _children(tx: Taxonomy) -> dict[str, dict[int, np.ndarray]]:
    """Per node: its non-filler children (``regular``); per family: its filler's genera."""
    regular: dict[int, list[int]] = {}
    filler: dict[int, list[int]] = {}
    for child in range(tx.size):
        parent = int(tx.parent[child])
        if parent < 0:
            continue
        if not tx.filler[child]:
            regular.setdefault(parent, []).append(child)
        if tx.filler[parent] and tx.rank[child] == GENUS:
            filler.setdefault(int(tx.parent[parent]), []).append(child)
    return {
        "regular": {k: np.array(v) for k, v in regular.items()},
        "filler": {k: np.array(v) for k, v in filler.items()},
    }


def _option_count(options: dict[int, np.ndarray], size: int) -> np.ndarray:
    count = np.zeros(size, dtype=np.int64)
    for key, values in options.items():
        count[key] = len(values)
    return count


def _siblings(regular: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Per node: the other non-filler children of its parent (a wrong but plausible value)."""
    result: dict[int, np.ndarray] = {}
    for group in regular.values():
        if len(group) < 2:
            continue
        for x in group:
            result[int(x)] = group[group != x]
    return result


def _partial_depths(rng: np.random.Generator, tx: Taxonomy, truth: np.ndarray) -> np.ndarray:
    """A raw depth below each record's truth depth (never a filler subfamily)."""
    depth = tx.rank[truth].astype(np.int64)
    weights = np.tile(_PARTIAL_DEPTH, (len(truth), 1))
    weights[np.arange(6)[None, :] >= depth[:, None]] = 0.0
    filler_sub = tx.filler[np.maximum(tx.ancestors[truth, SUBFAMILY], 0)] & (
        tx.ancestors[truth, SUBFAMILY] >= 0
    )
    weights[filler_sub, SUBFAMILY] = 0.0
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(truth)) * cumulative[:, -1]
    return (cumulative <= u[:, None]).sum(axis=1)


def _spelling(
    rng: np.random.Generator,
    tx: Taxonomy,
    raw_node: np.ndarray,
    open_species: np.ndarray,
    genus_missing: np.ndarray,
    record_noise: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Spelling variants: per record the rank, kind code and text (-1 / 0 / null: none).

    Capped so every name's canonical spelling keeps a strict majority of its occurrences.
    """
    records = len(raw_node)
    busy = record_noise.copy()
    has_zero = np.array([names.unpadded(n) is not None for n in tx.name])
    has_malaise = np.array([names.malaise_typo(n, 0) is not None for n in tx.name])
    written = {}  # per rank: the node whose name the raw label shows (-1: missing)
    for rank in {r for _, r, _ in _SPELLING}:
        label = tx.ancestors[raw_node, rank]
        label = np.where(tx.filler[np.maximum(label, 0)], -1, label)
        if rank == GENUS:
            label = np.where(genus_missing, -1, label)
        written[rank] = label
    picked_parts, rank_parts, kind_parts = [], [], []
    for kind, rank, per_full in _SPELLING:
        label = written[rank]
        ok = (label >= 0) & ~busy & ~open_species
        if kind == "unpadded_code":
            ok &= has_zero[np.maximum(label, 0)]
        elif kind == "malaise_typo":
            ok &= has_malaise[np.maximum(label, 0)]
        picked = sample(rng, np.flatnonzero(ok), _budget(per_full * _PER_FULL, records))
        busy[picked] = True
        picked_parts.append(picked)
        rank_parts.append(np.full(len(picked), rank, dtype=np.int8))
        kind_parts.append(np.full(len(picked), _SPELLING_KINDS[kind], dtype=np.int8))
    picked = np.concatenate(picked_parts)
    rank_of = np.concatenate(rank_parts)
    kind_of = np.concatenate(kind_parts)
    label_of = np.array(
        [written[r][i] for r, i in zip(rank_of, picked, strict=True)], dtype=np.int64
    )
    occurrences = {r: np.bincount(w[w >= 0], minlength=tx.size) for r, w in written.items()}
    occ = np.array(
        [occurrences[r][x] for r, x in zip(rank_of, label_of, strict=True)], dtype=np.int64
    )
    # Per name, variants stay below half of its occurrences; a random priority picks who keeps one.
    order = np.lexsort((rng.random(len(picked)), label_of, rank_of))
    key = rank_of[order].astype(np.int64) * tx.size + label_of[order]
    start = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    keep = np.zeros(len(picked), dtype=bool)
    keep[order] = (np.arange(len(order)) - group_start) < (occ[order] - 1) // 2
    choice = rng.integers(0, 6, size=len(picked))
    spelling_rank = np.full(records, -1, dtype=np.int8)
    spelling_kind = np.zeros(records, dtype=np.int8)
    variants: list[str] = []
    makers = {
        1: lambda name, c: names.case_variant(name, c),
        2: lambda name, c: names.whitespace_variant(name, c),
        3: lambda name, c: names.unpadded(name),
        4: lambda name, c: names.malaise_typo(name, c),
    }
    kept = np.flatnonzero(keep)
    for i in kept:
        variants.append(makers[int(kind_of[i])](tx.name[label_of[i]], int(choice[i])))
    spelling_rank[picked[kept]] = rank_of[kept]
    spelling_kind[picked[kept]] = kind_of[kept]
    text = pl.repeat(None, records, dtype=pl.String, eager=True).scatter(
        picked[kept], pl.Series(variants, dtype=pl.String)
    )
    return spelling_rank, spelling_kind, text


#: A tag: (name, values, style).  Styles: ``flag`` (bool: the name), ``rank`` (int rank, -1
#: absent: ``name:<rank>``), ``count`` (int, 0 absent: ``name:<n>``), ``code`` (int code, 0
#: absent: the name is a {code: text} mapping).
Tag = tuple[object, np.ndarray, str]


def _present(values: np.ndarray, style: str) -> np.ndarray:
    if style == "flag":
        return values.astype(bool)
    if style == "rank":
        return values >= 0
    return values > 0


def _tag_text(name, values: np.ndarray, style: str) -> pl.Series:
    """The tag's text for each of ``values`` (null where absent)."""
    present = pl.Series(_present(values, style))
    if style == "flag":
        text = pl.repeat(name, len(values), dtype=pl.String, eager=True)
    elif style == "rank":
        text = pl.Series([f"{name}:{rank}" for rank in RANKS]).gather(np.maximum(values, 0))
    elif style == "count":
        text = pl.lit(f"{name}:") + pl.Series(values.astype(np.int64)).cast(pl.String)
        text = pl.select(text).to_series()
    else:
        text = pl.Series(values.astype(np.int64)).replace_strict(
            list(name), list(name.values()), default="", return_dtype=pl.String
        )
    return pl.select(pl.when(present).then(text)).to_series()


def noise_column(tags: list[Tag], length: int) -> pl.Series:
    """The ``noise`` column: the tags ';'-joined in order, null when a record has none.

    Only records with at least one tag are formatted (most records have none).
    """
    any_tag = np.zeros(length, dtype=bool)
    for _, values, style in tags:
        any_tag |= _present(values, style)
    at = np.flatnonzero(any_tag)
    parts = {
        f"t{i}": _tag_text(name, values[at], style) for i, (name, values, style) in enumerate(tags)
    }
    joined = (
        pl.DataFrame(parts, height=len(at))
        .select(pl.concat_str(pl.all(), separator=";", ignore_nulls=True))
        .to_series()
    )
    return pl.repeat(None, length, dtype=pl.String, eager=True).scatter(at, joined).alias("noise")
