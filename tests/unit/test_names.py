"""Single-name rules: C0 cleaning, C2 standard spellings, C3 keys, C7 open nomenclature
(docs/curation.md#whitespace, #variants, #open-nomenclature)."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation import names


def evaluate(expr_of, values: list[str | None]) -> list:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(expr_of(pl.col("v")).alias("v"))["v"].to_list()


def standard(values: list[str], widths=None, distance: int = 2) -> dict[str, str]:
    frame = names.standard_spellings(pl.Series(values), widths or {"Malaise": 4}, distance)
    return dict(zip(frame["name"], frame["standard"], strict=True))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Megaselia   lucifrons ", "Megaselia lucifrons"),
        ("\u00a0Sciaridae\u00a0", "Sciaridae"),
        ("Aus\tbus", "Aus bus"),
        ("", None),
        ("   ", None),
        ("no_data", None),
        ("not_classified", None),
        ("None", None),
        (" NA ", None),
        ("Na", "Na"),
        (None, None),
    ],
)
def test_c0_trims_collapses_and_nulls_missing_tokens(raw, clean):
    assert evaluate(names.clean_label, [raw]) == [clean]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Oxysarcodexia Malaise4749", "Oxysarcodexia Malaise4749"),
        ("Oxysarcodexia Malaise386", "Oxysarcodexia Malaise0386"),  # zero padding
        ("Oxysarcodexia Maliaise4749", "Oxysarcodexia Malaise4749"),  # misspelling
        ("Oxysarcodexia Malaize386", "Oxysarcodexia Malaise0386"),  # both at once
        ("Oxysarcodexia MALAISE4749", "Oxysarcodexia Malaise4749"),  # casing of the word
        ("Taygete MaliaiseMetz8205", "Taygete MalaiseMetz8205"),
        ("phyMalaize01", "phyMalaise01"),  # genus placeholder: respelt, not padded
        ("euloMalaise01 euloMalaise798", "euloMalaise01 euloMalaise798"),
        ("malaiseGraci01 Malaise379", "malaiseGraci01 Malaise0379"),
        ("Tenthredo malaisei", "Tenthredo malaisei"),  # a real epithet is never respelt
        ("Aus malaize", "Aus malaize"),  # free-standing word: not a placeholder code
        ("Anastatus sp. GG28", "Anastatus sp. GG28"),
        ("Cryptophilus sp. SAEVG Morph0281", "Cryptophilus sp. SAEVG Morph0281"),
        ("Hypsicera Malaise12345", "Hypsicera Malaise12345"),  # longer codes are kept
    ],
)
def test_c2_standard_spelling(raw, expected):
    assert standard([raw])[raw] == expected


def test_c2_pads_every_configured_code_word():
    spelt = standard(["Acrolophus BioLep451", "Aus Malaise7"], widths={"BioLep": 4, "Malaise": 3})
    assert spelt == {
        "Acrolophus BioLep451": "Acrolophus BioLep0451",
        "Aus Malaise7": "Aus Malaise007",
    }


def test_c2_distance_limit_is_configurable():
    assert standard(["Aus Maliaise0386"], distance=0)["Aus Maliaise0386"] == "Aus Maliaise0386"
    assert standard(["Aus Mialaize0386"], distance=1)["Aus Mialaize0386"] == "Aus Mialaize0386"
    assert standard(["Aus Mialaize0386"], distance=2)["Aus Mialaize0386"] == "Aus Malaise0386"


names_strategy = st.lists(
    st.text(alphabet="AaMmLlIiSsEeZz0123456789 .-", min_size=1, max_size=24), max_size=20
)


@given(names_strategy)
def test_c2_is_idempotent(values):
    first = standard(values)
    again = standard(list(first.values()))
    assert all(again[value] == value for value in first.values())


def test_c3_key_ignores_case_whitespace_and_the_zero_padding_of_codes():
    keys = evaluate(
        names.name_key,
        ["Oxysarcodexia Malaise4749", "oxysarcodexia malaise4749", "Oxysarcodexia Malaise 4749"],
    )
    assert len(set(keys)) == 1
    assert evaluate(names.name_key, ["Aus bus"]) != evaluate(names.name_key, ["Aus cus"])
    padded = evaluate(names.name_key, ["gelBioLep1", "gelBioLep01", "gelBioLep001", "GELBIOLEP1"])
    assert set(padded) == {"gelbiolep1"}
    # Only leading zeros go: other numbers stay distinct.
    distinct = ["gelBioLep10", "gelBioLep1", "gelBioLep100", "Aus sp. 0", "Aus sp. 10"]
    assert len(set(evaluate(names.name_key, distinct))) == 5


OPEN = [
    "Pseudosciara sp.",
    "Olixon cf. testaceum",
    "Dacnusa nr. faeroeensis",
    "Aus sp",
    "Aus spp.",
    "Aus aff. bus",
    "Aus n. sp.",
    "Aus n.sp.",
    "Aus sp. n.",
    "Aus sp. nov.",
    "Aus sp.nov.",
    "Aus nov. sp.",
    "Aus indet.",
    "Aus indet",
    "Aus gr. bus",
    "Aus grp bus",
    "Aus bus grp.",
    "Aus sp. aff. bus",
    "Aus (Bus) sp.",
    "Aus (Bus) cf. cus",
    "Coelioxys aff. Totonaca",
    "Megaselia sp.",
]
NAMED = [
    "Anastatus sp. GG28",
    "Cryptophilus sp. SAEVG Morph0281",
    "Megaselia BOLD:ACN5814",
    "Aus cf. bus-mic",
    "Aus sp. 1",
    "Megaselia lucifrons",
    "Aus (Bus) bus",
    "Aus Sp.",
    "Aus sp. bus",  # an epithet only after cf, aff, nr, gr, grp
    "Aus aff. TotoNaca",  # a capital inside a word is a code
    "Psychoda sp. 11GMK",
    "gelBioLep01 BioLep743",
]


@pytest.mark.parametrize(
    ("species", "removed"),
    [(s, True) for s in OPEN] + [(s, False) for s in NAMED] + [(None, False)],
)
def test_c7_open_nomenclature(species, removed):
    assert evaluate(names.is_open_nomenclature, [species]) == [removed]


def test_c7_qualifier_list_is_configurable():
    only_sp = names.open_nomenclature_pattern(["sp"], [])
    found = evaluate(lambda c: names.is_open_nomenclature(c, only_sp), OPEN[:3])
    assert found == [True, False, False]
    with_var = names.open_nomenclature_pattern(["sp", "var"], ["var"])
    assert evaluate(lambda c: names.is_open_nomenclature(c, with_var), ["Aus var. bus"]) == [True]


@given(
    st.sampled_from(OPEN),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-:", min_size=1, max_size=6),
)
def test_c7_a_code_always_survives(name, code):
    """Anything carrying a unique code (digits, capitals, BOLD:, a -CODE) is a name."""
    coded = [f"{name} {code}", f"{name}-{code}", f"{name}{code}"]
    assert evaluate(names.is_open_nomenclature, coded) == [False, False, False]


def test_first_word_and_filler():
    words = evaluate(names.first_word, ["Alpinosciara bus", "Aus", None])
    assert words == ["Alpinosciara", "Aus", None]
    frame = pl.DataFrame({"family": ["Sciaridae", None]})
    assert frame.select(names.filler(pl.col("family")).alias("f"))["f"].to_list() == [
        "unassigned Sciaridae",
        None,
    ]
    fillers = evaluate(names.is_filler, ["unassigned Sciaridae", "Sciarinae", None])
    assert fillers == [True, False, False]
