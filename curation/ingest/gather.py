"""Ingest step 2, one job: the parts' sorted runs -> records, barcodes, labels, rejects, issues.

Every batch left two runs (:mod:`curation.ingest.parse`): its candidates without their barcodes,
sorted by processid, and their N-stripped barcodes, sorted by sequence.  Each candidate has a
number, ``_id`` (its run's offset plus its place in the run).  The global steps work one key
range at a time, so memory is set by the budget, not the input, and nothing is spilled:

1. **processid ranges** (bounds from the parts' samples), reading only the few columns the
   choice needs: every run's rows in the range (the runs are sorted, so whole row groups are
   skipped) hold every row of each processid in it, so one row per processid is chosen there
   and the records out of scope are found (:func:`curation.ingest.assemble.choose`).  What
   stays is the ``_id`` of the rows not released and of the rows sharing a processid, and the
   released rows' places in the range, in processid order;
2. **sequence ranges** (bounds from the samples): every candidate's sequence in the range is
   numbered (:func:`curation.ingest.barcodes.number_barcodes`).  A released record's barcode key
   is the rank of its sequence among the released records' sequences: the ranges follow each
   other in byte order, so that is a range's local rank plus the distinct sequences of the
   ranges before it, the keys of numbering every barcode at once (docs/curation.md#barcode-key).
   The keys wait in one 4-byte-per-candidate array; barcodes.parquet is written range after
   range;
3. **processid ranges** again, every column: the same rows in the same order, so the released
   records are gathered at the places pass 1 found (no second filter and sort), get their keys
   and are written range after range (records and labels); the rows sharing a processid get
   their reject reasons, their barcodes compared through their sequences' ranks among all
   candidates'.

Each pass reads the next range in a thread while one is worked on, and writes the last one in
another (:func:`curation.io.behind`), so reading, working and writing overlap on a machine's cores.

docs/decisions.md "Ingest in bounded memory" says why polars and not DuckDB.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import polars.selectors as cs
import pyarrow.parquet as pq

from curation import io
from curation.ingest.assemble import (
    FILE,
    ID,
    LENGTH,
    REJECT_COLUMNS,
    RUN_ROW,
    SEQUENCE_RANK,
    check_conservation,
    choose,
    duplicate_rejects,
    released_records,
    sort_rejects,
    source,
    source_names,
    summary,
)
from curation.ingest.barcodes import number_sequences
from curation.ingest.batches import range_rows, sample_every
from curation.ingest.codes import IngestError, nothing_released
from curation.ingest.fields import LABELS
from curation.ingest.parse import PART_JSON, SAMPLES
from schemas.tables import (
    BARCODES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    LABELS_SCHEMA,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    conform,
)

#: Rows per row group of records.parquet, labels.parquet and barcodes.parquet: those polars'
#: streaming sink wrote, so the later rules' slices read the same row groups as before.
_ROW_GROUP = 81_920


#: The columns of the gather's files whose values repeat (labels, the input's name, a count):
#: dictionary-encoded in the Parquet files; the others are written plain.
_REPEATED = frozenset([*LABELS, "source_file", "given_inferred_ranks"])


class NothingReleased(Exception):
    """Every row was rejected: there is no release to write (the message says why)."""


@dataclass(frozen=True)
class _Run:
    """One batch's two runs and the ``_id`` of its first candidate."""

    candidates: Path
    sequences: Path
    offset: int


