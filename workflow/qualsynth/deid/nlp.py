"""The spaCy side of the Presidio analyzer, configured explicitly and offline.

``NerOnlySpacyNlpEngine`` is a Presidio ``SpacyNlpEngine`` that

* loads ``en_core_web_sm`` 3.8.0 from the installed package path (never downloads) with
  only its ``ner`` component: in this model the NER has its own tok2vec, so the tagger,
  parser, lemmatizer and shared tok2vec are not needed for entities;
* sends the model only the sentences that can hold a name: a sentence whose only
  capitalised words are a sentence-initial function word, "I", or sector vocabulary
  ("NHS", "ICB") has nothing for NER to find, so it is skipped (a text with no capital
  letter at all gives no such cue and goes to the model whole);
* cuts very long runs of text (a 200,000-character line) into overlapping windows, so
  spaCy's length limit is never hit and no name is lost at a window edge;
* runs everything through ``nlp.pipe`` in batches.

Entity offsets are returned in the coordinates of the whole input text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

from qualsynth.deid.lexicon import DISCOURSE_WORDS, model_path

# spaCy labels -> this project's labels; every other spaCy label is ignored.
NER_MAPPING = {"PERSON": "PERSON", "ORG": "ORGANISATION", "GPE": "LOCATION",
               "LOC": "LOCATION", "FAC": "LOCATION"}
IGNORED_SPACY_LABELS = ("CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP",
                        "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART")
NON_NER_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer",
                      "senter")

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_PRONOUN_I = frozenset({"i", "i'm", "i've", "i'd", "i'll", "i’m", "i’ve", "i’d", "i’ll"})


@dataclass(frozen=True)
class Mention:
    """An entity found by spaCy, in whole-text coordinates (duck-types a spaCy Span)."""

    label_: str
    start_char: int
    end_char: int


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of rough sentences: split after . ! ? and at newlines."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class NerOnlySpacyNlpEngine(SpacyNlpEngine):
    """Presidio NLP engine over the NER component of en_core_web_sm (see module doc)."""

    engine_name = "spacy_ner_only"

    def __init__(self, skip_words: Iterable[str] = (), stop_words: Iterable[str] = (),
                 window: int = 1000, overlap: int = 120, batch_size: int = 64,
                 group_chars: int = 600, nationalities: bool = False) -> None:
        mapping = dict(NER_MAPPING)
        ignored = list(IGNORED_SPACY_LABELS)
        if nationalities:                      # generic profile: NORP counts as LOCATION
            mapping["NORP"] = "LOCATION"
            ignored.remove("NORP")
        config = NerModelConfiguration(model_to_presidio_entity_mapping=mapping,
                                       labels_to_ignore=ignored, default_score=0.85)
        super().__init__(models=[{"lang_code": "en", "model_name": str(model_path())}],
                         ner_model_configuration=config)
        self.skip_words = frozenset(w.lower() for w in skip_words) | _PRONOUN_I
        self.initial_skip = frozenset(w.lower() for w in stop_words) | DISCOURSE_WORDS
        self.window = window
        self.overlap = overlap
        self.batch_size = batch_size
        self.group_chars = group_chars
        self.stats = {"chars": 0, "ner_chars": 0}

    def load(self) -> None:
        """Load the model from its installed folder with only the NER component."""
        path = self.models[0]["model_name"]
        self.nlp = {"en": spacy.load(path, exclude=list(NON_NER_COMPONENTS))}

    # ------------------------------------------------------------------ selection
    def needs_ner(self, sentence: str) -> bool:
        """True when a sentence has a capitalised word that could start a name."""
        for i, m in enumerate(_WORD.finditer(sentence)):
            word = m.group(0)
            if not word[0].isupper():
                continue
            low = word.lower().rstrip(".")
            if low in _PRONOUN_I or low in self.skip_words:
                continue
            if i == 0 and low in self.initial_skip:
                continue
            return True
        return False

    def chunks(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) pieces of ``text`` that go to the NER model."""
        self.stats["chars"] += len(text)
        picked: list[tuple[int, int]] = []
        lower_case_text = not any(c.isupper() for c in text)   # all lower case: no cue
        for start, end in sentence_spans(text):
            if not lower_case_text and not self.needs_ner(text[start:end]):
                continue
            if picked and start - picked[-1][1] <= 2 and end - picked[-1][0] <= self.group_chars:
                picked[-1] = (picked[-1][0], end)
            else:
                picked.append((start, end))
        out: list[tuple[int, int]] = []
        for start, end in picked:
            out.extend(self._windows(text, start, end))
        self.stats["ner_chars"] += sum(e - s for s, e in out)
        return out

    def _windows(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        if end - start <= self.window:
            yield start, end
            return
        pos = start
        while pos < end:
            stop = min(end, pos + self.window)
            if stop < end:
                cut = text.rfind(" ", pos + self.window // 2, stop)
                stop = cut if cut > pos else stop
            yield pos, stop
            if stop >= end:
                return
            nxt = text.find(" ", max(pos + 1, stop - self.overlap), stop)
            pos = nxt + 1 if nxt != -1 else stop

    # ------------------------------------------------------------------ processing
    def process_text(self, text: str, language: str) -> NlpArtifacts:  # noqa: D102
        return next(self.process_batch([text], language))[1]

    def process_batch(self, texts, language: str, batch_size: int = 0, n_process: int = 1,
                      as_tuples: bool = False, **kwargs) -> Iterator[tuple[str, NlpArtifacts]]:
        """Artifacts (entities only) for each text, in order."""
        if not self.nlp:
            raise ValueError("NLP engine is not loaded; call load() first")
        texts = [str(t) for t in texts]
        owners: list[tuple[int, int]] = []
        pieces: list[str] = []
        for index, text in enumerate(texts):
            for start, end in self.chunks(text):
                owners.append((index, start))
                pieces.append(text[start:end])
        found: list[set[Mention]] = [set() for _ in texts]
        nlp = self.nlp[language]
        for (index, offset), doc in zip(owners, nlp.pipe(
                pieces, batch_size=batch_size or self.batch_size), strict=True):
            for ent in doc.ents:
                found[index].add(Mention(ent.label_, ent.start_char + offset,
                                         ent.end_char + offset))
        for index, text in enumerate(texts):
            mentions = sorted(found[index], key=lambda m: (m.start_char, m.end_char, m.label_))
            yield text, self._artifacts(mentions, language)

    def _artifacts(self, mentions: list[Mention], language: str) -> NlpArtifacts:
        mapping = self.ner_model_configuration.model_to_presidio_entity_mapping
        ignore = set(self.ner_model_configuration.labels_to_ignore)
        entities = [Mention(mapping[m.label_], m.start_char, m.end_char)
                    for m in mentions if m.label_ in mapping and m.label_ not in ignore]
        scores = [self.ner_model_configuration.default_score] * len(entities)
        return NlpArtifacts(entities=entities, tokens=None, tokens_indices=[], lemmas=[],
                            nlp_engine=None, language=language, scores=scores)
