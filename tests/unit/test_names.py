"""Single-name rules: C0 cleaning, C2 standard spellings, C3 keys, C7 open nomenclature."""

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


def test_c3_key_ignores_case_and_whitespace_only():
    keys = evaluate(
        names.name_key,
        ["Oxysarcodexia Malaise4749", "oxysarcodexia malaise4749", "Oxysarcodexia Malaise 4749"],
    )
    assert len(set(keys)) == 1
    assert evaluate(names.name_key, ["Aus bus"]) != evaluate(names.name_key, ["Aus cus"])


@pytest.mark.parametrize(
    ("species", "removed"),
    [
        ("Pseudosciara sp.", True),
        ("Olixon cf. testaceum", True),
        ("Dacnusa nr. faeroeensis", True),
        ("Aus sp", True),
        ("Aus spp.", True),
        ("Aus aff. bus", True),
        ("Aus n. sp.", True),
        ("Aus sp. n.", True),
        ("Aus sp. aff. bus", True),
        ("Aus bus grp.", True),
        ("Anastatus sp. GG28", False),
        ("Cryptophilus sp. SAEVG Morph0281", False),
        ("Megaselia BOLD:ACN5814", False),
        ("Aus cf. bus-mic", False),
        ("Aus sp. 1", False),
        ("Megaselia lucifrons", False),
        ("Aus Sp.", False),
        (None, False),
    ],
)
def test_c7_open_nomenclature(species, removed):
    assert evaluate(names.is_open_nomenclature, [species]) == [removed]


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
