"""Approval test: the curation's label changes and rejects on every real file are the reviewed
ones in tests/data/label_approval.txt (see tests/real/label_approval.py)."""

from __future__ import annotations

import pytest

from tests.real import label_approval

pytestmark = pytest.mark.slow


def test_every_change_and_reject_on_the_real_files_is_reviewed():
    approved, reasons = label_approval.read()
    found = label_approval.observed()
    appeared = {
        header: sorted(set(items) - set(approved.get(header, [])))
        for header, items in found.items()
    }
    gone = {
        header: sorted(set(items) - set(found.get(header, [])))
        for header, items in approved.items()
    }
    report = [f"+ {h}: {item}" for h, items in appeared.items() for item in items[:20]]
    report += [f"- {h}: {item}" for h, items in gone.items() for item in items[:20]]
    assert not report, (
        "the curation of the real files changed; review the differences and rewrite "
        "tests/data/label_approval.txt (python -m tests.real.label_approval):\n"
        + "\n".join(report[:60])
    )
    assert set(found) == set(approved)
    unreviewed = [h for h in approved if not reasons.get(h) or reasons[h].startswith("REVIEW")]
    assert not unreviewed, f"groups without a reviewed reason: {unreviewed}"


def test_the_approved_list_is_not_empty_and_covers_the_new_rules():
    """The list is what it claims: label changes of several rules and the scope's rejects."""
    approved, _ = label_approval.read()
    kinds = {" ".join(header.split(" | ")[1].split(":")[0].split(" ")[:2]) for header in approved}
    assert {"change C7_open_nomenclature", "change C4_subfamily_completion"} <= kinds
    assert "reject out_of_scope" in kinds
    assert sum(len(items) for items in approved.values()) > 100
