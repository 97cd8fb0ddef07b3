"""The ingest edge: export files in, one frame of canonical fields per file out.

Polars reads each file with quoting off and every column as text: a fast strict read when the
file allows it, else an exact read that counts every line's separators (re-decoding invalid UTF-8
first, :mod:`curation.ingest.decode`).  The few lines with a wrong field count are read by Python
(:mod:`curation.ingest.recover`).  docs/decisions.md "Ingest reading" says why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import polars as pl

from curation.ingest.codes import IngestError
from curation.ingest.decode import count_bytes, first_line, open_plain, repair_utf8
from curation.ingest.fields import clean_rows
from curation.ingest.layouts import ColumnMap, detect, parse_header
from curation.ingest.raw import RawExport
from curation.ingest.recover import Recovery, recover


class _LongLine(Exception):
    """A line of the file has more fields than its header (found by the fast path's count)."""


#: The per-row cleaning applied inside the streaming read (it must keep unknown columns).
Transform = Callable[[pl.LazyFrame, ColumnMap], pl.LazyFrame]
_MAYBE_SHORT = "_maybe_short"


def read_exports(paths: Sequence[str], target_marker: str) -> list[RawExport]:
    """Read every export, in the given order (it breaks ties between duplicate processids).

    Each file's rows get the per-row cleaning of :func:`curation.ingest.fields.clean_rows`
    inside the read, so the raw text of millions of sequences is never held at once.  Raises
    :class:`IngestError` for an input that cannot be read at all.
    """
    if not paths:
        raise IngestError("<config>", None, "input.files", "no input file to ingest")
    transform = partial(clean_rows, target_marker=target_marker)
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        return [read_export(path, Path(scratch), transform) for path in paths]


def read_export(path: str, scratch: Path, transform: Transform) -> RawExport:
    """Read ``path`` (any supported layout, plain or gzip) and ``transform`` its rows.

    Temporary files (a decompressed or re-decoded copy) go to ``scratch``.
    """
    plain = open_plain(path, scratch)
    header_line = first_line(plain)
    if not header_line:
        raise IngestError(path, None, None, "empty file: there is no header line")
    header = parse_header(path, header_line)
    columns = detect(path, header)
    if header.separator == "\t":
        try:
            return _read_fast(path, plain, columns, transform)
        except (pl.exceptions.PolarsError, _LongLine):
            pass  # a long row or invalid UTF-8: the exact path finds out which, and where
    return _read_exact(path, plain, scratch, columns, transform)


def _read_fast(path: str, plain: Path, columns: ColumnMap, transform: Transform) -> RawExport:
    """Polars' parallel read, trusted only where the file's separator total proves it right.

    Polars reads only the picked columns and neither checks the rest of a line nor tells a
    short row from empty trailing fields.  A line whose last field reads empty may be short:
    those candidates get their separators counted.  Every other line has a non-empty last field,
    so at least width-1 separators; the file's separator total (a byte count, no parsing) says
    whether any of them has more.  If one does, a field was inserted somewhere in a line and the
    columns after it are shifted: the exact path counts every line and finds it.
    """
    width = len(columns.header.names)
    with ThreadPoolExecutor(max_workers=1) as pool:
        total = pool.submit(count_bytes, plain, columns.header.separator.encode())
        frame = _scan_fields(plain, columns, strict=True).with_columns(
            (pl.col(f"_{width - 1}") == "").fill_null(True).alias(_MAYBE_SHORT)
        )
        rows = transform(frame.drop(f"_{width - 1}"), columns).collect()
        candidates = rows.filter(_MAYBE_SHORT).get_column("source_line")
        rows = rows.drop(_MAYBE_SHORT)
        counted = _separator_counts(plain, columns, candidates.to_list())
        others = rows.height - candidates.len()
        if total.result() - (width - 1) - sum(counted.values()) != others * (width - 1):
            raise _LongLine
    flagged = _wrong_lines(counted, columns)
    recovery = recover(plain, flagged, columns)
    if recovery.dropped:
        rows = rows.filter(~pl.col("source_line").is_in(sorted(recovery.dropped)))
    return _settle(path, columns, rows, recovery, [], transform)


def _read_exact(
    path: str, plain: Path, scratch: Path, columns: ColumnMap, transform: Transform
) -> RawExport:
    line_issues: list[tuple[int, str, str, str]] = []
    try:
        flagged = _count_separators(plain, columns, None)
    except pl.exceptions.ComputeError as err:
        header = columns.header
        plain, repaired = repair_utf8(plain, scratch, header.names, header.separator)
        if not repaired:
            raise IngestError(path, None, None, f"polars cannot read the file: {err}") from None
        line_issues += [(line, name, "cp1252_fallback", text) for line, name, text in repaired]
        flagged = _count_separators(plain, columns, None)
    recovery = recover(plain, flagged, columns)
    frame = _scan_fields(plain, columns, strict=False)
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


def _count_separators(plain: Path, columns: ColumnMap, lines: list[int] | None) -> list[int]:
    """The 1-based data lines (of ``lines``, or of all) whose separator count is wrong.

    For the comma-separated layout, lines holding a quote are also returned (RFC 4180 cells).
    Raises polars' ComputeError when the file is not valid UTF-8.
    """
    return _wrong_lines(_separator_counts(plain, columns, lines), columns)


def _separator_counts(plain: Path, columns: ColumnMap, lines: list[int] | None) -> dict[int, int]:
    """Separators per 1-based data line (of ``lines``, or of all); a line holding a quote
    counts as -1 in the comma-separated layout (an RFC 4180 cell: Python reads it)."""
    if lines is not None and not lines:
        return {}
    separator = columns.header.separator
    line, index = pl.col("line"), pl.col("index")
    count = line.str.count_matches(separator, literal=True).cast(pl.Int64)
    if separator == ",":
        count = pl.when(line.str.contains('"', literal=True)).then(-1).otherwise(count)
    scan = pl.scan_lines(plain, row_index_name="index").filter(index > 0)
    if lines is not None:
        scan = scan.filter((index + 1).is_in(lines))
    found = scan.select((index + 1).cast(pl.Int64), count.alias("count")).collect()
    return dict(found.iter_rows())


def _wrong_lines(counts: dict[int, int], columns: ColumnMap) -> list[int]:
    expected = len(columns.header.names) - 1
    return sorted(line for line, count in counts.items() if count != expected)


def _scan_fields(plain: Path, columns: ColumnMap, strict: bool) -> pl.LazyFrame:
    """Polars' read of every data line: the layout's columns as text, plus ``source_line``.

    ``strict`` makes a long row or invalid UTF-8 an error; otherwise long rows are cut and the
    caller drops them.  The last column is kept as ``_<n-1>`` when ``strict``.
    """
    width = len(columns.header.names)
    frame = pl.scan_csv(
        plain,
        has_header=False,
        skip_lines=1,
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
    source_line = (pl.col("_row").cast(pl.Int64) + 2).alias("source_line")
    return frame.select(source_line, *picked)


def _records_frame(records: list[tuple[int, list[str]]], columns: ColumnMap) -> pl.DataFrame:
    data: dict[str, list] = {"source_line": [line for line, _ in records]}
    for name, (index, _) in columns.columns.items():
        data[name] = [fields[index] for _, fields in records]
    schema = {"source_line": pl.Int64, **{name: pl.String for name in columns.columns}}
    return pl.DataFrame(data, schema=schema)
