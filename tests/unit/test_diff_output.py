"""The diff as files (curation/evolve/summary.py, output.py, compare.py): the command on the
BIOSCAN-5M sample CSV and a modified copy, hostile names in the summary, deterministic bytes,
a clear line for a bad path; where the workflow puts the diff (curation/wiring.py)."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from curation.evolve import output, summary
from curation.evolve.compare import compare, main
from curation.evolve.releases import ReleaseError, release_name
from curation.wiring import (
    DIFF_FILES,
    Layout,
    compared_table,
    previous_release_table,
    rule_params,
)
from schemas.config import load_config
from tests import hostile, release_build
from tests.release_frames import synthetic_inputs
from tests.support import DATA, ROOT

SAMPLE = DATA / "derived" / "bioscan5m_browser_sample-records.csv"
#: A species name that is HTML, Markdown and mathtext at once.
HOSTILE = "<script>alert(1)</script> *Aus* [x](y) $\\frac{1}{$ | `z`"


@pytest.fixture
def modified(tmp_path):
    """The sample with 3 records relabelled (a hostile species), 2 moved, 1 removed, 2 added."""
    frame = pl.read_csv(SAMPLE, infer_schema=False).with_row_index()
    changed = frame.with_columns(
        species=pl.when(pl.col("index") < 3).then(pl.lit(HOSTILE)).otherwise("species"),
        split=pl.when(pl.col("index").is_between(3, 4)).then(pl.lit("test")).otherwise("split"),
    ).filter(pl.col("index") != 10)
    extra = frame.head(2).with_columns(
        processid=pl.col("processid") + "-N", split=pl.lit("other_heldout")
    )
    path = tmp_path / "modified.csv"
    pl.concat([changed, extra]).drop("index").write_csv(path)
    return path


def test_the_command_writes_the_diff_of_the_sample_and_a_modified_copy(modified, tmp_path, capsys):
    out = tmp_path / "diff"
    assert main([str(SAMPLE), str(modified), "--out", str(out)]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        output.FILES.values()
    )
    tables = {name: pl.read_parquet(out / f"{name}.parquet") for name in ("added", "removed")}
    assert tables["added"]["processid"].str.ends_with("-N").all() and tables["added"].height == 2
    assert tables["removed"].height == 1
    relabelled = pl.read_parquet(out / "relabelled.parquet")
    assert relabelled["new_value"].to_list() == [HOSTILE] * 3
    assert relabelled["rank"].unique().to_list() == ["species"]
    moved = pl.read_parquet(out / "moved.parquet")
    assert moved.height == 2 and set(moved["new_split"]) == {"test"}
    printed = capsys.readouterr().err
    assert "2 records added, 1 removed, 3 labels relabelled on 3 records" in printed
    assert str(out / "summary.html") in printed


def test_a_species_that_appears_is_not_counted_as_changing_set(modified):
    """The hostile name is new (3 relabelled records): it appeared; no species changed set."""
    found = compare(SAMPLE, modified)
    table = dict(summary.overview(found).iter_rows())
    assert [table[f"species that {what}"] for what in ("appeared", "disappeared")] == [1, 0]
    assert table["species that changed species set"] == 0
    assert summary.headline(found).endswith(
        "; 1 species appeared, 0 disappeared, 0 changed species set."
    )


def test_hostile_names_are_shown_as_written(modified, tmp_path):
    """The summary of a diff naming a hostile species renders no more markup than the summary
    of the same diff with a harmless name (tests/hostile.py)."""
    found = compare(SAMPLE, modified)
    harmless = tmp_path / "harmless.csv"
    pl.read_csv(modified, infer_schema=False).with_columns(
        pl.col("species").str.replace_all(r"[^A-Za-z ]", "")
    ).write_csv(harmless)
    reference = compare(SAMPLE, harmless)
    names = ("old <i>", "new $x$ *y*")
    text = summary.markdown(found, *names)
    assert hostile.markdown_problems(text) == hostile.markdown_problems(
        summary.markdown(reference, "old", "new")
    )
    page = summary.page(found, *names, summary.plots(found))
    assert not hostile.html_problems(
        page, summary.page(reference, "a", "b", summary.plots(reference))
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "old &lt;i&gt;" in page


def test_the_same_releases_give_the_same_bytes(modified, tmp_path):
    found = compare(SAMPLE, modified)
    first = output.write(found, tmp_path / "a", old="old", new="new")
    second = output.write(compare(SAMPLE, modified), tmp_path / "b", old="old", new="new")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_an_empty_diff_says_so(tmp_path):
    found = compare(SAMPLE, SAMPLE)
    assert summary.headline(found) == "The two releases hold the same records, labels and splits."
    assert found.is_empty()
    assert len(summary.plots(found)) == len(summary.PLOTS)


@pytest.mark.parametrize(
    ("old", "message"),
    [
        ("missing.csv", "error: missing.csv: no such release file or directory"),
        ("notes.txt", "a release table is a .csv, .csv.gz or .parquet file"),
    ],
)
def test_a_bad_path_is_one_line_without_traceback(tmp_path, old, message):
    (tmp_path / "notes.txt").write_text("hello\n")
    done = subprocess.run(
        [sys.executable, "-m", "curation.evolve", old, str(SAMPLE), "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_diff_is_not_written_into_a_release(tmp_path, capsys):
    (tmp_path / "rel" / "metadata").mkdir(parents=True)
    (tmp_path / "rel" / "MANIFEST").write_text("")
    assert main([str(SAMPLE), str(SAMPLE), "--out", str(tmp_path / "rel" / "diff")]) == 2
    assert "inside the release" in capsys.readouterr().err
    assert not (tmp_path / "rel" / "diff").exists()
    # a MANIFEST alone (a source tree's, say) is no release
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "MANIFEST").write_text("")
    assert main([str(SAMPLE), str(SAMPLE), "--out", str(tmp_path / "project" / "diff")]) == 0


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The build root of a small release made by the emit rule scripts."""
    root = tmp_path_factory.mktemp("release")
    release_build.build(root, synthetic_inputs(200, seed=5))
    return root


def test_our_release_names_itself_and_its_rules(release, tmp_path):
    directory = release / release_build.R
    assert release_name(directory) == "BIOSCAN-5M-rebuild 0.1.0"
    assert release_name(SAMPLE) == SAMPLE.name
    found = compare(SAMPLE, directory)
    assert found.new_rules and not found.old_rules
    assert compare(directory, SAMPLE).old_rules
    assert compare(directory, directory).is_empty()


def test_the_workflow_compares_with_a_release_elsewhere_only(release, monkeypatch):
    monkeypatch.chdir(release)
    cfg = load_config({})
    assert compared_table(cfg) is None
    assert "links" not in rule_params(cfg, "emit_metadata")
    for own in ("results/bioscan5m", "results/bioscan5m/metadata/csv", "results/work/release"):
        with pytest.raises(ReleaseError, match="in this build's own output"):
            compared_table(load_config({"release": {"compare_with": own}}))
        with pytest.raises(ReleaseError, match="in this build's own output"):
            previous_release_table(load_config({"partition": {"previous_release": own}}))
    cfg = load_config({"release": {"compare_with": str(SAMPLE)}})
    assert compared_table(cfg) == str(SAMPLE)
    assert rule_params(cfg, "emit_metadata")["links"][0][0] == "diff/summary.html"
    assert cfg.content_settings() == load_config({}).content_settings()
    staged = Layout(work="w", release="r", stem="s").staged_diff_files()
    assert set(staged.values()) == {f"w/release/{path}" for path in DIFF_FILES.values()}
