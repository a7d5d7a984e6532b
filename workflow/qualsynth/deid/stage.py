"""The de-identification stage: restricted ingest output -> de-identified tables.

Reads every ``restricted/ingest/<study>/<document>.json`` and each study's register;
detects identifiers in every turn (interviewer turns too) and in the participants' role
titles as one corpus; maps them to keyed pseudonyms; and writes ``segments.jsonl``,
``turns.jsonl``, ``documents.jsonl``, one audit file per document, ``summary.json`` and
``sites.csv`` under ``data/processed/deid/``, plus the key table in the restricted folder.
Segment and turn ids are unchanged. Nothing identifiable is logged.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualsynth.config import study_dir
from qualsynth.deid.engine import Detector
from qualsynth.deid.labels import PSEUDONYM_RE
from qualsynth.deid.mapping import DocContext, EntityMapper
from qualsynth.deid.people import RegisterBook, book_from_rows, interviewer_names, normalise_name
from qualsynth.deid.pseudonyms import (
    Pseudonymizer,
    Secret,
    load_secret,
    read_key_table,
    write_key_table,
)
from qualsynth.deid.replace import apply_replacements
from qualsynth.deid.settings import DeidSettings, settings_from_config
from qualsynth.deid.sites import Site, label_sites, site_key
from qualsynth.errors import InputError
from qualsynth.ingest.register import RegisterRow, load_register
from qualsynth.io import atomic_path, read_json, write_json, write_jsonl

SEGMENT_FIELDS = ("segment_id", "turn_id", "study", "document", "turn", "segment", "text",
                  "words", "line_start", "line_end", "source_file", "source_sha256",
                  "question", "participant_id", "ics_label", "region", "sector", "role",
                  "time_point")
TURN_FIELDS = ("turn_id", "study", "document", "turn", "speaker", "speaker_role",
               "participant_id", "text", "start_time", "line_start", "line_end",
               "source_file", "source_sha256", "question")
DOCUMENT_FIELDS = ("study", "document", "source_file", "format", "source_sha256", "kind",
                   "participant_id", "ics_label", "region", "sector", "role", "time_point",
                   "line", "closed")
SITES_COLUMNS = ("study", "ics_label", "region", "icb22cd")
_TOKENS = re.compile(r"\S+")


@dataclass
class Unit:
    """One text to de-identify and where its result goes."""

    text: str
    field: str                       # text | role | segment
    study: str
    document: str
    turn_id: str | None = None
    segment_id: str | None = None
    detections: list = field(default_factory=list)
    handles: list[int] = field(default_factory=list)


# ----------------------------------------------------------------------------- inputs
def read_ingest(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """Concatenate the ingest JSON files (documents, turns, segments)."""
    corpus: dict[str, list[dict[str, Any]]] = {"documents": [], "turns": [], "segments": []}
    for path in sorted(paths):
        try:
            data = read_json(path)
        except (OSError, ValueError) as exc:
            raise InputError(path, f"not a readable ingest JSON file ({type(exc).__name__}); "
                             "rerun `qualsynth ingest` for it") from None
        if not isinstance(data, dict) or any(k not in data for k in corpus):
            raise InputError(path, "not an ingest output: expected keys documents, turns, "
                             "segments")
        for key in corpus:
            corpus[key].extend(data[key])
    return corpus


def ingest_files(config: dict[str, Any], ingest_dir: Path) -> list[Path]:
    """Every ingest output of the configured studies; each study needs at least one."""
    files: list[Path] = []
    for study in config["studies"]:
        found = sorted((ingest_dir / study["id"]).glob("*.json"))
        if not found:
            raise InputError(ingest_dir / study["id"], "no ingest output for this study; run "
                             "`qualsynth ingest` for its files first")
        files.extend(found)
    return files


def load_registers(config: dict[str, Any]) -> tuple[RegisterBook, dict[tuple[str, str],
                                                                        RegisterRow]]:
    """Registers of all studies (a survey study may have none)."""
    book = RegisterBook()
    rows_by_file: dict[tuple[str, str], RegisterRow] = {}
    for study in config["studies"]:
        path = study_dir(config, study) / "participants.csv"
        if not path.exists() and study["kind"] == "survey":
            continue
        rows = load_register(path)
        book_from_rows(rows, study["id"], path, book)
        for name, row in rows.items():
            rows_by_file[(study["id"], name)] = row
    return book, rows_by_file


# ----------------------------------------------------------------------------- segments
def _token_map(text: str) -> tuple[str, list[int]]:
    """Whitespace-collapsed text and, for each of its characters, the source offset."""
    parts, offsets = [], []
    for m in _TOKENS.finditer(text):
        if parts:
            parts.append(" ")
            offsets.append(m.start() - 1)
        parts.append(m.group(0))
        offsets.extend(range(m.start(), m.end()))
    return "".join(parts), offsets


def locate_segments(turn_text: str, segments: list[dict[str, Any]]
                    ) -> tuple[dict[str, tuple[int, int]], list[int]]:
    """Where each segment sits in the turn, as (start, end) in turn-text offsets."""
    norm, offsets = _token_map(turn_text)
    where: dict[str, tuple[int, int]] = {}
    cursor = 0
    for seg in sorted(segments, key=lambda s: s["segment"]):
        pos = norm.find(seg["text"], cursor)
        if pos < 0 or not seg["text"]:
            continue
        end = pos + len(seg["text"])
        where[seg["segment_id"]] = (offsets[pos], offsets[end - 1] + 1)
        cursor = end
    return where, offsets


def segment_text(turn_text: str, span: tuple[int, int],
                 replacements: list[tuple[int, int, str]]) -> str:
    """The de-identified segment: its slice of the turn, whitespace-collapsed, replaced."""
    start, end = span
    piece = turn_text[start:end]
    local = [(max(s, start) - start, min(e, end) - start, tok)
             for s, e, tok in replacements if s < end and e > start]
    replaced = apply_replacements(piece, local)
    return " ".join(replaced.split())


# ----------------------------------------------------------------------------- the stage
def _sites(corpus: dict[str, list], detector: Detector, secret: Secret
           ) -> dict[tuple[str, str], Site]:
    values: dict[str, dict[str, str]] = {}
    for doc in corpus["documents"]:
        ics = str(doc.get("ics") or "").strip()
        if ics:
            values.setdefault(doc["study"], {}).setdefault(ics, str(doc.get("region") or ""))
    return label_sites(values, detector.reference, secret)


def _context(doc: dict[str, Any], rows: dict[tuple[str, str], RegisterRow]) -> DocContext:
    row = rows.get((doc["study"], doc["source_file"]))
    participant = f"{doc['study']}/{doc['participant_id']}" if doc.get("participant_id") \
        else None
    interviewers = tuple(normalise_name(n) for n in interviewer_names(row.interviewer)) \
        if row else ()
    return DocContext(doc["study"], doc["document"], participant, interviewers)


def _clean_attributes(row: dict[str, Any], fields: tuple[str, ...], keep: tuple[str, ...],
                      site: Site | None) -> dict[str, Any]:
    out = {k: row.get(k) for k in fields if k in row}
    if "ics_label" in fields:
        out["ics_label"] = site.label if site else None
    for extra in keep:
        if extra in row:
            out[extra] = row[extra]
    return out


def plan_units(corpus: dict[str, list]) -> tuple[list[Unit], dict[str, Unit],
                                                 dict[str, tuple[str, tuple[int, int]]]]:
    """Every text to detect in: turns (in corpus order), segments that cannot be located
    in their turn, and each distinct role title; plus where each segment sits."""
    segs_by_turn: dict[str, list[dict[str, Any]]] = {}
    for seg in corpus["segments"]:
        segs_by_turn.setdefault(seg["turn_id"], []).append(seg)
    units: list[Unit] = []
    locations: dict[str, tuple[str, tuple[int, int]]] = {}
    for turn in corpus["turns"]:
        units.append(Unit(turn["text"], "text", turn["study"], turn["document"],
                          turn_id=turn["turn_id"]))
        where, _ = locate_segments(turn["text"], segs_by_turn.get(turn["turn_id"], []))
        for seg_id, span in where.items():
            locations[seg_id] = (turn["turn_id"], span)
    for seg in corpus["segments"]:
        if seg["segment_id"] not in locations:
            units.append(Unit(seg["text"], "segment", seg["study"], seg["document"],
                              turn_id=seg["turn_id"], segment_id=seg["segment_id"]))
    roles = sorted({str(r.get("role") or "") for r in corpus["documents"] + corpus["segments"]}
                   - {""})
    return units, {role: Unit(role, "role", "", "") for role in roles}, locations


def _audit_row(d, token: str, field: str, turn_id: str | None,
               segment_id: str | None) -> dict[str, Any]:
    return {"label": d.label, "detector": d.detector, "start": d.start, "end": d.end,
            "pseudonym": token, "field": field, "turn_id": turn_id,
            "segment_id": segment_id, "score": d.score}


@dataclass
class Rendered:
    """Replacements written into every unit, with the audit trail and counts."""

    texts: dict[int, str] = field(default_factory=dict)
    replacements: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    audit: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    kept_dates: int = 0


def render_units(units: list[Unit], mapper: EntityMapper) -> Rendered:
    """Write each unit's pseudonyms (Presidio anonymizer) and audit its replacements."""
    out = Rendered()
    for index, unit in enumerate(units):
        reps: list[tuple[int, int, str]] = []
        for d, handle in zip(unit.detections, unit.handles, strict=True):
            token = mapper.token(handle)
            if token is None:
                out.kept_dates += 1
                continue
            reps.append((d.start, d.end, token))
            out.counts[(unit.study or "(roles)", d.label, d.detector)] += 1
            if unit.field != "role":
                out.audit.setdefault((unit.study, unit.document), []).append(
                    _audit_row(d, token, unit.field, unit.turn_id, unit.segment_id))
        out.texts[index] = apply_replacements(unit.text, reps)
        out.replacements[index] = reps
    return out