@dataclass
class _Choices:
    """What the first pass over the processid ranges leaves for the others."""

    dropped: list[pl.Series] = field(default_factory=list)  # ``_id``s not released
    shared: list[pl.Series] = field(default_factory=list)  # ``_id``s sharing a processid
    rejects: list[pl.DataFrame] = field(default_factory=list)  # out of scope, then duplicates
    by_file: Counter = field(default_factory=Counter)  # released records per file
    order: list[pl.Series] = field(default_factory=list)  # each range's Choice.order


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
    runs = _runs(parts, metas)
    total = sum(meta_count for meta in metas for meta_count in meta["candidates"])
    samples = pl.concat([pl.read_parquet(part / SAMPLES) for part in parts])
    per_range = range_rows(memory_gb) // sample_every(memory_gb)
    pid_bounds = _bounds(samples, "processid", per_range)
    seq_bounds = _bounds(samples, "sequence", per_range)
    choices = _choose(runs, pid_bounds, scope)
    dropped = _sorted_ids(choices.dropped)
    shared = _sorted_ids(choices.shared)
    # written beside the parts and moved into place once the summary shows a release
    with tempfile.TemporaryDirectory(prefix="gather-", dir=parts[0].parent) as scratch:
        made = {key: Path(scratch) / f"{key}.parquet" for key in ("barcodes", "records", "labels")}
        keys, ranks, count = _number(runs, seq_bounds, total, dropped, shared, made["barcodes"])
        with (
            _parquet_writer(made["records"], RECORDS_SCHEMA) as records,
            _parquet_writer(made["labels"], LABELS_SCHEMA) as labels,
            io.behind() as write_records,
            io.behind() as write_labels,
        ):
            ranges = io.prefetched(_range_rows(runs, pid_bounds, None))
            for rows, order in zip(ranges, choices.order, strict=True):
                choices.rejects.append(duplicate_rejects(rows, ranks, paths))
                # categorical labels as strings once, for both files
                released = released_records(rows, order, keys, paths).with_columns(
                    cs.categorical().cast(pl.String)
                )
                del rows
                write_records(records.write, released)
                write_labels(labels.write, released)
                del released
        rejects = _all_rejects(parts, metas, choices.rejects, paths)
        issues = _scan_issues(parts, metas, paths)
        codes = dict(issues.group_by("issue").len().collect().iter_rows())
        files = _file_entries(metas, paths, choices.by_file, rejects)
        reasons = dict(rejects.group_by("reason").len().iter_rows())
        result = summary(files, reasons, codes, count, target_marker, scope)
        if result["released"] == 0 and not empty_ok:
            raise NothingReleased(f"no record was released: {nothing_released(result)}")
        check_conservation(result)
        for key, path in made.items():
            with io.atomic_output(outputs[key]) as target:
                shutil.move(path, target)
    io.write_parquet(rejects.drop(FILE), outputs["rejects"])
    with io.atomic_output(outputs["issues"]) as tmp_issues:
        issues.sink_parquet(tmp_issues, compression="lz4")
    return result


def _runs(parts: Sequence[Path], metas: list[dict[str, Any]]) -> list[_Run]:
    """Every batch's runs, in input order, with the ``_id`` of their first candidate."""
    runs, offset = [], 0
    for part, meta in zip(parts, metas, strict=True):
        for number, count in enumerate(meta["candidates"]):
            runs.append(
                _Run(
                    part / f"candidates-{number:05d}.parquet",
                    part / f"sequences-{number:05d}.parquet",
                    offset,
                )
            )
            offset += count
    return runs


def _n(meta: dict[str, Any]) -> range:
    return range(meta["batches"])


def _bounds(samples: pl.DataFrame, kind: str, per_range: int) -> list[str]:
    """Range bounds: every ``per_range``-th sampled value of ``kind``, distinct, sorted."""
    values = samples.filter(pl.col("kind") == kind).get_column("value").drop_nulls()
    values = values.sort().gather_every(max(1, per_range), offset=max(1, per_range))
    return values.unique(maintain_order=True).to_list()


def _sorted_ids(ids: list[pl.Series]) -> pl.Series:
    return pl.concat([pl.Series(ID, [], dtype=pl.UInt32), *ids]).sort()


def _range_rows(
    runs: list[_Run], pid_bounds: list[str], columns: list[str] | None
) -> Iterator[pl.DataFrame]:
    """Every run's candidates (``columns``, or all) of each processid range that has any, range
    by range, with their ``_id``."""

    def view(run: _Run, scan: pl.LazyFrame) -> pl.LazyFrame:
        chosen = scan.select(pl.all() if columns is None else columns)
        return chosen.with_columns(_id(run)).drop(RUN_ROW)

    cursors = [_Cursor(run, run.candidates, "processid", view) for run in runs]
    return _ranges(cursors, pid_bounds)


