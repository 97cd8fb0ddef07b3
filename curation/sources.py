"""The source files a rule runs, so that editing any of them re-runs the rule.

Snakemake tracks a ``script:`` by its own file only, not the modules it imports.  Rules therefore
list their code as inputs; listing it by hand misses transitive imports, so this module follows
the ``import`` statements of a rule script into the project's own packages and returns every
file reached.
"""

from __future__ import annotations

import ast
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


def imported_modules(path: Path) -> set[str]:
    """Dotted names of the modules ``path`` imports (``from curation import io`` gives both)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


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
