"""The validated configuration of a pipeline run.

``config.yaml`` is loaded by Snakemake and validated here at workflow start.  Every model forbids
unknown keys, so a misspelt threshold is an error that names the key instead of a silently ignored
setting.  Defaults are the values of the original BIOSCAN-5M curation (docs/decisions.md).
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.tables import RANKS
from schemas.vocabulary import OPEN_NOMENCLATURE_EPITHET_QUALIFIERS, OPEN_NOMENCLATURE_QUALIFIERS


class _Strict(BaseModel):
    """No unknown key, no coercion: ``"1"``, ``true`` or ``1.0`` is not an integer, ``"yes"`` is
    not a boolean (a silently coerced setting is a setting nobody chose)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_QUALIFIER = r"^[a-z]+(?:(?:\. ?| )[a-z]+)*\.?$"
_VERSION = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"
_FILE_STEM = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
#: What each pattern asks for, in words: the error names the rule, not the regular expression.
PATTERN_WORDS = {
    _QUALIFIER: "lower-case words separated by a dot and/or a space (e.g. 'sp. nov')",
    _VERSION: "a plain name: a letter or digit, then up to 63 letters, digits or . _ + -",
    _FILE_STEM: "a plain file name: a letter or digit, then up to 199 letters, digits or . _ -",
}

#: A qualifier as written in the config: lower-case words, separated by a dot and/or a space.
QualifierText = Annotated[str, Field(pattern=_QUALIFIER)]


class GeneratorConfig(_Strict):
    """Synthetic BOLD export used when no input files are named."""

    records: Annotated[int, Field(gt=0)] = 200_000
    seed: Annotated[int, Field(ge=0)] = 2024


class InputConfig(_Strict):
    """What to ingest."""

    #: BOLD v4 TSV, BCDM TSV, BIOSCAN-5M CSV or BIOSCAN-1M TSV files, plain or gzip.  Empty: the
    #: generator's export is the input.
    files: list[str] = []
    generator: GeneratorConfig = GeneratorConfig()
    #: Only rows of this marker are released; others are rejected as ``non_target_marker``.
    target_marker: str = "COI-5P"
    #: BIOSCAN-1M metadata TSV; fills ``index_bioscan_1M_insect`` by processid
    #: (docs/curation.md#release-format).
    bioscan1m_metadata: str | None = None
    #: Crop bounding boxes (processid, width_original, height_original, x0, y0, x1, y1); fills
    #: ``area_fraction`` and ``scale_factor`` (docs/curation.md#release-format).
    bounding_boxes: str | None = None
    #: The taxa a release keeps, per rank (docs/curation.md#scope): a record whose label at one of
    #: these ranks names another taxon is rejected as ``out_of_scope``; a record without a label
    #: at that rank is kept.  Empty: keep every record.
    scope: dict[str, list[Annotated[str, Field(min_length=1)]]] = {"phylum": ["Arthropoda"]}

    @field_validator("scope")
    @classmethod
    def _scope_ranks(cls, scope: dict[str, list[str]]) -> dict[str, list[str]]:
        for rank, taxa in scope.items():
            if rank not in RANKS:
                raise ValueError(f"{rank!r} is not a rank; use one of {', '.join(RANKS)}")
            if not taxa:
                raise ValueError(f"{rank}: name at least one taxon (or drop the rank)")
        return scope


