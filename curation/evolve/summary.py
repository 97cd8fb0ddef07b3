"""The summary of a release diff, for a person: a Markdown page and a self-contained HTML page
with the same tables, and plots (PNG) of the split sizes, the relabellings and the moves.

Pure: a :class:`~curation.evolve.diff.ReleaseDiff` in, text and PNG bytes out, the same bytes for
the same diff.  Every value from the releases (species, labels, the releases' names) is escaped:
a species named ``<script>`` or ``*Aus*`` is shown as written.  Plots are drawn in the quality
report's style (mathtext off: a ``$`` in a label is a dollar sign).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from curation.evolve.diff import ReleaseDiff
from curation.release import report
from curation.release.stats_format import markdown_table, markdown_text
from schemas.tables import RANKS, SPECIES_SETS, SPLITS

#: Rows shown of the long tables (the Parquet tables hold them all).
TOP = 20
#: How a label no rule made reads in the per-rule table: it is the input's own.
NO_RULE = "none"
#: How a missing species set reads: the species is not in that release.
ABSENT = "absent"
#: What the diff's Parquet tables hold, by file name (listed at the end of the summary).
TABLE_NOTES: dict[str, str] = {
    "added": "records only in the newer release (processid, split, ranks, dna_bin)",
    "removed": "records only in the older release",
    "relabelled": "one row per record and rank whose label differs: old_value, new_value, and "
    "the rules of each release that made its value (old_rule, new_rule)",
    "moved": "records of both releases whose split differs: old_split, new_split",
    "species_sets": "species whose species set differs (a set is null where the species is absent)",
    "split_counts": "records per split before and after: kept, moved out and in, removed, added",
    "species_counts": "records and species set of every species before and after",
}


@dataclass(frozen=True)
class Section:
    """One table of the summary: its title, a sentence on how to read it, the table."""

    title: str
    caption: str
    table: pl.DataFrame


def overview(diff: ReleaseDiff) -> pl.DataFrame:
    """The headline counts: records before, after, added, removed, relabelled, moved; species."""
    counts, species = diff["split_counts"], diff["species_counts"]
    labelled = species.filter(pl.col("species").is_not_null())
    rows = [
        ("records in the older release", counts["old_records"].sum()),
        ("records in the newer release", counts["new_records"].sum()),
        ("records added", diff["added"].height),
        ("records removed", diff["removed"].height),
        ("records relabelled (at one rank or more)", diff["relabelled"]["processid"].n_unique()),
        ("labels relabelled", diff["relabelled"].height),
        ("records moved to another split", diff["moved"].height),
        ("species in the older release", labelled.filter(pl.col("old_records") > 0).height),
        ("species in the newer release", labelled.filter(pl.col("new_records") > 0).height),
        *_set_change_counts(diff["species_sets"]),
    ]
    return pl.DataFrame(rows, schema={"what": pl.String, "count": pl.Int64}, orient="row")


def _set_change_counts(sets: pl.DataFrame) -> list[tuple[str, int]]:
    """Species that appeared, disappeared, or are in both releases in another species set (a
    species of one release only is no change of set)."""
    named = sets.filter(pl.col("species").is_not_null())
    old, new = pl.col("old_set").is_not_null(), pl.col("new_set").is_not_null()
    return [
        ("species that appeared", named.filter(~old).height),
        ("species that disappeared", named.filter(~new).height),
        ("species that changed species set", named.filter(old & new).height),
    ]


def rule_columns(diff: ReleaseDiff) -> list[str]:
    """The ``*_rule`` columns that can name rules: those of releases with a changes table."""
    sides = (("old_rule", diff.old_rules), ("new_rule", diff.new_rules))
    return [column for column, named in sides if named]


def relabels_per_rank(diff: ReleaseDiff) -> pl.DataFrame:
    """Relabelled labels per rank (every rank listed): gained, lost, and made by a rule of the
    older (``old_by_rule``) or the newer release (``new_by_rule``)."""
    relabelled = diff["relabelled"]
    per_rank = relabelled.group_by("rank").agg(
        labels=pl.len(),
        gained=pl.col("old_value").is_null().sum(),
        lost=pl.col("new_value").is_null().sum(),
        **{
            f"{column.removesuffix('_rule')}_by_rule": pl.col(column).is_not_null().sum()
            for column in rule_columns(diff)
        },
    )
    ranks = pl.DataFrame({"rank": pl.Series(RANKS, dtype=relabelled.schema["rank"])})
    table = ranks.join(per_rank, on="rank", how="left").fill_null(0)
    return table.with_columns(pl.col("rank").cast(pl.String), pl.exclude("rank").cast(pl.Int64))


def relabels_per_rule(diff: ReleaseDiff) -> pl.DataFrame:
    """Relabelled labels per rule of each release that made its label (``none``: its input's)."""
    columns = rule_columns(diff)
    return (
        diff["relabelled"]
        .group_by(columns)
        .agg(labels=pl.len().cast(pl.Int64))
        .sort(["labels", *columns], descending=[True, *[False] * len(columns)], nulls_last=True)
        .with_columns(pl.col(columns).fill_null(NO_RULE))
    )


def top_relabellings(diff: ReleaseDiff, rows: int = TOP) -> pl.DataFrame:
    """The most frequent relabellings (rank, old -> new), with the records of each."""
    keys = ["rank", "old_value", "new_value", *rule_columns(diff)]
    return (
        diff["relabelled"]
        .group_by(keys)
        .agg(records=pl.len().cast(pl.Int64))
        .sort(["records", *keys], descending=[True, *[False] * len(keys)], nulls_last=True)
        .head(rows)
        .with_columns(pl.col("rank").cast(pl.String))
    )


def moves(diff: ReleaseDiff) -> pl.DataFrame:
    """Records moved from one split to another, per pair of splits, in split order."""
    return (
        diff["moved"]
        .group_by("old_split", "new_split")
        .agg(records=pl.len().cast(pl.Int64))
        .sort("old_split", "new_split")
        .with_columns(pl.col("old_split", "new_split").cast(pl.String))
    )


def set_changes(diff: ReleaseDiff) -> pl.DataFrame:
    """Species that appeared, disappeared or changed species set, per pair of sets
    (``absent``: not in that release)."""
    return (
        diff["species_sets"]
        .filter(pl.col("species").is_not_null())
        .with_columns(pl.col("old_set", "new_set").fill_null(ABSENT))
        .group_by("old_set", "new_set")
        .agg(
            species=pl.len().cast(pl.Int64),
            old_records=pl.col("old_records").sum(),
            new_records=pl.col("new_records").sum(),
        )
        .sort(["species", "old_set", "new_set"], descending=[True, False, False])
    )


def largest_species_changes(diff: ReleaseDiff, rows: int = TOP) -> pl.DataFrame:
    """The species whose record count changed most (either way)."""
    return (
        diff["species_counts"]
        .filter(pl.col("species").is_not_null())
        .with_columns(change=pl.col("new_records") - pl.col("old_records"))
        .filter(pl.col("change") != 0)
        .sort([pl.col("change").abs(), pl.col("species")], descending=[True, False])
        .head(rows)
        .select("species", "old_set", "new_set", "old_records", "new_records", "change")
    )


def sections(diff: ReleaseDiff) -> list[Section]:
    """The summary's tables, in page order."""
    counts = diff["split_counts"].with_columns(pl.col("split").cast(pl.String))
    sides = (("older", diff.old_rules), ("newer", diff.new_rules))
    without = [side for side, named in sides if not named]
    rule_note = (
        "by_rule: a curation rule of that release made its label, from its changes table"
        + "".join(f"; the {side} release has no changes table" for side in without)
    )
    found = [
        Section("Overview", "What changed, in records and species.", overview(diff)),
        Section(
            "Records per split",
            "Before and after, and how one becomes the other: old = kept + moved_out + removed, "
            "new = kept + moved_in + added.",
            counts,
        ),
        Section(
            "Relabelled labels per rank",
            "Labels of records in both releases that differ; gained: the older had none, lost: "
            f"the newer has none; {rule_note}.",
            relabels_per_rank(diff),
        ),
    ]
    if rule_columns(diff):
        found.append(
            Section(
                "Relabelled labels per rule",
                "The curation rules of each release that made its label; none: the label is "
                "that release's input value (none on both sides: the change is in the data, "
                "not in the curation).",
                relabels_per_rule(diff),
            )
        )
    return [
        *found,
        Section(
            f"Most frequent relabellings (top {TOP})",
            "Each old → new label at a rank, with its records; every one is in relabelled.parquet.",
            top_relabellings(diff),
        ),
        Section(
            "Moves between splits",
            "Records of both releases whose split differs, per pair of splits.",
            moves(diff),
        ),
        Section(
            "Species that appeared, disappeared or changed species set",
            "Species per change of species set (seen, unseen, heldout, unknown: from their "
            f"records' splits; {ABSENT}: not in that release); each species is in "
            "species_sets.parquet.",
            set_changes(diff),
        ),
        Section(
            f"Species whose record count changed most (top {TOP})",
            "Every species' counts are in species_counts.parquet.",
            largest_species_changes(diff),
        ),
    ]


def headline(diff: ReleaseDiff) -> str:
    """One line: the diff in words (empty or its main counts)."""
    if diff.is_empty():
        return "The two releases hold the same records, labels and splits."
    table = dict(overview(diff).iter_rows())
    return (
        f"{table['records added']:,} records added, {table['records removed']:,} removed, "
        f"{table['labels relabelled']:,} labels relabelled on "
        f"{table['records relabelled (at one rank or more)']:,} records, "
        f"{table['records moved to another split']:,} records moved to another split; "
        f"{table['species that appeared']:,} species appeared, "
        f"{table['species that disappeared']:,} disappeared, "
        f"{table['species that changed species set']:,} changed species set."
    )


def markdown(diff: ReleaseDiff, old: str, new: str, plot_dir: str = "plots") -> str:
    """The summary as Markdown; ``old``/``new`` name the releases, plots are in ``plot_dir``."""
    lines = [
        f"# Changes from {markdown_text(old)} to {markdown_text(new)}",
        "",
        markdown_text(headline(diff)),
        "",
    ]
    for section in sections(diff):
        lines += [f"## {markdown_text(section.title)}", "", markdown_text(section.caption), ""]
        lines += [markdown_table(section.table) if section.table.height else "none", ""]
    lines += ["## Plots", ""]
    for plot in PLOTS:
        lines += [f"![{markdown_text(plot.title)}]({plot_dir}/{plot.key}.png)", ""]
        lines += [markdown_text(plot.caption), ""]
    lines += ["## Tables", "", "Parquet files beside this page, for DuckDB or polars:", ""]
    lines += [f"- `{name}.parquet`: {markdown_text(note)}" for name, note in TABLE_NOTES.items()]
    return "\n".join(lines) + "\n"


def page(diff: ReleaseDiff, old: str, new: str, images: dict[str, bytes]) -> str:
    """The summary as one self-contained HTML page, plots embedded."""
    e = _e
    title = f"Changes from {old} to {new}"
    parts = [f"<h1>{e(title)}</h1>", f"<p>{e(headline(diff))}</p>"]
    for section in sections(diff):
        parts += [f"<h2>{e(section.title)}</h2>", f"<p>{e(section.caption)}</p>"]
        parts.append(report.html_table(section.table))
    parts.append("<h2>Plots</h2>")
    parts += [
        f"<figure><img alt='{e(plot.title)}' src='data:image/png;base64,"
        f"{base64.b64encode(images[plot.key]).decode('ascii')}'>"
        f"<figcaption>{e(plot.caption)}</figcaption></figure>"
        for plot in PLOTS
    ]
    parts += ["<h2>Tables</h2>", "<p>Parquet files beside this page, for DuckDB or polars:</p>"]
    items = "".join(
        f"<li><code>{e(name)}.parquet</code>: {e(note)}</li>" for name, note in TABLE_NOTES.items()
    )
    parts.append(f"<ul>{items}</ul>")
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{e(title)}</title>\n<style>{report.CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class DiffPlot:
    """One plot of the summary: file name, title, caption, and how it is drawn from the diff."""

    key: str
    title: str
    caption: str
    draw: Callable[[Axes, ReleaseDiff], None]


def plots(diff: ReleaseDiff) -> dict[str, bytes]:
    """PNG bytes of each plot of :data:`PLOTS`, by key."""
    return {plot.key: report.png(plot.title, lambda ax, p=plot: p.draw(ax, diff)) for plot in PLOTS}


def _no_data(ax: Axes, text: str = "no change") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _split_sizes(ax: Axes, diff: ReleaseDiff) -> None:
    counts = diff["split_counts"]
    positions = list(range(counts.height))
    width = 0.4
    for offset, column, label, colour in (
        (-width / 2, "old_records", "older", "#b0b0b0"),
        (width / 2, "new_records", "newer", "#4a7ab5"),
    ):
        values = counts[column].to_list()
        bars = ax.bar([p + offset for p in positions], values, width, label=label, color=colour)
        ax.bar_label(bars, labels=[f"{n:,}" for n in values], fontsize=6, rotation=90, padding=2)
    ax.set_xticks(positions, counts["split"].cast(pl.String).to_list(), rotation=45, ha="right")
    ax.set_yscale("symlog", linthresh=1)
    # room above the largest bar for its label and for the legend
    largest = max(counts["old_records"].max() or 0, counts["new_records"].max() or 0, 1)
    ax.set_ylim(0, largest * 300)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel("records (log scale)")
    ax.legend(fontsize=8, loc="upper right", ncols=2)


def _relabels(ax: Axes, diff: ReleaseDiff) -> None:
    table = relabels_per_rank(diff)
    if table["labels"].sum() == 0:
        return _no_data(ax)
    changed = (table["labels"] - table["gained"] - table["lost"]).to_list()
    bottom = [0] * table.height
    for values, label, colour in (
        (changed, "changed", "#4a7ab5"),
        (table["gained"].to_list(), "gained", "#6aaa64"),
        (table["lost"].to_list(), "lost", "#c8553d"),
    ):
        ax.bar(table["rank"].to_list(), values, bottom=bottom, label=label, color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("labels relabelled")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(fontsize=8)


def _moves(ax: Axes, diff: ReleaseDiff) -> None:
    table = moves(diff)
    if table.is_empty():
        return _no_data(ax, "no record moved")
    index = {split: i for i, split in enumerate(SPLITS)}
    grid = [[0] * len(SPLITS) for _ in SPLITS]
    for old, new, records in table.iter_rows():
        grid[index[old]][index[new]] = records
    shown = [[value or float("nan") for value in row] for row in grid]
    largest = max(map(max, grid))
    ax.imshow(shown, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(largest, 2)))
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                colour = "white" if value * value >= largest else "black"  # on dark cells
                ax.text(j, i, f"{value:,}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_xticks(range(len(SPLITS)), SPLITS, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(SPLITS)), SPLITS, fontsize=7)
    ax.set_xlabel("split in the newer release")
    ax.set_ylabel("split in the older release")


def _set_changes(ax: Axes, diff: ReleaseDiff) -> None:
    table = set_changes(diff)
    if table.is_empty():
        return _no_data(ax, "no species changed set")
    order = {name: i for i, name in enumerate((ABSENT, *SPECIES_SETS))}
    rows = sorted(
        table.select("old_set", "new_set", "species").iter_rows(),
        key=lambda row: (order.get(row[0], len(order)), order.get(row[1], len(order)), row),
    )
    names = [f"{old} -> {new}" for old, new, _ in rows][::-1]
    counts = [species for _, _, species in rows][::-1]
    report.labelled_barh(ax, names, counts)
    ax.set_xlabel("species")


#: The summary's plots, in page order.
PLOTS: tuple[DiffPlot, ...] = (
    DiffPlot(
        "split_sizes",
        "Records per split, before and after",
        "Records in each split of the older (grey) and the newer (blue) release, on a "
        "logarithmic scale; the numbers on the bars are exact.",
        _split_sizes,
    ),
    DiffPlot(
        "relabels_per_rank",
        "Relabelled labels per rank",
        "Labels that differ between the releases for records in both, per rank: changed to "
        "another name, gained (none before) or lost (none after).",
        _relabels,
    ),
    DiffPlot(
        "split_moves",
        "Records moved between splits",
        "Records in both releases whose split differs: each cell counts the records that moved "
        "from the row's split (older) to the column's split (newer); colours on a log scale.",
        _moves,
    ),
    DiffPlot(
        "species_set_changes",
        "Species that appeared, left or changed set",
        f"Species per change of species set, from the older to the newer release ({ABSENT}: the "
        "species is not in that release).",
        _set_changes,
    ),
)
