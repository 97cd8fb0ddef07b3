"""The closed vocabularies of the ingest stage, and its error type.

Every row that is not released gets exactly one reject reason, and every non-fatal fact about a row
gets an issue code; both tables are only ever written with the codes below, so a user can look up
what a code means here and a test can check that no other code ever appears.
"""

from __future__ import annotations

#: Why an input row is not released, in the order the checks are applied to a row.
REJECT_REASONS: dict[str, str] = {
    "ragged_row": "the line's field count differs from the header's; columns are never shifted",
    "missing_processid": "the row has no processid",
    "invalid_identifier": "the processid or sampleid does not match its pattern "
    "(docs/curation.md#identifiers): a path, a formula, markup or an invisible character",
    "non_target_marker": "the row's marker_code is not the target marker (or is missing in a "
    "layout that has one)",
    "no_barcode": "no sequence, or nothing but gaps, whitespace or N after cleaning",
    "invalid_barcode": "the cleaned sequence holds characters outside the IUPAC nucleotide codes",
    "exact_duplicate": "an earlier row of the same processid is identical in every ingested field",
    "duplicate_processid": "another row of the same processid was kept (longest barcode, then "
    "input order)",
    "out_of_scope": "the record's label at a rank of input.scope names a taxon outside the "
    "release's scope (docs/curation.md#scope)",
}

#: Non-fatal facts about a row: the row is kept (or rejected for another reason), the fact is kept.
ISSUE_CODES: dict[str, str] = {
    "cp1252_fallback": "bytes of the field were not valid UTF-8 and were decoded as cp1252",
    "r_escaped_byte": "the literal text '<hh>' that R writes for an undecodable byte was replaced "
    "by the byte's cp1252 character",
    "c1_control_character": "a U+0080-U+009F control character was replaced by the cp1252 "
    "character of the same byte",
    "bare_newline_in_field": "a bare LF inside a CRLF-terminated row was kept as in-field text",
    "coordinate_unparsable": "the coordinate is not a number (pair); both coordinates nulled",
    "coordinate_out_of_range": "latitude outside [-90, 90] or longitude outside [-180, 180]; both "
    "coordinates nulled",
    "coordinate_incomplete": "only one of latitude and longitude is present; both nulled",
    "number_unparsable": "a numeric field is not a (whole, where required) number; nulled",
    # The text rules (docs/curation.md#text), in the order they apply:
    "invisible_character": "an invisible character (zero-width space or joiner, soft hyphen, "
    "bidirectional mark, byte-order mark: Unicode default-ignorable and format characters) was "
    "removed from a label",
    "control_character": "a control character was removed from a label; a tab, line break or "
    "carriage return became a space",
    "unicode_normalised": "a label was rewritten to its NFKC form (full-width letters, "
    "ligatures, non-breaking and other compatibility spaces)",
    "invalid_name_character": "a rank or BIN label held a character other than ASCII letters, "
    "digits, space and .-'():_/ (a Cyrillic or Greek lookalike, markup, a formula sign); nulled",
    "formula_prefix": "a label started with =, +, - or @ and is not a number, so a spreadsheet "
    "would run it as a formula; nulled",
    "one_word_species": "a species label of one word (an epithet without its genus, which would "
    "otherwise become the genus); nulled",
}


def nothing_released(summary: dict) -> str:
    """Why an ingest released no record, from its summary: the reject counts by reason."""
    if summary["rows_read"] == 0:
        return "the input files hold no data rows"
    reasons = [f"{count} {reason}" for reason, count in summary["rejects"].items() if count]
    why = f"all {summary['rows_read']} rows were rejected ({', '.join(reasons)})"
    if summary["rejects"].get("no_barcode") == summary["rows_read"]:
        layouts = sorted({entry["layout"] for entry in summary["files"]})
        why += (
            f": no row has a sequence (layout {', '.join(layouts)}): give an export with sequences "
            "(a BOLD v4 specimen TSV and a BIOSCAN-1M file without nucraw have none; "
            "docs/formats.md)"
        )
    return why


class IngestError(ValueError):
    """An input the ingester cannot read at all, located by file, line and field.

    ``line`` is the 1-based physical line (None when the problem concerns the whole file) and
    ``field`` the column concerned (None when it concerns the whole line or file).
    """

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        """``file: line N: field 'f': message``, leaving out the parts that do not apply."""
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return ": ".join([*where, self.message])
