"""The MANIFEST of a release: what was built, from what, with which tools.

It lists the sha256, size and row count of every release file, the checksums of the inputs, the
digest of the configuration and the versions of the tools.  It holds no timestamp and no absolute
path of the build machine, so two builds of the same input and configuration produce the same
MANIFEST, and ``diff`` of two MANIFESTs shows exactly what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from curation import io

#: Distributions whose versions decide the bytes of a release.
TOOLS: tuple[str, ...] = (
    "polars",
    "pyarrow",
    "duckdb",
    "snakemake",
    "numpy",
    "mlcroissant",
    "matplotlib",
    "pydantic",
)

_CHUNK = 8 << 20
#: Threads that read and hash files at once (the machine target has 2 cores).
_WORKERS = 2


@dataclass(frozen=True)
class Entry:
    """One file: ``path`` as it should appear in the MANIFEST; ``rows`` only for tables."""

    path: str
    sha256: str
    size: int
    rows: int | None = None


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 8 MiB pieces into one reused buffer (inputs can be many GB)."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def sha256_files(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """sha256_file of each path, hashed in parallel threads (hashlib releases the GIL on large
    pieces), largest file first so that the biggest one never starts last."""
    unique = sorted({os.fspath(p) for p in paths}, key=lambda p: (-os.path.getsize(p), p))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        return dict(zip(unique, pool.map(sha256_file, unique), strict=True))


def config_digest(config: Mapping[str, Any]) -> str:
    """sha256 of the validated configuration in a canonical JSON form (sorted keys, no spaces)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_digest(settings: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]]) -> dict:
    """What decides a release's content, and its digest (the ``config_sha256`` of the release).

    ``settings`` are the content settings (``PipelineConfig.content_settings``: no paths, no
    shard count); ``inputs`` one ``{role, name, sha256, size}`` per input file, in the order
    they are read (ingest breaks ties by input order).  Inputs enter by checksum and file name,
    never by path, so the same inputs and settings give the same digest wherever they lie.
    """
    inputs = [dict(entry) for entry in inputs]
    described = {"settings": dict(settings), "inputs": inputs}
    return {"config_sha256": config_digest(described), **described}


def row_count(path: str | os.PathLike[str]) -> int | None:
    """Data rows of a Parquet file (from its footer) or a CSV file (parsed: quoted newlines are
    inside a row); None for other files."""
    suffix = Path(path).suffix
    if suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item()
    return None


def entry(path: str | os.PathLike[str], name: str) -> Entry:
    """The MANIFEST entry of the file at ``path``, listed as ``name``."""
    return entries([(name, path)])[0]


def entries(
    files: Sequence[tuple[str, str | os.PathLike[str]]], measured: Mapping[str, Entry] | None = None
) -> list[Entry]:
    """The MANIFEST entries of ``files`` ((name, path) pairs), in that order.

    A file in ``measured`` (by path; see :func:`measure`) takes its entry from there; the others
    are checksummed and counted here, in parallel threads (the files can be GBs, and a CSV is
    read once for its checksum and once for its row count).
    """
    measured = measured or {}
    todo = [(name, path) for name, path in files if os.fspath(path) not in measured]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        rows = {os.fspath(p): pool.submit(row_count, p) for _, p in todo}
        digests = sha256_files(p for _, p in todo)
        fresh = {
            os.fspath(path): Entry(
                path=name,
                sha256=digests[os.fspath(path)],
                size=os.path.getsize(path),
                rows=rows[os.fspath(path)].result(),
            )
            for name, path in todo
        }
    return [
        fresh[os.fspath(path)]
        if os.fspath(path) not in measured
        else replace(measured[os.fspath(path)], path=name)
        for name, path in files
    ]


def measure(path: str | os.PathLike[str], rows: int | None = None) -> Entry:
    """The entry of a file listed under its own path, with the row count the caller knows
    (ingest measures its inputs right after parsing them, while they are in the page cache)."""
    return Entry(os.fspath(path), sha256_file(path), os.path.getsize(path), rows)


def written(path: str | os.PathLike[str], writer: io.HashingWriter, rows: int) -> Entry:
    """The entry of a file just written through ``writer``, which checksummed it on the way."""
    return Entry(os.fspath(path), writer.sha256, writer.size, rows)


def save_measured(measured: Iterable[Entry], path: str | os.PathLike[str]) -> None:
    """Write the entries of files measured by their writer (a sidecar for the MANIFEST rule)."""
    io.write_json([asdict(e) for e in sorted(measured, key=lambda e: e.path)], path)


def load_measured(path: str | os.PathLike[str]) -> dict[str, Entry]:
    """The entries of a sidecar by file path, each checked against the file's current size:
    a file rewritten since it was measured is an error, not a wrong checksum in the release."""
    measured = {}
    for fields in json.loads(Path(path).read_text(encoding="utf-8")):
        found = Entry(**fields)
        if os.path.getsize(found.path) != found.size:
            raise ValueError(
                f"{found.path} changed after it was checksummed ({path} says {found.size} "
                f"bytes, it has {os.path.getsize(found.path)}): rebuild it"
            )
        measured[found.path] = found
    return measured


def tool_versions() -> dict[str, str]:
    """Python and the installed versions of TOOLS."""
    return {"python": platform.python_version(), **{name: metadata.version(name) for name in TOOLS}}


def render(
    *,
    name: str,
    version: str,
    config_sha256: str,
    files: Sequence[Entry],
    inputs: Sequence[Entry],
    tools: Mapping[str, str],
) -> str:
    """The MANIFEST text: tab-separated sections, each sorted, so that builds diff line by line."""
    lines = [
        "# MANIFEST: release files, inputs and tools of one build (no timestamps: diff two builds)",
        f"release\t{name}",
        f"version\t{version}",
        f"config_sha256\t{config_sha256}",
        "",
        "[files]\tsha256\tbytes\trows\tpath",
        *(
            f"{e.sha256}\t{e.size}\t{'-' if e.rows is None else e.rows}\t{e.path}"
            for e in sorted(files, key=lambda e: e.path)
        ),
        "",
        "[inputs]\tsha256\tbytes\tpath",
        *(f"{e.sha256}\t{e.size}\t{e.path}" for e in sorted(inputs, key=lambda e: e.path)),
        "",
        "[tools]\tversion",
        *(f"{tool}\t{tools[tool]}" for tool in sorted(tools)),
    ]
    return "\n".join(lines) + "\n"
