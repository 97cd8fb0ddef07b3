"""A realistic raw BOLD export (BCDM data-package TSV) and the labels a correct curation gives it.

The export is the pipeline's default input, its benchmark data and, through the truth table, the
oracle label curation is scored against.  It is a pure function of ``(records, seed)``: the same
pair gives the same bytes (every random draw comes from a PCG64 stream derived from the seed and
a fixed stream number, every order is explicit, rows are written in fixed chunks).

``records`` is the number of specimens a correct ingest releases (one COI-5P row each).  The file
also holds rows the ingest must reject, so it has ~2 % more rows and ~0.13 % more processids.
At 5,150,850 records the truth reproduces the paper's Table 2 (labelled share and categories per
rank), Table A5's largest categories and Table 3's species sets; smaller exports are a uniform
random subsample of that population, so labelled shares and records per barcode stay while
category counts follow its rarefaction curve (:mod:`curation.synthetic.taxonomy`).

Truth table (Parquet, sorted by processid, one row per distinct processid of the export):
``processid``; ``phylum`` .. ``species`` and ``inferred_ranks``, what a correct curation gives
the record (null for a rejected processid); ``expected_reject``, the fate of the *processid*
-- null when it is released (surplus rows of a released processid are still rejected, see
``noise``), ``no_barcode`` when its COI-5P row has no sequence (``None``, empty or only gaps),
``non_target_marker`` when it has only other markers' rows, ``out_of_scope`` when it is not an
arthropod; ``noise``, the ';'-joined tags of what was injected (null when nothing was).

The truth is not the undoing of the noise: :mod:`curation.synthetic.truth` applies the rules of
docs/curation.md, in a second, independent implementation, to
what the export writes.  The tags only describe what was injected (so accuracy can be reported
per kind of noise):

=========================  ==================================================================
tag                        what the export writes
=========================  ==================================================================
vote_conflict:<rank>       the barcode's records disagree at <rank>; majority shares over
                           (0.5, 1.0), exactly 0.90 and just under it among them
outvoted_deeper            an outvoted record whose path runs deeper than the majority's
misplaced_genus            the barcode files its genus under another family (homonym lineage)
subfamily_blank_group      a placed genus's barcode without the subfamily
subfamily_blank            some records of a barcode without the subfamily the others give
filler_in_input            ``unassigned <Family>`` written out, as an earlier curation does (*)
partial_label:<rank>       labelled only down to <rank>, another record of its barcode deeper
open_nomenclature          a genus-level barcode writing ``Aus sp.``, ``Aus sp. nov.``, ...
open_mixed                 one record of a named species' barcode writing ``Aus sp.``
genus_missing              species present, genus blank
genus_several_words        ``malaiseGraci01 Malaise4560`` in the genus column
genus_wrong                the genus column names a sibling of the species' genus
species_wrong              the species belongs to another genus than the record's
case_variant:<rank>,       a minority spelling: case, stray whitespace, an unpadded or
whitespace_variant:<rank>, misspelt ``Malaise`` code, a genus code without its zero padding
unpadded_code,             (``gelBioLep1``), also as the species' first word
malaise_typo,
genus_code_padding
n_padded, gap_padded,      the barcode written with N runs, ``-`` padding, a ``---`` gap, or in
internal_gap,              lower case
lowercase_sequence
second_bin, no_bin         a record's BIN differs inside its group / is missing
other_markers:<n>          n rows of another marker for a released specimen
exact_duplicate            the COI-5P row written twice, byte for byte
no_barcode, marker_only,   the rejected processids above
out_of_scope
=========================  ==================================================================

(*) Without it, the subfamily of an unplaced genus is blank, as BOLD leaves it.

Modules: :mod:`~curation.synthetic.taxonomy` (taxa and their records),
:mod:`~curation.synthetic.groups` (BINs, barcode groups), :mod:`~curation.synthetic.labels`
(written labels) with :mod:`~curation.synthetic.group_noise`,
:mod:`~curation.synthetic.record_noise` and :mod:`~curation.synthetic.spelling` (the noise),
:mod:`~curation.synthetic.truth` (the rules' result), :mod:`~curation.synthetic.sequences`
(sequences), :mod:`~curation.synthetic.geography` (sites, projects, processids),
:mod:`~curation.synthetic.export` and :mod:`~curation.synthetic.label_columns` (BCDM rows,
rejected rows, truth table).

Command line::

    python -m curation.synthetic --records N --seed S --out export.tsv [--truth truth.parquet]
    python -m curation.synthetic --records N --seed S --out next.tsv --previous prev.tsv \
        [--changes changes.parquet] [--previous-share 0.8]

The second form writes two releases' exports of one population (release N's a subsample, N+1's
the whole with later identifications and withdrawals) and the changes injected between them
(:mod:`curation.synthetic.evolution`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curation import io
from curation.synthetic import evolution, export, geography, sequences
from curation.synthetic import groups as groups_mod
from curation.synthetic import labels as labels_mod
from curation.synthetic import taxonomy as taxonomy_mod

#: Processid slots per written chunk.  Part of the output's definition: the rows' random
#: metadata is drawn per chunk, so changing it changes the bytes (not the truth).
CHUNK = 131_072

log = logging.getLogger("curation")


@dataclass(frozen=True)
class SyntheticExport:
    """A generated export, ready to be written chunk by chunk."""

    plan: export.Plan

    @property
    def processids(self) -> int:
        return self.plan.processids

    def chunks(self) -> Iterator[pl.DataFrame]:
        """The export's rows (76 String columns, BCDM header order), chunk by chunk.

        The next chunk is built in a worker thread while the caller consumes the current one
        (writing it is polars' work, building it mostly numpy's: both release the GIL, so the
        two overlap on two cores).  Chunks are independent, so the output does not depend on
        the timing.
        """
        bounds = [
            (chunk, start, min(start + CHUNK, self.processids))
            for chunk, start in enumerate(range(0, self.processids, CHUNK))
        ]
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = None
            for chunk, start, stop in bounds:
                following = pool.submit(export.rows, self.plan, start, stop, chunk)
                if pending is not None:
                    yield pending.result()
                pending = following
            if pending is not None:
                yield pending.result()

    def truth(self) -> pl.DataFrame:
        return export.truth(self.plan)


def generate(records: int, seed: int) -> SyntheticExport:
    """The export of ``records`` released specimens for ``seed`` (nothing is written yet)."""
    if records < 1:
        raise ValueError(f"records must be positive, got {records}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    taxonomy = taxonomy_mod.build(records, seed)
    groups = groups_mod.build(taxonomy, seed)
    labels = labels_mod.build(taxonomy, groups, seed)
    barcodes = sequences.build(groups.bins, groups.barcode_bin, groups.barcode_index, seed)
    sites, projects = geography.build(records + sum(export.rejected_specimens(records)), seed)
    return SyntheticExport(export.plan(taxonomy, groups, labels, barcodes, sites, projects, seed))


def write_tsv(generated: SyntheticExport, path: str | os.PathLike[str]) -> int:
    """Write the export as a BCDM TSV (TAB, LF, no quoting) atomically; return its rows."""
    rows = 0
    with io.atomic_output(path) as tmp, open(tmp, "wb") as handle:
        handle.write(("\t".join(export.HEADER) + "\n").encode())
        for frame in generated.chunks():
            frame.write_csv(handle, include_header=False, separator="\t", quote_style="never")
            rows += frame.height
    return rows


def write(
    records: int,
    seed: int,
    tsv: str | os.PathLike[str],
    truth: str | os.PathLike[str] | None = None,
) -> dict[str, int]:
    """Generate and write the export (and its truth); return a few counts for the log."""
    started = time.perf_counter()
    generated = generate(records, seed)
    log.info("model of %d records built in %.1f s", records, time.perf_counter() - started)
    rows = write_tsv(generated, tsv)
    log.info("%d rows of %d processids written to %s", rows, generated.processids, tsv)
    if truth is not None:
        io.write_parquet(generated.truth(), truth)
        log.info("truth written to %s", truth)
    return {"records": records, "processids": generated.processids, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curation.synthetic",
        description="Write a realistic BOLD BCDM export and the labels a correct curation gives.",
    )
    parser.add_argument(
        "--records",
        type=int,
        required=True,
        help="specimens a correct ingest releases (BIOSCAN-5M: 5150850)",
    )
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, help="export TSV to write")
    parser.add_argument("--truth", help="truth Parquet to write (optional)")
    parser.add_argument(
        "--previous",
        help="also write the previous release's export here: --out then gets the next release's "
        "(a population evolved between two releases)",
    )
    parser.add_argument("--changes", help="with --previous: the injected changes (Parquet)")
    parser.add_argument(
        "--previous-share",
        type=float,
        default=evolution.Shares.previous,
        help="with --previous: share of the population's specimens in it (default 0.8)",
    )
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be positive")
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    if args.previous is None and args.changes is not None:
        parser.error("--changes needs --previous")
    if args.previous is not None and args.truth is not None:
        parser.error("--truth describes one export, not an evolved pair: drop it or --previous")
    if not 0 < args.previous_share <= 1:
        parser.error("--previous-share must be in (0, 1]")
    # Stage next to the outputs, so the final move is an atomic rename on one filesystem.
    os.environ.setdefault(io.STAGING_ENV, str(Path(args.out).resolve().parent))
    with io.rule_log(None):
        if args.previous is None:
            write(args.records, args.seed, args.out, args.truth)
        else:
            shares = evolution.Shares(previous=args.previous_share)
            counts = evolution.write(
                args.records, args.seed, args.previous, args.out, args.changes, shares
            )
            log.info("evolved exports written: %s", counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
