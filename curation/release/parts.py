"""The release in bounded parts: assembled and handed to the writers a part at a time.

The release is sorted by split (release order), then processid, and its row groups are cut at
split boundaries and every ``row_group_size`` rows within a split.  A *part* is a run of whole
row groups of one split, at most as many rows as the memory budget allows, so the writers append
parts to the same files and get the same bytes as from the whole release at once
(docs/decisions.md "The release in bounded parts").

The upstream tables are sorted by processid and row-aligned (``assemble._aligned``), so a split's
records are in release order where they stand.  Assembly therefore runs in two passes over
the inputs, each in bounded pieces, with spill files on local disk in between:

1. *rows*: consecutive input rows, assembled without their sequence (``assemble``'s columns and
   checks) and written per split: a batch's records of one split are a consecutive run of that
   split's release rows.
2. *barcodes*: consecutive ranges of barcode keys, whose sequences are joined to the records
   holding those keys and written per part (the sequences are most of the release's bytes and
   its keys are spread over every part, so no pass holds all of them).

A part is then its runs of rows beside its barcodes, in release order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from curation.release import assemble
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLIT_DTYPE, SPLITS

#: Bytes of memory one release row may take while a part is assembled and written: the row
#: itself (~1 KiB, most of it the sequence), its Arrow and CSV copies in the writers.
ROW_BYTES = 4096
#: Bytes one record may take in the rows pass (no sequence; its derived columns and checks).
RECORD_BYTES = 2048
#: Share of the memory budget a pass may fill (the rest: the interpreter, libraries, the
#: statistics' columns, allocator slack).
BUDGET_SHARE = 0.5
_GIB = 1 << 30
#: Compression of the spill files: fast, and the sequences shrink to a third.
_SPILL_COMPRESSION = "lz4"


@dataclass(frozen=True)
class Part:
    """Release rows ``start`` to ``stop`` (exclusive), all of ``split``, whose first release row
    is ``split_start``."""

    index: int
    split: str
    start: int
    stop: int
    split_start: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def part_rows(memory_gb: float, row_group_size: int) -> int:
    """Rows of a part: whole row groups, as many as the budget holds, at least one."""
    fits = int(memory_gb * _GIB * BUDGET_SHARE) // ROW_BYTES
    return max(1, fits // row_group_size) * row_group_size


def batch_rows(memory_gb: float) -> int:
    """Input rows of a batch of the rows pass."""
    return max(1, int(memory_gb * _GIB * BUDGET_SHARE) // RECORD_BYTES)


def plan(split_counts: Mapping[str, int], rows_per_part: int) -> list[Part]:
    """The parts of a release with these records per split, in release order."""
    parts: list[Part] = []
    start = 0
    for split in SPLITS:
        count = split_counts.get(split, 0)
        for first in range(0, count, rows_per_part):
            last = min(first + rows_per_part, count)
            parts.append(Part(len(parts), split, start + first, start + last, start))
        start += count
    return parts


@dataclass(frozen=True)
class Inputs:
    """The upstream tables emit reads (paths), and the side files' derived fields."""

    records: str
    curated: str
    splits: str
    barcodes: str
    sides: Sequence[pl.DataFrame] = ()


