#!/usr/bin/env python
"""Agreement of the theme rules with the gold coding on a tuning half and a held-out half.

The gold-coded segments are split by document, deterministically: within each study the
documents that hold gold segments are sorted by name and every other one (the 1st, 3rd,
5th ...) goes to the tuning half, the rest to the held-out half. A document (one
transcript, one survey response) is never split between halves. Rule changes are decided
on the tuning half only; the held-out half is looked at once, at the end.

Usage (from the repository root):

    .venv/bin/python scripts/tune_split.py                        # both halves and all
    .venv/bin/python scripts/tune_split.py --half tuning --per-code
    .venv/bin/python scripts/tune_split.py --half tuning --errors barriers.funding_pressure
    .venv/bin/python scripts/tune_split.py --ingest               # raw text, not de-identified

Segments: the de-identified ``<processed_dir>/deid/segments.jsonl`` by default (what the
pipeline tags), ``--segments PATH`` for another JSONL, or ``--ingest`` to ingest the raw
corpus in memory (identifiable text: nothing is written unless ``--save-segments`` is
given, which refuses any folder outside /tmp). ``--errors CODE`` prints the disagreements
of one code with the gold rationale, and is only available for the tuning half.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

HALVES = ("tuning", "held-out", "all")


def _ingested_segments(config: dict[str, Any]) -> list[dict[str, Any]]:
    from qualsynth.ingest.document import ingest_corpus_segments

    return ingest_corpus_segments(config)


def _load_rationales(path: str) -> dict[tuple[str, str], str]:
    from qualsynth.themes.tables import read_csv

    out = {}
    for row in read_csv(path, ["segment_id", "code"]):
        out[(row["segment_id"].strip(), (row["code"] or "").strip())] = row.get("rationale") or ""
    return out


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _summary(name: str, result: dict[str, Any]) -> str:
    m = result["macro"]["frequent_codes"]
    lo, hi = m["kappa_ci"]
    ci = "" if lo is None else f" ({lo:.2f}-{hi:.2f})"
    below = result["targets"]["codes_below_recall_target"]
    low = [r["code"] for r in result["codes"]
           if r["gold_segments"] >= result["min_gold_segments"] and r["low_agreement"]]
    return (f"{name:9s} segments {result['n_segments']:3d}  codes>={result['min_gold_segments']}"
            f" {m['n_codes']:2d}  kappa {_fmt(m['kappa'])}{ci}  F1 {_fmt(m['f1'])}  "
            f"P {_fmt(m['precision'])}  R {_fmt(m['recall'])}  alpha {_fmt(m['alpha'])}  "
            f"recall<0.8: {len(below)}  kappa<{result['low_kappa_threshold']}: {len(low)}")


def _per_code_table(result: dict[str, Any]) -> str:
    lines = ["| code | gold | machine | precision | recall | F1 | kappa (95% CI) | alpha | |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in result["codes"]:
        if r["gold_segments"] < result["min_gold_segments"]:
            continue
        lo, hi = r["kappa_ci"]
        ci = "" if lo is None else f" ({lo:.2f}-{hi:.2f})"
        notes = []
        if r["low_agreement"]:
            notes.append("low agreement")
        if r["meets_recall_target"] is False:
            notes.append("recall < 0.8")
        lines.append(f"| `{r['code']}` | {r['gold_segments']} | {r['predicted_segments']} | "
                     f"{_fmt(r['precision'])} | {_fmt(r['recall'])} | {_fmt(r['f1'])} | "
                     f"{_fmt(r['kappa'])}{ci} | {_fmt(r['alpha'])} | {'; '.join(notes)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "config/config.yaml"))
    parser.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--segments", help="segments JSONL (default: de-identified segments)")
    source.add_argument("--ingest", action="store_true",
                        help="ingest the raw corpus in memory instead (identifiable text)")
    parser.add_argument("--save-segments", help="with --ingest: keep the ingested segments "
                        "as JSONL (must be under /tmp)")
    parser.add_argument("--gold-codes")
    parser.add_argument("--gold-segments")
    parser.add_argument("--half", action="append", choices=HALVES,
                        help="half to report (repeatable; default: all three)")
    parser.add_argument("--iterations", type=int, help="bootstrap iterations "
                        "(default from config; 0 for no intervals)")
    parser.add_argument("--per-code", action="store_true", help="print the per-code table")
    parser.add_argument("--errors", metavar="CODE",
                        help="disagreements of CODE (rolled up) in the one --half given")
    parser.add_argument("--json", help="write {half: evaluation} to this file")
    args = parser.parse_args()

    from qualsynth.config import load_config
    from qualsynth.themes.cli import _settings
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine
    from qualsynth.themes.evaluate import evaluate, load_gold, split_by_document
    from qualsynth.themes.matrices import segment_codes
    from qualsynth.themes.tables import load_segments

    config = load_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    if args.ingest:
        segments = _ingested_segments(config)
        if args.save_segments:
            out = Path(args.save_segments).resolve()
            if not str(out).startswith("/tmp/"):
                parser.error("--save-segments: identifiable text may only be kept under /tmp")
            import os

            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for seg in segments:
                    handle.write(json.dumps(seg, ensure_ascii=False) + "\n")
    else:
        path = args.segments or str(Path(config.get("processed_dir", "data/processed"))
                                    / "deid" / "segments.jsonl")
        segments = load_segments(path)
    by_id = {s["segment_id"]: s for s in segments}
    gold_codes = args.gold_codes or settings["gold_codes"]
    gold_segments = args.gold_segments or settings["gold_segments"]
    coded, gold = load_gold(gold_codes, gold_segments, codebook, set(by_id))
    half_of = split_by_document(coded, by_id)

    halves = args.half or list(HALVES)
    if args.errors:
        if len(halves) != 1:
            parser.error("--errors: give exactly one --half")
        if args.errors not in codebook.by_id:
            parser.error(f"unknown code {args.errors!r}")

    engine = Engine(codebook, settings["scope"], settings["cooccurrence_window"])
    wanted = [by_id[sid] for sid in coded]
    codings = list(engine.tag_units(wanted))
    predicted = segment_codes(codebook, codings)
    iterations = (args.iterations if args.iterations is not None
                  else settings["bootstrap_iterations"])
    results = {}
    print(f"codebook {codebook.version} ({codebook.hash[:12]}), {len(coded)} gold segments, "
          f"split by document: tuning {sum(h == 'tuning' for h in half_of.values())}, "
          f"held-out {sum(h == 'held-out' for h in half_of.values())}")
    for half in halves:
        ids = [sid for sid in coded if half == "all" or half_of[sid] == half]
        result = evaluate(codebook, ids, {sid: gold[sid] for sid in ids}, predicted,
                          iterations=iterations, seed=settings["bootstrap_seed"],
                          low_kappa=settings["low_kappa_threshold"],
                          min_gold=settings["min_gold_segments"])
        result["half"] = half
        results[half] = result
        print(_summary(half, result))
        if args.per_code:
            print(_per_code_table(result))
            below = result["targets"]["codes_below_recall_target"]
            print(f"below recall target ({len(below)}): {', '.join(below) or 'none'}\n")

    if args.errors:
        code = args.errors
        rationales = _load_rationales(gold_codes)
        evidence: dict[str, list[str]] = defaultdict(list)
        for c in codings:
            if c.code == code or code in codebook.ancestors(c.code):
                evidence[c.segment_id].append(f"{c.code} [{c.evidence}] {c.sentence}")
        for sid in coded:
            if halves[0] != "all" and half_of[sid] != halves[0]:
                continue
            g = code in codebook.with_ancestors(gold[sid])
            p = code in predicted.get(sid, {})
            if g == p:
                continue
            print(f"\n{'MISSED' if g else 'EXTRA'} {sid}")
            if g:
                for gc in sorted(gold[sid]):
                    if gc == code or code in codebook.ancestors(gc):
                        print(f"  gold {gc}: {rationales.get((sid, gc), '')}")
                print("  text: " + by_id[sid]["text"])
            else:
                print(f"  gold codes: {', '.join(sorted(gold[sid])) or '(none)'}")
                for line in evidence[sid]:
                    print("  rule: " + line)
    if args.json:
        from qualsynth.io import write_json

        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
