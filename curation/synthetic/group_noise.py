"""Noise on whole barcode groups: open nomenclature, vote conflicts, homonym lineages and
subfamilies left blank.  A group gets at most one of these.

* ``open_nomenclature``: the group's records of a genus with an open-nomenclature value write it
  as their species (``Pseudosciara sp.``, ``Aus sp. nov.``), at the paper's 5,101 records;
* ``vote_conflict:<rank>``: the group's records disagree at ``rank``; the majority's share
  spreads over (0.5, 1.0): clear majorities (>= 0.9), exactly 0.90 (9 of 10, 18 of 20),
  just under it (0.85-0.9: 8 of 9, 17 of 19) and no majority (<= 0.85); the minority's path
  often runs deeper than the majority's (``outvoted_deeper``: 9 x Phoridae, 1 x Sciaridae >
  Bradysia > Bradysia impatiens);
* ``misplaced_genus``: the group files its genus under another family of the order (no
  subfamily), so the genus has two lineages;
* ``subfamily_blank_group``: a group of a genus placed in a real subfamily leaves it blank.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from curation.synthetic.taxonomy import CLASS, FAMILY, GENUS, SPECIES, SUBFAMILY

if TYPE_CHECKING:
    from curation.synthetic.labels import Draft

#: Largest group a conflict is injected into (larger ones would make it too many records).
_CONFLICT_MAX_GROUP = 40
#: Share of conflicts between two children of the group's taxon (labelled deeper than it).
_SPLIT_BELOW = 0.4
#: Chance of stopping at each level when the minority's path goes down.
_STOP = 0.5


def inject(draft: Draft) -> None:
    """Every group-level noise, in turn, on groups without one yet."""
    _open_nomenclature(draft)
    _vote_conflicts(draft)
    _misplaced_genera(draft)
    _blank_group_subfamilies(draft)


def _take_groups(draft: Draft, eligible: np.ndarray, records: int) -> np.ndarray:
    """Random eligible groups whose sizes add up to about ``records``; marks them busy."""
    size = draft.groups.barcode_size
    order = draft.rng.permutation(eligible)
    total = np.cumsum(size[order])
    count = int(np.searchsorted(total, records, side="left")) + 1 if records > 0 else 0
    chosen = np.sort(order[:count])
    draft.group_busy[chosen] = True
    return chosen


def _group_tag(draft: Draft, name: str, groups: np.ndarray, values=None) -> None:
    """Tag every record of ``groups`` (``values``: a rank per group, else a flag)."""
    per_group = np.full(draft.groups.barcodes, -1 if values is not None else 0, dtype=np.int64)
    per_group[groups] = values if values is not None else 1
    style = "rank" if values is not None else "flag"
    draft.tag(name, per_group[draft.barcode], style)


def _records(draft: Draft, group: int) -> np.ndarray:
    start = int(draft.first[group])
    return np.arange(start, start + int(draft.groups.barcode_size[group]))


def _open_nomenclature(draft: Draft) -> None:
    """Groups identified to a genus with an open-nomenclature value write it as their
    species (taxonomy.open_share)."""
    tx, node = draft.tx, draft.groups.barcode_node
    share = tx.open_share[node]  # non-zero only for genera: the groups identified to genus
    chosen = np.flatnonzero((share > 0) & (draft.rng.random(len(node)) < share))
    draft.group_busy[chosen] = True
    records = np.concatenate([_records(draft, g) for g in chosen]) if len(chosen) else chosen
    draft.written[records, SPECIES] = -1
    draft.text(records, SPECIES, [tx.open_name[node[g]] for g in draft.barcode[records]])
    _group_tag(draft, "open_nomenclature", chosen)


def _share_options(size: int) -> dict[str, list[int]]:
    """The minority sizes of a conflict group of ``size`` records, by kind of majority share."""
    minorities = range(1, (size + 1) // 2)
    share = {m: (size - m) / size for m in minorities}
    return {
        "exact": [m for m in minorities if 10 * m == size],
        "just_under": [m for m in minorities if 0.85 <= share[m] < 0.9],
        "outvoted": [m for m in minorities if share[m] >= 0.9 and 10 * m != size],
        "no_majority": [m for m in minorities if share[m] < 0.85],
    }


def _conflict_paths(draft: Draft, node: int) -> tuple[int, int, int] | None:
    """The majority's and the minority's nodes of a conflict in a group at ``node``, and the
    rank where they first differ; None when the taxonomy offers no plausible other value."""
    tx = draft.tx
    kids = [k for k in draft.children.get(node, []) if not tx.filler[k]]
    if len(kids) >= 2 and draft.rng.random() < _SPLIT_BELOW:
        a, b = draft.rng.choice(kids, size=2, replace=False)
        return draft.descend(int(a), _STOP), draft.descend(int(b), _STOP), int(tx.rank[a])
    depth = int(tx.rank[node])
    for rank in draft.rng.permutation(np.arange(max(CLASS, depth - 2), depth + 1)):
        ancestor = int(tx.ancestors[node, rank])
        if ancestor < 0:
            continue
        options = draft.siblings(ancestor)
        if len(options):
            other = int(options[draft.rng.integers(0, len(options))])
            return node, draft.descend(other, _STOP), int(rank)
    return None


def _vote_conflicts(draft: Draft) -> None:
    """Groups whose records disagree at one rank, the majority's share spread out."""
    size = draft.groups.barcode_size
    options = {n: _share_options(n) for n in range(3, _CONFLICT_MAX_GROUP + 1)}
    ranks = np.full(draft.groups.barcodes, -1, dtype=np.int64)
    deeper = np.zeros(draft.records, dtype=bool)
    for kind in ("exact", "just_under", "outvoted", "no_majority"):
        possible = np.array(
            [n in options and bool(options[n][kind]) for n in range(size.max() + 1)]
        )
        eligible = np.flatnonzero(~draft.group_busy & possible[size])
        chosen = _take_groups(draft, eligible, draft.budget(f"vote_{kind}"))
        for group in chosen:
            paths = _conflict_paths(draft, int(draft.groups.barcode_node[group]))
            if paths is None:
                continue
            major, minor, ranks[group] = paths
            minority = options[int(size[group])][kind]
            records = draft.rng.permutation(_records(draft, int(group)))
            outvoted = records[: minority[draft.rng.integers(0, len(minority))]]
            draft.written[records] = draft.path(major)
            draft.written[outvoted] = draft.path(minor)
            deeper[outvoted] = draft.tx.rank[minor] > draft.tx.rank[major]
    conflicted = np.flatnonzero(ranks >= 0)
    _group_tag(draft, "vote_conflict", conflicted, ranks[conflicted])
    draft.tag("outvoted_deeper", deeper, "flag")


