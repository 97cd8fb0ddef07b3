"""Atomic outputs: a failed write leaves neither the target nor a staging file behind."""

import polars as pl
import pytest

from curation import io


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(io.STAGING_ENV, str(tmp_path / "staging"))
    target = tmp_path / "release" / "table.parquet"
    with pytest.raises(RuntimeError):
        with io.atomic_output(target) as tmp:
            tmp.write_text("half a file")
            raise RuntimeError("killed mid-write")
    assert not target.exists()
    assert list((tmp_path / "staging").iterdir()) == []


def test_successful_write_moves_into_place(tmp_path, monkeypatch):
    monkeypatch.setenv(io.STAGING_ENV, str(tmp_path / "staging"))
    target = tmp_path / "release" / "table.parquet"
    frame = pl.DataFrame({"a": [2, 1]})
    io.write_parquet(frame, target)
    assert io.read_parquet(target).equals(frame)
    assert list((tmp_path / "staging").iterdir()) == []


def test_json_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv(io.STAGING_ENV, str(tmp_path / "staging"))
    io.write_json({"b": 1, "a": [1, 2]}, tmp_path / "one.json")
    io.write_json({"a": [1, 2], "b": 1}, tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
