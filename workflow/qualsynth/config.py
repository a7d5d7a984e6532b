"""Load and validate ``config/config.yaml`` against the JSON Schema in ``workflow/schemas``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qualsynth.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def load_schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _describe(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into 'what is wrong and what is allowed'."""
    validator = error.validator
    if validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{error.instance!r} is not allowed; use one of: {allowed}"
    if validator == "required":
        return error.message.replace("is a required property", "is required but missing")
    if validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; allowed keys: {allowed}"
    if validator == "type":
        return f"{error.instance!r} should be of type {error.validator_value}"
    if validator == "pattern":
        return f"{error.instance!r} does not match the pattern {error.validator_value}"
    return error.message


def validate_config(config: dict[str, Any], source: str | Path = "config/config.yaml") -> None:
    """Raise ConfigError naming the first invalid key (schema, then cross-field checks)."""
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(source, _describe(err), field=key)
    ids = [s["id"] for s in config["studies"]]
    seen: set[str] = set()
    for i, sid in enumerate(ids):
        if sid in seen:
            raise ConfigError(source, f"duplicate study id {sid!r}", field=f"studies.{i}.id")
        seen.add(sid)
    for i, study in enumerate(config["studies"]):
        if study["kind"] == "survey" and "survey" not in study:
            raise ConfigError(source, "a survey study needs a 'survey' block",
                              field=f"studies.{i}.survey")
    ing = config["ingest"]
    if ing["segment_min_words"] >= ing["segment_max_words"]:
        raise ConfigError(source, "must be smaller than ingest.segment_max_words",
                          field="ingest.segment_min_words")
    for key in ("studies",):
        for name in config.get("report", {}).get(key, []) or []:
            if name not in seen:
                raise ConfigError(source, f"unknown study {name!r}; declared studies: "
                                  f"{', '.join(ids)}", field=f"report.{key}")


def load_config(path: str | Path = "config/config.yaml") -> dict[str, Any]:
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "config file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                          line=mark.line + 1 if mark else None) from None
    if not isinstance(config, dict):
        raise ConfigError(path, "the config must be a mapping of keys to values")
    validate_config(config, path)
    return config


def get_study(config: dict[str, Any], study_id: str, source: str | Path = "config") -> dict:
    """Return the study block for ``study_id`` or fail naming the declared studies."""
    for study in config["studies"]:
        if study["id"] == study_id:
            return study
    ids = ", ".join(s["id"] for s in config["studies"])
    raise ConfigError(source, f"unknown study {study_id!r}; declared studies: {ids}",
                      field="studies")


def study_dir(config: dict[str, Any], study: dict[str, Any]) -> Path:
    return Path(config["data_root"]) / study["data"]
