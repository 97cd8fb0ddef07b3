# Stage 2: label normalisation (C0, C2/C3, C1, C4), one job per barcode shard.
# The variant spelling map is global (most frequent spelling in the whole input), so it is built
# once from the distinct names and every shard applies it.


rule shard_labels:
    """Split the labels into independent barcode shards (all records of a barcode in one shard)."""
    input:
        labels=f"{W}/ingest/labels.parquet",
        code=code("shard_labels"),
    output:
        shards=expand(f"{W}/shards/{{shard}}/labels.parquet", shard=SHARDS),
    log:
        f"{W}/logs/shard_labels.log",
    benchmark:
        f"{W}/benchmarks/shard_labels.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/shard_labels.py"


rule variant_map:
    input:
        labels=f"{W}/ingest/labels.parquet",
        code=code("variant_map"),
    output:
        variant_map=f"{W}/normalise/variant_map.parquet",
    params:
        curation=CFG.curation.model_dump(),
    log:
        f"{W}/logs/variant_map.log",
    benchmark:
        f"{W}/benchmarks/variant_map.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/variant_map.py"


rule normalise:
    input:
        labels=labels_of_shard,
        variant_map=f"{W}/normalise/variant_map.parquet",
        corrections=corrections_table(),
        code=code("normalise"),
    output:
        labels=f"{W}/shards/{{shard}}/normalised.parquet",
        changes=f"{W}/shards/{{shard}}/normalise_changes.parquet",
    params:
        curation=CFG.curation.model_dump(),
    log:
        f"{W}/logs/normalise/{{shard}}.log",
    benchmark:
        f"{W}/benchmarks/normalise/{{shard}}.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/normalise.py"
