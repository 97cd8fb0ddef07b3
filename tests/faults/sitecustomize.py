"""Fault injection for the workflow tests: loaded by every Python process of a build whose
PYTHONPATH starts with this directory (Python imports ``sitecustomize`` at start-up).

An audit hook counts, in each rule script, the changes it makes to the file system (renames,
links, removals: those of ``CURATION_KILL_EVENTS`` if set).  In the script of the rule
``CURATION_KILL_RULE``, just before the change numbered ``CURATION_KILL_AT``, it writes what it
was about to do to ``CURATION_KILL_MARK`` and kills the whole build (its process group) with
SIGKILL, as a power cut or ``kill -9`` would.  Without ``CURATION_KILL_AT`` it kills nothing and
appends one ``<rule> <event> <count>`` line per event to ``CURATION_KILL_MARK`` when each rule
script ends.
"""

import atexit
import os
import re
import signal
import sys

#: Audit events that change what a directory holds (os.replace raises "os.rename").
CHANGES = frozenset(
    {"os.rename", "os.link", "os.symlink", "os.remove", "os.rmdir", "shutil.rmtree"}
)

_events = frozenset(filter(None, os.environ.get("CURATION_KILL_EVENTS", "").split(","))) or CHANGES
_rule = os.environ.get("CURATION_KILL_RULE")
_at = int(os.environ.get("CURATION_KILL_AT", "0"))
_mark = os.environ.get("CURATION_KILL_MARK", "")
_seen = 0
_counts: dict[str, int] = {}


def _script_rule() -> str | None:
    """The rule whose script this process runs: Snakemake runs it as
    ``.snakemake/scripts/tmpXXXX.<rule>.py``."""
    found = re.fullmatch(r"tmp[^.]*\.(\w+)\.py", os.path.basename(sys.argv[0] if sys.argv else ""))
    return found.group(1) if found else None


def _hook(event: str, args: tuple) -> None:
    global _seen
    if event not in _events:
        return
    _seen += 1
    _counts[event] = _counts.get(event, 0) + 1
    if _at and _seen == _at and _script_rule() == _rule:
        with open(_mark, "w") as mark:
            mark.write(f"{event} {args[:2]}\n")
        os.killpg(os.getpgid(0), signal.SIGKILL)


def _count() -> None:
    if rule := _script_rule():
        with open(_mark, "a") as mark:
            mark.writelines(f"{rule} {event} {n}\n" for event, n in sorted(_counts.items()))


if _mark:
    sys.addaudithook(_hook)
    if not _at:
        atexit.register(_count)
