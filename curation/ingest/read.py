"""Read one raw export into canonical string columns, one row per data row.

The fast path is polars' native CSV reader with quoting disabled and every column read as text,
so a 5 M-row package is parsed in parallel without Python touching rows.  Polars keeps one row
per physical line (blank lines included), which ties its row index to ``source_line``, but it
cannot tell a short row from one with empty trailing fields.  So the strict read refuses long
rows and invalid UTF-8 outright, and a short row can only hide among the rows whose last field
is empty: only those lines get their separators counted.  Any doubt sends the file down the exact
path, which counts the separators of every line (and, for invalid UTF-8, first re-decodes the
file field by field with :mod:`curation.ingest.decode`).  Either way the few lines with a wrong
count (ragged rows, pieces of a row split by a bare LF, blank lines, quoted BIOSCAN-5M CSV cells)
are handed to Python, which re-reads their bytes and decides what they are.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curation.ingest.codes import IngestError
from curation.ingest.decode import count_bytes, first_line, open_plain, read_lines, repair_utf8
from curation.ingest.layouts import ColumnMap, detect, parse_header


class _LongLine(Exception):
    """A line of the file has more fields than its header (found by the fast path's count)."""


#: The per-row cleaning applied inside the streaming read (it must keep unknown columns).
Transform = Callable[[pl.LazyFrame, ColumnMap], pl.LazyFrame]
_MAYBE_SHORT = "_maybe_short"


@dataclass
class RawExport:
    """One file's rows after ``transform``, plus what the reader itself found."""

    path: str
    columns: ColumnMap
    #: ``transform`` of the canonical raw fields + ``source_line``; not in line order.
    rows: pl.DataFrame
    #: (line, detail) of ragged rows (no processid: a ragged row's columns cannot be trusted).
    ragged: list[tuple[int, str]]
    #: (line, field, issue code, detail) found while reading bytes.
    line_issues: list[tuple[int, str, str, str]]
    #: data rows: physical data lines less blank lines and lines joined into another row.
    rows_read: int
    blank_lines: int


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
    recovery = _recover(plain, flagged, columns)
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
    recovery = _recover(plain, flagged, columns)
    frame = _scan_fields(plain, columns, strict=False)
    if recovery.dropped:
        frame = frame.filter(~pl.col("source_line").is_in(sorted(recovery.dropped)))
    rows = transform(frame, columns).collect()
    return _settle(path, columns, rows, recovery, line_issues, transform)


def _settle(
    path: str,
    columns: ColumnMap,
    rows: pl.DataFrame,
    recovery: _Recovery,
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


@dataclass
class _Piece:
    """One physical line Python looks at: text without terminator, and the terminator."""

    line: int
    text: str
    terminator: str  # "\r\n", "\n" or "" (end of file)
    flagged: bool


@dataclass
class _Recovery:
    records: list[tuple[int, list[str]]] = field(default_factory=list)
    ragged: list[tuple[int, str]] = field(default_factory=list)
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: data lines whose polars row is replaced by Python's reading
    dropped: set[int] = field(default_factory=set)
    blank: int = 0


def _recover(path: Path, flagged: list[int], columns: ColumnMap) -> _Recovery:
    """Decide what each flagged line is: blank, ragged, a quoted CSV row, or part of a row.

    A line ending in a bare LF is joined with the following flagged line(s) when the joined
    text ends in CRLF and has exactly the header's field count: the LF was in-field text
    (ropensci/bold#104).  The line before a flagged run takes part, as a row whose last field
    holds the LF has a full field count itself.
    """
    recovery = _Recovery(dropped=set(flagged))
    if not flagged:
        return recovery
    separator = columns.header.separator
    width = len(columns.header.names)
    runs: list[list[int]] = []
    for line in flagged:
        if runs and runs[-1][-1] == line - 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    wanted = {line for run in runs for line in run} | {run[0] - 1 for run in runs if run[0] > 2}
    raw = read_lines(path, wanted)
    flagged_set = set(flagged)
    for run in runs:
        lines = ([run[0] - 1] if run[0] > 2 else []) + run
        pieces = [_piece(number, raw[number], number in flagged_set) for number in lines]
        if separator == ",":
            _recover_csv(pieces, width, recovery)
        else:
            _recover_tsv(pieces, separator, width, columns, recovery)
    return recovery


def _piece(number: int, raw: bytes, flagged: bool) -> _Piece:
    text = raw.decode("utf-8")
    for terminator in ("\r\n", "\n"):
        if text.endswith(terminator):
            return _Piece(number, text[: -len(terminator)], terminator, flagged)
    return _Piece(number, text, "", flagged)


def _recover_tsv(
    pieces: list[_Piece], separator: str, width: int, columns: ColumnMap, out: _Recovery
) -> None:
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece.flagged and piece.text == "":
            out.blank += 1
            i += 1
            continue
        joined = _join(pieces, i, separator, width)
        if joined is not None:
            end, text = joined
            fields = text.split(separator)
            out.records.append((piece.line, fields))
            out.dropped.add(piece.line)
            for position, value in enumerate(fields):
                if "\n" in value:
                    name = columns.header.names[position]
                    lines = f"lines {piece.line}-{pieces[end].line}"
                    out.issues.append((piece.line, name, "bare_newline_in_field", lines))
            i = end + 1
            continue
        if piece.flagged:
            count = piece.text.count(separator) + 1
            out.ragged.append((piece.line, f"{count} fields, the header has {width}"))
        i += 1


def _join(pieces: list[_Piece], start: int, separator: str, width: int) -> tuple[int, str] | None:
    """(index of the last piece, joined text) when pieces from ``start`` form one CRLF row."""
    text = pieces[start].text
    count = text.count(separator) + 1
    end = start
    while pieces[end].terminator == "\n" and end + 1 < len(pieces):
        following = pieces[end + 1]
        if not following.flagged or following.text == "":
            return None
        count += following.text.count(separator)
        if count > width:
            return None
        text += "\n" + following.text
        end += 1
    if end > start and count == width and pieces[end].terminator == "\r\n":
        return end, text
    return None


def _recover_csv(pieces: list[_Piece], width: int, out: _Recovery) -> None:
    """BIOSCAN-5M CSV lines holding a quote: parsed as RFC 4180, one line per row."""
    for piece in pieces:
        if not piece.flagged:
            continue
        if piece.text == "":
            out.blank += 1
            continue
        try:
            fields = next(csv.reader([piece.text]), [])
        except csv.Error:
            fields = []
        if len(fields) == width:
            out.records.append((piece.line, fields))
        else:
            out.ragged.append((piece.line, f"{len(fields)} fields, the header has {width}"))
