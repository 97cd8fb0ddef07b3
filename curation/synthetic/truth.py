"""The truth of the synthetic export: the labels the curation rules give the written labels.

This is a second implementation of the label rules, written from their text
(docs/curation.md) and independent of the pipeline's: it works on the generator's node ids and
numpy arrays (the pipeline on names and polars frames), and it never looks at the noise tags.
Each record's truth is what the rules make of what the export *writes*, so the curation is
scored against the rules, not against the undoing of the noise the generator chose:

1. spelling (C0, C2, C3): every name is written the way most of its occurrences write it,
   after whitespace, "Malaise" misspellings and code padding are repaired (:func:`canonical`);
2. genus and species (C1), open nomenclature (C7) (:func:`annotations`);
3. the vote per barcode (C5), fillers never voting, an outvoted annotation voiding those under
   it (:func:`vote`); inference within the barcode (C6);
4. across barcodes, on names: the homonym rule, then subfamily completion at genus level
   (:func:`homonyms`, :func:`complete`).
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from rapidfuzz.distance import Levenshtein

from curation.synthetic.labels import Labels
from curation.synthetic.taxonomy import FAMILY, GENUS, SPECIES, SUBFAMILY, Taxonomy
from schemas.tables import RANKS

#: The default vote threshold and open-nomenclature qualifiers (docs/curation.md).
THRESHOLD = 0.90
_SINGLE = ("sp", "spp", "cf", "nr", "aff", "gr", "grp", "indet")
_PAIRS = {("n", "sp"), ("sp", "n"), ("sp", "nov"), ("nov", "sp")}
_COMPARATIVE = ("cf", "nr", "aff", "gr", "grp")
_FILLER = "unassigned "

Path = tuple[str | None, ...]


# --- text rules -----------------------------------------------------------------------------


def key(text: str) -> str:
    """C3: names equal up to case, whitespace and the leading zeros of a number are one."""
    return re.sub(r"(^|\D)0+(\d)", r"\1\2", re.sub(r"\s", "", text.lower()))


def standard(text: str) -> str:
    """C0 and C2: whitespace collapsed, a misspelt 'Malaise' glued to a code respelt, and a
    species-level 'Malaise' code padded to 4 digits."""
    words = []
    for word in " ".join(text.split()).split(" "):
        match = re.fullmatch(r"(.*?)([Mm][A-Za-z]{4,8})(\d+)", word)
        if match and Levenshtein.distance(match.group(2).lower(), "malaise") <= 2:
            prefix, digits = match.group(1), match.group(3)
            respelt = "Malaise" if match.group(2)[0] == "M" else "malaise"
            word = prefix + respelt + (digits.zfill(4) if not prefix else digits)
        words.append(word)
    return " ".join(words)


def is_open(species: str) -> bool:
    """C7: a genus, optionally a ``(Subgenus)`` and a plain epithet, then one or more
    qualifiers (dots optional), and at most one epithet after a final comparative qualifier
    (cf, nr, aff, gr, grp).  Tried every way the optional parts can be read."""
    tokens = species.split()[1:]
    if tokens and re.fullmatch(r"\([A-Za-z-]+\)", tokens[0]):
        tokens = tokens[1:]
    heads = [tokens]
    if len(tokens) > 1 and re.fullmatch(r"[a-z]+", tokens[0]):
        heads.append(tokens[1:])
    for rest in heads:
        if _qualifier_run(rest):
            return True
        epithet = len(rest) > 1 and re.fullmatch(r"[A-Z]?[a-z]+", rest[-1])
        if epithet and rest[-2].rstrip(".") in _COMPARATIVE and _qualifier_run(rest[:-1]):
            return True
    return False


def _qualifier_run(tokens: list[str]) -> bool:
    """Whether whitespace-separated ``tokens`` are one or more qualifiers: a single word
    (``sp``, ``cf.``) is a token of its own; a pair (``n. sp``, ``sp.nov.``) is joined by a dot,
    by whitespace, or both."""
    words: list[tuple[str, bool]] = []  # (word, starts a token)
    for token in tokens:
        if not re.fullmatch(r"[a-z]+(\.[a-z]+)*\.?", token):
            return False
        words += [(w, i == 0) for i, w in enumerate(token.rstrip(".").split("."))]
    return bool(words) and _parses(words, 0)


def _parses(words: list[tuple[str, bool]], position: int) -> bool:
    """Whether ``words[position:]`` is a run of qualifier units (tried both ways where a word
    may be a single qualifier or start a pair)."""
    if position == len(words):
        return True
    word, starts = words[position]
    if not starts:
        return False

    def ends_at(end: int) -> bool:
        return end == len(words) or words[end][1]

    single = word in _SINGLE and ends_at(position + 1) and _parses(words, position + 1)
    pair = (
        position + 1 < len(words)
        and (word, words[position + 1][0]) in _PAIRS
        and ends_at(position + 2)
        and _parses(words, position + 2)
    )
    return single or pair


# --- step 1: spelling -------------------------------------------------------------------------


def canonical(tx: Taxonomy, labels: Labels) -> list[dict[str, str]]:
    """Per rank, the released spelling of each key: its most frequent standard spelling in
    the export (ties: the smallest); a species' first word is spelt as its genus."""
    counts = _spelling_counts(tx, labels)
    result: list[dict[str, str]] = [{} for _ in RANKS]
    for rank, spelling, _count in counts.sort(
        ["rank", "count", "spelling"], descending=[False, True, False]
    ).iter_rows():
        result[rank].setdefault(key(spelling), spelling)
    for name_key, spelling in list(result[SPECIES].items()):
        word = spelling.split(" ")[0]
        result[SPECIES][name_key] = result[GENUS].get(key(word), word) + spelling[len(word) :]
    return result


