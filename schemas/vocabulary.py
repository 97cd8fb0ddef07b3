"""Fixed vocabularies: values that mean "missing" in real exports (ingest nulls them, the
release never writes them) and the open-nomenclature qualifiers (C7).  Plain constants, so
that the label stages read them without importing the config models (pydantic)."""

from __future__ import annotations

#: Values that mean "missing" in real exports, compared after trimming whitespace
#: (docs/curation.md#missing-values).  A whitespace-only value trims to ''.
MISSING_TOKENS: tuple[str, ...] = ("", "None", "NA", "N/A", "[NULL]", "NULL", "null", "nan")

#: BIOSCAN-1M's own sentinels for missing values (docs/formats.md#bioscan-1m-metadata).
BIOSCAN1M_MISSING_TOKENS: tuple[str, ...] = ("not_classified", "no_data")

#: Missing values of label columns: every token above, in any layout.
LABEL_MISSING_TOKENS: tuple[str, ...] = (*MISSING_TOKENS, *BIOSCAN1M_MISSING_TOKENS)

#: DECISIONS.md's qualifiers (docs/curation.md#open-nomenclature); the config's default.
OPEN_NOMENCLATURE_QUALIFIERS: tuple[str, ...] = (
    "sp", "spp", "cf", "nr", "aff", "gr", "grp", "indet", "n. sp", "sp. n", "sp. nov", "nov. sp"
)  # fmt: skip
#: The qualifiers after which one epithet may follow (``Aus cf. bus``).
OPEN_NOMENCLATURE_EPITHET_QUALIFIERS: tuple[str, ...] = ("cf", "nr", "aff", "gr", "grp")
