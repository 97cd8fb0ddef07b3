"""Rule emit_metadata: assemble the release and write its tables (CSV, Parquet, one Parquet file
per split, changes, rejects, issues), their statistics (CSV, Markdown) and the quality report,
into the staging directory (rule publish makes them visible).

The release is put together in parts whose size follows ``memory_gb`` (curation/release/parts.py)
from the spill files of emit_rows and emit_barcodes.  Each part is appended to the CSV and to its
split's Parquet file in two threads; each finished split file's row groups are copied into the
full Parquet file, whose footer is assembled from theirs (each row group is encoded once).  Every
file is checksummed as it is written (the Croissant and MANIFEST rules take those checksums from
the sidecar), and each part is counted for the statistics (docs/decisions.md "Statistics are
counted where they are written").
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from curation import console, io
from curation.release import assemble as emit
from curation.release import manifest, parts, report, sidecars, stats
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
    "release": f"split (release order: {', '.join(SPLITS)}), processid",
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


def release_parts(log) -> Iterator[pl.DataFrame]:
    """The release in parts, in release order, from the spill files of emit_rows and
    emit_barcodes; assembled here in one piece if the inputs are not row-aligned (that assembly
    names the mismatch, or sorts inputs from another producer)."""
    row_group_size = smk.params.row_group_size
    inputs = parts.Inputs(
        records=smk.input.records,
        curated=smk.input.curated,
        splits=smk.input.splits,
        barcodes=smk.input.barcodes,
    )
    plan = parts.make_plan(inputs, smk.params.memory_gb, row_group_size)
    if plan is not None:
        spilled = parts.Spilled(
            plan,
            [Path(p) for p in smk.input.spilled_rows],
            [Path(p) for p in smk.input.spilled_barcodes],
        )
        if spilled.aligned:
            log.info("release in %d parts (memory_gb %s)", len(plan.parts), smk.params.memory_gb)
            return (spilled.read(part) for part in plan.parts)
    log.info("inputs not row-aligned: the release is assembled in one piece")
    sides = sidecars.derived_fields(
        next(iter(smk.input.bioscan1m), None), next(iter(smk.input.bounding_boxes), None)
    )
    release = emit.assemble(
        pl.scan_parquet(smk.input.records),
        pl.scan_parquet(smk.input.curated),
        pl.scan_parquet(smk.input.splits),
        pl.scan_parquet(smk.input.barcodes),
        **sides,
    )
    return parts.in_memory_parts(release, parts.part_rows(smk.params.memory_gb, row_group_size))


def write_release(pieces: Iterator[pl.DataFrame]) -> tuple[list[manifest.Entry], stats.Counts]:
    """Write each part to the release files (curation/release/writers.py ``release_files``: the
    CSV and the split's Parquet file side by side, the full Parquet file from the split files'
    bytes), counting it for the statistics meanwhile; the files' manifest entries and the
    counts of the whole release."""
    tally = stats.Tally()
    with (
        release_writers.release_files(
            smk.output.csv,
            smk.output.parquet,
            {split: smk.output[f"split_{split}"] for split in SPLITS},
            row_group_size=smk.params.row_group_size,
            metadata=metadata("release"),
        ) as files,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        for part in prefetched(pieces, pool):
            counted = pool.submit(tally.add, part)
            files.write(part)
            counted.result()
    return [manifest.written(path, out, rows) for path, out, rows in files.written], tally.total()


def prefetched(pieces: Iterator[pl.DataFrame], pool: ThreadPoolExecutor) -> Iterator[pl.DataFrame]:
    """``pieces``, each next one put together in ``pool`` while the current one is written."""
    coming = pool.submit(next, pieces, None)
    while (piece := coming.result()) is not None:
        coming = pool.submit(next, pieces, None)
        yield piece


with io.rule_log(smk.log[0]) as log:
    try:
        measured, counts = write_release(release_parts(log))
    except (emit.ReleaseError, sidecars.SideFileError) as err:
        console.stop(log, str(err))
    tables = provenance_tables()
    statistics = stats.tables(counts, tables["changes"], tables["rejects"], tables["issues"])
    checks = write_statistics_and_report(statistics, log)
    for name, table in tables.items():
        writer = release_writers.write_parquet(
            table,
            smk.output[name],
            row_group_size=smk.params.row_group_size,
            metadata=metadata(name),
        )
        measured.append(manifest.written(smk.output[name], writer, table.height))
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
