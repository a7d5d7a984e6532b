"""Coding patterns: codes learned from passages people have already coded (opt-in).

What NVivo calls "autocode using existing coding patterns": for every code with enough
coded examples, a logistic regression over TF-IDF word and word-pair features (scikit-learn,
balanced class weights), trained on gold coding. Applied after the rules, it adds a code to
a segment when its probability reaches the threshold; the coding's rule id is
``<code>/pattern`` and its evidence the words that pushed it over, so a reviewer can still
see why it fired. It is off unless ``themes.patterns.enabled`` is true.

The model is stored as JSON (vocabulary, idf, weights), never pickled, with the sha256 of
every training file, so the same inputs give the same file and an auditor can see what it
learned from. Never train it on the held-out set: that makes the held-out check in-sample.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualsynth.errors import InputError
from qualsynth.ingest.segment import split_sentences
from qualsynth.themes.codebook import Codebook
from qualsynth.themes.engine import Coding
from qualsynth.themes.rules import BRACKET_RE

FORMAT = "qualsynth-coding-patterns/1"
NGRAMS = (1, 2)
MIN_DF = 2
EVIDENCE_TERMS = 3
DIGITS = 6


@dataclass
class PatternModel:
    """Per-code linear models over one TF-IDF vocabulary."""

    vocabulary: list[str]
    idf: np.ndarray
    codes: list[str]
    weights: np.ndarray            # codes x vocabulary
    intercepts: np.ndarray         # codes
    threshold: float
    codebook_hash: str
    training: dict[str, Any] = field(default_factory=dict)

    def features(self, texts: list[str]) -> Any:
        """TF-IDF rows (sublinear tf, l2-normalised) over the stored vocabulary."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        counts = CountVectorizer(ngram_range=NGRAMS, stop_words="english",
                                 vocabulary=self.vocabulary).transform(
            [_words(t) for t in texts]).astype(float)
        counts.data = 1.0 + np.log(counts.data)
        return normalize(counts.multiply(self.idf).tocsr())

    def probabilities(self, texts: list[str], features: Any = None) -> np.ndarray:
        """texts x codes probabilities (``features``: the texts' rows, if already made)."""
        x = self.features(texts) if features is None else features
        scores = x @ self.weights.T + self.intercepts
        return 1.0 / (1.0 + np.exp(-np.asarray(scores)))

    def to_json(self) -> str:
        """Compact, deterministic JSON (sorted keys, fixed rounding)."""
        doc = {
            "format": FORMAT, "codebook_hash": self.codebook_hash,
            "threshold": self.threshold, "ngrams": list(NGRAMS), "min_df": MIN_DF,
            "training": self.training, "vocabulary": self.vocabulary,
            "idf": [round(float(v), DIGITS) for v in self.idf], "codes": self.codes,
            "intercepts": [round(float(v), DIGITS) for v in self.intercepts],
            "weights": [[round(float(v), DIGITS) for v in row] for row in self.weights],
        }
        return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _words(text: str) -> str:
    """The participant's words: bracketed pseudonyms and notes removed, so they never count."""
    return BRACKET_RE.sub(" ", text)


def fit_patterns(codebook: Codebook, texts: list[str], gold: list[set[str]], *,
                 threshold: float = 0.5, min_examples: int = 5, c: float = 1.0,
                 training: dict[str, Any] | None = None) -> PatternModel:
    """One model per code (children rolled up to parents) with >= ``min_examples`` texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(texts) != len(gold):
        raise ValueError("texts and gold differ in length")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold {threshold} is not between 0 and 1")
    vectorizer = TfidfVectorizer(ngram_range=NGRAMS, min_df=MIN_DF, sublinear_tf=True,
                                 stop_words="english")
    x = vectorizer.fit_transform([_words(t) for t in texts])
    vocabulary = [str(t) for t in vectorizer.get_feature_names_out()]
    rolled = [codebook.with_ancestors(g) for g in gold]
    codes, weights, intercepts = [], [], []
    for code in codebook.ids:
        y = np.array([code in r for r in rolled])
        if y.sum() < min_examples or y.all():
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)
        codes.append(code)
        weights.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
    # rounded as stored, so a model used straight away and one read back agree exactly
    w = np.round(np.array(weights).reshape(len(codes), len(vocabulary)), DIGITS)
    return PatternModel(vocabulary, np.round(vectorizer.idf_, DIGITS), codes, w,
                        np.round(np.array(intercepts), DIGITS), threshold, codebook.hash,
                        {**(training or {}), "texts": len(texts), "min_examples": min_examples,
                         "C": c, "codes_modelled": len(codes)})


def load_patterns(path: str | Path, codebook: Codebook) -> PatternModel:
    """Read a model written by ``fit-patterns``; it must match the codebook."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "file not found; run `qualsynth fit-patterns`") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not JSON ({exc.msg})", line=exc.lineno) from None
    if doc.get("format") != FORMAT:
        raise InputError(path, f"not a coding-patterns model (format {doc.get('format')!r})")
    if doc.get("codebook_hash") != codebook.hash:
        raise InputError(path, f"trained with codebook hash {str(doc.get('codebook_hash'))[:12]}"
                         f", not {codebook.hash[:12]} ({codebook.source}); run "
                         "`qualsynth fit-patterns` again")
    unknown = [c for c in doc["codes"] if c not in codebook.by_id]
    if unknown:
        raise InputError(path, f"codes not in the codebook: {', '.join(unknown)}")
    return PatternModel(list(doc["vocabulary"]), np.array(doc["idf"], dtype=float),
                        list(doc["codes"]), np.array(doc["weights"], dtype=float).reshape(
                            len(doc["codes"]), len(doc["vocabulary"])),
                        np.array(doc["intercepts"], dtype=float), float(doc["threshold"]),
                        doc["codebook_hash"], doc["training"])


