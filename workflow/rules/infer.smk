# Stage 4: inference from the barcode group (C6), one job per shard; then the shards are gathered
# and the global steps (homonyms, subfamily completion, taxon, flags) give one curated table, one
# changes table and a summary (docs/curation.md#order).


rule infer:
    input:
        labels=L.shard_file("resolved"),
        normalise_changes=L.shard_file("normalise_changes"),
        resolve_changes=L.shard_file("resolve_changes"),
    output:
        inferred=L.shard_file("inferred"),
        changes=L.shard_file("changes"),
        label_paths=L.shard_file("label_paths"),
        bin_conflicts=L.shard_file("bin_conflicts"),
    params:
        code=code("infer"),
        **rule_params(CFG, "infer"),
    log:
        L.log("infer/{scatteritem}"),
    benchmark:
        L.benchmark("infer/{scatteritem}")
    threads: shard_threads(CFG)
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/infer.py"


rule gather_curation:
    input:
        inferred=gather.shard(L.shard_file("inferred")),
        changes=gather.shard(L.shard_file("changes")),
        label_paths=gather.shard(L.shard_file("label_paths")),
        bin_conflicts=gather.shard(L.shard_file("bin_conflicts")),
    output:
        curated=L.work_file("curated"),
        changes=L.work_file("changes"),
        summary=L.work_file("curation_summary"),
    params:
        code=code("gather_curation"),
        memory_gb=CFG.memory_gb,
        **rule_params(CFG, "gather_curation"),
    log:
        L.log("gather_curation"),
    benchmark:
        L.benchmark("gather_curation")
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/gather_curation.py"
