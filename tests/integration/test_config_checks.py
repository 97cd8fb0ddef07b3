"""What a build says, before it runs anything, about a bad configuration or a changed input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.workflow import build, snakemake, write_config

pytestmark = pytest.mark.slow

EXPORT = (
    ROOT
    / "tests"
    / "data"
    / "real"
    / "bcdm"
    / "bcdm_BOLD_Public.21-Jun-2024_curated_NL_filtered.tsv"
)


def failure(run_dir: Path, *args: str) -> str:
    done = snakemake(run_dir, "--dry-run", *args, check=False)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_a_missing_input_file_is_named_before_anything_runs(tmp_path):
    write_config(tmp_path, {"input": {"files": ["nope.tsv"]}})
    assert "input.files[0]: no such file: nope.tsv" in failure(tmp_path)
    (tmp_path / "exports").mkdir()
    write_config(tmp_path, {"input": {"files": ["exports"]}})
    assert "input.files[0]: a directory, not a file: exports" in failure(tmp_path)


def test_a_misspelt_command_line_key_is_named_with_a_suggestion(tmp_path):
    write_config(tmp_path, {})
    text = failure(tmp_path, "--config", "shard=2")
    # The message alone ends the output: no traceback, no location inside the workflow's code.
    assert text.splitlines()[-2:] == [
        f"invalid configuration ({tmp_path / 'config.yaml'}, --config):",
        "  shard: unknown key; did you mean 'shards'? (from --config)",
    ]
    assert "common.smk" not in text and "Error" not in text


def test_nested_command_line_numbers_are_accepted(tmp_path):
    write_config(tmp_path, {})
    done = snakemake(tmp_path, "--dry-run", "--config", 'partition={"seeds": {"test": 2}}')
    assert done.returncode == 0


def test_a_config_file_value_is_not_blamed_on_the_command_line(tmp_path):
    """Snakemake folds --configfile values into its command-line overrides: an error in such a
    file names the file, and its quoted text stays text (a version "2" is no number)."""
    write_config(tmp_path, {})
    (tmp_path / "more.yaml").write_text('shards: 0\nrelease:\n  version: "2"\n')
    text = failure(tmp_path, "--configfile", str(tmp_path / "more.yaml"))
    assert text.splitlines()[-1] == "  shards: Input should be greater than or equal to 1, not 0"
    assert "--config" not in text and "release.version" not in text


def test_an_output_directory_with_foreign_files_is_refused(tmp_path):
    write_config(tmp_path, {"release": {"output_dir": "mine"}})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    assert "holds 1 files this pipeline did not write (e.g. mine/thesis.tex)" in failure(tmp_path)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "years of work"


def test_an_output_directory_linked_elsewhere_is_refused(tmp_path):
    write_config(tmp_path, {"release": {"output_dir": "results/bioscan5m"}})
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "bioscan5m").symlink_to(tmp_path)
    assert f"results/bioscan5m (a link to {tmp_path})" in failure(tmp_path)


def test_an_input_changed_behind_an_unchanged_mtime_reruns_ingest(tmp_path):
    export = tmp_path / "export.tsv"
    shutil.copy(EXPORT, export)
    build(tmp_path / "run", {"input": {"files": [str(export)]}})
    before = os.stat(export)
    lines = export.read_bytes().splitlines(keepends=True)
    export.write_bytes(b"".join(lines[:-1]))  # one record fewer
    os.utime(export, ns=(before.st_atime_ns, before.st_mtime_ns))
    done = snakemake(tmp_path / "run", "--dry-run", "--quiet", "rules")
    assert "ingest" in done.stdout + done.stderr
