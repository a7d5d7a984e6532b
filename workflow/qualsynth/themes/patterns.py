"""Coding patterns: codes learned from passages people have already coded (opt-in).

What NVivo calls "autocode using existing coding patterns": for every code with enough
coded examples, a logistic regression over TF-IDF word and word-pair features (scikit-learn,
balanced class weights), trained on gold coding. Optionally (``embedding_weight`` > 0) the
passage's sentence embedding from the project's committed static model (``topics.model2vec``)
is appended to the word features, so that wording the training passages never used can
still count. Applied after the rules (:func:`apply_patterns`), it adds a code to a segment
when its probability reaches the threshold; the coding's rule id is ``<code>/pattern`` and
its evidence the words that pushed it over, so a reviewer can still see why it fired. With
``veto_below`` > 0 it also sets aside a rule's coding of a code whose probability for that
segment is below it; those are returned (and written to ``vetoed_codings.csv``) with the
probability, never silently dropped. It is off unless ``themes.patterns.enabled`` is true.

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
    # a rule's coding of a modelled code is set aside when its probability is below this
    veto_below: float = 0.0
    # {"path", "sha256", "dims", "weight"} of the sentence-embedding features, or None
    embedding: dict[str, Any] | None = None
    embedder: Any = field(default=None, repr=False, compare=False)

    def features(self, texts: list[str]) -> Any:
        """TF-IDF rows (sublinear tf, l2-normalised) over the stored vocabulary, followed by
        the weighted sentence embedding when the model has one."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        counts = CountVectorizer(ngram_range=NGRAMS, stop_words="english",
                                 vocabulary=self.vocabulary).transform(
            [_words(t) for t in texts]).astype(float)
        counts.data = 1.0 + np.log(counts.data)
        words = normalize(counts.multiply(self.idf).tocsr())
        if not self.embedding:
            return words
        if self.embedder is None:
            self.embedder = load_embedder(self.embedding["path"], self.embedding["sha256"])
        return _with_embedding(words, self.embedder, texts, float(self.embedding["weight"]))

    def probabilities(self, texts: list[str], features: Any = None) -> np.ndarray:
        """texts x codes probabilities (``features``: the texts' rows, if already made)."""
        x = self.features(texts) if features is None else features
        scores = x @ self.weights.T + self.intercepts
        return 1.0 / (1.0 + np.exp(-np.asarray(scores)))

    def to_json(self) -> str:
        """Compact, deterministic JSON (sorted keys, fixed rounding)."""
        doc = {
            "format": FORMAT, "codebook_hash": self.codebook_hash, "embedding": self.embedding,
            "threshold": self.threshold, "veto_below": self.veto_below,
            "ngrams": list(NGRAMS), "min_df": MIN_DF,
            "training": self.training, "vocabulary": self.vocabulary,
            "idf": [round(float(v), DIGITS) for v in self.idf], "codes": self.codes,
            "intercepts": [round(float(v), DIGITS) for v in self.intercepts],
            "weights": [[round(float(v), DIGITS) for v in row] for row in self.weights],
        }
        return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _words(text: str) -> str:
    """The participant's words: bracketed pseudonyms and notes removed, so they never count."""
    return BRACKET_RE.sub(" ", text)


def load_embedder(path: str | Path, sha256: str) -> Any:
    """The committed static embedding model (sha256-checked; never downloads)."""
    from qualsynth.topics.embeddings import Model2VecEmbedder

    return Model2VecEmbedder(Path(path), sha256)


def _with_embedding(words: Any, embedder: Any, texts: list[str], weight: float) -> Any:
    """Word features followed by ``weight`` x the l2-normalised embedding of each text."""
    from scipy import sparse

    dense = np.asarray(embedder.embed([_words(t) for t in texts]), dtype=np.float64)
    return sparse.hstack([words, sparse.csr_matrix(weight * dense)]).tocsr()


def fit_patterns(codebook: Codebook, texts: list[str], gold: list[set[str]], *,
                 threshold: float = 0.5, min_examples: int = 5, c: float = 1.0,
                 training: dict[str, Any] | None = None, embedder: Any = None,
                 embedding_weight: float = 0.0, veto_below: float = 0.0) -> PatternModel:
    """One model per code (children rolled up to parents) with >= ``min_examples`` texts.

    With an ``embedder`` (``embed(texts)``, ``describe()``, ``path``) and a positive
    ``embedding_weight``, each text's embedding times that weight follows its word features.
    ``veto_below`` (0 = never) is stored for :func:`apply_patterns`.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(texts) != len(gold):
        raise ValueError("texts and gold differ in length")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold {threshold} is not between 0 and 1")
    if embedding_weight < 0:
        raise ValueError(f"embedding_weight {embedding_weight} is negative")
    if not 0.0 <= veto_below < threshold:
        raise ValueError(f"veto_below {veto_below} must be at least 0 and below the "
                         f"threshold {threshold}")
    vectorizer = TfidfVectorizer(ngram_range=NGRAMS, min_df=MIN_DF, sublinear_tf=True,
                                 stop_words="english")
    x = vectorizer.fit_transform([_words(t) for t in texts])
    vocabulary = [str(t) for t in vectorizer.get_feature_names_out()]
    embedding = None
    if embedder is not None and embedding_weight > 0:
        described = embedder.describe()
        embedding = {"path": Path(embedder.path).as_posix(), "sha256": described["model_sha256"],
                     "dims": int(described["dims"]), "weight": embedding_weight}
        x = _with_embedding(x, embedder, texts, embedding_weight)
    width = x.shape[1]
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
    w = np.round(np.array(weights).reshape(len(codes), width), DIGITS)
    return PatternModel(vocabulary, np.round(vectorizer.idf_, DIGITS), codes, w,
                        np.round(np.array(intercepts), DIGITS), threshold, codebook.hash,
                        {**(training or {}), "texts": len(texts), "min_examples": min_examples,
                         "C": c, "codes_modelled": len(codes)}, veto_below, embedding,
                        embedder if embedding else None)


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
    embedding = doc.get("embedding")
    width = len(doc["vocabulary"]) + (int(embedding["dims"]) if embedding else 0)
    weights = np.array(doc["weights"], dtype=float)
    if weights.shape != (len(doc["codes"]), width):
        raise InputError(path, f"weights have shape {weights.shape}, not "
                         f"({len(doc['codes'])}, {width}); run `qualsynth fit-patterns` again")
    return PatternModel(list(doc["vocabulary"]), np.array(doc["idf"], dtype=float),
                        list(doc["codes"]), weights,
                        np.array(doc["intercepts"], dtype=float), float(doc["threshold"]),
                        doc["codebook_hash"], doc["training"],
                        float(doc.get("veto_below", 0.0)), embedding)


@dataclass
class PatternResult:
    """The rules' codings after the patterns: kept, added and set aside."""

    codings: list[Coding]          # the rules' codings that were kept, then the learned ones
    learned: list[Coding]
    vetoed: list[tuple[Coding, float]]   # rule codings set aside, with the code's probability


