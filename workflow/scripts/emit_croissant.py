"""Rule emit_croissant: the Croissant JSON-LD that describes and checksums the release files."""

import os

import polars as pl

from curation import io
from curation.release import croissant, manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
here = os.path.dirname(smk.output.croissant)

with io.rule_log(smk.log[0]) as log:
    # the files' writer checksummed them (and load_measured checks they have not changed since)
    measured = manifest.load_measured(smk.input.checksums)
    files = [
        croissant.ReleaseFile(
            id=file_id,
            path=os.path.relpath(smk.input[key], here).replace(os.sep, "/"),
            sha256=measured[smk.input[key]].sha256,
            size=measured[smk.input[key]].size,
            encoding=encoding,
            description=description,
        )
        for key, (file_id, encoding, description) in croissant.FILES.items()
    ]
    stats = {
        name: pl.read_csv(smk.input[f"stats_{name}"], columns=list(types), schema_overrides=types)
        for name, types in croissant.STATISTICS.items()
    }
    rules = stats["curation_rules"]
    records = measured[smk.input.parquet].rows
    provenance = croissant.Provenance(
        inputs=io.read_json(smk.input.digest)["inputs"],
        rules=list(rules.select("rule", "description").iter_rows()),
        biases=croissant.measured_biases(
            stats["countries"], stats["tableA5"], stats["table2"], records
        ),
    )
    io.write_json(croissant.metadata(smk.params.release, files, provenance), smk.output.croissant)
    log.info("croissant: %d files, %d record sets", len(files), len(croissant.TABLES) + 1)
