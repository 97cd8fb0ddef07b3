"""COI-like DNA sequences: one per barcode group, written with the noise real exports carry.

Each BIN has a random AT-rich 658-nt consensus (insect COI is ~65 % A+T); barcode ``j`` of the
BIN is the consensus with ``j`` written in base 3 at 14 fixed third-codon positions (a distinct
substitution pattern per barcode, so barcodes of one BIN differ by a few point mutations, as
real haplotypes do, and never coincide), cut to the barcode's length (mostly 658, some partial
reads of 500-657) and, for ~2 % of barcodes, with one to three IUPAC ambiguity codes.  Lengths
are at least 500 and the substitution positions lie below 500, so two barcodes are equal only if
they are the same barcode; ambiguity codes never sit at either end, so stripping leading and
trailing ``N`` can not merge two barcodes either.

Record-level noise changes how a barcode is *written*, never the barcode key (docs/curation.md#barcode-key)
(gaps removed, upper-cased, leading/trailing ``N`` stripped): leading/trailing ``N`` runs,
alignment padding with ``-``, a ``---`` codon gap inside, or the whole sequence in lower case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from curation.synthetic.random import stream

LENGTH = 658
MIN_LENGTH = 500
#: Positions carrying a barcode's index within its BIN (3rd codon positions below MIN_LENGTH).
SIGNATURE = np.arange(14) * 33 + 32
_ASCII = np.frombuffer(b"ACGT", dtype=np.uint8)
#: 256-entry table from a random byte to a base, A 30 %, T 36 %, C 16 %, G 18 %.
_ASCII_OF_BYTE = _ASCII[np.repeat(np.array([0, 3, 1, 2], dtype=np.uint8), [77, 92, 41, 46])]
#: _SHIFT[base, d]: the base d steps further in A C G T (a barcode's signature substitution).
_SHIFT = np.zeros((256, 3), dtype=np.uint8)
for _i, _b in enumerate(_ASCII):
    _SHIFT[_b] = _ASCII[(_i + np.arange(3)) % 4]
_IUPAC = np.frombuffer(b"NRYKMSWN", dtype=np.uint8)
_IUPAC_SHARE = 0.02

# Record-level noise kinds.
CLEAN, N_PADDED, GAP_PADDED, INTERNAL_GAP, LOWERCASE = range(5)
NOISE_TAGS = {
    N_PADDED: "n_padded",
    GAP_PADDED: "gap_padded",
    INTERNAL_GAP: "internal_gap",
    LOWERCASE: "lowercase_sequence",
}
#: Shares of released records per noise kind.
NOISE_SHARES = {N_PADDED: 0.03, GAP_PADDED: 0.01, INTERNAL_GAP: 0.003, LOWERCASE: 0.005}


@dataclass(frozen=True)
class Barcodes:
    """The sequence of every barcode group, as parameters (the text is built per chunk)."""

    consensus: np.ndarray  #: uint8 (bins, LENGTH) ASCII consensus per BIN
    bin: np.ndarray  #: int32 per barcode
    index: np.ndarray  #: int64 per barcode: position within its BIN
    length: np.ndarray  #: int16 per barcode
    iupac_position: np.ndarray  #: int16 (barcodes, 3), -1 = none
    iupac_code: np.ndarray  #: uint8 (barcodes, 3) ASCII code
    basecount: np.ndarray  #: int64 per barcode: A/C/G/T count (BCDM ``nuc_basecount``)

    def core(self, barcodes: np.ndarray) -> np.ndarray:
        """The ASCII sequences (rows padded to LENGTH) of ``barcodes``."""
        seq = self.consensus[self.bin[barcodes]]
        digits = (self.index[barcodes][:, None] // 3 ** np.arange(len(SIGNATURE))) % 3
        seq[:, SIGNATURE] = _SHIFT[seq[:, SIGNATURE], digits]
        rows, slots = np.nonzero(self.iupac_position[barcodes] >= 0)
        seq[rows, self.iupac_position[barcodes][rows, slots]] = self.iupac_code[barcodes][
            rows, slots
        ]
        return seq


def build(bins: int, bin_of_barcode: np.ndarray, index: np.ndarray, seed: int) -> Barcodes:
    rng = stream(seed, "sequences")
    consensus = np.empty((bins, LENGTH), dtype=np.uint8)
    block = 65_536
    for start in range(0, bins, block):
        stop = min(bins, start + block)
        raw = rng.integers(0, 256, size=(stop - start, LENGTH), dtype=np.uint8)
        consensus[start:stop] = _ASCII_OF_BYTE[raw]
    count = len(bin_of_barcode)
    length = np.full(count, LENGTH, dtype=np.int16)
    partial = rng.random(count) < 0.3
    length[partial] = rng.integers(MIN_LENGTH, LENGTH, size=int(partial.sum()))
    iupac_position = np.full((count, 3), -1, dtype=np.int16)
    ambiguous = np.flatnonzero(rng.random(count) < _IUPAC_SHARE)
    how_many = rng.integers(1, 4, size=len(ambiguous))
    third = (MIN_LENGTH - 2) // 3
    for k in range(3):
        rows = ambiguous[how_many > k]
        # Interior, non-signature positions (the signature sits on multiples of 33 plus 32),
        # one per third of the first MIN_LENGTH bases so a barcode's positions are distinct.
        pos = rng.integers(1 + k * third, 1 + (k + 1) * third - 1, size=len(rows))
        pos = np.where((pos - 32) % 33 == 0, pos + 1, pos)
        iupac_position[rows, k] = pos
    iupac_code = _IUPAC[rng.integers(0, len(_IUPAC), size=(count, 3))]
    if index.max(initial=0) >= 3 ** len(SIGNATURE):
        raise ValueError("a BIN has more barcodes than the signature can tell apart")
    inside = (iupac_position >= 0) & (iupac_position < length[:, None])
    basecount = length.astype(np.int64) - inside.sum(axis=1)
    return Barcodes(
        consensus,
        bin_of_barcode.astype(np.int32),
        index.astype(np.int64),
        length,
        iupac_position,
        iupac_code,
        basecount,
    )


def noise_kinds(rng: np.random.Generator, records: int) -> np.ndarray:
    """One noise kind (int8) per released record."""
    u = rng.random(records)
    kind = np.zeros(records, dtype=np.int8)
    edge = 0.0
    for code, share in NOISE_SHARES.items():
        kind[(u >= edge) & (u < edge + share)] = code
        edge += share
    return kind


def written(
    barcodes: Barcodes, barcode: np.ndarray, kind: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """The ``nuc`` text of records (``barcode`` per record) with their noise ``kind``."""
    seq = barcodes.core(barcode)
    length = barcodes.length[barcode].astype(np.int64)
    text = strings(seq, length)
    noisy = np.flatnonzero(kind != CLEAN)
    if len(noisy) == 0:
        return text
    lead = rng.integers(1, 25, size=len(noisy))
    trail = rng.integers(0, 40, size=len(noisy))
    where = rng.integers(10, MIN_LENGTH // 3, size=len(noisy)) * 3
    values = []
    for s, k, a, b, w in zip(
        text.gather(noisy).to_list(),
        kind[noisy].tolist(),
        lead.tolist(),
        trail.tolist(),
        where.tolist(),
        strict=True,
    ):
        if k == N_PADDED:
            s = "N" * a + s + "N" * b
        elif k == GAP_PADDED:
            s = "-" * a + s + "-" * b
        elif k == INTERNAL_GAP:
            s = s[:w] + "---" + s[w:]
        else:
            s = s.lower()
        values.append(s)
    return text.scatter(noisy, values)


def random_sequences(rng: np.random.Generator, lengths: np.ndarray) -> pl.Series:
    """Unrelated sequences (other markers' rows): uniform A/C/G/T of the given lengths."""
    width = int(lengths.max(initial=1))
    seq = _ASCII[rng.integers(0, 4, size=(len(lengths), width))]
    return strings(seq, lengths.astype(np.int64))


def strings(matrix: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """Rows of an ASCII matrix, each cut to its length, as a polars String series.

    Built as an Arrow string *view* array over the matrix itself (a view is length, 4-byte
    prefix, buffer and offset), so the sequences are not copied.  Rows must be longer than the
    12 bytes Arrow stores inline.
    """
    matrix = np.ascontiguousarray(matrix)
    count, width = matrix.shape
    if count == 0:
        return pl.Series(values=[], dtype=pl.String)
    if lengths.min() <= 12:
        raise ValueError("string views need sequences longer than 12 bytes")
    views = np.empty((count, 4), dtype=np.int32)
    views[:, 0] = lengths
    views[:, 1] = np.ascontiguousarray(matrix[:, :4]).view(np.int32).ravel()
    views[:, 2] = 0
    views[:, 3] = np.arange(count, dtype=np.int64) * width
    array = pa.Array.from_buffers(
        pa.string_view(), count, [None, pa.py_buffer(views), pa.py_buffer(matrix)]
    )
    return pl.Series(pl.from_arrow(array))
