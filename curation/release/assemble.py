"""Assemble the release table: records + curated labels + splits, in release order.

The release takes its identifiers, sequence, geography and image measurements from the ingested
records, every label from curation and the split from partitioning; the image ``chunk`` and path
follow from the split (docs/curation.md#chunk).  Those three tables must describe exactly the
same specimens: a record without a split (or a split without a record) would silently vanish
from, or appear in, the release, so any mismatch stops the build.  A record's ``dna_barcode`` is
joined back from its key here.  Aligned inputs are put side by side instead of joined
(docs/decisions.md "Assembly by position").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import polars as pl

from curation.ingest.barcodes import dna_barcodes
from curation.ingest.text import starts_formula
from curation.release import derive
from schemas.tables import (
    CURATED_SCHEMA,
    RANKS,
    RECORDS_SCHEMA,
    RELEASE_PARQUET_SCHEMA,
    SPLIT_DTYPE,
    conform,
)

#: Tokens that ``pandas.read_csv`` turns into NaN by default (pandas' ``STR_NA_VALUES``).  A text
#: value equal to one of them would be read back as missing by the BIOSCAN-5M client and by
#: mlcroissant, so the release refuses it instead of writing it (docs/curation.md#missing-values).
PANDAS_NA_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
_Frame = TypeVar("_Frame", pl.DataFrame, pl.LazyFrame)
#: Byte length of the longest token.
_LONGEST_NA_TOKEN = max(len(t.encode()) for t in PANDAS_NA_TOKENS)

#: Columns the release takes from the curated labels: all of them.
CURATED_COLUMNS = tuple(CURATED_SCHEMA)
#: Columns the release takes from the ingested records: its own that curation did not replace.
RECORD_COLUMNS = tuple(
    c
    for c in RECORDS_SCHEMA
    if c in RELEASE_PARQUET_SCHEMA and (c == "processid" or c not in CURATED_SCHEMA)
)
#: The release before its barcodes are joined: their key, and the few given N-padded.
_UNJOINED_SCHEMA = {
    **{c: t for c, t in RELEASE_PARQUET_SCHEMA.items() if c != "dna_barcode"},
    "padded_barcode": pl.String,
}
_FLOAT_COLUMNS = (
    "coord-lat",
    "coord-lon",
    "image_measurement_value",
    "area_fraction",
    "scale_factor",
)
#: Largest valid ``inferred_ranks`` code (docs/curation.md#inference).
_MAX_INFERRED_RANKS = len(RANKS) - 1
#: Image package the ``image_path`` column points into: the BIOSCAN-5M client's default.
IMAGE_PACKAGE = "cropped_256"
#: How many offending identifiers an error message quotes.
_EXAMPLES = 5


class ReleaseError(ValueError):
    """The release cannot be written as it stands; the message says why and where."""


def assemble(
    records: pl.DataFrame | pl.LazyFrame,
    curated: pl.DataFrame | pl.LazyFrame,
    splits: pl.DataFrame | pl.LazyFrame,
    barcodes: pl.DataFrame | pl.LazyFrame,
    *,
    bioscan1m_index: pl.DataFrame | None = None,
    crop_measures: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The release (RELEASE_PARQUET_SCHEMA), sorted by split in release order, then processid.

    ``barcodes`` holds the sequence of every barcode key of the records (BARCODES_SCHEMA).

    ``bioscan1m_index`` (processid, index_bioscan_1M_insect) and ``crop_measures`` (processid,
    area_fraction, scale_factor) are the derived fields of the configured side files
    (docs/curation.md#release-format); when given they replace the records' columns, a
    specimen absent from the side file getting null.  Without them the records' values are
    carried (a BIOSCAN-5M CSV input has them; a BOLD export does not, so they are empty).
    """
    inputs = {"records": records.lazy(), "curated": curated.lazy(), "splits": splits.lazy()}
    ids = {name: frame.select("processid").collect()["processid"] for name, frame in inputs.items()}
    sequences = _sequences(barcodes.lazy())
    sides = side_fields(bioscan1m_index, crop_measures)
    if aligned(list(ids.values())):
        release = _assemble_aligned(inputs, sequences, sides)
    else:
        release = _assemble_joined(inputs, sequences, sides)
        heights = {name: ids[name].len() for name in inputs}
        # Inputs of equal height whose inner join has that height with unique processids hold
        # the same specimens once each; only otherwise are the (slower) diagnostics needed.
        if (
            len(set(heights.values())) != 1
            or release.height != heights["records"]
            or (release["processid"].n_unique() != release.height)
        ):
            _check_same_specimens(inputs)
    check_values(release)
    return release


