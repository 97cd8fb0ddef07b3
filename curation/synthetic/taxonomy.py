"""The taxonomy of the synthetic export: a tree of taxa with the records hanging at each taxon.

Model.  A node is a taxon at one of the seven ranks; its *mass* is the number of records whose
curated labels reach its rank under it, and its *hanging* records are those whose deepest curated
label is the node itself (``mass = hanging + sum of the children's masses``).  The tree is built
top-down at full scale (5,150,850 records, or ``records`` if larger):

* classes and orders come from the catalogue's tables (Table A5's class and order rows);
* below, each parent passes a share of its mass to the next rank (a Beta-distributed
  continuation, rescaled so the rank's labelled total is Table 2's), its number of children grows
  as a power of that share, and the share is split among them with log-normal weights -- which
  gives Table A5's heavy tails (category-size medians at full scale: family 62.5, subfamily 27,
  genus 8, species 2; the paper's are 63.5, 23, 6 and 2);
* the paper's named taxa are pinned (:data:`~curation.synthetic.catalogue.LINEAGES`): Diptera,
  Cecidomyiidae (938,928 labelled, 925,520 ending there), Metopininae, Megaselia, Psychoda sp.
  11GMK, and the example species of Table A8; generated taxa stay below the pinned maximum of
  their rank;
* some families get an ``unassigned <Family>`` subfamily: its genera have no subfamily in the
  export and C4 fills it; all of its mass continues to genus, so it never ends a label;
* species are *seen* (``Genus epithet``) or *placeholders* (the formats of docs/curation.md#variants); a genus is
  scientific, ``placeholder_only`` (a scientific name without any scientific species: its
  placeholders are heldout) or a placeholder genus (``gelBioLep01``).  Counts are drawn so the
  full-scale tree has Table 3's 11,846 seen, ~914 unseen and ~9,862 heldout species.

Scaling.  For ``records`` below full scale the hanging records are subsampled without replacement
(multivariate hypergeometric): the export is a uniform random sample of the full-scale
population, so labelled fractions per rank are kept and category counts follow that population's
rarefaction curve (fewer, on average larger categories; taxa whose records all miss the sample
vanish).  Above full scale the tree is built at ``records`` directly (categories stay at the
paper's counts, sizes grow linearly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation.synthetic import catalogue as cat
from curation.synthetic import names
from curation.synthetic.random import allocate, compose, lognormal_weights, stream

PHYLUM, CLASS, ORDER, FAMILY, SUBFAMILY, GENUS, SPECIES = range(7)

# Genus and species kinds.
SCIENTIFIC, PLACEHOLDER_ONLY, PLACEHOLDER_GENUS = 0, 1, 2
SEEN, PLACEHOLDER = 0, 1

#: Continuation Beta(a, b) from a parent at rank r to rank r + 1 (before global rescaling).
_CONTINUATION = {ORDER: (4.0, 0.4), FAMILY: (0.3, 0.9), SUBFAMILY: (3.0, 0.6), GENUS: (0.45, 0.9)}
#: Children of a parent grow as (continuing mass) ** gamma.
_CHILD_GAMMA = {FAMILY: 0.45, SUBFAMILY: 0.45, GENUS: 0.6, SPECIES: 0.7}
#: Log-normal sigma of the children's weights.
_CHILD_SIGMA = {FAMILY: 2.7, SUBFAMILY: 3.3, GENUS: 3.0, SPECIES: 3.0}
#: Probability that a family with generated subfamilies also has genera without a subfamily.
_FILLER_PROBABILITY = 0.65
#: Probabilities of a generated genus being a placeholder genus / scientific without species.
_PLACEHOLDER_GENUS = 0.04
_PLACEHOLDER_ONLY = 0.07
#: Smallest number of records of an unseen species (docs/curation.md#species-sets).
UNSEEN_MIN_RECORDS = 8


@dataclass(frozen=True)
class Taxonomy:
    """The (subsampled, named) tree.  Node arrays are indexed by node id; parents come first."""

    rank: np.ndarray  #: int8, 0 = phylum .. 6 = species
    parent: np.ndarray  #: int32, -1 for the root
    hanging: np.ndarray  #: int64 records whose deepest curated label is this node
    mass: np.ndarray  #: int64 records labelled at this rank or deeper under this node
    name: np.ndarray  #: object: the curated label ("unassigned <Family>" for fillers)
    filler: np.ndarray  #: bool: an ``unassigned <Family>`` subfamily
    species_kind: np.ndarray  #: int8 SEEN / PLACEHOLDER for species, -1 otherwise
    genus_kind: np.ndarray  #: int8 SCIENTIFIC / PLACEHOLDER_ONLY / PLACEHOLDER_GENUS, -1 else
    ancestors: np.ndarray  #: int32 (nodes, 7): the node's ancestor at each rank, -1 below it
    open_name: np.ndarray  #: object: genus's open-nomenclature species value, or None
    open_share: np.ndarray  #: float: share of the genus's hanging groups labelled open_name

    @property
    def size(self) -> int:
        return len(self.rank)


# --- full-scale population --------------------------------------------------------------------


@dataclass
class _Node:
    """Columns of the tree under construction (lists, appended level by level)."""

    rank: list[int]
    parent: list[int]
    mass: list[int]
    cont: list[int]  # -1 = not yet known
    path: list[tuple[str, ...] | None]
    kind: list[str]


def _pins(scale: float) -> dict[tuple[str, ...], dict]:
    """Pinned nodes by path: scaled mass/continuation, implied ancestors filled in."""
    specs: dict[tuple[str, ...], dict] = {}
    for lineage in cat.LINEAGES:
        specs[lineage.path] = {
            "mass": round(lineage.mass * scale),
            "cont": None if lineage.cont is None else round(lineage.cont * scale),
            "kind": lineage.kind,
        }
    for path in list(specs):
        for depth in range(3, len(path)):
            specs.setdefault(path[:depth], {"mass": None, "cont": None, "kind": ""})
    # Masses of implied nodes: room for generated siblings of the pinned children.
    growth = {FAMILY: (4.0, 50), SUBFAMILY: (2.0, 10), GENUS: (1.5, 5)}
    for path in sorted(specs, key=len, reverse=True):
        spec = specs[path]
        need = sum(
            s["mass"] for p, s in specs.items() if len(p) == len(path) + 1 and p[:-1] == path
        )
        if spec["mass"] is None:
            factor, extra = growth.get(len(path), (1.0, 0))
            spec["mass"] = round(need * factor) + extra
        if spec["kind"] == "filler":
            spec["cont"] = spec["mass"]
        if spec["mass"] < need or (spec["cont"] is not None and spec["cont"] < need):
            raise ValueError(f"catalogue lineage {'/'.join(path)} is smaller than its children")
    return specs


def _continuation(
    rng: np.random.Generator,
    rank: int,
    mass: np.ndarray,
    fixed: np.ndarray,
    lower: np.ndarray,
    total: int,
) -> np.ndarray:
    """Continuing mass per parent: ``fixed`` where >= 0, else Beta-drawn, summing to ``total``."""
    a, b = _CONTINUATION[rank]
    p = rng.beta(a, b, size=len(mass))
    free = fixed < 0

    def draw(c: float) -> np.ndarray:
        k = np.rint(mass * np.minimum(1.0, c * p)).astype(np.int64)
        return np.where(free, np.clip(k, lower, mass), fixed)

    lo, hi = 0.0, 1.0
    while draw(hi).sum() < total and hi < 1e9:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if draw(mid).sum() < total else (lo, mid)
    k = draw(hi)
    diff = int(total - k.sum())
    # Settle the rounding difference on the free parents with the most room, in index order.
    room = np.where(free, mass - k if diff > 0 else k - lower, 0)
    for i in np.lexsort((np.arange(len(room)), -room)):
        if diff == 0 or room[i] <= 0:
            break
        step = min(abs(diff), int(room[i]))
        k[i] += step if diff > 0 else -step
        diff += -step if diff > 0 else step
    return k


def _population(seed: int, population: int) -> _Node:
    """The full-scale tree (masses and kinds, no names yet)."""
    rng = stream(seed, "taxonomy")
    scale = population / cat.N_FULL
    labelled = [round(x * scale) for x in cat.LABELLED_FULL]
    labelled[0] = population
    pins = _pins(scale)
    caps = {}
    for path, spec in pins.items():
        caps[len(path)] = max(caps.get(len(path), 0), spec["mass"])

    tree = _Node([PHYLUM], [-1], [population], [-1], [()], [""])
    # Classes and orders: the catalogue's tables, scaled; the largest absorbs rounding.
    class_mass = np.array([round(m * scale) for _, m in cat.CLASSES])
    class_mass[0] += labelled[CLASS] - class_mass.sum()
    tree.cont[0] = labelled[CLASS]
    class_id = {}
    for (name, _), mass in zip(cat.CLASSES, class_mass, strict=True):
        class_id[name] = len(tree.rank)
        _append(tree, CLASS, 0, int(mass), (name,), "")
    order_mass = np.array([round(m * scale) for *_, m in cat.ORDERS])
    order_mass[0] += labelled[ORDER] - order_mass.sum()
    for (cls, name, _), mass in zip(cat.ORDERS, order_mass, strict=True):
        _append(tree, ORDER, class_id[cls], int(mass), (cls, name), "")
    for cls, node in class_id.items():
        tree.cont[node] = int(
            sum(m for (c, *_), m in zip(cat.ORDERS, order_mass, strict=True) if c == cls)
        )

    for rank in (ORDER, FAMILY, SUBFAMILY, GENUS):
        _grow(
            tree,
            rng,
            rank,
            labelled[rank + 1],
            cat.CATEGORIES_FULL[rank + 1],
            pins,
            caps.get(rank + 1),
        )
        if rank + 1 == SUBFAMILY:
            _add_fillers(tree, rng)
        if rank + 1 == GENUS:
            _genus_kinds(tree, rng)
    _species_kinds(tree, rng)
    for i, rank in enumerate(tree.rank):
        if rank == SPECIES:
            tree.cont[i] = 0
    return tree


def _append(tree: _Node, rank: int, parent: int, mass: int, path, kind: str, cont: int = -1):
    tree.rank.append(rank)
    tree.parent.append(parent)
    tree.mass.append(mass)
    tree.cont.append(cont)
    tree.path.append(path)
    tree.kind.append(kind)


def _grow(
    tree: _Node,
    rng: np.random.Generator,
    rank: int,
    total: int,
    categories: int,
    pins: dict[tuple[str, ...], dict],
    cap: int | None,
) -> None:
    """Create the children (rank + 1) of every node at ``rank``."""
    parents = np.array([i for i, r in enumerate(tree.rank) if r == rank])
    children_of: dict[tuple[str, ...], list[tuple[tuple[str, ...], dict]]] = {}
    for path, spec in sorted(pins.items()):
        if len(path) == rank + 1:
            children_of.setdefault(path[:-1], []).append((path, spec))
    mass = np.array([tree.mass[i] for i in parents], dtype=np.int64)
    pinned_children: list[list[tuple[tuple[str, ...], dict]]] = []
    fixed = np.full(len(parents), -1, dtype=np.int64)
    lower = np.zeros(len(parents), dtype=np.int64)
    for j, node in enumerate(parents):
        path = tree.path[node]
        kids = [] if path is None else children_of.get(path, [])
        pinned_children.append(kids)
        lower[j] = sum(s["mass"] for _, s in kids)
        if tree.kind[node] == "filler":
            fixed[j] = mass[j]
        elif tree.cont[node] >= 0:
            fixed[j] = tree.cont[node]
    cont = _continuation(rng, rank, mass, fixed, lower, total)
    generic = cont - lower
    n_pinned = sum(len(k) for k in pinned_children)
    active = generic > 0
    need = np.where(active, 1, 0)
    if cap is not None:
        need = np.maximum(need, -(-generic // (cap - 1)))
    weights = np.where(active, generic.astype(float) ** _CHILD_GAMMA[rank + 1], 0.0)
    counts = allocate(max(categories - n_pinned, int(need.sum())), weights, need, generic)
    sizes = compose(
        generic[active],
        counts[active],
        lognormal_weights(rng, int(counts[active].sum()), _CHILD_SIGMA[rank + 1]),
        cap=None if cap is None else cap - 1,
    )
    cursor = 0
    for j, node in enumerate(parents):
        tree.cont[node] = int(cont[j])
        for path, spec in pinned_children[j]:
            _append(
                tree,
                rank + 1,
                int(node),
                spec["mass"],
                path,
                spec["kind"],
                spec["cont"] if spec["cont"] is not None else -1,
            )
        for _ in range(counts[j] if active[j] else 0):
            _append(tree, rank + 1, int(node), int(sizes[cursor]), None, "")
            cursor += 1


def _add_fillers(tree: _Node, rng: np.random.Generator) -> None:
    """Turn one generated subfamily of some families into their ``unassigned`` subfamily."""
    by_family: dict[int, list[int]] = {}
    pinned_filler = set()
    for i, rank in enumerate(tree.rank):
        if rank == SUBFAMILY:
            if tree.kind[i] == "filler":
                pinned_filler.add(tree.parent[i])
            elif tree.path[i] is None:
                by_family.setdefault(tree.parent[i], []).append(i)
    for family in sorted(by_family):
        kids = by_family[family]
        if family in pinned_filler or rng.random() >= _FILLER_PROBABILITY:
            continue
        chosen = kids[int(rng.integers(0, len(kids)))]
        tree.kind[chosen] = "filler"


def _genus_kinds(tree: _Node, rng: np.random.Generator) -> None:
    for i, rank in enumerate(tree.rank):
        if rank == GENUS and tree.kind[i] == "" and rng.random() < _PLACEHOLDER_GENUS:
            tree.kind[i] = "placeholder_genus"


def _species_kinds(tree: _Node, rng: np.random.Generator) -> None:
    """Seen / placeholder species so the full-scale counts of the three species sets hold."""
    rank = np.array(tree.rank)
    parent = np.array(tree.parent)
    mass = np.array(tree.mass)
    kind = np.array(tree.kind, dtype=object)
    species = np.flatnonzero(rank == SPECIES)
    genus = parent[species]
    has_species = np.zeros(len(rank), dtype=bool)
    has_species[genus] = True
    # Scientific genera with species may have no scientific species at all.
    for g in np.flatnonzero((rank == GENUS) & has_species & (kind == "")):
        if rng.random() < _PLACEHOLDER_ONLY:
            kind[g] = "placeholder_only"
    genus_kind = kind[genus]
    pinned = kind[species] != ""
    scientific = genus_kind == ""
    # Each scientific genus keeps its largest generated species as a scientific one, unless
    # a pinned seen species already provides it.
    anchor = np.zeros(len(species), dtype=bool)
    has_seen = set(genus[pinned & (kind[species] == "seen")].tolist())
    eligible = np.flatnonzero(scientific & ~pinned)
    order = eligible[np.lexsort((species[eligible], -mass[species[eligible]], genus[eligible]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = genus[order][1:] != genus[order][:-1]
    for pos in order[first]:
        if genus[pos] not in has_seen:
            anchor[pos] = True
    share = len(species) / cat.CATEGORIES_FULL[SPECIES]
    free = scientific & ~pinned & ~anchor
    # Unseen: placeholders of scientific genera with enough records.
    pinned_placeholder = pinned & (kind[species] == "placeholder")
    target_unseen = round(cat.SPECIES_SETS_FULL["unseen"] * share)
    already = int((pinned_placeholder & scientific & (mass[species] >= UNSEEN_MIN_RECORDS)).sum())
    candidates = np.flatnonzero(free & (mass[species] >= UNSEEN_MIN_RECORDS))
    unseen = rng.permutation(candidates)[: max(0, target_unseen - already)]
    # Heldout: every species of a non-scientific genus, plus small placeholders.
    target_heldout = round(cat.SPECIES_SETS_FULL["heldout"] * share)
    already = int((~scientific).sum()) + int(
        (pinned_placeholder & scientific & (mass[species] < UNSEEN_MIN_RECORDS)).sum()
    )
    candidates = np.flatnonzero(free & (mass[species] < UNSEEN_MIN_RECORDS))
    heldout = rng.permutation(candidates)[: max(0, target_heldout - already)]
    placeholder = ~scientific | pinned_placeholder
    placeholder[unseen] = True
    placeholder[heldout] = True
    for pos, node in enumerate(species):
        if not pinned[pos]:
            kind[node] = "placeholder" if placeholder[pos] else "seen"
    tree.kind = list(kind)


# --- subsample and names ----------------------------------------------------------------------


def build(records: int, seed: int) -> Taxonomy:
    """The named taxonomy of a ``records``-record export (see the module docstring)."""
    population = max(records, cat.N_FULL)
    tree = _population(seed, population)
    rank = np.array(tree.rank, dtype=np.int8)
    parent = np.array(tree.parent, dtype=np.int64)
    hanging_full = np.array(tree.mass, dtype=np.int64) - np.array(tree.cont, dtype=np.int64)
    if records < population:
        hanging = stream(seed, "thinning").multivariate_hypergeometric(
            hanging_full, records, method="marginals"
        )
    else:
        hanging = hanging_full
    new_mass = hanging.astype(np.int64).copy()
    for r in range(SPECIES, PHYLUM, -1):
        at = np.flatnonzero(rank == r)
        np.add.at(new_mass, parent[at], new_mass[at])
    keep = np.flatnonzero(new_mass > 0)
    kept = _kept_tree(tree, rank, parent, keep)
    rng = stream(seed, "names")
    name = _names(
        rng,
        kept["rank"],
        kept["parent"],
        [tree.path[i] for i in keep],
        kept["filler"],
        kept["genus_kind"],
        kept["species_kind"],
        new_mass[keep],
        kept["ancestors"],
    )
    genus_share = (kept["rank"] == GENUS).sum() / max(1, (rank == GENUS).sum())
    open_name, open_share = _open_nomenclature(
        rng, kept["rank"], kept["genus_kind"], hanging_full[keep], name, genus_share
    )
    return Taxonomy(
        rank=kept["rank"],
        parent=kept["parent"].astype(np.int32),
        hanging=hanging[keep].astype(np.int64),
        mass=new_mass[keep],
        name=name,
        filler=kept["filler"],
        species_kind=kept["species_kind"],
        genus_kind=kept["genus_kind"],
        ancestors=kept["ancestors"],
        open_name=open_name,
        open_share=open_share,
    )


def _kept_tree(
    tree: _Node, rank: np.ndarray, parent: np.ndarray, keep: np.ndarray
) -> dict[str, np.ndarray]:
    """The arrays of the nodes in ``keep`` (renumbered 0 ..): rank, parent, ancestors, filler
    and the genus and species kinds."""
    remap = np.full(len(rank), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    kind = np.array(tree.kind, dtype=object)[keep]
    parent_kept = np.where(parent[keep] >= 0, remap[np.maximum(parent[keep], 0)], -1)
    rank_kept = rank[keep]
    ancestors = np.full((len(keep), 7), -1, dtype=np.int32)
    for i in range(len(keep)):  # parents precede children
        if parent_kept[i] >= 0:
            ancestors[i] = ancestors[parent_kept[i]]
        ancestors[i, rank_kept[i]] = i
    genus_kind = np.full(len(keep), -1, dtype=np.int8)
    genus_kind[rank_kept == GENUS] = SCIENTIFIC
    genus_kind[kind == "placeholder_only"] = PLACEHOLDER_ONLY
    genus_kind[kind == "placeholder_genus"] = PLACEHOLDER_GENUS
    species_kind = np.full(len(keep), -1, dtype=np.int8)
    species_kind[kind == "seen"] = SEEN
    species_kind[kind == "placeholder"] = PLACEHOLDER
    return {
        "rank": rank_kept,
        "parent": parent_kept,
        "ancestors": ancestors,
        "filler": kind == "filler",
        "genus_kind": genus_kind,
        "species_kind": species_kind,
    }


def _names(
    rng: np.random.Generator,
    rank: np.ndarray,
    parent: np.ndarray,
    paths: list,
    filler: np.ndarray,
    genus_kind: np.ndarray,
    species_kind: np.ndarray,
    mass: np.ndarray,
    ancestors: np.ndarray,
) -> np.ndarray:
    """Curated names: catalogue names for pinned nodes, generated names for the others, rank
    by rank (families, subfamilies, genera, species; the draws in this order)."""
    naming = _Naming(rank, parent, filler, genus_kind, species_kind, ancestors)
    for i, path in enumerate(paths):
        if path is not None:
            naming.take(i, "Arthropoda" if rank[i] == PHYLUM else path[-1])
    naming.families(rng, mass)
    naming.subfamilies(rng)
    naming.genera(rng)
    naming.species(rng)
    return naming.name


@dataclass
class _Naming:
    """Names given so far (``name``) and their collision keys per rank (``taken``)."""

    rank: np.ndarray
    parent: np.ndarray
    filler: np.ndarray
    genus_kind: np.ndarray
    species_kind: np.ndarray
    ancestors: np.ndarray

    def __post_init__(self) -> None:
        self.name = np.empty(len(self.rank), dtype=object)
        self.taken: dict[int, set[str]] = {r: set() for r in range(7)}

    def take(self, node: int, name: str) -> None:
        self.name[node] = name
        self.taken[int(self.rank[node])].add(names.collision_key(name))

    def unnamed(self, rank: int) -> list[int]:
        return [i for i in np.flatnonzero(self.rank == rank) if self.name[i] is None]

    def families(self, rng: np.random.Generator, mass: np.ndarray) -> None:
        """The order's real family names by descending mass, then generated ones."""
        rank, name = self.rank, self.name
        todo = [
            i
            for i in np.lexsort((np.arange(len(rank)), -mass))
            if name[i] is None and rank[i] == FAMILY
        ]
        real = {
            o: [f for f in fams if names.collision_key(f) not in self.taken[FAMILY]]
            for o, fams in cat.FAMILY_NAMES.items()
        }
        rest = []
        for i in todo:
            order = name[self.parent[i]]
            if real.get(order):
                self.take(i, real[order].pop(0))
            else:
                rest.append(i)
        generated = names.stem_names(rng, len(rest), "idae", self.taken[FAMILY])
        for i, n in zip(rest, generated, strict=True):
            name[i] = n

    def subfamilies(self, rng: np.random.Generator) -> None:
        """Fillers are "unassigned <Family>", others generated."""
        for i in np.flatnonzero((self.rank == SUBFAMILY) & self.filler):
            self.name[i] = f"unassigned {self.name[self.parent[i]]}"
        rest = self.unnamed(SUBFAMILY)
        generated = names.stem_names(rng, len(rest), "inae", self.taken[SUBFAMILY])
        for i, n in zip(rest, generated, strict=True):
            self.name[i] = n

    def genera(self, rng: np.random.Generator) -> None:
        rest = self.unnamed(GENUS)
        placeholder = [i for i in rest if self.genus_kind[i] == PLACEHOLDER_GENUS]
        scientific = [i for i in rest if self.genus_kind[i] != PLACEHOLDER_GENUS]
        generated = names.genus_names(rng, len(scientific), self.taken[GENUS])
        for i, n in zip(scientific, generated, strict=True):
            self.name[i] = n
        serial = 1
        draws = rng.integers(0, 2**40, size=len(placeholder)).tolist()
        for i, draw in zip(placeholder, draws, strict=True):
            family = self.name[self.ancestors[i, FAMILY]]
            while True:
                candidate = names.placeholder_genus(family, serial, draw)
                serial += 1
                if names.collision_key(candidate) not in self.taken[GENUS]:
                    break
            self.take(i, candidate)

    def species(self, rng: np.random.Generator) -> None:
        """Serials count a genus's species so placeholder codes differ within the genus."""
        rest = np.array(self.unnamed(SPECIES), dtype=int)
        words = names.epithets(rng, len(rest), set())
        draws = rng.integers(0, 2**50, size=len(rest))
        serial: dict[int, int] = {}
        for i, word, draw in zip(rest, words, draws.tolist(), strict=True):
            genus = int(self.parent[i])
            attempt = 0
            while True:
                serial[genus] = serial.get(genus, 0) + 1
                candidate = _species_name(
                    self.name[genus],
                    self.genus_kind[genus],
                    self.name[self.ancestors[i, ORDER]],
                    self.species_kind[i] == SEEN,
                    word,
                    serial[genus],
                    draw,
                )
                if attempt and self.species_kind[i] == SEEN:  # a rare clash with a catalogue name
                    candidate += "abcdefghijklmnopqrstuvwxyz"[attempt % 26]
                attempt += 1
                if names.collision_key(candidate) not in self.taken[SPECIES]:
                    break
            self.take(i, candidate)


