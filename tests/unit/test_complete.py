"""The global label steps: the homonym rule, subfamily completion at genus level, taxon
(docs/curation.md#homonyms, #subfamily-completion, #taxon)."""

from __future__ import annotations

import itertools
import json
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation.labels import chain, homonyms, provenance, subfamily
from curation.labels.complete import complete, gather, plan, shard_facts
from curation.labels.normalise import build_variant_map
from curation.synthetic import truth
from schemas.config import CurationConfig
from schemas.corrections import CORRECTIONS_SCHEMA
from schemas.tables import CHANGES_SCHEMA, RANKS, empty
from tests.label_frames import labels_frame, noisy_labels, path

COLUMNS = ("family", "subfamily", "genus", "species")


def completed(rows: list[dict], fill: bool = True) -> pl.DataFrame:
    curated, _ = complete(labels_frame(rows), empty(CHANGES_SCHEMA), fill_unassigned_subfamily=fill)
    return curated


# --- homonyms ---------------------------------------------------------------------------------


def lineage(family: str | None, genus: str, species: str | None = None, **extra) -> dict:
    return {"family": family, "genus": genus, "species": species, **extra}


def test_the_minority_lineage_is_curtailed_at_the_first_rank_that_differs():
    rows = [lineage("Psychodidae", "Lutzomyia")] * 3 + [lineage("Phlebotomidae", "Lutzomyia")]
    labels, changes = homonyms.curtail(labels_frame(rows))
    assert labels.select("order", "family", "genus").rows() == [
        ("Diptera", "Psychodidae", "Lutzomyia")
    ] * 3 + [("Diptera", None, None)]
    assert pl.concat(changes)["rule"].unique().to_list() == ["homonym_curtail"]


def test_a_missing_ancestor_conflicts_with_nothing():
    rows = [lineage("Psychodidae", "Lutzomyia")] * 3 + [lineage(None, "Lutzomyia")]
    labels, changes = homonyms.curtail(labels_frame(rows))
    assert labels["genus"].to_list() == ["Lutzomyia"] * 4
    assert changes == []


def test_a_tie_curtails_every_lineage_of_the_name():
    """No lineage has a majority: the name is ambiguous everywhere, so all its records lose
    it, and the records with a missing ancestor too (they could be either)."""
    rows = [lineage("Psychodidae", "Aus"), lineage("Phoridae", "Aus"), lineage(None, "Aus")]
    rows += [lineage("Phoridae", "Bus")]
    labels, _ = homonyms.curtail(labels_frame(rows))
    assert labels.select("family", "genus").rows() == [
        (None, None),
        (None, None),
        (None, None),
        ("Phoridae", "Bus"),
    ]


def test_a_genus_in_two_subfamilies_keeps_the_majority_subfamily():
    rows = [lineage("Phoridae", "Megaselia", subfamily="Metopininae")] * 4
    rows += [lineage("Phoridae", "Megaselia", subfamily="Phorinae", species="Megaselia bus")]
    rows += [lineage("Phoridae", "Megaselia", subfamily="unassigned Phoridae")]
    labels, _ = homonyms.curtail(labels_frame(rows))
    assert labels.select("family", "subfamily", "genus", "species").rows() == [
        ("Phoridae", "Metopininae", "Megaselia", None)
    ] * 4 + [("Phoridae", None, None, None), ("Phoridae", "unassigned Phoridae", "Megaselia", None)]


def test_species_are_checked_after_genera():
    """A species lineage conflict with one genus lineage: the species pass sees what the genus
    pass left (here nothing conflicts any more)."""
    rows = [lineage("Psychodidae", "Lutzomyia", "Lutzomyia longipalpis")] * 2
    rows += [lineage("Phlebotomidae", "Lutzomyia", "Lutzomyia longipalpis")]
    rows += [lineage("Psychodidae", "Lutzomyia")] * 3
    cuts = homonyms.lineage_cuts(homonyms.label_paths(labels_frame(rows)), "genus")
    assert cuts.select("family", "genus", "records", "_cut").rows() == [
        ("Phlebotomidae", "Lutzomyia", 1, 3)
    ]
    labels, _ = homonyms.curtail(labels_frame(rows))
    assert labels.filter(pl.col("family").is_null())["species"].to_list() == [None]


