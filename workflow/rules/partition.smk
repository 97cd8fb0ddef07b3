# Stage 5: species sets and the eight splits, exactly as the original partitioning code.


rule partition:
    input:
        curated=L.work_file("curated"),
    output:
        splits=L.work_file("splits"),
        checks=L.work_file("partition_checks"),
    params:
        code=code("partition"),
        **rule_params(CFG, "partition"),
    log:
        L.log("partition"),
    benchmark:
        L.benchmark("partition")
    threads: CFG.threads
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/partition.py"
