"""A Parquet file put together from others' bytes (curation/release/footers.py) is the file
pyarrow writes from their rows, byte for byte; the footer codec reads and writes back the same
bytes."""

import hashlib
import struct

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from curation.release import footers
from curation.release import writers as release_writers
from schemas.tables import SPLITS
from tests.support import staged_in
from tests.unit.test_release_writers import METADATA, RELEASE


def frame_of(sizes: list[int]) -> pl.DataFrame:
    """Release rows, ``sizes[i]`` of split i, in release order (RELEASE's rows repeated)."""
    by_split = []
    for split, n in zip(SPLITS, sizes, strict=True):
        rows = pl.concat([RELEASE] * (n // RELEASE.height + 1)).head(n)
        by_split.append(
            rows.with_columns(pl.lit(split).cast(RELEASE["split"].dtype).alias("split"))
        )
    return pl.concat(by_split)


@settings(max_examples=12, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 60), min_size=len(SPLITS), max_size=len(SPLITS)),
    row_group_size=st.integers(8, 40),
)
@example(sizes=[0] * len(SPLITS), row_group_size=10)
def test_split_files_put_together_are_the_file_written_whole(
    tmp_path_factory, sizes, row_group_size
):
    root = tmp_path_factory.mktemp("assembled")
    frame = frame_of(sizes)
    options = {"row_group_size": row_group_size, "group_by": "split"}
    with staged_in(root / "staging"):
        with release_writers.assembled_parquet(root / "put.parquet", METADATA) as whole:
            for split in SPLITS:
                path = root / f"{split}.parquet"
                part = frame.filter(pl.col("split") == split)
                release_writers.write_parquet(part, path, metadata=METADATA, **options)
                whole.append(path)
        release_writers.write_parquet(frame, root / "whole.parquet", metadata=METADATA, **options)
    data = (root / "put.parquet").read_bytes()
    assert data == (root / "whole.parquet").read_bytes()
    assert (whole.out.sha256, whole.out.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert whole.rows == sum(sizes)


def tail_piece(path) -> footers.Piece:
    data = path.read_bytes()
    return footers.read_piece(data, len(data))


def test_a_footer_read_and_written_back_is_the_same_bytes(staging):
    path = staging / "r.parquet"
    release_writers.write_parquet(
        RELEASE, path, row_group_size=37, metadata=METADATA, group_by="split"
    )
    data = path.read_bytes()
    piece = footers.read_piece(data, len(data))
    assert footers.encode(piece.footer) == data[4 + piece.body : -8]
    assert len(pq.ParquetFile(path).metadata.to_dict()["row_groups"]) > 1


def test_a_footer_with_a_field_the_definition_does_not_know_is_refused(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), path, store_schema=False)
    raw = path.read_bytes()
    (length,) = struct.unpack("<I", raw[-8:-4])
    footer = raw[-8 - length : -8]
    # before FileMetaData's stop byte: field 99, an i32 (compact: type, zigzag id, zigzag value)
    extra = footer[:-1] + bytes([0x05, 0xC6, 0x01, 0x02, 0x00])
    tail = extra + struct.pack("<I", len(extra)) + footers.MAGIC
    with pytest.raises(footers.FooterError, match="own bytes"):
        footers.read_piece(tail, len(raw) + 4)


def written(path, table: pa.Table, **options) -> footers.Piece:
    pq.write_table(table, path, compression="zstd", store_schema=False, **options)
    return tail_piece(path)


def test_files_of_another_schema_are_not_put_together(tmp_path):
    one = written(tmp_path / "a.parquet", pa.table({"x": [1, 2]}))
    other = written(tmp_path / "b.parquet", pa.table({"y": [1, 2]}))
    with pytest.raises(footers.FooterError, match="schema"):
        footers.assembled_footer([one, other], {})


def test_a_file_with_a_page_index_is_not_put_together(tmp_path):
    piece = written(tmp_path / "a.parquet", pa.table({"x": [1, 2]}), write_page_index=True)
    with pytest.raises(footers.FooterError, match="page index"):
        footers.assembled_footer([piece], {})


def test_a_truncated_file_is_refused(tmp_path):
    data = (tmp_path / "a.parquet", pa.table({"x": [1, 2]}))
    written(*data)
    raw = data[0].read_bytes()
    with pytest.raises(footers.FooterError, match="not a Parquet file"):
        footers.read_piece(raw[:-1], len(raw) - 1)
    with pytest.raises(footers.FooterError, match="longer"):
        footers.read_piece(raw[-12:], len(raw))
