"""The dataset card: the Hugging Face Hub's YAML header and a body that says what the release is."""

import polars as pl
import pytest
import yaml

from curation.release import card
from schemas.config import PipelineConfig
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLITS

RELEASE = PipelineConfig().release.model_dump(mode="json", include=set(card.RELEASE_SETTINGS))
SPLIT_FILES = {s: f"metadata/parquet/splits/{s}.parquet" for s in SPLITS}


def tables(records: dict[str, int]) -> dict[str, pl.DataFrame]:
    return {
        "table3": pl.DataFrame({"split": list(records), "rows": list(records.values())}),
        "rejects": pl.DataFrame({"reason": ["no_barcode"], "rows": [7]}),
        "curation_rules": pl.DataFrame(
            {"rule": ["C5_vote", "C7_open_nomenclature"], "labels": [3, 0], "records": [2, 0]}
        ),
    }


def header(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_the_header_maps_each_split_to_its_file_with_explicit_features():
    records = {s: 10 + i for i, s in enumerate(SPLITS)}
    meta = header(card.render(RELEASE, SPLIT_FILES, tables(records), "ab" * 32, "cd" * 8))
    [config] = meta["configs"]
    assert config["config_name"] == "release-" + "cd" * 8 and config["default"] is True
    assert meta["dataset_info"]["config_name"] == config["config_name"]
    assert config["data_files"] == [{"split": s, "path": SPLIT_FILES[s]} for s in SPLITS]
    features = meta["dataset_info"]["features"]
    assert [f["name"] for f in features] == list(RELEASE_PARQUET_SCHEMA)
    dtypes = {f["name"]: f["dtype"] for f in features}
    assert dtypes["inferred_ranks"] == "uint8" and dtypes["coord-lat"] == "float64"
    assert dtypes["species"] == "string" and dtypes["index_bioscan_1M_insect"] == "int64"
    assert dtypes["split"] == "string" and dtypes["bin_conflict"] == "bool"
    assert meta["license"] == "cc-by-3.0" and meta["size_categories"] == ["n<1K"]


def test_an_empty_split_is_left_out_of_the_configs():
    # datasets refuses to load a split without rows ("corresponds to no data")
    records = {s: 0 if s == "val_unseen" else 5 for s in SPLITS}
    meta = header(card.render(RELEASE, SPLIT_FILES, tables(records), "ab" * 32, "cd" * 8))
    assert [f["split"] for f in meta["configs"][0]["data_files"]] == [
        s for s in SPLITS if s != "val_unseen"
    ]
    text = card.render(RELEASE, SPLIT_FILES, tables(records), "ab" * 32, "cd" * 8)
    assert "the 7 splits with records (pretrain, train, val, test, key_unseen, test_unseen" in text


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ("https://creativecommons.org/licenses/by/4.0/", {"license": "cc-by-4.0"}),
        (
            "https://example.org/our-licence",
            {
                "license": "other",
                "license_name": "https://example.org/our-licence",
                "license_link": "https://example.org/our-licence",
            },
        ),
    ],
)
def test_the_licence_is_a_hub_identifier_or_a_link(licence, expected):
    meta = card.metadata(
        {**RELEASE, "license": licence}, SPLIT_FILES, dict.fromkeys(SPLITS, 1), "cd" * 8
    )
    assert {k: meta[k] for k in expected} == expected


def test_the_body_has_the_loading_summary_licence_and_citation():
    records = dict.fromkeys(SPLITS, 1000)
    text = card.render(RELEASE, SPLIT_FILES, tables(records), "ab" * 32, "cd" * 8)
    body = text.split("---\n", 2)[2]
    assert "datasets.load_dataset(" in body and 'BIOSCAN5M(root="results"' in body
    assert "8,000 records released; 7 input rows not released." in body
    assert "| C5_vote | 3 | 2 |" in body and "C7_open_nomenclature" not in body
    assert "```bibtex\n@inproceedings{gharaee2024bioscan5m," in body
    assert RELEASE["license"] in body and "ab" * 32 in body


def test_configured_text_is_shown_not_interpreted():
    hostile = {**RELEASE, "name": "<script>alert(1)</script>", "description": "a | b <img>"}
    text = card.render(hostile, SPLIT_FILES, tables(dict.fromkeys(SPLITS, 1)), "ab" * 32, "cd" * 8)
    body = text.split("---\n", 2)[2]
    assert "<script>" not in body and "&lt;script&gt;" in body and "a \\| b &lt;img&gt;" in body
    assert header(text)["pretty_name"] == hostile["name"]  # YAML quotes it


def test_statistics_read_back_from_csv_keep_their_types_when_empty(tmp_path):
    # emit_card reads the tables from their CSV files; an empty one must still count as 0
    paths = {}
    for name, frame in tables(dict.fromkeys(SPLITS, 1)).items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.clear().write_csv(paths[name])
    read = {
        name: pl.read_csv(paths[name], columns=list(types), schema_overrides=types)
        for name, types in card.STATISTICS.items()
    }
    read["table3"] = tables(dict.fromkeys(SPLITS, 1))["table3"]
    body = card.render(RELEASE, SPLIT_FILES, read, "ab" * 32, "cd" * 8).split("---\n", 2)[2]
    assert "8 records released; 0 input rows not released." in body
    assert "rejected because: none" in body


def test_the_content_key_names_the_data_by_its_split_files_checksums():
    key = card.content_key(["a" * 64, "b" * 64])
    assert len(key) == 16 and key != card.content_key(["b" * 64, "a" * 64])
