"""Case x code matrices (denominators, absence shown) and the framework matrix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from qualsynth.errors import InputError
from qualsynth.themes.codebook import parse_codebook
from qualsynth.themes.engine import Engine
from qualsynth.themes.matrices import (
    case_matrix,
    framework_matrix,
    load_summaries,
    rank_extracts,
    segment_codes,
    write_framework_xlsx,
)
from themes_fixtures import segment, small_codebook


@pytest.fixture
def data() -> tuple:
    cb = parse_codebook(yaml.safe_dump(small_codebook()))
    segs = [
        segment("alpha/a01/t002/s01", "We recruit nurses. We recruit carers too.",
                participant_id="P01", sector="trust"),
        segment("alpha/a01/t004/s01", "Nothing to see.", participant_id="P01", sector="trust"),
        segment("alpha/a02/t002/s01", "The training hub helps.", participant_id="P02",
                sector="icb"),
        segment("alpha/a02/t004/s01", "We recruit. We recruit again. We keep recruiting.",
                participant_id="P02", sector="icb"),
        segment("beta/b01/t002/s01", "We recruit locally.", participant_id="P01",
                sector="trust", ics_label="North ICS"),
    ]
    codings = list(Engine(cb).tag_units(segs))
    return cb, segs, segment_codes(cb, codings)


def _row(rows: list[dict], **match: str) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, match
    return found[0]


def test_segment_codes_roll_up(data: tuple) -> None:
    cb, _segs, coded = data
    got = coded["alpha/a01/t002/s01"]
    assert set(got) == {"workforce", "workforce.recruitment"}
    assert got["workforce.recruitment"].direct and not got["workforce"].direct
    assert got["workforce.recruitment"].n_sentences == 2


def test_case_matrix_denominators_and_absence(data: tuple) -> None:
    cb, segs, coded = data
    rows = case_matrix(cb, segs, coded, "sector")
    trust = _row(rows, study="alpha", group="trust", code="workforce.recruitment")
    assert trust["n_segments"] == 2 and trust["n_participants"] == 1
    assert trust["segments_coded"] == 1 and trust["share_segments"] == pytest.approx(0.5)
    assert trust["presence"] == 1 and trust["codings"] == 2
    # absence is data: every code is listed for every group, with its denominator
    absent = _row(rows, study="alpha", group="trust", code="waits")
    assert absent["segments_coded"] == 0 and absent["presence"] == 0
    assert absent["n_segments"] == 2
    assert len(rows) == len({(r["study"], r["group"]) for r in rows}) * len(cb.codes)
    # pooled across studies: participants are counted per study (P01 twice)
    pooled = _row(rows, study="ALL", group="trust", code="workforce")
    assert pooled["n_segments"] == 3 and pooled["n_participants"] == 2
    assert pooled["participants_coded"] == 2


def test_case_matrix_by_study_and_participant(data: tuple) -> None:
    cb, segs, coded = data
    by_study = case_matrix(cb, segs, coded, "study")
    alpha = _row(by_study, study="alpha", group="alpha", code="workforce")
    assert alpha["n_segments"] == 4 and alpha["segments_coded"] == 3
    assert alpha["share_participants"] == pytest.approx(1.0)
    by_p = case_matrix(cb, segs, coded, "participant")
    assert {r["group"] for r in by_p} == {"alpha/P01", "alpha/P02", "beta/P01"}


def test_low_agreement_warning_travels_with_counts(data: tuple) -> None:
    cb, segs, coded = data
    evaluation = {"codes": [{"code": "workforce.recruitment", "kappa": 0.2,
                             "warning": "low agreement with human coding (kappa 0.20 < 0.41)"}]}
    rows = case_matrix(cb, segs, coded, "sector", evaluation)
    assert _row(rows, study="alpha", group="trust",
                code="workforce.recruitment")["agreement_warning"].startswith("low agreement")
    assert _row(rows, study="alpha", group="trust", code="workforce")["agreement_warning"] == ""


def test_framework_extracts_spread_across_documents(data: tuple) -> None:
    cb, segs, coded = data
    rows = framework_matrix(cb, segs, coded, "alpha", ["ics_label"], 2)
    cell = _row(rows, case="London ICS", code="workforce.recruitment")
    # a02's segment has the most coded sentences, but the second extract comes from a01
    assert cell["extract_segment_ids"] == "alpha/a02/t004/s01;alpha/a01/t002/s01"
    assert cell["extracts"].startswith("1. [alpha/a02/t004/s01] We recruit.")
    assert cell["segments_coded"] == 2 and cell["n_case_segments"] == 4
    assert cell["summary"] == "" and cell["summary_source"] == ""
    empty = _row(rows, case="London ICS", code="waits")
    assert empty["extracts"] == "" and empty["segments_coded"] == 0


def test_rank_extracts_round_robin() -> None:
    from qualsynth.themes.matrices import SegmentCode

    def cand(doc: str, i: int, n: int) -> tuple:
        sid = f"s/{doc}/t{i:03d}/s01"
        return ({"segment_id": sid, "study": "s", "document": doc, "text": "x"},
                SegmentCode(sid, "c", True, n, ("r",)))

    cands = [cand("d1", 1, 5), cand("d1", 2, 4), cand("d1", 3, 3), cand("d2", 1, 1),
             cand("d3", 1, 2)]
    picked = [s["segment_id"] for s in rank_extracts(cands, 4)]
    assert picked == ["s/d1/t001/s01", "s/d3/t001/s01", "s/d2/t001/s01", "s/d1/t002/s01"]


def test_human_summaries_only_from_summaries_folder(data: tuple, tmp_path: Path) -> None:
    cb, segs, coded = data
    folder = tmp_path / "summaries"
    folder.mkdir()
    (folder / "alpha.csv").write_text(
        "case,code,summary,author\n"
        "London ICS,workforce.recruitment,Recruitment is framed as a shared problem.,AB\n",
        encoding="utf-8")
    cases = {"London ICS"}
    summaries = load_summaries(folder, "alpha", cb, cases)
    rows = framework_matrix(cb, segs, coded, "alpha", ["ics_label"], 2, summaries)
    cell = _row(rows, case="London ICS", code="workforce.recruitment")
    assert cell["summary"] == "Recruitment is framed as a shared problem."
    assert cell["summary_source"].startswith("human-written by AB (")
    assert "alpha.csv line 2" in cell["summary_source"]
    others = [r for r in rows if r["code"] != "workforce.recruitment"]
    assert all(r["summary"] == "" and r["summary_source"] == "" for r in others)
    # no folder, no summaries: nothing is labelled human-written
    assert load_summaries(tmp_path / "missing", "alpha", cb, cases) == {}
    # an XLSX cell shows the label only where a human wrote one
    out = tmp_path / "framework_alpha.xlsx"
    write_framework_xlsx(out, rows, cb, "alpha", synthetic=True)
    from openpyxl import load_workbook

    ws = load_workbook(out)["All codes"]
    values = [c.value or "" for row in ws.iter_rows(min_row=2) for c in row[1:]]
    labelled = [v for v in values if "Human-written summary" in v]
    assert len(labelled) == 1 and "shared problem" in labelled[0]


def test_summaries_reject_unknown_case_or_code(data: tuple, tmp_path: Path) -> None:
    cb, *_ = data
    folder = tmp_path / "summaries"
    folder.mkdir()
    (folder / "alpha.csv").write_text("case,code,summary,author\n"
                                      "Nowhere ICS,workforce,Text.,AB\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown case 'Nowhere ICS'"):
        load_summaries(folder, "alpha", cb, {"London ICS"})
    (folder / "alpha.csv").write_text("case,code,summary,author\n"
                                      "London ICS,nope,Text.,AB\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown code 'nope'"):
        load_summaries(folder, "alpha", cb, {"London ICS"})
    (folder / "alpha.csv").write_text("case,code,summary,author\n"
                                      "London ICS,workforce,Text.,\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs its author"):
        load_summaries(folder, "alpha", cb, {"London ICS"})


def test_xlsx_is_byte_identical_across_runs(data: tuple, tmp_path: Path) -> None:
    cb, segs, coded = data
    rows = framework_matrix(cb, segs, coded, "alpha", ["ics_label"], 2)
    write_framework_xlsx(tmp_path / "a.xlsx", rows, cb, "alpha")
    write_framework_xlsx(tmp_path / "b.xlsx", rows, cb, "alpha")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
        stamps = {i.date_time for i in z.infolist()}
    # no wall-clock time anywhere: a rerun tomorrow gives the same bytes
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core
    assert stamps == {(1980, 1, 1, 0, 0, 0)}


def test_holdout_warnings_are_added_to_in_sample_ones() -> None:
    from qualsynth.themes.matrices import agreement_flags, merge_holdout_flags

    in_sample = {"codes": [{"code": "a", "kappa": 0.7, "warning": ""},
                           {"code": "b", "kappa": 0.3, "warning": "low (kappa 0.30)"},
                           {"code": "c", "kappa": 0.8, "warning": ""}]}
    holdout = {"min_gold_segments": 10, "codes": [
        {"code": "a", "kappa": 0.2, "warning": "low (kappa 0.20)", "gold_segments": 12},
        {"code": "b", "kappa": 0.1, "warning": "low (kappa 0.10)", "gold_segments": 12},
        {"code": "c", "kappa": 0.1, "warning": "low (kappa 0.10)", "gold_segments": 3}]}
    flags = agreement_flags(merge_holdout_flags(in_sample, holdout))
    assert flags["a"] == (0.2, "held-out set: low (kappa 0.20)")
    assert flags["b"] == (0.3, "low (kappa 0.30)")       # in-sample warning kept
    assert flags["c"] == (0.8, "")                        # too few held-out examples
    assert merge_holdout_flags(in_sample, None) is in_sample
    assert in_sample["codes"][0]["warning"] == ""         # input not modified
