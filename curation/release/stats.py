"""Statistics of the release (docs/curation.md#release-format).

Each table of the BIOSCAN-5M paper that the release can reproduce (Tables 2, 3, A4, A5, A6,
A9-A14) plus the curation and ingest summaries is one polars frame holding exact values
(rounding is for display only, see ``stats_format``).  "Missing" is null; a category
is a distinct non-null value.  Where the paper leaves a tie "arbitrary" (the most and least
populated value of a column) the smallest value in byte order is reported, so the tables are
deterministic.

The tables are computed from :class:`Counts`, record counts per group that the release's parts
add up to (:class:`Tally`), so the release need never be in memory whole (docs/decisions.md
"Statistics are counted where they are written"); the table functions also take the release
itself, lazy or eager.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from schemas.tables import (
    RANKS,
    RELEASE_PARQUET_SCHEMA,
    RULES,
    SPECIES_SET_OF_SPLIT,
    SPECIES_SETS,
    SPLIT_DTYPE,
    SPLITS,
)

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
TEXT_LABELS: tuple[str, ...] = (*RANKS, "taxon", "dna_bin", "country", "province_state")
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
_COORDINATES: tuple[str, ...] = ("coord-lat", "coord-lon")
#: Columns of :class:`Counts` that parts add up; the others are the groups.
_ADDED: tuple[str, ...] = ("n", *_FLAGS)


def compute(
    release: Frame, changes: Frame, rejects: Frame, issues: Frame
) -> dict[str, pl.DataFrame]:
    """Every table of TABLES, in its order, of a whole release (:func:`tables` of its
    :func:`count`)."""
    return tables(count(release), changes, rejects, issues)


@dataclass(frozen=True)
class Counts:
    """What the tables read of (a part of) the release, as record counts (``n``) per group.

    Every statistic is a count or a distinct count per group, so the counts of a release's parts,
    added up (:func:`merge`), are the counts of the whole release, and their size is set by the
    distinct values, not by the rows.  ``insecta`` marks class Insecta (Table A6).

    * ``records``: per (split, insecta, inferred_ranks): records and each flag's true count;
    * ``labels``: per text label column, per (split, insecta, non-null value);
    * ``barcodes``: per (split, insecta, barcode_key, ``_no_barcode``), the records whose
      sequence is not N-padded (:func:`barcode_columns`);
    * ``padded``: per (split, insecta, barcode_key, ``_padded_barcode``), the few others (apart,
      so that the many groups of ``barcodes`` hold no string);
    * ``coordinates``: per (coord-lat, coord-lon), missing ones included.
    """

    records: pl.DataFrame
    labels: dict[str, pl.DataFrame]
    barcodes: pl.DataFrame
    padded: pl.DataFrame
    coordinates: pl.DataFrame

    @property
    def height(self) -> int:
        """Rows of all the frames: what the counts take in memory, roughly."""
        frames = (self.records, self.barcodes, self.padded, self.coordinates, *self.labels.values())
        return sum(frame.height for frame in frames)

    @cached_property
    def sequenced(self) -> pl.LazyFrame:
        """``barcodes`` with ``dna_barcode``, an integer per distinct sequence
        (:func:`sequence_ids`)."""
        barcodes = pl.concat(
            [
                self.barcodes.with_columns(_padded_barcode=pl.lit(None, pl.String)),
                self.padded.with_columns(_no_barcode=pl.lit(False)),
            ],
            how="diagonal",
        )
        ids = sequence_ids(barcodes)
        return barcodes.with_columns(ids).drop("_padded_barcode", "_no_barcode").lazy()

    def rows(self, *, insecta: bool = False) -> int:
        """Records of the release (of class Insecta only with ``insecta``)."""
        records = self.records.filter(pl.col("insecta")) if insecta else self.records
        return records.get_column("n").sum()

    def per_value(self, group: tuple[str, ...], *, insecta: bool = False) -> pl.LazyFrame:
        """Records per distinct value of a column (or tuple of columns), missing ones left out,
        as ``group`` and ``n``."""
        if group[0] == "dna_barcode":
            frame = self.sequenced
        elif group[0] in _COORDINATES:
            frame = self.coordinates.lazy()
        else:
            frame = self.labels[group[0]].lazy()
        if insecta:
            frame = frame.filter(pl.col("insecta"))
        return frame.drop_nulls(group).group_by(group).agg(pl.col("n").sum())


#: The release, or its counts: what the table functions take.
Release = Counts | Frame


def count(release: Frame) -> Counts:
    """The :class:`Counts` of (a part of) the release."""
    frame = (
        release.lazy()
        .select(*_STATS_COLUMNS, *barcode_columns())
        .with_columns(insecta=(pl.col("class") == "Insecta").fill_null(False))
        .collect()  # once, for the queries below
        .lazy()
    )
    n = pl.len().cast(pl.Int64).alias("n")
    by = ("split", "insecta")
    is_padded = pl.col("_padded_barcode").is_not_null()
    unpadded, padded = frame.filter(~is_padded), frame.filter(is_padded)
    queries = [
        frame.group_by(*by, "inferred_ranks").agg(
            n, *(pl.col(f).sum().cast(pl.Int64) for f in _FLAGS)
        ),
        unpadded.group_by(*by, "barcode_key", "_no_barcode").agg(n),
        padded.group_by(*by, "barcode_key", "_padded_barcode").agg(n),
        frame.group_by(*_COORDINATES).agg(n),
        *(frame.drop_nulls(c).group_by(*by, c).agg(n) for c in TEXT_LABELS),
    ]
    records, barcodes, padded, coordinates, *labels = pl.collect_all(queries)
    labelled = dict(zip(TEXT_LABELS, labels, strict=True))
    return Counts(records, labelled, barcodes, padded, coordinates)


def merge(parts: Sequence[Counts]) -> Counts:
    """The counts of the parts together: per group, the parts' counts added up."""

    def added(frames: list[pl.DataFrame]) -> pl.LazyFrame:
        frame = pl.concat(frames).lazy()
        columns = frame.collect_schema().names()
        keys = [c for c in columns if c not in _ADDED]
        return frame.group_by(keys).agg(pl.col(c).sum() for c in columns if c in _ADDED)

    queries = [
        added([p.records for p in parts]),
        added([p.barcodes for p in parts]),
        added([p.padded for p in parts]),
        added([p.coordinates for p in parts]),
        *(added([p.labels[c] for p in parts]) for c in TEXT_LABELS),
    ]
    records, barcodes, padded, coordinates, *labels = pl.collect_all(queries)
    labelled = dict(zip(TEXT_LABELS, labels, strict=True))
    return Counts(records, labelled, barcodes, padded, coordinates)


