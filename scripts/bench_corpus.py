#!/usr/bin/env python
"""Benchmark the corpus generator: build-demo time and make-corpus throughput.

Usage (from the repository root):

    .venv/bin/python scripts/bench_corpus.py                  # demo + 100 and 500 interviews
    .venv/bin/python scripts/bench_corpus.py --sizes 1000

Writes into a temporary folder that is deleted afterwards. Reported per run: wall time,
interviews per second, files written, total size and gold spans. One process, one core.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def _size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500],
                        help="make-corpus sizes (interviews) to time")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from qualsynth.corpus.generate import build_demo
    from qualsynth.corpus.scale import make_corpus

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        start = time.perf_counter()
        demo = build_demo(out_dir=Path(tmp) / "demo", seed=2024)
        seconds = time.perf_counter() - start
        files, size = _size(Path(tmp) / "demo")
        results.append({"run": "build-demo", "interviews": len(demo.interviews),
                        "seconds": round(seconds, 2), "files": files, "mb": round(size / 1e6, 1),
                        "gold_spans": len(demo.gold)})
        for n in args.sizes:
            out = Path(tmp) / f"scaled-{n}"
            start = time.perf_counter()
            result = make_corpus(out, n, args.seed)
            seconds = time.perf_counter() - start
            files, size = _size(out)
            results.append({"run": f"make-corpus --interviews {n}", "interviews": n,
                            "seconds": round(seconds, 2),
                            "interviews_per_second": round(n / seconds, 1), "files": files,
                            "mb": round(size / 1e6, 1), "gold_spans": len(result.gold)})
    print(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                      "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
