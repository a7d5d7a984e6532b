"""Rule kinds for auto-coding (terms on word forms, regex, co-occurrence) and their parts.

A sentence is turned into :class:`Token` objects once; every term of every rule is
compiled into a sequence of word matchers:

- a lower-case word matches on its Snowball stem ("recruit" finds "recruiting",
  "recruitment");
- a word ending in ``*`` matches any word starting with the letters ("collaborat*");
- a word starting with ``=`` matches that exact word form only, in any case, for words
  whose stem is shared with unrelated words ("=government" does not find "governance",
  "=housing" does not find "house");
- an upper-case word of two or more letters is an acronym and matches only the same
  upper-case word, with an optional plural "s" ("GP" finds "GP" and "GPs", never "gp";
  "NICE" never finds "nice").

Bracketed pseudonyms written by de-identification (``[NHS trust 3]``, ``[Person 12]``)
and other bracketed transcript notes are masked before matching, so they never code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

from qualsynth.themes.codebook import Rule

SENTINEL = "\ue000"  # stands for a masked bracketed span: a word that matches nothing
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|" + SENTINEL)
TERM_WORD_RE = re.compile(r"=?[^\W_]+(?:['’][^\W_]+)*\*?")
BRACKET_RE = re.compile(r"\[[^\[\]\n]{0,80}\]")
ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9&]*[A-Z0-9]$")

_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter2) stem of a lower-case word, apostrophes normalised."""
    return _STEMMER.stemWord(word.replace("’", "'"))


def mask_brackets(text: str) -> str:
    """Replace bracketed spans (pseudonyms, transcript notes) by a sentinel word plus
    spaces, keeping offsets. The sentinel matches no term and breaks phrases, so
    "the [NHS trust 2] board" is not "the board"."""
    return BRACKET_RE.sub(lambda m: SENTINEL + " " * (m.end() - m.start() - 1), text)


def acronym_key(surface: str) -> str | None:
    """The acronym a word spells ('GPs' -> 'GP'), or None when it is not upper case."""
    word = surface[:-1] if surface.endswith("s") and len(surface) > 2 else surface
    return word if ACRONYM_RE.match(word) else None


class Token(NamedTuple):
    """One word of a sentence with its offsets."""

    surface: str
    lower: str
    stem: str
    acronym: str | None
    start: int
    end: int


