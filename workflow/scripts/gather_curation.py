"""Rule gather_curation: join the shards' curated labels and changes; summarise the changes."""

import polars as pl

from curation import io, provenance, shards
from schemas.tables import CHANGES_SCHEMA, CURATED_SCHEMA, RANKS, RULES

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    curated = shards.gather(
        [io.read_parquet(p) for p in snakemake.input.curated], CURATED_SCHEMA, ["processid"]  # noqa: F821
    )
    order = {
        "_rule": pl.col("rule").replace_strict(list(RULES), list(range(len(RULES)))),
        "_column": pl.col("column").replace_strict(list(RANKS), list(range(len(RANKS))), default=99),
    }
    changes = shards.gather(
        [io.read_parquet(p).with_columns(**order) for p in snakemake.input.changes],  # noqa: F821
        {**CHANGES_SCHEMA, "_rule": pl.Int64, "_column": pl.Int64},
        ["processid", "_rule", "_column"],
    ).drop("_rule", "_column")
    io.write_parquet(curated, snakemake.output.curated)  # noqa: F821
    io.write_parquet(changes, snakemake.output.changes)  # noqa: F821
    io.write_json(provenance.summarise(curated, changes), snakemake.output.summary)  # noqa: F821
    log.info("%d curated records, %d label changes", curated.height, changes.height)
