"""Normalisation: the global variant map, C0, C2/C3, C1 (corrections, a genus of several words,
genus from species, barcode-majority mismatch fix, contradicting species dropped) and C7
(docs/curation.md#variants, #genus-and-species, #open-nomenclature)."""

import polars as pl
import pytest
from hypothesis import given
from polars.testing import assert_frame_equal

from curation import names
from curation.labels.chain import settings
from curation.labels.normalise import build_variant_map, normalise
from schemas.config import CurationConfig
from schemas.corrections import CORRECTIONS_SCHEMA, CorrectionsError, parse_corrections
from schemas.tables import CHANGES_SCHEMA, LABELS_SCHEMA, RANKS, VARIANT_MAP_SCHEMA, empty
from tests.label_frames import labels_frame, noisy_labels

CFG = CurationConfig()
NO_CORRECTIONS = empty(CORRECTIONS_SCHEMA)
SARCO = {"family": "Sarcophagidae", "subfamily": "Sarcophaginae", "genus": "Oxysarcodexia"}


def run(labels, corrections=NO_CORRECTIONS, cfg=CFG):
    return normalise(
        labels,
        build_variant_map(labels, **settings(cfg, "variant_map")),
        corrections,
        **settings(cfg, "normalise"),
    )


def mismatched(labels: pl.DataFrame) -> pl.DataFrame:
    """Records whose species does not start with their genus."""
    return labels.filter(names.first_word(pl.col("species")) != pl.col("genus"))


def changes_of(changes: pl.DataFrame, processid: str) -> list[tuple]:
    rows = changes.filter(pl.col("processid") == processid)
    return rows.select("column", "before", "after", "rule").rows()


def oxysarcodexia_labels() -> pl.DataFrame:
    spellings = (
        ["Oxysarcodexia Malaise4749"] * 4
        + ["Oxysarcodexia Malaise0386"] * 3
        + [
            "oxysarcodexia malaise4749",  # case variant
            "Oxysarcodexia  Malaise4749 ",  # whitespace
            "Oxysarcodexia Maliaise4749",  # misspelt placeholder word
            "Oxysarcodexia Malaise386",  # unpadded code
            "Oxysarcodexia Malaize386",  # both
        ]
    )
    return labels_frame([{**SARCO, "species": species} for species in spellings])


def test_variant_map_oxysarcodexia():
    variant_map = build_variant_map(oxysarcodexia_labels(), **settings(CFG, "variant_map"))
    assert variant_map.schema == pl.Schema(VARIANT_MAP_SCHEMA)
    species = variant_map.filter(pl.col("rank") == "species")
    assert dict(zip(species["name"], species["canonical"], strict=True)) == {
        "Oxysarcodexia Malaise0386": "Oxysarcodexia Malaise0386",
        "Oxysarcodexia Malaise386": "Oxysarcodexia Malaise0386",
        "Oxysarcodexia Malaize386": "Oxysarcodexia Malaise0386",
        "Oxysarcodexia Malaise4749": "Oxysarcodexia Malaise4749",
        "Oxysarcodexia Maliaise4749": "Oxysarcodexia Malaise4749",
        "oxysarcodexia malaise4749": "Oxysarcodexia Malaise4749",
    }
    counts = dict(zip(species["name"], species["records"], strict=True))
    assert counts["Oxysarcodexia Malaise4749"] == 5  # the whitespace variant after C0


def test_variant_map_tie_goes_to_the_smallest_spelling_and_keeps_unchanged_keys_out():
    labels = labels_frame(
        [{"family": "Sciaridae"}, {"family": "SCIARIDAE"}, {"family": "Phoridae"}]
    )
    variant_map = build_variant_map(labels, **settings(CFG, "variant_map"))
    assert variant_map.select("rank", "name", "canonical", "records").rows() == [
        ("family", "SCIARIDAE", "SCIARIDAE", 1),
        ("family", "Sciaridae", "SCIARIDAE", 1),
    ]


def test_species_genus_words_vote_for_the_genus_spelling_and_follow_it():
    labels = labels_frame(
        [{"genus": "Megaselia"}]
        + [{"species": "megaselia lucifrons"}] * 3
        + [{"species": "Megaselia scalaris"}] * 2
    )
    variant_map = build_variant_map(labels, **settings(CFG, "variant_map"))
    assert variant_map.select("rank", "name", "canonical", "records").rows() == [
        ("genus", "Megaselia", "Megaselia", 3),  # 1 genus + 2 species first words: a 3-3 tie
        ("genus", "megaselia", "Megaselia", 3),
        ("species", "megaselia lucifrons", "Megaselia lucifrons", 3),
    ]
    normalised, changes = normalise(
        labels, variant_map, NO_CORRECTIONS, **settings(CFG, "normalise")
    )
    assert mismatched(normalised).is_empty()
    assert changes.filter(pl.col("rule") == "C1_species_genus_mismatch").is_empty()


