"""The ingest assembly: the read exports -> records, barcodes, labels, rejects, issues, summary.

Every data row of every input file ends up either in the records (one per processid, sorted by
processid) or in the rejects with one reason from REJECT_REASONS, and :func:`assemble` checks that
conservation on every run.  Reading is :mod:`curation.ingest.read`; this module reads no file.
It finishes the cleaning (:mod:`curation.ingest.fields`), chooses the released row per processid
(docs/curation.md#ingest) and numbers the barcodes (docs/curation.md#barcode-key).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl

from curation.ingest.barcodes import dna_barcodes, number_barcodes
from curation.ingest.codes import ISSUE_CODES, REJECT_REASONS
from curation.ingest.fields import (
    REASON,
    REASON_DTYPE,
    ROW_COLUMNS,
    finish,
    reject_detail,
)
from curation.ingest.raw import RawExport
from curation.ingest.scope import restrict
from curation.sorting import text_order
from schemas.tables import (
    BARCODES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    LABELS_SCHEMA,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    conform,
)

#: Position of a row's file in the input list; with ``source_line`` it is the input order.
FILE = "_file"
_ORDER = [FILE, "source_line"]
_ROW = "_row"
#: Row fields that make two rows of one processid "exactly" the same row.
VALUE_COLUMNS = [c for c in ROW_COLUMNS if c not in ("source_line", REASON)]


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


def assemble(
    exports: Sequence[RawExport],
    target_marker: str,
    scope: Mapping[str, Sequence[str]] | None = None,
) -> IngestResult:
    """The records, barcodes, labels, rejects, issues and summary of the read ``exports``.

    Each file's rows are finished (:func:`finish_file`) and concatenated, then one row per
    processid is released.  The exports' rows are consumed on the way, so the row table is held
    once.  Records outside ``scope`` are then rejected (:mod:`curation.ingest.scope`); None
    keeps every record.
    """
    parts, issues = [], []
    for index, export in enumerate(exports):
        rows, found = finish_file(export, index, target_marker)
        parts.append(rows)
        issues.append(found)
    result = _release(exports, _concat_consuming(parts), pl.concat(issues), target_marker)
    return restrict(result, scope)


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


def _concat_consuming(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate and empty ``parts``, so the result is the rows' only reference."""
    rows = pl.concat(parts, how="vertical")
    parts.clear()
    return rows


def _release(
    exports: Sequence[RawExport], rows: pl.DataFrame, issues: pl.DataFrame, target_marker: str
) -> IngestResult:
    """Choose one released row per processid, number the barcodes, and summarise.

    ``rows`` is consumed: it is released column by column while the records are gathered, so
    the peak holds the row table once, not twice.  The barcode sort (the one costly step that
    cannot be split) runs in a second thread meanwhile; polars releases the GIL.
    """
    paths = [export.path for export in exports]
    order, duplicates = _release_order(rows, paths)
    # The barcodes are numbered in row order, in which their bytes lie in memory in sequence
    # (in processid order every barcode hashed or compared is fetched from a random place).
    by_row = order.arg_sort()
    barcodes = rows.get_column("dna_barcode").gather(order.gather(by_row))
    with ThreadPoolExecutor(max_workers=1) as pool:
        numbering = pool.submit(number_barcodes, barcodes)
        rejects = _rejects(exports, rows, duplicates)
        issues = _issues(issues, rows, paths)
        records = _gather_consuming(rows.drop("dna_barcode"), order)
        del rows, barcodes
        numbered = numbering.result()
        to_processid_order = by_row.arg_sort()
        records = records.with_columns(
            numbered.keys.gather(to_processid_order),
            numbered.padded.gather(to_processid_order),
            _source(paths),
        )
    summary = _summary(exports, records, rejects, issues, target_marker)
    check_conservation(summary)
    labels = conform(records, LABELS_SCHEMA)
    records = conform(records, RECORDS_SCHEMA)
    return IngestResult(
        records=records,
        barcodes=conform(numbered.sequences, BARCODES_SCHEMA),
        labels=labels,
        rejects=conform(rejects, REJECTS_SCHEMA),
        issues=issues,
        summary=summary,
    )


def _release_order(rows: pl.DataFrame, paths: Sequence[str]) -> tuple[pl.Series, pl.DataFrame]:
    """Row indices of the released rows in processid order, and the duplicate rejects.

    The candidates are sorted by processid anyway, so rows sharing one are neighbours there:
    no hashing of millions of identifiers.
    """
    index = pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW)
    candidates = rows.select(index, "processid", pl.col(REASON).is_null().alias("_candidate"))
    candidates = candidates.filter("_candidate").drop("_candidate")
    candidates = candidates[text_order(candidates["processid"])]
    pid = pl.col("processid")
    shared = candidates.filter((pid == pid.shift(1)) | (pid == pid.shift(-1))).get_column(_ROW)
    shared_rows = rows[shared].with_columns(shared.alias(_ROW), _source(paths))
    duplicates = deduplicate(shared_rows)
    rejected = duplicates.get_column(_ROW).implode()
    order = candidates.filter(~pl.col(_ROW).is_in(rejected)).get_column(_ROW)
    return order, duplicates


def _gather_consuming(rows: pl.DataFrame, order: pl.Series) -> pl.DataFrame:
    """``rows[order]`` with the record types, one column at a time, dropping each source column
    once gathered (categorical labels become strings here, only for released rows)."""
    gathered = []
    for name in rows.columns:
        column = rows.get_column(name).gather(order)
        gathered.append(column.cast(RECORDS_SCHEMA[name]) if name in RECORDS_SCHEMA else column)
        rows = rows.drop(name)
    return pl.DataFrame(gathered)


