"""The evolution simulator (curation.synthetic.evolution): two exports of one population and
the truth of what changed between them."""

from __future__ import annotations

import polars as pl
import pytest

from curation.partition.placeholders import species_flag
from curation.synthetic import evolution
from curation.synthetic.generate import main

RECORDS, SEED = 6000, 5


@pytest.fixture(scope="module")
def evolved() -> evolution.Evolution:
    return evolution.evolve(RECORDS, SEED)


def specimens(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per processid: its written genus and species (all its rows agree)."""
    per = rows.group_by("processid").agg(pl.col("genus", "species").unique())
    assert per.filter(pl.col("species").list.len() > 1).is_empty()
    return per.select("processid", pl.col("genus", "species").list.first()).sort("processid")


def test_previous_is_a_subsample_and_current_the_rest_less_the_withdrawn(evolved):
    before, after = specimens(evolved.previous), specimens(evolved.current)
    changes = evolved.changes
    population = set(before["processid"]) | set(after["processid"])
    assert len(before) == pytest.approx(0.8 * len(population), rel=0.02)
    gone = set(before["processid"]) - set(after["processid"])
    added = set(after["processid"]) - set(before["processid"])
    assert gone == set(changes.filter(pl.col("change") == "withdrawn")["processid"])
    assert added == set(changes.filter(pl.col("change") == "added")["processid"])
    assert len(gone) == round(0.01 * len(before))


def test_relabellings_are_what_the_exports_write(evolved):
    before, after = specimens(evolved.previous), specimens(evolved.current)
    both = before.join(after, on="processid", suffix="_after")
    differ = both.filter(pl.col("species") != pl.col("species_after"))
    relabelled = evolved.changes.filter(pl.col("before").is_not_null()).sort("processid")
    assert differ["processid"].to_list() == relabelled["processid"].to_list()
    assert differ["species"].to_list() == relabelled["before"].to_list()
    assert differ["species_after"].to_list() == relabelled["after"].to_list()
    assert both.filter(pl.col("genus") != pl.col("genus_after")).is_empty()
    kinds = set(relabelled["change"].cast(pl.String))
    assert kinds == {"named", "identified", "reidentified"}


def test_each_kind_of_relabelling_does_what_it_says(evolved):
    relabelled = evolved.changes.filter(pl.col("before").is_not_null())
    flags = relabelled.with_columns(
        was_placeholder=species_flag("before"), is_placeholder=species_flag("after")
    )
    named = flags.filter(pl.col("change") == "named")
    assert named["was_placeholder"].all() and not named["is_placeholder"].any()
    identified = flags.filter(pl.col("change") == "identified")
    assert (identified["before"] == "None").all() and not identified["is_placeholder"].any()
    again = flags.filter(pl.col("change") == "reidentified")
    assert not again["was_placeholder"].any() and not again["is_placeholder"].any()
    # Every spelling of a named placeholder is renamed: none of its records keeps the old name.
    old = set(named["before"])
    assert not set(specimens(evolved.current)["species"]) & old


def test_same_seed_same_exports(evolved):
    again = evolution.evolve(RECORDS, SEED)
    assert again.previous.equals(evolved.previous) and again.current.equals(evolved.current)
    assert again.changes.equals(evolved.changes)
    other = evolution.evolve(RECORDS, SEED + 1)
    assert not other.changes.equals(evolved.changes)


def test_command_line_writes_both_exports_and_the_changes(tmp_path):
    out, prev, changes = tmp_path / "next.tsv", tmp_path / "prev.tsv", tmp_path / "c.parquet"
    argv = ["--records", "500", "--seed", "3", "--out", str(out), "--previous", str(prev)]
    assert main([*argv, "--changes", str(changes)]) == 0
    assert out.is_file() and prev.is_file()
    table = pl.read_parquet(changes)
    assert table.columns == list(evolution.CHANGES_SCHEMA) and table.height > 0
    header = prev.read_text().splitlines()[0]
    assert header == out.read_text().splitlines()[0] and header.startswith("processid\t")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--changes", "c.parquet"], "--changes needs --previous"),
        (["--previous", "p.tsv", "--truth", "t.parquet"], "--truth describes one export"),
        (["--previous", "p.tsv", "--previous-share", "1.5"], "--previous-share must be"),
    ],
)
def test_command_line_refuses_what_makes_no_sense(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit):
        main(["--records", "10", "--seed", "1", "--out", str(tmp_path / "x.tsv"), *extra])
    assert message in capsys.readouterr().err
