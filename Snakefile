# BIOSCAN-style release from a raw BOLD export:
#   ingest -> normalise -> resolve -> infer (per barcode shard) -> partition -> emit.
# Paths and params come from curation/wiring.py: intermediates under release.work_dir, the release under
# release.output_dir (config.yaml).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


# The description heading Snakemake's own report (snakemake --report report.zip).
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# The per-barcode label stages run as independent jobs, one per shard of barcode keys, and so do
# emit's passes: `shards` of them, or more if the input would not fit memory_gb otherwise.  The
# release's files are written by `shards` emit_part jobs (parts: bounded memory at any count).
scattergather:
    shard=effective_shards(CFG),
    part=emit_parts(CFG),


include: "workflow/rules/ingest.smk"
include: "workflow/rules/normalise.smk"
include: "workflow/rules/resolve.smk"
include: "workflow/rules/infer.smk"
include: "workflow/rules/partition.smk"
include: "workflow/rules/emit.smk"
include: "workflow/rules/diff.smk"


rule all:
    input:
        L.work_file("published"),


# The build's closing lines: what was released and where, or what stopped it (curation/console.py).
onsuccess:
    print(build_summary(), file=sys.stderr)


onerror:
    print(build_failure(log), file=sys.stderr)
