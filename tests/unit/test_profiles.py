"""The shipped Snakemake profiles name real rules and valid settings."""

import re

import yaml

from tests.support import ROOT

RULES = {
    name
    for path in (ROOT / "workflow" / "rules").glob("*.smk")
    for name in re.findall(r"(?m)^rule (\w+):", path.read_text())
}


def test_slurm_profile_sizes_existing_rules():
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert set(profile["set-resources"]) <= RULES
    assert {"slurm_account", "slurm_partition", "mem_mb", "runtime"} <= set(
        profile["default-resources"]
    )


def test_default_profile_reruns_incomplete_jobs_and_leaves_the_console_to_the_stages():
    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile == {"rerun-incomplete": True, "quiet": ["rules", "progress", "host"]}
