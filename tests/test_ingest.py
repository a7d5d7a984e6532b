"""Ingestion: readers on real-shaped samples, segmentation, register checks, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_docx, register_row, write_register
from qualsynth.cli import main
from qualsynth.errors import InputError
from qualsynth.ingest.document import document_id, ingest_study_document, list_transcripts
from qualsynth.ingest.readers import read_docx, read_transcript, read_txt, read_vtt
from qualsynth.ingest.register import check_register_files, load_register
from qualsynth.ingest.segment import segment_sentences, split_sentences
from qualsynth.ingest.text import decode_bytes, raw_text

INGEST_CFG = {"segment_min_words": 60, "segment_max_words": 180,
              "interviewer_labels": ["Interviewer", "I"], "participant_labels": ["Participant"]}


def run_cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return (exit code, stderr text)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


# ---------------------------------------------------------------- readers
def test_txt_turns_timestamps_and_continuations(project: Path) -> None:
    turns = read_txt(project / "data/raw/mini/alpha/a01.txt", {"Interviewer"})
    assert [t.speaker for t in turns] == ["Interviewer", "Ottoline Quarrie", "Interviewer",
                                          "Ottoline Quarrie"]
    assert turns[1].start_time == "00:00:05"
    # the blank line and the continuation paragraph belong to the previous speaker
    assert "retention" in turns[1].text and turns[1].line_start == 2 and turns[1].line_end == 4
    # "Note:" inside a turn is not a new speaker
    assert turns[3].text.endswith("Note: that took years.")


def test_vtt_merges_consecutive_cues_of_one_speaker(project: Path) -> None:
    turns = read_vtt(project / "data/raw/mini/alpha/a02.vtt")
    assert [t.speaker for t in turns] == ["Benedikt Hollow", "Saoirse Pennick",
                                          "Benedikt Hollow"]
    assert "waits are long. Primary care could" in turns[1].text
    assert turns[1].start_time == "00:00:04.500"
    assert (turns[1].line_start, turns[1].line_end) == (7, 13)


def test_docx_teams_export(project: Path) -> None:
    turns = read_docx(project / "data/raw/mini/alpha/a03.docx")
    assert [t.speaker for t in turns] == ["Imelda Fairbrass", "Wystan Colquhoun",
                                          "Imelda Fairbrass"]
    assert turns[1].text == ("Happy to. Place is where the work happens for us. "
                             "We hold a small delegated budget now.")
    assert turns[1].start_time == "0:09"


def test_docx_plain_name_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    make_docx(path, ["Interviewer: How is the partnership going?",
                     "Ffion Ashdown: Better than last year.", "We meet monthly now.",
                     "Interviewer: Thanks."])
    turns = read_docx(path, {"Interviewer", "Ffion Ashdown"})  # the register supplies names
    assert [t.speaker for t in turns] == ["Interviewer", "Ffion Ashdown", "Interviewer"]
    assert turns[1].text == "Better than last year. We meet monthly now."


def test_raw_text_docx_is_paragraphs_joined(project: Path) -> None:
    text = raw_text(project / "data/raw/mini/alpha/a03.docx")
    assert text.split("\n")[2] == "Imelda Fairbrass   0:03"


# ---------------------------------------------------------------- encodings
def test_windows_1252_bom_and_crlf_are_read(tmp_path: Path) -> None:
    body = "Interviewer: Caf\u00e9 chat \u2013 fine?\r\nRhiannon Tapp: Yes \u2018really\u2019.\r\n"
    cp = tmp_path / "cp.txt"
    cp.write_bytes(body.encode("cp1252"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    for path in (cp, bom):
        turns = read_txt(path, {"Interviewer", "Rhiannon Tapp"})
        assert turns[0].text == "Caf\u00e9 chat \u2013 fine?"
        assert turns[1].text == "Yes \u2018really\u2019."
        assert "\r" not in raw_text(path)


def test_binary_file_with_txt_name_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary content"):
        read_transcript(path)


def test_decode_rejects_nul_bytes() -> None:
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"Speaker: hi\x00there", "f.txt")


# ---------------------------------------------------------------- bad transcripts
@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", "", "empty transcript"),
    ("blank.txt", "\n\n   \n", "empty transcript"),
    ("nohead.vtt", "00:00:01.000 --> 00:00:02.000\n<v A B>hi</v>\n", "WEBVTT"),
    ("broken.vtt", "WEBVTT\n\ncue-1\n00:00:01 -> 00:00:02\n<v A B>hi</v>\n", "broken cue"),
    ("notext.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", "no text"),
    ("onlyhead.vtt", "WEBVTT\n\n", "no cues"),
])
def test_bad_transcripts_fail_clearly(tmp_path: Path, name: str, content: str,
                                      message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_transcript(path)
    assert str(path) in str(info.value)


def test_broken_vtt_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.vtt"
    path.write_text("WEBVTT\n\ncue-1\n00:00:01 -> 00:00:02\n<v A B>hi</v>\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vtt(path)
    assert info.value.line == 4


@pytest.mark.parametrize("payload", [b"not a zip at all", b"PK\x03\x04corrupt-zip-data"])
def test_corrupt_docx(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(payload)
    with pytest.raises(InputError, match="not a readable .docx"):
        read_transcript(path)


# ---------------------------------------------------------------- segmentation
def test_segments_respect_sentence_boundaries_and_sizes() -> None:
    sentence = "This is a sentence about system working across the partners here. "
    text = sentence * 40  # 40 sentences x 11 words
    sentences = split_sentences(text)
    assert len(sentences) == 40
    segments = segment_sentences(sentences, 60, 180)
    assert all(60 <= len(s.split()) <= 180 for s in segments)
    assert " ".join(segments) == " ".join(sentences)
    assert all(s.endswith(".") for s in segments)


def test_short_turn_is_one_segment_and_long_sentence_stays_whole() -> None:
    assert segment_sentences(["Yes."], 60, 180) == ["Yes."]
    long = " ".join(["word"] * 250) + "."
    assert segment_sentences([long], 60, 180) == [long]


# ---------------------------------------------------------------- documents
def test_ingest_document_ids_roles_and_provenance(project: Path) -> None:
    folder = project / "data/raw/mini/alpha"
    result = ingest_study_document(folder, "a02.vtt", "alpha", INGEST_CFG)
    turns, segments = result["turns"], result["segments"]
    assert [t["speaker_role"] for t in turns] == ["interviewer", "participant", "interviewer"]
    assert turns[1]["turn_id"] == "alpha/a02/t002"
    assert segments[0]["segment_id"] == "alpha/a02/t002/s01"
    assert segments[0]["participant_id"] == "P02" and segments[0]["sector"] == "trust"
    assert len(segments[0]["source_sha256"]) == 64
    assert "name" not in segments[0] and "organisation" not in segments[0]
    assert result["documents"][0]["organisation_type"] == "council"  # extra column kept


def test_unknown_speaker_becomes_participant_when_only_one(project: Path) -> None:
    folder = project / "data/raw/mini/alpha"
    result = ingest_study_document(folder, "a03.docx", "alpha", INGEST_CFG)
    roles = [t["speaker_role"] for t in result["turns"]]
    assert roles == ["interviewer", "participant", "interviewer"]


def test_document_id_is_sanitised() -> None:
    assert document_id("Interview 3 (final).docx") == "Interview-3-final"


# ---------------------------------------------------------------- register
def test_register_problems(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    base = register_row("a.txt", "P01", "Tamsin Orr", "Int One")
    cases = [
        ([base, register_row("b.txt", "P01", "Tamsin Orr", "Int One")], "duplicate participant_id"),
        ([register_row("a.txt", "P01", "Tamsin Orr", "Int", sector="nhs")], "unknown sector"),
        ([register_row("a.txt", "P01", "Tamsin Orr", "Int", time_point="later")],
         "unknown time point"),
        ([register_row("a.txt", "P01", "Tamsin Orr", "Int", region="Wessex")], "unknown NHS"),
        ([register_row("a.txt", "P01", "Tamsin Orr", "Int", interview_date="03/04/24")],
         "YYYY-MM-DD"),
        ([base, register_row("b.txt", "P01", "Other Person", "Int", time_point="baseline")],
         "two different people"),
    ]
    for rows, message in cases:
        write_register(path, rows)
        with pytest.raises(InputError, match=message) as info:
            load_register(path)
        assert info.value.line is not None and info.value.field is not None


def test_same_person_at_two_time_points_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    write_register(path, [
        register_row("a.txt", "P01", "Tamsin Orr", "Int", time_point="baseline"),
        register_row("b.txt", "P01", "Tamsin Orr", "Int", time_point="follow_up"),
    ])
    assert len(load_register(path)) == 2


def test_register_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text("transcript,participant_id\na.txt,P01\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column"):
        load_register(path)


def test_register_and_files_must_agree(project: Path) -> None:
    folder = project / "data/raw/mini/alpha"
    rows = load_register(folder / "participants.csv")
    with pytest.raises(InputError, match="no such file"):
        check_register_files(folder / "participants.csv", rows, ["a01.txt", "a02.vtt"])
    with pytest.raises(InputError, match="has no row"):
        check_register_files(folder / "participants.csv", rows,
                             list_transcripts(folder) + ["zz.txt"])


def test_transcript_without_register_row(project: Path) -> None:
    folder = project / "data/raw/mini/alpha"
    (folder / "extra.txt").write_text("Interviewer: hi\nSomeone Else: hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="no row in"):
        ingest_study_document(folder, "extra.txt", "alpha", INGEST_CFG)


# ---------------------------------------------------------------- command line
def test_cli_ingest_writes_json_and_bad_input_is_one_line(project: Path) -> None:
    out = project / "restricted" / "a01.json"
    code, _ = run_cli("ingest", "--config", str(project / "config.yaml"), "--study", "alpha",
                      "--file", "a01.txt", "--out", str(out))
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["segments"][0]["segment_id"] == "alpha/a01/t002/s01"

    bad = project / "data/raw/mini/alpha/a01.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    out2 = project / "restricted" / "a01-again.json"
    code, err = run_cli("ingest", "--config", str(project / "config.yaml"), "--study", "alpha",
                        "--file", "a01.txt", "--out", str(out2))
    assert code == 2
    assert err.count("\n") == 1 and "a01.txt" in err and "binary" in err
    assert not out2.exists()  # no partial output
    assert not list((project / "restricted").glob(".*.tmp"))


def test_cli_unknown_study(project: Path) -> None:
    code, err = run_cli("ingest", "--config", str(project / "config.yaml"), "--study", "nope",
                        "--file", "a01.txt", "--out", str(project / "x.json"))
    assert code == 2 and "unknown study 'nope'" in err and "alpha" in err


def test_installed_entry_point_runs() -> None:
    exe = Path(sys.executable).parent / "qualsynth"
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip()


# ---------------------------------------------------------------- survey
SURVEY_CFG = {"file": "survey.csv", "respondent_id": "respondent_id",
              "free_text_columns": ["q_role", "q_barriers"],
              "closed_columns": ["q_budget"], "attribute_columns": ["ics", "region", "sector"]}


def write_survey(path: Path, rows: list[list[str]]) -> None:
    import csv as _csv

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = _csv.writer(out)
        writer.writerow(["respondent_id", "ics", "region", "sector", "q_budget", "q_role",
                         "q_barriers"])
        writer.writerows(rows)


def test_survey_rows_become_documents_and_free_text_turns(tmp_path: Path) -> None:
    from qualsynth.ingest.survey import ingest_survey

    path = tmp_path / "survey.csv"
    write_survey(path, [
        ["101", "NHS A ICB", "London", "local_authority", "yes",
         "We convene partners. It works.", ""],
        ["102", "NHS B ICB", "Midlands", "icb", "no", "", "Money, mostly."],
    ])
    result = ingest_survey(path, "place", SURVEY_CFG, INGEST_CFG)
    docs = result["documents"]
    assert [d["document"] for d in docs] == ["survey-101", "survey-102"]
    assert docs[0]["closed"] == {"q_budget": "yes"} and docs[1]["participant_id"] == "R102"
    ids = [s["segment_id"] for s in result["segments"]]
    assert ids == ["place/survey-101/t001/s01", "place/survey-102/t002/s01"]
    assert result["segments"][1]["question"] == "q_barriers"
    assert result["segments"][1]["line_start"] == 3


@pytest.mark.parametrize(("rows", "message"), [
    ([["101", "A", "London", "icb", "yes", "x", "y"], ["101", "B", "London", "icb", "no", "", ""]],
     "duplicate respondent id"),
    ([["", "A", "London", "icb", "yes", "x", "y"]], "empty respondent id"),
    ([], "no respondent rows"),
])
def test_survey_bad_input(tmp_path: Path, rows: list[list[str]], message: str) -> None:
    from qualsynth.ingest.survey import ingest_survey

    path = tmp_path / "survey.csv"
    write_survey(path, rows)
    with pytest.raises(InputError, match=message):
        ingest_survey(path, "place", SURVEY_CFG, INGEST_CFG)


def test_survey_missing_configured_column(tmp_path: Path) -> None:
    from qualsynth.ingest.survey import ingest_survey

    path = tmp_path / "survey.csv"
    write_survey(path, [["1", "A", "London", "icb", "yes", "x", "y"]])
    cfg = dict(SURVEY_CFG, free_text_columns=["q_missing"])
    with pytest.raises(InputError) as info:
        ingest_survey(path, "place", cfg, INGEST_CFG)
    assert info.value.field == "q_missing" and info.value.line == 1
