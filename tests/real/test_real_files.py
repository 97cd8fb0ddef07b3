"""Every real export in tests/data/real (byte-exact copies; tests/data/README.md) through ingest.

Expected counts were established by reading the raw files independently (marker and sequence
columns tallied with plain Python), not by running the ingester; see tests/data/README.md.
"""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest

from curation.ingest.codes import REJECT_REASONS, IngestError
from curation.ingest.text import TEXT_ISSUES
from schemas.tables import RANKS, RECORDS_SCHEMA, RELEASE_COLUMNS
from tests.ingest_files import ingest
from tests.support import DATA, REAL

BROWSER_JSON = REAL / "bioscan" / "bioscan5m_browser_sample-records.json"
DERIVED_CSV = DATA / "derived" / "bioscan5m_browser_sample-records.csv"

#: file -> (layout, rows read, released, {reason: count}); reasons not listed are 0.
EXPECTED = {
    "bold_v4/bold_v4_combined_Osmia_2020-04-20.tsv": (
        "bold_v4_combined",
        1404,
        1299,
        {"non_target_marker": 65, "no_barcode": 40},
    ),
    "bold_v4/bold_v4_combined_Coelioxys_2023-02-20.tsv": (
        "bold_v4_combined",
        421,
        390,
        {"non_target_marker": 7, "no_barcode": 24},
    ),
    "bold_v4/bold_v4_specimen_Coelioxys_2023-02-20.tsv": (
        "bold_v4_specimen",
        421,
        0,
        {"no_barcode": 421},
    ),
    "bold_v4/bold_v4_specimen_Osmia_2018-11-13_rawbytes.tsv": (
        "bold_v4_specimen",
        919,
        0,
        {"no_barcode": 919},
    ),
    "bcdm/bcdm_2025_Chironominae_Norway.tsv": ("bcdm", 2006, 1648, {"non_target_marker": 358}),
    "bcdm/bcdm_BOLD_Public.18-Dec-2023_head999.tsv": ("bcdm", 999, 999, {}),
    "bcdm/bcdm_BOLD_Public.21-Jun-2024_curated_NL_filtered.tsv": ("bcdm", 515, 515, {}),
    "bioscan/bioscan1m_small_dataset_validation_metadata.tsv": (
        "bioscan1m_prerelease",
        8273,
        0,
        {"no_barcode": 8273},
    ),
}


def _ingest(*names: str):
    return ingest([str(REAL / name) for name in names])


