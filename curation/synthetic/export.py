"""The BCDM rows of the synthetic export, and its truth table.

Layout: the 76-column BOLD data-package TSV of 2024-2025 (header copied from
``bcdm_2025_Chironominae_Norway.tsv``), one row per (processid, marker), ``record_id`` =
``processid.marker``, missing values written ``None`` -- with ``''`` and a lone space where the
real file has them (sex, reproduction, notes, fieldid, ...) -- and ``coord`` as ``[lat, lon]``.
Rows come project by project, specimens in number order, a specimen's rows together (its COI-5P
row at a random place among its other markers' rows).

Rows to reject (see :mod:`curation.synthetic.generate` for the truth's tags): other markers' rows of
~1 % of the released specimens (1-3 each, distinct markers), an exact copy of the COI-5P row of
0.05 %, specimens without a sequence (0.02 % of the records) and specimens with only other
markers (0.01 %).  BINs: a barcode has none for 0.26 % of the records (Table 2: 99.7 % have one)
and 0.2 % of the multi-record barcodes carry a second BIN on half their records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.synthetic import catalogue as cat
from curation.synthetic import label_columns
from curation.synthetic import sequences as seqs
from curation.synthetic import truth as truth_mod
from curation.synthetic.geography import Projects, Sites
from curation.synthetic.groups import Groups
from curation.synthetic.labels import Labels
from curation.synthetic.names import bin_codes
from curation.synthetic.random import stream
from curation.synthetic.tags import noise_column
from curation.synthetic.taxonomy import SUBFAMILY, Taxonomy
from schemas.tables import RANKS

#: The header of bcdm_2025_Chironominae_Norway.tsv (BOLD data packages since Sep-2024).
HEADER: tuple[str, ...] = (
    "processid",
    "sampleid",
    "fieldid",
    "museumid",
    "record_id",
    "specimenid",
    "processid_minted_date",
    "bin_uri",
    "bin_created_date",
    "collection_code",
    "inst",
    "sovereign_inst",
    "taxid",
    "kingdom",
    "phylum",
    "class",
    "order",
    "family",
    "subfamily",
    "tribe",
    "genus",
    "species",
    "subspecies",
    "species_reference",
    "identification",
    "identification_method",
    "identification_rank",
    "identified_by",
    "identifier_email",
    "taxonomy_notes",
    "sex",
    "reproduction",
    "life_stage",
    "short_note",
    "notes",
    "voucher_type",
    "tissue_type",
    "specimen_linkout",
    "associated_specimens",
    "associated_taxa",
    "collectors",
    "collection_date_start",
    "collection_date_end",
    "collection_event_id",
    "collection_time",
    "collection_notes",
    "geoid",
    "country/ocean",
    "country_iso",
    "province/state",
    "region",
    "sector",
    "site",
    "site_code",
    "coord",
    "coord_accuracy",
    "coord_source",
    "elev",
    "elev_accuracy",
    "depth",
    "depth_accuracy",
    "habitat",
    "realm",
    "biome",
    "ecoregion",
    "sampling_protocol",
    "nuc",
    "nuc_basecount",
    "insdc_acs",
    "funding_src",
    "marker_code",
    "primers_forward",
    "primers_reverse",
    "sequence_run_site",
    "sequence_upload_date",
    "bold_recordset_code_arr",
)
MISSING = "None"

RELEASED, NO_BARCODE, MARKER_ONLY, OUT_OF_SCOPE = 0, 1, 2, 3
_PER_FULL = 1.0 / cat.N_FULL
#: Specimens (per released record) with other markers' rows / a duplicated row, and rejected
#: specimens per released record.
_OTHER_MARKERS_SHARE = 0.01
_DUPLICATE_SHARE = 0.0005
_NO_BARCODE_SHARE = 0.0002
_MARKER_ONLY_SHARE = 0.0001
#: Barcodes without a BIN (Table 2: 99.7 % of records have one), groups carrying two BINs.
_NO_BIN_SHARE = 1 - cat.BIN_LABELLED_FULL / cat.N_FULL
_TWO_BIN_SHARE = 0.002

# Per-specimen metadata: (value, weight); the mixes of None / '' / ' ' follow the real file.
_VOCABULARY = {
    "sex": (("None", 55), (" ", 10), ("M", 12), ("F", 20), ("m", 2), ("f", 1)),
    "reproduction": (("None", 80), (" ", 15), ("S", 5)),
    "life_stage": (("A", 40), ("adult", 25), ("None", 30), ("Adult", 3), ("larva", 2)),
    "short_note": (("None", 75), ("", 20), ("Malaise trap", 5)),
    "notes": (("None", 80), ("", 18), ("[NULL]", 2)),
    "voucher_type": (("None", 50), ("Vouchered:Registered Collection", 35), ("", 15)),
    "tissue_type": (("None", 50), ("whole voucher", 35), ("", 10), ("legs", 5)),
    "collection_code": (("None", 60), ("", 40)),
    "museumid": (("", 70), ("None", 20), ("sampleid", 10)),
    "coord_source": (("", 40), ("None", 30), ("GPS", 30)),
    "coord_accuracy": (("None", 90), ("5.0", 5), ("50.0", 5)),
    "insdc_acs": (("None", 60), ("", 40)),
    "habitat": (("None", 90), ("forest", 5), ("grassland", 5)),
}
# Per-project metadata.
_PROJECT_VOCABULARY = {
    "inst": (
        "Centre for Biodiversity Genomics",
        "Area de Conservacion Guanacaste",
        "University of Guelph",
        "Smithsonian Institution",
        "Naturalis Biodiversity Center",
    ),
    "collectors": (
        "BIOSCAN Team",
        "D. Janzen, W. Hallwachs",
        "ACG parataxonomists",
        "J. deWaard",
        "BIO Collections Staff",
        "S. Ratnasingham, M. Milton",
    ),
    "identified_by": (
        "BOLD Identification System []",
        "CBG Collections Staff",
        "M. Alex Smith",
        "Jose Fernandez-Triana",
        "Dan Janzen",
    ),
    "identification_method": (
        "BOLD ID Engine: top hits",
        "Morphology",
        "None",
        "BIN Taxonomy Match",
        "",
    ),
    "funding_src": ("None", "iBOL:WG1.10", "BIOSCAN", "Genome Canada"),
    "sampling_protocol": ("Malaise Trap", "Malaise", "None", "Malaise trap"),
    "biome": (
        "None",
        "Tropical_&_Subtropical_Moist_Broadleaf_Forests",
        "Tropical_&_Subtropical_Dry_Broadleaf_Forests",
        "Temperate_Broadleaf_&_Mixed_Forests",
    ),
    "fieldid": ("GMP", "", "None"),
}
_AUTHORS = (
    "Meigen",
    "Walker",
    "Schmitz",
    "Borgmeier",
    "Loew",
    "Fabricius",
    "Linnaeus",
    "Brues",
    "Whitfield",
    "Janzen",
    "Cresson",
    "Ashmead",
    "Kieffer",
    "Edwards",
)
_EMPTY_NUC = ("None", "", "------")


@dataclass(frozen=True)
class Plan:
    """Everything the export's rows are made from; rows are built chunk by chunk from it."""

    taxonomy: Taxonomy
    groups: Groups
    labels: Labels
    barcodes: seqs.Barcodes
    sites: Sites
    projects: Projects
    slot_specimen: np.ndarray  #: int64 specimen shown in each processid slot
    kind: np.ndarray  #: int8 per specimen: RELEASED / NO_BARCODE / MARKER_ONLY / OUT_OF_SCOPE
    label_record: np.ndarray  #: int64 per specimen: the record whose labels it shows
    scope_lineage: np.ndarray  #: int8 per specimen: its OUT_OF_SCOPE_LINEAGES entry, -1 none
    other_rows: np.ndarray  #: int8 per specimen: rows of other markers
    duplicate: np.ndarray  #: bool per specimen: COI-5P row written twice
    record_bin: np.ndarray  #: int64 per released record: BIN shown, -1 none
    bin_noise: np.ndarray  #: int8 per released record: 0, 1 no_bin, 2 second_bin
    sequence_noise: np.ndarray  #: int8 per released record (synthetic_sequences kinds)
    project_choice: dict[str, np.ndarray]  #: per project: index into _PROJECT_VOCABULARY
    lookup: dict[str, pl.Series]  #: per-node / per-BIN texts, last entry = missing
    seed: int

    @property
    def processids(self) -> int:
        return len(self.slot_specimen)


