"""Split participant text into sentences and then into segments of about 60-180 words."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split_sentences(text: str) -> list[str]:
    """Rule-based sentence split (spaCy's sentencizer); deterministic and model-free."""
    text = " ".join(text.split())
    if not text:
        return []
    return [s.text.strip() for s in _sentencizer()(text).sents if s.text.strip()]


def word_count(text: str) -> int:
    return len(text.split())


def segment_sentences(sentences: list[str], min_words: int = 60, max_words: int = 180) -> list[str]:
    """Greedy packing of whole sentences into segments.

    A segment closes once it has ``min_words`` words, or before a sentence that would push
    it past ``max_words``. A short remainder joins the previous segment when that keeps it
    within ``max_words``. A single sentence longer than ``max_words`` stays whole: segments
    never cut a sentence.
    """
    segments: list[list[str]] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        n = word_count(sentence)
        if current and count + n > max_words:
            segments.append(current)
            current, count = [], 0
        current.append(sentence)
        count += n
        if count >= min_words:
            segments.append(current)
            current, count = [], 0
    if current:
        tail = sum(word_count(s) for s in current)
        if segments and tail < min_words and \
                sum(word_count(s) for s in segments[-1]) + tail <= max_words:
            segments[-1].extend(current)
        else:
            segments.append(current)
    return [" ".join(seg) for seg in segments]