def _spelling_counts(tx: Taxonomy, labels: Labels) -> pl.DataFrame:
    """(rank, spelling, count): every written label after C0/C2; species first words count
    as genus spellings too."""
    shown = labels.overrides.with_columns(
        pl.col("text").map_elements(standard, return_dtype=pl.String).alias("spelling")
    )
    frames = [shown.select(pl.col("rank").cast(pl.Int64), "spelling", pl.lit(1).alias("count"))]
    overridden = np.zeros(labels.written.shape, dtype=bool)
    overridden[shown["record"].to_numpy(), shown["rank"].to_numpy()] = True
    for rank in range(len(RANKS)):
        node = labels.written[:, rank]
        counts = np.bincount(node[(node >= 0) & ~overridden[:, rank]], minlength=tx.size)
        at = np.flatnonzero(counts)
        frames.append(
            pl.DataFrame({"rank": rank, "spelling": tx.name[at].tolist(), "count": counts[at]})
        )
    species = pl.concat(
        [frame.filter(pl.col("rank") == SPECIES) for frame in frames], how="vertical_relaxed"
    )
    frames.append(
        species.select(
            pl.lit(GENUS, pl.Int64).alias("rank"),
            pl.col("spelling").str.extract(r"^(\S+)", 1),
            "count",
        )
    )
    return (
        pl.concat(frames, how="vertical_relaxed")
        .group_by("rank", "spelling")
        .agg(pl.col("count").sum())
    )


# --- step 2: genus and species, open nomenclature -----------------------------------------------


def annotations(tx: Taxonomy, labels: Labels) -> np.ndarray:
    """Per record and rank the node the record annotates after C1 and C7 (-1: none).

    A species text that is open nomenclature annotates no species; its first word still names
    the genus.  A genus text of several words keeps its first word when the species' genus is
    that word, and is nulled otherwise; a missing genus is the species' genus; a genus
    contradicting its species becomes the species' genus when more than half of the barcode's
    consistent records name it, otherwise the species is dropped.  A filler text annotates no
    subfamily.
    """
    ann = labels.written.copy()
    genus_of_key = {key(tx.name[g]): int(g) for g in np.flatnonzero(tx.rank == GENUS)}
    species_genus = np.where(
        ann[:, SPECIES] >= 0, tx.ancestors[np.maximum(ann[:, SPECIES], 0), GENUS], -1
    )
    for record, rank, text in labels.overrides.iter_rows():
        text = standard(text)
        word = genus_of_key.get(key(text.split(" ")[0]), -1)
        if rank == SPECIES and is_open(text):
            ann[record, SPECIES] = -1
            species_genus[record] = word
        elif rank == GENUS and " " in text:
            ann[record, GENUS] = word if word >= 0 and word == species_genus[record] else -1
    missing = (ann[:, GENUS] < 0) & (species_genus >= 0)
    ann[missing, GENUS] = species_genus[missing]
    _genus_against_species(ann, species_genus, labels.barcode)
    return ann


def _genus_against_species(ann: np.ndarray, species_genus: np.ndarray, barcode: np.ndarray):
    """C1's majority fix, else the species is dropped (in place)."""
    genus = ann[:, GENUS]
    mismatch = np.flatnonzero((genus >= 0) & (species_genus >= 0) & (genus != species_genus))
    if not len(mismatch):
        return
    consistent = (genus >= 0) & ((species_genus < 0) | (species_genus == genus))
    voters = pl.DataFrame({"group": barcode[consistent], "genus": genus[consistent]})
    votes = voters.group_by("group", "genus").len()
    per_group = dict(voters.group_by("group").len().iter_rows())
    named = {(g, n): count for g, n, count in votes.iter_rows()}
    for record in mismatch:
        group, wanted = int(barcode[record]), int(species_genus[record])
        if 2 * named.get((group, wanted), 0) > per_group.get(group, 0):
            ann[record, GENUS] = wanted
        else:
            ann[record, SPECIES] = -1


