"""The lines polars cannot read as one row each, read by Python: blank, ragged, split or quoted.

The reader hands over the few data lines whose separator count is wrong (and, in the BIOSCAN-5M
CSV, those holding a quote).  Each is a blank line (not a row), a ragged row (rejected), a row
cut in pieces by a bare LF inside a field (joined again: docs/decisions.md "Bare LF"), or a
quoted CSV row (parsed as RFC 4180).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from curation.ingest.decode import read_lines
from curation.ingest.layouts import ColumnMap


@dataclass
class _Piece:
    """One physical line Python looks at: text without terminator, and the terminator."""

    line: int
    text: str
    terminator: str  # "\r\n", "\n" or "" (end of file)
    flagged: bool


@dataclass
class Recovery:
    """What Python made of the flagged lines."""

    records: list[tuple[int, list[str]]] = field(default_factory=list)
    ragged: list[tuple[int, str]] = field(default_factory=list)
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: data lines whose polars row is replaced by Python's reading
    dropped: set[int] = field(default_factory=set)
    blank: int = 0


def recover(data: bytes, first: int, flagged: list[int], columns: ColumnMap) -> Recovery:
    """Decide what each flagged line is: blank, ragged, a quoted CSV row, or part of a row.

    A line ending in a bare LF is joined with the following flagged line(s) when the joined
    text ends in CRLF and has exactly the header's field count: the LF was in-field text
    (ropensci/bold#104).  The line before a flagged run takes part, as a row whose last field
    holds the LF has a full field count itself.  ``data`` holds the lines from line ``first``
    on; the line before a run is in it (a batch starts with a line that is not flagged:
    :mod:`curation.ingest.batches`).
    """
    recovery = Recovery(dropped=set(flagged))
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
    wanted = {line for run in runs for line in run}
    wanted |= {run[0] - 1 for run in runs if run[0] > first}
    raw = read_lines(data, first, wanted)
    flagged_set = set(flagged)
    for run in runs:
        lines = ([run[0] - 1] if run[0] > first else []) + run
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
    pieces: list[_Piece], separator: str, width: int, columns: ColumnMap, out: Recovery
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
        # an empty piece ending in a bare LF is a field's second LF in a row ("a\n\nb")
        if not following.flagged or (following.text == "" and following.terminator != "\n"):
            return None
        count += following.text.count(separator)
        if count > width:
            return None
        text += "\n" + following.text
        end += 1
    if end > start and count == width and pieces[end].terminator == "\r\n":
        return end, text
    return None


def _recover_csv(pieces: list[_Piece], width: int, out: Recovery) -> None:
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
