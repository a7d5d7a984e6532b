"""Compose the place-leader survey export from authored answer fragments (survey.yaml).

Each respondent gets an ICS, a sector and role, closed answers (maturity first, then the
budget and committee answers conditional on it) and free-text answers made of one to three
fragments whose ``when`` conditions fit those closed answers. Markers in fragments become
identifiers with gold spans, as in the interview scripts. The CSV quotes every field
(survey-tool style) and uses CRLF line endings; spans refer to the decoded LF text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from qualsynth.corpus import render
from qualsynth.corpus.identities import Person, Slots, role_org_kind
from qualsynth.corpus.render import Context, Document, SpanText
from qualsynth.corpus.script import check_marker, literal_identifier, parse_markers
from qualsynth.errors import InputError
from qualsynth.ingest.register import SECTORS

ATTRIBUTE_COLUMNS = ("respondent_id", "ics", "region", "sector", "role")


@dataclass
class Fragment:
    text: str
    when: dict[str, list[str]]
    last: bool
    people: dict[str, dict[str, str]]


@dataclass
class SurveySpec:
    path: Path
    file_name: str
    respondents: int
    ics_count: int
    fielded: date
    closed: dict[str, dict[str, Any]]      # question -> {"given": q|None, "options": ...}
    closed_order: list[str]
    free_text: dict[str, tuple[float, list[Fragment]]]
    roles: dict[str, list[str]]
    sector_weights: dict[str, float]
    missing_closed: float


@dataclass
class SurveyBuild:
    file_name: str
    document: Document
    respondents: int
    ics_count: int


def _fail(path: Path, problem: str, field: str | None = None) -> None:
    raise InputError(path, problem, field=field)


def _weights(options: Any, path: Path, field: str) -> dict[str, float]:
    if not isinstance(options, dict) or not options:
        _fail(path, "options must be a mapping of answer -> weight", field)
    out: dict[str, float] = {}
    for answer, weight in options.items():
        if not isinstance(answer, str):
            _fail(path, f"answer {answer!r} must be a quoted string (YAML reads yes/no "
                  "unquoted as booleans)", field)
        out[answer] = float(weight)
    return out


def load_survey_spec(path: str | Path) -> SurveySpec:
    """Read and validate survey.yaml."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML: {exc}") from None
    for key in ("file", "respondents", "ics_count", "fielded", "closed", "free_text",
                "roles", "sector_weights"):
        if key not in data:
            _fail(path, f"'{key}' is required", key)
    closed: dict[str, dict[str, Any]] = {}
    for question, entry in data["closed"].items():
        given = entry.get("given")
        if given is None:
            closed[question] = {"given": None,
                                "options": _weights(entry["options"], path, question)}
        else:
            if given not in closed:
                _fail(path, f"{question}: 'given' must name a closed question listed earlier",
                      question)
            table = {str(k): _weights(v, path, f"{question}.{k}")
                     for k, v in entry["options"].items()}
            missing = set(closed[given]["options"]) - set(table)
            if missing:
                _fail(path, f"{question}: no options for {given} = {sorted(missing)}", question)
            closed[question] = {"given": given, "options": table}
    free: dict[str, tuple[float, list[Fragment]]] = {}
    for question, entry in data["free_text"].items():
        fragments = []
        for index, item in enumerate(entry["fragments"]):
            text = " ".join(str(item["text"]).split())
            where = f"{question}.fragments[{index}]"
            people = item.get("people") or {}
            try:
                markers = parse_markers(text)
            except ValueError as exc:
                _fail(path, f"{where}: {exc}", where)
            for _, _, marker in markers:
                problem = check_marker(marker, {"P", *people, "c1", "c2", "c3"})
                if problem:
                    _fail(path, f"{where}: {problem}", where)
            problem = literal_identifier(text)
            if problem:
                _fail(path, f"{where}: {problem}", where)
            when = {k: [str(v) for v in vals] for k, vals in (item.get("when") or {}).items()}
            for key in when:
                if key not in closed:
                    _fail(path, f"{where}: 'when' names {key!r}, not a closed question", where)
            fragments.append(Fragment(text, when, bool(item.get("last")), people))
        free[question] = (float(entry.get("empty", 0.0)), fragments)
    if not isinstance(data["fielded"], date):
        _fail(path, "fielded must be a date (YYYY-MM-DD)", "fielded")
    roles = {str(k): [str(r) for r in v] for k, v in data["roles"].items()}
    for sector in roles:
        if sector not in SECTORS:
            _fail(path, f"unknown sector {sector!r}; use one of {', '.join(SECTORS)}", "roles")
    return SurveySpec(path=path, file_name=str(data["file"]),
                      respondents=int(data["respondents"]), ics_count=int(data["ics_count"]),
                      fielded=data["fielded"], closed=closed, closed_order=list(closed),
                      free_text=free, roles=roles,
                      sector_weights={str(k): float(v) for k, v in
                                      data["sector_weights"].items()},
                      missing_closed=float(data.get("missing_closed", 0.0)))


