"""The tagging engine: compile a codebook once, code sentences, report at segment level.

Every phrase of every rule (terms, context terms, exclusions) is compiled into one index
keyed by its first word, so a sentence is scanned once whatever the size of the codebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from qualsynth.ingest.segment import split_sentences
from qualsynth.themes.codebook import Codebook
from qualsynth.themes.rules import (
    BaseRule,
    Hit,
    Matcher,
    RegexRule,
    RuleHits,
    Token,
    build_rule,
    make_hit,
    mask_brackets,
    term_matchers,
    tokenize,
)

DEFAULT_SCOPE = "participant"
DEFAULT_WINDOW = 8
ROLES = ("term", "context", "exclude", "unless")


@dataclass(frozen=True)
class Coding:
    """One rule firing on one sentence of one unit (segment or text line)."""

    segment_id: str
    study: str
    code: str
    rule: str
    evidence: str
    sentence_no: int
    sentence: str
    codebook_version: str
    codebook_hash: str

    def as_row(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id, "study": self.study, "code": self.code,
            "rule": self.rule, "evidence": self.evidence, "sentence_no": self.sentence_no,
            "sentence": self.sentence, "codebook_version": self.codebook_version,
            "codebook_hash": self.codebook_hash,
        }


CODING_COLUMNS = ["segment_id", "study", "code", "rule", "evidence", "sentence_no",
                  "sentence", "codebook_version", "codebook_hash"]


class Engine:
    """A compiled codebook. ``tag_sentence`` returns (rule, evidence) pairs that fire."""

    def __init__(self, codebook: Codebook, default_scope: str = DEFAULT_SCOPE,
                 default_window: int | str = DEFAULT_WINDOW) -> None:
        self.codebook = codebook
        self.rules: list[BaseRule] = [build_rule(r, default_scope, default_window)
                                      for r in codebook.rules]
        self._phrases: list[tuple[Matcher, ...]] = []
        self._roles: list[list[tuple[int, str]]] = []
        phrase_ids: dict[tuple[Matcher, ...], int] = {}
        for ri, rule in enumerate(self.rules):
            spec = rule.rule
            for role, terms in (("term", spec.terms), ("context", spec.context),
                                ("exclude", spec.exclude), ("unless", spec.unless)):
                for term in terms:
                    matchers = term_matchers(term)
                    if not matchers:
                        continue
                    pid = phrase_ids.get(matchers)
                    if pid is None:
                        pid = phrase_ids[matchers] = len(self._phrases)
                        self._phrases.append(matchers)
                        self._roles.append([])
                    if (ri, role) not in self._roles[pid]:
                        self._roles[pid].append((ri, role))
        # First-word index; phrases whose first two words are stems are keyed by both, so
        # "the board" is only checked where "the" is followed by "board".
        self._by_stem: dict[str, list[int]] = {}
        self._by_bigram: dict[tuple[str, str], list[int]] = {}
        self._by_acronym: dict[str, list[int]] = {}
        self._by_word: dict[str, list[int]] = {}
        self._by_prefix: list[tuple[str, int]] = []
        for pid, matchers in enumerate(self._phrases):
            kind, value = matchers[0]
            if kind == "s" and len(matchers) > 1 and matchers[1][0] == "s":
                self._by_bigram.setdefault((value, matchers[1][1]), []).append(pid)
            elif kind == "s":
                self._by_stem.setdefault(value, []).append(pid)
            elif kind == "a":
                self._by_acronym.setdefault(value, []).append(pid)
            elif kind == "w":
                self._by_word.setdefault(value, []).append(pid)
            else:
                self._by_prefix.append((value, pid))
        self._regex_rules = [ri for ri, r in enumerate(self.rules) if isinstance(r, RegexRule)]
        self._candidates: dict[str, tuple[int, ...]] = {}

    def _first_word_candidates(self, token: Token) -> tuple[int, ...]:
        found = self._candidates.get(token.surface)
        if found is None:
            ids = list(self._by_stem.get(token.stem, ()))
            if token.acronym is not None:
                ids.extend(self._by_acronym.get(token.acronym, ()))
            ids.extend(self._by_word.get(token.lower, ()))
            ids.extend(pid for prefix, pid in self._by_prefix if token.lower.startswith(prefix))
            found = self._candidates[token.surface] = tuple(ids)
        return found

    def _hits(self, tokens: list[Token], sentence: str) -> dict[int, RuleHits]:
        per_rule: dict[int, RuleHits] = {}
        n_tokens = len(tokens)
        phrases, roles, bigrams = self._phrases, self._roles, self._by_bigram
        for i, token in enumerate(tokens):
            candidates = self._first_word_candidates(token)
            if i + 1 < n_tokens:
                pair = bigrams.get((token.stem, tokens[i + 1].stem))
                if pair:
                    candidates = candidates + tuple(pair)
            for pid in candidates:
                matchers = phrases[pid]
                n = len(matchers)
                if n > 1:
                    if i + n > n_tokens:
                        continue
                    ok = True
                    for k in range(1, n):
                        kind, value = matchers[k]
                        t = tokens[i + k]
                        if kind == "s":
                            ok = t.stem == value
                        elif kind == "a":
                            ok = t.acronym == value
                        elif kind == "w":
                            ok = t.lower == value
                        else:
                            ok = t.lower.startswith(value)
                        if not ok:
                            break
                    if not ok:
                        continue
                hit: Hit = make_hit(tokens, i, i + n, sentence)
                for ri, role in roles[pid]:
                    hits = per_rule.get(ri)
                    if hits is None:
                        hits = per_rule[ri] = RuleHits([], [], [], [])
                    getattr(hits, role).append(hit)
        return per_rule

    def tag_sentence(self, sentence: str, speaker_role: str = "participant",
                     study: str | None = None) -> list[tuple[BaseRule, list[str]]]:
        """Rules that fire on one sentence, each with the matched words (its evidence).

        ``study`` is the unit's study id; rules limited to some studies need it."""
        masked = mask_brackets(sentence)
        tokens = tokenize(masked)
        per_rule = self._hits(tokens, masked)
        candidates = {ri for ri, h in per_rule.items() if h.term}
        candidates.update(self._regex_rules)
        fired = []
        for ri in sorted(candidates):
            rule = self.rules[ri]
            if not rule.in_scope(speaker_role, study):
                continue
            hits = per_rule.get(ri) or RuleHits([], [], [], [])
            evidence = rule.apply(hits, masked, tokens)
            if evidence:
                fired.append((rule, _unique(evidence)))
        return fired

    def tag_text(self, text: str, speaker_role: str = "participant", study: str | None = None
                 ) -> list[tuple[int, str, BaseRule, list[str]]]:
        """Split into sentences and tag each: (sentence_no (1-based), sentence, rule, evidence)."""
        out = []
        for no, sentence in enumerate(split_sentences(text), start=1):
            for rule, evidence in self.tag_sentence(sentence, speaker_role, study):
                out.append((no, sentence, rule, evidence))
        return out

    def tag_units(self, units: Iterable[dict[str, Any]]) -> Iterator[Coding]:
        """Code units (segments or turns: ``segment_id``/``turn_id``, ``study``, ``text``,
        optional ``speaker_role``, default participant) sentence by sentence."""
        version, digest = self.codebook.version, self.codebook.hash
        for unit in units:
            uid = unit.get("segment_id") or unit.get("turn_id") or unit.get("id")
            role = unit.get("speaker_role") or "participant"
            study = unit.get("study")
            for no, sentence, rule, evidence in self.tag_text(unit.get("text") or "", role,
                                                              study):
                yield Coding(segment_id=str(uid), study=str(unit.get("study", "")),
                             code=rule.code, rule=rule.id, evidence="; ".join(evidence),
                             sentence_no=no, sentence=sentence, codebook_version=version,
                             codebook_hash=digest)


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def segment_code_sets(codings: Iterable[Coding]) -> dict[str, set[str]]:
    """segment id -> codes coded directly (before roll-up)."""
    out: dict[str, set[str]] = {}
    for c in codings:
        out.setdefault(c.segment_id, set()).add(c.code)
    return out


def tag_lines(engine: Engine, lines: Iterable[str], study: str | None = None
              ) -> Iterator[dict[str, Any]]:
    """``tag-text``: each non-empty line is participant speech; one result per line.

    Codes are reported once per (code, rule) with the evidence of every sentence. Rules
    limited to some studies apply only when ``study`` is one of them.
    """
    order = {rule.id: i for i, rule in enumerate(engine.rules)}
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        merged: dict[tuple[str, str], list[str]] = {}
        for _no, _sentence, rule, evidence in engine.tag_text(line, "participant", study):
            merged.setdefault((rule.code, rule.id), []).extend(evidence)
        codes = [{"code": code, "rule": rid, "evidence": "; ".join(_unique(ev))}
                 for (code, rid), ev in sorted(merged.items(), key=lambda kv: order[kv[0][1]])]
        yield {"line": n, "codes": codes}
