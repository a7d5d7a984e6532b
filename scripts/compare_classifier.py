#!/usr/bin/env python
"""Would a supervised word model code better than the rules? Leave one gold set out.

The coding patterns (``qualsynth.themes.patterns``, NVivo's "autocode using existing coding
patterns": for every code, a logistic regression over TF-IDF word and word-pair features,
class weights balanced, probability >= ``--threshold``), trained on the gold coding of
every set but one and scored on the one left out. The rules, and the rules and
the classifier combined as the pipeline combines them (learned codes added, rule codings
the patterns find unlikely set aside when `veto_below` > 0), are scored on the same set.

Sets: the demo gold (de-identified segments, as the pipeline tags them) and every
``data/evaluation/set*/`` (``texts.csv`` + ``codes.csv``). The classifier never sees the
set it is scored on; the rules may have been refined on it (the codebook's changelog and
``data/evaluation/README.md`` say which), so compare the two only on sets held out from
the codebook, and leave out (``--exclude``) sets made after the codebook, so that the
classifier learns from no more than the rules did.

Usage (from the repository root; about 15 s):

    .venv/bin/python scripts/compare_classifier.py
    git show 26119bb:config/codebook.yaml > /tmp/codebook-1.5.0.yaml
    .venv/bin/python scripts/compare_classifier.py --codebook /tmp/codebook-1.5.0.yaml \
        --exclude set4 set5       # set 3 is the row held out from 1.5.0
    .venv/bin/python scripts/compare_classifier.py --exclude set13 set14 set15 \
        --recall-target 0.8       # a threshold per code, chosen inside the training sets

Prints a Markdown table: per held-out set, macro kappa and recall over the codes with at
least ``themes.min_gold_segments`` gold segments in it, and how many of those codes have
recall below 0.8, for the rules, the classifier and the two together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

def set_number(folder: Path | str) -> int:
    """``set10`` -> 10 (sets sort by number, not as text); the demo gold is 0."""
    digits = "".join(ch for ch in Path(folder).name if ch.isdigit())
    return int(digits) if digits else 0


def load_sets(config: dict[str, Any], settings: dict[str, Any], codebook: Any,
              exclude: frozenset[str] = frozenset()
              ) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, set[str]]]:
    """(units, segment id -> set name, segment id -> gold codes) for the demo gold and every
    evaluation set not in ``exclude``."""
    from qualsynth.themes.evaluate import load_gold, load_holdout_texts
    from qualsynth.themes.tables import load_segments

    processed = Path(config.get("processed_dir", "data/processed"))
    segments = {s["segment_id"]: s for s in load_segments(processed / "deid" / "segments.jsonl")}
    coded, gold = load_gold(settings["gold_codes"], settings["gold_segments"], codebook,
                            set(segments))
    units = [segments[sid] for sid in coded]
    set_of = dict.fromkeys(coded, "demo")
    for folder in sorted((REPO / "data" / "evaluation").glob("set*"), key=set_number):
        if folder.name in exclude:
            continue
        texts = load_holdout_texts(folder / "texts.csv")
        ids, set_gold = load_gold(folder / "codes.csv", folder / "texts.csv", codebook,
                                  {u["segment_id"] for u in texts})
        units += texts
        gold.update(set_gold)
        set_of.update(dict.fromkeys(ids, folder.name))
    return units, set_of, gold


def fit_model(codebook: Any, train: list[str], text: dict[str, str],
              gold: dict[str, set[str]], options: dict[str, Any]) -> Any:
    """The coding patterns trained on ``train`` with ``options`` (threshold, embedder,
    embedding_weight, veto_below)."""
    from qualsynth.themes.patterns import fit_patterns

    return fit_patterns(codebook, [text[s] for s in train], [gold[s] for s in train],
                        **options)


def classifier_predictions(codebook: Any, train: list[str], test: list[str],
                           text: dict[str, str], gold: dict[str, set[str]],
                           rule_codings: dict[str, list[Any]], options: dict[str, Any],
                           thresholds: dict[str, float] | None = None, model: Any = None
                           ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(classifier alone, rules and classifier combined) codes, rolled up, for ``test``: the
    coding patterns trained on ``train`` (or ``model``, already trained), combined with the
    rules exactly as the pipeline does; ``thresholds`` gives codes their own threshold."""
    from qualsynth.themes.matrices import segment_codes
    from qualsynth.themes.patterns import apply_patterns

    model = model or fit_model(codebook, train, text, gold, options)
    units = [{"segment_id": s, "text": text[s]} for s in test]
    applied = apply_patterns(model, codebook, units,
                             [c for s in test for c in rule_codings.get(s, [])], thresholds)
    alone = segment_codes(codebook, applied.learned)
    combined = segment_codes(codebook, applied.codings)
    return ({s: set(alone.get(s, {})) for s in test},
            {s: set(combined.get(s, {})) for s in test})


