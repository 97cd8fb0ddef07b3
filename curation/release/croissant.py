"""The Croissant (JSON-LD) description of the release, generated with the mlcroissant API.

Croissant lets ML tools find, check and load the release: each data file is a FileObject with its
sha256 and size, each table a RecordSet whose fields carry their data types.  The record sets read
the Parquet files, not the CSV: mlcroissant reads a CSV with pandas' type inference, which would
turn an all-digit chunk column into integers and lose the leading zeros (docs/formats.md#croissant).

The specimens are read from the per-split Parquet files as one ``cr:FileSet``, and a record's
split is extracted from its file's name by a regular expression: that is what lets
``records(filters={"specimens/split": "test"})`` (how TFDS's CroissantBuilder asks for a split)
read only that split's file.  The split field refers to the ``cr:Split`` record set of the eight
names.  The description also carries the Croissant 1.1 dataset properties, the responsible-AI
fields and the inputs the release was derived from (``prov:wasDerivedFrom``, with checksums).
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mlcroissant as mlc
import polars as pl

from schemas.tables import (
    CHANGES_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    RANKS,
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
#: ``cr:Label``: the fields a model predicts (the Croissant 1.1 label data type).
LABEL = "http://mlcommons.org/croissant/Label"
#: Fields that are labels: the seven ranks, the taxon and the BIN.
LABEL_COLUMNS: frozenset[str] = frozenset({*RANKS, "taxon", "dna_bin"})
#: The W3C PROV namespace, for ``prov:wasDerivedFrom`` (mlcroissant has no field for it).
PROV = "http://www.w3.org/ns/prov#"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of the release as Croissant sees it; ``path`` is relative to the JSON file."""

    id: str
    path: str
    sha256: str
    size: int
    encoding: str
    description: str


@dataclass(frozen=True)
class Table:
    """A record set: a Parquet file of the release (or the per-split file set) and its columns."""

    id: str
    file_id: str
    schema: Mapping[str, pl.DataType]
    description: str
    key: str | None = None
    file_set: bool = False


