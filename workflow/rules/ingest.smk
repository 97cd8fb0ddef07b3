# Stage 1: raw exports -> one canonical record table + rejects (rows in = rows out + rejects).


rule generate_input:
    """A realistic BCDM export (and the labels a correct curation should give it)."""
    input:
        code=code("generate_input"),
    output:
        tsv=f"{W}/input/generated_bcdm.tsv",
        truth=f"{W}/input/generated_truth.parquet",
    params:
        records=CFG.input.generator.records,
        seed=CFG.input.generator.seed,
    log:
        f"{W}/logs/generate_input.log",
    benchmark:
        f"{W}/benchmarks/generate_input.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/generate_input.py"


rule ingest:
    input:
        exports=input_files(),
        code=code("ingest"),  # the script and every module it imports (common.smk)
    output:
        records=f"{W}/ingest/records.parquet",
        barcodes=f"{W}/ingest/barcodes.parquet",
        labels=f"{W}/ingest/labels.parquet",
        rejects=f"{W}/ingest/rejects.parquet",
        issues=f"{W}/ingest/issues.parquet",
        summary=f"{W}/ingest/summary.json",
        checksums=f"{W}/ingest/input_checksums.json",
    params:
        target_marker=CFG.input.target_marker,
    log:
        f"{W}/logs/ingest.log",
    benchmark:
        f"{W}/benchmarks/ingest.tsv"
    threads: CFG.threads
    resources:
        mem_mb=8000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/ingest.py"