def apply_patterns(model: PatternModel, codebook: Codebook, units: Iterable[dict[str, Any]],
                   rule_codings: Iterable[Coding],
                   thresholds: dict[str, float] | None = None) -> PatternResult:
    """Add learned codes to the rules' codings and, when ``model.veto_below`` > 0, set aside
    a rule's coding of a modelled code whose probability for that unit is below it.
    ``thresholds`` (code -> probability) overrides ``model.threshold`` for those codes."""
    units = list(units)
    rule_codings = list(rule_codings)
    participant = _participant_units(units)
    texts = [u.get("text") or "" for u in participant]
    x = model.features(texts) if participant and model.codes else None
    probs = model.probabilities(texts, x) if x is not None else np.zeros((0, 0))
    learned = list(_learned(model, codebook, participant, texts, x, probs, thresholds)) \
        if x is not None else []
    kept, vetoed = rule_codings, []
    if model.veto_below > 0 and x is not None:
        row_of = {_unit_id(u): i for i, u in enumerate(participant)}
        column = {c: k for k, c in enumerate(model.codes)}
        kept = []
        for coding in rule_codings:
            i, k = row_of.get(coding.segment_id), column.get(coding.code)
            if i is not None and k is not None and probs[i, k] < model.veto_below:
                vetoed.append((coding, round(float(probs[i, k]), 4)))
            else:
                kept.append(coding)
    return PatternResult(kept + learned, learned, vetoed)


def _participant_units(units: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [u for u in units if (u.get("speaker_role") or "participant") == "participant"]


def _unit_id(unit: dict[str, Any]) -> str:
    return str(unit.get("segment_id") or unit.get("id"))


def pattern_codings(model: PatternModel, codebook: Codebook,
                    units: Iterable[dict[str, Any]]) -> Iterator[Coding]:
    """Codings for participant units whose probability of a code reaches the threshold.

    Only the most specific codes are emitted (a parent is implied by its children); the
    sentence reported is the one holding the heaviest evidence word.
    """
    units = _participant_units(units)
    if not units or not model.codes:
        return
    texts = [u.get("text") or "" for u in units]
    x = model.features(texts)
    yield from _learned(model, codebook, units, texts, x, model.probabilities(texts, x))


def _learned(model: PatternModel, codebook: Codebook, units: list[dict[str, Any]],
             texts: list[str], x: Any, probs: np.ndarray,
             thresholds: dict[str, float] | None = None) -> Iterator[Coding]:
    cut = np.array([(thresholds or {}).get(c, model.threshold) for c in model.codes])
    for i, unit in enumerate(units):
        hit = {model.codes[k] for k in np.flatnonzero(probs[i] >= cut)}
        leaves = [c for c in model.codes if c in hit
                  and not any(c in codebook.ancestors(o) for o in hit)]
        row = x.getrow(i)
        sentences = split_sentences(texts[i]) or [texts[i]]
        n_words = len(model.vocabulary)
        for code in leaves:
            k = model.codes.index(code)
            contrib = {model.vocabulary[j]: v * model.weights[k, j]
                       for j, v in zip(row.indices, row.data, strict=True) if j < n_words}
            top = [t for t, v in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0]))
                   if v > 0][:EVIDENCE_TERMS]
            no = _sentence_of(sentences, top[0]) if top else 1
            how = f"p={probs[i, k]:.2f}"
            if model.embedding:
                meaning = sum(v * model.weights[k, j]
                              for j, v in zip(row.indices, row.data, strict=True) if j >= n_words)
                how += f"; words {sum(contrib.values()):+.2f}, meaning {meaning:+.2f}"
            yield Coding(segment_id=_unit_id(unit),
                         study=str(unit.get("study", "")), code=code, rule=f"{code}/pattern",
                         evidence="; ".join(top) + f" ({how})",
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
    from qualsynth.themes.evaluate import as_paths, load_gold, load_holdout_texts

    conf = settings.get("patterns") or {}
    texts: list[str] = []
    gold: list[set[str]] = []
    sources: list[dict[str, Any]] = []
    holdout = {Path(p).resolve() for p in as_paths(settings.get("holdout_texts"))}
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
        if texts_path.resolve() in holdout:
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
