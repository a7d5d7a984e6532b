"""``detect-pii`` for any text: spans with positions in the input, and the text with
pseudonyms written in (numbered by first appearance; no key table is kept)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from qualsynth.deid.engine import Detector
from qualsynth.deid.mapping import DocContext, EntityMapper
from qualsynth.deid.people import (
    INTERVIEWER,
    PARTICIPANT,
    RegisterBook,
    RegisterPerson,
    book_from_rows,
    check_name,
    interviewer_names,
    normalise_name,
)
from qualsynth.deid.pseudonyms import Pseudonymizer
from qualsynth.deid.replace import apply_replacements
from qualsynth.deid.settings import DeidSettings
from qualsynth.deid.textutil import sanitize
from qualsynth.errors import InputError
from qualsynth.ingest.register import REQUIRED_COLUMNS, load_register
from qualsynth.ingest.text import read_text_file

STUDY = "input"


def decode_input(data: bytes, source: str | Path) -> str:
    """Text of a file or stdin for detect-pii: UTF-8 (BOM allowed) or Windows-1252.

    Control characters are kept here and made harmless by the detector (replaced by
    spaces, offsets unchanged); only NUL bytes mark binary input, which is refused.
    """
    if b"\x00" in data:
        raise InputError(source, "binary content (NUL bytes): give detect-pii a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def register_book(path: str | Path) -> RegisterBook:
    """A participants.csv register, or any CSV with a ``name`` column (``aliases``,
    ``participant_id`` and ``interviewer`` optional)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "register file not found")
    text = read_text_file(path)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if all(c in header for c in REQUIRED_COLUMNS):
        return book_from_rows(load_register(path), STUDY, path)
    if "name" not in header:
        raise InputError(path, "a register needs at least a 'name' column (or all the "
                         "participants.csv columns)", line=1)
    book = RegisterBook()
    for line, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        check_name(name, path, line, "name")
        aliases = [a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()]
        for alias in aliases:
            check_name(alias, path, line, "aliases")
        code = (row.get("participant_id") or "").strip() or f"R{line - 1}"
        book.add(RegisterPerson(PARTICIPANT, f"{STUDY}/{code}", STUDY, code,
                                (name, *aliases)))
        for other in interviewer_names(row.get("interviewer") or ""):
            check_name(other, path, line, "interviewer")
            book.add(RegisterPerson(INTERVIEWER, normalise_name(other), STUDY, "", (other,)))
    return book


def detect_pii(text: str, detector: Detector, settings: DeidSettings,
               book: RegisterBook | None = None) -> dict[str, Any]:
    """``{"spans": [...], "text": ...}`` for one text (see the module docstring)."""
    clean = sanitize(text)
    [detections] = detector.detect([clean])
    mapper = EntityMapper(Pseudonymizer(None), {}, settings.dates, book)
    ctx = DocContext(STUDY, "text")
    handles = [mapper.note(d, clean[d.start:d.end], ctx) for d in detections]
    mapper.assign()
    replacements = []
    for d, handle in zip(detections, handles, strict=True):
        token = mapper.token(handle)
        if token is not None:
            replacements.append((d.start, d.end, token))
    spans = [{"start": d.start, "end": d.end, "label": d.label, "detector": d.detector,
              "score": d.score} for d in detections]
    return {"spans": spans, "text": apply_replacements(clean, replacements)}