def rejected_specimens(records: int) -> tuple[int, int, int]:
    """Specimens without a barcode, with only other markers, and outside the scope."""
    return (
        round(_NO_BARCODE_SHARE * records),
        round(_MARKER_ONLY_SHARE * records),
        round(cat.OUT_OF_SCOPE_SHARE * records),
    )


def plan(
    taxonomy: Taxonomy,
    groups: Groups,
    labels: Labels,
    barcodes: seqs.Barcodes,
    sites: Sites,
    projects: Projects,
    seed: int,
) -> Plan:
    rng = stream(seed, "specimens")
    records = labels.records
    specimens = _specimens(rng, records)
    if int(projects.size.sum()) != len(specimens["kind"]):
        raise ValueError("projects must hold every specimen")
    bins = _bins(rng, groups, labels)
    return Plan(
        taxonomy=taxonomy,
        groups=groups,
        labels=labels,
        barcodes=barcodes,
        sites=sites,
        projects=projects,
        slot_specimen=rng.permutation(len(specimens["kind"])),
        **specimens,
        record_bin=bins["record_bin"],
        bin_noise=bins["bin_noise"],
        sequence_noise=seqs.noise_kinds(rng, records),
        project_choice={
            c: rng.integers(0, len(v), size=len(projects.size))
            for c, v in _PROJECT_VOCABULARY.items()
        },
        lookup={**_lookup(taxonomy), **_bin_lookup(rng, groups.bins)},
        seed=seed,
    )


