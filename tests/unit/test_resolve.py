"""C5: the per-barcode majority vote, curtailment and the filler rule."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation.labels.chain import settings
from curation.labels.normalise import build_variant_map, normalise
from curation.labels.vote import resolve, vote
from schemas.config import CurationConfig
from schemas.corrections import CORRECTIONS_SCHEMA
from schemas.tables import LABELS_SCHEMA, RANKS, empty
from tests.label_frames import labels_frame, noisy_labels

CFG = CurationConfig()
PHORID = {"family": "Phoridae", "subfamily": "Metopininae", "genus": "Megaselia"}


def group(species: list[str | None], **extra) -> pl.DataFrame:
    return labels_frame([{**PHORID, **extra, "barcode_key": 1, "species": s} for s in species])


def rules(changes: pl.DataFrame) -> list[tuple]:
    return changes.select("processid", "column", "rule").rows()


def test_nine_of_ten_wins_and_the_minority_is_relabelled():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"])
    resolved, changes = resolve(labels, **settings(CFG, "resolve"))
    assert resolved["species"].to_list() == ["Megaselia lucifrons"] * 10
    assert changes.rows() == [
        ("P0010", "species", "Megaselia scalaris", "Megaselia lucifrons", "C5_vote")
    ]


def test_eight_of_ten_curtails_the_rank_for_the_whole_group():
    labels = group(["Megaselia lucifrons"] * 8 + ["Megaselia scalaris", "Megaselia pulicaria"])
    resolved, changes = resolve(labels, **settings(CFG, "resolve"))
    assert resolved["species"].null_count() == 10
    assert resolved["genus"].to_list() == ["Megaselia"] * 10  # shallower ranks are kept
    assert set(changes["rule"]) == {"C5_curtail"} and changes.height == 10


def test_curtailment_at_genus_nulls_genus_species_and_the_filler_left_last():
    rows = [{"genus": "Alpinosciara", "species": "Alpinosciara bus"}] * 8
    rows += [{"genus": "Bradysia", "species": "Bradysia cus"}] * 2
    sciarid = {"barcode_key": 1, "family": "Sciaridae", "subfamily": "unassigned Sciaridae"}
    resolved, changes = resolve(
        labels_frame([{**sciarid, **row} for row in rows]), **settings(CFG, "resolve")
    )
    assert resolved.select("family", "subfamily", "genus", "species").unique().rows() == [
        ("Sciaridae", None, None, None)
    ]
    first = [row for row in rules(changes) if row[0] == "P0001"]
    assert first == [
        ("P0001", "genus", "C5_curtail"),
        ("P0001", "species", "C5_curtail"),
        ("P0001", "subfamily", "C5_filler_dropped"),
    ]


def test_curtailment_at_a_shallow_rank_stops_the_vote():
    rows = [{**PHORID, "barcode_key": 1}] * 5 + [
        {"barcode_key": 1, "family": "Sciaridae", "genus": "Bradysia"}
    ] * 5
    resolved, _ = resolve(labels_frame(rows), **settings(CFG, "resolve"))
    assert resolved.select("order", "family", "subfamily", "genus").unique().rows() == [
        ("Diptera", None, None, None)
    ]


def test_the_denominator_is_the_non_null_annotations():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"] + [None] * 10)
    resolved, _ = resolve(labels, **settings(CFG, "resolve"))
    assert resolved["species"].to_list() == ["Megaselia lucifrons"] * 10 + [None] * 10


def test_threshold_is_configurable_and_inclusive():
    labels = group(["Megaselia lucifrons"] * 3 + ["Megaselia scalaris"])
    assert (
        resolve(labels, **settings(CurationConfig(vote_threshold=0.75), "resolve"))[0][
            "species"
        ].n_unique()
        == 1
    )
    assert (
        resolve(labels, **settings(CurationConfig(vote_threshold=0.76), "resolve"))[0][
            "species"
        ].null_count()
        == 4
    )


def test_a_filler_from_the_input_never_ends_a_record():
    labels = labels_frame([{"family": "Sciaridae", "subfamily": "unassigned Sciaridae"}])
    resolved, changes = resolve(labels, **settings(CFG, "resolve"))
    assert resolved["subfamily"].to_list() == [None]
    assert rules(changes) == [("P0001", "subfamily", "C5_filler_dropped")]


def test_groups_do_not_vote_together():
    labels = labels_frame(
        [{**PHORID, "barcode_key": key, "species": "Megaselia lucifrons"} for key in (1, 2)]
        + [{**PHORID, "barcode_key": 3, "species": "Megaselia scalaris"}]
    )
    resolved, changes = resolve(labels, **settings(CFG, "resolve"))
    assert_frame_equal(resolved, labels)
    assert changes.is_empty()


def test_vote_verdicts():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"])
    verdicts = vote(labels, 0.9)
    assert verdicts.select("barcode_key", "_winner_6", "_curtail").rows() == [
        (1, "Megaselia lucifrons", None)
    ]


@given(noisy_labels(), st.sampled_from([0.6, 0.9, 1.0]))
def test_after_the_vote_each_key_has_one_value_per_rank(labels, threshold):
    cfg = CurationConfig(vote_threshold=threshold)
    variant_map = build_variant_map(labels, **settings(cfg, "variant_map"))
    normalised, _ = normalise(
        labels, variant_map, empty(CORRECTIONS_SCHEMA), **settings(cfg, "normalise")
    )
    resolved, changes = resolve(normalised, **settings(cfg, "resolve"))
    for rank in RANKS:
        per_key = resolved.group_by("barcode_key").agg(pl.col(rank).drop_nulls().n_unique())
        assert per_key[rank].max() <= 1
    filler = resolved.filter(pl.col("subfamily").str.starts_with("unassigned "))
    assert filler["genus"].null_count() == 0
    again, no_changes = resolve(resolved, **settings(cfg, "resolve"))  # idempotent
    assert_frame_equal(again, resolved)
    assert no_changes.is_empty()
    shuffled, shuffled_changes = resolve(
        normalised.sample(fraction=1.0, shuffle=True, seed=1), **settings(cfg, "resolve")
    )
    assert_frame_equal(shuffled, resolved)
    assert_frame_equal(shuffled_changes, changes)
    assert resolved.schema == pl.Schema(LABELS_SCHEMA)
