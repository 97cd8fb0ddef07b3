"""Config validation: defaults are the original's, and every mistake names its key."""

import re

import pytest
import yaml

from schemas.config import ConfigError, PipelineConfig, load_config, typed_command_line
from tests.support import ROOT


def test_shipped_config_is_valid_and_equals_defaults():
    shipped = load_config(yaml.safe_load((ROOT / "config.yaml").read_text()))
    assert shipped == PipelineConfig()


def test_defaults_are_the_original_constants():
    cfg = PipelineConfig()
    assert (cfg.partition.seeds.test, cfg.partition.seeds.val) == (1, 3)
    assert (cfg.partition.seeds.test_unseen, cfg.partition.seeds.val_unseen) == (5, 7)
    assert cfg.curation.vote_threshold == 0.90
    assert cfg.partition.unseen_min_rows == 8
    assert cfg.input.target_marker == "COI-5P"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"curation": {"vote_treshold": 0.9}}, "curation.vote_treshold"),
        ({"shards": "many"}, "shards"),
        ({"shards": 0}, "shards"),
        ({"partition": {"seeds": {"test": "one"}}}, "partition.seeds.test"),
        ({"unknown_section": {}}, "unknown_section"),
        ({"curation": {"vote_threshold": 0.4}}, "curation.vote_threshold"),
    ],
)
def test_errors_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=rf"(?m)^  {key}: "):
        load_config(raw)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"partition": {"seeds": {"test": "1"}}}, "partition.seeds.test"),
        ({"partition": {"seeds": {"test": True}}}, "partition.seeds.test"),
        ({"partition": {"seeds": {"test": 1.0}}}, "partition.seeds.test"),
        ({"partition": {"seeds": {"val": -1}}}, "partition.seeds.val"),
        ({"curation": {"remove_open_nomenclature": "yes"}}, "curation.remove_open_nomenclature"),
        ({"release": {"date_published": "yesterday"}}, "release.date_published"),
        ({"release": {"file_stem": "../../../escaped"}}, "release.file_stem"),
        ({"release": {"file_stem": "a/b"}}, "release.file_stem"),
        ({"input": {"generator": {"records": "1000"}}}, "input.generator.records"),
        ({"release": {"version": "../0.2"}}, "release.version"),
        ({"release": {"version": "0.2 beta"}}, "release.version"),
        ({"release": {"creators": []}}, "release.creators"),
        ({"release": {"creators": [{"name": "A", "type": "Robot"}]}}, "release.creators.0.type"),
    ],
)
def test_values_are_never_coerced(raw, key):
    with pytest.raises(ConfigError, match=rf"(?m)^  {key}: "):
        load_config(raw)


def test_a_near_miss_key_gets_a_suggestion_and_command_line_values_are_named():
    with pytest.raises(ConfigError) as caught:
        load_config({"shard": 2}, "config.yaml, --config", command_line={"shard": 2})
    assert str(caught.value) == (
        "invalid configuration (config.yaml, --config):\n"
        "  shard: unknown key; did you mean 'shards'? (from --config)"
    )


def test_a_wrong_value_is_quoted_in_its_message():
    with pytest.raises(ConfigError) as caught:
        load_config({"partition": {"val_fraction": "0.05x"}})
    assert str(caught.value).splitlines()[1] == (
        "  partition.val_fraction: Input should be a valid number, not '0.05x'"
    )


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (
            {"release": {"version": "v 1"}},
            (
                "  release.version: 'v 1' is not a plain name: a letter or digit, then up to 63 "
                "letters, digits or . _ + - (from --config)"
            ),
        ),
        (
            {"curation": {"open_nomenclature_qualifiers": ["sp", "Sp"]}},
            (
                "  curation.open_nomenclature_qualifiers.1: 'Sp' is not lower-case words separated "
                "by a dot and/or a space (e.g. 'sp. nov') (from --config)"
            ),
        ),
    ],
)
def test_a_pattern_is_explained_in_words_and_list_items_are_traced_to_the_command_line(raw, line):
    with pytest.raises(ConfigError) as caught:
        load_config(raw, "--config", command_line=raw)
    assert str(caught.value).splitlines()[1:] == [line]


def test_nested_command_line_values_are_typed_like_json():
    given = {"shards": 4, "partition": {"seeds": {"test": "2"}}, "input": {"files": ["12"]}}
    typed = typed_command_line(given)
    assert typed == {"shards": 4, "partition": {"seeds": {"test": 2}}, "input": {"files": ["12"]}}
    assert load_config(typed).partition.seeds.test == 2


@pytest.mark.parametrize(
    ("output_dir", "work_dir"),
    [("out", "out"), ("out", "./out/"), ("out", "out/work"), ("results/w/rel", "results/w")],
)
def test_output_and_work_dirs_are_separate_after_resolving(output_dir, work_dir):
    with pytest.raises(ConfigError, match="separate directories"):
        load_config({"release": {"output_dir": output_dir, "work_dir": work_dir}})


def test_a_published_release_is_compared_where_its_link_is_not_where_it_points(tmp_path):
    # output_dir is a link into its versions directory once published; its target does not
    # decide whether it is inside the work directory.
    versions = tmp_path / "results" / "bioscan5m.versions" / "0.1.0-aaaaaaaaaaaa"
    versions.mkdir(parents=True)
    (tmp_path / "results" / "bioscan5m").symlink_to("bioscan5m.versions/0.1.0-aaaaaaaaaaaa")
    release = {"output_dir": str(tmp_path / "results" / "bioscan5m")}
    load_config({"release": {**release, "work_dir": str(tmp_path / "results" / "work")}})
    with pytest.raises(ConfigError, match="separate directories"):
        load_config({"release": {**release, "work_dir": str(tmp_path / "results")}})


def test_the_default_release_is_the_bioscan5m_clients_and_claims_no_upstream_page():
    release = PipelineConfig().release
    assert release.output_dir == "results/bioscan5m" and release.url is None
    assert release.citation.startswith("@inproceedings{gharaee2024bioscan5m,")


@pytest.mark.parametrize("output_dir", ["/", ".", "..", "~"])
def test_the_release_never_replaces_root_home_or_working_directory(output_dir):
    with pytest.raises(ConfigError, match="directory of its own"):
        load_config({"release": {"output_dir": output_dir}})


def test_content_settings_leave_out_how_and_where_the_build_runs():
    one = load_config({"shards": 1})
    elsewhere = load_config(
        {
            "shards": 8,
            "threads": 4,
            "input": {"files": ["/data/export.tsv"]},
            "release": {"output_dir": "x/rel", "work_dir": "y/work"},
        }
    )
    assert one.content_settings() == elsewhere.content_settings()
    assert "shards" not in one.content_settings()
    assert "output_dir" not in one.content_settings()["release"]
    assert (
        load_config({"partition": {"seeds": {"test": 2}}}).content_settings()
        != one.content_settings()
    )


def test_config_yaml_points_only_at_documents_inside_the_repository():
    text = (ROOT / "config.yaml").read_text()
    assert "../" not in text and "/shared/" not in text
    references = re.findall(r"\b((?:docs|schemas|curation|resources)/[\w./-]*\w)", text)
    assert "docs/curation.md" in references
    for reference in references:
        assert (ROOT / reference).exists(), reference
