#!/usr/bin/env python
"""Benchmark qualsynth's de-identification against vanilla Presidio, side by side.

Both engines run in one process on the same machine, with the same spaCy model
(en_core_web_sm 3.8.0, loaded from the installed package path):

* **qualsynth**: ``qualsynth.deid.engine.Detector`` with the project's ``deid`` config
  (registers of the corpus, gazetteers, UK patterns, propagation, allow-list);
* **vanilla**: ``AnalyzerEngine`` with an explicit ``SpacyNlpEngine`` and Presidio's
  default recognizers and thresholds. The only change is that the email recognizer's
  tldextract uses its bundled suffix list instead of fetching one (no network).

Measured:

1. **Demo gold** (``<data_root>/<deid.gold_file>``): each engine runs over the raw text
   of every corpus file (``qualsynth.ingest.text.raw_text``); per label precision,
   recall and F2 exactly as ``qualsynth.deid.evaluate`` scores them (a gold span is found
   when a prediction of the same label overlaps it; in the survey export only the
   free-text cells are scored), overall (label-free) precision / recall / F2 and the
   share of gold identifier characters left uncovered. Vanilla labels are mapped to
   ours (PERSON, ORGANIZATION->ORGANISATION, LOCATION, EMAIL_ADDRESS->EMAIL,
   PHONE_NUMBER->PHONE, UK_NHS->NHS_NUMBER, DATE_TIME->DATE, URL, UK_NINO->NINO,
   UK_POSTCODE->POSTCODE, card / IBAN / IP / SSN / passport / licence numbers->OTHER_ID;
   anything else keeps its name and counts only in the overall score).
2. **Presidio's synthetic set** (``synth_dataset_v2.json`` of presidio-research, read in
   place): binary "is it PII" at span level, the global PII score of presidio-research's
   evaluator with overlap matching: every gold span of any type is one PII span; a gold
   span is found (recall) when any predicted span overlaps it by at least one
   character; a predicted span is correct (precision) when it overlaps any gold span;
   F2 = 5PR/(4P+R). Also reported: the same at character level (share of gold PII
   characters covered; share of predicted characters inside gold PII). Every sentence
   is an independent text: qualsynth runs without a register and without corpus
   propagation here, so nothing is carried from one test sentence to another, and with
   ``profile: generic`` (what ``detect-pii`` uses without a project config), because
   this set counts years, weekdays, ages and nationalities as PII while the pipeline's
   ``transcripts`` profile deliberately keeps them (the demo gold does not mark them).
3. **Throughput**: words per second (whitespace tokens of the raw text) over the whole
   demo corpus, detection only, model loading excluded and timed separately. The two
   engines alternate for ``--rounds`` rounds; the best round of each is reported, as
   wall-clock and as CPU time of this process (the machine may be shared).

Usage (from the repository root)::

    .venv/bin/python scripts/bench_deid.py [--config config/config.yaml]
        [--presidio ../shared/benchmarks/presidio_synth/synth_dataset_v2.json]
        [--rounds 2] [--json bench_deid.json]

Prints a markdown table (pasted into README.md, section "De-identification").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from qualsynth.config import load_config  # noqa: E402
from qualsynth.deid.evaluate import (  # noqa: E402
    Span,
    corpus_book,
    corpus_files,
    f_beta,
    load_gold,
    score,
    scored_ranges,
)
from qualsynth.deid.settings import settings_from_config  # noqa: E402
from qualsynth.ingest.text import raw_text  # noqa: E402

DEFAULT_PRESIDIO = REPO.parent / "shared" / "benchmarks" / "presidio_synth" / \
    "synth_dataset_v2.json"
VANILLA_LABELS = {
    "PERSON": "PERSON", "ORGANIZATION": "ORGANISATION", "LOCATION": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "UK_NHS": "NHS_NUMBER",
    "DATE_TIME": "DATE", "URL": "URL", "UK_NINO": "NINO", "UK_POSTCODE": "POSTCODE",
    "CREDIT_CARD": "OTHER_ID", "IBAN_CODE": "OTHER_ID", "IP_ADDRESS": "OTHER_ID",
    "US_SSN": "OTHER_ID", "US_PASSPORT": "OTHER_ID", "US_DRIVER_LICENSE": "OTHER_ID",
    "US_BANK_NUMBER": "OTHER_ID", "US_ITIN": "OTHER_ID", "UK_PASSPORT": "OTHER_ID",
    "UK_DRIVING_LICENCE": "OTHER_ID", "MEDICAL_LICENSE": "OTHER_ID", "CRYPTO": "OTHER_ID",
}


# ----------------------------------------------------------------------------- engines
def vanilla_engine():
    """Presidio's AnalyzerEngine with default recognizers over the same spaCy model."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    from qualsynth.deid.lexicon import model_path

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = types.SimpleNamespace(extract=offline)
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(model_path())}])
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def run_vanilla(engine, texts: list[str]) -> list[list[Span]]:
    out = []
    for text in texts:
        results = engine.analyze(text=text, language="en")
        out.append([Span(r.start, r.end, VANILLA_LABELS.get(r.entity_type, r.entity_type))
                    for r in results])
    return out


