"""Raw text fields -> typed, cleaned record fields, the reason a row is not released, and issues.

* :func:`clean_rows`, the per-row work on identifiers, sequences, coordinates and numbers, runs
  inside the read; label fields only become categoricals there;
* :func:`finish` runs on a file's collected rows: label fields are cleaned once per distinct
  value, the few unusual sequences are cleaned, each row gets its reject reason, and the helper
  columns become issue rows.

The rules are docs/curation.md#ingest; why the work is split so, docs/decisions.md "Ingest
reading".
"""

from __future__ import annotations

import polars as pl

from curation.ingest.codes import REJECT_REASONS
from curation.ingest.decode import C1_CONTROLS, R_ESCAPES
from curation.ingest.layouts import ColumnMap
from curation.ingest.text import TEXT_ISSUES, clean_labels, identifier_detail, invalid_identifier
from schemas.tables import INGEST_ISSUES_SCHEMA, RANKS
from schemas.vocabulary import MISSING_TOKENS

#: IUPAC nucleotide codes a cleaned barcode may hold (docs/curation.md#ingest).
IUPAC = "ACGTURYSWKMBDHVN"
#: Reject reason of a row (null: not rejected by a row-level check).
REASON = "_reason"
REASON_DTYPE = pl.Enum(list(REJECT_REASONS))
#: Low-cardinality label fields, categorical until the records are built.  Rank labels keep
#: their inner and outer whitespace (the normalise stage trims it and records the change).
LABELS = (*RANKS, "dna_bin", "marker_code", "country", "province_state")
#: Label fields in which R escapes and C1 controls are repaired (free text, not codes).
_REPAIRED = (*RANKS, "country", "province_state")
#: Label fields the text rules clean (docs/curation.md#text): all but the marker, which is only
#: compared with the target marker, never released.
_TEXT_FIELDS = tuple(field for field in LABELS if field != "marker_code")
_COORD_CODES = ("coordinate_unparsable", "coordinate_incomplete", "coordinate_out_of_range")
_COORD_ISSUE, _COORD_TEXT = "_coord_issue", "_coord_text"
_MEASUREMENTS = ("image_measurement_value", "area_fraction", "scale_factor")
_INDEX = "index_bioscan_1M_insect"
#: A release's own ``inferred_ranks`` when it is read back: a whole number 0-6.
_GIVEN_INFERRED = "given_inferred_ranks"
#: Whole-number fields and their allowed range.
_WHOLE = {_INDEX: (None, None), _GIVEN_INFERRED: (0, len(RANKS) - 1)}
_NUMBERS = (*_MEASUREMENTS, *_WHOLE)
_PLAIN = "_plain"
#: Columns of :func:`finish`'s rows, in this order for every layout.
ROW_COLUMNS = (
    "source_line",
    "processid",
    "sampleid",
    *RANKS,
    "dna_bin",
    "dna_barcode",
    "marker_code",
    "country",
    "province_state",
    "coord-lat",
    "coord-lon",
    *_NUMBERS,
    REASON,
)
_ISSUE_COLUMNS = {k: v for k, v in INGEST_ISSUES_SCHEMA.items() if k != "source_file"}


def missing_tokens(columns: ColumnMap) -> list[str]:
    """Missing-value tokens of a file's layout, compared after trimming."""
    return list(dict.fromkeys(MISSING_TOKENS + columns.layout.extra_missing))


def clean_rows(raw: pl.LazyFrame, columns: ColumnMap, target_marker: str) -> pl.LazyFrame:
    """Per-row cleaning of a file's canonical raw fields (columns it does not know are kept)."""
    tokens = missing_tokens(columns)
    frame = raw.with_columns(
        _trimmed_or_missing(pl.col(name), tokens).alias(name)
        for name in columns.columns
        if name not in LABELS and name != "sequence"
    )
    frame = _gapless(frame, columns, tokens, target_marker)
    frame = _coordinates(frame, columns)
    frame = _numbers(frame, columns)
    present = frame.collect_schema().names()
    absent = [pl.lit(None, pl.String).alias(name) for name in LABELS if name not in present]
    return frame.with_columns(absent).with_columns(pl.col(LABELS).cast(pl.Categorical))