def test_genus_codes_differing_by_zero_padding_are_one_genus_and_species_follow():
    """gelBioLep1 and gelBioLep01: one genus, written as most records write it; the species'
    first word follows the genus (docs/curation.md#variants)."""
    gelechiid = {"order": "Lepidoptera", "family": "Gelechiidae", "barcode_key": 1}
    rows = [{**gelechiid, "genus": "gelBioLep01", "species": "gelBioLep01 BioLep1838"}] * 2
    rows += [{**gelechiid, "genus": "gelBioLep1", "species": "gelBioLep1 BioLep743"}]
    labels, changes = run(labels_frame(rows))
    assert labels.select("genus", "species").rows() == [
        ("gelBioLep01", "gelBioLep01 BioLep1838"),
        ("gelBioLep01", "gelBioLep01 BioLep1838"),
        ("gelBioLep01", "gelBioLep01 BioLep743"),
    ]
    assert changes_of(changes, "P0003") == [
        ("genus", "gelBioLep1", "gelBioLep01", "C3_variant"),
        ("species", "gelBioLep1 BioLep743", "gelBioLep01 BioLep743", "C3_variant"),
    ]


def test_normalise_records_each_rewrite_with_its_rule():
    labels, changes = run(oxysarcodexia_labels())
    assert (
        labels["species"].to_list()
        == ["Oxysarcodexia Malaise4749"] * 4
        + ["Oxysarcodexia Malaise0386"] * 3
        + ["Oxysarcodexia Malaise4749"] * 3
        + ["Oxysarcodexia Malaise0386"] * 2
    )
    assert changes.schema == pl.Schema(CHANGES_SCHEMA)
    assert changes_of(changes, "P0008") == [
        ("species", "oxysarcodexia malaise4749", "Oxysarcodexia Malaise4749", "C3_variant")
    ]
    assert changes_of(changes, "P0009") == [
        ("species", "Oxysarcodexia  Malaise4749 ", "Oxysarcodexia Malaise4749", "C0_whitespace")
    ]
    assert changes_of(changes, "P0010") == [
        ("species", "Oxysarcodexia Maliaise4749", "Oxysarcodexia Malaise4749", "C2_placeholder")
    ]
    assert changes_of(changes, "P0012") == [
        ("species", "Oxysarcodexia Malaize386", "Oxysarcodexia Malaise0386", "C2_placeholder")
    ]


def test_c2_then_c3_when_the_standard_form_is_not_the_majority_spelling():
    labels = labels_frame(
        [{"species": "aus malaise0386"}] * 3 + [{"species": "Aus Maliaise386", "genus": "aus"}]
    )
    _normalised, changes = run(labels)
    assert changes_of(changes, "P0004") == [
        ("species", "Aus Maliaise386", "Aus Malaise0386", "C2_placeholder"),
        ("species", "Aus Malaise0386", "aus malaise0386", "C3_variant"),
    ]


def test_c0_nulls_missing_tokens_and_records_it():
    labels, changes = run(labels_frame([{"family": "no_data", "genus": " "}]))
    assert labels["family"].to_list() == [None] and labels["genus"].to_list() == [None]
    assert changes_of(changes, "P0001") == [
        ("family", "no_data", None, "C0_whitespace"),
        ("genus", " ", None, "C0_whitespace"),
    ]


def test_c1_genus_from_the_first_word_of_species():
    labels, changes = run(labels_frame([{"family": "Sciaridae", "species": "Bradysia tilicola"}]))
    assert labels["genus"].to_list() == ["Bradysia"]
    assert ("genus", None, "Bradysia", "C1_genus_from_species") in changes_of(changes, "P0001")


def test_c1_mismatch_fixed_by_the_barcode_majority():
    phorid = {"family": "Phoridae", "subfamily": "Metopininae"}
    rows = [{**phorid, "genus": "Megaselia", "species": "Megaselia lucifrons"}] * 2
    rows += [{**phorid, "genus": "Phora", "species": "Megaselia lucifrons"}]
    labels, changes = run(labels_frame([{**row, "barcode_key": 7} for row in rows]))
    assert labels["genus"].to_list() == ["Megaselia"] * 3
    assert changes_of(changes, "P0003") == [
        ("genus", "Phora", "Megaselia", "C1_genus_species_majority")
    ]


