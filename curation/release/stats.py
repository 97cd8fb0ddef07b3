"""Statistics of the release (docs/curation.md#release-format).

Each table of the BIOSCAN-5M paper that the release can reproduce (Tables 2, 3, A4, A5, A6,
A9-A14) plus the curation and ingest summaries is one polars frame holding exact values
(rounding is for display only, see ``stats_format``).  "Missing" is null; a category
is a distinct non-null value.  Where the paper leaves a tie "arbitrary" (the most and least
populated value of a column) the smallest value in byte order is reported, so the tables are
deterministic.

Functions take lazy or eager frames: at 5 M records each table is a separate query that reads only
the columns it needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from schemas.tables import RANKS, RULES, SPECIES_SET_OF_SPLIT, SPECIES_SETS, SPLIT_DTYPE, SPLITS

Frame = pl.DataFrame | pl.LazyFrame


#: Every statistics table: file stem -> title.  The order is the order of ``tables.md``.
TABLES: dict[str, str] = {
    "table2": "Table 2: labels per column, whole release",
    "table3": "Table 3: records, barcodes and species per split",
    "tableA4": "Table A4: geography",
    "tableA5": "Table A5: category sizes per column",
    "tableA6": "Table A6: labels per column, class Insecta",
    "tableA9": "Table A9: non-empty categories per species set",
    "tableA10": "Table A10: non-empty categories per split",
    "tableA11": "Table A11: species in common between splits",
    "tableA12": "Table A12: species in common, % of the row split's species",
    "tableA13": "Table A13: genera in common between splits",
    "tableA14": "Table A14: genera in common, % of the row split's genera",
    "species_sizes": "Species by number of records",
    "countries": "Records per country",
    "curation_rules": "Label changes per curation rule",
    "curation_flags": "Records per curation flag",
    "inferred_ranks": "Records per inferred_ranks code",
    "rejects": "Rejected input rows per reason",
    "issues": "Ingest observations per field and issue (on released and rejected rows)",
}

#: Columns of the paper's Table 2 and Table A5.
TABLE2_COLUMNS: tuple[str, ...] = (*RANKS, "dna_bin", "dna_barcode")
TABLE_A5_COLUMNS: tuple[str, ...] = (*RANKS, "taxon", "dna_bin")
TABLE_A6_COLUMNS: tuple[str, ...] = (
    "order",
    "family",
    "subfamily",
    "genus",
    "species",
    "taxon",
    "dna_bin",
    "dna_barcode",
)
#: Table A4: single columns and the (lat, lon) pair, which counts as labelled when both are present.
TABLE_A4_COLUMNS: dict[str, tuple[str, ...]] = {
    "country": ("country",),
    "province_state": ("province_state",),
    "coord-lat": ("coord-lat",),
    "coord-lon": ("coord-lon",),
    "coord-lat, coord-lon": ("coord-lat", "coord-lon"),
}
_FLAGS: tuple[str, ...] = (
    "label_was_reworded",
    "label_was_inferred",
    "label_was_dropped",
    "bin_conflict",
)
#: Text label columns the tables read.
_TEXT_LABELS: tuple[str, ...] = (*RANKS, "taxon", "dna_bin", "country", "province_state")
#: Columns the tables read, besides dna_barcode.
_STATS_COLUMNS: tuple[str, ...] = (
    *RANKS,
    "taxon",
    "dna_bin",
    "country",
    "province_state",
    "coord-lat",
    "coord-lon",
    "split",
    "barcode_key",
    "inferred_ranks",
    *_FLAGS,
)


def compute(
    release: Frame, changes: Frame, rejects: Frame, issues: Frame
) -> dict[str, pl.DataFrame]:
    """Every table of TABLES, in its order (:func:`compute_from_columns` of the whole release)."""
    return compute_from_columns(stats_columns(release), changes, rejects, issues)


def stats_columns(release: Frame) -> pl.DataFrame:
    """What the tables read of (a part of) the release, in a narrow frame: text labels as
    Categorical (a few bytes a row), and of ``dna_barcode`` only the sequences that begin or end
    with N, the others being identified by their ``barcode_key`` (:func:`sequence_ids`).  The
    frames of a release's parts, concatenated, are the frame of the whole release."""
    return (
        release.lazy()
        .select(*_STATS_COLUMNS, *barcode_columns())
        .with_columns(pl.col(_TEXT_LABELS).cast(pl.Categorical))
        .collect()
    )


