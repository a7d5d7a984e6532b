#!/usr/bin/env python
"""Benchmark theme tagging: segments per second on the demo segments, then replicated.

Usage (from the repository root):

    .venv/bin/python scripts/bench_themes.py                       # demo + 40,000 segments
    .venv/bin/python scripts/bench_themes.py --segments PATH --target 10000
    .venv/bin/python scripts/bench_themes.py --patterns data/processed/themes/patterns.json

The replicated corpus copies the de-identified segments under new ids until it has
``--target`` segments (1,000 interviews are about 40,000 segments). Reported: codebook
compile time, tagging time (sentence split + rules, one process) and segments/second; with
``--patterns``, the same with the coding patterns applied after the rules (model loading
timed separately).
Timing only; no output files are written.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def _replicate(segments: list[dict], target: int) -> list[dict]:
    out = []
    copy = 0
    while len(out) < target:
        for seg in segments:
            if len(out) == target:
                break
            row = dict(seg)
            row["segment_id"] = f"{seg['segment_id']}#r{copy}"
            out.append(row)
        copy += 1
    return out


def _time_tagging(engine, segments: list[dict], patterns=None) -> tuple[float, int]:
    start = time.perf_counter()
    codings = list(engine.tag_units(segments))
    if patterns is not None:   # as the pipeline applies them: learned codes added, vetoes
        from qualsynth.themes.patterns import apply_patterns

        codings = apply_patterns(patterns, engine.codebook, segments, codings).codings
    return time.perf_counter() - start, len(codings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", default=str(REPO / "data/processed/deid/segments.jsonl"))
    parser.add_argument("--codebook", default=str(REPO / "config/codebook.yaml"))
    parser.add_argument("--target", type=int, default=40_000,
                        help="segments in the replicated corpus (0 to skip)")
    parser.add_argument("--patterns", help="coding-patterns model (patterns.json) to apply too")
    args = parser.parse_args()

    from qualsynth.ingest.segment import split_sentences
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine
    from qualsynth.themes.tables import load_segments

    segments = load_segments(args.segments)
    split_sentences("Warm up the sentencizer.")
    start = time.perf_counter()
    codebook = load_codebook(args.codebook)
    engine = Engine(codebook)
    compile_s = time.perf_counter() - start
    results = {"python": platform.python_version(), "machine": platform.machine(),
               "codebook_version": codebook.version, "rules": len(codebook.rules),
               "compile_seconds": round(compile_s, 3)}
    patterns = None
    if args.patterns:
        from qualsynth.themes.patterns import load_patterns

        start = time.perf_counter()
        patterns = load_patterns(args.patterns, codebook)
        results["patterns_load_seconds"] = round(time.perf_counter() - start, 3)
    elapsed, n = _time_tagging(engine, segments, patterns)
    results["demo"] = {"segments": len(segments), "codings": n, "seconds": round(elapsed, 2),
                       "segments_per_second": round(len(segments) / elapsed)}
    if args.target:
        big = _replicate(segments, args.target)
        elapsed, n = _time_tagging(Engine(codebook), big, patterns)
        results["replicated"] = {"segments": len(big), "codings": n,
                                 "seconds": round(elapsed, 1),
                                 "segments_per_second": round(len(big) / elapsed)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
