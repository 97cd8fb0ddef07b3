"""Ingest step 1, one job per part (a byte range of one export): its lines parsed batch by batch
into sorted runs on disk.

Each batch (:mod:`curation.ingest.batches`, sized by the memory budget) is read, cleaned and
finished, and leaves in the part's directory:

* ``candidates-NNNNN.parquet``: its rows that no row-level check rejected, sorted by processid
  (a sorted run: the gather reads one processid range of every run at a time), without their
  barcodes: each row's place in the run (``_run_row``), its barcode's length and
  ``padded_barcode`` stand in for it;
* ``sequences-NNNNN.parquet``: the same rows' N-stripped barcodes (``sequence``, ``_run_row``),
  sorted by sequence (the gather reads one sequence range of every run at a time);
* ``rejects-NNNNN.parquet`` and ``issues-NNNNN.parquet``: in line order;

and the part leaves ``samples.parquet`` (every n-th processid and barcode, to cut the gather's
ranges evenly) and ``part.json`` (what the summary needs, and each batch's number of
candidates).  Batches of one part follow each
other, so the part's rejects and issues are in input order when read batch after batch.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from curation import io
from curation.ingest.assemble import (
    LENGTH,
    RUN_ROW,
    batch_rejects,
    candidates,
    finish_file,
    name_issues,
)
from curation.ingest.barcodes import split_padding
from curation.ingest.batches import (
    batch_bytes,
    part_range,
    read_batches,
    sample_every,
)
from curation.ingest.decode import GZIP_MAGIC
from curation.ingest.fields import clean_rows
from curation.ingest.raw import RawExport
from curation.ingest.read import open_export, read_batch
from curation.sorting import text_order

#: Rows per row group of a run: the gather skips the row groups outside its key range, and
#: reads the one or two a range's bounds fall in for each range and run (with 16,384 rows, a
#: fifth of the gather's CPU: docs/decisions.md "Ingest in bounded memory").
RUN_ROW_GROUP = 4096

PART_JSON = "part.json"
SAMPLES = "samples.parquet"
SAMPLE_SCHEMA = {"value": pl.String, "kind": pl.String}


def parse_part(
    path: str,
    index: int,
    part: int,
    parts: int,
    target_marker: str,
    memory_gb: float,
    out: Path,
) -> dict[str, Any]:
    """Parse ``part`` of ``parts`` (0-based) of input ``index`` at ``path`` into ``out``.

    A gzip file cannot be cut without reading it, so its first part reads all of it and the
    others are empty.  Returns what ``part.json`` holds.  Raises IngestError for an input that
    cannot be read.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    # built beside ``out`` and renamed when complete: a failed part leaves nothing behind
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        meta = _parse_into(path, index, part, parts, target_marker, memory_gb, staging)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def _parse_into(
    path: str,
    index: int,
    part: int,
    parts: int,
    target_marker: str,
    memory_gb: float,
    out: Path,
) -> dict[str, Any]:
    """:func:`parse_part`'s work, into the directory ``out``."""
    meta: dict[str, Any] = {"file": index, "part": part, "rows_read": 0, "blank_lines": 0}
    meta["batches"] = 0
    meta["candidates"] = []  # rows per batch's runs
    if part > 0 and _is_gzip(path):
        return _finish(out, meta, [])
    samples: list[pl.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=out) as scratch:
        export = open_export(path, Path(scratch))
        columns = export.columns
        meta.update(
            layout=columns.layout.name,
            columns=len(columns.header.names),
            utf8_bom=columns.header.bom,
        )
        transform = partial(clean_rows, target_marker=target_marker)
        step = sample_every(memory_gb)
        with open(export.plain, "rb") as handle:
            size = export.plain.stat().st_size
            start, end = part_range(handle, size, export.data_start, columns, part, parts)
            batches = read_batches(
                handle, start, end, export.data_start, columns, batch_bytes(memory_gb)
            )
            for number, (first, data) in enumerate(io.prefetched(batches)):
                raw = read_batch(path, columns, data, first, transform)
                del data
                meta["rows_read"] += raw.rows_read
                meta["blank_lines"] += raw.blank_lines
                batch_samples, count = _write_batch(raw, index, target_marker, out, number, step)
                samples.append(batch_samples)
                meta["candidates"].append(count)
                meta["batches"] += 1
    return _finish(out, meta, samples)


def _write_batch(
    raw: RawExport, index: int, target_marker: str, out: Path, number: int, step: int
) -> tuple[pl.DataFrame, int]:
    """Finish one parsed batch and write its runs, rejects and issues; returns its samples and
    its number of candidates."""
    rows, issues = finish_file(raw, index, target_marker)
    io.write_parquet(batch_rejects(raw, index, rows), out / f"rejects-{number:05d}.parquet")
    io.write_parquet(name_issues(issues, rows), out / f"issues-{number:05d}.parquet")
    run = candidates(rows)
    del rows
    barcodes = run.get_column("dna_barcode")
    sequences, padded = split_padding(barcodes.alias("sequence"))
    by_sequence = text_order(sequences)
    # sorted sequences compress about 7x, so lz4 costs no more CPU than the bytes it saves
    io.write_parquet(
        pl.DataFrame([sequences.gather(by_sequence), by_sequence.alias(RUN_ROW)]),
        out / f"sequences-{number:05d}.parquet",
        row_group_size=RUN_ROW_GROUP,
    )
    del sequences
    run = run.with_columns(
        barcodes.str.len_bytes().cast(pl.UInt32).alias(LENGTH),
        padded,
        pl.int_range(run.height, dtype=pl.UInt32).alias(RUN_ROW),
    ).drop("dna_barcode")
    # uncompressed: lz4 took twice the CPU of the whole write, and the run is read once, soon
    io.write_parquet(
        run,
        out / f"candidates-{number:05d}.parquet",
        row_group_size=RUN_ROW_GROUP,
        compression="uncompressed",
    )
    processids = run.get_column("processid").gather_every(step)
    samples = pl.concat(
        [
            processids.to_frame("value").with_columns(kind=pl.lit("processid")),
            barcodes.gather_every(step)
            .str.strip_chars("N")
            .to_frame("value")
            .with_columns(kind=pl.lit("sequence")),
        ]
    )
    return samples, run.height


def _finish(out: Path, meta: dict[str, Any], samples: list[pl.DataFrame]) -> dict[str, Any]:
    frame = pl.concat([pl.DataFrame(schema=SAMPLE_SCHEMA), *samples]).cast(SAMPLE_SCHEMA)
    io.write_parquet(frame, out / SAMPLES)
    io.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", out / PART_JSON)
    return meta


def part_name(file: int, part: int) -> str:
    """The ``{part}`` wildcard of ingest_part: input position and byte range, ``<file>-<part>``."""
    return f"{file}-{part}"


def part_of(name: str) -> tuple[int, int]:
    """(input position, byte range) of an ingest part name."""
    file, part = name.split("-")
    return int(file), int(part)


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC
