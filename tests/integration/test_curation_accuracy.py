"""Label curation scored against the generator's truth on a 300,000-record export.

The generator (:mod:`curation.synthetic.generate`) writes a raw BCDM export with the noise of
real BOLD records and, per processid, the labels the rules of docs/curation.md give it
(computed by the generator's own implementation of the rules, :mod:`curation.synthetic.truth`,
from what the export writes, not by undoing the noise), their ``inferred_ranks``, whether the
processid is rejected, and the noise that was injected.  Here the export is ingested with the
default scope (:func:`tests.ingest_files.ingest`) and its labels go through the label
chain the rules run (:func:`curation.labels.chain.curate`).  Then:

* the curated labels and ``inferred_ranks`` are compared with the truth per rank, for all seven
  ranks together and per noise tag (the tables are printed, ``pytest -s`` shows them, and are
  in every failure message);
* released and rejected processids are compared with the truth's ``expected_reject`` and with
  the rows its ``noise`` says the export holds for each processid;
* the paper's cleaning figures in ``summary.json`` (docs/curation.md#provenance) are compared
  with what the truth and the raw export imply.

Measured at 300,000 records, seed 2024: every rank and ``inferred_ranks`` agree with the truth
on every released record (accuracy 1.0).  The thresholds leave room for a handful of records
per rank (at most 30 at 300k) so that a future generator edge case is reported rather than
silently absorbed, yet any systematic error, even one confined to a rare noise kind, fails
(see ``TAG_MIN``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from curation.labels import provenance
from curation.labels.chain import curate
from curation.synthetic import generate as synthetic
from curation.synthetic import truth as rules
from schemas.config import load_config
from schemas.corrections import read_corrections
from schemas.tables import RANKS
from tests.ingest_files import ingest
from tests.support import ROOT, staged_in

pytestmark = pytest.mark.slow

#: The shipped (empty) C1 corrections table, the workflow's default (common.smk).
CORRECTIONS = ROOT / "resources" / "corrections.tsv"

RECORDS = 300_000
SEED = 2024
CFG = load_config({})

#: Least share of released records whose curated label equals the truth, per rank, for
#: ``inferred_ranks`` and for the seven ranks together (measured: 1.0; at 300k this tolerates 30
#: records).
RANK_MIN = 0.9999
#: Least share of a noise tag's records whose seven labels all equal the truth: a rare noise
#: kind (3 records of genus_missing at 200k) could fail completely within RANK_MIN.
TAG_MIN = 0.99

#: The cleaning figures the paper publishes (docs/curation.md#provenance), as named in
#: summary.json.
PAPER_FIGURES = (
    "records_reworded",
    "species_reworded_records",
    "genus_reworded_records",
    "genus_from_species_records",
    "genus_from_species_species",
    "genus_species_mismatch_resolved_species",
    "genera_unassigned_subfamily",
    "records_label_dropped_by_vote",
    "records_label_inferred",
    "open_nomenclature_species_removed",
    "open_nomenclature_records",
)


@dataclass(frozen=True)
class Run:
    tsv: Path
    truth: pl.DataFrame
    curated: pl.DataFrame
    rejects: pl.DataFrame
    summary: dict


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    work = tmp_path_factory.mktemp("accuracy")
    tsv, truth = work / "export.tsv", work / "truth.parquet"
    with staged_in(work / "staging"):
        synthetic.write(RECORDS, SEED, tsv, truth)
        ingested = ingest([str(tsv)], CFG.input.target_marker, scope=CFG.input.scope)
        labels, rejects = ingested.labels, ingested.rejects
        del ingested  # the records (sequences) are most of the memory and not needed here
        curated, changes = curate(labels, CFG.curation, read_corrections(CORRECTIONS))
    return Run(
        tsv=tsv,
        truth=pl.read_parquet(truth),
        curated=curated,
        rejects=rejects,
        summary=provenance.summarise(curated, changes),
    )


@pytest.fixture(scope="module")
def released(run: Run) -> pl.DataFrame:
    """Curated labels of the released processids beside their truth (``<rank>_truth``)."""
    truth = run.truth.filter(pl.col("expected_reject").is_null()).select(
        "processid", *RANKS, "inferred_ranks", "noise"
    )
    return run.curated.select("processid", *RANKS, "inferred_ranks").join(
        truth, on="processid", how="inner", suffix="_truth"
    )


# --- helpers ----------------------------------------------------------------------------------


def agrees(rank: str) -> pl.Expr:
    return pl.col(rank).eq_missing(pl.col(f"{rank}_truth"))


ALL_AGREE = pl.all_horizontal([agrees(rank) for rank in (*RANKS, "inferred_ranks")])


def tagged(*tags: str) -> pl.Expr:
    """The record carries one of ``tags``; a tag without ``:`` matches it with any argument
    (``partial_label`` matches ``partial_label:family``)."""
    alternatives = "|".join(tag if ":" in tag else f"{tag}(?::[^;]*)?" for tag in tags)
    return pl.col("noise").str.contains(f"(?:^|;)(?:{alternatives})(?:;|$)").fill_null(False)


def table(rows: list[tuple], header: tuple[str, ...]) -> str:
    """A plain text table (first column left-aligned, the others right-aligned)."""
    cells = [tuple(map(str, header)), *(tuple(map(str, row)) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )


def mismatches(frame: pl.DataFrame, limit: int = 20) -> str:
    """The first disagreeing records, curated and truth side by side, for failure messages."""
    wrong = frame.filter(~ALL_AGREE).head(limit)
    lines = []
    for row in wrong.iter_rows(named=True):
        diffs = ", ".join(
            f"{rank}: {row[rank]!r} != truth {row[f'{rank}_truth']!r}"
            for rank in (*RANKS, "inferred_ranks")
            if row[rank] != row[f"{rank}_truth"]
        )
        lines.append(f"  {row['processid']} [{row['noise']}] {diffs}")
    return "\n".join(lines)


# --- label accuracy ---------------------------------------------------------------------------


def test_curated_labels_match_the_truth_per_rank(released: pl.DataFrame) -> None:
    counts = released.select(
        pl.len().alias("records"),
        *[agrees(rank).sum().alias(rank) for rank in (*RANKS, "inferred_ranks")],
        ALL_AGREE.sum().alias("all"),
    ).row(0, named=True)
    total = counts.pop("records")
    rows = [(name, total, agree, f"{agree / total:.6f}") for name, agree in counts.items()]
    report = "curated label == truth (released records)\n" + table(
        rows, ("rank", "records", "agree", "accuracy")
    )
    print("\n" + report)
    low = [name for name, agree in counts.items() if agree / total < RANK_MIN]
    assert not low, f"accuracy below {RANK_MIN} at {low}\n{report}\n{mismatches(released)}"


def test_every_noise_kind_is_curated_back_to_the_truth(released: pl.DataFrame) -> None:
    per_tag = (
        released.select(
            pl.col("noise")
            .fill_null("none")
            .str.split(";")
            .list.eval(pl.element().str.replace(r":\d+$", ""))  # other_markers:<n>
            .alias("tag"),
            ALL_AGREE.alias("agree"),
        )
        .explode("tag")
        .group_by("tag")
        .agg(pl.len().alias("records"), pl.col("agree").sum())
        .sort("tag")
    )
    rows = [(tag, n, agree, f"{agree / n:.6f}") for tag, n, agree in per_tag.iter_rows()]
    report = "all seven ranks and inferred_ranks == truth, per noise tag\n" + table(
        rows, ("tag", "records", "agree", "accuracy")
    )
    print("\n" + report)
    low = per_tag.filter(pl.col("agree") / pl.col("records") < TAG_MIN)["tag"].to_list()
    assert not low, f"accuracy below {TAG_MIN} for {low}\n{report}\n{mismatches(released)}"


# --- released and rejected processids --------------------------------------------------------


def test_released_processids_are_the_truths_released_ones(run: Run) -> None:
    expected = run.truth.filter(pl.col("expected_reject").is_null())["processid"]
    curated = run.curated["processid"]
    missing = expected.filter(~expected.is_in(curated.implode()))
    unexpected = curated.filter(~curated.is_in(run.truth["processid"].implode()))
    rejected = run.truth.filter(pl.col("expected_reject").is_not_null())["processid"]
    wrongly = curated.filter(curated.is_in(rejected.implode()))
    assert curated.n_unique() == curated.len(), "a processid is released twice"
    assert missing.is_empty(), f"truth processids not released: {missing.head(10).to_list()}"
    assert unexpected.is_empty(), f"released, not in the truth: {unexpected.head(10).to_list()}"
    assert wrongly.is_empty(), f"released, the truth rejects them: {wrongly.head(10).to_list()}"
    assert curated.len() == RECORDS


def test_rejected_processids_have_the_expected_reason(run: Run) -> None:
    rejected = run.truth.filter(pl.col("expected_reject").is_not_null())
    reasons = run.rejects.group_by("processid").agg(pl.col("reason").unique().sort())
    found = rejected.select("processid", "expected_reject").join(
        reasons, on="processid", how="left"
    )
    allowed = pl.concat_list(pl.col("expected_reject"), pl.lit("non_target_marker"))
    wrong = found.filter(
        pl.col("reason").is_null()
        | ~pl.col("reason").list.contains(pl.col("expected_reject"))
        | (pl.col("reason").list.set_difference(allowed).list.len() > 0)
    )
    assert rejected.height > 0
    assert wrong.is_empty(), f"rejected processids with other reasons:\n{wrong.head(20)}"


def test_surplus_rows_of_released_processids_are_rejected_as_tagged(run: Run) -> None:
    """``other_markers:<n>``: n non_target_marker rows; ``exact_duplicate``: one copy."""
    truth = run.truth.filter(pl.col("expected_reject").is_null())
    other = pl.col("noise").str.extract(r"(?:^|;)other_markers:(\d+)(?:;|$)").cast(pl.UInt32)
    expected = truth.select(
        "processid",
        other.fill_null(0).alias("non_target_marker"),
        tagged("exact_duplicate").cast(pl.UInt32).alias("exact_duplicate"),
    )
    found = (
        run.rejects.join(truth, on="processid", how="semi")
        .group_by("processid")
        .agg(
            *[
                (pl.col("reason") == reason).sum().cast(pl.UInt32).alias(reason)
                for reason in ("non_target_marker", "exact_duplicate")
            ],
            pl.len().cast(pl.UInt32).alias("rows"),
        )
    )
    compared = expected.join(found, on="processid", how="left", suffix="_found").fill_null(0)
    wrong = compared.filter(
        (pl.col("non_target_marker") != pl.col("non_target_marker_found"))
        | (pl.col("exact_duplicate") != pl.col("exact_duplicate_found"))
        | (pl.col("rows") != pl.col("non_target_marker") + pl.col("exact_duplicate"))
    )
    assert compared["non_target_marker"].sum() > 0 and compared["exact_duplicate"].sum() > 0
    assert wrong.is_empty(), f"released processids whose surplus rows differ:\n{wrong.head(20)}"


# --- the summary's cleaning figures ----------------------------------------------------------


def raw_labels(run: Run) -> pl.DataFrame:
    """The released processids' raw rank columns as the export writes them (missing: null)."""
    raw = (
        pl.scan_csv(run.tsv, separator="\t", quote_char=None, infer_schema=False)
        .filter(pl.col("marker_code") == "COI-5P")
        .select("processid", *RANKS)
        .unique("processid", keep="first")
        .collect()
    )
    tokens = ["None", "", " "]
    cleaned = [
        pl.when(~pl.col(r).is_in(tokens)).then(pl.col(r).str.strip_chars()).alias(r) for r in RANKS
    ]
    released = run.truth.filter(pl.col("expected_reject").is_null()).select("processid")
    return raw.join(released, on="processid", how="semi").select("processid", *cleaned)


