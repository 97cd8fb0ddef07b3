"""The quality report: one self-contained, deterministic HTML page about a release.

It shows the invariant checks with pass/fail, plots of the release's shape (:data:`PLOTS`, each
with a caption saying how to read it), every statistics table and the configuration that produced
it.  Plots are PNG images embedded as base64, drawn by matplotlib's Agg renderer on a figure that
never touches pyplot's global state, with the PNG ``Software`` tag and every date left out: the
same release gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import polars as pl
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, MaxNLocator, StrMethodFormatter

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


#: Examples of a failed check shown in its detail.
SHOWN_EXAMPLES = 5


def detail_text(fields: Mapping[str, Any]) -> str:
    """A check's recorded fields in words: ``violations``/``unit``/``examples`` as "2 violations
    (keys), e.g. a, b"; any other field as "name: value"."""
    rest = dict(fields)
    parts = []
    if "violations" in rest:
        count, unit = rest.pop("violations"), rest.pop("unit", None)
        examples = rest.pop("examples", None) or []
        text = f"{_value(count)} violation{'' if count == 1 else 's'}"
        parts.append(text + (f" ({unit})" if unit else ""))
        if examples:
            shown = ", ".join(_value(e) for e in examples[:SHOWN_EXAMPLES])
            parts.append(f"e.g. {shown}" + (", …" if len(examples) > SHOWN_EXAMPLES else ""))
    parts += [f"{key.replace('_', ' ')}: {_value(rest[key])}" for key in sorted(rest, key=str)]
    return "; ".join(parts)


