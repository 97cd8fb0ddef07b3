"""Bytes to text: decompression, the cp1252 fallback for invalid UTF-8, and raw line access.

Real BOLD v4 exports mix valid UTF-8 with stray cp1252 bytes inside one file (0x96 for an en
dash; docs/formats.md#bold-v4-tsv), so decoding is done per field and per invalid byte run:
valid UTF-8 stays as it is, only the offending bytes are read as cp1252.  This is the slow,
Python side of the reader; it only runs on files polars refuses as invalid UTF-8, and then only
re-decodes the lines that fail.
"""

from __future__ import annotations

import bisect
import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Sequence
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
    path: Path, scratch: Path, names: Sequence[str], separator: str
) -> tuple[Path, list[tuple[int, str, str]]]:
    """A copy of ``path`` in which every invalid UTF-8 field is re-decoded (cp1252 fallback).

    Returns the copy and one ``(line, field name, detail)`` per repaired field.  Line structure is
    untouched (the fallback never produces a tab or a line break), so line numbers stay valid.
    """
    sep = separator.encode()
    issues: list[tuple[int, str, str]] = []
    fd, name = tempfile.mkstemp(prefix="utf8-", suffix=".txt", dir=scratch)
    with open(path, "rb") as source, os.fdopen(fd, "wb") as target:
        line_number = 1
        carry = b""
        while True:
            block = source.read(BLOCK)
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            complete, carry = data[:cut], data[cut:]
            try:
                complete.decode("utf-8")
                target.write(complete)
                line_number += complete.count(b"\n")
            except UnicodeDecodeError:
                for line in split_lines(complete):
                    target.write(_repair_line(line, line_number, names, sep, issues))
                    line_number += line.endswith(b"\n")
            if not block:
                return Path(name), issues


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


def read_lines(path: Path, wanted: Iterable[int]) -> dict[int, bytes]:
    """The raw bytes (terminator included) of the 1-based lines ``wanted``."""
    targets = set(wanted)
    ordered = sorted(targets)
    found: dict[int, bytes] = {}
    with open(path, "rb") as handle:
        line_number = 1
        carry = b""
        while len(found) < len(targets):
            block = handle.read(BLOCK)
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            complete, carry = data[:cut], data[cut:]
            count = complete.count(b"\n") + (not block and not complete.endswith(b"\n"))
            first = bisect.bisect_left(ordered, line_number)
            if first < len(ordered) and ordered[first] < line_number + count:
                for offset, line in enumerate(split_lines(complete)):
                    if line_number + offset in targets:
                        found[line_number + offset] = line
            line_number += count
            if not block:
                break
    return found


def count_bytes(path: Path, byte: bytes, chunk: int = 8 << 20) -> int:
    """How often ``byte`` occurs in the file (read in pieces; ``bytes.count`` is a memchr loop)."""
    total = 0
    with open(path, "rb", buffering=0) as handle:
        while piece := handle.read(chunk):
            total += piece.count(byte)
    return total
