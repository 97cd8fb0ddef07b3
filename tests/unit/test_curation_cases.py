"""The records a taxonomist rejected the first rule set on, through the whole chain: each case of
issue #13, modelled on real BOLD records, with the labels every record of the barcode must end
with (docs/curation.md, the sections named in each test)."""

from __future__ import annotations

import polars as pl

from curation.labels.chain import curate
from tests.label_frames import labels_frame

COLUMNS = ("family", "subfamily", "genus", "species")


def labels_of(rows: list[dict], extra: tuple[str, ...] = ()) -> list[tuple]:
    curated, _ = curate(labels_frame(rows))
    return curated.select(*COLUMNS, *extra).rows()


def test_a_genus_placed_in_a_subfamily_gives_it_to_its_records_that_lack_one():
    """#subfamily-completion: a Plutella xylostella record without a subfamily gets
    Plutellinae, where other records of the species sit, not 'unassigned Plutellidae'."""
    moth = {"order": "Lepidoptera", "family": "Plutellidae", "genus": "Plutella"}
    rows = [
        {**moth, "barcode_key": 1, "subfamily": "Plutellinae", "species": "Plutella xylostella"},
        {**moth, "barcode_key": 1, "subfamily": "Plutellinae", "species": "Plutella xylostella"},
        {**moth, "barcode_key": 2, "species": "Plutella xylostella"},
    ]
    assert (
        labels_of(rows) == [("Plutellidae", "Plutellinae", "Plutella", "Plutella xylostella")] * 3
    )


def test_blank_subfamilies_do_not_vote_against_the_real_one():
    """#vote: 5 Megaselia records in Metopininae and 5 without a subfamily keep subfamily and
    genus; the blank ones receive Metopininae by inference."""
    phorid = {"barcode_key": 1, "family": "Phoridae", "genus": "Megaselia"}
    rows = [{**phorid, "subfamily": "Metopininae"}] * 5 + [phorid] * 5
    assert (
        labels_of(rows, extra=("inferred_ranks",))
        == [("Phoridae", "Metopininae", "Megaselia", None, 0)] * 5
        + [("Phoridae", "Metopininae", "Megaselia", None, 3)] * 5
    )


def test_an_outvoted_family_takes_its_genus_and_species_with_it():
    """#vote: 9 records saying only Phoridae and 1 saying Sciaridae > Bradysia > Bradysia
    impatiens: Phoridae wins and nobody gets Bradysia impatiens."""
    rows = [{"barcode_key": 1, "family": "Phoridae"}] * 9
    rows += [
        {
            "barcode_key": 1,
            "family": "Sciaridae",
            "genus": "Bradysia",
            "species": "Bradysia impatiens",
        }
    ]
    assert labels_of(rows) == [("Phoridae", None, None, None)] * 10


def test_open_nomenclature_does_not_curtail_the_named_species():
    """#open-nomenclature: 5 x Megaselia abdita + 1 x Megaselia sp.: 'sp.' is no species, so
    abdita is unanimous and the sixth record receives it."""
    phorid = {"barcode_key": 1, "family": "Phoridae", "subfamily": "Metopininae"}
    rows = [{**phorid, "genus": "Megaselia", "species": "Megaselia abdita"}] * 5
    rows += [{**phorid, "genus": "Megaselia", "species": "Megaselia sp."}]
    assert labels_of(rows) == [("Phoridae", "Metopininae", "Megaselia", "Megaselia abdita")] * 6


def test_genus_codes_differing_by_padding_are_one_genus_and_one_species():
    """#variants: gelBioLep1 and gelBioLep01 (same BIN, same placeholder) are one genus, and
    the species written with either is one species."""
    moth = {"order": "Lepidoptera", "family": "Gelechiidae", "barcode_key": 1}
    rows = [{**moth, "genus": "gelBioLep01", "species": "gelBioLep01 BioLep743"}] * 2
    rows += [{**moth, "genus": "gelBioLep1", "species": "gelBioLep1 BioLep743"}]
    assert (
        labels_of(rows)
        == [("Gelechiidae", "unassigned Gelechiidae", "gelBioLep01", "gelBioLep01 BioLep743")] * 3
    )


