"""What a build prints: the stage lines, the closing summary, the failure report, and the filter
that keeps Snakemake's routine messages off the console."""

from __future__ import annotations

import logging
import os
import re
import signal
import time

import duckdb
import polars as pl
import pytest

from curation import console, io
from schemas.tables import SPLITS


def plain(text: str) -> str:
    """A console text with the glue that keeps ``name count`` together made a space."""
    return text.replace(console._GLUE, " ")


def test_counts_are_largest_first_without_zeros_or_in_a_given_order():
    assert plain(console.counted({"b": 1, "a": 3, "z": 0, "c": 1})) == "a 3, b 1, c 1"
    assert plain(console.counted({"val": 2, "train": 5}, order=SPLITS)) == "train 5, val 2"


def test_the_ingest_line_gives_rows_in_released_and_rejected_by_reason():
    summary = {
        "rows_read": 1_204,
        "released": 1_000,
        "rejected": 204,
        "rejects": {"non_target_marker": 200, "no_barcode": 4, "ragged_row": 0},
        "issues": {"cp1252_fallback": 0},
    }
    assert plain(console.ingest_line(summary)) == (
        "1,204 rows in: 1,000 released, 204 rejected (non_target_marker 200, no_barcode 4)"
    )
    summary["issues"] = {"cp1252_fallback": 3}
    assert plain(console.ingest_line(summary)).endswith("; issues: cp1252_fallback 3")


def test_the_labels_line_gives_the_changes_by_rule():
    rules = {
        "C5_vote": {"labels": 4},
        "C6_inferred": {"labels": 10},
        "C1_correction": {"labels": 0},
    }
    assert plain(console.labels_line(rules, 500)) == (
        "500 records, 14 labels changed (C6_inferred 10, C5_vote 4)"
    )


def test_the_partition_line_gives_the_records_per_split_in_release_order():
    checks = {
        "records": 30,
        "splits": {"test": {"records": 5}, "pretrain": {"records": 20}, "train": {"records": 5}},
        "invariants": [{"name": "key_in_one_split", "passed": True}],
    }
    assert plain(console.partition_line(checks, SPLITS)) == (
        "30 records: pretrain 20, train 5, test 5"
    )
    checks["invariants"].append({"name": "species_sets_disjoint", "passed": False})
    assert console.partition_line(checks, SPLITS).endswith("; FAILED: species_sets_disjoint")


def test_a_long_stage_line_wraps_under_the_name_column_never_inside_a_count(capsys):
    counts = {f"C{i}_some_rule_name": 1_000 + i for i in range(12)}
    console.stage("labels", f"12,000 labels changed ({console.counted(counts)})")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) > 1 and lines[0].startswith("labels    12,000")
    assert all(len(line) <= console.LINE_WIDTH for line in lines)
    assert all(line.startswith(" " * console.NAME_WIDTH) for line in lines[1:])
    assert all(re.search(r"C\d+_some_rule_name \d,\d{3}", piece) for piece in counts_of(lines))


def counts_of(lines: list[str]) -> list[str]:
    """The ``name count`` pieces of wrapped stage lines, each of which must be whole."""
    return [p for p in " ".join(line.strip() for line in lines).split(", ") if "some_rule" in p]


def test_the_summary_says_what_was_released_where_and_a_query_that_runs(tmp_path, monkeypatch):
    parquet = tmp_path / "release" / "metadata.parquet"
    parquet.parent.mkdir()
    pl.DataFrame({"split": ["train", "train", "test"]}).write_parquet(parquet)
    monkeypatch.chdir(tmp_path)
    text = console.summary(
        records=3,
        rejected=1,
        release="release",
        report_html="release/report.html",
        parquet="release/metadata.parquet",
    )
    assert "Released 3 records; 1 input rows rejected (see rejects.parquet)." in text
    assert "  release  release/" in text and "  report   release/report.html" in text
    query = re.search(r'duckdb\.sql\(\\"(.*)\\"\)\.show\(\)', text).group(1)
    assert duckdb.sql(query).fetchall() == [("train", 2), ("test", 1)]
    assert console.row_count(str(parquet)) == 3


def write_log(path, lines: list[str], age: float = 0.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))


