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

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Self

import polars as pl
import pyarrow.parquet as pq

from curation import io
from curation.release import footers, stats, stats_format
from schemas.tables import (
    RELEASE_COLUMNS,
    RELEASE_PARQUET_SCHEMA,
    RELEASE_SCHEMA_VERSION,
    SPLITS,
)

#: zstd level of the Parquet files (see write_parquet).
ZSTD_LEVEL = 1
#: The release's row order, as its Parquet files' metadata states it.
RELEASE_SORT_ORDER = f"split (release order: {', '.join(SPLITS)}), processid"
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
    with csv_stream(path) as stream:
        stream.write(release)
    return stream.out


class CsvStream:
    """The release CSV written part by part: the header once (unless ``header`` is false: a
    fragment of the rows, curation/release/fragments.py), then each part's rows.  Any cut of the
    release into parts gives the same bytes (a CSV row depends on its own values only)."""

    def __init__(self, out: io.HashingWriter, *, header: bool = True) -> None:
        self.out = out
        self._header = header

    def write(self, part: pl.DataFrame) -> None:
        csv_table(part).write_csv(
            self.out,
            include_header=self._header,
            separator=",",
            line_terminator="\n",
            quote_style="necessary",
        )
        self._header = False

    def write_header(self) -> None:
        """The header line alone (the first thing written)."""
        self.write(pl.DataFrame(schema=RELEASE_PARQUET_SCHEMA))


@contextlib.contextmanager
def csv_stream(path: str | os.PathLike[str]) -> Iterator[CsvStream]:
    """A :class:`CsvStream` into ``path``, written atomically (the header alone if no part
    came); its ``out`` holds the file's sha256 and size once the block has ended."""
    with io.atomic_stream(path) as out:
        stream = CsvStream(out)
        yield stream
        if stream._header:
            stream.write_header()


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
    """Write a release Parquet file atomically (see :class:`ParquetStream`) from one frame; the
    returned writer holds the file's sha256 and size."""
    with parquet_stream(
        path, frame.schema, row_group_size=row_group_size, metadata=metadata, group_by=group_by
    ) as stream:
        stream.write(frame)
    return stream.out


class ParquetStream:
    """A release Parquet file written part by part: zstd, statistics, row groups of at most
    ``row_group_size`` rows.

    With ``group_by`` (a column the parts are sorted by, across parts), a row group never holds
    two values of it.  A part that continues the previous part's value must start on a row group
    boundary of that value's rows, so the row groups, and hence the bytes, are the same for any
    cut of the file into parts.  Enum columns are stored as plain text: every Parquet reader
    understands it, and the column is dictionary-encoded on disk anyway.
    """

    def __init__(
        self, writer: pq.ParquetWriter, out: io.HashingWriter, row_group_size: int, group_by
    ) -> None:
        self.out = out
        self._writer = writer
        self._row_group_size = row_group_size
        self._group_by = group_by
        self._seen: list[object] = []
        self._rows_of_last = 0

    def write(self, part: pl.DataFrame) -> None:
        # One chunk per column: pyarrow cuts pages at chunk boundaries too, so the bytes would
        # otherwise depend on how the part was put together.
        table = _plain(part).rechunk().to_arrow(compat_level=pl.CompatLevel.newest())
        if self._group_by is None:
            # An empty file has no row group at all (one of 0 rows trips readers such as datasets').
            runs = [(None, part.height)] if part.height else []
        else:
            runs = _runs(part[self._group_by])
        start = 0
        for value, length in runs:
            self._follow(value, length)
            self._writer.write_table(
                table.slice(start, length), row_group_size=self._row_group_size
            )
            start += length

    def _follow(self, value: object, length: int) -> None:
        """Record a run of ``length`` rows of ``value``; refuse a cut that would move a row group."""
        if self._seen and self._seen[-1] == value:
            if self._rows_of_last % self._row_group_size:
                raise ValueError(
                    f"a part continues {value!r} off a row group boundary "
                    f"({self._rows_of_last} rows before it)"
                )
            self._rows_of_last += length
            return
        if value in self._seen:
            raise ValueError(
                f"column {self._group_by!r} is not sorted: {value!r} occurs in two runs"
            )
        self._seen.append(value)
        self._rows_of_last = length


@contextlib.contextmanager
def parquet_stream(
    path: str | os.PathLike[str],
    schema: Mapping[str, pl.DataType],
    *,
    row_group_size: int,
    metadata: Mapping[str, str],
    group_by: str | None = None,
) -> Iterator[ParquetStream]:
    """A :class:`ParquetStream` of frames of ``schema`` into ``path``, written atomically, with
    ``metadata`` as its key-value metadata."""
    arrow_schema = (
        _plain(pl.DataFrame(schema=schema)).to_arrow(compat_level=pl.CompatLevel.newest()).schema
    )
    with (
        io.atomic_stream(path) as out,
        pq.ParquetWriter(
            out,
            arrow_schema,
            compression="zstd",
            compression_level=ZSTD_LEVEL,
            write_statistics=True,
            store_schema=False,
        ) as writer,
    ):
        stream = ParquetStream(writer, out, row_group_size, group_by)
        yield stream
        # Only the metadata given: no Arrow schema, whose string-view types would be forced on
        # every pyarrow reader (the Parquet types say what the columns hold).
        writer.add_key_value_metadata(dict(metadata))


