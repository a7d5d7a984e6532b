"""Topic quality figures, computed as in the BERTopic paper (Grootendorst 2022, via OCTIS).

- NPMI: gensim ``CoherenceModel(coherence="c_npmi")`` over each topic's top-10 words, boolean
  sliding window of 10 tokens, the reference corpus being the modelled corpus itself
  (tokenised exactly as the topic words were), outlier topic -1 excluded; the mean over topics.
- Topic diversity: unique words in all topics' top-10 lists / total words listed
  (10 x number of topics when every topic has 10 words).
- Outlier share: segments left in topic -1.
- Stability: adjusted Rand index between the assignments of fits with different seeds
  (mean of the pairwise values).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np


def npmi(
    topic_words: Sequence[Sequence[str]],
    texts: Sequence[Sequence[str]],
    *,
    topn: int = 10,
    window_size: int = 10,
) -> tuple[float | None, list[float | None]]:
    """Mean and per-topic NPMI (gensim c_npmi). Topics with fewer than 2 known words get None.

    Words that never occur in ``texts`` are dropped from a topic (gensim cannot score them).
    """
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    dictionary = Dictionary(texts)
    known = dictionary.token2id
    cleaned = [[w for w in words[:topn] if w in known] for words in topic_words]
    scorable = [i for i, words in enumerate(cleaned) if len(words) >= 2]
    per_topic: list[float | None] = [None] * len(cleaned)
    if not scorable:
        return None, per_topic
    model = CoherenceModel(
        topics=[cleaned[i] for i in scorable],
        texts=[list(t) for t in texts],
        dictionary=dictionary,
        coherence="c_npmi",
        topn=topn,
        window_size=window_size,
        processes=1,
    )
    scores = model.get_coherence_per_topic()
    for i, score in zip(scorable, scores, strict=True):
        per_topic[i] = None if score is None or math.isnan(score) else float(score)
    valid = [s for s in per_topic if s is not None]
    return (float(np.mean(valid)) if valid else None), per_topic


def diversity(topic_words: Sequence[Sequence[str]], *, topn: int = 10) -> float | None:
    """Share of unique words among all topics' top-``topn`` words (1.0 = no word repeated)."""
    lists = [list(words[:topn]) for words in topic_words if words]
    total = sum(len(words) for words in lists)
    if total == 0:
        return None
    return len({w for words in lists for w in words}) / total


def outlier_share(topics: Sequence[int] | np.ndarray) -> float | None:
    """Share of documents in topic -1 (None for an empty corpus)."""
    arr = np.asarray(topics)
    if arr.size == 0:
        return None
    return float((arr == -1).mean())


def stability_ari(assignments: Sequence[Sequence[int]]) -> tuple[float | None, list[float]]:
    """Mean and list of pairwise adjusted Rand indices between runs (needs two or more runs)."""
    from sklearn.metrics import adjusted_rand_score

    pairs = [float(adjusted_rand_score(a, b)) for a, b in itertools.combinations(assignments, 2)]
    return (float(np.mean(pairs)) if pairs else None), pairs
