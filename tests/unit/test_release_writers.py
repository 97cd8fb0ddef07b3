"""The CSV and Parquet files of the release: the BIOSCAN-5M client contract, types, determinism."""

import hashlib
import re

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.release import assemble as emit
from curation.release import writers as release_writers
from schemas.tables import RELEASE_COLUMNS, RELEASE_SCHEMA_VERSION, SPLITS
from tests.client import CLIENT_DTYPES, CLIENT_USECOLS, client_read
from tests.release_frames import inputs_from_rows, synthetic_inputs
from tests.support import staged_in

METADATA = release_writers.parquet_metadata(
    name="test-release", version="9.9.9", config_digest="ab" * 32, sort_order="split, processid"
)
SYNTHETIC = synthetic_inputs(400, seed=11)
RELEASE = emit.assemble(
    SYNTHETIC["records"], SYNTHETIC["curated"], SYNTHETIC["splits"], SYNTHETIC["barcodes"]
)


def test_csv_header_is_the_23_columns_and_lines_end_in_lf(staging):
    path = staging / "m.csv"
    release_writers.write_csv(RELEASE, path)
    data = path.read_bytes()
    assert data.split(b"\n", 1)[0].decode() == ",".join(RELEASE_COLUMNS)
    assert b"\r" not in data and data.endswith(b"\n")
    assert data.count(b"\n") == RELEASE.height + 1
    data.decode("utf-8")


def test_client_reads_the_csv_with_its_dtype_table(staging):
    path = staging / "m.csv"
    release_writers.write_csv(RELEASE, path)
    frame = client_read(path)
    assert list(frame.columns) == list(RELEASE_COLUMNS)
    assert len(frame) == RELEASE.height
    assert frame["inferred_ranks"].dtype == np.uint8
    assert str(frame["index_bioscan_1M_insect"].dtype) == "Int64"
    assert set(frame["split"]) <= set(SPLITS) and frame["split"].notna().all()
    # The class path reads only USECOLS; that must work too.
    assert len(client_read(path, usecols=CLIENT_USECOLS)) == RELEASE.height


def test_csv_values_read_back_by_pandas_equal_the_release(staging):
    path = staging / "m.csv"
    release_writers.write_csv(RELEASE, path)
    frame = client_read(path)
    for column in RELEASE_COLUMNS:
        expected = RELEASE[column].cast(pl.String) if column == "split" else RELEASE[column]
        if column == "chunk":  # docs/curation.md#chunk: the empty chunk reads back as missing
            expected = expected.replace("", None)
        got = frame[column].astype(object).where(frame[column].notna(), None).tolist()
        assert got == expected.to_list(), column


def test_chunk_keeps_its_leading_zeros_and_hex_digits(staging):
    rows = [
        {"processid": "AACTA1040-20", "split": "pretrain"},  # chunk "00" (docs/curation.md#chunk)
        {"processid": "YGEN686-22", "split": "pretrain"},  # "ff"
        {"processid": "AACTA1026-20", "split": "train", "species": "Aus bus"},  # "0"
        {"processid": "AACTA161-20", "split": "val", "species": "Aus bus"},  # no chunk
    ]
    path = staging / "m.csv"
    release_writers.write_csv(emit.assemble(**inputs_from_rows(rows)), path)
    frame = client_read(path).set_index("processid")
    assert frame.loc["AACTA1040-20", "chunk"] == "00"
    assert frame.loc["YGEN686-22", "chunk"] == "ff"
    assert frame.loc["AACTA1026-20", "chunk"] == "0"
    assert pd.isna(frame.loc["AACTA161-20", "chunk"])


def test_client_image_paths_match_the_parquet_image_path_column(staging):
    path = staging / "m.csv"
    release_writers.write_csv(RELEASE, path)
    frame = client_read(path)
    # docs/formats.md#the-release-csv: split + "/" + (chunk + "/" if present) + processid + ".jpg"
    client = (
        frame["split"] + "/" + (frame["chunk"] + "/").fillna("") + frame["processid"] + ".jpg"
    ).tolist()
    ours = (
        RELEASE["image_path"].str.strip_prefix(f"bioscan5m/images/{emit.IMAGE_PACKAGE}/").to_list()
    )
    assert client == ours


def test_whole_image_measurements_are_written_without_a_fraction(staging):
    rows = [
        {"processid": "A1-22", "split": "pretrain", "image_measurement_value": 8605.0},
        {"processid": "A2-22", "split": "pretrain", "image_measurement_value": 12.5},
        {"processid": "A3-22", "split": "pretrain"},
    ]
    table = release_writers.csv_table(emit.assemble(**inputs_from_rows(rows)))
    assert table["image_measurement_value"].to_list() == ["8605", "12.5", None]


