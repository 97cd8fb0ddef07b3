"""Label frames for the curation tests: hand-written records and a generator of noisy ones.

``labels_frame`` turns a few dicts into a ``LABELS_SCHEMA`` frame (Arthropoda > Insecta >
Diptera unless told otherwise).  ``noisy_labels`` is a hypothesis strategy that draws a small
consistent taxonomy, barcode groups identified to various depths, and the noise the curation
rules target: spelling variants, unpadded and misspelt placeholder codes, genus codes without
their zero padding, stray whitespace, missing-value tokens, open nomenclature, species without
genus, fillers written in the input, a species typed into the genus column, and (optionally)
inconsistent records: misidentifications carrying deeper ranks, genera contradicting their
species, a genus under another family (a homonym), holes above a genus.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from hypothesis import strategies as st

from schemas.tables import LABELS_SCHEMA, RANKS, conform

_DEFAULTS: dict[str, Any] = {
    "dna_bin": None,
    "phylum": "Arthropoda",
    "class": "Insecta",
    "order": "Diptera",
    "family": None,
    "subfamily": None,
    "genus": None,
    "species": None,
}


def labels_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A labels frame; ``processid`` defaults to P0001…, ``barcode_key`` to the row number."""
    filled = [
        {
            "processid": f"P{index:04d}",
            "barcode_key": index,
            **_DEFAULTS,
            **row,
        }
        for index, row in enumerate(rows, start=1)
    ]
    return pl.DataFrame(filled, schema=LABELS_SCHEMA)


def path(*labels: str | None) -> dict[str, str | None]:
    """Rank columns from phylum down: ``path("Arthropoda", "Insecta", "Diptera", "Sciaridae")``."""
    return dict(zip(RANKS, labels, strict=False)) | {rank: None for rank in RANKS[len(labels) :]}


# --- the generator ------------------------------------------------------------------------

_FAMILIES = ("Sciaridae", "Phoridae", "Braconidae", "Sarcophagidae", "Cecidomyiidae")
_SUBFAMILIES = ("Metopininae", "Microgastrinae", "Sarcophaginae", "Cecidomyiinae", "Phorinae")
_GENERA = (
    "Megaselia", "Apanteles", "Oxysarcodexia", "Alpinosciara", "Pseudosciara", "Olixon",
    "Dacnusa", "Anastatus", "Phora", "Bradysia", "gelBioLep01", "phyMalaise01",
)  # fmt: skip
#: Open-nomenclature forms (docs/curation.md#open-nomenclature), ``{g}`` the genus.
_OPEN_FORMS = (
    "{g} sp.", "{g} cf. {e}", "{g} sp. nov.", "{g} indet.", "{g} gr. {e}", "{g} (Subgenus) sp.",
    "{g} aff. Totonaca", "{g} n. sp.",
)  # fmt: skip
_EPITHETS = ("lucifrons", "scalaris", "testaceum", "faeroeensis", "pulicaria", "rufipes")


def _species_names(rng: random.Random, genus: str, count: int) -> list[str]:
    """Distinct species of a genus in the formats the rules care about."""
    forms = [
        lambda: f"{genus} {rng.choice(_EPITHETS)}",
        lambda: f"{genus} Malaise{rng.randrange(0, 10000):04d}",
        lambda: f"{genus} Malaise0{rng.randrange(0, 1000):03d}",
        lambda: f"{genus} sp. GG{rng.randrange(10, 99)}",
        lambda: rng.choice(_OPEN_FORMS).format(g=genus, e=rng.choice(_EPITHETS)),
    ]
    names: dict[str, None] = {}
    for _ in range(count * 3):
        names[rng.choice(forms)()] = None
    return list(names)[:count]


def _taxonomy(rng: random.Random) -> list[tuple[str | None, ...]]:
    """Full label paths (phylum … species) of a small consistent taxonomy.

    Every name has one parent; a genus may sit in no subfamily (C4 fills those).
    """
    families = rng.sample(_FAMILIES, rng.randint(1, 3))
    orders = {family: rng.choice(("Diptera", "Hymenoptera")) for family in families}
    subfamilies = rng.sample(_SUBFAMILIES, len(families))
    paths = []
    for genus in rng.sample(_GENERA, rng.randint(1, 5)):
        family_index = rng.randrange(len(families))
        family = families[family_index]
        subfamily = subfamilies[family_index] if rng.random() < 0.6 else None
        above = ("Arthropoda", "Insecta", orders[family], family, subfamily, genus)
        for species in _species_names(rng, genus, rng.randint(1, 3)):
            paths.append((*above, species))
    return paths


