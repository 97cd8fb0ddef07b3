"""Assembling the release: joins, row order, derived columns and the refusals of emit.assemble."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas._libs.parsers import STR_NA_VALUES

from curation.release import assemble as emit
from curation.release import derive
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLITS
from tests.release_frames import inputs_from_rows, synthetic_inputs

ROWS = [
    {"processid": "B2-22", "split": "train", "genus": "Megaselia", "species": "Megaselia scalaris"},
    {"processid": "A1-22", "split": "pretrain", "family": "Phoridae"},
    {"processid": "C3-22", "split": "val", "genus": "Megaselia", "species": "Megaselia scalaris"},
    {"processid": "A0-22", "split": "train", "genus": "Aus", "species": "Aus bus"},
    {"processid": "D4-22", "split": "other_heldout", "genus": "Cus", "species": "Cus sp. 7"},
]


def test_release_has_the_contract_columns_in_release_order():
    release = emit.assemble(**inputs_from_rows(ROWS))
    assert release.schema == pl.Schema(RELEASE_PARQUET_SCHEMA)
    assert release.select("split", "processid").rows() == [
        ("pretrain", "A1-22"),
        ("train", "A0-22"),
        ("train", "B2-22"),
        ("val", "C3-22"),
        ("other_heldout", "D4-22"),
    ]


def test_labels_come_from_curation_and_the_rest_from_records():
    inputs = inputs_from_rows(ROWS)
    inputs["records"] = inputs["records"].with_columns(
        species=pl.lit("raw name"), country=pl.lit("Canada")
    )
    release = emit.assemble(**inputs)
    assert "raw name" not in release["species"].to_list()
    assert set(release["country"]) == {"Canada"}


def test_image_path_and_chunk_follow_the_released_images():
    # docs/curation.md#chunk: AACTA1040-20 -> pretrain/00, AACTA1026-20 -> train/0,
    # AACTA161-20 -> val.
    rows = [
        {"processid": "AACTA1040-20", "split": "pretrain"},
        {"processid": "AACTA1026-20", "split": "train", "species": "Aus bus"},
        {"processid": "AACTA161-20", "split": "val", "species": "Aus bus"},
    ]
    release = emit.assemble(**inputs_from_rows(rows))
    assert dict(zip(release["processid"], release["chunk"], strict=True)) == {
        "AACTA1040-20": "00",
        "AACTA1026-20": "0",
        "AACTA161-20": "",
    }
    assert dict(zip(release["processid"], release["image_path"], strict=True)) == {
        "AACTA1040-20": "bioscan5m/images/cropped_256/pretrain/00/AACTA1040-20.jpg",
        "AACTA1026-20": "bioscan5m/images/cropped_256/train/0/AACTA1026-20.jpg",
        "AACTA161-20": "bioscan5m/images/cropped_256/val/AACTA161-20.jpg",
    }


def test_chunk_width_follows_the_split_and_nan_measurements_are_null():
    inputs = inputs_from_rows(ROWS)
    inputs["records"] = inputs["records"].with_columns(**{"coord-lat": pl.lit(float("nan"))})
    release = emit.assemble(**inputs)
    widths = dict(release.select("split", pl.col("chunk").str.len_chars()).unique().iter_rows())
    assert widths == {split: derive.CHUNK_DIGITS[split] for split in widths}
    assert release.filter(pl.col("split") == "val")["chunk"].to_list() == [""]
    assert release["coord-lat"].null_count() == release.height


def test_side_files_replace_the_records_columns_and_absent_specimens_get_null():
    inputs = inputs_from_rows(
        [{**r, "area_fraction": 0.5, "index_bioscan_1M_insect": 9} for r in ROWS]
    )
    index = pl.DataFrame({"processid": ["A0-22", "ZZ-22"], "index_bioscan_1M_insect": [3, 4]})
    crops = pl.DataFrame(
        {"processid": ["B2-22"], "area_fraction": [0.0703], "scale_factor": [0.7578]}
    )
    release = emit.assemble(**inputs, bioscan1m_index=index, crop_measures=crops)
    by_id = {r["processid"]: r for r in release.iter_rows(named=True)}
    assert by_id["A0-22"]["index_bioscan_1M_insect"] == 3
    assert by_id["B2-22"]["index_bioscan_1M_insect"] is None
    assert (by_id["B2-22"]["area_fraction"], by_id["B2-22"]["scale_factor"]) == (0.0703, 0.7578)
    assert by_id["A0-22"]["area_fraction"] is None


def test_without_side_files_the_records_values_are_carried():
    inputs = inputs_from_rows(
        [{**r, "area_fraction": 0.25, "index_bioscan_1M_insect": 9} for r in ROWS]
    )
    release = emit.assemble(**inputs)
    assert set(release["area_fraction"]) == {0.25}
    assert set(release["index_bioscan_1M_insect"]) == {9}


def test_lazy_inputs_give_the_same_release():
    inputs = inputs_from_rows(ROWS)
    lazy = {name: frame.lazy() for name, frame in inputs.items()}
    assert emit.assemble(**lazy).equals(emit.assemble(**inputs))


@pytest.mark.parametrize("table", ["records", "curated", "splits"])
def test_a_specimen_missing_from_one_input_stops_the_build(table):
    inputs = inputs_from_rows(ROWS)
    inputs[table] = inputs[table].filter(pl.col("processid") != "C3-22")
    with pytest.raises(emit.ReleaseError, match=r"C3-22") as err:
        emit.assemble(**inputs)
    assert table in str(err.value)


def test_a_duplicated_processid_stops_the_build():
    inputs = inputs_from_rows(ROWS)
    inputs["splits"] = pl.concat([inputs["splits"], inputs["splits"].head(1)])
    with pytest.raises(
        emit.ReleaseError, match=r"splits: 1 processids occur more than once, e.g. A0-22"
    ):
        emit.assemble(**inputs)


def test_barcodes_are_joined_back_by_key_with_their_n_padding():
    rows = [
        {"processid": "A1-22", "split": "pretrain", "dna_barcode": "ACGT"},
        {"processid": "A2-22", "split": "pretrain", "dna_barcode": "NNACGTN"},
        {"processid": "A3-22", "split": "pretrain", "dna_barcode": "CCGT"},
    ]
    inputs = inputs_from_rows(rows)
    assert inputs["barcodes"]["sequence"].to_list() == ["ACGT", "CCGT"]
    release = emit.assemble(**inputs)
    assert dict(zip(release["processid"], release["dna_barcode"], strict=True)) == {
        "A1-22": "ACGT",
        "A2-22": "NNACGTN",
        "A3-22": "CCGT",
    }


@pytest.mark.parametrize(
    ("barcodes", "message"),
    [
        (lambda b: b.head(1), r"records have a barcode key that is not in the barcode table"),
        (lambda b: pl.concat([b, b.head(1)]), r"not one row per barcode key 0 to n-1"),
        (lambda b: b.with_columns(barcode_key=pl.col("barcode_key") + 1), r"not one row per"),
        (lambda b: b.with_columns(sequence=None), r"keys without a sequence"),
    ],
)
def test_a_barcode_table_that_does_not_cover_the_keys_stops_the_build(barcodes, message):
    inputs = inputs_from_rows(ROWS)
    inputs["barcodes"] = barcodes(inputs["barcodes"])
    with pytest.raises(emit.ReleaseError, match=message):
        emit.assemble(**inputs)


@pytest.mark.parametrize("value", [None, 7])
def test_inferred_ranks_must_be_a_code_0_to_6(value):
    inputs = inputs_from_rows(ROWS)
    inputs["curated"] = inputs["curated"].with_columns(
        inferred_ranks=pl.when(pl.col("processid") == "D4-22")
        .then(value)
        .otherwise(0)
        .cast(pl.UInt8)
    )
    with pytest.raises(emit.ReleaseError, match=r"inferred_ranks .* e.g. D4-22"):
        emit.assemble(**inputs)


def test_the_na_token_list_is_pandas_own():
    assert emit.PANDAS_NA_TOKENS == set(STR_NA_VALUES)


RELEASE = emit.assemble(**inputs_from_rows(ROWS))


@pytest.mark.parametrize("token", sorted(STR_NA_VALUES))
@pytest.mark.parametrize("column", ["species", "province_state", "sampleid", "dna_bin"])
def test_text_that_pandas_reads_as_missing_is_refused(token, column):
    bad = RELEASE.with_columns(
        pl.when(pl.col("processid") == "C3-22")
        .then(pl.lit(token))
        .otherwise(pl.col(column))
        .alias(column)
    )
    with pytest.raises(emit.ReleaseError, match=rf"column '{column}' .*C3-22="):
        emit.check_values(bad)


def test_assemble_refuses_na_tokens_from_its_inputs():
    rows = [dict(r) for r in ROWS]
    rows[2]["species"] = "None"
    with pytest.raises(
        emit.ReleaseError,
        match=r"column 'species' holds text that pandas reads as missing \(C3-22='None'\)",
    ):
        emit.assemble(**inputs_from_rows(rows))


SYNTHETIC = synthetic_inputs(40, seed=3)
EXPECTED = emit.assemble(
    SYNTHETIC["records"], SYNTHETIC["curated"], SYNTHETIC["splits"], SYNTHETIC["barcodes"]
)


@settings(max_examples=30)
@given(st.permutations(range(40)))
def test_release_does_not_depend_on_input_row_order(order):
    inputs, expected = SYNTHETIC, EXPECTED
    shuffled = {name: inputs[name][list(order)] for name in ("records", "curated", "splits")}
    keys = inputs["barcodes"].height
    shuffled["barcodes"] = inputs["barcodes"][[i for i in order if i < keys]]
    assert emit.assemble(**shuffled).equals(expected)


def test_every_split_value_is_one_of_the_eight():
    inputs = synthetic_inputs(300, seed=5)
    release = emit.assemble(
        inputs["records"], inputs["curated"], inputs["splits"], inputs["barcodes"]
    )
    assert set(release["split"].cast(pl.String)) <= set(SPLITS)
    assert release.height == 300