def _trimmed_or_missing(value: pl.Expr, tokens: list[str]) -> pl.Expr:
    trimmed = value.str.strip_chars()
    return pl.when(trimmed.is_in(tokens)).then(None).otherwise(trimmed)


def _gapless(
    frame: pl.LazyFrame, columns: ColumnMap, tokens: list[str], target_marker: str
) -> pl.LazyFrame:
    """``sequence`` -> ``dna_barcode``, and ``_plain``: whether it is already clean (upper-case
    IUPAC only, so no whitespace and no ``-`` gap), as it is for nearly every real row.

    A plain sequence is its own barcode (or a missing-value token such as ``NA``); the others are
    cleaned by :func:`_finish_sequences`.  Trimming or removing gaps here would copy every
    sequence, which at 5 M rows is seconds of CPU.  The barcode of a row of another marker is
    dropped at once: that row will be rejected, and at 5 M rows its bytes matter.
    """
    if "sequence" not in columns.columns:
        return frame.with_columns(
            pl.lit(None, pl.String).alias("dna_barcode"), pl.lit(None, pl.Boolean).alias(_PLAIN)
        )
    sequence = pl.col("sequence")
    if columns.layout.has_marker:
        marker = pl.col("marker_code").str.strip_chars()
        sequence = pl.when(marker.is_in(tokens) | (marker == target_marker)).then(sequence)
    frame = frame.with_columns(sequence.alias("dna_barcode")).drop("sequence")
    barcode = pl.col("dna_barcode")
    frame = frame.with_columns((~barcode.str.contains(f"[^{IUPAC}]")).alias(_PLAIN))
    token = pl.col(_PLAIN) & barcode.is_in(tokens)
    return frame.with_columns(pl.when(~token).then(barcode).alias("dna_barcode"))


def _coordinates(frame: pl.LazyFrame, columns: ColumnMap) -> pl.LazyFrame:
    """``coord-lat``/``coord-lon`` from ``coord`` (``[lat, lon]``, ``(lat,lon)``, ``lat,lon``) or
    from ``lat`` and ``lon``.  A pair with any bad part is nulled whole; ``_coord_issue`` says
    why and ``_coord_text`` keeps the raw text for the issue (both null on good rows)."""
    names = {field: name for field, (_, name) in columns.columns.items()}
    keys = [key for key in ("coord", "lat", "lon") if key in names]
    if not keys:
        return frame.with_columns(
            pl.lit(None, pl.Float64).alias("coord-lat"),
            pl.lit(None, pl.Float64).alias("coord-lon"),
            pl.lit(None, pl.Enum(_COORD_CODES)).alias(_COORD_ISSUE),
            pl.lit(None, pl.String).alias(_COORD_TEXT),
        )
    if "coord" in keys:
        # One split and no regex: at 5 M rows a regex per row is seconds of CPU.
        pair = pl.col("coord").str.strip_chars("[]() ").str.split_exact(",", 1)
        frame = frame.with_columns(
            pair.struct.field("field_0").str.strip_chars().alias("_lat_text"),
            pair.struct.field("field_1").str.strip_chars().alias("_lon_text"),
        )
        commas = pl.col("coord").str.count_matches(",", literal=True)
        unmatched = pl.col("coord").is_not_null() & (commas != 1)
    else:
        frame = frame.with_columns(_lat_text=pl.col("lat"), _lon_text=pl.col("lon"))
        unmatched = pl.lit(False)
    lat_text, lon_text = pl.col("_lat_text"), pl.col("_lon_text")
    frame = frame.with_columns(
        lat_text.cast(pl.Float64, strict=False).alias("coord-lat"),
        lon_text.cast(pl.Float64, strict=False).alias("coord-lon"),
    )
    lat, lon = pl.col("coord-lat"), pl.col("coord-lon")
    unparsable = (
        unmatched
        | (lat_text.is_not_null() & ~lat.is_finite().fill_null(False))
        | (lon_text.is_not_null() & ~lon.is_finite().fill_null(False))
    )
    issue = (
        pl.when(unparsable)
        .then(pl.lit(_COORD_CODES[0]))
        .when(lat_text.is_null() ^ lon_text.is_null())
        .then(pl.lit(_COORD_CODES[1]))
        .when((lat.abs() > 90) | (lon.abs() > 180))
        .then(pl.lit(_COORD_CODES[2]))
        .cast(pl.Enum(_COORD_CODES))
    )
    text = pl.format(
        " ".join(f"{names[key]}={{}}" for key in keys),
        *(pl.col(key).fill_null("(missing)") for key in keys),
    )
    good = pl.col(_COORD_ISSUE).is_null()
    return (
        frame.with_columns(issue.alias(_COORD_ISSUE))
        .with_columns(
            pl.when(good).then(lat).alias("coord-lat"),
            pl.when(good).then(lon).alias("coord-lon"),
            pl.when(~good).then(text).alias(_COORD_TEXT),
        )
        .drop(*keys, "_lat_text", "_lon_text")
    )


