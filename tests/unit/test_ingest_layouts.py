"""Layout recognition by header names: every supported layout, aliases, and the error paths."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.ingest.codes import IngestError
from curation.ingest.layouts import LAYOUTS, detect, parse_header
from schemas.tables import RANKS, RELEASE_COLUMNS
from tests.ingest_files import BCDM

V4_SPECIMEN = [
    "processid",
    "sampleid",
    "bin_uri",
    *(f"{r}_name" for r in RANKS),
    "lat",
    "lon",
    "country",
    "province_state",
]


def header(names, separator="\t", bom=False):
    line = ("\ufeff" if bom else "") + separator.join(names) + "\r\n"
    return parse_header("f.tsv", line.encode())


@pytest.mark.parametrize(
    ("names", "separator", "layout"),
    [
        (V4_SPECIMEN + ["markercode", "nucleotides"], "\t", "bold_v4_combined"),
        (V4_SPECIMEN, "\t", "bold_v4_specimen"),
        (BCDM, "\t", "bcdm"),
        (list(RELEASE_COLUMNS), ",", "bioscan5m_csv"),
        (["sampleid", "processid", "uri", "name", *RANKS, "nucraw"], "\t", "bioscan1m"),
        (["processid", *RANKS, "uri", "sampleid", "image_file"], "\t", "bioscan1m_prerelease"),
    ],
)
def test_each_layout_is_recognised(names, separator, layout):
    assert detect("f.tsv", header(names, separator)).layout.name == layout


@pytest.mark.parametrize(
    ("country", "province", "sequence"),
    [
        ("country/ocean", "province/state", "nuc"),
        ("country.ocean", "province.state", "nuc"),  # written by R
        ("country", "province", "nucraw"),  # Dec-2023 package
    ],
)
def test_bcdm_aliases_map_to_the_same_fields(country, province, sequence):
    names = [
        "processid",
        "sampleid",
        "bin_uri",
        *RANKS,
        sequence,
        "marker_code",
        country,
        province,
        "coord",
    ]
    columns = detect("f.tsv", header(names)).columns
    assert columns["country"] == (names.index(country), country)
    assert columns["province_state"][1] == province
    assert columns["sequence"][1] == sequence


def test_bom_is_stripped_and_reported():
    parsed = header(BCDM, bom=True)
    assert parsed.bom and parsed.names[0] == "processid"
    assert detect("f.tsv", parsed).layout.name == "bcdm"


def test_missing_required_column_names_column_and_file():
    names = [name for name in BCDM if name != "species"]
    with pytest.raises(IngestError) as caught:
        detect("data/x.tsv", header(names))
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "data/x.tsv",
        1,
        "species",
    )
    assert "data/x.tsv" in str(caught.value) and "'species'" in str(caught.value)


def test_unknown_layout_names_file_and_first_header_names():
    with pytest.raises(IngestError, match=r"x\.tsv: line 1: .*unknown layout.*'alpha', 'beta'"):
        detect("x.tsv", header(["alpha", "beta", "gamma"]))


def test_duplicate_column_is_an_error():
    with pytest.raises(IngestError, match="more than once"):
        detect("f.tsv", header(BCDM + ["species"]))


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (b">ABC123-19|Osmia|COI-5P\r\n", "FASTA"),
        (b'{"name": "x"}\n', "JSON"),
        (b"[1, 2]\n", "JSON"),
    ],
)
def test_fasta_and_json_are_refused_naming_the_supported_layouts(first, kind):
    with pytest.raises(IngestError, match=f"{kind}.*supported: BOLD v4"):
        parse_header("seq.fasta", first)


def test_blank_header_is_refused():
    with pytest.raises(IngestError, match="header line is empty"):
        parse_header("f.tsv", b"\r\n")


@given(st.permutations(BCDM))
def test_column_order_never_changes_which_header_name_a_field_reads(names):
    columns = detect("f.tsv", header(names)).columns
    assert {field: name for field, (_, name) in columns.items()} == {
        field: name for field, (_, name) in detect("f.tsv", header(BCDM)).columns.items()
    }
    assert all(names[index] == name for index, name in columns.values())


def test_layout_names_are_unique():
    assert len({layout.name for layout in LAYOUTS}) == len(LAYOUTS)
