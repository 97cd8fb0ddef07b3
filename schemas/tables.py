"""Column contracts of every table that crosses a stage boundary.

Each schema is defined once here and imported by the stages, the rule scripts and the tests, so a
column is renamed or retyped in one place.  Stages call :func:`conform` on what they return: it
selects the contract's columns in the contract's order and casts them, so an intermediate Parquet
file never depends on the order in which a stage happened to build its columns.
"""

from __future__ import annotations

import polars as pl

#: The seven taxonomic ranks of the release, shallowest first.  Index = rank number (phylum 0 …
#: species 6), which ``inferred_ranks`` is coded against (docs/curation.md#inference).
RANKS: tuple[str, ...] = ("phylum", "class", "order", "family", "subfamily", "genus", "species")

#: The eight release splits, in release row order (docs/curation.md#release-format).
SPLITS: tuple[str, ...] = (
    "pretrain",
    "train",
    "val",
    "test",
    "key_unseen",
    "val_unseen",
    "test_unseen",
    "other_heldout",
)
SPLIT_DTYPE = pl.Enum(SPLITS)

#: The species sets, and the one each split belongs to (docs/curation.md#species-sets).
SPECIES_SETS: tuple[str, ...] = ("unknown", "seen", "unseen", "heldout")
SPECIES_SET_OF_SPLIT: dict[str, str] = {
    "pretrain": "unknown",
    "train": "seen",
    "val": "seen",
    "test": "seen",
    "key_unseen": "unseen",
    "val_unseen": "unseen",
    "test_unseen": "unseen",
    "other_heldout": "heldout",
}

_RANK_COLUMNS = {rank: pl.String for rank in RANKS}
#: Where a specimen was collected and how large it is in its image.
_PLACE_AND_IMAGE_COLUMNS = {
    "country": pl.String,
    "province_state": pl.String,
    "coord-lat": pl.Float64,
    "coord-lon": pl.Float64,
    "image_measurement_value": pl.Float64,
    "area_fraction": pl.Float64,
    "scale_factor": pl.Float64,
}

#: One row per ingested specimen (output of the ingest stage).  Labels are as decoded from the
#: source with missing-value tokens nulled; whitespace and casing are left for the normalise stage
#: so that every change to a label is recorded there.  The barcode (cleaned: whitespace and gap
#: characters removed, upper-cased) is held by its ``barcode_key``, the dense rank (0-based) of
#: the N-stripped barcode in byte order: equal keys = equal barcodes, and integer order =
#: key-string order, which the partitioner's tie rule relies on.  The key's sequence is in
#: BARCODES_SCHEMA; ``padded_barcode`` is the barcode itself where it starts or ends with N (and
#: so differs from its key's sequence), null otherwise (``curation.ingest.barcodes``).
RECORDS_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "sampleid": pl.String,
    **_RANK_COLUMNS,
    "dna_bin": pl.String,
    "barcode_key": pl.UInt32,
    "padded_barcode": pl.String,
    "marker_code": pl.String,
    **_PLACE_AND_IMAGE_COLUMNS,
    "index_bioscan_1M_insect": pl.Int64,
    "source_file": pl.String,
    "source_line": pl.Int64,
}

#: Each barcode key's sequence (the N-stripped barcode), one row per key, in key order.
BARCODES_SCHEMA: dict[str, pl.DataType] = {
    "barcode_key": pl.UInt32,
    "sequence": pl.String,
}

#: The narrow slice of the records that label curation works on (no sequences: they are most of
#: the bytes and curation only needs the integer key).  ``given_inferred_ranks`` is the
#: ``inferred_ranks`` an input release already states (a BIOSCAN-5M CSV read back), null for
#: a raw export: re-curating a release keeps it (docs/curation.md#inference).
LABELS_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "barcode_key": pl.UInt32,
    "dna_bin": pl.String,
    **_RANK_COLUMNS,
    "given_inferred_ranks": pl.UInt8,
}

#: The global C2/C3 spelling map (rule ``variant_map``, applied by every ``normalise`` shard).
#: One row per spelling (``name``, after C0) of a rank whose normalisation ``key`` has a spelling
#: that changes; ``standard`` is its C2 form, ``canonical`` the most frequent standard spelling of
#: the key (ties: smallest; a species' genus word spelt as the canonical genus), ``records`` its
#: occurrences in the whole input (at rank genus, the first words of species count too).
VARIANT_MAP_SCHEMA: dict[str, pl.DataType] = {
    "rank": pl.String,
    "key": pl.String,
    "name": pl.String,
    "standard": pl.String,
    "canonical": pl.String,
    "records": pl.Int64,
}

#: Output of label curation: cleaned labels plus the per-record summary of what changed.
CURATED_SCHEMA: dict[str, pl.DataType] = {
    **{name: dtype for name, dtype in LABELS_SCHEMA.items() if name != "given_inferred_ranks"},
    "taxon": pl.String,
    "inferred_ranks": pl.UInt8,
    "label_was_reworded": pl.Boolean,
    "label_was_inferred": pl.Boolean,
    "label_was_dropped": pl.Boolean,
    "bin_conflict": pl.Boolean,
}

