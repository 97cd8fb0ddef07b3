"""Provenance: change rows, their order, the flags derived from them, the run summary and
the hierarchy report; and that the changes table accounts for every label the chain changed
(docs/curation.md#provenance)."""

import json
from collections import defaultdict

import polars as pl
import pytest
from hypothesis import given
from polars.testing import assert_frame_equal

from curation.labels import provenance
from curation.labels.chain import curate
from schemas.tables import CHANGES_SCHEMA, RANKS, RULES
from tests.label_frames import labels_frame, noisy_labels, path


def changes(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CHANGES_SCHEMA, orient="row")


def test_apply_rule_records_only_real_changes():
    frame = pl.DataFrame({"processid": ["a", "b", "c"], "genus": ["Aus", None, "Bus"]})
    updated, rows = provenance.apply_rule(
        frame, "genus", pl.col("genus").fill_null("Cus"), "C1_genus_from_species"
    )
    assert updated["genus"].to_list() == ["Aus", "Cus", "Bus"]
    assert rows.rows() == [("b", "genus", None, "Cus", "C1_genus_from_species")]
    with pytest.raises(ValueError, match="unknown curation rule 'C9_bin'"):
        provenance.apply_rule(frame, "genus", pl.col("genus"), "C9_bin")


def test_changes_are_sorted_by_processid_rule_order_then_rank_order():
    rows = [
        ("b", "genus", "x", None, "C5_curtail"),
        ("b", "species", "y", None, "C5_curtail"),
        ("a", "species", None, "z", "C6_inferred"),
        ("a", "subfamily", None, "unassigned F", "C6_inferred"),
        ("a", "species", " z", "z", "C0_whitespace"),
        ("b", "genus", None, "x", "C1_genus_from_species"),
    ]
    ordered = provenance.sort_changes([changes(*rows[:3]), changes(*rows[3:])])
    assert ordered.select("processid", "column", "rule").rows() == [
        ("a", "species", "C0_whitespace"),
        ("a", "subfamily", "C6_inferred"),
        ("a", "species", "C6_inferred"),
        ("b", "genus", "C1_genus_from_species"),
        ("b", "genus", "C5_curtail"),
        ("b", "species", "C5_curtail"),
    ]
    assert provenance.sort_changes([]).schema == pl.Schema(CHANGES_SCHEMA)


def test_flags():
    frame = pl.DataFrame(
        {"processid": ["a", "b", "c", "d", "e", "f"], "given_inferred_ranks": [0, 0, 0, 0, 0, 5]},
        schema_overrides={"given_inferred_ranks": pl.UInt8},
    )
    flagged = provenance.with_flags(
        frame,
        changes(
            ("a", "species", "Aus  bus", "Aus bus", "C0_whitespace"),
            ("b", "family", "no_data", None, "C0_whitespace"),
            ("c", "subfamily", "unassigned F", None, "C5_outvoted"),  # a filler is no label
            ("d", "genus", None, "Aus", "C6_inferred"),
            ("d", "species", None, "Aus bus", "C6_inferred"),
            ("d", "species", "Aus bus", None, "homonym_curtail"),  # no longer inferred
            ("e", "species", "Aus sp.", None, "C7_open_nomenclature"),
            ("e", "genus", "Bus", "Aus", "C5_vote"),
            ("f", "species", None, "Aus bus", "C6_inferred"),  # 1, but the input said 5
        ),
    )
    assert flagged.drop("given_inferred_ranks").rows() == [
        ("a", 0, False, True, False),
        ("b", 0, False, False, False),
        ("c", 0, False, False, False),
        ("d", 2, True, False, True),
        ("e", 0, False, False, True),
        ("f", 5, True, False, False),
    ]
    assert flagged.columns == [
        "processid",
        "given_inferred_ranks",
        "inferred_ranks",
        "label_was_inferred",
        "label_was_reworded",
        "label_was_dropped",
    ]


def summary_example():
    sciarid = path("Arthropoda", "Insecta", "Diptera", "Sciaridae")
    pseudosciara = {**sciarid, "barcode_key": 1, "genus": "Pseudosciara"}
    rows = [
        {**pseudosciara, "species": "Pseudosciara sp.", "dna_bin": "BOLD:A1"},
        {**pseudosciara, "dna_bin": "BOLD:A2"},
        {**sciarid, "barcode_key": 2, "species": "Bradysia  tilicola"},
        {**sciarid, "barcode_key": 2},
        {**sciarid, "barcode_key": 3, "genus": "Phora", "species": "Bradysia cus"},
        {**sciarid, "barcode_key": 4, "subfamily": "Sciarinae", "genus": "Pseudosciara"},
    ]  # fmt: skip
    return curate(labels_frame(rows))