def _ranges(cursors: list[_Cursor], bounds: list[str]) -> Iterator[pl.DataFrame]:
    """The runs' rows in each range of ``bounds`` that has any, range by range, run after run
    (the row order of filtering each run by the range)."""
    for bound in [*bounds, None]:
        scans = [cursor.scan(bound) for cursor in cursors]
        read = iter(pl.collect_all([scan for scan in scans if scan is not None]))
        taken = [
            cursor.take(None if scan is None else next(read), bound)
            for cursor, scan in zip(cursors, scans, strict=True)
        ]
        frames = [frame for frame in taken if frame is not None and not frame.is_empty()]
        if frames:
            yield pl.concat(frames)


class _Cursor:
    """One run read forward through a pass's ranges, each row group once.

    The run is sorted by ``key``, so a range's rows follow the previous range's; the row groups
    holding any key below the range's bound are read (their smallest keys are in the footer,
    read once), and the rows of the last one at or past the bound wait for the next range.  A
    filter per range and run decoded the group a bound falls in twice: two groups per run and
    range, which at 20 M records in 3 GiB (72 runs of 4,096-row groups, ranges of ~800,000
    rows) is ~70 % more rows than the range's own.
    """

    def __init__(
        self,
        run: _Run,
        path: Path,
        key: str,
        view: Callable[[_Run, pl.LazyFrame], pl.LazyFrame],
    ) -> None:
        self.run, self.path, self.key, self.view = run, path, key, view
        footer = pq.read_metadata(path)
        self.rows = [footer.row_group(g).num_rows for g in range(footer.num_row_groups)]
        self.minima = [_smallest(footer.row_group(g), key) for g in range(footer.num_row_groups)]
        self.groups_read = 0
        self.rows_read = 0
        self.left: pl.DataFrame | None = None  # rows read at or past the last bound

    def scan(self, bound: str | None) -> pl.LazyFrame | None:
        """The rows still to read for the range below ``bound`` (None: to the end), if any."""
        stop = self.groups_read
        while stop < len(self.rows) and not _above(self.minima[stop], bound):
            stop += 1
        count = sum(self.rows[self.groups_read : stop])
        if count == 0:
            return None
        scan = pl.scan_parquet(self.path).slice(self.rows_read, count)
        self.groups_read, self.rows_read = stop, self.rows_read + count
        return self.view(self.run, scan)

    def take(self, read: pl.DataFrame | None, bound: str | None) -> pl.DataFrame | None:
        """The rows below ``bound`` of those left and ``read`` (:meth:`scan`'s rows)."""
        frames = [frame for frame in (self.left, read) if frame is not None]
        if not frames:
            return None
        rows = pl.concat(frames) if len(frames) > 1 else frames[0]
        cut = (
            rows.height
            if bound is None
            else rows.get_column(self.key).search_sorted(bound, side="left")
        )
        self.left = rows.slice(cut)
        return rows.slice(0, cut)


def _smallest(group: Any, key: str) -> str | None:
    """The smallest ``key`` of a row group, from its footer statistics (None if not there)."""
    for number in range(group.num_columns):
        column = group.column(number)
        if column.path_in_schema == key:
            stats = column.statistics
            return stats.min if stats is not None and stats.has_min_max else None
    raise KeyError(key)


def _above(smallest: str | None, bound: str | None) -> bool:
    """Whether a row group whose smallest key is ``smallest`` lies wholly at or past ``bound``."""
    return bound is not None and smallest is not None and smallest >= bound


def _choose(
    runs: list[_Run], pid_bounds: list[str], scope: Mapping[str, Sequence[str]] | None
) -> _Choices:
    """The first pass: each processid range's choice (only the columns it needs are read)."""
    choices = _Choices()
    columns = ["processid", FILE, "source_line", LENGTH, RUN_ROW, *(scope or {})]
    for rows in io.prefetched(_range_rows(runs, pid_bounds, columns)):
        choice = choose(rows, scope)
        choices.dropped.append(choice.dropped)
        choices.shared.append(choice.shared)
        choices.rejects.append(choice.rejects)
        choices.by_file.update(dict(choice.released.iter_rows()))
        choices.order.append(choice.order)
    return choices


