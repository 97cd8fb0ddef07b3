"""Reading a published release back (curation/evolve/releases.py): this pipeline's release by its
directory, CSV or Parquet, the BIOSCAN-5M CSV layout, and clear errors for what is not a release."""

from __future__ import annotations

import polars as pl
import pytest

from curation.evolve.releases import RECORD_COLUMNS, ReleaseError, read_release, release_table
from tests import release_build
from tests.release_frames import synthetic_inputs
from tests.support import ROOT

SAMPLE = ROOT / "tests" / "data" / "derived" / "bioscan5m_browser_sample-records.csv"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The build root of a small release made by the emit rule scripts."""
    root = tmp_path_factory.mktemp("release")
    release_build.build(root, synthetic_inputs(300, seed=4))
    return root


def test_directory_csv_and_parquet_read_the_same(release):
    by_directory = read_release(release / release_build.R)
    parquet = release / release_build.RELEASE_FILES["parquet"]
    csv = release / release_build.RELEASE_FILES["csv"]
    assert release_table(release / release_build.R).resolve() == parquet.resolve()
    assert by_directory.columns == list(RECORD_COLUMNS)
    assert by_directory.height == 300
    assert by_directory["processid"].is_sorted()
    assert by_directory.equals(read_release(parquet))
    assert by_directory.equals(read_release(csv))


def test_bioscan5m_csv_layout():
    records = read_release(SAMPLE, ("processid", "split", "species", "inferred_ranks"))
    assert records.height == pl.read_csv(SAMPLE, infer_schema=False).height
    assert records.schema["inferred_ranks"] == pl.UInt8
    assert set(records["split"].cast(pl.String)) <= {
        "pretrain", "train", "val", "test", "key_unseen", "val_unseen", "test_unseen",
        "other_heldout",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("processid,split\nA-1,train\nA-1,val\n", "field processid: 2 rows share a processid"),
        ("processid,split\nA-1,training\n", "field split: unknown value(s) 'training'"),
        ("processid,species\nA-1,Aus bus\n", "(no column split)"),
    ],
)
def test_a_table_that_is_not_a_release_is_named(tmp_path, csv, message):
    path = tmp_path / "old.csv"
    path.write_text(csv)
    with pytest.raises(ReleaseError, match=r"old\.csv: ") as caught:
        read_release(path, ("processid", "split"))
    assert message in str(caught.value)


def test_a_directory_that_is_not_a_release_is_named(tmp_path):
    with pytest.raises(ReleaseError, match="not a release directory"):
        read_release(tmp_path)
    with pytest.raises(ReleaseError, match="no such release"):
        read_release(tmp_path / "missing")


def test_a_stable_releases_moves_table_is_not_its_metadata(tmp_path):
    tables = tmp_path / "metadata" / "parquet"
    tables.mkdir(parents=True)
    for stem in ("BIOSCAN_5M_Insect_Dataset_metadata", "split_moves", "changes"):
        pl.DataFrame({"processid": ["A"]}).write_parquet(tables / f"{stem}.parquet")
    assert release_table(tmp_path).name == "BIOSCAN_5M_Insect_Dataset_metadata.parquet"


def test_some_splits_only(release):
    everything = read_release(release / release_build.R, ("processid", "split"))
    wanted = ["train", "test"]
    some = read_release(release / release_build.R, ("processid",), splits=wanted)
    expected = everything.filter(pl.col("split").is_in(wanted)).select("processid")
    assert 0 < some.height < everything.height and some.equals(expected)
