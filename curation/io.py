"""The edges of the pipeline: reading and writing intermediates, atomically, with a log.

Outputs are written to a staging file outside the destination directory and moved into place in
one ``os.replace``, so a killed job never leaves a half-written file where a later rule, or a
user looking at the release directory, would take it for a finished one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

#: Bytes handed to the kernel per write() by :class:`HashingWriter` (docs/decisions.md "Release
#: files are written 256 KiB at a time").
WRITE_CHUNK = 256 << 10

#: Overrides the staging directory.  By default files are staged in ``.snakemake/staging`` of the
#: working directory (where Snakemake runs every job), which is outside the release directory and
#: normally on the same filesystem as it (``os.replace`` is atomic only within one filesystem).
STAGING_ENV = "CURATION_STAGING_DIR"

log = logging.getLogger("curation")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging path; on success move it to ``path``, on failure delete it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_dir = Path(os.environ.get(STAGING_ENV) or Path.cwd() / ".snakemake" / "staging")
    staging_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=staging_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); a release file gets the mode of any new file.
        tmp.chmod(0o666 & ~_umask())
        try:
            os.replace(tmp, target)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            # Destination on another filesystem: copy next to it, then rename within it.
            beside = target.with_name(f".{target.name}.partial")
            shutil.copyfile(tmp, beside)
            os.replace(beside, target)
    finally:
        tmp.unlink(missing_ok=True)


class HashingWriter(io.RawIOBase):
    """A write-only file for polars' writers that checksums what it writes.

    The bytes go to ``handle`` in pieces of at most WRITE_CHUNK, each hashed (sha256) on the way
    while it is in the CPU cache, so a multi-GB release file is never read back to be checksummed.
    """

    def __init__(self, handle: io.RawIOBase) -> None:
        super().__init__()
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        for start in range(0, len(view), WRITE_CHUNK):
            piece = view[start : start + WRITE_CHUNK]
            self._digest.update(piece)
            while piece:
                piece = piece[self._handle.write(piece) :]
        self.size += len(view)
        return len(view)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


@contextlib.contextmanager
def atomic_stream(path: str | os.PathLike[str]) -> Iterator[HashingWriter]:
    """:func:`atomic_output` as a :class:`HashingWriter`; its ``sha256`` and ``size`` describe the
    file once the block has ended."""
    with atomic_output(path) as tmp, open(tmp, "wb", buffering=0) as handle:
        yield HashingWriter(handle)


def copy_into(
    out: HashingWriter,
    path: str | os.PathLike[str],
    *,
    start: int = 0,
    length: int | None = None,
) -> None:
    """Copy ``length`` bytes of the file ``path`` from ``start`` (None: to its end) into ``out``."""
    with open(path, "rb", buffering=0) as handle:
        left = os.fstat(handle.fileno()).st_size - start if length is None else length
        handle.seek(start)
        buffer = memoryview(bytearray(WRITE_CHUNK))
        while left > 0:
            read = handle.readinto(buffer[: min(left, len(buffer))])
            if not read:
                raise OSError(f"{path} ended {left} bytes short while it was copied")
            out.write(buffer[:read])
            left -= read


def _umask() -> int:
    """The process umask (reading it requires setting it, so it is set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(frame: pl.DataFrame, path: str | os.PathLike[str], **options: Any) -> None:
    """Write an intermediate Parquet file atomically, lz4-compressed (docs/decisions.md
    "Intermediates are lz4")."""
    options.setdefault("compression", "lz4")
    with atomic_output(path) as tmp:
        frame.write_parquet(tmp, **options)


def sink_parquet(frame: pl.LazyFrame, path: str | os.PathLike[str], **options: Any) -> None:
    """Stream a lazy query into an intermediate Parquet file atomically, lz4-compressed: the
    rows pass through in batches, never all in memory (polars' streaming engine)."""
    options.setdefault("compression", "lz4")
    with atomic_output(path) as tmp:
        frame.sink_parquet(tmp, **options)


#: Rows of one piece of :func:`merge_sorted_parquet` (about 100 MB of curated labels in memory).
MERGE_PIECE_ROWS = 1 << 18
#: Every how many rows of each input :func:`merge_sorted_parquet` samples a key.
_MERGE_SAMPLE = 1 << 10


def merge_sorted_parquet(
    files: list[Path], key: str, path: str | os.PathLike[str], piece_rows: int = MERGE_PIECE_ROWS
) -> None:
    """Merge Parquet files, each sorted by the string column ``key``, into one sorted file
    (atomically, lz4), one key range at a time: a range's rows of every file, stably sorted
    by ``key``, so rows of equal key keep their file's order (and come from the earliest file
    first).  Memory is one range (about ``piece_rows`` rows), not the files: polars' streaming
    ``merge_sorted`` held them whole (1 GB for 5 M curated records)."""
    scans = [pl.scan_parquet(file) for file in files]
    samples = pl.concat(
        [scan.select(pl.col(key).gather_every(_MERGE_SAMPLE)) for scan in scans]
    ).collect()[key]
    bounds = samples.sort().gather_every(max(1, piece_rows // _MERGE_SAMPLE)).unique().sort()
    edges: list[str | None] = [None, *bounds.to_list()[1:], None]
    with atomic_output(path) as tmp:
        writer: pq.ParquetWriter | None = None
        for low, high in itertools.pairwise(edges):
            inside = pl.lit(True)
            if low is not None:
                inside &= pl.col(key) >= low
            if high is not None:
                inside &= pl.col(key) < high
            piece = pl.concat([scan.filter(inside) for scan in scans]).collect()
            table = piece.sort(key, maintain_order=True).to_arrow(
                compat_level=pl.CompatLevel.newest()
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="lz4")
            writer.write_table(table)
        if writer is not None:
            writer.close()


def read_parquet(path: str | os.PathLike[str]) -> pl.DataFrame:
    return pl.read_parquet(path)


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write a UTF-8 text file atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write a binary file atomically."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def write_json(data: Any, path: str | os.PathLike[str]) -> None:
    """Write JSON deterministically: sorted keys, fixed indentation, trailing newline."""
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@contextlib.contextmanager
def rule_log(path: str | os.PathLike[str] | None) -> Iterator[logging.Logger]:
    """Send the ``curation`` logger (and warnings) to a rule's log file for the block's duration."""
    handler: logging.Handler
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield log
    except Exception as err:
        # The ERROR line names the exception: the build's closing lines show it.
        reason = f"{type(err).__name__}: {err}"
        log.exception("failed: %s", reason)
        raise
    finally:
        log.removeHandler(handler)
        handler.close()
