"""Label normalisation, per barcode shard: C0, C2/C3, C1 and C7 (docs/curation.md#order).

* C0  whitespace trimmed and collapsed, missing-value tokens nulled (every rank column)
      [whitespace];
* C2  placeholder names standardised ("Maliaise0386" -> "Malaise0386", "Malaise386" ->
      "Malaise0386"), then C3: spelling variants (case, whitespace, zero padding of a code)
      rewritten to the spelling most frequent in the whole input [variants].  Both come from
      the global *variant map*;
* C1  the corrections table, then genus and species made to agree
      (:mod:`curation.labels.genus`) [genus-and-species];
* C7  open-nomenclature species nulled, before the vote, so that they neither vote nor are
      copied [open-nomenclature].

The variant map is the one global input of the per-barcode stages: :func:`build_variant_map`
runs once on the whole labels table (on distinct names with counts), and every shard's
:func:`normalise` applies it, so the result does not depend on how the barcodes are sharded.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from curation import names
from curation.labels import genus
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.corrections import CorrectionsError
from schemas.tables import LABELS_SCHEMA, RANKS, VARIANT_MAP_SCHEMA, conform


def build_variant_map(
    labels: pl.DataFrame | pl.LazyFrame,
    *,
    placeholder_code_widths: dict[str, int],
    malaise_max_distance: int,
) -> pl.DataFrame:
    """The global C2/C3 spelling map (``VARIANT_MAP_SCHEMA``) from the whole labels table (a
    lazy scan of it is counted rank by rank, streaming: only the distinct names are held).

    Spellings are counted per rank after C0.  Each is standardised (C2), grouped by its
    normalisation key (case, whitespace and the zero padding of codes ignored), and the key's
    canonical spelling is its most frequent standard spelling (ties: the smallest in byte
    order): ``gelBioLep1`` and ``gelBioLep01`` are one genus, written as most records write
    it.  A species name is also an occurrence of its genus, so the first words of species
    count as genus spellings, and a canonical species name spells its genus word as the
    canonical genus does (``gelBioLep1 BioLep743`` -> ``gelBioLep01 BioLep743``).  Only keys
    with a spelling that changes are kept, each with all its spellings and counts, so the file
    shows why a spelling won.
    """
    counts = _all_spelling_counts(labels)
    standard = names.standard_spellings(
        counts["name"], placeholder_code_widths, malaise_max_distance
    )
    spellings = counts.join(standard, on="name", how="left").with_columns(
        names.name_key(pl.col("standard")).alias("key")
    )
    canonical = (
        spellings.lazy()
        .group_by("rank", "key", "standard")
        .agg(pl.col("records").sum())
        .group_by("rank", "key")
        .agg(
            pl.col("standard")
            .sort_by(["records", "standard"], descending=[True, False])
            .first()
            .alias("canonical")
        )
        .collect()
    )
    spellings = _species_follow_genus(spellings.join(canonical, on=["rank", "key"], how="left"))
    rank_order = pl.col("rank").replace_strict(list(RANKS), list(range(len(RANKS))))
    variant_map = spellings.filter(
        (pl.col("name") != pl.col("canonical")).any().over("rank", "key")
    ).sort(rank_order, pl.col("key"), pl.col("name"))
    return conform(variant_map, VARIANT_MAP_SCHEMA)


def _all_spelling_counts(labels: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """(rank, name, records) of every rank after C0; species first words count as genera."""
    counts = pl.concat([_spelling_counts(labels, rank) for rank in RANKS], how="vertical")
    genus_words = counts.filter(pl.col("rank") == "species").select(
        pl.lit("genus").alias("rank"), names.first_word(pl.col("name")).alias("name"), "records"
    )
    return (
        pl.concat([counts, genus_words], how="vertical")
        .lazy()
        .group_by("rank", "name")
        .agg(pl.col("records").sum())
        .collect()
    )


def _species_follow_genus(spellings: pl.DataFrame) -> pl.DataFrame:
    """Canonical species spellings with their first word spelt as the canonical genus."""
    genus_keys = spellings.filter(pl.col("rank") == "genus").select("key", "canonical").unique()
    word = names.first_word(pl.col("canonical"))
    genus_word = names.name_key(word).replace_strict(
        genus_keys["key"], genus_keys["canonical"], default=word
    )
    rest = pl.col("canonical").str.slice(word.str.len_chars())
    return spellings.with_columns(
        pl.when(pl.col("rank") == "species")
        .then(genus_word + rest)
        .otherwise(pl.col("canonical"))
        .alias("canonical")
    )


def normalise(
    labels: pl.DataFrame,
    variant_map: pl.DataFrame,
    corrections: pl.DataFrame,
    *,
    remove_open_nomenclature: bool,
    open_nomenclature_qualifiers: Sequence[str],
    open_nomenclature_epithet_qualifiers: Sequence[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C0, C2/C3, C1 and C7 on a shard of labels: (labels, changes), both sorted by processid.

    ``corrections`` is a validated table (``schemas.corrections``); its ``new`` values must be
    canonical spellings, otherwise a second run would rewrite them again.
    """
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    _check_corrections(corrections, variant_map)
    changes: list[pl.DataFrame] = []
    for rank in RANKS:
        labels, rewritten = _rewrite(labels, rank, _spelling_chain(rank, variant_map, corrections))
        changes.append(rewritten)
    labels, agreed = genus.agree(labels, *_spelling_chain("genus", variant_map, corrections))
    changes += agreed
    if remove_open_nomenclature:
        pattern = names.open_nomenclature_pattern(
            open_nomenclature_qualifiers, open_nomenclature_epithet_qualifiers
        )
        labels, removed = remove_open_nomenclature_species(labels, pattern)
        changes.append(removed)
    return by_processid(labels), sort_changes(changes)


