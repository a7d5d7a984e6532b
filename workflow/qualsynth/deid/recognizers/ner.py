"""spaCy named entities (PERSON, ORGANISATION, LOCATION) through Presidio's SpacyRecognizer.

The entity boundaries are tidied ("the", a possessive and trailing punctuation are left
out) and entities with no capital letter or that are pseudonym tokens are dropped.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from qualsynth.deid.labels import PSEUDONYM_RE
from qualsynth.deid.lexicon import DISCOURSE_WORDS, Lexicon
from qualsynth.deid.recognizers.base import make_result
from qualsynth.deid.recognizers.organisations import org_kind

_LEADING = re.compile(r"^(?:the|The|THE|a|A|an|An)\s+")
_TRAILING = re.compile(r"(?:['’]s|['’]|[\s.,;:!?)\]\-]+)$")
KIND_OF = {"PERSON": "person", "LOCATION": "place"}
# Family words that NER takes for names ("Mum said ..."): they identify no one.
KINSHIP = frozenset({"mum", "mom", "mam", "mummy", "dad", "daddy", "nan", "nana", "nanna",
                     "gran", "granny", "grandma", "grandad", "granddad", "grandpa", "auntie",
                     "aunty", "sis", "bro"})


class NerRecognizer(SpacyRecognizer):
    """Presidio's spaCy recognizer reporting this project's labels and pseudonym kinds.

    Its scores (0.7 for people, 0.6 otherwise) sit below the gazetteers' on purpose:
    Presidio drops a result when another of the same label covers it with a higher
    score, and a gazetteer's verdict on the same span must reach the resolution step.
    """

    ENTITIES = ["PERSON", "ORGANISATION", "LOCATION"]

    def __init__(self, lexicon: Lexicon, first_names: frozenset[str] = frozenset(),
                 person_score: float = 0.7, other_score: float = 0.6) -> None:
        super().__init__(supported_entities=list(self.ENTITIES), name="ner_spacy")
        self.lexicon = lexicon
        self.first_names = first_names
        self.person_score = person_score
        self.other_score = other_score

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        """Entities from the NLP artifacts, tidied."""
        out = []
        for r in super().analyze(text, entities, nlp_artifacts):
            start, end = r.start, r.end
            value = text[start:end]
            lead = _LEADING.match(value)
            if lead:
                start += lead.end()
            while end > start:
                trail = _TRAILING.search(text[start:end])
                if not trail:
                    break
                end -= len(trail.group(0))
            value = text[start:end]
            if end - start < 2 or not any(c.isupper() for c in value):
                continue
            if PSEUDONYM_RE.search(value) or "[" in value or "]" in value:
                continue
            if value.isupper() and len(value) <= 3 and " " not in value:
                continue      # short acronyms ("NI", "BMA") name national bodies or nothing
            if value.lower() in KINSHIP or any(c.isdigit() for c in value):
                continue                    # "Mum", "3:26PM"
            label = r.entity_type
            if " " not in value and (
                    value.lower() in self.lexicon.stop_words
                    or value.lower() in DISCOURSE_WORDS
                    or (label == "ORGANISATION" and value not in self.first_names
                        and self.lexicon.is_everyday(value))):
                continue                    # "Drop" (ORG), "So" (PERSON): an ordinary word
            if label != "PERSON" and value in self.first_names:
                label = "PERSON"        # "Grace" tagged ORG: a first name is a person
            kind = KIND_OF.get(label) or org_kind(value)
            score = self.person_score if label == "PERSON" else self.other_score
            out.append(make_result(self, label, start, end, score, kind=kind))
        return out
