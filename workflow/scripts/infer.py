"""Rule infer: C6 inference, C4 again, C7, C8 and the per-record flags on one barcode shard."""

import polars as pl

from curation import io
from curation.labels.infer import infer
from schemas.config import CurationConfig

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    cfg = CurationConfig(**snakemake.params.curation)  # noqa: F821
    prior = pl.concat(
        [
            io.read_parquet(snakemake.input.normalise_changes),  # noqa: F821
            io.read_parquet(snakemake.input.resolve_changes),  # noqa: F821
        ],
        how="vertical",
    )
    curated, changes = infer(io.read_parquet(snakemake.input.labels), prior, cfg)  # noqa: F821
    io.write_parquet(curated, snakemake.output.curated)  # noqa: F821
    io.write_parquet(changes, snakemake.output.changes)  # noqa: F821
    log.info(
        "%d records, %d label changes in all; %d with inferred labels",
        curated.height,
        changes.height,
        curated["label_was_inferred"].sum(),
    )
