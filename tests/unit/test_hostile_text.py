"""Hostile text (docs/curation.md#text, #identifiers): labels and identifiers from thousands of
submitters cannot crash a build, break a CSV row, run in a spreadsheet, inject markup or split one
species into lookalikes.  One test per hazard, then one property over generated strings through
ingest -> release."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ingest.codes import ISSUE_CODES, IngestError
from curation.ingest.text import IDENTIFIER_PATTERNS, TEXT_ISSUES, clean_labels
from curation.labels.chain import curate
from curation.release import assemble as emit
from curation.release import report, stats, stats_format
from schemas.tables import CHANGES_SCHEMA, INGEST_ISSUES_SCHEMA, REJECTS_SCHEMA, empty
from tests.hostile import (
    CFG,
    NothingReleased,
    build,
    csv_problems,
    html_problems,
    markdown_problems,
)
from tests.ingest_files import BARCODE, BCDM, bcdm_row, ingest, write_export
from tests.release_frames import inputs_from_rows

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def run(tmp_path: Path, rows, **options):
    return ingest([write_export(tmp_path / "export.tsv", rows, **options)])


def rows_of(values: list[str], field: str) -> list[dict[str, str]]:
    """One BCDM row per value of ``field``, each its own specimen (``P<i>-24``) and barcode."""
    return [
        bcdm_row(**{"processid": f"P{i}-24", "nuc": BARCODE + "ACGT"[i % 4] * (i + 1), field: v})
        for i, v in enumerate(values)
    ]


def issues_of(result, code: str) -> list[str]:
    return result.issues.filter(pl.col("issue") == code)["processid"].to_list()


def statistics(rows) -> dict[str, pl.DataFrame]:
    release = emit.assemble(**inputs_from_rows(rows))
    return stats.compute(
        release, empty(CHANGES_SCHEMA), empty(REJECTS_SCHEMA), empty(INGEST_ISSUES_SCHEMA)
    )


def harmless_report() -> str:
    """The report of a harmless export, built as the property builds one: the elements and
    attributes a report is made of."""
    with tempfile.TemporaryDirectory() as folder:
        rows = rows_of(["Aus bus", "Aus bus", "Aus cus"], "species")
        return build([write_export(Path(folder) / "export.tsv", rows)], Path(folder)).html


REFERENCE = harmless_report()


# --- plots ------------------------------------------------------------------------------------


def test_a_country_that_reads_as_mathtext_is_drawn_as_text():
    tables = statistics(
        [
            {"processid": "P1-24", "split": "train", "country": "$\\foo{$"},
            {"processid": "P2-24", "split": "pretrain", "country": "$x^{2$"},
        ]
    )
    assert len(report.plots(tables)) == len(report.PLOTS)
    assert "$\\foo{$" in tables["countries"]["country"].to_list()


# --- Markdown and HTML ----------------------------------------------------------------------------


def test_markup_in_labels_and_in_the_release_name_is_escaped_in_markdown_and_html():
    rows = [
        {"processid": "P1-24", "split": "train", "country": SCRIPT, "species": "Aus bus"},
        {"processid": "P2-24", "split": "train", "country": IMAGE, "species": "Aus bus"},
        {"processid": "P3-24", "split": "pretrain", "country": "a|b*c*_d_`e`[f](g)&amp;"},
    ]
    tables = statistics(rows)
    text = stats_format.markdown(tables, stats.TABLES, f"Statistics of {IMAGE} $x$")
    assert markdown_problems(text) == []
    page = report.render(
        title=f"Quality report: {IMAGE}",
        tables=tables,
        titles=stats.TABLES,
        checks=[report.Check(SCRIPT, False, IMAGE)],
        config={"release": {"name": IMAGE}},
        summaries={"ingest": {SCRIPT: IMAGE}},
    )
    assert html_problems(page, REFERENCE) == []
    assert SCRIPT not in page and IMAGE not in page


def test_a_line_break_in_a_statistics_cell_stays_on_its_table_row():
    table = stats_format.markdown_table(pl.DataFrame({"country": ["Costa\r\nRica|x"], "n": [1]}))
    assert table.splitlines()[2] == "| Costa Rica\\|x | 1 |"


# --- identifiers ------------------------------------------------------------------------------------

#: Real identifiers of tests/data/real, one of each shape (tests/real checks them all).
REAL_IDENTIFIERS = {
    "processid": ["ARCHR068-11", "AAASF001-17", "AACTA2783-20", "BEECA373-06", "BEEEE070-15"],
    "sampleid": [
        "BMNH(E)#970345",
        "BC ZSM HYM 00038",
        "MHNG1685.022",
        "ABOL-BioBlitz 2019 TI_0017_S",
        "09864 G06-ON",
        "RIN_CH05",
        "05-NT-0373",
        "NHMUK 010101/2",
    ],
}
HOSTILE_IDENTIFIERS = [
    "../../../../etc/passwd",
    "=1+1",
    "@SUM(A1:A9)",
    "+1+1",
    "-2+3",
    "P1/P2",
    "P1\x00",
    "P1\u200b",
    "Р1-24",  # Cyrillic Р
    SCRIPT,
    "P" * 200,
]


@pytest.mark.parametrize("field", ["processid", "sampleid"])
def test_real_identifier_shapes_are_kept(tmp_path, field):
    values = REAL_IDENTIFIERS[field]
    result = run(tmp_path, rows_of(values, field))
    assert result.rejects.is_empty()
    assert sorted(result.records[field]) == sorted(values)


@pytest.mark.parametrize("field", ["processid", "sampleid"])
def test_an_identifier_that_is_a_path_a_formula_or_markup_rejects_its_row(tmp_path, field):
    # a "/" inside a sampleid is a catalogue number's, not a path (no file is named after it)
    values = [v for v in HOSTILE_IDENTIFIERS if field == "processid" or v != "P1/P2"]
    result = run(tmp_path, rows_of(values, field))
    assert result.records.is_empty()
    assert result.rejects["reason"].unique().to_list() == ["invalid_identifier"]
    assert result.rejects.height == len(values)
    assert result.rejects["detail"].str.starts_with(field).all()


def test_identifier_patterns_are_the_documented_ones():
    documented = (Path(__file__).parents[2] / "docs" / "curation.md").read_text()
    for pattern in IDENTIFIER_PATTERNS.values():
        assert f"`{pattern}`" in documented


# --- formulas ------------------------------------------------------------------------------------


def test_a_label_that_starts_a_formula_is_nulled_and_a_number_is_not(tmp_path):
    hostile = {
        "country_ocean": '=HYPERLINK("http://x","y")',
        "province_state": "@SUM(1+1)*cmd|' /C calc'!A0",
        "bin_uri": "-BOLD:AAA0001",
        "species": "-Aus bus",
        "genus": " -Aus",  # rank labels keep their spaces, so the test looks past them
    }
    result = run(tmp_path, [bcdm_row(**hostile), bcdm_row(processid="P2", province_state="-12.5")])
    records = {row["processid"]: row for row in result.records.iter_rows(named=True)}
    hit = records["PROC001-24"]
    assert [hit[f] for f in ("country", "province_state", "dna_bin", "species", "genus")] == [
        None
    ] * 5
    assert issues_of(result, "formula_prefix") == ["PROC001-24"] * 5
    assert records["P2"]["province_state"] == "-12.5"


def test_the_release_refuses_a_formula_or_a_line_break_that_reached_it():
    rows = [
        {"processid": "P1-24", "split": "train", "country": "=1+1"},
        {"processid": "P2-24", "split": "train", "province_state": "Finn\nmark"},
        {"processid": "P3-24", "split": "train", "country": "-12.5", "coord-lat": -12.5},
    ]
    with pytest.raises(emit.ReleaseError) as refused:
        emit.assemble(**inputs_from_rows(rows))
    message = str(refused.value)
    assert "column 'country' holds the start of a spreadsheet formula (P1-24='=1+1')" in message
    assert "column 'province_state' holds a tab or line break (P2-24='Finn\\nmark')" in message
    assert "P3-24" not in message
    emit.assemble(**inputs_from_rows(rows[2:]))


# --- names ---------------------------------------------------------------------------------------

LOOKALIKES = {
    "plain": "Acyrthosiphon pisum",
    "zero-width space": "Acyrthosiphon\u200b pisum",
    "NUL": "Acyrthosiphon\x00 pisum",
    "full-width A": "\uff21cyrthosiphon pisum",
    "Cyrillic a": "Acyrthosiphon pis\u0443m",
    "Greek o": "Acyrthosiph\u03bfn pisum",
}


def test_lookalike_names_become_one_class_or_are_nulled_each_with_an_issue(tmp_path):
    result = run(tmp_path, rows_of(list(LOOKALIKES.values()), "species"))
    species = result.records.sort("processid")["species"].to_list()
    assert species == ["Acyrthosiphon pisum"] * 4 + [None, None]
    codes = result.issues.sort("processid").select("processid", "issue").rows()
    assert codes == [
        ("P1-24", "invisible_character"),
        ("P2-24", "control_character"),
        ("P3-24", "unicode_normalised"),
        ("P4-24", "invalid_name_character"),
        ("P5-24", "invalid_name_character"),
    ]
    assert "pis\u0443<U+0443>m" in result.issues.filter(pl.col("processid") == "P4-24")["detail"][0]


def test_placeholders_and_name_punctuation_survive(tmp_path):
    kept = {
        "bin": "Megaselia BOLD:ACN5814",
        "subgenus": "Aus (Bus) cus",
        "code": "Anastatus sp. GG28_x/y-1",
        "apostrophe": "Aus o'bus",
    }
    result = run(tmp_path, rows_of(list(kept.values()), "species"))
    assert sorted(result.records["species"]) == sorted(kept.values())
    assert result.issues.is_empty()


@pytest.mark.parametrize(
    "value", [SCRIPT, "Aus bus\u00e9", "Aus bus;", "Aus bus?", "Aus {bus}", "Aus bus ×cus"]
)
def test_a_rank_label_outside_the_name_characters_is_nulled(tmp_path, value):
    result = run(tmp_path, [bcdm_row(species=value, genus=value)])
    record = result.records.row(0, named=True)
    assert (record["species"], record["genus"]) == (None, None)
    assert issues_of(result, "invalid_name_character") == ["PROC001-24"] * 2


def test_text_codes_are_issue_codes():
    assert set(TEXT_ISSUES) <= set(ISSUE_CODES)
    table = clean_labels(pl.Series(["Aus\u200b\tbus"]), "species")
    assert table.select(TEXT_ISSUES).row(0) == (True, True, False, False, False, False)
    assert table["cleaned"].to_list() == ["Aus bus"]


# --- line breaks ----------------------------------------------------------------------------------


def test_no_line_break_or_tab_reaches_a_release_cell(tmp_path):
    rows = [
        bcdm_row(processid="P1-24", country_ocean="Costa\nRica", province_state="Here"),
        bcdm_row(processid="P2-24", nuc=BARCODE + "A", species="Aus\rbus", genus="Aus"),
        bcdm_row(processid="P3-24", nuc=BARCODE + "C", bin_uri="BOLD:\rAAA0002"),
    ]
    path = write_export(tmp_path / "export.tsv", rows, eol="\r\n")
    built = build([path], tmp_path)
    assert built.release.height == 3
    assert csv_problems(built.csv) == []
    countries = built.release.sort("processid")["country"].to_list()
    assert countries == ["Costa Rica", "Norway", "Norway"]
    # The released CSV reads back as the same rows: nothing ragged.
    again = ingest([str(tmp_path / "release.csv")])
    assert again.summary["rejects"]["ragged_row"] == 0
    assert again.records.height == 3


# --- one-word species ----------------------------------------------------------------------------


def test_a_one_word_species_is_nulled_and_never_becomes_the_genus(tmp_path):
    rows = [bcdm_row(genus="None", species="longipalpis", subfamily="None")]
    result = run(tmp_path, rows)
    assert result.records["species"].to_list() == [None]
    assert issues_of(result, "one_word_species") == ["PROC001-24"]
    curated, _ = curate(result.labels, CFG.curation)
    assert curated.select("genus", "species").row(0) == (None, None)


# --- line ends -----------------------------------------------------------------------------------


def test_cr_only_line_ends_are_one_clear_error_naming_the_file(tmp_path):
    path = write_export(tmp_path / "mac.tsv", [bcdm_row(), bcdm_row(processid="P2")], eol="\r")
    with pytest.raises(IngestError) as error:
        ingest([path])
    assert error.value.file == path and error.value.line == 1
    assert "bare CR" in error.value.message and "appears more than once" not in str(error.value)


# --- the property ----------------------------------------------------------------------------------

#: Characters submitters' text can hold that mean something to a parser: control, zero-width and
#: other invisible characters, lookalikes and compatibility forms, markup, formula, path and
#: mathtext characters.  A tab is a TSV separator, so it is not field text here (test above).
HOSTILE = (
    "\x00\x01\x1b\x7f\x85\x9b\r\n"
    "\u200b\u200d\u00ad\u202e\ufeff\u2060"
    "\u0410\u0430\u03bf\u0441\uff21\ufb01\u00a0"
    "<>&\"'`*_[]|#!"
    "=+-@"
    "/\\.:~"
    "${}"
)
PREFABRICATED = [
    SCRIPT,
    IMAGE,
    "=1+1",
    "@SUM(A1)",
    "-cmd",
    "../../../../etc/passwd",
    "$\\foo{$",
    "Acyrthosiphon\u200b pisum",
    "longipalpis",
    "Megaselia BOLD:ACN5814",
]
hostile_text = st.one_of(
    st.sampled_from(PREFABRICATED),
    st.text(alphabet=HOSTILE + "Aab cZ19", max_size=10),
    st.tuples(
        st.sampled_from(["Aus bus", "Norway", "BOLD:AAA0001"]), st.text(HOSTILE, max_size=3)
    ).map("".join),
).map(lambda text: text.replace("\r\n", "\n"))  # CRLF would end the row, not be in it
#: Fields that carry submitters' text (the header also has unread columns, as real ones do).
TEXT_FIELDS = ["processid", "sampleid", "bin_uri", "class", "family", "genus", "species"]
TEXT_FIELDS += ["country/ocean", "province/state"]
WIDE = ["collection_notes", *BCDM, "sequence_upload_date"]


@st.composite
def hostile_exports(draw) -> list[dict[str, str]]:
    rows = []
    for i in range(draw(st.integers(1, 6))):
        row = bcdm_row(processid=f"P{i}-24", nuc=BARCODE + "ACGT"[i % 4] * (i + 1))
        row |= {"collection_notes": "Malaise trap", "sequence_upload_date": ""}
        fields = draw(st.lists(st.sampled_from(TEXT_FIELDS), max_size=3, unique=True))
        row |= {field: draw(hostile_text) for field in fields}
        rows.append(row)
    return rows


@settings(max_examples=25, deadline=None)
@given(rows=hostile_exports(), name=hostile_text)
def test_hostile_text_never_crashes_breaks_a_row_runs_or_renders_as_markup(rows, name):
    with tempfile.TemporaryDirectory() as folder:
        path = write_export(Path(folder) / "export.tsv", rows, header=WIDE, eol="\r\n")
        try:
            built = build([path], Path(folder), name=name or "unnamed")
        except NothingReleased as stopped:
            # every row rejected: the build stops with the reject counts, as the ingest rule does
            message, summary = stopped.args
            assert summary["rows_read"] == len(rows) == summary["rejected"]
            assert message.startswith(f"all {len(rows)} rows were rejected")
            return
    summary = built.ingested.summary
    assert summary["rows_read"] == len(rows) == summary["released"] + summary["rejected"]
    assert built.release.height == summary["released"]
    assert csv_problems(built.csv) == []
    for table, text in built.statistics.items():
        assert csv_problems(text) == [], table
    assert markdown_problems(built.markdown) == []
    assert html_problems(built.html, REFERENCE) == []
