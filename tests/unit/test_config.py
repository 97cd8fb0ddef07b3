"""Config validation: defaults are the original's, and every mistake names its key."""

import pytest
import yaml

from schemas.config import ConfigError, PipelineConfig, load_config
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


def test_output_and_work_dirs_must_differ():
    with pytest.raises(ConfigError, match="must differ"):
        load_config({"release": {"output_dir": "out", "work_dir": "out"}})


def test_release_settings_leave_out_how_the_build_runs():
    one, many = load_config({"shards": 1}), load_config({"shards": 8, "threads": 4})
    assert one.release_settings() == many.release_settings()
    assert "shards" not in one.release_settings()
    assert (
        load_config({"partition": {"seeds": {"test": 2}}}).release_settings()
        != one.release_settings()
    )
