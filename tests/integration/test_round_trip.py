"""Round trip: a release's CSV fed back as input gives the same release
(docs/curation.md#inference).  The labels, splits, chunks and ``inferred_ranks`` of every record
are identical, because curating curated labels changes nothing and ``inferred_ranks`` is read
back from the CSV."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.workflow import build

pytestmark = pytest.mark.slow

CSV = "metadata/csv/BIOSCAN_5M_Insect_Dataset_metadata.csv"
CHANGES = "metadata/parquet/changes.parquet"


def read(release: Path) -> pl.DataFrame:
    return pl.read_csv(release / CSV, infer_schema=False)


def test_a_release_read_back_gives_the_same_release(tmp_path):
    first = build(tmp_path / "first", {"input": {"generator": {"records": 4000, "seed": 11}}})
    again = build(tmp_path / "again", {"input": {"files": [str(first / CSV)]}})
    before, after = read(first), read(again)
    assert before.height == after.height > 3000
    assert before["inferred_ranks"].cast(pl.Int64).max() > 0  # the codes were there to keep
    assert after.equals(before), "the release read back differs from the release"
    # and the second curation found nothing to change
    assert pl.read_parquet(again / CHANGES).is_empty()
