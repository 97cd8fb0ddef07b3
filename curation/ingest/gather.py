"""Ingest step 2, one job: the parts' sorted runs -> records, barcodes, labels, rejects, issues.

The global steps work one key range at a time, so memory is set by the budget, not the input:

1. **processid ranges** (bounds from the parts' samples): every run's rows in the range (the
   runs are sorted, so whole row groups are skipped) hold every row of each processid in it, so
   one row per processid is released there (:func:`curation.ingest.assemble.release`).  The
   released records go to disk without their barcodes, which go to disk beside them, tagged
   with the sequence range they fall in;
2. **sequence ranges** (bounds from the samples): the N-stripped barcodes of one range, from
   every processid range, are numbered (:func:`curation.ingest.barcodes.number_barcodes`); the
   ranges follow each other in byte order, so a range's keys are its local keys plus the
   distinct barcodes of the ranges before it: the keys of numbering every barcode at once
   (docs/curation.md#barcode-key).  The keys wait in one 4-byte-per-record array;
3. the records and labels are written range after range, with their keys.

docs/decisions.md "Ingest in bounded memory" says why polars and not DuckDB.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from curation import io
from curation.ingest.assemble import (
    FILE,
    REJECT_COLUMNS,
    check_conservation,
    release,
    sort_rejects,
    source,
    source_names,
    summary,
)
from curation.ingest.barcodes import number_barcodes
from curation.ingest.batches import range_rows, read_ahead, sample_every
from curation.ingest.codes import IngestError, nothing_released
from curation.ingest.parse import PART_JSON, SAMPLES
from schemas.tables import (
    BARCODES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    LABELS_SCHEMA,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    conform,
)

_INDEX, _RANGE = "_index", "_range"
#: Rows per row group of the files a processid range leaves (read back by sequence range).
_SPILL_ROW_GROUP = 16_384
#: The released records of a processid range, as written before their keys are known.
_UNKEYED = {name: dtype for name, dtype in RECORDS_SCHEMA.items() if name != "barcode_key"}
_UNKEYED["given_inferred_ranks"] = LABELS_SCHEMA["given_inferred_ranks"]


class NothingReleased(Exception):
    """Every row was rejected: there is no release to write (the message says why)."""


@dataclass
class _Ranges:
    """What the processid ranges leave for the later steps: per range, its released records
    (without keys) and their barcodes, each a file in scratch or, when there is one range
    only, a frame in memory."""

    released: list[int] = field(default_factory=list)  # records per range
    records: list[pl.LazyFrame] = field(default_factory=list)
    sequences: list[pl.LazyFrame] = field(default_factory=list)
    by_file: Counter = field(default_factory=Counter)  # released records per file
    rejects: list[pl.DataFrame] = field(default_factory=list)  # duplicate, out-of-scope


def gather(
    parts: Sequence[Path],
    paths: Sequence[str],
    target_marker: str,
    scope: Mapping[str, Sequence[str]] | None,
    memory_gb: float,
    outputs: Mapping[str, str],
    empty_ok: bool = False,
) -> dict[str, Any]:
    """Write ``outputs`` (records, barcodes, labels, rejects, issues) from the ``parts``'
    directories (in input order) of the inputs ``paths``; returns the summary.

    Raises :class:`NothingReleased` (before writing anything) when no record is released,
    unless ``empty_ok``.
    """
    if not paths:
        raise IngestError("<config>", None, "input.files", "no input file to ingest")
    metas = [json.loads((part / PART_JSON).read_text(encoding="utf-8")) for part in parts]
    runs = [part / f"candidates-{n:05d}.parquet" for part, m in zip(parts, metas) for n in _n(m)]
    samples = pl.concat([pl.read_parquet(part / SAMPLES) for part in parts])
    rows = range_rows(memory_gb)
    step = sample_every(memory_gb)
    with tempfile.TemporaryDirectory(prefix="gather-", dir=parts[0].parent) as tmp:
        scratch = Path(tmp)
        pid_bounds = _bounds(samples, "processid", rows // step)
        seq_bounds = _bounds(samples, "sequence", rows // step)
        ranges = _release_ranges(runs, pid_bounds, seq_bounds, paths, scope, scratch)
        rejects = _all_rejects(parts, metas, ranges.rejects, paths)
        issues = _scan_issues(parts, metas, paths)
        codes = dict(issues.group_by("issue").len().collect().iter_rows())
        files = _file_entries(metas, paths, ranges.by_file, rejects)
        reasons = dict(rejects.group_by("reason").len().iter_rows())
        result = summary(files, reasons, codes, 0, target_marker, scope)
        if result["released"] == 0 and not empty_ok:
            raise NothingReleased(f"no record was released: {nothing_released(result)}")
        keys, result["barcode_keys"] = _number(ranges, len(seq_bounds) + 1, scratch, outputs)
        check_conservation(result)
        _write_records(ranges, keys, outputs)
        io.write_parquet(rejects.drop(FILE), outputs["rejects"])
        with io.atomic_output(outputs["issues"]) as tmp_issues:
            issues.sink_parquet(tmp_issues, compression="lz4")
    return result


def _n(meta: dict[str, Any]) -> range:
    return range(meta["batches"])


def _bounds(samples: pl.DataFrame, kind: str, per_range: int) -> list[str]:
    """Range bounds: every ``per_range``-th sampled value of ``kind``, distinct, sorted."""
    values = samples.filter(pl.col("kind") == kind).get_column("value").drop_nulls()
    values = values.sort().gather_every(max(1, per_range), offset=max(1, per_range))
    return values.unique(maintain_order=True).to_list()


def _in_range(column: str, bounds: list[str], index: int) -> pl.Expr:
    """Whether ``column`` lies in range ``index`` of ``bounds``: [bounds[i-1], bounds[i])."""
    condition = pl.lit(True)
    if index > 0:
        condition &= pl.col(column) >= bounds[index - 1]
    if index < len(bounds):
        condition &= pl.col(column) < bounds[index]
    return condition


def _release_ranges(
    runs: list[Path],
    pid_bounds: list[str],
    seq_bounds: list[str],
    paths: Sequence[str],
    scope: Mapping[str, Sequence[str]] | None,
    scratch: Path,
) -> _Ranges:
    """Release one row per processid, range by range; keep each range's records (without
    barcodes) and its N-stripped barcodes (tagged with their sequence range)."""
    ranges = _Ranges()
    offset = 0
    for number, rows in read_ahead(_range_rows(runs, pid_bounds)):
        released = release(rows, paths, scope)
        del rows
        records = released.records
        ranges.rejects.append(released.rejects)
        ranges.by_file.update(dict(records.group_by(FILE).len().iter_rows()))
        sequences, unkeyed = _split(records, offset, seq_bounds, paths)
        del records, released
        if pid_bounds:
            ranges.sequences.append(_spill(sequences, scratch / f"sequences-{number:05d}.parquet"))
            ranges.records.append(_spill(unkeyed, scratch / f"records-{number:05d}.parquet"))
        else:
            ranges.sequences.append(sequences.lazy())
            ranges.records.append(unkeyed.lazy())
        ranges.released.append(unkeyed.height)
        offset += unkeyed.height
    return ranges


def _range_rows(runs: list[Path], pid_bounds: list[str]) -> Iterator[tuple[int, pl.DataFrame]]:
    """Every run's rows of each processid range that has any, range by range."""
    for number in range(len(pid_bounds) + 1):
        wanted = _in_range("processid", pid_bounds, number)
        scans = [pl.scan_parquet(run).filter(wanted) for run in runs]
        rows = pl.concat(scans).collect() if scans else None
        if rows is not None and not rows.is_empty():
            yield number, rows


