"""Rule emit_split_moves (stable builds): the records of the previous release that moved or
left, with the policy's reason, as a release table (docs/formats.md)."""

from curation import io
from curation.release import writers as release_writers
from schemas.tables import SPLIT_MOVES_SCHEMA, conform

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    moves = conform(io.read_parquet(smk.input.moves), SPLIT_MOVES_SCHEMA)
    digest = io.read_json(smk.input.digest)
    metadata = release_writers.parquet_metadata(
        name=smk.params.name,
        version=smk.params.version,
        config_digest=digest["config_sha256"],
        sort_order="processid",
    )
    release_writers.write_parquet(
        moves, smk.output.moves, row_group_size=smk.params.row_group_size, metadata=metadata
    )
    log.info("split moves: %d records", moves.height)