def per_code_thresholds(codebook: Any, train: list[str], text: dict[str, str],
                        gold: dict[str, set[str]], rule_codings: dict[str, list[Any]],
                        options: dict[str, Any], target: float, seed: int, folds: int = 5,
                        min_gold: int = 8) -> dict[str, float]:
    """Per code, the highest threshold (0.15 up to ``options['threshold']`` in steps of
    0.025) at which the rules (after the veto) and the patterns together reach ``target``
    recall for that code on ``folds``-fold cross-validation inside ``train``; the lowest
    step when none does. Codes with fewer than ``min_gold`` training passages keep the
    single threshold."""
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(train, rng.permutation(len(train)) % folds, strict=True))
    probs: dict[str, dict[str, float]] = {}
    for f in range(folds):
        inner_train = [s for s in train if fold_of[s] != f]
        inner_test = [s for s in train if fold_of[s] == f]
        model = fit_model(codebook, inner_train, text, gold, options)
        p = model.probabilities([text[s] for s in inner_test])
        for i, s in enumerate(inner_test):
            probs[s] = dict(zip(model.codes, (float(v) for v in p[i]), strict=True))
    top, veto = float(options["threshold"]), float(options["veto_below"])
    grid = [round(v, 3) for v in np.arange(0.15, top + 1e-9, 0.025)][::-1]
    thresholds = {}
    for code in codebook.ids:
        coded = [s for s in train if code in codebook.with_ancestors(gold[s])]
        if len(coded) < min_gold or not any(code in probs[s] for s in coded):
            continue
        by_rules = [s for s in coded if code in codebook.with_ancestors(
            {c.code for c in rule_codings.get(s, [])
             if c.code not in probs[s] or probs[s][c.code] >= veto})]
        chosen = grid[-1]
        for t in grid:
            found = sum(1 for s in coded if s in by_rules or probs[s].get(code, 0.0) >= t)
            if found >= target * len(coded):
                chosen = t
                break
        thresholds[code] = chosen
    return thresholds


def combined_with_thresholds(codebook: Any, train: list[str], test: list[str],
                             text: dict[str, str], gold: dict[str, set[str]],
                             rule_codings: dict[str, list[Any]], options: dict[str, Any],
                             thresholds: dict[str, float], model: Any = None
                             ) -> dict[str, set[str]]:
    """Rules and patterns combined as the pipeline combines them, but each code in
    ``thresholds`` with its own threshold; rolled up, for ``test``."""
    return classifier_predictions(codebook, train, test, text, gold, rule_codings, options,
                                  thresholds, model)[1]


def summary_cells(result: dict[str, Any]) -> str:
    """Macro kappa, recall and codes below the recall target, as table cells."""
    macro = result["macro"]["frequent_codes"]
    below = len(result["targets"]["codes_below_recall_target"])
    return f"{macro['kappa']:.2f} | {macro['recall']:.2f} | {below} of {macro['n_codes']}"


