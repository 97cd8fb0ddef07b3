"""The diff of two releases (curation/evolve/diff.py): properties over generated pairs of
releases (a release against itself, counts, swapping the two), the rules named from a changes
table, and its counts against DuckDB's on the release files."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.evolve.diff import DIFF_COLUMNS, diff
from curation.evolve.releases import read_release
from schemas.tables import DIFF_DIFFERENCES, DIFF_SCHEMAS, RANKS, SPLIT_DTYPE, SPLITS
from tests.support import DATA

#: Few values per column, so that generated releases share records, labels and species.
_PROCESSIDS = [f"P{i:03d}" for i in range(40)]
_SPECIES = [None, "Aus bus", "Aus cus", "Bus dus", "Cus sp. 1"]
_LABEL = st.sampled_from([None, "A", "B"])


@st.composite
def releases(draw) -> pl.DataFrame:
    """A release: distinct processids, any split, labels from small alphabets."""
    ids = draw(st.lists(st.sampled_from(_PROCESSIDS), unique=True, max_size=25))
    rows = [
        {
            "processid": pid,
            "split": draw(st.sampled_from(SPLITS)),
            **{rank: draw(_LABEL) for rank in RANKS[:-1]},
            "species": draw(st.sampled_from(_SPECIES)),
            "dna_bin": draw(st.sampled_from([None, "BOLD:AAA0001"])),
        }
        for pid in ids
    ]
    return pl.DataFrame(rows, schema=DIFF_SCHEMAS["added"]).sort("processid")


def _counts(frame: pl.DataFrame, key: str) -> dict:
    return dict(frame.group_by(key).len().iter_rows())


@given(releases())
def test_a_release_diffed_with_itself_is_empty(release):
    same = diff(release, release)
    assert same.is_empty()
    assert all(same[name].is_empty() for name in DIFF_DIFFERENCES)
    counts = same["split_counts"]
    assert counts["old_records"].to_list() == counts["new_records"].to_list()
    assert counts["kept"].to_list() == counts["old_records"].to_list()
    species = same["species_counts"]
    assert species["old_records"].to_list() == species["new_records"].to_list()
    assert species["old_set"].to_list() == species["new_set"].to_list()


@given(releases(), releases())
def test_counts_are_consistent(old, new):
    found = diff(old, new)
    counts = found["split_counts"]
    assert found["added"].height - found["removed"].height == new.height - old.height
    assert counts["old_records"].sum() == old.height
    assert counts["new_records"].sum() == new.height
    assert dict(zip(counts["split"], counts["old_records"], strict=True)) == {
        split: _counts(old, "split").get(split, 0) for split in SPLITS
    }
    assert dict(zip(counts["split"], counts["new_records"], strict=True)) == {
        split: _counts(new, "split").get(split, 0) for split in SPLITS
    }
    old_side = counts["kept"] + counts["moved_out"] + counts["removed"]
    new_side = counts["kept"] + counts["moved_in"] + counts["added"]
    assert old_side.to_list() == counts["old_records"].to_list()
    assert new_side.to_list() == counts["new_records"].to_list()
    assert counts["moved_in"].sum() == counts["moved_out"].sum() == found["moved"].height
    species = found["species_counts"]
    assert species["old_records"].sum() == old.height
    assert species["new_records"].sum() == new.height
    shared = old.join(new, on="processid").height
    assert found["added"].height == new.height - shared
    assert found["relabelled"]["processid"].n_unique() <= shared


@given(releases(), releases())
def test_swapping_the_releases_swaps_the_diff(old, new):
    forward, backward = diff(old, new), diff(new, old)
    assert forward["added"].equals(backward["removed"])
    assert forward["removed"].equals(backward["added"])
    swapped = backward["moved"].select("processid", old_split="new_split", new_split="old_split")
    assert forward["moved"].equals(swapped)
    relabels = backward["relabelled"].select(
        "processid",
        "rank",
        old_value="new_value",
        new_value="old_value",
        old_rule="new_rule",
        new_rule="old_rule",
    )
    assert forward["relabelled"].equals(relabels)
    counts = backward["split_counts"].select(
        "split",
        old_records="new_records",
        new_records="old_records",
        kept="kept",
        moved_out="moved_in",
        moved_in="moved_out",
        removed="added",
        added="removed",
    )
    assert forward["split_counts"].equals(counts)
    species = backward["species_sets"].select(
        "species",
        old_set="new_set",
        new_set="old_set",
        old_records="new_records",
        new_records="old_records",
    )
    assert forward["species_sets"].equals(species)


@given(releases(), releases(), st.randoms(use_true_random=False))
def test_the_order_of_the_records_does_not_matter(old, new, random):
    shuffled = [old.sample(fraction=1, shuffle=True, seed=random.randrange(2**32)), new.reverse()]
    one, two = diff(old, new), diff(*shuffled)
    assert all(one[name].equals(two[name]) for name in DIFF_SCHEMAS)


@given(releases(), releases())
def test_tables_have_their_schemas_and_are_sorted(old, new):
    found = diff(old, new)
    for name, schema in DIFF_SCHEMAS.items():
        assert found[name].schema == pl.Schema(schema), name
    assert found["relabelled"].select("processid", "rank").is_duplicated().sum() == 0
    keys = found["relabelled"].select("processid", pl.col("rank").to_physical())
    assert keys.equals(keys.sort("processid", "rank"))
    assert found["added"]["processid"].is_sorted()
    assert found["species_counts"]["species"].head(-1).is_sorted()


def _release(rows: list[tuple]) -> pl.DataFrame:
    """A release of (processid, split, genus, species) rows; other ranks fixed."""
    return pl.DataFrame(
        [
            {
                "processid": pid,
                "split": split,
                **dict.fromkeys(RANKS[:-2], "X"),
                "genus": genus,
                "species": species,
                "dna_bin": None,
            }
            for pid, split, genus, species in rows
        ],
        schema=DIFF_SCHEMAS["added"],
    )


def test_relabellings_are_one_row_per_record_and_rank_with_the_rules_of_each_side():
    old = _release([("A-1", "train", "Aus", "Aus bus"), ("A-2", "pretrain", None, None)])
    new = _release([("A-1", "train", "Aus", "Aus cus"), ("A-2", "pretrain", "Bus", "Bus dus")])
    changes = pl.DataFrame(
        {
            "processid": ["A-1", "A-2", "A-2", "A-2"],
            "column": ["species", "genus", "species", "species"],
            "before": [None, None, "bus dus", "Bus  dus"],
            "after": ["Aus cus", "Bus", "Bus  dus", "Bus dus"],
            "rule": ["C6_inferred", "C1_genus_from_species", "C0_whitespace", "C3_variant"],
        }
    )
    old_changes = pl.DataFrame(
        {
            "processid": ["A-1", "A-2"],
            "column": ["species", "species"],
            "before": ["Aus  bus", "Bus dus"],
            "after": ["Aus bus", None],
            "rule": ["C0_whitespace", "C5_curtail"],
        }
    )
    found = diff(old, new, old_changes, changes)
    assert found["relabelled"].rows() == [
        ("A-1", "species", "Aus bus", "Aus cus", "C0_whitespace", "C6_inferred"),
        ("A-2", "genus", None, "Bus", None, "C1_genus_from_species"),
        ("A-2", "species", None, "Bus dus", "C5_curtail", "C0_whitespace, C3_variant"),
    ]
    assert found.old_rules and found.new_rules
    without = diff(old, new, new_changes=changes)
    assert without["relabelled"]["old_rule"].null_count() == 3
    assert without["relabelled"]["new_rule"].null_count() == 0
    assert not without.old_rules and without.new_rules


def test_a_species_set_comes_from_its_records_splits():
    old = _release(
        [
            ("A-1", "train", "Aus", "Aus bus"),
            ("A-2", "key_unseen", "Aus", "Aus sp. 1"),
            ("A-3", "other_heldout", "Cus", "Cus dus"),
        ]
    )
    new = _release(
        [
            ("A-1", "train", "Aus", "Aus bus"),
            ("A-2", "test", "Aus", "Aus sp. 1"),
            ("A-4", "train", "Cus", "Cus dus"),
            ("A-5", "other_heldout", "Bus", "Bus eus"),
        ]
    )
    found = diff(old, new)
    assert found["species_sets"].rows() == [
        ("Aus sp. 1", "unseen", "seen", 1, 1),
        ("Bus eus", None, "heldout", 0, 1),
        ("Cus dus", "heldout", "seen", 1, 1),
    ]
    assert found["moved"].rows() == [("A-2", "key_unseen", "test")]


def test_a_species_in_several_sets_names_them_all():
    release = _release(
        [("A-1", "train", "Aus", "Aus bus"), ("A-2", "other_heldout", "Aus", "Aus bus")]
    )
    found = diff(release.head(1), release)
    assert found["species_sets"].rows() == [("Aus bus", "seen", "seen+heldout", 1, 2)]


# The diff's counts against counts DuckDB computes from the two release files on its own.
_SQL = {
    "added": "SELECT count(*) FROM new WHERE processid NOT IN (SELECT processid FROM old)",
    "removed": "SELECT count(*) FROM old WHERE processid NOT IN (SELECT processid FROM new)",
    "moved": "SELECT count(*) FROM old JOIN new USING (processid) WHERE old.split <> new.split",
}


@pytest.fixture
def release_files(tmp_path):
    """Two BIOSCAN-5M CSV releases: the browser sample and a copy with every kind of change."""
    sample = DATA / "derived" / "bioscan5m_browser_sample-records.csv"
    frame = pl.read_csv(sample, infer_schema=False).with_row_index()
    changed = frame.with_columns(
        species=pl.when(pl.col("index") < 4).then(pl.lit("Aus bus")).otherwise("species"),
        genus=pl.when(pl.col("index") == 5).then(None).otherwise("genus"),
        split=pl.when(pl.col("index").is_between(6, 8)).then(pl.lit("test")).otherwise("split"),
    ).filter(pl.col("index") != 10)
    added = frame.head(3).with_columns(processid=pl.col("processid") + "-B", split=pl.lit("val"))
    new = tmp_path / "new.csv"
    pl.concat([changed, added]).drop("index").write_csv(new)
    return sample, new


def test_the_diff_agrees_with_duckdb(release_files):
    old_path, new_path = release_files
    found = diff(read_release(old_path, DIFF_COLUMNS), read_release(new_path, DIFF_COLUMNS))
    con = duckdb.connect()
    for name, path in (("old", old_path), ("new", new_path)):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{path}', all_varchar=true)")
    for table, query in _SQL.items():
        assert found[table].height == con.execute(query).fetchone()[0], table
    per_rank = {
        rank: con.execute(
            f"SELECT count(*) FROM old JOIN new USING (processid) "
            f'WHERE old."{rank}" IS DISTINCT FROM new."{rank}"'
        ).fetchone()[0]
        for rank in RANKS
    }
    assert _counts(found["relabelled"].with_columns(pl.col("rank").cast(pl.String)), "rank") == {
        rank: n for rank, n in per_rank.items() if n
    }
    for which in ("old", "new"):
        splits = dict(con.execute(f"SELECT split, count(*) FROM {which} GROUP BY split").fetchall())
        counts = found["split_counts"].with_columns(pl.col("split").cast(pl.String))
        assert {
            s: n for s, n in counts.select("split", f"{which}_records").iter_rows() if n
        } == splits
        species = dict(
            con.execute(f"SELECT species, count(*) FROM {which} GROUP BY species").fetchall()
        )
        mine = found["species_counts"].select("species", f"{which}_records")
        assert {s: n for s, n in mine.iter_rows() if n} == species
    assert found["relabelled"].height == sum(per_rank.values()) > 0
    assert found["split_counts"].schema["split"] == SPLIT_DTYPE
