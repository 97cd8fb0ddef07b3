# Stage 6: the release.  emit_metadata assembles records + curated labels + splits, writes the
# CSV and Parquet files and computes the statistics; the Croissant description, the statistics
# files with the quality report, and the MANIFEST are built from its outputs.  Every file is
# written atomically.


rule emit_metadata:
    input:
        records=f"{W}/ingest/records.parquet",
        barcodes=f"{W}/ingest/barcodes.parquet",
        curated=f"{W}/curation/curated.parquet",
        splits=f"{W}/partition/splits.parquet",
        changes=f"{W}/curation/changes.parquet",
        rejects=f"{W}/ingest/rejects.parquet",
        issues=f"{W}/ingest/issues.parquet",
        bioscan1m=[CFG.input.bioscan1m_metadata] if CFG.input.bioscan1m_metadata else [],
        bounding_boxes=[CFG.input.bounding_boxes] if CFG.input.bounding_boxes else [],
        code=code("emit_metadata"),
    output:
        csv=RELEASE_FILES["csv"],
        parquet=RELEASE_FILES["parquet"],
        changes=RELEASE_FILES["changes"],
        rejects=RELEASE_FILES["rejects"],
        issues=RELEASE_FILES["issues"],
        checksums=f"{W}/emit/metadata_checksums.json",
        **{f"stats_{name}": f"{W}/emit/stats/{name}.parquet" for name in STATS_TABLES},
    params:
        release=CFG.release.model_dump(),
        config=CFG.release_settings(),
    log:
        f"{W}/logs/emit_metadata.log",
    benchmark:
        f"{W}/benchmarks/emit_metadata.tsv"
    threads: CFG.threads
    resources:
        mem_mb=8000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_metadata.py"


rule emit_croissant:
    input:
        csv=RELEASE_FILES["csv"],
        parquet=RELEASE_FILES["parquet"],
        changes=RELEASE_FILES["changes"],
        rejects=RELEASE_FILES["rejects"],
        issues=RELEASE_FILES["issues"],
        checksums=f"{W}/emit/metadata_checksums.json",
        code=code("emit_croissant"),
    output:
        croissant=RELEASE_FILES["croissant"],
    params:
        release=CFG.release.model_dump(),
    log:
        f"{W}/logs/emit_croissant.log",
    benchmark:
        f"{W}/benchmarks/emit_croissant.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_croissant.py"


rule emit_stats:
    input:
        **{f"table_{name}": f"{W}/emit/stats/{name}.parquet" for name in STATS_TABLES},
        ingest_summary=f"{W}/ingest/summary.json",
        curation_summary=f"{W}/curation/summary.json",
        partition_checks=f"{W}/partition/checks.json",
        code=code("emit_stats"),
    output:
        stats=RELEASE_FILES["stats"],
        report=RELEASE_FILES["report"],
        **{f"stats_{name}": RELEASE_FILES[f"stats_{name}"] for name in STATS_TABLES},
    params:
        release=CFG.release.model_dump(),
        config=CFG.release_settings(),
    log:
        f"{W}/logs/emit_stats.log",
    benchmark:
        f"{W}/benchmarks/emit_stats.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_stats.py"


rule emit_manifest:
    input:
        release=[path for key, path in RELEASE_FILES.items() if key != "manifest"],
        inputs=[
            *input_files(),
            corrections_table(),
            *filter(None, [CFG.input.bioscan1m_metadata, CFG.input.bounding_boxes]),
        ],
        # checksums of the large files, taken by the jobs that wrote (or read) them
        measured=[f"{W}/emit/metadata_checksums.json", f"{W}/ingest/input_checksums.json"],
        code=code("emit_manifest"),
    output:
        manifest=RELEASE_FILES["manifest"],
    params:
        release=CFG.release.model_dump(),
        config=CFG.release_settings(),
    log:
        f"{W}/logs/emit_manifest.log",
    benchmark:
        f"{W}/benchmarks/emit_manifest.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_manifest.py"
