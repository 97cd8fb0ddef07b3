"""Statistics of the release, checked against independent DuckDB computations and the paper's
definitions."""

import itertools

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from curation.ingest.barcodes import number_barcodes
from curation.release import assemble as emit
from curation.release import stats, stats_format
from schemas.tables import RANKS, RULES, SPLITS
from tests.release_frames import inputs_from_rows, synthetic_inputs

INPUTS = synthetic_inputs(600, seed=7)
RELEASE = emit.assemble(INPUTS["records"], INPUTS["curated"], INPUTS["splits"], INPUTS["barcodes"])
TABLES = stats.compute(RELEASE, INPUTS["changes"], INPUTS["rejects"], INPUTS["issues"])


#: Per-category counts of one column, missing excluded.
COUNTS = 'SELECT count(*) AS n FROM r WHERE "{column}" IS NOT NULL GROUP BY "{column}"'


def sql(query: str, **frames: pl.DataFrame) -> list[tuple]:
    """Run ``query`` in a fresh DuckDB with ``frames`` registered under their names."""
    with duckdb.connect() as con:
        for name, frame in frames.items():
            con.register(
                name,
                frame.with_columns(pl.col("split").cast(pl.String))
                if "split" in frame.columns
                else frame,
            )
        return con.sql(query).fetchall()


def test_compute_returns_every_table_in_order():
    assert list(TABLES) == list(stats.TABLES)


@pytest.mark.parametrize("column", stats.TABLE2_COLUMNS)
def test_table2_matches_duckdb(column):
    row = TABLES["table2"].filter(pl.col("column") == column).row(0, named=True)
    ((categories, labelled, rows),) = sql(
        f'SELECT count(DISTINCT "{column}"), count("{column}"), count(*) FROM r', r=RELEASE
    )
    ((most, least),) = sql(
        f"SELECT max(n), min(n) FROM ({COUNTS.format(column=column)})",
        r=RELEASE,
    )
    assert (row["categories"], row["labelled"]) == (categories, labelled)
    assert row["labelled_pct"] == pytest.approx(100 * labelled / rows)
    assert row["imbalance_ratio"] == (pytest.approx(most / least) if least else None)


@pytest.mark.parametrize("column", stats.TABLE_A5_COLUMNS)
def test_table_a5_matches_duckdb(column):
    row = TABLES["tableA5"].filter(pl.col("column") == column).row(0, named=True)
    if row["categories"] == 0:
        assert row["mean"] is None and row["most"] is None
        return
    ((mean, median, std),) = sql(
        f"SELECT avg(n), median(n), stddev_pop(n) FROM ({COUNTS.format(column=column)})",
        r=RELEASE,
    )
    ((most, most_n),) = sql(
        f'SELECT "{column}", count(*) AS n FROM r WHERE "{column}" IS NOT NULL '
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1",
        r=RELEASE,
    )
    ((least, least_n),) = sql(
        f'SELECT "{column}", count(*) AS n FROM r WHERE "{column}" IS NOT NULL '
        "GROUP BY 1 ORDER BY n, 1 LIMIT 1",
        r=RELEASE,
    )
    assert (row["mean"], row["median"], row["std"]) == pytest.approx((mean, median, std))
    assert (row["most"], row["most_n"], row["least"], row["least_n"]) == (
        most,
        most_n,
        least,
        least_n,
    )


def test_table_a4_counts_the_coordinate_pair_only_when_both_are_present():
    row = TABLES["tableA4"].filter(pl.col("column") == "coord-lat, coord-lon").row(0, named=True)
    ((categories, labelled),) = sql(
        'SELECT count(DISTINCT ("coord-lat", "coord-lon")), count(*) FROM r'
        ' WHERE "coord-lat" IS NOT NULL AND "coord-lon" IS NOT NULL',
        r=RELEASE,
    )
    assert (row["categories"], row["labelled"]) == (categories, labelled)
    assert row["unlabelled"] == RELEASE.height - labelled


