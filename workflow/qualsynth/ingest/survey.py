"""Survey CSV exports: one row per respondent, closed and free-text columns from config."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from qualsynth.errors import InputError
from qualsynth.ingest.segment import segment_sentences, split_sentences, word_count
from qualsynth.ingest.text import read_text_file
from qualsynth.io import sha256_file

_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def ingest_survey(path: str | Path, study_id: str, survey_cfg: dict[str, Any],
                  ingest_cfg: dict[str, Any]) -> dict[str, Any]:
    """Each respondent becomes a document; each free-text answer a participant turn."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "survey file named in config.studies[].survey.file not found")
    text = read_text_file(path)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if not header:
        raise InputError(path, "empty survey file")
    id_col = survey_cfg["respondent_id"]
    free = survey_cfg["free_text_columns"]
    closed = survey_cfg.get("closed_columns", [])
    attrs_cols = survey_cfg.get("attribute_columns", [])
    for col in [id_col, *free, *closed, *attrs_cols]:
        if col not in header:
            raise InputError(path, f"column {col!r} named in the survey config is not in the "
                             f"header ({', '.join(header)})", line=1, field=col)
    sha = sha256_file(path)
    stem = _SAFE.sub("-", path.stem).strip("-")
    documents, turns, segments = [], [], []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(reader, start=2):
        if raw.get(None):
            raise InputError(path, "more fields than header columns", line=lineno)
        rec = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        rid = rec[id_col]
        if not rid:
            raise InputError(path, "empty respondent id", line=lineno, field=id_col)
        safe = _SAFE.sub("-", rid)
        if safe in seen:
            raise InputError(path, f"duplicate respondent id {rid!r} (first on line "
                             f"{seen[safe]})", line=lineno, field=id_col)
        seen[safe] = lineno
        doc = f"{stem}-{safe}"
        attrs = {c: rec[c] for c in attrs_cols}
        attrs.update({"participant_id": f"R{safe}", "time_point": attrs.get("time_point")
                      or "single"})
        documents.append({
            "study": study_id, "document": doc, "source_file": path.name, "format": "csv",
            "source_sha256": sha, "kind": "survey_response", "line": lineno,
            "closed": {c: rec[c] for c in closed}, **attrs,
        })
        for q_index, col in enumerate(free, start=1):
            answer = " ".join(rec[col].split())
            if not answer:
                continue
            turn_id = f"{study_id}/{doc}/t{q_index:03d}"
            turns.append({
                "turn_id": turn_id, "study": study_id, "document": doc, "turn": q_index,
                "speaker": attrs["participant_id"], "speaker_role": "participant",
                "participant_id": attrs["participant_id"], "question": col, "text": answer,
                "start_time": None, "line_start": lineno, "line_end": lineno,
                "source_file": path.name, "source_sha256": sha,
            })
            pieces = segment_sentences(split_sentences(answer),
                                       ingest_cfg["segment_min_words"],
                                       ingest_cfg["segment_max_words"])
            for s_index, piece in enumerate(pieces, start=1):
                segments.append({
                    "segment_id": f"{turn_id}/s{s_index:02d}", "turn_id": turn_id,
                    "study": study_id, "document": doc, "turn": q_index, "segment": s_index,
                    "question": col, "text": piece, "words": word_count(piece),
                    "line_start": lineno, "line_end": lineno, "source_file": path.name,
                    "source_sha256": sha, **attrs,
                })
    if not documents:
        raise InputError(path, "survey has a header but no respondent rows")
    return {"documents": documents, "turns": turns, "segments": segments}
