"""Ingest one document (transcript or survey) into canonical turns and segments."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qualsynth.errors import InputError
from qualsynth.ingest.readers import TRANSCRIPT_SUFFIXES, Turn, read_transcript
from qualsynth.ingest.register import RegisterRow, load_register
from qualsynth.ingest.segment import segment_sentences, split_sentences, word_count
from qualsynth.io import sha256_file

INTERVIEWER, PARTICIPANT, OTHER = "interviewer", "participant", "other"
_DOC_ID = re.compile(r"[^A-Za-z0-9_-]+")


def document_id(path: str | Path) -> str:
    """Stable document id: the file stem with anything but letters, digits, - and _ as '-'."""
    return _DOC_ID.sub("-", Path(path).stem).strip("-") or "document"


def list_transcripts(folder: str | Path) -> list[str]:
    """Transcript file names in a study folder, sorted (hidden files ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in TRANSCRIPT_SUFFIXES)


def _name_forms(name: str) -> set[str]:
    parts = name.split()
    forms = {name}
    if parts:
        forms.add(parts[0])
    return {f.casefold() for f in forms if f}


def resolve_roles(turns: list[Turn], row: RegisterRow, interviewer_labels: list[str],
                  participant_labels: list[str]) -> list[str]:
    """Role of each turn's speaker: interviewer, participant or other.

    Uses the register (participant name and aliases, interviewer name) and the generic
    labels from config. When exactly one speaker is unresolved and no participant was
    found, that speaker is the participant.
    """
    interviewer = {s.casefold() for s in interviewer_labels}
    for name in filter(None, re.split(r"[;,]", row.interviewer)):
        interviewer |= _name_forms(name.strip())
    participant = {s.casefold() for s in participant_labels} | {row.participant_id.casefold()}
    for name in row.names():
        participant |= _name_forms(name)
    labels = sorted({t.speaker for t in turns})
    role_of: dict[str, str] = {}
    for label in labels:
        key = label.casefold()
        if key in interviewer:
            role_of[label] = INTERVIEWER
        elif key in participant:
            role_of[label] = PARTICIPANT
        else:
            role_of[label] = OTHER
    unresolved = [lab for lab, r in role_of.items() if r == OTHER]
    if len(unresolved) == 1 and PARTICIPANT not in role_of.values():
        role_of[unresolved[0]] = PARTICIPANT
    return [role_of[t.speaker] for t in turns]


def ingest_transcript(path: str | Path, study_id: str, row: RegisterRow,
                      ingest_cfg: dict[str, Any]) -> dict[str, Any]:
    """Read, attribute and segment one transcript. Identifiable: restricted output only."""
    path = Path(path)
    known = set(ingest_cfg["interviewer_labels"]) | set(ingest_cfg["participant_labels"])
    known |= {row.participant_id, *row.names(), *(n.strip() for n in row.interviewer.split(";"))}
    turns = read_transcript(path, known)
    roles = resolve_roles(turns, row, ingest_cfg["interviewer_labels"],
                          ingest_cfg["participant_labels"])
    if PARTICIPANT not in roles:
        raise InputError(path, "no participant turns: check the speaker labels against the "
                         "register's name and interviewer columns")
    doc = document_id(path)
    sha = sha256_file(path)
    attrs = row.attributes()
    turn_rows: list[dict[str, Any]] = []
    segment_rows: list[dict[str, Any]] = []
    for index, (turn, role) in enumerate(zip(turns, roles, strict=True), start=1):
        turn_id = f"{study_id}/{doc}/t{index:03d}"
        turn_rows.append({
            "turn_id": turn_id, "study": study_id, "document": doc, "turn": index,
            "speaker": turn.speaker, "speaker_role": role,
            "participant_id": row.participant_id if role == PARTICIPANT else None,
            "text": turn.text, "start_time": turn.start_time,
            "line_start": turn.line_start, "line_end": turn.line_end,
            "source_file": path.name, "source_sha256": sha,
        })
        if role != PARTICIPANT:
            continue
        pieces = segment_sentences(split_sentences(turn.text),
                                   ingest_cfg["segment_min_words"],
                                   ingest_cfg["segment_max_words"])
        for s_index, text in enumerate(pieces, start=1):
            segment_rows.append({
                "segment_id": f"{turn_id}/s{s_index:02d}", "turn_id": turn_id,
                "study": study_id, "document": doc, "turn": index, "segment": s_index,
                "text": text, "words": word_count(text),
                "line_start": turn.line_start, "line_end": turn.line_end,
                "source_file": path.name, "source_sha256": sha, **attrs,
            })
    return {
        "documents": [{"study": study_id, "document": doc, "source_file": path.name,
                       "format": path.suffix.lower().lstrip("."), "source_sha256": sha,
                       "kind": "transcript", **attrs}],
        "turns": turn_rows,
        "segments": segment_rows,
    }


def ingest_study_document(study_dir: str | Path, file_name: str, study_id: str,
                          ingest_cfg: dict[str, Any]) -> dict[str, Any]:
    """Ingest one transcript of a study folder, checking it against the register."""
    study_dir = Path(study_dir)
    register_path = study_dir / "participants.csv"
    rows = load_register(register_path)
    path = study_dir / file_name
    if file_name not in rows:
        raise InputError(path, f"transcript has no row in {register_path}")
    return ingest_transcript(path, study_id, rows[file_name], ingest_cfg)


def ingest_corpus_segments(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every participant segment of every configured study, ingested in memory.

    Identifiable: for tools that must not write it anywhere (gold sampling, rule tuning).
    """
    from qualsynth.config import study_dir
    from qualsynth.ingest.survey import ingest_survey

    segments: list[dict[str, Any]] = []
    for study in config["studies"]:
        folder = study_dir(config, study)
        for name in list_transcripts(folder):
            segments += ingest_study_document(folder, name, study["id"], config["ingest"])[
                "segments"]
        if study.get("survey"):
            segments += ingest_survey(folder / study["survey"]["file"], study["id"],
                                      study["survey"], config["ingest"])["segments"]
    return segments
