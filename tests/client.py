"""The BIOSCAN-5M client's reading of the release CSV (``bioscan-dataset`` 1.3.0), for the tests
that hold the release to its contract.  The package itself pulls torch and torchvision, so the
tests hold the release to its documented lookup and reading instead of importing it."""

from __future__ import annotations

import os

import pandas as pd

#: ``BIOSCAN5M.base_folder`` and ``meta["filename"]`` (bioscan5m.py l.416-422, l.511): the class
#: reads ``<root>/bioscan5m/metadata/csv/BIOSCAN_5M_Insect_Dataset_metadata.csv``.
CLIENT_BASE_FOLDER = "bioscan5m"
CLIENT_CSV = "BIOSCAN_5M_Insect_Dataset_metadata.csv"

#: ``COLUMN_DTYPES`` of bioscan-dataset 1.3.0 (bioscan5m.py l.29-53;
#: docs/formats.md#the-release-csv): the dtype table ``load_bioscan5m_metadata()`` passes to
#: ``pandas.read_csv``.
CLIENT_DTYPES = {
    "processid": str,
    "sampleid": str,
    "taxon": "category",
    "phylum": "category",
    "class": "category",
    "order": "category",
    "family": "category",
    "subfamily": "category",
    "genus": "category",
    "species": "category",
    "dna_bin": "category",
    "dna_barcode": str,
    "country": "category",
    "province_state": "category",
    "coord-lat": float,
    "coord-lon": float,
    "image_measurement_value": float,
    "area_fraction": float,
    "scale_factor": float,
    "inferred_ranks": "uint8",
    "split": str,
    "index_bioscan_1M_insect": "Int64",
    "chunk": str,
}
#: The 19 columns the client class reads (``USECOLS``).
CLIENT_USECOLS = [
    "processid",
    "chunk",
    "phylum",
    "class",
    "order",
    "family",
    "subfamily",
    "genus",
    "species",
    "dna_bin",
    "dna_barcode",
    "country",
    "province_state",
    "coord-lat",
    "coord-lon",
    "image_measurement_value",
    "area_fraction",
    "scale_factor",
    "split",
]


def client_read(path, **kwargs):
    """What ``bioscan_dataset.load_bioscan5m_metadata()`` does before any filtering."""
    return pd.read_csv(path, **{"dtype": CLIENT_DTYPES, **kwargs})


def client_metadata_path(root: str | os.PathLike[str]) -> str:
    """Where ``BIOSCAN5M(root=root)`` looks for the metadata CSV (``os.path.join`` as it does)."""
    return os.path.join(root, CLIENT_BASE_FOLDER, "metadata", "csv", CLIENT_CSV)