class AssembledParquet:
    """A Parquet file put together from finished Parquet files of one schema and writer options
    (``append``, in order): their column chunks copied, a footer listing their row groups
    (curation/release/footers.py).  A split file of the release is the fragments' files of that
    split put together, and the full file the split files, so each row group is encoded and
    compressed once, by one of several jobs (curation/release/fragments.py)."""

    def __init__(self, out: io.HashingWriter, metadata: Mapping[str, str]) -> None:
        self.out = out
        self._metadata = dict(metadata)
        self._pieces: list[footers.Piece] = []
        out.write(footers.MAGIC)

    def append(self, path: str | os.PathLike[str]) -> None:
        """Copy the column chunks of the Parquet file ``path`` to the end of this file."""
        with open(path, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - 8))
            length = int.from_bytes(handle.read(8)[:4], "little")
            handle.seek(max(0, size - 8 - length))
            piece = footers.read_piece(handle.read(), size)
        io.copy_into(self.out, path, start=len(footers.MAGIC), length=piece.body)
        self._pieces.append(piece)

    @property
    def rows(self) -> int:
        """Rows of the files appended so far."""
        return sum(piece.footer.num_rows for piece in self._pieces)

    def finish(self) -> None:
        """Write the footer (the first appended file's schema; no file appended: an error)."""
        self.out.write(footers.assembled_footer(self._pieces, self._metadata))


@contextlib.contextmanager
def assembled_parquet(
    path: str | os.PathLike[str], metadata: Mapping[str, str]
) -> Iterator[AssembledParquet]:
    """An :class:`AssembledParquet` into ``path``, written atomically, with ``metadata`` as its
    key-value metadata; its ``out`` holds the file's sha256 and size once the block has ended."""
    with io.atomic_stream(path) as out:
        assembled = AssembledParquet(out, metadata)
        yield assembled
        assembled.finish()


class SplitFiles:
    """One Parquet file per split (``paths``, in split order), every split even if empty, from
    the release's parts in release order.  Used as a context manager: on success every file is
    finished and ``written`` holds each file's path, writer and rows; on an error the open file
    is discarded."""

    def __init__(
        self,
        paths: Mapping[str, str | os.PathLike[str]],
        *,
        row_group_size: int,
        metadata: Mapping[str, str],
    ) -> None:
        self._paths = dict(paths)
        self._pending = list(paths)
        self._options = {"row_group_size": row_group_size}
        self._metadata = dict(metadata)
        self._open = contextlib.ExitStack()
        self._stream: ParquetStream | None = None
        self.written: list[tuple[str | os.PathLike[str], io.HashingWriter, int]] = []

    def write(self, part: pl.DataFrame) -> None:
        """Append a part of one split (not before the split of the previous part)."""
        if part.height:
            split = part.get_column("split")
            if split[0] != split[-1]:
                raise ValueError("a part of the split files must hold one split")
            self._open_until(str(split[0]))
            assert self._stream is not None
            self._stream.write(part)
            self.written[-1] = (*self.written[-1][:2], self.written[-1][2] + part.height)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self._open_until(None)
        else:
            self._open.__exit__(*exc)

    def _open_until(self, split: str | None) -> None:
        """Finish files until ``split``'s is the open one (None: finish all)."""
        while self._stream is None or self.written[-1][0] != self._paths.get(split or ""):
            self._open.close()
            self._stream = None
            if not self._pending:
                if split is not None:
                    raise ValueError(f"split {split!r} comes after its place in release order")
                return
            name = self._pending.pop(0)
            self._stream = self._open.enter_context(
                parquet_stream(
                    self._paths[name],
                    RELEASE_PARQUET_SCHEMA,
                    metadata={**self._metadata, "split": name},
                    group_by="split",
                    **self._options,
                )
            )
            self.written.append((self._paths[name], self._stream.out, 0))


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))


def _runs(column: pl.Series) -> list[tuple[object, int]]:
    """(value, length) of each run of equal values of a sorted column; ValueError if a value
    comes back."""
    runs = column.rle()
    values = runs.struct.field("value")
    if values.n_unique() != values.len():
        raise ValueError(f"column {column.name!r} is not sorted: a value occurs in two runs")
    return list(zip(values.to_list(), runs.struct.field("len").to_list(), strict=True))


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
