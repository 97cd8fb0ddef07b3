"""Record scope: records of taxa outside ``input.scope`` become ``out_of_scope`` rejects
(docs/curation.md#scope)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.ingest.assemble import check_conservation
from curation.ingest.scope import DEFAULT_SCOPE, out_of_scope
from schemas.config import ConfigError, PipelineConfig, load_config
from tests.ingest_files import BARCODE, bcdm_row, ingest, write_export

#: A second barcode (one base changed), so that records can sit on distinct keys.
OTHER = BARCODE[:10] + ("G" if BARCODE[10] != "G" else "C") + BARCODE[11:]


def export(tmp_path, rows) -> str:
    return write_export(tmp_path / "export.tsv", [bcdm_row(**row) for row in rows])


def test_the_default_scope_is_arthropoda():
    assert PipelineConfig().input.scope == DEFAULT_SCOPE == {"phylum": ["Arthropoda"]}


def test_records_of_other_phyla_are_rejected_with_the_reason(tmp_path, staging):
    path = export(
        tmp_path,
        [
            {"processid": "A-1"},
            {"processid": "B-1", "phylum": "Chordata", "class": "Mammalia", "nuc": OTHER},
            {"processid": "C-1", "phylum": " arthropoda "},  # as the label rules clean it
            {"processid": "D-1", "phylum": "None", "nuc": OTHER},  # no label: kept
            {"processid": "E-1", "phylum": "Chordata", "class": "Amphibia"},
        ],
    )
    result = ingest([path], scope=DEFAULT_SCOPE)
    assert result.records["processid"].to_list() == ["A-1", "C-1", "D-1"]
    rejected = result.rejects.filter(pl.col("reason") == "out_of_scope")
    assert rejected.select("processid", "source_line", "detail").rows() == [
        ("B-1", 3, "phylum Chordata (scope: Arthropoda)"),
        ("E-1", 6, "phylum Chordata (scope: Arthropoda)"),
    ]
    summary = result.summary
    assert summary["rejects"]["out_of_scope"] == 2 and summary["released"] == 3
    assert summary["files"][0]["released"] == 3 and summary["files"][0]["rejected"] == 2
    assert summary["scope"] == {"phylum": ["Arthropoda"]}
    check_conservation(summary)
    # Barcode keys stay the dense ranks of the released records' barcodes.
    assert sorted(result.records["barcode_key"].unique()) == [0, 1]
    assert result.barcodes["barcode_key"].to_list() == [0, 1]
    assert result.labels["barcode_key"].to_list() == result.records["barcode_key"].to_list()


def test_no_scope_keeps_every_record(tmp_path, staging):
    path = export(tmp_path, [{"processid": "A-1"}, {"processid": "B-1", "phylum": "Chordata"}])
    assert ingest([path]).records.height == 2
    assert ingest([path], scope={}).records.height == 2


def test_a_scope_at_several_ranks():
    labels = pl.DataFrame(
        {
            "processid": ["a", "b", "c", "d"],
            "phylum": ["Arthropoda", "Arthropoda", "Chordata", None],
            "class": ["Insecta", "Arachnida", "Mammalia", "Arachnida"],
        }
    )
    outside = out_of_scope(labels, {"phylum": ["Arthropoda"], "class": ["Insecta", "Collembola"]})
    assert outside.rows() == [
        ("b", "class Arachnida (scope: Insecta, Collembola)"),
        ("c", "phylum Chordata (scope: Arthropoda)"),
        ("d", "class Arachnida (scope: Insecta, Collembola)"),
    ]


@pytest.mark.parametrize(
    ("scope", "message"),
    [({"tribe": ["Aini"]}, "not a rank"), ({"phylum": []}, "at least one taxon")],
)
def test_a_bad_scope_names_the_key(scope, message):
    with pytest.raises(ConfigError, match=rf"input.scope: .*{message}"):
        load_config({"input": {"scope": scope}})


@given(st.lists(st.sampled_from(["Arthropoda", "Chordata", "Mollusca", None]), max_size=12))
def test_released_plus_rejected_is_every_record(phyla):
    labels = pl.DataFrame(
        {"processid": [f"p{i}" for i in range(len(phyla))], "phylum": phyla},
        schema={"processid": pl.String, "phylum": pl.String},
    )
    outside = out_of_scope(labels, DEFAULT_SCOPE)
    assert outside.height == sum(p not in ("Arthropoda", None) for p in phyla)
