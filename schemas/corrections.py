"""The C1 corrections table: versioned, hand-written ``old -> new`` label fixes per rank.

The paper resolved genus/species inconsistencies partly by hand; we keep such fixes in a
reviewed file instead of code (docs/curation.md#genus-and-species).  The pipeline
ships ``resources/corrections.tsv`` empty; ``curation.corrections_table`` may name another one.

Format: UTF-8, tab-separated, header line ``rank	old	new	note``, then one correction a line::

    rank	old	new	note
    genus	Dasyhela	Dasyhelea	misspelt genus, 12 records (issue #41)
    species	Aus bus	Cus bus	old combination; genus moved in 2023

* ``rank`` is one of the seven rank columns;
* ``old`` is the value as it reads after whitespace and spelling standardisation (C0, C2/C3),
  ``new`` what it becomes in every record; both are written clean (no leading, trailing or
  doubled whitespace, not a missing-value token), and differ;
* ``note`` is free text for the reviewer (may be empty).

A (rank, old) pair appears once, and a ``new`` value is never also an ``old`` of the same rank:
chains (a -> b, b -> c) would make the result depend on how often the table is applied.  Empty
lines are ignored.  A violation stops the run with the file, line and field.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from schemas.tables import RANKS
from schemas.vocabulary import LABEL_MISSING_TOKENS as MISSING_TOKENS

HEADER: tuple[str, ...] = ("rank", "old", "new", "note")

#: The loaded table; ``line`` is the 1-based line of the row in its file, for error messages.
CORRECTIONS_SCHEMA: dict[str, pl.DataType] = {
    "rank": pl.String,
    "old": pl.String,
    "new": pl.String,
    "note": pl.String,
    "line": pl.Int64,
}


class CorrectionsError(ValueError):
    """A malformed corrections table, phrased for the person who edits it."""


def read_corrections(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Load and validate a corrections table (``CORRECTIONS_SCHEMA``)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise CorrectionsError(f"{path}:{line}: not valid UTF-8 ({err.reason})") from None
    return parse_corrections(text, str(path))


def parse_corrections(text: str, source: str = "<corrections>") -> pl.DataFrame:
    """Validate the text of a corrections table and return it as a frame."""
    lines = text.split("\n")
    header = tuple(lines[0].rstrip("\r").split("\t")) if lines else ()
    if header != HEADER:
        raise CorrectionsError(
            f"{source}:1: header must be {' | '.join(HEADER)} (tab-separated), "
            f"got {' | '.join(header)}"
        )
    rows: list[tuple[str, str, str, str, int]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.rstrip("\r")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != len(HEADER):
            raise CorrectionsError(
                f"{source}:{number}: expected {len(HEADER)} tab-separated fields, got {len(fields)}"
            )
        rank, old, new, note = fields
        where = f"{source}:{number}"
        if rank not in RANKS:
            raise CorrectionsError(
                f"{where}: field rank: {rank!r} is not one of {', '.join(RANKS)}"
            )
        for field, value in (("old", old), ("new", new)):
            _check_name(value, f"{where}: field {field}")
        if old == new:
            raise CorrectionsError(f"{where}: field new: same as old ({old!r})")
        if (rank, old) in seen:
            raise CorrectionsError(
                f"{where}: field old: {rank} {old!r} is already corrected on line {seen[rank, old]}"
            )
        seen[rank, old] = number
        rows.append((rank, old, new, note, number))
    for rank, _old, new, _note, number in rows:
        if (rank, new) in seen:
            raise CorrectionsError(
                f"{source}:{number}: field new: {rank} {new!r} is itself corrected on line "
                f"{seen[rank, new]}; write the final value instead of a chain"
            )
    return pl.DataFrame(rows, schema=CORRECTIONS_SCHEMA, orient="row")


def _check_name(value: str, where: str) -> None:
    if not value:
        raise CorrectionsError(f"{where}: empty (a correction replaces a value with another)")
    if " ".join(value.split()) != value:
        raise CorrectionsError(f"{where}: {value!r} has leading, trailing or repeated whitespace")
    if value in MISSING_TOKENS:
        raise CorrectionsError(f"{where}: {value!r} is a missing-value token, not a name")
