"""Rule gather_curation: join the shards' curated labels and changes; summarise the changes."""

from curation import console, io
from curation.labels import provenance, shards
from schemas.tables import CHANGES_SCHEMA, CURATED_SCHEMA

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    curated = shards.gather([io.read_parquet(p) for p in smk.input.curated], CURATED_SCHEMA)
    # Each shard's changes are sorted by processid, rule order, rank order (provenance.sort_changes).
    changes = shards.gather([io.read_parquet(p) for p in smk.input.changes], CHANGES_SCHEMA)
    io.write_parquet(curated, smk.output.curated)
    io.write_parquet(changes, smk.output.changes)
    summary = provenance.summarise(curated, changes)
    io.write_json(summary, smk.output.summary)
    console.stage("labels", console.labels_line(summary["rules"], curated.height))
    log.info("%d curated records, %d label changes", curated.height, changes.height)
