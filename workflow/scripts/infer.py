"""Rule infer: C6 inference on one barcode shard (docs/curation.md#inference)."""

import polars as pl

from curation import io
from curation.labels.infer import infer

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    prior = pl.concat(
        [io.read_parquet(smk.input.normalise_changes), io.read_parquet(smk.input.resolve_changes)],
        how="vertical",
    )
    inferred, changes = infer(io.read_parquet(smk.input.labels), prior, **smk.params.settings)
    io.write_parquet(inferred, smk.output.inferred)
    io.write_parquet(changes, smk.output.changes)
    filled = changes.filter(pl.col("rule") == "C6_inferred")
    log.info(
        "%d records, %d label changes in all; %d labels of %d records inferred",
        inferred.height,
        changes.height,
        filled.height,
        filled["processid"].n_unique(),
    )