def _specimens(rng: np.random.Generator, records: int) -> dict[str, np.ndarray]:
    """Per specimen: its kind, the record whose labels it shows, its out-of-scope lineage,
    its rows of other markers and whether its COI-5P row is written twice."""
    n_no_barcode, n_marker_only, n_scope = rejected_specimens(records)
    total = records + n_no_barcode + n_marker_only + n_scope
    kind = np.zeros(total, dtype=np.int8)
    kind[records : records + n_no_barcode] = NO_BARCODE
    kind[records + n_no_barcode : records + n_no_barcode + n_marker_only] = MARKER_ONLY
    kind[total - n_scope :] = OUT_OF_SCOPE
    label_record = np.arange(total, dtype=np.int64)
    label_record[records:] = rng.integers(0, max(records, 1), size=total - records)
    weights = np.array([w for _, w in cat.OUT_OF_SCOPE_LINEAGES])
    scope_lineage = np.full(total, -1, dtype=np.int8)
    scope_lineage[kind == OUT_OF_SCOPE] = rng.choice(
        len(weights), size=n_scope, p=weights / weights.sum()
    )
    other_rows = np.where(
        rng.random(total) < _OTHER_MARKERS_SHARE, rng.integers(1, 4, size=total), 0
    ).astype(np.int8)
    other_rows[kind == MARKER_ONLY] = rng.integers(1, 3, size=n_marker_only)
    other_rows[kind == NO_BARCODE] = 0
    return {
        "kind": kind,
        "label_record": label_record,
        "scope_lineage": scope_lineage,
        "other_rows": other_rows,
        "duplicate": (rng.random(total) < _DUPLICATE_SHARE) & (kind == RELEASED),
    }