class CurationConfig(_Strict):
    """Label cleaning (docs/curation.md, from #whitespace to #taxon)."""

    #: Share of a barcode's non-null annotations the majority needs at a rank (C5).
    vote_threshold: Annotated[float, Field(gt=0.5, le=1.0)] = 0.90
    #: Versioned ``old -> new`` corrections per rank (C1); ``schemas/corrections.py`` defines it.
    #: None: the table shipped with the pipeline (``resources/corrections.tsv``, empty).
    corrections_table: str | None = None
    #: Zero-padding width of placeholder codes, per code family word (C2).
    placeholder_code_widths: dict[str, Annotated[int, Field(ge=1)]] = {"Malaise": 4}
    #: Largest edit distance at which a word counts as a misspelling of "Malaise" (C2).
    malaise_max_distance: Annotated[int, Field(ge=0, le=3)] = 2
    #: Switches for the rules that the original applied; all on by default.
    fill_unassigned_subfamily: bool = True
    remove_open_nomenclature: bool = True
    #: Open-nomenclature qualifiers (docs/curation.md#open-nomenclature): a species made of a
    #: genus and only these (dots and spaces optional) is no species label.
    open_nomenclature_qualifiers: list[QualifierText] = list(OPEN_NOMENCLATURE_QUALIFIERS)
    #: The qualifiers that may be followed by one epithet (``Aus cf. bus``, ``Aus aff. Bus``).
    open_nomenclature_epithet_qualifiers: list[QualifierText] = list(
        OPEN_NOMENCLATURE_EPITHET_QUALIFIERS
    )

    @model_validator(mode="after")
    def _epithet_qualifiers_are_qualifiers(self) -> CurationConfig:
        stray = set(self.open_nomenclature_epithet_qualifiers) - set(
            self.open_nomenclature_qualifiers
        )
        if stray:
            raise ValueError(
                "open_nomenclature_epithet_qualifiers not in open_nomenclature_qualifiers: "
                + ", ".join(sorted(stray))
            )
        return self


#: A seed of numpy's default_rng: a non-negative integer.
Seed = Annotated[int, Field(ge=0)]


class SeedsConfig(_Strict):
    test: Seed = 1
    val: Seed = 3
    test_unseen: Seed = 5
    val_unseen: Seed = 7


class PartitionConfig(_Strict):
    """Species sets and splits (docs/curation.md#partition); defaults reproduce the original."""

    seeds: SeedsConfig = SeedsConfig()
    #: An unseen species needs at least this many rows (docs/curation.md#species-sets).
    unseen_min_rows: Annotated[int, Field(ge=1)] = 8
    #: Test step (docs/curation.md#test): target min(cap, floor(4 + (n-8)/4)) for n >= min_rows.
    test_min_rows: Annotated[int, Field(ge=1)] = 8
    test_target_cap: Annotated[int, Field(ge=1)] = 25
    test_lower_bound: Annotated[int, Field(ge=0)] = 3
    #: Val main step: a fraction of the remaining rows of species with at least val_min_rows.
    val_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.05
    val_min_rows: Annotated[int, Field(ge=1)] = 20
    #: Val long tail (docs/curation.md#long-tail): species with long_tail_min_rows to
    #: val_min_rows - 1 remaining rows.
    long_tail_min_rows: Annotated[int, Field(ge=1)] = 7
    #: Val_unseen step: a fraction of each unseen species' rows left after test_unseen.
    val_unseen_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.20
    #: The release this one follows (its directory, or a metadata CSV or Parquet file, any
    #: BIOSCAN-5M metadata CSV too): its records keep their splits where the policy of
    #: docs/curation.md#stable-partitioning allows.  Null: the original algorithm.
    previous_release: str | None = None


class Agent(_Strict):
    """A person or organisation that made or publishes the release (Croissant creator,
    publisher)."""

    name: Annotated[str, Field(min_length=1)]
    type: Literal["Person", "Organization"] = "Organization"
    url: str | None = None


#: The BIOSCAN-5M paper, whose curation rules the release applies (BibTeX: Croissant's citeAs).
BIOSCAN5M_CITATION = """\
@inproceedings{gharaee2024bioscan5m,
  title     = {{BIOSCAN-5M}: A Multimodal Dataset for Insect Biodiversity},
  author    = {Gharaee, Zahra and Lowe, Scott C. and Gong, ZeMing and Millan Arias, Pablo and
               Pellegrino, Nicholas and Wang, Austin T. and Haurum, Joakim Bruslund and
               Zarubiieva, Iuliia and Kari, Lila and Steinke, Dirk and Taylor, Graham W. and
               Fieguth, Paul and Chang, Angel X.},
  booktitle = {Advances in Neural Information Processing Systems},
  volume    = {37},
  year      = {2024},
  eprint    = {2406.12723},
  archivePrefix = {arXiv}
}
"""


