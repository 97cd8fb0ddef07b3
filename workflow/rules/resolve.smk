# Stage 3: per-barcode majority vote with curtailment (C5), one job per barcode shard.


rule resolve:
    input:
        labels=L.shard_file("normalised"),
    output:
        labels=L.shard_file("resolved"),
        changes=L.shard_file("resolve_changes"),
    params:
        code=code("resolve"),
        **rule_params(CFG, "resolve"),
    log:
        L.log("resolve/{scatteritem}"),
    benchmark:
        L.benchmark("resolve/{scatteritem}")
    threads: shard_threads(CFG)
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/resolve.py"
