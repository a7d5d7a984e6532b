"""Helpers shared by the recognizers: building results that carry pseudonym hints."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

KIND_KEY = "qs_kind"        # pseudonym kind, e.g. "participant", "nhs_trust", "place"
KEY_KEY = "qs_key"          # what identifies the entity within its kind (never written out)
VARIANT_KEY = "qs_variant"  # ICS mentions: "ICB", "ICP" or "ICS"


# How specific each detector is (higher wins an overlap; see qualsynth.deid.resolve).
STRONG = 60
RANKS = {
    "email": 102, "url": 101, "register": 100, "nhs_number": 95, "nino": 93, "phone": 91,
    "address": 90, "postcode": 89, "other_id": 85, "gazetteer_ics": 82,
    "gazetteer_trust": 81, "gazetteer_council": 80, "org_pattern": 78, "title_name": 75,
    "street": 72, "date": 70, "age": 66, "postal_code": 65,
    "date_coarse": 62, "address_block": 61, "person_cue": 60, "place_capitals": 59,
    "gazetteer_place": 57, "ner_spacy": 50,
    "gazetteer_first_name": 53, "propagation": 52,
}
# Detectors whose match is a whole identifier: a longer name never displaces them.
ATOMIC = 85
# A registered name inside one of these is part of an organisation's or street's name
# ("Guy" in "Guy's and St Thomas' NHS Foundation Trust").
NAME_CONTAINERS = ("gazetteer_trust", "gazetteer_council", "gazetteer_ics", "org_pattern",
                   "street")


def tie_breaker(name: str) -> float:
    """A score offset below display precision (1e-4) that orders detectors by rank.

    Presidio's analyzer puts results in a set and drops one of two results with the same
    label, span and score at random; the offset makes such results distinct, so the
    more specific detector always survives and runs are reproducible.
    """
    rank = RANKS.get(name) or next((v for k, v in RANKS.items() if name.startswith(k)), 40)
    return rank * 1e-7


def make_result(recognizer: EntityRecognizer, entity: str, start: int, end: int,
                score: float, kind: str | None = None, key: Any = None,
                variant: str | None = None) -> RecognizerResult:
    """A Presidio result whose metadata names the detector and the pseudonym hints."""
    score = min(score, 1.0 - 2e-5) + tie_breaker(recognizer.name)   # below 1.0 only
    metadata: dict[str, Any] = {
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
    }
    if kind is not None:
        metadata[KIND_KEY] = kind
    if key is not None:
        metadata[KEY_KEY] = key
    if variant is not None:
        metadata[VARIANT_KEY] = variant
    return RecognizerResult(entity_type=entity, start=start, end=end, score=score,
                            recognition_metadata=metadata)


def detector_name(result: RecognizerResult) -> str:
    meta = result.recognition_metadata or {}
    return str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown"))


def wants(entities: list[str] | None, supported: list[str]) -> bool:
    """True when the analyzer asked for at least one entity this recognizer supports."""
    return not entities or any(e in entities for e in supported)
