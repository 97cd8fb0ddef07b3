"""The pipeline's wiring: where every file of a build lives and which settings each rule reads.

The Snakefile's rules and the tests take their paths and params from here, so the wiring is
written once.  Work files are relative to ``release.work_dir``.  The release is built in
``<work_dir>/release/`` and published at ``release.output_dir`` (a link to a versioned directory
beside it: curation/release/publish.py); its files have the same relative paths in both.  A
rule's params are exactly the settings its script reads, so changing a setting re-runs the rules
that read it and those downstream, no more.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.evolve import output as diff_output
from curation.evolve import releases
from curation.evolve.releases import ReleaseError, release_table
from curation.ingest.parse import part_name
from curation.labels.chain import STEP_SETTINGS
from curation.labels.chain import settings as step_settings
from curation.release import publish
from curation.release.card import RELEASE_SETTINGS as CARD_SETTINGS
from curation.release.croissant import RELEASE_SETTINGS as CROISSANT_SETTINGS
from curation.release.report import PLOTS
from curation.release.stats import TABLES as STATS_TABLES
from schemas.config import PipelineConfig
from schemas.tables import SPLITS

#: Intermediates between the stages, relative to the work directory.
WORK_FILES: dict[str, str] = {
    "export": "input/generated_bcdm.tsv",
    "truth": "input/generated_truth.parquet",
    # one directory of sorted runs per part of an input ({part}: curation.wiring.ingest_parts)
    "ingest_part": "ingest/parts/{part}",
    "records": "ingest/records.parquet",
    "barcodes": "ingest/barcodes.parquet",
    "labels": "ingest/labels.parquet",
    "rejects": "ingest/rejects.parquet",
    "issues": "ingest/issues.parquet",
    "ingest_summary": "ingest/summary.json",
    "input_checksums": "ingest/input_checksums.json",
    "variant_map": "normalise/variant_map.parquet",
    "curated": "curation/curated.parquet",
    "changes": "curation/changes.parquet",
    "curation_summary": "curation/summary.json",
    "splits": "partition/splits.parquet",
    "partition_checks": "partition/checks.json",
    "split_moves": "partition/split_moves.parquet",
    "digest": "emit/digest.json",
    "metadata_checksums": "emit/metadata_checksums.json",
    "published": "emit/published.json",
    # the report's plots as files too, for Snakemake's own report (snakemake --report)
    **{f"plot_{plot.key}": f"emit/plots/{plot.key}.png" for plot in PLOTS},
}
#: Where the release is built, relative to the work directory (readers never look there).
STAGING_DIR = "release"

#: Per-shard intermediates of the label stages; ``{scatteritem}`` is Snakemake's shard name.
SHARD_FILES: dict[str, str] = {
    "labels": "shards/{scatteritem}/labels.parquet",
    "normalised": "shards/{scatteritem}/normalised.parquet",
    "normalise_changes": "shards/{scatteritem}/normalise_changes.parquet",
    "resolved": "shards/{scatteritem}/resolved.parquet",
    "resolve_changes": "shards/{scatteritem}/resolve_changes.parquet",
    "inferred": "shards/{scatteritem}/inferred.parquet",
    "changes": "shards/{scatteritem}/changes.parquet",
    # what the global steps plan from (curation.labels.complete.shard_facts)
    "label_paths": "shards/{scatteritem}/label_paths.parquet",
    "bin_conflicts": "shards/{scatteritem}/bin_conflicts.parquet",
    # emit's spill directories (the release in pieces), removed once emit_part has run
    "emit_rows": "shards/{scatteritem}/emit_rows",
    "emit_barcodes": "shards/{scatteritem}/emit_barcodes",
    # fragments of the release files, removed once emit_metadata has put them together
    "emit_part": "shards/{scatteritem}/emit_part",
}

#: The files of a release, relative to the release directory.  ``output_dir`` named
#: ``bioscan5m`` makes its parent the ``root`` of the BIOSCAN-5M client (docs/formats.md).
RELEASE_FILES: dict[str, str] = {
    "card": "README.md",
    "csv": "metadata/csv/{stem}.csv",
    "parquet": "metadata/parquet/{stem}.parquet",
    **{f"split_{name}": f"metadata/parquet/splits/{name}.parquet" for name in SPLITS},
    "changes": "metadata/parquet/changes.parquet",
    "rejects": "metadata/parquet/rejects.parquet",
    "issues": "metadata/parquet/issues.parquet",
    "croissant": "metadata/croissant.json",
    "stats": "stats/tables.md",
    **{f"stats_{name}": f"stats/{name}.csv" for name in STATS_TABLES},
    "report": "report.html",
    "manifest": "MANIFEST",
}
#: Where a release holds its diff with the release it was compared with (release.compare_with),
#: relative to the release directory: tables, summary.md, summary.html, plots.
DIFF_DIR = "diff"
DIFF_FILES: dict[str, str] = {
    f"diff_{key}": f"{DIFF_DIR}/{relative}" for key, relative in diff_output.FILES.items()
}
#: Release files only a stable build (partition.previous_release set) has.
STABLE_RELEASE_FILES: dict[str, str] = {"split_moves": "metadata/parquet/split_moves.parquet"}
#: The per-split Parquet files, in split order.
SPLIT_FILES: tuple[str, ...] = tuple(f"split_{name}" for name in SPLITS)
#: The release tables (emit_metadata writes them, Croissant describes them).
TABLE_FILES: tuple[str, ...] = ("csv", "parquet", *SPLIT_FILES, "changes", "rejects", "issues")
#: The statistics of the release and its quality report (emit_metadata writes them too).
STATISTICS_FILES: tuple[str, ...] = ("stats", *(f"stats_{name}" for name in STATS_TABLES), "report")
#: The quality report's plots, as work files beside it (emit_metadata writes them too).
PLOT_FILES: tuple[str, ...] = tuple(f"plot_{plot.key}" for plot in PLOTS)
#: The stage summaries the quality report checks the release against.
SUMMARY_FILES: tuple[str, ...] = ("ingest_summary", "curation_summary", "partition_checks")


@dataclass(frozen=True)
class Layout:
    """The paths of one build: the ``work`` directory, the ``release`` a reader opens (the
    published link), the metadata file stem."""

    work: str
    release: str
    stem: str

    def work_file(self, key: str) -> str:
        """An intermediate by its WORK_FILES key."""
        return f"{self.work}/{WORK_FILES[key]}"

    def shard_file(self, key: str) -> str:
        """A per-shard intermediate by its SHARD_FILES key, with the ``{scatteritem}`` wildcard."""
        return f"{self.work}/{SHARD_FILES[key]}"

    def log(self, rule: str) -> str:
        return f"{self.work}/logs/{rule}.log"

    def benchmark(self, rule: str) -> str:
        return f"{self.work}/benchmarks/{rule}.tsv"

    def release_file(self, key: str) -> str:
        """A published release file by its RELEASE_FILES key (where a reader finds it)."""
        return f"{self.release}/{_release_path(key).format(stem=self.stem)}"

    def release_files(self) -> dict[str, str]:
        """Every published release file, by key."""
        return {key: self.release_file(key) for key in RELEASE_FILES}

    @property
    def staging(self) -> str:
        """The directory the emit rules build the release in."""
        return f"{self.work}/{STAGING_DIR}"

    def staged_file(self, key: str) -> str:
        """A release file by its RELEASE_FILES key, where the emit rules write it."""
        return f"{self.staging}/{_release_path(key).format(stem=self.stem)}"

    def staged_files(self) -> dict[str, str]:
        """Every release file where the emit rules write it, by key."""
        return {key: self.staged_file(key) for key in RELEASE_FILES}

    def staged_diff_files(self) -> dict[str, str]:
        """The files of the release's diff where the diff rule writes them, by key."""
        return {key: f"{self.staging}/{relative}" for key, relative in DIFF_FILES.items()}


