"""The de-identification stage end to end on a tiny invented project, and the gate.

Every person, practice and charity here is invented in this file; the ICBs are real
public bodies (they are not personal data).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from qualsynth.deid.gate import GateFailed, run_gate
from qualsynth.deid.pseudonyms import SECRET_ENV, Secret
from qualsynth.deid.settings import settings_from_config
from qualsynth.deid.stage import run_deidentify
from qualsynth.ingest.document import ingest_study_document
from qualsynth.io import read_jsonl, write_json

REPO = Path(__file__).resolve().parents[1]
SECRET = "t3st-secret-" + "a1" * 16

TXT = (
    "Interviewer: Thanks for joining, Perpetua. Could you describe your role?\n"
    "Perpetua Quillfeather: Of course. I lead workforce at Elm Lattice Surgery. My "
    "colleague Dr Zebedee Marchbank runs the staff bank with Lowmoor Carers Trust. You can "
    "ring me on 07700 900123 or email perpetua.quillfeather@example.nhs.uk. We started on "
    "14th March 2022.\n"
    "Interviewer: What has helped?\n"
    "Perpetua Quillfeather: Relationships with the ICB, mostly. The Better Care Fund "
    "helped, and Quillfeather's old team in Maidstone too.\n"
)
VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:04.000\n"
    "<v Orla Fenwright>Good morning, thanks for making time, Barnaby.</v>\n\n"
    "00:00:04.500 --> 00:00:09.000\n"
    "<v Barnaby Tallowmere>Morning. Marchbank told me the memory service waits are long. "
    "NHS Kent and Medway Integrated Care Board knows.</v>\n"
)
NAMES = ("Perpetua", "Quillfeather", "Zebedee", "Marchbank", "Barnaby", "Tallowmere",
         "Orla", "Fenwright", "Elm Lattice", "Lowmoor", "07700", "example.nhs.uk",
         "Maidstone", "14th March")
COLUMNS = ["transcript", "participant_id", "name", "aliases", "ics", "region",
           "organisation", "sector", "role", "time_point", "interview_date", "interviewer",
           "ics_code", "organisation_type"]


def build_project(root: Path) -> Path:
    """Config, register and two transcripts under ``root``; returns the config path."""
    folder = root / "raw" / "alpha"
    folder.mkdir(parents=True)
    (folder / "a01.txt").write_text(TXT, encoding="utf-8")
    (folder / "a02.vtt").write_text(VTT, encoding="utf-8")
    rows = [
        {"transcript": "a01.txt", "participant_id": "P01", "name": "Perpetua Quillfeather",
         "aliases": "Perpetua", "ics": "NHS Kent and Medway Integrated Care Board",
         "region": "South East", "organisation": "Elm Lattice Surgery",
         "sector": "primary_care", "role": "Practice manager, Elm Lattice Surgery",
         "time_point": "single", "interview_date": "2024-03-01",
         "interviewer": "Orla Fenwright", "ics_code": "QKS", "organisation_type": "practice"},
        {"transcript": "a02.vtt", "participant_id": "P02", "name": "Barnaby Tallowmere",
         "aliases": "", "ics": "NHS Frimley Integrated Care Board", "region": "South East",
         "organisation": "Lowmoor Carers Trust", "sector": "vcse", "role": "Chief executive",
         "time_point": "single", "interview_date": "2024-03-02",
         "interviewer": "Orla Fenwright", "ics_code": "QNQ", "organisation_type": "charity"},
    ]
    with open(folder / "participants.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config.update({"data_root": str(root / "raw"), "processed_dir": str(root / "processed"),
                   "restricted_dir": str(root / "restricted"), "reports_dir": str(root / "r"),
                   "logs_dir": str(root / "logs"),
                   "studies": [{"id": "alpha", "title": "Alpha", "lens": "Testing",
                                "kind": "interview", "data": "alpha"}]})
    config["deid"]["secret_file"] = str(root / "home" / "secret")
    config["deid"]["disclose_case_sites"] = False  # the schema default (the demo sets true)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for name in ("a01.txt", "a02.vtt"):
        result = ingest_study_document(folder, name, "alpha", config["ingest"])
        write_json(root / "restricted" / "ingest" / "alpha" / f"{name[:3]}.json", result)
    return path


def run(config_path: Path) -> dict:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    root = config_path.parent
    paths = sorted((root / "restricted" / "ingest").rglob("*.json"))
    return run_deidentify(config, paths, root / "processed" / "deid",
                          root / "restricted" / "keys" / "key_table.csv", lambda m: None,
                          settings_from_config(config),
                          Secret(SECRET.encode(), "environment"))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    config_path = build_project(tmp_path_factory.mktemp("deid"))
    run(config_path)
    return config_path.parent


def processed_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted((root / "processed").rglob("*")) if p.is_file())


def test_nothing_identifiable_in_processed_outputs(project):
    text = processed_text(project)
    for value in NAMES:
        assert value not in text, value
    assert "QKS" not in text and "QNQ" not in text       # ics_code column dropped


def test_segments_keep_ids_and_get_region_labels(project):
    ingest = json.loads((project / "restricted/ingest/alpha/a01.json").read_text())
    segments = read_jsonl(project / "processed/deid/segments.jsonl")
    ids = {s["segment_id"] for s in segments}
    assert {s["segment_id"] for s in ingest["segments"]} <= ids
    for seg in segments:
        assert seg["ics_label"] in {"South East ICS A", "South East ICS B"}
        for gone in ("ics", "name", "organisation", "interviewer", "interview_date",
                     "ics_code", "organisation_type", "aliases"):
            assert gone not in seg
    labels = {s["document"]: s["ics_label"] for s in segments}
    assert labels["a01"] != labels["a02"]                 # two ICSs in one region: letters


def test_readable_pseudonyms_consistent_across_documents(project):
    turns = {t["turn_id"]: t for t in read_jsonl(project / "processed/deid/turns.jsonl")}
    first = turns["alpha/a01/t002"]["text"]
    second = turns["alpha/a02/t002"]["text"]
    assert first.startswith("Of course. I lead workforce at [GP practice ")
    assert "[phone]" in first and "[email]" in first and "March 2022" in first
    person = first.split("My colleague ")[1].split(" runs")[0]
    assert person.startswith("[Person ")
    assert second.startswith(f"Morning. {person} told me")
    assert "[South East ICB " in second
    assert turns["alpha/a01/t001"]["text"] == ("Thanks for joining, [Participant P01]. "
                                               "Could you describe your role?")
    assert turns["alpha/a01/t001"]["speaker"] == turns["alpha/a02/t001"]["speaker"]
    assert turns["alpha/a01/t001"]["speaker"].startswith("[Interviewer ")
    assert turns["alpha/a02/t002"]["speaker"] == "[Participant P02]"
    docs = read_jsonl(project / "processed/deid/documents.jsonl")
    assert docs[0]["role"].startswith("Practice manager, [GP practice ")


def test_key_table_only_in_the_restricted_folder(project):
    key_table = project / "restricted" / "keys" / "key_table.csv"
    rows = list(csv.DictReader(key_table.open(encoding="utf-8")))
    assert {r["pseudonym"] for r in rows} >= {"[Participant P01]", "[Participant P02]"}
    assert any("Marchbank" in r["original"] for r in rows)
    assert not list((project / "processed").rglob("key_table*"))


def test_audit_rows_have_positions_but_no_original_values(project):
    files = sorted((project / "processed" / "deid" / "audit").rglob("*.jsonl"))
    assert [f.relative_to(project / "processed/deid/audit").as_posix() for f in files] == \
        ["alpha/a01.jsonl", "alpha/a02.jsonl"]
    turns = {t["turn_id"]: t for t in
             json.loads((project / "restricted/ingest/alpha/a01.json").read_text())["turns"]}
    for row in read_jsonl(files[0]):
        assert set(row) == {"label", "detector", "start", "end", "pseudonym", "field",
                            "turn_id", "segment_id", "score"}
        if row["field"] == "text":
            original = turns[row["turn_id"]]["text"][row["start"]:row["end"]]
            assert original and original not in json.dumps(row)


def test_summary_counts(project):
    summary = json.loads((project / "processed/deid/summary.json").read_text())
    assert summary["documents"] == 2 and summary["by_study"]["alpha"]["documents"] == 2
    assert summary["by_label"]["PERSON"] >= 4 and summary["by_label"]["PHONE"] == 1
    assert summary["settings"]["secret_source"] == "environment"
    assert all(r["n"] > 0 for r in summary["counts"])


def test_sites_do_not_disclose_codes_unless_configured(project):
    rows = list(csv.DictReader((project / "processed/deid/sites.csv").open()))
    assert sorted(r["ics_label"] for r in rows) == ["South East ICS A", "South East ICS B"]
    assert all(r["icb22cd"] == "" for r in rows)


def test_rerun_is_deterministic(project):
    before = {p: p.read_bytes() for p in (project / "processed").rglob("*") if p.is_file()}
    key_before = (project / "restricted/keys/key_table.csv").read_bytes()
    run(project / "config.yaml")
    after = {p: p.read_bytes() for p in (project / "processed").rglob("*") if p.is_file()}
    assert after == before
    assert (project / "restricted/keys/key_table.csv").read_bytes() == key_before


def _book(project: Path):
    from qualsynth.deid.evaluate import corpus_book

    return corpus_book(yaml.safe_load((project / "config.yaml").read_text()))


def test_leakage_gate_passes_on_clean_output(project):
    config = yaml.safe_load((project / "config.yaml").read_text())
    report = run_gate(project / "processed" / "deid", _book(project),
                      settings_from_config(config))
    assert report["passed"] and report["survivors"] == []
    assert "segments.jsonl" in report["checked_files"]


def test_leakage_gate_fails_on_a_planted_survivor_naming_position_not_value(
        project, tmp_path, capsys, monkeypatch):
    import shutil

    from qualsynth.cli import main

    copy = tmp_path / "deid"
    shutil.copytree(project / "processed" / "deid", copy)
    rows = read_jsonl(copy / "segments.jsonl")
    rows[1]["text"] += " Tallowmere said so, call 020 7946 0958."
    with open(copy / "segments.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")
    config = yaml.safe_load((project / "config.yaml").read_text())
    with pytest.raises(GateFailed) as failed:
        run_gate(copy, _book(project), settings_from_config(config))
    where = {(s.file, s.line, s.field, s.label) for s in failed.value.survivors}
    assert ("segments.jsonl", 2, "text", "PERSON") in where
    assert ("segments.jsonl", 2, "text", "PHONE") in where

    monkeypatch.setenv(SECRET_ENV, SECRET)
    code = main(["leakage-gate", "--config", str(project / "config.yaml"),
                 "--deid-dir", str(copy)])
    err = capsys.readouterr().err
    assert code == 1
    assert "segments.jsonl:2: field text: characters" in err
    assert "Tallowmere" not in err and "7946" not in err
    assert not (copy / "leakage_gate.json").exists()
