"""The ``noise`` column of the truth table: ';'-joined tags naming what was injected.

Tags describe the noise for people and for the per-kind accuracy report; the truth itself is
computed by :mod:`curation.synthetic.truth` from the written labels, never from the tags.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from schemas.tables import RANKS

#: A tag: (name, values, style).  Styles: ``flag`` (bool: the name), ``rank`` (int rank, -1
#: absent: ``name:<rank>``), ``count`` (int, 0 absent: ``name:<n>``), ``code`` (int code, 0
#: absent: the name is a {code: text} mapping).
Tag = tuple[object, np.ndarray, str]


def _present(values: np.ndarray, style: str) -> np.ndarray:
    if style == "flag":
        return values.astype(bool)
    if style == "rank":
        return values >= 0
    return values > 0


def _tag_text(name, values: np.ndarray, style: str) -> pl.Series:
    """The tag's text for each of ``values`` (null where absent)."""
    present = pl.Series(_present(values, style))
    if style == "flag":
        text = pl.repeat(name, len(values), dtype=pl.String, eager=True)
    elif style == "rank":
        text = pl.Series([f"{name}:{rank}" for rank in RANKS]).gather(np.maximum(values, 0))
    elif style == "count":
        text = pl.lit(f"{name}:") + pl.Series(values.astype(np.int64)).cast(pl.String)
        text = pl.select(text).to_series()
    else:
        text = pl.Series(values.astype(np.int64)).replace_strict(
            list(name), list(name.values()), default="", return_dtype=pl.String
        )
    return pl.select(pl.when(present).then(text)).to_series()


def noise_column(tags: list[Tag], length: int) -> pl.Series:
    """The ``noise`` column: the tags ';'-joined in order, null when a record has none.

    Only records with at least one tag are formatted (most records have none).
    """
    any_tag = np.zeros(length, dtype=bool)
    for _, values, style in tags:
        any_tag |= _present(values, style)
    at = np.flatnonzero(any_tag)
    parts = {
        f"t{i}": _tag_text(name, values[at], style) for i, (name, values, style) in enumerate(tags)
    }
    joined = (
        pl.DataFrame(parts, height=len(at))
        .select(pl.concat_str(pl.all(), separator=";", ignore_nulls=True))
        .to_series()
    )
    return pl.repeat(None, length, dtype=pl.String, eager=True).scatter(at, joined).alias("noise")
