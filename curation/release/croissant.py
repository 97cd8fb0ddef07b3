"""The Croissant (JSON-LD) description of the release, generated with the mlcroissant API.

Croissant lets ML tools find, check and load the release: each data file is a FileObject with its
sha256, each table a RecordSet whose fields carry their data types.  The record sets read the
Parquet files, not the CSV: mlcroissant reads a CSV with pandas' type inference, which would turn
an all-digit chunk column into integers and lose the leading zeros (docs/formats.md#croissant).
The eight split names form a ``cr:Split`` record set that the specimens' ``split`` field refers to.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mlcroissant as mlc
import polars as pl

from schemas.tables import (
    CHANGES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    REJECTS_SCHEMA,
    RELEASE_PARQUET_SCHEMA,
    SPLITS,
)

#: What each release column means (paper Table A3, docs/curation.md).
COLUMN_DESCRIPTIONS: dict[str, str] = {
    "processid": "BOLD record identifier; unique per specimen and the image file name",
    "sampleid": "identifier given to the specimen by the collector",
    "taxon": "label at the deepest labelled rank after cleaning",
    "phylum": "phylum after label cleaning",
    "class": "class after label cleaning",
    "order": "order after label cleaning",
    "family": "family after label cleaning",
    "subfamily": "subfamily after label cleaning; 'unassigned <Family>' where the genus has none",
    "genus": "genus after label cleaning",
    "species": "species after label cleaning (placeholder names included)",
    "dna_bin": "Barcode Index Number (BIN) as given by BOLD",
    "dna_barcode": "COI-5P DNA barcode sequence, whitespace and gaps removed, not truncated",
    "country": "country where the specimen was collected",
    "province_state": "province or state where the specimen was collected",
    "coord-lat": "latitude of the collection site (WGS84, decimal degrees)",
    "coord-lon": "longitude of the collection site (WGS84, decimal degrees)",
    "image_measurement_value": "number of pixels the organism occupies in the original image",
    "area_fraction": "fraction of the original image covered by the crop box",
    "scale_factor": "short side of the crop box divided by 256",
    "inferred_ranks": (
        "0 if no rank was inferred, else 7 minus the shallowest inferred rank "
        "(phylum 0 .. species 6)"
    ),
    "split": "one of the eight BIOSCAN-5M splits",
    "index_bioscan_1M_insect": "0-based row of the specimen in the BIOSCAN-1M metadata, if there",
    "chunk": (
        "image sub-directory from md5(processid): 2 hex digits for pretrain, 1 for train and "
        "other_heldout, else empty"
    ),
    "label_was_reworded": "a label was rewritten by normalisation (placeholder, spelling variant)",
    "label_was_inferred": "a missing rank was filled from the same barcode's records",
    "label_was_dropped": "a label was removed (barcode majority vote, open nomenclature)",
    "bin_conflict": "records with the same barcode carry different BINs",
    "image_path": (
        "path of the cropped_256 image below the dataset root (other packages: replace that "
        "directory)"
    ),
    "barcode_key": "integer key of the N-stripped barcode: equal keys, equal barcodes",
    "column": "the label column that changed",
    "before": "value before the change (empty: missing)",
    "after": "value after the change (empty: missing)",
    "rule": "curation rule that made the change (see docs/decisions.md)",
    "source_file": "input file of the rejected row",
    "source_line": "1-based line of the rejected row in its file",
    "reason": "reason code of the rejection",
    "detail": "what exactly was wrong",
    "field": "the field the observation concerns",
    "issue": "code of the observation",
}

#: What each split is for (BIOSCAN-5M paper section 4.1).
SPLIT_DESCRIPTIONS: dict[str, str] = {
    "pretrain": "records without a species label, for self-supervised pretraining",
    "train": "seen species: training records",
    "val": "seen species: validation records",
    "test": "seen species: test records",
    "key_unseen": "unseen species: reference (key) records for retrieval and clustering",
    "val_unseen": "unseen species: validation queries",
    "test_unseen": "unseen species: test queries",
    "other_heldout": "placeholder species that are not unseen (rare, or genus not seen), held out",
}

_DATA_TYPES = {
    pl.String: mlc.DataType.TEXT,
    pl.Float64: mlc.DataType.FLOAT,
    pl.Boolean: mlc.DataType.BOOL,
}


@dataclass(frozen=True)
class ReleaseFile:
    """One file of the release as Croissant sees it; ``path`` is relative to the JSON file."""

    id: str
    path: str
    sha256: str
    encoding: str
    description: str


@dataclass(frozen=True)
class Table:
    """A record set: a Parquet file of the release and the columns it describes."""

    id: str
    file_id: str
    schema: Mapping[str, pl.DataType]
    description: str
    key: str | None = None


#: The files the description covers, by their key in the workflow's RELEASE_FILES:
#: (Croissant id, encoding format, description).
FILES: dict[str, tuple[str, str, str]] = {
    "csv": ("metadata_csv", "text/csv", "the release in the BIOSCAN-5M CSV layout (23 columns)"),
    "parquet": (
        "metadata_parquet",
        "application/x-parquet",
        "the release with types and provenance columns",
    ),
    "changes": (
        "changes_parquet",
        "application/x-parquet",
        "every label changed by curation, with its rule",
    ),
    "rejects": (
        "rejects_parquet",
        "application/x-parquet",
        "every input row not released, with its reason",
    ),
    "issues": (
        "issues_parquet",
        "application/x-parquet",
        "non-fatal observations on released rows",
    ),
}
#: The record sets, each reading one Parquet file of FILES.
TABLES: tuple[Table, ...] = (
    Table(
        "specimens",
        "metadata_parquet",
        RELEASE_PARQUET_SCHEMA,
        "One record per specimen.",
        key="processid",
    ),
    Table(
        "changes", "changes_parquet", CHANGES_SCHEMA, "One record per label changed by curation."
    ),
    Table("rejects", "rejects_parquet", REJECTS_SCHEMA, "One record per input row not released."),
    Table(
        "issues",
        "issues_parquet",
        INGEST_ISSUES_SCHEMA,
        "One record per observation on a released row.",
    ),
)


def data_type(dtype: pl.DataType) -> str:
    """The Croissant data type of a polars column type (integers of any width are sc:Integer)."""
    if dtype.is_integer():
        return mlc.DataType.INTEGER
    if isinstance(dtype, pl.Enum):
        return mlc.DataType.TEXT
    try:
        return _DATA_TYPES[dtype]
    except KeyError:
        raise ValueError(f"no Croissant data type for polars type {dtype}") from None


#: The ``release`` settings of config.yaml the description reads.
RELEASE_SETTINGS: frozenset[str] = frozenset(
    {"name", "description", "license", "url", "citation", "version", "date_published"}
)


def metadata(
    release: Mapping[str, Any], files: Sequence[ReleaseFile], tables: Sequence[Table] = TABLES
) -> dict[str, Any]:
    """The Croissant JSON-LD of the release, as a JSON-able dict.

    ``release`` is the config's release section.  Constructing the mlcroissant objects validates
    them; an invalid description raises ``mlcroissant.ValidationError`` here, not in a user's tool.
    """
    distribution = [
        mlc.FileObject(
            id=f.id,
            name=f.path.rsplit("/", 1)[-1],
            description=f.description,
            content_url=f.path,
            encoding_formats=[f.encoding],
            sha256=f.sha256,
        )
        for f in files
    ]
    record_sets = [_split_record_set(), *(_record_set(t) for t in tables)]
    document = mlc.Metadata(
        conforms_to=[CROISSANT_VERSION],
        name=release["name"],
        description=release["description"],
        license=[release["license"]],
        url=release["url"],
        cite_as=release["citation"],
        version=release["version"],
        date_published=datetime.datetime.fromisoformat(release["date_published"]),
        distribution=distribution,
        record_sets=record_sets,
    )
    return document.to_json()


#: The Croissant version the description conforms to (mlcroissant 1.1.1 validates it).
CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"


def _split_record_set() -> mlc.RecordSet:
    return mlc.RecordSet(
        id="splits",
        name="splits",
        description="The eight BIOSCAN-5M splits, in release order.",
        data_types=[mlc.DataType.SPLIT],
        key=["splits/name"],
        fields=[
            mlc.Field(id="splits/name", name="name", data_types=[mlc.DataType.TEXT]),
            mlc.Field(id="splits/description", name="description", data_types=[mlc.DataType.TEXT]),
        ],
        data=[{"splits/name": s, "splits/description": SPLIT_DESCRIPTIONS[s]} for s in SPLITS],
    )


def _record_set(table: Table) -> mlc.RecordSet:
    fields = []
    for column, dtype in table.schema.items():
        references = mlc.Source(field="splits/name") if column == "split" else None
        fields.append(
            mlc.Field(
                id=f"{table.id}/{column}",
                name=column,
                description=COLUMN_DESCRIPTIONS.get(column),
                data_types=[data_type(dtype)],
                source=mlc.Source(file_object=table.file_id, extract=mlc.Extract(column=column)),
                **({"references": references} if references else {}),
            )
        )
    return mlc.RecordSet(
        id=table.id,
        name=table.id,
        description=table.description,
        key=[f"{table.id}/{table.key}"] if table.key else None,
        fields=fields,
    )
