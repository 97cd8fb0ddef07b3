"""Rule ingest: raw exports -> records, labels, rejects, issues and a summary.

An input that cannot be read at all (IngestError) stops the rule with one line on stderr naming
file, line and field, and no output is written.
"""

import sys

from curation import io
from curation.ingest import ingest
from curation.ingest_codes import IngestError

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    try:
        result = ingest(list(snakemake.input.exports), snakemake.params.target_marker)  # noqa: F821
    except IngestError as err:
        log.error("%s", err)
        print(f"ingest: {err}", file=sys.stderr)
        sys.exit(1)
    io.write_parquet(result.records, snakemake.output.records)  # noqa: F821
    io.write_parquet(result.labels, snakemake.output.labels)  # noqa: F821
    io.write_parquet(result.rejects, snakemake.output.rejects)  # noqa: F821
    io.write_parquet(result.issues, snakemake.output.issues)  # noqa: F821
    io.write_json(result.summary, snakemake.output.summary)  # noqa: F821
    summary = result.summary
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