class Spilled:
    """The release cut into parts, assembled into ``spill`` (a directory this object owns).

    ``prepare`` runs both passes; it returns False, and writes nothing, when the inputs are not
    row-aligned (then the caller assembles the release in one piece, which names the mismatch).
    """

    def __init__(self, inputs: Inputs, spill: Path, memory_gb: float, row_group_size: int) -> None:
        self.inputs = inputs
        self.spill = spill
        self.memory_gb = memory_gb
        self.row_group_size = row_group_size
        self.parts: list[Part] = []
        #: Per split: (first release row of the batch's run within the split, rows, file).
        self._runs: dict[str, list[tuple[int, int, Path]]] = {s: [] for s in SPLITS}

    def prepare(self) -> bool:
        split = _split_column(self.inputs)
        if split is None:
            return False
        counts = dict(split.value_counts().iter_rows())
        self.parts = plan(
            {s: counts.get(s, 0) for s in SPLITS}, part_rows(self.memory_gb, self.row_group_size)
        )
        self.spill.mkdir(parents=True, exist_ok=True)
        if not self._rows_pass(split):
            return False
        # release row -> input row: a stable sort on the split (the inputs are in processid order)
        order = split.to_frame().with_row_index("row").sort("split", maintain_order=True)["row"]
        del split
        keys = pl.scan_parquet(self.inputs.records).select("barcode_key").collect()
        self._barcodes_pass(keys.get_column("barcode_key").gather(order))
        return True

    def _rows_pass(self, split: pl.Series) -> bool:
        """Assemble consecutive input batches and spill each split's rows; False if the inputs
        turn out not to be aligned."""
        size = batch_rows(self.memory_gb)
        before = dict.fromkeys(SPLITS, 0)
        previous_last: str | None = None
        for batch, first in enumerate(range(0, split.len(), size)):
            frames = _batch(self.inputs, first, size)
            ids = [frame.get_column("processid") for frame in frames]
            if not assemble._aligned(ids) or (
                previous_last is not None and not ids[0][0] > previous_last
            ):
                return False
            previous_last = ids[0][-1]
            rows = assemble.assemble_columns(*frames, self.inputs.sides)
            assemble.check_values(rows)
            rows = rows.sort("split", maintain_order=True)
            for name, length in rows.group_by("split", maintain_order=True).len().iter_rows():
                path = self.spill / f"rows_{batch:06d}_{name}.arrow"
                run = rows.filter(pl.col("split") == name)
                run.write_ipc(path, compression=_SPILL_COMPRESSION)
                self._runs[name].append((before[name], length, path))
                before[name] += length
        return True

    def _barcodes_pass(self, keys: pl.Series) -> None:
        """The sequence of every release row (``keys`` in release order), spilled per part and
        key range."""
        n_keys, per_key = _barcode_table_size(self.inputs.barcodes)
        if keys.null_count() or (n := (keys >= n_keys).sum()):
            missing = keys.null_count() + (n if not keys.null_count() else (keys >= n_keys).sum())
            raise assemble.ReleaseError(
                f"{missing} records have a barcode key that is not in the barcode table "
                f"({n_keys} keys)"
            )
        # A range's sequences and the copies gathered for its records fit the budget.
        records_per_key = keys.len() / max(n_keys, 1)
        budget = self.memory_gb * _GIB * BUDGET_SHARE
        keys_per_range = max(1, int(budget / (per_key * (1 + records_per_key))))
        part_starts = pl.Series([p.start for p in self.parts], dtype=pl.UInt32)
        for number, first in enumerate(range(0, n_keys, keys_per_range)):
            last = min(first + keys_per_range, n_keys)
            sequences = _sequences(self.inputs.barcodes, first, last)
            rows = ((keys >= first) & (keys < last)).arg_true()
            found = pl.DataFrame(
                {
                    "row": rows,
                    "dna_barcode": sequences.gather(keys.gather(rows) - first),
                }
            )
            del sequences
            self._spill_barcodes(found, part_starts, number)

    def _spill_barcodes(self, found: pl.DataFrame, part_starts: pl.Series, number: int) -> None:
        """Write ``found`` (release row, sequence; by row) as one file per part it touches."""
        cuts = part_starts.search_sorted(found.get_column("row"), side="right") - 1
        for (part,), piece in found.with_columns(part=cuts).group_by("part", maintain_order=True):
            piece.drop("part").write_ipc(
                self.spill / f"barcodes_{part:06d}_{number:06d}.arrow",
                compression=_SPILL_COMPRESSION,
            )

    def read(self, part: Part) -> pl.DataFrame:
        """The release rows of ``part``, in release order (RELEASE_PARQUET_SCHEMA)."""
        begin, end = part.start - part.split_start, part.stop - part.split_start
        pieces = []
        for first, length, path in self._runs[part.split]:
            if first < end and first + length > begin:
                lo, hi = max(begin, first), min(end, first + length)
                pieces.append(pl.scan_ipc(path).slice(lo - first, hi - lo).collect())
        rows = pl.concat(pieces, rechunk=True)
        files = sorted(self.spill.glob(f"barcodes_{part.index:06d}_*.arrow"))
        sequences = pl.concat([pl.read_ipc(f) for f in files]).sort("row")
        expected = pl.int_range(part.start, part.stop, dtype=pl.UInt32, eager=True)
        if not sequences.get_column("row").equals(expected, check_names=False):
            raise RuntimeError(f"the barcodes spilled for part {part.index} do not match its rows")
        barcode = pl.coalesce(
            rows.get_column("padded_barcode"), sequences.get_column("dna_barcode")
        )
        release = rows.with_columns(barcode.alias("dna_barcode")).select(
            list(RELEASE_PARQUET_SCHEMA)
        )
        assemble.check_barcodes(release)
        return release


