"""Rule code: a script's transitive project imports (and nothing from outside), and their digest."""

import os
from pathlib import Path

from curation.sources import closure, digest
from tests.support import ROOT


def names(files: list[str]) -> set[str]:
    return {str(Path(f).relative_to(ROOT)) for f in files}


def test_closure_follows_transitive_imports():
    found = names(closure(ROOT, [ROOT / "workflow" / "scripts" / "gather_curation.py"]))
    # gather_curation imports provenance, which imports names, which imports ingest_codes.
    assert {
        "workflow/scripts/gather_curation.py",
        "curation/labels/provenance.py",
        "curation/io.py",
        "curation/labels/homonyms.py",
        "schemas/tables.py",
    } <= found
    assert "curation/names.py" in found


def test_closure_ignores_third_party_and_unrelated_modules(tmp_path):
    (tmp_path / "curation").mkdir()
    (tmp_path / "curation" / "__init__.py").write_text("")
    (tmp_path / "curation" / "a.py").write_text("import polars as pl\nfrom curation import b\n")
    (tmp_path / "curation" / "b.py").write_text("from . import c\n")
    (tmp_path / "curation" / "c.py").write_text("")
    script = tmp_path / "rule.py"
    script.write_text("import numpy\nfrom curation.a import thing\n")
    found = {Path(f).relative_to(tmp_path).as_posix() for f in closure(tmp_path, [script])}
    # Relative imports are not followed: the project's modules use absolute imports only.
    assert found == {"rule.py", "curation/__init__.py", "curation/a.py", "curation/b.py"}


def small_project(root: Path) -> Path:
    (root / "curation").mkdir(parents=True)
    (root / "curation" / "__init__.py").write_text("")
    (root / "curation" / "a.py").write_text("X = 1\n")
    script = root / "rule.py"
    script.write_text("from curation.a import X\n")
    return script


def test_the_code_digest_follows_content_not_place_or_mtime(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    first = digest(here, [small_project(here)])
    assert digest(there, [small_project(there)]) == first  # another checkout, same code
    module = here / "curation" / "a.py"
    os.utime(module, (1, 1))
    assert digest(here, [here / "rule.py"]) == first  # touched, not edited
    module.write_text("X = 2\n")
    assert digest(here, [here / "rule.py"]) != first  # an imported module edited