def _numbers(frame: pl.LazyFrame, columns: ColumnMap) -> pl.LazyFrame:
    """The BIOSCAN-5M measurement columns as floats, the BIOSCAN-1M index and a release's
    ``inferred_ranks`` (0-6) as whole numbers (written ``150502.0`` in real files, so read as a
    float that must be whole).  A value that does not parse, or is out of range, is nulled;
    ``_bad_<field>`` keeps its text for the issue."""
    exprs = []
    for name in _NUMBERS:
        whole = name in _WHOLE
        if name not in columns.columns:
            exprs.append(pl.lit(None, pl.Int64 if whole else pl.Float64).alias(name))
            continue
        raw = pl.col(name)
        value = raw.cast(pl.Float64, strict=False)
        good = value.is_finite()
        if whole:
            low, high = _WHOLE[name]
            good = good & (value == value.floor())
            good = good if low is None else good & (value >= low)
            good = good if high is None else good & (value <= high)
        typed = pl.when(good).then(value)
        exprs.append((typed.cast(pl.Int64) if whole else typed).alias(name))
        bad = raw.is_not_null() & ~good.fill_null(False)
        exprs.append(pl.when(bad).then(raw).alias(f"_bad_{name}"))
    return frame.with_columns(exprs)


def finish(
    rows: pl.DataFrame, columns: ColumnMap, target_marker: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Clean labels and unusual sequences, give each row its reject reason, collect issues.

    ``rows`` is :func:`clean_rows`' output, collected.  Returns ROW_COLUMNS (labels still
    categorical) and the issues (INGEST_ISSUES_SCHEMA less ``source_file``).
    """
    names = {field: name for field, (_, name) in columns.columns.items()}
    tokens = missing_tokens(columns)
    rows, label_issues = _clean_labels(rows, names, tokens)
    rows, invalid = _finish_sequences(rows, tokens)
    rows = rows.with_columns(_reason(invalid, columns.layout.has_marker, target_marker))
    found = [label_issues]
    coordinates = rows.filter(pl.col(_COORD_ISSUE).is_not_null())
    field = ",".join(names[key] for key in ("coord", "lat", "lon") if key in names)
    found.append(_issues(coordinates, field, pl.col(_COORD_ISSUE), pl.col(_COORD_TEXT)))
    for name in _NUMBERS:
        if name in names:
            bad = rows.filter(pl.col(f"_bad_{name}").is_not_null())
            detail = pl.format("{}={}", pl.lit(names[name]), pl.col(f"_bad_{name}"))
            found.append(_issues(bad, names[name], pl.lit("number_unparsable"), detail))
    return rows.select(ROW_COLUMNS), pl.concat(found)


def _issues(frame: pl.DataFrame, field: str, issue: pl.Expr, detail: pl.Expr) -> pl.DataFrame:
    return frame.select(
        "source_line",
        "processid",
        pl.lit(field, pl.String).alias("field"),
        issue.cast(pl.String).alias("issue"),
        detail.cast(pl.String).alias("detail"),
    )


def _clean_labels(
    rows: pl.DataFrame, names: dict[str, str], tokens: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per distinct label value: missing tokens -> null, trimming (not rank labels), R's ``<96>``
    escapes and C1 control characters -> their cp1252 characters, then the text rules of
    :mod:`curation.ingest.text` (all with issues)."""
    found = [pl.DataFrame(schema=_ISSUE_COLUMNS)]
    patterns = {**R_ESCAPES, **C1_CONTROLS}
    for field in LABELS:
        if field not in names:
            continue
        values = rows.get_column(field).drop_nulls().unique()
        text = values.cast(pl.String)
        missing = text.str.strip_chars().is_in(tokens)
        kept = text if field in RANKS else text.str.strip_chars()
        repaired = kept.str.replace_many(patterns) if field in _REPAIRED else kept
        found += _repair_issues(
            rows, field, names[field], values.filter(~missing & (repaired != kept)), patterns
        )
        cleaned = pl.select(pl.when(~missing).then(repaired)).to_series()
        if field in _TEXT_FIELDS:
            cleaned, issues = _clean_text(rows, field, names[field], text, cleaned)
            found += issues
        rows = rows.with_columns(_rewritten(field, values, text, cleaned))
    return rows, pl.concat(found)


