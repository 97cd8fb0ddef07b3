"""Parquet files put together from other Parquet files' bytes, without decoding a page.

A Parquet file is ``PAR1``, the column chunks of its row groups, then a footer (the file's
``FileMetaData``, Thrift compact protocol), its length (4 bytes, little-endian) and ``PAR1``.
Nothing in a column chunk refers to where it lies, so the chunks of several files written with
the same schema and options can be copied one after the other into one file whose footer lists
their row groups with their offsets moved by where their bytes now start.  The release's full
Parquet file is its split files put together this way (docs/decisions.md "The full Parquet file
is its split files' bytes"): each row group is encoded and compressed once, not twice.

The footer is read and written by a small generic Thrift compact codec that keeps every field,
in its order, so a footer read and written again is the same bytes; only the fields named below
are changed.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAGIC = b"PAR1"

# Thrift compact protocol type codes.
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12

# Field ids of parquet.thrift (FileMetaData, RowGroup, ColumnChunk, ColumnMetaData, KeyValue).
_FILE_NUM_ROWS, _FILE_ROW_GROUPS, _FILE_KEY_VALUE = 3, 4, 5
_GROUP_COLUMNS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 5, 7
_CHUNK_FILE_OFFSET, _CHUNK_META_DATA = 2, 3
#: ColumnChunk fields that point outside the column chunk's bytes (page indexes, encryption):
#: the release writes none, and a file with them cannot be put together by copying its chunks.
_CHUNK_UNSUPPORTED = frozenset({4, 5, 6, 7, 8, 9})
#: ColumnMetaData: data_page_offset, index_page_offset, dictionary_page_offset.
_META_OFFSETS = frozenset({9, 10, 11})
#: ColumnMetaData: bloom_filter_offset, bloom_filter_length (written after the row groups).
_META_UNSUPPORTED = frozenset({14, 15})


class FooterError(ValueError):
    """A Parquet file this module cannot put together with others."""


#: A decoded Thrift struct: its fields in file order, as [field id, type, value]; a list value
#: is (element type, [elements]), a struct value is a Struct, a boolean field's value is None
#: (the type says true or false).
Struct = list[list]


@dataclass(frozen=True)
class Piece:
    """A Parquet file's layout: where its column chunks lie (``body``, from offset 4) and its
    decoded footer."""

    size: int
    body: int
    footer: Struct


def read_piece(data: bytes | memoryview, size: int) -> Piece:
    """The layout of a Parquet file of ``size`` bytes from its last bytes ``data`` (at least
    the footer, its length and the magic)."""
    tail = memoryview(data)
    if len(tail) < 8 or bytes(tail[-4:]) != MAGIC:
        raise FooterError("not a Parquet file (no PAR1 at its end)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    if length + 8 > len(tail):
        raise FooterError(f"the footer ({length} bytes) is longer than the bytes given")
    footer, end = decode(bytes(tail[-8 - length : -8]))
    if end != length:
        raise FooterError("the footer has bytes after its end")
    return Piece(size=size, body=size - 12 - length, footer=footer)


def assembled_footer(
    pieces: Sequence[Piece], key_value_metadata: Mapping[str, str] | None
) -> bytes:
    """The footer of a file made of ``pieces``' column chunks, in order after ``PAR1``: their
    row groups with offsets moved and renumbered, the rows summed, the given key-value metadata
    (None: none); every other field is the first piece's.  Followed by its length and PAR1."""
    if not pieces:
        raise FooterError("no Parquet file to put together")
    first = pieces[0].footer
    groups: list[Struct] = []
    shift = 0
    for piece in pieces:
        if _without_groups(piece.footer) != _without_groups(first):
            raise FooterError("the Parquet files differ in schema or writer")
        for group in _field(piece.footer, _FILE_ROW_GROUPS, (_STRUCT, []))[1]:
            groups.append(_moved_group(group, shift, len(groups)))
        shift += piece.body
    rows = sum(_field(piece.footer, _FILE_NUM_ROWS, 0) for piece in pieces)
    footer: Struct = []
    for field_id, kind, value in first:
        if field_id == _FILE_NUM_ROWS:
            value = rows
        elif field_id == _FILE_ROW_GROUPS:
            value = (_STRUCT, groups)
        elif field_id == _FILE_KEY_VALUE:
            continue
        footer.append([field_id, kind, value])
    if key_value_metadata is not None:
        footer.append([_FILE_KEY_VALUE, _LIST, (_STRUCT, _key_values(key_value_metadata))])
        footer.sort(key=lambda field: field[0])
    encoded = encode(footer)
    return encoded + struct.pack("<I", len(encoded)) + MAGIC


def _without_groups(footer: Struct) -> Struct:
    dropped = {_FILE_NUM_ROWS, _FILE_ROW_GROUPS, _FILE_KEY_VALUE}
    return [field for field in footer if field[0] not in dropped]


