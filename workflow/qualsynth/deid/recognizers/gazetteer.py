"""Layer 4: gazetteers of public names from ``data/reference/`` with one Aho-Corasick pass.

NHS trusts, ICBs (mapped to the ICS's region label), councils and their areas, places in
Great Britain and common first names. Long official names match in any case; single
place names and first names must be capitalised, and a place name that is also an
everyday word ("Reading", "Deal", "March") counts only after a word such as "in", "at"
or "from".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from qualsynth.deid.allowlist import AllowList
from qualsynth.deid.lexicon import MONTHS, WEEKDAYS, Lexicon, word_set
from qualsynth.deid.recognizers.base import make_result, wants
from qualsynth.deid.reference import Icb, ReferenceData, council_area, normalise_org
from qualsynth.deid.textutil import (
    PhraseMatcher,
    is_sentence_initial,
    lower_same_length,
    name_cue_after,
    next_word,
    previous_word,
    whitespace_to_spaces,
)

LOCATIVE = word_set("""
in at from to near around across into outside inside round via towards toward through of
over between within beyond
""")
ANY, CAPITALISED, LOCATIVE_ONLY, NEEDS_SURNAME = "any", "cap", "locative", "surname"


@dataclass(frozen=True)
class Entry:
    entity: str
    kind: str
    key: Any
    score: float
    policy: str = ANY
    variant: str | None = None


class GazetteerRecognizer(EntityRecognizer):
    """One reference table as a multi-pattern matcher; ``entries`` are (phrase, Entry)."""

    def __init__(self, name: str, entries: list[tuple[str, Entry]], case_sensitive: bool,
                 lexicon: Lexicon | None = None, extend_surname: bool = False) -> None:
        self.matcher = PhraseMatcher(entries, case_sensitive=case_sensitive)
        self.lexicon = lexicon
        self.extend_surname = extend_surname
        entities = sorted({e.entity for _, e in entries}) or ["LOCATION"]
        super().__init__(supported_entities=entities, name=name)

    def load(self) -> None:  # noqa: D102 - the automaton is built in __init__
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None
                ) -> list[RecognizerResult]:
        """Every accepted occurrence of a gazetteer phrase."""
        if not wants(entities, self.supported_entities) or not len(self.matcher):
            return []
        flat = whitespace_to_spaces(text)
        lowered = None if self.matcher.case_sensitive else lower_same_length(flat)
        out: list[RecognizerResult] = []
        for hit in self.matcher.find(flat, lowered):
            entry: Entry = hit.payloads[0]
            end = hit.end
            if entry.policy != ANY and not flat[hit.start].isupper():
                continue
            surname = self._surname_after(flat, end) if self.extend_surname else None
            if entry.policy == LOCATIVE_ONLY and previous_word(flat, hit.start) not in LOCATIVE:
                continue
            if entry.policy == NEEDS_SURNAME and surname is None and not (
                    not is_sentence_initial(flat, hit.start) or name_cue_after(flat, end)):
                continue
            score = entry.score
            if surname is not None:
                end, score = surname, min(1.0, entry.score + 0.15)
            out.append(make_result(self, entry.entity, hit.start, end, score, kind=entry.kind,
                                   key=entry.key, variant=entry.variant))
        return out

    def _surname_after(self, text: str, end: int) -> int | None:
        """End of a capitalised surname right after a first name ("Sam Okafor"), or None."""
        span = next_word(text, end)
        if span is None or span[0] != end + 1:
            return None
        word = text[span[0]:span[1]]
        if not word[:1].isupper() or not word[:1].isalpha() or len(word) < 2:
            return None
        lower = word.lower().rstrip("'’s") if word.endswith(("'s", "’s")) else word.lower()
        if self.lexicon is not None and (lower in self.lexicon.stop_words
                                         or lower in {"i", "nhs", "icb", "ics", "icp"}):
            return None
        if word.isupper() and len(word) <= 4:      # an acronym, not a surname
            return None
        if word.endswith(("'s", "’s")):
            return span[1] - 2
        return span[1]


# ----------------------------------------------------------------------------- builders
def _and_variants(name: str) -> set[str]:
    return {name, name.replace(" & ", " and "), name.replace(" and ", " & ")}


def trust_gazetteer(reference: ReferenceData, lexicon: Lexicon) -> GazetteerRecognizer:
    """NHS trusts by full name and by the short form without 'NHS (Foundation) Trust'."""
    entries: list[tuple[str, Entry]] = []
    for name in reference.trusts:
        key = normalise_org(name)
        for variant in _and_variants(name):
            entries.append((variant, Entry("ORGANISATION", "nhs_trust", key, 0.95)))
        short = re.sub(r"\s+NHS(?:\s+Foundation)?\s+Trust$", "", name, flags=re.I)
        short = re.sub(r"\s+University$", "", short, flags=re.I)
        words = short.split()
        if short != name and len(words) >= 2 and not all(
                lexicon.is_english_word(w) for w in words if w.lower() not in ("and", "of")):
            for variant in _and_variants(short):
                entries.append((variant, Entry("ORGANISATION", "nhs_trust", key, 0.9)))
    return GazetteerRecognizer("gazetteer_trust", entries, case_sensitive=False)


COUNCIL_FORMS = ("{} Council", "{} County Council", "{} City Council", "{} Borough Council",
                 "{} District Council", "{} Metropolitan Borough Council",
                 "London Borough of {}", "Royal Borough of {}", "City of {} Council",
                 "Borough of {}")


def council_gazetteer(reference: ReferenceData) -> GazetteerRecognizer:
    """Councils by official name and by the usual forms around their area's name."""
    entries = []
    for name in reference.councils:
        key = normalise_org(name)
        area = council_area(name)
        forms = {name} | ({f.format(area) for f in COUNCIL_FORMS} if area else set())
        for form in forms:
            entries.extend((v, Entry("ORGANISATION", "council", key, 0.95))
                           for v in _and_variants(form))
    return GazetteerRecognizer("gazetteer_council", entries, case_sensitive=False)