def _rewritten(field: str, values: pl.Series, text: pl.Series, cleaned: pl.Series) -> pl.Expr:
    """The categorical ``field`` with each distinct value of ``values`` (``text`` as strings)
    replaced by its ``cleaned`` value, or nulled where that is null."""
    column = pl.col(field)
    nulled = cleaned.is_null()
    rewritten = ~nulled & (cleaned != text)
    if rewritten.any():
        column = column.replace(
            values.filter(rewritten), cleaned.filter(rewritten).cast(pl.Categorical)
        )
    if nulled.any():
        column = (
            pl.when(pl.col(field).is_in(values.filter(nulled).implode()))
            .then(None)
            .otherwise(column)
        )
    return column.alias(field)


def _clean_text(
    rows: pl.DataFrame, field: str, name: str, text: pl.Series, repaired: pl.Series
) -> tuple[pl.Series, list[pl.DataFrame]]:
    """The text rules on the ``repaired`` values of the distinct ``text`` values of ``field``:
    the cleaned values (aligned with ``text``) and an issue per affected row and code."""
    pairs = pl.DataFrame({"text": text, "value": repaired})
    table = clean_labels(repaired.drop_nulls().unique(), field)
    pairs = pairs.join(table, on="value", how="left", maintain_order="left")
    issues = []
    for code in TEXT_ISSUES:
        hit = pairs.filter(pl.col(code)).select("text", "detail")
        if hit.height:
            # only the few rows concerned are turned back into text
            wanted = hit.get_column("text").cast(pl.Categorical).implode()
            found = rows.filter(pl.col(field).is_in(wanted)).select(
                "source_line", "processid", pl.col(field).cast(pl.String).alias("text")
            )
            found = found.join(hit, on="text", how="inner", maintain_order="left")
            issues.append(_issues(found, name, pl.lit(code), pl.col("detail")))
    return pairs.get_column("cleaned"), issues