def barcode_columns() -> list[pl.Expr]:
    """What :func:`sequence_ids` needs of ``dna_barcode``: the sequences that begin or end with
    N, and whether there is one."""
    barcode = pl.col("dna_barcode")
    padded = barcode.str.starts_with("N") | barcode.str.ends_with("N")
    return [
        pl.when(padded).then(barcode).alias("_padded_barcode"),
        barcode.is_null().alias("_no_barcode"),
    ]


def compute_from_columns(
    columns: pl.DataFrame, changes: Frame, rejects: Frame, issues: Frame
) -> dict[str, pl.DataFrame]:
    """Every table of TABLES, in its order, from :func:`stats_columns` of the release.

    ``dna_barcode`` holds an integer per distinct sequence (:func:`sequence_ids`): the tables only
    count barcodes, and the sequences are most of the release's bytes.
    """
    release = (
        columns.with_columns(sequence_ids(columns)).drop("_padded_barcode", "_no_barcode").lazy()
    )
    tables = {
        "table2": table2(release),
        "table3": table3(release),
        "tableA4": table_a4(release),
        "tableA5": table_a5(release),
        "tableA6": table_a6(release),
        "tableA9": categories_per_set(release),
        "tableA10": categories_per_split(release),
        "tableA11": overlap(release, "species"),
        "tableA13": overlap(release, "genus"),
        "species_sizes": species_sizes(release),
        "countries": countries(release),
        "curation_rules": curation_rules(changes),
        "curation_flags": curation_flags(release),
        "inferred_ranks": inferred_ranks(release),
        "rejects": rejects_by_reason(rejects),
        "issues": issues_by_kind(issues),
    }
    tables["tableA12"] = row_normalised(tables["tableA11"])
    tables["tableA14"] = row_normalised(tables["tableA13"])
    return {
        name: tables[name].with_columns(pl.col(pl.Categorical).cast(pl.String)) for name in TABLES
    }


def sequence_ids(columns: pl.DataFrame) -> pl.Series:
    """``dna_barcode`` as one integer per distinct sequence, without hashing any sequence.

    A sequence that neither starts nor ends with N is its own N-stripped form, so its
    ``barcode_key`` identifies it; the few others (``_padded_barcode`` of :func:`stats_columns`)
    are numbered after the largest key, by their rank among themselves.  Which integer a
    sequence gets does not matter: it is never written.
    """
    padded = columns.get_column("_padded_barcode")
    ids = columns.get_column("barcode_key").cast(pl.UInt64)
    rows = padded.is_not_null().arg_true()
    if not rows.is_empty():
        after_keys = ids.max() + padded.gather(rows).rank("dense").cast(pl.UInt64)
        ids = ids.scatter(rows, after_keys)
    missing = pl.col("_no_barcode")
    return columns.select(pl.when(~missing).then(ids).alias("dna_barcode")).to_series()


