# Stage 6: the release.  emit_rows and emit_barcodes spill records + curated labels + splits and
# the sequences in release order, emit_part writes the release's parts as fragments of its files,
# emit_metadata puts them together and writes the provenance tables, the statistics and the
# quality report; the dataset card, the Croissant description and the MANIFEST are built from
# its outputs.  They are all written into the staging directory <work_dir>/release/, which no
# reader looks at; publish then makes the whole release visible at release.output_dir in one
# step.  Every file is written atomically.

rule digest:
    """What decides the release's content: its settings and its inputs' checksums."""
    input:
        exports=input_files(),
        input_checksums=L.work_file("input_checksums"),
        corrections=[corrections_table()],
        bioscan1m=[CFG.input.bioscan1m_metadata] if CFG.input.bioscan1m_metadata else [],
        bounding_boxes=[CFG.input.bounding_boxes] if CFG.input.bounding_boxes else [],
        compared=[COMPARED] if COMPARED else [],
        previous_release=PREVIOUS_TABLE,
    output:
        digest=L.work_file("digest"),
    params:
        code=code("digest"),
        **rule_params(CFG, "digest"),
    log:
        L.log("digest"),
    benchmark:
        L.benchmark("digest")
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/digest.py"


rule emit_rows:
    """The rows pass of emit for a shard of input batches (curation/release/parts.py)."""
    input:
        records=L.work_file("records"),
        curated=L.work_file("curated"),
        splits=L.work_file("splits"),
        barcodes=L.work_file("barcodes"),
        bioscan1m=[CFG.input.bioscan1m_metadata] if CFG.input.bioscan1m_metadata else [],
        bounding_boxes=[CFG.input.bounding_boxes] if CFG.input.bounding_boxes else [],
    output:
        rows=temp(directory(L.shard_file("emit_rows"))),
    params:
        code=code("emit_rows"),
        shard=lambda wildcards: wildcards.scatteritem,
        **rule_params(CFG, "emit_rows"),
    log:
        L.log("emit_rows/{scatteritem}"),
    benchmark:
        L.benchmark("emit_rows/{scatteritem}")
    threads: 1
    resources:
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_rows.py"


rule emit_barcodes:
    """The barcodes pass of emit for a shard of barcode key ranges (curation/release/parts.py)."""
    input:
        records=L.work_file("records"),
        curated=L.work_file("curated"),
        splits=L.work_file("splits"),
        barcodes=L.work_file("barcodes"),
    output:
        barcodes=temp(directory(L.shard_file("emit_barcodes"))),
    params:
        code=code("emit_barcodes"),
        shard=lambda wildcards: wildcards.scatteritem,
        **rule_params(CFG, "emit_barcodes"),
    log:
        L.log("emit_barcodes/{scatteritem}"),
    benchmark:
        L.benchmark("emit_barcodes/{scatteritem}")
    threads: 1
    resources:
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_barcodes.py"


rule emit_part:
    """A run of the release's parts written as a fragment of the release files, with its
    statistics' counts (curation/release/fragments.py)."""
    input:
        spilled_rows=gather.shard(L.shard_file("emit_rows")),
        spilled_barcodes=gather.shard(L.shard_file("emit_barcodes")),
        records=L.work_file("records"),
        curated=L.work_file("curated"),
        splits=L.work_file("splits"),
        barcodes=L.work_file("barcodes"),
        bioscan1m=[CFG.input.bioscan1m_metadata] if CFG.input.bioscan1m_metadata else [],
        bounding_boxes=[CFG.input.bounding_boxes] if CFG.input.bounding_boxes else [],
        digest=L.work_file("digest"),
    output:
        fragment=temp(directory(L.shard_file("emit_part"))),
    params:
        code=code("emit_part"),
        shard=lambda wildcards: wildcards.scatteritem,
        **rule_params(CFG, "emit_part"),
    log:
        L.log("emit_part/{scatteritem}"),
    benchmark:
        L.benchmark("emit_part/{scatteritem}")
    threads: max(1, CFG.threads // emit_parts(CFG))
    resources:
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_part.py"


rule emit_metadata:
    """The release files put together from the fragments; the provenance tables, statistics
    and quality report."""
    input:
        fragments=gather.part(L.shard_file("emit_part")),
        digest=L.work_file("digest"),
        changes=L.work_file("changes"),
        rejects=L.work_file("rejects"),
        issues=L.work_file("issues"),
        **{key: L.work_file(key) for key in SUMMARY_FILES},
    output:
        **{key: L.staged_file(key) for key in TABLE_FILES + STATISTICS_FILES if key != "report"},
        **reported_outputs(),
        checksums=L.work_file("metadata_checksums"),
    params:
        code=code("emit_metadata"),
        **rule_params(CFG, "emit_metadata"),
    log:
        L.log("emit_metadata"),
    benchmark:
        L.benchmark("emit_metadata")
    threads: CFG.threads
    resources:
        mem_mb=memory_mb(CFG),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_metadata.py"


rule emit_split_moves:
    """Stable builds only: the records of the previous release that moved, and why."""
    input:
        moves=L.work_file("split_moves"),
        digest=L.work_file("digest"),
    output:
        moves=L.staged_file("split_moves"),
    params:
        code=code("emit_split_moves"),
        **rule_params(CFG, "emit_split_moves"),
    log:
        L.log("emit_split_moves"),
    benchmark:
        L.benchmark("emit_split_moves")
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_split_moves.py"


rule emit_card:
    """The dataset card README.md: Hugging Face configs and features, licence, citation."""
    input:
        **{f"stats_{name}": L.staged_file(f"stats_{name}") for name in CARD_STATISTICS},
        **{key: L.staged_file(key) for key in SPLIT_FILES},
        checksums=L.work_file("metadata_checksums"),
        digest=L.work_file("digest"),
    output:
        card=L.staged_file("card"),
    params:
        code=code("emit_card"),
        **rule_params(CFG, "emit_card"),
    log:
        L.log("emit_card"),
    benchmark:
        L.benchmark("emit_card")
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_card.py"


rule emit_croissant:
    input:
        **{key: L.staged_file(key) for key in TABLE_FILES},
        **{f"stats_{name}": L.staged_file(f"stats_{name}") for name in CROISSANT_STATISTICS},
        checksums=L.work_file("metadata_checksums"),
        digest=L.work_file("digest"),
    output:
        croissant=L.staged_file("croissant"),
    params:
        code=code("emit_croissant"),
        **rule_params(CFG, "emit_croissant"),
    log:
        L.log("emit_croissant"),
    benchmark:
        L.benchmark("emit_croissant")
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_croissant.py"


rule emit_manifest:
    input:
        release=release_files(),
        digest=L.work_file("digest"),
        # checksums of the large files, taken by the jobs that wrote (or read) them
        measured=[L.work_file("metadata_checksums"), L.work_file("input_checksums")],
    output:
        manifest=L.staged_file("manifest"),
    params:
        code=code("emit_manifest"),
        **rule_params(CFG, "emit_manifest"),
    log:
        L.log("emit_manifest"),
    benchmark:
        L.benchmark("emit_manifest")
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/emit_manifest.py"


rule publish:
    """Switch release.output_dir to the new release in one step (docs/decisions.md)."""
    input:
        release=release_files(),
        manifest=L.staged_file("manifest"),
    output:
        published=L.work_file("published"),
    params:
        code=code("publish"),
        **rule_params(CFG, "publish"),
    log:
        L.log("publish"),
    benchmark:
        L.benchmark("publish")
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/publish.py"
