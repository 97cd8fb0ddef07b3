"""Stable partitioning (docs/curation.md#stable-partitioning): the policy's cases one by one,
and properties over random pairs of releases."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.partition import stable
from curation.partition.splits import PartitionError, partition
from curation.partition.stable import stable_partition
from schemas.config import PartitionConfig
from schemas.tables import MOVE_REASONS, SPLIT_DTYPE, SPLIT_MOVES_SCHEMA, SPLITS_SCHEMA
from tests.unit.test_partition import A8_LAYOUTS, curated, tables

CFG = PartitionConfig()


def barcodes_of(frame: pl.DataFrame, shift: int = 0) -> pl.DataFrame:
    """A sequence per key (``ACGT`` + the key number, N-padded on odd keys for the stripping);
    ``shift`` renumbers the keys, as another release numbers them."""
    keys = frame.select(pl.col("barcode_key").unique().sort())
    return keys.select(
        barcode_key=pl.col("barcode_key") + shift,
        sequence=pl.format("ACGT{}", pl.col("barcode_key").cast(pl.String)),
    )


def released(frame: pl.DataFrame, cfg: PartitionConfig = CFG) -> pl.DataFrame:
    """The release a from-scratch build of ``frame`` publishes: processid, split, species,
    dna_barcode (N-padded, as a raw barcode may be)."""
    splits, _ = partition(frame, cfg)
    sequences = barcodes_of(frame).with_columns(dna_barcode="NN" + pl.col("sequence") + "N")
    joined = splits.join(frame, on="processid").join(sequences, on="barcode_key")
    return joined.sort("processid")  # as curation.evolve.releases reads a release


def run(previous: pl.DataFrame, frame: pl.DataFrame, shift: int = 0):
    """Stable partitioning of ``frame`` after ``previous``; keys of ``frame`` renumbered."""
    renumbered = frame.with_columns(pl.col("barcode_key") + shift)
    return stable_partition(renumbered, barcodes_of(frame, shift), previous, CFG)


def split_of(splits: pl.DataFrame, processids: list[str]) -> set[str]:
    return set(splits.filter(pl.col("processid").is_in(processids))["split"].cast(pl.String))


@pytest.fixture(scope="module")
def a8() -> pl.DataFrame:
    return curated(A8_LAYOUTS)


def test_same_data_moves_nothing_and_gives_the_same_splits(a8):
    splits, checks, moves = run(released(a8), a8, shift=1000)
    assert moves.is_empty() and moves.schema == pl.Schema(SPLIT_MOVES_SCHEMA)
    assert splits.equals(partition(a8, CFG)[0])
    assert checks["stable"]["kept"] == a8.height and checks["stable"]["passed"]
    assert set(checks["stable"]["moved"]) == set(MOVE_REASONS)


def test_evaluation_splits_are_topped_up_with_new_records_only(a8):
    previous = released(a8.sample(fraction=0.8, seed=3))
    splits, checks, moves = run(previous, a8)
    assert splits.schema == pl.Schema(SPLITS_SCHEMA)
    assert splits["processid"].is_sorted() and moves["processid"].is_sorted()
    assert all(check["passed"] for check in checks["invariants"])
    assert moves.is_empty()
    assert checks["steps"]["test"]["new_keys"] > 0 and checks["steps"]["test_unseen"]["new_keys"]
    # New records enter an evaluation split by a key picked now, or by a kept key of it.
    new = splits.join(previous, on="processid", how="anti").join(a8, on="processid")
    gained = new.filter(pl.col("split").is_in(["test", "val", "test_unseen", "val_unseen"]))
    kept_keys = gained.filter(pl.col("barcode_key").is_in(previous["barcode_key"].implode()))
    steps = checks["steps"]
    added = sum(steps[s]["new_records"] for s in ("test", "val", "test_unseen", "val_unseen"))
    assert gained.height - kept_keys.height == added + steps["val_long_tail"]["taken"] > 0


def test_withdrawn_record_is_reported(a8):
    previous = released(a8)
    gone = previous.filter(pl.col("split") == "test")["processid"][0]
    _, _, moves = run(previous, a8.filter(pl.col("processid") != gone))
    row = moves.filter(pl.col("processid") == gone).row(0, named=True)
    assert row["split"] is None and row["reason"] == "withdrawn"


def test_named_placeholder_moves_from_unseen_to_seen(a8):
    previous = released(a8)
    named = a8.with_columns(
        species=pl.col("species").replace("Orthocentrus Malaise5315", "Orthocentrus novus")
    )
    splits, _, moves = run(previous, named)
    ids = a8.filter(pl.col("species") == "Orthocentrus Malaise5315")["processid"].to_list()
    assert split_of(splits, ids) <= {"train", "val", "test"}
    reasons = moves.filter(pl.col("processid").is_in(ids))
    assert reasons.height == len(ids) and set(reasons["reason"]) == {"species_named"}


def test_removed_label_goes_to_pretrain(a8):
    previous = released(a8)
    species = "Glyptapanteles meganmiltonae"
    stripped = a8.with_columns(
        species=pl.when(pl.col("species") == species).then(None).otherwise("species"),
        genus=pl.when(pl.col("species") == species).then(None).otherwise("genus"),
    )
    splits, _, moves = run(previous, stripped)
    ids = a8.filter(pl.col("species") == species)["processid"].to_list()
    assert split_of(splits, ids) == {"pretrain"}
    assert set(moves.filter(pl.col("processid").is_in(ids))["reason"]) == {"label_removed"}


def test_new_record_of_a_kept_key_joins_its_split(a8):
    previous = released(a8)
    key, species = (
        previous.filter(pl.col("split") == "test").select("barcode_key", "species").row(0)
    )
    extra = pl.DataFrame(
        {"processid": ["Q000001"], "genus": [species.split()[0]], "species": [species]}
    ).with_columns(barcode_key=pl.lit(key, dtype=pl.UInt32))
    splits, _, moves = run(previous, pl.concat([a8, extra.select(a8.columns)]))
    assert split_of(splits, ["Q000001"]) == {"test"}
    assert moves.is_empty()


def test_withdrawn_records_barcode_keeps_its_split(a8):
    """The only record of a val key is withdrawn; a new record with that barcode (a new key
    number) still goes to val: linked by sequence, not by key number."""
    previous = released(a8)
    val = previous.filter(pl.col("split") == "val").group_by("barcode_key").len()
    key = val.filter(pl.col("len") == 1).sort("barcode_key")["barcode_key"][0]
    old = a8.filter(pl.col("barcode_key") == key)
    new = old.with_columns(processid=pl.lit("Q000002"))
    frame = pl.concat([a8.filter(pl.col("barcode_key") != key), new])
    splits, _, moves = run(previous, frame, shift=7)
    assert split_of(splits, ["Q000002"]) == {"val"}
    assert moves["reason"].to_list() == ["withdrawn"]


def test_key_that_joins_two_splits_goes_to_training(a8):
    """A record re-sequenced onto a train key carries its test split into it: the key goes to
    train, and the record moves with the reason key_joins_splits."""
    previous = released(a8)
    species = "Megaselia lucifrons"
    rows = previous.filter(pl.col("species") == species)
    tested = rows.filter(pl.col("split") == "test")["processid"][0]
    train_key = rows.filter(pl.col("split") == "train")["barcode_key"][0]
    frame = a8.with_columns(
        barcode_key=pl.when(pl.col("processid") == tested)
        .then(pl.lit(train_key, dtype=pl.UInt32))
        .otherwise("barcode_key")
    )
    splits, _, moves = run(previous, frame)
    assert split_of(splits, [tested]) == {"train"}
    assert moves.filter(pl.col("processid") == tested)["reason"].to_list() == ["key_joins_splits"]


def test_held_out_species_that_grows_becomes_unseen():
    """A held-out species of 5 records that grows to 9 is unseen by the original rules; its 5
    records leave other_heldout with the reason species_set_changed."""
    frame = curated({**A8_LAYOUTS, "Orthocentrus Malaise9999": [1] * 5})
    previous = released(frame)
    ids = frame.filter(pl.col("species") == "Orthocentrus Malaise9999")["processid"].to_list()
    assert split_of(previous, ids) == {"other_heldout"}
    key = frame["barcode_key"].max() + 1
    grown = pl.DataFrame(
        {
            "processid": [f"Q{i:06d}" for i in range(4)],
            "genus": ["Orthocentrus"] * 4,
            "species": ["Orthocentrus Malaise9999"] * 4,
            "barcode_key": [key + i for i in range(4)],
        },
        schema=frame.schema,
    ).select(frame.columns)
    splits, _, moves = run(previous, pl.concat([frame, grown]))
    assert split_of(splits, [*ids, *grown["processid"]]) <= {
        "key_unseen",
        "val_unseen",
        "test_unseen",
    }
    assert moves["processid"].to_list() == ids
    assert set(moves["reason"]) == {"species_set_changed"}


def test_previous_release_without_a_column_is_refused(a8):
    with pytest.raises(PartitionError, match="dna_barcode"):
        run(released(a8).drop("dna_barcode"), a8)


# --- properties ---------------------------------------------------------------------------


@st.composite
def release_pairs(draw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(release N's table, N+1's curated table) from one random population: N a subsample of
    it with some barcode keys labelled otherwise (another species of the population, or none), N+1
    the population less some of N's records (withdrawn)."""
    population = draw(tables().filter(lambda frame: frame.height > 0))
    seed = draw(st.integers(0, 2**16))
    earlier = population.sample(fraction=draw(st.sampled_from([0.5, 0.8, 1.0])), seed=seed)
    ids = earlier["processid"].sort().to_list()
    keys = earlier["barcode_key"].unique().sort().to_list()
    relabelled = draw(
        st.lists(st.sampled_from(keys), max_size=3, unique=True) if keys else st.just([])
    )
    species = population["species"].drop_nulls().unique().sort().to_list()
    name = draw(st.sampled_from([None, *species]))
    chosen = pl.col("barcode_key").is_in(relabelled)
    earlier = earlier.with_columns(
        species=pl.when(chosen).then(pl.lit(name, dtype=pl.String)).otherwise("species"),
        genus=pl.when(chosen)
        .then(pl.lit(name.split(" ")[0] if name else None, dtype=pl.String))
        .otherwise("genus"),
    )
    withdrawn = draw(
        st.lists(st.sampled_from(ids), max_size=5, unique=True) if ids else st.just([])
    )
    current = population.filter(~pl.col("processid").is_in(withdrawn))
    try:
        previous = released(earlier)
    except PartitionError:  # a relabelling the original partitioner itself refuses
        previous = released(population.head(0))
    return previous, current


