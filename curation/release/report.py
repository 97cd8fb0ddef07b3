"""The quality report: one self-contained, deterministic HTML page about a release.

It shows the invariant checks with pass/fail, plots of the release's shape, every statistics
table and the configuration that produced it.  Plots are PNG images embedded as base64, drawn by
matplotlib's Agg renderer on a figure that never touches pyplot's global state, with the PNG
``Software`` tag and every date left out: the same release gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from curation.release.stats_format import rows_as_text
from schemas.tables import RANKS

#: Countries shown in the top-countries plot.
TOP_COUNTRIES = 15
#: Style every plot is drawn in, whatever matplotlibrc the machine has.  Text is drawn as it is:
#: a country ``$\\foo{$`` is a label, not mathtext to parse.
_STYLE = {**matplotlib.rcParamsDefault, "figure.dpi": 100, "text.parse_math": False}
_STYLE.pop("backend", None)


@dataclass(frozen=True)
class Check:
    """One invariant of the build and whether it held."""

    name: str
    passed: bool
    detail: str


def checks_from_json(document: Any, source: str) -> list[Check]:
    """Every check recorded in a stage's JSON: each object with a boolean ``passed``, anywhere.

    The check is named by its ``name`` key, or else by its path in the document, prefixed with
    ``source``; the other keys of the object become its detail.
    """
    found: list[Check] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("passed"), bool):
                name = str(node.get("name") or path)
                rest = {k: v for k, v in node.items() if k not in ("passed", "name")}
                detail = json.dumps(rest, sort_keys=True, ensure_ascii=False) if rest else ""
                found.append(Check(f"{source}: {name}", node["passed"], detail))
                return
            for key in sorted(node, key=str):
                walk(node[key], f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")

    walk(document, "")
    return found


#: Where each stage's JSON states a row count the release must agree with:
#: (stage, key path, meaning).
COUNT_KEYS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("ingest", ("released",), "records released by ingest"),
    ("curation", ("records",), "curated records"),
    ("partition", ("records",), "partitioned records"),
)
#: Where the ingest summary states how many data rows it read.
INGESTED_KEY: tuple[str, ...] = ("rows_read",)


def count_checks(summaries: Mapping[str, Any], *, released: int, rejected: int) -> list[Check]:
    """The release agrees with every stage's own counts, and nothing ingested was lost.

    A count missing from a summary is a failed check (the stages' contract drifted), not a crash:
    the report must still show everything else.
    """
    checks = []
    for stage, path, meaning in COUNT_KEYS:
        count = _lookup(summaries.get(stage), path)
        checks.append(
            Check(
                f"release: records = {meaning}",
                count == released,
                f"release {released:,}, {stage} {_count_text(count, path)}",
            )
        )
    ingested = _lookup(summaries.get("ingest"), INGESTED_KEY)
    checks.append(
        Check(
            "release: ingested rows = released + rejected",
            ingested == released + rejected,
            f"ingested {_count_text(ingested, INGESTED_KEY)}, released {released:,}, "
            f"rejected {rejected:,}",
        )
    )
    return checks


def release_checks(summaries: Mapping[str, Any], tables: Mapping[str, pl.DataFrame]) -> list[Check]:
    """The report's checks: the release's counts against the stages' (statistics ``table3`` and
    ``rejects``), then every check the ingest, curation (a name under two lineages,
    docs/curation.md#homonyms) and partition summaries recorded."""
    return [
        *count_checks(
            summaries,
            released=tables["table3"]["rows"].sum(),
            rejected=tables["rejects"]["rows"].sum(),
        ),
        *checks_from_json(summaries["ingest"], "ingest"),
        *checks_from_json(summaries["curation"], "curation"),
        *checks_from_json(summaries["partition"], "partition"),
    ]


def _lookup(document: Any, path: tuple[str, ...]) -> int | None:
    for key in path:
        if not isinstance(document, Mapping) or key not in document:
            return None
        document = document[key]
    return document if isinstance(document, int) and not isinstance(document, bool) else None


def _count_text(count: int | None, path: tuple[str, ...]) -> str:
    return f"{count:,}" if count is not None else f"(no count at {'.'.join(path)})"


def plots(tables: Mapping[str, pl.DataFrame]) -> dict[str, str]:
    """Title -> base64 PNG of each plot, drawn from the statistics tables."""
    drawers: dict[str, Callable[[Axes], None]] = {
        "Records per split": lambda ax: _records_per_split(ax, tables["table3"]),
        "Species by number of records (log-log)": lambda ax: _species_sizes(
            ax, tables["species_sizes"]
        ),
        "Labelled fraction per rank": lambda ax: _labelled_fraction(ax, tables["table2"]),
        f"Top {TOP_COUNTRIES} countries": lambda ax: _top_countries(ax, tables["countries"]),
        "Label changes per curation rule": lambda ax: _changes_per_rule(
            ax, tables["curation_rules"]
        ),
    }
    return {title: _png(title, draw) for title, draw in drawers.items()}


def render(
    *,
    title: str,
    tables: Mapping[str, pl.DataFrame],
    titles: Mapping[str, str],
    checks: list[Check],
    config: Mapping[str, Any],
    summaries: Mapping[str, Any],
) -> str:
    """The report page.  ``summaries`` are the stages' JSON summaries, shown verbatim."""
    failed = sum(not c.passed for c in checks)
    verdict = (
        f"all {len(checks)} checks passed"
        if not failed
        else f"{failed} of {len(checks)} checks FAILED"
    )
    sections = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="{"pass" if not failed else "fail"}">{_e(verdict)}</p>',
        _nav(titles),
        "<h2 id='checks'>Invariant checks</h2>",
        _checks_table(checks),
        "<h2 id='plots'>Plots</h2>",
        *(
            f"<figure><img alt='{_e(name)}' src='data:image/png;base64,{png}'>"
            f"<figcaption>{_e(name)}</figcaption></figure>"
            for name, png in plots(tables).items()
        ),
        "<h2 id='tables'>Statistics</h2>",
    ]
    for name, table in tables.items():
        sections += [
            f"<h3 id='{_e(name)}'>{_e(titles[name])}</h3>",
            f"<p><code>stats/{_e(name)}.csv</code></p>",
            _table(table),
        ]
    sections.append("<h2 id='summaries'>Stage summaries</h2>")
    for name, summary in summaries.items():
        text = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False)
        sections.append(f"<details><summary>{_e(name)}</summary><pre>{_e(text)}</pre></details>")
    config_text = json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False)
    sections += ["<h2 id='config'>Configuration</h2>", f"<pre>{_e(config_text)}</pre>"]
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}"
    "th,td{border:1px solid #ccc;padding:0.2rem 0.5rem}td.n{text-align:right}"
    "th{background:#f2f2f2}.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}"
    "figure{display:inline-block;margin:0.5rem}pre{background:#f7f7f7;padding:0.5rem;overflow-x:auto}"
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _nav(titles: Mapping[str, str]) -> str:
    links = ["<a href='#checks'>checks</a>", "<a href='#plots'>plots</a>"]
    links += [f"<a href='#{_e(name)}'>{_e(name)}</a>" for name in titles]
    links += ["<a href='#summaries'>summaries</a>", "<a href='#config'>configuration</a>"]
    return "<nav>" + " · ".join(links) + "</nav>"


def _checks_table(checks: list[Check]) -> str:
    if not checks:
        return "<p>No checks were recorded.</p>"
    rows = "".join(
        f"<tr><td>{_e(c.name)}</td><td class='{'pass' if c.passed else 'fail'}'>"
        f"{'pass' if c.passed else 'FAIL'}</td><td>{_e(c.detail)}</td></tr>"
        for c in checks
    )
    return f"<table><tr><th>check</th><th>result</th><th>detail</th></tr>{rows}</table>"


def _table(table: pl.DataFrame) -> str:
    numeric = [dtype.is_numeric() for dtype in table.dtypes]
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if n else ''}>{_e(v)}</td>" for v, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows_as_text(table)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _png(title: str, draw: Callable[[Axes], None]) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(6.4, 4.0))
        ax = figure.subplots()
        draw(ax)
        ax.set_title(title)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _records_per_split(ax: Axes, table3: pl.DataFrame) -> None:
    if table3["rows"].sum() == 0:
        return _no_data(ax)
    bars = ax.bar(table3["split"].to_list(), table3["rows"].to_list(), color="#4a7ab5")
    ax.bar_label(bars, labels=[f"{n:,}" for n in table3["rows"]], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("records (log scale)")
    ax.tick_params(axis="x", labelrotation=45)


def _species_sizes(ax: Axes, sizes: pl.DataFrame) -> None:
    if sizes.is_empty():
        return _no_data(ax)
    ax.loglog(
        sizes["records"].to_list(), sizes["species"].to_list(), "o", markersize=3, color="#4a7ab5"
    )
    ax.set_xlabel("records of the species")
    ax.set_ylabel("species")


def _labelled_fraction(ax: Axes, table2: pl.DataFrame) -> None:
    ranks = table2.filter(pl.col("column").is_in(list(RANKS)))
    ax.bar(ranks["column"].to_list(), ranks["labelled_pct"].fill_null(0).to_list(), color="#4a7ab5")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of records labelled")
    ax.tick_params(axis="x", labelrotation=45)


def _top_countries(ax: Axes, countries: pl.DataFrame) -> None:
    top = countries.head(TOP_COUNTRIES)
    if top.is_empty():
        return _no_data(ax)
    counts = top["records"].to_list()[::-1]
    bars = ax.barh(top["country"].to_list()[::-1], counts, color="#4a7ab5")
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], fontsize=7, padding=2)
    ax.set_xlabel("records")


def _changes_per_rule(ax: Axes, rules: pl.DataFrame) -> None:
    if rules["labels"].sum() == 0:
        return _no_data(ax)
    counts = rules["labels"].to_list()[::-1]
    bars = ax.barh(rules["rule"].to_list()[::-1], counts, color="#4a7ab5")
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], fontsize=7, padding=2)
    ax.set_xlabel("labels changed")
