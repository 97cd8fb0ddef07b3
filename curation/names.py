"""What a taxon name is made of: the text rules that label curation applies to single values.

Every function here looks at one name at a time (no barcode groups, no counts), so the stages can
run them on the few hundred thousand *distinct* names and join the result back instead of running
regexes over millions of rows.  They are polars expressions, except :func:`standard_spellings`,
which needs one rapidfuzz call for the "Malaise" misspellings.

Rules (docs/curation.md, section named in brackets):

* C0 :func:`clean_label` - trim and collapse whitespace, null the missing-value tokens
  [whitespace].
* C2 :func:`standard_spellings` - misspelt "Malaise" words and unpadded placeholder codes
  [variants].
* C3 :func:`name_key` - names equal up to case, whitespace and the zero padding of a code
  share a key [variants].
* C1 :func:`first_word` - the genus a species name carries [genus-and-species].
* C4 :func:`is_filler`, :func:`filler` - the ``unassigned <Family>`` subfamily
  [subfamily-completion].
* C7 :func:`open_nomenclature_pattern`, :func:`is_open_nomenclature` - species names that
  identify no unique species [open-nomenclature].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import polars as pl

from schemas.vocabulary import (
    LABEL_MISSING_TOKENS,
    OPEN_NOMENCLATURE_EPITHET_QUALIFIERS,
    OPEN_NOMENCLATURE_QUALIFIERS,
)

#: Values that mean "no label": the tokens ingest nulls in every layout plus the BIOSCAN-1M
#: sentinels (docs/curation.md#whitespace), which ingest nulls only in BIOSCAN-1M files.  Compared after
#: whitespace is cleaned, case-sensitive: "Na" or "Nan" could be a name, these tokens are not.
MISSING_TOKENS: tuple[str, ...] = LABEL_MISSING_TOKENS

#: Prefix of the subfamily filler that C4 writes where a genus is placed in no subfamily.
FILLER_PREFIX = "unassigned "

#: The placeholder word whose misspellings C2 corrects ("Maliaise", "Malaize", "MALAISE" ...).
MALAISE = "Malaise"

#: A name cut into camel-case letter runs, digit runs and everything else (spaces, punctuation,
#: non-ASCII letters): "phyMaliaise01" -> phy | Maliaise | 01.  The pieces concatenate back to
#: the name exactly, so a rewritten piece can be spliced in without touching the rest.
_SEGMENT = r"[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^A-Za-z0-9]+"

#: A genus word, then optionally a parenthesised subgenus and one plain lower-case epithet
#: (``Aus (Bus) bus``): what may come before the qualifiers of an open-nomenclature name.
_OPEN_HEAD = r"^\S+(?:\s+\([A-Za-z-]+\))?(?:\s+[a-z]+)?"
#: The one epithet that may follow a comparative qualifier, capitalised or not (``aff.
#: Totonaca``); a capital inside the word, a digit or a hyphen make it a code that survives.
_OPEN_EPITHET = r"[A-Z]?[a-z]+"


def clean_label(column: pl.Expr) -> pl.Expr:
    """C0: whitespace runs (any Unicode space, NBSP included) become one space, ends are trimmed,
    and an empty value or a missing-value token becomes null."""
    text = column.str.replace_all(r"\s+", " ").str.strip_chars(" ")
    return pl.when((text == "") | text.is_in(MISSING_TOKENS)).then(None).otherwise(text)


def name_key(column: pl.Expr) -> pl.Expr:
    """C3: the normalisation key of a (C2-standardised) name: lower case, no whitespace, and the
    leading zeros of every number dropped (``gelBioLep01`` and ``gelBioLep1`` are one code).

    Two spellings with one key are the same name written differently; the most frequent one
    wins everywhere.  "Malaise" misspellings are already gone after C2.
    """
    key = column.str.to_lowercase().str.replace_all(r"\s", "")
    return key.str.replace_all(r"(^|[^0-9])0+([0-9])", "${1}${2}")


def first_word(column: pl.Expr) -> pl.Expr:
    """C1: the genus word of a species name (its first whitespace-delimited word)."""
    return column.str.extract(r"^(\S+)", 1)


def is_filler(column: pl.Expr) -> pl.Expr:
    """Whether a subfamily is a C4 filler (``unassigned Sciaridae``); null is not a filler."""
    return column.str.starts_with(FILLER_PREFIX).fill_null(False)


def filler(family: pl.Expr) -> pl.Expr:
    """The C4 filler subfamily for a family (null when the family is null)."""
    return pl.lit(FILLER_PREFIX) + family


def real_subfamily(column: pl.Expr) -> pl.Expr:
    """A subfamily column with fillers as null: a filler is no annotation (it never votes)."""
    return pl.when(~is_filler(column)).then(column)


def open_nomenclature_pattern(
    qualifiers: Sequence[str] = OPEN_NOMENCLATURE_QUALIFIERS,
    epithet_qualifiers: Sequence[str] = OPEN_NOMENCLATURE_EPITHET_QUALIFIERS,
) -> str:
    """C7: the regex of a species that is a genus and only qualifiers (docs/curation.md).

    A name matches when it is a genus word, an optional ``(Subgenus)`` and plain epithet, then
    one or more ``qualifiers`` (each with or without its dots: ``sp``, ``sp.``, ``n. sp.``,
    ``n.sp.``), and at most one epithet after a final one of ``epithet_qualifiers``
    (``Aus cf. bus``, ``Coelioxys aff. Totonaca``).  A digit, a capital inside a word,
    ``BOLD:`` or a ``-CODE`` cannot match, so a name carrying a unique code survives
    (``Anastatus sp. GG28``).
    """

    def alternatives(words: Sequence[str]) -> str:
        forms = []
        for qualifier in sorted(set(words), key=lambda word: (-len(word), word)):
            tokens = [token for token in re.split(r"[.\s]+", qualifier) if token]
            forms.append(r"(?:\.\s*|\s+)".join(re.escape(token) for token in tokens) + r"\.?")
        return "|".join(forms)

    if not qualifiers:
        return r"[^\s\S]"  # matches nothing: no name is open nomenclature
    any_qualifier = rf"\s+(?:{alternatives(qualifiers)})"
    tails = [rf"(?:{any_qualifier})+"]
    if epithet_qualifiers:
        comparative = alternatives(epithet_qualifiers)
        tails.append(rf"(?:{any_qualifier})*\s+(?:{comparative})\s+{_OPEN_EPITHET}")
    return rf"{_OPEN_HEAD}(?:{'|'.join(tails)})$"


#: The pattern of the default qualifiers.
OPEN_NOMENCLATURE = open_nomenclature_pattern()


def is_open_nomenclature(species: pl.Expr, pattern: str = OPEN_NOMENCLATURE) -> pl.Expr:
    """C7: whether a species name identifies no unique species (null is not)."""
    return species.str.contains(pattern).fill_null(False)


def standard_spellings(
    values: pl.Series, code_widths: Mapping[str, int], max_distance: int
) -> pl.DataFrame:
    """C2: the standard spelling of each distinct name: columns ``name``, ``standard``.

    Two fixes, both inside one whitespace-delimited word (token):

    * a camel-case piece within ``max_distance`` edits of "Malaise" (case-insensitive, same
      initial) that is glued to other letters or digits ("Maliaise0386", "phyMalaize01",
      "MALAISE0386") becomes "Malaise", or "malaise" when it starts lower-case
      ("malaiseGraci01" is a format of its own).  A free-standing word is never touched: that
      keeps real epithets such as "malaisei" intact, since fuzzy matching must never merge two
      scientific names;
    * a token that is exactly ``<code word><digits>`` for a configured code word
      (case-insensitive) has its digits zero-padded to the configured width
      ("Malaise386" -> "Malaise0386").  Prefixed family codes ("phyMalaise01",
      "euloMalaise7987") have widths of their own and are left as they are.

    Only the names whose spelling changes need the work, but the frame lists every input name
    so that callers can join on it.  The fuzzy comparison runs once on the distinct candidate
    pieces.
    """
    frame = pl.DataFrame({"name": values.unique().drop_nulls().sort()}, schema={"name": pl.String})
    tokens = _explode(frame, "name", pl.col("name").str.split(" "), "token")
    fixed = _fix_malaise(tokens.select(pl.col("token").unique().sort()), max_distance)
    for word, width in sorted(code_widths.items()):
        fixed = fixed.with_columns(_pad_code(pl.col("standard"), word, width))
    changed = fixed.filter(pl.col("token") != pl.col("standard"))
    affected = tokens.join(changed.select("token"), on="token", how="semi").select("name").unique()
    standard = (
        tokens.join(affected, on="name", how="semi")
        .join(changed, on="token", how="left")
        .with_columns(pl.col("standard").fill_null(pl.col("token")))
        .group_by("name")
        .agg(pl.col("standard").sort_by("position").str.join(" "))
    )
    return frame.join(standard, on="name", how="left", maintain_order="left").with_columns(
        pl.col("standard").fill_null(pl.col("name"))
    )


def _explode(frame: pl.DataFrame, key: str, parts: pl.Expr, part: str) -> pl.DataFrame:
    """One row per (key, position, part) for a list expression, sorted by key and position."""
    return (
        frame.select(pl.col(key), parts.alias(part))
        .with_columns(pl.int_ranges(pl.col(part).list.len()).alias("position"))
        .explode([part, "position"])
        .sort(key, "position")
    )


def _fix_malaise(tokens: pl.DataFrame, max_distance: int) -> pl.DataFrame:
    """Columns ``token``, ``standard``: each distinct token with its "Malaise" word respelt."""
    # Imported here: only variant_map respells, and every label job imports this module.
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    pieces = _explode(tokens, "token", pl.col("token").str.extract_all(_SEGMENT), "piece")
    alnum = r"^[A-Za-z0-9]"

    def neighbour(offset: int) -> pl.Expr:
        same_token = pl.col("token").shift(offset) == pl.col("token")
        return (same_token & pl.col("piece").shift(offset).str.contains(alnum)).fill_null(False)

    length = pl.col("piece").str.len_chars()
    pieces = pieces.with_columns(
        (
            (neighbour(1) | neighbour(-1))
            & pl.col("piece").str.contains(r"^[Mm][A-Za-z]*$")
            & length.is_between(len(MALAISE) - max_distance, len(MALAISE) + max_distance)
        ).alias("candidate")
    )
    words = pieces.filter("candidate").select(pl.col("piece").unique().sort())
    distances = process.cdist(
        [MALAISE.lower()],
        [word.lower() for word in words["piece"].to_list()],
        scorer=Levenshtein.distance,
        score_cutoff=max_distance,
        dtype=np.int32,
    )
    misspelt = words.filter(pl.Series(distances[0] <= max_distance, dtype=pl.Boolean))
    respelt = (
        pl.when(pl.col("piece").str.starts_with("M"))
        .then(pl.lit(MALAISE))
        .otherwise(pl.lit(MALAISE.lower()))
    )
    pieces = pieces.with_columns(
        pl.when(pl.col("candidate") & pl.col("piece").is_in(misspelt["piece"].implode()))
        .then(respelt)
        .otherwise(pl.col("piece"))
        .alias("standard")
    )
    touched = pieces.filter(pl.col("piece") != pl.col("standard")).select("token").unique()
    respelt_tokens = (
        pieces.join(touched, on="token", how="semi")
        .group_by("token")
        .agg(pl.col("standard").sort_by("position").str.join(""))
    )
    return tokens.join(respelt_tokens, on="token", how="left", maintain_order="left").with_columns(
        pl.col("standard").fill_null(pl.col("token"))
    )


def _pad_code(token: pl.Expr, word: str, width: int) -> pl.Expr:
    """``<word><digits>`` tokens (case-insensitive word) with the digits zero-padded to width."""
    parts = token.str.extract_groups(rf"^((?i:{pl.escape_regex(word)}))([0-9]+)$")
    word_part, digits = parts.struct.field("1"), parts.struct.field("2")
    return (
        pl.when(digits.is_not_null())
        .then(word_part + digits.str.zfill(width))
        .otherwise(token)
        .alias(token.meta.output_name())
    )