def _release_path(key: str) -> str:
    """A release file's path template, of every build or of stable builds only."""
    return RELEASE_FILES[key] if key in RELEASE_FILES else STABLE_RELEASE_FILES[key]


def stable_files(cfg: PipelineConfig, layout: Layout) -> list[str]:
    """The staged release files a stable build adds (none when previous_release is null)."""
    if cfg.partition.previous_release is None:
        return []
    return [layout.staged_file(key) for key in STABLE_RELEASE_FILES]


def previous_release_table(cfg: PipelineConfig) -> list[str]:
    """The previous release's metadata table (an input of partition and digest), or none.
    ReleaseError when it is not a release, or is in this build's own output: each build
    replaces that, so the next build would follow the release it just made, and publishing
    prunes the older versions it would follow."""
    if cfg.partition.previous_release is None:
        return []
    _refuse_own_output(cfg, cfg.partition.previous_release)
    # resolved: a published link's target, which the next publication does not change
    return [os.path.realpath(releases.release_table(cfg.partition.previous_release))]


def rule_params(cfg: PipelineConfig, rule: str) -> dict[str, Any]:
    """The params of ``rule``: the settings its script reads."""
    release = cfg.release
    if rule in STEP_SETTINGS:
        return {"settings": step_settings(cfg.curation, rule)}
    params: dict[str, dict[str, Any]] = {
        "generate_input": {
            "records": cfg.input.generator.records,
            "seed": cfg.input.generator.seed,
        },
        "ingest_part": {
            "target_marker": cfg.input.target_marker,
            "memory_gb": cfg.memory_gb,
            "parts": effective_shards(cfg),
            "fingerprints": input_fingerprints(cfg.input.files),
        },
        "ingest": {
            "target_marker": cfg.input.target_marker,
            "scope": cfg.input.scope,
            "memory_gb": cfg.memory_gb,
        },
        "digest": {"settings": cfg.content_settings()},
        "partition": {"partition": cfg.partition.model_dump()},
        "emit_metadata": {
            "name": release.name,
            "version": release.version,
            "row_group_size": release.parquet_row_group_size,
            # report.html links the diff's summary (only then: the default report is unchanged)
            **({"links": [DIFF_LINK]} if compared_release(cfg) else {}),
            "files": [[RELEASE_FILES[key], text] for key, text in REPORT_FILE_LINKS.items()]
            + _stable_file_rows(cfg),
        },
        **{
            rule: {"row_group_size": release.parquet_row_group_size, "memory_gb": cfg.memory_gb}
            for rule in ("emit_rows", "emit_barcodes")
        },
        "emit_part": {
            "name": release.name,
            "version": release.version,
            "row_group_size": release.parquet_row_group_size,
            "memory_gb": cfg.memory_gb,
        },
        "diff": {"new": f"{release.name} {release.version}"},
        "emit_split_moves": {
            "name": release.name,
            "version": release.version,
            "row_group_size": release.parquet_row_group_size,
        },
        "emit_card": {
            "release": release.model_dump(mode="json", include=set(CARD_SETTINGS)),
            "split_files": {split: RELEASE_FILES[f"split_{split}"] for split in SPLITS},
            # what the release adds when it follows a previous one or is compared with one
            "extra_files": _stable_file_rows(cfg) + ([DIFF_ROW] if compared_release(cfg) else []),
        },
        "emit_croissant": {
            "release": release.model_dump(mode="json", include=set(CROISSANT_SETTINGS))
        },
        "emit_manifest": {"name": release.name, "version": release.version},
        "publish": {"link": release.output_dir, "version": release.version},
    }
    return params.get(rule, {})


