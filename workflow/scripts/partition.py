"""Rule partition: species sets and the eight splits of every curated record; with a previous
release, stable partitioning (docs/curation.md#stable-partitioning) and its moves table."""

import polars as pl

from curation import console, io
from curation.evolve.releases import ReleaseError, read_release
from curation.partition.splits import INPUT_SCHEMA, PartitionError, partition
from curation.partition.stable import stable_partition
from schemas.config import PartitionConfig
from schemas.tables import SPLITS

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)


def stable_inputs(curated: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The previous release's records (barcodes of its labelled splits only) and the sequences
    of this build's labelled keys: the only barcodes stable partitioning links, a tenth of all."""
    labelled = [split for split in SPLITS if split != "pretrain"]
    previous = read_release(smk.input.previous, ("processid", "split"))
    sequences = read_release(smk.input.previous, ("processid", "dna_barcode"), splits=labelled)
    previous = previous.join(sequences, on="processid", how="left", maintain_order="left")
    keys = curated.filter(pl.col("species").is_not_null())["barcode_key"].unique()
    barcodes = pl.scan_parquet(smk.input.barcodes).filter(
        pl.col("barcode_key").is_in(keys.implode())
    )
    return previous, barcodes.collect()


with io.rule_log(smk.log[0]) as log:
    curated_path = smk.input.curated
    # Only the columns partitioning reads (a missing one is left for prepare() to name).
    present = pl.read_parquet_schema(curated_path)
    curated = pl.read_parquet(curated_path, columns=[c for c in INPUT_SCHEMA if c in present])
    cfg = PartitionConfig.model_validate(smk.params.partition)
    stable = hasattr(smk.input, "previous")
    try:
        if stable:
            previous, barcodes = stable_inputs(curated)
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
    if stable:
        log.info("steps: %s", checks["steps"])
    else:
        log.info("long-tail val: %s", checks["steps"]["val"]["long_tail"])