def main(argv: list[str] | None = None) -> int:
    from qualsynth.config import load_config
    from qualsynth.themes.cli import _settings, pattern_embedder
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine
    from qualsynth.themes.evaluate import evaluate
    from qualsynth.themes.matrices import segment_codes

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    parser.add_argument("--codebook", help="codebook for the rules (default: the config's)")
    parser.add_argument("--seed", type=int, default=20240517)
    parser.add_argument("--threshold", type=float,
                        help="classifier probability at which a code is given "
                             "(default: themes.patterns.threshold, else 0.5)")
    parser.add_argument("--veto-below", type=float,
                        help="set a rule's coding aside below this probability, 0 = never "
                             "(default: themes.patterns.veto_below, else 0)")
    parser.add_argument("--embedding-weight", type=float,
                        help="weight of the sentence-embedding features, 0 = words only "
                             "(default: themes.patterns.embedding_weight, else 0)")
    parser.add_argument("--recall-target", type=float, metavar="R",
                        help="instead of one threshold, give each code the highest threshold "
                             "at which it reaches recall R on 5-fold cross-validation inside "
                             "the training sets (combined column; about 6x slower)")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="SET",
                        help="evaluation sets to leave out entirely, e.g. set4")
    parser.add_argument("--sizes", nargs="+", type=int, metavar="N",
                        help="with --learning-curve: training sample sizes (default: every "
                             "200 passages)")
    parser.add_argument("--draws", type=int, default=3,
                        help="with --learning-curve: random samples per size (default 3)")
    parser.add_argument("--learning-curve", metavar="SET", nargs="+",
                        help="instead: score each SET with classifiers trained on random "
                             "samples of growing size drawn from every other set (--draws each), "
                             "averaged over the sets")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    conf = settings.get("patterns") or {}
    threshold = args.threshold if args.threshold is not None else float(conf.get("threshold", 0.5))
    weight = args.embedding_weight if args.embedding_weight is not None \
        else float(conf.get("embedding_weight", 0.0))
    veto = args.veto_below if args.veto_below is not None \
        else float(conf.get("veto_below", 0.0))
    options = {"threshold": threshold, "embedding_weight": weight, "veto_below": veto,
               "embedder": pattern_embedder(config) if weight > 0 else None}
    units, set_of, gold = load_sets(config, settings, codebook, frozenset(args.exclude))
    text = {u["segment_id"]: u["text"] for u in units}
    engine = Engine(codebook, settings["scope"], settings["cooccurrence_window"])
    codings = list(engine.tag_units(units))
    rules = segment_codes(codebook, codings)
    rule_codings: dict[str, list[Any]] = {}
    for coding in codings:
        rule_codings.setdefault(coding.segment_id, []).append(coding)

    def score(test: list[str], predicted: dict[str, Any]) -> dict[str, Any]:
        return evaluate(codebook, test, {s: gold[s] for s in test}, predicted, iterations=0,
                        seed=args.seed, low_kappa=0.41, min_gold=settings["min_gold_segments"])

    if args.learning_curve:
        return learning_curve(args.learning_curve, set_of, rules, score, codebook, text, gold,
                              args.seed, rule_codings, options, args.sizes, args.draws)
    print(f"Rules: codebook {codebook.version}. Classifier: trained on every other set, "
          f"probability >= {threshold}, embedding weight {weight}, rule codings vetoed below "
          f"{veto}." + ("" if args.recall_target is None else
                        f" Combined: a threshold per code for recall {args.recall_target} on "
                        "cross-validation inside the training sets.") + "\n")
    print("| held-out set | passages | rules kappa | rules R | rules codes R < 0.8 "
          "| classifier kappa | classifier R | classifier codes R < 0.8 "
          "| combined kappa | combined R | combined codes R < 0.8 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in sorted(set(set_of.values()), key=lambda n: (n != "demo", set_number(n))):
        test = [s for s, n in set_of.items() if n == name]
        train = [s for s, n in set_of.items() if n != name]
        model = fit_model(codebook, train, text, gold, options)
        clf, combined = classifier_predictions(codebook, train, test, text, gold, rule_codings,
                                               options, model=model)
        if args.recall_target is not None:
            thresholds = per_code_thresholds(codebook, train, text, gold, rule_codings, options,
                                             args.recall_target, args.seed)
            combined = combined_with_thresholds(codebook, train, test, text, gold,
                                                rule_codings, options, thresholds, model)
        cells = [summary_cells(score(test, predicted)) for predicted in (rules, clf, combined)]
        print(f"| {name} | {len(test)} | " + " | ".join(cells) + " |")
    return 0


def learning_curve(held: list[str], set_of: dict[str, str], rules: Any, score: Any,
                   codebook: Any, text: dict[str, str], gold: dict[str, set[str]], seed: int,
                   rule_codings: dict[str, list[Any]], options: dict[str, Any],
                   sizes: list[int] | None = None, draws: int = 3) -> int:
    """Agreement on each set in ``held`` as the classifier's training sample, drawn from every
    other set, grows; means over the draws and then over the held sets."""
    missing = [h for h in held if h not in set(set_of.values())]
    if missing:
        raise SystemExit(f"--learning-curve: no set named {', '.join(map(repr, missing))}")
    folds = []
    for name in held:
        test = [s for s, n in set_of.items() if n == name]
        folds.append((name, test, sorted(s for s, n in set_of.items() if n != name)))
    smallest = min(len(pool) for _name, _test, pool in folds)
    steps = sorted(n for n in (sizes or range(200, smallest - 100, 200)) if n < smallest)
    print(f"Held-out set(s) {', '.join(held)}; rules: codebook {codebook.version}; "
          + "; ".join(f"{name}: {summary_cells(score(test, rules))}"
                      for name, test, _pool in folds) + " (macro kappa | recall | codes "
          "recall < 0.8).\n")
    print("| training passages | classifier kappa | combined kappa | combined codes R < 0.8 |")
    print("|---:|---:|---:|---:|")
    rng = np.random.default_rng(seed)
    for size in [*steps, None]:
        kappas, combined_kappas, below = [], [], []
        for _name, test, pool in folds:
            for _ in range(1 if size is None else draws):
                train = pool if size is None else sorted(
                    rng.choice(pool, size=size, replace=False).tolist())
                clf, combined = classifier_predictions(codebook, train, test, text, gold,
                                                       rule_codings, options)
                kappas.append(score(test, clf)["macro"]["frequent_codes"]["kappa"])
                r = score(test, combined)
                combined_kappas.append(r["macro"]["frequent_codes"]["kappa"])
                below.append(len(r["targets"]["codes_below_recall_target"]))
        label = size if size is not None else "all (" + "/".join(
            sorted({str(len(pool)) for _n, _t, pool in folds}, key=int)) + ")"
        print(f"| {label} | {np.mean(kappas):.2f} | {np.mean(combined_kappas):.2f} | "
              f"{np.mean(below):.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
