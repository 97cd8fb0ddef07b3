"""The source files a rule runs, so that editing any of them re-runs the rule.

Snakemake tracks a ``script:`` by its own file only, not the modules it imports.  This module
follows the ``import`` statements of a rule script into the project's own packages and returns
every file reached (:func:`closure`), and one sha256 of their contents (:func:`digest`).  Each rule
passes that digest as a param: an edit changes it and Snakemake re-runs the rule, while the
console and the job records stay one line long however many modules a rule imports
(docs/decisions.md "Rule code is tracked by a digest").
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

#: The project's importable packages; imports of anything else (polars, numpy, …) are ignored.
PACKAGES = ("curation", "schemas")


def module_file(root: Path, module: str) -> Path | None:
    """The file of a dotted project module (``curation.labels.vote``), or None if it is not ours."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def imported_modules(path: Path) -> frozenset[str]:
    """Dotted names of the modules ``path`` imports (``from curation import io`` gives both).
    Parsed once per process: the Snakefile asks for the closure of every rule's script, and the
    rules share most of their modules (parsing them again for each took ~2 s per build start)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def closure(root: Path, files: Iterable[Path]) -> list[str]:
    """``files`` and every project source file reachable from them by imports, sorted."""
    pending = list(files)
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            found = module_file(root, name)
            if found is not None and found not in seen:
                pending.append(found)
    return sorted(str(path) for path in seen)


def digest(root: Path, files: Iterable[Path]) -> str:
    """sha256 of the :func:`closure` of ``files``: each file's path relative to ``root`` and its
    bytes.  Content, not mtime, so touching a file or moving the checkout re-runs nothing."""
    hasher = hashlib.sha256()
    for name in closure(root, files):
        path = Path(name)
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()