class Tally:
    """The counts of a release given a part at a time.  The parts' counts are merged whenever
    those not yet merged outgrow the merged ones: memory stays within about twice the counts of
    the whole release, and each group is re-added only a few times."""

    def __init__(self, merge_at: int = 1_000_000) -> None:
        #: Groups left unmerged at least (a million: a few tens of MB).
        self.merge_at = merge_at
        self._merged: list[Counts] = []
        self._pending: list[Counts] = []

    def add(self, part: Frame) -> None:
        """Count ``part`` in."""
        self._pending.append(count(part))
        merged = sum(c.height for c in self._merged)
        if sum(c.height for c in self._pending) > max(merged, self.merge_at):
            self._merged = [merge(self._merged + self._pending)]
            self._pending = []

    def total(self) -> Counts:
        """The counts of every part added, or of an empty release if none was."""
        counted = self._merged + self._pending
        return merge(counted) if counted else count(pl.DataFrame(schema=RELEASE_PARQUET_SCHEMA))


def barcode_columns() -> list[pl.Expr]:
    """What :func:`sequence_ids` needs of ``dna_barcode``: the sequences that begin or end with
    N, and whether there is one."""
    barcode = pl.col("dna_barcode")
    padded = barcode.str.starts_with("N") | barcode.str.ends_with("N")
    return [
        pl.when(padded).then(barcode).alias("_padded_barcode"),
        barcode.is_null().alias("_no_barcode"),
    ]