def expected_figures(run: Run) -> dict[str, int]:
    """The summary's figures as the truth table and the raw export imply them."""
    truth = run.truth.filter(pl.col("expected_reject").is_null())
    raw = raw_labels(run)

    def records(*tags: str) -> int:
        return truth.filter(tagged(*tags)).height

    fillers = truth.filter(pl.col("subfamily").str.starts_with("unassigned "))
    from_species = raw.filter(pl.col("genus").is_null() & pl.col("species").is_not_null())
    open_values = raw["species"].drop_nulls().unique()
    open_values = open_values.filter(
        pl.Series([rules.is_open(value) for value in open_values], dtype=pl.Boolean)
    )
    opened = raw.filter(pl.col("species").is_in(open_values.implode()))
    return {
        # C2/C3 rewrites; whitespace variants are C0, which the paper's figure does not count.
        "records_reworded": records(
            "case_variant", "unpadded_code", "malaise_typo", "genus_code_padding"
        ),
        "genus_from_species_records": from_species.height,
        "genera_unassigned_subfamily": fillers["genus"].n_unique(),
        "records_unassigned_subfamily": fillers.height,
        "records_label_inferred": truth.filter(pl.col("inferred_ranks") > 0).height,
        "open_nomenclature_records": opened.height,
        "open_nomenclature_species_removed": opened["species"].n_unique(),
    }


