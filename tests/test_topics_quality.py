"""Topic quality figures on toy examples whose answers can be checked by hand."""

from __future__ import annotations

import math

import pytest
from qualsynth.topics import quality


def test_npmi_perfect_co_occurrence_is_one() -> None:
    # a and b always appear together (P(a)=P(b)=P(a,b)=1/2): NPMI = log 2 / -log(1/2) = 1.
    texts = [["a", "b"], ["a", "b"], ["c", "d"], ["c", "d"]]
    mean, per_topic = quality.npmi([["a", "b"], ["c", "d"]], texts)
    assert per_topic == pytest.approx([1.0, 1.0], abs=1e-6)
    assert mean == pytest.approx(1.0, abs=1e-6)


def test_npmi_never_together_is_near_minus_one() -> None:
    # P(a)=P(c)=1/2, P(a,c)=0; gensim smooths the joint with eps=1e-12:
    # log(eps / (1/4)) / -log(eps) = -0.9498 (it would be -1 without the smoothing).
    texts = [["a", "b"], ["a", "b"], ["c", "d"], ["c", "d"]]
    mean, _ = quality.npmi([["a", "c"]], texts)
    eps = 1e-12
    assert mean == pytest.approx(math.log(eps / 0.25) / -math.log(eps), abs=1e-6)


def test_npmi_partial_overlap_matches_the_formula() -> None:
    # Documents shorter than the window count as one window each.
    # P(a)=3/4, P(b)=3/4, P(a,b)=2/4 -> NPMI = log((1/2)/(9/16)) / -log(1/2) = log(8/9)/log 2.
    texts = [["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]
    mean, _ = quality.npmi([["a", "b"]], texts)
    assert mean == pytest.approx(math.log(8 / 9) / math.log(2), abs=1e-6)


def test_npmi_skips_unknown_words_and_too_short_topics() -> None:
    texts = [["a", "b"], ["a", "b"], ["c"], ["c"]]
    mean, per_topic = quality.npmi([["a", "b", "zzz"], ["a"]], texts)
    assert per_topic[0] == pytest.approx(1.0, abs=1e-6)
    assert per_topic[1] is None
    assert mean == pytest.approx(1.0, abs=1e-6)


def test_npmi_with_no_scorable_topic() -> None:
    assert quality.npmi([["x", "y"]], [["a", "b"]]) == (None, [None])


def test_diversity_counts_unique_words_over_all_listed() -> None:
    topics = [["a", "b", "c", "d"], ["a", "b", "e", "f"]]
    # 6 unique of 8 listed words.
    assert quality.diversity(topics, topn=4) == pytest.approx(6 / 8)
    assert quality.diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert quality.diversity([]) is None


def test_diversity_uses_only_the_top_n() -> None:
    topics = [["a", "b", "x"], ["c", "d", "x"]]
    assert quality.diversity(topics, topn=2) == 1.0
    assert quality.diversity(topics, topn=3) == pytest.approx(5 / 6)


def test_outlier_share() -> None:
    assert quality.outlier_share([-1, 0, 0, -1]) == 0.5
    assert quality.outlier_share([0, 1]) == 0.0
    assert quality.outlier_share([]) is None


def test_stability_ari_ignores_label_names_and_sees_disagreement() -> None:
    same, pairs = quality.stability_ari([[0, 0, 1, 1], [1, 1, 0, 0], [5, 5, 7, 7]])
    assert same == pytest.approx(1.0)
    assert len(pairs) == 3
    different, _ = quality.stability_ari([[0, 0, 1, 1], [0, 1, 0, 1]])
    assert different < 0.5
    assert quality.stability_ari([[0, 1]]) == (None, [])
