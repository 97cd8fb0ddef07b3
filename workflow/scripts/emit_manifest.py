"""Rule emit_manifest: checksums, row counts, inputs and tool versions of the release."""

import os

from curation import io
from curation.release import manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
release_dir = os.path.dirname(smk.output.manifest)


with io.rule_log(smk.log[0]) as log:
    release = [
        (os.path.relpath(path, release_dir).replace(os.sep, "/"), path)
        for path in smk.input.release
    ]
    digest = io.read_json(smk.input.digest)
    # The large files were checksummed by the jobs that wrote or read them; the rest here.
    measured: dict[str, manifest.Entry] = {}
    for sidecar in smk.input.measured:
        measured.update(manifest.load_measured(sidecar))
    files = manifest.entries(release, measured)
    # Inputs by file name and checksum, as the digest has them: not where they lie.
    inputs = [manifest.Entry(i["name"], i["sha256"], i["size"]) for i in digest["inputs"]]
    text = manifest.render(
        name=smk.params.name,
        version=smk.params.version,
        config_sha256=digest["config_sha256"],
        files=files,
        inputs=inputs,
        tools=manifest.tool_versions(),
    )
    io.write_text(text, smk.output.manifest)
    log.info("MANIFEST: %d release files, %d inputs", len(files), len(inputs))
