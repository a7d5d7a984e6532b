"""Report sections on fixture data, called directly (no kernel): content, flags, fallbacks."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest_reports import build_report_project
from qualsynth.report import audits, study, synthesis
from qualsynth.report.render import external_references
from qualsynth.report.tables import esc

TRACE = re.compile(r'<code class="qs-trace">(.*?)</code>')


def traces(html: str) -> list[str]:
    """Trace ids shown in an HTML fragment (their <span>/<wbr> markup removed)."""
    return [re.sub(r"<[^>]+>", "", m) for m in TRACE.findall(html)]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = build_report_project(tmp_path / "p")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)


def chdir_project(tmp_path: Path, **kw) -> Path:
    root = build_report_project(tmp_path / "q", **kw)
    os.chdir(root)
    return root


def segment_ids(root: Path) -> set[str]:
    lines = (root / "data/processed/deid/segments.jsonl").read_text(encoding="utf-8")
    return {json.loads(line)["segment_id"] for line in lines.splitlines()}


def test_study_quotes_are_attributed_and_resolve_to_segments(project: Path) -> None:
    ctx = study.build("config/config.yaml", "alpha")
    html = study.quotes(ctx, "alpha")
    shown = traces(html)
    assert shown and set(shown) <= segment_ids(project)
    assert re.search(r"(London|South East|North West) ICS - Participant \d+", html)
    assert len(ctx.quotes) == len(shown)
    appendix = study.provenance(ctx)
    for q in ctx.quotes:
        assert q["segment_id"] in appendix


def test_low_agreement_codes_are_flagged_wherever_counts_appear(project: Path) -> None:
    ctx = study.build("config/config.yaml", "alpha")
    assert set(ctx.low_kappa) == {"barriers.competition"}
    prevalence = study.prevalence(ctx, "alpha")
    row = re.search(r"<tr><td><span class=\"qs-l1\">Legacy of competitive behaviours</span>"
                    r"(.*?)</tr>", prevalence)
    assert row and "low agreement" in row.group(1)
    assert prevalence.count("low agreement") == 1  # only the flagged code
    sctx = synthesis.build("config/config.yaml")
    for section in (synthesis.convergence, synthesis.enablers_barriers):
        assert "low agreement" in section(sctx)
    actx = audits.build("config/config.yaml")
    assert "low agreement" in audits.coding_counts(actx)


def test_participants_table_has_every_ics_sector_and_a_total(project: Path) -> None:
    ctx = study.build("config/config.yaml", "beta")
    html = study.participants(ctx, "beta")
    for text in ("Eastern ICS", "Midlands ICS", "Baseline", "Follow-up", "Total"):
        assert text in html
    assert "Register check" in html


def test_synthesis_sections_cover_the_issue(project: Path) -> None:
    ctx = synthesis.build("config/config.yaml")
    conv = synthesis.convergence(ctx)
    assert "at least 25% of its participants" in conv  # the threshold is stated
    assert "convergent: all studies" in conv or "shared:" in conv
    changes = synthesis.time_points(ctx)
    assert "Beta quality: baseline and follow-up" in changes
    assert set(traces(changes)) <= segment_ids(project)
    eb = synthesis.enablers_barriers(ctx)
    assert eb.index("Enablers of system working") < eb.index("Barriers of system working")
    lead = synthesis.leadership(ctx)
    for component in ("Inspiring intent to work together", "Creating the conditions",
                      "Balancing multiple perspectives", "Working with power",
                      "Taking a wider view", "Commitment to learning and development",
                      "Clarifying complexity"):
        assert component in lead
    assert "Harris et al. (2022)" in lead and "CC BY 4.0" in lead
    assert "(codebook definition)" in lead  # the fixture defines one component
    methods = synthesis.methods(ctx)
    assert "Legacy of competitive behaviours (kappa 0.30)" in methods
    assert "machine output" in methods and "human-written" in methods
    appendix = synthesis.provenance(ctx)
    assert "2023-11-14T22:13:20Z" in appendix and "c0debook" in appendix
    for q in ctx.quotes:
        assert q["segment_id"] in appendix
    map_html = synthesis.england_map(ctx)
    assert "data:image/png;base64," in map_html and "2022" in map_html
    for html in (conv, changes, eb, lead, methods, appendix, map_html):
        assert external_references(html) == []


def test_survey_study_summarises_closed_questions(project: Path) -> None:
    ctx = study.build("config/config.yaml", "gamma")
    html = study.survey(ctx, "gamma")
    assert "Closed questions (8 respondents)" in html
    assert "q_delegated_budget" in html and "Free-text answers, coded" in html
    assert "Not applicable" in study.survey(study.build("config/config.yaml", "alpha"), "alpha")


def test_missing_or_placeholder_inputs_give_notices_not_crashes(tmp_path: Path) -> None:
    cwd = Path.cwd()
    try:
        chdir_project(tmp_path, placeholders=("themes", "topics", "deid_eval"),
                      sites_disclosed=False)
        ctx = synthesis.build("config/config.yaml")
        assert ctx.coded is None
        for section in (synthesis.theme_heatmap, synthesis.convergence, synthesis.time_points,
                        synthesis.enablers_barriers, synthesis.leadership):
            html = section(ctx)
            assert "Not available" in html and "PLACEHOLDER" in html
        topics = synthesis.topics_overview(ctx)
        assert "Not available" in topics
        assert "does not exist" in topics or "PLACEHOLDER" in topics
        assert "hatched" in synthesis.england_map(ctx)  # sites not disclosed: regions
        methods = synthesis.methods(ctx)
        assert "No de-identification evaluation" in methods
        assert "No agreement statistics" in methods
        actx = audits.build("config/config.yaml")
        assert "No coding evaluation for this run" in audits.coding_overview(actx)
        sctx = study.build("config/config.yaml", "alpha")
        assert "Not available" in study.prevalence(sctx, "alpha")
        assert "Not available" in study.framework(sctx, "alpha")
    finally:
        os.chdir(cwd)


def test_topics_not_fitted_and_no_gold_are_explained(tmp_path: Path) -> None:
    cwd = Path.cwd()
    try:
        chdir_project(tmp_path, topics_ok=False, with_gold=False)
        ctx = synthesis.build("config/config.yaml")
        html = synthesis.topics_overview(ctx)
        assert "not fitted (status &#x27;too_small&#x27;)" in html
        assert "only 61 segments" in html and "lower topics.min_segments" in html
        overview = audits.coding_overview(audits.build("config/config.yaml"))
        assert "themes.gold_codes" in overview and "unvalidated" in overview
        assert "Topic model status" in synthesis.crosswalk(ctx)
        assert ctx.low_kappa == {}
    finally:
        os.chdir(cwd)


def test_deid_audit_sample_is_deterministic_and_highlighted(project: Path) -> None:
    ctx = audits.build("config/config.yaml")
    first = audits.review_sample(ctx)
    assert first == audits.review_sample(audits.build("config/config.yaml"))
    assert '<mark class="qs-pseudo">[Person 2]</mark>' in first or "qs-pseudo" in first
    assert "matches" in audits.audit_log(ctx)
    assert "PASSED" in audits.gate(ctx)
    assert "Recall (95% CI)" in audits.deid_evaluation(ctx)


def test_unknown_study_fails_clearly(project: Path) -> None:
    from qualsynth.errors import InputError

    with pytest.raises(InputError, match="unknown study 'nope'"):
        study.build("config/config.yaml", "nope")


def _set_gold_used_for_rules(value: bool) -> None:
    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    config["themes"]["gold_used_for_rules"] = value
    Path("config/config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_holdout_check_and_in_sample_warning(project: Path) -> None:
    _set_gold_used_for_rules(False)
    ctx = audits.build("config/config.yaml")
    assert "No held-out check for this run" in audits.coding_holdout(ctx)
    assert "in-sample" not in audits.coding_overview(ctx)
    _set_gold_used_for_rules(True)
    evaluation = json.loads(Path("data/processed/themes/evaluation.json").read_text(
        encoding="utf-8"))
    evaluation["n_segments"] = 37
    evaluation["min_gold_segments"] = 5
    in_sample_low = set(audits.build("config/config.yaml").low_kappa)
    fine = [c for c in evaluation["codes"] if c["code"] not in in_sample_low
            and c["kappa"] is not None]
    fine[0].update(kappa=0.2, low_agreement=True, gold_segments=6)   # enough held-out gold
    fine[1].update(kappa=0.1, low_agreement=True, gold_segments=2)   # too few to judge
    evaluation["macro"]["frequent_codes"]["kappa"] = 0.512
    evaluation["targets"].update(macro_kappa=0.512, macro_kappa_met=False)
    evaluation["gold"] = {"gold_segments": "data/evaluation/set1/texts.csv",
                          "gold_segments_sha256": "ab" * 32, "gold_codes": "codes.csv",
                          "gold_codes_sha256": "cd" * 32, "coders": ["F1"], "role": "held-out"}
    Path("data/processed/themes/evaluation_holdout.json").write_text(
        json.dumps(evaluation), encoding="utf-8")
    ctx = audits.build("config/config.yaml")
    html = audits.coding_holdout(ctx)
    assert "Held-out texts" in html and ">37<" in html and "0.51" in html
    assert "data/evaluation/set1/texts.csv (sha256 abababababab)" in html
    assert "Per-code agreement on the held-out set" in html
    assert "in-sample and optimistic" in audits.coding_overview(ctx)
    assert ctx.low_kappa[fine[0]["code"]] == 0.2
    assert fine[1]["code"] not in ctx.low_kappa
    assert in_sample_low <= set(ctx.low_kappa)
    methods = synthesis.methods(synthesis.build("config/config.yaml"))
    assert "On a held-out set of 37 texts" in methods and "in-sample" in methods
    assert "Target macro kappa 0.6 on these new texts" in methods
    assert "NOT met (0.51)" in methods
    assert "coded a second time" not in html and "a second coder" not in methods
    evaluation["second_coder"] = {
        "n_passages": 12, "n_codes": 4, "min_gold_in_sample": 5, "coders": ["S2"],
        "second_coder": {"pooled_kappa": 0.634, "macro_kappa": 0.58},
        "rules": {"pooled_kappa": 0.471, "macro_kappa": 0.44},
        "codes": [{"code": fine[0]["code"], "first_coder_passages": 12,
                   "second_coder_kappa": 0.7, "second_coder_recall": 0.75,
                   "rules_kappa": 0.3, "rules_recall": 0.5},
                  {"code": fine[2]["code"], "first_coder_passages": 6,
                   "second_coder_kappa": 0.9, "second_coder_recall": 0.6667,
                   "rules_kappa": 0.55, "rules_recall": 0.8333}],
        "recall_target": {"recall_min": 0.8, "min_gold_in_sample": 10, "n_codes": 9,
                          "second_coder_below": [fine[0]["code"]],
                          "rules_below": [fine[0]["code"], fine[1]["code"]]}}
    Path("data/processed/themes/evaluation_holdout.json").write_text(
        json.dumps(evaluation), encoding="utf-8")
    ctx = audits.build("config/config.yaml")
    html = audits.coding_holdout(ctx)
    assert "12 held-out texts were coded a second time" in html and "S2" in html
    assert ">0.63<" in html and ">0.47<" in html
    methods = synthesis.methods(synthesis.build("config/config.yaml"))
    assert "a second coder agreed with the first at pooled kappa 0.63" in methods
    assert "the automatic coding at 0.47" in methods
    assert ("of the 9 codes with at least 10 of them coded by the first coder, recall was "
            "below 0.8 on 1 for the second coder and on 2 for the automatic coding") in methods
    assert "of the 9 codes the first coder gave at least 10 of them" in html
    assert f"below it on 1 ({esc(ctx.code_label(fine[0]['code']))})" in html
    # per code: both readers' kappa and recall, and who misses the target where it applies
    table = html[html.index("Per code on the double-coded sample"):]
    assert ">second coder and tagger<" in table and ">0.75<" in table and ">0.50<" in table
    assert ">0.67<" in table and ">0.83<" in table     # 6 texts: shown, not judged
    assert "at least 10 texts of the sample" in table
    # the recall target is stated too, with the codes the intervals cannot excuse
    evaluation["targets"].update(codes_below_recall_target=["a", "b"],
                                 codes_clearly_below_recall_target=["b"])
    Path("data/processed/themes/evaluation_holdout.json").write_text(
        json.dumps(evaluation), encoding="utf-8")
    methods = synthesis.methods(synthesis.build("config/config.yaml"))
    assert ("Target recall 0.8 for each of those codes: NOT met (2 code(s) below, 1 of them "
            "even at the top of their 95% interval)") in methods


def test_reports_say_when_coding_patterns_added_codes(project: Path) -> None:
    ctx = synthesis.build("config/config.yaml")
    assert ctx.pattern_codings == 0 and ctx.coding_method == "rule-based coding"
    assert "coding patterns" not in synthesis.methods(ctx)
    path = project / "data/processed/themes/codings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # the first coding becomes a learned one, as `tag --patterns` writes it
    lines[1] = lines[1].replace("/terms,", "/pattern,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx = synthesis.build("config/config.yaml")
    assert ctx.pattern_codings == 1
    methods = synthesis.methods(ctx)
    assert "coding patterns learned from gold-coded passages (1 of" in methods
    assert "the coding patterns learned from it" in methods
    assert "coding patterns learned" in audits.coding_title(audits.build("config/config.yaml"))


def test_recall_target_says_which_misses_the_intervals_can_tell() -> None:
    base = {"macro_kappa_min": 0.6, "macro_kappa_met": True, "recall_min": 0.8,
            "recall_met": False, "codes_below_recall_target": ["a", "b", "c"]}
    pairs = dict(audits._target_pairs({"targets": {
        **base, "codes_clearly_below_recall_target": ["c"]}}))
    assert pairs["Target: recall >= 0.8"] == (
        "NOT met (3 code(s) below; 1 of them below it even at the top of the 95% interval, "
        "the others' intervals reach the target)")
    assert dict(audits._target_pairs({"targets": {
        **base, "codes_clearly_below_recall_target": ["a", "b", "c"]}}))[
        "Target: recall >= 0.8"].endswith("; all of them below it even at the top of the "
                                          "95% interval)")
    # without intervals (or from an older evaluation) nothing is claimed about them
    for targets in ({**base, "codes_clearly_below_recall_target": None}, base):
        assert dict(audits._target_pairs({"targets": targets}))[
            "Target: recall >= 0.8"] == "NOT met (3 code(s) below)"


def test_coders_with_the_same_description_are_listed_once() -> None:
    coders = ["S1: close reading, blind to the rules", "S2: close reading, blind to the rules",
              "S5: close reading, blind to the rules and to the other coders", "F1"]
    assert audits._coders(coders) == (
        "S1, S2: close reading, blind to the rules; "
        "S5: close reading, blind to the rules and to the other coders; F1")
    assert audits._coders([]) == "-"