def test_table_a6_is_table2_of_the_insecta():
    insecta = RELEASE.filter(pl.col("class") == "Insecta")
    for row in TABLES["tableA6"].iter_rows(named=True):
        column = row["column"]
        assert row["rows"] == insecta.height
        assert row["categories"] == insecta[column].drop_nulls().n_unique()
        assert row["labelled"] == insecta.height - insecta[column].null_count()


def test_table3_matches_duckdb():
    expected = {
        split: rest
        for split, *rest in sql(
            "SELECT split, count(*), count(DISTINCT dna_barcode), count(DISTINCT barcode_key),"
            " count(DISTINCT species) FROM r GROUP BY split",
            r=RELEASE,
        )
    }
    table = TABLES["table3"]
    assert table["split"].to_list() == list(SPLITS)
    for row in table.iter_rows(named=True):
        got = [row["rows"], row["barcodes"], row["barcode_keys"], row["species"]]
        assert got == expected.get(row["split"], [0, 0, 0, 0])
    assert table["rows_pct"].sum() == pytest.approx(100)
    assert table.filter(pl.col("split") == "train")["species_set"].item() == "seen"


def test_categories_per_split_and_set_match_duckdb():
    counts = ", ".join(f'count(DISTINCT "{r}")' for r in RANKS)
    per_split = {
        s: list(rest)
        for s, *rest in sql(f"SELECT split, {counts} FROM r GROUP BY split", r=RELEASE)
    }
    for row in TABLES["tableA10"].iter_rows():
        if row[0] == "overall":
            assert list(row[1:]) == list(sql(f"SELECT {counts} FROM r", r=RELEASE)[0])
        else:
            assert list(row[1:]) == per_split.get(row[0], [0] * len(RANKS))
    seen = RELEASE.filter(pl.col("split").cast(pl.String).is_in(["train", "val", "test"]))
    seen_row = TABLES["tableA9"].filter(pl.col("species_set") == "seen").row(0, named=True)
    assert [seen_row[r] for r in RANKS] == [seen[r].drop_nulls().n_unique() for r in RANKS]


@pytest.mark.parametrize(("table", "rank"), [("tableA11", "species"), ("tableA13", "genus")])
def test_overlap_matrices_match_duckdb(table, rank):
    pairs = sql(
        f"""WITH p AS (SELECT DISTINCT split, "{rank}" AS v FROM r WHERE "{rank}" IS NOT NULL)
            SELECT a.split, b.split, count(*) FROM p a JOIN p b USING (v) GROUP BY 1, 2""",
        r=RELEASE,
    )
    expected = {(a, b): n for a, b, n in pairs}
    matrix = TABLES[table]
    assert matrix.columns == ["split", *SPLITS] and matrix["split"].to_list() == list(SPLITS)
    for row in matrix.iter_rows(named=True):
        for other in SPLITS:
            assert row[other] == expected.get((row["split"], other), 0)


def test_row_normalised_overlap_follows_table_a12():
    # Paper Table A12: val ∩ test = 2,952 of val's 3,378 species = 87.4 %, of test's 3,483 =
    # 84.8 %; the pretrain row has no species, so its percentages are not defined.
    cells = {
        ("val", "val"): 3378,
        ("test", "test"): 3483,
        ("val", "test"): 2952,
        ("test", "val"): 2952,
    }
    counts = pl.DataFrame(
        {"split": list(SPLITS), **{b: [cells.get((a, b), 0) for a in SPLITS] for b in SPLITS}}
    )
    percent = stats.row_normalised(counts)
    row = dict(zip(percent["split"], percent.iter_rows(named=True), strict=True))
    assert round(row["val"]["test"], 1) == 87.4 and round(row["test"]["val"], 1) == 84.8
    assert row["val"]["val"] == 100.0
    assert all(row["pretrain"][s] is None for s in SPLITS)


def test_species_sizes_and_countries_add_up():
    sizes = TABLES["species_sizes"]
    assert (sizes["records"] * sizes["species"]).sum() == RELEASE["species"].drop_nulls().len()
    assert sizes["species"].sum() == RELEASE["species"].drop_nulls().n_unique()
    countries = TABLES["countries"]
    assert countries["records"].sum() == RELEASE["country"].drop_nulls().len()
    assert countries["records"].to_list() == sorted(countries["records"], reverse=True)


