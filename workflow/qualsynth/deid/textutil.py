"""Text helpers shared by the recognizers: safe lower-casing, boundaries, a phrase matcher.

All helpers keep character offsets: the lower-cased or sanitised text always has the
same length as the input, so a position found in one is valid in the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick

# C0/C1 control characters other than tab, newline and carriage return, and the angle
# brackets of markup (WebVTT voice tags "<v Name>", HTML), which are never part of a name.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f<]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"'“‘(\[]\s*)$")


def sanitize(text: str) -> str:
    """Control characters and '<' become spaces and '>' a line break (same length, so
    offsets are kept): "<v Name>Text" must not read as one name "Name Text"."""
    return _CONTROL.sub(" ", text).replace(">", "\n")


def lower_same_length(text: str) -> str:
    """``text.lower()`` when that keeps the length; otherwise lower-case char by char.

    Some characters (for example 'İ') grow when lower-cased, which would shift offsets.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def at_word_boundary(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is not glued to a letter or digit on either side."""
    if start > 0 and text[start - 1].isalnum():
        return False
    return not (end < len(text) and text[end].isalnum())


def is_sentence_initial(text: str, start: int) -> bool:
    """True when only punctuation, quotes or whitespace separate ``start`` from a sentence end."""
    return bool(_SENTENCE_START.search(text[max(0, start - 6):start]))


def next_word(text: str, end: int) -> tuple[int, int] | None:
    """Span of the word after ``end`` (skipping one run of spaces), or None."""
    i = end
    while i < len(text) and text[i] == " ":
        i += 1
    if i == end and i < len(text) and text[i] != " ":
        return None
    j = i
    while j < len(text) and (text[j].isalnum() or text[j] in "'’-"):
        j += 1
    return (i, j) if j > i else None


def previous_word(text: str, start: int) -> str:
    """The word just before ``start`` (lower case), skipping spaces, or ''."""
    i = start
    while i > 0 and text[i - 1] == " ":
        i -= 1
    j = i
    while j > 0 and text[j - 1].isalpha():
        j -= 1
    return text[j:i].lower()


# After an ambiguous name at the start of a sentence, these show it is a name:
# "Will said", "Hope and I", "Grace's team", "Will, ...", a speaker label "Will: ...".
_NAME_CUE_AFTER = re.compile(
    r"^(?:,|:|['’]s\b|\s+and\s+(?:I|me|myself)\b|\s+(?:said|says|told|asked|mentioned|"
    r"thinks|thought|wants|wanted|was|is|has|had|did|does|who\b|from\s+the\b))")


def name_cue_after(text: str, end: int) -> bool:
    """True when the words after ``end`` show that the word before is a name."""
    return bool(_NAME_CUE_AFTER.match(text[end:end + 24]))


@dataclass(frozen=True)
class PhraseHit:
    start: int
    end: int
    payloads: tuple[Any, ...]


class PhraseMatcher:
    """Aho-Corasick matcher for many phrases at once, whole words only.

    ``case_sensitive=False`` matches against the lower-cased text (phrases are stored in
    lower case); ``True`` matches the text as written. Each phrase can carry several
    payloads (e.g. the same surname for two people).
    """

    def __init__(self, phrases: Iterable[tuple[str, Any]], case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        table: dict[str, list[Any]] = {}
        for phrase, payload in phrases:
            phrase = " ".join(phrase.split())
            if not phrase:
                continue
            key = phrase if case_sensitive else phrase.lower()
            bucket = table.setdefault(key, [])
            if payload not in bucket:
                bucket.append(payload)
        self.size = len(table)
        self._automaton = ahocorasick.Automaton()
        for key, payloads in table.items():
            self._automaton.add_word(key, (len(key), tuple(payloads)))
        if table:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self.size

    def find(self, text: str, lowered: str | None = None) -> Iterator[PhraseHit]:
        """Every whole-word occurrence (overlapping hits included), in end order.

        Phrases are stored with single spaces; texts with runs of spaces or newlines
        inside a phrase do not match (the callers collapse whitespace where it matters).
        """
        if not self.size:
            return
        haystack = text if self.case_sensitive else (
            lowered if lowered is not None else lower_same_length(text))
        for end_index, (length, payloads) in self._automaton.iter(haystack):
            end = end_index + 1
            start = end - length
            if at_word_boundary(haystack, start, end):
                yield PhraseHit(start, end, payloads)


def whitespace_to_spaces(text: str) -> str:
    """Every whitespace character (newline, tab, ...) -> a plain space, keeping the length.

    Lets a phrase stored with single spaces match a name broken across a line.
    """
    return re.sub(r"\s", " ", text)
