# Stage 1: raw exports -> one canonical record table + rejects (rows in = rows out + rejects).


rule generate_input:
    """A realistic BCDM export (and the labels a correct curation should give it)."""
    output:
        tsv=L.work_file("export"),
        truth=L.work_file("truth"),
    params:
        code=code("generate_input"),
        **rule_params(CFG, "generate_input"),
    log:
        L.log("generate_input"),
    benchmark:
        L.benchmark("generate_input")
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
    output:
        records=L.work_file("records"),
        barcodes=L.work_file("barcodes"),
        labels=L.work_file("labels"),
        rejects=L.work_file("rejects"),
        issues=L.work_file("issues"),
        summary=L.work_file("ingest_summary"),
        checksums=L.work_file("input_checksums"),
    params:
        code=code("ingest"),
        **rule_params(CFG, "ingest"),
    log:
        L.log("ingest"),
    benchmark:
        L.benchmark("ingest")
    threads: CFG.threads
    resources:
        mem_mb=8000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/ingest.py"