def tables(
    counts: Counts, changes: Frame, rejects: Frame, issues: Frame
) -> dict[str, pl.DataFrame]:
    """Every table of TABLES, in its order, from the :class:`Counts` of the release.

    ``dna_barcode`` is counted as an integer per distinct sequence (:func:`sequence_ids`): the
    tables only count barcodes, and the sequences are most of the release's bytes.
    """
    computed = {
        "table2": table2(counts),
        "table3": table3(counts),
        "tableA4": table_a4(counts),
        "tableA5": table_a5(counts),
        "tableA6": table_a6(counts),
        "tableA9": categories_per_set(counts),
        "tableA10": categories_per_split(counts),
        "tableA11": overlap(counts.labels["species"], "species"),
        "tableA13": overlap(counts.labels["genus"], "genus"),
        "species_sizes": species_sizes(counts),
        "countries": countries(counts),
        "curation_rules": curation_rules(changes),
        "curation_flags": curation_flags(counts),
        "inferred_ranks": inferred_ranks(counts),
        "rejects": rejects_by_reason(rejects),
        "issues": issues_by_kind(issues),
    }
    computed["tableA12"] = row_normalised(computed["tableA11"])
    computed["tableA14"] = row_normalised(computed["tableA13"])
    return {name: computed[name] for name in TABLES}


def sequence_ids(columns: pl.DataFrame) -> pl.Series:
    """``dna_barcode`` as one integer per distinct sequence, without hashing any sequence.

    A sequence that neither starts nor ends with N is its own N-stripped form, so its
    ``barcode_key`` identifies it; the few others (``_padded_barcode`` of :func:`barcode_columns`)
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
    """Per named column (or tuple of columns) of ``frame``: the paper's measures over its
    per-category counts (:func:`profile_counts`)."""
    frame = frame.lazy()
    rows = frame.select(pl.len()).collect().item()
    per_value = {
        name: _count(frame.select(group).drop_nulls(), group, "n")
        for name, group in columns.items()
    }
    return profile_counts(rows, per_value)


def profile_counts(rows: int, per_value: dict[str, pl.LazyFrame]) -> pl.DataFrame:
    """Per named column: the paper's measures over its per-category counts, given as the
    category's value columns and its record count ``n`` (missing values counted in none).

    rows, categories, labelled, unlabelled, labelled_pct, imbalance_ratio (most / least populated
    category), most/least populated value and its count, and mean, median and population std of
    the per-category counts.  A column with no value has null ratios.
    """
    results = []
    for name, counts in per_value.items():
        group = [c for c in counts.collect_schema().names() if c != "n"]
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


def _profiled(
    release: Release, columns: dict[str, tuple[str, ...]], *, insecta: bool = False
) -> pl.DataFrame:
    """:func:`profile_counts` of the release's columns (of its Insecta only, with ``insecta``)."""
    counts = _counted(release)
    per_value = {name: counts.per_value(group, insecta=insecta) for name, group in columns.items()}
    return profile_counts(counts.rows(insecta=insecta), per_value)


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


def table2(release: Release) -> pl.DataFrame:
    return _profiled(release, {c: (c,) for c in TABLE2_COLUMNS}).select(
        "column", "categories", "labelled", "labelled_pct", "imbalance_ratio"
    )


