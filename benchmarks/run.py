"""Benchmark a full release rebuild: raw TSV -> every release file.

Generates a BCDM export with the pipeline's generator (cached under benchmarks/cache/), runs the
Snakemake workflow on it in a fresh work directory, and prints per-rule wall time and peak RSS
(from each rule's ``benchmark:`` file) plus end-to-end figures.  Several ``--records`` values give a
growth table.

    python benchmarks/run.py                          # 5,150,850 records (BIOSCAN-5M size)
    python benchmarks/run.py --records 500000 1000000 2500000 5150850
    python benchmarks/run.py --records 1000000 --shards 4
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / "cache"


def generated_export(records: int, seed: int) -> Path:
    """The generator's export for (records, seed), made once and reused."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"bcdm_{records}_{seed}.tsv"
    if not path.exists():
        start = time.perf_counter()
        partial = path.with_suffix(".partial")
        subprocess.run(
            [sys.executable, "-m", "curation.synthetic", "--records", str(records),
             "--seed", str(seed), "--out", str(partial)],
            check=True, cwd=ROOT,
        )
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def run_workflow(export: Path, run_dir: Path, shards: int, cores: int) -> float:
    """Build a release from ``export`` in ``run_dir``; return its end-to-end wall seconds."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    config = {"input": {"files": [str(export)]}, "shards": shards}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    command = [
        "snakemake", "--snakefile", str(ROOT / "Snakefile"),
        "--directory", str(run_dir), "--configfile", str(run_dir / "config.yaml"),
        "--cores", str(cores), "--quiet", "all",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"workflow failed in {run_dir}:\n{done.stderr[-4000:]}")
    return wall


def rule_benchmarks(run_dir: Path) -> list[tuple[str, float, float]]:
    """(rule[/shard], seconds, max RSS MB) from the Snakemake benchmark files, in file order."""
    rows = []
    for path in sorted((run_dir / "results" / "work" / "benchmarks").rglob("*.tsv")):
        with path.open() as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        name = str(path.relative_to(run_dir / "results" / "work" / "benchmarks").with_suffix(""))
        rss = float(record["max_rss"]) if record["max_rss"] not in ("-", "NA") else float("nan")
        rows.append((name, float(record["s"]), rss))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[5_150_850])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=Path, default=CACHE / "runs")
    args = parser.parse_args()

    growth = []
    for records in args.records:
        export = generated_export(records, args.seed)
        run_dir = args.runs / f"{records}_shards{args.shards}"
        wall = run_workflow(export, run_dir, args.shards, args.cores)
        rules = rule_benchmarks(run_dir)
        print(f"\n## {records:,} records, shards={args.shards}, cores={args.cores}")
        print(f"{'rule':<28}{'wall s':>10}{'max RSS MB':>12}")
        for name, seconds, rss in rules:
            print(f"{name:<28}{seconds:>10.1f}{rss:>12.0f}")
        peak_rule = max((rss for _, _, rss in rules), default=float("nan"))
        print(f"{'end-to-end':<28}{wall:>10.1f}{peak_rule:>12.0f}  (max over rules)")
        print(f"input {export.stat().st_size / 2**30:.2f} GiB")
        growth.append((records, wall, peak_rule))

    if len(growth) > 1:
        print("\n## growth")
        print(f"{'records':>12}{'wall s':>10}{'peak RSS MB':>13}{'records/s':>12}")
        for records, wall, rss in growth:
            print(f"{records:>12,}{wall:>10.1f}{rss:>13.0f}{records / wall:>12,.0f}")


if __name__ == "__main__":
    main()