def _value(value: Any) -> str:
    """A JSON value as text: numbers with thousands separators, lists and objects flattened."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) or "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_value(v)}" for k, v in sorted(value.items(), key=str))
    return str(value)


def checks_from_json(document: Any, source: str) -> list[Check]:
    """Every check recorded in a stage's JSON: each object with a boolean ``passed``, anywhere.

    The check is named by its ``name`` key, or else by its path in the document, prefixed with
    ``source``; the other keys of the object become its detail (:func:`detail_text`).
    """
    found: list[Check] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("passed"), bool):
                name = str(node.get("name") or path)
                rest = {k: v for k, v in node.items() if k not in ("passed", "name")}
                found.append(Check(f"{source}: {name}", node["passed"], detail_text(rest)))
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


@dataclass(frozen=True)
class Plot:
    """One plot of the report: its file name, the title drawn on it, the caption under it (how to
    read it) and the function that draws it from the statistics tables."""

    key: str
    title: str
    caption: str
    draw: Callable[[Axes, Mapping[str, pl.DataFrame]], None]


def plots(tables: Mapping[str, pl.DataFrame]) -> dict[str, bytes]:
    """PNG bytes of each plot of :data:`PLOTS`, by key."""
    return {plot.key: png(plot.title, lambda ax, p=plot: p.draw(ax, tables)) for plot in PLOTS}


def render(
    *,
    title: str,
    tables: Mapping[str, pl.DataFrame],
    titles: Mapping[str, str],
    checks: list[Check],
    config: Mapping[str, Any],
    summaries: Mapping[str, Any],
    images: Mapping[str, bytes] | None = None,
    links: Sequence[Sequence[str]] = (),
    files: Sequence[Sequence[str]] = (),
) -> str:
    """The report page.  ``summaries`` are the stages' JSON summaries, shown verbatim; ``images``
    the PNGs of :func:`plots` if the caller has drawn them already; ``links`` (href, text)
    pairs to other pages of the release (the diff's summary), shown under the verdict, and
    ``files`` (href, text) pairs to the release's files beside the report, in one line."""
    failed = sum(not c.passed for c in checks)
    verdict = (
        f"all {len(checks)} checks passed"
        if not failed
        else f"{failed} of {len(checks)} checks FAILED"
    )
    sections = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="{"pass" if not failed else "fail"}">{_e(verdict)}</p>',
        *(f"<p><a href='{_e(href)}'>{_e(text)}</a></p>" for href, text in links),
        *(
            ["<p>Files: " + " · ".join(_link(href, text) for href, text in files) + "</p>"]
            if files
            else []
        ),
        _nav(titles),
        "<h2 id='checks'>Invariant checks</h2>",
        _checks_table(checks),
        "<h2 id='plots'>Plots</h2>",
        _figures(plots(tables) if images is None else images),
        "<h2 id='tables'>Statistics</h2>",
    ]
    for name, table in tables.items():
        sections += [
            f"<h3 id='{_e(name)}'>{_e(titles[name])}</h3>",
            f"<p><a href='stats/{_e(name)}.csv'><code>stats/{_e(name)}.csv</code></a></p>",
            html_table(_explained(name, table)),
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
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


CSS = (
    "body{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}"
    "th,td{border:1px solid #ccc;padding:0.2rem 0.5rem}td.n{text-align:right}"
    "th{background:#f2f2f2}.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}"
    "figure{display:inline-block;vertical-align:top;width:calc(50% - 1.5rem);margin:0 1rem 1.5rem 0}"
    "figure img{width:100%}figcaption{font-size:0.9rem;color:#444;line-height:1.35}"
    "pre{background:#f7f7f7;padding:0.5rem;white-space:pre-wrap;overflow-wrap:anywhere}"
    "details.rows>summary{cursor:pointer;color:#1a4d8f;margin:0.3rem 0}p.none{color:#666}"
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _link(href: str, text: str) -> str:
    return f"<a href='{_e(href)}'><code>{_e(href)}</code></a> ({_e(text)})"


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


def _figures(images: Mapping[str, bytes]) -> str:
    """Each plot with its caption, in :data:`PLOTS` order."""
    shown = [plot for plot in PLOTS if plot.key in images]
    return "\n".join(
        f"<figure><img alt='{_e(plot.title)}' "
        f"src='data:image/png;base64,{base64.b64encode(images[plot.key]).decode('ascii')}'>"
        f"<figcaption>{_e(plot.caption)}</figcaption></figure>"
        for plot in shown
    )


#: Tables longer than this are folded: a summary line, the rows one click away.
FOLD_ROWS = 20


def inferred_ranks_meaning(code: int) -> str:
    """What an ``inferred_ranks`` code says: the ranks C6 filled, from the shallowest down to
    species (docs/curation.md#inference)."""
    if code == 0:
        return "nothing inferred"
    shallowest = RANKS[len(RANKS) - code]
    return "species inferred" if code == 1 else f"{shallowest} to species inferred"


def _explained(name: str, table: pl.DataFrame) -> pl.DataFrame:
    """The table as shown: the inferred_ranks codes get a column saying what they mean."""
    if name != "inferred_ranks" or "inferred_ranks" not in table.columns:
        return table
    meanings = [inferred_ranks_meaning(int(code)) for code in table["inferred_ranks"]]
    return table.with_columns(pl.Series("meaning", meanings, dtype=pl.String))


def html_table(table: pl.DataFrame) -> str:
    """A table as HTML: "none" when it has no rows, folded when it has more than FOLD_ROWS."""
    if table.is_empty():
        return "<p class='none'>none</p>"
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
    html_table = f"<table><tr>{head}</tr>{body}</table>"
    if table.height <= FOLD_ROWS:
        return html_table
    return (
        f"<details class='rows'><summary>{table.height:,} rows: show the table</summary>"
        f"{html_table}</details>"
    )


def png(title: str, draw: Callable[[Axes], None], size: tuple[float, float] = (6.4, 4.0)) -> bytes:
    """A plot drawn by ``draw`` under ``title``, as PNG bytes in the report's style (the same
    drawing gives the same bytes).  The release diff's plots are drawn here too."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=size)
        ax = figure.subplots()
        draw(ax)
        ax.set_title(title)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _records_per_split(ax: Axes, tables: Mapping[str, pl.DataFrame]) -> None:
    table3 = tables["table3"]
    if table3["rows"].sum() == 0:
        return _no_data(ax)
    bars = ax.bar(table3["split"].to_list(), table3["rows"].to_list(), color="#4a7ab5")
    ax.bar_label(bars, labels=[f"{n:,}" for n in table3["rows"]], fontsize=7)
    ax.set_yscale("log")
    plain_log_labels(ax.yaxis)
    ax.set_ylabel("records (log scale)")
    ax.tick_params(axis="x", labelrotation=45)


def _species_sizes(ax: Axes, tables: Mapping[str, pl.DataFrame]) -> None:
    sizes = tables["species_sizes"]
    if sizes.is_empty():
        return _no_data(ax)
    ax.loglog(
        sizes["records"].to_list(), sizes["species"].to_list(), "o", markersize=3, color="#4a7ab5"
    )
    plain_log_labels(ax.xaxis)
    plain_log_labels(ax.yaxis)
    ax.set_xlabel("records per species (log scale)")
    ax.set_ylabel("number of species (log scale)")


def _labelled_fraction(ax: Axes, tables: Mapping[str, pl.DataFrame]) -> None:
    ranks = tables["table2"].filter(pl.col("column").is_in(list(RANKS)))
    ax.bar(ranks["column"].to_list(), ranks["labelled_pct"].fill_null(0).to_list(), color="#4a7ab5")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of records labelled")
    ax.tick_params(axis="x", labelrotation=45)


def _top_countries(ax: Axes, tables: Mapping[str, pl.DataFrame]) -> None:
    top = tables["countries"].head(TOP_COUNTRIES)
    if top.is_empty():
        return _no_data(ax)
    counts = top["records"].to_list()[::-1]
    labelled_barh(ax, top["country"].to_list()[::-1], counts)
    ax.set_xlabel("records")


def _changes_per_rule(ax: Axes, tables: Mapping[str, pl.DataFrame]) -> None:
    """Rules that changed labels, the largest at the top; rules that changed none are left out."""
    rules = (
        tables["curation_rules"]
        .filter(pl.col("labels") > 0)
        .sort(["labels", "rule"], descending=[True, False])
    )
    if rules.is_empty():
        return _no_data(ax)
    counts = rules["labels"].to_list()[::-1]
    labelled_barh(ax, rules["rule"].to_list()[::-1], counts)
    ax.set_xlabel("labels changed")


def labelled_barh(ax: Axes, names: list[str], counts: list[int]) -> None:
    """Horizontal bars with their exact counts at their ends, inside the axes."""
    bars = ax.barh(names, counts, color="#4a7ab5")
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], fontsize=7, padding=2)
    ax.set_xlim(0, max(counts) * 1.18)
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


class _PlainLogFormatter(LogFormatter):
    """matplotlib's choice of the log ticks to label (also between decades when the axis spans
    few), written as plain numbers: its default writes mathtext, which the report's style does
    not parse (``$\\mathdefault{10^{3}}$`` would show as such)."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return f"{x:,.0f}" if x >= 1 else f"{x:g}"


def plain_log_labels(axis: Axis) -> None:
    """Label a logarithmic axis in plain numbers (1, 10, 1,000)."""
    axis.set_major_formatter(_PlainLogFormatter())
    axis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))