def _record(result, processid: str) -> dict:
    rows = result.records_with_barcodes().filter(pl.col("processid") == processid).to_dicts()
    assert len(rows) == 1, processid
    return rows[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_per_real_file(name):
    layout, rows, released, reasons = EXPECTED[name]
    result = _ingest(name)
    summary = result.summary
    (entry,) = summary["files"]
    assert (entry["layout"], entry["rows_read"], entry["released"]) == (layout, rows, released)
    assert summary["rejects"] == {reason: reasons.get(reason, 0) for reason in REJECT_REASONS}
    assert result.records.height == released
    assert result.rejects.height == rows - released
    assert result.records["processid"].is_unique().all()
    assert result.records.schema == pl.Schema(RECORDS_SCHEMA)


@pytest.mark.parametrize(
    "name", [*sorted(EXPECTED), "../derived/bioscan5m_browser_sample-records.csv"]
)
def test_the_text_rules_touch_no_real_value(name):
    """docs/curation.md#identifiers and #text: every real processid and sampleid matches its
    pattern, and no real label is rewritten or nulled by the text rules."""
    summary = _ingest(name).summary
    assert summary["rejects"]["invalid_identifier"] == 0
    assert {code: summary["issues"][code] for code in TEXT_ISSUES} == dict.fromkeys(TEXT_ISSUES, 0)


def test_every_real_file_at_once_conserves_rows_and_collapses_the_shared_packages():
    """Dec-2023 and Jun-2024 BOLD packages share 41 processids, identical once parsed (the
    coordinate is written ``(lat,lon)`` in one and ``[lat, lon]`` in the other)."""
    result = _ingest(*sorted(EXPECTED))
    summary = result.summary
    assert summary["rows_read"] == sum(rows for _, rows, _, _ in EXPECTED.values())
    assert summary["rows_read"] == summary["released"] + summary["rejected"]
    assert summary["rejects"]["exact_duplicate"] == 41
    assert summary["rejects"]["duplicate_processid"] == 0
    copies = result.rejects.filter(pl.col("reason") == "exact_duplicate")
    assert copies["source_file"].str.ends_with("curated_NL_filtered.tsv").all()
    assert copies["detail"].str.contains("head999.tsv:").all()


def test_cp1252_byte_in_the_2018_raw_bytes_file_is_decoded_and_recorded():
    result = _ingest("bold_v4/bold_v4_specimen_Osmia_2018-11-13_rawbytes.tsv")
    issues = result.issues.filter(pl.col("issue") == "cp1252_fallback")
    assert issues.select("source_line", "processid", "field").rows() == [
        (66, "ABEE074-17", "copyright_licenses"),
        (387, "ABEE076-17", "copyright_licenses"),
        (450, "ABEE077-17", "copyright_licenses"),
    ]
    assert issues["detail"].str.starts_with("0x96 -> '–'").all()


def test_bcdm_2025_values():
    result = _ingest("bcdm/bcdm_2025_Chironominae_Norway.tsv")
    first = _record(result, "ARCHR068-11")
    assert (first["coord-lat"], first["coord-lon"]) == (69.6653, 30.3321)  # "[69.6653, 30.3321]"
    assert first["dna_bin"] is None  # "None"
    assert (first["country"], first["province_state"]) == ("Norway", "Finnmark")
    assert first["species"] == "Paratanytarsus sp. 2ES"
    assert first["source_line"] == 2
    raw = _raw_field("bcdm/bcdm_2025_Chironominae_Norway.tsv", 223, "nuc")
    assert raw.startswith("TACTCTTTATTTTATTTTTGGGG") and any(c.islower() for c in raw)
    lower = _record(result, "CHMNO279-15")
    assert lower["dna_barcode"] == raw.replace("-", "").upper()
    assert set(result.rejects["detail"]) >= {"marker_code CAD", "marker_code 28S"}


def test_bcdm_2023_parenthesised_coordinates_and_old_column_names():
    result = _ingest("bcdm/bcdm_BOLD_Public.18-Dec-2023_head999.tsv")
    row = _record(result, "AAASF001-17")
    assert (row["coord-lat"], row["coord-lon"]) == (19.3786, -88.1892)  # "(19.3786,-88.1892)"
    assert (row["country"], row["province_state"]) == ("Mexico", "Quintana Roo")
    assert row["dna_barcode"] == _raw_field(
        "bcdm/bcdm_BOLD_Public.18-Dec-2023_head999.tsv", 2, "nucraw"
    ).replace("-", "")


def test_bold_v4_values_and_gap_removal():
    name = "bold_v4/bold_v4_combined_Osmia_2020-04-20.tsv"
    result = _ingest(name)
    row = _record(result, "BEECA373-06")
    assert (row["coord-lat"], row["coord-lon"]) == (None, None)  # empty lat/lon
    assert (row["country"], row["province_state"], row["dna_bin"]) == (
        "Canada",
        "Northwest Territories",
        "BOLD:AAI2013",
    )
    assert row["dna_barcode"] == _raw_field(name, 2, "nucleotides").replace("-", "")
    assert not result.records_with_barcodes()["dna_barcode"].str.contains("-").any()
    located = result.records.filter(pl.col("coord-lat").is_not_null())
    assert located.height > 0
    assert located["coord-lat"].abs().max() <= 90 and located["coord-lon"].abs().max() <= 180


def test_bioscan1m_prerelease_has_no_sequences_but_is_read():
    result = _ingest("bioscan/bioscan1m_small_dataset_validation_metadata.tsv")
    assert set(result.rejects["detail"]) == {"no sequence"}
    assert result.rejects["processid"].null_count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "bold_v4/bold_v4_sequence_Coelioxys_2023-02-20.fasta",
        "bold_v4/bold_v4_sequence_bin_BOLD-AAA5125_2023-02-20.fasta",
    ],
)
def test_fasta_is_refused_with_the_supported_layouts(name):
    with pytest.raises(IngestError) as caught:
        _ingest(name)
    message = str(caught.value)
    assert name in message and "FASTA" in message and "BCDM" in message


