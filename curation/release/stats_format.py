"""Display formatting of the statistics tables (Markdown and the HTML report).

The CSV files hold exact values; only what a person reads is rounded (docs/decisions.md
"Statistics"): integers with thousands separators, floats to one decimal, rounded half to even
(Python's formatting of the binary value, so 1,837,658.5 shows as 1,837,658.5 and 0.25 as 0.2).
Missing cells show a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

MISSING = "—"


def format_cell(value: Any) -> str:
    """One table cell as text."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def rows_as_text(table: pl.DataFrame) -> list[list[str]]:
    """Every row of ``table`` formatted for display."""
    return [[format_cell(v) for v in row] for row in table.iter_rows()]


def markdown_table(table: pl.DataFrame) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned."""
    numeric = [dtype.is_numeric() for dtype in table.dtypes]
    header = "| " + " | ".join(_escape(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    body = ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows_as_text(table)]
    return "\n".join([header, rule, *body])


def markdown(tables: Mapping[str, pl.DataFrame], titles: Mapping[str, str], heading: str) -> str:
    """All tables in one Markdown document, each under its title and with its CSV file name."""
    parts = [f"# {heading}", ""]
    for name, table in tables.items():
        parts += [f"## {titles[name]}", "", f"`{name}.csv`", "", markdown_table(table), ""]
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
