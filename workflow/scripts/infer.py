"""Rule infer: C6 inference on one barcode shard (docs/curation.md#inference), and the shard's
facts the global steps plan from (its label paths and BIN conflicts)."""

import polars as pl

from curation import io
from curation.labels.complete import shard_facts
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
    paths, conflicts = shard_facts(inferred)
    io.write_parquet(paths, smk.output.label_paths)
    io.write_parquet(conflicts, smk.output.bin_conflicts)
    filled = changes.filter(pl.col("rule") == "C6_inferred")
    log.info(
        "%d records, %d label changes in all; %d labels of %d records inferred",
        inferred.height,
        changes.height,
        filled.height,
        filled["processid"].n_unique(),
    )
    log.info("%d label paths, %d barcode keys with two BINs", paths.height, conflicts.height)
