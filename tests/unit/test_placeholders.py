"""Placeholder detector (docs/curation.md#placeholder-species): the behaviour table, each rule,
and parity with Python's re."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.partition.placeholders import genus_flag, is_placeholder, species_flag


def flags(rows: list[tuple[str | None, str | None]]) -> list[bool]:
    frame = pl.DataFrame(rows, schema={"genus": pl.String, "species": pl.String}, orient="row")
    return frame.select(is_placeholder()).to_series().to_list()


# Behaviour table (computed by running the original function).
BEHAVIOUR = [
    ("Megaselia", "Megaselia lucifrons", False),
    ("Aus", "Aus bus-mic", False),
    ("Aus", "Aus sp", False),
    ("Aus", "Aus affinis bus", False),
    ("Aus", "Aus büs", False),
    ("Aus", "Aus bus Ã", False),
    ("unassigned Aus", "Aus bus", False),
    ("Anastatus", "Anastatus sp. GG28", True),
    ("Aristotelia", "Aristotelia BioLep531", True),
    ("Megaselia", "Megaselia BOLD:ACN5814", True),
    ("Zatypota", "Zatypota alborhombartaDHJ03", True),
    ("Odontofroggatia", "Odontofroggatia corneri-MIC", True),
    ("Aus", "Aus bus_cd", True),
    ("Aus", "Aus bus?", True),
    ("Aus", "Aus aff bus", True),
    ("Aus", "Aus n sp", True),
    ("Aus", "Aus sp ex bus", True),
    ("Aus", "Aus gen bus", True),
    ("Aus", "Aus sp bus", True),
    ("Aus", "Aus affinis A", True),
    ("Aus", "Aus maliaise", True),
    ("Aus", "Aus MALAISE", True),
    ("unclassified Aus", "unclassified Aus bus", True),
    ("gelBioLep01", "gelBioLep01 BioLep3792", True),
    ("chalMalaise9590", None, True),
]


@pytest.mark.parametrize(("genus", "species", "expected"), BEHAVIOUR)
def test_behaviour_table(genus, species, expected):
    assert flags([(genus, species)]) == [expected]


@pytest.mark.parametrize(
    ("species", "expected"),
    [
        # Lower case isolates S-mal from S-upper (any capital after the first character).
        ("Aus malaise", True),
        ("Aus maliaise", True),
        ("Aus malaize", True),
        ("Aus mailaise", True),
        ("Aus malase", False),  # no I/L run between the two A runs
        ("Aus bus1", True),  # S-digit
        ("Aus bus.", True),  # S-dot (a trailing "sp." too)
        ("Aus sp.", True),
        ("Aus n.sp", True),  # W-nsp without a space
        ("Aus n\x08sp", True),  # the original's class held a backspace
        ("Aus sp\x08ex", True),
        ("Aus sp\x1cex", True),  # Python's \s covers the ASCII separators
        ("Aus bus$Cd", False),  # a capital preceded by "$" only
        ("Aus spex", False),
        ("Aus genus", False),
        ("Aus affinis 1", True),
        ("Aus affinis b", False),
    ],
)
def test_species_rules(species, expected):
    assert pl.select(species_flag(pl.lit(species, dtype=pl.String))).item() is expected


@pytest.mark.parametrize(
    ("genus", "expected"),
    [
        ("Aus", False),
        ("aus", True),  # G-lower
        ("unclassified Aus", False),
        ("unassigned Cecidomyiidae", False),
        ("unknownAus", True),  # only the two prefixes are exempt
        ("AusMalaise01", True),  # G-mal
        ("Aus aff", True),  # word rules apply to the genus too
        ("Aus sp. 1", True),
        ("Aus1", False),  # digits and capitals are species-only rules
        ("AUS", False),
    ],
)
def test_genus_rules(genus, expected):
    assert pl.select(genus_flag(pl.lit(genus, dtype=pl.String))).item() is expected


def test_null_never_matches():
    assert flags([(None, None), ("Aus", None), (None, "Aus bus")]) == [False, False, False]


def test_genus_flag_marks_record_with_plain_species():
    assert flags([("gelBioLep01", "Aus bus")]) == [True]


# The original rules in Python's own engine, as the oracle for the Rust translation.
_PY_WORDS = [
    r"\baff\b",
    r"\bn[\b\.\s]+sp\b",
    r"\bsp[\b\s]+ex\b",
    r"\bgen\b",
    r"\bsp\b\.?[\s\w\d]+",
    r"affinis\s+[0-9A-Z]+",
]
_PY_SPECIES = [
    r"[mM]+[aA]+[lLiI]+[aA]+[iIlL]+[sSzZ]+[eE]+",
    r"^[a-z]",
    r"[0-9]",
    r"[^$][A-Z]",
    r"[_?]",
    r"\.",
    *_PY_WORDS,
]
_PY_GENUS = [r"[mM]+[aA]+[lLiI]+[aA]+[iIlL]+[sSzZ]+[eE]+", *_PY_WORDS]


def python_flag(genus: str | None, species: str | None) -> bool:
    hit = species is not None and any(re.search(p, species) for p in _PY_SPECIES)
    if genus is not None:
        hit |= any(re.search(p, genus) for p in _PY_GENUS)
        lower = re.search(r"^[a-z]", genus) is not None
        hit |= lower and not genus.startswith(("unclassified", "unassigned"))
    return hit


# Letters of the patterns, separators, the characters the rules single out, and non-ASCII
# letters.  Left out: combining marks and non-decimal numerics, where Python's and Rust's \w
# differ (documented in curation/partition/placeholders.py).
_ALPHABET = "aAmMlLiIsSzZeEnpxgfbcrC019 ._?$-\x08\x1c\téÃ"
names = st.one_of(st.none(), st.text(alphabet=_ALPHABET, max_size=14))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(names, names), min_size=1, max_size=20))
def test_agrees_with_python_re(rows):
    assert flags(rows) == [python_flag(genus, species) for genus, species in rows]
