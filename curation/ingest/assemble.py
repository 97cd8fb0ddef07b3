"""The ingest assembly, as pure steps on frames: a parsed batch -> candidate rows, rejects and
issues; a processid range of candidates -> released records and duplicate/scope rejects.

Every data row of every input file ends up either in the records (one per processid, sorted by
processid) or in the rejects with one reason from REJECT_REASONS, and the ingest checks that
conservation on every run (:func:`check_conservation`).  Reading is :mod:`curation.ingest.read`,
the files between the steps are :mod:`curation.ingest.runs`; this module reads no file.  It
finishes the cleaning (:mod:`curation.ingest.fields`) and chooses the released row per processid
(docs/curation.md#ingest).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.ingest.barcodes import dna_barcodes
from curation.ingest.codes import ISSUE_CODES, REJECT_REASONS
from curation.ingest.fields import (
    REASON,
    REASON_DTYPE,
    ROW_COLUMNS,
    finish,
    reject_detail,
)
from curation.ingest.raw import RawExport
from curation.ingest.scope import REASON as SCOPE_REASON
from curation.ingest.scope import out_of_scope
from curation.sorting import text_order
from schemas.tables import INGEST_ISSUES_SCHEMA

#: Position of a row's file in the input list; with ``source_line`` it is the input order.
FILE = "_file"
_ORDER = [FILE, "source_line"]
#: A candidate's place in its batch's processid-sorted run (both runs of a batch carry it).
RUN_ROW = "_run_row"
#: A candidate's barcode length in bytes (of a processid's distinct rows the longest wins).
LENGTH = "_length"
#: A candidate's number among every candidate of the inputs (its run's offset + RUN_ROW).
ID = "_id"
#: A candidate's barcode as a number, equal for equal N-stripped barcodes (the rank of its
#: sequence among the candidates').
SEQUENCE_RANK = "_sequence_rank"
_COMBO = "_combo"
_PLACE = "_place"
#: Row fields that make two rows of one processid "exactly" the same row; the barcode is
#: (SEQUENCE_RANK, ``padded_barcode``), equal exactly when the barcodes are.
IDENTITY_COLUMNS = [
    *(c for c in ROW_COLUMNS if c not in ("source_line", REASON, "dna_barcode")),
    SEQUENCE_RANK,
    "padded_barcode",
]
#: Rejects between the steps: the file's position instead of its name (REJECTS_SCHEMA).
REJECT_COLUMNS: dict[str, pl.DataType] = {
    FILE: pl.UInt32(),
    "source_line": pl.Int64(),
    "processid": pl.String(),
    "reason": pl.String(),
    "detail": pl.String(),
}
#: Issues between the steps, likewise (INGEST_ISSUES_SCHEMA).
ISSUE_COLUMNS: dict[str, pl.DataType] = {
    FILE: pl.UInt32(),
    **{name: dtype for name, dtype in INGEST_ISSUES_SCHEMA.items() if name != "source_file"},
}


@dataclass(frozen=True)
class IngestResult:
    records: pl.DataFrame
    barcodes: pl.DataFrame
    labels: pl.DataFrame
    rejects: pl.DataFrame
    issues: pl.DataFrame
    summary: dict[str, Any]

    def records_with_barcodes(self) -> pl.DataFrame:
        """The records with their ``dna_barcode`` joined back, for inspection (the pipeline
        itself joins the barcodes only where the release is written)."""
        records = self.records
        sequences = self.barcodes.get_column("sequence")
        keys, padded = records.get_column("barcode_key"), records.get_column("padded_barcode")
        return records.with_columns(dna_barcodes(keys, padded, sequences))


def finish_file(
    export: RawExport, index: int, target_marker: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One parsed file's rows (ROW_COLUMNS + ``_file``) and issues.  The export's own rows are
    emptied (it keeps the reader's findings), so they can be freed as soon as they are used."""
    rows, issues = finish(export.rows, export.columns, target_marker)
    export.rows = export.rows.clear()
    line_issues = pl.DataFrame(
        export.line_issues,
        schema={
            "source_line": pl.Int64,
            "field": pl.String,
            "issue": pl.String,
            "detail": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit(None, pl.String).alias("processid"))
    tag = pl.lit(index, pl.UInt32).alias(FILE)
    issues = pl.concat([line_issues, issues], how="diagonal_relaxed").with_columns(tag)
    return rows.with_columns(tag), issues


def batch_rejects(export: RawExport, index: int, rows: pl.DataFrame) -> pl.DataFrame:
    """A batch's row-level rejects and the reader's ragged rows, in line order (REJECT_COLUMNS)."""
    ragged = pl.DataFrame(
        [(index, line, None, "ragged_row", detail) for line, detail in export.ragged],
        schema=REJECT_COLUMNS,
        orient="row",
    )
    row_level = (
        rows.filter(pl.col(REASON).is_not_null())
        .select(
            *_ORDER,
            "processid",
            "sampleid",
            "marker_code",
            "dna_barcode",
            pl.col(REASON).cast(pl.String).alias("reason"),
        )
        .with_columns(detail=reject_detail())
    )
    combined = pl.concat([frame.select(list(REJECT_COLUMNS)) for frame in (ragged, row_level)])
    return sort_rejects(combined.cast(REJECT_COLUMNS))


def sort_rejects(rejects: pl.DataFrame) -> pl.DataFrame:
    """Rejects (REJECT_COLUMNS) in input order: file, line, reason order."""
    order = pl.col("reason").cast(REASON_DTYPE).to_physical()
    return rejects.sort([*_ORDER, order])


def name_issues(issues: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """A batch's issues, line-level ones given the processid of their line (the line is in the
    same batch), in input order; ISSUE_COLUMNS."""
    unnamed = issues.filter(pl.col("processid").is_null())
    if not unnamed.is_empty():
        lookup = rows.select(*_ORDER, pl.col("processid").alias("_pid")).join(
            unnamed.select(_ORDER).unique(), on=_ORDER, how="semi"
        )
        issues = issues.join(lookup, on=_ORDER, how="left").with_columns(
            pl.coalesce("processid", "_pid").alias("processid")
        )
    code = pl.col("issue").replace_strict(list(ISSUE_CODES), range(len(ISSUE_CODES)))
    return issues.sort([*_ORDER, "field", code, "detail"]).select(
        pl.col(name).cast(dtype) for name, dtype in ISSUE_COLUMNS.items()
    )


def candidates(rows: pl.DataFrame) -> pl.DataFrame:
    """A batch's rows that no row-level check rejected, in processid order (a sorted run)."""
    kept = rows.filter(pl.col(REASON).is_null()).drop(REASON)
    return kept[text_order(kept.get_column("processid"))]


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` decides for the candidates of one processid range."""

    #: ``_id`` of every candidate not released: a processid's other rows, records out of scope.
    dropped: pl.Series
    #: ``_id`` of every candidate that shares its processid (their reject reasons need barcodes).
    shared: pl.Series
    #: Out-of-scope rejects (REJECT_COLUMNS), in processid order.
    rejects: pl.DataFrame
    #: Released records per file (FILE, ``len``).
    released: pl.DataFrame
    #: The released records' places among ``rows`` (UInt32), in processid order: the later pass
    #: over the same range's rows gathers them without filtering or sorting again.
    order: pl.Series


def choose(rows: pl.DataFrame, scope: Mapping[str, Sequence[str]] | None) -> Choice:
    """The released row of each processid among ``rows`` (every candidate of the processids it
    holds: ``_id``, processid, FILE, source_line, LENGTH and the ranks of ``scope``), then the
    records outside ``scope`` (:mod:`curation.ingest.scope`; None keeps every record).

    Of a processid's rows the longest barcode wins, ties by input order (docs/curation.md#ingest).
    That is the row :func:`deduplicate` keeps among the distinct rows, and no barcode needs to be
    compared to find it: a copy has its original's length and a later place in the input, so it
    is never the first of the longest.  The rows are sorted by processid, so rows sharing one are
    neighbours: no hashing of millions of identifiers.
    """
    ordered = rows.with_row_index(_PLACE)[text_order(rows.get_column("processid"))]
    pid = pl.col("processid")
    shared = ordered.filter((pid == pid.shift(1)) | (pid == pid.shift(-1)))
    losers = (
        shared.sort(["processid", LENGTH, *_ORDER], descending=[False, True, False, False])
        .filter(~pid.is_first_distinct())
        .get_column(ID)
    )
    winners = ordered.filter(~pl.col(ID).is_in(losers.implode()))
    gone = _outside(winners, scope or {})
    kept = winners.filter(~pl.col(ID).is_in(gone.get_column(ID).implode()))
    return Choice(
        dropped=pl.concat([losers, gone.get_column(ID)]),
        shared=shared.get_column(ID),
        rejects=gone.select(
            *_ORDER, "processid", pl.lit(SCOPE_REASON).alias("reason"), "detail"
        ).cast(REJECT_COLUMNS),
        released=kept.group_by(FILE).len(),
        order=kept.get_column(_PLACE),
    )


def _outside(records: pl.DataFrame, scope: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """``records`` outside ``scope``, with the ``detail`` of :func:`out_of_scope`, which runs once
    per distinct combination of the scope's (categorical) labels, not once per record."""
    ranks = list(scope)
    if not ranks:
        return records.clear().with_columns(pl.lit(None, pl.String).alias("detail"))
    combos = records.select(ranks).unique().with_row_index(_COMBO)
    labels = combos.select(
        pl.col(_COMBO).alias("processid"), *(pl.col(rank).cast(pl.String) for rank in ranks)
    )
    found = out_of_scope(labels, scope).rename({"processid": _COMBO})
    outside = combos.join(found, on=_COMBO, how="inner").drop(_COMBO)
    return records.join(outside, on=ranks, how="inner", nulls_equal=True, maintain_order="left")


def duplicate_rejects(
    rows: pl.DataFrame, ranks: pl.DataFrame, paths: Sequence[str]
) -> pl.DataFrame:
    """The duplicate rejects (REJECT_COLUMNS) among a processid range's candidates ``rows``:
    those in ``ranks`` (``_id``, SEQUENCE_RANK: the rows sharing a processid) are compared."""
    shared = rows.join(ranks, on=ID, how="inner")
    if shared.is_empty():
        return pl.DataFrame(schema=REJECT_COLUMNS)
    found = deduplicate(shared.with_columns(source(paths)))
    return shared.join(found, on=ID, how="inner").select(list(REJECT_COLUMNS))


def released_records(
    rows: pl.DataFrame, order: pl.Series, keys: pl.Series, paths: Sequence[str]
) -> pl.DataFrame:
    """A processid range's released records: its candidates ``rows`` at the places ``order``
    (:attr:`Choice.order`, found on the same rows), so in processid order, with their barcode
    keys (``keys`` indexed by ``_id``) and ``source_file``."""
    kept = rows[order]
    return kept.with_columns(keys.gather(kept.get_column(ID)).alias("barcode_key"), source(paths))


def source_names(paths: Sequence[str]) -> list[str]:
    """The name each input goes by in the release (``source_file``, the MANIFEST, the summary):
    its file name, not its path, so that a release does not depend on where its inputs lie.
    Inputs that share a file name get their position in the input list: ``export.tsv#2``."""
    names = [os.path.basename(path) for path in paths]
    return [
        name if names.count(name) == 1 else f"{name}#{position}"
        for position, name in enumerate(names, start=1)
    ]


def source(paths: Sequence[str]) -> pl.Expr:
    """``source_file`` (see :func:`source_names`) from the file position; added late, as it is
    16 bytes per row."""
    return (
        pl.col(FILE)
        .replace_strict(range(len(paths)), source_names(paths), return_dtype=pl.String)
        .alias("source_file")
    )


def deduplicate(shared: pl.DataFrame) -> pl.DataFrame:
    """The rows to reject among rows that share a processid (``_id``, reason, detail).

    ``shared`` holds ``_id``, FILE, ``source_file``, LENGTH and IDENTITY_COLUMNS.  Exact copies
    (equal in every record field) collapse onto the first; of the distinct rows the longest
    barcode wins, ties by input order (docs/curation.md#ingest).
    """
    schema = {ID: pl.UInt32, "reason": pl.String, "detail": pl.String}
    if shared.is_empty():
        return pl.DataFrame(schema=schema)
    where = pl.format("{}:{}", pl.col("source_file"), pl.col("source_line"))
    value = pl.struct(IDENTITY_COLUMNS)
    shared = shared.sort(["processid", *_ORDER]).with_columns(
        _copy=~value.is_first_distinct(), _original=where.first().over(value)
    )
    copies = shared.filter("_copy").select(
        ID,
        pl.lit("exact_duplicate").alias("reason"),
        pl.format("copy of {}", "_original").alias("detail"),
    )
    distinct = (
        shared.filter(~pl.col("_copy"))
        .sort(["processid", LENGTH, *_ORDER], descending=[False, True, False, False])
        .with_columns(
            _kept=pl.col("processid").is_first_distinct(), _winner=where.first().over("processid")
        )
    )
    losers = distinct.filter(~pl.col("_kept")).select(
        ID,
        pl.lit("duplicate_processid").alias("reason"),
        pl.format("kept {}", "_winner").alias("detail"),
    )
    return pl.concat([copies, losers]).cast(schema)


def summary(
    files: Sequence[dict[str, Any]],
    reasons: Mapping[str, int],
    codes: Mapping[str, int],
    barcode_keys: int,
    target_marker: str,
    scope: Mapping[str, Sequence[str]] | None,
) -> dict[str, Any]:
    """The ingest summary: counts only (no timings, no machine paths), so the same input gives
    the same summary.  ``files`` are the per-file entries (path, layout, columns, utf8_bom,
    rows_read, blank_lines, released, rejected)."""
    return {
        "target_marker": target_marker,
        "files": list(files),
        "rows_read": sum(entry["rows_read"] for entry in files),
        "released": sum(entry["released"] for entry in files),
        "rejected": sum(entry["rejected"] for entry in files),
        "rejects": {reason: reasons.get(reason, 0) for reason in REJECT_REASONS},
        "issues": {code: codes.get(code, 0) for code in ISSUE_CODES},
        "barcode_keys": barcode_keys,
        "scope": {rank: list(taxa) for rank, taxa in (scope or {}).items()},
    }


def check_conservation(summary: dict[str, Any]) -> None:
    """Rows read = released + rejected, in total and per file; a violation is a bug."""
    for entry in [*summary["files"], summary]:
        if entry["rows_read"] != entry["released"] + entry["rejected"]:
            where = entry.get("path", "all files")
            raise AssertionError(
                f"ingest lost rows in {where}: {entry['rows_read']} read, {entry['released']} "
                f"released + {entry['rejected']} rejected"
            )
