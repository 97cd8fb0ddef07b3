# The release's diff with the release named by release.compare_with (none named: no rule runs).
# It reads the staged release and writes into its diff/ folder, before the MANIFEST lists it.


rule diff:
    """What changed from the compared release: curation/evolve (docs/formats.md#release-diff)."""
    input:
        compared=COMPARED or [],
        release=L.staged_file("parquet"),
        changes=L.staged_file("changes"),
    output:
        **L.staged_diff_files(),
    params:
        code=code("diff"),
        **rule_params(CFG, "diff"),
    log:
        L.log("diff"),
    benchmark:
        L.benchmark("diff")
    threads: 1
    resources:
        mem_mb=8000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/diff.py"