def pattern_codings(model: PatternModel, codebook: Codebook,
                    units: Iterable[dict[str, Any]]) -> Iterator[Coding]:
    """Codings for participant units whose probability of a code reaches the threshold.

    Only the most specific codes are emitted (a parent is implied by its children); the
    sentence reported is the one holding the heaviest evidence word.
    """
    units = [u for u in units if (u.get("speaker_role") or "participant") == "participant"]
    if not units or not model.codes:
        return
    texts = [u.get("text") or "" for u in units]
    x = model.features(texts)
    probs = model.probabilities(texts, x)
    for i, unit in enumerate(units):
        hit = {model.codes[k] for k in np.flatnonzero(probs[i] >= model.threshold)}
        leaves = [c for c in model.codes if c in hit
                  and not any(c in codebook.ancestors(o) for o in hit)]
        row = x.getrow(i)
        sentences = split_sentences(texts[i]) or [texts[i]]
        for code in leaves:
            k = model.codes.index(code)
            contrib = {model.vocabulary[j]: v * model.weights[k, j]
                       for j, v in zip(row.indices, row.data, strict=True)}
            top = [t for t, v in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0]))
                   if v > 0][:EVIDENCE_TERMS]
            no = _sentence_of(sentences, top[0]) if top else 1
            yield Coding(segment_id=str(unit.get("segment_id") or unit.get("id")),
                         study=str(unit.get("study", "")), code=code, rule=f"{code}/pattern",
                         evidence="; ".join(top) + f" (p={probs[i, k]:.2f})",
                         sentence_no=no, sentence=sentences[no - 1],
                         codebook_version=codebook.version, codebook_hash=codebook.hash)


def _sentence_of(sentences: list[str], term: str) -> int:
    """1-based number of the first sentence holding every word of ``term``."""
    words = term.split()
    for no, sentence in enumerate(sentences, start=1):
        lowered = _words(sentence).lower()
        if all(w in lowered for w in words):
            return no
    return 1


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_training(settings: dict[str, Any], codebook: Codebook,
                  segments: list[dict[str, Any]], config_path: str | Path = "config"
                  ) -> tuple[list[str], list[set[str]], dict[str, Any]]:
    """(texts, gold codes, provenance) from the demo gold and ``themes.patterns.train_sets``.

    Refuses a training set that holds the held-out texts."""
    from qualsynth.themes.evaluate import load_gold, load_holdout_texts

    conf = settings.get("patterns") or {}
    texts: list[str] = []
    gold: list[set[str]] = []
    sources: list[dict[str, Any]] = []
    holdout = settings.get("holdout_texts")
    if conf.get("use_demo_gold", True) and settings.get("gold_codes"):
        by_id = {s["segment_id"]: s for s in segments}
        ids, g = load_gold(settings["gold_codes"], settings["gold_segments"], codebook,
                           set(by_id))
        texts += [by_id[i]["text"] for i in ids]
        gold += [g[i] for i in ids]
        sources.append({"gold_codes": str(settings["gold_codes"]), "passages": len(ids),
                        "sha256": _sha256(settings["gold_codes"])})
    for folder in conf.get("train_sets") or []:
        folder_path = Path(folder)
        texts_path, codes_path = folder_path / "texts.csv", folder_path / "codes.csv"
        if holdout and Path(holdout).resolve() == texts_path.resolve():
            raise InputError(config_path, f"themes.patterns.train_sets includes {folder}, which "
                             "holds the held-out texts (themes.holdout_texts): the held-out "
                             "check would be in-sample; remove it from train_sets",
                             field="themes.patterns.train_sets")
        units = load_holdout_texts(texts_path)
        ids, g = load_gold(codes_path, texts_path, codebook, {u["segment_id"] for u in units})
        text_of = {u["segment_id"]: u["text"] for u in units}
        texts += [text_of[i] for i in ids]
        gold += [g[i] for i in ids]
        sources.append({"gold_codes": str(codes_path), "passages": len(ids),
                        "sha256": _sha256(codes_path), "texts_sha256": _sha256(texts_path)})
    if not texts:
        raise InputError(config_path, "coding patterns have no training passages: set "
                         "themes.patterns.train_sets or use_demo_gold with themes.gold_codes",
                         field="themes.patterns")
    return texts, gold, {"sources": sources}
