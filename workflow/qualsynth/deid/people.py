"""Registered people (participants and interviewers) and the name forms to look for.

The register (``participants.csv``) is identifiable: everything here stays in memory and
in the restricted key table; nothing from it is logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qualsynth.deid.lexicon import TITLE_RE, word_set
from qualsynth.errors import InputError
from qualsynth.ingest.register import RegisterRow, load_register

PARTICIPANT, INTERVIEWER = "participant", "interviewer"
# Words that label a speaker's role; never treated as part of someone's name.
SPEAKER_WORDS = word_set("""
interviewer interviewee participant respondent facilitator researcher moderator speaker
unknown note-taker notetaker observer chair host guest
""")
_PARTICLES = word_set("""
da de del della der di du la le van von bin al el ter
""")
_SPLIT_INTERVIEWERS = re.compile(r"[;,]")


@dataclass(frozen=True)
class RegisterPerson:
    """One registered person: ``key`` identifies them within ``kind`` across the corpus."""

    kind: str                       # participant | interviewer
    key: str                        # participant: "<study>/<participant_id>"; interviewer: name
    study: str
    code: str                       # participant_id, or '' for interviewers
    names: tuple[str, ...]          # full name first, then aliases


@dataclass
class RegisterBook:
    """All registered people and organisations of a corpus."""

    people: dict[tuple[str, str], RegisterPerson] = field(default_factory=dict)
    organisations: set[str] = field(default_factory=set)
    ics_values: dict[str, set[str]] = field(default_factory=dict)   # study -> register ics

    def add(self, person: RegisterPerson) -> None:
        ident = (person.kind, person.key)
        known = self.people.get(ident)
        if known is None:
            self.people[ident] = person
        else:
            names = tuple(dict.fromkeys([*known.names, *person.names]))
            self.people[ident] = RegisterPerson(known.kind, known.key, known.study,
                                                known.code, names)


def normalise_name(name: str) -> str:
    """Lower-case, single-spaced name without titles or possessive."""
    name = name.replace("’", "'")
    name = re.sub(r"'s$", "", name.strip())
    tokens = [t for t in name.split() if not TITLE_RE.fullmatch(t)]
    return " ".join(tokens).lower()


def check_name(value: str, path: str | Path, line: int | None, column: str) -> None:
    """Reject names that cannot be matched safely (empty or one character)."""
    core = re.sub(r"[\W_]", "", value)
    if not core:
        raise InputError(path, "empty name: every person needs a name of at least two "
                         "letters", line=line, field=column)
    if len(core) < 2:
        raise InputError(path, "a name or alias of a single letter cannot be matched "
                         "safely (it would redact that letter everywhere); write the full "
                         "name, or remove the alias", line=line, field=column)


def interviewer_names(value: str) -> list[str]:
    return [n.strip() for n in _SPLIT_INTERVIEWERS.split(value) if n.strip()]


def book_from_rows(rows: dict[str, RegisterRow], study: str, path: str | Path,
                   book: RegisterBook | None = None) -> RegisterBook:
    """Collect people and organisations from one study's register rows."""
    book = book if book is not None else RegisterBook()
    for row in sorted(rows.values(), key=lambda r: r.line):
        check_name(row.name, path, row.line, "name")
        for alias in row.aliases:
            check_name(alias, path, row.line, "aliases")
        book.add(RegisterPerson(PARTICIPANT, f"{study}/{row.participant_id}", study,
                                row.participant_id, tuple(row.names())))
        for name in interviewer_names(row.interviewer):
            check_name(name, path, row.line, "interviewer")
            book.add(RegisterPerson(INTERVIEWER, normalise_name(name), study, "", (name,)))
        if row.organisation.strip():
            book.organisations.add(row.organisation.strip())
        if row.ics.strip():
            book.ics_values.setdefault(study, set()).add(row.ics.strip())
    return book


def load_register_book(registers: Iterable[tuple[str, str | Path]]) -> RegisterBook:
    """Read every (study, participants.csv) pair into one book."""
    book = RegisterBook()
    for study, path in registers:
        rows = load_register(path)
        book_from_rows(rows, study, path, book)
    return book


def name_tokens(name: str) -> list[str]:
    """Tokens of a name that identify on their own: capitalised, two letters or more.

    Titles and particles ('van', 'de') are left out; hyphenated parts count separately.
    """
    out: list[str] = []
    for token in name.replace("’", "'").split():
        token = token.strip(".,;:()\"")
        if TITLE_RE.fullmatch(token) or token.lower() in _PARTICLES or len(token) < 2 \
                or token.lower() in SPEAKER_WORDS:
            continue
        parts = [token] + ([p for p in token.split("-") if len(p) >= 2] if "-" in token else [])
        out.extend(parts)
    return list(dict.fromkeys(out))
