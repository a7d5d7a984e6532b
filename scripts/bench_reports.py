"""Benchmark the report stage: render every report twice, time it, check byte identity.

Run from a project root whose ``data/processed/`` holds a finished pipeline run (for
example a copy of the repository after ``make report``)::

    .venv/bin/python scripts/bench_reports.py --root /tmp/qs-copy \
        --config .qualsynth/effective_config.yaml

Prints one line per report (seconds for each render, size, identical or not) and a total.
Rendering executes the real notebooks with papermill in the project kernel, exactly as the
Snakemake rules do; the HTML goes to a temporary folder, never to ``reports/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="project root with data/processed/")
    parser.add_argument("--config", default="config/config.yaml",
                        help="config path relative to --root")
    parser.add_argument("--repeats", type=int, default=2, help="renders per report (>= 2)")
    args = parser.parse_args(argv)

    from qualsynth.config import load_config
    from qualsynth.report.data import reported_studies
    from qualsynth.report.render import render_notebook

    root = Path(args.root).resolve()
    os.chdir(root)
    config = load_config(args.config)
    jobs = [(s["id"], "study_report.ipynb", {"study": s["id"]})
            for s in reported_studies(config)]
    jobs += [(name, f"{name}.ipynb", {}) for name in ("synthesis", "deid_audit",
                                                       "coding_evaluation")]
    total = 0.0
    all_identical = True
    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
        for name, notebook, params in jobs:
            times, pages = [], []
            for i in range(max(2, args.repeats)):
                out = Path(tmp) / f"{name}.{i}.html"
                start = time.perf_counter()
                render_notebook(REPO / "notebooks" / notebook, out,
                                {"config_path": args.config, **params},
                                synthetic=bool(config["project"]["synthetic"]), cwd=root)
                times.append(time.perf_counter() - start)
                pages.append(out.read_bytes())
            identical = all(p == pages[0] for p in pages)
            all_identical &= identical
            total += sum(times)
            print(f"{name:20s} {' '.join(f'{t:5.1f}s' for t in times)}  "
                  f"{len(pages[0]) / 1e6:5.2f} MB  "
                  f"{'byte-identical' if identical else 'DIFFERENT'}", flush=True)
    print(f"total {total:.1f}s for {len(jobs)} reports x {max(2, args.repeats)} renders; "
          f"{'all byte-identical' if all_identical else 'SOME DIFFER'}")
    return 0 if all_identical else 1


if __name__ == "__main__":
    sys.exit(main())
