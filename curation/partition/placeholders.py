"""Placeholder ("novel") species detection, exactly as the original partitioner.

The rules and examples are in docs/curation.md#placeholder-species: the original code's, with the
ones the paper does not mention and its quirks (a bare ``Aus sp`` and ``Aus bus-mic`` are *not*
placeholders).  The original ran Python's ``re``, polars runs Rust ``regex``; the patterns are
written so that both agree (docs/decisions.md "Regex engines"): Python's ``\\b`` inside a class
is a backspace, written ``\\x08`` here, and Python's ``\\s`` also matches U+001C-U+001F, added
back by :data:`_S`.  The rules are evaluated on distinct names, not on every record.
"""

from __future__ import annotations

import polars as pl

#: Python's str ``\s`` as class members: Unicode white space plus the ASCII separators.
_S = r"\s\x1c-\x1f"

#: A fuzzy "malaise": runs of M, A, L/I, A, I/L, S/Z, E (``Maliaise``, ``MALAISE``, ``Malaize``).
MALAISE = r"[mM]+[aA]+[lLiI]+[aA]+[iIlL]+[sSzZ]+[eE]+"

#: Open-nomenclature and code patterns searched in both genus and species (``split.py:L140-158``).
WORD_RULES: dict[str, str] = {
    "W-aff": r"\baff\b",
    # n. sp / n sp / n.sp; the original class [\b\.\s] held a backspace, not a word boundary.
    "W-nsp": rf"\bn[\x08.{_S}]+sp\b",
    "W-spex": rf"\bsp[\x08{_S}]+ex\b",
    "W-gen": r"\bgen\b",
    # sp / sp. followed by a word or space character: "sp. 1", "sp X"; a bare trailing "sp" passes.
    "W-sp": rf"\bsp\b\.?[{_S}\w\d]+",
    "W-affinis": rf"affinis[{_S}]+[0-9A-Z]+",
}

#: Rules on the species name only.
SPECIES_RULES: dict[str, str] = {
    "S-mal": MALAISE,
    "S-lower": r"^[a-z]",
    "S-digit": r"[0-9]",
    # Any ASCII capital with a character before it; the original's "[A-Z][A-Z]" is subsumed.
    # ("$" is literal inside a class: the original's "[^$]" is "any character but a dollar".)
    "S-upper": r"[^$][A-Z]",
    "S-punct": r"[_?]",
    "S-dot": r"\.",
    **WORD_RULES,
}

#: Genus rules other than the lower-case rule, which has exemptions (see :func:`genus_flag`).
GENUS_RULES: dict[str, str] = {"G-mal": MALAISE, **WORD_RULES}

#: Lower-case genera that are fillers, not interim names ("unassigned Sciaridae", ...).
GENUS_LOWER_EXEMPT_PREFIXES: tuple[str, ...] = ("unclassified", "unassigned")


def _any_rule(column: pl.Expr, rules: dict[str, str]) -> pl.Expr:
    """True when any of ``rules`` is found in ``column`` (one regex pass; null -> False)."""
    pattern = "|".join(f"(?:{regex})" for regex in rules.values())
    return column.str.contains(pattern).fill_null(False)


def species_flag(species: pl.Expr | str = "species") -> pl.Expr:
    """Whether a species name is a placeholder (docs/curation.md#placeholder-species)."""
    column = pl.col(species) if isinstance(species, str) else species
    return _any_rule(column, SPECIES_RULES)


def genus_flag(genus: pl.Expr | str = "genus") -> pl.Expr:
    """Whether a genus name marks its record as a placeholder (the G-* and W-* rules)."""
    column = pl.col(genus) if isinstance(genus, str) else genus
    exempt = pl.any_horizontal(
        [column.str.starts_with(prefix) for prefix in GENUS_LOWER_EXEMPT_PREFIXES]
    ).fill_null(False)
    lower = column.str.contains(r"^[a-z]").fill_null(False) & ~exempt
    return _any_rule(column, GENUS_RULES) | lower


def is_placeholder(genus: pl.Expr | str = "genus", species: pl.Expr | str = "species") -> pl.Expr:
    """The original's ``is_novel_species``: a genus hit flags the record even with no species."""
    return species_flag(species) | genus_flag(genus)
