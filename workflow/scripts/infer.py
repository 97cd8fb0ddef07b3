"""Rule infer: C6 inference, C4 again, C7, C8 and the per-record flags on one barcode shard."""

import polars as pl

from curation import io
from curation.labels.infer import infer

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    prior = pl.concat(
        [io.read_parquet(smk.input.normalise_changes), io.read_parquet(smk.input.resolve_changes)],
        how="vertical",
    )
    curated, changes = infer(io.read_parquet(smk.input.labels), prior, **smk.params.settings)
    io.write_parquet(curated, smk.output.curated)
    io.write_parquet(changes, smk.output.changes)
    log.info(
        "%d records, %d label changes in all; %d with inferred labels",
        curated.height,
        changes.height,
        curated["label_was_inferred"].sum(),
    )
