# Setup shared by every rule: validated config, file layout, shard list.
# (Helper functions live here only; snakemake --lint flags rules and defs mixed in one file.)

import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

# Jobs inherit this environment.  numpy (imported for the partition RNG and by rapidfuzz) starts
# an OpenBLAS thread pool that nothing here uses and whose idle threads spin on the cores polars
# works on; one BLAS thread is enough.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from curation.sources import closure
from schemas.config import ConfigError, load_config
from curation.release.stats import TABLES as STATS_TABLES

try:
    CFG = load_config(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

W = CFG.release.work_dir
R = CFG.release.output_dir
STEM = CFG.release.file_stem
SHARDS = [f"{i:04d}" for i in range(CFG.shards)]

# Files of the release, relative to nothing but R; emit.smk writes each of them.
RELEASE_FILES = {
    "csv": f"{R}/metadata/csv/{STEM}.csv",
    "parquet": f"{R}/metadata/parquet/{STEM}.parquet",
    "changes": f"{R}/metadata/parquet/changes.parquet",
    "rejects": f"{R}/metadata/parquet/rejects.parquet",
    "issues": f"{R}/metadata/parquet/issues.parquet",
    "croissant": f"{R}/metadata/croissant.json",
    "stats": f"{R}/stats/tables.md",
    **{f"stats_{name}": f"{R}/stats/{name}.csv" for name in STATS_TABLES},
    "report": f"{R}/report.html",
    "manifest": f"{R}/MANIFEST",
}


def code(script):
    """A rule script and every project module it imports, directly or not, listed as inputs so
    that editing any of them re-runs the rule (Snakemake does not follow imports)."""
    root = Path(workflow.basedir)
    return closure(root, [root / "workflow" / "scripts" / f"{script}.py"])


def labels_of_shard(wildcards):
    """The labels of one shard.  With a single shard there is nothing to split: it is the
    ingested labels table itself (shard_labels would only copy it)."""
    if CFG.shards == 1:
        return f"{W}/ingest/labels.parquet"
    return f"{W}/shards/{wildcards.shard}/labels.parquet"


def input_files():
    """The raw exports to ingest: the configured files, or the generator's export."""
    if CFG.input.files:
        return list(CFG.input.files)
    return [f"{W}/input/generated_bcdm.tsv"]


def release_files():
    return list(RELEASE_FILES.values())


def corrections_table():
    """The C1 corrections table: the configured one, or the (empty) table shipped with the pipeline."""
    return CFG.curation.corrections_table or os.path.join(workflow.basedir, "resources", "corrections.tsv")