#: The report's plots, in page order.
PLOTS: tuple[Plot, ...] = (
    Plot(
        "records_per_split",
        "Records per split",
        "Records in each of the eight splits, in release order. The scale is logarithmic so that "
        "the small evaluation splits show beside pretrain; the number on each bar is exact.",
        _records_per_split,
    ),
    Plot(
        "species_sizes",
        "Species by number of records",
        "How many species have a given number of records, both axes logarithmic: the points at "
        "the top left are the many species with one or two records, those at the bottom right the "
        "few largest species (table species_sizes).",
        _species_sizes,
    ),
    Plot(
        "labelled_fraction",
        "Labelled fraction per rank",
        "Share of the released records with a label at each rank, from phylum down to species "
        "(Table 2): deeper ranks are labelled less often.",
        _labelled_fraction,
    ),
    Plot(
        "top_countries",
        f"Top {TOP_COUNTRIES} countries",
        f"Records collected in the {TOP_COUNTRIES} most frequent countries or oceans; every "
        "country is in the table countries.",
        _top_countries,
    ),
    Plot(
        "changes_per_rule",
        "Label changes per curation rule",
        "Labels each curation rule changed, the largest count at the top; rules that changed no "
        "label are left out. What each rule does is in the table curation_rules and in "
        "docs/curation.md; every change is a row of changes.parquet.",
        _changes_per_rule,
    ),
)