def _choose(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _fits(fragment: Fragment, closed: dict[str, str]) -> bool:
    return all(closed.get(q) in allowed for q, allowed in fragment.when.items())


def compose_answer(rng: random.Random, fragments: list[Fragment], closed: dict[str, str],
                   usage: dict[int, int], allow_tail: bool = True) -> list[int]:
    """Indices of the fragments making one answer (about 20-120 words)."""
    fits = [i for i, f in enumerate(fragments) if _fits(f, closed)]
    openers = [i for i in fits if not fragments[i].last]
    if not openers:
        return []
    least = min(usage[i] for i in openers)
    first = rng.choice([i for i in openers if usage[i] == least])
    chosen = [first]
    total = _words(fragments[first].text)
    target = rng.randint(20, 75)
    while total < 20 or (total < target and rng.random() < 0.5):
        rest = [i for i in fits if i not in chosen and not fragments[i].last
                and total + _words(fragments[i].text) <= 115]
        if not rest:
            break
        least = min(usage[i] for i in rest)
        nxt = rng.choice([i for i in rest if usage[i] == least])
        chosen.append(nxt)
        total += _words(fragments[nxt].text)
    tails = [i for i in fits if fragments[i].last and total + _words(fragments[i].text) <= 118]
    if allow_tail and tails and rng.random() < 0.1:
        chosen.append(rng.choice(tails))
    for i in chosen:
        usage[i] += 1
    return chosen


def _words(text: str) -> int:
    return len(text.split())


def _csv_field(out: SpanText, pieces: list[render.Piece]) -> None:
    out.add('"')
    for piece in pieces:
        if piece.label is not None and '"' in piece.text:
            raise ValueError("an identifier cannot contain a double quote")
        out.add(piece.text.replace('"', '""'), piece.label)
    out.add('"')


def build_survey(spec_path: str | Path, builder, seed: int,
                 respondents: int | None = None) -> SurveyBuild:
    """Compose the survey CSV; ``builder`` supplies reference data and unique names."""
    from qualsynth.corpus.generate import seeded

    spec = load_survey_spec(spec_path)
    reference = builder.reference
    rng = seeded(seed, "place", "survey")
    n = respondents or spec.respondents
    codes = sorted(reference.icbs)
    n_ics = min(spec.ics_count, len(codes), n)
    chosen_ics = rng.sample(codes, n_ics)
    assignment = list(chosen_ics)
    while len(assignment) < n:
        assignment.append(rng.choice(chosen_ics))
    rng.shuffle(assignment)
    usage = {q: dict.fromkeys(range(len(f)), 0) for q, (_, f) in spec.free_text.items()}
    columns = [*ATTRIBUTE_COLUMNS, *spec.closed_order, *spec.free_text]
    out = SpanText()
    out.add(",".join(f'"{c}"' for c in columns) + "\n")
    sectors = list(spec.sector_weights)
    for index, code in enumerate(assignment, start=1):
        r_rng = seeded(seed, "place", "survey", index)
        icb = reference.icbs[code]
        sector = r_rng.choices(sectors, weights=[spec.sector_weights[s] for s in sectors])[0]
        role = r_rng.choice(spec.roles[sector])
        closed: dict[str, str] = {}
        for question in spec.closed_order:
            entry = spec.closed[question]
            weights = entry["options"] if entry["given"] is None else \
                entry["options"][closed[entry["given"]] or next(iter(entry["options"]))]
            closed[question] = _choose(r_rng, weights)
        shown = {q: ("" if r_rng.random() < spec.missing_closed else a) for q, a in closed.items()}
        slots = Slots(icb, seeded(seed, "place", "survey", index, "slots"))
        row: dict[str, list[render.Piece]] = {
            "respondent_id": [render.Piece(f"{index:03d}")],
            "ics": [render.Piece(icb.name)], "region": [render.Piece(icb.region)],
            "sector": [render.Piece(sector)], "role": [render.Piece(role)],
        }
        for question in spec.closed_order:
            row[question] = [render.Piece(shown[question])] if shown[question] else []
        people: dict[str, Person] = {}
        fielded = spec.fielded
        ctx = Context(rng=r_rng, people=people, slots=slots, interview_date=fielded)
        tail_used = False
        for question, (empty, fragments) in spec.free_text.items():
            if r_rng.random() < empty:
                row[question] = []
                continue
            picked = compose_answer(r_rng, fragments, closed, usage[question],
                                    allow_tail=not tail_used)
            tail_used = tail_used or any(fragments[i].last for i in picked)
            pieces: list[render.Piece] = []
            for i in picked:
                fragment = fragments[i]
                _bind_people(builder, r_rng, fragment, people, slots, sector, role)
                if pieces:
                    pieces.append(render.Piece(" "))
                pieces.extend(render.render_template(fragment.text, ctx))
            row[question] = render._merge_literals(pieces)
        for c_index, column in enumerate(columns):
            if c_index:
                out.add(",")
            _csv_field(out, row[column])
        out.add("\n")
    text = out.text
    return SurveyBuild(spec.file_name, Document(text, out.spans,
                                                text.replace("\n", "\r\n").encode("utf-8")),
                       n, n_ics)


def _bind_people(builder, rng: random.Random, fragment: Fragment, people: dict[str, Person],
                 slots: Slots, sector: str, role: str) -> None:
    """Invent the people a fragment names (P is the respondent), once per respondent."""
    for _, _, marker in parse_markers(fragment.text):
        if marker.kind != "person" or marker.key in people:
            continue
        taken = {p.first for p in people.values()}
        if marker.key == "P":
            sex, p_role = rng.choice("FM"), role
            kind = {"local_authority": "council", "vcse": "charity"}.get(sector, "nhs")
        else:
            spec = fragment.people.get(marker.key, {})
            sex = spec.get("sex") or rng.choice("FM")
            p_role = spec.get("role", "")
            kind = role_org_kind(p_role)
        people[marker.key] = builder.factory.invent(rng, sex, slots.icb.region, p_role, kind,
                                                    slots.domain(kind), avoid_first=taken)