def _bins(rng: np.random.Generator, groups: Groups, labels: Labels) -> dict[str, np.ndarray]:
    """The BIN each released record shows: a few barcodes have none; in a few multi-record
    groups some records carry a second BIN."""
    barcode = labels.barcode
    no_bin_barcode = rng.random(groups.barcodes) < _NO_BIN_SHARE
    two_bins = (rng.random(groups.barcodes) < _TWO_BIN_SHARE) & (groups.barcode_size >= 2)
    two_bins &= ~no_bin_barcode
    first = np.cumsum(groups.barcode_size) - groups.barcode_size
    position = np.arange(labels.records) - np.repeat(first, groups.barcode_size)
    half = np.repeat((groups.barcode_size + 1) // 2, groups.barcode_size)
    second = two_bins[barcode] & (position >= half)
    record_bin = groups.barcode_bin[barcode].astype(np.int64)
    record_bin = np.where(second, (record_bin + 1) % max(groups.bins, 1), record_bin)
    record_bin[no_bin_barcode[barcode]] = -1
    bin_noise = np.where(no_bin_barcode[barcode], 1, np.where(second, 2, 0)).astype(np.int8)
    return {"record_bin": record_bin, "bin_noise": bin_noise}


def _lookup(taxonomy: Taxonomy) -> dict[str, pl.Series]:
    """Per-node texts, the last entry standing for "missing"."""
    return {
        "shown_name": text(np.append(np.where(taxonomy.filler, MISSING, taxonomy.name), MISSING)),
        "tribe": _tribes(taxonomy),
        "species_reference": _species_references(taxonomy),
    }


def _bin_lookup(rng: np.random.Generator, bins: int) -> dict[str, pl.Series]:
    dates = np.datetime64("2010-07-15") + rng.integers(0, 5000, size=bins)
    return {
        "bin_uri": bin_codes(rng, bins).append(text([MISSING])),
        "bin_created_date": text(np.append(dates.astype(str), MISSING)),
    }


# --- chunks of rows ---------------------------------------------------------------------------


def _pick(rng: np.random.Generator, column: str, count: int, row: np.ndarray) -> pl.Series:
    """A value of ``column``'s vocabulary for each of ``count`` specimens, shown on its rows."""
    values, weights = zip(*_VOCABULARY[column], strict=True)
    p = np.array(weights, dtype=float)
    index = rng.choice(len(values), size=count, p=p / p.sum())
    return pl.Series(column, values, dtype=pl.String).gather(index[row])


def _processid(p: Plan, slots: np.ndarray) -> pl.Series:
    project = np.searchsorted(p.projects.first_slot, slots, side="right") - 1
    number = slots - p.projects.first_slot[project] + 1
    frame = pl.DataFrame(
        {
            "code": text(p.projects.code).gather(project),
            "number": number,
            "year": p.projects.year[project] % 100,
        }
    )
    return frame.select(
        pl.concat_str(
            [
                pl.col("code"),
                pl.col("number").cast(pl.String).str.zfill(3),
                pl.lit("-"),
                pl.col("year").cast(pl.String).str.zfill(2),
            ]
        ).alias("processid")
    ).to_series()


@dataclass(frozen=True)
class Chunk:
    """The rows of one chunk: each row's specimen and marker, and the specimen's facts."""

    slots: np.ndarray  #: the chunk's processid slots (one per specimen)
    specimen: np.ndarray  #: per slot: its specimen
    row: np.ndarray  #: per row: its specimen's position in the chunk
    is_coi: np.ndarray  #: per row: a COI-5P row (the specimen's, or its exact copy)
    marker_code: pl.Series  #: per row

    @property
    def rows(self) -> int:
        return len(self.row)


def _layout(p: Plan, rng: np.random.Generator, slots: np.ndarray) -> Chunk:
    """The chunk's rows: a specimen's COI-5P row (and its exact copy) among its other
    markers' rows, at a random place; other markers distinct, commoner markers first."""
    n = len(slots)
    specimen = p.slot_specimen[slots]
    kind = p.kind[specimen]
    other = p.other_rows[specimen].astype(np.int64)
    coi = (kind != MARKER_ONLY).astype(np.int64)
    dup = p.duplicate[specimen].astype(np.int64)
    count = coi + dup + other
    coi_at = np.where(coi > 0, (rng.random(n) * (other + 1)).astype(np.int64), -9)
    row = np.repeat(np.arange(n), count)
    row_in = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    at = coi_at[row]
    is_coi = (row_in == at) | ((dup[row] > 0) & (row_in == at + 1))
    marker_names = [m for m, _ in cat.OTHER_MARKERS]
    weights = np.array([w for _, w in cat.OTHER_MARKERS])
    preference = np.argsort(-(rng.random((n, len(weights))) ** (1.0 / weights)), axis=1)
    before = np.where(row_in > at, coi[row] + dup[row], 0)
    nth = np.clip(row_in - before, 0, len(weights) - 1)
    marker = np.where(is_coi, -1, preference[row, nth])
    names = pl.Series([cat.TARGET_MARKER, *marker_names], dtype=pl.String)
    return Chunk(slots, specimen, row, is_coi, names.gather(marker + 1))


def rows(p: Plan, start: int, stop: int, chunk: int) -> pl.DataFrame:
    """The export's rows for processid slots ``start`` .. ``stop``.

    ``chunk`` selects the random stream of the chunk's per-specimen metadata.  Everything is
    drawn per specimen and then indexed by row, so a specimen's rows agree on all but the
    marker's own columns (and an exact duplicate agrees on all).
    """
    rng = stream(p.seed, "rows", chunk)
    layout = _layout(p, rng, np.arange(start, stop))
    identity = _identity_columns(p, rng, layout)
    columns = {
        **identity,
        **label_columns.columns(p, layout.specimen[layout.row]),
        **_specimen_columns(p, rng, layout),
        **_collection_columns(p, layout),
        **_sequence_columns(p, rng, layout),
    }
    return pl.DataFrame({name: columns[name].alias(name) for name in HEADER})


def _project(p: Plan, layout: Chunk) -> np.ndarray:
    """Per row: the project of its processid slot."""
    return (np.searchsorted(p.projects.first_slot, layout.slots, side="right") - 1)[layout.row]


def _identity_columns(p: Plan, rng: np.random.Generator, layout: Chunk) -> dict[str, pl.Series]:
    """Identifiers, dates and BIN of each row."""
    slot = layout.slots[layout.row]
    project = _project(p, layout)
    specimen = layout.specimen[layout.row]
    processid = _processid(p, slot)
    sampleid = _sampleid(p, slot, project)
    museumid = _pick(rng, "museumid", len(layout.slots), layout.row)
    museumid = pl.select(
        pl.when(museumid == "sampleid").then(sampleid).otherwise(museumid)
    ).to_series()
    record = p.label_record[specimen]
    released = p.kind[specimen] == RELEASED
    rec_bin = np.where(released, p.record_bin[np.where(released, record, 0)], -1)
    rec_bin = np.where(rec_bin >= 0, rec_bin, p.groups.bins)
    record_id = pl.concat_str([pl.lit(processid), pl.lit("."), pl.lit(layout.marker_code)])
    return {
        "processid": processid,
        "sampleid": sampleid,
        "fieldid": _fieldid(p, project, slot),
        "museumid": museumid,
        "record_id": pl.select(record_id).to_series(),
        "specimenid": pl.Series(10_000_000 + slot).cast(pl.String),
        "processid_minted_date": _project_date(p, project, 60),
        "bin_uri": p.lookup["bin_uri"].gather(rec_bin),
        "bin_created_date": p.lookup["bin_created_date"].gather(rec_bin),
    }


def _specimen_columns(p: Plan, rng: np.random.Generator, layout: Chunk) -> dict[str, pl.Series]:
    """Per-specimen metadata drawn from the vocabularies, and project-level metadata."""
    n, row, length = len(layout.slots), layout.row, layout.rows
    project = _project(p, layout)
    drawn = (
        "collection_code",
        "sex",
        "reproduction",
        "life_stage",
        "short_note",
        "notes",
        "voucher_type",
        "tissue_type",
        "coord_accuracy",
        "coord_source",
        "habitat",
        "insdc_acs",
    )
    columns = {column: _pick(rng, column, n, row) for column in drawn}
    columns |= {
        column: _project_pick(p, column, project)
        for column in ("inst", "identification_method", "identified_by", "collectors")
    }
    columns |= {
        column: _project_pick(p, column, project)
        for column in ("biome", "sampling_protocol", "funding_src")
    }
    blank = {"sovereign_inst": "", "identifier_email": "", "primers_forward": ""}
    blank |= {"primers_reverse": "", "sequence_run_site": "Centre for Biodiversity Genomics"}
    columns |= {column: pl.repeat(value, length, eager=True) for column, value in blank.items()}
    missing = (
        "subspecies",
        "taxonomy_notes",
        "specimen_linkout",
        "associated_specimens",
        "associated_taxa",
        "collection_event_id",
        "collection_time",
        "elev_accuracy",
        "depth",
        "depth_accuracy",
    )
    columns |= {column: pl.repeat(MISSING, length, eager=True) for column in missing}
    columns["kingdom"] = pl.repeat("Animalia", length, eager=True)
    return columns


def _collection_columns(p: Plan, layout: Chunk) -> dict[str, pl.Series]:
    """When and where the specimen was collected (the project's site and dates)."""
    project = _project(p, layout)
    return {
        "collection_date_start": _project_date(p, project, 0),
        "collection_date_end": _project_date(p, project, 7, missing_every=3),
        "collection_notes": _project_notes(p, project),
        **_site_columns(p, p.projects.site[project]),
        "sequence_upload_date": _project_date(p, project, 120),
        "bold_recordset_code_arr": _recordsets(p, project),
    }


def _sequence_columns(p: Plan, rng: np.random.Generator, layout: Chunk) -> dict[str, pl.Series]:
    specimen = layout.specimen
    nuc, basecount = _nucleotides(
        p, rng, p.label_record[specimen], p.kind[specimen], layout.row, layout.is_coi
    )
    return {"nuc": nuc, "nuc_basecount": basecount, "marker_code": layout.marker_code}


def _sampleid(p: Plan, slot: np.ndarray, project: np.ndarray) -> pl.Series:
    """``BIOUG12345-A01``: plate and well from the slot (unique), prefix from the project."""
    prefix = np.where(p.projects.year[project] % 5 == 0, "CCDB-", "BIOUG")
    well = slot % 96
    return (
        pl.DataFrame({"a": prefix, "b": 10_000 + slot // 96, "c": well})
        .select(
            pl.concat_str(
                [
                    pl.col("a"),
                    pl.col("b").cast(pl.String),
                    pl.lit("-"),
                    pl.col("c")
                    .floordiv(12)
                    .replace_strict(list(range(8)), list("ABCDEFGH"), return_dtype=pl.String),
                    (pl.col("c") % 12 + 1).cast(pl.String).str.zfill(2),
                ]
            )
        )
        .to_series()
    )


def _nucleotides(
    p: Plan,
    rng: np.random.Generator,
    record: np.ndarray,
    kind: np.ndarray,
    row_specimen: np.ndarray,
    is_coi: np.ndarray,
) -> tuple[pl.Series, pl.Series]:
    """``nuc`` and ``nuc_basecount`` per row (``record`` and ``kind`` per specimen)."""
    rows_n = len(row_specimen)
    nuc = pl.repeat(None, rows_n, dtype=pl.String, eager=True).alias("nuc")
    basecount = pl.repeat(None, rows_n, dtype=pl.String, eager=True).alias("nuc_basecount")
    # A released specimen's sequence is written once and repeated on its duplicate row.
    released = np.flatnonzero(kind == RELEASED)
    rec = record[released]
    barcode = p.labels.barcode[rec]
    written = seqs.written(p.barcodes, barcode, p.sequence_noise[rec], rng)
    slot_of = np.full(len(kind), -1, dtype=np.int64)
    slot_of[released] = np.arange(len(released))
    coi_released = np.flatnonzero(is_coi & (kind[row_specimen] == RELEASED))
    source = slot_of[row_specimen[coi_released]]
    nuc = nuc.scatter(coi_released, written.gather(source))
    basecount = basecount.scatter(
        coi_released, pl.Series(p.barcodes.basecount[barcode[source]]).cast(pl.String)
    )
    outside = np.flatnonzero(is_coi & (kind[row_specimen] == OUT_OF_SCOPE))
    lengths = rng.integers(600, 659, size=len(outside))
    nuc = nuc.scatter(outside, seqs.random_sequences(rng, lengths))
    basecount = basecount.scatter(outside, pl.Series(lengths).cast(pl.String))
    empty = np.flatnonzero(is_coi & (kind[row_specimen] == NO_BARCODE))
    token = rng.integers(0, len(_EMPTY_NUC), size=len(empty))
    nuc = nuc.scatter(empty, pl.Series(_EMPTY_NUC, dtype=pl.String).gather(token))
    basecount = basecount.scatter(
        empty, pl.Series(np.where(token == 0, MISSING, "0"), dtype=pl.String)
    )
    other = np.flatnonzero(~is_coi)
    lengths = rng.integers(300, 1000, size=len(other))
    nuc = nuc.scatter(other, seqs.random_sequences(rng, lengths))
    basecount = basecount.scatter(other, pl.Series(lengths).cast(pl.String))
    return nuc, basecount


def _project_pick(p: Plan, column: str, project: np.ndarray) -> pl.Series:
    """The project's value of ``column`` (one per project, so all its specimens agree)."""
    return pl.Series(column, _PROJECT_VOCABULARY[column], dtype=pl.String).gather(
        p.project_choice[column][project]
    )


def _fieldid(p: Plan, project: np.ndarray, slots: np.ndarray) -> pl.Series:
    mode = _project_pick(p, "fieldid", project)
    trap = project * 40 + (slots - p.projects.first_slot[project]) // 200
    code = pl.Series(trap).cast(pl.String).str.zfill(5)
    return (
        pl.select(pl.when(mode == "GMP").then(pl.lit("GMP#") + code).otherwise(mode))
        .to_series()
        .alias("fieldid")
    )


def _project_date(p: Plan, project: np.ndarray, offset: int, missing_every: int = 0) -> pl.Series:
    start = (
        np.array([f"{y}-01-01" for y in p.projects.year], dtype="datetime64[D]")
        + p.projects.start_day
        + offset
    )
    dates = start.astype(str).astype(object)
    if missing_every:
        dates[np.arange(len(dates)) % missing_every == 0] = MISSING
    return text(dates).gather(project)


def _project_notes(p: Plan, project: np.ndarray) -> pl.Series:
    weeks = (p.projects.start_day // 7 + 1).astype(str)
    notes = np.where(
        np.arange(len(weeks)) % 2 == 0, MISSING, np.char.add("Malaise trap, week ", weeks)
    )
    return text(notes).gather(project)


def _recordsets(p: Plan, project: np.ndarray) -> pl.Series:
    return text(
        [
            f"['{c}', 'DS-BIOSCAN{y % 100}']"
            for c, y in zip(p.projects.code, p.projects.year, strict=True)
        ]
    ).gather(project)


def _site_columns(p: Plan, site: np.ndarray) -> dict[str, pl.Series]:
    s = p.sites

    def column(values) -> pl.Series:
        return text(np.where(_is_none(values), MISSING, values)).gather(site)

    has_coord = ~np.isnan(s.lat)
    coord = np.where(
        has_coord,
        np.char.add(
            np.char.add(np.char.add("[", s.lat.astype(str)), ", "),
            np.char.add(s.lon.astype(str), "]"),
        ),
        MISSING,
    )
    elevation = np.where(s.elevation >= 0, np.char.add(s.elevation.astype(str), ".0"), MISSING)
    return {
        "geoid": column(np.where(s.province_id > 0, s.province_id.astype(str), MISSING)),
        "country/ocean": column(s.country),
        "country_iso": column(s.iso2),
        "province/state": column(s.province),
        "region": column(s.province),
        "sector": pl.repeat(MISSING, len(site), eager=True),
        "site": column(s.name),
        "site_code": pl.repeat(MISSING, len(site), eager=True),
        "coord": column(coord),
        "elev": column(elevation),
        "realm": column(s.realm),
        "ecoregion": pl.repeat(MISSING, len(site), eager=True),
    }


def text(values) -> pl.Series:
    """A String series from strings/None (numpy object arrays included)."""
    return pl.Series(values=list(values), dtype=pl.String)


def _is_none(values: np.ndarray) -> np.ndarray:
    return np.array([v is None for v in values], dtype=bool)


def _tribes(tx: Taxonomy) -> pl.Series:
    """Per subfamily node: a tribe (``<stem>ini``) for a third of the real subfamilies."""
    names = np.full(tx.size + 1, MISSING, dtype=object)
    sub = np.flatnonzero((tx.rank == SUBFAMILY) & ~tx.filler & (np.arange(tx.size) % 3 == 0))
    names[sub] = [n[:-4] + "ini" if n.endswith("inae") else MISSING for n in tx.name[sub]]
    return text(names)


def _species_references(tx: Taxonomy) -> pl.Series:
    """Per species node: ``Author, Year`` for two in five scientific species."""
    ref = np.full(tx.size + 1, MISSING, dtype=object)
    seen = np.flatnonzero((tx.species_kind == 0) & (np.arange(tx.size) % 5 < 2))
    ref[seen] = [f"{_AUTHORS[i % len(_AUTHORS)]}, {1758 + (i * 37) % 260}" for i in seen]
    return text(ref)


# --- truth ------------------------------------------------------------------------------------


def truth(p: Plan) -> pl.DataFrame:
    """One row per processid: expected curated ranks and ``inferred_ranks``
    (:mod:`curation.synthetic.truth`), expected reject, injected noise."""
    slots = np.arange(p.processids)
    specimen = p.slot_specimen[slots]
    kind = p.kind[specimen]
    released = kind == RELEASED
    record = np.where(released, p.label_record[specimen], 0)
    curated = truth_mod.truth(p.taxonomy, p.labels)[record]
    columns = {"processid": _processid(p, slots)}
    for name in (*RANKS, "inferred_ranks"):
        columns[name] = pl.select(pl.when(pl.lit(released)).then(curated[name])).to_series()
    columns["expected_reject"] = pl.Series(kind.astype(np.int64)).replace_strict(
        [RELEASED, NO_BARCODE, MARKER_ONLY, OUT_OF_SCOPE],
        [None, "no_barcode", "non_target_marker", "out_of_scope"],
        return_dtype=pl.String,
    )
    label_tags = pl.select(pl.when(pl.Series(released)).then(p.labels.tags.gather(record)))
    export_tags = noise_column(
        [
            (seqs.NOISE_TAGS, np.where(released, p.sequence_noise[record], 0), "code"),
            ("no_bin", released & (p.bin_noise[record] == 1), "flag"),
            ("second_bin", released & (p.bin_noise[record] == 2), "flag"),
            ("other_markers", np.where(released, p.other_rows[specimen], 0), "count"),
            ("exact_duplicate", p.duplicate[specimen], "flag"),
            ("no_barcode", kind == NO_BARCODE, "flag"),
            ("marker_only", kind == MARKER_ONLY, "flag"),
            ("out_of_scope", kind == OUT_OF_SCOPE, "flag"),
        ],
        len(slots),
    )
    columns["noise"] = pl.select(
        pl.concat_str(
            [pl.lit(label_tags.to_series()), pl.lit(export_tags)], separator=";", ignore_nulls=True
        ).replace("", None)
    ).to_series()
    return pl.DataFrame(columns).sort("processid")
