"""An export's data lines cut into byte ranges: parts (one job each) and batches (bounded memory).

A cut is made only before a *whole* line: one with the header's field count (and, in the
comma-separated layout, no quote).  No row the reader recovers spans such a cut: a row cut by a
bare LF continues on lines with a wrong field count, and the line before such a run stays with it
(:mod:`curation.ingest.recover`).  So every batch reads the same records, rejects and issues as
the whole file would, wherever the cuts fall.  A cut searches forward from a nominal offset; a
part or batch therefore ends on the first whole line at or after it (or at the end of the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from curation.ingest.layouts import ColumnMap

GIB = 1 << 30
#: The raw bytes of one batch as a share of the memory budget: two batches are held as bytes (the
#: next is read while one is parsed), and one is parsed (its sequences and labels again), cleaned
#: and sorted, about five times a batch's size at the peak.
BATCH_SHARE = 1 / 8
#: Bytes read at a time when counting lines.
_BLOCK = 16 << 20


#: Bytes a candidate row costs while a processid or sequence range is worked on (its barcode,
#: labels, identifiers, and the copies sorting and gathering make; the next range is read
#: meanwhile).
ROW_BYTES = 4000
#: Samples taken per range of rows, to cut the ranges evenly.
SAMPLES_PER_RANGE = 32


def batch_bytes(memory_gb: float) -> int:
    """The raw bytes of one batch under a memory budget of ``memory_gb`` GiB."""
    return max(1, int(memory_gb * GIB * BATCH_SHARE))


def range_rows(memory_gb: float) -> int:
    """The rows of one processid or sequence range under a budget of ``memory_gb`` GiB."""
    return max(1, int(memory_gb * GIB / ROW_BYTES))


def sample_every(memory_gb: float) -> int:
    """One row in this many is sampled (for the range bounds)."""
    return max(1, range_rows(memory_gb) // SAMPLES_PER_RANGE)


def part_range(
    handle: BinaryIO, size: int, data_start: int, columns: ColumnMap, part: int, parts: int
) -> tuple[int, int]:
    """Byte range of ``part`` of ``parts`` (0-based): about an equal share of the data lines,
    cut at whole lines.  Consecutive parts meet; some may be empty."""
    span = size - data_start

    def bound(index: int) -> int:
        if index == 0:
            return data_start
        if index >= parts:
            return size
        return cut(handle, data_start + span * index // parts, size, columns)

    return bound(part), max(bound(part), bound(part + 1))


def read_batches(
    handle: BinaryIO, start: int, end: int, data_start: int, columns: ColumnMap, size: int
) -> Iterator[tuple[int, bytes]]:
    """The data lines ``[start, end)`` in batches of about ``size`` bytes, in file order: each
    with the 1-based line number of its first line."""
    first = 2 + count_lines(handle, data_start, start)
    while start < end:
        stop = end if start + size >= end else min(end, cut(handle, start + size, end, columns))
        handle.seek(start)
        data = handle.read(stop - start)
        yield first, data
        first += data.count(b"\n")
        start = stop


def cut(handle: BinaryIO, offset: int, end: int, columns: ColumnMap) -> int:
    """The start of the first whole line at or after ``offset``, or ``end`` if there is none
    before it."""
    handle.seek(offset - 1)
    handle.readline()  # the rest of the line holding byte offset-1, so the next starts >= offset
    while (position := handle.tell()) < end:
        line = handle.readline()
        if not line or _whole(line, columns):
            return min(position, end)
    return end


def _whole(line: bytes, columns: ColumnMap) -> bool:
    """A line with the header's field count that no recovery can join to another (a cut may go
    before it)."""
    separator = columns.header.separator.encode()
    body = line.removesuffix(b"\n").removesuffix(b"\r")
    if separator == b"," and b'"' in body:
        return False
    return body.count(separator) == len(columns.header.names) - 1


def count_lines(handle: BinaryIO, start: int, end: int) -> int:
    """The LFs in bytes ``[start, end)`` of the file."""
    handle.seek(start)
    total, remaining = 0, end - start
    while remaining > 0:
        block = handle.read(min(_BLOCK, remaining))
        if not block:
            break
        total += block.count(b"\n")
        remaining -= len(block)
    return total
