"""The ingest edge: export files in, one frame of canonical fields per batch of lines out.

A file's header is read once (:func:`open_export`); its data lines are read in batches
(:mod:`curation.ingest.batches`), each as bytes in memory.  Polars reads a batch with quoting off
and every column as text: a fast strict read when the batch allows it, else an exact read that
counts every line's separators (re-decoding invalid UTF-8 first, :mod:`curation.ingest.decode`).
The few lines with a wrong field count are read by Python (:mod:`curation.ingest.recover`).
docs/decisions.md "Ingest reading" says why.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curation.ingest.codes import IngestError
from curation.ingest.decode import first_line, open_plain, repair_utf8
from curation.ingest.layouts import ColumnMap, detect, parse_header
from curation.ingest.raw import RawExport
from curation.ingest.recover import Recovery, recover


class _LongLine(Exception):
    """A line of the file has more fields than its header (found by the fast path's count)."""


#: The per-row cleaning applied inside the streaming read (it must keep unknown columns).
Transform = Callable[[pl.LazyFrame, ColumnMap], pl.LazyFrame]
_MAYBE_SHORT = "_maybe_short"


@dataclass(frozen=True)
class Export:
    """An export file opened for reading: its plain bytes (a decompressed copy for gzip), where
    its data lines start, and its layout."""

    path: str
    plain: Path
    columns: ColumnMap
    #: Byte offset of the first data line (the header's length).
    data_start: int


def open_export(path: str, scratch: Path) -> Export:
    """Open ``path`` (any supported layout, plain or gzip) and read its header.

    A decompressed copy goes to ``scratch``.  Raises :class:`IngestError` for a file that is
    empty or not a supported export.
    """
    plain = open_plain(path, scratch)
    header_line = first_line(plain)
    if not header_line:
        raise IngestError(path, None, None, "empty file: there is no header line")
    columns = detect(path, parse_header(path, header_line))
    return Export(path, plain, columns, len(header_line))


def read_batch(
    path: str, columns: ColumnMap, data: bytes, first: int, transform: Transform
) -> RawExport:
    """Read the data lines ``data`` of ``path`` (its first line is line ``first`` of the file)
    and ``transform`` their rows; line numbers are the file's.

    The rows get the per-row cleaning of :func:`curation.ingest.fields.clean_rows` inside the
    read, so the raw text of a batch's sequences is never held twice.
    """
    if columns.header.separator == "\t":
        try:
            return _read_fast(path, data, first, columns, transform)
        except (pl.exceptions.PolarsError, _LongLine):
            pass  # a long row or invalid UTF-8: the exact path finds out which, and where
    return _read_exact(path, data, first, columns, transform)


def _read_fast(
    path: str, data: bytes, first: int, columns: ColumnMap, transform: Transform
) -> RawExport:
    """Polars' parallel read, trusted only where the batch's separator total proves it right.

    Polars reads only the picked columns and neither checks the rest of a line nor tells a
    short row from empty trailing fields.  A line whose last field reads empty may be short:
    those candidates get their separators counted.  Every other line has a non-empty last field,
    so at least width-1 separators; the batch's separator total (a byte count, no parsing) says
    whether any of them has more.  If one does, a field was inserted somewhere in a line and the
    columns after it are shifted: the exact path counts every line and finds it.
    """
    width = len(columns.header.names)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # counted while polars parses (which releases the GIL)
        total = pool.submit(data.count, columns.header.separator.encode())
        frame = _scan_fields(data, first, columns, strict=True).with_columns(
            (pl.col(f"_{width - 1}") == "").fill_null(True).alias(_MAYBE_SHORT)
        )
        rows = transform(frame.drop(f"_{width - 1}"), columns).collect()
        candidates = rows.filter(_MAYBE_SHORT).get_column("source_line")
        rows = rows.drop(_MAYBE_SHORT)
        counted = _separator_counts(data, first, columns, candidates.to_list())
        others = rows.height - candidates.len()
        if total.result() - sum(counted.values()) != others * (width - 1):
            raise _LongLine
    flagged = _wrong_lines(counted, columns)
    recovery = recover(data, first, flagged, columns)
    if recovery.dropped:
        rows = rows.filter(~pl.col("source_line").is_in(sorted(recovery.dropped)))
    return _settle(path, columns, rows, recovery, [], transform)


def _read_exact(
    path: str, data: bytes, first: int, columns: ColumnMap, transform: Transform
) -> RawExport:
    line_issues: list[tuple[int, str, str, str]] = []
    try:
        flagged = _count_separators(data, first, columns)
    except pl.exceptions.ComputeError as err:
        header = columns.header
        data, repaired = repair_utf8(data, first, header.names, header.separator)
        if not repaired:
            raise IngestError(path, None, None, f"polars cannot read the file: {err}") from None
        line_issues += [(line, name, "cp1252_fallback", text) for line, name, text in repaired]
        flagged = _count_separators(data, first, columns)
    recovery = recover(data, first, flagged, columns)
    frame = _scan_fields(data, first, columns, strict=False)
    if recovery.dropped:
        frame = frame.filter(~pl.col("source_line").is_in(sorted(recovery.dropped)))
    rows = transform(frame, columns).collect()
    return _settle(path, columns, rows, recovery, line_issues, transform)


def _settle(
    path: str,
    columns: ColumnMap,
    rows: pl.DataFrame,
    recovery: Recovery,
    line_issues: list[tuple[int, str, str, str]],
    transform: Transform,
) -> RawExport:
    """Add Python's reading of the lines it took over (their polars rows are already gone)."""
    if recovery.records:
        recovered = transform(_records_frame(recovery.records, columns).lazy(), columns).collect()
        rows = pl.concat([rows, recovered.select(rows.columns)])
    return RawExport(
        path=path,
        columns=columns,
        rows=rows,
        ragged=recovery.ragged,
        line_issues=line_issues + recovery.issues,
        rows_read=rows.height + len(recovery.ragged),
        blank_lines=recovery.blank,
    )


def _count_separators(data: bytes, first: int, columns: ColumnMap) -> list[int]:
    """The lines of ``data`` whose separator count is wrong.

    For the comma-separated layout, lines holding a quote are also returned (RFC 4180 cells).
    Raises polars' ComputeError when the data is not valid UTF-8.
    """
    return _wrong_lines(_separator_counts(data, first, columns, None), columns)


def _separator_counts(
    data: bytes, first: int, columns: ColumnMap, lines: list[int] | None
) -> dict[int, int]:
    """Separators per line (of ``lines``, or of all) of ``data``, whose first line is line
    ``first``; a line holding a quote counts as -1 in the comma-separated layout (an RFC 4180
    cell: Python reads it)."""
    if lines is not None and not lines:
        return {}
    separator = columns.header.separator
    line, number = pl.col("line"), pl.col("index").cast(pl.Int64) + first
    count = line.str.count_matches(separator, literal=True).cast(pl.Int64)
    if separator == ",":
        count = pl.when(line.str.contains('"', literal=True)).then(-1).otherwise(count)
    scan = pl.scan_lines(data, row_index_name="index")
    if lines is not None:
        scan = scan.filter(number.is_in(lines))
    found = scan.select(number, count.alias("count")).collect()
    return dict(found.iter_rows())


def _wrong_lines(counts: dict[int, int], columns: ColumnMap) -> list[int]:
    expected = len(columns.header.names) - 1
    return sorted(line for line, count in counts.items() if count != expected)


def _scan_fields(data: bytes, first: int, columns: ColumnMap, strict: bool) -> pl.LazyFrame:
    """Polars' read of every line of ``data``: the layout's columns as text, plus
    ``source_line``.

    ``strict`` makes a long row or invalid UTF-8 an error; otherwise long rows are cut and the
    caller drops them.  The last column is kept as ``_<n-1>`` when ``strict``.
    """
    width = len(columns.header.names)
    frame = pl.scan_csv(
        data,
        has_header=False,
        separator=columns.header.separator,
        quote_char=None,
        schema={f"_{i}": pl.String for i in range(width)},
        truncate_ragged_lines=not strict,
        empty_string_is_null=False,
        row_index_name="_row",
        raise_if_empty=False,
        # polars sizes the row from the first line; a ragged first line must not fail the read
        extra_columns="raise" if strict else "ignore",
        missing_columns="raise" if strict else "insert",
    )
    picked = [pl.col(f"_{index}").alias(name) for name, (index, _) in columns.columns.items()]
    if strict:
        picked.append(pl.col(f"_{width - 1}"))
    source_line = (pl.col("_row").cast(pl.Int64) + first).alias("source_line")
    return frame.select(source_line, *picked)


def _records_frame(records: list[tuple[int, list[str]]], columns: ColumnMap) -> pl.DataFrame:
    data: dict[str, list] = {"source_line": [line for line, _ in records]}
    for name, (index, _) in columns.columns.items():
        data[name] = [fields[index] for _, fields in records]
    schema = {"source_line": pl.Int64, **{name: pl.String for name in columns.columns}}
    return pl.DataFrame(data, schema=schema)
