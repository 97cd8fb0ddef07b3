"""C6 inference, inferred_ranks, C4 again, C7, C8 taxon, flags and BIN conflicts; and the
properties of the whole chain (normalise -> resolve -> infer)."""

import random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation import names
from curation.labels.chain import curate, settings
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
    return infer(labels, empty(CHANGES_SCHEMA), **settings(cfg, "infer"))


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


def test_a_copied_filler_does_not_count_as_inferred():
    sciarid = path("Arthropoda", "Insecta", "Diptera", "Sciaridae")
    labels = labels_frame(
        [
            {
                **sciarid,
                "barcode_key": 1,
                "subfamily": "unassigned Sciaridae",
                "genus": "Alpinosciara",
            },
            {**sciarid, "barcode_key": 1},
        ]
    )
    curated, changes = infer_only(labels)
    assert curated["subfamily"].to_list() == ["unassigned Sciaridae"] * 2
    assert curated["genus"].to_list() == ["Alpinosciara"] * 2
    assert curated["inferred_ranks"].to_list() == [0, 2]  # genus copied: the filler is no label
    assert changes.select("processid", "column", "rule").rows() == [
        ("P0002", "subfamily", "C6_inferred"),
        ("P0002", "genus", "C6_inferred"),
    ]


def test_c4_again_fills_the_holes_that_inference_opens():
    labels = labels_frame(
        [
            {"barcode_key": 1, "family": None, "genus": "Alpinosciara"},
            {"barcode_key": 1, "family": "Sciaridae"},
        ]
    )
    curated, changes = infer_only(labels)
    assert curated["subfamily"].to_list() == ["unassigned Sciaridae"] * 2
    filled = changes.filter(pl.col("rule") == "C4_unassigned_subfamily_after_inference")
    assert filled["processid"].to_list() == ["P0001", "P0002"]
    assert curated["inferred_ranks"].to_list() == [4, 2]


def test_c7_removes_open_nomenclature_and_inference_does_not_copy_it():
    def record(key: int, family: str, species: str | None, genus: str | None = None) -> dict:
        genus = genus or species.split()[0]
        return {"barcode_key": key, "family": family, "genus": genus, "species": species}

    labels = labels_frame(
        [
            record(1, "Sciaridae", "Pseudosciara sp."),
            record(1, "Sciaridae", None, genus="Pseudosciara"),
            record(2, "Braconidae", "Olixon cf. testaceum"),
            record(3, "Braconidae", "Dacnusa nr. faeroeensis"),
            record(4, "Encyrtidae", "Anastatus sp. GG28"),
            record(5, "Cryptophagidae", "Cryptophilus sp. SAEVG Morph0281"),
        ]
    )
    curated, changes = infer_only(labels)
    assert curated["species"].to_list() == [
        None, None, None, None, "Anastatus sp. GG28", "Cryptophilus sp. SAEVG Morph0281"
    ]  # fmt: skip
    assert curated["taxon"].to_list()[:4] == ["Pseudosciara", "Pseudosciara", "Olixon", "Dacnusa"]
    removed = changes.filter(pl.col("rule") == "C7_open_nomenclature")
    assert removed["processid"].to_list() == ["P0001", "P0003", "P0004"]
    untouched = changes.filter((pl.col("processid") == "P0002") & (pl.col("column") == "species"))
    assert untouched.is_empty()  # not inferred only to be dropped again
    assert curated["label_was_dropped"].to_list() == [True, False, True, True, False, False]
    kept = infer_only(labels, CurationConfig(remove_open_nomenclature=False))[0]
    assert kept["species"].null_count() == 0


def test_taxon_is_the_deepest_label_never_a_filler():
    labels = labels_frame(
        [
            FULL,
            {"family": "Sciaridae", "subfamily": "unassigned Sciaridae", "genus": "Alpinosciara"},
            {"family": "Cecidomyiidae"},
            {"order": "Diptera", "family": None},
            {"phylum": None, "class": None, "order": None},
        ]
    )
    curated, _ = infer_only(labels)
    assert curated["taxon"].to_list() == [
        "Megaselia lucifrons", "Alpinosciara", "Cecidomyiidae", "Diptera", None
    ]  # fmt: skip


def test_bin_conflict_flags_every_record_of_the_key():
    labels = labels_frame(
        [
            {"barcode_key": 1, "dna_bin": "BOLD:AAA0001"},
            {"barcode_key": 1, "dna_bin": "BOLD:AAA0002"},
            {"barcode_key": 1, "dna_bin": None},
            {"barcode_key": 2, "dna_bin": "BOLD:AAA0003"},
            {"barcode_key": 2, "dna_bin": "BOLD:AAA0003"},
            {"barcode_key": 3, "dna_bin": None},
        ]
    )
    curated, changes = infer_only(labels)
    assert curated["bin_conflict"].to_list() == [True, True, True, False, False, False]
    assert curated["dna_bin"].to_list() == labels["dna_bin"].to_list()  # BINs are kept as given
    assert changes.is_empty()


