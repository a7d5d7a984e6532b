"""The detector: a Presidio ``AnalyzerEngine`` built explicitly from this package's parts.

Nothing is left to Presidio's defaults that could reach the network: the NLP engine is
:class:`~qualsynth.deid.nlp.NerOnlySpacyNlpEngine` over the installed model, the registry
holds exactly the recognizers of :mod:`qualsynth.deid.recognizers`, and the email
recognizer checks domains against tldextract's bundled suffix list.

``Detector.detect`` runs two passes over a batch of texts (a corpus): the analyzer with
the allow-list step and overlap resolution, then corpus-level propagation of every name
found in the first pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

from qualsynth.deid.allowlist import AllowList
from qualsynth.deid.lexicon import load_lexicon
from qualsynth.deid.nlp import NerOnlySpacyNlpEngine
from qualsynth.deid.people import RegisterBook
from qualsynth.deid.recognizers.propagation import PropagationRecognizer
from qualsynth.deid.reference import load_reference
from qualsynth.deid.registry import build_recognizers
from qualsynth.deid.resolve import Detection, resolve
from qualsynth.deid.settings import DeidSettings
from qualsynth.deid.textutil import sanitize

for _name in ("presidio-analyzer", "presidio-anonymizer"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class NoContextEnhancer(ContextAwareEnhancer):
    """Scores are set by each recognizer; no lemma-based context boosting."""

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers,
                              context=None):  # noqa: D102
        return raw_results


@lru_cache(maxsize=1)
def _ner_model(path: str):
    import spacy

    from qualsynth.deid.nlp import NON_NER_COMPONENTS

    return spacy.load(path, exclude=list(NON_NER_COMPONENTS))


@lru_cache(maxsize=4)
def _loaded_nlp_engine(batch_size: int, skip_words: tuple[str, ...],
                       nationalities: bool) -> NerOnlySpacyNlpEngine:
    lexicon = load_lexicon()
    engine = NerOnlySpacyNlpEngine(skip_words=skip_words, stop_words=lexicon.stop_words,
                                   batch_size=batch_size, nationalities=nationalities)
    engine.nlp = {"en": _ner_model(engine.models[0]["model_name"])}
    return engine


class Detector:
    """PII detection over texts, optionally with a corpus's register (see module doc)."""

    def __init__(self, settings: DeidSettings | None = None,
                 book: RegisterBook | None = None) -> None:
        self.settings = settings or DeidSettings()
        self.lexicon = load_lexicon()
        reference_dir = self.settings.reference_path()
        self.reference = load_reference(reference_dir)
        self.allow = AllowList(self.settings.allow_list, self.lexicon.stop_words)
        skip = tuple(sorted(t for t in self.allow.tokens if t.isalpha() or "-" in t))
        generic = self.settings.profile == "generic"
        self.nlp_engine = _loaded_nlp_engine(self.settings.batch_size, skip, generic)
        recognizers = build_recognizers(reference_dir, self.reference, self.lexicon,
                                        tuple(self.settings.allow_list), book,
                                        tuple(self.settings.phone_regions), generic)
        registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self.nlp_engine, supported_languages=["en"],
            default_score_threshold=self.settings.score_threshold,
            context_aware_enhancer=NoContextEnhancer(),
        )
        self.entities = sorted(self.analyzer.get_supported_entities("en"))

    def name_word(self, word: str, side: str) -> bool:
        """Can this word be part of a name next to one? Capitalised, not a function word
        or sector vocabulary; before a name ("left") also not an everyday word, while
        after one ("right") surnames such as "Black" or "Bishop" count."""
        low = word.lower()
        if not word[:1].isupper() or low in self.lexicon.stop_words or low in self.allow.tokens:
            return False
        return side == "right" or not self.lexicon.is_everyday(word)

    def first_pass(self, texts: Sequence[str]) -> list[list]:
        """Recognizer results per text after the allow-list step (before resolution)."""
        out = []
        for text, artifacts in self.nlp_engine.process_batch(list(texts), "en"):
            results = self.analyzer.analyze(text, "en", entities=self.entities,
                                            nlp_artifacts=artifacts)
            out.append(self.allow.filter(text, results))
        return out

    def detect(self, texts: Sequence[str]) -> list[list[Detection]]:
        """Non-overlapping detections for each text, with corpus-level propagation."""
        clean = [sanitize(t) for t in texts]
        self.nlp_engine.stats = {"chars": 0, "ner_chars": 0}
        raw = self.first_pass(clean)
        first = [resolve(t, r, self.name_word) for t, r in zip(clean, raw, strict=True)]
        if not self.settings.propagate:
            return first
        propagation = PropagationRecognizer.from_detections(clean, first, self.lexicon,
                                                            self.allow)
        if not len(propagation):
            return first
        out = []
        threshold = self.settings.score_threshold
        for text, results in zip(clean, raw, strict=True):
            extra = [r for r in propagation.analyze(text, self.entities)
                     if r.score >= threshold]
            out.append(resolve(text, results + self.allow.filter(text, extra),
                               self.name_word))
        return out