def _species_name(
    genus: str, genus_kind: int, order: str, seen: bool, word: str, serial: int, draw: int
) -> str:
    if seen:
        return f"{genus} {word}"
    if genus_kind == PLACEHOLDER_GENUS:
        return names.species_under_placeholder_genus(genus, serial, draw)
    formats = names.PLACEHOLDER_FORMATS.get(order, names.PLACEHOLDER_FORMATS[""])
    cumulative = np.cumsum([w for _, w in formats])
    pick = int(np.searchsorted(cumulative, (draw % 1000) / 1000 * cumulative[-1], side="right"))
    return names.placeholder_species(
        genus, formats[min(pick, len(formats) - 1)][0], word, serial, draw >> 10
    )


def _open_nomenclature(
    rng: np.random.Generator,
    rank: np.ndarray,
    genus_kind: np.ndarray,
    hanging_full: np.ndarray,
    name: np.ndarray,
    genus_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per genus: an open-nomenclature species value and the share of its groups that carry it.

    At full scale 198 scientific genera (drawn by their genus-level records) carry one, sized so
    that 5,101 records do (paper A4.4); the catalogue's named values keep their sizes
    (``Pseudosciara sp.``: 1,247).  A subsample keeps the genera's share of the values.
    """
    open_name = np.full(len(rank), None, dtype=object)
    open_share = np.zeros(len(rank))
    genera = np.flatnonzero((rank == GENUS) & (genus_kind == SCIENTIFIC) & (hanging_full > 0))
    by_name = {name[g]: g for g in genera}
    named_records = named = 0
    for value, genus, records in cat.OPEN_NOMENCLATURE_NAMED:
        g = by_name.get(genus)
        if g is not None:
            open_name[g] = value
            open_share[g] = min(1.0, records / hanging_full[g])
            named_records += records
            named += 1
    rest = np.array([g for g in genera if open_name[g] is None], dtype=int)
    wanted = round((cat.OPEN_NOMENCLATURE_VALUES_FULL - named) * genus_share)
    if len(rest) == 0 or wanted <= 0:
        return open_name, open_share
    weight = hanging_full[rest].astype(float)
    chosen = rng.choice(rest, size=min(wanted, len(rest)), replace=False, p=weight / weight.sum())
    chosen.sort()
    budget = max(0, cat.OPEN_NOMENCLATURE_RECORDS_FULL - named_records)
    share = min(0.6, budget / max(1, hanging_full[chosen].sum()))
    words = names.epithets(rng, len(chosen), set())
    for g, word in zip(chosen, words, strict=True):
        open_name[g] = names.open_nomenclature(name[g], word, rng)
        open_share[g] = share
    return open_name, open_share
