"""Rule emit_metadata: assemble the release; write its CSV, Parquet and provenance tables, and
compute its statistics.

The release is in memory only here, so this is where it is counted (emit_stats formats the
tables).  The CSV (4 GB at 5 M records) and the Parquet file (bound by zstd) are written side by
side in two threads while the statistics are computed, and each file is checksummed while it is
written; the Croissant and MANIFEST rules take those checksums from the sidecar.
"""

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from curation import io
from curation.release import assemble as emit
from curation.release import manifest, sidecars, stats
from curation.release import writers as release_writers
from schemas.tables import CHANGES_SCHEMA, INGEST_ISSUES_SCHEMA, REJECTS_SCHEMA, SPLITS, conform

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
CONFIG_SHA256 = io.read_json(smk.input.digest)["config_sha256"]
#: Row order of each file, written into its metadata.
SORT_ORDER = {
    "release": f"split (release order: {', '.join(SPLITS)}), processid",
    "changes": "processid, rule (order of application), column (rank order)",
    "rejects": "source_file, source_line, processid, reason, detail",
    "issues": "source_file, source_line, processid, field, issue, detail",
}


def metadata(table: str) -> dict[str, str]:
    return release_writers.parquet_metadata(
        name=smk.params.name,
        version=smk.params.version,
        config_digest=CONFIG_SHA256,
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
        log.error("%s", err)
        raise SystemExit(f"emit_metadata: {err}") from None
    row_group_size = smk.params.row_group_size

    def write_release_csv() -> manifest.Entry:
        writer = release_writers.write_csv(release, smk.output.csv)
        return manifest.written(smk.output.csv, writer, release.height)

    def write_release_parquet() -> manifest.Entry:
        writer = release_writers.write_parquet(
            release, smk.output.parquet, row_group_size=row_group_size, metadata=metadata("release")
        )
        return manifest.written(smk.output.parquet, writer, release.height)

    tables = {
        "changes": conform(io.read_parquet(smk.input.changes), CHANGES_SCHEMA),
        "rejects": conform(io.read_parquet(smk.input.rejects), REJECTS_SCHEMA).sort(
            list(REJECTS_SCHEMA), nulls_last=True, maintain_order=True
        ),
        "issues": conform(io.read_parquet(smk.input.issues), INGEST_ISSUES_SCHEMA).sort(
            list(INGEST_ISSUES_SCHEMA), nulls_last=True, maintain_order=True
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        writes = [pool.submit(write_release_csv), pool.submit(write_release_parquet)]
        statistics = stats.compute(release, tables["changes"], tables["rejects"], tables["issues"])
        measured = [write.result() for write in writes]
    for name, table in statistics.items():
        io.write_parquet(table, smk.output[f"stats_{name}"])
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