def test_curation_rules_list_every_rule_in_order_with_counts():
    table = TABLES["curation_rules"]
    assert table["rule"].to_list() == list(RULES)
    changes = INPUTS["changes"]
    for rule in ("C5_vote", "C5_curtail"):
        mine = changes.filter(pl.col("rule") == rule)
        row = table.filter(pl.col("rule") == rule).row(0, named=True)
        assert (row["labels"], row["records"]) == (mine.height, mine["processid"].n_unique())
    assert table["labels"].sum() == changes.height


def test_a_rule_outside_the_vocabulary_is_listed_not_dropped():
    changes = INPUTS["changes"].head(2).with_columns(rule=pl.lit("X9_unknown"))
    table = stats.curation_rules(changes)
    assert table["rule"].to_list()[-1] == "X9_unknown" and table["labels"].to_list()[-1] == 2


def test_flags_inferred_ranks_rejects_and_issues_summaries():
    flags = dict(zip(*TABLES["curation_flags"].select("flag", "records"), strict=True))
    assert flags["label_was_inferred"] == RELEASE["label_was_inferred"].sum()
    codes = TABLES["inferred_ranks"]
    assert (
        codes["inferred_ranks"].to_list() == list(range(7))
        and codes["records"].sum() == RELEASE.height
    )
    assert TABLES["rejects"].rows() == [("no_barcode", 2), ("duplicate_processid", 1)]
    assert TABLES["issues"]["rows"].sum() == INPUTS["issues"].height


label = st.one_of(st.none(), st.sampled_from(["Aus", "Bus", "Cus", "Dus"]))


@settings(max_examples=30)
@given(
    st.lists(st.tuples(label, label, st.sampled_from(SPLITS)), min_size=1, max_size=30),
    st.randoms(),
)
def test_categories_are_distinct_non_null_counts_whatever_the_row_order(rows, random):
    release = pl.DataFrame(
        {
            "genus": [g for g, _, _ in rows],
            "species": [s for _, s, _ in rows],
            "split": [x for _, _, x in rows],
        },
        schema={"genus": pl.String, "species": pl.String, "split": pl.String},
    ).with_columns(pl.col("split").cast(RELEASE["split"].dtype))
    shuffled = release.sample(fraction=1.0, shuffle=True, seed=random.randint(0, 2**31))
    profile = stats.profile(release, {"genus": ("genus",), "species": ("species",)})
    assert profile["categories"].to_list() == [
        release["genus"].drop_nulls().n_unique(),
        release["species"].drop_nulls().n_unique(),
    ]
    assert profile.equals(stats.profile(shuffled, {"genus": ("genus",), "species": ("species",)}))
    assert stats.overlap(release, "species").equals(stats.overlap(shuffled, "species"))
    diagonal = [stats.overlap(release, "species")[s][i] for i, s in enumerate(SPLITS)]
    assert diagonal == [
        release.filter(pl.col("split") == s)["species"].drop_nulls().n_unique() for s in SPLITS
    ]


def test_ties_pick_the_smallest_value_so_exemplars_are_deterministic():
    release = emit.assemble(
        **inputs_from_rows(
            [
                {"processid": "A1", "split": "pretrain", "family": "Zeta"},
                {"processid": "A2", "split": "pretrain", "family": "Alpha"},
            ]
        )
    )
    row = stats.table_a5(release).filter(pl.col("column") == "family").row(0, named=True)
    assert (row["most"], row["least"], row["mean"], row["std"]) == ("Alpha", "Alpha", 1.0, 0.0)


