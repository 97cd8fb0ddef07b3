# Stage 2: label normalisation (C0, C2/C3, C1, C7), one job per barcode shard.
# The variant spelling map is global (most frequent spelling in the whole input), so it is built
# once from the distinct names and every shard applies it.  It and the shards are independent
# reads of the labels: each declares a shard's threads, so that they run side by side, and a
# priority, so that a job off the critical path (digest) does not take a core from one of them.


rule shard_labels:
    """Split the labels into independent barcode shards (all records of a barcode in one shard)."""
    input:
        labels=L.work_file("labels"),
    output:
        shards=scatter.shard(L.shard_file("labels")),
    params:
        code=code("shard_labels"),
    log:
        L.log("shard_labels"),
    benchmark:
        L.benchmark("shard_labels")
    priority: 1
    threads: shard_threads(CFG)
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/shard_labels.py"


rule variant_map:
    input:
        labels=L.work_file("labels"),
    output:
        variant_map=L.work_file("variant_map"),
    params:
        code=code("variant_map"),
        **rule_params(CFG, "variant_map"),
    log:
        L.log("variant_map"),
    benchmark:
        L.benchmark("variant_map")
    priority: 1
    threads: shard_threads(CFG)
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/variant_map.py"


rule normalise:
    input:
        labels=labels_of_shard,
        variant_map=L.work_file("variant_map"),
        corrections=corrections_table(),
    output:
        labels=L.shard_file("normalised"),
        changes=L.shard_file("normalise_changes"),
    params:
        code=code("normalise"),
        **rule_params(CFG, "normalise"),
    log:
        L.log("normalise/{scatteritem}"),
    benchmark:
        L.benchmark("normalise/{scatteritem}")
    threads: shard_threads(CFG)
    resources:
        mem_mb=4000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/normalise.py"
