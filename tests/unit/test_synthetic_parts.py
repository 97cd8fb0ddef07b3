"""Building blocks of the synthetic export: integer splits, names, spelling noise, sequences, and
the truth's own implementation of the rules (curation/synthetic/truth.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.synthetic import names, truth
from curation.synthetic import sequences as seqs
from curation.synthetic.random import allocate, compose, sample, stream

# docs/curation.md#placeholder-species: the partitioner's placeholder detector (species rules), written out independently.
_PLACEHOLDER = [
    re.compile(r"[Mm]+[Aa]+[LlIi]+[Aa]+[IiLl]+[SsZz]+[Ee]+"),  # S-mal
    re.compile(r"^[a-z]"),  # S-lower
    re.compile(r"[0-9]"),  # S-digit
    re.compile(r".[A-Z]"),  # S-upper
    re.compile(r"[_?]"),  # S-punct
    re.compile(r"\."),  # S-dot
    re.compile(r"\baff\b|\bn[.\s]+sp\b|\bsp\s+ex\b|\bgen\b|\bsp\b\.?[\s\w]"),  # W-* rules
]
# docs/curation.md#open-nomenclature: a genus, optionally a (Subgenus), then qualifiers and
# at most one epithet after a comparative qualifier.
_OPEN_NOMENCLATURE = re.compile(
    r"^\S+ (\([A-Za-z]+\) )?(sp|spp|cf|nr|aff|gr|grp|indet|n\. ?sp|sp\. ?n|sp\. nov)\.?( [A-Za-z][a-z]+)?$"
)


def is_placeholder(species: str) -> bool:
    return any(rule.search(species) for rule in _PLACEHOLDER)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 400), st.integers(1, 60)), min_size=1, max_size=20),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_compose_splits_every_total_into_positive_parts(units, seed, capped):
    parts = np.array([min(p, t) for t, p in units])
    totals = np.array([t for t, _ in units])
    cap = int((-(-totals // parts)).max()) + 2 if capped else None
    weights = stream(seed, "groups").lognormal(0, 2.5, size=int(parts.sum()))
    sizes = compose(totals, parts, weights, cap=cap)
    assert len(sizes) == parts.sum() and (sizes >= 1).all()
    unit = np.repeat(np.arange(len(totals)), parts)
    assert (np.bincount(unit, sizes) == totals).all()
    if cap is not None:
        assert sizes.max() <= cap


def test_compose_follows_the_weights():
    sizes = compose(np.array([1_000]), np.array([4]), np.array([1.0, 1.0, 2.0, 96.0]))
    # Each part gets 1, the other 996 go by weight (floors 9, 9, 19, 956, then the three
    # largest remainders get one more).
    assert sizes.tolist() == [11, 11, 21, 957]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 500), st.integers(-5, 600), st.integers(0, 2**32 - 1))
def test_sample_draws_distinct_candidates(size, count, seed):
    candidates = np.arange(size) * 3
    picked = sample(stream(seed, "labels"), candidates, count)
    assert len(picked) == min(max(count, 0), size)
    assert len(set(picked.tolist())) == len(picked)
    assert set(picked.tolist()) <= set(candidates.tolist())
    assert (np.diff(picked) > 0).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=12), st.integers(0, 200))
def test_allocate_respects_bounds_and_total(weights, extra):
    weights = np.array(weights)
    lower = np.ones(len(weights), dtype=np.int64)
    upper = lower + 50
    total = int(min(lower.sum() + extra, upper.sum()))
    counts = allocate(total, weights, lower, upper)
    assert counts.sum() == total
    assert (counts >= lower).all() and (counts <= upper).all()


def test_generated_words_are_unique_and_far_from_malaise():
    rng = stream(1, "names")
    taken: set[str] = set()
    genera = names.genus_names(rng, 3_000, taken)
    words = names.epithets(rng, 3_000, set())
    for group in (genera, words):
        keys = [names.collision_key(w) for w in group]
        assert len(set(keys)) == len(group)
        assert not any(names.FUZZY_MALAISE.search(w) for w in group)
    assert all(w[0].isupper() and w[1:].islower() for w in genera)
    assert all(w.isalpha() and w.islower() for w in words)


def test_scientific_names_pass_and_placeholders_trip_the_partitioners_detector():
    rng = stream(2, "names")
    words = names.epithets(rng, 200, set())
    for word in words:
        assert not is_placeholder(f"Megaselia {word}")
        assert not _OPEN_NOMENCLATURE.match(f"Megaselia {word}")
    formats = (
        "malaise",
        "bold",
        "sp_code",
        "sp_digits",
        "janzen",
        "whitfield",
        "biolep",
        "dhj",
        "mic",
        "morph",
    )
    for serial, word in enumerate(words[:50], start=1):
        for fmt in formats:
            name = names.placeholder_species("Aus", fmt, word, serial, serial * 7919)
            assert is_placeholder(name), name
            # C7 keeps every placeholder that carries a unique code (docs/curation.md).
            assert not _OPEN_NOMENCLATURE.match(name), name
        genus = names.placeholder_genus("Gelechiidae", serial, serial * 31)
        assert is_placeholder(genus) and genus[0].islower()
        assert is_placeholder(names.species_under_placeholder_genus(genus, serial, serial))


def test_the_papers_placeholder_examples_keep_their_format():
    assert names.placeholder_species("Anastatus", "sp_code", "x", 28, 0).startswith(
        "Anastatus sp. AA"
    )
    assert re.fullmatch(
        r"Megaselia Malaise\d{4}", names.placeholder_species("Megaselia", "malaise", "x", 3, 12345)
    )
    assert re.fullmatch(
        r"Megaselia BOLD:[A-Z]{3}\d{4}",
        names.placeholder_species("Megaselia", "bold", "x", 3, 12345),
    )
    assert re.fullmatch(
        r"Zatypota alborhombartaDHJ\d{2}",
        names.placeholder_species("Zatypota", "dhj", "alborhombarta", 3, 1),
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 2_000), st.integers(0, 5))
def test_open_nomenclature_values_are_removable(serial, choice):
    rng = stream(serial, "names")
    value = names.open_nomenclature("Pseudosciara", "testaceum", rng)
    assert _OPEN_NOMENCLATURE.match(value), value
    assert value.split(" ")[0] == "Pseudosciara"


@pytest.mark.parametrize(
    "name",
    [
        "Megaselia lucifrons",
        "Megaselia Malaise0749",
        "Cecidomyiidae",
        "gelBioLep01 BioLep3792",
        "Anastatus sp. GG28",
    ],
)
@pytest.mark.parametrize("choice", range(6))
def test_spelling_variants_differ_but_share_the_key(name, choice):
    for variant in (names.case_variant(name, choice), names.whitespace_variant(name, choice)):
        assert variant != name
        assert names.collision_key(variant) == names.collision_key(name)
    assert names.whitespace_variant(
        name, choice
    ).strip() == name or "  " in names.whitespace_variant(name, choice)


def test_placeholder_code_noise_is_what_c2_repairs():
    assert names.unpadded("Megaselia Malaise0749") == "Megaselia Malaise749"
    assert names.unpadded("Megaselia Malaise0007") == "Megaselia Malaise7"
    assert names.unpadded("Megaselia Malaise4749") is None
    # A genus-level placeholder's own code is never touched.
    assert names.unpadded("microMalaise01 Malaise1237") is None
    assert names.unpadded("microMalaise01 Malaise0237") == "microMalaise01 Malaise237"
    for choice, typo in enumerate(names.MALAISE_TYPOS):
        wrong = names.malaise_typo("Orthocentrus Malaise5315", choice)
        assert wrong == f"Orthocentrus {typo}5315"
        assert names.FUZZY_MALAISE.search(wrong)
        assert names.collision_key(wrong) == names.collision_key("Orthocentrus Malaise5315")
    assert names.malaise_typo("Megaselia lucifrons", 0) is None


def test_bin_and_project_codes_are_distinct_and_well_formed():
    codes = names.bin_codes(stream(3, "specimens"), 5_000)
    assert len(set(codes)) == 5_000
    assert all(re.fullmatch(r"BOLD:A[A-Z]{2}\d{4}|BOLD:[B-E][A-Z]{2}\d{4}", c) for c in codes)
    projects = names.project_codes(stream(3, "geography"), 2_000)
    assert len(set(projects)) == 2_000
    assert all(re.fullmatch(r"[A-Z]{4,5}", c) for c in projects)


def test_barcodes_of_a_bin_differ_and_noise_keeps_the_key():
    bins, per_bin = 40, 30
    bin_of = np.repeat(np.arange(bins), per_bin)
    index = np.tile(np.arange(per_bin), bins)
    barcodes = seqs.build(bins, bin_of, index, seed=5)
    core = seqs.strings(
        barcodes.core(np.arange(len(bin_of))),
        barcodes.length[np.arange(len(bin_of))].astype(np.int64),
    )
    assert core.n_unique() == len(bin_of)
    assert (core.str.len_bytes() >= seqs.MIN_LENGTH).all()
    counted = core.str.count_matches("[ACGT]").to_numpy()
    assert (counted == barcodes.basecount).all()
    rng = stream(5, "rows")
    barcode = np.repeat(np.arange(len(bin_of)), 5)
    kinds = np.tile(np.arange(5, dtype=np.int8), len(bin_of))
    written = seqs.written(barcodes, barcode, kinds, rng)
    key = written.str.replace_all("-", "").str.to_uppercase().str.strip_chars("N")
    assert (key == core.gather(barcode)).all()
    assert (written != core.gather(barcode)).sum() == (kinds != seqs.CLEAN).sum()


# --- the truth's rules ------------------------------------------------------------------------


_WORDS = st.sampled_from(
    ["Aus", "bus", "Bus", "(Bus)", "sp", "sp.", "spp.", "cf.", "cf", "nr.", "aff.", "gr.", "grp",
     "indet.", "n.", "nov.", "sp.nov.", "GG28", "BOLD:AAA0001", "Malaise0386", "bus-mic", "1"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=5))
def test_the_truths_open_nomenclature_test_agrees_with_the_pipelines(words):
    """Two implementations of docs/curation.md#open-nomenclature, one token-based (truth.py),
    one a regex (curation.names), agree on every name made of the rule's vocabulary."""
    import polars as pl

    from curation import names as rules

    species = " ".join(["Aus", *words])
    pipeline = pl.select(rules.is_open_nomenclature(pl.lit(species))).item()
    assert truth.is_open(species) == pipeline, species


