"""Provenance of label curation: the changes table, the per-record flags and the run summary.

Every label a rule changes is one row of the changes table (``CHANGES_SCHEMA``: processid,
column, before, after, rule).  The stages build it with :func:`apply_rule`; everything a user sees
about what curation did (the flags and ``inferred_ranks`` of each record, the counts in
``summary.json``) is *derived* from that table, so the three can never disagree.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from curation import names
from schemas.tables import CHANGES_SCHEMA, RANKS, RULES, conform, empty

#: Rules whose changes keep the name and only fix how it is written (paper: "reworded").
REWORDING_RULES = ("C2_placeholder", "C3_variant")
#: Rules that can remove a label the record had (``label_was_dropped``).
DROPPING_RULES = (
    "C1_genus_not_a_name",
    "C1_species_genus_mismatch",
    "C7_open_nomenclature",
    "C5_outvoted",
    "C5_curtail",
    "homonym_curtail",
)
#: The C5 rules whose record count the paper reports ("at least one label dropped": 3,478).
VOTE_DROPPING_RULES = ("C5_outvoted", "C5_curtail")

#: The paper's published cleaning counts (docs/curation.md#provenance), printed beside ours in the summary
#: so that a run on the real BOLD export can be compared at a glance.  Not used in any computation.
PAPER_FIGURES: dict[str, int] = {
    "records_reworded": 7_673,
    "species_reworded_records": 6_756,
    "genus_reworded_records": 3_675,
    "genus_from_species_records": 82,
    "genus_from_species_species": 13,
    "genus_species_mismatch_resolved_species": 166,
    "genera_unassigned_subfamily": 1_448,
    "records_label_dropped_by_vote": 3_478,
    "records_label_inferred": 172_895,
    "open_nomenclature_species_removed": 198,
    "open_nomenclature_records": 5_101,
}

#: The per-record flags of ``CURATED_SCHEMA``.
FLAGS = ("label_was_reworded", "label_was_inferred", "label_was_dropped", "bin_conflict")

#: How many examples the summary lists per report (the counts are always complete).
EXAMPLES = 25

_RULE_ORDER = pl.col("rule").replace_strict(list(RULES), list(range(len(RULES))))
_RANK_ORDER = pl.col("column").replace_strict(list(RANKS), list(range(len(RANKS))), default=99)


def apply_rule(
    frame: pl.DataFrame, column: str, value: pl.Expr | pl.Series, rule: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Set ``column`` to ``value`` and return the frame with the change rows of ``rule``.

    A row is a change only where the value really differs (null-aware), so a rule that has
    nothing to do records nothing, and a stage run twice records nothing the second time.
    """
    if rule not in RULES:
        raise ValueError(f"unknown curation rule {rule!r}; add it to schemas.tables.RULES")
    staged = frame.with_columns(value.alias("_after"))
    differs = pl.col(column).ne_missing(pl.col("_after"))
    changes = staged.filter(differs).select(
        "processid",
        pl.lit(column).alias("column"),
        pl.col(column).alias("before"),
        pl.col("_after").alias("after"),
        pl.lit(rule).alias("rule"),
    )
    return staged.with_columns(pl.col("_after").alias(column)).drop("_after"), changes