def test_minorities_that_conflict_only_with_each_other_keep_the_larger_one():
    """The reference names no subfamily, so neither minority conflicts with it; they conflict
    with each other, and the larger one completes the reference (#homonyms)."""
    rows = [lineage("Phoridae", "Megaselia")] * 5
    rows += [lineage("Phoridae", "Megaselia", subfamily="Metopininae")] * 3
    rows += [lineage("Phoridae", "Megaselia", subfamily="Phorinae", species="Megaselia bus")] * 2
    labels, changes = homonyms.curtail(labels_frame(rows))
    assert (
        labels.select("subfamily", "genus", "species").rows()
        == [(None, "Megaselia", None)] * 5
        + [("Metopininae", "Megaselia", None)] * 3
        + [(None, None, None)] * 2
    )
    assert pl.concat(changes)["processid"].unique().sort().to_list() == ["P0009", "P0010"]


def test_minorities_tied_with_each_other_lose_the_rank_they_dispute_only():
    """Two minorities of as many records name different subfamilies where the reference names
    none: both lose the subfamily and what is under it; the reference keeps its labels."""
    rows = [lineage("Phoridae", "Megaselia")] * 5
    rows += [lineage("Phoridae", "Megaselia", subfamily="Metopininae")] * 2
    rows += [lineage("Phoridae", "Megaselia", subfamily="Phorinae")] * 2
    labels, _ = homonyms.curtail(labels_frame(rows))
    assert (
        labels.select("family", "subfamily", "genus").rows()
        == [("Phoridae", None, "Megaselia")] * 5 + [("Phoridae", None, None)] * 4
    )


def _path_of(row: tuple) -> tuple:
    return row[:-1]


@st.composite
def tangled_paths(draw: st.DrawFn) -> pl.DataFrame:
    """Label paths over a small alphabet, so that a name's lineages often differ by a taxon or
    by a missing one, with their record counts."""
    taxon = st.sampled_from([None, "A", "B"])
    rows = draw(
        st.lists(
            st.tuples(
                *[taxon] * 5,
                st.sampled_from(["G", "H"]),
                st.sampled_from([None, "G s", "G t", "H s"]),
                st.integers(1, 4),
            ),
            min_size=1,
            max_size=12,
            unique_by=_path_of,
        )
    )
    return pl.DataFrame(
        rows, schema={**{rank: pl.String for rank in RANKS}, "records": pl.UInt32}, orient="row"
    )


@settings(deadline=None, max_examples=300)
@given(tangled_paths())
def test_after_the_homonym_rule_no_genus_or_species_has_two_parents(paths):
    _, after = homonyms.plan(paths)
    report = provenance.hierarchy_report(after)
    assert report["genus"]["check"]["passed"] and report["species"]["check"]["passed"]
    assert after["records"].sum() == paths["records"].sum()


@settings(deadline=None, max_examples=300)
@given(tangled_paths())
def test_the_homonym_rule_agrees_with_the_generators_truth(paths):
    """The generator's second implementation of the rule (curation/synthetic/truth.py, written
    from docs/curation.md) cuts the same paths the same way."""
    weights = {row[:-1]: row[-1] for row in paths.iter_rows()}
    expected: dict[tuple, int] = {}
    for original, cut in truth.homonyms(weights).items():
        expected[cut] = expected.get(cut, 0) + weights[original]
    _, after = homonyms.plan(paths)
    assert {row[:-1]: row[-1] for row in after.iter_rows()} == expected


