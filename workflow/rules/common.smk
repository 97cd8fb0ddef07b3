# Setup shared by every rule: the validated config, the file layout and the params of each
# rule (curation/wiring.py), the code each rule runs.  Helper functions live here and nowhere
# else; snakemake --lint flags files that mix rules and functions.

import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

# Jobs inherit this environment.  numpy (imported for the partition RNG and by rapidfuzz) starts
# an OpenBLAS thread pool that nothing here uses and whose idle threads spin on the cores polars
# works on; one BLAS thread is enough.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from curation.wiring import (
    STATISTICS_FILES,
    SUMMARY_FILES,
    TABLE_FILES,
    Layout,
    foreign_files,
    missing_inputs,
    rule_params,
)
from curation.sources import digest
from schemas.config import ConfigError, load_config, typed_command_line
from snakemake.utils import update_config

# --config values win over the config files; their nested numbers come typed (typed_command_line).
_command_line = typed_command_line(workflow.config_settings.overwrite_config)
update_config(config, _command_line)
_sources = ", ".join([*map(str, workflow.configfiles), *(["--config"] if _command_line else [])])
try:
    CFG = load_config(config, _sources or "defaults", _command_line)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

L = Layout(work=CFG.release.work_dir, release=CFG.release.output_dir, stem=CFG.release.file_stem)
if _missing := missing_inputs(CFG):
    raise WorkflowError("input file missing:\n  " + "\n  ".join(_missing))
if _foreign := foreign_files(L):
    raise WorkflowError(
        f"release.output_dir {L.release} holds {len(_foreign)} files this release does not "
        f"write (e.g. {', '.join(_foreign[:3])}); name an empty or new directory"
    )


def code(script):
    """One digest of a rule script and every project module it imports, directly or not: a param,
    so that editing any of them re-runs the rule (Snakemake does not follow imports)."""
    root = Path(workflow.basedir)
    return digest(root, [root / "workflow" / "scripts" / f"{script}.py"])


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


def release_files():
    return list(L.release_files().values())


def corrections_table():
    """The C1 corrections table: the configured one, or the (empty) table shipped with the pipeline."""
    return CFG.curation.corrections_table or os.path.join(workflow.basedir, "resources", "corrections.tsv")