def test_c1_mismatch_without_a_majority_drops_the_species():
    """A species whose first word contradicts its genus, with no barcode majority for the
    species' genus, is dropped: it never votes and is never copied (docs/curation.md)."""
    rows = [
        {"barcode_key": 7, "genus": "Phora", "species": "Megaselia lucifrons"},
        {"barcode_key": 7, "genus": "Phora"},  # votes for Phora: the species is the odd one
        {"barcode_key": 8, "genus": "Phora", "species": "Megaselia scalaris"},  # alone
    ]
    labels, changes = run(labels_frame(rows))
    assert labels.select("genus", "species").rows() == [("Phora", None)] * 3
    assert changes.filter(pl.col("rule") == "C1_genus_species_majority").is_empty()
    assert changes_of(changes, "P0001") == [
        ("species", "Megaselia lucifrons", None, "C1_species_genus_mismatch")
    ]
    assert mismatched(labels).is_empty()


@pytest.mark.parametrize(
    ("genus", "species", "expected", "rules"),
    [
        # The species confirms the first word: an annotator typed a species into the genus column.
        (
            "malaiseGraci01 Malaise4560",
            "malaiseGraci01 Malaise7973",
            ("malaiseGraci01", "malaiseGraci01 Malaise7973"),
            ["C1_genus_first_word"],
        ),
        # Nothing confirms it: nulled.
        ("malaiseGraci01 Malaise4560", None, (None, None), ["C1_genus_not_a_name"]),
        # The species names another genus: nulled, then the species gives the genus.
        (
            "Aus bus",
            "Cus dus",
            ("Cus", "Cus dus"),
            ["C1_genus_not_a_name", "C1_genus_from_species"],
        ),
    ],
)
def test_c1_a_genus_of_several_words(genus, species, expected, rules):
    labels, changes = run(
        labels_frame([{"family": "Gracillariidae", "genus": genus, "species": species}])
    )
    assert labels.select("genus", "species").row(0) == expected
    assert changes["rule"].to_list() == rules


def test_c1_corrections_table():
    table = parse_corrections(
        "rank\told\tnew\tnote\n"
        "genus\tDasyhela\tDasyhelea\tmisspelt genus\n"
        "species\tDasyhela bus\tDasyhelea bus\tfollows the genus\n"
    )
    labels = labels_frame(
        [
            {"family": "Ceratopogonidae", "genus": "Dasyhela", "species": "Dasyhela bus"},
            {"family": "Ceratopogonidae", "species": "dasyhela bus"},
        ]
    )
    normalised, changes = run(labels, table)
    assert normalised.select("genus", "species").rows() == [("Dasyhelea", "Dasyhelea bus")] * 2
    assert changes_of(changes, "P0002") == [
        ("species", "dasyhela bus", "Dasyhela bus", "C3_variant"),
        ("species", "Dasyhela bus", "Dasyhelea bus", "C1_correction"),
        ("genus", None, "Dasyhelea", "C1_genus_from_species"),
    ]


def test_a_correction_must_write_the_canonical_spelling():
    table = parse_corrections("rank\told\tnew\tnote\nfamily\tPhoridae\tsciaridae\t\n")
    labels = labels_frame([{"family": "Sciaridae"}] * 2 + [{"family": "sciaridae"}])
    with pytest.raises(CorrectionsError, match="line 2: field new: .*write 'Sciaridae'"):
        run(labels, table)


def test_c7_removes_open_nomenclature_before_the_vote():
    labels = labels_frame(
        [
            {"family": "Sciaridae", "species": "Pseudosciara sp."},
            {"family": "Braconidae", "genus": "Olixon", "species": "Olixon cf. testaceum"},
            {"family": "Apidae", "genus": "Coelioxys", "species": "Coelioxys aff. Totonaca"},
            {"family": "Encyrtidae", "species": "Anastatus sp. GG28"},
            {"family": "Cryptophagidae", "species": "Cryptophilus sp. SAEVG Morph0281"},
        ]
    )
    normalised, changes = run(labels)
    assert normalised.select("genus", "species").rows() == [
        ("Pseudosciara", None),  # a genus-level annotation: its genus came from the species
        ("Olixon", None),
        ("Coelioxys", None),
        ("Anastatus", "Anastatus sp. GG28"),
        ("Cryptophilus", "Cryptophilus sp. SAEVG Morph0281"),
    ]
    removed = changes.filter(pl.col("rule") == "C7_open_nomenclature")
    assert removed["processid"].to_list() == ["P0001", "P0002", "P0003"]
    kept, _ = run(labels, cfg=CurationConfig(remove_open_nomenclature=False))
    assert kept["species"].null_count() == 0
    narrow = CurationConfig(
        open_nomenclature_qualifiers=["sp"], open_nomenclature_epithet_qualifiers=[]
    )
    assert run(labels, cfg=narrow)[0]["species"].null_count() == 1


