"""Atomic outputs: a failed write leaves neither the target nor a staging file behind; streamed
outputs are checksummed as they are written."""

import hashlib
import itertools
from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation import io
from tests.support import staged_in


def test_failed_write_leaves_nothing(staging):
    target = staging / "release" / "table.parquet"
    with pytest.raises(RuntimeError), io.atomic_output(target) as tmp:
        tmp.write_text("half a file")
        raise RuntimeError("killed mid-write")
    assert not target.exists()
    assert list((staging / "staging").iterdir()) == []


def test_successful_write_moves_into_place(staging):
    target = staging / "release" / "table.parquet"
    frame = pl.DataFrame({"a": [2, 1]})
    io.write_parquet(frame, target)
    assert io.read_parquet(target).equals(frame)
    assert list((staging / "staging").iterdir()) == []


def test_json_is_deterministic(staging):
    io.write_json({"b": 1, "a": [1, 2]}, staging / "one.json")
    io.write_json({"a": [1, 2], "b": 1}, staging / "two.json")
    assert (staging / "one.json").read_bytes() == (staging / "two.json").read_bytes()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=3 * 1024), max_size=12), st.sampled_from([1, 7, 1024]))
def test_hashing_writer_writes_and_checksums_every_byte_in_small_pieces(
    tmp_path_factory, pieces, chunk
):
    path = tmp_path_factory.mktemp("stream") / "file.bin"
    seen: list[int] = []
    with mock.patch.object(io, "WRITE_CHUNK", chunk), open(path, "wb", buffering=0) as handle:
        real_write = handle.write
        with mock.patch.object(handle, "write", lambda b: seen.append(len(b)) or real_write(b)):
            writer = io.HashingWriter(handle)
            for piece in pieces:
                assert writer.write(piece) == len(piece)
    data = b"".join(pieces)
    assert path.read_bytes() == data
    assert (writer.sha256, writer.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert all(size <= chunk for size in seen)


def test_polars_writes_the_same_bytes_through_an_atomic_stream(staging):
    frame = pl.DataFrame({"a": [2, 1, None], "b": ["x", 'y,"z"', ""]})
    with io.atomic_stream(staging / "streamed.csv") as out:
        frame.write_csv(out)
    frame.write_csv(staging / "direct.csv")
    streamed = (staging / "streamed.csv").read_bytes()
    assert streamed == (staging / "direct.csv").read_bytes()
    assert out.sha256 == hashlib.sha256(streamed).hexdigest() and out.size == len(streamed)
    assert list((staging / "staging").iterdir()) == []


@settings(deadline=None, max_examples=60)
@given(
    rows=st.lists(
        st.tuples(st.text("abc", max_size=3), st.integers(0, 5), st.integers(0, 99)), max_size=60
    ),
    files=st.integers(1, 3),
    piece_rows=st.integers(1, 8),
)
def test_sorted_pieces_cut_every_group_at_the_same_keys_and_merge_each_stably(
    tmp_path_factory, rows, files, piece_rows
):
    """Two groups of files (gather_curation's inferred labels and changes, one file per
    shard): every key is in one piece of both groups, the pieces follow each other in key
    order, and each group's pieces together are the stable sort of its files one after
    another (a processid's changes keep their rule order), for any piece size."""
    staging = tmp_path_factory.mktemp("pieces")
    frame = pl.DataFrame(
        rows, schema={"key": pl.String, "file": pl.Int64, "n": pl.Int64}, orient="row"
    )
    groups = []
    for group in range(2):
        part = frame.filter(pl.col("file") // 3 == group).with_columns(pl.col("file") % files)
        groups.append([staging / f"{group}-{index}.parquet" for index in range(files)])
        for index, path in enumerate(groups[-1]):
            part.filter(pl.col("file") == index).sort("key", maintain_order=True).write_parquet(
                path
            )
    pieces = list(io.sorted_pieces(groups, "key", piece_rows))
    for group, files_of_group in enumerate(groups):
        expected = pl.concat([pl.read_parquet(path) for path in files_of_group]).sort(
            "key", maintain_order=True
        )
        assert pl.concat([piece[group] for piece in pieces]).equals(expected)
    keys = [set(piece[0]["key"]) | set(piece[1]["key"]) for piece in pieces]
    keys = [piece for piece in keys if piece]
    for before, after in itertools.pairwise(keys):
        assert max(before) < min(after)


@settings(deadline=None, max_examples=20)
@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=4))
def test_parquet_pieces_are_one_file_of_the_frames_in_order(tmp_path_factory, sizes):
    staging = tmp_path_factory.mktemp("written")
    schema = {"n": pl.Int64, "s": pl.String}
    frames = [pl.DataFrame({"n": range(size), "s": ["x"] * size}, schema=schema) for size in sizes]
    with staged_in(staging / "staging"), io.parquet_pieces(staging / "out.parquet") as append:
        for frame in frames:
            append(frame)
    assert pl.read_parquet(staging / "out.parquet").equals(pl.concat(frames))


def test_parquet_pieces_refuse_to_write_no_frame(staging):
    with pytest.raises(ValueError, match="no frame"), io.parquet_pieces(staging / "out.parquet"):
        pass
    assert not (staging / "out.parquet").exists()


@settings(deadline=None, max_examples=20)
@given(items=st.lists(st.integers(), max_size=6))
def test_prefetched_gives_every_item_in_order(items):
    assert list(io.prefetched(iter(items))) == items


def test_work_behind_runs_in_order_and_raises_in_the_caller():
    """Writes run in a thread behind the caller: in submission order, the last one done on
    leaving, and a failed write stops the caller."""
    done: list[int] = []
    with io.behind() as run:
        for number in range(5):
            run(done.append, number)
    assert done == [0, 1, 2, 3, 4]

    def fail(_: int) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), io.behind() as run:
        run(fail, 0)
        run(done.append, 5)  # waits for the failed piece first: raises before submitting
    assert done == [0, 1, 2, 3, 4]