ICS_SUFFIXES = (
    ("Integrated Care Board", "ICB"), ("ICB", "ICB"), ("Integrated Care System", "ICS"),
    ("ICS", "ICS"), ("Integrated Care Partnership", "ICP"), ("ICP", "ICP"),
    ("Health and Care Partnership", "ICP"),
)


def ics_gazetteer(reference: ReferenceData, register_values: dict[str, set[str]] | None = None
                  ) -> GazetteerRecognizer:
    """ICB / ICS / ICP names -> the ICS (key: ODS code); bare area names as LOCATION."""
    entries: list[tuple[str, Entry]] = []

    def add(icb_key: str, base: str) -> None:
        for b in _and_variants(base):
            for suffix, variant in ICS_SUFFIXES:
                for name in (f"{b} {suffix}", f"NHS {b} {suffix}"):
                    entries.append((name, Entry("ORGANISATION", "ics", icb_key, 0.97,
                                                variant=variant)))
            entries.append((f"NHS {b}", Entry("ORGANISATION", "ics", icb_key, 0.95,
                                              variant="ICB")))
            entries.append((b, Entry("LOCATION", "ics", icb_key, 0.9, policy=CAPITALISED,
                                     variant="ICS")))

    icb: Icb
    for icb in reference.icbs:
        add(icb.code, icb.base)
    for values in (register_values or {}).values():
        for value in values:
            if reference.icb_by_any(value) is None:
                key = "raw:" + normalise_org(value)
                entries.append((value, Entry("ORGANISATION", "ics", key, 0.97, variant="ICS")))
    return GazetteerRecognizer("gazetteer_ics", entries, case_sensitive=False)


def place_gazetteer(reference: ReferenceData, lexicon: Lexicon, allow: AllowList
                    ) -> GazetteerRecognizer:
    """Settlements of Great Britain and council areas (LOCATION), capitalised only."""
    entries: list[tuple[str, Entry]] = []
    names = {(n, 0.7) for n, _ in reference.places} | {(a, 0.75) for a in reference.areas}
    calendar = {w.lower() for w in (*MONTHS, *WEEKDAYS)}
    for name, score in sorted(names):
        if len(name) < 3 or allow.is_allowed_text(name) or not name[:1].isupper() \
                or name.lower() in calendar:
            continue
        single = len(name.split()) == 1
        if single and (lexicon.is_english_word(name) or name in reference.first_names):
            policy = LOCATIVE_ONLY
        elif not single and all(lexicon.is_english_word(w) or w.lower() in lexicon.stop_words
                                for w in name.split()):
            policy = LOCATIVE_ONLY        # "Long Lane", "Church End", "The Green"
        else:
            policy = CAPITALISED
        entry = Entry("LOCATION", "place", " ".join(name.lower().split()), score, policy=policy)
        entries.extend((variant, entry) for variant in _and_variants(name))
    return GazetteerRecognizer("gazetteer_place", entries, case_sensitive=True, lexicon=lexicon)


def first_name_gazetteer(reference: ReferenceData, lexicon: Lexicon) -> GazetteerRecognizer:
    """Common first names (PERSON), extended to a following capitalised surname."""
    entries = []
    calendar = {w.lower() for w in (*MONTHS, *WEEKDAYS)}
    for name in sorted(reference.first_names):
        if name.lower() in calendar:
            continue                     # "May", "June": NER finds "June Okafor"
        policy = NEEDS_SURNAME if lexicon.is_strict_ambiguous(name) else CAPITALISED
        entries.append((name, Entry("PERSON", "person", None, 0.6, policy=policy)))
    return GazetteerRecognizer("gazetteer_first_name", entries, case_sensitive=True,
                               lexicon=lexicon, extend_surname=True)
