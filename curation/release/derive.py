"""Fields derived from a record's split: the image ``chunk`` directory and image paths.

BIOSCAN-5M spreads its large splits over sub-directories so that no directory holds hundreds of
thousands of images (docs/curation.md#chunk): ``pretrain`` over 256 directories named by the first
two hex digits of MD5(processid), ``train`` and ``other_heldout`` over 16 named by the first digit;
the smaller splits are not chunked (empty string).  Verified against the released image paths:
``AACTA1040-20`` -> ``pretrain/00``, ``YGEN686-22`` -> ``pretrain/ff``.

The MD5 is computed by DuckDB on whole columns (docs/decisions.md "MD5 for `chunk`").
"""

from __future__ import annotations

import duckdb
import polars as pl

#: Hex digits of MD5(processid) that name a split's chunk directory; 0 = not chunked.
CHUNK_DIGITS: dict[str, int] = {
    "pretrain": 2,
    "train": 1,
    "other_heldout": 1,
    "val": 0,
    "test": 0,
    "key_unseen": 0,
    "val_unseen": 0,
    "test_unseen": 0,
}

#: Image variants of the release (docs/curation.md#chunk).
IMAGE_TYPES: tuple[str, ...] = ("original_full", "cropped", "original_256", "cropped_256")


def _md5_hex_batch(values: pl.Series) -> pl.Series:
    """Lowercase hex MD5 of each value's UTF-8 bytes (null stays null), in input order.

    One in-memory DuckDB per batch: an expression is evaluated on whole columns, so this opens
    one connection per column, and nothing outlives the call.
    """
    # Row i of a result must answer row i of the input (the default, stated on purpose).
    with duckdb.connect(config={"preserve_insertion_order": True}) as con:
        con.execute("SET enable_progress_bar = false")
        batch = con.from_arrow(values.cast(pl.String).rename("v").to_frame().to_arrow())
        digests = batch.select("md5(v) AS h").pl()
    return digests.get_column("h").rename(values.name)


def md5_hex(expr: pl.Expr | str) -> pl.Expr:
    """MD5 hex digest of a string expression (as ``hashlib.md5(s.encode()).hexdigest()``)."""
    column = pl.col(expr) if isinstance(expr, str) else expr
    return column.map_batches(_md5_hex_batch, return_dtype=pl.String, is_elementwise=True)


def chunk(split: pl.Expr | str = "split", processid: pl.Expr | str = "processid") -> pl.Expr:
    """The release ``chunk`` directory of a record; empty string when not chunked."""
    split_expr = pl.col(split) if isinstance(split, str) else split
    digits = split_expr.replace_strict(CHUNK_DIGITS, return_dtype=pl.Int64)
    digest = md5_hex(processid)
    return digest.str.slice(0, digits).alias("chunk")


def image_path(
    imgtype: str,
    split: pl.Expr | str = "split",
    chunk: pl.Expr | str = "chunk",
    processid: pl.Expr | str = "processid",
) -> pl.Expr:
    """``bioscan5m/images/{imgtype}/{split}/{chunk}/{processid}.jpg`` (no chunk level if empty)."""
    if imgtype not in IMAGE_TYPES:
        raise ValueError(f"unknown image type {imgtype!r}; expected one of {IMAGE_TYPES}")
    split_expr = (pl.col(split) if isinstance(split, str) else split).cast(pl.String)
    chunk_expr = pl.col(chunk) if isinstance(chunk, str) else chunk
    pid = pl.col(processid) if isinstance(processid, str) else processid
    chunk_level = (
        pl.when(chunk_expr.fill_null("") == "").then(pl.lit("")).otherwise(chunk_expr + pl.lit("/"))
    )
    return pl.concat_str(
        [
            pl.lit(f"bioscan5m/images/{imgtype}/"),
            split_expr,
            pl.lit("/"),
            chunk_level,
            pid,
            pl.lit(".jpg"),
        ]
    ).alias(f"image_path_{imgtype}")
