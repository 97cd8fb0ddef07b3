"""Writing a release diff into a directory: its tables as Parquet (for DuckDB), its summary as
Markdown and HTML, its plots as PNG (docs/formats.md#release-diff).

The file edge of ``curation.evolve``: the command (``python -m curation.evolve``) and the
workflow's ``diff`` rule both write through :func:`write`.  Every file is written atomically and
deterministically: the same two releases give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from curation import io
from curation.evolve import summary
from curation.evolve.diff import SORT_KEYS, ReleaseDiff
from curation.release import writers
from schemas.tables import DIFF_SCHEMAS, RELEASE_SCHEMA_VERSION

#: Where each file of a diff lies, relative to the diff's directory.
FILES: dict[str, str] = {
    **{name: f"{name}.parquet" for name in DIFF_SCHEMAS},
    "summary_md": "summary.md",
    "summary_html": "summary.html",
    **{f"plot_{plot.key}": f"plots/{plot.key}.png" for plot in summary.PLOTS},
}
#: Rows per Parquet row group (the release's default).
ROW_GROUP_SIZE = 131_072


def write(
    diff: ReleaseDiff, directory: str | os.PathLike[str], *, old: str, new: str
) -> list[Path]:
    """Write every file of ``diff`` into ``directory`` (made if absent); ``old``/``new`` name the
    two releases in the summary and in the tables' metadata.  Returns the files, in FILES order."""
    place = Path(directory)
    paths = {key: place / relative for key, relative in FILES.items()}
    for name, table in diff.tables.items():
        writers.write_parquet(
            table,
            paths[name],
            row_group_size=ROW_GROUP_SIZE,
            metadata={
                "diff_old": old,
                "diff_new": new,
                "sort_order": ", ".join(SORT_KEYS[name]),
                "old_rules": _named(diff.old_rules),
                "new_rules": _named(diff.new_rules),
                "schema_version": RELEASE_SCHEMA_VERSION,
            },
        )
    images = summary.plots(diff)
    for key, png in images.items():
        io.write_bytes(png, paths[f"plot_{key}"])
    io.write_text(summary.markdown(diff, old, new), paths["summary_md"])
    io.write_text(summary.page(diff, old, new, images), paths["summary_html"])
    return list(paths.values())


def _named(rules: bool) -> str:
    """Whether a release's rules are named (its ``*_rule`` column), for the tables' metadata."""
    return "named: from its changes table" if rules else "not named: it has no changes table"
