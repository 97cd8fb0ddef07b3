"""Rule gather_curation: join the shards' curated labels and changes; summarise the changes."""

from curation import io
from curation.labels import provenance, shards
from schemas.tables import CHANGES_SCHEMA, CURATED_SCHEMA

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    curated = shards.gather([io.read_parquet(p) for p in snakemake.input.curated], CURATED_SCHEMA)  # noqa: F821
    # Each shard's changes are sorted by processid, rule order, rank order (provenance.sort_changes).
    changes = shards.gather([io.read_parquet(p) for p in snakemake.input.changes], CHANGES_SCHEMA)  # noqa: F821
    io.write_parquet(curated, snakemake.output.curated)  # noqa: F821
    io.write_parquet(changes, snakemake.output.changes)  # noqa: F821
    io.write_json(provenance.summarise(curated, changes), snakemake.output.summary)  # noqa: F821
    log.info("%d curated records, %d label changes", curated.height, changes.height)
