"""Rule emit_part: a run of the release's parts (curation/release/parts.py), put together from
the spill files of emit_rows and emit_barcodes and written as a fragment of the release files
with its statistics' counts (curation/release/fragments.py); emit_metadata puts the fragments
together.  If the inputs are not row-aligned, the first shard assembles the whole release in one
piece (which names the mismatch) and the others write empty fragments."""

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from curation import console, io
from curation.release import assemble, fragments, parts, sidecars, writers

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
#: The first shard's fragment starts the CSV (its header) and assembles an unaligned release.
FIRST = smk.params.shard.startswith("1-of-")


def shard_parts(log) -> Iterator[pl.DataFrame]:
    """The parts of this shard, in release order."""
    row_group_size = smk.params.row_group_size
    inputs = parts.Inputs(
        records=smk.input.records,
        curated=smk.input.curated,
        splits=smk.input.splits,
        barcodes=smk.input.barcodes,
    )
    plan = parts.make_plan(inputs, smk.params.memory_gb, row_group_size)
    if plan is not None:
        spilled = parts.Spilled(
            plan,
            [Path(p) for p in smk.input.spilled_rows],
            [Path(p) for p in smk.input.spilled_barcodes],
        )
        if spilled.aligned:
            mine = parts.shard_range(len(plan.parts), smk.params.shard)
            log.info(
                "parts %s of %d (memory_gb %s)",
                f"{mine.start + 1} to {mine.stop}" if mine else "none",
                len(plan.parts),
                smk.params.memory_gb,
            )
            return (spilled.read(plan.parts[i]) for i in mine)
    if not FIRST:
        log.info("inputs not row-aligned: the first shard assembles the release")
        return iter(())
    log.info("inputs not row-aligned: the release is assembled in one piece")
    sides = sidecars.derived_fields(
        next(iter(smk.input.bioscan1m), None), next(iter(smk.input.bounding_boxes), None)
    )
    release = assemble.assemble(
        pl.scan_parquet(smk.input.records),
        pl.scan_parquet(smk.input.curated),
        pl.scan_parquet(smk.input.splits),
        pl.scan_parquet(smk.input.barcodes),
        **sides,
    )
    return parts.in_memory_parts(release, parts.part_rows(smk.params.memory_gb, row_group_size))


with io.rule_log(smk.log[0]) as log:
    try:
        rows = fragments.write(
            Path(smk.output.fragment),
            shard_parts(log),
            first=FIRST,
            row_group_size=smk.params.row_group_size,
            metadata=writers.parquet_metadata(
                name=smk.params.name,
                version=smk.params.version,
                config_digest=io.read_json(smk.input.digest)["config_sha256"],
                sort_order=writers.RELEASE_SORT_ORDER,
            ),
        )
    except (assemble.ReleaseError, sidecars.SideFileError) as err:
        console.stop(log, str(err))
    log.info("%d release rows written", rows)
