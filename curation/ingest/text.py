"""Text from thousands of submitters, made safe to release: identifiers and label text.

* Identifiers (``processid``, ``sampleid``) must match a conservative pattern; a row whose
  identifier does not is rejected (``invalid_identifier``), since a processid becomes an image file
  name and both are cells a spreadsheet opens.
* Label text (ranks, BIN, country, province) is cleaned once per distinct value: invisible and
  control characters removed, NFKC normalisation, then a rank or BIN label holding anything but
  ASCII letters, digits, space and ``.-'():_/`` is nulled, as is any label that would start a
  spreadsheet formula, and a one-word species.  Every change is an issue of the rows it touches.

The rules are docs/curation.md#text; why they are so, docs/decisions.md "Hostile text".
"""

from __future__ import annotations

import unicodedata

import polars as pl

from schemas.tables import RANKS
from schemas.vocabulary import LABEL_MISSING_TOKENS

#: docs/curation.md#identifiers: a letter or digit, then letters, digits, ``_`` and ``-``; at most
#: 64 characters.  No path separator, no dot, nothing a spreadsheet reads as a formula.
PROCESSID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
#: Sample ids are museum and field numbers (``BC ZSM HYM 00038``, ``MHNG1685.022``,
#: ``UAM:Ento:228236``, ``NHMUK 010101/2``): a letter or digit, then those, space and
#: ``#()._:/-``; at most 128.  A ``/`` is harmless here: no path is made of a sampleid.
SAMPLEID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 #()._:/-]{0,127}$"
IDENTIFIER_PATTERNS = {"processid": PROCESSID_PATTERN, "sampleid": SAMPLEID_PATTERN}

#: Characters a rank or BIN label may hold after cleaning (scientific names and placeholders are
#: ASCII: ICZN Art. 11.2, 27, 32.5.2).
NAME_CHARACTERS = r"A-Za-z0-9 .\-'():_/"
#: Label fields checked against NAME_CHARACTERS.
NAME_FIELDS = (*RANKS, "dna_bin")
#: A cell starting with a character that makes a spreadsheet read it as a formula (OWASP, "CSV
#: injection").
_FORMULA = r"^[=+\-@]"
#: Invisible characters: Unicode's default-ignorable code points (zero-width space and joiners,
#: soft hyphen, bidirectional marks, byte-order mark, variation selectors, fillers) and the
#: format characters.
_INVISIBLE = r"[\p{Default_Ignorable_Code_Point}\p{Cf}]"
#: Control characters that separate words (tab, line breaks, carriage return): a space each.
_BREAKING = r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]+"
#: Every other control character: removed.
_CONTROL = r"\p{Cc}"

#: The issue codes of :func:`clean_labels` (their meanings are in curation.ingest.codes), in
#: the order the cleaning applies them.
TEXT_ISSUES: tuple[str, ...] = (
    "invisible_character",
    "control_character",
    "unicode_normalised",
    "invalid_name_character",
    "formula_prefix",
    "one_word_species",
)


def invalid_identifier() -> pl.Expr:
    """Whether a row's processid or sampleid breaks its pattern (a null sampleid is allowed; a
    null processid is ``missing_processid``)."""
    processid, sampleid = pl.col("processid"), pl.col("sampleid")
    return ~processid.str.contains(PROCESSID_PATTERN) | (
        sampleid.is_not_null() & ~sampleid.str.contains(SAMPLEID_PATTERN)
    )


def identifier_detail() -> pl.Expr:
    """Which identifier of an ``invalid_identifier`` row breaks its pattern, and how it reads."""
    sampleid = pl.col("sampleid")
    return (
        pl.when(~pl.col("processid").str.contains(PROCESSID_PATTERN))
        .then(pl.format("processid {}", _shown(pl.col("processid"))))
        .otherwise(pl.format("sampleid {}", _shown(sampleid)))
    )


def _shown(value: pl.Expr) -> pl.Expr:
    """A value for a detail column: its first 60 characters, line breaks and tabs visible."""
    return value.str.head(60).str.replace_many(["\n", "\r", "\t"], ["\\n", "\\r", "\\t"])


