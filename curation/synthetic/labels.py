"""Records and their written labels: what each record of the export says at each rank.

Every released record belongs to a barcode group (:mod:`curation.synthetic.groups`), whose
records hang at one taxon.  Its *written* labels start as that taxon's path, a filler subfamily
written as missing (BOLD leaves the subfamily of an unplaced genus empty), and then receive the
noise real BOLD records carry: group-level conflicts and lineages
(:mod:`curation.synthetic.group_noise`), record-level gaps and contradictions
(:mod:`curation.synthetic.record_noise`) and spelling variants
(:mod:`curation.synthetic.spelling`).  Written labels are node ids per rank, plus *overrides*:
the text a column shows instead of the node's name (a spelling variant, an open-nomenclature
species, a genus column holding several words, a filler written out).

What a correct curation gives each record is not decided here: :mod:`curation.synthetic.truth`
computes it from the written labels and the rules.  Tags only say what was injected.

Rates are per record of the full 5,150,850 (:data:`RATES`): the paper's where it gives one
(section 9.10: 3,478 dropped by the vote, 172,895 inferred, 82 genera from species), otherwise
a modest guess, stated in the table.  From 20,000 records up every noise occurs at least 3
times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl

from curation.synthetic import catalogue as cat
from curation.synthetic import group_noise, record_noise, spelling
from curation.synthetic.groups import Groups
from curation.synthetic.random import stream
from curation.synthetic.tags import Tag, noise_column
from curation.synthetic.taxonomy import SUBFAMILY, Taxonomy

#: Records per 5,150,850 that each noise touches.
RATES: dict[str, int] = {
    # Records in barcode groups that disagree at a rank, by the majority's share: the groups
    # without a majority (<= 0.85 and just under 0.9) make the paper's 3,478 dropped records.
    "vote_exact": 3_000,  # exactly 0.90: 9 of 10, 18 of 20, ...
    "vote_just_under": 1_500,  # 0.85 <= share < 0.90
    "vote_outvoted": 12_000,  # share >= 0.90 (a minority of ~1,500 records outvoted)
    "vote_no_majority": 2_000,  # share < 0.85
    "misplaced_genus": 400,  # a barcode filing a genus under another family (a homonym lineage)
    "subfamily_blank_group": 8_000,  # a placed genus's barcode without its subfamily
    "subfamily_blank": 5_000,  # some records of a barcode without the subfamily the rest give
    "partial": 172_895,  # paper: inferred
    "open_mixed": 1_000,  # 'Megaselia sp.' on a barcode of named Megaselia
    "genus_missing": 82,  # paper: genus from species
    "genus_several_words": 600,  # 1 in 8,273 BIOSCAN-1M records: 'malaiseGraci01 Malaise4560'
    "genus_wrong": 250,  # the genus column contradicts the species; the barcode knows better
    "species_wrong": 250,  # the species names another genus than the record's
    "filler_in_input": 2_000,  # 'unassigned <Family>' written by an earlier curation
}
_FLOOR_FROM = 20_000
_FLOOR = 3


@dataclass(frozen=True)
class Labels:
    """Per released record (ordered by barcode group): its written labels and noise tags."""

    barcode: np.ndarray  #: int32 barcode group
    written: np.ndarray  #: int32 (records, 7): node written at each rank, -1 missing
    overrides: pl.DataFrame  #: record (Int64), rank (Int8), text: shown instead of the name
    tags: pl.Series  #: String: ';'-joined noise tags, null when nothing was injected

    @property
    def records(self) -> int:
        return len(self.barcode)


@dataclass
class Draft:
    """The written labels while noise is injected (each injection edits them in place)."""

    rng: np.random.Generator
    tx: Taxonomy
    groups: Groups
    barcode: np.ndarray
    written: np.ndarray
    busy: np.ndarray  #: bool per record: already carries record-level noise
    group_busy: np.ndarray  #: bool per group: already carries group-level noise
    texts: list[tuple[np.ndarray, int, list[str]]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    @property
    def records(self) -> int:
        return len(self.barcode)

    @cached_property
    def first(self) -> np.ndarray:
        """Index of each group's first record."""
        return np.cumsum(self.groups.barcode_size) - self.groups.barcode_size

    @cached_property
    def children(self) -> dict[int, np.ndarray]:
        """Per node: its children (a filler subfamily among them: :meth:`path` blanks it)."""
        found: dict[int, list[int]] = {}
        for child in np.flatnonzero(self.tx.parent >= 0):
            found.setdefault(int(self.tx.parent[child]), []).append(int(child))
        return {node: np.array(kids) for node, kids in found.items()}

    @cached_property
    def has_siblings(self) -> np.ndarray:
        """Per node: whether its parent has another child that is not a filler."""
        tx = self.tx
        real = np.flatnonzero((tx.parent >= 0) & ~tx.filler)
        per_parent = np.bincount(tx.parent[real], minlength=tx.size)
        count = np.where(tx.parent >= 0, per_parent[np.maximum(tx.parent, 0)], 0)
        return count - (~tx.filler).astype(np.int64) > 0

    def siblings(self, node: int) -> np.ndarray:
        """The other children of ``node``'s parent, fillers left out (a plausible wrong value)."""
        parent = int(self.tx.parent[node])
        kids = self.children.get(parent, np.zeros(0, dtype=np.int64)) if parent >= 0 else []
        kids = np.asarray(kids, dtype=np.int64)
        return kids[(kids != node) & ~self.tx.filler[kids]]

    def descend(self, node: int, stop: float) -> int:
        """A random descendant of ``node``: one level down with probability ``1 - stop`` at a
        time (through a filler subfamily to its genera)."""
        while True:
            kids = self.children.get(node)
            if kids is None or (not self.tx.filler[node] and self.rng.random() < stop):
                return node
            node = int(kids[self.rng.integers(0, len(kids))])

    def budget(self, kind: str) -> int:
        """Records (or groups' records) a noise should touch at this export's size."""
        count = round(RATES[kind] / cat.N_FULL * self.records)
        return max(count, _FLOOR) if self.records >= _FLOOR_FROM else count

    def path(self, node: int | np.ndarray) -> np.ndarray:
        """The written path of ``node`` (rows of node ids per rank; a filler is missing)."""
        rows = self.tx.ancestors[node].copy()
        sub = rows[..., SUBFAMILY]
        rows[..., SUBFAMILY] = np.where((sub >= 0) & self.tx.filler[np.maximum(sub, 0)], -1, sub)
        return rows

    def text(self, records: np.ndarray, rank: int, texts: list[str]) -> None:
        """The column ``rank`` of ``records`` shows ``texts`` (one per record)."""
        if len(records):
            self.texts.append((np.asarray(records, dtype=np.int64), rank, list(texts)))

    def tag(self, name: str, values: np.ndarray, style: str) -> None:
        self.tags.append((name, values, style))

    def overrides(self) -> pl.DataFrame:
        """The texts, one row per (record, rank); a later text of a cell replaces an earlier."""
        schema = {"record": pl.Int64, "rank": pl.Int8, "text": pl.String}
        frames = [
            pl.DataFrame(
                {"record": records, "rank": np.full(len(records), rank), "text": texts},
                schema=schema,
            )
            for records, rank, texts in self.texts
        ]
        combined = pl.concat([pl.DataFrame(schema=schema), *frames])
        return combined.unique(["record", "rank"], keep="last", maintain_order=True).sort(
            "record", "rank"
        )


def build(taxonomy: Taxonomy, groups: Groups, seed: int) -> Labels:
    """The written labels and noise tags of every released record (ordered by group)."""
    barcode = np.repeat(np.arange(groups.barcodes, dtype=np.int32), groups.barcode_size)
    draft = Draft(
        rng=stream(seed, "labels"),
        tx=taxonomy,
        groups=groups,
        barcode=barcode,
        written=np.zeros((len(barcode), 7), dtype=np.int32),
        busy=np.zeros(len(barcode), dtype=bool),
        group_busy=np.zeros(groups.barcodes, dtype=bool),
    )
    draft.written[:] = draft.path(groups.barcode_node[barcode])
    group_noise.inject(draft)
    record_noise.inject(draft)
    spelling.inject(draft)
    return Labels(
        barcode=barcode,
        written=draft.written,
        overrides=draft.overrides(),
        tags=noise_column(draft.tags, draft.records),
    )
