"""A rebuild killed inside any of its rules: a reader of ``release.output_dir`` sees the previous
release or the new one, each whole (its MANIFEST verifies every file), and running the build again
gives the release an uninterrupted rebuild gives.

The kills come from tests/faults/sitecustomize.py: an audit hook in the rule's script kills the
whole build with SIGKILL just before one of its file-system changes.  The rebuild is the one a
version change causes (every emit rule and publish re-run); it starts from two published
versions, so that publishing the third also removes the oldest.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from curation.release import manifest, publish
from curation.wiring import Layout
from tests.support import ROOT
from tests.workflow import digests, snakemake, write_config

pytestmark = pytest.mark.slow

CONFIG = {"input": {"generator": {"records": 2000, "seed": 11}}, "shards": 1}
FAULTS = ROOT / "tests" / "faults"
RELEASE = "results/bioscan5m"
#: The rules a version change re-runs, in order; a kill is tried at the middle one of each emit
#: rule's file-system changes, and at every step of publish that changes what a reader can see.
#: (emit_barcodes only writes new files into its own temporary directory: no change to kill at.)
EMIT_RULES = (
    "digest",
    "emit_rows",
    "emit_part",
    "emit_metadata",
    "emit_card",
    "emit_croissant",
    "emit_manifest",
)
PUBLISH_STEPS = frozenset({"os.rename", "os.symlink", "shutil.rmtree"})


def configure(run_dir: Path, version: str) -> None:
    write_config(run_dir, {**CONFIG, "release": {"version": version}})


def run(run_dir: Path, *args: str, **faults: str) -> subprocess.CompletedProcess:
    """Snakemake on ``run_dir`` with the fault hook loaded and ``faults`` as its settings."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(FAULTS), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **{f"CURATION_KILL_{key.upper()}": value for key, value in faults.items()},
    }
    command = [
        *(sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")),
        *("--directory", str(run_dir), "--configfile", str(run_dir / "config.yaml")),
        *("--cores", "2", *args),
    ]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the hook kills that group
    )
    out, _ = process.communicate(timeout=600)
    return subprocess.CompletedProcess(command, process.returncode, out)


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """The starting state (versions 0.1.0 and 0.1.1 published), the same rebuilt to 0.2.0
    without interruption (with the changes each rule made), and the same with everything but
    publish done."""
    base = tmp_path_factory.mktemp("faults")
    start = base / "start"
    for version in ("0.1.0", "0.1.1"):
        configure(start, version)
        snakemake(start, "--cores", "2")
    rebuilt = copy(start, base / "rebuilt")
    configure(rebuilt, "0.2.0")
    counts = base / "counts"
    done = run(rebuilt, mark=str(counts))
    assert done.returncode == 0, done.stdout[-3000:]
    changes: dict[str, Counter] = {}
    for line in counts.read_text().splitlines():
        rule, event, n = line.split()
        changes.setdefault(rule, Counter())[event] += int(n)
    staged = copy(start, base / "staged")
    configure(staged, "0.2.0")
    assert run(staged, "--omit-from", "publish").returncode == 0
    old, new = digests(start / RELEASE), digests(rebuilt / RELEASE)
    assert len(old) == len(new) == len(Layout("w", "r", "s").release_files()) and old != new
    return {"start": start, "staged": staged, "old": old, "new": new, "changes": changes}


def copy(source: Path, destination: Path) -> Path:
    """A copy of a build directory (links copied as links, so the release stays published)."""
    shutil.copytree(source, destination, symlinks=True)
    return destination


def kill_and_resume(states, tmp_path: Path, start: str, rule: str, events: frozenset, at: int):
    """Rebuild a copy of state ``start`` to 0.2.0, killed in ``rule`` before its change ``at``
    among ``events``; check what a reader sees then, resume, check the result."""
    run_dir = copy(states[start], tmp_path / f"{rule}-{'-'.join(sorted(events))}-{at}")
    configure(run_dir, "0.2.0")
    mark = tmp_path / f"{run_dir.name}.killed"
    done = run(run_dir, rule=rule, at=str(at), events=",".join(sorted(events)), mark=str(mark))
    assert mark.is_file(), f"the build was not killed in {rule}:\n{done.stdout[-2000:]}"
    assert done.returncode in (-signal.SIGKILL, 1), done.stdout[-2000:]
    release = run_dir / RELEASE
    seen = digests(release)
    assert seen in (states["old"], states["new"]), f"a mixed release after {mark.read_text()}"
    assert manifest.verify(release) == []
    snakemake(run_dir, "--unlock")
    snakemake(run_dir, "--cores", "2")
    assert digests(release) == states["new"]
    assert manifest.verify(release) == []
    versions = sorted(p.name for p in publish.versions_dir(release).iterdir())
    assert [v.split("-")[0] for v in versions] == ["0.1.1", "0.2.0"], versions
    assert publish.previous(release).name.startswith("0.1.1-")
    assert publish.foreign(release) == []


@pytest.mark.parametrize("rule", EMIT_RULES)
def test_a_rebuild_killed_inside_an_emit_rule(states, tmp_path, rule):
    changes = states["changes"][rule]
    middle = math.ceil(changes.total() / 2)
    kill_and_resume(states, tmp_path, "start", rule, frozenset(changes), middle)


#: What publishing does that a reader could see, in order: rename the assembled version into
#: place; point the previous link at the current version (new link, rename over); point the
#: release link at the new version (new link, rename over); remove the oldest version (rename,
#: remove the tree); the rule script then records the publication (rename).
PUBLISH_STEP_COUNT = 8


def test_publishing_takes_the_steps_the_kills_are_tried_at(states):
    steps = states["changes"]["publish"]
    assert sum(steps[event] for event in PUBLISH_STEPS) == PUBLISH_STEP_COUNT, steps


@pytest.mark.parametrize("at", range(1, PUBLISH_STEP_COUNT + 1))
def test_a_rebuild_killed_inside_publish(states, tmp_path, at):
    kill_and_resume(states, tmp_path, "staged", "publish", PUBLISH_STEPS, at)
