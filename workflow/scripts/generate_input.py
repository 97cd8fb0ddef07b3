"""Rule generate_input: write the synthetic BCDM export and the truth of its curation."""

from curation import console, io
from curation.synthetic import generate as synthetic

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    counts = synthetic.write(smk.params.records, smk.params.seed, smk.output.tsv, smk.output.truth)
    console.stage("generate", console.generate_line(counts))
    log.info("generated %(records)d records, %(processids)d processids, %(rows)d rows", counts)
