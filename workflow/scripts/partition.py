"""Rule partition: species sets and the eight splits of every curated record."""

from curation import console, io
from curation.partition.splits import PartitionError, partition
from schemas.config import PartitionConfig
from schemas.tables import SPLITS

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    curated_path = smk.input.curated
    curated = io.read_parquet(curated_path)
    cfg = PartitionConfig.model_validate(smk.params.partition)
    try:
        splits, checks = partition(curated, cfg)
    except PartitionError as err:
        # A broken invariant is a finding about the data, not a crash: one clear line, no
        # traceback, and no output file, so nothing downstream runs on a leaky partition.
        console.stop(log, f"partition of {curated_path} failed: {err}")
    io.write_parquet(splits, smk.output.splits)
    io.write_json(checks, smk.output.checks)
    console.stage("partition", console.partition_line(checks, SPLITS))
    for split, counts in checks["splits"].items():
        log.info(
            "%s: %d records, %d keys, %d species",
            split,
            counts["records"],
            counts["keys"],
            counts["species"],
        )
    log.info("long-tail val: %s", checks["steps"]["val"]["long_tail"])
