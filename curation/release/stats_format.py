"""Display formatting of the statistics tables (Markdown and the HTML report).

The CSV files hold exact values; only what a person reads is rounded (docs/decisions.md
"Statistics"): integers with thousands separators, floats to one decimal, rounded half to even
(Python's formatting of the binary value, so 1,837,658.5 shows as 1,837,658.5 and 0.25 as 0.2).
Missing cells show a dash.
"""

from __future__ import annotations

import re
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
    header = "| " + " | ".join(markdown_text(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    body = ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in rows_as_text(table)]
    return "\n".join([header, rule, *body])


def markdown(tables: Mapping[str, pl.DataFrame], titles: Mapping[str, str], heading: str) -> str:
    """All tables in one Markdown document, each under its title and with its CSV file name."""
    parts = [f"# {markdown_text(heading)}", ""]
    for name, table in tables.items():
        parts += [
            f"## {markdown_text(titles[name])}",
            "",
            f"`{name}.csv`",  # a file name of ours, not data
            "",
            markdown_table(table),
            "",
        ]
    return "\n".join(parts)


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: whitespace control characters become a space,
    other control characters go, and every character with a meaning in GitHub-flavoured Markdown
    (emphasis, links, code, inline HTML and entities, table cells, math) gets a backslash."""
    text = _BREAKS.sub(" ", text)
    text = _CONTROLS.sub("", text)
    return _SPECIAL.sub(r"\\\g<0>", text)


_BREAKS = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f]")
#: ``_`` between two letters or digits (``most_n``) cannot start emphasis and stays as it is.
_SPECIAL = re.compile(r"[\\`*\[\]<>|~$&!#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