@lru_cache(maxsize=200_000)
def _word_info(surface: str) -> tuple[str, str, str | None]:
    if surface == SENTINEL:
        return SENTINEL, SENTINEL, None
    lower = surface.lower().replace("’", "'")
    return lower, stem(lower), acronym_key(surface)


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` (already masked) with lower case, stem and acronym form."""
    tokens = []
    for m in WORD_RE.finditer(text):
        lower, st, acr = _word_info(m.group())
        tokens.append(Token(m.group(), lower, st, acr, m.start(), m.end()))
    return tokens


# A word matcher: ("s", stem) | ("p", lower prefix) | ("a", ACRONYM) | ("w", exact lower word)
Matcher = tuple[str, str]


@lru_cache(maxsize=50_000)
def term_matchers(term: str) -> tuple[Matcher, ...]:
    """Compile a term or phrase into word matchers (see the module docstring)."""
    out: list[Matcher] = []
    for m in TERM_WORD_RE.finditer(term):
        word = m.group()
        if word.startswith("="):
            out.append(("w", word[1:].lower().replace("’", "'")))
            continue
        if word.endswith("*"):
            out.append(("p", word[:-1].lower().replace("’", "'")))
            continue
        acr = acronym_key(word)
        if acr is not None:
            out.append(("a", acr))
        else:
            out.append(("s", stem(word.lower().replace("’", "'"))))
    return tuple(m for m in out if m[1])


def token_matches(token: Token, matcher: Matcher) -> bool:
    kind, value = matcher
    if kind == "s":
        return token.stem == value
    if kind == "a":
        return token.acronym == value
    if kind == "w":
        return token.lower == value
    return token.lower.startswith(value)


class Hit(NamedTuple):
    """A phrase found in a sentence: token span [start, end) and the words matched."""

    start: int
    end: int
    text: str

    def overlaps(self, other: Hit) -> bool:
        return self.start < other.end and other.start < self.end

    def gap(self, other: Hit) -> int:
        """Words strictly between two non-overlapping hits."""
        if self.end <= other.start:
            return other.start - self.end
        return self.start - other.end


def find_phrase(tokens: list[Token], matchers: tuple[Matcher, ...], sentence: str) -> list[Hit]:
    """Every occurrence of a compiled phrase (slow path, used by tests and regex spans)."""
    hits = []
    n = len(matchers)
    for i in range(len(tokens) - n + 1):
        if all(token_matches(tokens[i + k], matchers[k]) for k in range(n)):
            hits.append(make_hit(tokens, i, i + n, sentence))
    return hits


def make_hit(tokens: list[Token], start: int, end: int, sentence: str) -> Hit:
    return Hit(start, end, sentence[tokens[start].start:tokens[end - 1].end])


@dataclass
class RuleHits:
    """Hits of one rule's phrases in one sentence, by role."""

    term: list[Hit]
    context: list[Hit]
    exclude: list[Hit]
    unless: list[Hit]


def _not_excluded(hits: list[Hit], excluded: list[Hit]) -> list[Hit]:
    if not excluded:
        return hits
    return [h for h in hits if not any(h.overlaps(x) for x in excluded)]


class BaseRule:
    """Common parts: scope and exclusions."""

    def __init__(self, rule: Rule, default_scope: str) -> None:
        self.rule = rule
        self.id = rule.id
        self.code = rule.code
        self.scope = rule.scope or default_scope
        self.studies = frozenset(rule.studies)

    def in_scope(self, speaker_role: str, study: str | None = None) -> bool:
        """participant (default): participant speech only; interviewer; all. A rule limited
        to some studies applies only to units of those studies (never to unknown ones)."""
        if self.studies and study not in self.studies:
            return False
        if self.scope == "all":
            return True
        return speaker_role == self.scope

    def apply(self, hits: RuleHits, masked: str, tokens: list[Token]) -> list[str] | None:
        """Return the evidence (matched words) when the rule fires, else None."""
        raise NotImplementedError


class TermsRule(BaseRule):
    """Fires when any term or phrase is present (on word forms), not cancelled."""

    def apply(self, hits: RuleHits, masked: str, tokens: list[Token]) -> list[str] | None:
        if hits.unless:
            return None
        kept = _not_excluded(hits.term, hits.exclude)
        return [h.text for h in kept] or None


class CooccurrenceRule(BaseRule):
    """Fires when a term and a context term occur in the same sentence or within N words."""

    def __init__(self, rule: Rule, default_scope: str, default_window: int | str) -> None:
        super().__init__(rule, default_scope)
        window = rule.window if rule.window is not None else default_window
        self.window: int | None = None if window == "sentence" else int(window)

    def apply(self, hits: RuleHits, masked: str, tokens: list[Token]) -> list[str] | None:
        if hits.unless or not hits.context:
            return None
        terms = _not_excluded(hits.term, hits.exclude)
        contexts = _not_excluded(hits.context, hits.exclude)
        evidence: list[str] = []
        for t in terms:
            for c in contexts:
                if t.overlaps(c):
                    continue
                if self.window is None or t.gap(c) <= self.window:
                    evidence.append(f"{t.text} ~ {c.text}")
                    break
        return evidence or None


class RegexRule(BaseRule):
    """Fires when the regular expression matches the (masked) sentence."""

    def __init__(self, rule: Rule, default_scope: str) -> None:
        super().__init__(rule, default_scope)
        flags = 0 if rule.case_sensitive else re.IGNORECASE
        self.regex = re.compile(rule.pattern or "", flags)

    def apply(self, hits: RuleHits, masked: str, tokens: list[Token]) -> list[str] | None:
        if hits.unless:
            return None
        evidence = []
        for m in self.regex.finditer(masked):
            if not m.group().strip():
                continue
            span = _char_span_to_tokens(tokens, m.start(), m.end())
            if span and hits.exclude and any(span.overlaps(x) for x in hits.exclude):
                continue
            evidence.append(" ".join(m.group().split()))
        return evidence or None


def _char_span_to_tokens(tokens: list[Token], start: int, end: int) -> Hit | None:
    idx = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
    if not idx:
        return None
    return Hit(idx[0], idx[-1] + 1, "")


def build_rule(rule: Rule, default_scope: str, default_window: int | str) -> BaseRule:
    if rule.kind == "terms":
        return TermsRule(rule, default_scope)
    if rule.kind == "cooccurrence":
        return CooccurrenceRule(rule, default_scope, default_window)
    if rule.kind == "regex":
        return RegexRule(rule, default_scope)
    raise ValueError(f"unknown rule kind {rule.kind!r}")
