"""The leakage gate: scan every de-identified output for identifiers that survived.

Every string in every file under ``data/processed/deid/`` (JSON Lines, JSON, CSV,
audit files) is scanned for every register name form and alias (participants and
interviewers, with the same case rules as the detector) and for every pattern
identifier: NHS number (modulus 11), National Insurance number, postcode, phone, email,
URL, reference numbers, and day-precise dates when dates are redacted. Pseudonym tokens
are blanked before scanning. A survivor is reported by file, line, field and character
position, never by its value, and the gate then fails.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer

from qualsynth.deid.labels import PSEUDONYM_RE
from qualsynth.deid.lexicon import load_lexicon
from qualsynth.deid.people import RegisterBook
from qualsynth.deid.recognizers.base import detector_name
from qualsynth.deid.recognizers.patterns import (
    DayDateRecognizer,
    NhsNumberRecognizer,
    NinoRecognizer,
    OfflineEmailRecognizer,
    OtherIdRecognizer,
    PostcodeRecognizer,
    UkPhoneRecognizer,
    WebAddressRecognizer,
)
from qualsynth.deid.recognizers.register import RegisterNameRecognizer
from qualsynth.deid.reference import load_reference
from qualsynth.deid.settings import DeidSettings
from qualsynth.deid.textutil import sanitize

GATE_FILE = "leakage_gate.json"
SKIP_KEYS = frozenset({"source_sha256"})


@dataclass(frozen=True)
class Survivor:
    file: str
    line: int | None
    field: str
    start: int
    end: int
    label: str
    detector: str

    def render(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        return (f"{where}: field {self.field}: characters {self.start}-{self.end}: "
                f"{self.label} ({self.detector})")


class GateFailed(Exception):
    """Raised with the survivors when the gate finds an identifier."""

    def __init__(self, survivors: list[Survivor]) -> None:
        self.survivors = survivors
        super().__init__(f"{len(survivors)} identifier(s) survived de-identification")


def scanners(book: RegisterBook, settings: DeidSettings) -> list[EntityRecognizer]:
    """The register names plus every pattern identifier."""
    lexicon = load_lexicon()
    reference = load_reference(settings.reference_path())
    out: list[EntityRecognizer] = [
        NhsNumberRecognizer(), NinoRecognizer(), PostcodeRecognizer(),
        UkPhoneRecognizer(tuple(settings.phone_regions)), OfflineEmailRecognizer(),
        WebAddressRecognizer(), OtherIdRecognizer(),
    ]
    if book.people:
        out.insert(0, RegisterNameRecognizer(
            RegisterBook(people=dict(book.people)), lexicon, reference.first_names,
            name="register"))
    if settings.dates == "redact":
        out.append(DayDateRecognizer())
    return out


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(json path, string) for every string inside a JSON value."""
    if isinstance(value, str):
        yield path or "(value)", value
    elif isinstance(value, dict):
        for key in sorted(value):
            if key in SKIP_KEYS:
                continue
            yield from _strings(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _records(path: Path) -> Iterator[tuple[int | None, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for line, raw in enumerate(text.split("\n"), start=1):
            if raw.strip():
                yield line, json.loads(raw)
    elif path.suffix == ".json":
        yield None, json.loads(text)
    elif path.suffix == ".csv":
        for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            yield line, row
    else:
        yield None, text


def scan_files(files: list[Path], root: Path, recognizers: list[EntityRecognizer]
               ) -> tuple[list[Survivor], int]:
    """All survivors in ``files`` and the number of strings scanned."""
    survivors: list[Survivor] = []
    scanned = 0
    entities = sorted({e for r in recognizers for e in r.supported_entities})
    for path in files:
        rel = path.relative_to(root).as_posix()
        for line, record in _records(path):
            for field, value in _strings(record):
                scanned += 1
                masked = PSEUDONYM_RE.sub(lambda m: " " * len(m.group(0)), sanitize(value))
                if not any(c.isalnum() for c in masked):
                    continue
                for recognizer in recognizers:
                    for r in recognizer.analyze(masked, entities, None):
                        survivors.append(Survivor(rel, line, field, r.start, r.end,
                                                  r.entity_type, detector_name(r)))
    survivors.sort(key=lambda s: (s.file, s.line or 0, s.field, s.start))
    return survivors, scanned


def run_gate(deid_dir: Path, book: RegisterBook, settings: DeidSettings) -> dict[str, Any]:
    """Scan every output file; raise GateFailed listing survivors, else return the report."""
    deid_dir = Path(deid_dir)
    files = sorted(p for p in deid_dir.rglob("*") if p.is_file() and p.name != GATE_FILE
                   and not p.name.startswith("."))
    if not files:
        raise FileNotFoundError(f"{deid_dir}: no de-identified outputs to check")
    recognizers = scanners(book, settings)
    survivors, scanned = scan_files(files, deid_dir, recognizers)
    if survivors:
        raise GateFailed(survivors)
    return {
        "passed": True,
        "checked_files": [p.relative_to(deid_dir).as_posix() for p in files],
        "survivors": [],
        "strings_scanned": scanned,
        "checks": sorted(r.name for r in recognizers),
        "register_people": len(book.people),
    }