#: The release files the quality report links to (beside it), with what each is.
REPORT_FILE_LINKS = {
    "card": "dataset card: loading, licence, citation",
    "manifest": "checksums of every file",
    "croissant": "Croissant description",
    "changes": "every label change",
    "rejects": "every input row not released",
    "issues": "every input field repaired or unreadable",
}


def _stable_file_rows(cfg: PipelineConfig) -> list[list[str]]:
    """(path, what) of the files a release following a previous one adds (none otherwise)."""
    if cfg.partition.previous_release is None:
        return []
    what = "every record of the release this one follows that left its split, with the reason"
    return [[STABLE_RELEASE_FILES["split_moves"], what]]


#: The dataset card's row for the diff of a compared release (report.html links its summary).
DIFF_ROW = [f"{DIFF_DIR}/", "what changed since the compared release (summary.html)"]


#: The quality report's link to the diff's summary: (href, text).
DIFF_LINK = (
    f"{DIFF_DIR}/{diff_output.FILES['summary_html']}",
    "What changed since the release this one was compared with (diff/summary.html)",
)


def compared_release(cfg: PipelineConfig) -> str | None:
    """The release this build is compared with: ``release.compare_with``, else the previous
    release of stable partitioning (``partition.previous_release``), else None."""
    return cfg.release.compare_with or cfg.partition.previous_release


def compared_table(cfg: PipelineConfig) -> str | None:
    """The metadata table of the compared release, None without one.  ReleaseError when it is
    not a release, or is this build's own (published or staged) release: each build replaces
    that, so the diff would compare the release with itself the next time (docs/decisions.md "Release
    diff")."""
    path = cfg.release.compare_with
    if path is None:
        # stable partitioning's previous release, as partition reads it
        return next(iter(previous_release_table(cfg)), None)
    _refuse_own_output(cfg, path)
    return str(release_table(path))


def _refuse_own_output(cfg: PipelineConfig, path: str) -> None:
    """ReleaseError if ``path`` is in this build's own output (published or staged)."""
    link = cfg.release.output_dir
    work = cfg.release.work_dir
    own = [Path(place).resolve() for place in (link, publish.versions_dir(link), work)]
    given = Path(path).resolve()
    if any(given == place or place in given.parents for place in own):
        raise ReleaseError(
            f"{path} is in this build's own output (release.output_dir {link} or work_dir "
            f"{work}), which each build replaces: copy the release elsewhere "
            f"(cp -rL {link} releases/<version>) and name the copy"
        )


#: Bytes of raw export per record, at least (the generator's BCDM rows: 1.3 KB; real exports have
#: more columns), to estimate the records of configured inputs from their sizes.
INPUT_BYTES_PER_RECORD = 1024
#: Bytes a record takes in the largest per-shard label job (normalise: 570 MiB at 1 M records).
LABEL_BYTES_PER_RECORD = 600
_GIB = 1 << 30


