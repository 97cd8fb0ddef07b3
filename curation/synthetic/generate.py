"""A realistic raw BOLD export (BCDM data-package TSV) and the labels a correct curation gives it.

The export is the pipeline's default input, its benchmark data and, through the truth table, the
oracle label curation is scored against.  It is a pure function of ``(records, seed)``: the same
pair gives the same bytes (every random draw comes from a PCG64 stream derived from the seed and
a fixed stream number, every order is explicit, rows are written in fixed chunks).

``records`` is the number of specimens a correct ingest releases (one COI-5P row each).  The file
also holds rows the ingest must reject, so it has ~2 % more rows and ~0.03 % more processids.
At 5,150,850 records the truth reproduces the paper's Table 2 (labelled share and categories per
rank), Table A5's largest categories and Table 3's species sets; smaller exports are a uniform
random subsample of that population, so labelled shares and records per barcode stay while
category counts follow its rarefaction curve (:mod:`curation.synthetic.taxonomy`).

Truth table (Parquet, sorted by processid, one row per distinct processid of the export):
``processid``; ``phylum`` .. ``species``, the labels a correct curation gives the record (null
for a rejected processid); ``expected_reject``, the fate of the *processid* -- null when it is
released (surplus rows of a released processid are still rejected, see ``noise``),
``no_barcode`` when its COI-5P row has no sequence (``None``, empty or only gaps), or
``non_target_marker`` when it has only other markers' rows; ``noise``, the ';'-joined tags of
what was injected (null when nothing was).

Where the truth relies on the curation (spec section 3, DECISIONS.md "Label cleaning"); the
barcode key is DECISIONS.md's: gaps removed, upper-cased, leading/trailing ``N`` stripped.

======================  ====================================================  =================
tag                     raw labels (truth: the group's taxon unless said)     relies on
======================  ====================================================  =================
unassigned_subfamily    genus present, subfamily missing                      C4 fill
partial_label:<rank>    record labelled only down to <rank>, another record   C6 inference
                        of its barcode deeper
curtailed:<rank>        the whole group split between two values at <rank>     C5 curtailment:
                        (largest share <= 0.8), labelled no deeper            truth stops above
filler_dropped          as curtailed:genus, the genera without subfamily      C5 filler rule:
                                                                              truth ends at
                                                                              family
minority_label:<rank>   <= 5 % of a group of >= 11 carry a sibling value at   C5 vote (>= 0.9)
                        the group's deepest rank
open_nomenclature       species ``Aus sp.``, ``Aus cf. bus``, ``Aus nr. bus``   C7: species null
genus_missing           species present, genus missing                        C1: genus = first
                                                                              word of species
case_variant:<rank>     lower/upper/title-cased name, a minority spelling     C3 majority
whitespace_variant:<r>  leading, trailing or doubled space                    C0 trim/collapse
unpadded_code           ``Aus Malaise749`` for ``Aus Malaise0749``              C2 padding (4)
malaise_typo            ``Maliaise`` / ``Malaize`` / ``Mailaise``             C2 misspelling
n_padded, gap_padded,   the barcode written with N runs, ``-`` padding, a     ingest barcode
internal_gap,           ``---`` gap, or in lower case                         cleaning and key
lowercase_sequence
second_bin, no_bin      a record's BIN differs inside its group / is missing  (BIN not curated)
other_markers:<n>       n rows of another marker for a released specimen      non_target_marker
exact_duplicate         the COI-5P row written twice, byte for byte           exact_duplicate
no_barcode, marker_only the rejected processids above                         expected_reject
======================  ====================================================  =================

Genus-level placeholders keep their own 2-digit codes (``microMalaise01``): only species-level
``Malaise`` codes are padded to 4 digits.  Vote shares keep margins, so the truth holds for any
vote threshold in (0.8, 0.909] (the default is 0.9).

Modules: :mod:`~curation.synthetic.taxonomy` (taxa and their records),
:mod:`~curation.synthetic.groups` (BINs, barcode groups), :mod:`~curation.synthetic.labels`
(raw labels, label noise, truth), :mod:`~curation.synthetic.sequences` (sequences),
:mod:`~curation.synthetic.geography` (sites, projects, processids),
:mod:`~curation.synthetic.export` (BCDM rows, rejected rows, truth table).

Command line::

    python -m curation.synthetic --records N --seed S --out export.tsv [--truth truth.parquet]
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
from curation.synthetic import export, geography, sequences
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
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be positive")
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    # Stage next to the outputs, so the final move is an atomic rename on one filesystem.
    os.environ.setdefault(io.STAGING_ENV, str(Path(args.out).resolve().parent))
    with io.rule_log(None):
        write(args.records, args.seed, args.out, args.truth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
