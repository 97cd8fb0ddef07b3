"""Record scope: the records of taxa the release does not cover become ``out_of_scope`` rejects.

A raw BOLD data package holds every phylum; BIOSCAN-5M holds arthropods only.  ``input.scope``
names, per rank, the taxa a release keeps (docs/curation.md#scope).  A record whose label at
such a rank names another taxon is moved from the records to the rejects; a record without a
label there is kept.  Labels are compared as the label rules will see them: whitespace
collapsed and case ignored (``" arthropoda"`` is Arthropoda), missing-value tokens are no label.

It runs on the released records of each processid range, before the barcodes are numbered, so
the barcode keys are dense ranks of the records that stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from curation import names

REASON = "out_of_scope"
#: The taxa a release keeps by default: BIOSCAN-5M's one phylum.
DEFAULT_SCOPE: dict[str, list[str]] = {"phylum": ["Arthropoda"]}


def out_of_scope(labels: pl.DataFrame, scope: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """The records outside ``scope``: ``processid`` and a ``detail`` naming the label and scope.

    A record is outside when, at some rank of ``scope``, its cleaned label is present and is
    none of that rank's taxa; the detail names the shallowest such rank.
    """
    reasons = []
    for rank, taxa in scope.items():
        label = names.clean_label(pl.col(rank))
        allowed = pl.Series([name.lower() for name in taxa], dtype=pl.String).implode()
        outside = label.is_not_null() & ~label.str.to_lowercase().is_in(allowed)
        kept = ", ".join(taxa)
        reasons.append(pl.when(outside).then(pl.format(f"{rank} {{}} (scope: {kept})", label)))
    if not reasons:
        return pl.DataFrame(schema={"processid": pl.String, "detail": pl.String})
    detail = pl.coalesce(reasons).alias("detail")
    return labels.select("processid", detail).filter(pl.col("detail").is_not_null())
