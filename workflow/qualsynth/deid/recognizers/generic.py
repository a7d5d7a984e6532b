"""Detectors of the ``generic`` profile only (detect-pii on any English text).

In research interviews about services, years, weekdays, ages and nationalities identify
no one and stay readable (profile ``transcripts``); in arbitrary text, and in Presidio's
labelled data, they count as personal information. This module also holds heuristics
for text that is not a transcript: lines of an address block, all-capitals place names
after "to" / "from", and names after cues such as "Name:" or "call me".
"""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from qualsynth.deid.lexicon import WEEKDAYS
from qualsynth.deid.recognizers.base import make_result, wants
from qualsynth.deid.recognizers.patterns import ADDRESS_PATTERNS, CASE_SENSITIVE, _Relabel


class CoarseDateRecognizer(_Relabel, PatternRecognizer):
    """Years and weekdays on their own ("in 1983", "on Tuesday") - generic profile only.

    In research transcripts these are not identifiers and stay readable; Presidio's
    labelled set counts them as DATE_TIME.
    """

    label = "DATE"
    min_score = 0.6

    def __init__(self) -> None:
        weekdays = "|".join(WEEKDAYS)
        super().__init__(supported_entity="DATE", name="date_coarse", patterns=[
            Pattern("year", r"(?<![\d/.-])(?:19|20)\d{2}(?![\d/-])", 0.6),
            Pattern("weekday", rf"\b(?i:{weekdays})\b", 0.6),
        ], global_regex_flags=CASE_SENSITIVE)


class AgeRecognizer(_Relabel, PatternRecognizer):
    """Ages ("65-year-old", "aged 47", "I'll turn 21") as DATE - generic profile only."""

    label = "DATE"
    min_score = 0.7

    def __init__(self) -> None:
        super().__init__(supported_entity="DATE", name="age", patterns=[
            Pattern("n-year-old", r"\b\d{1,3}(?=[- ]years?[- ]old\b)", 0.7),
            Pattern("aged n", r"(?<=\b(?i:aged?|age of|turn|turned|turning|turns)\s{1,2})"
                    r"\d{1,3}\b", 0.7),
            Pattern("n years of age", r"\b\d{1,3}(?=\s+years\s+of\s+age\b)", 0.7),
        ], global_regex_flags=CASE_SENSITIVE)


class PostalCodeRecognizer(_Relabel, PatternRecognizer):
    """Postal codes closing an address line ("Belgium 42940", "Mill Village, NS B0J 2H0",
    "Springfield, IL 62704") - generic profile only."""

    label = "POSTCODE"
    min_score = 0.7
    _CODE = (r"(?:\d{4,6}|\d{3}[^\S\n]\d{2}|\d{2}-\d{3}|\d{5}-\d{3,4}|\d{4}[^\S\n][A-Z]{2}"
             r"|[A-Z]\d[A-Z][^\S\n]?\d[A-Z]\d)")

    def __init__(self) -> None:
        super().__init__(supported_entity="POSTCODE", name="postal_code", patterns=[
            Pattern("code ending a line", rf"(?<=[^\W\d_][.,]?[^\S\n]{{1,4}}){self._CODE}"
                    r"(?=[^\S\n]*(?:\n|$))", 0.7),
            Pattern("code on its own line", rf"(?<=(?:^|\n)[^\S\n]*){self._CODE}"
                    r"(?=[^\S\n]*(?:\n|$))", 0.7),
            Pattern("state code", r"(?<=\b[A-Z]{2}[^\S\n]{1,2})\d{5}(?:-\d{4})?\b", 0.7),
        ], global_regex_flags=CASE_SENSITIVE)


class AddressBlockRecognizer(EntityRecognizer):
    """The short lines that follow a street line in an address block (town, region,
    country, code) as ADDRESS."""

    SCORE = 0.7
    _ANCHOR = re.compile("|".join(f"(?:{p.regex})" for p in ADDRESS_PATTERNS))
    _LEAD = re.compile(r"^[\s?>*\-•]*")

    def __init__(self) -> None:
        super().__init__(supported_entities=["ADDRESS"], name="address_block")

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if not wants(entities, self.supported_entities) or "\n" not in text:
            return []
        lines, pos = [], 0
        for line in text.split("\n"):
            lines.append((pos, line))
            pos += len(line) + 1
        out: list[RecognizerResult] = []
        for i, (_, line) in enumerate(lines):
            if not self._ANCHOR.search(line):
                continue
            taken = 0
            for start, following in lines[i + 1:]:
                if taken == 4:
                    break
                body = following[self._LEAD.match(following).end():].rstrip()
                if not body:
                    continue
                if len(body.split()) > 6 or any(c in body for c in ":@?!") or \
                        sum(c.isdigit() for c in body) >= 7:
                    break
                offset = start + len(following) - len(following.lstrip(" \t?>*-•"))
                out.append(make_result(self, "ADDRESS", offset, offset + len(body),
                                       self.SCORE, kind="fixed"))
                taken += 1
        return out


class LocativeCapitalsRecognizer(_Relabel, PatternRecognizer):
    """A place written in capitals after "to", "from", "in", "at" ("flew to RYSSBY")."""

    label = "LOCATION"
    kind = "place"
    min_score = 0.65

    def __init__(self) -> None:
        super().__init__(supported_entity="LOCATION", name="place_capitals", patterns=[
            Pattern("locative capitals",
                    r"(?<=\b(?i:to|from|in|at|near|city|town|village)[^\S\n]{1,3})"
                    r"[A-ZÀ-ÞĀ-Ž][A-ZÀ-ÞĀ-Ž'’]{3,}(?:[^\S\n]+[A-ZÀ-ÞĀ-Ž'’]{2,}){0,3}\b", 0.65),
        ], global_regex_flags=CASE_SENSITIVE)


class CuedPersonRecognizer(_Relabel, PatternRecognizer):
    """A capitalised name after a cue: "Name: X Y", "call me X", "named X",
    "Directed By: X", "Dear X"."""

    label = "PERSON"
    kind = "person"
    min_score = 0.75
    _CUE = (r"(?i:(?:my\s+)?(?:full\s+|last\s+|first\s+|sur)?name(?:\s+is)?[:?]?|call\s+me|"
            r"named|called|directed\s+by:?|starring|dear|attn:?|attention:?|signed:?)")

    def __init__(self) -> None:
        name = r"[A-ZÀ-ÞĀ-Ž][^\W\d_]+(?:[^\S\n]+(?:[A-ZÀ-ÞĀ-Ž]\.?|[A-ZÀ-ÞĀ-Ž][^\W\d_]+)){0,3}"
        super().__init__(supported_entity="PERSON", name="person_cue", patterns=[
            Pattern("cued name", rf"(?<=\b{self._CUE}[^\S\n]{{1,8}}){name}", 0.75),
        ], global_regex_flags=CASE_SENSITIVE)


def generic_recognizers() -> list[EntityRecognizer]:
    """Detectors that only the generic profile uses (see DeidSettings.profile)."""
    return [CoarseDateRecognizer(), AgeRecognizer(), PostalCodeRecognizer(),
            AddressBlockRecognizer(), LocativeCapitalsRecognizer(), CuedPersonRecognizer()]