def test_missing_values_are_empty_fields_never_tokens(staging):
    path = staging / "m.csv"
    release_writers.write_csv(RELEASE, path)
    text = path.read_text()
    assert '""' not in text
    for token in ("NaN", "None", "null"):
        assert f",{token}," not in text


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), finite),
            st.one_of(st.none(), finite),
            st.one_of(st.none(), st.integers(0, 10**7).map(float), finite),
            st.one_of(
                st.none(),
                st.text(
                    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1
                ),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_csv_round_trip_preserves_values_and_nulls(tmp_path_factory, values):
    directory = tmp_path_factory.mktemp("rt")
    columns = ("coord-lat", "coord-lon", "image_measurement_value", "province_state")
    generated = {c: [row[i] for row in values] for i, c in enumerate(columns)}
    generated["province_state"] = [
        None if v is not None and v in emit.PANDAS_NA_TOKENS else v
        for v in generated["province_state"]
    ]
    release = pl.concat([RELEASE.head(1)] * len(values)).with_columns(
        pl.format("P{}-22", pl.int_range(pl.len())).alias("processid"),
        *(pl.Series(c, v, dtype=RELEASE[c].dtype) for c, v in generated.items()),
    )
    path = directory / "m.csv"
    with staged_in(directory / "staging"):
        release_writers.write_csv(release, path)
    # Text is read as str: with dtype "category" pandas itself turns all-digit categories into
    # numbers ("0" -> 0), which is the client's reading, not a property of the file.
    back = client_read(path, dtype={**CLIENT_DTYPES, "province_state": str})
    for column in columns:
        got = back[column].astype(object).where(back[column].notna(), None).tolist()
        assert got == release[column].to_list(), column


def test_two_writes_are_byte_identical(staging):
    for name, write in (
        ("csv", lambda p: release_writers.write_csv(RELEASE, p)),
        (
            "parquet",
            lambda p: release_writers.write_parquet(
                RELEASE, p, row_group_size=2048, metadata=METADATA
            ),
        ),
    ):
        first, second = staging / f"a.{name}", staging / f"b.{name}"
        written = write(first)
        write(second)
        assert first.read_bytes() == second.read_bytes(), name
        data = first.read_bytes()
        assert (written.sha256, written.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_parquet_has_types_row_groups_zstd_and_metadata(staging):
    path = staging / "m.parquet"
    big = pl.concat([RELEASE] * 6)  # 2,400 rows: two row groups of 2,048
    release_writers.write_parquet(big, path, row_group_size=2048, metadata=METADATA)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 2 and meta.row_group(0).num_rows == 2048
    assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"ZSTD"}
    kv = dict(
        duckdb.sql(
            f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')"
        ).fetchall()
    )
    assert kv["release_name"] == "test-release" and kv["config_sha256"] == "ab" * 32
    assert kv["schema_version"] == RELEASE_SCHEMA_VERSION and kv["sort_order"] == "split, processid"
    types = {row[0]: row[1] for row in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    assert types["split"] == "VARCHAR" and types["inferred_ranks"] == "UTINYINT"
    assert types["coord-lat"] == "DOUBLE" and types["index_bioscan_1M_insect"] == "BIGINT"
    back = pl.read_parquet(path)
    assert back.with_columns(pl.col("split").cast(RELEASE["split"].dtype)).equals(big)


def row_groups(path) -> list[tuple[int, str, str]]:
    """(rows, min split, max split) of each row group, from the file's statistics."""
    meta = pq.ParquetFile(path).metadata
    column = meta.schema.names.index("split")
    groups = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        groups.append((meta.row_group(i).num_rows, stats.min, stats.max))
    return groups


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 60), min_size=len(SPLITS), max_size=len(SPLITS)),
    group=st.integers(1, 50),
)
def test_row_groups_are_cut_at_split_boundaries_and_by_size(tmp_path_factory, sizes, group):
    frame = pl.DataFrame(
        {
            "processid": [f"P{i:05d}" for i in range(sum(sizes))],
            "split": [s for s, n in zip(SPLITS, sizes, strict=True) for _ in range(n)],
        }
    ).with_columns(pl.col("split").cast(RELEASE["split"].dtype))
    path = tmp_path_factory.mktemp("groups") / "m.parquet"
    with staged_in(path.parent):
        release_writers.write_parquet(
            frame, path, row_group_size=group, metadata=METADATA, group_by="split"
        )
    groups = row_groups(path)
    assert all(low == high and 0 < rows <= group for rows, low, high in groups)
    for split, n in zip(SPLITS, sizes, strict=True):
        assert sum(rows for rows, low, _ in groups if low == split) == n
        assert len([g for g in groups if g[1] == split]) == -(-n // group)  # ceil(n / group)
    assert pl.read_parquet(path)["processid"].equals(frame["processid"])


def test_a_frame_not_sorted_by_its_group_column_is_refused(staging):
    mixed = pl.concat([RELEASE.head(3), RELEASE.tail(3), RELEASE.head(3)])
    with pytest.raises(ValueError, match="not sorted"):
        release_writers.write_parquet(
            mixed, staging / "m.parquet", row_group_size=10, metadata={}, group_by="split"
        )


def test_an_empty_table_has_no_row_group(staging):
    # datasets cannot read an empty row group ("BatchSize must be greater than 0")
    path = staging / "e.parquet"
    release_writers.write_parquet(RELEASE.clear(), path, row_group_size=10, metadata=METADATA)
    assert pq.ParquetFile(path).metadata.num_row_groups == 0
    assert pl.read_parquet(path).columns == RELEASE.columns


def scanned_row_groups(path, split: str) -> tuple[int, int]:
    """DuckDB's profile of a query filtering on one split: row groups scanned, of all."""
    profile = duckdb.sql(
        f"EXPLAIN ANALYZE SELECT processid FROM '{path}' WHERE split = '{split}'"
    ).fetchall()[0][1]
    found = re.search(r"Row Groups Scanned: (\d+) / (\d+)", profile)
    assert found, profile
    return int(found[1]), int(found[2])


def test_duckdb_reads_only_the_row_groups_of_the_split_it_filters_on(staging):
    path = staging / "m.parquet"
    release_writers.write_parquet(
        RELEASE, path, row_group_size=50, metadata=METADATA, group_by="split"
    )
    groups = row_groups(path)
    for split in SPLITS:
        own = [rows for rows, low, _ in groups if low == split]
        assert scanned_row_groups(path, split) == (len(own), len(groups)), split
        assert sum(own) == RELEASE.filter(pl.col("split") == split).height
