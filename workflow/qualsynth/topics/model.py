"""BERTopic with a seeded pipeline: UMAP, then HDBSCAN (or KMeans for small corpora).

Choices, all set in the ``topics`` config block:

- Embeddings come from :mod:`qualsynth.topics.embeddings`; BERTopic never loads a model itself
  (its own default pipeline is unseeded and would need sentence-transformers).
- UMAP gets ``random_state=seed`` (UMAP then runs single-threaded and is reproducible).
- Clustering: HDBSCAN, unless the corpus has fewer than ``kmeans_below`` segments, where
  HDBSCAN tends to call most segments outliers; then KMeans (``n_init=10``, seeded) after UMAP.
- ``n_topics``: an integer reduces HDBSCAN's topics to that number (BERTopic's agglomerative
  merge) or sets KMeans' k; ``auto`` keeps HDBSCAN's own number, or for KMeans uses
  ``round(sqrt(n_segments / 2))`` clipped to [2, 15].
- Outliers (HDBSCAN's topic -1) are re-assigned with ``reduce_outliers`` (strategy and
  similarity threshold configurable) and the topic words are then recomputed with
  ``update_topics`` using the *same* vectorizer and c-TF-IDF model.
- Topic words: c-TF-IDF over a CountVectorizer that removes pseudonym tokens (``[Person 12]``)
  before tokenising, keeps letter-only tokens of two or more letters (so no ids or numbers),
  and drops English stop words, conversational fillers and pseudonym category words.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualsynth.topics.embeddings import strip_pseudonyms

#: Letter-only tokens of two or more letters: ids such as ``P07`` or ``12`` never become words.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"

#: Words people say that carry no topic: hesitations, hedges, discourse markers, courtesies,
#: light verbs and the fragments left when contractions are split (don't -> don).
CONVERSATIONAL_FILLERS: tuple[str, ...] = (
    "absolutely", "actually", "ah", "aint", "alright", "anyway", "aren", "basically", "bit",
    "bye", "came", "cause", "certainly", "cheers", "come", "coming", "couldn", "definitely",
    "did", "didn", "does", "doesn", "doing", "don", "er", "erm", "especially", "essentially",
    "exactly", "example", "fine", "generally", "goes", "going", "gonna", "good", "got", "gotta",
    "great", "guess", "had", "hadn", "hasn", "haven", "hello", "hi", "hmm", "honest",
    "honestly", "huh", "isn", "just", "kind", "kinda", "knew", "know", "let", "like",
    "literally", "ll", "look", "looking", "lot", "lots", "lovely", "maybe", "mean", "means",
    "mhm", "mm", "mmm", "obviously", "oh", "ok", "okay", "particularly", "perhaps", "pretty",
    "probably", "quite", "really", "right", "said", "say", "saying", "says", "shouldn",
    "simply", "slightly", "somebody", "sorry", "sort", "sorts", "stuff", "sure", "thank",
    "thanks", "thing", "things", "think", "thinking", "thought", "totally", "uh", "um", "umm",
    "ve", "wanna", "want", "wanted", "wasn", "way", "ways", "went", "weren", "won", "wouldn",
    "yeah", "yep", "yes", "yup",
)

#: Category words of pseudonym tokens. The tokens themselves are removed before tokenising;
#: these catch a category word that reaches the text without its brackets.
DEFAULT_PSEUDONYM_WORDS: tuple[str, ...] = (
    "email", "interviewer", "participant", "person", "phone", "postcode", "redacted",
)

#: Every setting of the ``topics`` config block with its default (the schema checks types).
DEFAULTS: dict[str, Any] = {
    "backend": "model2vec",
    "model2vec": {"path": "models/minilm-l6-m2v", "sha256": ""},
    "tfidf_svd": {"n_components": 100, "min_df": 2},
    "seed": 42,
    "stability_seeds": [42, 43, 44],
    "n_topics": "auto",
    "min_segments": 30,
    "kmeans_below": 300,
    "top_n_words": 10,
    "representative_segments": 3,
    "umap": {"n_neighbors": 15, "n_components": 5, "min_dist": 0.0, "metric": "cosine",
             "n_epochs": None},
    "hdbscan": {"min_cluster_size": 10, "min_samples": None, "cluster_selection_method": "eom"},
    "vectorizer": {"ngram_range": [1, 1], "min_df": 1, "max_df": 1.0},
    "ctfidf": {"reduce_frequent_words": True, "bm25_weighting": False},
    "outliers": {"strategy": "embeddings", "threshold": 0.0},
    "group_by": ["study", "ics_label", "sector", "time_point"],
    "extra_stop_words": [],
    "pseudonym_words": list(DEFAULT_PSEUDONYM_WORDS),
}


def resolve_settings(block: dict[str, Any] | None) -> dict[str, Any]:
    """Merge the config's ``topics`` block over :data:`DEFAULTS` (one level of nesting)."""
    settings: dict[str, Any] = {}
    block = block or {}
    for key, default in DEFAULTS.items():
        value = block.get(key, default)
        if isinstance(default, dict):
            merged = dict(default)
            merged.update(value or {})
            value = merged
        elif isinstance(default, list):
            value = list(value)
        settings[key] = value
    return settings