@pytest.mark.parametrize(
    "name",
    [
        "bioscan/bioscan5m_browser_sample-records.json",
        "bcdm/BOLD_Public.18-Dec-2023.datapackage.json",
    ],
)
def test_json_is_refused_with_the_supported_layouts(name):
    with pytest.raises(IngestError, match="JSON.*supported: BOLD v4"):
        _ingest(name)


def bioscan5m_csv(records: list[dict]) -> str:
    """The BIOSCAN-5M metadata CSV (RELEASE_COLUMNS) of bioscan-browser records.

    Browser field -> release column: ``latlon`` -> coord-lat/coord-lon, ``original_insect_pixels``
    -> image_measurement_value, ``cropped_area_fraction`` -> area_fraction,
    ``cropped_scale_factor`` -> scale_factor; ``taxon`` is the deepest rank present.  Absent keys
    are empty cells.
    """
    renamed = {
        "image_measurement_value": "original_insect_pixels",
        "area_fraction": "cropped_area_fraction",
        "scale_factor": "cropped_scale_factor",
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RELEASE_COLUMNS)
    for record in records:
        lat, lon = record["latlon"].split(",") if "latlon" in record else ("", "")
        values = {
            "taxon": next((record[rank] for rank in reversed(RANKS) if rank in record), ""),
            "coord-lat": lat,
            "coord-lon": lon,
        }
        writer.writerow(
            [
                values.get(column, record.get(renamed.get(column, column), ""))
                for column in RELEASE_COLUMNS
            ]
        )
    return out.getvalue()


def test_derived_bioscan5m_csv_is_the_browser_records():
    records = json.loads(BROWSER_JSON.read_text(encoding="utf-8"))
    assert DERIVED_CSV.read_text(encoding="utf-8") == bioscan5m_csv(records)


def test_bioscan5m_csv_round_trip():
    records = {r["processid"]: r for r in json.loads(BROWSER_JSON.read_text(encoding="utf-8"))}
    result = ingest([str(DERIVED_CSV)])
    assert result.summary["files"][0]["layout"] == "bioscan5m_csv"
    assert result.summary["released"] == len(records) == 25
    assert result.records["marker_code"].null_count() == 25
    row = _record(result, "GMPPO5563-21")
    source = records["GMPPO5563-21"]
    assert row["index_bioscan_1M_insect"] == 150502  # written "150502.0"
    assert row["dna_barcode"] == source["dna_barcode"]
    assert (row["coord-lat"], row["coord-lon"]) == (33.847, 73.774)
    assert row["image_measurement_value"] == source["original_insect_pixels"]
    assert (row["area_fraction"], row["scale_factor"]) == (
        source["cropped_area_fraction"],
        source["cropped_scale_factor"],
    )
    assert _record(result, "CRCBB46471-23")["index_bioscan_1M_insect"] is None


def _raw_field(name: str, line: int, column: str) -> str:
    lines = (REAL / name).read_bytes().split(b"\n")
    header = lines[0].rstrip(b"\r").decode().split("\t")
    return lines[line - 1].rstrip(b"\r").decode().split("\t")[header.index(column)]
