"""Codebook loading, validation errors (with clear messages) and hashing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from qualsynth.errors import InputError
from qualsynth.themes.codebook import load_codebook, parse_codebook
from themes_fixtures import small_codebook, write_codebook

REPO = Path(__file__).resolve().parents[1]
_REQUIRED = """setup setup.structures setup.history quality context context.covid
context.waiting_lists context.finance context.workforce_pressure partnerships
partnerships.leadership partnerships.key_partners partnerships.key_partners.acute
partnerships.key_partners.primary_care partnerships.key_partners.local_government
partnerships.key_partners.patient_voice partnerships.key_partners.vcse
partnerships.collaboration partnerships.collaboration.health_dominance
partnerships.collaboration.culture workforce workforce.recruitment workforce.retention
workforce.redesign workforce.training workforce.wellbeing workforce.planning dementia
dementia.diagnosis dementia.post_diagnostic_support dementia.carers place place.partnerships
place.delegation place.neighbourhood enablers enablers.relationships enablers.shared_vision
enablers.system_leadership enablers.clinical_leadership enablers.local_authority_partnership
enablers.local_identity enablers.integrated_models enablers.financial_stability
enablers.transformation_funding enablers.national_support barriers barriers.legislation
barriers.competition barriers.regulation barriers.language barriers.competing_demands
barriers.funding_pressure national leadership_components
leadership_components.inspiring_intent leadership_components.creating_conditions
leadership_components.balancing_perspectives leadership_components.working_with_power
leadership_components.wider_view leadership_components.learning_development
leadership_components.clarifying_complexity"""
REQUIRED_IDS = _REQUIRED.split()


def _error(doc: dict, tmp_path: Path) -> InputError:
    path = write_codebook(tmp_path / "codebook.yaml", doc)
    with pytest.raises(InputError) as info:
        load_codebook(path)
    return info.value


def test_project_codebook_is_valid_and_complete() -> None:
    cb = load_codebook(REPO / "config" / "codebook.yaml")
    assert set(REQUIRED_IDS) <= set(cb.ids)
    assert cb.version.count(".") == 2
    for code in cb.codes:
        assert code.definition and code.when_to_use and code.when_not_to_use and code.example
    # every required leaf has at least one rule of its own
    for cid in REQUIRED_IDS:
        children = [c for c in cb.ids if cb.by_id[c].parent == cid]
        if not children:
            assert cb.by_id[cid].rules, f"{cid} has no rules"


def test_unknown_parent_is_reported_with_line(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["parent"] = "workforse"
    err = _error(doc, tmp_path)
    assert "unknown parent 'workforse'" in str(err)
    assert err.line is not None
    lines = (tmp_path / "codebook.yaml").read_text().splitlines()
    assert "workforse" in lines[err.line - 1]


def test_duplicate_code_id(tmp_path: Path) -> None:
    doc = small_codebook()
    dup = copy.deepcopy(doc["codes"][4])
    dup["rules"] = []
    doc["codes"].append(dup)
    err = _error(doc, tmp_path)
    assert "duplicate code id 'primary_care'" in str(err)


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][5]["rules"][0]["pattern"] = "(unclosed"
    err = _error(doc, tmp_path)
    assert "waits/regex" in str(err) and "does not compile" in str(err)


def test_rule_with_no_terms(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["terms"] = []
    err = _error(doc, tmp_path)
    assert "rule 'workforce.recruitment/terms'" in str(err)
    assert "has no terms" in str(err)


def test_rule_missing_terms_key(tmp_path: Path) -> None:
    doc = small_codebook()
    del doc["codes"][1]["rules"][0]["terms"]
    err = _error(doc, tmp_path)
    assert "has no terms" in str(err)


def test_exclusion_that_would_cancel_its_own_term(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["exclude"] = ["recruiting"]  # same stem as "recruit"
    err = _error(doc, tmp_path)
    assert "could never fire" in str(err)


def test_missing_definition_field_and_bad_kind(tmp_path: Path) -> None:
    doc = small_codebook()
    del doc["codes"][2]["when_not_to_use"]
    assert "'when_not_to_use' is required but missing" in str(_error(doc, tmp_path))
    doc = small_codebook()
    doc["codes"][2]["rules"][0]["kind"] = "fuzzy"
    assert "'fuzzy' is not allowed; use one of: terms, regex, cooccurrence" in str(
        _error(doc, tmp_path))


def test_rule_id_must_belong_to_its_code(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["id"] = "workforce.training/terms2"
    assert "must start with its code id" in str(_error(doc, tmp_path))


def test_child_id_must_extend_parent(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][4]["parent"] = "workforce"
    assert "must start with its parent's id" in str(_error(doc, tmp_path))


def test_hash_ignores_layout_but_not_content() -> None:
    doc = small_codebook()
    a = parse_codebook(yaml.safe_dump(doc))
    b = parse_codebook("# a comment\n" + yaml.safe_dump(doc, default_flow_style=True))
    assert a.hash == b.hash and len(a.hash) == 64
    doc["codes"][1]["rules"][0]["terms"].append("headhunt")
    assert parse_codebook(yaml.safe_dump(doc)).hash != a.hash


def test_hierarchy_helpers() -> None:
    cb = parse_codebook(yaml.safe_dump(small_codebook()))
    assert cb.ancestors("workforce.recruitment") == ["workforce"]
    assert cb.with_ancestors({"workforce.training"}) == {"workforce", "workforce.training"}
    assert cb.depth("workforce") == 0 and cb.top_level("workforce.training") == "workforce"


def test_rule_studies_must_be_a_list_of_ids(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["studies"] = "workforce"
    err = _error(doc, tmp_path)
    assert "studies" in str(err)
    doc["codes"][1]["rules"][0]["studies"] = ["Work Force"]
    assert "studies" in str(_error(doc, tmp_path))


def test_codebook_for_coders_keeps_definitions_and_drops_every_rule() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "codebook_for_coders", REPO / "scripts" / "codebook_for_coders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (REPO / "config" / "codebook.yaml").read_text(encoding="utf-8")
    rendered = module.render(text)
    codebook = load_codebook(REPO / "config" / "codebook.yaml")
    assert f"(version {codebook.version})" in rendered
    assert "Code the most specific code that fits" in rendered
    for code in codebook.codes:
        assert f"## `{code.id}` - {code.name}" in rendered
        assert " ".join(code.definition.split()) in rendered
        for rule in code.rules:
            assert rule.id not in rendered
    assert "rules:" not in rendered and "cooccurrence" not in rendered
    assert "Snowball" not in rendered   # the header's description of rules is left out
