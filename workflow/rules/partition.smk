# Stage 5: species sets and the eight splits, exactly as the original partitioning code; with
# partition.previous_release set, stable partitioning: that release's records keep their splits
# where docs/curation.md#stable-partitioning allows, and every move is reported (split_moves).


rule partition:
    input:
        curated=L.work_file("curated"),
        **stable_inputs(),
    output:
        splits=L.work_file("splits"),
        checks=L.work_file("partition_checks"),
        **({"moves": L.work_file("split_moves")} if PREVIOUS_TABLE else {}),
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
