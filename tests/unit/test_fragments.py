"""The release written in fragments by several jobs and put together
(curation/release/fragments.py) is the release written whole by one writer: CSV, full Parquet
file and split files byte for byte, and the same statistics, for any cut into parts and any
grouping of the parts into fragments."""

import hashlib
import itertools
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation.release import fragments, stats
from curation.release import writers as release_writers
from schemas.tables import CHANGES_SCHEMA, INGEST_ISSUES_SCHEMA, REJECTS_SCHEMA, SPLITS
from tests.support import staged_in
from tests.unit.test_release_writers import METADATA, RELEASE


def written_whole(directory, release: pl.DataFrame, row_group_size: int) -> dict[str, bytes]:
    """The release files as one writer writes them from the whole release."""
    release_writers.write_csv(release, directory / "r.csv")
    options = {"row_group_size": row_group_size, "group_by": "split"}
    release_writers.write_parquet(release, directory / "r.parquet", metadata=METADATA, **options)
    for split in SPLITS:
        release_writers.write_parquet(
            release.filter(pl.col("split") == split),
            directory / f"{split}.parquet",
            metadata={**METADATA, "split": split},
            **options,
        )
    return files_of(directory)


def files_of(directory) -> dict[str, bytes]:
    names = ["r.csv", "r.parquet", *(f"{split}.parquet" for split in SPLITS)]
    return {name: (directory / name).read_bytes() for name in names}


def written_in_fragments(directory, groups: list[list[pl.DataFrame]], row_group_size: int):
    """The release files put together from fragments, each written from a group of parts; the
    files and what the join reported of them."""
    pieces = []
    for number, parts in enumerate(groups):
        pieces.append(directory / f"fragment_{number}")
        rows = fragments.write(
            pieces[-1],
            parts,
            first=number == 0,
            row_group_size=row_group_size,
            metadata=METADATA,
        )
        assert rows == sum(part.height for part in parts)
    split_paths = {split: directory / f"{split}.parquet" for split in SPLITS}
    written = fragments.join(
        pieces, directory / "r.csv", directory / "r.parquet", split_paths, METADATA
    )
    return files_of(directory), written, pieces


@st.composite
def cuts(draw, release: pl.DataFrame, row_group_size: int) -> list[pl.DataFrame]:
    """The release cut into parts of one split each, on row group boundaries of the split; some
    parts put together from several pieces (so their columns have several chunks)."""
    pieces, start = [], 0
    for _, length in release.group_by("split", maintain_order=True).len().iter_rows():
        groups = -(-length // row_group_size)
        inner = draw(st.sets(st.integers(1, max(groups - 1, 1)), max_size=groups))
        bounds = [0, *sorted(b * row_group_size for b in inner if b < groups), length]
        for lo, hi in itertools.pairwise(bounds):
            part = release.slice(start + lo, hi - lo)
            if draw(st.booleans()) and part.height > 1:
                cut = draw(st.integers(1, part.height - 1))
                part = pl.concat([part.slice(0, cut), part.slice(cut)], rechunk=False)
            pieces.append(part)
        start += length
    return pieces


@st.composite
def grouped(draw, parts: list[pl.DataFrame]) -> list[list[pl.DataFrame]]:
    """Consecutive runs of ``parts``, some of them empty (a fragment may hold no part)."""
    bounds = sorted(draw(st.lists(st.integers(0, len(parts)), max_size=4)))
    edges = [0, *bounds, len(parts)]
    return [parts[lo:hi] for lo, hi in itertools.pairwise(edges)]


@settings(max_examples=8, deadline=None)
@given(data=st.data(), row_group_size=st.integers(7, 120))
@example(data=None, row_group_size=50).via("the whole release in one fragment of one part each")
def test_any_cut_into_fragments_gives_the_release_written_whole(
    tmp_path_factory, data, row_group_size
):
    root = tmp_path_factory.mktemp("fragments")
    whole, parted = root / "whole", root / "parted"
    whole.mkdir(), parted.mkdir()
    if data is None:
        groups = [[part for _, part in RELEASE.group_by("split", maintain_order=True)]]
    else:
        groups = data.draw(grouped(data.draw(cuts(RELEASE, row_group_size))))
    with staged_in(root / "staging"):
        expected = written_whole(whole, RELEASE, row_group_size)
        got, written, pieces = written_in_fragments(parted, groups, row_group_size)
    assert got == expected
    rows = {"r.csv": RELEASE.height, "r.parquet": RELEASE.height}
    rows |= {f"{s}.parquet": RELEASE.filter(pl.col("split") == s).height for s in SPLITS}
    for entry in written:
        name = Path(entry.path).name
        data_ = (parted / name).read_bytes()
        assert (entry.sha256, entry.size) == (hashlib.sha256(data_).hexdigest(), len(data_))
        assert entry.rows == rows[name]
    counted = stats.tables(fragments.counts(pieces), *EMPTY)
    for name, table in stats.compute(RELEASE, *EMPTY).items():
        assert_frame_equal(counted[name], table)


#: Empty changes, rejects and issues tables (the statistics of the release alone are compared).
EMPTY = tuple(
    pl.DataFrame(schema=schema) for schema in (CHANGES_SCHEMA, REJECTS_SCHEMA, INGEST_ISSUES_SCHEMA)
)


def test_an_empty_release_has_a_header_and_empty_split_files(staging):
    got, written, _ = written_in_fragments(staging / "parted", [[], []], row_group_size=10)
    (staging / "whole").mkdir()
    assert got == written_whole(staging / "whole", RELEASE.clear(), row_group_size=10)
    assert [entry.rows for entry in written] == [0] * (2 + len(SPLITS))


def test_an_unfinished_fragment_is_not_put_together(staging):
    fragments.write(staging / "f", [], first=True, row_group_size=10, metadata=METADATA)
    (staging / "f" / "done.json").unlink()
    with pytest.raises(FileNotFoundError, match="not a finished fragment"):
        fragments.join([staging / "f"], staging / "r.csv", staging / "r.parquet", {}, METADATA)


def test_a_part_of_two_splits_is_refused(staging):
    with pytest.raises(ValueError, match="one split"):
        fragments.write(staging / "f", [RELEASE], first=True, row_group_size=10, metadata=METADATA)


def test_a_part_that_continues_a_split_off_a_row_group_boundary_is_refused(staging):
    pretrain = RELEASE.filter(pl.col("split") == "pretrain")
    with pytest.raises(ValueError, match="off a row group boundary"):
        fragments.write(
            staging / "f",
            [pretrain.head(5), pretrain.slice(5)],
            first=True,
            row_group_size=10,
            metadata=METADATA,
        )


def test_putting_together_again_gives_the_same_files(staging):
    """A re-run of emit_metadata (after a failure) finds its fragments whole."""
    parts = [part for _, part in RELEASE.group_by("split", maintain_order=True)]
    first, written, _ = written_in_fragments(staging / "a", [parts], row_group_size=50)
    (staging / "b").mkdir()
    split_paths = {split: staging / "b" / f"{split}.parquet" for split in SPLITS}
    again = fragments.join(
        [staging / "a" / "fragment_0"],
        staging / "b" / "r.csv",
        staging / "b" / "r.parquet",
        split_paths,
        METADATA,
    )
    assert files_of(staging / "b") == first
    assert [(e.sha256, e.size, e.rows) for e in again] == [
        (e.sha256, e.size, e.rows) for e in written
    ]
