"""Coding patterns: codes learned from gold coding, added after the rules (opt-in)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from qualsynth.errors import InputError
from qualsynth.themes.codebook import load_codebook
from qualsynth.themes.patterns import (
    apply_patterns,
    fit_patterns,
    load_embedder,
    load_patterns,
    load_training,
    pattern_codings,
)
from test_themes_cli import run
from themes_fixtures import small_codebook, write_codebook

FILLERS = ["the meeting ran late", "we talked about the plan", "nothing much changed",
           "the board met on tuesday", "people were tired", "the room was cold"]


def _training() -> tuple[list[str], list[set[str]]]:
    texts, gold = [], []
    for filler in FILLERS * 2:
        texts.append(f"Vacancies keep growing and advertising brings nobody, {filler}.")
        gold.append({"workforce.recruitment"})
        texts.append(f"Well, {filler} and the weather was grim.")
        gold.append(set())
    return texts, gold


@pytest.fixture
def codebook(tmp_path: Path):
    return load_codebook(write_codebook(tmp_path / "cb.yaml", small_codebook()))


def test_learns_a_code_from_words_the_rules_do_not_have(codebook) -> None:
    texts, gold = _training()
    model = fit_patterns(codebook, texts, gold, min_examples=5)
    assert model.codes == ["workforce", "workforce.recruitment"]   # parent rolled up
    probs = model.probabilities(["So many vacancies, and advertising does nothing.",
                                 "The weather was grim and the room was cold."])
    k = model.codes.index("workforce.recruitment")
    assert probs[0, k] >= 0.5 > probs[1, k]


def test_codings_name_the_words_and_the_sentence_and_skip_interviewers(codebook) -> None:
    texts, gold = _training()
    model = fit_patterns(codebook, texts, gold, min_examples=5)
    units = [{"segment_id": "s1", "study": "alpha",
              "text": "It rained. So many vacancies, and advertising does nothing."},
             {"segment_id": "s2", "study": "alpha", "speaker_role": "interviewer",
              "text": "Vacancies and advertising?"},
             {"segment_id": "s3", "study": "alpha", "text": "[Person 3] [Person 3] [Person 3]."}]
    codings = list(pattern_codings(model, codebook, units))
    assert [(c.segment_id, c.code, c.rule) for c in codings] == [
        ("s1", "workforce.recruitment", "workforce.recruitment/pattern")]   # leaf only
    assert "vacancies" in codings[0].evidence or "advertising" in codings[0].evidence
    assert "(p=" in codings[0].evidence
    assert codings[0].sentence_no == 2 and codings[0].sentence.startswith("So many")
    assert codings[0].codebook_hash == codebook.hash


def test_json_is_deterministic_and_reads_back_to_the_same_model(codebook, tmp_path) -> None:
    texts, gold = _training()
    first = fit_patterns(codebook, texts, gold, min_examples=5).to_json()
    assert fit_patterns(codebook, texts, gold, min_examples=5).to_json() == first
    path = tmp_path / "patterns.json"
    path.write_text(first, encoding="utf-8")
    again = load_patterns(path, codebook)
    fresh = fit_patterns(codebook, texts, gold, min_examples=5)
    probe = ["vacancies everywhere", "a cold room"]
    assert (again.probabilities(probe) == fresh.probabilities(probe)).all()


def test_model_from_another_codebook_or_not_json_is_refused(codebook, tmp_path) -> None:
    texts, gold = _training()
    path = tmp_path / "patterns.json"
    path.write_text(fit_patterns(codebook, texts, gold, min_examples=5).to_json(),
                    encoding="utf-8")
    other = small_codebook("0.2.0")
    other["codes"][1]["rules"][0]["terms"].append("appoint")
    changed = load_codebook(write_codebook(tmp_path / "other.yaml", other))
    with pytest.raises(InputError, match="fit-patterns"):
        load_patterns(path, changed)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        load_patterns(path, codebook)


def _gold_set(folder: Path, texts: list[str], gold: list[set[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "texts.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["segment_id", "study", "role", "text"])
        w.writerows([f"t{i:02}", "alpha", "", t] for i, t in enumerate(texts))
    with open(folder / "codes.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["segment_id", "code", "rationale", "coder"])
        for i, codes in enumerate(gold):
            for code in sorted(codes) or [""]:
                w.writerow([f"t{i:02}", code, "", "T"])
    return folder


def test_training_never_includes_the_held_out_set(codebook, tmp_path) -> None:
    texts, gold = _training()
    folder = _gold_set(tmp_path / "set1", texts, gold)
    settings = {"patterns": {"use_demo_gold": False, "train_sets": [str(folder)]},
                "holdout_texts": str(folder / "texts.csv")}
    with pytest.raises(InputError, match="in-sample"):
        load_training(settings, codebook, [], "cfg.yaml")
    settings["holdout_texts"] = str(tmp_path / "elsewhere.csv")
    got, got_gold, provenance = load_training(settings, codebook, [], "cfg.yaml")
    assert got == texts and got_gold == gold
    assert provenance["sources"][0]["passages"] == len(texts)


def test_fit_patterns_then_tag_and_evaluate_holdout_use_it(tmp_path) -> None:
    from test_themes_cli import REPO

    texts, gold = _training()
    folder = _gold_set(tmp_path / "set1", texts, gold)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["processed_dir"] = str(tmp_path / "processed")
    config["studies"] = [{"id": "alpha", "title": "Alpha", "lens": "Testing",
                          "kind": "interview", "data": "alpha"}]
    config["themes"].update(codebook=str(write_codebook(tmp_path / "cb.yaml", small_codebook())),
                            holdout_texts=str(tmp_path / "held" / "texts.csv"),
                            patterns={"enabled": True, "use_demo_gold": False,
                                      "train_sets": [str(folder)], "min_examples": 5})
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    model = tmp_path / "patterns.json"
    code, _out, err = run("fit-patterns", "--config", str(cfg), "--out", str(model))
    assert code == 0, err
    assert "24 coded passages" in err
    segments = tmp_path / "segments.jsonl"
    segments.write_text(json.dumps({
        "segment_id": "alpha/a01/t002/s01", "document_id": "alpha/a01", "study": "alpha",
        "participant_id": "P01", "speaker_role": "participant", "ics_label": "ICS 1",
        "sector": "acute", "role": "lead", "time_point": "baseline",
        "text": "Vacancies everywhere, advertising brings nobody."}) + "\n", encoding="utf-8")
    code, _out, err = run("tag", "--config", str(cfg), "--segments", str(segments),
                          "--patterns", str(model), "--codings", str(tmp_path / "c.csv"),
                          "--segment-codes", str(tmp_path / "sc.csv"))
    assert code == 0, err
    with open(tmp_path / "c.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["rule"] for r in rows] == ["workforce.recruitment/pattern"]
    held = _gold_set(tmp_path / "held", ["So many vacancies and advertising fails.",
                                        "A cold room."], [{"workforce.recruitment"}, set()])
    out = tmp_path / "h.json"
    code, _out, err = run("evaluate-holdout", "--config", str(cfg), "--texts",
                          str(held / "texts.csv"), "--gold-codes", str(held / "codes.csv"),
                          "--second-codes", "none", "--patterns", str(model), "--out", str(out),
                          "--iterations", "0")
    assert code == 0, err
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["gold"]["coding_patterns"] is True
    rec = next(c for c in result["codes"] if c["code"] == "workforce.recruitment")
    assert rec["recall"] == 1.0 and rec["precision"] == 1.0


def test_tag_text_adds_learned_codes_after_the_rules(codebook, tmp_path) -> None:
    texts, gold = _training()
    model = tmp_path / "patterns.json"
    model.write_text(fit_patterns(codebook, texts, gold, min_examples=5).to_json(),
                     encoding="utf-8")
    lines = tmp_path / "lines.txt"
    lines.write_text("We recruit, but vacancies grow and advertising brings nobody.\n\n"
                     "The room was cold.\n", encoding="utf-8")
    code, out, err = run("tag-text", str(lines), "--codebook", str(tmp_path / "cb.yaml"),
                         "--config", str(tmp_path / "none.yaml"), "--patterns", str(model))
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in results] == [1, 3]
    assert [c["rule"] for c in results[0]["codes"]] == [
        "workforce.recruitment/terms", "workforce.recruitment/pattern"]
    assert results[1]["codes"] == []


def _m2v():
    """The committed static embedding model, as the config names it."""
    from test_themes_cli import REPO

    m2v = yaml.safe_load((REPO / "config" / "config.yaml").read_text(
        encoding="utf-8"))["topics"]["model2vec"]
    return load_embedder(REPO / m2v["path"], m2v["sha256"])


def test_embedding_features_are_stored_read_back_and_explained(codebook, tmp_path) -> None:
    texts, gold = _training()
    embedder = _m2v()
    model = fit_patterns(codebook, texts, gold, min_examples=5, embedder=embedder,
                         embedding_weight=0.7)
    dims = embedder.describe()["dims"]
    assert model.embedding is not None and model.embedding["dims"] == dims
    assert model.embedding["weight"] == 0.7 and model.embedding["sha256"] == embedder.sha256
    assert model.weights.shape == (len(model.codes), len(model.vocabulary) + dims)
    words_only = fit_patterns(codebook, texts, gold, min_examples=5)
    probe = ["vacancies everywhere", "a cold room"]
    assert not (model.probabilities(probe) == words_only.probabilities(probe)).all()
    path = tmp_path / "patterns.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert fit_patterns(codebook, texts, gold, min_examples=5, embedder=embedder,
                        embedding_weight=0.7).to_json() == path.read_text(encoding="utf-8")
    again = load_patterns(path, codebook)
    assert (again.probabilities(probe) == model.probabilities(probe)).all()
    codings = list(pattern_codings(again, codebook, [
        {"segment_id": "s1", "study": "alpha", "text": "So many vacancies, advertising fails."}]))
    assert codings and "meaning" in codings[0].evidence and "words" in codings[0].evidence
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["embedding"]["dims"] = dims - 1
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="shape"):
        load_patterns(path, codebook)


def _rule_codings(codebook, units):
    from qualsynth.themes.engine import Engine

    return list(Engine(codebook, "participant", 8).tag_units(units))


def test_veto_sets_aside_rule_codings_the_patterns_find_unlikely(codebook, tmp_path) -> None:
    texts, gold = _training()
    units = [{"segment_id": "s1", "study": "alpha",
              "text": "We recruit, but the weather was grim and the room was cold."},
             {"segment_id": "s2", "study": "alpha",
              "text": "We recruit, but vacancies grow and advertising brings nobody."}]
    rules = _rule_codings(codebook, units)
    assert {(c.segment_id, c.code) for c in rules} == {("s1", "workforce.recruitment"),
                                                       ("s2", "workforce.recruitment")}
    model = fit_patterns(codebook, texts, gold, min_examples=5, veto_below=0.3)
    result = apply_patterns(model, codebook, units, rules)
    assert [(c.segment_id, c.code) for c, _p in result.vetoed] == [
        ("s1", "workforce.recruitment")]
    assert result.vetoed[0][1] < 0.3
    assert [(c.segment_id, c.rule) for c in result.codings] == [
        ("s2", "workforce.recruitment/terms"), ("s2", "workforce.recruitment/pattern")]
    path = tmp_path / "patterns.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert load_patterns(path, codebook).veto_below == 0.3
    never = apply_patterns(fit_patterns(codebook, texts, gold, min_examples=5), codebook,
                           units, rules)
    assert never.vetoed == [] and len(never.codings) == 3
    with pytest.raises(ValueError, match="veto_below"):
        fit_patterns(codebook, texts, gold, min_examples=5, veto_below=0.5)


def test_tag_writes_vetoed_codings_and_tag_text_drops_them(codebook, tmp_path) -> None:
    texts, gold = _training()
    model = tmp_path / "patterns.json"
    model.write_text(fit_patterns(codebook, texts, gold, min_examples=5,
                                  veto_below=0.3).to_json(), encoding="utf-8")
    lines = tmp_path / "lines.txt"
    lines.write_text("We recruit, but the weather was grim and the room was cold.\n"
                     "We recruit, but vacancies grow and advertising brings nobody.\n",
                     encoding="utf-8")
    code, out, err = run("tag-text", str(lines), "--codebook", str(tmp_path / "cb.yaml"),
                         "--config", str(tmp_path / "none.yaml"), "--patterns", str(model))
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert results[0]["codes"] == []
    assert [c["rule"] for c in results[1]["codes"]] == [
        "workforce.recruitment/terms", "workforce.recruitment/pattern"]
    code, out, err = run("tag-text", str(lines), "--codebook", str(tmp_path / "cb.yaml"),
                         "--config", str(tmp_path / "none.yaml"))
    assert code == 0, err
    assert json.loads(out.splitlines()[0])["codes"][0]["rule"] == "workforce.recruitment/terms"
    segments = tmp_path / "segments.jsonl"
    segments.write_text("".join(json.dumps({
        "segment_id": f"alpha/a01/t00{i}/s01", "document_id": "alpha/a01", "study": "alpha",
        "participant_id": "P01", "speaker_role": "participant", "ics_label": "ICS 1",
        "sector": "acute", "role": "lead", "time_point": "baseline", "text": text}) + "\n"
        for i, text in enumerate(lines.read_text(encoding="utf-8").splitlines(), start=1)),
        encoding="utf-8")
    from test_themes_cli import REPO

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["processed_dir"] = str(tmp_path / "processed")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    code, _out, err = run("tag", "--config", str(cfg), "--codebook",
                          str(tmp_path / "cb.yaml"), "--segments", str(segments),
                          "--patterns", str(model), "--codings", str(tmp_path / "c.csv"),
                          "--segment-codes", str(tmp_path / "sc.csv"),
                          "--vetoed", str(tmp_path / "v.csv"))
    assert code == 0, err
    assert "1 rule codings vetoed" in err
    with open(tmp_path / "v.csv", encoding="utf-8", newline="") as handle:
        vetoed = list(csv.DictReader(handle))
    assert [(r["segment_id"], r["rule"]) for r in vetoed] == [
        ("alpha/a01/t001/s01", "workforce.recruitment/terms")]
    assert 0 <= float(vetoed[0]["probability"]) < 0.3
    with open(tmp_path / "c.csv", encoding="utf-8", newline="") as handle:
        kept = [(r["segment_id"], r["rule"]) for r in csv.DictReader(handle)]
    assert ("alpha/a01/t001/s01", "workforce.recruitment/terms") not in kept


def test_training_refuses_any_of_several_held_out_sets(codebook, tmp_path) -> None:
    texts, gold = _training()
    first = _gold_set(tmp_path / "set1", texts, gold)
    second = _gold_set(tmp_path / "set2", texts, gold)
    settings = {"patterns": {"use_demo_gold": False, "train_sets": [str(first)]},
                "holdout_texts": [str(second / "texts.csv"), str(first / "texts.csv")]}
    with pytest.raises(InputError, match="in-sample"):
        load_training(settings, codebook, [], "cfg.yaml")
    settings["holdout_texts"] = [str(second / "texts.csv")]
    assert load_training(settings, codebook, [], "cfg.yaml")[0] == texts