def _repair_issues(
    rows: pl.DataFrame, field: str, name: str, repaired: pl.Series, patterns: dict[str, str]
) -> list[pl.DataFrame]:
    if repaired.is_empty():
        return []
    affected = rows.filter(pl.col(field).is_in(repaired.implode()))
    text = pl.col(field).cast(pl.String)
    detail = pl.format("{} -> {}", text, text.str.replace_many(patterns))
    return [
        _issues(affected.filter(text.str.contains_any(list(table))), name, pl.lit(code), detail)
        for code, table in (("r_escaped_byte", R_ESCAPES), ("c1_control_character", C1_CONTROLS))
    ]


def _finish_sequences(rows: pl.DataFrame, tokens: list[str]) -> tuple[pl.DataFrame, pl.Series]:
    """Clean the sequences that are not plain: trim, a missing-value token becomes null, drop
    ``-`` gaps, whitespace and ``.``, upper-case; never truncate.

    Only the rows that are not plain pay for the rewrite: they are gathered, cleaned and
    scattered back (an unused ``when`` branch would still be computed for every row).  Returns
    the rows and a mask of barcodes with characters outside IUPAC.
    """
    unusual = rows.select(pl.arg_where(~pl.col(_PLAIN))).to_series()
    invalid = pl.repeat(False, rows.height, dtype=pl.Boolean, eager=True)
    if unusual.is_empty():
        return rows.drop(_PLAIN), invalid
    barcode = rows.get_column("dna_barcode")
    trimmed = barcode.gather(unusual).str.strip_chars()
    cleaned = (
        pl.select(
            pl.when(~pl.lit(trimmed).is_in(tokens)).then(
                pl.lit(trimmed).str.replace_all(r"[\s.\-]+", "").str.to_uppercase()
            )
        )
        .to_series()
        .alias("dna_barcode")
    )
    invalid = invalid.scatter(unusual, cleaned.str.contains(f"[^{IUPAC}]").fill_null(False))
    return rows.drop(_PLAIN).with_columns(barcode.clone().scatter(unusual, cleaned)), invalid


def _reason(invalid: pl.Series, has_marker: bool, target_marker: str) -> pl.Expr:
    """The first reject reason that applies to a row, in REJECT_REASONS order (null: none)."""
    marker = pl.col("marker_code")
    barcode = pl.col("dna_barcode")
    checks = [
        (pl.col("processid").is_null(), "missing_processid"),
        (invalid_identifier(), "invalid_identifier"),
        (marker.is_not_null() & (marker != target_marker), "non_target_marker"),
        # not strip_chars("N"): on a 5 M-row column it copies every barcode
        (barcode.is_null() | ~barcode.str.contains("[^N]"), "no_barcode"),
        (pl.lit(invalid), "invalid_barcode"),
        (marker.is_null(), "non_target_marker"),
    ]
    if not has_marker:
        checks = [check for check in checks if check[1] != "non_target_marker"]
    reason = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, code in checks[1:]:
        reason = reason.when(condition).then(pl.lit(code))
    return reason.cast(REASON_DTYPE).alias(REASON)


def reject_detail() -> pl.Expr:
    """A short human explanation of a row-level reject, from the row's own fields."""
    barcode = pl.col("dna_barcode")
    marker = pl.col("marker_code").cast(pl.String)
    outside = barcode.str.extract_all(f"[^{IUPAC}]").list.unique(maintain_order=True).list.join("")
    reason = pl.col("reason")
    return (
        pl.when(reason == "invalid_identifier")
        .then(identifier_detail())
        .when(reason == "non_target_marker")
        .then(
            pl.when(marker.is_null())
            .then(pl.lit("marker_code missing"))
            .otherwise(pl.format("marker_code {}", marker))
        )
        .when(reason == "no_barcode")
        .then(
            pl.when(barcode.is_null() | (barcode == ""))
            .then(pl.lit("no sequence"))
            .otherwise(pl.lit("only N"))
        )
        .when(reason == "invalid_barcode")
        .then(pl.format("characters outside IUPAC: {}", outside.str.head(20)))
    )
