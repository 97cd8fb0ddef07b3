# Setup shared by every rule: the validated config, the file layout and the params of each
# rule (curation/wiring.py), the code each rule runs.  Helper functions live here and nowhere
# else; snakemake --lint flags files that mix rules and functions.

import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, workflow.basedir)

# Jobs inherit this environment.  numpy (imported for the partition RNG and by rapidfuzz) starts
# an OpenBLAS thread pool that nothing here uses and whose idle threads spin on the cores polars
# works on; one BLAS thread is enough.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from curation.release.card import STATISTICS as CARD_STATISTICS
from curation.release.croissant import STATISTICS as CROISSANT_STATISTICS
from curation.evolve.releases import ReleaseError
from curation.wiring import (
    DIFF_DIR,
    SPLIT_FILES,
    STATISTICS_FILES,
    SUMMARY_FILES,
    TABLE_FILES,
    Layout,
    compared_table,
    effective_shards,
    emit_parts,
    foreign_files,
    ingest_parts,
    missing_inputs,
    memory_mb,
    shard_threads,
    previous_release_table,
    rule_params,
    stable_files,
    unpublished,
)
from curation import console
from curation.evolve.releases import ReleaseError
from curation.ingest.parse import part_of
from curation.release.report import PLOTS
from curation.sources import digest
from schemas.config import ConfigError, load_config, typed_command_line
from snakemake.logging import logger as snakemake_logger
from snakemake.settings.enums import Quietness
from snakemake.utils import update_config

#: When this invocation started: job logs older than this are an earlier build's.
STARTED = time.time()

# When Snakemake's job output is quiet (profiles/default), the console shows the stages' lines
# and the closing summary (curation/console.py) and Snakemake's routine messages go only to its
# log file.  Dry runs print Snakemake's plan as usual.
if Quietness.RULES in (workflow.output_settings.quiet or ()):
    console.quiet_console(snakemake_logger, active=lambda: not workflow.dryrun)

# --config values win over the config files; their nested numbers come typed (typed_command_line).
# (Snakemake's overwrite_config also holds the --configfile values: those are typed YAML already.)
_command_line = typed_command_line(dict(workflow.config_settings.config))
update_config(config, _command_line)
# The config files read, each once (the Snakefile's config.yaml may also be given by --configfile).
_files = {}
for _path in workflow.configfiles:
    _files.setdefault(os.path.realpath(_path), str(_path))
_sources = ", ".join([*_files.values(), *(["--config"] if _command_line else [])])
try:
    CFG = load_config(config, _sources or "defaults", _command_line)
except ConfigError as err:
    # A configuration error stops the run with its message alone: a WorkflowError would add
    # where in common.smk it was raised, which tells the user nothing.
    sys.exit(str(err))

L = Layout(work=CFG.release.work_dir, release=CFG.release.output_dir, stem=CFG.release.file_stem)
if _missing := missing_inputs(CFG):
    sys.exit("input file not there:\n  " + "\n  ".join(_missing))
if _foreign := foreign_files(L):
    sys.exit(
        f"release.output_dir {L.release} (or {L.release}.versions beside it) holds "
        f"{len(_foreign)} files this pipeline did not write (e.g. {', '.join(_foreign[:3])}); "
        "name a new path: the release is published there as a link to its current version"
    )
try:
    #: The previous release's table, for stable partitioning (a list of none or one path).
    PREVIOUS_TABLE = previous_release_table(CFG)
except ReleaseError as err:
    sys.exit(f"partition.previous_release: {err}")
#: The release files of stable builds only; a stable build's left in the staging directory by an
#: earlier build would not be in this one's MANIFEST, and publish would refuse the directory.
STABLE_FILES = stable_files(CFG, L)
if not STABLE_FILES and os.path.exists(L.staged_file("split_moves")):
    os.remove(L.staged_file("split_moves"))
try:
    # The metadata table of release.compare_with (None: no diff), an input of digest and diff.
    COMPARED = compared_table(CFG)
except ReleaseError as err:
    sys.exit(f"release.compare_with: {err}")
if not COMPARED:
    # a diff left in the staging directory by an earlier build is not this release's
    shutil.rmtree(os.path.join(L.staging, DIFF_DIR), ignore_errors=True)
if unpublished(L):
    # The link or its version was removed by hand: forget the publication, so publish runs.
    os.remove(L.work_file("published"))


def code(script):
    """One digest of a script and every project module it imports, directly or not.  A param of
    the rule that runs the script, so that editing any of them re-runs it (Snakemake does not
    follow imports)."""
    root = Path(workflow.basedir)
    return digest(root, [root / "workflow" / "scripts" / f"{script}.py"])


def release_files():
    """Every file of the staged release but its MANIFEST: the emit rules', a stable
    build's, and with release.compare_with the diff's."""
    files = [path for key, path in L.staged_files().items() if key != "manifest"] + STABLE_FILES
    return files + (list(L.staged_diff_files().values()) if COMPARED else [])


def stable_inputs():
    """partition's inputs in stable mode: the previous release's table and the barcodes, whose
    sequences link its records' barcodes to this build's keys."""
    if not PREVIOUS_TABLE:
        return {}
    return {"previous": PREVIOUS_TABLE[0], "barcodes": L.work_file("barcodes")}


def labels_of_shard(wildcards):
    """The labels of one shard.  With a single shard there is nothing to split: it is the
    ingested labels table itself (shard_labels would only copy it)."""
    if wildcards.scatteritem == "1-of-1":
        return L.work_file("labels")
    return L.shard_file("labels")


def input_files():
    """The raw exports to ingest: the configured files, or the generator's export."""
    if CFG.input.files:
        return list(CFG.input.files)
    return [L.work_file("export")]


def export_of_part(wildcards):
    """The input file an ingest part reads."""
    return input_files()[part_of(wildcards.part)[0]]


def corrections_table():
    """The C1 corrections table: the configured one, or the (empty) table shipped with the pipeline."""
    return CFG.curation.corrections_table or os.path.join(workflow.basedir, "resources", "corrections.tsv")


def reported_outputs():
    """emit_metadata's outputs that Snakemake's own report carries (snakemake --report
    report.zip): the quality report, and its plots with their captions."""
    plots = {
        f"plot_{plot.key}": report(
            L.work_file(f"plot_{plot.key}"),
            category="Quality report",
            subcategory="Plots",
            labels={"plot": plot.title, "caption": plot.caption},
        )
        for plot in PLOTS
    }
    page = report(
        L.staged_file("report"),
        caption=os.path.join(workflow.basedir, "workflow", "report", "quality_report.rst"),
        category="Quality report",
        labels={"file": "report.html"},
    )
    return {"report": page, **plots}


def build_summary():
    """The closing lines of a successful build (printed by onsuccess in the Snakefile); a run
    that stopped short of the release (a target such as the ingest summary) says so."""
    if not os.path.exists(L.release_file("parquet")):
        return "Done: the targets asked for are built (not the release)."
    return console.summary(
        records=console.row_count(L.release_file("parquet")),
        rejected=console.row_count(L.release_file("rejects")),
        release=L.release,
        report_html=L.release_file("report"),
        parquet=L.release_file("parquet"),
    )


def build_failure(snakemake_logs):
    """The closing lines of a failed build (printed by onerror in the Snakefile)."""
    return console.failure(Path(CFG.release.work_dir) / "logs", STARTED, snakemake_logs or [])
