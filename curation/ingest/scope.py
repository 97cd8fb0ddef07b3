"""Record scope: the records of taxa the release does not cover become ``out_of_scope`` rejects.

A raw BOLD data package holds every phylum; BIOSCAN-5M holds arthropods only.  ``input.scope``
names, per rank, the taxa a release keeps (docs/curation.md#scope).  A record whose label at
such a rank names another taxon is moved from the records to the rejects; a record without a
label there is kept.  Labels are compared as the label rules will see them: whitespace
collapsed and case ignored (``" arthropoda"`` is Arthropoda), missing-value tokens are no label.

It runs on a finished ingest: the released records are known, so the rejects table, the barcode
numbering and the summary are adjusted here and nothing else in the ingest needs to know.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from curation import names
from curation.ingest.codes import REJECT_REASONS
from schemas.tables import REJECTS_SCHEMA, conform

if TYPE_CHECKING:
    from curation.ingest.assemble import IngestResult

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


def restrict(result: IngestResult, scope: Mapping[str, Sequence[str]] | None) -> IngestResult:
    """``result`` with the records outside ``scope`` rejected as ``out_of_scope``.

    Barcode keys stay dense ranks of the remaining records' barcodes, the rejects stay in
    input order, and the summary counts (per file, per reason) follow; ingested rows are still
    released + rejected.  ``None`` or an empty scope keeps every record.
    """
    outside = out_of_scope(result.labels, scope or {})
    summary = {
        **result.summary,
        "scope": {rank: list(taxa) for rank, taxa in (scope or {}).items()},
    }
    if outside.is_empty():
        return dataclasses.replace(result, summary=summary)
    gone = outside["processid"].implode()
    records = result.records.filter(~pl.col("processid").is_in(gone))
    labels = result.labels.filter(~pl.col("processid").is_in(gone))
    kept_keys = records["barcode_key"].unique().sort()
    renumber = {"old": kept_keys, "new": pl.int_range(len(kept_keys), dtype=pl.UInt32, eager=True)}

    def rekey(frame: pl.DataFrame) -> pl.DataFrame:
        key = pl.col("barcode_key").replace_strict(renumber["old"], renumber["new"])
        return frame.with_columns(key.cast(pl.UInt32))

    barcodes = result.barcodes.filter(pl.col("barcode_key").is_in(kept_keys.implode()))
    rejected = result.records.join(outside, on="processid", how="inner").select(
        "source_file", "source_line", "processid", pl.lit(REASON).alias("reason"), "detail"
    )
    files = [entry["path"] for entry in summary["files"]]
    rejects = _in_input_order(pl.concat([result.rejects, conform(rejected, REJECTS_SCHEMA)]), files)
    records = rekey(records)
    return dataclasses.replace(
        result,
        records=records,
        labels=rekey(labels),
        barcodes=rekey(barcodes),
        rejects=rejects,
        summary=_recount(summary, rejected, records),
    )


def _in_input_order(rejects: pl.DataFrame, files: list[str]) -> pl.DataFrame:
    """Rejects sorted as ingest sorts them: file position, line, reason order."""
    position = pl.col("source_file").replace_strict(
        files, list(range(len(files))), default=len(files)
    )
    reason = pl.col("reason").replace_strict(list(REJECT_REASONS), list(range(len(REJECT_REASONS))))
    return rejects.sort([position, pl.col("source_line"), reason], maintain_order=True)


def _recount(summary: dict, rejected: pl.DataFrame, records: pl.DataFrame) -> dict:
    """The ingest summary after ``rejected`` records moved from the records to the rejects."""
    by_file = dict(rejected.group_by("source_file").len().iter_rows())
    files = []
    for entry in summary["files"]:
        moved = by_file.pop(entry["path"], 0)
        files.append(
            {**entry, "released": entry["released"] - moved, "rejected": entry["rejected"] + moved}
        )
    reasons = {**summary["rejects"], REASON: summary["rejects"].get(REASON, 0) + rejected.height}
    return {
        **summary,
        "files": files,
        "released": summary["released"] - rejected.height,
        "rejected": summary["rejected"] + rejected.height,
        "rejects": reasons,
        "barcode_keys": records["barcode_key"].n_unique(),
    }
