"""Rule emit_metadata: assemble the release and write its tables (CSV, Parquet, one Parquet file
per split, changes, rejects, issues), their statistics (CSV, Markdown) and the quality report,
into the staging directory (rule publish makes them visible).

The release is in memory only here, so it is counted here (docs/decisions.md "Statistics are
counted where they are written").  The CSV, the Parquet file and the per-split files are written
in three threads meanwhile, each checksummed as it is written; the Croissant and MANIFEST rules
take those checksums from the sidecar.
"""

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from curation import console, io
from curation.release import assemble as emit
from curation.release import manifest, report, sidecars, stats
from curation.release import writers as release_writers
from schemas.tables import CHANGES_SCHEMA, INGEST_ISSUES_SCHEMA, REJECTS_SCHEMA, SPLITS, conform

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


def side_inputs(log) -> dict[str, pl.DataFrame]:
    """The derived fields of the configured side files (none configured: none)."""
    side = {}
    if smk.input.bioscan1m:
        side["bioscan1m_index"] = sidecars.bioscan1m_index(
            sidecars.read_bioscan1m_processids(smk.input.bioscan1m[0])
        )
        log.info("BIOSCAN-1M index: %d distinct processids", side["bioscan1m_index"].height)
    if smk.input.bounding_boxes:
        boxes = sidecars.read_bounding_boxes(smk.input.bounding_boxes[0])
        side["crop_measures"] = sidecars.crop_measures(boxes)
        log.info("bounding boxes: %d", boxes.height)
    return side


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


with io.rule_log(smk.log[0]) as log:
    try:
        release = emit.assemble(
            pl.scan_parquet(smk.input.records),
            pl.scan_parquet(smk.input.curated),
            pl.scan_parquet(smk.input.splits),
            pl.scan_parquet(smk.input.barcodes),
            **side_inputs(log),
        )
    except (emit.ReleaseError, sidecars.SideFileError) as err:
        console.stop(log, str(err))
    row_group_size = smk.params.row_group_size

    def write_release_csv() -> list[manifest.Entry]:
        writer = release_writers.write_csv(release, smk.output.csv)
        return [manifest.written(smk.output.csv, writer, release.height)]

    def write_release_parquet() -> list[manifest.Entry]:
        writer = release_writers.write_parquet(
            release,
            smk.output.parquet,
            row_group_size=row_group_size,
            metadata=metadata("release"),
            group_by="split",
        )
        return [manifest.written(smk.output.parquet, writer, release.height)]

    def write_split_parquets() -> list[manifest.Entry]:
        """One file per split, every split even if empty (the release is in split order)."""
        counts = dict(release.group_by("split").len().iter_rows())
        written, start = [], 0
        for split in SPLITS:
            part = release.slice(start, counts.get(split, 0))
            start += part.height
            path = smk.output[f"split_{split}"]
            writer = release_writers.write_parquet(
                part,
                path,
                row_group_size=row_group_size,
                metadata={**metadata("release"), "split": split},
            )
            written.append(manifest.written(path, writer, part.height))
        return written

    tables = provenance_tables()
    writers = (write_release_csv, write_release_parquet, write_split_parquets)
    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        writes = [pool.submit(write) for write in writers]
        statistics = stats.compute(release, tables["changes"], tables["rejects"], tables["issues"])
        checks = write_statistics_and_report(statistics, log)
        measured = [entry for write in writes for entry in write.result()]
    for name, table in tables.items():
        writer = release_writers.write_parquet(
            table, smk.output[name], row_group_size=row_group_size, metadata=metadata(name)
        )
        measured.append(manifest.written(smk.output[name], writer, table.height))
    manifest.save_measured(measured, smk.output.checksums)
    log.info(
        "release: %d records, %d label changes, %d rejects, %d issues",
        release.height,
        *(t.height for t in tables.values()),
    )
    for split, rows in release.group_by("split").len().sort("split").iter_rows():
        log.info("  %s: %d", split, rows)
    failed = [c.name for c in checks if not c.passed]
    console.stage("release", console.release_line(release.height, failed, len(checks)))
