"""Read a published release back into a frame: this pipeline's release directory (or its CSV or
Parquet metadata file) or any BIOSCAN-5M metadata CSV, the official one included.

The frame has the release columns asked for, ``split`` as the split Enum, one row per processid,
sorted by processid.  A file that is not a release stops with a message naming it and what is
wrong, never a traceback from the CSV reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from schemas.tables import CHANGES_SCHEMA, RANKS, RELEASE_SCHEMA, SPLIT_DTYPE, SPLITS

#: What comparing and re-partitioning need of a previous release.
RECORD_COLUMNS: tuple[str, ...] = ("processid", "split", *RANKS, "dna_bin", "dna_barcode")

#: Files of a release's metadata/parquet folder that are side tables, not the records.
_SIDE_TABLES = frozenset({"changes", "rejects", "issues", "split_moves"})
#: Where a release of this pipeline keeps its changes table (docs/curation.md#provenance).
CHANGES_TABLE = "metadata/parquet/changes.parquet"


class ReleaseError(ValueError):
    """A path that does not hold a readable release; the message names the file."""


#: What a release table's file name ends with (Parquet first).
_TABLE_SUFFIXES = (".parquet", ".csv", ".csv.gz")


def release_table(path: str | Path) -> Path:
    """The metadata file of the release at ``path``: the file itself, or in a release directory
    its Parquet table (else its CSV)."""
    place = Path(path)
    if place.is_file():
        if not place.name.lower().endswith(_TABLE_SUFFIXES):
            raise ReleaseError(f"{place}: a release table is a .csv, .csv.gz or .parquet file")
        return place
    if not place.is_dir():
        raise ReleaseError(f"{place}: no such release file or directory")
    for folder, suffix in (("metadata/parquet", ".parquet"), ("metadata/csv", ".csv")):
        found = sorted(
            table for table in (place / folder).glob(f"*{suffix}") if table.stem not in _SIDE_TABLES
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(table.name for table in found)
            raise ReleaseError(f"{place / folder}: several metadata tables ({names}); name one")
    raise ReleaseError(
        f"{place}: not a release directory (no metadata/parquet/*.parquet or metadata/csv/*.csv)"
    )


def read_release(
    path: str | Path, columns: Sequence[str] = RECORD_COLUMNS, splits: Sequence[str] | None = None
) -> pl.DataFrame:
    """The records of the release at ``path`` (``columns`` of the BIOSCAN-5M contract); with
    ``splits``, only the records of those splits (filtered as the table is read, so that the
    barcodes of a tenth of 5 M records cost a tenth of the memory)."""
    table = release_table(path)
    frame = _scan(table)
    needed = [*columns, *(["split"] if splits is not None else [])]
    missing = [name for name in needed if name not in frame.collect_schema()]
    if missing:
        raise ReleaseError(
            f"{table}: not a BIOSCAN-5M metadata table (no column {', '.join(missing)})"
        )
    if splits is not None:
        frame = frame.filter(pl.col("split").is_in(list(splits)))
    try:
        records = frame.select(columns).collect()
    except (OSError, pl.exceptions.PolarsError) as err:
        raise ReleaseError(f"{table}: cannot be read as a release table ({err})") from None
    records = _checked(table, records)
    # Gathered by the processids' order: a frame sort peaks at twice the memory (5.15 M records:
    # 2.3 GiB against 1.5 GiB).
    return records[records["processid"].arg_sort()]


def changes_table(path: str | Path) -> Path | None:
    """The changes table of the release at ``path`` (its directory, or its metadata file inside
    ``metadata/csv`` or ``metadata/parquet``), None when it has none (a BIOSCAN-5M CSV)."""
    place = Path(path)
    if place.is_file():
        if place.parent.parent.name != "metadata":
            return None
        place = place.parent.parent.parent
    found = place / CHANGES_TABLE
    return found if found.is_file() else None


def release_name(path: str | Path) -> str:
    """How the release at ``path`` names itself: ``<release> <version>`` from the MANIFEST of
    its directory, else its metadata file's name (never a path of the machine it lies on)."""
    table = release_table(path)
    root = table.parent.parent.parent if table.parent.parent.name == "metadata" else None
    manifest = root / "MANIFEST" if root else None
    if manifest and manifest.is_file():
        fields = dict(
            line.split("\t", 1)
            for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines()[:3]
            if "\t" in line
        )
        if "release" in fields and "version" in fields:
            return f"{fields['release']} {fields['version']}"
    return table.name


def read_changes(path: str | Path) -> pl.DataFrame | None:
    """The changes table of the release at ``path`` (CHANGES_SCHEMA, in its file's order:
    processid, then order of application), None when it has none."""
    table = changes_table(path)
    if table is None:
        return None
    try:
        frame = pl.read_parquet(table)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise ReleaseError(f"{table}: cannot be read as a changes table ({err})") from None
    missing = [name for name in CHANGES_SCHEMA if name not in frame.columns]
    if missing:
        raise ReleaseError(f"{table}: not a changes table (no column {', '.join(missing)})")
    return frame.select(pl.col(name).cast(dtype) for name, dtype in CHANGES_SCHEMA.items())


def _scan(table: Path) -> pl.LazyFrame:
    """Every column as text (a CSV's types are not trusted), from a CSV or a Parquet file (a
    :func:`release_table`)."""
    try:
        if table.name.lower().endswith(".parquet"):
            return pl.scan_parquet(table).select(pl.all().cast(pl.String))
        return pl.scan_csv(table, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise ReleaseError(f"{table}: cannot be read as a release table ({err})") from None


def _checked(table: Path, records: pl.DataFrame) -> pl.DataFrame:
    """``records`` typed as the release, after the checks a comparison relies on."""
    if "split" in records.columns:
        unknown = records.filter(~pl.col("split").is_in(SPLITS))["split"].unique().sort()
        if len(unknown):
            shown = ", ".join(repr(value) for value in unknown.head(5).to_list())
            raise ReleaseError(f"{table}: field split: unknown value(s) {shown}")
        records = records.with_columns(pl.col("split").cast(SPLIT_DTYPE))
    if "inferred_ranks" in records.columns:
        records = records.with_columns(pl.col("inferred_ranks").cast(pl.UInt8, strict=False))
    if "processid" in records.columns:
        repeated = records.filter(pl.col("processid").is_duplicated())["processid"]
        if len(repeated) or records["processid"].null_count():
            example = repeated.sort().head(1).to_list() or [None]
            raise ReleaseError(
                f"{table}: field processid: {len(repeated)} rows share a processid or have none "
                f"(e.g. {example[0]!r}); a release has one row per processid"
            )
    return records.with_columns(
        pl.col(name).cast(RELEASE_SCHEMA[name], strict=False)
        for name in records.columns
        if name in RELEASE_SCHEMA and name not in ("split", "inferred_ranks")
    )
