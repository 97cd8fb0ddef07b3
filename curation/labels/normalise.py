"""Label normalisation: C0, C2/C3, C1 and C4 of the curation spec (DECISIONS.md order).

* C0  whitespace trimmed and collapsed, missing-value tokens nulled (every rank column);
* C2  placeholder names standardised ("Maliaise0386" -> "Malaise0386", "Malaise386" ->
      "Malaise0386"), then C3: spelling variants (case, whitespace) rewritten to the spelling
      most frequent in the whole input.  Both come from the global *variant map*;
* C1  the corrections table, then a missing genus taken from the species' first word, then a
      genus that contradicts its species fixed when the barcode's majority says so;
* C4  ``unassigned <Family>`` where a genus is placed in no subfamily.

The variant map is the one global input of the per-barcode stages: :func:`build_variant_map`
runs once on the whole labels table (on distinct names with counts), and every shard's
:func:`normalise` applies it, so the result does not depend on how the barcodes are sharded.
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels import subfamily
from curation.labels.provenance import apply_rule, by_processid, sort_changes
from schemas.corrections import CorrectionsError
from schemas.tables import LABELS_SCHEMA, RANKS, VARIANT_MAP_SCHEMA, conform


def build_variant_map(
    labels: pl.DataFrame, *, placeholder_code_widths: dict[str, int], malaise_max_distance: int
) -> pl.DataFrame:
    """The global C2/C3 spelling map (``VARIANT_MAP_SCHEMA``) from the whole labels table.

    Spellings are counted per rank after C0.  Each is standardised (C2), grouped by its
    normalisation key, and the key's canonical spelling is its most frequent standard spelling
    (ties: the smallest in byte order).  A species name is also an occurrence of its genus, so
    the first words of species count as genus spellings, and a canonical species name spells
    its genus word as the canonical genus does: otherwise "megaselia lucifrons" could win over
    "Megaselia lucifrons" while the genus column says "Megaselia", and C1 would see a mismatch
    that is only a spelling.  Only keys with a spelling that changes are kept, each with all
    its spellings and counts, so the file shows why a spelling won.
    """
    counts = pl.concat([_spelling_counts(labels, rank) for rank in RANKS], how="vertical")
    genus_words = counts.filter(pl.col("rank") == "species").select(
        pl.lit("genus").alias("rank"), names.first_word(pl.col("name")).alias("name"), "records"
    )
    counts = (
        pl.concat([counts, genus_words], how="vertical")
        .lazy()
        .group_by("rank", "name")
        .agg(pl.col("records").sum())
        .collect()
    )
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
    spellings = spellings.join(canonical, on=["rank", "key"], how="left")
    genus = canonical.filter(pl.col("rank") == "genus")
    word = names.first_word(pl.col("canonical"))
    genus_word = names.name_key(word).replace_strict(genus["key"], genus["canonical"], default=word)
    rest = pl.col("canonical").str.slice(word.str.len_chars())
    spellings = spellings.with_columns(
        pl.when(pl.col("rank") == "species")
        .then(genus_word + rest)
        .otherwise(pl.col("canonical"))
        .alias("canonical")
    )
    rank_order = pl.col("rank").replace_strict(list(RANKS), list(range(len(RANKS))))
    variant_map = spellings.filter(
        (pl.col("name") != pl.col("canonical")).any().over("rank", "key")
    ).sort(rank_order, pl.col("key"), pl.col("name"))
    return conform(variant_map, VARIANT_MAP_SCHEMA)


def normalise(
    labels: pl.DataFrame,
    variant_map: pl.DataFrame,
    corrections: pl.DataFrame,
    *,
    fill_unassigned_subfamily: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C0, C2/C3, C1 and C4 on a shard of labels: (labels, changes), both sorted by processid.

    ``corrections`` is a validated table (``schemas.corrections``); its ``new`` values must be
    canonical spellings, otherwise a second run would rewrite them again.
    """
    labels = by_processid(conform(labels, LABELS_SCHEMA))
    _check_corrections(corrections, variant_map)
    changes: list[pl.DataFrame] = []
    for rank in RANKS:
        labels, rewritten = _rewrite(labels, rank, _spelling_chain(rank, variant_map, corrections))
        changes.append(rewritten)
    labels = labels.with_columns(_genus_of_species(labels, variant_map, corrections))
    labels, filled = apply_rule(
        labels, "genus", pl.col("genus").fill_null(pl.col("_word")), "C1_genus_from_species"
    )
    labels, resolved = _resolve_genus_mismatches(labels)
    changes += [filled, resolved]
    if fill_unassigned_subfamily:
        labels, fillers = subfamily.fill_unassigned_subfamily(labels, "C4_unassigned_subfamily")
        changes.append(fillers)
    return by_processid(labels), sort_changes(changes)