def source_names(paths: Sequence[str]) -> list[str]:
    """The name each input goes by in the release (``source_file``, the MANIFEST, the summary):
    its file name, not its path, so that a release does not depend on where its inputs lie.
    Inputs that share a file name get their position in the input list: ``export.tsv#2``."""
    names = [os.path.basename(path) for path in paths]
    return [
        name if names.count(name) == 1 else f"{name}#{position}"
        for position, name in enumerate(names, start=1)
    ]


def _source(paths: Sequence[str]) -> pl.Expr:
    """``source_file`` (see :func:`source_names`) from the file position; added late, as it is
    16 bytes per row."""
    return (
        pl.col(FILE)
        .replace_strict(range(len(paths)), source_names(paths), return_dtype=pl.String)
        .alias("source_file")
    )


def deduplicate(shared: pl.DataFrame) -> pl.DataFrame:
    """The rows to reject among rows that share a processid (``_row``, reason, detail).

    Exact copies (equal in every record field) collapse onto the first; of the distinct rows the
    longest barcode wins, ties by input order (docs/curation.md#ingest).
    """
    schema = {_ROW: pl.UInt32, "reason": pl.String, "detail": pl.String}
    if shared.is_empty():
        return pl.DataFrame(schema=schema)
    where = pl.format("{}:{}", pl.col("source_file"), pl.col("source_line"))
    value = pl.struct(VALUE_COLUMNS)
    shared = shared.sort(["processid", *_ORDER]).with_columns(
        _copy=~value.is_first_distinct(), _original=where.first().over(value)
    )
    copies = shared.filter("_copy").select(
        _ROW,
        pl.lit("exact_duplicate").alias("reason"),
        pl.format("copy of {}", "_original").alias("detail"),
    )
    distinct = (
        shared.filter(~pl.col("_copy"))
        .with_columns(_length=pl.col("dna_barcode").str.len_bytes())
        .sort(["processid", "_length", *_ORDER], descending=[False, True, False, False])
        .with_columns(
            _kept=pl.col("processid").is_first_distinct(), _winner=where.first().over("processid")
        )
    )
    losers = distinct.filter(~pl.col("_kept")).select(
        _ROW,
        pl.lit("duplicate_processid").alias("reason"),
        pl.format("kept {}", "_winner").alias("detail"),
    )
    return pl.concat([copies, losers]).cast(schema)


def _rejects(
    exports: Sequence[RawExport], rows: pl.DataFrame, duplicates: pl.DataFrame
) -> pl.DataFrame:
    """All rejects in input order (file, line), the reader's ragged rows included."""
    columns = {
        FILE: pl.UInt32,
        "source_line": pl.Int64,
        "processid": pl.String,
        "reason": pl.String,
        "detail": pl.String,
    }
    ragged = pl.DataFrame(
        [
            (index, line, None, "ragged_row", detail)
            for index, export in enumerate(exports)
            for line, detail in export.ragged
        ],
        schema=columns,
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
    duplicated = rows.with_row_index(_ROW).join(duplicates, on=_ROW, how="inner")
    combined = pl.concat(
        [frame.select(list(columns)).cast(columns) for frame in (ragged, row_level, duplicated)]
    )
    order = pl.col("reason").cast(REASON_DTYPE).to_physical()
    paths = [export.path for export in exports]
    return combined.sort([*_ORDER, order]).with_columns(_source(paths))


def _issues(issues: pl.DataFrame, rows: pl.DataFrame, paths: list[str]) -> pl.DataFrame:
    """All issues, line-level ones given the processid of their line, in input order."""
    unnamed = issues.filter(pl.col("processid").is_null())
    if not unnamed.is_empty():
        lookup = rows.select(*_ORDER, pl.col("processid").alias("_pid")).join(
            unnamed.select(_ORDER).unique(), on=_ORDER, how="semi"
        )
        issues = issues.join(lookup, on=_ORDER, how="left").with_columns(
            pl.coalesce("processid", "_pid").alias("processid")
        )
    code = pl.col("issue").replace_strict(list(ISSUE_CODES), range(len(ISSUE_CODES)))
    issues = issues.sort([*_ORDER, "field", code, "detail"]).with_columns(_source(paths))
    return conform(issues, INGEST_ISSUES_SCHEMA)


def _summary(
    exports: Sequence[RawExport],
    records: pl.DataFrame,
    rejects: pl.DataFrame,
    issues: pl.DataFrame,
    target_marker: str,
) -> dict[str, Any]:
    """Counts only (no timings, no machine paths): the same input gives the same summary."""
    released_by_file = dict(records.group_by(FILE).len().iter_rows())
    rejected_by_file = dict(rejects.group_by(FILE).len().iter_rows())
    reasons = dict(rejects.group_by("reason").len().iter_rows())
    codes = dict(issues.group_by("issue").len().iter_rows())
    names = source_names([export.path for export in exports])
    return {
        "target_marker": target_marker,
        "files": [
            {
                "path": names[index],
                "layout": export.columns.layout.name,
                "columns": len(export.columns.header.names),
                "utf8_bom": export.columns.header.bom,
                "rows_read": export.rows_read,
                "blank_lines": export.blank_lines,
                "released": released_by_file.get(index, 0),
                "rejected": rejected_by_file.get(index, 0),
            }
            for index, export in enumerate(exports)
        ],
        "rows_read": sum(export.rows_read for export in exports),
        "released": records.height,
        "rejected": rejects.height,
        "rejects": {reason: reasons.get(reason, 0) for reason in REJECT_REASONS},
        "issues": {code: codes.get(code, 0) for code in ISSUE_CODES},
        "barcode_keys": records.get_column("barcode_key").n_unique(),
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
