"""C4, subfamily completion: ``unassigned <Family>`` where a genus has no subfamily."""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels.provenance import apply_rule


def fill_unassigned_subfamily(labels: pl.DataFrame, rule: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C4: subfamily := ``unassigned <family>`` where it is null under a genus.

    A record labelled only to family keeps its null subfamily (not identified, not a hole);
    without a family there is nothing to name the filler after, so the hole stays.
    """
    hole = pl.col("subfamily").is_null() & pl.col("genus").is_not_null()
    hole = hole & pl.col("family").is_not_null()
    value = pl.when(hole).then(names.filler(pl.col("family"))).otherwise(pl.col("subfamily"))
    return apply_rule(labels, "subfamily", value, rule)
