"""The release written in fragments by independent jobs, then put together byte for byte.

Each emit_part job writes the release's parts (curation/release/parts.py) of a run of them, in
release order, into a fragment directory: the CSV rows without the header, one Parquet file per
split holding that split's row groups among those parts (a file without row groups if none), and
the statistics' counts of those parts.  emit_metadata then puts the fragments together:

* the CSV is the header, then each fragment's rows, their bytes copied;
* each split's Parquet file is that split's fragment files put together (curation/release/
  footers.py), and the full Parquet file is the split files put together.

The parts are cut on row group boundaries of their split, so the files are the same bytes as
those one job writes from the whole release, for any number of fragments (docs/decisions.md
"The release written in fragments").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from curation import io
from curation.release import stats, writers
from schemas.tables import SPLITS

#: The CSV rows of a fragment (no header).
CSV = "release.csv"
#: Written last: a fragment directory without it is not finished.
_DONE = "done.json"

#: (path, writer with its sha256 and size, rows) of each release file written.
Written = tuple[str | os.PathLike[str], io.HashingWriter, int]


def split_file(directory: Path, split: str) -> Path:
    """A fragment's Parquet file of ``split``."""
    return directory / f"split_{split}.parquet"


def write(directory: Path, parts: Iterable[pl.DataFrame], *, row_group_size: int) -> int:
    """Write ``parts`` (release rows in release order, each of one split and starting on a row
    group boundary of it) as a fragment into ``directory``; the rows written.

    Each next part is put together while the current one is written; the CSV and the split
    file are written side by side and the part is counted for the statistics meanwhile.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tally = stats.Tally()
    rows = 0
    with (
        io.atomic_stream(directory / CSV) as out,
        writers.SplitFiles(
            {split: split_file(directory, split) for split in SPLITS},
            row_group_size=row_group_size,
            metadata={},
        ) as split_files,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        csv = writers.CsvStream(out, header=False)
        for part in _prefetched(iter(parts), pool):
            jobs = [pool.submit(f, part) for f in (tally.add, csv.write, split_files.write)]
            for job in jobs:
                job.result()
            rows += part.height
    _save_counts(tally.total(), directory)
    io.write_json({"rows": rows}, directory / _DONE)
    return rows


def join(
    fragments: Sequence[Path],
    csv_path: str | os.PathLike[str],
    parquet_path: str | os.PathLike[str],
    split_paths: Mapping[str, str | os.PathLike[str]],
    metadata: Mapping[str, str],
) -> list[Written]:
    """Put the ``fragments`` (in release order) together into the release's CSV, full Parquet
    file and split files (``split_paths``, every split), each written atomically, the CSV and the
    Parquet files side by side; their path, writer and rows (CSV, full file, split files)."""
    for directory in fragments:
        if not (directory / _DONE).is_file():
            raise FileNotFoundError(f"{directory} is not a finished fragment of the release")
    with ThreadPoolExecutor(max_workers=2) as pool:
        csv = pool.submit(_join_csv, fragments, csv_path)
        parquet = pool.submit(_join_parquet, fragments, parquet_path, split_paths, metadata)
        return [csv.result(), *parquet.result()]


def counts(fragments: Sequence[Path]) -> stats.Counts:
    """The statistics' counts of the release: those of its fragments added up."""
    return stats.merge([_load_counts(directory) for directory in fragments])


def _join_csv(fragments: Sequence[Path], path: str | os.PathLike[str]) -> Written:
    rows = sum(io.read_json(directory / _DONE)["rows"] for directory in fragments)
    with writers.csv_stream(path) as csv:
        csv.write_header()
        for directory in fragments:
            io.copy_into(csv.out, directory / CSV)
    return path, csv.out, rows


def _join_parquet(
    fragments: Sequence[Path],
    path: str | os.PathLike[str],
    split_paths: Mapping[str, str | os.PathLike[str]],
    metadata: Mapping[str, str],
) -> list[Written]:
    written: list[Written] = []
    with writers.assembled_parquet(path, metadata) as full:
        for split in SPLITS:
            with writers.assembled_parquet(split_paths[split], {**metadata, "split": split}) as one:
                for directory in fragments:
                    one.append(split_file(directory, split))
            written.append((split_paths[split], one.out, one.rows))
            full.append(split_paths[split])
    return [(path, full.out, full.rows), *written]


def _prefetched(parts: Iterator[pl.DataFrame], pool: ThreadPoolExecutor) -> Iterator[pl.DataFrame]:
    """``parts``, each next one put together in ``pool`` while the current one is written."""
    coming = pool.submit(next, parts, None)
    while (part := coming.result()) is not None:
        coming = pool.submit(next, parts, None)
        yield part


def _counts_files(counts: stats.Counts) -> dict[str, pl.DataFrame]:
    return {
        "records": counts.records,
        "barcodes": counts.barcodes,
        "padded": counts.padded,
        "coordinates": counts.coordinates,
        **{f"labels_{column}": frame for column, frame in counts.labels.items()},
    }


def _save_counts(counts: stats.Counts, directory: Path) -> None:
    for name, frame in _counts_files(counts).items():
        frame.write_ipc(directory / f"counts_{name}.arrow", compression="lz4")


def _load_counts(directory: Path) -> stats.Counts:
    def read(name: str) -> pl.DataFrame:
        return pl.read_ipc(directory / f"counts_{name}.arrow")

    return stats.Counts(
        records=read("records"),
        labels={column: read(f"labels_{column}") for column in stats.TEXT_LABELS},
        barcodes=read("barcodes"),
        padded=read("padded"),
        coordinates=read("coordinates"),
    )
