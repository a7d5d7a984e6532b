"""Theme sub-commands end to end on small invented fixtures."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from qualsynth.cli import main
from themes_fixtures import segment, small_codebook, write_codebook, write_segments

REPO = Path(__file__).resolve().parents[1]


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["processed_dir"] = str(tmp_path / "processed")
    config["studies"] = [{"id": "alpha", "title": "Alpha", "lens": "Testing",
                          "kind": "interview", "data": "alpha"}]
    config["themes"].update(codebook=str(tmp_path / "codebook.yaml"),
                            summaries_dir=str(tmp_path / "summaries"),
                            bootstrap_iterations=100, min_gold_segments=2)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    write_codebook(tmp_path / "codebook.yaml", small_codebook())
    rows = [
        segment("alpha/a01/t002/s01", "We recruit nurses. The GPs agree.", time_point="baseline"),
        segment("alpha/a01/t004/s01", "Training for learning disabilities is separate.",
                time_point="baseline"),
        segment("alpha/a02/t002/s01", "We are hiring. We trust each other.",
                participant_id="P02", time_point="follow_up"),
        segment("alpha/a02/t004/s01", "Nothing relevant at all [Person 3].",
                participant_id="P02", time_point="follow_up"),
    ]
    write_segments(tmp_path / "segments.jsonl", rows)
    return tmp_path


def _tag(ws: Path) -> None:
    code, _out, err = run("tag", "--config", str(ws / "config.yaml"), "--segments",
                          str(ws / "segments.jsonl"), "--codings", str(ws / "codings.csv"),
                          "--segment-codes", str(ws / "segment_codes.csv"))
    assert code == 0, err


def test_tag_writes_codings_with_evidence_and_hash(workspace: Path) -> None:
    _tag(workspace)
    rows = read_rows(workspace / "codings.csv")
    assert list(rows[0]) == ["segment_id", "study", "code", "rule", "evidence", "sentence_no",
                             "sentence", "codebook_version", "codebook_hash"]
    got = {(r["segment_id"], r["code"], r["evidence"]) for r in rows}
    assert got == {("alpha/a01/t002/s01", "workforce.recruitment", "recruit"),
                   ("alpha/a01/t002/s01", "primary_care", "GPs"),
                   ("alpha/a02/t002/s01", "workforce.recruitment", "hiring"),
                   ("alpha/a02/t002/s01", "relationships", "trust ~ each other")}
    from qualsynth.themes.codebook import load_codebook

    assert {r["codebook_hash"] for r in rows} == {load_codebook(workspace / "codebook.yaml").hash}
    presence = read_rows(workspace / "segment_codes.csv")
    parents = [r for r in presence if r["code"] == "workforce"]
    assert len(parents) == 2 and all(r["direct"] == "0" for r in parents)


def test_tag_rejects_placeholder_segments(workspace: Path) -> None:
    (workspace / "segments.jsonl").write_text('{"placeholder": true, "message": "x"}\n')
    code, _out, err = run("tag", "--config", str(workspace / "config.yaml"), "--segments",
                          str(workspace / "segments.jsonl"), "--codings",
                          str(workspace / "c.csv"), "--segment-codes", str(workspace / "s.csv"))
    assert code == 2 and "placeholder" in err and not (workspace / "c.csv").exists()


def test_matrices_and_evaluation(workspace: Path) -> None:
    _tag(workspace)
    gold = workspace / "gold"
    gold.mkdir()
    (gold / "theme_coded_segments.csv").write_text(
        "segment_id\nalpha/a01/t002/s01\nalpha/a01/t004/s01\nalpha/a02/t002/s01\n"
        "alpha/a02/t004/s01\n")
    (gold / "theme_codes.csv").write_text(
        "segment_id,code,rationale,coder\n"
        "alpha/a01/t002/s01,workforce.recruitment,recruiting nurses,T1\n"
        "alpha/a02/t002/s01,workforce.recruitment,hiring,T1\n"
        "alpha/a02/t002/s01,relationships,trust,T1\n"
        "alpha/a01/t004/s01,,nothing,T1\n")
    code, _out, err = run("evaluate-coding", "--config", str(workspace / "config.yaml"),
                          "--segments", str(workspace / "segments.jsonl"),
                          "--codings", str(workspace / "codings.csv"),
                          "--gold-codes", str(gold / "theme_codes.csv"),
                          "--gold-segments", str(gold / "theme_coded_segments.csv"),
                          "--out", str(workspace / "evaluation.json"),
                          "--csv", str(workspace / "evaluation.csv"))
    assert code == 0, err
    ev = json.loads((workspace / "evaluation.json").read_text())
    rows = {r["code"]: r for r in ev["codes"]}
    assert rows["workforce.recruitment"]["f1"] == 1.0
    assert rows["primary_care"]["gold_segments"] == 0
    assert rows["primary_care"]["predicted_segments"] == 1
    assert ev["gold"]["gold_codes_sha256"] and ev["n_segments"] == 4
    assert ev["gold"]["coders"] == ["T1"]

    out = workspace / "themes"
    code, _out, err = run("theme-matrices", "--config", str(workspace / "config.yaml"),
                          "--segments", str(workspace / "segments.jsonl"),
                          "--codings", str(workspace / "codings.csv"),
                          "--evaluation", str(workspace / "evaluation.json"),
                          "--out-dir", str(out))
    assert code == 0, err
    for by in ("study", "ics_label", "sector", "role", "time_point", "participant"):
        assert (out / f"case_matrix_{by}.csv").exists()
    assert (out / "case_matrices.xlsx").exists() and (out / "framework_alpha.xlsx").exists()
    tp = read_rows(out / "case_matrix_time_point.csv")
    base = [r for r in tp if r["study"] == "alpha" and r["group"] == "baseline"
            and r["code"] == "workforce.recruitment"][0]
    assert (base["segments_coded"], base["n_segments"], base["share_segments"]) == ("1", "2",
                                                                                    "0.5")
    fw = read_rows(out / "framework_alpha.csv")
    assert {r["case"] for r in fw} == {"London ICS | baseline", "London ICS | follow_up"}
    assert all(r["summary_source"] == "" for r in fw)


def test_gold_with_unknown_code_is_a_clear_error(workspace: Path) -> None:
    _tag(workspace)
    (workspace / "coded.csv").write_text("segment_id\nalpha/a01/t002/s01\n")
    (workspace / "codes.csv").write_text("segment_id,code,rationale,coder\n"
                                         "alpha/a01/t002/s01,workforce.recruiting,x,T1\n")
    code, _out, err = run("evaluate-coding", "--config", str(workspace / "config.yaml"),
                          "--segments", str(workspace / "segments.jsonl"),
                          "--codings", str(workspace / "codings.csv"),
                          "--gold-codes", str(workspace / "codes.csv"),
                          "--gold-segments", str(workspace / "coded.csv"),
                          "--out", str(workspace / "e.json"))
    assert code == 2
    assert "codes.csv:2: column 'code': unknown code 'workforce.recruiting'" in err


def test_tag_text_json_lines(tmp_path: Path) -> None:
    cb = write_codebook(tmp_path / "cb.yaml", small_codebook())
    proc = subprocess.run(
        [sys.executable, "-m", "qualsynth.cli", "tag-text", "-", "--codebook", str(cb),
         "--config", str(tmp_path / "none.yaml")],
        input="We recruit GPs.\n\n[NHS trust 1] staff.\n", capture_output=True, text=True,
        check=True)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert lines == [
        {"line": 1, "codes": [
            {"code": "workforce.recruitment", "rule": "workforce.recruitment/terms",
             "evidence": "recruit"},
            {"code": "primary_care", "rule": "primary_care/acronym", "evidence": "GPs"}]},
        {"line": 3, "codes": []}]
    assert proc.stdout.splitlines()[0].startswith('{"line": 1, "codes": [{"code": ')


def test_tag_text_reads_a_file(tmp_path: Path) -> None:
    cb = write_codebook(tmp_path / "cb.yaml", small_codebook())
    (tmp_path / "in.txt").write_text("Hiring is slow.\n", encoding="utf-8")
    code, out, _err = run("tag-text", str(tmp_path / "in.txt"), "--codebook", str(cb),
                          "--config", str(tmp_path / "none.yaml"))
    assert code == 0 and json.loads(out)["codes"][0]["evidence"] == "Hiring"


def test_codebook_diff_reports_gains_and_losses(workspace: Path) -> None:
    new = small_codebook("0.2.0")
    new["codes"][1]["rules"][0]["terms"] = ["recruit"]           # drops "hiring"
    new["codes"][4]["rules"][0]["terms"] = ["GP", "nurse"]       # adds "nurse"
    write_codebook(workspace / "new.yaml", new)
    code, out, err = run("codebook-diff", str(workspace / "codebook.yaml"),
                         str(workspace / "new.yaml"), "--config",
                         str(workspace / "config.yaml"), "--segments",
                         str(workspace / "segments.jsonl"), "--out",
                         str(workspace / "diff.csv"))
    assert code == 0, err
    assert "rules changed: workforce.recruitment/terms, primary_care/acronym" in out
    rows = read_rows(workspace / "diff.csv")
    changes = {(r["change"], r["segment_id"], r["code"], r["evidence"]) for r in rows}
    assert changes == {("-", "alpha/a02/t002/s01", "workforce.recruitment", "hiring")}
    # "nurses" is already in a segment coded primary_care (GPs): no gain; a new segment:
    write_segments(workspace / "more.jsonl", [segment("alpha/a09/t002/s01", "A nurse said so.")])
    code, out, _ = run("codebook-diff", str(workspace / "codebook.yaml"),
                       str(workspace / "new.yaml"), "--segments", str(workspace / "more.jsonl"),
                       "--config", str(workspace / "config.yaml"))
    assert code == 0 and "+ primary_care" in out and "alpha/a09/t002/s01" in out


def test_validate_codebook_command(tmp_path: Path) -> None:
    code, out, _ = run("validate-codebook", str(REPO / "config" / "codebook.yaml"))
    assert code == 0 and "valid (version" in out
    doc = small_codebook()
    doc["codes"][1]["parent"] = "nowhere"
    bad = write_codebook(tmp_path / "bad.yaml", doc)
    code, _out, err = run("validate-codebook", str(bad))
    assert code == 2 and err.startswith("error: ") and "unknown parent 'nowhere'" in err


def test_tag_text_study_option(tmp_path: Path) -> None:
    doc = small_codebook()
    doc["codes"][1]["rules"][0]["studies"] = ["workforce"]
    cb = write_codebook(tmp_path / "cb.yaml", doc)
    (tmp_path / "in.txt").write_text("We recruit locally.\n", encoding="utf-8")
    args = ("tag-text", str(tmp_path / "in.txt"), "--codebook", str(cb), "--config",
            str(tmp_path / "none.yaml"))
    code, out, _err = run(*args)
    assert code == 0 and json.loads(out)["codes"] == []
    code, out, _err = run(*args, "--study", "workforce")
    assert code == 0 and json.loads(out)["codes"][0]["code"] == "workforce.recruitment"


def _write_holdout(ws: Path, texts: list[tuple[str, str, str]],
                   codes: list[tuple[str, str]]) -> tuple[Path, Path]:
    tpath, cpath = ws / "holdout_texts.csv", ws / "holdout_codes.csv"
    with open(tpath, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["segment_id", "study", "text"])
        w.writerows(texts)
    with open(cpath, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["segment_id", "code", "rationale", "coder"])
        w.writerows([(sid, c, "invented", "T") for sid, c in codes])
    return tpath, cpath


def test_evaluate_holdout_scores_texts_outside_the_corpus(workspace: Path) -> None:
    texts = [("h1", "alpha", "We recruit nurses."), ("h2", "alpha", "We are hiring again."),
             ("h3", "alpha", "Staff are leaving for better jobs."),
             ("h4", "alpha", "Nothing to code here.")]
    # gold: h1, h2, h3 are recruitment; the rules find h1 and h2 only
    tpath, cpath = _write_holdout(workspace, texts, [("h1", "workforce.recruitment"),
                                                     ("h2", "workforce.recruitment"),
                                                     ("h3", "workforce.recruitment"),
                                                     ("h4", "")])
    out = workspace / "holdout.json"
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(tpath), "--gold-codes", str(cpath), "--out", str(out),
                          "--iterations", "0")
    assert code == 0, err
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["n_segments"] == 4
    assert result["gold"]["role"] == "held-out" and result["gold"]["coders"] == ["T"]
    rec = next(c for c in result["codes"] if c["code"] == "workforce.recruitment")
    assert rec["precision"] == 1.0 and rec["recall"] == round(2 / 3, 4)


def test_evaluate_holdout_compares_a_second_coder(workspace: Path) -> None:
    from sklearn.metrics import cohen_kappa_score

    texts = [("h1", "alpha", "We recruit nurses."), ("h2", "alpha", "We are hiring again."),
             ("h3", "alpha", "Staff are leaving for better jobs."),
             ("h4", "alpha", "Nothing to code here."), ("h5", "alpha", "Recruitment is hard."),
             ("h6", "alpha", "We advertised the posts twice."),
             ("h7", "alpha", "Not in the double-coded sample.")]
    first = {"h1", "h2", "h3", "h5", "h6"}
    tpath, cpath = _write_holdout(workspace, texts, [
        (sid, "workforce.recruitment" if sid in first else "") for sid, _, _ in texts])
    second = {"h1", "h2", "h5"}
    spath = workspace / "second.csv"
    with open(spath, "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["segment_id", "code", "rationale", "coder"])
        w.writerows([(sid, "workforce.recruitment" if sid in second else "", "x", "S")
                     for sid in ("h1", "h2", "h3", "h4", "h5", "h6")])
    out = workspace / "holdout.json"
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(tpath), "--gold-codes", str(cpath), "--second-codes",
                          str(spath), "--out", str(out), "--iterations", "0")
    assert code == 0, err
    both = json.loads(out.read_text(encoding="utf-8"))["second_coder"]
    assert both["n_passages"] == 6 and both["coders"] == ["S"]
    sample = ["h1", "h2", "h3", "h4", "h5", "h6"]
    expected = cohen_kappa_score([s in first for s in sample], [s in second for s in sample])
    row = next(r for r in both["codes"] if r["code"] == "workforce.recruitment")
    assert row["first_coder_passages"] == 5
    assert row["second_coder_kappa"] == round(expected, 4)
    assert row["second_coder_recall"] == 0.6
    assert {r["code"] for r in both["codes"]} == {"workforce", "workforce.recruitment"}
    assert -1 <= both["rules"]["pooled_kappa"] <= 1
    # the recall target is applied to the second coder as to the tagger, on the same texts
    target = both["recall_target"]
    assert target["min_gold_in_sample"] == 2 and target["recall_min"] == 0.8
    assert target["n_codes"] == 2
    assert set(target["second_coder_below"]) == {"workforce", "workforce.recruitment"}
    assert target["rules_below"] == [r["code"] for r in both["codes"]
                                     if r["rules_recall"] < 0.8]
    # a second coder's file naming a passage that is not in the texts is refused
    with open(spath, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["h9", "", "x", "S"])
    out.unlink()
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(tpath), "--gold-codes", str(cpath), "--second-codes",
                          str(spath), "--out", str(out))
    assert code == 2 and "second.csv:8: column 'segment_id': segment 'h9'" in err
    assert not out.exists()


def test_evaluate_holdout_errors_name_file_line_and_field(workspace: Path) -> None:
    tpath, cpath = _write_holdout(workspace, [("h1", "alpha", "We recruit."),
                                              ("h1", "alpha", "Again.")], [])
    args = ("evaluate-holdout", "--config", str(workspace / "config.yaml"), "--texts",
            str(tpath), "--gold-codes", str(cpath), "--out", str(workspace / "h.json"))
    code, _out, err = run(*args)
    assert code == 2 and "holdout_texts.csv:3: column 'segment_id': duplicate" in err
    _write_holdout(workspace, [("h1", "beta", "We recruit.")], [])
    code, _out, err = run(*args)
    assert code == 2 and "column 'study': unknown study 'beta'" in err
    assert not (workspace / "h.json").exists()


def test_evaluate_holdout_pools_several_sets(workspace: Path) -> None:
    one = workspace / "one"
    two = workspace / "two"
    one.mkdir()
    two.mkdir()
    t1, c1 = _write_holdout(one, [("a1", "alpha", "We recruit nurses."),
                                  ("a2", "alpha", "Nothing to code here.")],
                            [("a1", "workforce.recruitment"), ("a2", "")])
    t2, c2 = _write_holdout(two, [("b1", "alpha", "Staff are leaving for better jobs."),
                                  ("b2", "alpha", "We are hiring again.")],
                            [("b1", "workforce.recruitment"), ("b2", "workforce.recruitment")])
    out = workspace / "pooled.json"
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(t1), str(t2), "--gold-codes", str(c1), str(c2),
                          "--out", str(out), "--iterations", "0")
    assert code == 0, err
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["n_segments"] == 4 and result["gold"]["sets"] == 2
    assert result["gold"]["gold_segments"] == f"{t1.as_posix()}; {t2.as_posix()}"
    assert len(result["gold"]["gold_codes_sha256"].split("; ")) == 2
    rec = next(c for c in result["codes"] if c["code"] == "workforce.recruitment")
    assert rec["gold_segments"] == 3
    # one codes file per texts file, and ids distinct across the pooled sets
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(t1), str(t2), "--gold-codes", str(c1),
                          "--out", str(workspace / "x.json"))
    assert code == 2 and "one codes file per texts file" in err
    _write_holdout(two, [("a1", "alpha", "We recruit again.")], [("a1", "")])
    code, _out, err = run("evaluate-holdout", "--config", str(workspace / "config.yaml"),
                          "--texts", str(t1), str(t2), "--gold-codes", str(c1), str(c2),
                          "--out", str(workspace / "x.json"))
    assert code == 2 and "two/holdout_texts.csv" in err and "'a1' is also in" in err
    assert not (workspace / "x.json").exists()
