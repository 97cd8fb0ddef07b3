"""Species sets: unknown, seen, unseen and heldout, as the original partitioner
(docs/curation.md#species-sets).

The partitioner works on one state column per record.  Besides the eight final splits it holds
the two provisional sets ``seen`` and ``unseen`` that later steps divide (the original wrote them
into its ``split`` column the same way).  Unseen needs the genus in the *seen* set, as the
original's code does (its log message says "genus is not in pretrain").
"""

from __future__ import annotations

import polars as pl

from schemas.tables import SPECIES_SET_OF_SPLIT, SPLITS, SPLITS_SCHEMA

#: Working states of a record during partitioning: the eight splits plus the provisional sets.
STATES: tuple[str, ...] = (*SPLITS, "seen", "unseen")
STATE = pl.Enum(STATES)

SPECIES_SET = SPLITS_SCHEMA["species_set"]


def state(label: str) -> pl.Expr:
    """A state literal of the :data:`STATE` dtype."""
    return pl.lit(label, dtype=STATE)


def provisional(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``state``: ``pretrain`` for no species or a placeholder, else ``seen`` (steps 1-2).

    ``frame`` needs ``species`` and ``is_placeholder``.
    """
    unknown = pl.col("species").is_null() | pl.col("is_placeholder")
    return frame.with_columns(
        state=pl.when(unknown).then(state("pretrain")).otherwise(state("seen"))
    )


def unseen_candidates(frame: pl.DataFrame) -> pl.Expr:
    """Records that may make their species unseen (step 4): a placeholder species whose genus
    is the genus of some seen record.  A null genus counts as a genus, as pandas ``isin``
    matched NaN to NaN in the original."""
    seen_genera = frame.filter(pl.col("state") == "seen").get_column("genus").unique()
    return (
        (pl.col("state") == "pretrain")
        & pl.col("species").is_not_null()
        & pl.col("genus").is_in(seen_genera.implode(), nulls_equal=True)
    )


def unseen_species(frame: pl.DataFrame, candidates: pl.Expr, min_rows: int) -> pl.Series:
    """Species with at least ``min_rows`` candidate records (step 5), ascending.

    The caller relabels *every* record carrying such a species string, as the original did.
    """
    return (
        frame.filter(candidates)
        .group_by("species")
        .len()
        .filter(pl.col("len") >= min_rows)
        .get_column("species")
        .sort()
    )


def heldout_candidates() -> pl.Expr:
    """Step 6, the partitioner's last: species-labelled records still in ``pretrain``."""
    return pl.col("species").is_not_null() & (pl.col("state") == "pretrain")


def species_set(split: pl.Expr | str = "split") -> pl.Expr:
    """The species set (SPLITS_SCHEMA ``species_set``) of a final split or state value."""
    expr = pl.col(split) if isinstance(split, str) else split
    return expr.replace_strict(SPECIES_SET_OF_SPLIT, return_dtype=SPECIES_SET).alias("species_set")
