"""The release in bounded parts: assembled and handed to the writers a part at a time.

The release is sorted by split (release order), then processid, and its row groups are cut at
split boundaries and every ``row_group_size`` rows within a split.  A *part* is a run of whole
row groups of one split, at most as many rows as the memory budget allows, so the writers append
parts to the same files and get the same bytes as from the whole release at once
(docs/decisions.md "The release in bounded parts").

The upstream tables are sorted by processid and row-aligned (``assemble.aligned``), so a split's
records are in release order where they stand.  Assembly therefore runs in two passes over
the inputs, each in bounded pieces and each a Snakemake job per shard (rules emit_rows and
emit_barcodes, side by side), with spill files on local disk in between:

1. *rows*: consecutive input rows, assembled without their sequence (``assemble``'s columns and
   checks) and written per split: a batch's records of one split are a consecutive run of that
   split's release rows.
2. *barcodes*: consecutive ranges of barcode keys, whose sequences are joined to the records
   holding those keys and written per part (the sequences are most of the release's bytes and
   its keys are spread over every part, so no pass holds all of them).

A part is then its runs of rows beside its barcodes, in release order (rule emit_metadata).
Every job computes the same :class:`Plan` from the split counts and the settings, so the release
is the same for any shard count and any budget.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from curation import io
from curation.release import assemble
from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLIT_DTYPE, SPLITS

#: Bytes of memory one release row may take while a part is assembled and written: the row
#: itself (~1 KiB, most of it the sequence), its copies in the writers working at once, the
#: next part being put together (measured: 4.4 GiB at 5 M records with 4096).
ROW_BYTES = 8192
#: Bytes one record may take in the rows pass (no sequence; its derived columns and checks).
RECORD_BYTES = 2048
#: Share of the memory budget a pass may fill (the rest: the interpreter, libraries, the
#: statistics' columns, allocator slack).
BUDGET_SHARE = 0.5
#: Fewest input rows of a batch, and keys of a key range: below that, the per-piece overhead
#: (a slice of every input, a spill file) outweighs the memory saved.
MIN_PIECE = 1024
_GIB = 1 << 30
#: Compression of the spill files: none (lz4 hardly shrinks the sequences, and uncompressed files
#: are memory-mapped when read).
_SPILL_COMPRESSION = "uncompressed"
#: The index of a rows pass's spill directory.
_INDEX = "index.json"


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
    return max(MIN_PIECE, int(memory_gb * _GIB * BUDGET_SHARE) // RECORD_BYTES)


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


@dataclass(frozen=True)
class Plan:
    """How a release is cut: its parts, the input batches of the rows pass, the key ranges of
    the barcodes pass.  Every emit job computes the same plan from the inputs and settings."""

    parts: list[Part]
    batch_rows: int
    records: int
    barcode_keys: int
    keys_per_range: int

    @property
    def batches(self) -> int:
        return -(-self.records // self.batch_rows)

    @property
    def key_ranges(self) -> int:
        return -(-self.barcode_keys // self.keys_per_range)


def make_plan(inputs: Inputs, memory_gb: float, row_group_size: int) -> Plan | None:
    """The plan of a release of row-aligned inputs; None if the inputs' heights differ (then
    they are not aligned, and the release is assembled in one piece, which names the mismatch)."""
    split = _split_column(inputs)
    if split is None:
        return None
    counts = dict(split.value_counts().iter_rows())
    n_keys, per_key = _barcode_table_size(inputs.barcodes)
    # A key range's sequences and the copies gathered for its records fit the budget.
    records_per_key = split.len() / max(n_keys, 1)
    budget = memory_gb * _GIB * BUDGET_SHARE
    return Plan(
        parts=plan({s: counts.get(s, 0) for s in SPLITS}, part_rows(memory_gb, row_group_size)),
        batch_rows=batch_rows(memory_gb),
        records=split.len(),
        barcode_keys=n_keys,
        keys_per_range=max(MIN_PIECE, int(budget / (per_key * (1 + records_per_key)))),
    )


def shard_range(count: int, shard: str) -> range:
    """Pieces of ``count`` that shard ``shard`` (Snakemake's ``"k-of-n"``) works on."""
    k, n = (int(x) for x in shard.split("-of-"))
    return range((k - 1) * count // n, k * count // n)


def spill_rows(inputs: Inputs, plan: Plan, shard: str, directory: Path) -> None:
    """The rows pass of ``shard``'s input batches: each batch assembled without its sequence
    (``assemble``'s columns and checks) and its records of each split spilled to a file; an
    index lists the files, or says the inputs are not row-aligned."""
    directory.mkdir(parents=True, exist_ok=True)
    batches = shard_range(plan.batches, shard)
    split = _split_column(inputs)
    assert split is not None
    # Records of each split before the shard's first row: where its runs start in the split.
    first_row = batches.start * plan.batch_rows
    before = dict(split.head(first_row).value_counts().iter_rows())
    runs: list[tuple[str, int, int, str]] = []
    previous = _processid_at(inputs.splits, first_row - 1) if first_row else None
    for batch in batches:
        frames = _batch(inputs, batch * plan.batch_rows, plan.batch_rows)
        ids = [frame.get_column("processid") for frame in frames]
        if not assemble.aligned(ids) or (previous is not None and not ids[0][0] > previous):
            io.write_json({"aligned": False, "runs": []}, directory / _INDEX)
            return
        previous = ids[0][-1]
        rows = assemble.assemble_columns(*frames, inputs.sides)
        assemble.check_values(rows)
        rows = rows.sort("split", maintain_order=True)
        rows = rows.with_columns(_only_valid(rows.get_column("padded_barcode")))
        for (name,), run in rows.group_by("split", maintain_order=True):
            file = f"rows_{batch:06d}_{name}.arrow"
            run.write_ipc(
                directory / file,
                compression=_SPILL_COMPRESSION,
                compat_level=pl.CompatLevel.oldest(),
            )
            runs.append((str(name), before.get(name, 0), run.height, file))
            before[name] = before.get(name, 0) + run.height
    io.write_json({"aligned": True, "runs": runs}, directory / _INDEX)


def spill_barcodes(inputs: Inputs, plan: Plan, shard: str, directory: Path) -> None:
    """The barcodes pass of ``shard``'s key ranges: each range's sequences joined to the
    records holding its keys, spilled as (release row, sequence) per part."""
    directory.mkdir(parents=True, exist_ok=True)
    split = _split_column(inputs)
    assert split is not None
    # release row -> input row: a stable sort on the split (the inputs are in processid order)
    order = split.to_frame().with_row_index("row").sort("split", maintain_order=True)["row"]
    del split
    keys = pl.scan_parquet(inputs.records).select("barcode_key").collect()
    keys = keys.get_column("barcode_key").gather(order)
    del order
    if (missing := keys.null_count() + keys.ge(plan.barcode_keys).sum()) > 0:
        raise assemble.ReleaseError(
            f"{missing} records have a barcode key that is not in the barcode table "
            f"({plan.barcode_keys} keys)"
        )
    part_starts = pl.Series([p.start for p in plan.parts], dtype=pl.UInt32)
    for number in shard_range(plan.key_ranges, shard):
        first = number * plan.keys_per_range
        last = min(first + plan.keys_per_range, plan.barcode_keys)
        sequences = _sequences(inputs.barcodes, first, last)
        rows = ((keys >= first) & (keys < last)).arg_true()
        found = pl.DataFrame(
            {"row": rows, "dna_barcode": sequences.gather(keys.gather(rows) - first)}
        )
        del sequences
        cuts = part_starts.search_sorted(found.get_column("row"), side="right") - 1
        for (part,), piece in found.with_columns(part=cuts).group_by("part", maintain_order=True):
            piece.drop("part").write_ipc(
                directory / f"barcodes_{part:06d}_{number:06d}.arrow",
                compression=_SPILL_COMPRESSION,
                compat_level=pl.CompatLevel.oldest(),
            )


class Spilled:
    """The parts of a release from the spill directories of its rows and barcodes passes."""

    def __init__(self, plan: Plan, rows: Sequence[Path], barcodes: Sequence[Path]) -> None:
        self.plan = plan
        self._barcodes = barcodes
        #: Per split: (first release row of the run within the split, rows, file).
        self._runs: dict[str, list[tuple[int, int, Path]]] = {s: [] for s in SPLITS}
        self.aligned = True
        for directory in rows:
            index = io.read_json(directory / _INDEX)
            self.aligned &= index["aligned"]
            for split, first, length, file in index["runs"]:
                self._runs[split].append((first, length, directory / file))

    def read(self, part: Part) -> pl.DataFrame:
        """The release rows of ``part``, in release order (RELEASE_PARQUET_SCHEMA)."""
        begin, end = part.start - part.split_start, part.stop - part.split_start
        pieces = []
        for first, length, path in self._runs[part.split]:
            if first < end and first + length > begin:
                lo, hi = max(begin, first), min(end, first + length)
                pieces.append(pl.scan_ipc(path).slice(lo - first, hi - lo).collect())
        rows = pl.concat(pieces, rechunk=True)
        files = [
            file
            for directory in self._barcodes
            for file in sorted(directory.glob(f"barcodes_{part.index:06d}_*.arrow"))
        ]
        sequences = pl.concat([pl.read_ipc(file) for file in files]).sort("row")
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


def _only_valid(column: pl.Series) -> pl.Series:
    """A mostly-null text column without the bytes its null rows may still point at (an Arrow
    file would hold them: 0.5 GB of hidden sequences per million records for
    ``padded_barcode``)."""
    rows = column.is_not_null().arg_true()
    empty = pl.repeat(None, column.len(), dtype=column.dtype, eager=True).alias(column.name)
    return empty.scatter(rows, column.gather(rows)) if rows.len() else empty


def _processid_at(path: str, row: int) -> str:
    return pl.scan_parquet(path).select("processid").slice(row, 1).collect().item()


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
