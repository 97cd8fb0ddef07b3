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
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

#: Bytes handed to the kernel per write() by :class:`HashingWriter` (docs/decisions.md "Release
#: files are written 256 KiB at a time").
WRITE_CHUNK = 256 << 10

#: Overrides the staging directory.  By default files are staged in ``.snakemake/staging`` of the
#: working directory (where Snakemake runs every job), which is outside the release directory and
#: normally on the same filesystem as it (``os.replace`` is atomic only within one filesystem).
STAGING_ENV = "CURATION_STAGING_DIR"

log = logging.getLogger("curation")

T = TypeVar("T")


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


#: Every how many rows of each input :func:`sorted_pieces` samples a key.
_PIECE_SAMPLE = 1 << 10


def sorted_pieces(
    groups: Sequence[Sequence[str | os.PathLike[str]]], key: str, piece_rows: int
) -> Iterator[tuple[pl.DataFrame, ...]]:
    """Groups of Parquet files, each file sorted by the string column ``key``, read one key
    range at a time: per range, one frame per group, its files' rows of the range stably
    sorted by ``key`` (rows of equal key keep their file's order, earlier files first).

    The ranges come from keys sampled in the first group and hold about ``piece_rows`` of its
    rows, so memory is one range of every group, not the files (docs/decisions.md, "The
    global label steps one processid range at a time").  Every range is read from row groups
    whose statistics overlap it, so files written with several row groups are read about once.
    """
    scans = [[pl.scan_parquet(file) for file in files] for files in groups]
    every = min(_PIECE_SAMPLE, piece_rows)
    samples = pl.concat(
        [scan.select(pl.col(key).gather_every(every)) for scan in scans[0]]
    ).collect()[key]
    bounds = samples.sort().gather_every(max(1, piece_rows // every)).unique().sort()
    edges: list[str | None] = [None, *bounds.to_list()[1:], None]
    for low, high in itertools.pairwise(edges):
        inside = pl.lit(True)
        if low is not None:
            inside &= pl.col(key) >= low
        if high is not None:
            inside &= pl.col(key) < high
        yield tuple(_merged([scan.filter(inside) for scan in group], key) for group in scans)


def _merged(parts: list[pl.LazyFrame], key: str) -> pl.DataFrame:
    """Frames each sorted by ``key`` as one, stably sorted: a merge, not a sort."""
    frames = pl.collect_all(parts)
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge_sorted(frame, key)
    return merged


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """``items`` (never None), each next one made in a thread while the caller works on the
    current one (reading a batch or a range is mostly I/O and polars work, which release the
    GIL, so the two overlap)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        coming = pool.submit(next, items, None)
        while (item := coming.result()) is not None:
            coming = pool.submit(next, items, None)
            yield item
            del item


@contextlib.contextmanager
def behind() -> Iterator[Callable[..., None]]:
    """A function that runs ``work(*args)`` in one thread behind the caller, one piece at a
    time: a piece is written (pyarrow's encoding and compression release the GIL) while the
    next is worked on, and at most one piece waits in memory.  The last piece is waited for on
    leaving, and an error in a piece is raised in the caller."""
    pending: list[Future[None]] = []

    def run(work: Callable[..., None], *args: Any) -> None:
        if pending:
            pending.pop().result()
        pending.append(pool.submit(work, *args))

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield run
        if pending:
            pending.pop().result()


@contextlib.contextmanager
def parquet_pieces(path: str | os.PathLike[str]) -> Iterator[Callable[[pl.DataFrame], None]]:
    """Yield ``append(frame)``: frames of one schema written one after another as one Parquet
    file (atomically, lz4, at least one frame), one frame in memory at a time."""
    import pyarrow.parquet as pq  # only this writer needs it: every job would pay the import

    with atomic_output(path) as tmp:
        writers: list[pq.ParquetWriter] = []

        def append(frame: pl.DataFrame) -> None:
            table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
            if not writers:
                writers.append(pq.ParquetWriter(tmp, table.schema, compression="lz4"))
            writers[0].write_table(table)

        yield append
        if not writers:
            raise ValueError(f"{path}: no frame written")
        writers[0].close()


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
    interrupt = _die_on_interrupt()
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
        if interrupt is not None:
            signal.signal(signal.SIGINT, interrupt)


def _die_on_interrupt() -> Any:
    """Let Ctrl-C end the job as the signal does, not as a KeyboardInterrupt traceback from
    wherever the job was (the build then says it was interrupted: curation.console.failure).
    The handler it replaces, to restore; None off the main thread, where none can be set."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_DFL)
