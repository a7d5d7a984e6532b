"""Build a corpus from authored scripts: transcripts, registers, survey and gold PII spans.

``build_demo`` regenerates the committed demo corpus (``data/raw/demo``) byte-identically
for a given seed. Every random choice comes from a ``random.Random`` seeded with a string
derived from the seed and what is being chosen, so adding one script does not change the
identifiers of another study.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import statistics
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from qualsynth.corpus import render
from qualsynth.corpus.identities import (
    PeopleFactory,
    Person,
    Slots,
    role_org_kind,
    split_slot,
)
from qualsynth.corpus.reference import DEFAULT_REFERENCE_DIR, Reference, load_reference
from qualsynth.corpus.render import Context, Document, Piece, RenderedTurn, Span
from qualsynth.corpus.script import INTERVIEWERS, STUDIES, Script, load_scripts, parse_markers
from qualsynth.errors import InputError
from qualsynth.ingest.readers import read_transcript
from qualsynth.ingest.register import REQUIRED_COLUMNS
from qualsynth.ingest.text import raw_text

SCRIPTS_DIR = Path(__file__).with_name("scripts")
GOLD_COLUMNS = ("study", "file", "start", "end", "label", "text")
REGISTER_COLUMNS = (*REQUIRED_COLUMNS, "ics_code", "organisation_type")
GENERIC_LABELS = (("Interviewer", "Participant"), ("Interviewer", "Respondent"),
                  ("Int", "R"), ("I", "P"))
SECTOR_ORG_KIND = {"local_authority": "council", "vcse": "charity", "healthwatch": "healthwatch",
                   "patient_carer": "personal"}


@dataclass
class Interview:
    """One rendered transcript with its register row and gold spans."""

    study: str
    file_name: str
    format: str
    document: Document
    register: dict[str, str]
    words: int
    expected_turns: list[tuple[str, str]]  # (speaker label, text) after same-speaker merges


@dataclass
class BuildResult:
    interviews: list[Interview] = field(default_factory=list)
    survey_rows: int = 0
    survey_ics: int = 0
    gold: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_study: dict[str, dict[str, Any]] = {}
        for item in self.interviews:
            entry = by_study.setdefault(item.study, {"interviews": 0, "words": [],
                                                     "formats": {}, "ics": set()})
            entry["interviews"] += 1
            entry["words"].append(item.words)
            entry["formats"][item.format] = entry["formats"].get(item.format, 0) + 1
            entry["ics"].add(item.register["ics"])
        out: dict[str, Any] = {}
        for study, entry in sorted(by_study.items()):
            out[study] = {"interviews": entry["interviews"], "ics": len(entry["ics"]),
                          "min_words": min(entry["words"]),
                          "mean_words": round(statistics.mean(entry["words"])),
                          "formats": dict(sorted(entry["formats"].items()))}
        labels: dict[str, int] = {}
        for row in self.gold:
            labels[row["label"]] = labels.get(row["label"], 0) + 1
        words = [i.words for i in self.interviews]
        return {"studies": out, "interviews": len(self.interviews),
                "min_words": min(words) if words else 0,
                "mean_words": round(statistics.mean(words)) if words else 0,
                "survey_respondents": self.survey_rows, "survey_ics": self.survey_ics,
                "gold_spans": len(self.gold), "gold_by_label": dict(sorted(labels.items()))}


def seeded(seed: int, *parts: object) -> random.Random:
    """A Random seeded from the corpus seed and a description of what it chooses."""
    return random.Random("/".join([str(seed), *map(str, parts)]))


class Builder:
    """Keeps invented people consistent across the files of one corpus build."""

    def __init__(self, reference: Reference, seed: int) -> None:
        self.reference = reference
        self.seed = seed
        self.factory = PeopleFactory(reference)
        self.interviewers: dict[tuple[str, str], Person] = {}
        self.participants: dict[tuple[str, str], tuple[Person, Slots]] = {}
        self.colleagues: dict[tuple[str, ...], Person] = {}

    # ------------------------------------------------------------------ people
    def study_interviewers(self, study: str) -> dict[str, Person]:
        """I1-I3 of a study, invented once (distinct first names)."""
        if (study, "I1") not in self.interviewers:
            rng = seeded(self.seed, study, "interviewers")
            taken: set[str] = set()
            for key in INTERVIEWERS:
                person = self.factory.invent(rng, rng.choice("FM"), rng.choice(
                    ("London", "South East", "Midlands", "North West")),
                    role="researcher", org_kind="nhs", org_domain="nhs.net",
                    avoid_first=taken)
                # Researchers are university staff: a university address and title.
                local = person.email.split("@")[0]
                title = rng.choice(("Dr", "Dr", "Mr") if person.sex == "M"
                                   else ("Dr", "Dr", "Ms", "Mrs"))
                person = Person(person.first, person.surname, person.sex, title,
                                f"{local}@qualsynth-research.ac.uk", "researcher")
                self.interviewers[(study, key)] = person
                taken.add(person.first)
        return {k: self.interviewers[(study, k)] for k in INTERVIEWERS}

    def participant(self, script: Script) -> tuple[Person, Slots]:
        key = (script.study, script.participant.id)
        if key not in self.participants:
            icb = self.reference.icb(script.ics, script.path)
            slots = Slots(icb, seeded(self.seed, script.study, script.participant.id, "slots"))
            rng = seeded(self.seed, script.study, script.participant.id, "person")
            spec = script.participant
            kind = _participant_org_kind(script)
            avoid = {p.first for p in self.study_interviewers(script.study).values()}
            person = self.factory.invent(rng, spec.sex, icb.region, spec.role, kind,
                                         slots.domain(kind), avoid_first=avoid)
            self.participants[key] = (person, slots)
        return self.participants[key]

    def colleague(self, script: Script, key: str, taken: set[str]) -> Person:
        spec = script.people[key]
        cache_key = (script.study, script.participant.id, key, spec.sex, spec.role)
        if cache_key not in self.colleagues:
            _, slots = self.participant(script)
            rng = seeded(self.seed, *cache_key)
            kind = spec.organisation or role_org_kind(spec.role)
            kind = split_slot(kind)[0] if kind[-1:].isdigit() else kind
            self.colleagues[cache_key] = self.factory.invent(
                rng, spec.sex, slots.icb.region, spec.role, kind, slots.domain(kind),
                avoid_first=taken)
        return self.colleagues[cache_key]

    def bind_people(self, script: Script) -> tuple[dict[str, Person], Slots]:
        participant, slots = self.participant(script)
        people = {"I": self.study_interviewers(script.study)[script.interviewer],
                  "P": participant}
        taken = {p.first for p in self.study_interviewers(script.study).values()}
        taken.add(participant.first)
        for key in sorted(script.people):
            person = self.colleague(script, key, set(taken))
            people[key] = person
            taken.add(person.first)
        return people, slots

    # ------------------------------------------------------------------ rendering
    def render_interview(self, script: Script) -> Interview:
        people, slots = self.bind_people(script)
        rng = seeded(self.seed, script.study, script.id, "file")
        ctx = Context(rng=rng, people=people, slots=slots, interview_date=script.interview_date)
        labels = choose_labels(script, people, rng)
        turns: list[RenderedTurn] = []
        for speaker, template in script.turns:
            pieces = render.render_template(template, ctx)
            voice = Piece(people[speaker].full, "PERSON")
            turns.append(RenderedTurn(speaker, labels[speaker], voice, pieces,
                                      render.split_sentences(pieces)))
        file_name, document, expected = render_file(script, turns, rng)
        org_slot = script.participant.organisation
        organisation = slots.get("org", org_slot) if org_slot else ""
        register = register_row(script, file_name, people, slots, organisation)
        words = sum(render.words(t.pieces) for t in turns)
        return Interview(script.study, file_name, script.format, document, register, words,
                         expected)


def _participant_org_kind(script: Script) -> str:
    slot = script.participant.organisation
    if script.participant.sector in SECTOR_ORG_KIND:
        return SECTOR_ORG_KIND[script.participant.sector]
    if slot:
        family = split_slot(slot)[0]
        return {"council": "council", "charity": "charity",
                "healthwatch": "healthwatch"}.get(family, "nhs")
    return "nhs"


def choose_labels(script: Script, people: dict[str, Person],
                  rng: random.Random) -> dict[str, Piece]:
    """Speaker labels for this file: full names, generic labels, or first names."""
    full = {key: Piece(person.full, "PERSON") for key, person in people.items()}
    if script.format == "vtt" or (script.format == "docx" and script.docx_style == "teams"):
        return full
    style = rng.choices(("full", "mixed", "generic", "first"), weights=(5, 2, 2, 1))[0]
    labels = dict(full)
    if style == "mixed":
        labels["I"] = Piece("Interviewer")
    elif style == "generic":
        interviewer, participant = rng.choice(GENERIC_LABELS)
        labels["I"] = Piece(interviewer)
        labels["P"] = Piece(participant)
    elif style == "first":
        labels["I"] = Piece(people["I"].first, "PERSON")
        labels["P"] = Piece(people["P"].first, "PERSON")
    return labels


def expected_turns(turns: list[RenderedTurn]) -> list[tuple[str, str]]:
    """(label, normalised text) per turn as a reader should return them."""
    out: list[tuple[str, str]] = []
    for turn in turns:
        text = " ".join(turn.text().split())
        if out and out[-1][0] == turn.label.text:
            out[-1] = (out[-1][0], f"{out[-1][1]} {text}")
        else:
            out.append((turn.label.text, text))
    return out


def render_file(script: Script, turns: list[RenderedTurn],
                rng: random.Random) -> tuple[str, Document, list[tuple[str, str]]]:
    if script.format == "vtt":
        doc = render.render_vtt(turns, rng)
        return f"{script.id}.vtt", doc, expected_turns(
            [RenderedTurn(t.speaker_key, t.voice, t.voice, t.pieces, t.sentences)
             for t in turns])
    if script.format == "docx":
        when = datetime(script.interview_date.year, script.interview_date.month,
                        script.interview_date.day, rng.randint(9, 16), rng.randrange(0, 60, 1))
        if script.docx_style == "teams":
            turns = [RenderedTurn(t.speaker_key, t.voice, t.voice, t.pieces, t.sentences)
                     for t in turns]
        doc = render.render_docx(turns, rng, script.docx_style, when,
                                 f"Interview transcript {script.id}")
        return f"{script.id}.docx", doc, expected_turns(turns)
    variant = rng.choices(("utf-8", "crlf", "cp1252", "bom"), weights=(6, 2, 1, 1))[0]
    encoding, newline = "utf-8", "\n"
    if variant == "crlf":
        newline = "\r\n"
    elif variant == "bom":
        encoding = "utf-8-sig"
    elif variant == "cp1252" and _encodable(turns, "cp1252"):
        encoding = "cp1252"
        newline = "\r\n"
    doc = render.render_txt(turns, rng, timestamps=rng.random() < 0.45,
                            blank_lines=rng.random() < 0.7, continuation=rng.random() < 0.6,
                            encoding=encoding, newline=newline)
    return f"{script.id}.txt", doc, expected_turns(turns)


def _encodable(turns: list[RenderedTurn], encoding: str) -> bool:
    try:
        for turn in turns:
            turn.text().encode(encoding)
            turn.label.text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def register_row(script: Script, file_name: str, people: dict[str, Person], slots: Slots,
                 organisation: str) -> dict[str, str]:
    participant = people["P"]
    forms: list[str] = list(script.participant.aliases)
    for _, template in script.turns:
        for _, _, marker in parse_markers(template):
            if marker.key == "P" and marker.attr not in forms:
                forms.append(marker.attr or "full")
    aliases: list[str] = []
    for form in forms:
        if form in ("full", "email"):
            continue
        value = participant.form(form)
        if value != participant.full and value not in aliases:
            aliases.append(value)
    slot = script.participant.organisation
    return {
        "transcript": file_name,
        "participant_id": script.participant.id,
        "name": participant.full,
        "aliases": ";".join(aliases),
        "ics": slots.icb.name,
        "region": slots.icb.region,
        "organisation": organisation,
        "sector": script.participant.sector,
        "role": script.participant.role,
        "time_point": script.time_point,
        "interview_date": script.interview_date.isoformat(),
        "interviewer": people["I"].full,
        "ics_code": slots.icb.code,
        "organisation_type": split_slot(slot)[0] if slot else "none",
    }


# ----------------------------------------------------------------------------- checks
def verify_document(path: Path, doc: Document, expected: list[tuple[str, str]],
                    known_labels: set[str]) -> None:
    """The written file decodes to the rendered text, spans hold, and readers agree."""
    text = raw_text(path)
    if text != doc.text:
        raise RuntimeError(f"{path}: raw text differs from the rendered text")
    for span in doc.spans:
        if text[span.start:span.end] != span.text:
            raise RuntimeError(f"{path}: span {span} does not match the text")
    if path.suffix == ".csv":
        return
    turns = read_transcript(path, known_labels)
    got = [(t.speaker, " ".join(t.text.split())) for t in turns]
    if got != expected:
        for i, (a, b) in enumerate(zip(got, expected, strict=False)):
            if a != b:
                raise RuntimeError(f"{path}: turn {i + 1} reads as {a[0]!r}: {a[1][:80]!r} "
                                   f"but was written as {b[0]!r}: {b[1][:80]!r}")
        raise RuntimeError(f"{path}: {len(got)} turns read, {len(expected)} written")


def gold_rows(study: str, file_name: str, spans: Iterable[Span]) -> list[dict[str, Any]]:
    return [{"study": study, "file": file_name, "start": s.start, "end": s.end,
             "label": s.label, "text": s.text} for s in spans]


def write_csv(path: Path, columns: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


# ----------------------------------------------------------------------------- build
def build_corpus(scripts: list[Script], out_dir: str | Path, seed: int,
                 survey_spec: Path | None = None, survey_respondents: int | None = None,
                 reference: Reference | None = None,
                 ingest_labels: tuple[list[str], list[str]] | None = None) -> BuildResult:
    """Render every script (and the survey) into ``out_dir`` with registers and gold spans."""
    from qualsynth.corpus.survey import build_survey

    reference = reference or load_reference(DEFAULT_REFERENCE_DIR)
    out = Path(out_dir)
    builder = Builder(reference, seed)
    result = BuildResult()
    interviewer_labels, participant_labels = ingest_labels or _config_labels()
    by_study: dict[str, list[Interview]] = {}
    order = {s: i for i, s in enumerate(STUDIES)}
    for script in sorted(scripts, key=lambda s: (order.get(s.study, 99), s.study, s.id)):
        interview = builder.render_interview(script)
        path = out / script.study / interview.file_name
        render.write_document(interview.document, path)
        row = interview.register
        known = set(interviewer_labels) | set(participant_labels) | {
            row["name"], row["interviewer"], *row["aliases"].split(";")}
        try:
            verify_document(path, interview.document, interview.expected_turns, known)
        except RuntimeError as err:
            raise InputError(script.path, f"the rendered transcript does not read back as "
                             f"written ({err}); note that in .txt and plain .docx a speaker "
                             "other than I and P must speak at least twice") from None
        by_study.setdefault(script.study, []).append(interview)
        result.interviews.append(interview)
        result.gold.extend(gold_rows(script.study, interview.file_name,
                                     interview.document.spans))
    for study, interviews in by_study.items():
        rows = sorted((i.register for i in interviews), key=lambda r: r["transcript"])
        write_csv(out / study / "participants.csv", REGISTER_COLUMNS, rows)
    if survey_spec is not None:
        survey = build_survey(survey_spec, builder, seed, respondents=survey_respondents)
        path = out / "place" / survey.file_name
        render.write_document(survey.document, path)
        verify_document(path, survey.document, [], set())
        result.survey_rows = survey.respondents
        result.survey_ics = survey.ics_count
        result.gold.extend(gold_rows("place", survey.file_name, survey.document.spans))
    result.gold.sort(key=lambda r: (order.get(r["study"], 99), r["study"], r["file"],
                                    r["start"]))
    write_csv(out / "gold" / "pii_spans.csv", GOLD_COLUMNS, result.gold)
    return result


def _config_labels() -> tuple[list[str], list[str]]:
    """The generic speaker labels from config/config.yaml (defaults if it is missing)."""
    import yaml

    path = Path(__file__).resolve().parents[3] / "config" / "config.yaml"
    try:
        ingest = yaml.safe_load(path.read_text(encoding="utf-8"))["ingest"]
        return list(ingest["interviewer_labels"]), list(ingest["participant_labels"])
    except (OSError, KeyError, TypeError):
        return ["Interviewer", "Int", "I"], ["Participant", "Respondent", "P", "R"]


# What build-demo owns in the output folder. Other files (e.g. gold theme codes written by
# a separate task into gold/) are left alone.
MANAGED = (*STUDIES, "gold/pii_spans.csv", "gold/README.md", "README.md")


def replace_managed(staging: Path, out: Path, names: Iterable[str]) -> None:
    """Move the freshly built entries from ``staging`` into ``out`` (old ones removed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        new = staging / name
        old = out / name
        if not new.exists():
            continue
        old.parent.mkdir(parents=True, exist_ok=True)
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
        shutil.move(str(new), str(old))


def build_demo(scripts_dir: str | Path = SCRIPTS_DIR, out_dir: str | Path = "data/raw/demo",
               seed: int = 2024) -> BuildResult:
    """Regenerate the demo corpus from the authored scripts (byte-identical per seed)."""
    from qualsynth.corpus.docs import demo_readme, gold_readme

    scripts_dir = Path(scripts_dir)
    scripts = load_scripts(scripts_dir)
    if not scripts:
        raise InputError(scripts_dir, "no interview scripts found (expected "
                         "<study>/<id>.yaml files)")
    survey_spec = scripts_dir / "place" / "survey.yaml"
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".demo-build-", dir=out.parent) as tmp:
        staging = Path(tmp)
        result = build_corpus(scripts, staging, seed,
                              survey_spec if survey_spec.exists() else None)
        summary = result.summary()
        (staging / "README.md").write_text(demo_readme(summary, seed), encoding="utf-8")
        (staging / "gold" / "README.md").write_text(gold_readme(summary), encoding="utf-8")
        replace_managed(staging, out, MANAGED)
    return result
