"""Running one rule's script without Snakemake, as Snakemake runs it.

The script gets the ``snakemake`` object Snakemake would inject (input, output, params, log);
params default to the rule's own, from the pipeline's wiring (``curation.wiring.rule_params``).
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from snakemake.iocontainers import Namedlist

from curation.wiring import rule_params
from schemas.config import PipelineConfig
from tests.support import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"


def run_rule_script(
    rule: str,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    log: str | Path,
    cfg: PipelineConfig | None = None,
    params: Mapping[str, Any] | None = None,
    wildcards: Mapping[str, str] | None = None,
) -> None:
    """Run ``workflow/scripts/<rule>.py``; its params are ``params`` or those of ``cfg``."""
    if params is None:
        params = rule_params(cfg or PipelineConfig(), rule)
    smk = SimpleNamespace(
        input=Namedlist(fromdict={k: _text(v) for k, v in inputs.items()}),
        output=Namedlist(fromdict={k: _text(v) for k, v in outputs.items()}),
        params=Namedlist(fromdict=dict(params)),
        log=[str(log)],
        wildcards=Namedlist(fromdict=dict(wildcards or {})),
    )
    runpy.run_path(str(SCRIPTS / f"{rule}.py"), init_globals={"snakemake": smk})


def _text(value: Any) -> Any:
    """Paths as strings, as Snakemake gives them (lists element-wise)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)
