"""Rule diff: what changed from the compared release (release.compare_with) to this one, written
into the staged release's diff/ folder (Parquet tables, summary.md, summary.html, plots)."""

import os

from curation import console, io
from curation.evolve import output, summary
from curation.evolve.compare import compare
from curation.evolve.releases import ReleaseError, release_name

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    try:
        # The staged release's changes table (an input too) names the rules of each relabelling.
        found = compare(smk.input.compared, smk.input.release)
        old = release_name(smk.input.compared)
    except ReleaseError as err:
        console.stop(log, f"release.compare_with: {err}")
    # The diff's directory: where its summary lies (output.FILES puts it at the top).
    directory = os.path.dirname(smk.output.diff_summary_md)
    written = output.write(found, directory, old=old, new=smk.params.new)
    log.info(
        "diff %s -> %s: %d files; %s", old, smk.params.new, len(written), summary.headline(found)
    )
    console.stage("diff", f"from {old}: {summary.headline(found)}")
