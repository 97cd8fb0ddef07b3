"""Rule variant_map: the global C2/C3 spelling map, built once from the whole labels table."""

from curation import io
from curation.labels.normalise import build_variant_map
from schemas.config import CurationConfig

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    cfg = CurationConfig(**snakemake.params.curation)  # noqa: F821
    labels = io.read_parquet(snakemake.input.labels)  # noqa: F821
    variant_map = build_variant_map(labels, cfg)
    io.write_parquet(variant_map, snakemake.output.variant_map)  # noqa: F821
    respelt = variant_map.filter(variant_map["name"] != variant_map["canonical"])
    log.info(
        "%d records; %d spellings in %d keys, %d respelt",
        labels.height,
        variant_map.height,
        variant_map.select("rank", "key").n_unique(),
        respelt.height,
    )
