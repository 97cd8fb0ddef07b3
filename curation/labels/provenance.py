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
    return summarise_facts([summary_facts(curated, changes)])


#: The example reports of the summary: (name, rule, column or None for all, with the genus).
_EXAMPLE_REPORTS: tuple[tuple[str, str, str | None, bool], ...] = (
    ("genus_species_mismatches", "C1_species_genus_mismatch", None, True),
    ("genus_not_a_name", "C1_genus_not_a_name", None, False),
    *(
        (f"homonyms.{rank}", "homonym_curtail", rank, False)
        for rank in ("family", "subfamily", "genus", "species")
    ),
)


def summary_facts(curated: pl.DataFrame, changes: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """What :func:`summarise` needs of some records (all, or one barcode shard with its
    changes), as small tables whose union over disjoint sets of records is that of all records:
    ``counts`` (name, value) are summed, ``distinct`` (name, value) and ``placements``
    (genus, real subfamily) are sets united, ``rule_labels``, ``examples`` and ``paths`` are
    group counts summed.  So the summary of a
    run over shards is computed without holding every record (rule ``gather_curation``)."""
    counts: dict[str, int] = {"records": curated.height}
    counts |= {f"labelled.{c}": curated[c].count() for c in (*RANKS, "taxon", "dna_bin")}
    counts |= {f"flags.{flag}": int(curated[flag].sum()) for flag in FLAGS}
    ranks = curated.group_by("inferred_ranks").agg(pl.len())
    counts |= {f"inferred_ranks.{c}": int(n) for c, n in ranks.iter_rows()}
    counts |= {f"curtailed.{rank}": n for rank, n in _curtailed_by_rank(changes).items()}
    per_rule = changes.group_by("rule").agg(pl.col("processid").n_unique().alias("records"))
    counts |= {f"rule_records.{rule}": int(n) for rule, n in per_rule.iter_rows()}
    figures, distinct = _figures(curated, changes)
    counts |= {f"figures.{name}": value for name, value in figures.items()}
    completion = changes.filter(pl.col("rule") == "C4_subfamily_completion")
    counts["completion.records_changed"] = _records(completion)
    examples = []
    for name, rule, column, with_genus in _EXAMPLE_REPORTS:
        rows = changes if column is None else changes.filter(pl.col("column") == column)
        rows = rows.filter((pl.col("rule") == rule) & pl.col("before").is_not_null())
        rows = rows.filter(pl.col("after").is_null()).select("processid", "column", "before")
        counts[f"examples.{name}"] = _records(rows)
        if with_genus:
            rows = rows.join(curated.select("processid", "genus"), on="processid", how="left")
        else:
            rows = rows.with_columns(genus=pl.lit(None, pl.String))
        examples.append(
            rows.group_by("column", "before", "genus")
            .agg(pl.len().alias("records"))
            .select(pl.lit(name).alias("report"), "column", "before", "genus", "records")
        )
    real = pl.when(~names.is_filler(pl.col("subfamily"))).then(pl.col("subfamily"))
    return {
        "counts": pl.DataFrame(
            {"name": list(counts), "value": list(counts.values())},
            schema={"name": pl.String, "value": pl.Int64},
        ),
        "distinct": pl.concat(distinct, how="vertical"),
        "rule_labels": changes.group_by("rule", "column").agg(pl.len().alias("labels")),
        "examples": pl.concat(examples, how="vertical"),
        "paths": curated.lazy().group_by(list(RANKS)).agg(pl.len().alias("records")).collect(),
        "placements": curated.select("genus", real.alias("subfamily")).drop_nulls().unique(),
    }


def summarise_facts(facts: list[dict[str, pl.DataFrame]]) -> dict[str, Any]:
    """:func:`summarise` from the :func:`summary_facts` of disjoint sets of records (the
    barcode shards of a run): their union, then the same summary as of all records at once."""

    def union(name: str) -> pl.DataFrame:
        return pl.concat([part[name] for part in facts], how="vertical")

    totals = union("counts").group_by("name").agg(pl.col("value").sum())
    count = dict(totals.iter_rows())

    def total(name: str) -> int:
        return int(count.get(name, 0))

    distinct = union("distinct").unique()
    sets = dict(distinct.group_by("name").agg(pl.len()).iter_rows())
    rule_labels = union("rule_labels").group_by("rule", "column").agg(pl.col("labels").sum())
    examples = (
        union("examples")
        .group_by("report", "column", "before", "genus")
        .agg(pl.col("records").sum())
    )
    paths = union("paths").group_by(list(RANKS)).agg(pl.col("records").sum())
    figures = {name: total(f"figures.{name}") for name in _SUMMED_FIGURES}
    figures |= {name: int(sets.get(name, 0)) for name in _DISTINCT_FIGURES}
    placements = (
        union("placements")
        .unique()
        .group_by("genus")
        .agg(pl.col("subfamily").sort())
        .filter(pl.col("subfamily").list.len() > 1)
        .sort("genus")
    )
    return {
        "records": total("records"),
        "labelled": {c: total(f"labelled.{c}") for c in (*RANKS, "taxon", "dna_bin")},
        "rules": _rule_counts(rule_labels, {r: total(f"rule_records.{r}") for r in RULES}),
        "flags": {flag: total(f"flags.{flag}") for flag in FLAGS},
        "inferred_ranks": {str(code): total(f"inferred_ranks.{code}") for code in range(7)},
        "curtailed_records_by_rank": {rank: total(f"curtailed.{rank}") for rank in RANKS},
        "figures": {name: figures[name] for name in _FIGURE_ORDER},
        "paper": dict(PAPER_FIGURES),
        "genus_species_mismatches": _examples(examples, "genus_species_mismatches", total),
        "genus_not_a_name": _examples(examples, "genus_not_a_name", total),
        "homonyms": {
            rank: _examples(examples, f"homonyms.{rank}", total)
            for rank in ("family", "subfamily", "genus", "species")
        },
        "subfamily_completion": {
            "genera_in_several_subfamilies": placements.height,
            "examples": placements.head(EXAMPLES).to_dicts(),
            "records_changed": total("completion.records_changed"),
        },
        "hierarchy": hierarchy_report(paths),
    }


def _records(changes: pl.DataFrame) -> int:
    return _distinct(changes["processid"])


def _distinct(values: pl.Series) -> int:
    """Number of distinct non-null values (``n_unique`` would count null as one)."""
    return values.drop_nulls().n_unique()


def _rule_counts(rule_labels: pl.DataFrame, records: dict[str, int]) -> dict[str, Any]:
    """Per rule: labels changed, records changed (``records``), labels per column."""
    result: dict[str, Any] = {}
    for rule in RULES:
        rows = rule_labels.filter(pl.col("rule") == rule).sort("column")
        result[rule] = {
            "labels": int(rows["labels"].sum()),
            "records": records[rule],
            "by_column": dict(zip(rows["column"], map(int, rows["labels"]), strict=True)),
        }
    return result


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


#: The summary's figures, in order: counts of records (summed over shards) ...
_SUMMED_FIGURES = (
    "records_reworded",
    "species_reworded_records",
    "genus_reworded_records",
    "genus_from_species_records",
    "genus_species_mismatch_resolved_records",
    "genus_species_mismatch_dropped_records",
    "genus_several_words_repaired_records",
    "genus_several_words_nulled_records",
    "records_unassigned_subfamily",
    "records_subfamily_completed",
    "records_label_dropped_by_vote",
    "records_label_dropped",
    "records_label_inferred",
    "records_homonym_curtailed",
    "open_nomenclature_records",
    "bin_conflict_records",
)
#: ... and counts of distinct names or keys (sets united over shards).
_DISTINCT_FIGURES = (
    "genus_from_species_species",
    "genus_species_mismatch_resolved_species",
    "genus_species_mismatch_dropped_species",
    "genera_unassigned_subfamily",
    "genera_subfamily_completed",
    "open_nomenclature_species_removed",
    "bin_conflict_barcode_keys",
)
_FIGURE_ORDER = (
    "records_reworded",
    "species_reworded_records",
    "genus_reworded_records",
    "genus_from_species_records",
    "genus_from_species_species",
    "genus_species_mismatch_resolved_records",
    "genus_species_mismatch_resolved_species",
    "genus_species_mismatch_dropped_records",
    "genus_species_mismatch_dropped_species",
    "genus_several_words_repaired_records",
    "genus_several_words_nulled_records",
    "genera_unassigned_subfamily",
    "records_unassigned_subfamily",
    "genera_subfamily_completed",
    "records_subfamily_completed",
    "records_label_dropped_by_vote",
    "records_label_dropped",
    "records_label_inferred",
    "records_homonym_curtailed",
    "open_nomenclature_species_removed",
    "open_nomenclature_records",
    "bin_conflict_barcode_keys",
    "bin_conflict_records",
)


def _figures(
    curated: pl.DataFrame, changes: pl.DataFrame
) -> tuple[dict[str, int], list[pl.DataFrame]]:
    """The summed figures of some records, and the (name, value) sets of the distinct ones."""

    def rule(*rules: str, column: str | None = None) -> pl.DataFrame:
        picked = changes.filter(pl.col("rule").is_in(rules))
        return picked if column is None else picked.filter(pl.col("column") == column)

    def species_of(rows: pl.DataFrame) -> pl.Series:
        return curated.join(rows.select("processid"), on="processid", how="semi")["species"]

    label_removed = pl.col("after").is_null() & ~names.is_filler(pl.col("before"))
    removed = rule("C7_open_nomenclature")
    fillers = curated.filter(names.is_filler(pl.col("subfamily")))
    conflicted = curated.filter(pl.col("bin_conflict"))
    mismatched = rule("C1_species_genus_mismatch")
    completed = rule("C4_subfamily_completion").filter(
        pl.col("after").is_not_null() & ~names.is_filler(pl.col("after"))
    )
    summed = {
        "records_reworded": _records(rule(*REWORDING_RULES)),
        "species_reworded_records": _records(rule(*REWORDING_RULES, column="species")),
        "genus_reworded_records": _records(rule(*REWORDING_RULES, column="genus")),
        "genus_from_species_records": _records(rule("C1_genus_from_species")),
        "genus_species_mismatch_resolved_records": _records(rule("C1_genus_species_majority")),
        "genus_species_mismatch_dropped_records": _records(mismatched),
        "genus_several_words_repaired_records": _records(rule("C1_genus_first_word")),
        "genus_several_words_nulled_records": _records(rule("C1_genus_not_a_name")),
        "records_unassigned_subfamily": fillers.height,
        "records_subfamily_completed": _records(completed),
        "records_label_dropped_by_vote": _records(rule(*VOTE_DROPPING_RULES).filter(label_removed)),
        "records_label_dropped": int(curated["label_was_dropped"].sum()),
        "records_label_inferred": int(curated["label_was_inferred"].sum()),
        "records_homonym_curtailed": _records(rule("homonym_curtail").filter(label_removed)),
        "open_nomenclature_records": _records(removed),
        "bin_conflict_records": conflicted.height,
    }
    values = {
        "genus_from_species_species": species_of(rule("C1_genus_from_species")),
        "genus_species_mismatch_resolved_species": species_of(rule("C1_genus_species_majority")),
        "genus_species_mismatch_dropped_species": mismatched["before"],
        "genera_unassigned_subfamily": fillers["genus"],
        "genera_subfamily_completed": curated.join(
            completed.select("processid"), on="processid", how="semi"
        )["genus"],
        "open_nomenclature_species_removed": removed["before"],
        "bin_conflict_barcode_keys": conflicted["barcode_key"].cast(pl.String),
    }
    distinct = [
        pl.DataFrame({"value": column.drop_nulls().unique()}, schema={"value": pl.String}).select(
            pl.lit(name).alias("name"), "value"
        )
        for name, column in values.items()
    ]
    return summed, distinct


def _examples(examples: pl.DataFrame, report: str, total: Any) -> dict[str, Any]:
    """The values a rule removed (one report of :data:`_EXAMPLE_REPORTS`), with most records
    first: a count and the top examples (with the record's final genus where the report has
    it)."""
    with_genus = next(g for name, _, _, g in _EXAMPLE_REPORTS if name == report)
    keys = ["column", "before", *(["genus"] if with_genus else [])]
    values = (
        examples.filter(pl.col("report") == report)
        .select(*keys, "records")
        .sort(["records", *keys], descending=[True, *[False] * len(keys)], nulls_last=True)
    )
    return {
        "values": values.height,
        "records": total(f"examples.{report}"),
        "examples": values.head(EXAMPLES).rename({"before": "value"}).to_dicts(),
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
