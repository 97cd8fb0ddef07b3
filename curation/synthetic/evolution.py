"""Two successive exports of one generated population, for release diffs and stable partitioning.

Release N's export is a uniform subsample of the population's specimens (``previous_share``, by
processid: all rows of a specimen go together), written with the labels of its time; release
N+1's export is the whole population less the specimens withdrawn since (a share of N's), with
the taxonomists' later work applied to every row of the specimens concerned:

=============  ==================================================================================
change         what N+1 writes
=============  ==================================================================================
named          a placeholder species (``Aus Malaise1234``, ``Aus sp. 3ABC``, every spelling of
               it) gets a Linnaean name ``Aus <new epithet>``: unseen -> seen
identified     a barcode group identified to genus only gets a species: the genus's commonest
               Linnaean species, or a new one
reidentified   a barcode group of a Linnaean species is re-identified as another species of its
               genus
added          a specimen in N+1 only (the 1 - previous_share not in N)
withdrawn      a specimen in N only
=============  ==================================================================================

The truth table (:data:`CHANGES_SCHEMA`) lists every injected change, one row per processid and
changed column (``before``/``after`` as written in the exports), sorted by processid, change,
rank.  Everything is a pure function of the arguments (stream ``evolution`` of the seed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import polars as pl

from curation import io
from curation.partition.placeholders import species_flag
from curation.synthetic import export, names
from curation.synthetic import generate as generator
from curation.synthetic.random import stream

CHANGES = ("added", "withdrawn", "named", "identified", "reidentified")
#: The truth table of an evolution.
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "processid": pl.String,
    "change": pl.Enum(CHANGES),
    "rank": pl.String,
    "before": pl.String,
    "after": pl.String,
}
#: A written genus that is a Latin word (not a placeholder, not ``None``).
_GENUS_WORD = r"^[A-Z][a-z]+$"


def _genus_word(column: str) -> pl.Expr:
    return pl.col(column).str.contains(_GENUS_WORD) & (pl.col(column) != export.MISSING)


@dataclass(frozen=True)
class Shares:
    """How much changes between the two releases."""

    #: Specimens of the population in release N.
    previous: float = 0.8
    #: N's specimens withdrawn from N+1.
    withdrawn: float = 0.01
    #: Placeholder species named (of those with a genus-like first word).
    named: float = 0.25
    #: Genus-only barcode groups identified to species.
    identified: float = 0.05
    #: Barcode groups of Linnaean species re-identified.
    reidentified: float = 0.01


@dataclass(frozen=True)
class Evolution:
    """Release N's export rows, release N+1's, and the changes between them."""

    previous: pl.DataFrame
    current: pl.DataFrame
    changes: pl.DataFrame


def evolve(records: int, seed: int, shares: Shares = Shares()) -> Evolution:
    """The two exports of a population of ``records`` specimens (see the module docstring)."""
    population = pl.concat(list(generator.generate(records, seed).chunks()))
    rng = stream(seed, "evolution")
    ids = population["processid"].unique().sort()
    in_previous = _sample(rng, ids, shares.previous)
    withdrawn = _sample(rng, in_previous, shares.withdrawn)
    groups = _barcode_groups(population)
    relabelled = pl.concat(
        [
            _named(rng, population, shares.named),
            _identified(rng, groups, shares.identified),
            _reidentified(rng, groups, shares.reidentified),
        ]
    )
    current = population.filter(~pl.col("processid").is_in(withdrawn.implode()))
    current = _relabel(current, relabelled)
    previous = population.filter(pl.col("processid").is_in(in_previous.implode()))
    return Evolution(previous, current, _changes(previous, current, relabelled))


def _sample(rng: np.random.Generator, ids: pl.Series, share: float) -> pl.Series:
    """A uniform share of ``ids`` (sorted), in processid order."""
    count = round(share * ids.len())
    return ids.gather(np.sort(rng.choice(ids.len(), size=count, replace=False))).sort()


def _barcode_groups(population: pl.DataFrame) -> pl.DataFrame:
    """Per COI-5P specimen: processid, genus, species and its barcode group (the sequence in
    upper case without gaps and end Ns)."""
    coi = population.filter(pl.col("marker_code") == "COI-5P")
    group = pl.col("nuc").str.to_uppercase().str.replace_all("-", "").str.strip_chars("N")
    return (
        coi.select("processid", "genus", "species", group=group)
        .unique("processid")
        .sort("processid")
    )


def _named(rng: np.random.Generator, population: pl.DataFrame, share: float) -> pl.DataFrame:
    """processid -> new species for a share of the placeholder species whose first word is
    the genus they are written under; every spelling of a chosen species is renamed."""
    written = population.select("processid", "genus", "species").unique("processid")
    written = written.filter(species_flag("species")).with_columns(
        key=pl.col("species").map_elements(names.collision_key, return_dtype=pl.String),
        first=pl.col("species").str.split(" ").list.first(),
    )
    eligible = (
        written.filter(_genus_word("first") & (pl.col("first") == pl.col("genus")))
        .group_by("key")
        .agg(pl.col("genus").mode().sort().first())
        .sort("key")
    )
    chosen = eligible[
        np.sort(rng.choice(eligible.height, round(share * eligible.height), replace=False))
    ]
    taken = {names.collision_key(s) for s in population["species"].unique().drop_nulls()}
    new = names.epithets(rng, chosen.height, taken)
    chosen = chosen.with_columns(after=pl.col("genus") + " " + pl.Series(new, dtype=pl.String))
    return written.join(chosen.select("key", "after"), on="key").select(
        "processid", "after", change=pl.lit("named")
    )


def _identified(rng: np.random.Generator, groups: pl.DataFrame, share: float) -> pl.DataFrame:
    """processid -> species for a share of the barcode groups named to genus only."""
    linnaean = groups.filter((pl.col("species") != export.MISSING) & ~species_flag("species"))
    commonest = linnaean.group_by("genus").agg(pl.col("species").mode().sort().first())
    per_group = groups.group_by("group").agg(
        genus=pl.col("genus").unique().sort(), species=pl.col("species").unique()
    )
    candidates = per_group.filter(
        (pl.col("genus").list.len() == 1)
        & (pl.col("species").list.len() == 1)
        & (pl.col("species").list.first() == export.MISSING)
    ).with_columns(genus=pl.col("genus").list.first())
    candidates = candidates.filter(_genus_word("genus")).sort("group")
    chosen = candidates[
        np.sort(rng.choice(candidates.height, round(share * candidates.height), replace=False))
    ].select("group", "genus")
    chosen = chosen.join(commonest, on="genus", how="left")
    taken = {names.collision_key(s) for s in groups["species"].unique().drop_nulls()}
    fresh = names.epithets(rng, chosen.height, taken)
    after = pl.coalesce("species", pl.col("genus") + " " + pl.Series(fresh, dtype=pl.String))
    chosen = chosen.select("group", after=after)
    return groups.join(chosen, on="group").select("processid", "after", change=pl.lit("identified"))


def _reidentified(rng: np.random.Generator, groups: pl.DataFrame, share: float) -> pl.DataFrame:
    """processid -> another species of the genus, for a share of the Linnaean barcode groups."""
    linnaean = groups.filter(
        (pl.col("species") != export.MISSING) & ~species_flag("species") & _genus_word("genus")
    )
    per_group = linnaean.group_by("group").agg(
        genus=pl.col("genus").unique().sort(), species=pl.col("species").unique().sort()
    )
    per_group = per_group.filter(
        (pl.col("genus").list.len() == 1) & (pl.col("species").list.len() == 1)
    ).select("group", genus=pl.col("genus").list.first(), species=pl.col("species").list.first())
    options = linnaean.group_by("genus").agg(others=pl.col("species").unique().sort())
    candidates = (
        per_group.join(options, on="genus").filter(pl.col("others").list.len() > 1).sort("group")
    )
    chosen = candidates[
        np.sort(rng.choice(candidates.height, round(share * candidates.height), replace=False))
    ]
    draws = rng.integers(0, 2**31, size=chosen.height)
    after = [
        [name for name in others if name != species][int(draw) % (len(others) - 1)]
        for species, others, draw in zip(chosen["species"], chosen["others"], draws, strict=True)
    ]
    chosen = chosen.select("group").with_columns(after=pl.Series(after, dtype=pl.String))
    return linnaean.join(chosen, on="group").select(
        "processid", "after", change=pl.lit("reidentified")
    )


def _relabel(rows: pl.DataFrame, relabelled: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with the species of the relabelled processids replaced (every row of each)."""
    new = relabelled.select("processid", _after="after")
    joined = rows.join(new, on="processid", how="left", maintain_order="left")
    return joined.with_columns(species=pl.coalesce("_after", "species")).drop("_after")


