"""Name makers of the synthetic export: taxon names, placeholder formats and spelling noise.

Generated names have to survive the curation unchanged, so each maker avoids what a curation rule
would touch: scientific names are plain ``Genus epithet`` words (never flagged as placeholders),
no generated word is within edit distance 3 of "malaise" (the C2 fuzzy match), and
:func:`collision_key` -- a key *coarser* than the curation's normalisation key (case, whitespace,
punctuation, zero padding and Malaise misspellings all ignored) -- is unique per rank, so the
variant harmonisation (C3) can never merge two generated taxa.  Spelling-noise makers do the
opposite: they produce a different string with the *same* key.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from rapidfuzz.distance import Levenshtein

_ONSETS = (
    "b",
    "c",
    "d",
    "f",
    "g",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "ch",
    "ph",
    "th",
    "tr",
    "pl",
    "cr",
    "st",
    "sc",
    "br",
    "gl",
    "h",
    "z",
    "dr",
    "gr",
)
_VOWELS = ("a", "e", "i", "o", "u", "ae", "y", "io", "a", "o", "i", "e")
_CODAS = ("", "", "", "", "", "n", "r", "s", "l")
_GENUS_ENDINGS = (
    "ia",
    "us",
    "a",
    "ella",
    "opsis",
    "myia",
    "ites",
    "oides",
    "ina",
    "ax",
    "on",
    "odes",
    "ura",
    "cera",
    "ops",
    "ius",
    "ocera",
    "omyia",
)
_EPITHET_ENDINGS = (
    "us",
    "a",
    "um",
    "ensis",
    "i",
    "ae",
    "ata",
    "ica",
    "oides",
    "ifera",
    "alis",
    "ens",
    "ii",
    "atus",
    "ipes",
    "icornis",
    "ana",
    "osa",
    "ellus",
)
#: Words a curation or placeholder rule reads as a qualifier, token or missing value.
_RESERVED = frozenset(
    [
        "sp",
        "spp",
        "cf",
        "nr",
        "aff",
        "gen",
        "grp",
        "affinis",
        "unassigned",
        "unclassified",
        "none",
        "null",
        "nan",
        "na",
        "var",
        "ssp",
        "n",
    ]
)
_MALAISE = "malaise"
#: The partitioner's fuzzy "malaise" (docs/curation.md#placeholder-species), case-insensitive.
FUZZY_MALAISE = re.compile(r"m+a+[li]+a+[il]+[sz]+e+", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_KEY_DROP = re.compile(r"[\s.:_\-]+")


def collision_key(name: str) -> str:
    """A key coarser than any reasonable normalisation key; generated names are unique by it."""
    key = FUZZY_MALAISE.sub(_MALAISE, name.lower())
    key = _KEY_DROP.sub("", key)
    return _DIGITS.sub(lambda m: str(int(m.group())), key)


def _acceptable(word: str) -> bool:
    lower = word.lower()
    return (
        lower not in _RESERVED
        and FUZZY_MALAISE.search(lower) is None
        and Levenshtein.distance(lower, _MALAISE) > 3
    )


def latin_words(
    rng: np.random.Generator,
    count: int,
    *,
    endings: tuple[str, ...],
    capitalised: bool,
    taken: set[str] | None = None,
) -> list[str]:
    """``count`` distinct pseudo-Latin words (2-3 syllables + ending), none in ``taken``.

    ``taken`` holds collision keys already in use; the new words' keys are added to it.
    """
    taken = set() if taken is None else taken
    words: list[str] = []
    while len(words) < count:
        batch = max(64, 2 * (count - len(words)))
        syllables = rng.integers(2, 4, size=batch)
        onset = rng.integers(0, len(_ONSETS), size=(batch, 3))
        vowel = rng.integers(0, len(_VOWELS), size=(batch, 3))
        coda = rng.integers(0, len(_CODAS), size=(batch, 3))
        ending = rng.integers(0, len(endings), size=batch)
        for i in range(batch):
            parts = []
            for s in range(int(syllables[i])):
                # No coda before the last syllable's ending keeps the words pronounceable.
                tail = _CODAS[coda[i, s]] if s < syllables[i] - 1 else ""
                parts.append(_ONSETS[onset[i, s]] + _VOWELS[vowel[i, s]] + tail)
            word = "".join(parts) + endings[ending[i]]
            word = word.capitalize() if capitalised else word
            key = collision_key(word)
            if key in taken or not _acceptable(word):
                continue
            taken.add(key)
            words.append(word)
            if len(words) == count:
                break
    return words


def genus_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    return latin_words(rng, count, endings=_GENUS_ENDINGS, capitalised=True, taken=taken)


def epithets(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    return latin_words(rng, count, endings=_EPITHET_ENDINGS, capitalised=False, taken=taken)


def stem_names(rng: np.random.Generator, count: int, suffix: str, taken: set[str]) -> list[str]:
    """Family (``idae``), subfamily (``inae``) or tribe (``ini``) names from pseudo-Latin stems."""
    stems = latin_words(rng, count, endings=("",), capitalised=True, taken=set())
    names: list[str] = []
    for stem in stems:
        name = stem.rstrip("aeiouy") + suffix
        key = collision_key(name)
        if key not in taken and _acceptable(name):
            taken.add(key)
            names.append(name)
    if len(names) < count:
        names += stem_names(rng, count - len(names), suffix, taken)
    return names


# --- placeholder species (docs/curation.md#variants, #placeholder-species) --------------------

#: Placeholder formats per order; the paper's examples tie BioLep/DHJ to Lepidoptera,
#: Whitfield to Braconidae's order, Janzen to Tachinidae and Lepidoptera.
PLACEHOLDER_FORMATS: dict[str, tuple[tuple[str, float], ...]] = {
    "Diptera": (
        ("malaise", 0.55),
        ("sp_code", 0.2),
        ("bold", 0.12),
        ("janzen", 0.08),
        ("sp_digits", 0.05),
    ),
    "Hymenoptera": (
        ("malaise", 0.45),
        ("whitfield", 0.12),
        ("dhj", 0.15),
        ("sp_code", 0.15),
        ("mic", 0.05),
        ("bold", 0.08),
    ),
    "Lepidoptera": (("biolep", 0.4), ("dhj", 0.25), ("janzen", 0.2), ("malaise", 0.15)),
    "Coleoptera": (("morph", 0.3), ("sp_code", 0.3), ("malaise", 0.3), ("bold", 0.1)),
    "": (("sp_code", 0.4), ("malaise", 0.35), ("bold", 0.15), ("sp_digits", 0.1)),
}
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def placeholder_species(genus: str, fmt: str, epithet: str, serial: int, draw: int) -> str:
    """One placeholder species name of format ``fmt`` for ``genus``.

    ``serial`` (distinct per genus) is folded into the code so names stay unique within a genus;
    ``draw`` is a random integer the codes' other digits and letters come from; ``epithet`` is
    used by the formats that carry one (``dhj``, ``mic``).
    """
    letters = "".join(_LETTERS[(draw >> (5 * k)) % 26] for k in range(3))
    spare = draw >> 15
    if fmt == "malaise":
        return f"{genus} Malaise{(serial * 7919 + spare) % 10_000:04d}"
    if fmt == "bold":
        return f"{genus} BOLD:{letters}{spare % 10_000:04d}"
    if fmt == "sp_code":
        return f"{genus} sp. {letters[:2]}{serial}"
    if fmt == "sp_digits":
        return f"{genus} sp. {serial}{letters}"
    if fmt == "janzen":
        return f"{genus} Janzen{serial * 37 + spare % 37}"
    if fmt == "whitfield":
        return f"{genus} Whitfield{serial * 13 + spare % 13}"
    if fmt == "biolep":
        return f"{genus} BioLep{serial * 41 + spare % 41}"
    if fmt == "dhj":
        return f"{genus} {epithet}DHJ{serial % 99 + 1:02d}"
    if fmt == "mic":
        return f"{genus} {epithet}-{letters}"
    if fmt == "morph":
        return f"{genus} sp. {letters}{_LETTERS[serial % 26]}G Morph{serial:04d}"
    raise ValueError(f"unknown placeholder format {fmt!r}")


def placeholder_genus(family: str, serial: int, draw: int) -> str:
    """A genus-level placeholder such as ``gelBioLep01`` or ``chalMalaise9590``."""
    stem = family[:4].lower().rstrip("aeiou") or family[:3].lower()
    word = "BioLep" if draw % 10 < 3 else "Malaise"
    code = f"{serial:02d}" if (draw >> 4) % 10 < 7 else f"{1000 + (draw >> 8) % 9000}"
    return f"{stem}{word}{code}"


def species_under_placeholder_genus(genus: str, serial: int, draw: int) -> str:
    word = "BioLep" if "BioLep" in genus else "Malaise"
    return f"{genus} {word}{(serial * 101 + draw % 101) % 10_000:04d}"


# --- open nomenclature (docs/curation.md#open-nomenclature) -------------------------------------

#: Forms of a species written with a qualifier instead of a name: ``{g}`` the genus, ``{e}`` an
#: epithet, ``{E}`` the epithet capitalised (as BOLD writes ``Coelioxys aff. Totonaca``).
_OPEN_FORMS = (
    "{g} sp.",
    "{g} cf. {e}",
    "{g} nr. {e}",
    "{g} aff. {e}",
    "{g} spp.",
    "{g} sp",
    "{g} cf {e}",
    "{g} sp. nov.",
    "{g} indet.",
    "{g} gr. {e}",
    "{g} ({E}) sp.",
    "{g} aff. {E}",
    "{g} n. sp.",
)


def open_nomenclature(genus: str, epithet: str, rng: np.random.Generator) -> str:
    """A species written with a qualifier and no name of its own (``Aus sp. nov.``)."""
    form = _OPEN_FORMS[int(rng.integers(0, len(_OPEN_FORMS)))]
    return form.format(g=genus, e=epithet, E=epithet.capitalize())


# --- spelling noise (truth: the canonical spelling) --------------------------------------------

#: Misspellings of "Malaise" (docs/curation.md#variants).
MALAISE_TYPOS = ("Maliaise", "Malaize", "Mailaise")
_MALAISE_CODE = re.compile(r" Malaise0+(\d)")


def case_variant(name: str, choice: int) -> str:
    """Lower-, upper- or word-title-cased ``name``; always differs from ``name``."""
    options = [
        name.lower(),
        name.upper(),
        " ".join(w[:1].upper() + w[1:].lower() for w in name.split(" ")),
    ]
    options = [o for o in options if o != name]
    return options[choice % len(options)]


def whitespace_variant(name: str, choice: int) -> str:
    """``name`` with a leading, trailing or doubled internal space (C0 trims/collapses it)."""
    if choice % 3 == 2 and " " in name:
        return name.replace(" ", "  ", 1)
    return f" {name}" if choice % 3 == 0 else f"{name} "


def unpadded(name: str) -> str | None:
    """``Aus Malaise0749`` -> ``Aus Malaise749`` (C2 pads it back); None if not applicable."""
    if not _MALAISE_CODE.search(name):
        return None
    return _MALAISE_CODE.sub(r" Malaise\1", name, count=1)


def malaise_typo(name: str, choice: int) -> str | None:
    """``Aus Malaise4749`` -> ``Aus Maliaise4749`` (C2 corrects it); None if not applicable."""
    if " Malaise" not in name:
        return None
    return name.replace(" Malaise", " " + MALAISE_TYPOS[choice % len(MALAISE_TYPOS)], 1)


# --- identifiers ------------------------------------------------------------------------------


def bin_codes(rng: np.random.Generator, count: int) -> pl.Series:
    """``count`` distinct BIN URIs ``BOLD:AAA0000`` .. ``BOLD:EZZ9999`` in random order."""
    space = 5 * 26 * 26 * 10_000
    picks = rng.choice(space, size=count, replace=False)
    letters, digits = np.divmod(picks, 10_000)
    first, rest = np.divmod(letters, 26 * 26)
    second, third = np.divmod(rest, 26)
    alphabet = pl.Series(_LETTERS.tolist(), dtype=pl.String)
    return pl.select(
        pl.concat_str(
            [
                pl.lit("BOLD:"),
                pl.lit(alphabet.gather(first)),
                pl.lit(alphabet.gather(second)),
                pl.lit(alphabet.gather(third)),
                pl.lit(pl.Series(digits)).cast(pl.String).str.zfill(4),
            ]
        ).alias("bin_uri")
    ).to_series()


def project_codes(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct BOLD project codes (4-5 capital letters)."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        length = int(rng.integers(4, 6))
        code = "".join(rng.choice(_LETTERS, size=length))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes
