"""The Croissant description: valid for mlcroissant, loadable, true to the files it describes."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import mlcroissant as mlc
import polars as pl
import pytest

from curation.release import assemble as emit
from curation.release import croissant, stats
from curation.release import writers as release_writers
from schemas.config import PipelineConfig
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLITS
from tests.release_frames import concat_inputs, inputs_from_rows, synthetic_inputs

#: The mlcroissant command of the running interpreter's environment.
MLCROISSANT = str(Path(sys.executable).with_name("mlcroissant"))
RELEASE_CFG = {
    **PipelineConfig().release.model_dump(mode="json", include=set(croissant.RELEASE_SETTINGS)),
    "name": "BIOSCAN-5M-test",
    "description": "A test release.",
    "url": "https://example.org/bioscan5m-test",
}
#: Upstream BIOSCAN-5M pages, which a rebuilt release must not claim as its own.
UPSTREAM_PAGES = ("bioscan-ml/BIOSCAN-5M", "biodiversitygenomics.net", "zenodo.org")
INPUTS = [
    {"role": "export", "name": "BOLD_Public.tsv", "sha256": "ab" * 32, "size": 123},
    {"role": "corrections", "name": "corrections.tsv", "sha256": "cd" * 32, "size": 45},
]


def build(root, release, changes, rejects, issues, cfg=RELEASE_CFG):
    """Write the described files under ``root/metadata`` and return the path of croissant.json."""
    meta = root / "metadata"
    paths = {
        "csv": meta / "csv" / "m.csv",
        "parquet": meta / "parquet" / "m.parquet",
        **{f"split_{s}": meta / "parquet" / "splits" / f"{s}.parquet" for s in SPLITS},
        "changes": meta / "parquet" / "changes.parquet",
        "rejects": meta / "parquet" / "rejects.parquet",
        "issues": meta / "parquet" / "issues.parquet",
    }
    release_writers.write_csv(release, paths["csv"])
    frames = {
        "parquet": release,
        **{f"split_{s}": release.filter(pl.col("split") == s) for s in SPLITS},
        "changes": changes,
        "rejects": rejects,
        "issues": issues,
    }
    for key, frame in frames.items():
        release_writers.write_parquet(frame, paths[key], row_group_size=2048, metadata={})
    files = [
        croissant.ReleaseFile(
            id=file_id,
            path=paths[key].relative_to(meta).as_posix(),
            sha256=hashlib.sha256(paths[key].read_bytes()).hexdigest(),
            size=paths[key].stat().st_size,
            encoding=encoding,
            description=description,
        )
        for key, (file_id, encoding, description) in croissant.FILES.items()
    ]
    tables = stats.compute(release, changes, rejects, issues)
    provenance = croissant.Provenance(
        inputs=INPUTS,
        rules=[("C5_vote", "label replaced by the barcode's 90 % majority")],
        biases=croissant.measured_biases(
            tables["countries"], tables["tableA5"], tables["table2"], release.height
        ),
    )
    path = meta / "croissant.json"
    document = croissant.metadata(cfg, files, provenance)
    path.write_text(json.dumps(document, indent=2, sort_keys=True))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    inputs = synthetic_inputs(120, seed=2)
    small = inputs_from_rows(
        [
            {"processid": "AACTA1040-20", "split": "pretrain", "coord-lat": 10.8},  # chunk "00"
            {"processid": "AACTA161-20", "split": "val", "species": "Aus bus", "inferred_ranks": 3},
        ]
    )
    release = emit.assemble(**concat_inputs(inputs, small))
    path = build(root, release, inputs["changes"], inputs["rejects"], inputs["issues"])
    return path, release, inputs


def test_mlcroissant_validate_accepts_it(built):
    path, _, _ = built
    result = subprocess.run(
        [MLCROISSANT, "validate", "--jsonld", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "rror" not in result.stderr


def test_mlcroissant_load_reads_every_specimen(built):
    path, release, _ = built
    result = subprocess.run(
        [
            MLCROISSANT,
            "load",
            "--jsonld",
            str(path),
            "--record_set",
            "specimens",
            "--num_records",
            "-1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("'specimens/processid'") == release.height


def test_required_dataset_properties_are_present(built):
    document = json.loads(built[0].read_text())
    for key, value in (
        ("name", "BIOSCAN-5M-test"),
        ("license", RELEASE_CFG["license"]),
        ("url", RELEASE_CFG["url"]),
        ("version", "0.1.0"),
        ("datePublished", "2026-11-23"),
        ("description", "A test release."),
        ("creator", {"@type": "sc:Organization", "name": "bioscan-curation"}),
    ):
        assert document[key] == value, key
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"


def test_the_croissant_1_1_recommended_properties_are_there(built):
    document = json.loads(built[0].read_text())
    assert document["citeAs"].startswith("@inproceedings{gharaee2024bioscan5m,")
    assert "BIOSCAN-5M" in document["keywords"] and document["inLanguage"] == "en"
    assert document["publisher"] == document["creator"]
    assert document["sdLicense"] == RELEASE_CFG["license"]
    assert document["dateCreated"] == document["dateModified"] == "2026-11-23"
    for item in document["distribution"]:
        if item["@type"] == "cr:FileObject":
            size = (built[0].parent / item["contentUrl"]).stat().st_size
            assert item["contentSize"] == f"{size} B"


def test_responsible_ai_fields_say_what_was_measured(built):
    document = json.loads(built[0].read_text())
    for key in (
        "rai:dataCollection",
        "rai:dataPreprocessingProtocol",
        "rai:dataBiases",
        "rai:dataLimitations",
        "rai:personalSensitiveInformation",
    ):
        assert document[key], key
    # the measured share of the most sampled country, as the statistics count it
    _, release, _ = built
    located = release.filter(pl.col("country").is_not_null())
    top = located.group_by("country").len().sort(["len", "country"], descending=[True, False])
    share = f"{top['country'][0]} {top['len'][0] / located.height:.1%}"
    assert share in document["rai:dataBiases"][0]
    assert any(p.startswith("C5_vote: ") for p in document["rai:dataPreprocessingProtocol"])


def test_the_release_was_derived_from_its_inputs_with_their_checksums(built):
    document = json.loads(built[0].read_text())
    assert document["@context"]["prov"] == "http://www.w3.org/ns/prov#"
    sources = document["prov:wasDerivedFrom"]
    assert [(s["name"], s["sha256"], s["contentSize"]) for s in sources] == [
        (i["name"], i["sha256"], f"{i['size']} B") for i in INPUTS
    ]


def test_the_default_url_does_not_claim_the_upstream_dataset(tmp_path, built):
    _, release, inputs = built
    default = {**RELEASE_CFG, "url": PipelineConfig().release.url}
    path = build(tmp_path, release, inputs["changes"], inputs["rejects"], inputs["issues"], default)
    document = json.loads(path.read_text())
    claimed = [document.get("url", "")] + document.get("sameAs", [])
    assert not any(page in url for url in claimed for page in UPSTREAM_PAGES)
    mlc.Dataset(jsonld=path)  # still valid


def test_rank_fields_are_labels(built):
    document = json.loads(built[0].read_text())
    specimens = next(rs for rs in document["recordSet"] if rs["@id"] == "specimens")
    types = {f["name"]: f["dataType"] for f in specimens["field"]}
    assert types["species"] == ["sc:Text", "cr:Label"] and types["dna_bin"][1] == "cr:Label"
    assert types["processid"] == "sc:Text"


def test_every_file_object_carries_the_sha256_of_its_file(built):
    path = built[0]
    document = json.loads(path.read_text())
    objects = [d for d in document["distribution"] if d["@type"] == "cr:FileObject"]
    assert {d["@id"] for d in objects} == {v[0] for v in croissant.FILES.values()}
    for item in objects:
        data = (path.parent / item["contentUrl"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()


def test_specimen_fields_are_every_parquet_column_with_its_type(built):
    document = json.loads(built[0].read_text())
    specimens = next(rs for rs in document["recordSet"] if rs["@id"] == "specimens")
    types = {f["name"]: f["dataType"] for f in specimens["field"]}
    assert list(types) == list(RELEASE_PARQUET_SCHEMA)
    assert types["coord-lat"] == "sc:Float" and types["inferred_ranks"] == "sc:Integer"
    assert types["chunk"] == "sc:Text" and types["bin_conflict"] == "sc:Boolean"
    split_field = next(f for f in specimens["field"] if f["name"] == "split")
    assert split_field["references"] == {"field": {"@id": "splits/name"}}
    assert split_field["source"]["fileSet"] == {"@id": croissant.SPLIT_FILE_SET}
    assert split_field["source"]["extract"] == {"fileProperty": "filename"}


def test_splits_are_a_cr_split_record_set_of_the_eight_names(built):
    dataset = mlc.Dataset(jsonld=built[0])
    document = json.loads(built[0].read_text())
    splits = next(rs for rs in document["recordSet"] if rs["@id"] == "splits")
    assert splits["dataType"] == "cr:Split"
    names = [r["splits/name"] for r in dataset.records(record_set="splits")]
    assert [n.decode() if isinstance(n, bytes) else n for n in names] == list(SPLITS)


def test_every_record_set_loads_and_matches_the_files(built):
    path, release, inputs = built
    dataset = mlc.Dataset(jsonld=path)
    specimens = list(dataset.records(record_set="specimens"))
    assert len(specimens) == release.height
    by_id = {r["specimens/processid"].decode(): r for r in specimens}
    first = by_id["AACTA1040-20"]
    assert first["specimens/chunk"] == b"00" and first["specimens/coord-lat"] == 10.8
    assert first["specimens/split"] == b"pretrain" and first["specimens/species"] is None
    assert by_id["AACTA161-20"]["specimens/inferred_ranks"] == 3
    assert sorted(by_id) == sorted(release["processid"].to_list())
    for name in ("changes", "rejects", "issues"):
        assert len(list(dataset.records(record_set=name))) == inputs[name].height


def test_empty_provenance_tables_still_load(tmp_path):
    small = inputs_from_rows([{"processid": "A1-22", "split": "pretrain"}])
    release = emit.assemble(**small)
    empty = synthetic_inputs(3, seed=1)
    path = build(tmp_path, release, *(empty[n].clear() for n in ("changes", "rejects", "issues")))
    dataset = mlc.Dataset(jsonld=path)
    assert len(list(dataset.records(record_set="specimens"))) == 1
    assert list(dataset.records(record_set="changes")) == []


def test_same_files_give_the_same_json(built, tmp_path):
    path, release, inputs = built
    again = build(tmp_path, release, inputs["changes"], inputs["rejects"], inputs["issues"])
    assert again.read_bytes() == path.read_bytes()


def test_a_type_without_a_croissant_equivalent_is_refused():
    with pytest.raises(ValueError, match="no Croissant data type"):
        croissant.data_type(pl.Date)


def test_a_split_is_read_by_filter_as_tfds_asks_for_it(built):
    """TFDS's CroissantBuilder reads each split with records(filters={<split field>: name}) on one
    Dataset; each call must give exactly that split's records (it raised NotImplementedError
    when the split came from a column)."""
    path, release, _ = built
    dataset = mlc.Dataset(jsonld=path)
    for split in SPLITS:
        records = list(dataset.records("specimens", filters={"specimens/split": split}))
        expected = release.filter(pl.col("split") == split)["processid"].to_list()
        assert [r["specimens/processid"].decode() for r in records] == expected, split
        assert {r["specimens/split"] for r in records} <= {split.encode()}


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        ({"Norway": 9}, "Geographic: one country, Norway, holds all 9 records with a country (1"),
        (
            {"Canada": 3, "Peru": 1},
            "Geographic: 2 countries; the most sampled hold Canada 75.0%, Peru 25.0% of the 4",
        ),
    ],
)
def test_measured_biases_read_as_sentences(countries, expected):
    table = pl.DataFrame({"country": list(countries), "records": list(countries.values())})
    categories = pl.DataFrame({"column": ["order"], "most": ["Diptera"], "most_n": [9]})
    labels = pl.DataFrame({"column": ["species"], "labelled_pct": [96.4]})
    geography, taxonomy = croissant.measured_biases(table, categories, labels, 10)
    assert geography.startswith(expected)
    assert taxonomy == (
        "Taxonomic: the most frequent order, Diptera, holds 90.0% of the records; "
        "96.4% of the records have a species label."
    )