def run_deidentify(config: dict[str, Any], ingest_paths: list[Path], out_dir: Path,
                   key_table_path: Path, log: Callable[[str], None],
                   settings: DeidSettings | None = None, secret: Secret | None = None
                   ) -> dict[str, Any]:
    """De-identify the corpus; returns the summary that is also written to summary.json."""
    settings = settings or settings_from_config(config)
    secret = secret or load_secret(settings.secret_file, log=log)
    table = read_key_table(key_table_path, secret)
    book, register_rows = load_registers(config)
    corpus = read_ingest(ingest_paths)
    detector = Detector(settings, book)
    sites = _sites(corpus, detector, secret)
    docs = {(d["study"], d["document"]): d for d in corpus["documents"]}
    contexts = {k: _context(d, register_rows) for k, d in docs.items()}

    # 1. every text of the corpus, detected in one batch (propagation is corpus-wide)
    units, role_units, locations = plan_units(corpus)
    all_units = units + list(role_units.values())
    for unit, detections in zip(all_units, detector.detect([u.text for u in all_units]),
                                strict=True):
        unit.detections = detections

    # 2. identities -> keyed pseudonyms (speaker labels included)
    mapper = EntityMapper(Pseudonymizer(secret, table), sites, settings.dates, book)
    for unit in all_units:
        ctx = contexts.get((unit.study, unit.document)) or DocContext(unit.study, unit.document)
        unit.handles = [mapper.note(d, unit.text[d.start:d.end], ctx) for d in unit.detections]
    speakers = {}
    for turn in corpus["turns"]:
        ctx = contexts.get((turn["study"], turn["document"])) or \
            DocContext(turn["study"], turn["document"])
        speakers[turn["turn_id"]] = mapper.speaker_token(
            turn["speaker_role"], turn["speaker"], ctx, turn.get("participant_id"))
    mapper.assign()

    # 3. de-identified rows
    rendered = render_units(all_units, mapper)
    audit = rendered.audit
    role_text = {role: rendered.texts[len(units) + i] for i, role in enumerate(role_units)}
    for key, doc in docs.items():
        unit = role_units.get(str(doc.get("role") or ""))
        for d, handle in zip(unit.detections if unit else [], unit.handles if unit else [],
                             strict=True):
            token = mapper.token(handle)
            if token is not None:
                audit.setdefault(key, []).append(_audit_row(d, token, "role", None, None))
    turn_out = turn_rows(corpus["turns"], rendered, speakers, mapper, audit)
    seg_out = segment_rows(corpus, units, rendered, locations, role_text, sites, detector,
                           settings)
    doc_out = []
    for (study, _), doc in sorted(docs.items()):
        site = sites.get((study, site_key(str(doc.get("ics") or ""), detector.reference)[0]))
        row = _clean_attributes(doc, DOCUMENT_FIELDS, settings.keep_attributes, site)
        if row.get("role"):
            row["role"] = role_text.get(row["role"], row["role"])
        doc_out.append(row)

    # 4. write
    for key in docs:
        audit.setdefault(key, [])
    write_outputs(out_dir, seg_out, turn_out, doc_out, audit, sites, settings)
    n_rows = write_key_table(key_table_path, mapper.pseudo.table, secret)
    summary = build_summary(corpus, rendered.counts, rendered.kept_dates, mapper, settings,
                            secret, seg_out, detector, audit)
    write_json(out_dir / "summary.json", summary)
    log(f"de-identified {len(docs)} documents, {len(turn_out)} turns, {len(seg_out)} "
        f"segments; replaced {sum(rendered.counts.values())} spans; key table: "
        f"{n_rows} rows")
    return summary