# --- subfamily completion ---------------------------------------------------------------------


def test_completion_at_genus_level():
    rows = [
        {"family": "Plutellidae", "subfamily": "Plutellinae", "genus": "Plutella"},
        {"family": "Plutellidae", "genus": "Plutella"},  # the genus is placed
        {"family": "Plutellidae", "subfamily": "unassigned Plutellidae", "genus": "Plutella"},
        {"family": "Sciaridae", "genus": "Bradysia"},  # placed nowhere
        {"family": "Sciaridae", "subfamily": "unassigned Phoridae", "genus": "Bradysia"},
        {"family": "Sciaridae", "subfamily": "unassigned Sciaridae"},  # a filler ending a record
        {"family": "Sciaridae"},  # identified to family only: not a hole
        {"genus": "Cus"},  # no family to name the filler after
    ]
    labels, changes = subfamily.complete(labels_frame(rows), fill_unassigned_subfamily=True)
    assert labels["subfamily"].to_list() == [
        "Plutellinae",
        "Plutellinae",
        "Plutellinae",
        "unassigned Sciaridae",
        "unassigned Sciaridae",
        None,
        None,
        None,
    ]
    assert changes["rule"].unique().to_list() == ["C4_subfamily_completion"]
    assert changes["processid"].to_list() == ["P0002", "P0003", "P0004", "P0005", "P0006"]


def test_a_genus_in_several_subfamilies_is_left_and_reported():
    rows = [
        {"family": "Phoridae", "subfamily": "Metopininae", "genus": "Aus"},
        {"family": "Phoridae", "subfamily": "Phorinae", "genus": "Aus"},
        {"family": "Phoridae", "genus": "Aus"},
    ]
    placed = subfamily.placements(labels_frame(rows))
    assert placed.rows() == [("Aus", 2, None)]
    labels, changes = subfamily.complete(labels_frame(rows), fill_unassigned_subfamily=True)
    assert labels["subfamily"].to_list() == ["Metopininae", "Phorinae", None]
    assert changes.is_empty()


def test_without_fillers_only_placed_genera_are_completed():
    rows = [
        {"family": "Plutellidae", "subfamily": "Plutellinae", "genus": "Plutella"},
        {"family": "Plutellidae", "genus": "Plutella"},
        {"family": "Sciaridae", "subfamily": "unassigned Sciaridae", "genus": "Bradysia"},
    ]
    curated = completed(rows, fill=False)
    assert curated["subfamily"].to_list() == ["Plutellinae", "Plutellinae", None]


# --- taxon ------------------------------------------------------------------------------------


def test_taxon_is_the_deepest_label_never_a_filler():
    full = path(
        *("Arthropoda", "Insecta", "Diptera"),
        *("Phoridae", "Metopininae", "Megaselia", "Megaselia lucifrons"),
    )
    rows = [
        full,
        {"family": "Sciaridae", "subfamily": "unassigned Sciaridae", "genus": "Alpinosciara"},
        {"family": "Cecidomyiidae"},
        {"order": "Diptera", "family": None},
        {"phylum": None, "class": None, "order": None},
    ]
    assert completed(rows)["taxon"].to_list() == [
        "Megaselia lucifrons",
        "Alpinosciara",
        "Cecidomyiidae",
        "Diptera",
        None,
    ]


@pytest.mark.parametrize("bins", [["BOLD:A1", "BOLD:A2", None], ["BOLD:A1", "BOLD:A1", None]])
def test_bin_conflict_flags_every_record_of_the_key_and_bins_are_kept(bins):
    rows = [{"barcode_key": 1, "dna_bin": b} for b in bins] + [{"barcode_key": 2, "dna_bin": "X"}]
    curated = completed(rows)
    conflict = len(set(bins) - {None}) > 1
    assert curated["bin_conflict"].to_list() == [conflict] * 3 + [False]
    assert curated["dna_bin"].to_list() == [*bins, "X"]
    assert set(curated.columns) >= set(RANKS)