# --- step 3: the vote and inference per barcode ------------------------------------------------


def vote(ann: np.ndarray, barcode: np.ndarray, size: int, threshold: float = THRESHOLD) -> None:
    """C5 in place: per barcode and rank, top to bottom, the majority wins at >= threshold of
    the annotations (its outvoted records relabelled, their deeper annotations voided), or the
    rank and all deeper ones are nulled for the barcode and its vote stops."""
    groups = int(barcode.max()) + 1 if len(barcode) else 0
    stopped = np.zeros(groups, dtype=bool)
    for rank in range(len(RANKS)):
        value = ann[:, rank]
        voting = np.flatnonzero((value >= 0) & ~stopped[barcode])
        if not len(voting):
            continue
        pairs, counts = np.unique(
            barcode[voting].astype(np.int64) * size + value[voting], return_counts=True
        )
        group = pairs // size
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        distinct = np.diff(np.r_[starts, len(group)])
        top = np.maximum.reduceat(counts, starts)
        total = np.add.reduceat(counts, starts)
        top_node = np.full(groups, -1, dtype=np.int64)
        wins = np.ones(groups, dtype=bool)
        conflicted = group[starts][distinct > 1]
        best = pairs[_first_max(counts, starts)] % size
        top_node[conflicted] = best[distinct > 1]
        wins[conflicted] = (top / total >= threshold)[distinct > 1]
        outvoted = voting[(top_node[barcode[voting]] >= 0) & wins[barcode[voting]]]
        outvoted = outvoted[value[outvoted] != top_node[barcode[outvoted]]]
        ann[outvoted, rank] = top_node[barcode[outvoted]]
        ann[outvoted, rank + 1 :] = -1
        lost = np.isin(barcode, conflicted[~wins[conflicted]])
        ann[lost, rank:] = -1
        stopped[conflicted[~wins[conflicted]]] = True