def starts_formula(value: pl.Expr) -> pl.Expr:
    """Whether text starts with a formula character and is not a (finite) number."""
    number = value.cast(pl.Float64, strict=False)
    return value.str.contains(_FORMULA) & ~number.is_finite().fill_null(False)


#: The issue codes that null the value, in the order they are checked.
_NULLING = ("invalid_name_character", "formula_prefix", "one_word_species")


def clean_labels(values: pl.Series, field: str) -> pl.DataFrame:
    """Clean the distinct non-null values of one label field.

    Returns ``value`` (as given), ``cleaned`` (null when the value is nulled), one boolean column
    per TEXT_ISSUES code (true where the code applies) and ``detail`` (what changed, for the
    values an issue applies to).  Rank labels keep their whitespace for the label stage
    (docs/curation.md#whitespace); in the other fields the ends are trimmed.
    """
    value = pl.col("value")
    visible = value.str.replace_all(_INVISIBLE, "")
    spaced = visible.str.replace_all(_BREAKING, " ").str.replace_all(_CONTROL, "")
    if field not in RANKS:
        spaced = spaced.str.strip_chars()
    frame = pl.DataFrame({"value": values.cast(pl.String)}).with_columns(
        visible.alias("_visible"), spaced.alias("_spaced")
    )
    frame = frame.with_columns(pl.col("_spaced").str.normalize("NFKC").alias("_normal"))
    normal = pl.col("_normal")
    stripped = normal.str.strip_chars()
    checks = {
        "invisible_character": pl.col("_visible") != value,
        "control_character": value.str.contains(f"{_BREAKING}|{_CONTROL}"),
        "unicode_normalised": normal != pl.col("_spaced"),
        "invalid_name_character": pl.lit(field in NAME_FIELDS)
        & normal.str.contains(f"[^{NAME_CHARACTERS}]"),
        "formula_prefix": starts_formula(stripped),
        # "not_classified" is a missing-value token the label stage nulls, not a one-word name
        "one_word_species": pl.lit(field == "species")
        & ~stripped.is_in(LABEL_MISSING_TOKENS)
        & ~stripped.str.contains(r"\s"),
    }
    # A value nulled by one rule is not checked by the next.
    earlier = pl.lit(False)
    for code in _NULLING:
        checks[code], earlier = checks[code] & ~earlier, earlier | checks[code]
    frame = frame.with_columns(**checks)
    nulled = pl.any_horizontal(_NULLING)
    changed = pl.any_horizontal(list(TEXT_ISSUES))
    # A value that cleaning left empty is missing (a rank label of spaces alone is the label
    # stage's to null, and record).
    frame = frame.with_columns(
        cleaned=pl.when(~nulled & ~(changed & (stripped == ""))).then(normal),
        _changed=changed,
    )
    touched = frame.filter("_changed").select("value", "cleaned")
    details = pl.Series(
        "detail", [_detail(before, after) for before, after in touched.rows()], pl.String
    )
    return frame.select("value", "cleaned", *TEXT_ISSUES).join(
        touched.select("value", details), on="value", how="left", maintain_order="left"
    )


def _detail(before: str, after: str | None) -> str:
    """``'before' -> 'after'`` (or ``-> null``), each character that does not show itself
    written as its code point."""
    return f"{visible_text(before)} -> {'null' if after is None else visible_text(after)}"


def visible_text(text: str) -> str:
    """``text`` quoted, each character that does not show itself written ``<U+200B>`` and each
    letter outside the Latin script followed by its code point (a Cyrillic ``а`` looks Latin)."""
    shown = []
    for char in text:
        if unicodedata.category(char)[0] in "CZ" and char != " ":
            shown.append(f"<U+{ord(char):04X}>")
        elif not char.isascii() and not unicodedata.name(char, "").startswith("LATIN "):
            shown.append(f"{char}<U+{ord(char):04X}>")
        else:
            shown.append(char)
    return "'" + "".join(shown) + "'"