def _sequences(barcodes: pl.LazyFrame) -> pl.Series:
    """The barcode sequences indexed by key, from a table of one row per key 0, 1, … n-1."""
    table = barcodes.select("barcode_key", "sequence").collect(engine="streaming")
    if not table["barcode_key"].is_sorted():
        table = table.sort("barcode_key")
    expected = pl.int_range(table.height, dtype=pl.UInt32, eager=True)
    keys = table["barcode_key"]
    if keys.null_count() or not (keys == expected).all():
        raise ReleaseError(
            "the barcode table is not one row per barcode key 0 to n-1: "
            f"{table.height} rows, keys {keys.min()} to {keys.max()}, "
            f"{keys.n_unique()} distinct"
        )
    if (n := table["sequence"].null_count()) > 0:
        raise ReleaseError(f"the barcode table has {n} keys without a sequence")
    return table["sequence"].rechunk()


def _barcode_column(keys: pl.Series, padded: pl.Series, sequences: pl.Series) -> pl.Series:
    """``dna_barcode`` of the records with these ``barcode_key``s and ``padded_barcode``s."""
    if (n := (keys >= sequences.len()).sum()) or keys.null_count():
        raise ReleaseError(
            f"{n + keys.null_count()} records have a barcode key that is not in the barcode "
            f"table ({sequences.len()} keys)"
        )
    return dna_barcodes(keys, padded, sequences)


def aligned(ids: Sequence[pl.Series]) -> bool:
    """Do the inputs hold the same processids, row by row, strictly increasing?

    The upstream stages write their tables sorted by processid, so this is the normal case: the
    release is then the inputs side by side, and release order (split, processid) is a stable
    sort on the split alone, which spares joining and sorting 5 M strings.
    """
    first = ids[0]
    if first.null_count() or any(not first.equals(other) for other in ids[1:]):
        return False
    return bool((first.slice(1) > first.slice(0, first.len() - 1)).all())


def side_fields(
    bioscan1m_index: pl.DataFrame | None = None, crop_measures: pl.DataFrame | None = None
) -> list[pl.DataFrame]:
    """The side files' derived fields that are given, each as (processid, fields...)."""
    sides = []
    if bioscan1m_index is not None:
        sides.append(bioscan1m_index.select("processid", "index_bioscan_1M_insect"))
    if crop_measures is not None:
        sides.append(crop_measures.select("processid", "area_fraction", "scale_factor"))
    return sides


def _with_side_fields(base: _Frame, sides: Sequence[pl.DataFrame]) -> _Frame:
    """Replace the records' derived fields by those of the side files."""
    for side in sides:
        base = base.drop(side.columns[1:]).join(
            side.lazy() if isinstance(base, pl.LazyFrame) else side,
            on="processid",
            how="left",
            maintain_order="left",
        )
    return base


def _release_columns(frame: _Frame) -> _Frame:
    """The cleaned and derived columns of the release (before ordering)."""
    return (
        frame.with_columns(
            # NaN is a missing measurement, not a value: null it so CSV and Parquet agree.
            *(pl.col(c).fill_nan(None) for c in _FLOAT_COLUMNS),
            # The Enum sorts in release order (text would sort alphabetically).
            pl.col("split").cast(SPLIT_DTYPE),
        )
        .with_columns(
            # docs/curation.md#chunk: no chunk is the empty string (an empty CSV field).
            derive.chunk("split", "processid").fill_null("")
        )
        .with_columns(derive.image_path(IMAGE_PACKAGE).alias("image_path"))
    )