def turn_rows(turns: list[dict], rendered: Rendered, speakers: dict[str, tuple[str, str, str]],
              mapper: EntityMapper, audit: dict[tuple[str, str], list[dict]]) -> list[dict]:
    """turns.jsonl rows (turn i is unit i); speaker labels become pseudonyms, audited."""
    out = []
    for index, turn in enumerate(turns):
        kind, key, _ = speakers[turn["turn_id"]]
        token = mapper.pseudo.token(kind, key)
        row = {k: turn.get(k) for k in TURN_FIELDS if k in turn}
        row["text"] = rendered.texts[index]
        row["speaker"] = token
        out.append(row)
        audit.setdefault((turn["study"], turn["document"]), []).append({
            "label": "PERSON", "detector": "speaker_label", "start": 0,
            "end": len(turn["speaker"]), "pseudonym": token, "field": "speaker",
            "turn_id": turn["turn_id"], "segment_id": None, "score": 1.0})
    return out


def segment_rows(corpus: dict[str, list], units: list[Unit], rendered: Rendered,
                 locations: dict[str, tuple[str, tuple[int, int]]], role_text: dict[str, str],
                 sites: dict[tuple[str, str], Site], detector: Detector,
                 settings: DeidSettings) -> list[dict]:
    """segments.jsonl rows: each segment's stretch of its de-identified turn."""
    turn_text = {t["turn_id"]: t["text"] for t in corpus["turns"]}
    reps_by_turn = {u.turn_id: rendered.replacements[i] for i, u in enumerate(units)
                    if u.field == "text"}
    alone = {u.segment_id: rendered.texts[i] for i, u in enumerate(units)
             if u.field == "segment"}
    out = []
    for seg in corpus["segments"]:
        site = sites.get((seg["study"], site_key(str(seg.get("ics") or ""),
                                                  detector.reference)[0]))
        row = _clean_attributes(seg, SEGMENT_FIELDS, settings.keep_attributes, site)
        if seg["segment_id"] in locations:
            turn_id, span = locations[seg["segment_id"]]
            row["text"] = segment_text(turn_text[turn_id], span, reps_by_turn.get(turn_id, []))
        else:
            row["text"] = alone[seg["segment_id"]]
        if row.get("role"):
            row["role"] = role_text.get(row["role"], row["role"])
        out.append(row)
    return out


