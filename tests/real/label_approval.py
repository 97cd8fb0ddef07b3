"""What the curation does to the real files, as a reviewed list (tests/data/label_approval.txt).

Every real export in ``tests/data/real`` (and the derived BIOSCAN-5M CSV) is ingested with the
default scope and curated on its own, as a user would run it.  Every label change (rule, column,
before -> after) and every reject (reason, detail) is listed, grouped by file and kind, and each
group carries a one-line reason a taxonomist reviewed.  ``test_label_approval`` fails when a
change or reject appears or disappears, so every behaviour change on real data is seen and
re-reviewed.  After a deliberate change, rewrite the list (reasons of existing groups are
kept; a new group gets ``REVIEW:``, which the test refuses until a person writes its reason)::

    PYTHONPATH=$PWD python -m tests.real.label_approval
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from curation.labels.chain import curate
from schemas.config import PipelineConfig
from tests.ingest_files import ingest
from tests.support import DATA

APPROVED = DATA / "label_approval.txt"
REAL = DATA / "real"
FILES = sorted(p for p in REAL.glob("*/*") if p.suffix in (".tsv", ".csv")) + [
    DATA / "derived" / "bioscan5m_browser_sample-records.csv"
]
_HEADER = """\
# What the curation does to every real file in tests/data (each ingested with the default scope
# and curated on its own): every label change and every reject, grouped by file and kind, each
# group with the reason it is right.  Reviewed by hand; checked by
# tests/real/test_label_approval.py.  Rewrite with `PYTHONPATH=$PWD python -m
# tests.real.label_approval` after a deliberate change, then review every REVIEW: line.
"""
_MISSING = "-"
_WIDTH = 100

Groups = dict[str, list[str]]


def observed() -> Groups:
    """Group header -> items, for the current code."""
    cfg = PipelineConfig()
    groups: Groups = {}
    for path in FILES:
        name = path.relative_to(path.parents[1]).as_posix()
        result = ingest([str(path)], cfg.input.target_marker, scope=cfg.input.scope)
        _, changes = curate(result.labels, cfg.curation)
        for (rule, column), part in changes.group_by("rule", "column", maintain_order=True):
            items = [
                f"{pid}  {before or _MISSING} -> {after or _MISSING}"
                for pid, before, after in part.select("processid", "before", "after").rows()
            ]
            groups[f"{name} | change {rule} {column}"] = sorted(items)
        rejects = result.rejects.sort("source_line")
        for (reason, detail), part in rejects.group_by("reason", "detail", maintain_order=True):
            items = [
                f"{line}:{pid or _MISSING}"
                for line, pid in part.select("source_line", "processid").rows()
            ]
            groups[f"{name} | reject {reason}: {detail or _MISSING}"] = _wrap(items)
    return dict(sorted(groups.items()))


def _wrap(items: list[str]) -> list[str]:
    """Reject items (line:processid) several to a line: they share their detail."""
    return textwrap.wrap(" ".join(items), _WIDTH, break_on_hyphens=False)


def read(path: Path = APPROVED) -> tuple[Groups, dict[str, str]]:
    """The approved groups (header -> items) and their reasons."""
    groups: Groups = {}
    reasons: dict[str, str] = {}
    header = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            header = line[3:]
            groups[header] = []
        elif line.startswith("reason: ") and header is not None:
            reasons[header] = line.removeprefix("reason: ")
        elif line.startswith("  ") and header is not None:
            groups[header].append(line[2:])
    return groups, reasons


def write(groups: Groups, reasons: dict[str, str], path: Path = APPROVED) -> None:
    lines = [_HEADER]
    for header, items in groups.items():
        lines.append(f"## {header}")
        lines.append(f"reason: {reasons.get(header, 'REVIEW: why is this right?')}")
        lines += [f"  {item}" for item in items]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    _, reasons = read() if APPROVED.exists() else ({}, {})
    groups = observed()
    write(groups, reasons)
    todo = [header for header in groups if header not in reasons]
    print(f"{len(groups)} groups written to {APPROVED}; {len(todo)} need a reason")


if __name__ == "__main__":
    main()
