"""Rule shard_labels: split the ingested labels into barcode shards, streaming (the labels
table is never whole in memory)."""

import polars as pl

from curation import io
from curation.labels import shards

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    outputs = list(smk.output.shards)
    parts = shards.split_lazy(pl.scan_parquet(smk.input.labels), len(outputs))
    for path, part in zip(outputs, parts, strict=True):
        io.sink_parquet(part, path)
        log.info("%s: %d records", path, pl.scan_parquet(path).select(pl.len()).collect().item())