def test_infer_refuses_unresolved_labels():
    labels = labels_frame(
        [{"barcode_key": 1, "family": "Phoridae"}, {"barcode_key": 1, "family": "Sciaridae"}]
    )
    with pytest.raises(ValueError, match="barcode key 1 has several family values"):
        infer_only(labels)


def test_flags_come_from_all_changes():
    prior = pl.DataFrame(
        [
            ("P0001", "species", "Aus  bus", "Aus bus", "C0_whitespace"),
            ("P0002", "family", "no_data", None, "C0_whitespace"),
            ("P0003", "species", "Aus Malaise386", "Aus Malaise0386", "C2_placeholder"),
            ("P0004", "genus", "Bus", None, "C5_curtail"),
        ],
        schema=CHANGES_SCHEMA,
        orient="row",
    )
    labels = labels_frame([{"barcode_key": key} for key in range(4)])
    curated, changes = infer(labels, prior, **settings(CFG, "infer"))
    assert curated["label_was_reworded"].to_list() == [True, False, True, False]
    assert curated["label_was_dropped"].to_list() == [False, False, False, True]
    assert_frame_equal(changes, prior)


# --- properties of the whole chain --------------------------------------------------------


def expected_inferred_ranks(changes: pl.DataFrame) -> dict[str, int]:
    """inferred_ranks recomputed from the changes table by hand."""
    shallowest: dict[str, int] = {}
    for processid, column, _before, after, rule in changes.rows():
        if rule == "C6_inferred" and not after.startswith("unassigned "):
            shallowest[processid] = min(shallowest.get(processid, 7), RANKS.index(column))
    return {processid: 7 - index for processid, index in shallowest.items()}


@given(noisy_labels(), st.sampled_from([0.6, 0.9, 1.0]))
def test_chain_invariants(labels, threshold):
    curated, changes = curate(labels, CurationConfig(vote_threshold=threshold))
    assert curated.schema == pl.Schema(CURATED_SCHEMA)
    assert curated["processid"].to_list() == sorted(labels["processid"].to_list())
    # every record sharing a barcode key carries the same labels
    per_key = curated.group_by("barcode_key").agg(pl.struct(RANKS).n_unique().alias("paths"))
    assert per_key["paths"].max() == 1
    # a filler subfamily never ends a record, and taxon is its deepest real label
    filler = names.is_filler(pl.col("subfamily"))
    assert curated.filter(filler & pl.col("genus").is_null()).is_empty()
    for row in curated.iter_rows(named=True):
        real = [row[r] for r in RANKS if row[r] and not row[r].startswith("unassigned ")]
        assert row["taxon"] == (real[-1] if real else None)
    # no open-nomenclature species survives
    assert curated.filter(names.is_open_nomenclature(pl.col("species"))).is_empty()
    # inferred_ranks agrees with the changes table
    expected = expected_inferred_ranks(changes)
    actual = dict(zip(curated["processid"], curated["inferred_ranks"], strict=True))
    assert actual == {pid: expected.get(pid, 0) for pid in actual}
    assert (curated["label_was_inferred"] == (curated["inferred_ranks"] > 0)).all()
    # infer is idempotent: run again on its own output, it changes nothing
    again, again_changes = infer(conform(curated, LABELS_SCHEMA), changes, **settings(CFG, "infer"))
    assert_frame_equal(again, curated)
    assert_frame_equal(again_changes, changes)


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


def test_resolve_output_feeds_infer_on_the_spec_example():
    """Nine of ten species annotations say lucifrons; an eleventh record stops at family."""
    rows = [{**FULL, "barcode_key": 1}] * 9 + [
        {**FULL, "barcode_key": 1, "species": "Megaselia scalaris"},
        {**path("Arthropoda", "Insecta", "Diptera", "Phoridae"), "barcode_key": 1},
    ]
    resolved, vote_changes = resolve(labels_frame(rows), **settings(CFG, "resolve"))
    curated, changes = infer(resolved, vote_changes, **settings(CFG, "infer"))
    assert curated["species"].to_list() == ["Megaselia lucifrons"] * 11
    assert curated["inferred_ranks"].to_list() == [0] * 10 + [3]
    assert changes["rule"].to_list() == ["C5_vote", "C6_inferred", "C6_inferred", "C6_inferred"]


def test_an_empty_shard_gives_empty_outputs():
    curated, changes = curate(empty(LABELS_SCHEMA))
    assert curated.is_empty() and curated.schema == pl.Schema(CURATED_SCHEMA)
    assert changes.is_empty() and changes.schema == pl.Schema(CHANGES_SCHEMA)