def _changes(
    previous: pl.DataFrame, current: pl.DataFrame, relabelled: pl.DataFrame
) -> pl.DataFrame:
    """The truth table: specimens added and withdrawn, and the relabellings of specimens in
    both exports (before as N writes it)."""
    before = previous.unique("processid").select("processid", before="species")
    after = current.unique("processid").select("processid")
    added = after.join(before, on="processid", how="anti").select(
        "processid", change=pl.lit("added")
    )
    gone = before.join(after, on="processid", how="anti").select(
        "processid", change=pl.lit("withdrawn")
    )
    moved = (
        relabelled.join(before, on="processid")
        .join(after, on="processid", how="semi")
        .filter(pl.col("before") != pl.col("after"))
        .select("processid", "change", rank=pl.lit("species"), before="before", after="after")
    )
    table = pl.concat([added, gone, moved], how="diagonal")
    table = table.with_columns(pl.col("change").cast(CHANGES_SCHEMA["change"]))
    return (
        table.select(list(CHANGES_SCHEMA)).cast(CHANGES_SCHEMA).sort("processid", "change", "rank")
    )


def write_tsv(rows: pl.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write export rows as the generator writes its TSV (TAB, LF, no quoting), atomically."""
    with io.atomic_output(path) as tmp, open(tmp, "wb") as handle:
        handle.write(("\t".join(export.HEADER) + "\n").encode())
        rows.write_csv(handle, include_header=False, separator="\t", quote_style="never")


def write(
    records: int,
    seed: int,
    previous: str | os.PathLike[str],
    current: str | os.PathLike[str],
    changes: str | os.PathLike[str] | None = None,
    shares: Shares = Shares(),
) -> dict[str, int]:
    """Write release N's and N+1's exports (and the changes); return their row counts."""
    evolution = evolve(records, seed, shares)
    write_tsv(evolution.previous, previous)
    write_tsv(evolution.current, current)
    if changes is not None:
        io.write_parquet(evolution.changes, changes)
    counts = dict(evolution.changes.group_by("change").len().iter_rows())
    return {
        "previous_rows": evolution.previous.height,
        "current_rows": evolution.current.height,
        **{str(change): int(counts.get(change, 0)) for change in CHANGES},
    }
