"""The dataset card: ``README.md`` at the root of the release, for people and for Hugging Face.

Its YAML header is the Hugging Face Hub's dataset card metadata: a ``configs`` block that maps
each of the eight splits to its Parquet file, and ``dataset_info`` with the explicit feature of
every column, so that ``datasets.load_dataset(<release directory>)`` gives the eight named
splits with their types instead of guessing them (docs/formats.md#hugging-face).  The body says
what the release is, how to load it, what curation did, its licence and how to cite it.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import yaml

from schemas.tables import RELEASE_PARQUET_SCHEMA, SPLITS

#: The statistics tables the card reads (curation/release/stats.py): the columns it reads and
#: their types (a CSV read back without them types the columns of an empty table as text).
STATISTICS: dict[str, dict[str, type[pl.DataType]]] = {
    "table3": {"split": pl.String, "rows": pl.Int64},
    "rejects": {"reason": pl.String, "rows": pl.Int64},
    "curation_rules": {"rule": pl.String, "labels": pl.Int64, "records": pl.Int64},
}
#: The ``release`` settings of config.yaml the card reads.
RELEASE_SETTINGS: frozenset[str] = frozenset(
    {"name", "version", "description", "license", "url", "citation", "keywords"}
)

#: Hugging Face licence identifiers of common licence URLs; any other licence is ``other``
#: with its URL as ``license_link``.
HF_LICENSES: dict[str, str] = {
    "https://creativecommons.org/licenses/by/3.0/": "cc-by-3.0",
    "https://creativecommons.org/licenses/by/4.0/": "cc-by-4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/": "cc-by-sa-4.0",
    "https://creativecommons.org/licenses/by-nc/4.0/": "cc-by-nc-4.0",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/": "cc-by-nc-sa-4.0",
    "https://creativecommons.org/publicdomain/zero/1.0/": "cc0-1.0",
    "https://opendatacommons.org/licenses/odbl/1-0/": "odbl",
}

#: Hugging Face feature dtypes of the release's polars types.
_HF_DTYPES: dict[type[pl.DataType], str] = {
    pl.String: "string",
    pl.Enum: "string",
    pl.Float64: "float64",
    pl.Boolean: "bool",
    pl.UInt8: "uint8",
    pl.UInt32: "uint32",
    pl.Int64: "int64",
}

#: The Hub's size buckets: (upper bound, label).
_SIZES: tuple[tuple[int, str], ...] = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)


def hf_dtype(dtype: pl.DataType) -> str:
    """The Hugging Face ``Value`` dtype of a release column type."""
    try:
        return _HF_DTYPES[dtype.base_type()]
    except KeyError:
        raise ValueError(f"no Hugging Face dtype for polars type {dtype}") from None


def split_paths(split_files: Mapping[str, str], records: Mapping[str, int]) -> list[dict[str, str]]:
    """The ``data_files`` of the card's config: each split that has records and its file, in
    split order (``datasets`` cannot load an empty split: "corresponds to no data")."""
    return [{"split": s, "path": split_files[s]} for s in SPLITS if records.get(s, 0) > 0]


def content_key(split_checksums: Sequence[str]) -> str:
    """A name for the release's data, from its split files' sha256 (in split order): the card's
    config is named after it (:func:`metadata`)."""
    return hashlib.sha256("\n".join(split_checksums).encode()).hexdigest()[:16]


def metadata(
    release: Mapping[str, Any],
    split_files: Mapping[str, str],
    records: Mapping[str, int],
    content: str,
) -> dict[str, Any]:
    """The card's YAML header: licence, configs, features and split sizes.

    ``split_files`` gives each split's Parquet file relative to the release directory,
    ``records`` each split's record count, ``content`` the :func:`content_key` of the data.
    The config is named after the content: ``datasets`` keys its cache by the card's configs
    (relative paths) and the folder's name, so two releases in folders named alike would
    otherwise share one cache entry and the second would load the first's records.
    """
    licence = release["license"]
    header: dict[str, Any] = {"pretty_name": release["name"]}
    if licence in HF_LICENSES:
        header["license"] = HF_LICENSES[licence]
    else:
        header |= {"license": "other", "license_name": licence, "license_link": licence}
    total = sum(records.values())
    header |= {
        "language": ["en"],
        "tags": list(release["keywords"]),
        "size_categories": [next((label for bound, label in _SIZES if total < bound), "n>100M")],
        "configs": [
            {
                "config_name": f"release-{content}",
                "default": True,
                "data_files": split_paths(split_files, records),
            }
        ],
        "dataset_info": {
            "config_name": f"release-{content}",
            "features": [
                {"name": column, "dtype": hf_dtype(dtype)}
                for column, dtype in RELEASE_PARQUET_SCHEMA.items()
            ],
        },
    }
    return header


def render(
    release: Mapping[str, Any],
    split_files: Mapping[str, str],
    tables: Mapping[str, pl.DataFrame],
    config_sha256: str,
    content: str,
    extra_files: Sequence[Sequence[str]] = (),
) -> str:
    """The whole card: YAML header, then Markdown.

    ``tables`` are the statistics tables ``table3`` (records per split), ``rejects`` and
    ``curation_rules`` of the release (curation/release/stats.py); ``content`` names its data
    (:func:`content_key`); ``extra_files`` (path, what) are the files a release following or
    compared with another one adds (split moves, diff).
    """
    records = dict(zip(tables["table3"]["split"], tables["table3"]["rows"], strict=True))
    header = yaml.safe_dump(
        metadata(release, split_files, records, content),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    text = _escape
    name, version = text(release["name"]), text(release["version"])
    sections = [
        f"# {name} {version}",
        text(release["description"]),
        _loading(release, split_files, records, extra_files),
        _summary(tables, records),
        (
            "## Licence\n\n"
            f"The data are released under <{release['license']}>; credit the specimens' collectors "
            "and the Barcode of Life Data System (BOLD), where the records come from."
        ),
        (
            "## Citation\n\n"
            "The curation applies the rules of BIOSCAN-5M; cite it as:\n\n"
            f"```bibtex\n{release['citation'].strip()}\n```"
        ),
        f"Built by bioscan-curation; configuration digest `{config_sha256}` (see `MANIFEST`).",
    ]
    return f"---\n{header}---\n\n" + "\n\n".join(sections) + "\n"


def _loading(
    release: Mapping[str, Any],
    split_files: Mapping[str, str],
    records: Mapping[str, int],
    extra_files: Sequence[Sequence[str]],
) -> str:
    """How to open the release with the tools BIOSCAN-5M users run."""
    page = f" Its home is <{release['url']}>." if release["url"] else ""
    loaded = [split for split in SPLITS if records[split]]
    lines = [
        "## Loading",
        "",
        "```python",
        "import datasets",
        'splits = datasets.load_dataset("path/to/this/directory")  # typed, one per split',
        "```",
        "",
        (
            f"This gives the {len(loaded)} splits with records ({', '.join(loaded) or 'none'}): "
            "`datasets` cannot load an empty split. Load the directory or the Parquet files "
            "rather than the CSV: `datasets`' CSV reader guesses each column's type from the "
            "first rows, and the CSV starts with pretrain, whose species are all empty."
        ),
        "",
        (
            "The metadata CSV has the BIOSCAN-5M layout (the 23 columns of the paper's Table A3). "
            "The `bioscan-dataset` client looks for `<root>/bioscan5m/metadata/csv/`: with this "
            "directory named `bioscan5m`, `root` is the directory that holds it, e.g. "
            '`BIOSCAN5M(root="results", modality=("dna",))` for `results/bioscan5m`. The class '
            "checks the md5 of the official CSV, so disable that check "
            '(`meta = {**BIOSCAN5M.meta, "csv_md5": None}` in a subclass) or read the file with '
            f"`load_bioscan5m_metadata(path)`.{page}"
        ),
        "",
        "| file | what |",
        "| --- | --- |",
        "| `metadata/csv/*.csv` | every record, 23 columns, in the BIOSCAN-5M CSV layout |",
        "| `metadata/parquet/*.parquet` | every record with types and provenance columns |",
        f"| `{posixpath.dirname(split_files[SPLITS[0]])}/<split>.parquet` | one file per split |",
        "| `metadata/parquet/changes.parquet` | every label changed by curation, with its rule |",
        "| `metadata/parquet/rejects.parquet` | every input row not released, with its reason |",
        "| `metadata/parquet/issues.parquet` | every input field repaired or unreadable, why |",
        "| `metadata/croissant.json` | Croissant 1.1 description (mlcroissant, TFDS) |",
        "| `stats/`, `report.html` | statistics tables and the quality report |",
        "| `MANIFEST` | sha256, size and rows of every file, the inputs and the tools |",
        *(f"| `{_escape(path)}` | {_escape(what)} |" for path, what in extra_files),
    ]
    return "\n".join(lines)


def _summary(tables: Mapping[str, pl.DataFrame], records: Mapping[str, int]) -> str:
    """The curation in figures: records per split, rejected rows, changed labels."""
    rejects = tables["rejects"]
    rules = tables["curation_rules"].filter(pl.col("labels") > 0)
    parts = [
        "## Curation summary",
        (
            f"{sum(records.values()):,} records released; "
            f"{int(rejects['rows'].sum()):,} input rows not released."
        ),
        _table(("split", "records"), [(s, f"{records[s]:,}") for s in SPLITS]),
        _table(
            ("rejected because", "rows"),
            [(r, f"{n:,}") for r, n in rejects.select("reason", "rows").iter_rows()],
        ),
        _table(
            ("curation rule", "labels changed", "records"),
            [
                (r, f"{n:,}", f"{m:,}")
                for r, n, m in rules.select("rule", "labels", "records").iter_rows()
            ],
        ),
    ]
    return "\n\n".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return f"{header[0]}: none"
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_escape(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Configured and data text as literal Markdown: no HTML, no table break."""
    return html.escape(text, quote=False).replace("|", "\\|")
