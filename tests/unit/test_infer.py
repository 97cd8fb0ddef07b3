"""C6 inference and inferred_ranks; and the properties of the whole chain (normalise -> resolve
-> infer per shard, then the global steps) (docs/curation.md#inference)."""

import random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation import names
from curation.labels.chain import curate, settings
from curation.labels.complete import complete
from curation.labels.infer import infer
from curation.labels.vote import resolve
from schemas.config import CurationConfig
from schemas.tables import CHANGES_SCHEMA, CURATED_SCHEMA, LABELS_SCHEMA, RANKS, conform, empty
from tests.label_frames import labels_frame, noisy_labels, path

CFG = CurationConfig()
FULL = path(
    *("Arthropoda", "Insecta", "Diptera"),
    *("Phoridae", "Metopininae", "Megaselia", "Megaselia lucifrons"),
)


def infer_only(labels: pl.DataFrame, cfg: CurationConfig = CFG):
    """C6, then the global steps (which derive inferred_ranks and the flags)."""
    inferred, changes = infer(labels, empty(CHANGES_SCHEMA), **settings(cfg, "infer"))
    return complete(inferred, changes, **settings(cfg, "gather_curation"))


@pytest.mark.parametrize(
    ("depth", "code"),
    [(6, 0), (5, 1), (4, 2), (3, 3), (2, 4), (1, 5), (0, 6)],
)
def test_inferred_ranks_table(depth, code):
    """A record identified down to rank ``depth`` in a group with a fully labelled record."""
    partial = {rank: FULL[rank] if index <= depth else None for index, rank in enumerate(RANKS)}
    labels = labels_frame([{**FULL, "barcode_key": 1}, {**partial, "barcode_key": 1}])
    curated, changes = infer_only(labels)
    assert curated["inferred_ranks"].to_list() == [0, code]
    assert curated["label_was_inferred"].to_list() == [False, code > 0]
    assert curated.select(RANKS).unique().height == 1
    assert changes.filter(pl.col("rule") == "C6_inferred").height == 6 - depth


def test_a_filler_is_never_copied_and_is_replaced_by_the_groups_subfamily():
    sciarid = path("Arthropoda", "Insecta", "Diptera", "Sciaridae")
    labels = labels_frame(
        [
            {**sciarid, "barcode_key": 1, "subfamily": "unassigned Sciaridae", "genus": "Bradysia"},
            {**sciarid, "barcode_key": 1},
            {**sciarid, "barcode_key": 2, "subfamily": "Sciarinae", "genus": "Pseudosciara"},
            {**sciarid, "barcode_key": 2, "subfamily": "unassigned Sciaridae"},
        ]
    )
    inferred, changes = infer(labels, empty(CHANGES_SCHEMA))
    assert inferred.select("subfamily", "genus").rows() == [
        ("unassigned Sciaridae", "Bradysia"),
        (None, "Bradysia"),  # the filler is not copied; completion decides later
        ("Sciarinae", "Pseudosciara"),
        ("Sciarinae", "Pseudosciara"),  # the filler was no annotation: the group's subfamily
    ]
    assert changes.select("processid", "column", "before", "rule").rows() == [
        ("P0002", "genus", None, "C6_inferred"),
        ("P0004", "subfamily", "unassigned Sciaridae", "C6_inferred"),
        ("P0004", "genus", None, "C6_inferred"),
    ]
    curated, _ = infer_only(labels)
    assert curated["inferred_ranks"].to_list() == [0, 2, 0, 3]
    assert curated["subfamily"].to_list()[:2] == ["unassigned Sciaridae"] * 2


def test_given_inferred_ranks_are_kept():
    """A release read back states its codes; re-curating it keeps them (the larger wins)."""
    labels = labels_frame(
        [
            {**FULL, "barcode_key": 1, "given_inferred_ranks": 3},
            {**FULL, "barcode_key": 2, "given_inferred_ranks": 0},
            {**FULL, "barcode_key": 2, "species": None, "given_inferred_ranks": 0},
            {**FULL, "barcode_key": 3, "species": None, "given_inferred_ranks": 4},
            {**FULL, "barcode_key": 3},
        ]
    )
    curated, _ = infer_only(labels)
    assert curated["inferred_ranks"].to_list() == [3, 0, 1, 4, 0]
    assert curated["label_was_inferred"].to_list() == [True, False, True, True, False]