def test_summary_has_the_papers_cleaning_figures(run: Run) -> None:
    figures = run.summary["figures"]
    missing = [name for name in PAPER_FIGURES if name not in figures]
    assert not missing, f"summary.json figures lack {missing}"
    assert all(isinstance(figures[name], int) for name in PAPER_FIGURES)


def test_summary_figures_agree_with_the_truth(run: Run) -> None:
    figures = run.summary["figures"]
    expected = expected_figures(run)
    rows = [(name, expected[name], figures.get(name)) for name in expected]
    report = "summary.json figures vs the truth and the raw export\n" + table(
        rows, ("figure", "expected", "summary")
    )
    print("\n" + report)
    wrong = [name for name, want, got in rows if want != got]
    assert not wrong, f"figures differ: {wrong}\n{report}"
    assert all(value > 0 for value in expected.values())  # the comparison is not 0 == 0
    print("\nall figures:\n" + table(sorted(figures.items()), ("figure", "summary")))


def test_summary_inferred_ranks_agree_with_the_truth(run: Run) -> None:
    truth = run.truth.filter(pl.col("expected_reject").is_null())
    counts = dict(truth["inferred_ranks"].value_counts().iter_rows())
    assert run.summary["inferred_ranks"] == {str(k): counts.get(k, 0) for k in range(7)}
    assert run.summary["flags"]["label_was_inferred"] == sum(
        n for code, n in counts.items() if code > 0
    )
    assert run.summary["records"] == RECORDS
