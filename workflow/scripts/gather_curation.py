"""Rule gather_curation: the global label steps (homonyms, subfamily completion, taxon, flags:
docs/curation.md#order) over the barcode shards, giving one curated table and one changes
table in processid order, and the summary of the changes.

Planned from the shards' small facts, then run one processid range of every shard at a time
(curation.labels.complete.gather): memory is one range, not the shards (docs/decisions.md,
"The global label steps one processid range at a time").  The next range is read and the last
one written while one is completed."""

import polars as pl

from curation import console, io
from curation.labels import complete, homonyms, provenance

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    planned = complete.plan(
        homonyms.sum_paths([io.read_parquet(path) for path in smk.input.label_paths]),
        pl.concat([io.read_parquet(path) for path in smk.input.bin_conflicts], how="vertical"),
    )
    pieces = io.sorted_pieces(
        [smk.input.inferred, smk.input.changes],
        "processid",
        complete.piece_rows(smk.params.memory_gb),
    )
    facts = []
    with (
        io.parquet_pieces(smk.output.curated) as curated_out,
        io.parquet_pieces(smk.output.changes) as changes_out,
        io.behind() as write,
    ):

        def append(curated: pl.DataFrame, changes: pl.DataFrame) -> None:
            curated_out(curated)
            changes_out(changes)

        done = complete.gather(io.prefetched(pieces), planned, **smk.params.settings)
        for curated, changes, piece_facts in done:
            write(append, curated, changes)  # while the next piece is completed
            facts.append(piece_facts)
    summary = provenance.summarise_facts(facts)
    io.write_json(summary, smk.output.summary)
    console.stage("labels", console.labels_line(summary["rules"], summary["records"]))
    log.info("%d curated records in %d pieces", summary["records"], len(facts))
    for rule, entry in summary["rules"].items():
        log.info("  %s: %d labels of %d records", rule, entry["labels"], entry["records"])
