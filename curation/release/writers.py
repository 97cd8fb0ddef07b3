"""Writers of the release: the BIOSCAN-5M CSV, the Parquet files for DuckDB, the statistics.

The CSV is the contract of the ``bioscan-dataset`` client (docs/formats.md#the-release-csv): the 23
columns in Table A3 order, comma-separated, ``\\n`` line ends, UTF-8, a missing value as an empty
field.  The Parquet files carry the same rows with their types, zstd-compressed, and describe
themselves in their key-value metadata.  Their row groups hold at most a configured number of rows
and never two splits, so that a query filtering on ``split`` reads only that split's groups
(docs/formats.md#parquet); each split is also written to a file of its own.  Every file is
written atomically and checksummed while it is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import polars as pl
import pyarrow.parquet as pq

from curation import io
from curation.release import stats, stats_format
from schemas.tables import RELEASE_COLUMNS, RELEASE_SCHEMA_VERSION

#: zstd level of the Parquet files (see write_parquet).
ZSTD_LEVEL = 1
#: Integers up to this size are exact in a float64, so they can be printed without a fraction.
_EXACT_INTEGER_LIMIT = 2.0**53


def csv_table(release: pl.DataFrame) -> pl.DataFrame:
    """The 23 release columns as the CSV shows them.

    ``image_measurement_value`` is a pixel count (paper Table A3: Integer) kept as a float because
    it may be missing: whole values are printed without ``.0``.  The empty chunk becomes an empty
    field (polars would quote an empty string as ``""``).  Other floats keep polars' shortest
    representation, which reads back to the same float64.
    """
    measurement = pl.col("image_measurement_value")
    whole = (measurement == measurement.floor()) & (measurement.abs() < _EXACT_INTEGER_LIMIT)
    return release.select(RELEASE_COLUMNS).with_columns(
        pl.col("split").cast(pl.String),
        pl.when(pl.col("chunk") == "").then(None).otherwise(pl.col("chunk")).alias("chunk"),
        pl.when(whole)
        .then(measurement.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(measurement.cast(pl.String))
        .alias("image_measurement_value"),
    )


def write_csv(release: pl.DataFrame, path: str | os.PathLike[str]) -> io.HashingWriter:
    """Write the release CSV atomically; the returned writer holds its sha256 and size."""
    with io.atomic_stream(path) as out:
        csv_table(release).write_csv(
            out, separator=",", line_terminator="\n", quote_style="necessary"
        )
    return out


def parquet_metadata(
    *, name: str, version: str, config_digest: str, sort_order: str
) -> dict[str, str]:
    """Key-value metadata: which build wrote a Parquet file, and how the file is laid out."""
    return {
        "release_name": name,
        "release_version": version,
        "config_sha256": config_digest,
        "sort_order": sort_order,
        "schema_version": RELEASE_SCHEMA_VERSION,
    }


def write_parquet(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    row_group_size: int,
    metadata: Mapping[str, str],
    group_by: str | None = None,
) -> io.HashingWriter:
    """Write a release Parquet file atomically: zstd, statistics, metadata, row groups of at most
    ``row_group_size`` rows.  The returned writer holds the file's sha256 and size.

    With ``group_by`` (a column the frame is sorted by), a row group never holds two values of
    it.  Enum columns are stored as plain text: every Parquet reader understands it, and the
    column is dictionary-encoded on disk anyway.  The frame's row order is written as is.
    """
    plain = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    table = plain.to_arrow(compat_level=pl.CompatLevel.newest())
    # An empty file has no row group at all (one of 0 rows trips readers such as datasets').
    runs = _run_lengths(frame[group_by]) if group_by else [frame.height] if frame.height else []
    with (
        io.atomic_stream(path) as out,
        pq.ParquetWriter(
            out,
            table.schema,
            compression="zstd",
            compression_level=ZSTD_LEVEL,
            write_statistics=True,
            store_schema=False,
        ) as writer,
    ):
        start = 0
        for length in runs:
            writer.write_table(table.slice(start, length), row_group_size=row_group_size)
            start += length
        # Only the metadata given: no Arrow schema, whose string-view types would be forced on
        # every pyarrow reader (the Parquet types say what the columns hold).
        writer.add_key_value_metadata(dict(metadata))
    return out


def _run_lengths(column: pl.Series) -> list[int]:
    """Lengths of the runs of equal values of a sorted column; ValueError if a value comes back."""
    runs = column.rle()
    values = runs.struct.field("value")
    if values.n_unique() != values.len():
        raise ValueError(f"column {column.name!r} is not sorted: a value occurs in two runs")
    return runs.struct.field("len").to_list()


def write_statistics(
    tables: Mapping[str, pl.DataFrame],
    csv_paths: Mapping[str, str | os.PathLike[str]],
    markdown_path: str | os.PathLike[str],
    heading: str,
) -> None:
    """Each statistics table as CSV (exact values) and all of them in one Markdown file (rounded
    for reading: docs/decisions.md "Statistics")."""
    for name, table in tables.items():
        with io.atomic_output(csv_paths[name]) as tmp:
            table.write_csv(tmp, line_terminator="\n")
    io.write_text(stats_format.markdown(tables, stats.TABLES, heading), markdown_path)
