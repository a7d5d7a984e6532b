"""The supervised baseline of scripts/compare_classifier.py learns codes from words."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from qualsynth.themes.codebook import load_codebook
from themes_fixtures import small_codebook, write_codebook

REPO = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location(
        "compare_classifier", REPO / "scripts" / "compare_classifier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_classifier_learns_a_code_from_its_words_and_skips_rare_codes(tmp_path: Path) -> None:
    codebook = load_codebook(write_codebook(tmp_path / "cb.yaml", small_codebook()))
    fillers = ["the meeting ran late", "we talked about the plan", "nothing much changed",
               "the board met on tuesday", "people were tired", "the room was cold"]
    text, gold, train = {}, {}, []
    for i, filler in enumerate(fillers * 2):
        sid = f"r{i}"
        text[sid], gold[sid] = f"vacancies and advertising for nurses, {filler}", \
            {"workforce.recruitment"}
        train.append(sid)
        sid = f"o{i}"
        text[sid], gold[sid] = f"{filler} and the weather", set()
        train.append(sid)
    text["w0"], gold["w0"] = "waits of 12 weeks wait in the meeting", {"waits"}   # 1 example
    train.append("w0")
    text["t1"] = "more vacancies, so more advertising for nurses"
    text["t2"] = "the weather was cold and the board met"
    from qualsynth.themes.engine import Engine

    units = [{"segment_id": s, "text": text[s]} for s in ("t1", "t2")]
    rule_codings: dict[str, list] = {}
    for coding in Engine(codebook, "participant", 8).tag_units(units):
        rule_codings.setdefault(coding.segment_id, []).append(coding)
    predicted, combined = _script().classifier_predictions(
        codebook, train, ["t1", "t2"], text, gold, rule_codings, {"threshold": 0.5})
    assert predicted["t1"] == {"workforce.recruitment", "workforce"}   # parent rolled up
    assert predicted["t2"] == set()
    assert all("waits" not in codes for codes in predicted.values())   # < 3 examples: no model
    assert combined["t1"] >= predicted["t1"] and combined["t2"] == set()
    # with a veto, a rule's coding of a modelled code the classifier finds unlikely goes
    text["t3"] = "we recruit, but the weather and the weather and the weather"
    units = [{"segment_id": "t3", "text": text["t3"]}]
    rule_codings = {"t3": list(Engine(codebook, "participant", 8).tag_units(units))}
    assert rule_codings["t3"], "the rules code t3"
    _alone, kept = _script().classifier_predictions(
        codebook, train, ["t3"], text, gold, rule_codings, {"threshold": 0.5})
    _alone, vetoed = _script().classifier_predictions(
        codebook, train, ["t3"], text, gold, rule_codings, {"threshold": 0.5, "veto_below": 0.45})
    assert "workforce.recruitment" in kept["t3"] and "workforce.recruitment" not in vetoed["t3"]


def test_learning_curve_averages_over_several_held_out_sets(tmp_path: Path, capsys) -> None:
    from qualsynth.themes.evaluate import evaluate

    codebook = load_codebook(write_codebook(tmp_path / "cb.yaml", small_codebook()))
    fillers = ["the meeting ran late", "we talked about the plan", "nothing much changed",
               "the board met on tuesday", "people were tired", "the room was cold"]
    text, gold, set_of = {}, {}, {}
    for k, name in enumerate(("a", "b", "c")):
        for i, filler in enumerate(fillers):
            sid = f"{name}r{i}"
            text[sid], gold[sid] = f"vacancies and advertising, {filler}", \
                {"workforce.recruitment"}
            set_of[sid] = name
            sid = f"{name}o{i}"
            text[sid], gold[sid] = f"{filler} and the weather {k}", set()
            set_of[sid] = name

    def score(test, predicted):
        return evaluate(codebook, test, {s: gold[s] for s in test}, predicted, iterations=0,
                        seed=1, low_kappa=0.41, min_gold=2)

    code = _script().learning_curve(["a", "b"], set_of, {}, score, codebook, text, gold, 1,
                                     {}, {"threshold": 0.5}, sizes=[12, 99], draws=2)
    assert code == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| 12", "| all (24)"]   # 99 too big
    assert "Held-out set(s) a, b" in out


def test_per_code_thresholds_follow_the_recall_target(tmp_path: Path) -> None:
    codebook = load_codebook(write_codebook(tmp_path / "cb.yaml", small_codebook()))
    fillers = ["the meeting ran late", "we talked about the plan", "nothing much changed",
               "the board met on tuesday", "people were tired", "the room was cold",
               "the agenda was long", "we had a coffee"]
    text, gold, train = {}, {}, []
    for i, filler in enumerate(fillers * 2):
        sid = f"r{i}"
        # recruitment said in several ways, so cross-validation finds some hard to see
        text[sid] = [f"vacancies and advertising for nurses, {filler}",
                     f"we could not fill the posts, {filler}",
                     f"hiring was slow, {filler}"][i % 3]
        gold[sid] = {"workforce.recruitment"}
        train.append(sid)
        sid = f"o{i}"
        text[sid], gold[sid] = f"{filler} and the weather", set()
        train.append(sid)
    options = {"threshold": 0.5, "veto_below": 0.0}
    script = _script()
    easy = script.per_code_thresholds(codebook, train, text, gold, {}, options, 0.0, seed=1)
    impossible = script.per_code_thresholds(codebook, train, text, gold, {}, options, 1.01,
                                            seed=1)
    assert easy["workforce.recruitment"] == 0.5          # met at once: the single threshold
    assert impossible["workforce.recruitment"] == 0.15   # never met: the lowest step
    assert "waits" not in easy                           # no gold: no threshold of its own
    mid = script.per_code_thresholds(codebook, train, text, gold, {}, options, 0.9, seed=1)
    assert 0.15 <= mid["workforce.recruitment"] <= 0.5
    text["t1"] = "hiring nurses was slow and the posts stayed empty"
    strict = script.combined_with_thresholds(codebook, train, ["t1"], text, gold, {}, options,
                                             {"workforce.recruitment": 0.99})
    loose = script.combined_with_thresholds(codebook, train, ["t1"], text, gold, {}, options,
                                            {"workforce.recruitment": 0.01})
    assert "workforce.recruitment" not in strict["t1"]
    assert loose["t1"] >= {"workforce.recruitment", "workforce"}   # parent rolled up
