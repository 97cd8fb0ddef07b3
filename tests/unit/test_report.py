"""The HTML quality report: every section present, checks shown with their outcome, bytes stable."""

import base64
import re

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
    assert '"examples": ["key 7"]' in checks[1].detail
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
    html = PAGE
    assert not re.search(r"(src|href)=['\"](?!data:|#)", html)
    assert "<script" not in html


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
