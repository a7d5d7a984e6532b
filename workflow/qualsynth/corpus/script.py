"""Authored interview scripts (see FORMAT.md): loading, validation and marker parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from qualsynth.corpus.identities import ORG_FAMILIES, PERSON_FORMS, split_slot
from qualsynth.errors import InputError
from qualsynth.ingest.register import SECTORS, TIME_POINTS

FORMATS = ("vtt", "docx", "txt")
DOCX_STYLES = ("teams", "plain")
STUDIES = ("workforce", "dementia", "place", "quality")
INTERVIEWERS = ("I1", "I2", "I3")
BARE_MARKERS = {
    "address": "ADDRESS", "postcode": "POSTCODE", "phone": "PHONE",
    "nhs_number": "NHS_NUMBER", "nino": "OTHER_ID", "date": "DATE", "url": "URL",
    "staff_id": "OTHER_ID",
}
LABELS = ("PERSON", "ORGANISATION", "LOCATION", "EMAIL", "PHONE", "NHS_NUMBER", "POSTCODE",
          "DATE", "ADDRESS", "URL", "OTHER_ID")
MARKER = re.compile(r"\{([^{}]*)\}")
_MARKER_BODY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_]*)(?:\.(?P<attr>[a-z][a-z0-9_]*))?$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
# Literal identifiers that must be markers instead (so that every one has a gold span).
_LITERAL_IDENTIFIERS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "an email address"),
    (re.compile(r"\b(?:www\.|https?://)\S+"), "a web address"),
    (re.compile(r"\b0\d{2,4}[ ]?\d{3}[ ]?\d{3,4}\b|\+44"), "a phone number"),
    (re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"), "an NHS-number-like number"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"), "a postcode"),
)


@dataclass(frozen=True)
class Marker:
    """One parsed marker: ``{c1.first}`` -> key 'c1', attr 'first'; ``{date}`` -> 'date'."""

    raw: str
    key: str
    attr: str | None

    @property
    def kind(self) -> str:
        """person | org | place | bare."""
        if self.attr is None:
            return "bare"
        if self.key in ("org", "place"):
            return self.key
        return "person"

    @property
    def label(self) -> str:
        if self.kind == "bare":
            return BARE_MARKERS[self.key]
        if self.kind == "org":
            return "ORGANISATION"
        if self.kind == "place":
            return "LOCATION"
        return "EMAIL" if self.attr == "email" else "PERSON"


@dataclass
class PersonSpec:
    key: str
    sex: str
    role: str = ""
    organisation: str | None = None


@dataclass
class ParticipantSpec:
    id: str
    sex: str
    sector: str
    role: str
    organisation: str | None
    aliases: list[str] = field(default_factory=list)


@dataclass
class Script:
    """One authored interview."""

    path: Path
    id: str
    study: str
    format: str
    docx_style: str
    ics: str
    time_point: str
    interview_date: date
    participant: ParticipantSpec
    interviewer: str
    people: dict[str, PersonSpec]
    turns: list[tuple[str, str]]  # (speaker key: I | P | a people key, template text)

    def words(self) -> int:
        """Approximate word count (markers count as one word)."""
        return sum(len(text.split()) for _, text in self.turns)


def parse_markers(text: str) -> list[tuple[int, int, Marker]]:
    """Every ``{...}`` in ``text`` as (start, end, Marker); raises ValueError when malformed."""
    found = []
    for match in MARKER.finditer(text):
        body = _MARKER_BODY.match(match.group(1).strip())
        if not body:
            raise ValueError(f"malformed marker {match.group(0)!r}")
        found.append((match.start(), match.end(),
                      Marker(match.group(0), body.group("key"), body.group("attr"))))
    stray = MARKER.sub("", text)
    if "{" in stray or "}" in stray:
        raise ValueError("unbalanced '{' or '}' outside a marker")
    return found


def _line_of(raw: str, needle: str) -> int | None:
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if needle and needle in line:
            return lineno
    return None


def _fail(path: Path, raw: str, problem: str, needle: str = "", field_name: str | None = None):
    raise InputError(path, problem, line=_line_of(raw, needle), field=field_name)


def check_marker(marker: Marker, people: set[str]) -> str | None:
    """Why a marker is invalid for a script with these people keys, or None."""
    if marker.kind == "bare":
        if marker.key not in BARE_MARKERS:
            return (f"unknown marker {marker.raw}; bare markers are: "
                    f"{', '.join('{' + k + '}' for k in BARE_MARKERS)}")
        return None
    if marker.kind == "org":
        try:
            family, n = split_slot(marker.attr or "")
        except KeyError:
            family, n = "", 0
        if family not in ORG_FAMILIES or (family in ("icb", "healthwatch") and n > 1):
            return (f"unknown organisation slot {marker.raw}; use org.<slot> with slot one of "
                    f"{', '.join(ORG_FAMILIES)} (trust2, council2, ... for a second one)")
        return None
    if marker.kind == "place":
        try:
            family, _ = split_slot(marker.attr or "")
        except KeyError:
            family = ""
        if family not in ("town", "street"):
            return f"unknown place slot {marker.raw}; use place.town, place.town2, place.street"
        return None
    if marker.key not in people:
        return (f"marker {marker.raw} names person {marker.key!r}, who is not P, I or a key "
                f"under 'people:' ({', '.join(sorted(people - {'P', 'I'})) or 'none'})")
    if marker.attr not in PERSON_FORMS:
        return f"unknown name form in {marker.raw}; use one of: {', '.join(PERSON_FORMS)}"
    return None


def literal_identifier(text: str) -> str | None:
    """Describe a literal identifier written outside markers, or None."""
    plain = MARKER.sub(" ", text)
    for pattern, what in _LITERAL_IDENTIFIERS:
        match = pattern.search(plain)
        if match:
            return f"{what} written literally ({match.group(0)!r}); use a marker instead"
    return None


def _require(data: dict, key: str, path: Path, raw: str) -> Any:
    if key not in data or data[key] in (None, ""):
        _fail(path, raw, f"'{key}' is required", f"{key}:", key)
    return data[key]


def _enum(value: Any, allowed: tuple[str, ...], key: str, path: Path, raw: str) -> str:
    if value not in allowed:
        _fail(path, raw, f"{value!r} is not allowed; use one of: {', '.join(allowed)}",
              f"{key}:", key)
    return value


def load_script(path: str | Path) -> Script:
    """Parse and validate one script; errors name the file, line and what to fix."""
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                         line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError(path, "a script must be a YAML mapping (see corpus/FORMAT.md)")
    sid = str(_require(data, "id", path, raw))
    if sid != path.stem:
        _fail(path, raw, f"id {sid!r} must equal the file name stem {path.stem!r}", "id:", "id")
    study = _enum(_require(data, "study", path, raw), STUDIES, "study", path, raw)
    fmt = _enum(_require(data, "format", path, raw), FORMATS, "format", path, raw)
    docx_style = data.get("docx_style") or "teams"
    if fmt == "docx":
        _enum(docx_style, DOCX_STYLES, "docx_style", path, raw)
    ics = str(_require(data, "ics", path, raw))
    time_point = _enum(_require(data, "time_point", path, raw), TIME_POINTS, "time_point",
                       path, raw)
    when = _require(data, "interview_date", path, raw)
    if isinstance(when, str):
        try:
            when = date.fromisoformat(when)
        except ValueError:
            _fail(path, raw, "interview_date must be YYYY-MM-DD", "interview_date:",
                  "interview_date")
    if not isinstance(when, date):
        _fail(path, raw, "interview_date must be YYYY-MM-DD", "interview_date:", "interview_date")
    part = _require(data, "participant", path, raw)
    if not isinstance(part, dict):
        _fail(path, raw, "participant must be a mapping", "participant:", "participant")
    for key in ("id", "sex", "sector", "role"):
        _require(part, key, path, raw)
    _enum(part["sex"], ("F", "M"), "sex", path, raw)
    _enum(part["sector"], SECTORS, "sector", path, raw)
    org = part.get("organisation")
    if org not in (None, "", "none"):
        family, _ = split_slot(str(org)) if re.match(r"^[a-z]+\d*$", str(org)) else ("", 0)
        if family not in ORG_FAMILIES:
            _fail(path, raw, f"participant organisation {org!r} is not an organisation slot "
                  f"({', '.join(ORG_FAMILIES)})", "organisation:", "participant.organisation")
    aliases = list(part.get("aliases") or [])
    for alias in aliases:
        if alias not in PERSON_FORMS or alias == "email":
            _fail(path, raw, f"alias {alias!r} is not a name form ({', '.join(PERSON_FORMS)})",
                  "aliases:", "participant.aliases")
    participant = ParticipantSpec(id=str(part["id"]), sex=part["sex"], sector=part["sector"],
                                  role=str(part["role"]),
                                  organisation=None if org in (None, "", "none") else str(org),
                                  aliases=aliases)
    interviewer = _enum(_require(data, "interviewer", path, raw), INTERVIEWERS, "interviewer",
                        path, raw)
    people: dict[str, PersonSpec] = {}
    for key, spec in (data.get("people") or {}).items():
        key = str(key)
        if not _KEY.match(key) or key in ("org", "place") or key in BARE_MARKERS:
            _fail(path, raw, f"people key {key!r} must be short lower-case letters/digits "
                  "and not a reserved word", f"{key}:", "people")
        if not isinstance(spec, dict) or spec.get("sex") not in ("F", "M"):
            _fail(path, raw, f"people.{key} needs sex: F or M", f"{key}:", f"people.{key}")
        people[key] = PersonSpec(key=key, sex=spec["sex"], role=str(spec.get("role") or ""),
                                 organisation=spec.get("organisation"))
    turns_data = _require(data, "turns", path, raw)
    if not isinstance(turns_data, list) or not turns_data:
        _fail(path, raw, "turns must be a non-empty list", "turns:", "turns")
    speakers = {"I", "P", *people}
    turns: list[tuple[str, str]] = []
    for index, turn in enumerate(turns_data):
        if not isinstance(turn, dict) or len(turn) != 1:
            _fail(path, raw, f"turn {index + 1} must be one 'I: text' or 'P: text' entry",
                  "turns:", f"turns[{index}]")
        (speaker, text), = turn.items()
        speaker = str(speaker)
        if speaker not in speakers:
            _fail(path, raw, f"turn {index + 1}: unknown speaker {speaker!r}; use I, P or a "
                  "people key", "turns:", f"turns[{index}]")
        if not isinstance(text, str) or not text.strip():
            _fail(path, raw, f"turn {index + 1} has no text", "turns:", f"turns[{index}]")
        text = " ".join(text.split())
        try:
            markers = parse_markers(text)
        except ValueError as exc:
            _fail(path, raw, f"turn {index + 1}: {exc}", text[:30], f"turns[{index}]")
        for _, _, marker in markers:
            problem = check_marker(marker, speakers)
            if problem:
                _fail(path, raw, f"turn {index + 1}: {problem}", marker.raw, f"turns[{index}]")
        problem = literal_identifier(text)
        if problem:
            _fail(path, raw, f"turn {index + 1}: {problem}", "", f"turns[{index}]")
        if any(ch in text for ch in "<>"):
            _fail(path, raw, f"turn {index + 1}: '<' and '>' are not allowed (they break "
                  "WebVTT voice tags)", "<", f"turns[{index}]")
        turns.append((speaker, text))
    if not any(s == "P" for s, _ in turns):
        _fail(path, raw, "no participant (P) turns", "turns:", "turns")
    return Script(path=path, id=sid, study=study, format=fmt, docx_style=docx_style, ics=ics,
                  time_point=time_point, interview_date=when, participant=participant,
                  interviewer=interviewer, people=people, turns=turns)


def load_scripts(folder: str | Path, studies: tuple[str, ...] = STUDIES) -> list[Script]:
    """All ``<study>/*.yaml`` interview scripts under ``folder`` (survey.yaml excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "scripts folder not found")
    scripts: list[Script] = []
    for study in studies:
        for path in sorted((folder / study).glob("*.yaml")):
            if path.name == "survey.yaml":
                continue
            script = load_script(path)
            if script.study != study:
                raise InputError(path, f"study {script.study!r} does not match the folder "
                                 f"{study!r}", field="study")
            scripts.append(script)
    check_consistency(scripts)
    return scripts


def check_consistency(scripts: list[Script]) -> None:
    """The same participant id must be the same person (sex, ICS) at every time point."""
    seen: dict[tuple[str, str], Script] = {}
    slots: dict[tuple[str, str, str], Script] = {}
    for script in scripts:
        key = (script.study, script.participant.id)
        first = seen.setdefault(key, script)
        if first is not script and (first.participant.sex != script.participant.sex
                                    or first.ics != script.ics):
            raise InputError(script.path, f"participant {script.participant.id} is "
                             f"{first.participant.sex}/{first.ics} in {first.path.name} but "
                             f"{script.participant.sex}/{script.ics} here", field="participant")
        slot = (script.study, script.participant.id, script.time_point)
        other = slots.setdefault(slot, script)
        if other is not script:
            raise InputError(script.path, f"participant {script.participant.id} already has a "
                             f"{script.time_point} interview in {other.path.name}",
                             field="participant.id")
