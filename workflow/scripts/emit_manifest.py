"""Rule emit_manifest: checksums, row counts, inputs and tool versions of the release."""

import os

from curation import io
from curation.release import manifest

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
release_dir = os.path.dirname(smk.output.manifest)


def input_name(path: str) -> str:
    """An input as the MANIFEST lists it: relative to the build directory when inside it, so that
    builds in different checkouts list the same names; otherwise as configured."""
    relative = os.path.relpath(os.path.abspath(path))
    return path if relative.startswith(os.pardir) else relative.replace(os.sep, "/")


with io.rule_log(smk.log[0]) as log:
    release = [
        (os.path.relpath(path, release_dir).replace(os.sep, "/"), path)
        for path in smk.input.release
    ]
    sources = [(input_name(path), path) for path in sorted(set(smk.input.inputs))]
    # The large files were checksummed by the jobs that wrote or read them; the rest here.
    measured: dict[str, manifest.Entry] = {}
    for sidecar in smk.input.measured:
        measured.update(manifest.load_measured(sidecar))
    listed = manifest.entries([*release, *sources], measured)
    files, inputs = listed[: len(release)], listed[len(release) :]
    text = manifest.render(
        name=smk.params.name,
        version=smk.params.version,
        config_sha256=smk.params.config_sha256,
        files=files,
        inputs=inputs,
        tools=manifest.tool_versions(),
    )
    io.write_text(text, smk.output.manifest)
    log.info("MANIFEST: %d release files, %d inputs", len(files), len(inputs))
