"""Rule partition: species sets and the eight splits of every curated record."""

import sys

from curation import io
from curation.partition.splits import PartitionError, partition
from schemas.config import PartitionConfig

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    curated_path = snakemake.input.curated  # noqa: F821
    curated = io.read_parquet(curated_path)
    cfg = PartitionConfig.model_validate(snakemake.params.partition)  # noqa: F821
    try:
        splits, checks = partition(curated, cfg)
    except PartitionError as err:
        # A broken invariant is a finding about the data, not a crash: one clear line, no
        # traceback, and no output file, so nothing downstream runs on a leaky partition.
        message = f"partition of {curated_path} failed: {err}"
        log.error(message)
        sys.exit(message)
    io.write_parquet(splits, snakemake.output.splits)  # noqa: F821
    io.write_json(checks, snakemake.output.checks)  # noqa: F821
    for split, counts in checks["splits"].items():
        log.info(
            "%s: %d records, %d keys, %d species",
            split,
            counts["records"],
            counts["keys"],
            counts["species"],
        )
    log.info("long-tail val: %s", checks["steps"]["val"]["long_tail"])
