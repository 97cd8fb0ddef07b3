# Stage 4: inference from the barcode group (C6, C4 again, C7, C8, inferred_ranks), one job per
# shard, then the shards are gathered into one curated table, one changes table and a summary.


rule infer:
    input:
        labels=f"{W}/shards/{{shard}}/resolved.parquet",
        normalise_changes=f"{W}/shards/{{shard}}/normalise_changes.parquet",
        resolve_changes=f"{W}/shards/{{shard}}/resolve_changes.parquet",
        code=code("infer"),
    output:
        curated=f"{W}/shards/{{shard}}/curated.parquet",
        changes=f"{W}/shards/{{shard}}/changes.parquet",
    params:
        curation=CFG.curation.model_dump(),
    log:
        f"{W}/logs/infer/{{shard}}.log",
    benchmark:
        f"{W}/benchmarks/infer/{{shard}}.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/infer.py"


rule gather_curation:
    input:
        curated=expand(f"{W}/shards/{{shard}}/curated.parquet", shard=SHARDS),
        changes=expand(f"{W}/shards/{{shard}}/changes.parquet", shard=SHARDS),
        code=code("gather_curation"),
    output:
        curated=f"{W}/curation/curated.parquet",
        changes=f"{W}/curation/changes.parquet",
        summary=f"{W}/curation/summary.json",
    log:
        f"{W}/logs/gather_curation.log",
    benchmark:
        f"{W}/benchmarks/gather_curation.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/gather_curation.py"