def preprocess(text: str) -> str:
    """Vectorizer preprocessor: drop pseudonym tokens, then lowercase."""
    return strip_pseudonyms(text).lower()


def stop_words(settings: dict[str, Any]) -> list[str]:
    """Sorted stop-word list: English + conversational fillers + pseudonym words + extra."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | set(CONVERSATIONAL_FILLERS)
    words |= {w.lower() for w in settings.get("pseudonym_words", [])}
    words |= {w.lower() for w in settings.get("extra_stop_words", [])}
    return sorted(words)


def make_vectorizer(settings: dict[str, Any]) -> Any:
    """The CountVectorizer used for c-TF-IDF topic words (and, refitted, for update_topics)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vec = settings["vectorizer"]
    return CountVectorizer(
        preprocessor=preprocess,
        token_pattern=TOKEN_PATTERN,
        stop_words=stop_words(settings),
        ngram_range=tuple(vec["ngram_range"]),
        min_df=vec["min_df"],
        max_df=vec["max_df"],
    )


def analyzer(settings: dict[str, Any]) -> Any:
    """Callable text -> tokens, exactly as the topic vectorizer tokenises (for NPMI, TF-IDF)."""
    return make_vectorizer(settings).build_analyzer()


def auto_kmeans_k(n_segments: int) -> int:
    """Number of KMeans topics when ``n_topics`` is ``auto``: sqrt(n/2), clipped to [2, 15]."""
    return int(min(15, max(2, round(math.sqrt(n_segments / 2)))))


@dataclass
class TopicFit:
    """The outcome of one fit. ``topics`` are final (after outlier reduction)."""

    status: str  # ok | all_outliers
    message: str
    clusterer: str  # hdbscan | kmeans
    topics: np.ndarray
    initial_topics: np.ndarray  # before outlier reduction
    probabilities: np.ndarray  # HDBSCAN membership strength; NaN where not from HDBSCAN
    assigned_by: list[str]
    topic_words: dict[int, list[str]] = field(default_factory=dict)
    #: topic words before outlier reduction (what the BERTopic paper evaluated)
    initial_topic_words: dict[int, list[str]] = field(default_factory=dict)
    model: Any = None
    n_topics_found: int = 0  # before any reduction to n_topics

    @property
    def real_topics(self) -> list[int]:
        """Topic ids other than the outlier topic -1."""
        return sorted(t for t in self.topic_words if t != -1)


#: Below this many documents UMAP computes exact neighbours; we then hand it a BLAS-computed
#: cosine distance matrix (UMAP's own exact path calls a Python-level metric n^2/2 times).
EXACT_NEIGHBOURS_BELOW = 4096