# --- piece by piece (rule gather_curation) ------------------------------------------------------


@settings(deadline=None, max_examples=30)
@given(
    noisy_labels(inconsistent=True),
    st.integers(2, 4),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_completing_piece_by_piece_is_completing_every_record_at_once(
    labels, count, piece_count, rng: random.Random
):
    """Barcode keys spread at random over 2-4 shards (some empty), planned from the shards'
    facts, then completed in 1-4 processid ranges of every shard (as gather_curation reads
    them): complete()'s curated table, changes and summary."""
    cfg = CurationConfig()
    variant_map = build_variant_map(labels, **chain.settings(cfg, "variant_map"))
    inferred, changes = chain.per_barcode_steps(labels, variant_map, empty(CORRECTIONS_SCHEMA), cfg)
    expected = complete(inferred, changes, fill_unassigned_subfamily=True)

    owners = {key: rng.randrange(count) for key in inferred["barcode_key"].unique().to_list()}
    facts = [
        shard_facts(inferred.filter(pl.col("barcode_key").is_in(keys)))
        for keys in ([k for k, owner in owners.items() if owner == i] for i in range(count))
    ]
    planned = plan(
        homonyms.sum_paths([paths for paths, _ in facts]),
        pl.concat([conflicts for _, conflicts in facts]),
    )
    processids = sorted(inferred["processid"].to_list())
    cuts = sorted(rng.sample(processids, min(piece_count - 1, len(processids))))
    edges = [None, *cuts, None]
    pieces = []
    for low, high in itertools.pairwise(edges):
        inside = pl.lit(True)
        if low is not None:
            inside &= pl.col("processid") >= low
        if high is not None:
            inside &= pl.col("processid") < high
        pieces.append((inferred.filter(inside), changes.filter(inside)))
    done = list(gather(pieces, planned, fill_unassigned_subfamily=True))
    assert_frame_equal(pl.concat([curated for curated, _, _ in done]), expected[0])
    assert_frame_equal(pl.concat([changes for _, changes, _ in done]), expected[1])
    summary = provenance.summarise_facts([piece_facts for _, _, piece_facts in done])
    assert json.dumps(summary, sort_keys=True) == json.dumps(
        provenance.summarise(*expected), sort_keys=True
    )


def test_the_shard_facts_name_the_keys_whose_records_carry_two_bins():
    rows = [
        {"barcode_key": 1, "dna_bin": "A"},
        {"barcode_key": 1, "dna_bin": "B"},
        {"barcode_key": 2, "dna_bin": "A"},
        {"barcode_key": 2, "dna_bin": None},
        {"barcode_key": 3, "dna_bin": "C"},
        {"barcode_key": 3, "dna_bin": "D"},
    ]
    paths, conflicts = shard_facts(labels_frame(rows))
    assert conflicts["barcode_key"].to_list() == [1, 3]
    assert paths["records"].sum() == len(rows)


def test_planning_from_paths_cuts_the_species_after_the_genera():
    """The species pass of the plan sees the genus cuts applied to the paths: a species whose
    conflicting lineage went with its curtailed genus is not cut again."""
    rows = [lineage("Psychodidae", "Lutzomyia", "Lutzomyia longipalpis")] * 3 + [
        lineage("Phlebotomidae", "Lutzomyia", "Lutzomyia longipalpis")
    ]
    labels = labels_frame(rows)
    cuts, paths = homonyms.plan(homonyms.label_paths(labels))
    assert [rank for rank, _ in cuts] == ["genus"]
    # The minority record is cut at the family, where its lineage differs: so is its species.
    assert paths.sort("records").select("family", "genus", "species", "records").rows() == [
        (None, None, None, 1),
        ("Psychodidae", "Lutzomyia", "Lutzomyia longipalpis", 3),
    ]
