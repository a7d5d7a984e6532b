"""Turn overlapping recognizer results into one non-overlapping list of detections.

Overlapping results form a cluster. Its winner is the most specific detector (register
names, then pattern identifiers, then gazetteers and organisation patterns, ...); among
the context-free detectors (NER, place and first-name gazetteers) the longest span wins.
The winner's span then grows to cover any overlapping result that reaches further with
more letters or digits, so a partial detection never leaves part of a name behind (a
possessive "'s" is not worth growing for).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import RecognizerResult

from qualsynth.deid.recognizers.base import (
    ATOMIC,
    KEY_KEY,
    KIND_KEY,
    NAME_CONTAINERS,
    RANKS,
    STRONG,
    VARIANT_KEY,
    detector_name,
)


@dataclass(frozen=True)
class Detection:
    """One span to replace. ``key`` and the text it covers never leave the process."""

    start: int
    end: int
    label: str
    detector: str
    score: float
    kind: str | None = None
    key: Any = None
    variant: str | None = None


def rank(result: RecognizerResult) -> int:
    name = detector_name(result)
    if name in RANKS:
        base = RANKS[name]
    else:
        base = next((v for k, v in RANKS.items() if name.startswith(k)), 40)
    if name == "ner_spacy" and result.entity_type == "PERSON":
        base = 55
    return base


def _priority(result: RecognizerResult) -> tuple:
    r = rank(result)
    length = result.end - result.start
    if r >= STRONG:
        return (1, r, result.score, length)
    return (0, length, r, result.score)


def _worth_extending(piece: str, strong: bool, side: str,
                     name_word: Callable[[str, str], bool] | None) -> bool:
    """Is the stretch a member adds worth covering? A strong detector's stretch always
    is (letters or digits); a weak one's only when it holds a word that can be part of a
    name on that side ("Burke" after "Benjamin"; not "Call" before "Dr ...")."""
    piece = piece.strip()
    if piece.endswith(("'s", "’s")):
        piece = piece[:-2]
    if not any(c.isalnum() for c in piece):
        return False
    if strong or name_word is None:
        return True
    return any(name_word(w, side) for w in re.findall(r"[^\W_][\w'’-]*", piece))


def to_detection(result: RecognizerResult, start: int, end: int) -> Detection:
    meta = result.recognition_metadata or {}
    return Detection(start=start, end=end, label=result.entity_type,
                     detector=detector_name(result), score=round(float(result.score), 4),
                     kind=meta.get(KIND_KEY), key=meta.get(KEY_KEY),
                     variant=meta.get(VARIANT_KEY))


def resolve(text: str, results: list[RecognizerResult],
            name_word: Callable[[str, str], bool] | None = None) -> list[Detection]:
    """Non-overlapping detections, sorted by position (see module docstring).

    ``name_word(word, side)`` says whether a word before ("left") or after ("right") a
    name can be part of it; without it any letters count when a weak detector's span
    reaches beyond the winner.
    """
    pending = sorted((r for r in results if r.end > r.start),
                     key=lambda r: (r.start, -r.end))
    out: list[Detection] = []
    i = 0
    while i < len(pending):
        cluster = [pending[i]]
        end = pending[i].end
        j = i + 1
        while j < len(pending) and pending[j].start < end:
            cluster.append(pending[j])
            end = max(end, pending[j].end)
            j += 1
        out.extend(_resolve_cluster(text, cluster, name_word))
        i = j
    return sorted(out, key=lambda d: (d.start, d.end))


def _resolve_cluster(text: str, cluster: list[RecognizerResult],
                     name_word: Callable[[str, str], bool] | None) -> list[Detection]:
    out: list[Detection] = []
    remaining = list(cluster)
    while remaining:
        winner = max(remaining, key=_priority)
        while True:
            # "Birmingham and Solihull" (ICS area) inside "Birmingham and Solihull Mental
            # Health NHS Foundation Trust": the longer strong name is the entity.
            registered = detector_name(winner) == "register"
            containers = [r for r in remaining if rank(r) >= STRONG and r is not winner
                          and r.start <= winner.start and r.end >= winner.end
                          and r.end - r.start > winner.end - winner.start
                          and (rank(winner) < ATOMIC
                               or (registered and detector_name(r) in NAME_CONTAINERS))]
            if not containers:
                break
            winner = max(containers, key=_priority)
        start, end = winner.start, winner.end
        # Other strong detections beside the winner keep their own span: growing stops
        # at them ("<v Name>Westminster City Council" is a name, then a council).
        walls = [r for r in remaining if rank(r) >= STRONG
                 and (r.end <= winner.start or r.start >= winner.end)]
        grew = True
        while grew:
            grew = False
            for other in remaining:
                if other.end <= start or other.start >= end:
                    continue
                strong = rank(other) >= STRONG
                if other.start < start:
                    limit = max([w.end for w in walls if w.end <= start], default=other.start)
                    new_start = max(other.start, limit)
                    if new_start < start and _worth_extending(text[new_start:start], strong,
                                                              "left", name_word):
                        start, grew = new_start, True
                if other.end > end:
                    limit = min([w.start for w in walls if w.start >= end], default=other.end)
                    new_end = min(other.end, limit)
                    if new_end > end and _worth_extending(text[end:new_end], strong, "right",
                                                          name_word):
                        end, grew = new_end, True
        out.append(to_detection(winner, start, end))
        remaining = [r for r in remaining if r.end <= start or r.start >= end]
    return out