def _first_max(counts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index of the largest count of each run (the first such)."""
    if not len(starts):
        return starts
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(counts)]))
    order = np.lexsort((-counts, run))
    return order[np.r_[0, np.flatnonzero(run[order][1:] != run[order][:-1]) + 1]]


def infer(ann: np.ndarray, barcode: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """C6: each barcode's path (its one annotation per rank) and, per record, the ranks it
    lacked and received."""
    starts = np.flatnonzero(np.r_[True, barcode[1:] != barcode[:-1]])
    paths = np.maximum.reduceat(ann, starts, axis=0)  # groups are 0 .. n-1, in record order
    return paths, (ann < 0) & (paths[barcode] >= 0)


# --- step 4: across barcodes, on names ------------------------------------------------------


def homonyms(paths: dict[Path, int]) -> dict[Path, Path]:
    """The homonym rule: each path of the input and the path it becomes.

    For each genus, then each species, name: the lineage (ancestors) with most records is the
    reference (ties: the smallest, a missing ancestor last); a lineage naming another taxon
    than the reference at some rank is cut there (that rank and all deeper ones nulled), or,
    when such a lineage has as many records as the reference, every lineage of the name is cut
    at the shallowest rank where two of them name different taxa.  Where the reference names
    no taxon, the lineages left uncut may still name two: rank by rank, the first of them (in
    the reference's order) naming the rank decides it; the others naming another taxon there
    are cut at it, or all naming it if one of those has as many records.
    """
    result = {path: path for path in paths}
    for rank in (GENUS, SPECIES):
        current: dict[Path, int] = {}
        for original, path in result.items():
            current[path] = current.get(path, 0) + paths[original]
        cuts = _cuts(current, rank)
        result = {original: _cut(path, cuts.get(path)) for original, path in result.items()}
    return result


def _cuts(paths: dict[Path, int], rank: int) -> dict[Path, int]:
    """The rank at which each path to cut is cut, for the names at ``rank``."""
    lineages: dict[str, dict[Path, int]] = {}
    for path, records in paths.items():
        if path[rank] is not None:
            above = lineages.setdefault(path[rank], {})
            above[path[:rank]] = above.get(path[:rank], 0) + records
    cut_lineage: dict[tuple[str, Path], int] = {}
    for name, found in lineages.items():
        if len(found) < 2:
            continue
        order = sorted(found, key=lambda a: (-found[a], [(v is None, v or "") for v in a]))
        reference = order[0]
        clash = {a: _first_clash(a, reference) for a in order[1:]}
        tied = any(found[a] == found[reference] and c is not None for a, c in clash.items())
        if tied:
            every = min(i for i in range(rank) if len({a[i] for a in found} - {None}) > 1)
            clash = {a: every for a in found}
        else:
            clash |= _silent_reference_clashes([a for a in order if clash.get(a) is None], found)
        for above, at in clash.items():
            if at is not None:
                cut_lineage[name, above] = at
    return {
        path: cut_lineage[path[rank], path[:rank]]
        for path in paths
        if path[rank] is not None and (path[rank], path[:rank]) in cut_lineage
    }


def _silent_reference_clashes(standing: list[Path], found: dict[Path, int]) -> dict[Path, int]:
    """Cuts among ``standing`` (the uncut lineages, reference first) at the ranks where they name
    different taxa, shallowest first."""
    clashes: dict[Path, int] = {}
    for i in range(len(standing[0])):
        naming = [a for a in standing if a[i] is not None]
        if not naming:
            continue
        others = [a for a in naming if a[i] != naming[0][i]]
        cut = naming if any(found[a] == found[naming[0]] for a in others) else others
        clashes |= dict.fromkeys(cut, i)
        standing = [a for a in standing if a not in cut]
    return clashes


def _first_clash(lineage: Path, reference: Path) -> int | None:
    for i, (a, b) in enumerate(zip(lineage, reference, strict=True)):
        if a is not None and b is not None and a != b:
            return i
    return None


def _cut(path: Path, at: int | None) -> Path:
    return path if at is None else path[:at] + (None,) * (len(path) - at)


def complete(paths: set[Path]) -> dict[Path, Path]:
    """Subfamily completion: a genus placed in one subfamily gives it to its paths without
    one; a genus placed in none gets 'unassigned <Family>' (when the family is known)."""
    placed: dict[str, set[str]] = {}
    for path in paths:
        if path[GENUS] is not None and path[SUBFAMILY] is not None:
            placed.setdefault(path[GENUS], set()).add(path[SUBFAMILY])
    result = {}
    for path in paths:
        genus, family = path[GENUS], path[FAMILY]
        subfamily = path[SUBFAMILY]
        if genus is not None and subfamily is None:
            options = placed.get(genus, set())
            if len(options) == 1:
                subfamily = next(iter(options))
            elif not options and family is not None:
                subfamily = _FILLER + family
        result[path] = path[:SUBFAMILY] + (subfamily,) + path[SUBFAMILY + 1 :]
    return result


# --- the truth table ------------------------------------------------------------------------


def truth(tx: Taxonomy, labels: Labels) -> pl.DataFrame:
    """Per released record (labels' order): the seven curated labels and ``inferred_ranks``."""
    spelt = canonical(tx, labels)
    ann = annotations(tx, labels)
    vote(ann, labels.barcode, tx.size)
    group_paths, received = infer(ann, labels.barcode)
    names = _named_paths(tx, group_paths, spelt)
    records = np.bincount(labels.barcode, minlength=len(group_paths))
    weights: dict[Path, int] = {}
    for path, count in zip(names, records, strict=True):
        weights[path] = weights.get(path, 0) + int(count)
    curtailed = homonyms(weights)
    completed = complete(set(curtailed.values()))
    final = [completed[curtailed[path]] for path in names]
    kept = np.array([_cut_rank(path, curtailed[path]) for path in names])[labels.barcode]
    filled = received & (np.arange(len(RANKS))[None, :] < kept[:, None])
    shallowest = np.where(filled.any(axis=1), filled.argmax(axis=1), len(RANKS))
    columns = {
        rank: pl.Series([path[i] for path in final], dtype=pl.String).gather(labels.barcode)
        for i, rank in enumerate(RANKS)
    }
    columns["inferred_ranks"] = pl.Series(len(RANKS) - shallowest, dtype=pl.UInt8)
    return pl.DataFrame(columns)


def _named_paths(tx: Taxonomy, paths: np.ndarray, spelt: list[dict[str, str]]) -> list[Path]:
    """Each group's path of node ids as released names."""
    name_of = [
        {
            int(n): spelt[r].get(key(tx.name[n]), tx.name[n])
            for n in np.unique(paths[:, r])
            if n >= 0
        }
        for r in range(len(RANKS))
    ]
    return [
        tuple(name_of[r][int(n)] if n >= 0 else None for r, n in enumerate(row))
        for row in paths.tolist()
    ]


def _cut_rank(path: Path, cut: Path) -> int:
    """The rank from which the homonym rule nulled ``path`` (7 when it did not)."""
    return next(
        (i for i, (a, b) in enumerate(zip(path, cut, strict=True)) if a is not None and b is None),
        len(RANKS),
    )