def by_processid(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in processid order, the order of every table between stages.

    The rows usually arrive sorted and every step keeps their order, so the check (one linear
    pass) spares a string sort of millions of rows; the result is the same either way.
    """
    return frame if frame["processid"].is_sorted() else frame.sort("processid")


def sort_changes(changes: list[pl.DataFrame] | pl.DataFrame) -> pl.DataFrame:
    """One changes table in its contract order: processid, rule order, rank order."""
    frames = [changes] if isinstance(changes, pl.DataFrame) else changes
    frames = [conform(frame, CHANGES_SCHEMA) for frame in frames if frame.height]
    if not frames:
        return empty(CHANGES_SCHEMA)
    combined = pl.concat(frames, how="vertical")
    order = [pl.col("processid"), _RULE_ORDER, _RANK_ORDER]
    return combined.sort(order, maintain_order=True)


def with_flags(frame: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """``frame`` plus ``inferred_ranks`` and the ``label_was_*`` flags of its records' changes.

    * ``inferred_ranks``: 7 - index of the shallowest rank C6 filled (and no later rule
      removed), 0 if none; the larger of that and ``given_inferred_ranks`` when the input
      stated one (a release read back keeps its codes, docs/curation.md#inference);
    * ``label_was_inferred``: ``inferred_ranks > 0``;
    * ``label_was_reworded``: a C2/C3 rewrite, or a C0 whitespace fix that kept the value;
    * ``label_was_dropped``: a label the record had (never a filler, nor a "no_data" token
      C0 nulled) was removed by a rule of :data:`DROPPING_RULES`.
    """
    kept = pl.col("before").is_not_null() & pl.col("after").is_not_null()
    removed = pl.col("before").is_not_null() & pl.col("after").is_null()
    reworded = pl.col("rule").is_in(REWORDING_RULES) | ((pl.col("rule") == "C0_whitespace") & kept)
    dropped = removed & pl.col("rule").is_in(DROPPING_RULES) & ~names.is_filler(pl.col("before"))
    code = pl.max_horizontal(
        (7 - pl.col("_shallowest")).fill_null(0), pl.col("given_inferred_ranks").fill_null(0)
    ).cast(pl.UInt8)

    def having(rows: pl.Expr) -> pl.Expr:
        return pl.col("processid").is_in(changes.filter(rows)["processid"].unique().implode())

    return (
        frame.join(_shallowest_inferred(changes), on="processid", how="left", maintain_order="left")
        .with_columns(code.alias("inferred_ranks"))
        .with_columns(
            (pl.col("inferred_ranks") > 0).alias("label_was_inferred"),
            having(reworded).alias("label_was_reworded"),
            having(dropped).alias("label_was_dropped"),
        )
        .drop("_shallowest")
    )


def _shallowest_inferred(changes: pl.DataFrame) -> pl.DataFrame:
    """Per processid, the index of the shallowest rank C6 filled that no later rule removed."""
    undone = changes.filter(pl.col("rule") == "homonym_curtail").select("processid", "column")
    return (
        changes.lazy()
        .filter(pl.col("rule") == "C6_inferred")
        .join(undone.lazy(), on=["processid", "column"], how="anti")
        .group_by("processid")
        .agg(_RANK_ORDER.min().alias("_shallowest"))
        .collect()
    )


def summarise(curated: pl.DataFrame, changes: pl.DataFrame) -> dict[str, Any]:
    """The audit summary of a curation run (JSON-able, deterministic).

    ``figures`` are the counts the paper publishes (section 9.10), computed by us, with the
    paper's values in ``paper`` for comparison; ``rules`` counts every rule's changes; the
    ``genus_*``, ``homonyms`` and ``subfamily_completion`` entries list what a maintainer may
    want to fix in the corrections table; ``hierarchy`` lists the names that still break "each
    rank partitions its parent" (see :func:`hierarchy_report`), each rank with a check.
    """
    # The distinct label paths with their record counts: every report below works on these.
    paths = curated.lazy().group_by(list(RANKS)).agg(pl.len().alias("records")).collect()
    return {
        "records": curated.height,
        "labelled": {rank: curated[rank].count() for rank in (*RANKS, "taxon", "dna_bin")},
        "rules": _rule_counts(changes),
        "flags": {flag: int(curated[flag].sum()) for flag in FLAGS},
        "inferred_ranks": _inferred_ranks_distribution(curated),
        "curtailed_records_by_rank": _curtailed_by_rank(changes),
        "figures": _figures(curated, changes),
        "paper": dict(PAPER_FIGURES),
        "genus_species_mismatches": _examples(changes, "C1_species_genus_mismatch", curated),
        "genus_not_a_name": _examples(changes, "C1_genus_not_a_name"),
        "homonyms": {
            rank: _examples(changes.filter(pl.col("column") == rank), "homonym_curtail")
            for rank in ("family", "subfamily", "genus", "species")
        },
        "subfamily_completion": _completion_report(curated, changes),
        "hierarchy": hierarchy_report(paths),
    }


def _records(changes: pl.DataFrame) -> int:
    return _distinct(changes["processid"])


def _distinct(values: pl.Series) -> int:
    """Number of distinct non-null values (``n_unique`` would count null as one)."""
    return values.drop_nulls().n_unique()


def _rule_counts(changes: pl.DataFrame) -> dict[str, Any]:
    counts = changes.group_by("rule", "column").agg(
        pl.len().alias("labels"), pl.col("processid").n_unique().alias("records")
    )
    per_rule = changes.group_by("rule").agg(pl.col("processid").n_unique().alias("records"))
    records = dict(zip(per_rule["rule"], per_rule["records"], strict=True))
    result: dict[str, Any] = {}
    for rule in RULES:
        rows = counts.filter(pl.col("rule") == rule).sort("column")
        result[rule] = {
            "labels": int(rows["labels"].sum()),
            "records": int(records.get(rule, 0)),
            "by_column": dict(zip(rows["column"], map(int, rows["labels"]), strict=True)),
        }
    return result


def _inferred_ranks_distribution(curated: pl.DataFrame) -> dict[str, int]:
    counts = curated.group_by("inferred_ranks").agg(pl.len())
    found = dict(zip(counts["inferred_ranks"], counts["len"], strict=True))
    return {str(code): int(found.get(code, 0)) for code in range(7)}


def _curtailed_by_rank(changes: pl.DataFrame) -> dict[str, int]:
    """Records per rank at which C5 curtailed them (the shallowest rank nulled)."""
    curtailed = (
        changes.filter(pl.col("rule") == "C5_curtail")
        .group_by("processid")
        .agg(_RANK_ORDER.min().alias("rank"))
        .group_by("rank")
        .agg(pl.len())
    )
    found = dict(zip(curtailed["rank"], curtailed["len"], strict=True))
    return {rank: int(found.get(index, 0)) for index, rank in enumerate(RANKS)}


def _figures(curated: pl.DataFrame, changes: pl.DataFrame) -> dict[str, int]:
    def rule(*rules: str, column: str | None = None) -> pl.DataFrame:
        picked = changes.filter(pl.col("rule").is_in(rules))
        return picked if column is None else picked.filter(pl.col("column") == column)

    def species_of(rows: pl.DataFrame) -> int:
        return _distinct(
            curated.join(rows.select("processid"), on="processid", how="semi")["species"]
        )

    label_removed = pl.col("after").is_null() & ~names.is_filler(pl.col("before"))
    removed = rule("C7_open_nomenclature")
    fillers = curated.filter(names.is_filler(pl.col("subfamily")))
    conflicted = curated.filter(pl.col("bin_conflict"))
    mismatched = rule("C1_species_genus_mismatch")
    completed = rule("C4_subfamily_completion").filter(
        pl.col("after").is_not_null() & ~names.is_filler(pl.col("after"))
    )
    return {
        "records_reworded": _records(rule(*REWORDING_RULES)),
        "species_reworded_records": _records(rule(*REWORDING_RULES, column="species")),
        "genus_reworded_records": _records(rule(*REWORDING_RULES, column="genus")),
        "genus_from_species_records": _records(rule("C1_genus_from_species")),
        "genus_from_species_species": species_of(rule("C1_genus_from_species")),
        "genus_species_mismatch_resolved_records": _records(rule("C1_genus_species_majority")),
        "genus_species_mismatch_resolved_species": species_of(rule("C1_genus_species_majority")),
        "genus_species_mismatch_dropped_records": _records(mismatched),
        "genus_species_mismatch_dropped_species": _distinct(mismatched["before"]),
        "genus_several_words_repaired_records": _records(rule("C1_genus_first_word")),
        "genus_several_words_nulled_records": _records(rule("C1_genus_not_a_name")),
        "genera_unassigned_subfamily": _distinct(fillers["genus"]),
        "records_unassigned_subfamily": fillers.height,
        "genera_subfamily_completed": _distinct(
            curated.join(completed.select("processid"), on="processid", how="semi")["genus"]
        ),
        "records_subfamily_completed": _records(completed),
        "records_label_dropped_by_vote": _records(rule(*VOTE_DROPPING_RULES).filter(label_removed)),
        "records_label_dropped": int(curated["label_was_dropped"].sum()),
        "records_label_inferred": int(curated["label_was_inferred"].sum()),
        "records_homonym_curtailed": _records(rule("homonym_curtail").filter(label_removed)),
        "open_nomenclature_species_removed": _distinct(removed["before"]),
        "open_nomenclature_records": _records(removed),
        "bin_conflict_barcode_keys": _distinct(conflicted["barcode_key"]),
        "bin_conflict_records": conflicted.height,
    }


def _examples(
    changes: pl.DataFrame, rule: str, curated: pl.DataFrame | None = None
) -> dict[str, Any]:
    """The values ``rule`` removed, with most records first: a count and the top examples
    (with the record's final genus when ``curated`` is given)."""
    rows = changes.filter((pl.col("rule") == rule) & pl.col("before").is_not_null())
    rows = rows.filter(pl.col("after").is_null()).select("processid", "column", "before")
    keys = ["column", "before"]
    if curated is not None:
        rows = rows.join(curated.select("processid", "genus"), on="processid", how="left")
        keys.append("genus")
    values = (
        rows.group_by(keys)
        .agg(pl.len().alias("records"))
        .sort(["records", *keys], descending=[True, *[False] * len(keys)], nulls_last=True)
    )
    return {
        "values": values.height,
        "records": _records(rows),
        "examples": values.head(EXAMPLES).rename({"before": "value"}).to_dicts(),
    }


def _completion_report(curated: pl.DataFrame, changes: pl.DataFrame) -> dict[str, Any]:
    """Genera the subfamily completion could not complete: placed in several subfamilies."""
    real = pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily"))
    several = (
        curated.select("genus", real.alias("subfamily"))
        .drop_nulls()
        .group_by("genus")
        .agg(pl.col("subfamily").unique().sort())
        .filter(pl.col("subfamily").list.len() > 1)
        .sort("genus")
    )
    return {
        "genera_in_several_subfamilies": several.height,
        "examples": several.head(EXAMPLES).to_dicts(),
        "records_changed": _records(changes.filter(pl.col("rule") == "C4_subfamily_completion")),
    }


def hierarchy_report(paths: pl.DataFrame) -> dict[str, Any]:
    """Names that break "each rank partitions its parent", per rank, from the distinct paths.

    A name's *lineage* is its ancestors (fillers as no subfamily).  Two lineages *conflict*
    when they name different taxa at some rank; they are *incomplete* when they differ only by
    missing ancestors.  Within a barcode the vote leaves one path; across barcodes the homonym
    rule (docs/curation.md#homonyms) removes conflicts of genus and species names, so their
    checks pass; a family or subfamily under two parents is reported here for a maintainer to
    fix with the corrections table.  Each rank has a check for the quality report.
    """
    paths = paths.with_columns(
        pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily")).alias("subfamily")
    )
    report: dict[str, Any] = {}
    for depth, rank in enumerate(RANKS[1:], start=1):
        ancestors = list(RANKS[:depth])
        lineages = (
            paths.filter(pl.col(rank).is_not_null())
            .group_by(rank, *ancestors)
            .agg(pl.col("records").sum())
            .filter(pl.len().over(rank) > 1)
        )
        conflicting = pl.any_horizontal(
            (pl.col(a).drop_nulls().n_unique().over(rank) > 1) for a in ancestors
        )
        lineages = lineages.with_columns(conflicting.alias("_conflict"))
        split = lineages.filter("_conflict")
        children = (
            split.group_by(rank)
            .agg(pl.len().alias("parents"), pl.col("records").sum())
            .sort(["records", rank], descending=[True, False])
        )
        examples = [
            {
                "name": child,
                "records": int(records),
                "lineages": _lineages(split.filter(pl.col(rank) == child), ancestors),
            }
            for child, records in children.head(EXAMPLES).select(rank, "records").iter_rows()
        ]
        report[rank] = {
            "names_with_several_parents": children.height,
            "records": int(children["records"].sum()),
            "names_with_incomplete_lineages": _distinct(
                lineages.filter(~pl.col("_conflict"))[rank]
            ),
            "examples": examples,
            "check": {
                "name": f"every {rank} has one parent lineage",
                "passed": children.height == 0,
                "names_with_several_parents": children.height,
            },
        }
    return report


def _lineages(rows: pl.DataFrame, ancestors: list[str]) -> list[dict[str, Any]]:
    ordered = rows.sort(
        ["records", *ancestors], descending=[True] + [False] * len(ancestors), nulls_last=True
    )
    return [
        {"path": [row[rank] for rank in ancestors], "records": int(row["records"])}
        for row in ordered.iter_rows(named=True)
    ]