def _misplaced_genera(draft: Draft) -> None:
    """Groups that file their genus under another family of its order, without subfamily."""
    tx, node = draft.tx, draft.groups.barcode_node
    family = tx.ancestors[node, FAMILY]
    movable = (tx.rank[node] >= GENUS) & (family >= 0) & ~draft.group_busy
    eligible = np.flatnonzero(movable & draft.has_siblings[np.maximum(family, 0)])
    chosen = _take_groups(draft, eligible, draft.budget("misplaced_genus"))
    for group in chosen:
        options = draft.siblings(int(family[group]))
        records = _records(draft, int(group))
        draft.written[records, FAMILY] = options[draft.rng.integers(0, len(options))]
        draft.written[records, SUBFAMILY] = -1
    _group_tag(draft, "misplaced_genus", chosen)


def _blank_group_subfamilies(draft: Draft) -> None:
    """Groups of a genus in a real subfamily that leave the subfamily blank (completion at
    genus level gives it back when other groups place the genus)."""
    placed = (draft.tx.rank[draft.groups.barcode_node] >= GENUS) & ~draft.group_busy
    placed &= draft.written[draft.first, SUBFAMILY] >= 0
    eligible = np.flatnonzero(placed)
    chosen = _take_groups(draft, eligible, draft.budget("subfamily_blank_group"))
    records = np.concatenate([_records(draft, g) for g in chosen]) if len(chosen) else chosen
    draft.written[records, SUBFAMILY] = -1
    _group_tag(draft, "subfamily_blank_group", chosen)
