"""Hostile text for the tests: a release built in memory from export files, as the rules build it
(ingest -> label chain -> partition -> release tables, statistics and report), and the checks that
no text in it can break a row, run in a spreadsheet or inject markup."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
from markdown_it import MarkdownIt

from curation.ingest.assemble import IngestResult
from curation.ingest.codes import nothing_released
from curation.labels.chain import curate
from curation.partition.splits import partition
from curation.release import assemble as emit
from curation.release import report, stats, writers
from schemas.config import PipelineConfig
from tests.ingest_files import ingest
from tests.support import staged_in

CFG = PipelineConfig()


@dataclass(frozen=True)
class Built:
    """A release built in memory, with every text file a user opens."""

    ingested: IngestResult
    release: pl.DataFrame
    csv: str
    #: stats/<name>.csv by name
    statistics: dict[str, str]
    markdown: str
    html: str


class NothingReleased(Exception):
    """Every row was rejected: the ingest rule stops with this message, and so does build."""


def build(paths: Sequence[str], folder: Path, name: str = "test") -> Built:
    """The release of the export files ``paths``, named ``name``; its files go to ``folder``."""
    ingested = ingest(list(paths), CFG.input.target_marker, CFG.input.scope)
    if ingested.summary["released"] == 0:
        raise NothingReleased(nothing_released(ingested.summary), ingested.summary)
    curated, changes = curate(ingested.labels, CFG.curation)
    splits, checks = partition(curated, CFG.partition)
    release = emit.assemble(ingested.records, curated, splits, ingested.barcodes)
    tables = stats.compute(release, changes, ingested.rejects, ingested.issues)
    summaries = {
        "ingest": ingested.summary,
        "curation": {"records": curated.height},
        "partition": checks,
    }
    title = f"{name} 0.1.0"
    with staged_in(folder / "staging"):
        writers.write_csv(release, folder / "release.csv")
        csv_paths = {table: folder / f"{table}.csv" for table in tables}
        writers.write_statistics(tables, csv_paths, folder / "tables.md", f"Statistics of {title}")
    page = report.render(
        title=f"Quality report: {title}",
        tables=tables,
        titles=stats.TABLES,
        checks=report.release_checks(summaries, tables),
        config={"release": {"name": name}},
        summaries=summaries,
    )
    return Built(
        ingested=ingested,
        release=release,
        csv=(folder / "release.csv").read_text(encoding="utf-8"),
        statistics={table: path.read_text(encoding="utf-8") for table, path in csv_paths.items()},
        markdown=(folder / "tables.md").read_text(encoding="utf-8"),
        html=page,
    )


def csv_problems(text: str) -> list[str]:
    """Cells of a CSV file that span lines, hold a tab or start a spreadsheet formula."""
    problems = []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) != text.count("\n"):
        problems.append(f"{text.count(chr(10))} lines hold {len(rows)} rows: a cell spans lines")
    for row in rows:
        for cell in row:
            if any(char in cell for char in "\t\r\n"):
                problems.append(f"cell with a tab or line break: {cell!r}")
            if cell[:1] in ("=", "+", "-", "@") and not _is_number(cell):
                problems.append(f"cell starting a formula: {cell!r}")
    return problems


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


class _Tags(HTMLParser):
    """Every element and attribute name of an HTML text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[tuple[str, str]] = set()
        self.sources: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add((tag, name))
            if name in ("src", "href"):
                self.sources.add(value or "")


def tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


#: What the Markdown of the statistics renders to (GitHub-flavoured tables, raw HTML passed
#: through as a permissive renderer does).
MARKDOWN_TAGS = {"h1", "h2", "p", "code", "table", "thead", "tbody", "tr", "th", "td"}
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
#: A ``$`` after an even number of backslashes (none included): math for GitHub.
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")


def markdown_problems(text: str) -> list[str]:
    """Markup the statistics Markdown would render that is not its own tables and headings."""
    found = tags(_MARKDOWN.render(text))
    problems = [f"element <{tag}>" for tag in sorted(found.tags - MARKDOWN_TAGS)]
    problems += [
        f"attribute {tag}.{name}"
        for tag, name in sorted(found.attributes)
        if (tag, name) not in {("th", "style"), ("td", "style")}
    ]
    if _UNESCAPED_DOLLAR.search(text):
        problems.append("an unescaped $ (GitHub renders $...$ as math)")
    return problems


def html_problems(page: str, reference: str) -> list[str]:
    """Elements, attributes and links or sources of the report ``page`` that the ``reference``
    report (the same page for harmless data: its links to the release's own files) does not
    have, but for embedded PNGs and anchors."""
    found, known = tags(page), tags(reference)
    problems = [f"element <{tag}>" for tag in sorted(found.tags - known.tags)]
    problems += [f"attribute {t}.{n}" for t, n in sorted(found.attributes - known.attributes)]
    problems += [
        f"source {source[:40]!r}"
        for source in sorted(found.sources - known.sources)
        if not source.startswith(("data:image/png;base64,", "#"))
    ]
    return problems
