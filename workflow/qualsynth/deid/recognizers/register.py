"""Layer 1: names from the participant register and the speaker labels.

Every participant's and interviewer's full name, aliases, first name and surname are
matched case-insensitively on word boundaries, with a title in front ("Dr Whitfield")
and before a possessive ("Whitfield's": the span covers the name only). A single-word
form that is also an everyday English word ("Will", "Hope") is matched only with a
capital letter, and at the start of a sentence only when something confirms it is a
name (a title before it, a comma or another name form after it).
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

from qualsynth.deid.lexicon import TITLE_BEFORE_RE, Lexicon
from qualsynth.deid.people import RegisterBook, name_tokens
from qualsynth.deid.recognizers.base import make_result, wants
from qualsynth.deid.reference import normalise_org
from qualsynth.deid.textutil import (
    PhraseMatcher,
    is_sentence_initial,
    lower_same_length,
    name_cue_after,
    next_word,
    whitespace_to_spaces,
)

ANY_CASE, CAPITALISED, CAPITALISED_CONFIRMED = "any", "cap", "cap_confirmed"
# Addressing someone: "Thank you, ivy." / "Thanks Harry," - a name even in lower case.
_VOCATIVE_BEFORE = re.compile(r"(?i:\b(?:thank\s+you|thanks|cheers|hi|hello|hiya|bye|morning|"
                              r"afternoon|evening|sorry|right|okay|ok|yes|no)),?\s{1,3}$")
_VOCATIVE_AFTER = re.compile(r"^\s*(?:[.,!?;:]|$)")


def form_policy(form: str, lexicon: Lexicon, first_names: frozenset[str]) -> str:
    """How strictly a name form must be written to count (see module docstring)."""
    if len(form.split()) > 1:
        return ANY_CASE
    if lexicon.is_strict_ambiguous(form):
        return CAPITALISED_CONFIRMED
    if form.title() in first_names:
        return ANY_CASE
    if lexicon.is_english_word(form):
        return CAPITALISED
    return ANY_CASE


def title_start(text: str, start: int) -> int:
    """Start of a title ("Dr ", "Prof. ") directly before ``start``, else ``start``."""
    match = TITLE_BEFORE_RE.search(text[max(0, start - 14):start])
    return start - len(match.group(0)) if match else start


class RegisterNameRecognizer(EntityRecognizer):
    """Registered participants and interviewers (PERSON) and their organisations."""

    SCORE = 1.0

    def __init__(self, book: RegisterBook, lexicon: Lexicon, first_names: frozenset[str],
                 name: str = "register") -> None:
        self.book = book
        self.lexicon = lexicon
        registered_first = {name_tokens(n)[0].title() for p in book.people.values()
                            for n in p.names[:1] if name_tokens(n)}
        self.first_names = frozenset(first_names | registered_first)
        self.policies: dict[str, str] = {}
        self.forms_of: dict[tuple[str, str], set[str]] = {}
        phrases: list[tuple[str, object]] = []
        for ident, person in sorted(book.people.items()):
            forms: set[str] = set()
            for full in person.names:
                tokens = name_tokens(full)
                if tokens:
                    forms.add(" ".join(tokens))
                forms.update(tokens)
            forms = {f for f in forms if len(f.replace(" ", "")) >= 2}
            self.forms_of[ident] = {f.lower() for f in forms}
            for form in forms:
                key = form.lower()
                self.policies[key] = form_policy(form, lexicon, self.first_names)
                phrases.append((form, ("person", ident)))
        for org in sorted(book.organisations):
            phrases.append((org, ("org", normalise_org(org))))
        self.matcher = PhraseMatcher(phrases)
        super().__init__(supported_entities=["PERSON", "ORGANISATION"], name=name)

    def load(self) -> None:  # noqa: D102 - nothing to load
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None
                ) -> list[RecognizerResult]:
        """Find every registered name form and organisation in ``text``."""
        if not wants(entities, self.supported_entities) or not len(self.matcher):
            return []
        flat = whitespace_to_spaces(text)
        lowered = lower_same_length(flat)
        results: list[RecognizerResult] = []
        for hit in self.matcher.find(flat, lowered):
            people = tuple(sorted(p[1] for p in hit.payloads if p[0] == "person"))
            orgs = [p[1] for p in hit.payloads if p[0] == "org"]
            if people and self._accept(flat, lowered, hit.start, hit.end, people):
                start = title_start(flat, hit.start)
                results.append(make_result(self, "PERSON", start, hit.end, self.SCORE,
                                           kind="register", key=people))
            elif orgs:
                from qualsynth.deid.recognizers.organisations import org_kind

                results.append(make_result(self, "ORGANISATION", hit.start, hit.end,
                                           self.SCORE, kind=org_kind(orgs[0]), key=orgs[0]))
        return results

    def _accept(self, text: str, lowered: str, start: int, end: int,
                people: tuple[tuple[str, str], ...]) -> bool:
        policy = self.policies.get(lowered[start:end], ANY_CASE)
        if policy == ANY_CASE:
            return True
        if _VOCATIVE_BEFORE.search(text[max(0, start - 16):start]) and \
                _VOCATIVE_AFTER.match(text[end:end + 3]):
            return True
        if not text[start].isupper():
            return False
        if policy == CAPITALISED:
            return True
        # An everyday word: mid-sentence with a capital is a name; sentence-initially it
        # needs a title before it, or a comma or another form of the same name after it.
        if title_start(text, start) != start or not is_sentence_initial(text, start):
            return True
        if name_cue_after(text, end):
            return True                     # "Will said", "Will, ...", a label "Will: ..."
        after = next_word(text, end)
        if after is None:
            return False
        word = lowered[after[0]:after[1]]
        return any(word in self.forms_of.get(p, ()) for p in people)
