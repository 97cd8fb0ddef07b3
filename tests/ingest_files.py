"""Tiny hand-made export files for the ingest tests (written to a test's tmp_path), and the
ingest stage run on files as its rule runs it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from curation.ingest.assemble import IngestResult
from curation.ingest.gather import gather
from curation.ingest.parse import parse_part
from schemas.tables import RANKS

#: A BCDM data-package header with just the columns ingest reads (real files have 56-76).
BCDM = [
    "processid",
    "sampleid",
    "bin_uri",
    *RANKS,
    "nuc",
    "marker_code",
    "country/ocean",
    "province/state",
    "coord",
]
#: A BOLD v4 specimen+sequence header, reduced likewise.
V4 = [
    "processid",
    "sampleid",
    "bin_uri",
    *(f"{rank}_name" for rank in RANKS),
    "lat",
    "lon",
    "country",
    "province_state",
    "markercode",
    "nucleotides",
]

BARCODE = "AACATTATATTTTATTTTTGGAGCTTGAGCAGGAATAGTAGGAACTTCTCTTAGAATTTTAATTCGAGCTGAATTA"
DEFAULTS = {
    "processid": "PROC001-24",
    "sampleid": "S1",
    "bin_uri": "BOLD:AAA0001",
    "phylum": "Arthropoda",
    "class": "Insecta",
    "order": "Diptera",
    "family": "Chironomidae",
    "subfamily": "Chironominae",
    "genus": "Chironomus",
    "species": "Chironomus sp. 1",
    "nuc": BARCODE,
    "marker_code": "COI-5P",
    "country/ocean": "Norway",
    "province/state": "Finnmark",
    "coord": "[69.6653, 30.3321]",
}


def bcdm_row(**fields: str) -> dict[str, str]:
    """A BCDM row: DEFAULTS with ``fields`` (``country_ocean`` stands for ``country/ocean``)."""
    renamed = {
        key.replace("_ocean", "/ocean").replace("_state", "/state"): value
        for key, value in fields.items()
    }
    return {**DEFAULTS, **renamed}


def v4_row(**fields: str) -> dict[str, str]:
    row = {name: "" for name in V4}
    row.update(
        processid="PROC001-24",
        sampleid="S1",
        bin_uri="BOLD:AAA0001",
        species_name="Chironomus sp. 1",
        markercode="COI-5P",
        nucleotides=BARCODE,
    )
    row.update(fields)
    return row


def write_export(
    path: Path,
    rows: list[dict[str, str]],
    header: list[str] = BCDM,
    eol: str | list[str] = "\n",
    header_eol: str | None = None,
    separator: str = "\t",
) -> str:
    """Write ``rows`` under ``header``; ``eol`` is one ending for all rows or one per row."""
    endings = [eol] * len(rows) if isinstance(eol, str) else eol
    text = separator.join(header) + (
        header_eol if header_eol is not None else endings[0] if rows else "\n"
    )
    for row, end in zip(rows, endings, strict=True):
        text += separator.join(row[name] for name in header) + end
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def ingest(
    paths: list[str],
    target_marker: str = "COI-5P",
    scope: dict[str, list[str]] | None = None,
    memory_gb: float = 3.0,
    parts: int = 1,
) -> IngestResult:
    """Parse every part of the exports, then gather them (the ingest rules' two steps);
    ``scope`` as the rule passes ``input.scope`` (None keeps every record)."""
    with tempfile.TemporaryDirectory(prefix="ingest-test-") as tmp:
        root = Path(tmp)
        dirs = []
        for file, path in enumerate(paths):
            for part in range(parts):
                dirs.append(root / f"parts/{file}-{part}")
                parse_part(path, file, part, parts, target_marker, memory_gb, dirs[-1])
        outputs = {key: str(root / f"{key}.parquet") for key in TABLES}
        summary = gather(dirs, paths, target_marker, scope, memory_gb, outputs, empty_ok=True)
        tables = {key: pl.read_parquet(path) for key, path in outputs.items()}
    return IngestResult(**tables, summary=summary)


TABLES = ("records", "barcodes", "labels", "rejects", "issues")