@settings(max_examples=60, deadline=None)
@given(release_pairs())
def test_stable_properties(pair):
    previous, frame = pair
    try:
        splits, checks, moves = run(previous, frame, shift=3)
    except PartitionError:
        # Only where the original partitioner fails on the same data.
        with pytest.raises(PartitionError):
            partition(frame, CFG)
        return
    assert all(check["passed"] for check in checks["invariants"])  # invariants.py, all of them
    joined = splits.join(frame, on="processid")
    assert (
        joined.group_by("barcode_key")
        .agg(pl.col("split").n_unique())
        .filter(pl.col("split") > 1)
        .is_empty()
    )
    # Every previous record keeps its split or is reported with a reason the policy names.
    compared = previous.select("processid", before="split").join(
        splits.select("processid", "split"), on="processid", how="left"
    )
    changed = compared.filter(pl.col("split").is_null() | (pl.col("split") != pl.col("before")))
    assert changed["processid"].to_list() == moves["processid"].to_list()
    assert "unexplained" not in set(moves["reason"].cast(pl.String))
    assert checks["stable"]["passed"]


@settings(max_examples=30, deadline=None)
@given(tables())
def test_previous_equal_to_a_scratch_build_moves_nothing(frame):
    try:
        previous = released(frame)
    except PartitionError:
        return
    splits, _, moves = run(previous, frame, shift=11)
    assert moves.is_empty()
    assert splits.equals(partition(frame, CFG)[0])


