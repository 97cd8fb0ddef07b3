"""The export layouts the ingester accepts, recognised by header names, never by positions.

BOLD has renamed and reordered its columns several times (docs/formats.md),
and files that went through R have ``/`` mangled to ``.``.  A layout is therefore a set of
*signature* names that identify it plus, for every canonical field, the header names it may carry;
column positions are looked up in each file's own header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from curation.ingest.codes import IngestError
from schemas.tables import RANKS
from schemas.vocabulary import BIOSCAN1M_MISSING_TOKENS

#: Canonical raw fields a layout can provide.  ``sequence`` becomes ``dna_barcode``; ``coord`` is
#: the BCDM one-column coordinate, ``lat``/``lon`` the two-column form.
CANONICAL_FIELDS: tuple[str, ...] = (
    "processid",
    "sampleid",
    *RANKS,
    "dna_bin",
    "sequence",
    "marker_code",
    "country",
    "province_state",
    "coord",
    "lat",
    "lon",
    "image_measurement_value",
    "area_fraction",
    "scale_factor",
    "index_bioscan_1M_insect",
    "given_inferred_ranks",
)


@dataclass(frozen=True)
class Layout:
    """One export layout: how to recognise it and where its canonical fields are."""

    name: str
    separator: str
    #: Header names that identify the layout (all must be present).
    signature: frozenset[str]
    #: Canonical field -> accepted header names, first present wins.  Every listed field is
    #: required; a canonical field the layout does not list is null in every row.
    fields: Mapping[str, tuple[str, ...]]
    #: Layout-specific missing-value tokens, on top of MISSING_TOKENS.
    extra_missing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"layout {self.name} maps unknown canonical fields {unknown}")

    @property
    def has_marker(self) -> bool:
        return "marker_code" in self.fields


def _identity(ranks: Mapping[str, tuple[str, ...]], bin_column: str) -> dict[str, tuple[str, ...]]:
    """The fields every layout starts with: processid, sampleid, the seven ranks and the BIN."""
    return {
        "processid": ("processid",),
        "sampleid": ("sampleid",),
        **ranks,
        "dna_bin": (bin_column,),
    }


_PLAIN_RANKS: dict[str, tuple[str, ...]] = {rank: (rank,) for rank in RANKS}
_V4_FIELDS: dict[str, tuple[str, ...]] = {
    **_identity({rank: (f"{rank}_name",) for rank in RANKS}, "bin_uri"),
    "country": ("country",),
    "province_state": ("province_state",),
    "lat": ("lat",),
    "lon": ("lon",),
}

#: BIOSCAN-1M metadata (docs/formats.md#bioscan-1m-metadata): the pre-release lacks ``nucraw``.
_BIOSCAN1M_FIELDS = _identity(_PLAIN_RANKS, "uri")

#: Detection order: the first layout whose signature the header contains wins.
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="bioscan5m_csv",
        separator=",",
        signature=frozenset({"processid", "dna_barcode", "dna_bin"}),
        fields={
            **_identity(_PLAIN_RANKS, "dna_bin"),
            "sequence": ("dna_barcode",),
            "country": ("country",),
            "province_state": ("province_state",),
            "lat": ("coord-lat", "coord.lat"),
            "lon": ("coord-lon", "coord.lon"),
            "image_measurement_value": ("image_measurement_value",),
            "area_fraction": ("area_fraction",),
            "scale_factor": ("scale_factor",),
            "index_bioscan_1M_insect": ("index_bioscan_1M_insect",),
            # A release read back keeps the ranks it inferred (docs/curation.md#inference).
            "given_inferred_ranks": ("inferred_ranks",),
        },
    ),
    Layout(
        name="bcdm",
        separator="\t",
        signature=frozenset({"processid", "bin_uri", "marker_code"}),
        fields={
            **_identity(_PLAIN_RANKS, "bin_uri"),
            "sequence": ("nuc", "nucraw"),
            "marker_code": ("marker_code",),
            "country": ("country/ocean", "country.ocean", "country"),
            "province_state": ("province/state", "province.state", "province"),
            "coord": ("coord",),
        },
    ),
    Layout(
        name="bold_v4_combined",
        separator="\t",
        signature=frozenset({"processid", "species_name", "nucleotides"}),
        fields={**_V4_FIELDS, "sequence": ("nucleotides",), "marker_code": ("markercode",)},
    ),
    Layout(
        name="bold_v4_specimen",
        separator="\t",
        signature=frozenset({"processid", "species_name"}),
        fields=_V4_FIELDS,
    ),
    Layout(
        name="bioscan1m",
        separator="\t",
        signature=frozenset({"processid", "uri", "nucraw"}),
        fields={**_BIOSCAN1M_FIELDS, "sequence": ("nucraw",)},
        extra_missing=BIOSCAN1M_MISSING_TOKENS,
    ),
    Layout(
        name="bioscan1m_prerelease",
        separator="\t",
        signature=frozenset({"processid", "uri", "image_file"}),
        fields=_BIOSCAN1M_FIELDS,
        extra_missing=BIOSCAN1M_MISSING_TOKENS,
    ),
)

SUPPORTED = (
    "BOLD v4 combined/specimen TSV, BCDM data-package TSV (2023-2025 layouts), BIOSCAN-5M "
    "metadata CSV, BIOSCAN-1M metadata TSV; plain or gzip"
)


@dataclass(frozen=True)
class Header:
    """The first line of an export, split into column names."""

    names: tuple[str, ...]
    separator: str
    bom: bool


@dataclass(frozen=True)
class ColumnMap:
    """Where a file's canonical fields are: the layout, and per field its column and name."""

    layout: Layout
    header: Header
    #: canonical field -> (0-based column index, header name as written)
    columns: Mapping[str, tuple[int, str]]