def test_qualified_names_are_not_species():
    """#open-nomenclature: sp. nov., indet., gr. bus, (Subgenus) sp. and aff. Totonaca name
    no species; each record keeps its genus."""
    forms = ["Aus sp. nov.", "Aus indet.", "Aus gr. bus", "Aus (Bus) sp.", "Aus aff. Totonaca"]
    rows = [
        {"barcode_key": key, "family": "Megachilidae", "genus": "Aus", "species": form}
        for key, form in enumerate(forms)
    ]
    assert labels_of(rows) == [("Megachilidae", "unassigned Megachilidae", "Aus", None)] * 5
    real = [{"barcode_key": 1, "family": "Megachilidae", "species": "Coelioxys aff. Totonaca"}]
    assert labels_of(real) == [("Megachilidae", "unassigned Megachilidae", "Coelioxys", None)]


def test_a_species_typed_into_the_genus_column_is_no_genus():
    """#genus-and-species: 'malaiseGraci01 Malaise4560' in the genus column keeps its first
    word when the species confirms it, and is never released as a genus."""
    moth = {"order": "Lepidoptera", "family": "Gracillariidae"}
    rows = [
        {**moth, "barcode_key": 1, "genus": "malaiseGraci01 Malaise4560"},
        {
            **moth,
            "barcode_key": 2,
            "genus": "malaiseGraci01 Malaise4560",
            "species": "malaiseGraci01 Malaise7973",
        },
    ]
    assert labels_of(rows) == [
        ("Gracillariidae", None, None, None),
        (
            "Gracillariidae",
            "unassigned Gracillariidae",
            "malaiseGraci01",
            "malaiseGraci01 Malaise7973",
        ),
    ]


def test_a_species_contradicting_the_genus_is_dropped_not_spread():
    """#genus-and-species: one record's species names another genus than the barcode's; it is
    dropped, never copied to the whole barcode."""
    phorid = {"barcode_key": 1, "family": "Phoridae", "subfamily": "Metopininae"}
    rows = [{**phorid, "genus": "Megaselia"}] * 4
    rows += [{**phorid, "genus": "Megaselia", "species": "Phora atra"}]
    assert labels_of(rows) == [("Phoridae", "Metopininae", "Megaselia", None)] * 5


def test_a_homonym_lineage_is_curtailed_above_the_conflict():
    """#homonyms: Lutzomyia longipalpis under Psychodidae on most records and under another
    family on one barcode is one species: the minority lineage loses family and below."""
    sand_fly = {"genus": "Lutzomyia", "species": "Lutzomyia longipalpis"}
    rows = [{**sand_fly, "barcode_key": key, "family": "Psychodidae"} for key in (1, 2, 3)]
    rows += [{**sand_fly, "barcode_key": 4, "family": "Phlebotomidae"}]
    curated, changes = curate(labels_frame(rows))
    assert curated.select("order", *COLUMNS).rows() == [
        ("Diptera", "Psychodidae", "unassigned Psychodidae", "Lutzomyia", "Lutzomyia longipalpis")
    ] * 3 + [("Diptera", None, None, None, None)]
    homonym = changes.filter(pl.col("rule") == "homonym_curtail")
    assert homonym.select("processid", "column").rows() == [
        ("P0004", "family"),
        ("P0004", "genus"),
        ("P0004", "species"),
    ]


def test_a_placeholder_species_cannot_borrow_a_homonym_genus_of_another_family():
    """#homonyms: 'Aus' is a named genus of Phoridae (10 records); a Sciaridae barcode files a
    placeholder under a genus also spelt 'Aus'.  The minority lineage loses the genus, so the
    placeholder is not counted as a species of a seen genus (it would be "unseen")."""
    rows = [{"barcode_key": 1, "family": "Phoridae", "genus": "Aus", "species": "Aus bus"}] * 10 + [
        {"barcode_key": 2, "family": "Sciaridae", "species": "Aus Malaise0001"}
    ] * 2
    curated, _ = curate(labels_frame(rows))
    placeholder = curated.filter(pl.col("barcode_key") == 2)
    assert placeholder.select(*COLUMNS).rows() == [(None, None, None, None)] * 2
    assert curated.filter(pl.col("genus") == "Aus")["family"].unique().to_list() == ["Phoridae"]
