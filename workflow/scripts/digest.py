"""Rule digest: what decides the release's content (settings and input checksums), digested."""

import os

from curation import io
from curation.ingest.assemble import source_names
from curation.release import manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)

with io.rule_log(smk.log[0]) as log:
    # The exports were checksummed by ingest, which read them anyway; the small files here.
    exports = manifest.load_measured(smk.input.input_checksums)
    inputs = [
        {"role": "export", "name": name, "entry": exports[path]}
        for name, path in zip(source_names(smk.input.exports), smk.input.exports, strict=True)
    ]
    for role in ("corrections", "bioscan1m", "bounding_boxes", "previous_release"):
        inputs += [
            {"role": role, "name": os.path.basename(path), "entry": manifest.measure(path)}
            for path in smk.input[role]
        ]
    described = [
        {
            "role": item["role"],
            "name": item["name"],
            "sha256": item["entry"].sha256,
            "size": item["entry"].size,
        }
        for item in inputs
    ]
    digest = manifest.content_digest(smk.params.settings, described)
    io.write_json(digest, smk.output.digest)
    log.info("config_sha256 %s over %d inputs", digest["config_sha256"], len(described))
