"""Barcode shards: a barcode never straddles shards, and gathering undoes splitting."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from curation import wiring
from curation.labels import shards
from schemas.config import load_config
from schemas.tables import LABELS_SCHEMA


def labels(keys: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "processid": [f"P{i:05d}-24" for i in range(len(keys))],
            "barcode_key": keys,
            "dna_bin": None,
            **{rank: None for rank in list(LABELS_SCHEMA)[3:]},
        },
        schema=LABELS_SCHEMA,
    )


@given(keys=st.lists(st.integers(0, 50), max_size=60), count=st.integers(1, 7))
def test_each_key_in_exactly_one_shard(keys, count):
    parts = shards.split(labels(keys), count)
    assert len(parts) == count
    owners: dict[int, int] = {}
    for index, part in enumerate(parts):
        for key in part["barcode_key"].unique().to_list():
            assert owners.setdefault(key, index) == index
    assert sum(part.height for part in parts) == len(keys)


@given(keys=st.lists(st.integers(0, 50), max_size=60), count=st.integers(1, 7), seed=st.integers())
def test_gather_restores_the_sorted_table_whatever_the_shard_order(keys, count, seed):
    table = labels(keys)
    parts = shards.split(table.sample(fraction=1.0, shuffle=True, seed=seed % 2**32), count)
    gathered = shards.gather(parts[::-1], LABELS_SCHEMA)
    assert gathered.equals(table.sort("processid"))


def test_the_shard_count_grows_with_the_input_past_the_memory_budget(tmp_path):
    """Shards as configured while a label shard fits memory_gb, more when it would not."""
    small = load_config({"input": {"generator": {"records": 4000}}, "shards": 2})
    assert wiring.effective_shards(small) == 2
    large = load_config({"input": {"generator": {"records": 20_000_000}}, "memory_gb": 3})
    needed = wiring.effective_shards(large)
    assert (
        needed * 3 * 2**30 >= 20_000_000 * wiring.LABEL_BYTES_PER_RECORD > (needed - 1) * 3 * 2**30
    )
    export = tmp_path / "export.tsv"
    export.write_bytes(b"x" * 10 * wiring.INPUT_BYTES_PER_RECORD)
    files = load_config({"input": {"files": [str(export)]}, "memory_gb": 0.000001})
    assert wiring.expected_records(files) == 10
    assert wiring.effective_shards(files) == -(-10 * wiring.LABEL_BYTES_PER_RECORD // 1073)


def test_a_large_input_is_parsed_by_as_many_jobs_as_there_are_shards(tmp_path):
    """Ingest's byte ranges follow the effective shard count, so with ``shards: 1`` an input
    past the memory budget is still parsed by several jobs side by side."""
    export = tmp_path / "export.tsv"
    export.write_bytes(b"x" * 10 * wiring.INPUT_BYTES_PER_RECORD)
    cfg = load_config({"input": {"files": [str(export)]}, "shards": 1, "memory_gb": 0.000004})
    parts = wiring.rule_params(cfg, "ingest_part")["parts"]
    assert parts == wiring.effective_shards(cfg) > 1
    assert wiring.ingest_parts(1, parts) == [f"0-{part}" for part in range(parts)]


@given(keys=st.lists(st.integers(0, 50), max_size=60), count=st.integers(1, 7))
def test_the_streaming_split_gives_the_eager_shards(keys, count):
    """shard_labels sinks split_lazy's shards: the same rows, in the same order, as split()."""
    table = labels(keys)
    lazy = shards.split_lazy(table.lazy(), count)
    for eager, streamed in zip(shards.split(table, count), lazy, strict=True):
        assert streamed.collect(engine="streaming").equals(eager)


def test_the_jobs_of_a_sharded_stage_share_the_threads():
    """Two shards on threads: 2 declare one thread each, so Snakemake runs them side by side
    on two cores; one shard keeps both."""
    two = load_config({"input": {"generator": {"records": 4000}}, "shards": 2, "threads": 2})
    assert wiring.shard_threads(two) == 1
    one = load_config({"input": {"generator": {"records": 4000}}, "shards": 1, "threads": 2})
    assert wiring.shard_threads(one) == 2
    many = load_config({"input": {"generator": {"records": 4000}}, "shards": 8, "threads": 2})
    assert wiring.shard_threads(many) == 1
