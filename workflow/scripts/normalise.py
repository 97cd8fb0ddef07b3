"""Rule normalise: C0, C2/C3, C1 and C4 on one barcode shard."""

import sys

from curation import io
from curation.labels.normalise import normalise, unresolved_genus_mismatches
from schemas.config import CurationConfig
from schemas.corrections import CORRECTIONS_SCHEMA, CorrectionsError, read_corrections
from schemas.tables import empty

with io.rule_log(snakemake.log[0]) as log:  # noqa: F821 (injected by Snakemake)
    cfg = CurationConfig(**snakemake.params.curation)  # noqa: F821
    table = snakemake.input.get("corrections")  # noqa: F821
    labels = io.read_parquet(snakemake.input.labels)  # noqa: F821
    variant_map = io.read_parquet(snakemake.input.variant_map)  # noqa: F821
    try:
        corrections = read_corrections(table) if table else empty(CORRECTIONS_SCHEMA)
        labels, changes = normalise(labels, variant_map, corrections, cfg)
    except CorrectionsError as err:
        # A bad corrections table is the maintainer's to fix: one line, no traceback, no output.
        message = str(err) if str(err).startswith(str(table)) else f"{table}: {err}"
        log.error("%s", message)
        sys.exit(f"normalise: {message}")
    io.write_parquet(labels, snakemake.output.labels)  # noqa: F821
    io.write_parquet(changes, snakemake.output.changes)  # noqa: F821
    log.info("%d records, %d label changes", labels.height, changes.height)
    for rule, count in sorted(changes["rule"].value_counts().iter_rows()):
        log.info("  %s: %d labels", rule, count)
    mismatches = unresolved_genus_mismatches(labels)
    log.info("%d records whose species does not start with their genus", mismatches.height)
