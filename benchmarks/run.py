"""Benchmark a full release rebuild: raw TSV -> every release file.

Generates a BCDM export with the pipeline's generator (cached under benchmarks/cache/), runs the
Snakemake workflow on it in a fresh work directory, and prints per-rule start, wall time and max RSS
(from each rule's ``benchmark:`` file) plus end-to-end figures: wall time, the CPU time of the
whole build, and its true peak RSS (the largest process, as the kernel counts it: Snakemake samples
a job's memory every 0.5 s and can miss a short peak).  Several ``--records`` values give a growth
table.

    python benchmarks/run.py                          # 5,150,850 records (BIOSCAN-5M size)
    python benchmarks/run.py --records 500000 1000000 2500000 5150850
    python benchmarks/run.py --records 1000000 --shards 4
    python benchmarks/run.py --records 1000000 --until ingest --memory-gb 3
    python benchmarks/run.py --code /tmp/base   # another checkout's pipeline (A/B comparisons)
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
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
            [
                sys.executable,
                "-m",
                "curation.synthetic",
                "--records",
                str(records),
                "--seed",
                str(seed),
                "--out",
                str(partial),
            ],
            check=True,
            cwd=ROOT,
        )
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


@dataclass(frozen=True)
class Build:
    wall: float  # seconds, the whole snakemake command
    cpu: float  # user + system seconds of every process of the build
    peak_rss_mb: float  # the largest process's peak resident set, MiB
    started: float  # time.time() at the start


#: Targets short of the whole build (``--until``): the stage's last output.
UNTIL = {"all": "", "ingest": "results/work/ingest/summary.json"}


def run_workflow(
    export: Path,
    run_dir: Path,
    shards: int,
    cores: int,
    code: Path = ROOT,
    until: str = "all",
    memory_gb: float | None = None,
) -> Build:
    """Build a release (or up to the stage ``until``) from ``export`` in ``run_dir`` with the
    pipeline checked out at ``code``; its wall time, CPU time and peak RSS."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    config = {"input": {"files": [str(export)]}, "shards": shards}
    if memory_gb is not None:
        config["memory_gb"] = memory_gb
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    command = [
        "snakemake",
        "--snakefile",
        str(code / "Snakefile"),
        "--directory",
        str(run_dir),
        "--configfile",
        str(run_dir / "config.yaml"),
        "--cores",
        str(cores),
        *([UNTIL[until]] if UNTIL[until] else []),  # before --quiet, which takes a list
        "--quiet",
        "all",
    ]
    environment = {**os.environ, "PYTHONPATH": str(code)}
    log = run_dir / "snakemake.log"
    start = time.perf_counter()
    started = time.time()
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
        # wait4 reports the resources of the whole process tree (Linux: ru_maxrss is the
        # largest descendant's peak, in KiB).
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    # A checkout older than --until's support fails in its closing summary (no release to
    # summarise) after building the target: the target is what counts.
    built = until != "all" and (run_dir / UNTIL[until]).is_file()
    if process.returncode != 0 and not built:
        sys.exit(f"workflow failed in {run_dir}:\n{log.read_text()[-4000:]}")
    return Build(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, started)


def rule_benchmarks(run_dir: Path, started: float) -> list[tuple[str, float, float, float]]:
    """(rule[/shard], start s after ``started`` (a time.time()), wall s, max RSS MB) from the
    Snakemake benchmark files, in start order.  A job's start is its benchmark file's mtime
    (written when the job ends) less its wall time."""
    rows = []
    for path in (run_dir / "results" / "work" / "benchmarks").rglob("*.tsv"):
        with path.open() as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        name = str(path.relative_to(run_dir / "results" / "work" / "benchmarks").with_suffix(""))
        rss = float(record["max_rss"]) if record["max_rss"] not in ("-", "NA") else float("nan")
        seconds = float(record["s"])
        rows.append((name, path.stat().st_mtime - seconds - started, seconds, rss))
    return sorted(rows, key=lambda row: (round(row[1], 1), row[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[5_150_850])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--runs", type=Path, default=CACHE / "runs")
    parser.add_argument("--code", type=Path, default=ROOT, help="the pipeline checkout to run")
    parser.add_argument("--until", choices=sorted(UNTIL), default="all", help="stop after")
    parser.add_argument("--memory-gb", type=float, default=None, help="config memory_gb")
    args = parser.parse_args()

    growth = []
    for records in args.records:
        export = generated_export(records, args.seed)
        run_dir = args.runs / f"{records}_shards{args.shards}"
        build = run_workflow(
            export, run_dir, args.shards, args.cores, args.code, args.until, args.memory_gb
        )
        print(
            f"\n## {records:,} records, shards={args.shards}, cores={args.cores}, "
            f"until {args.until}, code {args.code}, memory_gb {args.memory_gb or 'default'}"
        )
        print(f"{'rule':<28}{'start s':>9}{'wall s':>9}{'max RSS MiB':>13}  (Snakemake's samples)")
        for name, start, seconds, rss in rule_benchmarks(run_dir, build.started):
            print(f"{name:<28}{start:>9.1f}{seconds:>9.1f}{rss:>13.0f}")
        print(
            f"{'end-to-end':<28}{0:>9.1f}{build.wall:>9.1f}{build.peak_rss_mb:>13.0f}  (true peak)"
        )
        size = export.stat().st_size / 2**30
        print(f"CPU {build.cpu:.1f} s (user + system); input {size:.2f} GiB")
        growth.append((records, build))

    if len(growth) > 1:
        print("\n## growth")
        print(f"{'records':>12}{'wall s':>10}{'CPU s':>10}{'peak RSS MiB':>14}{'records/s':>12}")
        for records, build in growth:
            print(
                f"{records:>12,}{build.wall:>10.1f}{build.cpu:>10.1f}{build.peak_rss_mb:>14.0f}"
                f"{records / build.wall:>12,.0f}"
            )


if __name__ == "__main__":
    main()