def test_infer_refuses_unresolved_labels():
    labels = labels_frame(
        [{"barcode_key": 1, "family": "Phoridae"}, {"barcode_key": 1, "family": "Sciaridae"}]
    )
    with pytest.raises(ValueError, match="barcode key 1 has several family values"):
        infer_only(labels)


def test_resolve_output_feeds_infer_on_the_spec_example():
    """Nine of ten species annotations say lucifrons; an eleventh record stops at family."""
    rows = [{**FULL, "barcode_key": 1}] * 9 + [
        {**FULL, "barcode_key": 1, "species": "Megaselia scalaris"},
        {**path("Arthropoda", "Insecta", "Diptera", "Phoridae"), "barcode_key": 1},
    ]
    resolved, vote_changes = resolve(labels_frame(rows), **settings(CFG, "resolve"))
    inferred, changes = infer(resolved, vote_changes)
    curated, changes = complete(inferred, changes, **settings(CFG, "gather_curation"))
    assert curated["species"].to_list() == ["Megaselia lucifrons"] * 11
    assert curated["inferred_ranks"].to_list() == [0] * 10 + [3]
    assert changes["rule"].to_list() == ["C5_vote", "C6_inferred", "C6_inferred", "C6_inferred"]


# --- properties of the whole chain --------------------------------------------------------


def expected_inferred_ranks(changes: pl.DataFrame) -> dict[str, int]:
    """inferred_ranks recomputed from the changes table by hand: the shallowest rank C6
    filled and the homonym rule did not remove afterwards."""
    filled: dict[str, set[str]] = {}
    for processid, column, _before, _after, rule in changes.rows():
        if rule == "C6_inferred":
            filled.setdefault(processid, set()).add(column)
        elif rule == "homonym_curtail":
            filled.get(processid, set()).discard(column)
    return {
        processid: 7 - min(RANKS.index(column) for column in columns)
        for processid, columns in filled.items()
        if columns
    }


def lineages(curated: pl.DataFrame, rank: str) -> dict[str, set[tuple]]:
    """Per name at ``rank``, its distinct ancestor tuples (fillers as no subfamily)."""
    found: dict[str, set[tuple]] = {}
    for row in curated.iter_rows(named=True):
        if row[rank] is not None:
            above = [row[r] for r in RANKS[: RANKS.index(rank)]]
            above = [None if v and v.startswith("unassigned ") else v for v in above]
            found.setdefault(row[rank], set()).add(tuple(above))
    return found


def conflicting(paths: set[tuple]) -> bool:
    """Whether two of the lineages name different taxa at some rank."""
    return any(len({p[i] for p in paths} - {None}) > 1 for i in range(len(next(iter(paths)))))


@given(noisy_labels(), st.sampled_from([0.6, 0.9, 1.0]))
def test_chain_invariants(labels, threshold):
    curated, changes = curate(labels, CurationConfig(vote_threshold=threshold))
    assert curated.schema == pl.Schema(CURATED_SCHEMA)
    assert curated["processid"].to_list() == sorted(labels["processid"].to_list())
    # every record sharing a barcode key carries the same labels
    per_key = curated.group_by("barcode_key").agg(pl.struct(RANKS).n_unique().alias("paths"))
    assert per_key["paths"].max() == 1
    # no released species disagrees with its genus
    assert (
        names.first_word(curated["species"].drop_nulls()) == curated.drop_nulls("species")["genus"]
    ).all()
    # no open-nomenclature species survives
    assert curated.filter(names.is_open_nomenclature(pl.col("species"))).is_empty()
    # a filler never ends a record, always names the record's family, and genus -> subfamily
    # is a function
    filler = names.is_filler(pl.col("subfamily"))
    assert curated.filter(filler & pl.col("genus").is_null()).is_empty()
    assert (
        curated.filter(filler)["subfamily"] == "unassigned " + curated.filter(filler)["family"]
    ).all()
    placed = (
        curated.drop_nulls(["genus", "subfamily"])
        .group_by("genus")
        .agg(pl.col("subfamily").n_unique())
    )
    assert placed["subfamily"].max() in (None, 1)
    # no genus or species name sits under two conflicting lineages
    for rank in ("genus", "species"):
        assert not any(conflicting(paths) for paths in lineages(curated, rank).values())
    # taxon is the deepest real label
    for row in curated.iter_rows(named=True):
        real = [row[r] for r in RANKS if row[r] and not row[r].startswith("unassigned ")]
        assert row["taxon"] == (real[-1] if real else None)
    # inferred_ranks agrees with the changes table
    expected = expected_inferred_ranks(changes)
    actual = dict(zip(curated["processid"], curated["inferred_ranks"], strict=True))
    assert actual == {pid: expected.get(pid, 0) for pid in actual}
    assert (curated["label_was_inferred"] == (curated["inferred_ranks"] > 0)).all()


