"""Rule gather_curation: gather the shards, run the global label steps (homonyms, subfamily
completion, taxon, flags: docs/curation.md#order) and summarise the changes."""

from curation import console, io
from curation.labels import provenance, shards
from curation.labels.complete import complete
from schemas.tables import CHANGES_SCHEMA, LABELS_SCHEMA

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    inferred = shards.gather([io.read_parquet(p) for p in smk.input.inferred], LABELS_SCHEMA)
    # Each shard's changes are sorted by processid, rule order, rank order (provenance.sort_changes).
    changes = shards.gather([io.read_parquet(p) for p in smk.input.changes], CHANGES_SCHEMA)
    curated, changes = complete(inferred, changes, **smk.params.settings)
    summary = provenance.summarise(curated, changes)
    io.write_parquet(curated, smk.output.curated)
    io.write_parquet(changes, smk.output.changes)
    io.write_json(summary, smk.output.summary)
    console.stage("labels", console.labels_line(summary["rules"], curated.height))
    log.info("%d curated records, %d label changes", curated.height, changes.height)
    for rule, entry in summary["rules"].items():
        log.info("  %s: %d labels of %d records", rule, entry["labels"], entry["records"])
