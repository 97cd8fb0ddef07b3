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


rule ingest_part:
    """One byte range of one input, parsed in batches into sorted runs (several per input when
    the effective shard count is above 1, so the parsing spreads over jobs)."""
    input:
        export=export_of_part,
    output:
        part=temp(directory(L.work_file("ingest_part"))),
    params:
        code=code("ingest_part"),
        **rule_params(CFG, "ingest_part"),
    log:
        L.log("ingest/{part}"),
    benchmark:
        L.benchmark("ingest/{part}")
    threads: shard_threads(CFG)
    resources:
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/ingest_part.py"


rule ingest:
    """The parts' runs -> records, barcodes, labels, rejects, issues, summary (the global steps:
    duplicate processids, barcode keys, counts)."""
    input:
        exports=input_files(),
        parts=expand(L.work_file("ingest_part"), part=ingest_parts(len(input_files()), effective_shards(CFG))),
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
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/ingest.py"
