"""What a build prints: one line per stage with its counts, a closing summary, errors last.

Snakemake's own job-by-job output (every job's inputs, outputs, reasons and resources) stays in
its log file under ``.snakemake/log/``; the console shows what a user acts on.  The stage scripts
print their line with :func:`stage`, the workflow's ``onsuccess`` handler prints :func:`summary`
and its ``onerror`` handler :func:`failure`, and :class:`RoutineFilter` keeps Snakemake's routine
progress messages off the console (docs/decisions.md "The console").
"""

from __future__ import annotations

import logging
import re
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

#: Width of the stage-name column.
NAME_WIDTH = 10


#: Width the stage lines are wrapped to.
LINE_WIDTH = 100
#: Joins a count to its name so that wrapping never separates them.
_GLUE = "\u00a0"


def stage(name: str, text: str) -> None:
    """Print a stage's console line (stderr, which Snakemake passes through to the user),
    wrapped under the name column when it is long."""
    wrapped = textwrap.fill(
        text,
        width=LINE_WIDTH,
        initial_indent=f"{name:<{NAME_WIDTH}}",
        subsequent_indent=" " * NAME_WIDTH,
        break_long_words=False,
        break_on_hyphens=False,
    )
    print(wrapped.replace(_GLUE, " "), file=sys.stderr, flush=True)


def stop(log: logging.Logger, message: str) -> NoReturn:
    """End a rule on bad input: one ERROR line in the rule's log, which the build prints last
    (:func:`failure`), and exit status 1 without a traceback."""
    log.error("%s", message)
    raise SystemExit(1)


def counted(counts: Mapping[str, int], order: Sequence[str] | None = None) -> str:
    """``"a 3, b 1"``: the non-zero counts, largest first (ties by name), or in ``order``."""
    items = [(key, n) for key, n in counts.items() if n]
    if order is None:
        items.sort(key=lambda item: (-item[1], item[0]))
    else:
        rank = {key: i for i, key in enumerate(order)}
        items.sort(key=lambda item: (rank.get(item[0], len(rank)), item[0]))
    return ", ".join(f"{key}{_GLUE}{n:,}" for key, n in items)


def _also(text: str) -> str:
    return f" ({text})" if text else ""


def generate_line(counts: Mapping[str, int]) -> str:
    return f"{counts['rows']:,} rows of a generated BCDM export ({counts['records']:,} records)"


def ingest_line(summary: Mapping) -> str:
    """Rows in, released, rejected by reason, and the issues noted on them."""
    line = (
        f"{summary['rows_read']:,} rows in: {summary['released']:,} released, "
        f"{summary['rejected']:,} rejected{_also(counted(summary['rejects']))}"
    )
    issues = counted(summary.get("issues", {}))
    return line + (f"; issues: {issues}" if issues else "")


def labels_line(rules: Mapping[str, Mapping], records: int) -> str:
    """Labels changed by rule (the curation summary's ``rules``), of how many records."""
    labels = {rule: entry["labels"] for rule, entry in rules.items()}
    return f"{records:,} records, {sum(labels.values()):,} labels changed{_also(counted(labels))}"


def partition_line(checks: Mapping, splits: Sequence[str]) -> str:
    """Records per split, in release order, and any failed invariant."""
    per_split = {name: entry["records"] for name, entry in checks["splits"].items()}
    failed = [c["name"] for c in checks.get("invariants", []) if not c.get("passed", True)]
    line = f"{checks['records']:,} records: {counted(per_split, splits)}"
    return line + (f"; FAILED: {', '.join(failed)}" if failed else "")


def moves_line(stable: Mapping) -> str:
    """Stable partitioning: previous records that kept their split, and the moves by reason."""
    moved = sum(stable["moved"].values())
    line = (
        f"{stable['kept']:,} of {stable['previous_records']:,} previous records kept their split, "
        f"{moved:,} did not{_also(counted(stable['moved'], list(stable['moved'])))}"
    )
    return line + ("" if stable["passed"] else "; UNEXPLAINED MOVES")


def release_line(records: int, failed_checks: Sequence[str], total_checks: int) -> str:
    verdict = (
        f"all {total_checks} checks passed"
        if not failed_checks
        else f"{len(failed_checks)} of {total_checks} checks FAILED: {', '.join(failed_checks)}"
    )
    return f"{records:,} records written; {verdict}"


