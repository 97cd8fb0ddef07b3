"""The label columns of the export's rows: the seven ranks as written, and what BOLD derives
from them (``identification``, ``identification_rank``, ``taxid``, ``tribe``,
``species_reference``).

A released specimen shows its record's written labels with their texts
(:mod:`curation.synthetic.labels`); a specimen without a barcode or with only other markers
shows a random record's plain labels; a specimen outside the scope shows a lineage of
:data:`curation.synthetic.catalogue.OUT_OF_SCOPE_LINEAGES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from curation.synthetic import catalogue as cat
from curation.synthetic.taxonomy import GENUS, SPECIES, SUBFAMILY
from schemas.tables import RANKS

if TYPE_CHECKING:
    from curation.synthetic.export import Plan

MISSING = "None"
#: taxid of the out-of-scope lineages: this plus the lineage's position.
_SCOPE_TAXID = 900_000


def columns(p: Plan, specimen: np.ndarray) -> dict[str, pl.Series]:
    """The label columns of rows showing ``specimen`` (one per row)."""
    kind = p.kind[specimen]
    record = p.label_record[specimen]
    released = kind == 0
    written = p.labels.written[record]
    ranks = _ranks(p, written, record, released)
    outside = np.flatnonzero(p.scope_lineage[specimen] >= 0)
    lineage = p.scope_lineage[specimen[outside]]
    for index, rank in enumerate(RANKS):
        values = [cat.OUT_OF_SCOPE_LINEAGES[i][0][index] for i in lineage]
        ranks[rank] = ranks[rank].scatter(outside, pl.Series(values, dtype=pl.String))
    frame = pl.DataFrame(ranks)
    present = [pl.col(rank) != MISSING for rank in RANKS]
    deepest = frame.select(
        pl.max_horizontal(pl.when(shown).then(pl.lit(i)) for i, shown in enumerate(present))
        .fill_null(0)
        .alias("deepest")
    )["deepest"].to_numpy()
    node = written[np.arange(len(record)), deepest]
    node = np.where(node >= 0, node, written[:, GENUS])
    taxid = np.where(node >= 0, node + 100_000, 100_000)
    taxid[outside] = _SCOPE_TAXID + lineage.astype(np.int64)
    identification = frame.select(
        pl.coalesce(
            pl.when(pl.lit(pl.Series(deepest)) == i).then(pl.col(rank))
            for i, rank in enumerate(RANKS)
        )
    ).to_series()
    return {
        **ranks,
        "identification": identification,
        "identification_rank": pl.Series(RANKS, dtype=pl.String).gather(deepest),
        "taxid": pl.Series(taxid).cast(pl.String),
        "tribe": _tribe(p, written, outside),
        "species_reference": _species_reference(p, node, deepest, outside),
    }


def _ranks(
    p: Plan, written: np.ndarray, record: np.ndarray, released: np.ndarray
) -> dict[str, pl.Series]:
    """The seven rank columns: node names, then the texts of released records' labels."""
    tx = p.taxonomy
    name = p.lookup["shown_name"]
    ranks = {
        rank: name.gather(np.where(written[:, r] >= 0, written[:, r], tx.size))
        for r, rank in enumerate(RANKS)
    }
    rows = pl.DataFrame({"row": np.arange(len(record)), "record": record}).filter(
        pl.Series(released)
    )
    texts = rows.join(p.labels.overrides, on="record", how="inner")
    for (rank,), part in texts.group_by("rank"):
        column = RANKS[int(rank)]
        ranks[column] = ranks[column].scatter(part["row"], part["text"])
    return ranks


def _tribe(p: Plan, written: np.ndarray, outside: np.ndarray) -> pl.Series:
    """The tribe column: shown with the genus, from the written subfamily."""
    tx = p.taxonomy
    subfamily = written[:, SUBFAMILY]
    shown = (written[:, GENUS] >= 0) & (subfamily >= 0)
    shown[outside] = False
    return p.lookup["tribe"].gather(np.where(shown, subfamily, tx.size))


def _species_reference(
    p: Plan, node: np.ndarray, deepest: np.ndarray, outside: np.ndarray
) -> pl.Series:
    tx = p.taxonomy
    species = (deepest == SPECIES) & (node >= 0) & (tx.rank[np.maximum(node, 0)] == SPECIES)
    species[outside] = False
    return p.lookup["species_reference"].gather(np.where(species, node, tx.size))
