"""Rule normalise: C0, C2/C3, C1 and C7 on one barcode shard (docs/curation.md#order)."""

from curation import console, io
from curation.labels.normalise import normalise
from schemas.corrections import CORRECTIONS_SCHEMA, CorrectionsError, read_corrections
from schemas.tables import empty

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    table = smk.input.get("corrections")
    labels = io.read_parquet(smk.input.labels)
    variant_map = io.read_parquet(smk.input.variant_map)
    try:
        corrections = read_corrections(table) if table else empty(CORRECTIONS_SCHEMA)
        labels, changes = normalise(labels, variant_map, corrections, **smk.params.settings)
    except CorrectionsError as err:
        # A bad corrections table is the maintainer's to fix: one line, no traceback, no output.
        message = str(err) if str(err).startswith(str(table)) else f"{table}: {err}"
        console.stop(log, message)
    io.write_parquet(labels, smk.output.labels)
    io.write_parquet(changes, smk.output.changes)
    log.info("%d records, %d label changes", labels.height, changes.height)
    for rule, count in sorted(changes["rule"].value_counts().iter_rows()):
        log.info("  %s: %d labels", rule, count)
