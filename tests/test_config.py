"""Config validation: the shipped config is valid; invalid ones name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from qualsynth.config import get_study, load_config, validate_config
from qualsynth.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def config() -> dict:
    return load_config(REPO / "config" / "config.yaml")


def test_shipped_config_is_valid(config: dict) -> None:
    assert {s["id"] for s in config["studies"]} >= {"workforce", "dementia", "place", "quality"}


@pytest.mark.parametrize(("mutate", "key", "message"), [
    (lambda c: c["studies"][0].update(kind="focus_group"), "studies.0.kind", "interview, survey"),
    (lambda c: c["studies"][0].pop("lens"), "studies.0", "'lens' is required"),
    (lambda c: c.update(colour="blue"), "(top level)", "allowed keys"),
    (lambda c: c["ingest"].update(segment_min_words="sixty"), "ingest.segment_min_words",
     "integer"),
    (lambda c: c["studies"].append(dict(c["studies"][0])), "studies.4.id", "duplicate"),
    (lambda c: c["ingest"].update(segment_min_words=500), "ingest.segment_min_words",
     "smaller"),
])
def test_invalid_config_names_key(config: dict, mutate, key: str, message: str) -> None:
    bad = copy.deepcopy(config)
    mutate(bad)
    with pytest.raises(ConfigError) as info:
        validate_config(bad, "cfg.yaml")
    assert info.value.field == key
    assert message in str(info.value)


def test_unknown_study_lookup(config: dict) -> None:
    with pytest.raises(ConfigError, match="unknown study 'nursing'"):
        get_study(config, "nursing")


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("project:\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line is not None


def test_schema_file_is_yaml() -> None:
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert "studies" in schema["properties"]