def unresolved_genus_mismatches(labels: pl.DataFrame) -> pl.DataFrame:
    """Records whose species does not start with their genus (for the rule log)."""
    return labels.filter(
        pl.col("genus").is_not_null()
        & pl.col("species").is_not_null()
        & (names.first_word(pl.col("species")) != pl.col("genus"))
    )


def _spelling_counts(labels: pl.DataFrame, rank: str) -> pl.DataFrame:
    """(rank, name, records) after C0, computed on the distinct raw values of one column."""
    # The lazy (streaming) group-by is several times faster than the eager one here.
    raw = labels.lazy().group_by(rank).agg(pl.len().cast(pl.Int64).alias("records")).collect()
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


def _genus_of_species(
    labels: pl.DataFrame, variant_map: pl.DataFrame, corrections: pl.DataFrame
) -> pl.Series:
    """Column ``_word``: the genus each record's species names, spelt as the genus column is.

    After C3 the species' first word already is a canonical genus spelling; it still goes
    through the genus rank's map and corrections, so that the genus C1 writes is final even
    when a correction renamed the genus but not the species (a second run changes nothing).
    Worked out on the distinct species names.
    """
    spelling, fixes = _spelling_chain("genus", variant_map, corrections)
    species = labels.lazy().select(pl.col("species").unique().drop_nulls()).collect()
    word = names.first_word(pl.col("species"))
    if spelling.height:
        word = word.replace(spelling["name"], spelling["canonical"])
    if fixes.height:
        word = word.replace(fixes["old"], fixes["new"])
    words = species.with_columns(word.alias("_word"))
    return (
        labels["species"]
        .replace_strict(words["species"], words["_word"], default=None, return_dtype=pl.String)
        .alias("_word")
    )


def _resolve_genus_mismatches(labels: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """C1: a genus that contradicts its species' first word, fixed by the barcode's majority.

    A record whose genus agrees with its species (or that has a genus and no species) states
    one genus for its barcode; a contradicting record states two and does not vote.  When more
    than half of the barcode's voting records name the species' genus, the contradicting
    genus is replaced by it.  Otherwise the mismatch is left for the report and the
    corrections table: deciding that the species is the wrong one would invent a name.
    Reads the ``_word`` column (:func:`_genus_of_species`) and drops it.
    """
    mismatch = pl.col("genus").is_not_null() & pl.col("_word").is_not_null()
    mismatch = mismatch & (pl.col("genus") != pl.col("_word"))
    keys = labels.filter(mismatch).select(pl.col("barcode_key").unique())
    if keys.is_empty():
        return labels.drop("_word"), pl.DataFrame()
    voters = labels.join(keys, on="barcode_key", how="semi").filter(
        pl.col("genus").is_not_null() & ~mismatch
    )
    majority = (
        voters.group_by("barcode_key", "genus")
        .agg(pl.len().alias("votes"))
        .with_columns(pl.col("votes").sum().over("barcode_key").alias("voters"))
        .filter(pl.col("votes") * 2 > pl.col("voters"))
        .select("barcode_key", pl.col("genus").alias("_majority"))
    )
    labels = labels.join(majority, on="barcode_key", how="left", maintain_order="left")
    fixed = pl.when(mismatch & (pl.col("_word") == pl.col("_majority"))).then(pl.col("_word"))
    labels, changes = apply_rule(
        labels, "genus", fixed.otherwise(pl.col("genus")), "C1_genus_species_majority"
    )
    return labels.drop("_word", "_majority"), changes


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
