"""What a reader gives the assembly: one export file's rows and what reading it found."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curation.ingest.layouts import ColumnMap


@dataclass
class RawExport:
    """One file's rows after the per-row cleaning, plus what the reader itself found."""

    path: str
    columns: ColumnMap
    #: The canonical fields after ``clean_rows``, plus ``source_line``; not in line order.
    rows: pl.DataFrame
    #: (line, detail) of ragged rows (no processid: a ragged row's columns cannot be trusted).
    ragged: list[tuple[int, str]]
    #: (line, field, issue code, detail) found while reading bytes.
    line_issues: list[tuple[int, str, str, str]]
    #: data rows: physical data lines less blank lines and lines joined into another row.
    rows_read: int
    blank_lines: int
