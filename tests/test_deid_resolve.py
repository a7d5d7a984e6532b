"""Overlap resolution between detectors (no NLP model needed)."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer
from qualsynth.deid.recognizers.base import make_result
from qualsynth.deid.resolve import resolve


class Named(EntityRecognizer):
    """A stand-in recognizer: only its name matters here."""

    def __init__(self, name: str) -> None:
        super().__init__(supported_entities=["PERSON"], name=name)

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        return []


def result(name: str, label: str, text: str, value: str, score: float = 0.9, start: int = 0):
    begin = text.index(value, start)
    return make_result(Named(name), label, begin, begin + len(value), score)


def spans(text, detections):
    return [(text[d.start:d.end], d.label, d.detector) for d in detections]


def test_equal_spans_from_two_detectors_resolve_by_rank_inside_presidio():
    text = "At Larkmoor Hospital today."
    a = result("org_pattern", "ORGANISATION", text, "Larkmoor Hospital")
    b = result("gazetteer_trust", "ORGANISATION", text, "Larkmoor Hospital")
    assert a.score != b.score and round(a.score, 4) == round(b.score, 4) == 0.9
    kept = EntityRecognizer.remove_duplicates([a, b])
    assert [r.recognition_metadata["recognizer_name"] for r in kept] == ["gazetteer_trust"]


def test_specific_detector_wins_and_grows_over_a_longer_weak_span():
    text = "Then Benjamin Quennell rang."
    got = resolve(text, [result("register", "PERSON", text, "Benjamin"),
                         result("ner_spacy", "PERSON", text, "Benjamin Quennell", 0.7)],
                  lambda w, side: w[:1].isupper())
    assert spans(text, got) == [("Benjamin Quennell", "PERSON", "register")]


def test_weak_span_does_not_drag_in_an_ordinary_word():
    text = "Call Dr Ysolde Brackenridge now."
    got = resolve(text, [result("title_name", "PERSON", text, "Dr Ysolde Brackenridge"),
                         result("ner_spacy", "PERSON", text, "Call Dr Ysolde Brackenridge",
                                0.7)],
                  lambda w, side: w[:1].isupper() and (side == "right" or w != "Call"))
    assert spans(text, got) == [("Dr Ysolde Brackenridge", "PERSON", "title_name")]


def test_longer_strong_name_contains_a_shorter_one():
    text = "Birmingham and Solihull Mental Health NHS Foundation Trust said so."
    got = resolve(text, [
        result("gazetteer_ics", "LOCATION", text, "Birmingham and Solihull"),
        result("gazetteer_trust", "ORGANISATION", text,
               "Birmingham and Solihull Mental Health NHS Foundation Trust")])
    assert spans(text, got) == [("Birmingham and Solihull Mental Health NHS Foundation Trust",
                                 "ORGANISATION", "gazetteer_trust")]


def test_growth_stops_at_another_strong_detection():
    text = "Orla Fenwright\nLowmoor City Council knows."
    got = resolve(text, [
        result("register", "PERSON", text, "Orla Fenwright"),
        result("ner_spacy", "ORGANISATION", text, "Orla Fenwright\nLowmoor City Council", 0.6),
        result("gazetteer_council", "ORGANISATION", text, "Lowmoor City Council")])
    assert spans(text, got) == [("Orla Fenwright", "PERSON", "register"),
                                ("Lowmoor City Council", "ORGANISATION", "gazetteer_council")]


def test_identifiers_are_never_displaced_by_names():
    text = "Write to orla.fenwright@example.org today."
    got = resolve(text, [result("register", "PERSON", text, "orla"),
                         result("register", "PERSON", text, "fenwright"),
                         result("email", "EMAIL", text, "orla.fenwright@example.org")])
    assert spans(text, got) == [("orla.fenwright@example.org", "EMAIL", "email")]