def in_memory_parts(release: pl.DataFrame, rows_per_part: int) -> Iterator[pl.DataFrame]:
    """An assembled release cut into parts as :class:`Spilled` cuts it."""
    counts = dict(release.group_by("split").len().iter_rows())
    for part in plan({s: counts.get(s, 0) for s in SPLITS}, rows_per_part):
        yield release.slice(part.start, part.rows)


def _split_column(inputs: Inputs) -> pl.Series | None:
    """The split of every input row (SPLIT_DTYPE), or None if the inputs' heights differ."""
    heights = {
        pq.ParquetFile(path).metadata.num_rows
        for path in (inputs.records, inputs.curated, inputs.splits)
    }
    if len(heights) != 1:
        return None
    frame = pl.scan_parquet(inputs.splits).select(pl.col("split").cast(SPLIT_DTYPE)).collect()
    return frame.get_column("split")


def _batch(inputs: Inputs, first: int, size: int) -> tuple[pl.DataFrame, ...]:
    """Input rows ``first`` to ``first + size`` of records, curated and splits (only the row
    groups holding them are read)."""
    return (
        pl.scan_parquet(inputs.records)
        .select(*assemble.RECORD_COLUMNS, "padded_barcode")
        .slice(first, size)
        .collect(),
        pl.scan_parquet(inputs.curated)
        .select(assemble.CURATED_COLUMNS)
        .slice(first, size)
        .collect(),
        pl.scan_parquet(inputs.splits).select("processid", "split").slice(first, size).collect(),
    )


def _barcode_table_size(path: str) -> tuple[int, float]:
    """Rows of the barcode table and the bytes of a sequence (uncompressed, on average)."""
    meta = pq.ParquetFile(path).metadata
    column = pq.ParquetFile(path).schema_arrow.get_field_index("sequence")
    total = sum(
        meta.row_group(i).column(column).total_uncompressed_size for i in range(meta.num_row_groups)
    )
    return meta.num_rows, max(64.0, total / max(meta.num_rows, 1)) + 16


def _sequences(path: str, first: int, last: int) -> pl.Series:
    """The sequences of keys ``first`` to ``last`` (exclusive), checked to be those keys."""
    table = (
        pl.scan_parquet(path).select("barcode_key", "sequence").slice(first, last - first).collect()
    )
    expected = pl.int_range(first, last, dtype=pl.UInt32, eager=True)
    keys = table.get_column("barcode_key")
    if not keys.equals(expected, check_names=False):
        raise assemble.ReleaseError(
            "the barcode table is not one row per barcode key 0 to n-1 in key order: "
            f"rows {first} to {last - 1} hold keys {keys.min()} to {keys.max()}"
        )
    if (n := table.get_column("sequence").null_count()) > 0:
        raise assemble.ReleaseError(f"the barcode table has {n} keys without a sequence")
    return table.get_column("sequence").rechunk()
