"""Rule ingest_part: one byte range of one input -> sorted runs, rejects, issues, samples.

An input that cannot be read at all (IngestError) stops the rule with one line naming file, line
and field (the build prints it last).
"""

from pathlib import Path

from curation import console, io
from curation.ingest.codes import IngestError
from curation.ingest.parse import parse_part, part_of

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

file, part = part_of(smk.wildcards.part)
with io.rule_log(smk.log[0]) as log:
    try:
        meta = parse_part(
            smk.input.export,
            file,
            part,
            smk.params.parts,
            smk.params.target_marker,
            smk.params.memory_gb,
            Path(smk.output.part),
        )
    except IngestError as err:
        console.stop(log, str(err))
    log.info(
        "%s, part %d of %d: %d rows read in %d batches",
        smk.input.export,
        part + 1,
        smk.params.parts,
        meta["rows_read"],
        meta["batches"],
    )
