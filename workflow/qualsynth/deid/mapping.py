"""From detections to pseudonyms: which entity each span is, consistently across a corpus.

A detection's identity is (kind, key): registered people by participant id or
interviewer name, other people by their normalised name (a lone first name or surname
is linked to the one full name in the same document, or else in the corpus, that
contains it), organisations and places by their normalised name, an ICS by its ICB code
(shown as the study's region label), and pattern identifiers by a fixed token.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from qualsynth.deid.labels import FIXED_TOKENS, ics_token, participant_token
from qualsynth.deid.people import (
    INTERVIEWER,
    PARTICIPANT,
    RegisterBook,
    name_tokens,
    normalise_name,
)
from qualsynth.deid.pseudonyms import Pseudonymizer
from qualsynth.deid.reference import normalise_org
from qualsynth.deid.replace import date_replacement
from qualsynth.deid.resolve import Detection
from qualsynth.deid.sites import Site

ORG_KINDS = ("nhs_trust", "council", "healthwatch", "gp_practice", "pcn", "hospital",
             "organisation")


@dataclass(frozen=True)
class DocContext:
    study: str
    document: str
    participant: str | None = None          # "<study>/<participant_id>"
    interviewers: tuple[str, ...] = ()      # normalised interviewer names


@dataclass(frozen=True)
class Identity:
    kind: str
    key: str
    token: str | None = None                # fixed token (None: numbered later)
    original: str = ""


class EntityMapper:
    """Collect identities for every detection, then hand out pseudonym tokens."""

    def __init__(self, pseudonymizer: Pseudonymizer, sites: dict[tuple[str, str], Site],
                 dates_mode: str, book: RegisterBook | None = None) -> None:
        self.pseudo = pseudonymizer
        self.sites = sites
        self.dates_mode = dates_mode
        self.book = book or RegisterBook()
        self.register_forms: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for ident, person in self.book.people.items():
            for name in person.names:
                tokens = name_tokens(name)
                forms = {" ".join(tokens).lower(), *(t.lower() for t in tokens)}
                for form in forms:
                    if form:
                        self.register_forms[form].add(ident)
        self._multi_by_doc: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._multi_all: set[str] = set()
        self._noted: list[tuple[Identity, tuple[str, str]]] = []

    # ------------------------------------------------------------------ identities
    def identity(self, d: Detection, surface: str, ctx: DocContext) -> Identity:
        """What entity a detection stands for (before person-name linking)."""
        if d.label == "DATE":
            token = date_replacement(surface, self.dates_mode)
            return Identity("date", "", token, surface)
        if d.kind == "register":
            return self._registered(tuple(d.key), ctx, surface)
        kind = d.kind
        if kind in (None, "fixed"):
            kind = {"PERSON": "person", "ORGANISATION": "organisation",
                    "LOCATION": "place"}.get(d.label, "fixed")
        if kind == "fixed":
            return Identity("fixed", d.label, FIXED_TOKENS.get(d.label, "[ID]"), surface)
        if kind == "person":
            key = normalise_name(surface)
            known = self.register_forms.get(key)
            if known:
                return self._registered(tuple(sorted(known)), ctx, surface)
            return Identity("person", key or surface.lower(), None, surface)
        if kind == "ics":
            site = self.sites.get((ctx.study, str(d.key)))
            if site is not None:
                token = ics_token(site.label, d.variant or "ICS")
                return Identity("ics_site", f"{ctx.study}/{site.key}", token, surface)
            return Identity("other_ics", str(d.key), None, surface)
        if kind in ORG_KINDS:
            return Identity(kind, str(d.key) if d.key else normalise_org(surface), None,
                            surface)
        return Identity("place", normalise_org(surface), None, surface)

    def _registered(self, candidates: tuple, ctx: DocContext, surface: str) -> Identity:
        idents = [tuple(c) for c in candidates]
        chosen = None
        if ctx.participant and (PARTICIPANT, ctx.participant) in idents:
            chosen = (PARTICIPANT, ctx.participant)
        if chosen is None:
            chosen = next((i for i in idents if i[0] == INTERVIEWER and i[1] in ctx.interviewers),
                          None)
        if chosen is None:
            same_study = [i for i in idents if i[0] == PARTICIPANT
                          and i[1].startswith(ctx.study + "/")]
            chosen = same_study[0] if same_study else sorted(idents)[0]
        kind, key = chosen
        if kind == PARTICIPANT:
            study, code = key.split("/", 1)
            token = participant_token(code if study == ctx.study else f"{study}/{code}")
            return Identity(PARTICIPANT, key, token, surface)
        return Identity(INTERVIEWER, key, None, surface)

    # ------------------------------------------------------------------ two phases
    def note(self, d: Detection, surface: str, ctx: DocContext) -> int:
        """Record a detection; returns a handle for :meth:`token`."""
        ident = self.identity(d, surface, ctx)
        if ident.kind == "person" and " " in ident.key:
            self._multi_by_doc[(ctx.study, ctx.document)].add(ident.key)
            self._multi_all.add(ident.key)
        self._noted.append((ident, (ctx.study, ctx.document)))
        return len(self._noted) - 1

    def _linked(self, ident: Identity, doc: tuple[str, str]) -> Identity:
        if ident.kind != "person" or " " in ident.key:
            return ident
        local = [m for m in self._multi_by_doc.get(doc, ()) if ident.key in m.split()]
        pool = local if local else [m for m in self._multi_all if ident.key in m.split()]
        if len(pool) == 1:
            return Identity("person", pool[0], None, ident.original)
        return ident

    def assign(self) -> None:
        """Link lone names, register every entity with the pseudonymizer, number them."""
        self._noted = [(self._linked(i, doc), doc) for i, doc in self._noted]
        for ident, _ in self._noted:
            if ident.kind in ("date", "fixed"):
                continue
            self.pseudo.add(ident.kind, ident.key, ident.original, ident.token)
        self.pseudo.assign()

    def token(self, handle: int) -> str | None:
        """The replacement for a noted detection (None: leave the text as it is)."""
        ident, _ = self._noted[handle]
        if ident.kind in ("date", "fixed") or ident.token is not None:
            return ident.token
        return self.pseudo.token(ident.kind, ident.key)

    def speaker_token(self, role: str, label: str, ctx: DocContext,
                      participant_code: str | None) -> tuple[str, str, str]:
        """(kind, key, original) of a speaker label, registered for numbering."""
        if role == "participant" and participant_code:
            key = ctx.participant or f"{ctx.study}/{participant_code}"
            token = participant_token(participant_code)
            self.pseudo.add(PARTICIPANT, key, label, token)
            return PARTICIPANT, key, label
        if role == "interviewer":
            known = self.register_forms.get(normalise_name(label), set())
            keys = [k for kind, k in known if kind == INTERVIEWER]
            key = keys[0] if keys else (ctx.interviewers[0] if ctx.interviewers
                                        else f"{ctx.study}/unnamed interviewer")
            self.pseudo.add(INTERVIEWER, key, label)
            return INTERVIEWER, key, label
        key = normalise_name(label) or label.lower()
        known = self.register_forms.get(key)
        if known:
            ident = self._registered(tuple(sorted(known)), ctx, label)
            self.pseudo.add(ident.kind, ident.key, label, ident.token)
            return ident.kind, ident.key, label
        self.pseudo.add("person", key, label)
        return "person", key, label
