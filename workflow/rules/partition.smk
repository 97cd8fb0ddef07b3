# Stage 5: species sets and the eight splits, exactly as the original partitioning code.


rule partition:
    input:
        curated=f"{W}/curation/curated.parquet",
        code=code("partition"),
    output:
        splits=f"{W}/partition/splits.parquet",
        checks=f"{W}/partition/checks.json",
    params:
        partition=CFG.partition.model_dump(),
    log:
        f"{W}/logs/partition.log",
    benchmark:
        f"{W}/benchmarks/partition.tsv"
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/partition.py"
