"""Agreement statistics against known values, bootstrap intervals and the evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from qualsynth.themes.agreement import (
    Counts,
    bootstrap,
    krippendorff_alpha_package,
    statistics,
)
from qualsynth.themes.codebook import parse_codebook
from qualsynth.themes.evaluate import evaluate, split_by_document
from qualsynth.themes.matrices import SegmentCode
from themes_fixtures import small_codebook


def test_nvivo_worked_example() -> None:
    """NVivo's coding comparison example: 1,000 characters, 50 coded by both, 50 by one
    only, 100 by the other only, 800 by neither: agreement 0.85, kappa 0.318."""
    s = statistics(Counts(both=50, gold_only=50, pred_only=100, neither=800))
    assert s["agreement"] == pytest.approx(0.85)
    assert round(s["kappa"], 3) == 0.318
    # symmetric in the two coders
    t = statistics(Counts(both=50, gold_only=100, pred_only=50, neither=800))
    assert t["kappa"] == pytest.approx(s["kappa"])


def test_krippendorff_known_value() -> None:
    """Krippendorff's binary two-observer example (Computing Krippendorff's alpha-
    reliability, 2011, section A): alpha = 0.095."""
    a = np.array([0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    b = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    closed = statistics(Counts.from_vectors(a, b))["alpha"]
    assert round(closed, 3) == 0.095
    assert closed == pytest.approx(krippendorff_alpha_package(a, b))


def test_closed_form_alpha_matches_package_on_random_data() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        g = rng.random(200) < 0.2
        p = g ^ (rng.random(200) < 0.1)
        assert statistics(Counts.from_vectors(g, p))["alpha"] == pytest.approx(
            krippendorff_alpha_package(g, p))


def test_precision_recall_f1_and_undefined_values() -> None:
    s = statistics(Counts(both=8, gold_only=2, pred_only=2, neither=88))
    assert s["precision"] == pytest.approx(0.8) and s["recall"] == pytest.approx(0.8)
    assert s["f1"] == pytest.approx(0.8)
    never_fires = statistics(Counts(both=0, gold_only=5, pred_only=0, neither=95))
    assert never_fires["precision"] == 0.0 and never_fires["recall"] == 0.0
    assert math.isnan(never_fires["kappa"]) is False and never_fires["kappa"] == 0.0
    nobody = statistics(Counts(both=0, gold_only=0, pred_only=0, neither=50))
    assert all(math.isnan(nobody[k]) for k in ("precision", "recall", "kappa", "alpha"))
    perfect = statistics(Counts(both=5, gold_only=0, pred_only=0, neither=45))
    assert perfect["kappa"] == pytest.approx(1.0) and perfect["alpha"] == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(11)
    g = rng.random((400, 3)) < 0.3
    p = g ^ (rng.random((400, 3)) < 0.1)
    masks = {"all": np.ones(3, dtype=bool)}
    one = bootstrap(g, p, 300, 42, masks)
    two = bootstrap(g, p, 300, 42, masks)
    other = bootstrap(g, p, 300, 43, masks)
    assert np.array_equal(one["codes"]["kappa"], two["codes"]["kappa"])
    assert not np.array_equal(one["codes"]["kappa"], other["codes"]["kappa"])
    for j in range(3):
        point = statistics(Counts.from_vectors(g[:, j], p[:, j]))["kappa"]
        lo, hi = one["codes"]["kappa"][j]
        assert lo < point < hi and hi - lo < 0.3
    lo, hi = one["macro"]["all"]["f1"]
    assert lo < hi


def test_evaluate_rolls_up_and_flags_low_agreement() -> None:
    cb = parse_codebook(yaml.safe_dump(small_codebook()))
    segs = [f"s/d/t{i:03d}/s01" for i in range(40)]
    gold = {sid: set() for sid in segs}
    predicted: dict[str, dict[str, SegmentCode]] = {}
    for i, sid in enumerate(segs):
        if i < 12:
            gold[sid].add("workforce.recruitment")
        if i < 11:  # machine finds 11 of 12 recruitment segments
            predicted.setdefault(sid, {})["workforce.recruitment"] = SegmentCode(
                sid, "workforce.recruitment", True, 1, ("r",))
            predicted[sid]["workforce"] = SegmentCode(sid, "workforce", False, 1, ("r",))
        if 20 <= i < 23:
            gold[sid].add("primary_care")
        if 30 <= i < 36:  # machine codes primary care in the wrong places
            predicted.setdefault(sid, {})["primary_care"] = SegmentCode(
                sid, "primary_care", True, 1, ("r",))
    result = evaluate(cb, segs, gold, predicted, iterations=200, seed=1, low_kappa=0.41,
                      min_gold=10)
    rows = {r["code"]: r for r in result["codes"]}
    # gold recruitment rolls up to workforce on the gold side too
    assert rows["workforce"]["gold_segments"] == 12
    assert rows["workforce.recruitment"]["recall"] == pytest.approx(11 / 12, abs=1e-4)
    assert rows["workforce.recruitment"]["meets_recall_target"] is True
    assert rows["primary_care"]["low_agreement"] is True
    assert "low agreement" in rows["primary_care"]["warning"]
    assert rows["primary_care"]["meets_recall_target"] is None  # fewer than 10 gold
    assert rows["waits"]["gold_segments"] == 0 and rows["waits"]["kappa"] is None
    assert result["macro"]["frequent_codes"]["n_codes"] == 2
    assert result["targets"]["macro_kappa_met"] is True
    assert result["codebook_hash"] == cb.hash


def test_evaluate_rolls_up_machine_children_itself() -> None:
    """Both sides roll up the same way even when the machine codes come without parents."""
    cb = parse_codebook(yaml.safe_dump(small_codebook()))
    segs = [f"s/d/t{i:03d}/s01" for i in range(20)]
    gold = {sid: ({"workforce.recruitment"} if i < 10 else set()) for i, sid in enumerate(segs)}
    # child only, no parent entry: evaluate() must add the parent as for the gold side
    predicted = {sid: {"workforce.recruitment": SegmentCode(sid, "workforce.recruitment", True,
                                                            1, ("r",))}
                 for sid in segs[:10]}
    rows = {r["code"]: r for r in evaluate(cb, segs, gold, predicted, iterations=0, seed=1,
                                           low_kappa=0.41, min_gold=10)["codes"]}
    assert rows["workforce"]["gold_segments"] == 10
    assert rows["workforce"]["predicted_segments"] == 10
    assert rows["workforce"]["kappa"] == pytest.approx(1.0)


def test_split_by_document_is_deterministic_and_keeps_documents_whole() -> None:
    segments = {}
    for study, docs in (("a", ["d3", "d1", "d2"]), ("b", ["x2", "x1"])):
        for doc in docs:
            for k in range(2):
                sid = f"{study}/{doc}/t00{k}/s01"
                segments[sid] = {"segment_id": sid, "study": study, "document": doc}
    coded = sorted(segments)
    half = split_by_document(coded, segments)
    assert half == split_by_document(list(reversed(coded)), segments)
    by_doc: dict[tuple[str, str], set[str]] = {}
    for sid, h in half.items():
        by_doc.setdefault((segments[sid]["study"], segments[sid]["document"]), set()).add(h)
    assert all(len(v) == 1 for v in by_doc.values())  # a document is never split
    # every other document per study, sorted by name, starting with the tuning half
    assert {k: v.pop() for k, v in by_doc.items()} == {
        ("a", "d1"): "tuning", ("a", "d2"): "held-out", ("a", "d3"): "tuning",
        ("b", "x1"): "tuning", ("b", "x2"): "held-out"}


def test_recall_below_target_is_told_apart_from_clearly_below() -> None:
    """A code below recall 0.8 whose interval reaches 0.8 is not 'clearly below'."""
    cb = parse_codebook(yaml.safe_dump(small_codebook()))
    segs = [f"s/d/t{i:03d}/s01" for i in range(80)]
    gold = {sid: set() for sid in segs}
    predicted: dict[str, dict[str, SegmentCode]] = {}
    for i, sid in enumerate(segs):
        if i < 12:   # recruitment: 9 of 12 found (0.75), interval reaches 0.8
            gold[sid].add("workforce.recruitment")
            if i < 9:
                predicted.setdefault(sid, {})["workforce.recruitment"] = SegmentCode(
                    sid, "workforce.recruitment", True, 1, ("r",))
        if 40 <= i < 70:   # primary care: 6 of 30 found (0.2), clearly below
            gold[sid].add("primary_care")
            if i < 46:
                predicted.setdefault(sid, {})["primary_care"] = SegmentCode(
                    sid, "primary_care", True, 1, ("r",))
    result = evaluate(cb, segs, gold, predicted, iterations=500, seed=3, low_kappa=0.41,
                      min_gold=10)
    targets = result["targets"]
    assert set(targets["codes_below_recall_target"]) >= {"workforce.recruitment",
                                                          "primary_care"}
    assert "primary_care" in targets["codes_clearly_below_recall_target"]
    assert "workforce.recruitment" not in targets["codes_clearly_below_recall_target"]
    no_intervals = evaluate(cb, segs, gold, predicted, iterations=0, seed=3, low_kappa=0.41,
                            min_gold=10)["targets"]
    assert no_intervals["codes_clearly_below_recall_target"] is None   # no intervals: unknown
