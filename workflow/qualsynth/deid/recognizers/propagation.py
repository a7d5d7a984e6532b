"""Layer 2: corpus-level propagation.

A name found once, by any layer, in any document is searched for in every document of
the corpus: "Okafor" found by NER as part of "Sam Okafor" in one interview is redacted
where NER missed it in another. Names are matched as written (case-sensitive) on word
boundaries. A single word is propagated only when it is not an everyday English word
or sector vocabulary, so one NER mistake cannot spread common words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult

from qualsynth.deid.allowlist import AllowList
from qualsynth.deid.lexicon import TITLE_RE, Lexicon
from qualsynth.deid.people import name_tokens
from qualsynth.deid.recognizers.base import make_result, wants
from qualsynth.deid.resolve import Detection
from qualsynth.deid.textutil import PhraseMatcher, whitespace_to_spaces

SOURCES = ("ner_spacy", "title_name", "gazetteer_first_name", "gazetteer_place",
           "org_pattern", "gazetteer_trust", "gazetteer_council")


class PropagationRecognizer(EntityRecognizer):
    """Searches every text for the names detected anywhere in the corpus."""

    SCORE = 0.8

    def __init__(self, phrases: dict[str, tuple[str, str | None, object]],
                 any_case: frozenset[str] = frozenset()) -> None:
        self.phrases = phrases
        self.matcher = PhraseMatcher(((p, p) for p in phrases if p not in any_case),
                                     case_sensitive=True)
        self.any_case = PhraseMatcher(((p, p) for p in phrases if p in any_case),
                                      case_sensitive=False)
        super().__init__(supported_entities=["PERSON", "ORGANISATION", "LOCATION"],
                         name="propagation")

    def load(self) -> None:  # noqa: D102
        pass

    def __len__(self) -> int:
        return len(self.matcher) + len(self.any_case)

    @classmethod
    def from_detections(cls, texts: list[str], detections: list[list[Detection]],
                        lexicon: Lexicon, allow: AllowList) -> PropagationRecognizer:
        """Collect propagatable names from the first pass over the corpus."""
        phrases: dict[str, tuple[str, str | None, object]] = {}
        for text, found in zip(texts, detections, strict=True):
            flat = whitespace_to_spaces(text)
            for d in found:
                if d.label == "EMAIL":
                    for token in cls._email_names(flat[d.start:d.end], lexicon, allow):
                        phrases.setdefault(token, ("PERSON", "person", None))
                    continue
                if d.detector not in SOURCES or d.label not in (
                        "PERSON", "ORGANISATION", "LOCATION"):
                    continue
                value = " ".join(flat[d.start:d.end].split())
                for phrase in cls._phrases(value, d.label, lexicon, allow):
                    phrases.setdefault(phrase, (d.label, d.kind, d.key if phrase == value
                                                else None))
        # Person names that are not everyday words ("Okafor", "Paige") also match in
        # lower case ("drop paige a line"); everything else only as written.
        any_case = frozenset(p for p, (label, _, _) in phrases.items()
                             if label == "PERSON" and not any(
                                 lexicon.is_strict_ambiguous(w) for w in p.split()))
        return cls(dict(sorted(phrases.items())), any_case)

    @staticmethod
    def _email_names(email: str, lexicon: Lexicon, allow: AllowList) -> list[str]:
        """'paige.nowak@...' -> ['Paige', 'Nowak']: names from a first.last local part."""
        local = email.split("@", 1)[0]
        parts = re.split(r"[._-]", local)
        if len(parts) < 2:
            return []
        return [p.title() for p in parts if p.isalpha() and len(p) >= 3
                and not lexicon.is_strict_ambiguous(p) and not allow.only_vocabulary(p)]

    @staticmethod
    def _phrases(value: str, label: str, lexicon: Lexicon, allow: AllowList
                 ) -> Iterable[str]:
        words = [w for w in value.split() if not TITLE_RE.fullmatch(w)]
        if not words:
            return []
        core = " ".join(words)
        out = []
        if len(words) > 1 and not allow.only_vocabulary(core):
            out.append(core)
        if label == "PERSON":
            out.extend(t for t in name_tokens(core) if t[:1].isupper())
        elif len(words) == 1:
            out.append(core)
        keep = []
        for phrase in out:
            single = len(phrase.split()) == 1
            if single and (len(phrase) < 3 or lexicon.is_strict_ambiguous(phrase)
                           or (label != "PERSON" and lexicon.is_english_word(phrase))
                           or phrase.isupper()):
                continue
            if allow.is_allowed_text(phrase) or allow.only_vocabulary(phrase):
                continue
            keep.append(phrase)
        return keep

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None
                ) -> list[RecognizerResult]:
        """Every occurrence of a propagated name."""
        if not wants(entities, self.supported_entities) or not len(self):
            return []
        flat = whitespace_to_spaces(text)
        out = []
        hits = [*self.matcher.find(flat), *self.any_case.find(flat)]
        for hit in hits:
            phrase = hit.payloads[0]
            label, kind, key = self.phrases[phrase]
            if label == "PERSON":
                kind, key = "person", None
            out.append(make_result(self, label, hit.start, hit.end, self.SCORE, kind=kind,
                                   key=key))
        return out
