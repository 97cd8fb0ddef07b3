"""Rule resolve: the per-barcode majority vote with curtailment (C5) on one barcode shard."""

from curation import io
from curation.labels.vote import resolve

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    labels, changes = resolve(io.read_parquet(smk.input.labels), **smk.params.settings)
    io.write_parquet(labels, smk.output.labels)
    io.write_parquet(changes, smk.output.changes)
    log.info("%d records, %d label changes", labels.height, changes.height)
    for rule, count in sorted(changes["rule"].value_counts().iter_rows()):
        log.info("  %s: %d labels", rule, count)