def assemble_columns(
    records: pl.DataFrame,
    curated: pl.DataFrame,
    splits: pl.DataFrame,
    sides: Sequence[pl.DataFrame] = (),
) -> pl.DataFrame:
    """The release columns of row-aligned inputs (see ``aligned``) in their row order, the
    barcode still as its key and ``padded_barcode`` (the inputs may be any run of rows)."""
    parts = [
        _with_side_fields(records.select(*RECORD_COLUMNS, "padded_barcode"), sides),
        curated.select(CURATED_COLUMNS[1:]),
        splits.select("split"),
    ]
    return conform(_release_columns(pl.concat(parts, how="horizontal")), _UNJOINED_SCHEMA)


def _assemble_aligned(
    inputs: Mapping[str, pl.LazyFrame], sequences: pl.Series, sides: Sequence[pl.DataFrame]
) -> pl.DataFrame:
    """The release of row-aligned inputs (see ``aligned``): the columns side by side, each then
    gathered into release order by a stable sort of the split alone, one column at a time; the
    barcodes are joined last (docs/decisions.md "Assembly by position").
    """
    unordered = assemble_columns(
        inputs["records"].select(*RECORD_COLUMNS, "padded_barcode").collect(),
        inputs["curated"].select(CURATED_COLUMNS).collect(),
        inputs["splits"].select("split").collect(),
        sides,
    )
    order = unordered.select("split").with_row_index("row").sort("split", maintain_order=True)
    columns = unordered.get_columns()
    del unordered
    ordered = []
    while columns:
        ordered.append(columns.pop(0).rechunk().gather(order["row"]))
    release = pl.DataFrame(ordered)
    barcode = _barcode_column(release["barcode_key"], release["padded_barcode"], sequences)
    return release.with_columns(barcode).select(list(RELEASE_PARQUET_SCHEMA))


def _assemble_joined(
    inputs: Mapping[str, pl.LazyFrame], sequences: pl.Series, sides: Sequence[pl.DataFrame]
) -> pl.DataFrame:
    """The release of inputs in any row order, joined on processid and sorted."""
    base = _with_side_fields(inputs["records"].select(*RECORD_COLUMNS, "padded_barcode"), sides)
    release = _release_columns(
        base.join(inputs["curated"].select(CURATED_COLUMNS), on="processid", how="inner").join(
            inputs["splits"].select("processid", "split"), on="processid", how="inner"
        )
    )
    release = release.sort("split", "processid").collect()
    barcode = _barcode_column(release["barcode_key"], release["padded_barcode"], sequences)
    return conform(release.with_columns(barcode), RELEASE_PARQUET_SCHEMA)


def check_values(release: pl.DataFrame) -> None:
    """Refuse values the CSV contract cannot carry (docs/formats.md#the-release-csv): a missing
    split or inferred_ranks, text pandas reads as missing, and text that would break a row or
    run in a spreadsheet (docs/curation.md#text)."""
    problems: list[str] = []
    if (n := release["split"].null_count()) > 0:
        problems.append(
            f"{n} records have no split, e.g. {_examples(release, pl.col('split').is_null())}"
        )
    bad_ranks = pl.col("inferred_ranks").is_null() | (
        pl.col("inferred_ranks") > _MAX_INFERRED_RANKS
    )
    if (n := release.select(bad_ranks.sum()).item()) > 0:
        problems.append(
            f"{n} records have inferred_ranks missing or outside 0-{_MAX_INFERRED_RANKS}, "
            f"e.g. {_examples(release, bad_ranks)}"
        )
    problems += _na_token_problems(release)
    problems += _text_problems(release)
    if problems:
        raise ReleaseError("release refused:\n  " + "\n  ".join(problems))


def check_barcodes(release: pl.DataFrame) -> None:
    """:func:`check_values` of ``dna_barcode`` alone, for a release assembled without it."""
    if problems := _na_token_problems(release.select("processid", "dna_barcode")):
        raise ReleaseError("release refused:\n  " + "\n  ".join(problems))