def parse_header(path: str, first_line: bytes) -> Header:
    """Split the header line; refuse files that are clearly not tabular exports.

    The separator is a tab when the line holds one, otherwise a comma (the BIOSCAN-5M CSV).
    """
    bom = first_line.startswith(b"\xef\xbb\xbf")
    body = first_line.removesuffix(b"\n").removesuffix(b"\r")
    if b"\r" in body:
        raise IngestError(path, 1, None, _bare_cr_message(first_line))
    text = first_line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n").decode("utf-8", "replace")
    stripped = text.lstrip()
    if not stripped:
        raise IngestError(path, 1, None, f"the header line is empty; supported: {SUPPORTED}")
    if stripped.startswith(">"):
        raise IngestError(
            path,
            1,
            None,
            f"this is a FASTA sequence file, not a specimen export; supported: {SUPPORTED}",
        )
    if stripped[0] in "{[":
        raise IngestError(
            path, 1, None, f"this is JSON, not a tabular specimen export; supported: {SUPPORTED}"
        )
    separator = "\t" if "\t" in text else ","
    return Header(tuple(name.strip() for name in text.split(separator)), separator, bom)


def _bare_cr_message(first_line: bytes) -> str:
    """Why a header holding a carriage return that does not end it cannot be read."""
    where = (
        "the file has no LF at all" if not first_line.endswith(b"\n") else "the header holds one"
    )
    return (
        f"lines end in a bare CR (classic Mac OS line ends; {where}), which no export layout "
        "uses; convert them to LF (e.g. tr '\\r' '\\n') and ingest the file again"
    )


def detect(path: str, header: Header) -> ColumnMap:
    """The layout of ``header`` and the position of each of its canonical fields."""
    present = set(header.names)
    layout = next(
        (
            layout
            for layout in LAYOUTS
            if layout.separator == header.separator and layout.signature <= present
        ),
        None,
    )
    if layout is None:
        shown = ", ".join(repr(name) for name in header.names[:8])
        more = ", ..." if len(header.names) > 8 else ""
        raise IngestError(
            path, 1, None, f"unknown layout: header starts {shown}{more}; supported: {SUPPORTED}"
        )
    columns: dict[str, tuple[int, str]] = {}
    for field, aliases in layout.fields.items():
        name = next((alias for alias in aliases if alias in present), None)
        if name is None:
            raise IngestError(
                path,
                1,
                aliases[0],
                f"missing required column of the {layout.name} layout "
                f"(accepted names: {', '.join(aliases)})",
            )
        if header.names.count(name) > 1:
            raise IngestError(path, 1, name, "column name appears more than once in the header")
        columns[field] = (header.names.index(name), name)
    return ColumnMap(layout, header, columns)
