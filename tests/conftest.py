"""Shared test settings: a hypothesis profile that keeps the suite fast on a 2-core CI machine,
and the staging directory of atomic writes."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture
def staging(tmp_path, monkeypatch):
    """Stage atomic writes (curation.io) under ``tmp_path``, not in the working directory."""
    monkeypatch.setenv("CURATION_STAGING_DIR", str(tmp_path / "staging"))
    return tmp_path
