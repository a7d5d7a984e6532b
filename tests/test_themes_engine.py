"""The rule engine: word forms, exclusions, co-occurrence windows, scope, pseudonyms."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from qualsynth.themes.codebook import load_codebook, parse_codebook
from qualsynth.themes.engine import Engine, tag_lines
from qualsynth.themes.rules import mask_brackets, term_matchers, tokenize
from themes_fixtures import small_codebook

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(parse_codebook(yaml.safe_dump(small_codebook())))


@pytest.fixture(scope="module")
def project_engine() -> Engine:
    return Engine(load_codebook(REPO / "config" / "codebook.yaml"))


def codes_of(engine: Engine, text: str, role: str = "participant") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _no, _s, rule, evidence in engine.tag_text(text, role):
        out.setdefault(rule.code, []).extend(evidence)
    return out


@pytest.mark.parametrize("text", ["We recruit locally.", "Recruiting is hard.",
                                  "The recruitment drive worked.", "We recruited twelve."])
def test_word_forms_match_on_stems(engine: Engine, text: str) -> None:
    assert "workforce.recruitment" in codes_of(engine, text)


def test_word_forms_do_not_overreach(engine: Engine) -> None:
    assert codes_of(engine, "The recreation ground was busy.") == {}


def test_exclusion_learning_disability_is_not_learning(engine: Engine) -> None:
    assert "workforce.training" not in codes_of(engine, "Services for learning disabilities.")
    got = codes_of(engine, "Learning disabilities aside, learning together matters.")
    assert got["workforce.training"] == ["learning"]


def test_exclusion_nhs_trust_is_not_trust_between_people(engine: Engine) -> None:
    assert "relationships" not in codes_of(engine, "The NHS trust between the two towns.")
    assert "relationships" in codes_of(engine, "There is real trust between us.")


def test_cooccurrence_window(engine: Engine) -> None:
    # window 3: at most three words between "trust" and "each other"
    assert "relationships" in codes_of(engine, "We trust each other.")
    assert "relationships" in codes_of(engine, "We trust, I think, each other.")
    assert "relationships" not in codes_of(
        engine, "We trust the process and, as it happens, each other.")


def test_cooccurrence_sentence_window() -> None:
    doc = small_codebook()
    doc["codes"][3]["rules"][0]["window"] = "sentence"
    eng = Engine(parse_codebook(yaml.safe_dump(doc)))
    assert "relationships" in codes_of(
        eng, "We trust the process and, as it happens, each other.")
    # the unit is the sentence: a context term in the next sentence does not count
    assert "relationships" not in codes_of(eng, "We trust the process. And each other.")


def test_default_window_comes_from_settings() -> None:
    doc = small_codebook()
    del doc["codes"][3]["rules"][0]["window"]
    cb = parse_codebook(yaml.safe_dump(doc))
    text = "We trust the process and, as it happens, each other."
    assert "relationships" not in codes_of(Engine(cb, default_window=2), text)
    assert "relationships" in codes_of(Engine(cb, default_window=20), text)


def test_scope_excludes_interviewer_turns_by_default(engine: Engine) -> None:
    text = "Tell me how you recruit."
    assert codes_of(engine, text, "interviewer") == {"questions": ["Tell me"]}
    assert "questions" not in codes_of(engine, text, "participant")
    units = [{"turn_id": "s/d/t001", "study": "s", "text": text, "speaker_role": "interviewer"},
             {"turn_id": "s/d/t002", "study": "s", "text": "We recruit.",
              "speaker_role": "participant"}]
    coded = {(c.segment_id, c.code) for c in engine.tag_units(units)}
    assert coded == {("s/d/t001", "questions"), ("s/d/t002", "workforce.recruitment")}


def test_scope_all() -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["scope"] = "all"
    eng = Engine(parse_codebook(yaml.safe_dump(doc)))
    assert "workforce.recruitment" in codes_of(eng, "How do you recruit?", "interviewer")


def test_acronyms_are_case_sensitive(engine: Engine) -> None:
    assert codes_of(engine, "The GPs and the PCN agreed.")["primary_care"] == ["GPs", "PCN"]
    assert "primary_care" not in codes_of(engine, "The gp said pcn.")


def test_regex_rule(engine: Engine) -> None:
    assert codes_of(engine, "There is a 52 weeks wait for that.")["waits"] == ["52 weeks wait"]


def test_pseudonym_tokens_never_code(engine: Engine, project_engine: Engine) -> None:
    assert codes_of(engine, "I spoke to [NHS trust 3] and [Person 12] about it.") == {}
    assert codes_of(engine, "[Training hub 2] sent [Participant P07] over.") == {}
    # a phrase may not bridge a pseudonym: "the [NHS trust 2] board" is not "the board"
    text = "The [NHS trust 2] board met with [Person 4] from [Healthwatch 1] and [Council 3]."
    assert codes_of(project_engine, text) == {}


def test_mask_keeps_offsets() -> None:
    text = "Ask [Person 12] now."
    masked = mask_brackets(text)
    assert len(masked) == len(text)
    assert [t.surface for t in tokenize(masked)][0] == "Ask"
    assert "Person" not in masked


def test_term_compilation() -> None:
    assert term_matchers("Recruiting staff") == (("s", "recruit"), ("s", "staff"))
    assert term_matchers("collaborat*") == (("p", "collaborat"),)
    assert term_matchers("GPs") == (("a", "GP"),)
    assert term_matchers("co-lead") == (("s", "co"), ("s", "lead"))


def test_evidence_and_hash_recorded(engine: Engine) -> None:
    units = [{"segment_id": "st/doc/t001/s01", "study": "st",
              "text": "First sentence. We are hiring and we recruit nurses."}]
    codings = list(engine.tag_units(units))
    assert len(codings) == 1
    c = codings[0]
    assert c.code == "workforce.recruitment" and c.rule == "workforce.recruitment/terms"
    assert c.evidence == "hiring; recruit"
    assert c.sentence_no == 2 and c.sentence.startswith("We are hiring")
    assert c.codebook_hash == engine.codebook.hash and len(c.codebook_hash) == 64
    assert c.codebook_version == "0.1.0"


def test_project_codebook_examples(project_engine: Engine) -> None:
    """The issue's examples hold for the real codebook."""
    got = codes_of(project_engine, "The chief executive of the NHS trust chaired it.")
    assert "enablers.relationships" not in got
    got = codes_of(project_engine, "Over the years we have built real trust between us.")
    assert "enablers.relationships" in got
    got = codes_of(project_engine, "Support for people with learning disabilities improved.")
    assert "leadership_components.learning_development" not in got
    got = codes_of(project_engine, "We learned a lot from the pilot.")
    assert "leadership_components.learning_development" in got
    got = codes_of(project_engine, "Competing priorities meant the day job won.")
    assert "barriers.competing_demands" in got and "barriers.competition" not in got
    got = codes_of(project_engine, "Local government is a partner; government is not.")
    assert got["national"] == ["government"]


