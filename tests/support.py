"""What every test module may share: the repository's paths and the staging of atomic writes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from curation import io

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
REAL = DATA / "real"


@contextlib.contextmanager
def staged_in(directory: str | os.PathLike[str]) -> Iterator[Path]:
    """Stage atomic writes (:mod:`curation.io`) under ``directory`` while the block runs."""
    previous = os.environ.get(io.STAGING_ENV)
    os.environ[io.STAGING_ENV] = os.path.abspath(directory)
    try:
        yield Path(directory)
    finally:
        if previous is None:
            os.environ.pop(io.STAGING_ENV)
        else:
            os.environ[io.STAGING_ENV] = previous
