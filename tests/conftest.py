"""Shared test settings: a hypothesis profile that keeps the suite fast on a 2-core CI machine,
and the one fixture that stages atomic writes under the test's own directory."""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.support import staged_in

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def staging(tmp_path):
    """Stage atomic writes (curation.io) under ``tmp_path``, not in the working directory."""
    with staged_in(tmp_path / "staging"):
        yield tmp_path
