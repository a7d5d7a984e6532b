#!/usr/bin/env python
"""Benchmark the topic model on BBC News the way the BERTopic paper measured it.

Corpus: ``../shared/benchmarks/bbc_news/corpus.tsv`` (2,225 documents, OCTIS preprocessing),
read in place. For each back end (model2vec, tfidf_svd), each number of topics (10, 20, 30, 40,
50) and each of 3 seeds, the pipeline's own ``fit_topics`` is run with the repository's
``topics`` config (only ``n_topics``, ``seed`` and ``backend`` are overridden), and:

- NPMI: gensim ``c_npmi``, top 10 words, sliding window 10, reference corpus = the BBC corpus
  itself (its whitespace tokens), outlier topic -1 excluded; mean over topics;
- diversity: unique words in all topics' top 10 / (10 x number of topics);

are computed twice: on the topics as HDBSCAN found them (``paper``: the BERTopic paper did not
reassign outliers) and on the topics after our outlier reduction and ``update_topics``
(``pipeline``: what the pipeline reports). Times: embedding (per back end and seed) and topic
fit (UMAP + clustering + topic reduction + outlier reduction + c-TF-IDF), wall clock, after a
warm-up fit that absorbs numba's one-off compilation (reported separately).

Usage::

    .venv/bin/python scripts/bench_topics.py                    # full run (slow: 30 fits)
    .venv/bin/python scripts/bench_topics.py --topics 10 --seeds 0 --backends model2vec
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from qualsynth.config import load_config  # noqa: E402
from qualsynth.topics import model as topic_model  # noqa: E402
from qualsynth.topics import quality  # noqa: E402
from qualsynth.topics.embeddings import make_embedder  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "benchmarks" / "bbc_news" / "corpus.tsv"
TARGETS = {"model2vec": (0.165, 0.80), "tfidf_svd": (0.14, 0.83)}
FIT_TARGET_S = 15.0


def read_corpus(path: Path) -> list[str]:
    docs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            text = line.rstrip("\n").split("\t")[0]
            if text:
                docs.append(text)
    return docs


def run(args: argparse.Namespace) -> dict[str, Any]:
    docs = read_corpus(args.corpus)
    texts = [d.split() for d in docs]
    base = topic_model.resolve_settings(load_config(args.config)["topics"])
    if not Path(base["model2vec"]["path"]).is_absolute():
        base["model2vec"]["path"] = str(REPO / base["model2vec"]["path"])
    results: dict[str, Any] = {
        "corpus": str(args.corpus), "n_documents": len(docs), "topics": args.topics,
        "seeds": args.seeds, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_start": [round(x, 2) for x in os.getloadavg()], "runs": [],
    }
    # Warm-up: compiles numba kernels (UMAP) once; timed and reported separately.
    warm = dict(base, backend="tfidf_svd", n_topics="auto", kmeans_below=0)
    t0 = time.perf_counter()
    sub = docs[:400]
    emb = make_embedder(warm, analyzer=topic_model.analyzer(warm), seed=0).embed(sub)
    topic_model.fit_topics(sub, emb, warm, 0)
    results["warmup_s"] = round(time.perf_counter() - t0, 2)
    print(f"warm-up (numba compilation, 400 docs): {results['warmup_s']} s", flush=True)

    for backend in args.backends:
        for seed in args.seeds:
            settings = dict(base, backend=backend, seed=seed)
            t0 = time.perf_counter()
            embedder = make_embedder(settings, analyzer=topic_model.analyzer(settings), seed=seed,
                                     base_dir=REPO)
            embeddings = embedder.embed(docs)
            embed_s = time.perf_counter() - t0
            for k in args.topics:
                settings = dict(settings, n_topics=k)
                t0 = time.perf_counter()
                fit = topic_model.fit_topics(docs, embeddings, settings, seed)
                fit_s = time.perf_counter() - t0
                run_row: dict[str, Any] = {
                    "backend": backend, "seed": seed, "k": k, "status": fit.status,
                    "embed_s": round(embed_s, 2), "fit_s": round(fit_s, 2),
                    "hdbscan_topics": fit.n_topics_found,
                    "outlier_share_before": quality.outlier_share(fit.initial_topics),
                }
                for name, words_by_topic in (("paper", fit.initial_topic_words),
                                             ("pipeline", fit.topic_words)):
                    words = [w for t, w in sorted(words_by_topic.items()) if t != -1]
                    npmi, _ = quality.npmi(words, texts, topn=10, window_size=10)
                    run_row[f"{name}_n_topics"] = len(words)
                    run_row[f"{name}_npmi"] = npmi
                    run_row[f"{name}_diversity"] = quality.diversity(words, topn=10)
                results["runs"].append(run_row)
                print(f"{backend:9s} seed={seed} k={k:2d} topics={run_row['paper_n_topics']:2d} "
                      f"paper NPMI={run_row['paper_npmi']:.4f} div={run_row['paper_diversity']:.3f}"
                      f" | pipeline NPMI={run_row['pipeline_npmi']:.4f} "
                      f"div={run_row['pipeline_diversity']:.3f} | embed {embed_s:.1f}s "
                      f"fit {fit_s:.1f}s", flush=True)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def summarise(results: dict[str, Any]) -> str:
    """Markdown tables: per back end averages, then per number of topics."""
    lines = [
        "| back end | protocol | NPMI | diversity | target NPMI / div | met | embed s "
        "| fit s (median / max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    backends = sorted({r["backend"] for r in results["runs"]},
                      key=lambda b: list(TARGETS).index(b) if b in TARGETS else 9)
    for backend in backends:
        runs = [r for r in results["runs"] if r["backend"] == backend and r["status"] == "ok"]
        if not runs:
            continue
        npmi_t, div_t = TARGETS.get(backend, (float("nan"), float("nan")))
        fits = [r["fit_s"] for r in runs]
        embeds = sorted({(r["seed"], r["embed_s"]) for r in runs})
        for protocol in ("paper", "pipeline"):
            npmi = statistics.mean(r[f"{protocol}_npmi"] for r in runs)
            div = statistics.mean(r[f"{protocol}_diversity"] for r in runs)
            met = "yes" if npmi >= npmi_t and div >= div_t else "no"
            lines.append(
                f"| {backend} | {protocol} | {npmi:.3f} | {div:.3f} | {npmi_t} / {div_t} | {met} "
                f"| {statistics.median(e for _, e in embeds):.1f} "
                f"| {statistics.median(fits):.1f} / {max(fits):.1f} |")
    lines += ["", "| back end | k | topics found (mean) | paper NPMI | paper div | "
              "pipeline NPMI | pipeline div | fit s (mean) |", "|---|---|---|---|---|---|---|---|"]
    for backend in backends:
        for k in results["topics"]:
            runs = [r for r in results["runs"] if r["backend"] == backend and r["k"] == k
                    and r["status"] == "ok"]
            if not runs:
                continue
            lines.append(
                f"| {backend} | {k} | {statistics.mean(r['paper_n_topics'] for r in runs):.1f} "
                f"| {statistics.mean(r['paper_npmi'] for r in runs):.3f} "
                f"| {statistics.mean(r['paper_diversity'] for r in runs):.3f} "
                f"| {statistics.mean(r['pipeline_npmi'] for r in runs):.3f} "
                f"| {statistics.mean(r['pipeline_diversity'] for r in runs):.3f} "
                f"| {statistics.mean(r['fit_s'] for r in runs):.1f} |")
    slow = [r for r in results["runs"] if r["fit_s"] + r["embed_s"] > FIT_TARGET_S]
    lines += ["", f"Runs: {len(results['runs'])}; warm-up (numba compilation) "
              f"{results['warmup_s']} s; runs over {FIT_TARGET_S:.0f} s (embed + fit): "
              f"{len(slow)}; load average start {results['load_average_start']}, end "
              f"{results['load_average_end']} on {results['machine']}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--backends", nargs="+", default=["model2vec", "tfidf_svd"],
                        choices=["model2vec", "tfidf_svd"])
    parser.add_argument("--topics", nargs="+", type=int, default=[10, 20, 30, 40, 50])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--json", type=Path, help="also write every run to this JSON file")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"error: {args.corpus}: BBC News corpus not found (expected the shared "
              "benchmarks folder beside the repository)", file=sys.stderr)
        return 2
    results = run(args)
    print()
    print(summarise(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