def _noisy(rng: random.Random, value: str, rank: str) -> str:
    """One spelling of ``value`` as an annotator might have typed it."""
    noise = rng.random()
    if noise < 0.08:
        return value.lower()
    if noise < 0.14:
        return rng.choice((" ", "  ", "\u00a0")) + value.replace(" ", "  ") + rng.choice(("", " "))
    if rank == "species" and "Malaise0" in value and noise < 0.22:
        return value.replace("Malaise0", "Malaise")
    if rank == "species" and "Malaise" in value and noise < 0.30:
        return value.replace("Malaise", rng.choice(("Maliaise", "Malaize", "MALAISE")))
    if rank in ("genus", "species") and "01" in value.split(" ")[0] and noise < 0.4:
        return value.replace("01", "1", 1)  # a genus code without its zero padding
    return value


def _record(rng: random.Random, labels, depth: int, inconsistent: bool, families) -> dict:
    """One record's rank columns: ``labels`` down to ``depth``, with noise."""
    row: dict[str, Any] = {}
    for index, rank in enumerate(RANKS):
        value = labels[index] if index <= depth else None
        if value is None:
            value = rng.choice((None, None, None, "", "no_data", " "))
        else:
            value = _noisy(rng, value, rank)
        row[rank] = value
    if row["genus"] and not row["subfamily"] and row["family"] and rng.random() < 0.2:
        row["subfamily"] = f"unassigned {row['family'].strip()}"  # a filler in the input
    if row["species"] and rng.random() < 0.15:
        row["genus"] = None  # C1 takes it from the species
    elif row["species"] and rng.random() < 0.05:
        row["genus"] = f"{row['genus']} Malaise4560"  # a species-like string in the genus column
    elif inconsistent and row["species"] and rng.random() < 0.1:
        row["genus"] = rng.choice(_GENERA)  # contradicts the species (C1 majority or drop)
    elif inconsistent and row["genus"] and rng.random() < 0.1:
        row["family"] = rng.choice((None, *families))  # a hole above the genus, or a homonym
    return row


@st.composite
def noisy_labels(draw: st.DrawFn, inconsistent: bool = True) -> pl.DataFrame:
    """A labels frame of a few barcode groups with realistic partial labelling and noise.

    ``inconsistent`` adds the noise that barcode-local rules cannot make consistent across
    barcodes: misidentified records (a whole wrong path), genera that contradict their species,
    and a family missing above a genus.  The frame is drawn from a seeded ``random.Random``:
    hypothesis' own random source favours its simplest values and would rarely produce the
    noise combinations the rules handle.
    """
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    paths = _taxonomy(rng)
    families = sorted({path[3] for path in paths})
    rows = []
    for key in range(rng.randint(1, 8)):
        true_path = rng.choice(paths)
        if inconsistent and rng.random() < 0.25:
            # The whole barcode puts the genus under another family: a homonym lineage.
            true_path = (*true_path[:3], rng.choice(_FAMILIES), *true_path[4:])
        depth = rng.choice((3, 3, 4, 5, 6, 6))  # index of the deepest rank identified
        bin_uri = f"BOLD:AAA{key:04d}"
        for _ in range(rng.choice((1, 1, 2, 3, 5, 10, 12))):
            labels = rng.choice(paths) if inconsistent and rng.random() < 0.1 else true_path
            record_depth = depth if rng.random() < 0.7 else rng.randint(2, 6)
            row = _record(rng, labels, record_depth, inconsistent, families)
            row |= {"barcode_key": key, "dna_bin": bin_uri}
            if rng.random() < 0.05:
                row["dna_bin"] = f"BOLD:ABB{key:04d}"
            rows.append(row)
    order = list(range(len(rows)))
    rng.shuffle(order)
    frame = pl.DataFrame(
        [{"processid": f"P{number:04d}", **rows[index]} for number, index in enumerate(order)],
        schema=LABELS_SCHEMA,
    )
    return conform(frame, LABELS_SCHEMA)