def test_tag_lines_format(engine: Engine) -> None:
    out = list(tag_lines(engine, ["We recruit.", "", "Nothing here.", "GPs recruit."]))
    assert [r["line"] for r in out] == [1, 3, 4]
    assert out[1]["codes"] == []
    assert out[2]["codes"] == [
        {"code": "workforce.recruitment", "rule": "workforce.recruitment/terms",
         "evidence": "recruit"},
        {"code": "primary_care", "rule": "primary_care/acronym", "evidence": "GPs"}]


@pytest.mark.parametrize(("text", "code", "expected"), [
    # precision fixes of codebook 1.2.0 (invented sentences)
    ("We responded acutely to the outbreak.", "partnerships.key_partners.acute", False),
    ("The acute trusts set the agenda.", "partnerships.key_partners.acute", True),
    ("There is still competition between trusts for nurses.", "enablers.relationships", False),
    ("We trust each other now.", "enablers.relationships", True),
    ("Joint recruitment to care roles has started.", "dementia.carers", False),
    ("I took him to the GP last spring.", "partnerships.key_partners.primary_care", False),
    ("GPs are drowning in demand.", "partnerships.key_partners.primary_care", True),
    ("We heard about it years ago.", "setup.history", False),
    ("Under the old CCG we did it differently.", "setup.history", True),
    ("The role of place is still unclear.", "place.partnerships", False),
    ("The role of place is still unclear.", "place", True),
    ("The place board agreed it.", "place.partnerships", True),
    # recall additions: themes without fixed wording
    ("The deficit means the prevention work has been paused.", "barriers.funding_pressure",
     True),
    ("There are far too many meetings.", "barriers.competing_demands", True),
    ("It felt like the NHS talking to itself.",
     "partnerships.collaboration.health_dominance", True),
    ("She is short of nurses on every ward.", "context.workforce_pressure", True),
])
def test_project_codebook_rules_1_2(project_engine: Engine, text: str, code: str,
                                     expected: bool) -> None:
    assert (code in codes_of(project_engine, text)) is expected


def test_rule_limited_to_studies() -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["studies"] = ["workforce"]
    eng = Engine(parse_codebook(yaml.safe_dump(doc)))
    units = [{"segment_id": "workforce/a/t001/s01", "study": "workforce",
              "text": "We recruit locally."},
             {"segment_id": "dementia/b/t001/s01", "study": "dementia",
              "text": "We recruit locally."}]
    coded = {(c.segment_id, c.code) for c in eng.tag_units(units)}
    assert coded == {("workforce/a/t001/s01", "workforce.recruitment")}
    # tag-text: without a study the limited rule does not apply; with the right one it does
    assert list(tag_lines(eng, ["We recruit locally."]))[0]["codes"] == []
    assert list(tag_lines(eng, ["We recruit locally."], "workforce"))[0]["codes"][0][
        "code"] == "workforce.recruitment"


def test_project_place_study_rule() -> None:
    eng = Engine(load_codebook(REPO / "config" / "codebook.yaml"))
    text = "Some partners still treat the board as somewhere to report rather than decide."
    place = {c.code for c in eng.tag_units([{"segment_id": "x", "study": "place",
                                             "text": text}])}
    quality = {c.code for c in eng.tag_units([{"segment_id": "y", "study": "quality",
                                               "text": text}])}
    assert "place.partnerships" in place
    assert "place.partnerships" not in quality
