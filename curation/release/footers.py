"""Parquet files put together from other Parquet files' bytes, without decoding a page.

A Parquet file is ``PAR1``, the column chunks of its row groups, then a footer (the file's
``FileMetaData``, Thrift compact protocol), its length (4 bytes, little-endian) and ``PAR1``.
Nothing in a column chunk refers to where it lies, so the chunks of several files written with
the same schema and options can be copied one after the other into one file whose footer lists
their row groups with their offsets moved by where their bytes now start.  The release's full
Parquet file is its split files put together this way (docs/decisions.md "The full Parquet file
is its split files' bytes"): each row group is encoded and compressed once, not twice.

The footer is read and written by thriftpy2 from the format's own Thrift definition
(``parquet.thrift`` beside this module, from apache/parquet-format); a footer that does not
write back to its own bytes (a field this definition does not know) is refused.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import thriftpy2
from thriftpy2.protocol import TCompactProtocolFactory
from thriftpy2.utils import deserialize, serialize

MAGIC = b"PAR1"
#: The Parquet format's Thrift structs (FileMetaData, RowGroup, ColumnChunk, ...).
PARQUET = thriftpy2.load(
    str(Path(__file__).with_name("parquet.thrift")), module_name="parquet_thrift"
)
_COMPACT = TCompactProtocolFactory()


class FooterError(ValueError):
    """A Parquet file this module cannot put together with others."""


@dataclass(frozen=True)
class Piece:
    """A Parquet file's layout: where its column chunks lie (``body``, from offset 4) and its
    decoded footer (a ``FileMetaData``)."""

    size: int
    body: int
    footer: Any


def read_piece(data: bytes | memoryview, size: int) -> Piece:
    """The layout of a Parquet file of ``size`` bytes from its last bytes ``data`` (at least
    the footer, its length and the magic)."""
    tail = memoryview(data)
    if len(tail) < 8 or bytes(tail[-4:]) != MAGIC:
        raise FooterError("not a Parquet file (no PAR1 at its end)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    if length + 8 > len(tail):
        raise FooterError(f"the footer ({length} bytes) is longer than the bytes given")
    encoded = bytes(tail[-8 - length : -8])
    try:
        footer = deserialize(PARQUET.FileMetaData(), encoded, _COMPACT)
    except Exception as err:  # thriftpy2 raises several kinds for a corrupt footer
        raise FooterError(f"the footer cannot be read: {err}") from err
    if encode(footer) != encoded:
        raise FooterError("the footer does not write back to its own bytes")
    return Piece(size=size, body=size - 12 - length, footer=footer)


def encode(footer: Any) -> bytes:
    """A ``FileMetaData``'s compact encoding, as the Parquet writers write it."""
    return serialize(footer, _COMPACT)


def assembled_footer(
    pieces: Sequence[Piece], key_value_metadata: Mapping[str, str] | None
) -> bytes:
    """The footer of a file made of ``pieces``' column chunks, in order after ``PAR1``: their
    row groups with offsets moved and renumbered, the rows summed, the given key-value metadata
    (None: none); every other field is the first piece's.  Followed by its length and PAR1."""
    if not pieces:
        raise FooterError("no Parquet file to put together")
    footer = copy.deepcopy(pieces[0].footer)
    footer.row_groups, footer.num_rows = [], 0
    shift = 0
    for piece in pieces:
        if _without_groups(piece.footer) != _without_groups(pieces[0].footer):
            raise FooterError("the Parquet files differ in schema or writer")
        for group in piece.footer.row_groups:
            footer.row_groups.append(_moved_group(group, shift, len(footer.row_groups)))
        footer.num_rows += piece.footer.num_rows
        shift += piece.body
    footer.key_value_metadata = (
        None
        if key_value_metadata is None
        else [PARQUET.KeyValue(key=k, value=v) for k, v in key_value_metadata.items()]
    )
    encoded = encode(footer)
    return encoded + struct.pack("<I", len(encoded)) + MAGIC


def _without_groups(footer: Any) -> Any:
    """The footer without what differs between pieces of one file."""
    rest = copy.copy(footer)
    rest.row_groups = rest.num_rows = rest.key_value_metadata = None
    return rest


def _moved_group(group: Any, shift: int, ordinal: int) -> Any:
    moved = copy.deepcopy(group)
    if moved.file_offset is not None:
        moved.file_offset += shift
    if moved.ordinal is not None:  # pyarrow does not write it
        moved.ordinal = ordinal
    for chunk in moved.columns:
        if chunk.offset_index_offset is not None or chunk.column_index_offset is not None:
            raise FooterError("a column chunk has a page index")
        if chunk.crypto_metadata is not None or chunk.encrypted_column_metadata is not None:
            raise FooterError("a column chunk is encrypted")
        if chunk.file_offset:
            chunk.file_offset += shift
        meta = chunk.meta_data
        if meta.bloom_filter_offset is not None:
            raise FooterError("a column chunk has a bloom filter")
        meta.data_page_offset += shift
        if meta.index_page_offset is not None:
            meta.index_page_offset += shift
        if meta.dictionary_page_offset is not None:
            meta.dictionary_page_offset += shift
    return moved
