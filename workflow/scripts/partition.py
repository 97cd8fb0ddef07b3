"""Rule partition: species sets and the eight splits of every curated record; with a previous
release, stable partitioning (docs/curation.md#stable-partitioning) and its moves table."""

from curation import console, io
from curation.evolve.releases import ReleaseError, read_release
from curation.partition.splits import PartitionError, partition
from curation.partition.stable import PREVIOUS_SCHEMA, stable_partition
from schemas.config import PartitionConfig
from schemas.tables import SPLITS

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    curated_path = smk.input.curated
    curated = io.read_parquet(curated_path)
    cfg = PartitionConfig.model_validate(smk.params.partition)
    stable = hasattr(smk.input, "previous")
    try:
        if stable:
            previous = read_release(smk.input.previous, tuple(PREVIOUS_SCHEMA))
            barcodes = io.read_parquet(smk.input.barcodes)
            splits, checks, moves = stable_partition(curated, barcodes, previous, cfg)
        else:
            splits, checks = partition(curated, cfg)
    except ReleaseError as err:
        console.stop(log, f"partition.previous_release: {err}")
    except PartitionError as err:
        # A broken invariant is a finding about the data, not a crash: one clear line, no
        # traceback, and no output file, so nothing downstream runs on a leaky partition.
        console.stop(log, f"partition of {curated_path} failed: {err}")
    io.write_parquet(splits, smk.output.splits)
    io.write_json(checks, smk.output.checks)
    console.stage("partition", console.partition_line(checks, SPLITS))
    if stable:
        io.write_parquet(moves, smk.output.moves)
        console.stage("stable", console.moves_line(checks["stable"]))
        log.info("stable partitioning: %s", checks["stable"])
    for split, counts in checks["splits"].items():
        log.info(
            "%s: %d records, %d keys, %d species",
            split,
            counts["records"],
            counts["keys"],
            counts["species"],
        )
    log.info("long-tail val: %s", checks["steps"]["val"].get("long_tail"))
