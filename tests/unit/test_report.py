"""The HTML quality report: every section present, checks shown with their outcome, bytes stable."""

import base64
import re

import polars as pl
import pytest
from matplotlib.figure import Figure

from curation.release import assemble as emit
from curation.release import report, stats
from tests.release_frames import synthetic_inputs

INPUTS = synthetic_inputs(300, seed=4)
RELEASE = emit.assemble(INPUTS["records"], INPUTS["curated"], INPUTS["splits"], INPUTS["barcodes"])
TABLES = stats.compute(RELEASE, INPUTS["changes"], INPUTS["rejects"], INPUTS["issues"])
#: Shaped like partition's checks.json: a list of invariants plus counts.
PARTITION_CHECKS = {
    "invariants": [
        {
            "name": "one_split_per_row",
            "passed": True,
            "violations": 0,
            "unit": "records",
            "examples": [],
        },
        {
            "name": "key_in_one_split",
            "passed": False,
            "violations": 1,
            "unit": "keys",
            "examples": ["key 7"],
        },
    ],
    "records": 300,
    "splits": {"train": {"rows": 10}},
}


def page(checks=None, **overrides):
    arguments = {
        "title": "Quality report: test 0.1.0",
        "tables": TABLES,
        "titles": stats.TABLES,
        "checks": report.checks_from_json(PARTITION_CHECKS, "partition")
        if checks is None
        else checks,
        "config": {"release": {"name": "test"}, "curation": {"vote_threshold": 0.9}},
        "summaries": {"ingest": {"rows": 303}, "curation": {"C5_curtail": 60}},
    }
    return report.render(**{**arguments, **overrides})


PAGE = page()


def test_checks_are_found_wherever_the_json_records_them():
    checks = report.checks_from_json(PARTITION_CHECKS, "partition")
    assert [(c.name, c.passed) for c in checks] == [
        ("partition: one_split_per_row", True),
        ("partition: key_in_one_split", False),
    ]
    assert checks[0].detail == "0 violations (records)"
    assert checks[1].detail == "1 violation (keys); e.g. key 7"
    nested = report.checks_from_json({"a": {"b": {"passed": True}}}, "ingest")
    assert [(c.name, c.passed) for c in nested] == [("ingest: a.b", True)]


def test_count_checks_compare_the_release_with_every_stage():
    summaries = {
        "ingest": {"rows_read": 303, "released": 300},
        "curation": {"records": 300},
        "partition": PARTITION_CHECKS,
    }
    checks = report.count_checks(summaries, released=300, rejected=3)
    assert [c.passed for c in checks] == [True, True, True, True]
    lost = report.count_checks(
        {**summaries, "ingest": {"rows_read": 304, "released": 300}}, released=300, rejected=3
    )
    assert [c.passed for c in lost] == [True, True, True, False]
    assert lost[-1].detail == "ingested 304, released 300, rejected 3"


def test_release_checks_count_the_statistics_then_list_the_stages_checks():
    released = INPUTS["records"].height
    rejected = INPUTS["rejects"].height
    summaries = {
        "ingest": {"rows_read": released + rejected, "released": released},
        "curation": {"records": released},
        "partition": {**PARTITION_CHECKS, "records": released},
    }
    checks = report.release_checks(summaries, TABLES)
    assert [c.name for c in checks][4:] == [
        "partition: one_split_per_row",
        "partition: key_in_one_split",
    ]
    assert [c.passed for c in checks] == [True, True, True, True, True, False]
    assert f"release {released:,}, ingest {released:,}" == checks[0].detail


def test_a_count_missing_from_a_summary_is_a_failed_check_not_a_crash():
    checks = report.count_checks({"curation": {"records": True}}, released=1, rejected=0)
    assert not any(c.passed for c in checks)
    assert "(no count at records)" in checks[1].detail


def test_report_has_every_section_table_and_plot():
    html = PAGE
    for anchor in ("checks", "plots", "tables", "summaries", "config"):
        assert f"id='{anchor}'" in html
    for name, title in stats.TABLES.items():
        assert f"id='{name}'" in html and title.replace("'", "&#x27;") in html
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 5
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "vote_threshold" in html and "C5_curtail" in html


def test_report_is_self_contained():
    """Images are inline and nothing is fetched; links go only to the release's own files."""
    html = PAGE
    assert not re.search(r"src=['\"](?!data:)", html)
    assert "<script" not in html and "<link" not in html
    for href in re.findall(r"href=['\"]([^'\"]*)", html):
        assert href.startswith("#") or re.fullmatch(r"[\w-]+(/[\w.-]+)*\.\w+", href), href


def test_failed_checks_are_flagged_and_counted(monkeypatch):
    html = PAGE
    assert "1 of 2 checks FAILED" in html
    assert "<td class='fail'>FAIL</td>" in html and "<td class='pass'>pass</td>" in html
    monkeypatch.setattr(report, "plots", lambda tables: {})
    passing = page(checks=[report.Check("ingest: conservation", True, "")])
    assert "all 1 checks passed" in passing and "FAIL" not in passing


def test_report_bytes_are_deterministic():
    assert page() == PAGE


def test_plots_survive_an_empty_release():
    empty = RELEASE.clear()
    tables = stats.compute(
        empty, INPUTS["changes"].clear(), INPUTS["rejects"].clear(), INPUTS["issues"].clear()
    )
    html = page(tables=tables)
    assert html.count("data:image/png;base64,") == 5


def test_text_is_escaped(monkeypatch):
    monkeypatch.setattr(report, "plots", lambda tables: {})
    html = page(config={"note": "<script>alert(1)</script>"})
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# --- presentation -------------------------------------------------------------------------------


