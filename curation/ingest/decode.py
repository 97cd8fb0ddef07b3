"""Bytes to text: decompression, the cp1252 fallback for invalid UTF-8, and raw line access.

Real BOLD v4 exports mix valid UTF-8 with stray cp1252 bytes inside one file (0x96 for an en
dash; docs/formats.md#bold-v4-tsv), so decoding is done per field and per invalid byte run:
valid UTF-8 stays as it is, only the offending bytes are read as cp1252.  This is the slow,
Python side of the reader; it only runs on files polars refuses as invalid UTF-8, and then only
re-decodes the lines that fail.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from curation.ingest.codes import IngestError

GZIP_MAGIC = b"\x1f\x8b"
#: Bytes read at a time by the Python passes; whole lines are processed per block.
BLOCK = 16 << 20

#: cp1252 characters of the bytes 0x80-0xFF (the five bytes cp1252 leaves undefined are absent).
CP1252_BYTES: dict[int, str] = {}
for _byte in range(0x80, 0x100):
    try:
        CP1252_BYTES[_byte] = bytes([_byte]).decode("cp1252")
    except UnicodeDecodeError:
        pass

#: R writes an undecodable byte as the literal text ``<96>``; the byte's cp1252 character.
R_ESCAPES: dict[str, str] = {f"<{byte:02x}>": char for byte, char in CP1252_BYTES.items()}
#: A byte that was wrongly decoded as Latin-1 becomes a C1 control character (U+0080-U+009F,
#: ropensci/bold#81); the character cp1252 gives that byte.
C1_CONTROLS: dict[str, str] = {
    chr(byte): char for byte, char in CP1252_BYTES.items() if byte < 0xA0
}


def open_plain(path: str, scratch: Path) -> Path:
    """The file itself, or for gzip content (by magic bytes) a decompressed copy in ``scratch``.

    Decompressing once to disk keeps memory bounded and lets every later pass read plain bytes;
    a truncated or corrupt stream is a clear error instead of silently partial data.
    """
    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
    except OSError as err:
        raise IngestError(path, None, None, f"cannot open: {err.strerror}") from None
    if magic != GZIP_MAGIC:
        return Path(path)
    fd, name = tempfile.mkstemp(prefix="gunzip-", suffix=".txt", dir=scratch)
    try:
        with gzip.open(path, "rb") as source, os.fdopen(fd, "wb") as target:
            shutil.copyfileobj(source, target, BLOCK)
    except EOFError:
        raise IngestError(
            path,
            None,
            None,
            "truncated gzip file: the compressed stream ends before its end marker",
        ) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise IngestError(path, None, None, f"corrupt gzip file: {err}") from None
    return Path(name)


def first_line(path: Path) -> bytes:
    """The first line of ``path`` with its terminator (empty for an empty file)."""
    with open(path, "rb") as handle:
        return handle.readline()


def decode_field(raw: bytes) -> tuple[str, list[tuple[bytes, str]]]:
    """Decode ``raw`` as UTF-8, reading each invalid byte run as cp1252 instead.

    Returns the text and the (bytes, text) of every run that needed the fallback.  Bytes that
    cp1252 leaves undefined become U+FFFD.
    """
    parts: list[str] = []
    fallbacks: list[tuple[bytes, str]] = []
    position = 0
    while True:
        try:
            parts.append(raw[position:].decode("utf-8"))
            return "".join(parts), fallbacks
        except UnicodeDecodeError as err:
            parts.append(raw[position : position + err.start].decode("utf-8"))
            bad = raw[position + err.start : position + err.end]
            text = bad.decode("cp1252", errors="replace")
            parts.append(text)
            fallbacks.append((bad, text))
            position += err.end


def split_lines(data: bytes) -> list[bytes]:
    """``data`` cut after every LF (terminators kept).  Unlike ``bytes.splitlines`` a lone CR is
    not a line break: it is in-field text, as for polars."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _split_terminator(line: bytes) -> tuple[bytes, bytes]:
    for end in (b"\r\n", b"\n"):
        if line.endswith(end):
            return line[: -len(end)], end
    return line, b""


def repair_utf8(
    data: bytes, first: int, names: Sequence[str], separator: str
) -> tuple[bytes, list[tuple[int, str, str]]]:
    """``data`` (lines from line ``first`` on) with every invalid UTF-8 field re-decoded
    (cp1252 fallback).

    Returns the repaired bytes and one ``(line, field name, detail)`` per repaired field.  Line
    structure is untouched (the fallback never produces a tab or a line break), so line numbers
    stay valid.
    """
    sep = separator.encode()
    issues: list[tuple[int, str, str]] = []
    out = io.BytesIO()
    line_number = first
    for complete in _line_blocks(data):
        try:
            complete.decode("utf-8")
            out.write(complete)
            line_number += complete.count(b"\n")
        except UnicodeDecodeError:
            for line in split_lines(complete):
                out.write(_repair_line(line, line_number, names, sep, issues))
                line_number += line.endswith(b"\n")
    return out.getvalue(), issues


def _line_blocks(data: bytes) -> Iterator[bytes]:
    """``data`` in pieces of about BLOCK bytes, each cut after a line end (but the last)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + BLOCK) + 1 if start + BLOCK < len(data) else 0
        end = end or len(data)
        yield data[start:end]
        start = end


def _repair_line(
    line: bytes, number: int, names: Sequence[str], sep: bytes, issues: list[tuple[int, str, str]]
) -> bytes:
    try:
        line.decode("utf-8")
        return line
    except UnicodeDecodeError:
        pass
    body, end = _split_terminator(line)
    fields = []
    for position, raw in enumerate(body.split(sep)):
        text, fallbacks = decode_field(raw)
        if fallbacks:
            field = names[position] if position < len(names) else f"column {position + 1}"
            detail = ", ".join(f"0x{bad.hex()} -> {char!r}" for bad, char in fallbacks)
            issues.append((number, field, detail))
        fields.append(text.encode("utf-8"))
    return sep.join(fields) + end


def read_lines(data: bytes, first: int, wanted: Iterable[int]) -> dict[int, bytes]:
    """The raw bytes (terminator included) of the lines ``wanted`` of ``data``, whose first line
    is line ``first``."""
    targets = sorted(set(wanted))
    found: dict[int, bytes] = {}
    line_number, position = first, 0
    for target in targets:
        while line_number < target and position < len(data):
            position = data.find(b"\n", position)
            position = len(data) if position < 0 else position + 1
            line_number += 1
        if line_number != target or position >= len(data):
            break
        end = data.find(b"\n", position)
        found[target] = data[position : len(data) if end < 0 else end + 1]
    return found
