"""Rule publish: make the release built in the staging directory the one readers see, in one
step (curation/release/publish.py), and record where it is."""

import os

from curation import io
from curation.release import publish

smk = snakemake  # noqa: F821 (the rule's input, output, params and log, injected by Snakemake)
staged = os.path.dirname(smk.input.manifest)

with io.rule_log(smk.log[0]) as log:
    try:
        version = publish.publish(staged, smk.params.link, smk.params.version)
    except publish.PublishError as err:
        log.error("%s", err)
        raise SystemExit(f"publish: {err}") from None
    target = os.readlink(smk.params.link)
    io.write_json({"target": target}, smk.output.published)
    log.info("published %s -> %s", smk.params.link, target)