def _split(
    records: pl.DataFrame, offset: int, seq_bounds: list[str], paths: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A range's records without their barcodes (``padded_barcode`` where a barcode is
    N-padded, ``source_file``), and the N-stripped barcodes by record index (``_index``, from
    ``offset``) with their sequence range, sorted by it."""
    barcode = records.get_column("dna_barcode")
    padded = barcode.str.starts_with("N") | barcode.str.ends_with("N")
    padded_rows = padded.arg_true()
    sequence = barcode.alias("sequence")
    if not padded_rows.is_empty():  # only the few padded barcodes are copied
        stripped = barcode.gather(padded_rows).str.strip_chars("N")
        sequence = sequence.clone().scatter(padded_rows, stripped)
    index = pl.int_range(offset, offset + records.height, dtype=pl.UInt32, eager=True)
    sequences = pl.DataFrame([index.alias(_INDEX), sequence])
    if seq_bounds:
        bounds = pl.Series(seq_bounds, dtype=pl.String)
        where = bounds.search_sorted(sequence, side="right").cast(pl.UInt32)
        sequences = sequences.with_columns(where.alias(_RANGE)).sort(_RANGE, maintain_order=True)
    else:
        sequences = sequences.with_columns(pl.lit(0, pl.UInt32).alias(_RANGE))
    unkeyed = records.with_columns(
        pl.select(pl.when(pl.lit(padded)).then(pl.lit(barcode)))
        .to_series()
        .alias("padded_barcode"),
        source(paths),
    )
    return sequences, conform(unkeyed, _UNKEYED)


def _spill(frame: pl.DataFrame, path: Path) -> pl.LazyFrame:
    """``frame`` written to ``path`` (uncompressed: it is read back once, soon), as a scan."""
    frame.write_parquet(path, compression="uncompressed", row_group_size=_SPILL_ROW_GROUP)
    return pl.scan_parquet(path)


def _number(
    ranges: _Ranges, count: int, scratch: Path, outputs: Mapping[str, str]
) -> tuple[pl.Series, int]:
    """Number the barcodes range by range and write barcodes.parquet; the key of every record
    (by record index) and the number of keys."""
    keys = pl.repeat(0, sum(ranges.released), dtype=pl.UInt32, eager=True)
    tables = []
    next_key = 0
    for number, frame in read_ahead(_sequence_ranges(ranges.sequences, count)):
        numbered = number_barcodes(frame.get_column("sequence"))
        shifted = (numbered.keys.cast(pl.Int64) + next_key).cast(pl.UInt32)
        keys = keys.scatter(frame.get_column(_INDEX), shifted)
        table = numbered.sequences.with_columns(pl.col("barcode_key").cast(pl.Int64) + next_key)
        table = conform(table, BARCODES_SCHEMA)
        tables.append(
            _spill(table, scratch / f"barcodes-{number:05d}.parquet") if count > 1 else table.lazy()
        )
        next_key += table.height
    barcodes = pl.concat(tables) if tables else pl.LazyFrame(schema=BARCODES_SCHEMA)
    with io.atomic_output(outputs["barcodes"]) as target:
        barcodes.sink_parquet(target, compression="lz4")
    return keys, next_key


def _sequence_ranges(
    sequences: list[pl.LazyFrame], count: int
) -> Iterator[tuple[int, pl.DataFrame]]:
    """The barcodes (``_index``, ``sequence``) of each sequence range that has any."""
    for number in range(count if sequences else 0):
        scans = [frame.filter(pl.col(_RANGE) == number) for frame in sequences]
        frame = pl.concat(scans).select(_INDEX, "sequence").collect()
        if not frame.is_empty():
            yield number, frame


def _write_records(ranges: _Ranges, keys: pl.Series, outputs: Mapping[str, str]) -> None:
    """records.parquet and labels.parquet, range after range, with the barcode keys."""
    parts, offset = [], 0
    for frame, size in zip(ranges.records, ranges.released, strict=True):
        parts.append(frame.with_columns(pl.lit(keys.slice(offset, size)).alias("barcode_key")))
        offset += size
    schema = {**_UNKEYED, "barcode_key": pl.UInt32()}
    records = pl.concat(parts) if parts else pl.LazyFrame(schema=schema)
    with (
        io.atomic_output(outputs["records"]) as records_tmp,
        io.atomic_output(outputs["labels"]) as labels_tmp,
    ):
        pl.collect_all(
            [
                conform(records, RECORDS_SCHEMA).sink_parquet(
                    records_tmp, compression="lz4", lazy=True
                ),
                conform(records, LABELS_SCHEMA).sink_parquet(
                    labels_tmp, compression="lz4", lazy=True
                ),
            ]
        )


def _all_rejects(
    parts: Sequence[Path], metas: list[dict], late: list[pl.DataFrame], paths: Sequence[str]
) -> pl.DataFrame:
    """Every reject in input order (file, line, reason order), with ``source_file``."""
    found = [
        pl.read_parquet(part / f"rejects-{n:05d}.parquet")
        for part, meta in zip(parts, metas, strict=True)
        for n in _n(meta)
    ]
    frame = pl.concat([pl.DataFrame(schema=REJECT_COLUMNS), *found, *late]).cast(REJECT_COLUMNS)
    ordered = sort_rejects(frame).with_columns(source(paths))
    return ordered.select(FILE, *(pl.col(c).cast(t) for c, t in REJECTS_SCHEMA.items()))


def _scan_issues(parts: Sequence[Path], metas: list[dict], paths: Sequence[str]) -> pl.LazyFrame:
    """Every issue, batch after batch (so in input order), with ``source_file``."""
    scans = [
        pl.scan_parquet(part / f"issues-{n:05d}.parquet")
        for part, meta in zip(parts, metas, strict=True)
        for n in _n(meta)
    ]
    if not scans:
        return pl.LazyFrame(schema=INGEST_ISSUES_SCHEMA)
    return conform(pl.concat(scans).with_columns(source(paths)), INGEST_ISSUES_SCHEMA)


def _file_entries(
    metas: list[dict], paths: Sequence[str], released: Counter, rejects: pl.DataFrame
) -> list[dict[str, Any]]:
    """The summary's entry of each input file, from its parts."""
    rejected = dict(rejects.group_by(FILE).len().iter_rows())
    names = source_names(paths)
    entries = []
    for index, name in enumerate(names):
        mine = [meta for meta in metas if meta["file"] == index]
        head = next(meta for meta in mine if "layout" in meta)
        entries.append(
            {
                "path": name,
                "layout": head["layout"],
                "columns": head["columns"],
                "utf8_bom": head["utf8_bom"],
                "rows_read": sum(meta["rows_read"] for meta in mine),
                "blank_lines": sum(meta["blank_lines"] for meta in mine),
                "released": released.get(index, 0),
                "rejected": rejected.get(index, 0),
            }
        )
    return entries
