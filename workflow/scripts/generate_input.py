"""Rule generate_input: write the synthetic BCDM export and the truth of its curation."""

from curation import io
from curation.synthetic import generate as synthetic

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    counts = synthetic.write(
        snakemake.params.records,  # noqa: F821
        snakemake.params.seed,  # noqa: F821
        snakemake.output.tsv,  # noqa: F821
        snakemake.output.truth,  # noqa: F821
    )
    log.info("generated %(records)d records, %(processids)d processids, %(rows)d rows", counts)