@given(noisy_labels(), st.sampled_from([0.6, 0.9]))
def test_an_outvoted_record_never_contributes_a_deeper_label(labels, threshold):
    """Where C5 relabelled a record at some rank, every deeper label its barcode ends with was
    annotated by a record that was not outvoted (the outvoted one's own are void)."""
    cfg = CurationConfig(vote_threshold=threshold)
    curated, changes = curate(labels, cfg)
    relabelled = changes.filter(pl.col("rule") == "C5_vote")
    if relabelled.is_empty():
        return
    # What each record said after normalisation: the changes up to (not including) the vote.
    values = {(row["processid"], r): row[r] for row in labels.iter_rows(named=True) for r in RANKS}
    for processid, column, _before, after, rule in changes.rows():
        if rule.startswith(("C5", "C6", "homonym", "C4")):
            continue
        values[processid, column] = after
    key_of = dict(zip(curated["processid"], curated["barcode_key"], strict=True))
    outvoted = dict(relabelled.select("processid", "column").rows())
    final = {row["processid"]: row for row in curated.iter_rows(named=True)}
    for processid, column in outvoted.items():
        key = key_of[processid]
        voters = [p for p, k in key_of.items() if k == key and p not in outvoted]
        for rank in RANKS[RANKS.index(column) + 1 :]:
            label = final[processid][rank]
            if label is not None and not label.startswith("unassigned "):
                assert label in {values[p, rank] for p in voters} or rank == "subfamily", (
                    processid,
                    rank,
                )


@given(noisy_labels())
def test_a_curated_table_curated_again_is_unchanged(labels):
    """Round trip: the curated labels (with their inferred_ranks) fed back as input come out
    identical, and no rule finds anything to change but the filler bookkeeping."""
    curated, _ = curate(labels)
    again_input = conform(
        curated.with_columns(pl.col("inferred_ranks").alias("given_inferred_ranks")),
        LABELS_SCHEMA,
    )
    again, changes = curate(again_input)
    assert_frame_equal(
        again.drop("label_was_reworded", "label_was_dropped"),
        curated.drop("label_was_reworded", "label_was_dropped"),
    )
    assert changes.is_empty()


@given(noisy_labels(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_chain_does_not_depend_on_sharding_or_row_order(labels, count, rng: random.Random):
    """Shuffled rows, barcode keys split at random over 1-3 shards (one global variant map):
    concatenated and sorted, the result is the unsharded run's."""
    owners = {key: rng.randrange(count) for key in sorted(labels["barcode_key"].unique())}
    shards = [[key for key, owner in owners.items() if owner == index] for index in range(count)]
    shuffled = labels.sample(fraction=1.0, shuffle=True, seed=rng.randrange(1000))
    expected = curate(labels)
    actual = curate(shuffled, key_shards=shards)
    assert_frame_equal(actual[0], expected[0])
    assert_frame_equal(actual[1], expected[1])


def test_an_empty_shard_gives_empty_outputs():
    curated, changes = curate(empty(LABELS_SCHEMA))
    assert curated.is_empty() and curated.schema == pl.Schema(CURATED_SCHEMA)
    assert changes.is_empty() and changes.schema == pl.Schema(CHANGES_SCHEMA)