def profile(frame: Frame, columns: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """Per named column (or tuple of columns): the paper's measures over its per-category
    counts.

    rows, categories, labelled, unlabelled, labelled_pct, imbalance_ratio (most / least populated
    category), most/least populated value and its count, and mean, median and population std of
    the per-category counts.  Missing values are no category; a column with no value has null
    ratios.
    """
    frame = frame.lazy()
    rows = frame.select(pl.len()).collect().item()
    results = []
    for name, group in columns.items():
        counts = frame.select(group).drop_nulls().group_by(group).agg(n=pl.len())
        value = pl.concat_str([pl.col(c).cast(pl.String) for c in group], separator=", ")
        summary = counts.select(
            pl.lit(name).alias("column"),
            pl.lit(rows, dtype=pl.Int64).alias("rows"),
            pl.len().cast(pl.Int64).alias("categories"),
            pl.col("n").sum().cast(pl.Int64).alias("labelled"),
            value.sort_by(pl.col("n"), value, descending=[True, False]).first().alias("most"),
            pl.col("n").max().cast(pl.Int64).alias("most_n"),
            value.sort_by(pl.col("n"), value).first().alias("least"),
            pl.col("n").min().cast(pl.Int64).alias("least_n"),
            pl.col("n").median().cast(pl.Float64).alias("median"),
            pl.col("n").cast(pl.Int64).sum().alias("_s1"),
            (pl.col("n").cast(pl.Int64) * pl.col("n").cast(pl.Int64)).sum().alias("_s2"),
        ).collect()
        moments = _mean_std(*summary.select("categories", "_s1", "_s2").row(0))
        results.append(summary.with_columns(**moments).drop("_s1", "_s2"))
    table = pl.concat(results)
    return table.with_columns(
        unlabelled=pl.col("rows") - pl.col("labelled"),
        labelled_pct=_percent(pl.col("labelled"), pl.col("rows")),
        imbalance_ratio=pl.when(pl.col("least_n") > 0).then(pl.col("most_n") / pl.col("least_n")),
    )


def _mean_std(categories: int, s1: int | None, s2: int | None) -> dict[str, pl.Expr]:
    """Mean and population std of the per-category counts from their exact integer sums.

    A float sum over an unordered group-by result depends on the order the parallel engine
    produced the groups in; the integer sums do not, so the statistics are the same bytes on
    every run and for every shard count.
    """
    if not categories:
        return {"mean": pl.lit(None, pl.Float64), "std": pl.lit(None, pl.Float64)}
    variance = (categories * s2 - s1 * s1) / (categories * categories)
    return {
        "mean": pl.lit(s1 / categories, pl.Float64),
        "std": pl.lit(math.sqrt(variance), pl.Float64),
    }


def table2(release: Frame) -> pl.DataFrame:
    return profile(release, {c: (c,) for c in TABLE2_COLUMNS}).select(
        "column", "categories", "labelled", "labelled_pct", "imbalance_ratio"
    )


def table_a4(release: Frame) -> pl.DataFrame:
    return profile(release, TABLE_A4_COLUMNS).select(
        "column",
        "categories",
        "labelled",
        "unlabelled",
        "labelled_pct",
        "imbalance_ratio",
        "most",
        "most_n",
        "least",
        "least_n",
    )


def table_a5(release: Frame) -> pl.DataFrame:
    return profile(release, {c: (c,) for c in TABLE_A5_COLUMNS}).select(
        "column", "categories", "most", "most_n", "least", "least_n", "mean", "median", "std"
    )


def table_a6(release: Frame) -> pl.DataFrame:
    insecta = release.lazy().filter(pl.col("class") == "Insecta")
    return profile(insecta, {c: (c,) for c in TABLE_A6_COLUMNS}).select(
        "column", "rows", "categories", "labelled", "labelled_pct", "imbalance_ratio"
    )


def table3(release: Frame) -> pl.DataFrame:
    """Per split: rows (and % of all), distinct raw barcodes, distinct barcode keys, species."""
    per_split = (
        release.lazy()
        .group_by("split")
        .agg(
            rows=pl.len().cast(pl.Int64),
            barcodes=pl.col("dna_barcode").drop_nulls().n_unique().cast(pl.Int64),
            barcode_keys=pl.col("barcode_key").drop_nulls().n_unique().cast(pl.Int64),
            species=pl.col("species").drop_nulls().n_unique().cast(pl.Int64),
        )
        .collect()
    )
    table = _all_splits().join(per_split, on="split", how="left").fill_null(0)
    return table.select(
        pl.col("split").cast(pl.String).replace_strict(SPECIES_SET_OF_SPLIT).alias("species_set"),
        pl.col("split").cast(pl.String),
        "rows",
        _percent(pl.col("rows"), pl.col("rows").sum()).alias("rows_pct"),
        "barcodes",
        "barcode_keys",
        "species",
    )


def categories_per_split(release: Frame) -> pl.DataFrame:
    """Distinct non-null values per rank in each split, and overall (Table A10)."""
    return _categories_per(release, pl.col("split").cast(pl.String), "split", SPLITS)


def categories_per_set(release: Frame) -> pl.DataFrame:
    """Distinct non-null values per rank in each species set, and overall (Table A9)."""
    species_set = pl.col("split").cast(pl.String).replace_strict(SPECIES_SET_OF_SPLIT)
    return _categories_per(release, species_set, "species_set", SPECIES_SETS)


def _categories_per(
    release: Frame, group: pl.Expr, label: str, groups: Sequence[str]
) -> pl.DataFrame:
    counts = [pl.col(rank).drop_nulls().n_unique().cast(pl.Int64).alias(rank) for rank in RANKS]
    release = release.lazy()
    per_group = release.group_by(group.alias(label)).agg(counts).collect()
    overall = release.select(counts).collect().with_columns(pl.lit("overall").alias(label))
    table = pl.DataFrame({label: [*groups]}).join(per_group, on=label, how="left").fill_null(0)
    return pl.concat([table, overall.select(table.columns)])


def overlap(release: Frame, rank: str) -> pl.DataFrame:
    """|S(P_i) ∩ S(P_j)|: distinct non-null ``rank`` values in both split i (row) and j (column)."""
    present = release.lazy().select("split", rank).drop_nulls().unique()
    pairs = (
        present.join(present, on=rank, suffix="_other")
        .group_by("split", "split_other")
        .agg(n=pl.len().cast(pl.Int64))
        .group_by("split")
        .agg([pl.col("n").filter(pl.col("split_other") == s).sum().alias(s) for s in SPLITS])
        .collect()
    )
    table = _all_splits().join(pairs, on="split", how="left").fill_null(0)
    return table.with_columns(pl.col("split").cast(pl.String))


def row_normalised(counts: pl.DataFrame) -> pl.DataFrame:
    """100 · A[i, j] / A[i, i]; null where the row split has no value (e.g. pretrain species)."""
    diagonal = pl.coalesce([pl.when(pl.col("split") == s).then(pl.col(s)) for s in SPLITS])
    return counts.select(
        "split", *(pl.when(diagonal > 0).then(100 * pl.col(s) / diagonal).alias(s) for s in SPLITS)
    )


def species_sizes(release: Frame) -> pl.DataFrame:
    """How many species have each number of records (the species-size distribution)."""
    labelled = release.lazy().filter(pl.col("species").is_not_null())
    return (
        _count(_count(labelled, ("species",), "records"), ("records",), "species")
        .sort("records")
        .collect()
    )


def countries(release: Frame) -> pl.DataFrame:
    """Records per country, most first (ties by name); records without a country are left out."""
    located = release.lazy().filter(pl.col("country").is_not_null())
    return _most_first(located, ("country",), "records")


def curation_rules(changes: Frame) -> pl.DataFrame:
    """Per rule, in application order: labels changed and distinct records touched.

    Every rule of the vocabulary is listed, unused ones with 0; a rule outside the vocabulary
    (which curation must never produce) is listed after them rather than dropped.
    """
    per_rule = (
        changes.lazy()
        .group_by("rule")
        .agg(labels=pl.len().cast(pl.Int64), records=pl.col("processid").n_unique().cast(pl.Int64))
        .collect()
    )
    known = pl.DataFrame({"rule": list(RULES), "description": list(RULES.values())})
    unknown = per_rule.filter(~pl.col("rule").is_in(list(RULES))).sort("rule").select("rule")
    order = pl.concat([known, unknown.with_columns(description=pl.lit(None, pl.String))])
    return order.join(per_rule, on="rule", how="left", maintain_order="left").fill_null(0)


def curation_flags(release: Frame) -> pl.DataFrame:
    """Records carrying each per-record curation flag, and their share of all records."""
    counts = (
        release.lazy()
        .select(pl.len().alias("_rows"), *(pl.col(f).sum().cast(pl.Int64) for f in _FLAGS))
        .collect()
    )
    rows = counts["_rows"][0]
    return pl.DataFrame(
        {"flag": list(_FLAGS), "records": [counts[f][0] for f in _FLAGS]}
    ).with_columns(records_pct=_percent(pl.col("records"), pl.lit(rows)))


def inferred_ranks(release: Frame) -> pl.DataFrame:
    """Records per ``inferred_ranks`` code 0-6 (0: nothing inferred)."""
    codes = pl.DataFrame(
        {"inferred_ranks": list(range(len(RANKS)))}, schema={"inferred_ranks": pl.UInt8}
    )
    per_code = (
        release.lazy().group_by("inferred_ranks").agg(records=pl.len().cast(pl.Int64)).collect()
    )
    return (
        codes.join(per_code, on="inferred_ranks", how="full", coalesce=True)
        .fill_null(0)
        .sort("inferred_ranks")
    )


def rejects_by_reason(rejects: Frame) -> pl.DataFrame:
    """Rejected input rows per reason code, most first."""
    return _most_first(rejects, ("reason",), "rows")


def issues_by_kind(issues: Frame) -> pl.DataFrame:
    """Non-fatal ingest observations per (field, issue), most first."""
    return _most_first(issues, ("field", "issue"), "rows")


def _count(frame: Frame, by: Sequence[str], name: str) -> pl.LazyFrame:
    """Rows per distinct ``by``, counted in column ``name``."""
    return frame.lazy().group_by(*by).agg(pl.len().cast(pl.Int64).alias(name))


def _most_first(frame: Frame, by: Sequence[str], name: str) -> pl.DataFrame:
    """:func:`_count`, largest count first, ties by ``by``."""
    order = [name, *by]
    return (
        _count(frame, by, name)
        .sort(order, descending=[i == 0 for i in range(len(order))])
        .collect()
    )


def _all_splits() -> pl.DataFrame:
    return pl.DataFrame({"split": pl.Series(SPLITS, dtype=SPLIT_DTYPE)})


def _percent(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(100 * part / whole)