def test_summary_counts_the_paper_figures():
    curated, all_changes = summary_example()
    summary = provenance.summarise(curated, all_changes)
    json.dumps(summary)  # JSON-able
    figures = summary["figures"]
    assert figures["records_reworded"] == 0
    assert figures["genus_from_species_records"] == 1
    assert figures["genus_from_species_species"] == 1
    assert figures["genus_species_mismatch_dropped_records"] == 1
    assert figures["genera_unassigned_subfamily"] == 2  # Bradysia, Phora; Pseudosciara is placed
    assert figures["records_subfamily_completed"] == 2  # the two Pseudosciara records
    assert figures["open_nomenclature_species_removed"] == 1
    assert figures["open_nomenclature_records"] == 1
    assert figures["records_label_inferred"] == 1
    assert figures["bin_conflict_barcode_keys"] == 1 and figures["bin_conflict_records"] == 2
    assert summary["inferred_ranks"] == {"0": 5, "1": 0, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}
    whitespace = summary["rules"]["C0_whitespace"]
    assert whitespace == {"labels": 1, "records": 1, "by_column": {"species": 1}}
    assert set(summary["rules"]) == set(RULES)
    assert summary["genus_species_mismatches"]["examples"] == [
        {"column": "species", "value": "Bradysia cus", "genus": "Phora", "records": 1}
    ]
    genus = summary["hierarchy"]["genus"]
    assert genus["names_with_several_parents"] == 0
    assert genus["check"] == {
        "name": "every genus has one parent lineage",
        "passed": True,
        "names_with_several_parents": 0,
    }
    assert summary["paper"]["records_label_dropped_by_vote"] == 3478


def test_summary_does_not_depend_on_row_order():
    curated, all_changes = summary_example()
    shuffled = provenance.summarise(
        curated.sample(fraction=1.0, shuffle=True, seed=5),
        all_changes.sample(fraction=1.0, shuffle=True, seed=6),
    )
    assert json.dumps(shuffled, sort_keys=True) == json.dumps(
        provenance.summarise(curated, all_changes), sort_keys=True
    )


def cells(frame: pl.DataFrame) -> dict[tuple[str, str], str | None]:
    return {(row["processid"], r): row[r] for row in frame.iter_rows(named=True) for r in RANKS}


@given(noisy_labels())
def test_the_changes_table_accounts_for_every_label(labels):
    """Replaying each record's changes, in table order, over its raw labels gives its
    curated labels: nothing changes without a change row, and the rows chain."""
    curated, all_changes = curate(labels)
    values = cells(labels)
    for processid, column, before, after, _rule in all_changes.rows():
        assert values[processid, column] == before
        values[processid, column] = after
    assert values == cells(curated)


def several_parents(curated: pl.DataFrame) -> dict[str, set[str]]:
    """The hierarchy check done by hand: names two of whose lineages name different taxa at
    some rank (a missing ancestor, or a filler, conflicts with nothing)."""
    ancestry: dict[str, dict[str, set]] = {rank: defaultdict(set) for rank in RANKS[1:]}
    for row in curated.iter_rows(named=True):
        values = {r: row[r] for r in RANKS}
        if values["subfamily"] and values["subfamily"].startswith("unassigned "):
            values["subfamily"] = None
        for depth, rank in enumerate(RANKS[1:], start=1):
            if values[rank] is not None:
                ancestry[rank][values[rank]].add(tuple(values[r] for r in RANKS[:depth]))
    return {
        rank: {
            name
            for name, lineages in named.items()
            if any(len({lineage[i] for lineage in lineages} - {None}) > 1 for i in range(depth))
        }
        for depth, (rank, named) in enumerate(ancestry.items(), start=1)
    }


@given(noisy_labels(inconsistent=True))
def test_hierarchy_report_lists_exactly_the_names_with_several_parents(labels):
    curated, all_changes = curate(labels)
    report = provenance.summarise(curated, all_changes)["hierarchy"]
    expected = several_parents(curated)
    for rank in RANKS[1:]:
        assert report[rank]["names_with_several_parents"] == len(expected[rank])
        assert report[rank]["check"]["passed"] == (not expected[rank])
        listed = {example["name"] for example in report[rank]["examples"]}
        assert listed <= expected[rank]
    # The homonym rule leaves no genus or species under two parents.
    assert not expected["genus"] and not expected["species"]


@given(noisy_labels(inconsistent=False))
def test_each_rank_partitions_its_parent_without_inconsistent_records(labels):
    """Spelling noise, missing values, fillers, open nomenclature, partial labelling, missing
    genera and species typed into the genus column are all repaired consistently across
    barcodes: without inconsistent records no name sits under two parents, and no rule that
    removes a label on evidence of a contradiction fires."""
    curated, all_changes = curate(labels)
    assert all(not names for names in several_parents(curated).values())
    summary = provenance.summarise(curated, all_changes)
    assert all(entry["check"]["passed"] for entry in summary["hierarchy"].values())
    assert summary["figures"]["genus_species_mismatch_dropped_records"] == 0
    assert summary["figures"]["records_homonym_curtailed"] == 0


def test_stage_outputs_roundtrip_through_sort_changes():
    _curated, all_changes = summary_example()
    assert_frame_equal(provenance.sort_changes(all_changes.reverse()), all_changes)