def remove_open_nomenclature_species(
    labels: pl.DataFrame, pattern: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C7: a species that is a genus and only qualifiers (``Megaselia sp.``, ``Aus cf. bus``)
    identifies no species; it is nulled before the vote, so its record is a genus-level
    annotation that neither outvotes a named species nor is copied, and may receive the
    barcode's named species by inference.  Worked out on the distinct species."""
    distinct = labels.lazy().select(pl.col("species").unique().drop_nulls()).collect()
    open_names = distinct.filter(names.is_open_nomenclature(pl.col("species"), pattern))
    kept = pl.when(~pl.col("species").is_in(open_names["species"].implode())).then("species")
    return apply_rule(labels, "species", kept, "C7_open_nomenclature")


def _spelling_counts(labels: pl.DataFrame | pl.LazyFrame, rank: str) -> pl.DataFrame:
    """(rank, name, records) after C0, computed on the distinct raw values of one column."""
    # The streaming group-by is several times faster than the eager one here, and reads only
    # this column of a scanned file.
    raw = (
        labels.lazy()
        .group_by(rank)
        .agg(pl.len().cast(pl.Int64).alias("records"))
        .collect(engine="streaming")
    )
    return (
        raw.select(names.clean_label(pl.col(rank)).alias("name"), "records")
        .drop_nulls("name")
        .group_by("name")
        .agg(pl.col("records").sum())
        .select(pl.lit(rank).alias("rank"), "name", "records")
    )


def _spelling_chain(
    rank: str, variant_map: pl.DataFrame, corrections: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The C2/C3 spellings (name, standard, canonical) and C1 corrections (old, new) of a rank."""
    spelling = variant_map.filter(pl.col("rank") == rank).select("name", "standard", "canonical")
    fixes = corrections.filter(pl.col("rank") == rank).select("old", "new")
    return spelling, fixes


def _rewrite(
    labels: pl.DataFrame, rank: str, chain: tuple[pl.DataFrame, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C0, C2, C3 and C1 corrections on one column, worked out on its distinct values.

    Each distinct value gets its chain raw -> C0 -> standard (C2) -> canonical (C3) -> corrected
    (C1); only values whose chain changes anything touch the rows, and each step that changes
    the value is one change row of its rule.
    """
    spelling, fixes = chain
    distinct = labels.lazy().select(pl.col(rank).unique().drop_nulls().alias("raw")).collect()
    steps = (
        distinct.with_columns(names.clean_label(pl.col("raw")).alias("c0"))
        .join(spelling, left_on="c0", right_on="name", how="left")
        .with_columns(
            pl.col("standard").fill_null(pl.col("c0")),
            pl.col("canonical").fill_null(pl.col("c0")),
        )
        .join(fixes, left_on="canonical", right_on="old", how="left")
        .with_columns(pl.col("new").fill_null(pl.col("canonical")).alias("final"))
        .filter(
            pl.col("raw").ne_missing(pl.col("c0"))
            | pl.col("c0").ne_missing(pl.col("standard"))
            | pl.col("standard").ne_missing(pl.col("canonical"))
            | pl.col("canonical").ne_missing(pl.col("final"))
        )
    )
    if steps.is_empty():
        return labels, pl.DataFrame()
    rows = labels.select(pl.col(rank).is_in(steps["raw"].implode()).arg_true()).to_series()
    hits = (
        labels.select("processid", rank)
        .gather(rows)
        .join(steps, left_on=rank, right_on="raw", how="left", maintain_order="left")
    )
    rules = (
        ("C0_whitespace", rank, "c0"),
        ("C2_placeholder", "c0", "standard"),
        ("C3_variant", "standard", "canonical"),
        ("C1_correction", "canonical", "final"),
    )
    changes = [
        hits.filter(pl.col(before).ne_missing(pl.col(after))).select(
            "processid",
            pl.lit(rank).alias("column"),
            pl.col(before).alias("before"),
            pl.col(after).alias("after"),
            pl.lit(rule).alias("rule"),
        )
        for rule, before, after in rules
    ]
    rewritten = labels.with_columns(labels[rank].clone().scatter(rows, hits["final"]))
    return rewritten, pl.concat(changes, how="vertical")


def _check_corrections(corrections: pl.DataFrame, variant_map: pl.DataFrame) -> None:
    """A correction must write a canonical spelling, or the next run would respell it."""
    variants = variant_map.filter(pl.col("name") != pl.col("canonical"))
    bad = corrections.join(
        variants, left_on=["rank", "new"], right_on=["rank", "name"], how="inner"
    ).sort("line")
    if bad.height:
        row = bad.row(0, named=True)
        raise CorrectionsError(
            f"corrections table line {row['line']}: field new: {row['rank']} {row['new']!r} is a "
            f"spelling variant of {row['canonical']!r}; write {row['canonical']!r} instead"
        )
