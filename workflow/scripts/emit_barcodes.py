"""Rule emit_barcodes: the barcodes pass of emit for one shard of barcode key ranges
(curation/release/parts.py): each range's sequences joined to the records holding its keys and
spilled per release part for emit_metadata."""

from pathlib import Path

from curation import console, io
from curation.release import assemble, parts

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    inputs = parts.Inputs(
        records=smk.input.records,
        curated=smk.input.curated,
        splits=smk.input.splits,
        barcodes=smk.input.barcodes,
    )
    plan = parts.make_plan(inputs, smk.params.memory_gb, smk.params.row_group_size)
    Path(smk.output.barcodes).mkdir(parents=True, exist_ok=True)
    if plan is None:
        log.info("inputs not row-aligned: emit_metadata assembles the release in one piece")
    else:
        try:
            parts.spill_barcodes(inputs, plan, smk.params.shard, Path(smk.output.barcodes))
        except assemble.ReleaseError as err:
            console.stop(log, str(err))
        ranges = parts.shard_range(plan.key_ranges, smk.params.shard)
        log.info("key ranges %s of %d (%d keys each)", ranges, plan.key_ranges, plan.keys_per_range)