def test_worked_example_of_the_docs():
    """docs/curation.md#stable-partitioning, Example."""
    layout = {"Aus bus": [6, 4, 1], "Aus Malaise0001": [1] * 12, "Bus dus": [1] * 30}
    frame = curated(layout)
    previous = released(frame)
    by_key = (
        previous.filter(pl.col("species") == "Aus bus")
        .group_by("barcode_key")
        .agg(pl.col("split").unique().first(), pl.len())
    )
    assert dict(by_key.select("len", "split").iter_rows()) == {6: "train", 4: "test", 1: "val"}
    test_key = by_key.filter(pl.col("split") == "test")["barcode_key"][0]
    p5 = previous.filter(pl.col("barcode_key") == test_key)["processid"][0]
    new_key = frame["barcode_key"].max() + 1
    added = pl.DataFrame(
        {
            "processid": ["P20", *[f"Q{i}" for i in range(5)]],
            "genus": ["Aus"] * 6,
            "species": ["Aus bus"] * 6,
            "barcode_key": [test_key, *[new_key] * 5],
        },
        schema=frame.schema,
    ).select(frame.columns)
    current = pl.concat([frame.filter(pl.col("processid") != p5), added]).with_columns(
        species=pl.col("species").replace("Aus Malaise0001", "Aus cus")
    )
    splits, checks, moves = run(previous, current)
    assert split_of(splits, ["P20"]) == {"test"}
    assert split_of(splits, [f"Q{i}" for i in range(5)]) == {"train"}
    assert moves.filter(pl.col("processid") == p5)["reason"].to_list() == ["withdrawn"]
    named = moves.filter(pl.col("reason") == "species_named")
    assert named.height == 12 and set(named["previous_split"]) >= {"key_unseen"}
    cus = current.filter(pl.col("species") == "Aus cus")["processid"].to_list()
    assert "test" in split_of(splits, cus) and "train" in split_of(splits, cus)
    assert moves.height == 13 and checks["stable"]["kept"] == previous.height - 13