class ReleaseConfig(_Strict):
    """Where and under which name the release is written, and how it describes itself."""

    name: str = "BIOSCAN-5M-rebuild"
    #: Names the published version's directory too, so it is a plain name (``0.1.0``, ``2.0rc1``).
    version: Annotated[str, Field(pattern=_VERSION)] = "0.1.0"
    #: Where readers find the release: a link to its current version (docs/decisions.md "A
    #: release is whole or absent").  Named ``bioscan5m``, its parent is the ``root`` of the
    #: BIOSCAN-5M client.
    output_dir: str = "results/bioscan5m"
    work_dir: str = "results/work"
    #: Base name of the metadata CSV/Parquet files: a plain file name, never a path.
    file_stem: Annotated[str, Field(pattern=_FILE_STEM)] = "BIOSCAN_5M_Insect_Dataset_metadata"
    description: str = (
        "DNA-barcoded arthropod specimens curated from a BOLD export with the BIOSCAN-5M label "
        "cleaning and partitioning rules."
    )
    license: str = "https://creativecommons.org/licenses/by/3.0/"
    #: Licence of the description itself (Croissant sdLicense); None: the data's licence.
    sd_license: str | None = None
    #: The web page of this release, where it is published; None until it is (the upstream
    #: BIOSCAN-5M page is not this release's page).
    url: str | None = None
    #: Other pages of this same release (a DOI, a Hub page).
    same_as: list[str] = []
    creators: Annotated[list[Agent], Field(min_length=1)] = [Agent(name="bioscan-curation")]
    #: Who publishes the release; empty: its creators.
    publishers: list[Agent] = []
    keywords: list[str] = [
        "biodiversity",
        "DNA barcoding",
        "insects",
        "taxonomic classification",
        "BIOSCAN-5M",
        "BOLD",
    ]
    #: BibTeX of the work to cite (the curation method's paper by default).
    citation: str = BIOSCAN5M_CITATION
    #: ISO date (``2026-11-23``); YAML may give it as a date or as text.
    date_published: Annotated[datetime.date, Field(strict=False)] = datetime.date(2026, 11, 23)
    #: Date of the first version (Croissant dateCreated); None: ``date_published``.
    date_created: Annotated[datetime.date | None, Field(strict=False)] = None
    #: Rows per Parquet row group (DuckDB prunes per group: docs/formats.md#parquet).
    parquet_row_group_size: Annotated[int, Field(ge=2048)] = 131_072
    #: A release to compare this one with: a release directory or metadata CSV/Parquet file of
    #: this pipeline, or a BIOSCAN-5M metadata CSV.  The diff goes into the release's ``diff/``
    #: folder (docs/formats.md#release-diff); None: no diff.
    compare_with: str | None = None


class PipelineConfig(_Strict):
    """The whole of ``config.yaml``."""

    input: InputConfig = InputConfig()
    curation: CurationConfig = CurationConfig()
    partition: PartitionConfig = PartitionConfig()
    release: ReleaseConfig = ReleaseConfig()
    #: Number of independent jobs for the per-barcode stages (normalise -> resolve -> infer).
    shards: Annotated[int, Field(ge=1, le=4096)] = 1
    #: Threads each polars job declares, so Snakemake runs jobs side by side within --cores.
    threads: Annotated[int, Field(ge=1)] = 2
    #: Memory one job may use, in GiB.  Stages whose working set would grow past it work in
    #: pieces (bounded batches, sorted runs on disk), so the release is the same for any value.
    memory_gb: Annotated[float, Field(gt=0, le=4096, strict=False)] = 3.0

    #: Settings that do not decide a release's bytes: how a build runs (shards, threads) and
    #: where files are read and written.  The inputs enter the release's digest by their
    #: checksums instead of their paths, so the same inputs and settings give the same release
    #: wherever they are built (docs/decisions.md, "Config digest").
    NOT_CONTENT: ClassVar[dict[str, Any]] = {
        "shards": True,
        "threads": True,
        "memory_gb": True,
        "input": {"files", "bioscan1m_metadata", "bounding_boxes"},
        "curation": {"corrections_table"},
        # its table's checksum is one of the digest's inputs, as the exports' are
        "partition": {"previous_release"},
        "release": {"output_dir", "work_dir", "compare_with"},
    }

    def content_settings(self) -> dict[str, Any]:
        """The settings that decide the release's content, as plain JSON-able values."""
        return self.model_dump(mode="json", exclude=self.NOT_CONTENT)

    @model_validator(mode="after")
    def _separate_dirs(self) -> PipelineConfig:
        """The release and work directories are separate, and neither is a place a build must
        never replace: the file system root, the home directory, or the directory the build runs
        in or one of its parents.  Paths are compared resolved, so ``out`` and ``./out/`` or a
        symlink to it are the same directory."""
        output = _resolved_place(self.release.output_dir)
        work = _resolved_place(self.release.work_dir)
        cwd, home = Path.cwd().resolve(), Path.home().resolve()
        for key, path in (("output_dir", output), ("work_dir", work)):
            if path == home or path == cwd or path in cwd.parents or path in home.parents:
                raise ValueError(
                    f"release.{key} ({path}) is the working directory, the home directory or one "
                    "of their parents: name a directory of its own, e.g. results/bioscan5m"
                )
        if output == work or output in work.parents or work in output.parents:
            raise ValueError(
                f"release.output_dir ({self.release.output_dir}) and release.work_dir "
                f"({self.release.work_dir}) must be separate directories, neither inside the other"
            )
        return self


