"""C5: the per-barcode majority vote, curtailment, fillers that never vote and outvoted records
that lose their deeper annotations (docs/curation.md#vote)."""

import random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation import names
from curation.labels.chain import settings
from curation.labels.normalise import build_variant_map, normalise
from curation.labels.vote import resolve, verdict
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


def run(labels: pl.DataFrame, threshold: float = 0.9):
    return resolve(labels, **settings(CurationConfig(vote_threshold=threshold), "resolve"))


def test_nine_of_ten_wins_and_the_minority_is_relabelled():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"])
    resolved, changes = run(labels)
    assert resolved["species"].to_list() == ["Megaselia lucifrons"] * 10
    assert changes.rows() == [
        ("P0010", "species", "Megaselia scalaris", "Megaselia lucifrons", "C5_vote")
    ]


@pytest.mark.parametrize(
    ("majority", "minority", "wins"),
    [(9, 1, True), (18, 2, True), (27, 3, True), (17, 2, False), (26, 3, False), (8, 2, False)],
)
def test_exactly_ninety_percent_wins_just_under_curtails(majority, minority, wins):
    """9/10, 18/20, 27/30 are exactly 0.9; 17/19 = 0.895 and 26/29 = 0.897 are just under."""
    labels = group(["Megaselia lucifrons"] * majority + ["Megaselia scalaris"] * minority)
    resolved, _ = run(labels)
    expected = ["Megaselia lucifrons"] if wins else [None]
    assert resolved["species"].to_list() == expected * (majority + minority)
    assert resolved["genus"].to_list() == ["Megaselia"] * (majority + minority)


def test_eight_of_ten_curtails_the_rank_for_the_whole_group():
    labels = group(["Megaselia lucifrons"] * 8 + ["Megaselia scalaris", "Megaselia pulicaria"])
    resolved, changes = run(labels)
    assert resolved["species"].null_count() == 10
    assert resolved["genus"].to_list() == ["Megaselia"] * 10  # shallower ranks are kept
    assert set(changes["rule"]) == {"C5_curtail"} and changes.height == 10


def test_curtailment_at_genus_nulls_genus_and_species_of_every_record():
    rows = [{"genus": "Alpinosciara", "species": "Alpinosciara bus"}] * 8
    rows += [{"genus": "Bradysia", "species": "Bradysia cus"}] * 2
    sciarid = {"barcode_key": 1, "family": "Sciaridae"}
    resolved, changes = run(labels_frame([{**sciarid, **row} for row in rows]))
    assert resolved.select("family", "subfamily", "genus", "species").unique().rows() == [
        ("Sciaridae", None, None, None)
    ]
    assert [row for row in rules(changes) if row[0] == "P0001"] == [
        ("P0001", "genus", "C5_curtail"),
        ("P0001", "species", "C5_curtail"),
    ]


def test_curtailment_at_a_shallow_rank_stops_the_vote():
    rows = [{**PHORID, "barcode_key": 1}] * 5 + [
        {"barcode_key": 1, "family": "Sciaridae", "genus": "Bradysia"}
    ] * 5
    resolved, _ = run(labels_frame(rows))
    assert resolved.select("order", "family", "subfamily", "genus").unique().rows() == [
        ("Diptera", None, None, None)
    ]


def test_the_denominator_is_the_non_null_annotations():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"] + [None] * 10)
    resolved, _ = run(labels)
    assert resolved["species"].to_list() == ["Megaselia lucifrons"] * 10 + [None] * 10


def test_threshold_is_configurable_and_inclusive():
    labels = group(["Megaselia lucifrons"] * 3 + ["Megaselia scalaris"])
    assert run(labels, 0.75)[0]["species"].n_unique() == 1
    assert run(labels, 0.76)[0]["species"].null_count() == 4


def test_fillers_never_vote():
    """5 records in Metopininae and 5 with a filler: the filler is no annotation, so
    Metopininae is unanimous and nothing is curtailed (the filler records get it by C6)."""
    rows = [{**PHORID, "barcode_key": 1}] * 5
    rows += [{**PHORID, "barcode_key": 1, "subfamily": "unassigned Phoridae"}] * 5
    labels = labels_frame(rows)
    resolved, changes = run(labels)
    assert_frame_equal(resolved, labels)
    assert changes.is_empty()


def test_an_outvoted_record_loses_its_deeper_annotations():
    """9 records say only Phoridae, 1 says Sciaridae > Bradysia > Bradysia impatiens: Phoridae
    wins (9/10), and the genus and species under the rejected Sciaridae go with it."""
    rows = [{"barcode_key": 1, "family": "Phoridae"}] * 9
    rows += [
        {
            "barcode_key": 1,
            "family": "Sciaridae",
            "genus": "Bradysia",
            "species": "Bradysia impatiens",
        }
    ]
    resolved, changes = run(labels_frame(rows))
    assert resolved.select("family", "genus", "species").rows() == [("Phoridae", None, None)] * 10
    assert changes.select("processid", "column", "before", "after", "rule").rows() == [
        ("P0010", "family", "Sciaridae", "Phoridae", "C5_vote"),
        ("P0010", "genus", "Bradysia", None, "C5_outvoted"),
        ("P0010", "species", "Bradysia impatiens", None, "C5_outvoted"),
    ]