#: The Croissant id of the file set of per-split Parquet files.
SPLIT_FILE_SET = "split_parquet_files"
#: The files the description covers, by their key in the workflow's RELEASE_FILES:
#: (Croissant id, encoding format, description).
FILES: dict[str, tuple[str, str, str]] = {
    "csv": ("metadata_csv", "text/csv", "the release in the BIOSCAN-5M CSV layout (23 columns)"),
    "parquet": (
        "metadata_parquet",
        "application/x-parquet",
        "the release with types and provenance columns",
    ),
    **{
        f"split_{split}": (
            f"{split}_parquet",
            "application/x-parquet",
            f"the {split} split: {SPLIT_DESCRIPTIONS[split]}",
        )
        for split in SPLITS
    },
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
#: The record sets: the specimens from the per-split file set, the others each from a file.
TABLES: tuple[Table, ...] = (
    Table(
        "specimens",
        SPLIT_FILE_SET,
        RELEASE_PARQUET_SCHEMA,
        "One record per specimen, read from the per-split Parquet files.",
        key="processid",
        file_set=True,
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
#: How the specimens' split is read from a per-split file's name.
SPLIT_FROM_FILE_NAME = r"^([^.]+)(?:\.parquet)?$"


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
    {
        "name",
        "description",
        "license",
        "sd_license",
        "url",
        "same_as",
        "creators",
        "publishers",
        "keywords",
        "citation",
        "version",
        "date_created",
        "date_published",
    }
)
#: The statistics tables the description reads (curation/release/stats.py): the columns it
#: reads and their types (a CSV read back without them types an empty table's columns as text).
STATISTICS: dict[str, dict[str, type[pl.DataType]]] = {
    "countries": {"country": pl.String, "records": pl.Int64},
    "table2": {"column": pl.String, "labelled_pct": pl.Float64},
    "tableA5": {"column": pl.String, "most": pl.String, "most_n": pl.Int64},
    "curation_rules": {"rule": pl.String, "description": pl.String},
}
#: The Croissant version the description conforms to (mlcroissant 1.1.1 validates it).
CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"


@dataclass(frozen=True)
class Provenance:
    """What the responsible-AI fields and ``prov:wasDerivedFrom`` say about one release.

    ``inputs`` are the digest's inputs (role, name, sha256, size); ``rules`` the curation rules
    with their descriptions; ``biases`` the measured facts (see :func:`measured_biases`).
    """

    inputs: Sequence[Mapping[str, Any]]
    rules: Sequence[tuple[str, str]]
    biases: Sequence[str]


def metadata(
    release: Mapping[str, Any],
    files: Sequence[ReleaseFile],
    provenance: Provenance,
    tables: Sequence[Table] = TABLES,
) -> dict[str, Any]:
    """The Croissant JSON-LD of the release, as a JSON-able dict.

    ``release`` is the config's release section.  Constructing the mlcroissant objects validates
    them; an invalid description raises ``mlcroissant.ValidationError`` here, not in a user's tool.
    """
    published = datetime.datetime.fromisoformat(release["date_published"])
    created = release["date_created"] or release["date_published"]
    creators = [_agent(a) for a in release["creators"]]
    document = mlc.Metadata(
        conforms_to=[CROISSANT_VERSION],
        name=release["name"],
        description=release["description"],
        license=[release["license"]],
        sd_licence=[release["sd_license"] or release["license"]],
        url=release["url"],
        same_as=list(release["same_as"]) or None,
        creators=creators,
        publisher=[_agent(a) for a in release["publishers"]] or creators,
        keywords=list(release["keywords"]),
        in_language=["en"],
        cite_as=release["citation"].strip(),
        version=release["version"],
        date_created=datetime.datetime.fromisoformat(created),
        date_modified=published,
        date_published=published,
        distribution=[*map(_file_object, files), _split_file_set(files)],
        record_sets=[_split_record_set(), *(_record_set(t) for t in tables)],
        **_responsible_ai(provenance),
    )
    return _with_sources(document.to_json(), provenance.inputs)


def _agent(agent: Mapping[str, Any]) -> mlc.Person | mlc.Organization:
    kind = mlc.Person if agent["type"] == "Person" else mlc.Organization
    return kind(name=agent["name"], url=agent.get("url"))


def _file_object(f: ReleaseFile) -> mlc.FileObject:
    return mlc.FileObject(
        id=f.id,
        name=posixpath.basename(f.path),
        description=f.description,
        content_url=f.path,
        content_size=f"{f.size} B",
        encoding_formats=[f.encoding],
        sha256=f.sha256,
    )


def _split_file_set(files: Sequence[ReleaseFile]) -> mlc.FileSet:
    """The per-split Parquet files as one file set, by a glob in their common directory."""
    split_ids = {FILES[f"split_{s}"][0] for s in SPLITS}
    directories = {posixpath.dirname(f.path) for f in files if f.id in split_ids}
    if len(directories) != 1:
        raise ValueError(f"the per-split files are not in one directory: {sorted(directories)}")
    return mlc.FileSet(
        id=SPLIT_FILE_SET,
        name=SPLIT_FILE_SET,
        description="the per-split Parquet files, one per split, named <split>.parquet",
        includes=[f"{directories.pop()}/*.parquet"],
        encoding_formats=["application/x-parquet"],
    )


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
    return mlc.RecordSet(
        id=table.id,
        name=table.id,
        description=table.description,
        key=[f"{table.id}/{table.key}"] if table.key else None,
        fields=[_field(table, column, dtype) for column, dtype in table.schema.items()],
    )


def _field(table: Table, column: str, dtype: pl.DataType) -> mlc.Field:
    """One field of a record set; on the file set, ``split`` comes from the file's name."""
    origin = {"file_set" if table.file_set else "file_object": table.file_id}
    source = mlc.Source(**origin, extract=mlc.Extract(column=column))
    extra: dict[str, Any] = {}
    if column == "split":
        extra["references"] = mlc.Source(field="splits/name")
        if table.file_set:
            source = mlc.Source(
                **origin,
                extract=mlc.Extract(file_property="filename"),
                transforms=[mlc.Transform(regex=SPLIT_FROM_FILE_NAME)],
            )
    types = [data_type(dtype), *([LABEL] if column in LABEL_COLUMNS else [])]
    return mlc.Field(
        id=f"{table.id}/{column}",
        name=column,
        description=COLUMN_DESCRIPTIONS.get(column),
        data_types=types,
        source=source,
        **extra,
    )


#: What the release cannot tell, whoever builds it (rai:dataLimitations).
LIMITATIONS: tuple[str, ...] = (
    (
        "Labels are those the submitters gave in BOLD, cleaned by rule (see "
        "rai:dataPreprocessingProtocol); no specimen was re-identified, so a wrong identification "
        "that most records of a barcode share is kept."
    ),
    (
        "Species labels include placeholder names (e.g. 'Megaselia sp. 12', 'Malaise' codes) that "
        "are not Linnaean species; the species sets and splits treat them as the BIOSCAN-5M "
        "curation does."
    ),
    (
        "Records without a species label are only in pretrain; seen and unseen splits hold species-"
        "labelled records, so label frequencies differ between splits by design."
    ),
    (
        "Images are not part of this release: image_path says where each record's image lies in "
        "the BIOSCAN-5M image packages."
    ),
)
#: Why there is no personal data (rai:personalSensitiveInformation).
PERSONAL_INFORMATION = (
    "None. The records describe insect specimens; the names of collectors and identifiers in "
    "the BOLD exports are not released. Coordinates are collection sites."
)
#: What the release is made of (rai:dataCollection).
DATA_COLLECTION = (
    "DNA-barcoded arthropod specimens as published in the Barcode of Life Data System (BOLD), "
    "read from the exports named in prov:wasDerivedFrom (with their sha256); nothing was "
    "collected anew for this release."
)
#: The stages of the curation before and after the label rules (rai:dataPreprocessingProtocol).
INGEST_PROTOCOL = (
    "ingest: one record per processid, the COI-5P row; rows without processid or barcode, of "
    "another marker, ragged or duplicated are rejected with a reason (rejects.parquet)"
)
PARTITION_PROTOCOL = (
    "partition: species sets and the eight BIOSCAN-5M splits; no barcode is split between "
    "splits; seeds and thresholds in the configuration digest"
)


def measured_biases(
    countries: pl.DataFrame, categories: pl.DataFrame, labels: pl.DataFrame, records: int
) -> list[str]:
    """The geographic and taxonomic skew of the release, measured (rai:dataBiases).

    ``countries`` is the statistics table of records per country (most first), ``categories``
    Table A5 (the most populated value of each rank), ``labels`` Table 2 (labelled records per
    rank), ``records`` the release's record count (curation/release/stats.py).
    """
    located = int(countries["records"].sum())
    if located:
        shares = ", ".join(
            f"{country} {n / located:.1%}"
            for country, n in countries.head(3).select("country", "records").iter_rows()
        )
        geography = (
            f"Geographic: {countries.height:,} countries; the most sampled hold {shares} of the "
            f"{located:,} records with a country ({records - located:,} have none)."
            if countries.height > 1
            else f"Geographic: one country, {countries['country'][0]}, holds all {located:,} "
            f"records with a country ({records - located:,} have none)."
        )
    else:
        geography = f"Geographic: none of the {records:,} records has a country."
    facts = [geography]
    order = categories.filter(pl.col("column") == "order")
    labelled = labels.filter(pl.col("column") == "species")
    if order.height and order["most_n"][0]:
        facts.append(
            f"Taxonomic: the most frequent order, {order['most'][0]}, holds "
            f"{order['most_n'][0] / records:.1%} of the records"
            + (
                f"; {labelled['labelled_pct'][0] / 100:.1%} of the records have a species label."
                if labelled.height
                else "."
            )
        )
    return facts


def _responsible_ai(provenance: Provenance) -> dict[str, Any]:
    """The rai: fields of mlcroissant's Metadata."""
    rules = [f"{rule}: {description}" for rule, description in provenance.rules]
    return {
        "data_collection": DATA_COLLECTION,
        "data_preprocessing_protocol": [INGEST_PROTOCOL, *rules, PARTITION_PROTOCOL],
        "data_biases": list(provenance.biases),
        "data_limitations": list(LIMITATIONS),
        "personal_sensitive_information": [PERSONAL_INFORMATION],
    }


def _with_sources(document: dict[str, Any], inputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``prov:wasDerivedFrom``: each input by file name, role, sha256 and size."""
    context = {**document["@context"], "prov": PROV}
    sources = [
        {
            "@type": "prov:Entity",
            "name": item["name"],
            "description": f"input ({item['role']})",
            "sha256": item["sha256"],
            "contentSize": f"{item['size']} B",
        }
        for item in inputs
    ]
    return {**document, "@context": context, "prov:wasDerivedFrom": sources}