def test_markdown_formats_for_display_only():
    # docs/decisions.md "Statistics": exact values stored; display rounds half to even
    # (1,837,658.5 -> 1,837,658.5 at one decimal; 0.25 -> 0.2) and shows thousands separators
    # and a dash for missing.
    assert stats_format.format_cell(3675317) == "3,675,317"
    assert stats_format.format_cell(1837658.5) == "1,837,658.5"
    assert stats_format.format_cell(0.25) == "0.2"
    assert stats_format.format_cell(None) == stats_format.MISSING
    text = stats_format.markdown(TABLES, stats.TABLES, "Statistics")
    for name, title in stats.TABLES.items():
        assert f"## {title}" in text and f"`{name}.csv`" in text
    table3 = text.split("## " + stats.TABLES["table3"])[1]
    assert "| unknown | pretrain |" in table3


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ACN", min_size=1, max_size=5)), max_size=30))
def test_sequence_ids_are_equal_exactly_for_equal_sequences(barcodes):
    """The integer that stands for a barcode in the counts identifies it exactly, N-padded
    variants of one barcode key included."""
    series = pl.Series("dna_barcode", barcodes, dtype=pl.String)
    keys = number_barcodes(series.fill_null("")).keys
    columns = pl.DataFrame([series, keys]).select("barcode_key", *stats.barcode_columns())
    ids = stats.sequence_ids(columns).to_list()
    for i, a in enumerate(barcodes):
        assert (ids[i] is None) == (a is None)
        for j, b in enumerate(barcodes):
            if a is not None and b is not None:
                assert (ids[i] == ids[j]) == (a == b)


def _tables_of_parts(release: pl.DataFrame, cuts: list[int], merge_at: int) -> dict:
    """The tables of ``release`` counted a part at a time, cut before each row of ``cuts``."""
    bounds = sorted({0, *cuts, release.height})
    tally = stats.Tally(merge_at)
    for start, stop in itertools.pairwise(bounds):
        tally.add(release.slice(start, stop - start))
    return stats.tables(tally.total(), INPUTS["changes"], INPUTS["rejects"], INPUTS["issues"])


def _assert_same_tables(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)
    for name, table in expected.items():
        assert_frame_equal(got[name], table, check_exact=True)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, RELEASE.height), max_size=8),
    st.integers(0, 3000),
    st.integers(0, 2**31),
)
def test_tables_from_parts_equal_the_tables_of_the_whole_release(cuts, merge_at, seed):
    """For any cut into parts, any order of the rows and any merge threshold, the counts of the
    parts added up give the tables of the release counted whole."""
    shuffled = RELEASE.sample(fraction=1.0, shuffle=True, seed=seed)
    _assert_same_tables(_tables_of_parts(shuffled, cuts, merge_at), TABLES)


ranks = st.sampled_from(["Insecta", "Arachnida", None])
barcodes = st.one_of(st.none(), st.text(alphabet="ACN", min_size=1, max_size=4))
small = st.one_of(st.none(), st.sampled_from(["Aus", "Bus", "Cus"]))
coordinate = st.one_of(st.none(), st.sampled_from([1.5, -2.0, 10.25]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(ranks, small, small, barcodes, st.sampled_from(SPLITS), coordinate, coordinate),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(0, 40), max_size=6),
    st.integers(0, 50),
)
def test_tables_from_parts_with_ties_padded_barcodes_and_gaps(rows, cuts, merge_at):
    """As above on releases drawn to have ties, N-padded barcodes, missing values and splits or
    classes absent from some parts."""
    columns = list(zip(*rows, strict=True))
    sequences = pl.Series("dna_barcode", columns[3], dtype=pl.String)
    release = RELEASE.head(len(rows)).with_columns(
        pl.Series("class", columns[0], dtype=pl.String),
        pl.Series("genus", columns[1], dtype=pl.String),
        pl.Series("species", columns[2], dtype=pl.String),
        sequences,
        number_barcodes(sequences.fill_null("")).keys.alias("barcode_key"),
        pl.Series("split", columns[4], dtype=RELEASE["split"].dtype),
        pl.Series("coord-lat", columns[5], dtype=pl.Float64),
        pl.Series("coord-lon", columns[6], dtype=pl.Float64),
    )
    whole = stats.compute(release, INPUTS["changes"], INPUTS["rejects"], INPUTS["issues"])
    _assert_same_tables(_tables_of_parts(release, cuts, merge_at), whole)


def test_a_tally_of_no_parts_gives_the_tables_of_an_empty_release():
    empty = RELEASE.clear()
    expected = stats.compute(empty, INPUTS["changes"], INPUTS["rejects"], INPUTS["issues"])
    _assert_same_tables(_tables_of_parts(empty, [], 0), expected)