def expected_records(cfg: PipelineConfig) -> int:
    """The records a build will hold, estimated before ingest: the generator's count, or the
    configured exports' sizes (generously: an overestimate only adds shards)."""
    if not cfg.input.files:
        return cfg.input.generator.records
    sizes = sum(os.path.getsize(path) for path in cfg.input.files if os.path.isfile(path))
    return sizes // INPUT_BYTES_PER_RECORD


def effective_shards(cfg: PipelineConfig) -> int:
    """Shards of the per-barcode label stages and of emit's passes: ``shards``, or more if a
    shard of the label stages would not fit ``memory_gb`` (the release is the same for any
    count, docs/decisions.md)."""
    needed = -(-expected_records(cfg) * LABEL_BYTES_PER_RECORD // int(cfg.memory_gb * _GIB))
    return max(cfg.shards, needed)


def shard_threads(cfg: PipelineConfig) -> int:
    """Threads a job of a sharded stage (ingest's parse, normalise, resolve, infer) declares:
    ``threads`` shared among the stage's shards, at least one, so that Snakemake runs the
    shards side by side within ``--cores`` instead of one after the other.  variant_map and
    shard_labels declare it too: with several shards both run, side by side."""
    return max(1, cfg.threads // effective_shards(cfg))


def emit_parts(cfg: PipelineConfig) -> int:
    """emit_part jobs: ``shards`` as configured.  Their memory is bounded by the parts
    whatever their number (unlike the label shards), and each job beyond the first costs a copy
    of the release's files when they are put together (docs/decisions.md "The release written
    in fragments"), so a single machine's build (``shards: 1``) writes the release in one."""
    return cfg.shards


def memory_mb(cfg: PipelineConfig) -> int:
    """The memory a bounded-memory job declares to the scheduler (``memory_gb``), in MB."""
    return max(1, int(cfg.memory_gb * 1024))


def ingest_parts(files: int, parts: int) -> list[str]:
    """The ``{part}`` names of ingest's parse jobs, in input order: each of ``files`` inputs cut
    in ``parts`` byte ranges (the effective shard count, so a large input is parsed by several
    jobs side by side even with ``shards: 1``; curation/ingest/batches.py)."""
    return [part_name(file, part) for file in range(files) for part in range(parts)]


def configured_inputs(cfg: PipelineConfig) -> dict[str, str]:
    """The files the configuration names, by config key (the generator's export is not one)."""
    named = {f"input.files[{i}]": path for i, path in enumerate(cfg.input.files)}
    for key, path in (
        ("input.bioscan1m_metadata", cfg.input.bioscan1m_metadata),
        ("input.bounding_boxes", cfg.input.bounding_boxes),
        ("curation.corrections_table", cfg.curation.corrections_table),
    ):
        if path is not None:
            named[key] = path
    return named


def missing_inputs(cfg: PipelineConfig) -> list[str]:
    """One line per configured input file that is not there (or is a directory)."""
    return [
        f"{key}: {'a directory, not a file' if os.path.isdir(path) else 'no such file'}: {path}"
        for key, path in configured_inputs(cfg).items()
        if not os.path.isfile(path)
    ]


def foreign_files(layout: Layout) -> list[str]:
    """What at ``output_dir`` and in its versions directory this pipeline did not publish.

    Publishing replaces ``output_dir`` by a link; a directory there with files in it, a link
    elsewhere, or files in the versions directory that no release lists were not made by a
    build of this pipeline (a typo in ``output_dir``, someone's own files), and the build stops
    rather than replace or mix with them.
    """
    return publish.foreign(layout.release)


def unpublished(layout: Layout) -> bool:
    """Was the release recorded as published, but is no longer where the record says (the link
    or its version directory was removed by hand)?  Then it must be published again."""
    record = Path(layout.work_file("published"))
    if not record.is_file():
        return False
    try:
        target = json.loads(record.read_text(encoding="utf-8"))["target"]
    except (ValueError, KeyError, TypeError):
        return True
    link = Path(layout.release)
    return not (link.is_symlink() and os.readlink(link) == target and link.is_dir())


def input_fingerprints(paths: list[str]) -> list[list[object]]:
    """(path, size, mtime, ctime) of each input, a param of ingest so that Snakemake re-runs it
    when an input's content changes even if its mtime was restored: a write always moves the
    ctime, which no user tool can set back (docs/decisions.md, "Input changes")."""
    prints: list[list[object]] = []
    for path in paths:
        status = os.stat(path)
        prints.append([path, status.st_size, status.st_mtime_ns, status.st_ctime_ns])
    return prints
