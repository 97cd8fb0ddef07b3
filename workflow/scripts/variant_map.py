"""Rule variant_map: the global C2/C3 spelling map, built once from the whole labels table."""

import polars as pl

from curation import io
from curation.labels.normalise import build_variant_map

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    labels = pl.scan_parquet(smk.input.labels)
    variant_map = build_variant_map(labels, **smk.params.settings)
    io.write_parquet(variant_map, smk.output.variant_map)
    respelt = variant_map.filter(variant_map["name"] != variant_map["canonical"])
    log.info(
        "%d records; %d spellings in %d keys, %d respelt",
        labels.select(pl.len()).collect().item(),
        variant_map.height,
        variant_map.select("rank", "key").n_unique(),
        respelt.height,
    )
