"""Rule gather_curation: run the global label steps (homonyms, subfamily completion, taxon,
flags: docs/curation.md#order) one barcode shard at a time, merge the shards into one curated
table and one changes table in processid order, and summarise the changes.

Memory is that of one shard (docs/decisions.md, "The label stages around the shards in bounded
memory"): the global facts come from the shards' label paths, each shard is completed and
spilled on its own, and the spills are merged one processid range at a time."""

import tempfile
from pathlib import Path

import polars as pl

from curation import console, io
from curation.labels import complete, homonyms, provenance
from schemas.tables import RANKS

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    inferred, shard_changes = list(smk.input.inferred), list(smk.input.changes)
    paths = homonyms.sum_paths(
        [homonyms.label_paths(pl.read_parquet(path, columns=list(RANKS))) for path in inferred]
    )
    plan = complete.plan(paths)
    facts = []
    outputs = {"curated": smk.output.curated, "changes": smk.output.changes}
    with tempfile.TemporaryDirectory(dir=Path(smk.output.curated).parent) as spill:
        spills: dict[str, list[Path]] = {name: [] for name in outputs}
        for index, (labels_path, changes_path) in enumerate(
            zip(inferred, shard_changes, strict=True)
        ):
            curated, changes = complete.complete_shard(
                io.read_parquet(labels_path),
                io.read_parquet(changes_path),
                plan,
                **smk.params.settings,
            )
            facts.append(provenance.summary_facts(curated, changes))
            for name, frame in (("curated", curated), ("changes", changes)):
                if len(inferred) == 1:
                    io.write_parquet(frame, outputs[name])
                else:
                    spills[name].append(Path(spill) / f"{name}-{index}.parquet")
                    frame.write_parquet(spills[name][-1], compression="lz4")
            log.info(
                "shard %d: %d curated records, %d label changes",
                index + 1,
                curated.height,
                changes.height,
            )
            del curated, changes
        if len(inferred) > 1:
            # Each spill is sorted by processid (the changes in their contract order within a
            # processid) and a processid is in one shard only: a stable merge keeps both orders.
            for name, files in spills.items():
                io.merge_sorted_parquet(files, "processid", outputs[name])
    summary = provenance.summarise_facts(facts)
    io.write_json(summary, smk.output.summary)
    console.stage("labels", console.labels_line(summary["rules"], summary["records"]))
    log.info("%d curated records", summary["records"])
    for rule, entry in summary["rules"].items():
        log.info("  %s: %d labels of %d records", rule, entry["labels"], entry["records"])