def _moved_group(group: Struct, shift: int, ordinal: int) -> Struct:
    moved: Struct = []
    for field_id, kind, value in group:
        if field_id == _GROUP_FILE_OFFSET:
            value += shift
        elif field_id == _GROUP_ORDINAL:
            value = ordinal
        elif field_id == _GROUP_COLUMNS:
            value = (_STRUCT, [_moved_chunk(chunk, shift) for chunk in value[1]])
        moved.append([field_id, kind, value])
    return moved


def _moved_chunk(chunk: Struct, shift: int) -> Struct:
    moved: Struct = []
    for field_id, kind, value in chunk:
        if field_id in _CHUNK_UNSUPPORTED:
            raise FooterError(f"a column chunk has field {field_id} (page index or encryption)")
        if field_id == _CHUNK_FILE_OFFSET and value:
            value += shift
        elif field_id == _CHUNK_META_DATA:
            value = _moved_meta(value, shift)
        moved.append([field_id, kind, value])
    return moved


def _moved_meta(meta: Struct, shift: int) -> Struct:
    moved: Struct = []
    for field_id, kind, value in meta:
        if field_id in _META_UNSUPPORTED:
            raise FooterError("a column chunk has a bloom filter")
        if field_id in _META_OFFSETS:
            value += shift
        moved.append([field_id, kind, value])
    return moved


def _field(footer: Struct, field_id: int, default):
    return next((value for fid, _, value in footer if fid == field_id), default)


def _key_values(metadata: Mapping[str, str]) -> list[Struct]:
    return [
        [[1, _BINARY, key.encode()], [2, _BINARY, value.encode()]]
        for key, value in metadata.items()
    ]


# --- Thrift compact protocol ---------------------------------------------------------------


def decode(data: bytes, pos: int = 0) -> tuple[Struct, int]:
    """The struct encoded at ``pos`` of ``data``, and the position after it."""
    fields: Struct = []
    last = 0
    while True:
        header = data[pos]
        pos += 1
        if header == 0:
            return fields, pos
        kind, delta = header & 0x0F, header >> 4
        if delta:
            field_id = last + delta
        else:
            raw, pos = _varint(data, pos)
            field_id = _unzigzag(raw)
        if kind in (_TRUE, _FALSE):
            value = None
        else:
            value, pos = _value(data, pos, kind)
        fields.append([field_id, kind, value])
        last = field_id


def encode(fields: Struct) -> bytes:
    """The compact encoding of a struct, as Thrift's own encoder writes it."""
    out = bytearray()
    _write_struct(out, fields)
    return bytes(out)


def _value(data: bytes, pos: int, kind: int):
    if kind == _BYTE:
        return data[pos], pos + 1
    if kind in (_I16, _I32, _I64):
        raw, pos = _varint(data, pos)
        return _unzigzag(raw), pos
    if kind == _DOUBLE:
        return data[pos : pos + 8], pos + 8
    if kind == _BINARY:
        length, pos = _varint(data, pos)
        return data[pos : pos + length], pos + length
    if kind in (_LIST, _SET):
        header = data[pos]
        pos += 1
        size, element = header >> 4, header & 0x0F
        if size == 15:
            size, pos = _varint(data, pos)
        items = []
        for _ in range(size):
            if element in (_TRUE, _FALSE):
                item, pos = data[pos], pos + 1
            else:
                item, pos = _value(data, pos, element)
            items.append(item)
        return (element, items), pos
    if kind == _STRUCT:
        return decode(data, pos)
    raise FooterError(f"Thrift type {kind} is not used by Parquet footers")


def _write_struct(out: bytearray, fields: Struct) -> None:
    last = 0
    for field_id, kind, value in fields:
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | kind)
        else:
            out.append(kind)
            _write_varint(out, _zigzag(field_id))
        if kind not in (_TRUE, _FALSE):
            _write_value(out, kind, value)
        last = field_id
    out.append(0)


def _write_value(out: bytearray, kind: int, value) -> None:
    if kind == _BYTE:
        out.append(value)
    elif kind in (_I16, _I32, _I64):
        _write_varint(out, _zigzag(value))
    elif kind == _DOUBLE:
        out += value
    elif kind == _BINARY:
        _write_varint(out, len(value))
        out += value
    elif kind in (_LIST, _SET):
        element, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | element)
        else:
            out.append(0xF0 | element)
            _write_varint(out, len(items))
        for item in items:
            if element in (_TRUE, _FALSE):
                out.append(item)
            else:
                _write_value(out, element, item)
    elif kind == _STRUCT:
        _write_struct(out, value)
    else:
        raise FooterError(f"Thrift type {kind} is not used by Parquet footers")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _write_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)
