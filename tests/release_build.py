"""A release built and published by the emit rule scripts from constructed emit inputs.

The scripts run as Snakemake runs them (``tests/scripts.py``), from a build root that holds
``results/``, with the default configuration; the upstream stages' outputs are frames that conform
to their schemas (``tests/release_frames.py``), written where those stages leave them.  The
release is built in the staging directory and published at ``release.output_dir``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import polars as pl

from curation import io
from curation.release import manifest
from curation.release.stats import TABLES as STATS_TABLES
from curation.wiring import (
    PLOT_FILES,
    SPLIT_FILES,
    STATISTICS_FILES,
    SUMMARY_FILES,
    TABLE_FILES,
    Layout,
    rule_params,
)
from schemas.config import load_config
from tests.scripts import run_rule_script
from tests.support import ROOT, staged_in

CFG = load_config({})
L = Layout(work=CFG.release.work_dir, release=CFG.release.output_dir, stem=CFG.release.file_stem)
RELEASE_FILES = L.release_files()
STAGED_FILES = L.staged_files()
W, R = CFG.release.work_dir, CFG.release.output_dir
#: The upstream stages' tables emit_metadata reads.
UPSTREAM = ("records", "barcodes", "curated", "splits", "changes", "rejects", "issues")


def run_script(rule: str, inputs: dict, outputs: dict) -> None:
    """Run a rule's script with the default configuration's params."""
    run_rule_script(rule, inputs, outputs, log=L.log(rule), cfg=CFG)


def write_inputs(inputs: dict[str, pl.DataFrame]) -> None:
    """The upstream stages' outputs, as they would leave them under the work directory."""
    for name in UPSTREAM:
        io.write_parquet(inputs[name], L.work_file(name))
    released, rejected = inputs["records"].height, inputs["rejects"].height
    io.write_json(
        {"rows_read": released + rejected, "released": released}, L.work_file("ingest_summary")
    )
    io.write_json({"records": inputs["curated"].height}, L.work_file("curation_summary"))
    io.write_json(
        {
            "invariants": [{"name": "one_split_per_row", "passed": True, "violations": 0}],
            "records": released,
        },
        L.work_file("partition_checks"),
    )
    Path(L.work_file("export")).parent.mkdir(parents=True, exist_ok=True)
    Path(L.work_file("export")).write_text("processid\tmarker_code\nSYN000000-24\tCOI-5P\n")
    manifest.save_measured(
        [manifest.measure(L.work_file("export"))], L.work_file("input_checksums")
    )


def build(root: Path, inputs: dict[str, pl.DataFrame]) -> None:
    """Build a release under ``root/results`` from ``inputs`` exactly as the emit rules do."""
    root.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(root), staged_in(f"{W}/.staging"):
        write_inputs(inputs)
        tables = {key: STAGED_FILES[key] for key in TABLE_FILES}
        checksums = L.work_file("metadata_checksums")
        digest = {"digest": L.work_file("digest")}
        run_script(
            "digest",
            {
                "exports": [L.work_file("export")],
                "input_checksums": L.work_file("input_checksums"),
                "corrections": [str(ROOT / "resources" / "corrections.tsv")],
                "bioscan1m": [],
                "bounding_boxes": [],
                "compared": [],
                "previous_release": [],
            },
            digest,
        )
        emit_inputs = {
            key: L.work_file(key) for key in ("records", "curated", "splits", "barcodes")
        }
        spilled = {
            rule: L.shard_file(rule).format(scatteritem="1-of-1")
            for rule in ("emit_rows", "emit_barcodes", "emit_part")
        }
        shard = {**rule_params(CFG, "emit_rows"), "shard": "1-of-1"}
        run_rule_script(
            "emit_rows",
            {**emit_inputs, "bioscan1m": [], "bounding_boxes": []},
            {"rows": spilled["emit_rows"]},
            log=L.log("emit_rows/1-of-1"),
            params=shard,
        )
        run_rule_script(
            "emit_barcodes",
            emit_inputs,
            {"barcodes": spilled["emit_barcodes"]},
            log=L.log("emit_barcodes/1-of-1"),
            params=shard,
        )
        run_rule_script(
            "emit_part",
            {
                **emit_inputs,
                **digest,
                "spilled_rows": [spilled["emit_rows"]],
                "spilled_barcodes": [spilled["emit_barcodes"]],
                "bioscan1m": [],
                "bounding_boxes": [],
            },
            {"fragment": spilled["emit_part"]},
            log=L.log("emit_part/1-of-1"),
            params={**rule_params(CFG, "emit_part"), "shard": "1-of-1"},
        )
        run_script(
            "emit_metadata",
            {
                "fragments": [spilled["emit_part"]],
                **digest,
                **{key: L.work_file(key) for key in UPSTREAM + SUMMARY_FILES},
            },
            {
                **tables,
                **{key: STAGED_FILES[key] for key in STATISTICS_FILES},
                **{key: L.work_file(key) for key in PLOT_FILES},
                "checksums": checksums,
            },
        )
        statistics = {f"stats_{name}": STAGED_FILES[f"stats_{name}"] for name in STATS_TABLES}
        splits = {key: STAGED_FILES[key] for key in SPLIT_FILES}
        run_script(
            "emit_card",
            {**statistics, **splits, **digest, "checksums": checksums},
            {"card": STAGED_FILES["card"]},
        )
        run_script(
            "emit_croissant",
            {**tables, **statistics, **digest, "checksums": checksums},
            {"croissant": STAGED_FILES["croissant"]},
        )
        release = [v for k, v in STAGED_FILES.items() if k != "manifest"]
        run_script(
            "emit_manifest",
            {
                "release": release,
                **digest,
                "measured": [checksums, L.work_file("input_checksums")],
            },
            {"manifest": STAGED_FILES["manifest"]},
        )
        run_script(
            "publish",
            {"release": release, "manifest": STAGED_FILES["manifest"]},
            {"published": L.work_file("published")},
        )
