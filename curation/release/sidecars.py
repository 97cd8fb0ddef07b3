"""The two optional side files of the release and the fields derived from them.

* A BIOSCAN-1M metadata TSV gives ``index_bioscan_1M_insect``: the 0-based data-row position of
  the same ``processid`` in that file.
* A crop bounding-box table (processid, width_original, height_original, x0, y0, x1, y1) gives
  ``area_fraction`` and ``scale_factor``.

Both are explained in docs/curation.md#release-format.  The readers are the file edge and
report bad input by file, line and field; the derivations are pure functions of the frames
they return.
"""

from __future__ import annotations

import os

import numpy as np
import polars as pl

#: Columns of the bounding-box table, in the order the BIOSCAN-5M crop tool writes them.
BOX_COLUMNS: tuple[str, ...] = (
    "processid",
    "width_original",
    "height_original",
    "x0",
    "y0",
    "x1",
    "y1",
)
#: Side of the square the crops are resized to; ``scale_factor`` is the crop's short side over it.
CROP_SIDE = 256
#: Decimals of the two measures, rounded half to even as numpy does.
MEASURE_DECIMALS = 4


class SideFileError(ValueError):
    """A side file that cannot be used; the message names the file, line and field."""


def read_bioscan1m_processids(path: str | os.PathLike[str]) -> pl.DataFrame:
    """``processid`` of every data row of a BIOSCAN-1M metadata TSV, in file order.

    Quoting is off so that one physical line is one row whatever the other columns hold: the
    position of a row is what the index points at.
    """
    try:
        frame = pl.read_csv(
            path,
            separator="\t",
            quote_char=None,
            infer_schema=False,
            encoding="utf8-lossy",
            truncate_ragged_lines=True,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as err:
        raise SideFileError(
            f"{path}: cannot be read as a BIOSCAN-1M metadata TSV ({err})"
        ) from None
    if "processid" not in frame.columns:
        raise SideFileError(f"{path}: line 1 (header) has no 'processid' column")
    return frame.select(pl.col("processid").str.strip_chars())


def bioscan1m_index(processids: pl.DataFrame) -> pl.DataFrame:
    """(processid, index_bioscan_1M_insect): each processid's 0-based row in the BIOSCAN-1M file.

    A processid listed twice points at its first row (both rows describe the specimen; the first
    is the deterministic choice).  Rows without a processid keep their position but match nothing.
    """
    return (
        processids.with_row_index("index_bioscan_1M_insect")
        .filter(pl.col("processid").is_not_null())
        .group_by("processid")
        .agg(pl.col("index_bioscan_1M_insect").min().cast(pl.Int64))
        .sort("processid")
    )


def read_bounding_boxes(path: str | os.PathLike[str]) -> pl.DataFrame:
    """The bounding-box table (BOX_COLUMNS; coordinates as Float64), CSV or TSV by its header.

    Every value is checked here, where its line number is known: a coordinate that is not a
    number, a non-positive image size, a box with x1 < x0 or y1 < y0 and a processid listed twice
    are errors naming the line and field.
    """
    with open(path, "rb") as handle:
        header = handle.readline()
    separator = "\t" if b"\t" in header else ","
    try:
        raw = pl.read_csv(path, separator=separator, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as err:
        raise SideFileError(f"{path}: cannot be read as a bounding-box table ({err})") from None
    missing = [c for c in BOX_COLUMNS if c not in raw.columns]
    if missing:
        raise SideFileError(f"{path}: line 1 (header) lacks the columns {', '.join(missing)}")
    # Line numbers: the header is line 1, so data row i (0-based) is on line i + 2.
    raw = raw.select(BOX_COLUMNS).with_row_index("_line", offset=2)
    numbers = raw.with_columns(
        pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in BOX_COLUMNS[1:]
    )
    for column in BOX_COLUMNS[1:]:
        bad = raw.filter(numbers[column].is_null() | numbers[column].is_nan())
        if bad.height:
            line, value = bad["_line"][0], bad[column][0]
            shown = "an empty field" if value is None else repr(value)
            raise SideFileError(f"{path}: line {line}, field {column}: {shown} is not a number")
    rules = {
        "width_original": pl.col("width_original") > 0,
        "height_original": pl.col("height_original") > 0,
        "x1": pl.col("x1") >= pl.col("x0"),
        "y1": pl.col("y1") >= pl.col("y0"),
        "processid": pl.col("processid").is_not_null() & pl.col("processid").is_first_distinct(),
    }
    for column, valid in rules.items():
        bad = numbers.filter(~valid)
        if bad.height:
            row = bad.row(0, named=True)
            raise SideFileError(
                f"{path}: line {row['_line']}, field {column}: invalid value {row[column]!r} "
                f"(needs {_RULE_TEXT[column]})"
            )
    return numbers.drop("_line")


_RULE_TEXT = {
    "width_original": "a positive image width",
    "height_original": "a positive image height",
    "x1": "x1 >= x0",
    "y1": "y1 >= y0",
    "processid": "a processid listed once",
}


def crop_measures(boxes: pl.DataFrame) -> pl.DataFrame:
    """(processid, area_fraction, scale_factor) from the boxes, as the original crop tool
    computes them.

    numpy does the arithmetic and the half-to-even rounding, as the original tool does, so that the
    values match it bit for bit (checked against 25 released records in the tests).
    """
    x0, y0, x1, y1 = (boxes[c].to_numpy() for c in ("x0", "y0", "x1", "y1"))
    width_original = boxes["width_original"].to_numpy()
    height_original = boxes["height_original"].to_numpy()
    w, h = x1 - x0, y1 - y0
    area_fraction = np.round(w * h / (width_original * height_original), MEASURE_DECIMALS)
    scale_factor = np.round(np.minimum(w, h) / CROP_SIDE, MEASURE_DECIMALS)
    return pl.DataFrame(
        {
            "processid": boxes["processid"],
            "area_fraction": pl.Series(area_fraction, dtype=pl.Float64),
            "scale_factor": pl.Series(scale_factor, dtype=pl.Float64),
        }
    ).sort("processid")


def derived_fields(
    bioscan1m: str | os.PathLike[str] | None, bounding_boxes: str | os.PathLike[str] | None
) -> dict[str, pl.DataFrame]:
    """The derived fields of the side files that are configured, by ``assemble`` argument:
    ``bioscan1m_index`` and ``crop_measures`` (none configured: none)."""
    fields = {}
    if bioscan1m:
        fields["bioscan1m_index"] = bioscan1m_index(read_bioscan1m_processids(bioscan1m))
    if bounding_boxes:
        fields["crop_measures"] = crop_measures(read_bounding_boxes(bounding_boxes))
    return fields