@pytest.mark.parametrize(
    ("reasons", "passed"),
    [(["withdrawn", "withdrawn"], False), (["withdrawn"], True), ([], True)],
)
def test_an_unrelated_previous_release_fails_the_overlap_check(reasons, passed):
    """Two previous records: all withdrawn means the build followed a release it shares nothing
    with (a wrong path), which the report must not call a pass."""
    previous = pl.DataFrame({"processid": ["A", "B"]})
    moves = pl.DataFrame({"reason": reasons}, schema={"reason": pl.String})
    check = stable.overlap_check(previous, moves)
    assert check["passed"] is passed and check["shared_records"] == 2 - len(reasons)
    assert stable.overlap_check(previous.clear(), moves.clear())["passed"]


def test_a_key_of_ns_pretrain_records_is_anchored_to_its_sets_training_split():
    """Key 1's records were in N's pretrain and now have a seen species; key 2's an unseen one;
    key 3 was in test; key 4 is new. A model pretrained on N has seen keys 1 and 2."""
    labelled = pl.DataFrame(
        {
            "processid": ["A", "B", "C", "D", "E"],
            "barcode_key": pl.Series([1, 1, 2, 3, 4], dtype=pl.UInt32),
            "set": ["seen", "seen", "unseen", "seen", "seen"],
        }
    )
    previous = pl.DataFrame(
        {"processid": ["A", "C", "D"], "split": ["pretrain", "pretrain", "test"]},
        schema_overrides={"split": SPLIT_DTYPE},
    ).with_columns(dna_barcode=pl.lit(None, pl.String))
    barcodes = pl.DataFrame(
        {"barcode_key": pl.Series([1, 2, 3, 4], dtype=pl.UInt32), "sequence": list("ACGT")}
    )
    keys = stable._anchored_keys(labelled, barcodes, previous)
    assert keys.select("barcode_key", "split").rows() == [
        (1, "train"),
        (2, "key_unseen"),
        (3, "test"),
        (4, None),
    ]