def test_outvoted_deeper_annotations_do_not_vote_at_their_rank():
    """Nine Megaselia records, one under another subfamily whose genus would make the genus
    vote 9/10 against 1: voided first, it does not vote, so no C5_vote at genus."""
    rows = [{**PHORID, "barcode_key": 1, "species": "Megaselia abdita"}] * 9
    rows += [
        {
            "barcode_key": 1,
            "family": "Phoridae",
            "subfamily": "Phorinae",
            "genus": "Phora",
            "species": "Phora atra",
        }
    ]
    resolved, changes = run(labels_frame(rows))
    assert resolved.select("subfamily", "genus", "species").rows() == [
        ("Metopininae", "Megaselia", "Megaselia abdita")
    ] * 9 + [("Metopininae", None, None)]
    assert rules(changes) == [
        ("P0010", "subfamily", "C5_vote"),
        ("P0010", "genus", "C5_outvoted"),
        ("P0010", "species", "C5_outvoted"),
    ]


def test_groups_do_not_vote_together():
    labels = labels_frame(
        [{**PHORID, "barcode_key": key, "species": "Megaselia lucifrons"} for key in (1, 2)]
        + [{**PHORID, "barcode_key": 3, "species": "Megaselia scalaris"}]
    )
    resolved, changes = run(labels)
    assert_frame_equal(resolved, labels)
    assert changes.is_empty()


def test_verdicts():
    labels = group(["Megaselia lucifrons"] * 9 + ["Megaselia scalaris"])
    assert verdict(labels, "species", 0.9).rows() == [(1, "Megaselia lucifrons", True)]
    assert verdict(labels, "genus", 0.9).is_empty()


def normalised(labels: pl.DataFrame, cfg: CurationConfig) -> pl.DataFrame:
    variant_map = build_variant_map(labels, **settings(cfg, "variant_map"))
    return normalise(labels, variant_map, empty(CORRECTIONS_SCHEMA), **settings(cfg, "normalise"))[
        0
    ]


@given(noisy_labels(), st.sampled_from([0.6, 0.9, 1.0]))
def test_after_the_vote_each_key_has_one_annotation_per_rank(labels, threshold):
    cfg = CurationConfig(vote_threshold=threshold)
    before = normalised(labels, cfg)
    resolved, changes = resolve(before, **settings(cfg, "resolve"))
    for rank in RANKS:
        value = names.real_subfamily(pl.col(rank)) if rank == "subfamily" else pl.col(rank)
        per_key = resolved.group_by("barcode_key").agg(value.drop_nulls().n_unique())
        assert per_key[rank].max() <= 1
    again, no_changes = resolve(resolved, **settings(cfg, "resolve"))  # idempotent
    assert_frame_equal(again, resolved)
    assert no_changes.is_empty()
    shuffled, shuffled_changes = resolve(
        before.sample(fraction=1.0, shuffle=True, seed=1), **settings(cfg, "resolve")
    )
    assert_frame_equal(shuffled, resolved)
    assert_frame_equal(shuffled_changes, changes)
    assert resolved.schema == pl.Schema(LABELS_SCHEMA)


@given(noisy_labels(), st.randoms(use_true_random=False))
def test_a_filler_in_the_input_never_changes_a_vote(labels, rng: random.Random):
    """Writing ``unassigned <Family>`` into any record without a subfamily changes no
    verdict: every real annotation comes out of the vote as it would without the fillers."""
    before = normalised(labels, CFG)
    holes = [
        i
        for i, row in enumerate(before.iter_rows(named=True))
        if row["subfamily"] is None and row["family"] is not None and rng.random() < 0.5
    ]
    filled = before.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(holes))
        .then(names.filler(pl.col("family")))
        .otherwise(pl.col("subfamily"))
        .alias("subfamily")
    )
    plain, _ = resolve(before, **settings(CFG, "resolve"))
    with_fillers, _ = resolve(filled, **settings(CFG, "resolve"))
    real = names.real_subfamily(pl.col("subfamily"))
    assert_frame_equal(
        with_fillers.with_columns(real), plain.with_columns(real), check_dtypes=False
    )


@given(noisy_labels(), st.sampled_from([0.6, 0.9]))
def test_an_outvoted_record_keeps_no_deeper_annotation(labels, threshold):
    """A record relabelled at some rank (C5_vote) has nothing left below that rank."""
    cfg = CurationConfig(vote_threshold=threshold)
    resolved, changes = resolve(normalised(labels, cfg), **settings(cfg, "resolve"))
    relabelled = changes.filter(pl.col("rule") == "C5_vote")
    rows = {row["processid"]: row for row in resolved.iter_rows(named=True)}
    for processid, column in relabelled.select("processid", "column").rows():
        deeper = RANKS[RANKS.index(column) + 1 :]
        assert all(rows[processid][rank] is None for rank in deeper), (processid, column)