def write_outputs(out_dir: Path, segments: list[dict], turns: list[dict],
                  documents: list[dict], audit: dict[tuple[str, str], list[dict]],
                  sites: dict[tuple[str, str], Site], settings: DeidSettings) -> None:
    """Write the de-identified tables (rows sorted by id) and one audit file per document."""
    out_dir = Path(out_dir)
    write_jsonl(out_dir / "segments.jsonl", sorted(segments, key=lambda r: r["segment_id"]))
    write_jsonl(out_dir / "turns.jsonl", sorted(turns, key=lambda r: r["turn_id"]))
    write_jsonl(out_dir / "documents.jsonl",
                sorted(documents, key=lambda r: (r["study"], r["document"])))
    audit_dir = out_dir / "audit"
    if audit_dir.exists():
        shutil.rmtree(audit_dir)
    for (study, document), rows in sorted(audit.items()):
        rows = sorted(rows, key=lambda r: (r["field"] != "speaker", str(r["turn_id"]),
                                           str(r["segment_id"]), r["field"], r["start"]))
        write_jsonl(audit_dir / study / f"{document}.jsonl", rows)
    with atomic_path(out_dir / "sites.csv") as tmp, open(tmp, "w", encoding="utf-8",
                                                          newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SITES_COLUMNS)
        for (study, _), site in sorted(sites.items(), key=lambda kv: (kv[0][0], kv[1].label)):
            writer.writerow((study, site.label, site.region,
                             site.icb22cd if settings.disclose_case_sites else ""))


