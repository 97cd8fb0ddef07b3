"""Running the Snakemake workflow from tests: a config in a directory, a build, its release
files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import ROOT


def snakemake(run_dir: Path, *args: str, snakefile: Path = ROOT / "Snakefile", check: bool = True):
    """Run snakemake on ``run_dir/config.yaml`` with ``run_dir`` as working directory."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile),
        "--directory",
        str(run_dir),
        "--configfile",
        str(run_dir / "config.yaml"),
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        output = f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{output}")
    return done


def write_config(run_dir: Path, config: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))


def build(run_dir: Path, config: dict, cores: int = 2, release: str = "results/bioscan5m") -> Path:
    """Build a release from ``config``; return the release directory (``release`` in it)."""
    write_config(run_dir, config)
    snakemake(run_dir, "--cores", str(cores))
    return run_dir / release


def digests(release: Path) -> dict[str, str]:
    """sha256 of every file under ``release``, keyed by relative path."""
    return {
        str(path.relative_to(release)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }
