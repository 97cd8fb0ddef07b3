"""Rule ingest: raw exports -> records, barcode sequences, labels, rejects, issues, a summary.

An input that cannot be read at all (IngestError) stops the rule with one line naming file, line
and field (the build prints it last), and no output is written.  The inputs are checksummed for the MANIFEST
while the records are assembled (docs/decisions.md "Checksums where the bytes are").
"""

from concurrent.futures import ThreadPoolExecutor

from curation import console, io
from curation.ingest.assemble import assemble
from curation.ingest.codes import IngestError, nothing_released
from curation.ingest.read import read_exports
from curation.release import manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

paths = list(smk.input.exports)
marker = smk.params.target_marker
with io.rule_log(smk.log[0]) as log, ThreadPoolExecutor(max_workers=1) as pool:
    try:
        exports = read_exports(paths, marker)
    except IngestError as err:
        console.stop(log, str(err))
    checksums = pool.submit(lambda: [manifest.measure(path) for path in paths])
    result = assemble(exports, marker, scope=smk.params.scope)
    if result.summary["released"] == 0:
        # An empty release helps no one: stop here, saying why, rather than write one.
        console.stop(log, f"no record was released: {nothing_released(result.summary)}")
    io.write_parquet(result.records, smk.output.records)
    io.write_parquet(result.barcodes, smk.output.barcodes)
    io.write_parquet(result.labels, smk.output.labels)
    io.write_parquet(result.rejects, smk.output.rejects)
    io.write_parquet(result.issues, smk.output.issues)
    io.write_json(result.summary, smk.output.summary)
    manifest.save_measured(checksums.result(), smk.output.checksums)
    summary = result.summary
    console.stage("ingest", console.ingest_line(summary))
    log.info(
        "%d rows read = %d released + %d rejected; %d barcode keys",
        summary["rows_read"],
        summary["released"],
        summary["rejected"],
        summary["barcode_keys"],
    )
    for entry in summary["files"]:
        log.info(
            "  %s (%s, %d columns): %d rows",
            entry["path"],
            entry["layout"],
            entry["columns"],
            entry["rows_read"],
        )
    for reason, count in summary["rejects"].items():
        log.info("  rejected %s: %d", reason, count)
    for code, count in summary["issues"].items():
        log.info("  issue %s: %d", code, count)
