"""Rule emit_metadata: the release's tables (CSV, Parquet, one Parquet file per split, changes,
rejects, issues), their statistics (CSV, Markdown) and the quality report, written into the
staging directory (rule publish makes them visible).

The release's files are put together from the fragments the emit_part jobs wrote, byte for
byte (curation/release/fragments.py), and its statistics computed from the fragments' counts
(docs/decisions.md "Statistics are counted where they are written").  Every file is checksummed
as it is written (the Croissant and MANIFEST rules take those checksums from the sidecar).
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from curation import console, io
from curation.release import fragments, manifest, report, stats
from curation.release import writers as release_writers
from schemas.tables import (
    CHANGES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    REJECTS_SCHEMA,
    SPLITS,
    conform,
)

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
#: The release's settings and inputs, and their digest (rule digest).
DIGEST = io.read_json(smk.input.digest)
#: Row order of each file, written into its metadata.
SORT_ORDER = {
    "release": release_writers.RELEASE_SORT_ORDER,
    "changes": "processid, rule (order of application), column (rank order)",
    "rejects": "source_file, source_line, processid, reason, detail",
    "issues": "source_file, source_line, processid, field, issue, detail",
}
TITLE = f"{smk.params.name} {smk.params.version}"


def metadata(table: str) -> dict[str, str]:
    return release_writers.parquet_metadata(
        name=smk.params.name,
        version=smk.params.version,
        config_digest=DIGEST["config_sha256"],
        sort_order=SORT_ORDER[table],
    )


def provenance_tables() -> dict[str, pl.DataFrame]:
    """The changes, rejects and issues tables as the release ships them."""
    return {
        "changes": conform(io.read_parquet(smk.input.changes), CHANGES_SCHEMA),
        "rejects": conform(io.read_parquet(smk.input.rejects), REJECTS_SCHEMA).sort(
            list(REJECTS_SCHEMA), nulls_last=True, maintain_order=True
        ),
        "issues": conform(io.read_parquet(smk.input.issues), INGEST_ISSUES_SCHEMA).sort(
            list(INGEST_ISSUES_SCHEMA), nulls_last=True, maintain_order=True
        ),
    }


def write_statistics_and_report(statistics: dict[str, pl.DataFrame], log) -> list[report.Check]:
    csv_paths = {name: smk.output[f"stats_{name}"] for name in statistics}
    release_writers.write_statistics(
        statistics, csv_paths, smk.output.stats, f"Statistics of {TITLE}"
    )
    summaries = {
        "ingest": io.read_json(smk.input.ingest_summary),
        "curation": io.read_json(smk.input.curation_summary),
        "partition": io.read_json(smk.input.partition_checks),
    }
    checks = report.release_checks(summaries, statistics)
    images = report.plots(statistics)
    for key, png in images.items():
        io.write_bytes(png, smk.output[f"plot_{key}"])
    page = report.render(
        title=f"Quality report: {TITLE}",
        tables=statistics,
        titles=stats.TABLES,
        checks=checks,
        config=DIGEST,
        summaries=summaries,
        images=images,
        links=getattr(smk.params, "links", ()),
        files=smk.params.files,
    )
    io.write_text(page, smk.output.report)
    failed = [c.name for c in checks if not c.passed]
    log.info(
        "%d statistics tables; %d checks, failed: %s",
        len(statistics),
        len(checks),
        failed or "none",
    )
    return checks


with io.rule_log(smk.log[0]) as log, ThreadPoolExecutor(max_workers=1) as pool:
    # the release files put together (linked, or copied and checksummed) while the statistics
    # and the report are computed
    pieces = [Path(p) for p in smk.input.fragments]
    joined = pool.submit(
        fragments.join,
        pieces,
        smk.output.csv,
        smk.output.parquet,
        {split: smk.output[f"split_{split}"] for split in SPLITS},
        metadata("release"),
    )
    counts = fragments.counts(pieces)
    tables = provenance_tables()
    statistics = stats.tables(counts, tables["changes"], tables["rejects"], tables["issues"])
    checks = write_statistics_and_report(statistics, log)
    provenance = []
    for name, table in tables.items():
        writer = release_writers.write_parquet(
            table,
            smk.output[name],
            row_group_size=smk.params.row_group_size,
            metadata=metadata(name),
        )
        provenance.append(manifest.written(smk.output[name], writer, table.height))
    measured = joined.result() + provenance
    manifest.save_measured(measured, smk.output.checksums)
    log.info(
        "release: %d records, %d label changes, %d rejects, %d issues",
        counts.rows(),
        *(t.height for t in tables.values()),
    )
    per_split = statistics["table3"].select("split", "rows").filter(pl.col("rows") > 0)
    for split, rows in per_split.iter_rows():
        log.info("  %s: %d", split, rows)
    failed = [c.name for c in checks if not c.passed]
    console.stage("release", console.release_line(counts.rows(), failed, len(checks)))