def _na_token_problems(release: pl.DataFrame) -> list[str]:
    """Text columns holding a value pandas reads as missing (docs/curation.md#missing-values)."""
    problems = []
    for column, dtype in release.schema.items():
        # chunk: "" is the documented no-chunk value; padded_barcode: checked as dna_barcode
        if dtype != pl.String or column in ("chunk", "padded_barcode"):
            continue
        # Only short values can be tokens: the length filter (read from the string view) spares
        # hashing every barcode.
        short = release.select(*dict.fromkeys(("processid", column))).filter(
            pl.col(column).str.len_bytes() <= _LONGEST_NA_TOKEN
        )
        hits = short.filter(pl.col(column).is_in(list(PANDAS_NA_TOKENS))).head(_EXAMPLES)
        if hits.height:
            problems.append(
                f"column {column!r} holds text that pandas reads as missing ({_quoted(hits)}); "
                "null it upstream or correct it"
            )
    return problems


#: The released label columns, which the label rules write.
_LABEL_COLUMNS = (*RANKS, "taxon", "dna_bin", "country", "province_state")
#: What a released label must not hold: meaning -> test.
_TEXT_RULES: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "a tab or line break": lambda text: text.str.contains_any(["\t", "\n", "\r"]),
    "the start of a spreadsheet formula": starts_formula,
}


def _text_problems(release: pl.DataFrame) -> list[str]:
    """Label columns holding a tab or line break (a multi-line CSV cell) or the start of a
    spreadsheet formula (docs/curation.md#text), checked on their distinct values.

    Ingest cleans every label, and the label rules only write spellings they found or build from
    them, so this catches what a corrections table or a future rule could bring in.  The other
    text columns need no check: ``processid`` and ``sampleid`` match their patterns (ingest rejects
    the rows that do not), ``dna_barcode`` holds IUPAC letters only, ``chunk`` and ``image_path``
    are derived from them.
    """
    problems = []
    for column in _LABEL_COLUMNS:
        values = release.select(pl.col(column).unique().drop_nulls())
        for meaning, rule in _TEXT_RULES.items():
            bad = values.filter(rule(pl.col(column))).get_column(column)
            if bad.len():
                hits = release.filter(pl.col(column).is_in(bad.implode()))
                problems.append(
                    f"column {column!r} holds {meaning} "
                    f"({_quoted(hits.select('processid', column).head(_EXAMPLES))}); "
                    "null it upstream or correct it"
                )
    return problems


def _quoted(hits: pl.DataFrame) -> str:
    """``processid=value`` for each row of (processid, column)."""
    values = hits.get_column(hits.columns[-1])
    return ", ".join(
        f"{pid}={value!r}" for pid, value in zip(hits["processid"], values, strict=True)
    )


def _check_same_specimens(inputs: Mapping[str, pl.LazyFrame]) -> None:
    """Name what breaks "every input holds the same processids, each once"; raise it."""
    ids = {name: frame.select("processid").collect() for name, frame in inputs.items()}
    problems: list[str] = []
    for name, frame in ids.items():
        if (n := frame["processid"].null_count()) > 0:
            problems.append(f"{name}: {n} rows without processid")
        duplicated = frame.filter(pl.col("processid").is_duplicated())["processid"].unique().sort()
        if duplicated.len():
            problems.append(
                f"{name}: {duplicated.len()} processids occur more than once, e.g. "
                + ", ".join(duplicated.head(_EXAMPLES).to_list())
            )
    reference_name, reference = next(iter(ids.items()))
    for name, frame in ids.items():
        if name == reference_name:
            continue
        for left_name, left, right_name, right in (
            (reference_name, reference, name, frame),
            (name, frame, reference_name, reference),
        ):
            missing = left.join(right, on="processid", how="anti")["processid"].drop_nulls().sort()
            if missing.len():
                problems.append(
                    f"{missing.len()} processids of {left_name} are missing from {right_name}, "
                    "e.g. " + ", ".join(missing.head(_EXAMPLES).to_list())
                )
    raise ReleaseError(
        "the emit inputs disagree:\n  " + "\n  ".join(problems or ["(no detail found)"])
    )


def _examples(frame: pl.DataFrame, condition: pl.Expr) -> str:
    return ", ".join(frame.filter(condition)["processid"].head(_EXAMPLES).to_list())