#: The closed vocabulary of curation rules, in the order they are applied (docs/curation.md#order).
#: The changes table is sorted by processid, then this order, then rank order, so a cell's
#: changes read in the order they were made.
RULES: dict[str, str] = {
    "C0_whitespace": "whitespace trimmed/collapsed or missing-value token nulled",
    "C2_placeholder": "placeholder name standardised (zero padding, Malaise misspelling)",
    "C3_variant": "spelling variant rewritten to the most frequent spelling in the input",
    "C1_correction": "value replaced from the configured corrections table",
    "C1_genus_first_word": "genus column holding several words repaired to its first word, "
    "which the species' first word confirms",
    "C1_genus_not_a_name": "genus column holding several words nulled: no species confirms "
    "its first word",
    "C1_genus_from_species": "missing genus filled from the first word of species",
    "C1_genus_species_majority": "genus contradicting its species set to the species' genus, "
    "which the barcode's majority names",
    "C1_species_genus_mismatch": "species nulled: its first word contradicts the record's genus",
    "C7_open_nomenclature": "open-nomenclature species (a qualifier, no unique name) nulled",
    "C5_vote": "minority label relabelled to the barcode's >= threshold majority",
    "C5_outvoted": "label nulled: it sits under an annotation the barcode's vote rejected",
    "C5_curtail": "rank and deeper ranks nulled: no majority in the barcode group",
    "C6_inferred": "missing rank filled from better-labelled records of the same barcode",
    "homonym_curtail": "rank and deeper ranks nulled: the record's lineage of this genus or "
    "species contradicts the lineage most records give it",
    "C4_subfamily_completion": "subfamily completed at genus level: the genus's one subfamily, "
    "or 'unassigned <Family>' for a genus placed in none; a filler left without genus removed",
}

#: One row per label a curation rule changed.  ``before``/``after`` null = missing.
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "column": pl.String,
    "before": pl.String,
    "after": pl.String,
    "rule": pl.String,
}

#: One row per input row that is not released.  ``source_line`` is the 1-based physical line of
#: the row in its file (null when the reason concerns a whole file section).
REJECTS_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String,
    "source_line": pl.Int64,
    "processid": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}

#: Non-fatal observations on input rows (a field decoded as cp1252, a coordinate out of range
#: that was nulled, …): the fact is recorded whether the row is released or rejected for another
#: reason (its ``source_file``/``source_line`` find it in the records or the rejects).
INGEST_ISSUES_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String,
    "source_line": pl.Int64,
    "processid": pl.String,
    "field": pl.String,
    "issue": pl.String,
    "detail": pl.String,
}

#: Output of partitioning: one row per curated record.
SPLITS_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "split": SPLIT_DTYPE,
    "species_set": pl.Enum(SPECIES_SETS),
    "is_placeholder": pl.Boolean,
}

#: Why a record of the previous release moved or left (docs/curation.md#stable-partitioning);
#: ``unexplained`` is a move no rule of the policy names, which a correct run never has.
MOVE_REASONS: tuple[str, ...] = (
    "withdrawn",
    "label_removed",
    "label_added",
    "species_named",
    "species_set_changed",
    "key_joins_splits",
    "singleton",
    "test_minimum",
    "no_training_record",
    "unexplained",
)

#: Stable partitioning's report: one row per record of the previous release that is not in the
#: split it had there (``split`` null: not released now), sorted by processid.
SPLIT_MOVES_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "previous_split": SPLIT_DTYPE,
    "split": SPLIT_DTYPE,
    "reason": pl.Enum(MOVE_REASONS),
}

#: The 23 columns of the BIOSCAN-5M metadata CSV (paper Table A3), in release order.
RELEASE_COLUMNS: tuple[str, ...] = (
    "processid",
    "sampleid",
    "taxon",
    *RANKS,
    "dna_bin",
    "dna_barcode",
    "country",
    "province_state",
    "coord-lat",
    "coord-lon",
    "image_measurement_value",
    "area_fraction",
    "scale_factor",
    "inferred_ranks",
    "split",
    "index_bioscan_1M_insect",
    "chunk",
)

#: Types of the 23 release columns.  ``split`` is the Enum in memory so that sorting by it gives
#: release order; the files store it as text.
RELEASE_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "sampleid": pl.String,
    "taxon": pl.String,
    **_RANK_COLUMNS,
    "dna_bin": pl.String,
    "dna_barcode": pl.String,
    **_PLACE_AND_IMAGE_COLUMNS,
    "inferred_ranks": pl.UInt8,
    "split": SPLIT_DTYPE,
    "index_bioscan_1M_insect": pl.Int64,
    "chunk": pl.String,
}
assert tuple(RELEASE_SCHEMA) == RELEASE_COLUMNS

#: The Parquet release: the 23 columns plus the provenance a user filters on.
RELEASE_PARQUET_SCHEMA: dict[str, pl.DataType] = {
    **RELEASE_SCHEMA,
    "label_was_reworded": pl.Boolean,
    "label_was_inferred": pl.Boolean,
    "label_was_dropped": pl.Boolean,
    "bin_conflict": pl.Boolean,
    "image_path": pl.String,
    "barcode_key": pl.UInt32,
}

#: Version of the release file layout (columns and types above); bumped when they change, and
#: written into every release Parquet file's key-value metadata.
RELEASE_SCHEMA_VERSION = "1"


def conform(frame: pl.DataFrame | pl.LazyFrame, schema: dict[str, pl.DataType]):
    """Select ``schema``'s columns in its order, cast to its types (strict: a bad cast is a bug)."""
    return frame.select([pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items()])


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with ``schema``'s columns, for stages that have nothing to report."""
    return pl.DataFrame(schema=schema)
