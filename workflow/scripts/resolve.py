"""Rule resolve: the per-barcode majority vote with curtailment (C5) on one barcode shard."""

from curation import io
from curation.labels.vote import resolve
from schemas.config import CurationConfig

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    cfg = CurationConfig(**snakemake.params.curation)  # noqa: F821
    labels, changes = resolve(io.read_parquet(snakemake.input.labels), cfg)  # noqa: F821
    io.write_parquet(labels, snakemake.output.labels)  # noqa: F821
    io.write_parquet(changes, snakemake.output.changes)  # noqa: F821
    log.info("%d records, %d label changes", labels.height, changes.height)
    for rule, count in sorted(changes["rule"].value_counts().iter_rows()):
        log.info("  %s: %d labels", rule, count)
