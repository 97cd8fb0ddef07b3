"""Rule emit_card: the dataset card README.md (Hugging Face configs, features, licence, citation,
curation summary), from the release's statistics."""

import polars as pl

from curation import io
from curation.release import card, manifest
from schemas.tables import SPLITS

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    tables = {
        name: pl.read_csv(smk.input[f"stats_{name}"], columns=list(types), schema_overrides=types)
        for name, types in card.STATISTICS.items()
    }
    split_files = smk.params.split_files  # relative to the release directory
    digest = io.read_json(smk.input.digest)
    # the split files' checksums, as emit_metadata measured them, name the data
    measured = manifest.load_measured(smk.input.checksums)
    content = card.content_key([measured[smk.input[f"split_{s}"]].sha256 for s in SPLITS])
    text = card.render(
        smk.params.release,
        split_files,
        tables,
        digest["config_sha256"],
        content,
        smk.params.extra_files,
    )
    io.write_text(text, smk.output.card)
    log.info("dataset card: %d splits, %d bytes", len(split_files), len(text.encode()))
