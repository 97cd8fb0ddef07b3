"""Rule emit_stats: the statistics tables (CSV + Markdown) and the HTML quality report.

The tables were computed by emit_metadata, where the release is in memory; this rule writes them
out and checks the counts against the stage summaries.
"""

import json

from curation import io
from curation.release import report, stats, stats_format

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)


def write_text(text: str, path: str) -> None:
    with io.atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def load_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


with io.rule_log(smk.log[0]) as log:
    tables = {name: io.read_parquet(smk.input[f"table_{name}"]) for name in stats.TABLES}
    for name, table in tables.items():
        with io.atomic_output(smk.output[f"stats_{name}"]) as tmp:
            table.write_csv(tmp, line_terminator="\n")
    title = f"{smk.params.name} {smk.params.version}"
    write_text(
        stats_format.markdown(tables, stats.TABLES, f"Statistics of {title}"), smk.output.stats
    )

    summaries = {
        "ingest": load_json(smk.input.ingest_summary),
        "curation": load_json(smk.input.curation_summary),
        "partition": load_json(smk.input.partition_checks),
    }
    released = tables["table3"]["rows"].sum()
    checks = [
        *report.count_checks(
            summaries, released=released, rejected=tables["rejects"]["rows"].sum()
        ),
        *report.checks_from_json(summaries["ingest"], "ingest"),
        # One check per rank: no name under two lineages (docs/curation.md#homonyms).
        *report.checks_from_json(summaries["curation"], "curation"),
        *report.checks_from_json(summaries["partition"], "partition"),
    ]
    page = report.render(
        title=f"Quality report: {title}",
        tables=tables,
        titles=stats.TABLES,
        checks=checks,
        config=io.read_json(smk.input.digest),
        summaries=summaries,
    )
    write_text(page, smk.output.report)
    failed = [c.name for c in checks if not c.passed]
    log.info(
        "%d statistics tables; %d checks, failed: %s", len(tables), len(checks), failed or "none"
    )
