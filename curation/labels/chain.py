"""The label curation chain: the order of the steps and the settings each step reads.

The workflow runs each step as its own rule (the per-barcode steps once per shard, with Parquet
in between, then the global steps once on the gathered shards); :func:`curate` runs the same
steps in memory, for tests and notebooks.  Both take a step's settings from
:data:`STEP_SETTINGS`, so a rule is given, and re-run for, only the settings its step reads
(docs/curation.md#order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from curation.labels import shards
from curation.labels.complete import gather, plan, shard_facts
from curation.labels.homonyms import sum_paths
from curation.labels.infer import infer
from curation.labels.normalise import build_variant_map, normalise
from curation.labels.vote import resolve
from schemas.config import CurationConfig
from schemas.corrections import CORRECTIONS_SCHEMA
from schemas.tables import CHANGES_SCHEMA, CURATED_SCHEMA, empty

#: The curation settings each step reads, by step (= rule) name, in chain order.
STEP_SETTINGS: dict[str, tuple[str, ...]] = {
    "variant_map": ("placeholder_code_widths", "malaise_max_distance"),
    "normalise": (
        "remove_open_nomenclature",
        "open_nomenclature_qualifiers",
        "open_nomenclature_epithet_qualifiers",
    ),
    "resolve": ("vote_threshold",),
    "infer": (),
    "gather_curation": ("fill_unassigned_subfamily",),
}


def settings(cfg: CurationConfig, step: str) -> dict[str, Any]:
    """The settings ``step`` reads, as keyword arguments of its function."""
    return {name: getattr(cfg, name) for name in STEP_SETTINGS[step]}


def curate(
    labels: pl.DataFrame,
    cfg: CurationConfig | None = None,
    corrections: pl.DataFrame | None = None,
    shard_count: int = 1,
    key_shards: Sequence[Sequence[int]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The whole chain on ingested labels: (curated, changes), as the workflow gives them.

    The spelling map is built from all labels; the per-barcode steps run on each of
    ``shard_count`` barcode shards (or on ``key_shards``, explicit lists of barcode keys, to test
    that any partition of the keys gives the same result); the global steps then run on them
    shard by shard (:func:`global_steps`).
    """
    cfg = cfg or CurationConfig()
    corrections = empty(CORRECTIONS_SCHEMA) if corrections is None else corrections
    variant_map = build_variant_map(labels, **settings(cfg, "variant_map"))
    if key_shards is None:
        parts = shards.split(labels, shard_count)
    else:
        parts = [labels.filter(pl.col("barcode_key").is_in(list(keys))) for keys in key_shards]
    outputs = [per_barcode_steps(part, variant_map, corrections, cfg) for part in parts]
    return global_steps(outputs, cfg)


def global_steps(
    outputs: Sequence[tuple[pl.DataFrame, pl.DataFrame]], cfg: CurationConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The global steps on the shards' (inferred labels, changes), as rule ``gather_curation``
    runs them: planned from the shards' facts (label paths, BIN conflicts), then piece by
    piece (here a piece is a shard), gathered."""
    facts = [shard_facts(labels) for labels, _ in outputs]
    planned = plan(
        sum_paths([paths for paths, _ in facts]),
        pl.concat([conflicts for _, conflicts in facts], how="vertical"),
    )
    done = list(gather(outputs, planned, **settings(cfg, "gather_curation")))
    curated = shards.gather([curated for curated, _, _ in done], CURATED_SCHEMA)
    return curated, shards.gather([changes for _, changes, _ in done], CHANGES_SCHEMA)


def per_barcode_steps(
    labels: pl.DataFrame, variant_map: pl.DataFrame, corrections: pl.DataFrame, cfg: CurationConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """normalise -> resolve -> infer on one shard: (inferred labels, all their changes)."""
    normalised, normalise_changes = normalise(
        labels, variant_map, corrections, **settings(cfg, "normalise")
    )
    resolved, resolve_changes = resolve(normalised, **settings(cfg, "resolve"))
    prior = pl.concat([normalise_changes, resolve_changes], how="vertical")
    return infer(resolved, prior, **settings(cfg, "infer"))
