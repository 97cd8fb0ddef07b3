"""The whole workflow on a small generated export: shard-independence, idempotence, incremental
re-runs and recovery from a build killed mid-rule."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from tests.support import ROOT
from tests.workflow import build, digests, snakemake, write_config

pytestmark = pytest.mark.slow

CONFIG = {"input": {"generator": {"records": 4000, "seed": 7}}}
#: A BIOSCAN-5M CSV to compare a release with (release.compare_with).
SAMPLE = ROOT / "tests" / "data" / "derived" / "bioscan5m_browser_sample-records.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """A release from a small generated export, and what the build printed."""
    run_dir = tmp_path_factory.mktemp("shards1")
    write_config(run_dir, {**CONFIG, "shards": 1})
    done = snakemake(run_dir, "--cores", "2")
    return run_dir / "results" / "bioscan5m", done.stdout + done.stderr


@pytest.fixture(scope="module")
def release(built) -> Path:
    return built[0]


def test_a_build_prints_one_line_per_stage_and_a_summary(built):
    release, printed = built
    lines = printed.splitlines()
    starts = [line.split()[0] for line in lines if line[:1].strip()]
    # Snakemake's notes before it reads the workflow (the profile, the config files), then the
    # stages in order, then the summary.
    assert starts[-6:] == ["generate", "ingest", "labels", "partition", "release", "Released"]
    assert set(starts[:-6]) <= {"Using", "Config"}
    assert len(lines) <= 25 and "input:" not in printed and "jobid" not in printed
    assert all(len(line) <= 100 for line in lines if "duckdb" not in line)
    rejected = pl.read_parquet(release / "metadata" / "parquet" / "rejects.parquet").height
    assert f"4,000 released, {rejected:,} rejected (" in printed
    assert "records: pretrain " in printed and "all " in printed and " checks passed" in printed
    summary = lines[next(i for i, line in enumerate(lines) if line.startswith("Released")) :]
    assert summary[1:3] == [
        "  release  results/bioscan5m/",
        "  report   results/bioscan5m/report.html",
    ]
    assert summary[3].startswith('  query    python -c "import duckdb; duckdb.sql(')


def test_snakemakes_report_carries_the_quality_report_and_its_plots(release, tmp_path):
    archive = tmp_path / "report.zip"
    snakemake(release.parent.parent, "--report", str(archive))
    names = {Path(name).name for name in zipfile.ZipFile(archive).namelist()}
    assert {"report.html", "records_per_split.png", "changes_per_rule.png"} <= names


def test_release_has_every_file_and_conserves_rows(release):
    work = release.parent / "work"
    summary = json.loads((work / "ingest" / "summary.json").read_text())
    released = pl.read_parquet(work / "ingest" / "records.parquet").height
    rejected = pl.read_parquet(work / "ingest" / "rejects.parquet").height
    assert released + rejected == summary["rows_read"]
    table = pl.read_parquet(next((release / "metadata" / "parquet").glob("BIOSCAN*.parquet")))
    assert table.height == released
    assert (release / "MANIFEST").is_file() and (release / "report.html").is_file()


def test_every_link_of_the_report_opens_a_file_of_the_release(release):
    page = (release / "report.html").read_text(encoding="utf-8")
    hrefs = [href for href in re.findall(r"href='([^']+)'", page) if not href.startswith("#")]
    assert {"README.md", "MANIFEST", "stats/table3.csv"} <= set(hrefs)
    assert [href for href in hrefs if not (release / href).is_file()] == []


def test_three_shards_give_a_byte_identical_release(release, tmp_path):
    sharded = build(tmp_path / "shards3", {**CONFIG, "shards": 3})
    assert digests(sharded) == digests(release)
    # the release's files written by three emit_part jobs, then put together
    logs = sorted((sharded.parent / "work" / "logs" / "emit_part").glob("*.log"))
    assert [p.name for p in logs] == ["1-of-3.log", "2-of-3.log", "3-of-3.log"]


def test_a_tiny_memory_budget_gives_a_byte_identical_release(tmp_path):
    """Assembled and written in parts of one row group (curation/release/parts.py), from
    batches of 1,024 records and ranges of 1,024 barcode keys, the release is the same."""
    groups = {**CONFIG, "release": {"parquet_row_group_size": 2048}}
    default = build(tmp_path / "default", groups)
    tiny = build(tmp_path / "tiny", {**groups, "memory_gb": 0.001})
    assert digests(tiny) == digests(default)
    logs = tiny.parent / "work" / "logs"
    log = (logs / "emit_metadata.log").read_text()
    splits = len(re.findall(r"INFO   \w+: \d+$", log, flags=re.MULTILINE))
    # shards: 1, so one emit_part job writes every part (the label stages needed 3 shards)
    assert [p.name for p in (logs / "emit_part").glob("*.log")] == ["1-of-1.log"]
    parts = re.search(r"parts 1 to (\d+) of \1 ", (logs / "emit_part" / "1-of-1.log").read_text())
    pieces = re.search(
        r"curated records in (\d+) pieces", (logs / "gather_curation.log").read_text()
    )
    assert pieces and int(pieces[1]) > 1  # the global label steps a processid range at a time
    assert parts and int(parts[1]) > splits  # a split cut in parts
    # 4,000 records at 600 bytes in the label jobs need 3 shards of 0.001 GiB
    for rule, pieces in (("emit_rows", "of 4 (1024 records each)"), ("emit_barcodes", "of 2 (")):
        shard_logs = sorted((logs / rule).glob("*.log"))
        assert [p.name for p in shard_logs] == ["1-of-3.log", "2-of-3.log", "3-of-3.log"]
        assert all(pieces in p.read_text() for p in shard_logs)


def test_ingest_in_tiny_batches_and_two_shards_gives_a_byte_identical_release(release, tmp_path):
    """memory_gb small enough that ingest reads the export in many batches and works on many
    processid and sequence ranges (the out-of-core path), with ingest sharded too."""
    tiny = build(tmp_path / "tiny", {**CONFIG, "memory_gb": 0.0005, "shards": 2})
    assert digests(tiny) == digests(release)
    log = (tmp_path / "tiny" / "results" / "work" / "logs" / "ingest" / "0-0.log").read_text()
    assert int(re.search(r"in (\d+) batches", log).group(1)) > 3


def test_the_same_input_gives_the_same_bytes_wherever_it_is_built(release, tmp_path):
    export = release.parent / "work" / "input" / "generated_bcdm.tsv"
    copy = tmp_path / "elsewhere" / "generated_bcdm.tsv"
    copy.parent.mkdir()
    shutil.copy(export, copy)
    moved = {
        **CONFIG,
        "input": {"files": [str(copy)]},
        "release": {"output_dir": "out/rel", "work_dir": "scratch/w"},
    }
    here = {**CONFIG, "input": {"files": [str(export)]}}
    assert digests(build(tmp_path / "a", here, release="results/bioscan5m")) == digests(
        build(tmp_path / "b", moved, release="out/rel")
    )


def test_a_complete_build_has_nothing_left_to_do(release):
    done = snakemake(release.parent.parent, "--cores", "1", "--dry-run")
    assert "Nothing to be done" in done.stdout + done.stderr


def dry_run_rules(run_dir: Path, snakefile: Path, configfile: Path | None = None) -> set[str]:
    """Names of the rules a dry run would execute."""
    extra = ("--configfile", str(configfile)) if configfile else ()
    done = snakemake(
        run_dir, "--cores", "1", "--dry-run", "--quiet", "rules", *extra, snakefile=snakefile
    )
    lines = (done.stdout + done.stderr).splitlines()
    if not any(line.split()[:2] == ["job", "count"] for line in lines):
        return set()  # "Nothing to be done"
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["job", "count"]) + 2
    stop = next(i for i, line in enumerate(lines) if line.startswith("total"))
    return {line.split()[0] for line in lines[start:stop]}


#: The emit rules and what follows them: what every change upstream plans again.
EMIT = {
    "digest",
    "emit_rows",
    "emit_barcodes",
    "emit_part",
    "emit_metadata",
    "emit_card",
    "emit_croissant",
    "emit_manifest",
    "publish",
    "all",
}


def test_editing_a_module_reruns_exactly_the_rules_downstream(tmp_path):
    # Work on a copy of the workflow so that touching a module cannot disturb other tests.
    copy = tmp_path / "pipeline"
    copy.mkdir()
    for name in ("Snakefile", "workflow", "curation", "schemas", "resources", "profiles"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    run_dir = tmp_path / "run"
    write_config(run_dir, {**CONFIG, "shards": 2})
    snakemake(run_dir, "--cores", "2", snakefile=copy / "Snakefile")
    assert dry_run_rules(run_dir, copy / "Snakefile") == set()
    # Snakemake skips a file whose mtime changed but whose content did not, so edit for real.
    with (copy / "curation" / "labels" / "vote.py").open("a") as module:
        module.write("# edited\n")
    downstream = {"resolve", "infer", "gather_curation", "partition"}
    assert dry_run_rules(run_dir, copy / "Snakefile") == downstream | (EMIT - {"digest"})


@pytest.mark.parametrize(
    ("setting", "planned"),
    [
        (
            {"curation": {"vote_threshold": 0.8}},
            {"resolve", "infer", "gather_curation", "partition"},
        ),
        ({"partition": {"val_fraction": 0.06}}, {"partition"}),
        ({"release": {"version": "9.9.9"}}, set()),
        # the diff reads the staged release: no stage before it runs again
        ({"release": {"compare_with": str(SAMPLE)}}, {"diff"}),
    ],
)
def test_a_changed_setting_reruns_the_rules_that_read_it_and_downstream(release, setting, planned):
    run_dir = release.parent.parent
    changed = run_dir / f"changed-{next(iter(setting))}"
    write_config(changed, {**CONFIG, "shards": 1, **setting})
    assert dry_run_rules(run_dir, ROOT / "Snakefile", changed / "config.yaml") == planned | EMIT


def test_a_first_build_killed_while_emitting_leaves_no_release_and_resumes(release, tmp_path):
    """Kills at every rule of a rebuild are in test_faults.py; here the very first build."""
    run_dir = tmp_path / "killed"
    write_config(run_dir, {**CONFIG, "shards": 1})
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(run_dir),
        "--configfile",
        str(run_dir / "config.yaml"),
        "--cores",
        "2",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    # Kill the whole process tree once the release is half built: some files staged.
    staged = run_dir / "results" / "work" / "release"
    deadline = time.time() + 300
    while process.poll() is None and time.time() < deadline:
        if staged.exists() and any(p.is_file() for p in staged.rglob("*")):
            break
        time.sleep(0.02)
    assert process.poll() is None, "the build finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    out = run_dir / "results" / "bioscan5m"
    assert not out.exists() and not out.is_symlink()  # absent, not partial

    # A hard kill leaves Snakemake's lock behind (a Ctrl-C does not): unlock, then run again.
    snakemake(run_dir, "--unlock")
    snakemake(run_dir, "--cores", "2")
    assert digests(out) == digests(release)


def test_a_release_removed_by_hand_is_published_again(release, tmp_path):
    run_dir = shutil.copytree(release.parent.parent, tmp_path / "copy", symlinks=True)
    link = run_dir / "results" / "bioscan5m"
    link.unlink()
    assert dry_run_rules(run_dir, ROOT / "Snakefile") == {"publish", "all"}
    snakemake(run_dir, "--cores", "1")
    assert digests(link) == digests(release)