def test_the_truths_key_and_standard_spelling():
    assert truth.key("gelBioLep01") == truth.key("GELBIOLEP1") == truth.key(" gelBioLep001 ")
    assert truth.key("gelBioLep10") != truth.key("gelBioLep1")
    assert truth.standard("  Aus   Maliaise386 ") == "Aus Malaise0386"
    assert truth.standard("phyMalaize01") == "phyMalaise01"  # a genus code is not padded
    assert truth.standard("Tenthredo malaisei") == "Tenthredo malaisei"


def test_the_truths_vote():
    """Ten records of one barcode: 9 of 10 wins (the outvoted record's deeper rank voided);
    a second barcode 8 of 10 at rank 1 is curtailed from rank 1 down."""
    ann = np.array(
        [[0, 1, 5]] * 9 + [[0, 2, 7]] + [[0, 1, 5]] * 8 + [[0, 2, 5]] * 2, dtype=np.int64
    )
    ann = np.hstack([ann, np.full((20, 4), -1)])
    barcode = np.repeat([0, 1], 10)
    truth.vote(ann, barcode, size=10)
    assert ann[:10, :3].tolist() == [[0, 1, 5]] * 9 + [[0, 1, -1]]
    assert ann[10:, :3].tolist() == [[0, -1, -1]] * 10
    paths, received = truth.infer(ann, barcode)
    assert paths[0, :3].tolist() == [0, 1, 5] and received[9].tolist()[:3] == [False, False, True]