def _number(
    runs: list[_Run],
    seq_bounds: list[str],
    total: int,
    dropped: pl.Series,
    shared: pl.Series,
    barcodes_out: Path,
) -> tuple[pl.Series, pl.DataFrame, int]:
    """Number the sequences range by range and write barcodes.parquet to ``barcodes_out``.

    Returns the barcode key of every candidate by ``_id`` (0 for those not released), the rank
    of each ``shared`` candidate's sequence among all candidates' (``_id``, SEQUENCE_RANK), and
    the number of keys.
    """
    keys = _zeros(total)
    ranks = [pl.DataFrame(schema={ID: pl.UInt32, SEQUENCE_RANK: pl.UInt32})]
    next_key = next_rank = 0
    with _parquet_writer(barcodes_out, BARCODES_SCHEMA) as barcodes, io.behind() as write:
        for frame in io.prefetched(_sequence_ranges(runs, seq_bounds)):
            ids = frame.get_column(ID)
            local, sequences = number_sequences(frame.get_column("sequence"))
            kept = ~ids.is_in(dropped.implode())
            # the sequences a released record has, and their ranks among those
            used = pl.repeat(False, sequences.height, eager=True).scatter(local.filter(kept), True)
            rank = used.cum_sum().cast(pl.Int64) - 1 + next_key  # meaningful where used
            keys = keys.scatter(ids.filter(kept), rank.gather(local.filter(kept)).cast(pl.UInt32))
            mine = ids.is_in(shared.implode())
            rank_of_shared = (local.filter(mine).cast(pl.Int64) + next_rank).cast(pl.UInt32)
            ranks.append(pl.DataFrame([ids.filter(mine), rank_of_shared.alias(SEQUENCE_RANK)]))
            table = sequences.filter(used).with_columns(rank.filter(used).alias("barcode_key"))
            write(barcodes.write, table)
            next_key += table.height
            next_rank += sequences.height
    return keys, pl.concat(ranks), next_key


def _sequence_ranges(runs: list[_Run], seq_bounds: list[str]) -> Iterator[pl.DataFrame]:
    """Every run's sequences (``sequence``, ``_id``) of each sequence range that has any."""

    def view(run: _Run, scan: pl.LazyFrame) -> pl.LazyFrame:
        return scan.select("sequence", _id(run))

    return _ranges([_Cursor(run, run.sequences, "sequence", view) for run in runs], seq_bounds)


def _id(run: _Run) -> pl.Expr:
    return (pl.col(RUN_ROW).cast(pl.Int64) + run.offset).cast(pl.UInt32).alias(ID)


def _zeros(length: int) -> pl.Series:
    return pl.repeat(0, length, dtype=pl.UInt32, eager=True)


def _arrow(frame: pl.DataFrame) -> Any:
    """``frame`` as one Arrow table, one chunk per column."""
    return frame.rechunk().to_arrow(compat_level=pl.CompatLevel.newest())


@contextlib.contextmanager
def _parquet_writer(path: Path, schema: dict[str, pl.DataType]) -> Iterator[_RowGroups]:
    """A Parquet file of ``schema`` written range after range (lz4, like every intermediate)."""
    arrow_schema = _arrow(pl.DataFrame(schema=schema)).schema
    # dictionaries only for the columns that repeat: for identifiers, sequences and keys the
    # writer builds one until it overflows and falls back, a quarter of its CPU wasted
    repeated = [name for name in schema if name in _REPEATED] or False
    with pq.ParquetWriter(
        path, arrow_schema, compression="lz4", write_statistics=True, use_dictionary=repeated
    ) as writer:
        yield _RowGroups(writer, schema)


@dataclass(frozen=True)
class _RowGroups:
    writer: pq.ParquetWriter
    schema: dict[str, pl.DataType]

    def write(self, frame: pl.DataFrame) -> None:
        """``frame``'s columns of the file's schema, in row groups of _ROW_GROUP rows."""
        self.writer.write_table(_arrow(conform(frame, self.schema)), row_group_size=_ROW_GROUP)


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
