"""Rule shard_labels: split the ingested labels into barcode shards."""

from curation import io
from curation.labels import shards

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    labels = io.read_parquet(smk.input.labels)
    outputs = list(smk.output.shards)
    for path, part in zip(outputs, shards.split(labels, len(outputs)), strict=True):
        io.write_parquet(part, path)
        log.info("%s: %d records", path, part.height)
