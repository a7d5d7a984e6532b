"""Score the detector against gold PII spans (the demo corpus's ``gold/pii_spans.csv``).

The detector runs over the raw text of every source file of every study
(``qualsynth.ingest.text.raw_text``, the text the gold offsets refer to), with all the
registers, as one corpus (so propagation works as in the pipeline).

Scoring, per label and overall:

* a gold span is **found** when a predicted span of the same label overlaps it
  (recall); a predicted span is **correct** when it overlaps a gold span of its label
  (precision); F2 weighs recall four times as much as precision;
* ``recall_any_label`` counts a gold span as found when any prediction overlaps it
  (the identifier is hidden even if mislabelled); ``recall_full`` when every letter
  and digit of it is covered;
* ``overall`` ignores labels (is it PII or not);
* ``residual_identifier_chars`` is the share of non-space gold characters that no
  prediction covers: what would be left readable in the output.

In a survey export only the free-text answer cells are scored: the pipeline de-identifies
those cells, replaces the attribute columns wholesale (``ics`` becomes ``ics_label``) and
the gold annotates answers only.

NINO predictions count as OTHER_ID when the gold has no NINO label (the demo gold labels
National Insurance numbers OTHER_ID). Only counts and positions are written, never text.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualsynth.config import study_dir
from qualsynth.deid.engine import Detector
from qualsynth.deid.labels import LABELS
from qualsynth.deid.people import RegisterBook, book_from_rows
from qualsynth.deid.resolve import Detection
from qualsynth.deid.settings import DeidSettings
from qualsynth.errors import InputError
from qualsynth.ingest.document import list_transcripts
from qualsynth.ingest.register import load_register
from qualsynth.ingest.text import raw_text

GOLD_COLUMNS = ("study", "file", "start", "end", "label", "text")
TARGET_RECALL = {"EMAIL": 0.99, "PHONE": 0.99, "NHS_NUMBER": 0.99, "NINO": 0.99,
                 "POSTCODE": 0.99, "PERSON": 0.97, "ORGANISATION": 0.95, "LOCATION": 0.90}
TARGET_PRECISION = 0.85


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


def f_beta(precision: float, recall: float, beta: float = 2.0) -> float:
    if precision <= 0 or recall <= 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def load_gold(path: str | Path) -> dict[tuple[str, str], list[Span]]:
    """Gold spans by (study, file); validates the columns and the offsets."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "gold file not found (set deid.gold_file)")
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    missing = [c for c in GOLD_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    gold: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for line, row in enumerate(reader, start=2):
        try:
            start, end = int(row["start"]), int(row["end"])
        except ValueError:
            raise InputError(path, "start and end must be integers", line=line) from None
        if not 0 <= start < end:
            raise InputError(path, "start must be below end", line=line, field="start")
        gold[(row["study"], row["file"])].append(Span(start, end, row["label"].strip()))
    return gold


def _covered(span: Span, predictions: list[Span]) -> bool:
    return any(p.start < span.end and span.start < p.end for p in predictions)


def _full(span: Span, text: str, predictions: list[Span]) -> bool:
    for i in range(span.start, span.end):
        if text[i].isalnum() and not any(p.start <= i < p.end for p in predictions):
            return False
    return True


def score(documents: list[tuple[str, str, str, list[Span], list[Span]]]) -> dict[str, Any]:
    """Metrics over (study, file, text, gold spans, predicted spans) tuples."""
    gold_labels = {g.label for *_, gold, _ in documents for g in gold}
    relabel = {} if "NINO" in gold_labels else {"NINO": "OTHER_ID"}
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overall: dict[str, int] = defaultdict(int)
    chars_total = chars_left = 0
    misses: list[dict[str, Any]] = []
    by_study: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for study, file, text, gold, raw_pred in documents:
        pred = [Span(p.start, p.end, relabel.get(p.label, p.label)) for p in raw_pred]
        for g in gold:
            same = [p for p in pred if p.label == g.label]
            entry = per[g.label]
            entry["gold"] += 1
            hit_same = _covered(g, same)
            hit_any = _covered(g, pred)
            entry["found"] += hit_same
            entry["found_any_label"] += hit_any
            entry["found_full"] += _full(g, text, pred)
            overall["gold"] += 1
            overall["found"] += hit_any
            by_study[study]["gold"] += 1
            by_study[study]["found"] += hit_any
            for i in range(g.start, g.end):
                if not text[i].isspace():
                    chars_total += 1
                    chars_left += not any(p.start <= i < p.end for p in pred)
            if not hit_any:
                misses.append({"study": study, "file": file, "start": g.start, "end": g.end,
                               "label": g.label})
        for p in pred:
            entry = per[p.label]
            entry["predicted"] += 1
            entry["correct"] += _covered(p, [g for g in gold if g.label == p.label])
            overall["predicted"] += 1
            overall["correct"] += _covered(p, gold)
            by_study[study]["predicted"] += 1
            by_study[study]["correct"] += _covered(p, gold)

    def metrics(e: dict[str, int]) -> dict[str, Any]:
        precision = e["correct"] / e["predicted"] if e["predicted"] else None
        recall = e["found"] / e["gold"] if e["gold"] else None
        out: dict[str, Any] = {k: e[k] for k in sorted(e)}
        both = precision is not None and recall is not None
        out.update({"precision": _round(precision), "recall": _round(recall),
                    "f2": _round(f_beta(precision or 0, recall or 0)) if both else None,
                    "f1": _round(f_beta(precision or 0, recall or 0, 1.0)) if both else None,
                    "support": e["gold"],
                    "precision_ci": wilson(e["correct"], e["predicted"]),
                    "recall_ci": wilson(e["found"], e["gold"])})
        if "found_any_label" in e:
            out["recall_any_label"] = _round(e["found_any_label"] / e["gold"]) if e["gold"] \
                else None
            out["recall_full"] = _round(e["found_full"] / e["gold"]) if e["gold"] else None
        return out

    per_label = {label: metrics(per[label]) for label in sorted(per)}
    micro = {"gold": sum(per[k]["gold"] for k in per), "found": sum(per[k]["found"] for k in per),
             "predicted": sum(per[k]["predicted"] for k in per),
             "correct": sum(per[k]["correct"] for k in per)}
    result = {
        "status": "ok",
        "labels": per_label,
        "micro": metrics(micro),
        "overall": metrics(overall),
        "by_study": {s: metrics(v) for s, v in sorted(by_study.items())},
        "residual_identifier_chars": {"gold_chars": chars_total, "left": chars_left,
                                      "share": _round(chars_left / chars_total)
                                      if chars_total else None},
        "label_mapping": relabel,
        "missed": sorted(misses, key=lambda m: (m["study"], m["file"], m["start"])),
    }
    result["targets"] = check_targets(per_label, result["overall"])
    result["all_targets_met"] = all(t["met"] is not False for t in result["targets"].values())
    return result


def check_targets(per_label: dict[str, dict], overall: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, target in TARGET_RECALL.items():
        scored = label if label in per_label else ("OTHER_ID" if label == "NINO" else None)
        recall = per_label.get(scored, {}).get("recall") if scored else None
        out[f"recall_{label}"] = {"target": target, "value": recall,
                                  "met": None if recall is None else recall >= target,
                                  "scored_as": scored}
    precision = overall.get("precision")
    out["precision_overall"] = {"target": TARGET_PRECISION, "value": precision,
                                "met": None if precision is None else
                                precision >= TARGET_PRECISION}
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> list[float] | None:
    """95% Wilson score interval for a proportion (None when n is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / denom
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def corpus_files(config: dict[str, Any]) -> list[tuple[str, Path]]:
    """(study, path) of every source file: transcripts and the survey export."""
    out = []
    for study in config["studies"]:
        folder = study_dir(config, study)
        names = list_transcripts(folder)
        if study.get("survey"):
            names.append(study["survey"]["file"])
        out.extend((study["id"], folder / n) for n in names if (folder / n).exists())
    return out


def corpus_book(config: dict[str, Any]) -> RegisterBook:
    book = RegisterBook()
    for study in config["studies"]:
        path = study_dir(config, study) / "participants.csv"
        if path.exists():
            book_from_rows(load_register(path), study["id"], path, book)
    return book


def csv_cells(text: str) -> list[tuple[int, str, int, int]]:
    """(record, column name, start, end) of every cell of a CSV text (header = record 0).

    Quoted cells (with "" escapes and embedded newlines) are handled; offsets are those of
    the cell content, without the quotes.
    """
    cells: list[tuple[int, int, int, int]] = []
    record, column, i, n = 0, 0, 0, len(text)
    while i < n:
        if text[i] == '"':
            start = i + 1
            i = start
            while i < n:
                if text[i] == '"' and i + 1 < n and text[i + 1] == '"':
                    i += 2
                elif text[i] == '"':
                    break
                else:
                    i += 1
            cells.append((record, column, start, i))
            i += 1
        else:
            start = i
            while i < n and text[i] not in ",\n":
                i += 1
            cells.append((record, column, start, i))
        if i < n and text[i] == ",":
            column += 1
            i += 1
        elif i < n and text[i] == "\n":
            record, column = record + 1, 0
            i += 1
    header = {c: text[s:e] for r, c, s, e in cells if r == 0}
    return [(r, header.get(c, str(c)), s, e) for r, c, s, e in cells if r > 0]


def scored_ranges(text: str, survey: dict[str, Any] | None) -> list[tuple[int, int]] | None:
    """Character ranges that are scored: None = all; for a survey, its free-text cells."""
    if not survey:
        return None
    free = set(survey.get("free_text_columns") or [])
    return [(s, e) for _, col, s, e in csv_cells(text) if col in free]


def detect_files(files: list[tuple[str, Path]], detector: Detector
                 ) -> list[tuple[str, str, str, list[Detection]]]:
    texts = [raw_text(path) for _, path in files]
    found = detector.detect(texts)
    return [(study, path.name, text, dets)
            for (study, path), text, dets in zip(files, texts, found, strict=True)]


def run_evaluation(config: dict[str, Any], settings: DeidSettings, gold_path: Path
                   ) -> dict[str, Any]:
    """Detect over the raw corpus and score against the gold."""
    gold = load_gold(gold_path)
    files = corpus_files(config)
    known = {(s, p.name) for s, p in files}
    for study, name in gold:
        if (study, name) not in known:
            raise InputError(gold_path, f"gold names a file that is not in the corpus: "
                             f"{study}/{name}")
    detector = Detector(settings, corpus_book(config))
    surveys = {(s["id"], s["survey"]["file"]): s["survey"] for s in config["studies"]
               if s.get("survey")}
    documents = []
    words = 0
    for study, name, text, detections in detect_files(files, detector):
        spans = gold.get((study, name), [])
        for g in spans:
            if g.end > len(text):
                raise InputError(gold_path, f"gold span beyond the end of {study}/{name}")
        ranges = scored_ranges(text, surveys.get((study, name)))
        predicted = [Span(d.start, d.end, d.label) for d in detections]
        if ranges is not None:
            predicted = [p for p in predicted if any(s < p.end and p.start < e
                                                     for s, e in ranges)]
        words += len(text.split())
        documents.append((study, name, text, spans, predicted))
    result = score(documents)
    result.update({"documents": len(documents), "words": words,
                   "label_set": list(LABELS), "engine": "qualsynth.deid (Presidio + "
                   "en_core_web_sm 3.8.0)", "scoring": __doc__.split("Scoring, ")[1].strip()})
    return result
