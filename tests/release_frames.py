"""Small emit-stage inputs that conform to the table contracts, for the release tests.

The emit stage is developed against the schemas, not against the upstream stages' code: these
builders make records, curated labels, splits, changes, rejects and issues frames from a few
hand-written specimens (``inputs_from_rows``) or from a seeded generator (``synthetic_inputs``)
whose splits respect the species-set rules, so that statistics and report have realistic shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from schemas.tables import (
    BARCODES_SCHEMA,
    CHANGES_SCHEMA,
    CURATED_SCHEMA,
    INGEST_ISSUES_SCHEMA,
    RANKS,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    SPECIES_SET_OF_SPLIT,
    SPLITS_SCHEMA,
    conform,
)

_DEFAULTS: dict[str, Any] = {
    "phylum": "Arthropoda",
    "class": "Insecta",
    "order": "Diptera",
    "family": None,
    "subfamily": None,
    "genus": None,
    "species": None,
    "dna_bin": None,
    "marker_code": "COI-5P",
    "country": "Costa Rica",
    "province_state": None,
    "coord-lat": None,
    "coord-lon": None,
    "image_measurement_value": None,
    "area_fraction": None,
    "scale_factor": None,
    "index_bioscan_1M_insect": None,
    "inferred_ranks": 0,
    "label_was_reworded": False,
    "label_was_inferred": False,
    "label_was_dropped": False,
    "bin_conflict": False,
}


def inputs_from_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, pl.DataFrame]:
    """records, curated, splits and barcodes for the given specimens (each needs processid and
    split).

    Missing fields take ``_DEFAULTS``; ``dna_barcode`` defaults to a sequence unique to the row;
    ``barcode_key`` is the dense rank of the N-stripped barcode, as ingest computes it; ``taxon``
    is the deepest non-null rank.
    """
    filled = []
    for i, row in enumerate(rows):
        full = {**_DEFAULTS, **row}
        full.setdefault("sampleid", f"S-{full['processid']}")
        full.setdefault("dna_barcode", _sequence(i))
        filled.append(full)
    frame = pl.DataFrame(filled, infer_schema_length=None).with_columns(
        barcode_key=(pl.col("dna_barcode").str.strip_chars("N").rank("dense") - 1).cast(pl.UInt32),
        taxon=pl.coalesce([pl.col(r) for r in reversed(RANKS)]),
        source_file=pl.lit("export.tsv"),
        source_line=pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
        species_set=pl.col("split").replace_strict(SPECIES_SET_OF_SPLIT),
        is_placeholder=pl.lit(False),
    )
    frame = frame.with_columns(split=pl.col("split").cast(SPLITS_SCHEMA["split"]))
    stripped = pl.col("dna_barcode").str.strip_chars("N")
    frame = frame.with_columns(
        padded_barcode=pl.when(stripped != pl.col("dna_barcode")).then("dna_barcode"),
        sequence=stripped,
    )
    return {
        "records": conform(frame, RECORDS_SCHEMA).sort("processid"),
        "curated": conform(frame, CURATED_SCHEMA).sort("processid"),
        "splits": conform(frame, SPLITS_SCHEMA).sort("processid"),
        "barcodes": conform(frame, BARCODES_SCHEMA).unique().sort("barcode_key"),
    }


def concat_inputs(
    first: Mapping[str, pl.DataFrame], second: Mapping[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """records, curated, splits and barcodes of both (distinct processids); the barcode keys of
    ``second`` are numbered after those of ``first``."""
    offset = pl.col("barcode_key") + first["barcodes"].height
    renumbered = {
        name: second[name].with_columns(offset) for name in ("records", "curated", "barcodes")
    }
    return {
        name: pl.concat([first[name], renumbered.get(name, second[name])])
        for name in ("records", "curated", "splits", "barcodes")
    }


def synthetic_inputs(n: int, seed: int = 0) -> dict[str, pl.DataFrame]:
    """All seven emit inputs for ``n`` specimens: records, curated, splits, barcodes, changes,
    rejects, issues.

    Species sizes follow a power law; a species' records share a few barcodes (some N-padded);
    about half the records have no species (pretrain); labelled species are assigned to one
    species set and spread over its splits, as the partitioner would.
    """
    rng = np.random.default_rng(seed)
    n_species = max(3, n // 8)
    sizes = rng.zipf(1.8, n_species)
    species_of = rng.choice(n_species, size=n, p=sizes / sizes.sum())
    labelled = rng.random(n) < 0.5
    rows = [_specimen(i, int(species_of[i]), bool(labelled[i]), rng) for i in range(n)]
    inputs = inputs_from_rows(rows)
    return {**inputs, **_provenance(inputs["records"]["processid"], n)}


#: The splits a labelled species may be spread over, by species number mod 3.
_SET_SPLITS = {
    0: ("train", "train", "train", "val", "test"),
    1: ("key_unseen", "key_unseen", "val_unseen", "test_unseen"),
    2: ("other_heldout",),
}
_COUNTRIES = ["Costa Rica", "Canada", "South Africa", "Pakistan", "Kenya", None]


def _specimen(i: int, s: int, labelled: bool, rng: np.random.Generator) -> dict[str, Any]:
    """Specimen ``i`` of species ``s`` (its draws from ``rng`` in a fixed order)."""
    genus = _GENERA[s % len(_GENERA)]
    row: dict[str, Any] = {
        "processid": f"SYN{i:06d}-24",
        "family": f"Family{s % 5}",
        "subfamily": f"Subfamily{s % 9}" if s % 4 else None,
        "genus": genus if labelled or s % 2 else None,
        "dna_bin": f"BOLD:AA{s:04d}" if i % 11 else None,
        "dna_barcode": _sequence(s * 3 + int(rng.integers(3))) + ("NN" if i % 13 == 0 else ""),
        "country": _COUNTRIES[int(rng.integers(len(_COUNTRIES)))],
        "province_state": None if i % 3 else "Guanacaste",
        "coord-lat": None if i % 7 == 0 else float(np.round(rng.uniform(-40, 60), 4)),
        "coord-lon": None if i % 7 == 0 else float(np.round(rng.uniform(-120, 40), 4)),
        "image_measurement_value": None if i % 17 == 0 else float(rng.integers(500, 90_000)),
        "inferred_ranks": int(rng.integers(0, 3)),
        "label_was_reworded": bool(i % 19 == 0),
        "label_was_inferred": bool(i % 23 == 0),
        "label_was_dropped": bool(i % 29 == 0),
        "bin_conflict": bool(i % 31 == 0),
    }
    if i % 41 == 0:
        row["class"] = "Arachnida"
        row["order"] = "Araneae"
    if labelled:
        row["species"] = f"{genus} species{s}"
        choices = _SET_SPLITS[s % 3]
        row["split"] = choices[int(rng.integers(len(choices)))]
    else:
        row["split"] = "pretrain"
    return row


def _provenance(pids: pl.Series, n: int) -> dict[str, pl.DataFrame]:
    """changes (every fifth record), three rejects and two issues for the records ``pids``."""
    changed = list(range(0, n, 5))
    changes = pl.DataFrame(
        {
            "processid": pids.gather(changed),
            "column": "species",
            "before": "old name",
            "after": [None if i % 2 else "new name" for i in range(len(changed))],
            "rule": ["C5_curtail" if i % 2 else "C5_vote" for i in range(len(changed))],
        }
    ).sort("processid")
    rejects = pl.DataFrame(
        {
            "source_file": "export.tsv",
            "source_line": [n + 2, n + 3, n + 4],
            "processid": ["REJ1-24", None, "REJ3-24"],
            "reason": ["no_barcode", "duplicate_processid", "no_barcode"],
            "detail": ["empty sequence", "second row of X", "empty sequence"],
        }
    )
    issues = pl.DataFrame(
        {
            "source_file": "export.tsv",
            "source_line": [2, 3],
            "processid": pids.head(2).to_list(),
            "field": ["coord", "country"],
            "issue": ["coordinate_out_of_range", "cp1252_fallback"],
            "detail": ["lat 123", "byte 0x96"],
        }
    )
    return {
        "changes": conform(changes, CHANGES_SCHEMA),
        "rejects": conform(rejects, REJECTS_SCHEMA),
        "issues": conform(issues, INGEST_ISSUES_SCHEMA),
    }


_GENERA = (
    "Megaselia",
    "Psychoda",
    "Bradysia",
    "Aleiodes",
    "Apanteles",
    "Pseudomyrmex",
    "Cecidomyia",
)


def _sequence(i: int) -> str:
    """A distinct barcode-like sequence for each integer (base-4 digits spread over 40 bases)."""
    digits = np.base_repr(i, 4).rjust(12, "0")
    return "ACGTTGCA" * 3 + "".join("ACGT"[int(d)] for d in digits) + "TTAA"
