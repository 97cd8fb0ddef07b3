# Stage 3: per-barcode majority vote with curtailment (C5), one job per barcode shard.


rule resolve:
    input:
        labels=f"{W}/shards/{{shard}}/normalised.parquet",
        code=code("resolve"),
    output:
        labels=f"{W}/shards/{{shard}}/resolved.parquet",
        changes=f"{W}/shards/{{shard}}/resolve_changes.parquet",
    params:
        curation=CFG.curation.model_dump(),
    log:
        f"{W}/logs/resolve/{{shard}}.log",
    benchmark:
        f"{W}/benchmarks/resolve/{{shard}}.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/resolve.py"
