"""Rule ingest: raw exports -> records, labels, rejects, issues and a summary."""

import sys

from curation import io
from curation.ingest import ingest
from curation.ingest_codes import IngestError

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    try:
        result = ingest(list(snakemake.input.exports), snakemake.params.target_marker)  # noqa: F821
    except IngestError as err:
        # Bad input is a finding about a file, not a crash: one line naming file, line and
        # field, no traceback, and no output, so nothing downstream runs on a partial table.
        log.error("%s", err)
        sys.exit(f"ingest failed: {err}")
    io.write_parquet(result.records, snakemake.output.records)  # noqa: F821
    io.write_parquet(result.labels, snakemake.output.labels)  # noqa: F821
    io.write_parquet(result.rejects, snakemake.output.rejects)  # noqa: F821
    io.write_parquet(result.issues, snakemake.output.issues)  # noqa: F821
    io.write_json(result.summary, snakemake.output.summary)  # noqa: F821
    log.info("%d records released, %d rows rejected", result.records.height, result.rejects.height)