def test_the_truths_homonym_rule_and_completion():
    def path(family, subfamily, genus, species=None):
        return ("Arthropoda", "Insecta", "Diptera", family, subfamily, genus, species)

    paths = {
        path("Psychodidae", None, "Lutzomyia", "Lutzomyia longipalpis"): 5,
        path("Phlebotomidae", None, "Lutzomyia", "Lutzomyia longipalpis"): 1,
        path("Phoridae", "Metopininae", "Megaselia"): 3,
        path("Phoridae", None, "Megaselia"): 1,
        path("Aidae", None, "Tied"): 2,
        path("Bidae", None, "Tied"): 2,
    }
    cut = truth.homonyms(paths)
    assert cut[path("Phlebotomidae", None, "Lutzomyia", "Lutzomyia longipalpis")] == path(
        None, None, None
    )
    assert cut[path("Phoridae", None, "Megaselia")] == path("Phoridae", None, "Megaselia")
    assert cut[path("Aidae", None, "Tied")] == path(None, None, None)  # no majority
    completed = truth.complete(set(cut.values()))
    assert completed[path("Phoridae", None, "Megaselia")][4] == "Metopininae"
    assert completed[path("Psychodidae", None, "Lutzomyia", "Lutzomyia longipalpis")][4] == (
        "unassigned Psychodidae"
    )
