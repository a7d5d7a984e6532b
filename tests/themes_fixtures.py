"""Small invented codebooks and segments for the theme-tagging tests (no real names)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DOC = {
    "definition": "Invented definition for a test.",
    "when_to_use": "When the test says so.",
    "when_not_to_use": "Otherwise.",
    "example": "An invented example sentence.",
}


def code(cid: str, parent: str | None, rules: list[dict], name: str | None = None) -> dict:
    return {"id": cid, "name": name or cid, "parent": parent, **DOC, "rules": rules}


def small_codebook(version: str = "0.1.0") -> dict:
    """A three-level codebook exercising every rule kind."""
    return {
        "version": version,
        "title": "test codebook",
        "changelog": [{"version": version, "changes": ["test"]}],
        "codes": [
            code("workforce", None, []),
            code("workforce.recruitment", "workforce", [
                {"id": "workforce.recruitment/terms", "kind": "terms",
                 "terms": ["recruit", "hiring"]}]),
            code("workforce.training", "workforce", [
                {"id": "workforce.training/terms", "kind": "terms",
                 "terms": ["learning", "training hub"],
                 "exclude": ["learning disability"]}]),
            code("relationships", None, [
                {"id": "relationships/trust", "kind": "cooccurrence",
                 "terms": ["trust"], "context": ["each other", "between"], "window": 3,
                 "exclude": ["NHS trust"]}]),
            code("primary_care", None, [
                {"id": "primary_care/acronym", "kind": "terms", "terms": ["GP", "PCN"]}]),
            code("waits", None, [
                {"id": "waits/regex", "kind": "regex",
                 "pattern": "\\b\\d+ (?:weeks|months) wait"}]),
            code("questions", None, [
                {"id": "questions/interviewer", "kind": "terms", "terms": ["tell me"],
                 "scope": "interviewer"}]),
        ],
    }


def write_codebook(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def segment(sid: str, text: str, **attrs: str) -> dict:
    study = sid.split("/")[0]
    doc = sid.split("/")[1]
    base = {"segment_id": sid, "study": study, "document": doc, "text": text,
            "participant_id": "P01", "ics_label": "London ICS", "region": "London",
            "sector": "icb", "role": "director", "time_point": "single", "words": len(text.split())}
    base.update(attrs)
    return base


def write_segments(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