@given(noisy_labels())
def test_one_spelling_per_key_after_normalise(labels):
    normalised, _ = run(labels)
    for rank in RANKS:
        spellings = normalised.select(pl.col(rank).drop_nulls().unique())
        keys = spellings.select(names.name_key(pl.col(rank)))
        assert keys.n_unique() == spellings.height


@given(noisy_labels())
def test_normalise_is_idempotent(labels):
    variant_map = build_variant_map(labels, **settings(CFG, "variant_map"))
    once, _ = normalise(labels, variant_map, NO_CORRECTIONS, **settings(CFG, "normalise"))
    twice, changes = normalise(once, variant_map, NO_CORRECTIONS, **settings(CFG, "normalise"))
    assert changes.is_empty()
    assert_frame_equal(once, twice)


@given(noisy_labels())
def test_normalise_does_not_depend_on_row_order(labels):
    variant_map = build_variant_map(labels, **settings(CFG, "variant_map"))
    shuffled = labels.sample(fraction=1.0, shuffle=True, seed=3)
    assert build_variant_map(shuffled, **settings(CFG, "variant_map")).equals(variant_map)
    expected = normalise(labels, variant_map, NO_CORRECTIONS, **settings(CFG, "normalise"))
    actual = normalise(shuffled, variant_map, NO_CORRECTIONS, **settings(CFG, "normalise"))
    assert_frame_equal(actual[0], expected[0])
    assert_frame_equal(actual[1], expected[1])
    assert actual[0].schema == pl.Schema(LABELS_SCHEMA)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rank\told\tnew\n", r"<corrections>:1: header"),
        ("rank\told\tnew\tnote\ngenus\tAus\tBus\n", r":2: expected 4 tab-separated fields"),
        ("rank\told\tnew\tnote\ntribe\tAus\tBus\t\n", r":2: field rank: 'tribe'"),
        ("rank\told\tnew\tnote\ngenus\t Aus\tBus\t\n", r":2: field old: .*whitespace"),
        ("rank\told\tnew\tnote\ngenus\tAus\t\t\n", r":2: field new: empty"),
        ("rank\told\tnew\tnote\ngenus\tAus\tAus\t\n", r":2: field new: same as old"),
        ("rank\told\tnew\tnote\ngenus\tAus\tno_data\t\n", r":2: field new: .*missing-value token"),
        (
            "rank\told\tnew\tnote\ngenus\tAus\tBus\t\n\ngenus\tAus\tCus\t\n",
            r":4: field old: genus 'Aus' is already corrected on line 2",
        ),
        (
            "rank\told\tnew\tnote\ngenus\tAus\tBus\t\ngenus\tBus\tCus\t\n",
            r":2: field new: genus 'Bus' is itself corrected on line 3",
        ),
    ],
)
def test_corrections_table_errors_name_line_and_field(text, message):
    with pytest.raises(CorrectionsError, match=message):
        parse_corrections(text)


def test_corrections_table_reads_crlf_and_blank_lines(tmp_path):
    from schemas.corrections import read_corrections

    path = tmp_path / "corrections.tsv"
    path.write_bytes(b"rank\told\tnew\tnote\r\ngenus\tAus\tBus\tsee #3\r\n\r\n")
    table = read_corrections(path)
    assert table.rows() == [("genus", "Aus", "Bus", "see #3", 2)]
    path.write_bytes(b"rank\told\tnew\tnote\ngenus\tA\xffus\tBus\t\n")
    with pytest.raises(CorrectionsError, match=r"corrections.tsv:2: not valid UTF-8"):
        read_corrections(path)


def test_the_shipped_corrections_table_is_valid_and_empty():
    from schemas.corrections import read_corrections
    from tests.support import ROOT

    assert read_corrections(ROOT / "resources" / "corrections.tsv").is_empty()
