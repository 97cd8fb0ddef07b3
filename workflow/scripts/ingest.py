"""Rule ingest: the parts' runs -> records, barcode sequences, labels, rejects, issues, a summary.

When no record is released the rule stops, saying why, and writes nothing.  The inputs are
checksummed for the MANIFEST while the records are assembled (docs/decisions.md "Checksums where
the bytes are").
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from curation import console, io
from curation.ingest.gather import NothingReleased, gather
from curation.release import manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

paths = list(smk.input.exports)
outputs = {key: smk.output[key] for key in ("records", "barcodes", "labels", "rejects", "issues")}
with io.rule_log(smk.log[0]) as log, ThreadPoolExecutor(max_workers=1) as pool:
    checksums = pool.submit(lambda: [manifest.measure(path) for path in paths])
    try:
        summary = gather(
            [Path(part) for part in smk.input.parts],
            paths,
            smk.params.target_marker,
            smk.params.scope,
            smk.params.memory_gb,
            outputs,
        )
    except NothingReleased as err:
        # An empty release helps no one: stop here, saying why, rather than write one.
        console.stop(log, str(err))
    io.write_json(summary, smk.output.summary)
    manifest.save_measured(checksums.result(), smk.output.checksums)
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
