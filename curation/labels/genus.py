"""C1, genus and species agree (docs/curation.md#genus-and-species).

After spelling (C0/C2/C3) and the corrections table, each record's genus and species are made
to agree, in this order:

1. a genus column holding several words (a species-like string) keeps its first word when the
   species' first word confirms it, and is nulled otherwise (``C1_genus_first_word``,
   ``C1_genus_not_a_name``);
2. a missing genus is the first word of the species (``C1_genus_from_species``);
3. a genus contradicting its species is set to the species' genus when the barcode's majority
   names it (``C1_genus_species_majority``);
4. a species that still contradicts its record's genus is nulled (``C1_species_genus_mismatch``):
   it never votes and is never copied to other records.

Every step compares a genus with ``_word``, the genus each record's species names, spelt the way
the genus column is spelt (:func:`genus_words`).
"""

from __future__ import annotations

import polars as pl

from curation import names
from curation.labels.provenance import apply_rule

WORD = "_word"


def genus_words(species: pl.Series, spell: pl.DataFrame, fixes: pl.DataFrame) -> pl.Series:
    """The genus each species names (its first word), through the genus rank's spelling map
    (``spell``: name, canonical) and corrections (``fixes``: old, new).

    After C3 a species' first word already is a canonical genus spelling; it still goes through
    the genus map and corrections, so that the genus C1 writes is final even when a correction
    renamed the genus but not the species (a second run changes nothing).  Worked out on the
    distinct names.
    """
    distinct = pl.DataFrame({"name": species.unique().drop_nulls()})
    word = respell(names.first_word(pl.col("name")), spell, fixes)
    words = distinct.with_columns(word.alias(WORD))
    return species.replace_strict(
        words["name"], words[WORD], default=None, return_dtype=pl.String
    ).alias(WORD)


def respell(word: pl.Expr, spell: pl.DataFrame, fixes: pl.DataFrame) -> pl.Expr:
    """``word`` through the genus spelling map and the genus corrections."""
    if spell.height:
        word = word.replace(spell["name"], spell["canonical"])
    if fixes.height:
        word = word.replace(fixes["old"], fixes["new"])
    return word


def agree(
    labels: pl.DataFrame, spell: pl.DataFrame, fixes: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Steps 1-4 above on labels after spelling: (labels, change frames in rule order)."""
    labels = labels.with_columns(genus_words(labels["species"], spell, fixes))
    labels, repaired = repair_several_words(labels, spell, fixes)
    labels, filled = apply_rule(
        labels, "genus", pl.col("genus").fill_null(pl.col(WORD)), "C1_genus_from_species"
    )
    labels, fixed = fix_genus_by_majority(labels)
    labels, dropped = drop_contradicting_species(labels)
    return labels.drop(WORD), [*repaired, filled, fixed, dropped]


def repair_several_words(
    labels: pl.DataFrame, spell: pl.DataFrame, fixes: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Step 1: a genus of several words (``malaiseGraci01 Malaise4560``) is no genus name.

    Its first word is kept when the record's species starts with that genus (the annotator
    typed a species into the genus column); otherwise nothing confirms it and it is nulled (a
    species, if any, then gives the genus in step 2).  The first word goes through the genus
    spelling map like any genus.  Worked out on the few records whose genus has a space only:
    no other genus changes.
    """
    rows = labels.select(pl.col("genus").str.contains(" ").arg_true()).to_series()
    several = labels.select("processid", "genus", WORD).gather(rows)
    first = respell(names.first_word(pl.col("genus")), spell, fixes)
    confirmed = (first == pl.col(WORD)).fill_null(False)
    several, kept = apply_rule(
        several,
        "genus",
        pl.when(confirmed).then(first).otherwise(pl.col("genus")),
        "C1_genus_first_word",
    )
    several, nulled = apply_rule(
        several,
        "genus",
        pl.when(~pl.col("genus").str.contains(" ")).then(pl.col("genus")),
        "C1_genus_not_a_name",
    )
    repaired = labels.with_columns(labels["genus"].clone().scatter(rows, several["genus"]))
    return repaired, [kept, nulled]


def _contradiction() -> pl.Expr:
    return (
        pl.col("genus").is_not_null()
        & pl.col(WORD).is_not_null()
        & (pl.col("genus") != pl.col(WORD))
    )


def fix_genus_by_majority(labels: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Step 3: a genus that contradicts its species, fixed by the barcode's majority.

    A record whose genus agrees with its species (or that has a genus and no species) states
    one genus for its barcode; a contradicting record states two and does not vote.  When more
    than half of the barcode's voting records name the species' genus, the contradicting
    genus is replaced by it.  Otherwise step 4 drops the species: deciding that the genus is
    the wrong one would need evidence the barcode does not give.
    """
    mismatch = _contradiction()
    keys = labels.filter(mismatch).select(pl.col("barcode_key").unique())
    if keys.is_empty():
        return labels, pl.DataFrame()
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
    fixed = pl.when(mismatch & (pl.col(WORD) == pl.col("_majority"))).then(pl.col(WORD))
    labels, changes = apply_rule(
        labels, "genus", fixed.otherwise(pl.col("genus")), "C1_genus_species_majority"
    )
    return labels.drop("_majority"), changes


def drop_contradicting_species(labels: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Step 4: a species whose first word still contradicts the record's genus is nulled.

    Such a record names two genera; its genus takes part in the vote, its species does not, so
    the species can never be copied to records of the barcode's genus.
    """
    kept = pl.when(~_contradiction()).then(pl.col("species"))
    return apply_rule(labels, "species", kept, "C1_species_genus_mismatch")