def test_a_failure_lists_this_builds_logged_errors_with_their_logs(tmp_path):
    logs = tmp_path / "logs"
    write_log(logs / "ingest.log", ["2026-01-01 10:00:00,000 ERROR x.tsv: line 1: unknown layout"])
    write_log(logs / "normalise" / "1-of-2.log", ["2026-01-01 10:00:00,000 INFO 5 records"])
    write_log(logs / "resolve" / "2-of-2.log", ["2026-01-01 10:00:00,000 ERROR bad vote"])
    write_log(logs / "partition.log", ["2026-01-01 09:00:00,000 ERROR old news"], age=3600)
    text = console.failure(logs, since=time.time() - 60, snakemake_logs=["smk.log"])
    assert text.splitlines() == [
        "",
        "Build failed:",
        "  ingest: x.tsv: line 1: unknown layout",
        f"    (log: {logs / 'ingest.log'})",
        "  resolve: bad vote",  # the stage's name; the job's log below
        f"    (log: {logs / 'resolve' / '2-of-2.log'})",
    ]


def test_a_job_that_died_silently_points_at_snakemakes_log(tmp_path):
    text = console.failure(tmp_path / "logs", since=0.0, snakemake_logs=["/x/.snakemake/log/a.log"])
    assert text.splitlines()[-1].endswith("Snakemake's log: /x/.snakemake/log/a.log")


def test_a_build_interrupted_by_ctrl_c_says_so_and_that_the_release_is_unchanged(tmp_path):
    smk_log = tmp_path / "a.snakemake.log"
    smk_log.write_text("RuleException:\nCommand 'python x.py' died with <Signals.SIGINT: 2>.\n")
    text = console.failure(tmp_path / "logs", since=0.0, snakemake_logs=[str(smk_log)])
    assert text == "\n" + console.INTERRUPTED
    assert "the release is as it was" in text


def test_rule_log_lets_ctrl_c_end_the_job_as_a_signal_and_restores_the_handler(tmp_path):
    before = signal.getsignal(signal.SIGINT)
    with io.rule_log(tmp_path / "x.log"):
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is before


def test_stop_logs_one_error_and_exits_with_status_one(caplog):
    log = logging.getLogger("curation")
    with caplog.at_level(logging.INFO, logger="curation"), pytest.raises(SystemExit) as stopped:
        console.stop(log, "x.tsv: line 3: bad")
    assert stopped.value.code == 1
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "x.tsv: line 3: bad")
    ]


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("snakemake", level, __file__, 1, message, None, None)


def test_the_filter_drops_snakemakes_routine_messages_only_while_active():
    active = [True]
    routine = console.RoutineFilter(lambda: active[0])
    for message in (
        "Select jobs to execute...",
        "Execute 1 jobs...",
        "Building DAG of jobs...",
        "Complete log(s): /x/.snakemake/log/a.log",
        "WorkflowError:\nAt least one job did not complete successfully.",
        (
            "RuleException:\nCalledProcessError in file /w/ingest.smk, line 49:\n"
            "Command 'set -euo pipefail; python x.py' returned non-zero exit status 1."
        ),
        (
            "RuleException:\nCalledProcessError in file /w/ingest.smk, line 49:\n"
            "Command 'python x.py' died with <Signals.SIGINT: 2>."
        ),
    ):
        assert not routine.filter(record(message)), message
    for message in (
        "Nothing to be done (all requested files are present and up to date).",
        "MissingInputException in rule ingest",
        (
            "RuleException:\nCalledProcessError in file /w/ingest.smk, line 49:\n"
            "Command 'python x.py' died with <Signals.SIGKILL: 9>."
        ),
    ):
        assert routine.filter(record(message)), message
    active[0] = False
    assert routine.filter(record("Select jobs to execute..."))


def test_the_filter_goes_on_the_terminal_handler_not_the_log_file(tmp_path):
    logger = logging.getLogger("test_console_filter")
    stream, file = logging.StreamHandler(), logging.FileHandler(tmp_path / "a.log")
    logger.addHandler(stream)
    logger.addHandler(file)
    try:
        console.quiet_console(logger, active=lambda: True)
        assert [type(f) for f in stream.filters] == [console.RoutineFilter]
        assert file.filters == []
    finally:
        logger.removeHandler(stream)
        logger.removeHandler(file)
        file.close()


def test_moves_line_counts_the_kept_and_the_moves_by_reason():
    stable = {
        "passed": True,
        "previous_records": 16000,
        "kept": 15498,
        "moved": {"withdrawn": 160, "label_added": 252, "singleton": 0, "species_named": 90},
    }
    # _GLUE keeps a reason and its count on one line when the console wraps the text
    assert console.moves_line(stable).replace(console._GLUE, " ") == (
        "15,498 of 16,000 previous records kept their split, 502 did not "
        "(withdrawn 160, label_added 252, species_named 90)"
    )
    assert console.moves_line({**stable, "passed": False}).endswith("; UNEXPLAINED MOVES")