def test_check_details_are_words_not_json():
    assert report.detail_text({"names_with_several_parents": 0}) == "names with several parents: 0"
    many = {"violations": 1234, "unit": "records", "examples": [f"P{i}" for i in range(7)]}
    assert report.detail_text(many) == "1,234 violations (records); e.g. P0, P1, P2, P3, P4, …"
    assert "{" not in PAGE.split("id='plots'")[0].split("id='checks'")[1]


def test_each_plot_has_a_caption_that_is_not_its_title():
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", PAGE)
    assert captions == [report._e(plot.caption) for plot in report.PLOTS]
    assert all(len(plot.caption) > len(plot.title) + 20 for plot in report.PLOTS)


def drawn(key: str, tables) -> object:
    """The axes a plot of report.PLOTS draws on."""
    ax = Figure().subplots()
    next(plot for plot in report.PLOTS if plot.key == key).draw(ax, tables)
    return ax


def test_the_species_size_plot_counts_species_on_its_y_axis():
    ax = drawn("species_sizes", TABLES)
    assert ax.get_ylabel().startswith("number of species")
    assert ax.get_xlabel().startswith("records per species")


def test_the_changes_plot_is_sorted_and_leaves_out_rules_that_changed_nothing():
    rules = pl.DataFrame(
        {
            "rule": ["C0_whitespace", "C1_correction", "C5_vote", "C6_inferred"],
            "labels": [5, 0, 9, 7],
        }
    )
    ax = drawn("changes_per_rule", {**TABLES, "curation_rules": rules})
    # barh draws bottom-up: the largest count is the top bar.
    top_down = [tick.get_text() for tick in ax.get_yticklabels()][::-1]
    assert top_down == ["C5_vote", "C6_inferred", "C0_whitespace"]
    assert [bar.get_width() for bar in ax.patches][::-1] == [9, 7, 5]


def tick_labels(axis) -> list[str]:
    """The tick labels ``axis`` shows (major and minor, inside its view), without blank ones."""
    axis.axes.figure.draw_without_rendering()
    low, high = sorted(axis.get_view_interval())
    ticks = axis.get_major_ticks() + axis.get_minor_ticks()
    return [
        tick.label1.get_text()
        for tick in ticks
        if low <= tick.get_loc() <= high and tick.label1.get_text()
    ]


@pytest.mark.parametrize(
    ("rows", "species_sizes"),
    [
        ([181_508, 10_770, 372, 2_108, 510, 122, 193, 4_417], [(1, 2900), (8, 380), (1200, 1)]),
        ([50, 20, 30, 40, 0, 0, 0, 55], [(2, 5), (3, 1)]),  # less than a decade apart
    ],
)
def test_log_axes_are_labelled_in_plain_numbers(rows, species_sizes):
    """The report's style does not parse mathtext, so matplotlib's default log labels would
    show as ``$\\mathdefault{10^{5}}$``; and an axis within a decade still gets labels."""
    table3 = TABLES["table3"].head(8).with_columns(pl.Series("rows", rows))
    sizes = pl.DataFrame(species_sizes, schema=["records", "species"], orient="row")
    tables = {**TABLES, "table3": table3, "species_sizes": sizes}
    axes = [drawn("records_per_split", tables).yaxis]
    axes += [drawn("species_sizes", tables).xaxis, drawn("species_sizes", tables).yaxis]
    for axis in axes:
        labels = tick_labels(axis)
        assert labels and all(re.fullmatch(r"[0-9][0-9,]*", label) for label in labels), labels


def test_count_axes_tick_at_whole_numbers():
    """A few changes: the ticks of the bars' axis are whole numbers (no 2.5 shown as 2)."""
    rules = pl.DataFrame({"rule": ["C5_vote", "C6_inferred"], "labels": [18, 3]})
    ax = drawn("changes_per_rule", {**TABLES, "curation_rules": rules})
    tick_labels(ax.xaxis)
    assert all(float(tick).is_integer() for tick in ax.get_xticks())


def test_an_empty_table_says_none():
    empty = {**TABLES, "issues": TABLES["issues"].clear()}
    html = page(tables=empty)
    after = html.split("<code>stats/issues.csv</code></a></p>", 1)[1]
    assert after.lstrip().startswith("<p class='none'>none</p>")


def test_inferred_ranks_codes_are_explained():
    meanings = [report.inferred_ranks_meaning(code) for code in range(7)]
    assert meanings == [
        "nothing inferred",
        "species inferred",
        "genus to species inferred",
        "subfamily to species inferred",
        "family to species inferred",
        "order to species inferred",
        "class to species inferred",
    ]
    codes = pl.DataFrame({"inferred_ranks": [0, 3], "records": [10, 2]})
    html = page(tables={**TABLES, "inferred_ranks": codes})
    section = html.split("<code>stats/inferred_ranks.csv</code></a></p>", 1)[1].split("</table>")[0]
    assert "<th>meaning</th>" in section and "subfamily to species inferred" in section


def test_long_tables_fold_and_short_ones_do_not():
    long = pl.DataFrame({"records": range(1, 67), "species": range(66, 0, -1)})
    html = page(tables={**TABLES, "species_sizes": long})
    section = html.split("<code>stats/species_sizes.csv</code></a></p>", 1)[1]
    assert section.lstrip().startswith(
        "<details class='rows'><summary>66 rows: show the table</summary>"
    )
    short = html.split("<code>stats/table3.csv</code></a></p>", 1)[1]
    assert short.lstrip().startswith("<table>")


def test_long_configuration_lines_wrap_instead_of_being_cut():
    style = re.search(r"<style>(.*?)</style>", PAGE, re.DOTALL).group(1)
    pre = re.search(r"(?:^|})pre\{([^}]*)\}", style).group(1)
    assert "white-space:pre-wrap" in pre and "overflow-x" not in pre