def _tally(items) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, n in items:
        out[key] += n
    return dict(sorted(out.items()))


def build_summary(corpus: dict[str, list], counts: Counter, kept_dates: int,
                  mapper: EntityMapper, settings: DeidSettings, secret: Secret,
                  segments: list[dict], detector: Detector,
                  audit: dict[tuple[str, str], list[dict]]) -> dict[str, Any]:
    """Counts only (no original values) plus a keyed sample of passages for review."""
    from importlib.metadata import version

    by_study: dict[str, dict[str, Any]] = {}
    for doc in corpus["documents"]:
        entry = by_study.setdefault(doc["study"], {"documents": 0, "turns": 0, "segments": 0})
        entry["documents"] += 1
    for turn in corpus["turns"]:
        by_study[turn["study"]]["turns"] += 1
    for seg in corpus["segments"]:
        by_study[seg["study"]]["segments"] += 1
    for (study, label, source), n in counts.items():
        if study in by_study:
            entry = by_study[study]
            entry.setdefault("by_label", {})
            entry.setdefault("by_detector", {})
            entry["by_label"][label] = entry["by_label"].get(label, 0) + n
            entry["by_detector"][source] = entry["by_detector"].get(source, 0) + n
    for entry in by_study.values():
        entry["by_label"] = dict(sorted(entry.get("by_label", {}).items()))
        entry["by_detector"] = dict(sorted(entry.get("by_detector", {}).items()))
        entry["spans"] = sum(entry["by_label"].values())
    pseudonyms: Counter[str] = Counter(kind for kind, _ in mapper.pseudo.table.assigned)
    with_replacements = [s for s in segments if PSEUDONYM_RE.search(s["text"])]
    sample = sorted(with_replacements, key=lambda s: secret.digest("review", s["segment_id"]))
    stats = detector.nlp_engine.stats
    return {
        "status": "ok",
        "documents": len(corpus["documents"]),
        "turns": len(corpus["turns"]),
        "segments": len(corpus["segments"]),
        "spans": sum(counts.values()),
        "speaker_labels_replaced": sum(1 for rows in audit.values() for r in rows
                                       if r["field"] == "speaker"),
        "dates_kept": kept_dates,
        "by_label": _tally((label, n) for (_, label, _), n in counts.items()),
        "by_detector": _tally((det, n) for (_, _, det), n in counts.items()),
        "by_study": dict(sorted(by_study.items())),
        "counts": [{"study": s, "label": lab, "detector": det, "n": n}
                   for (s, lab, det), n in sorted(counts.items())],
        "pseudonyms_by_kind": dict(sorted(pseudonyms.items())),
        "settings": {"dates": settings.dates, "score_threshold": settings.score_threshold,
                     "propagate": settings.propagate,
                     "disclose_case_sites": settings.disclose_case_sites,
                     "allow_list_additions": len(settings.allow_list),
                     "secret_source": secret.source},
        "engine": {"presidio_analyzer": version("presidio-analyzer"),
                   "presidio_anonymizer": version("presidio-anonymizer"),
                   "spacy": version("spacy"), "model": "en_core_web_sm 3.8.0 (ner only)",
                   "share_of_text_sent_to_ner": round(stats["ner_chars"] / stats["chars"], 4)
                   if stats["chars"] else 0.0},
        "review_sample": [{"segment_id": s["segment_id"], "study": s["study"],
                           "text": s["text"]} for s in sample[:settings.review_sample_size]],
    }
