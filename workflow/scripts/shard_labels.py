"""Rule shard_labels: split the ingested labels into barcode shards."""

from curation import io
from curation.labels import shards

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    labels = io.read_parquet(snakemake.input.labels)  # noqa: F821
    outputs = list(snakemake.output.shards)  # noqa: F821
    for path, part in zip(outputs, shards.split(labels, len(outputs)), strict=True):
        io.write_parquet(part, path)
        log.info("%s: %d records", path, part.height)
