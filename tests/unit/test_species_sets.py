"""Species sets (docs/curation.md#species-sets): provisional sets, unseen selection and its
quirks, set names."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.partition import species_sets
from curation.partition.placeholders import is_placeholder
from schemas.tables import SPLITS


def frame_of(rows: list[tuple[str | None, str | None, int]]) -> pl.DataFrame:
    """(genus, species, records) -> one row per record, with the placeholder flag."""
    expanded = [(genus, species) for genus, species, count in rows for _ in range(count)]
    frame = pl.DataFrame(expanded, schema={"genus": pl.String, "species": pl.String}, orient="row")
    return frame.with_columns(is_placeholder=is_placeholder())


def unseen(frame: pl.DataFrame, min_rows: int = 8) -> list[str]:
    frame = species_sets.provisional(frame)
    candidates = species_sets.unseen_candidates(frame)
    return species_sets.unseen_species(frame, candidates, min_rows).to_list()


def test_provisional_sets():
    frame = species_sets.provisional(
        frame_of(
            [
                ("Aus", "Aus bus", 1),
                ("Aus", None, 1),
                ("Aus", "Aus sp. 1", 1),
                ("aus", "Aus bus", 1),
            ]
        )
    )
    assert frame.get_column("state").to_list() == ["seen", "pretrain", "pretrain", "pretrain"]


def test_unseen_needs_seen_genus_and_eight_records():
    frame = frame_of(
        [
            ("Aus", "Aus bus", 1),
            ("Aus", "Aus sp. 1", 8),  # seen genus, 8 records -> unseen
            ("Aus", "Aus sp. 2", 7),  # too few -> heldout later
            ("Palmistichus", "Palmistichus ixtlilxochitliDHJ01", 416),  # genus not seen
            ("gelBioLep01", "gelBioLep01 BioLep3792", 16),  # placeholder genus
        ]
    )
    assert unseen(frame) == ["Aus sp. 1"]
    assert unseen(frame, min_rows=7) == ["Aus sp. 1", "Aus sp. 2"]


def test_unseen_counts_only_viable_records():
    # 7 records under the seen genus + 5 under a placeholder genus: 7 < 8, not unseen, although
    # the species string has 12 records.
    frame = frame_of([("Aus", "Aus bus", 1), ("Aus", "Aus sp. 1", 7), ("ausx", "Aus sp. 1", 5)])
    assert unseen(frame) == []


def test_null_genus_counts_as_a_genus():
    # pandas isin matched NaN to NaN: a placeholder species without genus is viable when some
    # seen record has no genus either.
    frame = frame_of([(None, "Aus bus", 1), (None, "Aus sp. 1", 8)])
    assert unseen(frame) == ["Aus sp. 1"]
    assert unseen(frame_of([("Aus", "Aus bus", 1), (None, "Aus sp. 1", 8)])) == []


def test_heldout_candidates():
    frame = pl.DataFrame(
        {"species": ["Aus sp. 1", None, "Aus bus"], "state": ["pretrain", "pretrain", "train"]},
        schema={"species": pl.String, "state": species_sets.STATE},
    )
    assert frame.select(species_sets.heldout_candidates()).to_series().to_list() == [
        True,
        False,
        False,
    ]


def test_species_set_of_every_split():
    frame = pl.DataFrame({"split": list(SPLITS)})
    assert frame.select(species_sets.species_set()).to_series().to_list() == [
        "unknown",
        "seen",
        "seen",
        "seen",
        "unseen",
        "unseen",
        "unseen",
        "heldout",
    ]


species_rows = st.tuples(
    st.sampled_from(["Aus", "Bus", "aus", None]),
    st.sampled_from(["Aus bus", "Aus sp. 1", "Bus Malaise0001", "Bus cus", "Aus sp. 2", None]),
    st.integers(1, 12),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(species_rows, max_size=12), st.integers(1, 12))
def test_unseen_species_are_placeholders_with_enough_viable_records(rows, min_rows):
    frame = species_sets.provisional(frame_of(rows))
    candidates = species_sets.unseen_candidates(frame)
    chosen = species_sets.unseen_species(frame, candidates, min_rows)
    viable = frame.filter(candidates)
    seen_genera = set(frame.filter(pl.col("state") == "seen").get_column("genus").to_list())
    for species in chosen.to_list():
        records = viable.filter(pl.col("species") == species)
        assert records.height >= min_rows
        assert records.get_column("is_placeholder").all()
        assert set(records.get_column("genus").to_list()) <= seen_genera
    assert chosen.is_sorted()