def table_a4(release: Release) -> pl.DataFrame:
    return _profiled(release, TABLE_A4_COLUMNS).select(
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


def table_a5(release: Release) -> pl.DataFrame:
    return _profiled(release, {c: (c,) for c in TABLE_A5_COLUMNS}).select(
        "column", "categories", "most", "most_n", "least", "least_n", "mean", "median", "std"
    )


def table_a6(release: Release) -> pl.DataFrame:
    """Table 2's measures over the records of class Insecta."""
    return _profiled(release, {c: (c,) for c in TABLE_A6_COLUMNS}, insecta=True).select(
        "column", "rows", "categories", "labelled", "labelled_pct", "imbalance_ratio"
    )


def table3(release: Release) -> pl.DataFrame:
    """Per split: rows (and % of all), distinct raw barcodes, distinct barcode keys, species."""
    counts = _counted(release)
    per_split = counts.records.group_by("split").agg(rows=pl.col("n").sum())
    distinct = {
        "barcodes": (counts.sequenced, "dna_barcode"),
        "barcode_keys": (counts.sequenced, "barcode_key"),
        "species": (counts.labels["species"].lazy(), "species"),
    }
    for name, (frame, column) in distinct.items():
        values = (
            frame.drop_nulls(column)
            .group_by("split")
            .agg(pl.col(column).n_unique().cast(pl.Int64).alias(name))
        )
        per_split = per_split.join(values.collect(), on="split", how="left", maintain_order="left")
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


def categories_per_split(release: Release) -> pl.DataFrame:
    """Distinct non-null values per rank in each split, and overall (Table A10)."""
    return _categories_per(release, pl.col("split").cast(pl.String), "split", SPLITS)


def categories_per_set(release: Release) -> pl.DataFrame:
    """Distinct non-null values per rank in each species set, and overall (Table A9)."""
    species_set = pl.col("split").cast(pl.String).replace_strict(SPECIES_SET_OF_SPLIT)
    return _categories_per(release, species_set, "species_set", SPECIES_SETS)


def _categories_per(
    release: Release, group: pl.Expr, label: str, groups: Sequence[str]
) -> pl.DataFrame:
    counts = _counted(release)
    table = pl.DataFrame({label: [*groups]})
    overall = {label: "overall"}
    for rank in RANKS:
        values = counts.labels[rank].lazy()
        distinct = pl.col(rank).n_unique().cast(pl.Int64)
        per_group = values.group_by(group.alias(label)).agg(distinct).collect()
        table = table.join(per_group, on=label, how="left", maintain_order="left")
        overall[rank] = values.select(distinct).collect().item()
    table = table.fill_null(0)
    return pl.concat([table, pl.DataFrame([overall], schema=table.schema)])


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


def species_sizes(release: Release) -> pl.DataFrame:
    """How many species have each number of records (the species-size distribution)."""
    per_species = _counted(release).per_value(("species",)).rename({"n": "records"})
    return _count(per_species, ("records",), "species").sort("records").collect()


def countries(release: Release) -> pl.DataFrame:
    """Records per country, most first (ties by name); records without a country are left out."""
    per_country = _counted(release).per_value(("country",)).rename({"n": "records"})
    return _largest_first(per_country, ("country",), "records")


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


def curation_flags(release: Release) -> pl.DataFrame:
    """Records carrying each per-record curation flag, and their share of all records."""
    records = _counted(release).records
    counts = records.select(pl.col("n").sum().alias("_rows"), *(pl.col(f).sum() for f in _FLAGS))
    rows = counts["_rows"][0]
    return pl.DataFrame(
        {"flag": list(_FLAGS), "records": [counts[f][0] for f in _FLAGS]}
    ).with_columns(records_pct=_percent(pl.col("records"), pl.lit(rows)))


def inferred_ranks(release: Release) -> pl.DataFrame:
    """Records per ``inferred_ranks`` code 0-6 (0: nothing inferred)."""
    codes = pl.DataFrame(
        {"inferred_ranks": list(range(len(RANKS)))}, schema={"inferred_ranks": pl.UInt8}
    )
    records = _counted(release).records
    per_code = records.group_by("inferred_ranks").agg(records=pl.col("n").sum())
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
    return _largest_first(_count(frame, by, name), by, name)


def _largest_first(counts: pl.LazyFrame, by: Sequence[str], name: str) -> pl.DataFrame:
    """``counts``, largest count ``name`` first, ties by ``by``."""
    order = [name, *by]
    return counts.sort(order, descending=[i == 0 for i in range(len(order))]).collect()


def _counted(release: Release) -> Counts:
    return release if isinstance(release, Counts) else count(release)


def _all_splits() -> pl.DataFrame:
    return pl.DataFrame({"split": pl.Series(SPLITS, dtype=SPLIT_DTYPE)})


def _percent(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(100 * part / whole)
