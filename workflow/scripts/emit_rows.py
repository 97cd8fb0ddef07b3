"""Rule emit_rows: the rows pass of emit for one shard of input batches (curation/release/
parts.py): the release's records assembled without their sequences, checked, and spilled per
split for emit_metadata."""

from pathlib import Path

from curation import console, io
from curation.release import assemble, parts, sidecars

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    try:
        sides = sidecars.derived_fields(
            next(iter(smk.input.bioscan1m), None), next(iter(smk.input.bounding_boxes), None)
        )
        inputs = parts.Inputs(
            records=smk.input.records,
            curated=smk.input.curated,
            splits=smk.input.splits,
            barcodes=smk.input.barcodes,
            sides=assemble.side_fields(**sides),
        )
        plan = parts.make_plan(inputs, smk.params.memory_gb, smk.params.row_group_size)
        if plan is None:
            log.info("inputs not row-aligned: emit_metadata assembles the release in one piece")
            io.write_json({"aligned": False, "runs": []}, Path(smk.output.rows) / "index.json")
        else:
            parts.spill_rows(inputs, plan, smk.params.shard, Path(smk.output.rows))
            batches = parts.shard_range(plan.batches, smk.params.shard)
            log.info("batches %s of %d (%d records each)", batches, plan.batches, plan.batch_rows)
    except (assemble.ReleaseError, sidecars.SideFileError) as err:
        console.stop(log, str(err))