def run_qualsynth(detector, texts: list[str]) -> list[list[Span]]:
    return [[Span(d.start, d.end, d.label) for d in found] for found in detector.detect(texts)]


# ----------------------------------------------------------------------------- scoring
def restrict(texts, predictions, ranges):
    out = []
    for spans, rng in zip(predictions, ranges, strict=True):
        out.append(spans if rng is None else
                   [p for p in spans if any(s < p.end and p.start < e for s, e in rng)])
    return out


def presidio_scores(samples: list[dict], predictions: list[list[Span]]) -> dict[str, Any]:
    """Binary PII scores, span overlap and character level (see the module docstring)."""
    gold_n = found = pred_n = correct = 0
    gold_chars = covered = pred_chars = inside = 0
    for sample, pred in zip(samples, predictions, strict=True):
        gold = [(s["start_position"], s["end_position"]) for s in sample["spans"]]
        for gs, ge in gold:
            gold_n += 1
            found += any(p.start < ge and gs < p.end for p in pred)
        for p in pred:
            pred_n += 1
            correct += any(gs < p.end and p.start < ge for gs, ge in gold)
        gold_set = {i for gs, ge in gold for i in range(gs, ge)}
        pred_set = {i for p in pred for i in range(p.start, p.end)}
        gold_chars += len(gold_set)
        covered += len(gold_set & pred_set)
        pred_chars += len(pred_set)
        inside += len(pred_set & gold_set)

    def prf(c, p, f, g):
        precision = c / p if p else 0.0
        recall = f / g if g else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4),
                "f2": round(f_beta(precision, recall), 4)}

    return {"spans": {"gold": gold_n, "predicted": pred_n, **prf(correct, pred_n, found, gold_n)},
            "characters": prf(inside, pred_chars, covered, gold_chars)}


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    parser.add_argument("--presidio", default=str(DEFAULT_PRESIDIO))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write all numbers to this file")
    args = parser.parse_args(argv)

    from qualsynth.deid.engine import Detector

    config = load_config(args.config)
    settings = settings_from_config(config)
    gold = load_gold(Path(config["data_root"]) / settings.gold_file)
    files = corpus_files(config)
    texts = [raw_text(path) for _, path in files]
    words = sum(len(t.split()) for t in texts)
    surveys = {(s["id"], s["survey"]["file"]): s["survey"] for s in config["studies"]
               if s.get("survey")}
    ranges = [scored_ranges(t, surveys.get((s, p.name))) for (s, p), t in zip(files, texts,
                                                                                strict=True)]

    t0 = time.perf_counter()
    detector = Detector(settings, corpus_book(config))
    load_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    vanilla = vanilla_engine()
    load_vanilla = time.perf_counter() - t0

    timings: dict[str, list[tuple[float, float]]] = {"qualsynth": [], "vanilla": []}
    predictions: dict[str, list[list[Span]]] = {}
    for _ in range(max(1, args.rounds)):
        for name, run, engine in (("vanilla", run_vanilla, vanilla),
                                  ("qualsynth", run_qualsynth, detector)):
            wall, cpu = time.perf_counter(), time.process_time()
            predictions[name] = run(engine, texts)
            timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    demo: dict[str, Any] = {}
    for name, preds in predictions.items():
        preds = restrict(texts, preds, ranges)
        docs = [(s, p.name, t, gold.get((s, p.name), []), pr)
                for (s, p), t, pr in zip(files, texts, preds, strict=True)]
        demo[name] = score(docs)

    samples = json.loads(Path(args.presidio).read_text(encoding="utf-8"))
    sample_texts = [s["full_text"] for s in samples]
    from dataclasses import replace

    independent = Detector(replace(settings, propagate=False, profile="generic"), None)
    presidio = {"qualsynth": presidio_scores(samples, run_qualsynth(independent, sample_texts)),
                "vanilla": presidio_scores(samples, run_vanilla(vanilla, sample_texts))}

    speed = {}
    for name, runs in timings.items():
        wall = min(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        speed[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                       "words_per_s_wall": round(words / wall), "words_per_s_cpu": round(
                           words / cpu)}
    speed["load_s"] = {"qualsynth": round(load_ours, 2), "vanilla": round(load_vanilla, 2)}
    speed["speedup_wall"] = round(speed["vanilla"]["wall_s"] / speed["qualsynth"]["wall_s"], 2)
    speed["speedup_cpu"] = round(speed["vanilla"]["cpu_s"] / speed["qualsynth"]["cpu_s"], 2)

    result = {"demo_gold": demo, "presidio_synth": presidio, "throughput": speed,
              "corpus": {"files": len(files), "words": words}}
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
    return 0


def _fmt(x: Any) -> str:
    return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def markdown(result: dict[str, Any]) -> str:
    demo, presidio, speed = result["demo_gold"], result["presidio_synth"], result["throughput"]
    lines = [f"Demo gold ({result['corpus']['files']} files, {result['corpus']['words']} words): "
             "per label, a gold span is found when a prediction of the same label overlaps it.",
             "", "| label | gold | qualsynth P | qualsynth R | qualsynth F2 | vanilla P | "
             "vanilla R | vanilla F2 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    ours, theirs = demo["qualsynth"]["labels"], demo["vanilla"]["labels"]
    for label in sorted(set(ours) | {k for k in theirs if k in ours or theirs[k].get("gold")}):
        a, b = ours.get(label, {}), theirs.get(label, {})
        lines.append(f"| {label} | {a.get('gold', b.get('gold', 0))} | "
                     f"{_fmt(a.get('precision'))} | {_fmt(a.get('recall'))} | "
                     f"{_fmt(a.get('f2'))} | {_fmt(b.get('precision'))} | "
                     f"{_fmt(b.get('recall'))} | {_fmt(b.get('f2'))} |")
    for name in ("qualsynth", "vanilla"):
        o = demo[name]["overall"]
        res = demo[name]["residual_identifier_chars"]["share"]
        lines.append(f"| **overall, {name}** | {o['gold']} | P {_fmt(o['precision'])} | "
                     f"R {_fmt(o['recall'])} | F2 {_fmt(o['f2'])} | identifier characters "
                     f"left: {res:.2%} | | |")
    lines += ["", "Presidio synthetic set (binary is-it-PII, span overlap; characters):", "",
              "| engine | P (spans) | R (spans) | F2 (spans) | P (chars) | R (chars) | "
              "F2 (chars) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("qualsynth", "vanilla"):
        s, c = presidio[name]["spans"], presidio[name]["characters"]
        lines.append(f"| {name} | {_fmt(s['precision'])} | {_fmt(s['recall'])} | "
                     f"{_fmt(s['f2'])} | {_fmt(c['precision'])} | {_fmt(c['recall'])} | "
                     f"{_fmt(c['f2'])} |")
    lines += ["", "Throughput on the whole demo corpus (detection only, best of the rounds):",
              "", "| engine | wall s | words/s (wall) | CPU s | words/s (CPU) | load s |",
              "|---|---:|---:|---:|---:|---:|"]
    for name in ("qualsynth", "vanilla"):
        s = speed[name]
        lines.append(f"| {name} | {s['wall_s']} | {s['words_per_s_wall']} | {s['cpu_s']} | "
                     f"{s['words_per_s_cpu']} | {speed['load_s'][name]} |")
    lines.append(f"| **speed-up** | {speed['speedup_wall']}x | | {speed['speedup_cpu']}x | "
                 "| |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