class CosineUMAP:
    """Seeded UMAP on cosine distances, exposing ``fit_transform`` as BERTopic expects."""

    def __init__(self, *, n_neighbors: int, n_components: int, min_dist: float, metric: str,
                 n_epochs: int | None, random_state: int) -> None:
        self.params = {"n_neighbors": n_neighbors, "n_components": n_components,
                       "min_dist": min_dist, "n_epochs": n_epochs, "random_state": random_state,
                       "n_jobs": 1, "low_memory": False}
        self.metric = metric
        self.umap_: Any = None

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        from umap import UMAP

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*")
            warnings.filterwarnings("ignore", message=".*using precomputed metric.*")
            if self.metric == "cosine" and len(X) < EXACT_NEIGHBOURS_BELOW:
                from sklearn.metrics.pairwise import cosine_distances

                dist = np.clip(cosine_distances(np.asarray(X, dtype=np.float64)), 0.0, None)
                np.fill_diagonal(dist, 0.0)
                self.umap_ = UMAP(metric="precomputed", **self.params).fit(dist)
            else:
                self.umap_ = UMAP(metric=self.metric, **self.params).fit(X)
        return np.asarray(self.umap_.embedding_)

    def fit(self, X: np.ndarray, y: Any = None) -> CosineUMAP:
        self.fit_transform(X, y)
        return self


def _umap(settings: dict[str, Any], n: int, seed: int) -> CosineUMAP:
    u = settings["umap"]
    return CosineUMAP(
        n_neighbors=max(2, min(int(u["n_neighbors"]), n - 1)),
        n_components=max(2, min(int(u["n_components"]), n - 2)),
        min_dist=float(u["min_dist"]),
        metric=u["metric"],
        n_epochs=u.get("n_epochs"),
        random_state=seed,
    )