def summary(*, records: int, rejected: int, release: str, report_html: str, parquet: str) -> str:
    """The closing lines of a successful build: what was released, where, how to look at it."""
    query = (
        f"SELECT split, count(*) AS records FROM '{parquet}' GROUP BY split ORDER BY records DESC"
    )
    return "\n".join(
        [
            "",
            f"Released {records:,} records; {rejected:,} input rows rejected (see rejects.parquet).",
            f"  release  {release}/",
            f"  report   {report_html}",
            f'  query    python -c "import duckdb; duckdb.sql(\\"{query}\\").show()"',
            "           (more queries: README.md, 'Query with DuckDB')",
        ]
    )


def row_count(path: str) -> int:
    """Rows of a Parquet file, from its footer."""
    import pyarrow.parquet as pq  # only the closing summary needs it

    return pq.read_metadata(path).num_rows


#: How a rule script's log (curation.io.rule_log) writes an error: time, level, message.
_ERROR_LINE = re.compile(r"^\S+ \S+ ERROR (?P<message>.*)$")


def failure(logs: Path, since: float, snakemake_logs: Sequence[str]) -> str:
    """The closing lines of a failed build: the errors the rules logged under ``logs`` during
    this build (files modified since ``since``), each with its rule and log.  A job that died
    without a word (killed, out of memory) leaves Snakemake's own log as the place to look."""
    found = []
    for path in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
        if path.stat().st_mtime < since:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        errors = [m["message"] for line in lines if (m := _ERROR_LINE.match(line))]
        # the stage, not the job: normalise/2-of-3.log is normalise's (its log is named below)
        rule = path.relative_to(logs).with_suffix("").parts[0]
        found += [f"  {rule}: {message}\n    (log: {path})" for message in errors]
    if not found and _interrupted(snakemake_logs):
        return f"\n{INTERRUPTED}"
    if not found:
        where = ", ".join(snakemake_logs) or ".snakemake/log/"
        found = [f"  a job stopped without an error message; Snakemake's log: {where}"]
    return "\n".join(["", "Build failed:", *found])


#: What an interrupted build says (publish, the last rule, never ran: docs/decisions.md "A
#: release is whole or absent").
INTERRUPTED = (
    "Build interrupted: nothing was published, the release is as it was.\n"
    "Run the same command to go on: finished steps are kept."
)
#: How Snakemake's log reports a job ended by Ctrl-C.
_SIGINT = "died with <Signals.SIGINT: 2>"


def _interrupted(snakemake_logs: Sequence[str]) -> bool:
    """Did a job of this build end by Ctrl-C, as Snakemake's log says?"""
    return any(
        _SIGINT in Path(path).read_text(encoding="utf-8", errors="replace")
        for path in snakemake_logs
        if Path(path).is_file()
    )


#: Snakemake's routine messages (regular expressions matched at the start of a message), kept off
#: the console; they stay in its log file.  The last one is its report of a script that exited
#: with status 1, which logged why (:func:`stop`, or a traceback): the build prints that last
#: (:func:`failure`).  A job killed by a signal is reported as usual, but for Ctrl-C's: the
#: build says it was interrupted.
ROUTINE: tuple[str, ...] = (
    r"Assuming unrestricted shared filesystem usage",
    r"Building DAG of jobs",
    r"Using shell:",
    r"Provided cores:",
    r"Rules claiming more threads",
    r"Conda environments: ignored",
    r"Select jobs to execute",
    r"Execute \d+ jobs",
    r"Complete log\(s\):",
    r"Elapsed time:",
    r"Shutting down, this might take some time",
    r"Exiting because a job execution failed",
    r"(WorkflowError:\n)?At least one job did not complete successfully",
    r"RuleException:\nCalledProcessError in file .*returned non-zero exit status 1\.$",
    r"RuleException:\nCalledProcessError in file .*died with <Signals\.SIGINT: 2>\.$",
)
_ROUTINE = re.compile("|".join(f"(?:{pattern})" for pattern in ROUTINE), re.DOTALL)


class RoutineFilter(logging.Filter):
    """Drops Snakemake's routine messages (:data:`ROUTINE`) while ``active()`` says so."""

    def __init__(self, active: Callable[[], bool]) -> None:
        super().__init__()
        self.active = active

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg is None or not self.active():
            return True
        return not _ROUTINE.match(record.getMessage())


def quiet_console(logger: logging.Logger, active: Callable[[], bool]) -> None:
    """Attach a :class:`RoutineFilter` to the handlers of ``logger`` that write to a terminal
    (not to its log file, which keeps everything)."""
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            handler.addFilter(RoutineFilter(active))
