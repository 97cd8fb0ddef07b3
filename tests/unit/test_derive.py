"""Derived fields (docs/curation.md#chunk): chunk directories and image paths."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.release.derive import IMAGE_TYPES, chunk, image_path, md5_hex
from schemas.tables import SPLIT_DTYPE

# The 17 processid -> split facts of the released metadata (the client's sentinel image paths)
# and the chunks of those paths; the other splits are not chunked.
RELEASE_FACTS = [
    ("AACTA1040-20", "pretrain", "00"),
    ("YGEN686-22", "pretrain", "ff"),
    ("YGEN2059-22", "pretrain", "fe"),
    ("AACTA1026-20", "train", "0"),
    ("YGEN986-22", "train", "f"),
    ("AACTA161-20", "val", ""),
    ("YGEN925-22", "val", ""),
    ("AACTA1436-20", "test", ""),
    ("YGEN995-22", "test", ""),
    ("AACTA5263-20", "key_unseen", ""),
    ("YGEN2149-22", "key_unseen", ""),
    ("ABOTH8801-22", "val_unseen", ""),
    ("YGEN2173-22", "val_unseen", ""),
    ("BCMIN4148-23", "test_unseen", ""),
    ("YDBB974-21", "test_unseen", ""),
    ("ABSSI1639-22", "other_heldout", "0"),
    ("YDBB6502-21", "other_heldout", "f"),
]


def test_release_chunks():
    frame = pl.DataFrame(
        {
            "processid": [pid for pid, _, _ in RELEASE_FACTS],
            "split": pl.Series([split for _, split, _ in RELEASE_FACTS], dtype=SPLIT_DTYPE),
        }
    )
    assert frame.select(chunk()).to_series().to_list() == [c for _, _, c in RELEASE_FACTS]


def test_image_paths():
    frame = pl.DataFrame(
        {
            "processid": ["AACTA1040-20", "AACTA161-20"],
            "split": ["pretrain", "val"],
            "chunk": ["00", ""],
        }
    )
    assert frame.select(image_path("cropped_256")).to_series().to_list() == [
        "bioscan5m/images/cropped_256/pretrain/00/AACTA1040-20.jpg",
        "bioscan5m/images/cropped_256/val/AACTA161-20.jpg",
    ]


def test_image_path_null_chunk_is_no_level():
    frame = pl.DataFrame(
        {"processid": ["X-1"], "split": ["test"], "chunk": [None]},
        schema={"processid": pl.String, "split": pl.String, "chunk": pl.String},
    )
    assert frame.select(image_path("original_full")).item() == (
        "bioscan5m/images/original_full/test/X-1.jpg"
    )


def test_unknown_image_type():
    with pytest.raises(ValueError, match="unknown image type"):
        image_path("thumbnail")
    assert "cropped" in IMAGE_TYPES


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=40))
def test_md5_matches_hashlib(values):
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    expected = [None if v is None else hashlib.md5(v.encode()).hexdigest() for v in values]
    assert frame.select(md5_hex("v")).to_series().to_list() == expected


def test_md5_keeps_row_order_on_large_batches():
    values = [f"ID{i}-{i % 97}" for i in range(200_000)]
    digests = pl.DataFrame({"v": values}).select(md5_hex("v")).to_series().to_list()
    for i in range(0, len(values), 997):
        assert digests[i] == hashlib.md5(values[i].encode()).hexdigest()
