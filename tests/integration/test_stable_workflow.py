"""Release N, then N+1 with partition.previous_release = N, on a simulated pair of exports
(curation.synthetic.evolution): the moves table, the MANIFEST, no barcode leaking from a
training split into an evaluation split across the two releases."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from curation.evolve.releases import read_release
from curation.synthetic import evolution
from schemas.tables import SPECIES_SET_OF_SPLIT
from tests.workflow import build, snakemake, write_config

pytestmark = pytest.mark.slow

TRAINING = {"seen": "train", "unseen": "key_unseen"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> dict[str, Path | str]:
    """Releases N and N+1 (stable), the truth of the changes and what the second build printed."""
    root = tmp_path_factory.mktemp("evolved")
    evolution.write(3000, 11, root / "prev.tsv", root / "next.tsv", root / "changes.parquet")
    previous = build(root / "n", {"input": {"files": [str(root / "prev.tsv")]}})
    config = {
        "input": {"files": [str(root / "next.tsv")]},
        "partition": {"previous_release": str(previous)},
        "release": {"version": "0.2.0"},
    }
    write_config(root / "n1", config)
    done = snakemake(root / "n1", "--cores", "2")
    return {
        "previous": previous,
        "current": root / "n1" / "results" / "bioscan5m",
        "changes": root / "changes.parquet",
        "printed": done.stdout + done.stderr,
    }


def test_stable_build_reports_its_moves(pair):
    current = pair["current"]
    moves = pl.read_parquet(current / "metadata" / "parquet" / "split_moves.parquet")
    manifest = (current / "MANIFEST").read_text()
    assert "metadata/parquet/split_moves.parquet" in manifest
    assert f"\t{moves.height}\tmetadata/parquet/split_moves.parquet" in manifest
    assert "previous records kept their split" in pair["printed"]
    assert "UNEXPLAINED" not in pair["printed"]
    assert not (pair["previous"] / "metadata" / "parquet" / "split_moves.parquet").exists()
    # The previous release's table is one of the build's inputs, by checksum.
    assert "BIOSCAN_5M_Insect_Dataset_metadata.parquet" in manifest.split("[inputs]")[1]


def test_the_card_and_report_of_a_stable_release_name_its_split_moves(pair):
    current = pair["current"]
    assert "| `metadata/parquet/split_moves.parquet` |" in (current / "README.md").read_text()
    page = (current / "report.html").read_text(encoding="utf-8")
    hrefs = [href for href in re.findall(r"href='([^']+)'", page) if not href.startswith("#")]
    assert "metadata/parquet/split_moves.parquet" in hrefs
    assert [href for href in hrefs if not (current / href).is_file()] == []


def test_moves_are_every_record_that_left_its_split(pair):
    before = read_release(pair["previous"], ("processid", "split"))
    after = read_release(pair["current"], ("processid", "split"))
    moves = pl.read_parquet(pair["current"] / "metadata" / "parquet" / "split_moves.parquet")
    compared = before.join(after, on="processid", how="left", suffix="_now")
    left = compared.filter(pl.col("split_now").is_null() | (pl.col("split_now") != pl.col("split")))
    assert moves["processid"].to_list() == left["processid"].to_list()
    assert moves["previous_split"].to_list() == left["split"].cast(pl.String).to_list()
    assert "unexplained" not in moves["reason"].to_list()
    # Specimens the simulator withdrew (and N released) are reported as withdrawn.
    truth = pl.read_parquet(pair["changes"])
    withdrawn = truth.filter(pl.col("change") == "withdrawn").join(before, on="processid")
    reported = moves.filter(pl.col("reason") == "withdrawn")["processid"]
    assert withdrawn.height > 0 and set(withdrawn["processid"]) <= set(reported)
    # Placeholders the simulator named include species that were unseen in N.
    assert "species_named" in moves["reason"].to_list()


def test_no_barcode_leaves_training_for_evaluation(pair):
    """A barcode of N keeps its split in N+1 within the same species set, or goes to the set's
    training split (the policy's repairs); never from training into evaluation."""
    columns = ("processid", "split", "dna_barcode")
    earlier = read_release(pair["previous"], columns)
    later = read_release(pair["current"], columns)
    sequence = pl.col("dna_barcode").str.strip_chars("N")
    earlier = earlier.group_by(sequence).agg(before=pl.col("split").cast(pl.String).unique())
    assert earlier.filter(pl.col("before").list.len() > 1).is_empty()
    later = later.select(sequence, split=pl.col("split").cast(pl.String)).unique()
    joined = later.join(earlier.with_columns(pl.col("before").list.first()), on="dna_barcode")
    set_of = pl.col("split").replace_strict(SPECIES_SET_OF_SPLIT)
    same_set = joined.filter(set_of == pl.col("before").replace_strict(SPECIES_SET_OF_SPLIT))
    training = set_of.replace_strict(TRAINING, default=None)
    stray = same_set.filter((pl.col("split") != pl.col("before")) & (pl.col("split") != training))
    assert same_set.height > 1000 and stray.is_empty()
    assert same_set.filter((pl.col("before") == "train") & (pl.col("split") != "train")).is_empty()


def test_no_record_of_ns_pretrain_is_in_an_evaluation_split(pair):
    """A model pretrained on N has seen N's pretrain sequences: those that now have a species
    go to their set's training split, never to val or test (docs/curation.md#stable-partitioning)."""
    before = read_release(pair["previous"], ("processid", "split"))
    after = read_release(pair["current"], ("processid", "split"))
    labelled = before.filter(pl.col("split") == "pretrain").join(
        after, on="processid", suffix="_now"
    )
    now = labelled.filter(pl.col("split_now") != "pretrain")["split_now"].cast(pl.String)
    assert now.len() > 0 and set(now) <= {"train", "key_unseen", "other_heldout"}


def test_a_missing_previous_release_stops_with_its_name(tmp_path):
    write_config(tmp_path, {"partition": {"previous_release": "no/such/release"}})
    done = snakemake(tmp_path, "-n", check=False)
    assert done.returncode != 0
    assert "partition.previous_release: no/such/release: no such release" in done.stderr


def test_the_diff_shows_the_injected_relabellings(pair):
    """The stable build compares itself with its previous release (release.compare_with null):
    the species the simulator relabelled are relabelled in the diff, to what it wrote."""
    diff = pair["current"] / "diff"
    assert (diff / "summary.html").is_file()
    both = read_release(pair["previous"], ("processid",)).join(
        read_release(pair["current"], ("processid",)), on="processid"
    )
    truth = pl.read_parquet(pair["changes"]).filter(
        pl.col("change").is_in(["named", "identified", "reidentified"])
        & pl.col("processid").is_in(both["processid"].implode())
    )
    relabelled = pl.read_parquet(diff / "relabelled.parquet")
    shown = truth.join(relabelled, on=["processid", "rank"]).filter(
        pl.col("new_value") == pl.col("after")
    )
    # Curation may still change a relabelled label (a barcode's vote): most, not all, show.
    assert truth.height > 0 and shown.height >= 0.75 * truth.height