def _resolved_place(path: str) -> Path:
    """``path`` with its parents resolved but not itself: the release directory is a link that
    publishing replaces, so where it points does not matter, where it is does."""
    absolute = Path(os.path.normpath(Path(path).expanduser().absolute()))
    return absolute.parent.resolve() / absolute.name if absolute.name else absolute


class ConfigError(ValueError):
    """A configuration problem, phrased for the person who edits config.yaml."""


def load_config(
    raw: dict[str, Any],
    source: str = "config.yaml",
    command_line: dict[str, Any] | None = None,
) -> PipelineConfig:
    """Validate a raw config mapping; raise :class:`ConfigError` naming every bad key.

    ``command_line`` holds the values given with ``--config`` (already merged into ``raw``): an
    error in one of them says so, instead of blaming the config file.
    """
    try:
        return PipelineConfig.model_validate(raw or {})
    except ValidationError as err:
        lines = [_problem(problem, command_line or {}) for problem in err.errors()]
        raise ConfigError(f"invalid configuration ({source}):\n" + "\n".join(lines)) from None


def typed_command_line(values: dict[str, Any]) -> dict[str, Any]:
    """``--config`` values with the numbers and booleans of their nested JSON typed.

    Snakemake types a top-level ``key=value`` itself (``shards=4`` is 4) but reads a nested
    value such as ``partition={"seeds": {"test": 2}}`` with YAML's base loader, which gives
    every leaf as text.  A mapping's leaf that is JSON for a number, ``true``/``false`` or
    ``null`` is typed here; anything else stays text and meets the strict validation.
    """
    return {
        key: _typed(value) if isinstance(value, dict) else value for key, value in values.items()
    }


def _typed(value: Any) -> Any:
    """A mapping's text leaves typed (lists hold file names: their text stays text)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if parsed is None or isinstance(parsed, bool | int | float):
            return parsed
    return value


def _problem(problem: Any, command_line: dict[str, Any]) -> str:
    """One error line: the dotted key, the message, where the value came from, a near-miss key."""
    loc = [str(part) for part in problem["loc"]]
    key = ".".join(loc) or "release"
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        message = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
        if known and not close:
            message += f" (known here: {', '.join(sorted(known))})"
    elif problem["type"] == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(problem["ctx"]["pattern"])
        message = f"{problem['input']!r} is not {words}" if words else message
    elif problem["type"] != "value_error" and isinstance(
        problem.get("input"), str | int | float | bool
    ):
        message += f", not {problem['input']!r}"  # a value the user typed: say which
    return f"  {key}: {message}" + (" (from --config)" if _given(command_line, loc) else "")


def _known_keys(path: list[str]) -> list[str]:
    """The keys the model at ``path`` accepts."""
    model: Any = PipelineConfig
    for part in path:
        field = model.model_fields.get(part)
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    return list(model.model_fields) if issubclass(model, BaseModel) else []


def _given(values: dict[str, Any], loc: list[str]) -> bool:
    """Is the value at ``loc`` (or a section that holds it) one of ``values``?"""
    if not loc:
        return False
    node: Any = values
    for part in loc:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True
