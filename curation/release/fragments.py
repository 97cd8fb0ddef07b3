"""The release written in fragments by independent jobs, then put together byte for byte.

Each emit_part job writes the release's parts (curation/release/parts.py) of a run of them, in
release order, into a fragment directory: the CSV rows (the first fragment with the header), one
Parquet file per split holding that split's row groups among those parts (a file without row
groups if none; the release's key-value metadata already in it), and the statistics' counts of
those parts; ``done.json`` records each file's rows and checksum.  emit_metadata then puts the
fragments together:

* the CSV is the fragments' bytes one after the other;
* each split's Parquet file is that split's fragment files with rows put together
  (curation/release/footers.py), and the full Parquet file is the split files put together.

A file made of one fragment's file is that file, hard-linked rather than copied (its checksum
taken by the job that wrote it): with one emit_part job (``shards: 1``) only the full Parquet file is
copied, as a single writer would.  The parts are cut on row group boundaries of their split, so
the files are the same bytes as those one job writes from the whole release, for any number of
fragments (docs/decisions.md "The release written in fragments").
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import polars as pl

from curation import io
from curation.release import manifest, stats, writers
from schemas.tables import SPLITS

#: The CSV rows of a fragment.
CSV = "release.csv"
#: Written last: each file's rows, sha256 and size; a directory without it is not finished.
_DONE = "done.json"


def split_file(directory: Path, split: str) -> Path:
    """A fragment's Parquet file of ``split``."""
    return directory / f"split_{split}.parquet"


def write(
    directory: Path,
    parts: Iterable[pl.DataFrame],
    *,
    first: bool,
    row_group_size: int,
    metadata: Mapping[str, str],
) -> int:
    """Write ``parts`` (release rows in release order, each of one split and starting on a row
    group boundary of it) as a fragment into ``directory``, the CSV header first if it is the
    ``first`` fragment, the split files with the release's key-value ``metadata``; the rows
    written.

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
            metadata=metadata,
        ) as split_files,
        ThreadPoolExecutor(max_workers=3) as pool,
    ):
        csv = writers.CsvStream(out, header=first)
        if first:
            csv.write_header()
        for part in io.prefetched(iter(parts)):
            jobs = [pool.submit(f, part) for f in (tally.add, csv.write, split_files.write)]
            for job in jobs:
                job.result()
            rows += part.height
    _save_counts(tally.total(), directory)
    files = [(directory / CSV, out, rows), *split_files.written]
    done = {Path(path).name: [n, w.sha256, w.size] for path, w, n in files}
    io.write_json(done, directory / _DONE)
    return rows


def join(
    fragments: Sequence[Path],
    csv_path: str | os.PathLike[str],
    parquet_path: str | os.PathLike[str],
    split_paths: Mapping[str, str | os.PathLike[str]],
    metadata: Mapping[str, str],
) -> list[manifest.Entry]:
    """Put the ``fragments`` (in release order, written with the release's ``metadata``)
    together into the release's CSV, full Parquet file and split files (``split_paths``, every
    split), each written atomically, the CSV and the Parquet files side by side; their
    manifest entries (CSV, full file, split files).  The fragments are left as they were."""
    done = []
    for directory in fragments:
        if not (directory / _DONE).is_file():
            raise FileNotFoundError(f"{directory} is not a finished fragment of the release")
        done.append(io.read_json(directory / _DONE))
    files = [
        {name: _File(directory / name, *entry) for name, entry in entries.items()}
        for directory, entries in zip(fragments, done, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        # a CSV piece is empty without header and rows, a split file without rows
        csv = pool.submit(
            _put_together, [f[CSV] for f in files], csv_path, _concatenated, _has_bytes
        )
        parquet = pool.submit(_join_parquet, files, parquet_path, split_paths, metadata)
        return [csv.result(), *parquet.result()]


def counts(fragments: Sequence[Path]) -> stats.Counts:
    """The statistics' counts of the release: those of its fragments added up."""
    return stats.merge([_load_counts(directory) for directory in fragments])


class _File(NamedTuple):
    """A fragment's file, as its ``done.json`` records it."""

    path: Path
    rows: int
    sha256: str
    size: int


#: Writes a file at a path from the paths of pieces; the writer that checksummed it.
_Assemble = Callable[[str | os.PathLike[str], list[Path]], io.HashingWriter]


def _put_together(
    pieces: list[_File],
    path: str | os.PathLike[str],
    assemble: _Assemble,
    keep: Callable[[_File], bool],
) -> manifest.Entry:
    """``pieces`` as one file at ``path``, the empty ones left out (``keep``): the one piece
    left (or the first) linked there, else the pieces left put together by ``assemble``."""
    full = [piece for piece in pieces if keep(piece)] or pieces[:1]
    rows = sum(piece.rows for piece in full)
    if len(full) == 1:
        source, _, sha256, size = full[0]
        with io.atomic_output(path) as tmp:
            # a hard link: the fragment stays whole, so a re-run after a failure finds it
            tmp.unlink()
            try:
                os.link(source, tmp)
            except OSError:  # another file system, or one without hard links
                shutil.copyfile(source, tmp)
        return manifest.Entry(os.fspath(path), sha256, size, rows)
    out = assemble(path, [piece.path for piece in full])
    return manifest.Entry(os.fspath(path), out.sha256, out.size, rows)


def _has_bytes(piece: _File) -> bool:
    return piece.size > 0


def _has_rows(piece: _File) -> bool:
    return piece.rows > 0


def _concatenated(path: str | os.PathLike[str], pieces: list[Path]) -> io.HashingWriter:
    with io.atomic_stream(path) as out:
        for piece in pieces:
            io.copy_into(out, piece)
    return out


def _join_parquet(
    files: list[dict[str, _File]],
    path: str | os.PathLike[str],
    split_paths: Mapping[str, str | os.PathLike[str]],
    metadata: Mapping[str, str],
) -> list[manifest.Entry]:
    def assembled(split: str) -> _Assemble:
        def assemble(target: str | os.PathLike[str], pieces: list[Path]) -> io.HashingWriter:
            with writers.assembled_parquet(target, {**metadata, "split": split}) as one:
                for piece in pieces:
                    one.append(piece)
            return one.out

        return assemble

    entries = []
    with writers.assembled_parquet(path, metadata) as full:
        for split in SPLITS:
            pieces = [f[split_file(Path(), split).name] for f in files]
            entries.append(_put_together(pieces, split_paths[split], assembled(split), _has_rows))
            full.append(split_paths[split])
    rows = sum(entry.rows or 0 for entry in entries)
    return [manifest.Entry(os.fspath(path), full.out.sha256, full.out.size, rows), *entries]


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
