"""The numbers behind the reports: denominators, classifications, quotes, attribution."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from qualsynth.report import analysis as an
from qualsynth.report.data import Loaded, flatten_codebook, humanise, report_settings
from qualsynth.report.tables import frac, pct, table_html


def seg(sid: str, study: str, pid: str, ics: str = "London ICS", sector: str = "icb",
        tp: str = "single", text: str = "Some words here. More words there.") -> dict:
    return {"segment_id": sid, "study": study, "document": sid.split("/")[1],
            "participant_id": pid, "ics_label": ics, "sector": sector, "time_point": tp,
            "text": text, "words": len(text.split()), "region": "London"}


@pytest.fixture
def segments() -> pd.DataFrame:
    return pd.DataFrame([
        seg("s1/d1/t001/s01", "s1", "P01"),
        seg("s1/d1/t002/s01", "s1", "P01"),
        seg("s1/d2/t001/s01", "s1", "P02", ics="Eastern ICS", sector="trust"),
        seg("s1/d3/t001/s01", "s1", "P03", ics="Eastern ICS", sector="icb"),
        seg("s2/d9/t001/s01", "s2", "P01"),  # same id, other study: another person
    ])


def test_attribution_follows_the_sector_style() -> None:
    assert an.attribution("London ICS", "P17") == "London ICS - Participant 17"
    assert an.attribution("Eastern ICS", "P013") == "Eastern ICS - Participant 13"
    assert an.attribution("London ICS B", "R0042", "survey") == "London ICS B - Respondent 42"
    assert an.attribution("South West ICS", "X-ray") == "South West ICS - Participant X-ray"
    assert an.attribution("", "P3") == "ICS not disclosed - Participant 3"


def test_prevalence_counts_people_once_and_keeps_zero_themes(segments) -> None:
    coded = pd.DataFrame({"segment_id": ["s1/d1/t001/s01", "s1/d1/t002/s01",
                                         "s1/d2/t001/s01"],
                          "code": ["a", "a", "a"]})
    prev = an.prevalence(segments, coded, ["a", "b"], ["study"])
    s1a = prev[(prev["study"] == "s1") & (prev["code"] == "a")].iloc[0]
    assert (s1a["k"], s1a["n"]) == (2, 3)  # P01 twice counts once; P03 has no hit
    s1b = prev[(prev["study"] == "s1") & (prev["code"] == "b")].iloc[0]
    assert (s1b["k"], s1b["n"]) == (0, 3)  # absence is kept
    s2a = prev[(prev["study"] == "s2") & (prev["code"] == "a")].iloc[0]
    assert (s2a["k"], s2a["n"]) == (0, 1)
    by_ics = an.prevalence(segments[segments["study"] == "s1"], coded, ["a"], ["ics_label"])
    eastern = by_ics[by_ics["ics_label"] == "Eastern ICS"].iloc[0]
    assert (eastern["k"], eastern["n"], eastern["share"]) == (1, 2, 0.5)


def test_coded_segments_honours_a_presence_column() -> None:
    frame = pd.DataFrame({"segment_id": ["x", "y", "y"], "code": ["a", "a", "b"],
                          "present": [1, 0, 1]})
    got = an.coded_segments(frame)
    assert sorted(map(tuple, got.to_numpy())) == [("x", "a"), ("y", "b")]


def test_participants_table_totals_count_people_once() -> None:
    rows = [seg("q/a-baseline/t001/s01", "q", "P01", tp="baseline"),
            seg("q/a-followup/t001/s01", "q", "P01", tp="follow_up"),
            seg("q/b-baseline/t001/s01", "q", "P02", tp="baseline", sector="trust")]
    table = an.participants_table(pd.DataFrame(rows))
    assert list(table.columns) == ["ICS", "Sector", "Baseline", "Follow-up", "Total"]
    total = table.iloc[-1]
    assert (total["Baseline"], total["Follow-up"], total["Total"]) == (2, 1, 2)
    icb = table[(table["Sector"] == "ICB")].iloc[0]
    assert (icb["Baseline"], icb["Follow-up"], icb["Total"]) == (1, 1, 1)


def test_convergence_uses_the_documented_thresholds() -> None:
    prev = pd.DataFrame([
        {"study": "a", "code": "both", "k": 3, "n": 4, "share": 0.75},
        {"study": "b", "code": "both", "k": 2, "n": 5, "share": 0.4},
        {"study": "a", "code": "one", "k": 4, "n": 4, "share": 1.0},
        {"study": "b", "code": "one", "k": 0, "n": 5, "share": 0.0},
        {"study": "a", "code": "tiny", "k": 1, "n": 2, "share": 0.5},  # below min people
        {"study": "b", "code": "tiny", "k": 1, "n": 5, "share": 0.2},
    ])
    catalogue = pd.DataFrame({"code": ["both", "one", "tiny"]})
    table = an.convergence_table(prev, ["a", "b"], {"a": "A", "b": "B"}, catalogue,
                                 present_share=0.25, min_participants=2, divergence_gap=0.5)
    got = dict(zip(table["code"], table["pattern"], strict=True))
    assert got == {"both": "convergent: all studies", "one": "particular: A only",
                   "tiny": "not prominent in any study"}
    div = dict(zip(table["code"], table["divergence"], strict=True))
    assert div["one"] == "divergent: A 100% vs B 0%"
    assert div["both"] == ""  # 35 points apart: below the 50-point gap
    assert table.loc[table["code"] == "both", "a"].iloc[0] == "3/4"


def test_time_point_changes_name_the_cases_behind_each_change() -> None:
    rows = []
    for pid in ("P01", "P02", "P03", "P04"):
        rows.append(seg(f"q/{pid}-b/t001/s01", "q", pid, tp="baseline"))
        rows.append(seg(f"q/{pid}-f/t001/s01", "q", pid, tp="follow_up", ics="Eastern ICS"))
    rows.append(seg("q/P05-b/t001/s01", "q", "P05", tp="baseline"))  # baseline only
    segments = pd.DataFrame(rows)
    coded = pd.DataFrame({"segment_id": ["q/P01-f/t001/s01", "q/P02-f/t001/s01",
                                         "q/P03-f/t001/s01", "q/P04-b/t001/s01",
                                         "q/P05-b/t001/s01"], "code": ["v"] * 5})
    out = an.time_point_changes(segments, coded, ["v"], "q", min_net_participants=2,
                                min_net_share=0.2).iloc[0]
    assert (out["k_baseline"], out["n_baseline"]) == (2, 5)
    assert (out["k_follow_up"], out["n_follow_up"]) == (3, 4)
    assert out["n_paired"] == 4
    assert [c["trace_id"] for c in out["gained"]] == ["q/P01-f/t001/s01", "q/P02-f/t001/s01",
                                                      "q/P03-f/t001/s01"]
    assert [c["trace_id"] for c in out["lost"]] == ["q/P04-b/t001/s01"]
    assert out["net"] == 2 and out["direction"] == "more often raised at follow-up"
    strict = an.time_point_changes(segments, coded, ["v"], "q", min_net_participants=3,
                                   min_net_share=0.2).iloc[0]
    assert strict["direction"] == "no clear change"


def test_quotes_are_one_per_participant_ranked_and_traceable(segments) -> None:
    codings = pd.DataFrame([
        {"segment_id": "s1/d1/t001/s01", "study": "s1", "code": "a", "evidence": "x",
         "sentence": "Some words here."},
        {"segment_id": "s1/d1/t002/s01", "study": "s1", "code": "a", "evidence": "x",
         "sentence": "Some words here."},
        {"segment_id": "s1/d1/t002/s01", "study": "s1", "code": "a", "evidence": "y",
         "sentence": "More words there."},
        {"segment_id": "s1/d2/t001/s01", "study": "s1", "code": "a", "evidence": "x",
         "sentence": "Some words here."},
    ])
    quotes = an.select_quotes(codings, segments, "a", n=5, max_words=50,
                              kind_of={"s1": "interview"}, study="s1")
    assert [q["segment_id"] for q in quotes] == ["s1/d1/t002/s01", "s1/d2/t001/s01"]
    assert quotes[0]["attribution"] == "London ICS - Participant 1"
    assert set(q["segment_id"] for q in quotes) <= set(segments["segment_id"])
    again = an.select_quotes(codings, segments, "a", n=5, max_words=50,
                             kind_of={"s1": "interview"}, study="s1",
                             exclude={"s1/d1/t002/s01"})
    assert [q["segment_id"] for q in again] == ["s1/d1/t001/s01", "s1/d2/t001/s01"]
    assert an.select_quotes(codings, segments, "zzz", n=2, max_words=50, kind_of={}) == []


def test_trim_quote_keeps_whole_sentences_around_the_focus() -> None:
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    assert an.trim_quote(text, 100) == text
    got = an.trim_quote(text, 6, focus="Seven eight nine.")
    assert "Seven eight nine." in got
    assert got.startswith("... ") and len(got.replace("...", "").split()) <= 6


def test_closed_questions_share_of_all_respondents() -> None:
    docs = pd.DataFrame([{"study": "p", "document": f"d{i}", "participant_id": f"R{i}",
                          "closed": {"q": a}} for i, a in enumerate(["Yes", "Yes", "No", ""])])
    out = an.closed_question_summary(docs, "p", ["q"])["q"]
    assert out["answer"].tolist() == ["Yes", "No", "(no answer)"]
    assert out["n"].tolist() == [2, 1, 1]
    assert out["share"].tolist() == [0.5, 0.25, 0.25]


def test_code_groups_and_catalogue_order() -> None:
    codes = flatten_codebook({"codes": [
        {"id": "enablers", "label": "Enablers", "codes": [{"id": "enablers.vision"}]},
        {"id": "barriers.money", "label": "Money"},
        {"id": "components", "label": "Leadership components",
         "codes": [{"id": "components.power", "label": "Working with power"}]},
        {"id": "workforce"},
    ]})
    cat = an.code_catalogue(Loaded("cb", data=codes), ["workforce", "extra.code"])
    assert cat["code"].tolist() == ["enablers", "enablers.vision", "barriers.money",
                                    "components", "components.power", "workforce",
                                    "extra.code"]
    groups = dict(zip(cat["code"], cat["group"], strict=True))
    assert groups["enablers.vision"] == "enabler"
    assert groups["barriers.money"] == "barrier"
    assert groups["components.power"] == "leadership_component"
    assert groups["workforce"] == "theme"
    leaves = an.leaf_codes(cat)["code"].tolist()
    assert "enablers" not in leaves and "enablers.vision" in leaves and "workforce" in leaves
    assert dict(zip(cat["code"], cat["level"], strict=True))["components.power"] == 1
    assert an.subtree(cat, "components") == ["components", "components.power"]
    coded = pd.DataFrame({"segment_id": ["s"], "code": ["components.power"]})
    rolled = an.rollup(coded, cat)
    assert sorted(rolled["code"]) == ["components", "components.power"]
    assert an.rollup(rolled, cat).equals(rolled)  # idempotent
    assert an.component_key("components.power", "Working with power") == "working_with_power"
    assert humanise("partnerships.key_partners") == "Partnerships: key partners"


def test_evaluation_frame_reads_both_common_shapes() -> None:
    mapping = {"codes": {"a": {"kappa": 0.3, "kappa_ci": [0.1, 0.5], "support": 9},
                         "b": {"kappa": {"estimate": 0.8, "ci_low": 0.7, "ci_high": 0.9}}}}
    rows = {"per_code": [{"code": "a", "kappa": 0.3, "kappa_ci_low": 0.1,
                          "kappa_ci_high": 0.5}]}
    f1 = an.evaluation_frame(mapping, ("codes", "per_code"), ("kappa",), "code")
    f2 = an.evaluation_frame(rows, ("codes", "per_code"), ("kappa",), "code")
    assert f1.set_index("code").loc["b", "kappa_hi"] == 0.9
    assert f1.set_index("code").loc["a", "support"] == 9
    assert f2.iloc[0][["kappa", "kappa_lo", "kappa_hi"]].tolist() == [0.3, 0.1, 0.5]
    assert math.isnan(an.evaluation_frame({}, ("codes",), ("kappa",), "code").get(
        "kappa", pd.Series([float("nan")])).iloc[0])
    low = an.low_agreement_codes(Loaded("e", data=mapping), 0.41)
    assert low == {"a": 0.3}
    assert an.low_agreement_codes(Loaded("e", reason="no gold"), 0.41) == {}


def test_percentages_round_half_up_and_tables_never_render_empty() -> None:
    assert pct(5, 8) == "63%" and pct(1, 8) == "13%" and pct(0, 0) == "-"
    assert frac(3, 8) == "3/8 (38%)"
    html = table_html(pd.DataFrame(columns=["a"]), caption="Nothing", empty_message="why")
    assert "<table" not in html and "why" in html


def test_report_settings_merge_nested_defaults() -> None:
    settings = report_settings({"report": {"convergence": {"present_share": 0.5}}})
    assert settings["convergence"] == {"present_share": 0.5, "min_participants": 2,
                                       "divergence_gap": 0.5}
    assert settings["kappa_warning"] == 0.41