def _clusterer(settings: dict[str, Any], n: int, seed: int) -> tuple[str, Any, str]:
    """(name, estimator, note). KMeans below ``kmeans_below`` segments, else HDBSCAN."""
    n_topics = settings["n_topics"]
    if n < int(settings["kmeans_below"]):
        from sklearn.cluster import KMeans

        k = auto_kmeans_k(n) if n_topics == "auto" else int(n_topics)
        k = max(2, min(k, n // 2))
        note = (f"{n} segments is below topics.kmeans_below={settings['kmeans_below']}: "
                f"KMeans with k={k} after UMAP")
        return "kmeans", KMeans(n_clusters=k, n_init=10, random_state=seed), note
    from hdbscan import HDBSCAN

    h = settings["hdbscan"]
    return "hdbscan", HDBSCAN(
        min_cluster_size=int(h["min_cluster_size"]),
        min_samples=h.get("min_samples"),
        metric="euclidean",
        cluster_selection_method=h["cluster_selection_method"],
        prediction_data=False,
    ), "HDBSCAN after UMAP"


def _topic_words(model: Any, top_n: int) -> dict[int, list[str]]:
    words: dict[int, list[str]] = {}
    for topic in sorted(model.get_topics()):
        pairs = model.get_topic(topic) or []
        words[int(topic)] = [w for w, score in pairs[:top_n] if w and score > 0]
    return words


def _centroids(embeddings: np.ndarray, topics: np.ndarray) -> np.ndarray:
    """Mean embedding per topic in sorted topic order (including -1 when present)."""
    return np.vstack([embeddings[topics == t].mean(axis=0) for t in np.unique(topics)])


def fit_topics(
    docs: list[str],
    embeddings: np.ndarray,
    settings: dict[str, Any],
    seed: int,
) -> TopicFit:
    """Fit BERTopic on ``docs`` with precomputed ``embeddings``; deterministic for a seed.

    The caller checks ``min_segments`` first; this function needs at least a handful of
    documents. Returns status ``all_outliers`` (no model) when HDBSCAN finds no topic at all.
    """
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    n = len(docs)
    if n != len(embeddings):
        raise ValueError(f"{n} documents but {len(embeddings)} embeddings")
    vectorizer = make_vectorizer(settings)
    ctfidf = ClassTfidfTransformer(**settings["ctfidf"])
    name, clusterer, note = _clusterer(settings, n, seed)
    top_n = int(settings["top_n_words"])
    model = BERTopic(
        language=None,  # None: BERTopic must not strip brackets before our preprocessor runs
        top_n_words=top_n,
        umap_model=_umap(settings, n, seed),
        hdbscan_model=clusterer,
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        calculate_probabilities=False,
        verbose=False,
    )
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        topics, _ = model.fit_transform(docs, embeddings=embeddings)
    topics_arr = np.asarray(topics, dtype=int)
    found = len(set(topics_arr.tolist()) - {-1})
    if found == 0:
        return TopicFit(
            status="all_outliers",
            message=f"{name} labelled all {n} segments as outliers: no topic could be formed "
                    "(try a smaller topics.hdbscan.min_cluster_size, or more segments)",
            clusterer=name, topics=topics_arr, initial_topics=topics_arr.copy(),
            probabilities=np.full(n, np.nan), assigned_by=["outlier"] * n,
            n_topics_found=0,
        )
    n_topics = settings["n_topics"]
    notes = [note]
    if name == "hdbscan" and n_topics != "auto":
        if found > int(n_topics):
            model.reduce_topics(docs, nr_topics=int(n_topics) + model._outliers)
            notes.append(f"{found} HDBSCAN topics merged to {n_topics}")
        elif found < int(n_topics):
            notes.append(f"HDBSCAN found {found} topics, fewer than the {n_topics} requested")
    initial = np.asarray(model.topics_, dtype=int)
    if name == "hdbscan" and model.probabilities_ is not None:
        probabilities = np.asarray(model.probabilities_, dtype=float).reshape(n)
        probabilities = np.where(initial == -1, np.nan, probabilities)
    else:
        probabilities = np.full(n, np.nan)
    assigned_by = [name if t != -1 else "outlier" for t in initial.tolist()]

    initial_words = _topic_words(model, top_n)
    final = initial.copy()
    strategy = settings["outliers"]["strategy"]
    if strategy != "none" and (initial == -1).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            new = model.reduce_outliers(
                docs, initial.tolist(), strategy=strategy,
                threshold=float(settings["outliers"]["threshold"]), embeddings=embeddings,
            )
            final = np.asarray(new, dtype=int)
            model.update_topics(docs, topics=final.tolist(), top_n_words=top_n,
                                vectorizer_model=vectorizer, ctfidf_model=ctfidf)
        for i, (before, after) in enumerate(zip(initial.tolist(), final.tolist(), strict=True)):
            if before == -1 and after != -1:
                assigned_by[i] = "outlier_reduction"
        notes.append(f"{int((initial == -1).sum())} outliers, {int((final == -1).sum())} left "
                     f"after reduce_outliers(strategy={strategy})")
    model.topic_embeddings_ = _centroids(np.asarray(embeddings, dtype=np.float64), final)
    return TopicFit(
        status="ok",
        message="; ".join(notes),
        clusterer=name,
        topics=final,
        initial_topics=initial,
        probabilities=probabilities,
        assigned_by=assigned_by,
        topic_words=_topic_words(model, top_n),
        initial_topic_words=initial_words,
        model=model,
        n_topics_found=found,
    )


def topic_label(topic: int, words: list[str], n_words: int = 4) -> str:
    """A readable label: ``3: waiting, lists, backlog, elective``; outliers say so."""
    if topic == -1:
        return "-1: outliers (no topic)"
    shown = ", ".join(words[:n_words]) if words else "(no distinctive words)"
    return f"{topic}: {shown}"

