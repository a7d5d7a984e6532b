"""The topics stage end to end: read de-identified segments, fit once on all studies pooled,
measure quality and stability, write the tables, the quality figures, a report section and
the saved model.

Corpora that cannot be modelled (no input, fewer than ``topics.min_segments`` segments, or all
segments outliers) do not crash: every output is still written, with ``status`` saying why,
and the report section says so in words.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from qualsynth.errors import InputError
from qualsynth.io import write_json
from qualsynth.topics import model as topic_model
from qualsynth.topics import quality, tables
from qualsynth.topics.embeddings import make_embedder

STATUS_TEXT = {
    "ok": "Topics were modelled on all studies pooled.",
    "no_input": "No topic model: there are no de-identified segments to model.",
    "too_small": "No topic model: the corpus is too small to model.",
    "all_outliers": "No topic model: every segment was an outlier, so no topic was formed.",
}
REQUIRED_FIELDS = ("segment_id", "study", "text")
OUTPUT_FILES = ("topics.csv", "assignments.csv", "by_group.csv", "quality.json", "report.md")


def read_segments(path: str | Path, studies: list[str]) -> tuple[list[dict[str, Any]], bool]:
    """Read segments.jsonl; return (segments sorted by id, is_placeholder).

    Raises InputError (with the line) for invalid JSON, missing fields, unknown studies or
    duplicate segment ids. A file holding only the pipeline's placeholder row is reported
    as a placeholder, not an error.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "segments file not found; run the de-identification stage first")
    rows: list[dict[str, Any]] = []
    placeholder = False
    seen: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(path, f"not valid JSON: {exc.msg}", line=n) from None
            if not isinstance(row, dict):
                raise InputError(path, "each line must be a JSON object", line=n)
            if row.get("placeholder") is True:
                placeholder = True
                continue
            for key in REQUIRED_FIELDS:
                if not isinstance(row.get(key), str):
                    raise InputError(path, "missing or non-text field (every segment needs "
                                     "segment_id, study and text)", line=n, field=key)
            if row["study"] not in studies:
                raise InputError(path, f"unknown study {row['study']!r}; declared studies: "
                                 f"{', '.join(studies)}", line=n, field="study")
            if row["segment_id"] in seen:
                raise InputError(path, f"duplicate segment id {row['segment_id']!r}", line=n,
                                 field="segment_id")
            seen.add(row["segment_id"])
            rows.append(row)
    rows.sort(key=lambda r: r["segment_id"])
    return rows, placeholder and not rows


def _fit_seed(
    docs: list[str],
    settings: dict[str, Any],
    seed: int,
    base_dir: Path,
    config_path: str | Path,
    cache: dict[str, Any],
) -> tuple[topic_model.TopicFit, np.ndarray, dict[str, Any]]:
    """Embed (model2vec once; tfidf_svd per seed) and fit with one seed."""
    key = "model2vec" if settings["backend"] == "model2vec" else f"svd-{seed}"
    if key not in cache:
        embedder = make_embedder(settings, analyzer=topic_model.analyzer(settings), seed=seed,
                                 base_dir=base_dir, config_path=config_path)
        cache[key] = (embedder.embed(docs), embedder.describe())
    embeddings, described = cache[key]
    return topic_model.fit_topics(docs, embeddings, settings, seed), embeddings, described


def _study_summary(
    segments: list[dict[str, Any]], topics: np.ndarray | None, studies: list[str]
) -> dict[str, dict[str, Any]]:
    """Per declared study: segment count, outlier share and a status with a message."""
    summary: dict[str, dict[str, Any]] = {}
    for study in studies:
        idx = [i for i, s in enumerate(segments) if s["study"] == study]
        entry: dict[str, Any] = {"n_segments": len(idx)}
        if not idx:
            entry.update(status="empty", outlier_share=None, n_topics_present=0,
                         message="no de-identified participant segments for this study")
        elif topics is None:
            entry.update(status="not_modelled", outlier_share=None, n_topics_present=0,
                         message="the pooled corpus could not be modelled")
        else:
            own = topics[idx]
            share = quality.outlier_share(own)
            present = sorted(set(own.tolist()) - {-1})
            entry.update(outlier_share=share, n_topics_present=len(present))
            if not present:
                entry.update(status="all_outliers",
                             message="every segment of this study is an outlier: none of its "
                                     "segments fits a topic")
            else:
                entry.update(status="ok", message="")
        summary[study] = entry
    return summary


def _save_model(fit: topic_model.TopicFit, described: dict[str, Any], settings: dict[str, Any],
                model_dir: Path) -> None:
    """Save the BERTopic model (safetensors + JSON) into ``model_dir``, replacing it whole."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".model.", dir=model_dir.parent))
    try:
        target = tmp / "model"
        if fit.model is not None:
            pointer = (f"qualsynth:{described['backend']}:{described.get('model', '')}"
                       f":{described.get('model_sha256', '')}")
            fit.model.save(target, serialization="safetensors", save_ctfidf=True,
                           save_embedding_model=pointer)
        else:
            target.mkdir()
        note = {
            "status": fit.status if fit else "not_modelled",
            "embedding": described,
            "settings": settings,
            "note": "assignments are persisted in ../assignments.csv; this saved model has no "
                    "UMAP or clustering step, so reloading it does not reproduce them",
        }
        write_json(target / "qualsynth_model.json", note)
        if model_dir.exists():
            shutil.rmtree(model_dir)
        target.rename(model_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_empty_model(model_dir: Path, status: str, message: str) -> None:
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    write_json(model_dir / "qualsynth_model.json", {"status": status, "message": message})


def run_topics(
    segments_path: str | Path,
    config: dict[str, Any],
    out_dir: str | Path,
    *,
    base_dir: str | Path = ".",
    config_path: str | Path = "config/config.yaml",
) -> dict[str, Any]:
    """Run the stage; write every output into ``out_dir``; return the quality record."""
    out = Path(out_dir)
    base = Path(base_dir)
    settings = topic_model.resolve_settings(config.get("topics"))
    studies = [s["id"] for s in config["studies"]]
    segments, placeholder = read_segments(segments_path, studies)
    seed = int(settings["seed"])
    record: dict[str, Any] = {
        "backend": settings["backend"], "seed": seed,
        "stability_seeds": [int(s) for s in settings["stability_seeds"]],
        "n_segments": len(segments), "n_topics_requested": settings["n_topics"],
        "min_segments": int(settings["min_segments"]),
        "kmeans_below": int(settings["kmeans_below"]),
        "n_topics": 0, "npmi": None, "npmi_per_topic": {}, "diversity": None,
        "outlier_share": None, "outlier_share_before_reduction": None,
        "stability_ari": None, "stability_ari_pairs": [], "stability_n_topics": [],
        "clusterer": None, "embedding": None,
    }
    docs = [s["text"] for s in segments]
    fit: topic_model.TopicFit | None = None
    embeddings: np.ndarray | None = None
    if placeholder or not segments:
        status = "no_input"
        message = ("segments.jsonl holds only a placeholder: the de-identification stage has "
                   "not produced segments yet" if placeholder else "segments.jsonl is empty")
    elif len(segments) < record["min_segments"]:
        status = "too_small"
        message = (f"{len(segments)} segments is fewer than topics.min_segments="
                   f"{record['min_segments']}; too few to find recurring topics")
    else:
        cache: dict[str, Any] = {}
        fit, embeddings, described = _fit_seed(docs, settings, seed, base, config_path, cache)
        record.update(embedding=described, clusterer=fit.clusterer)
        status, message = fit.status, fit.message
        if fit.status == "ok":
            _fill_quality(record, fit, docs, settings)
            runs = []
            for s in record["stability_seeds"]:
                other = fit if s == seed else _fit_seed(docs, settings, s, base, config_path,
                                                        cache)[0]
                runs.append(other.topics)
                record["stability_n_topics"].append(len(other.real_topics))
            record["stability_ari"], record["stability_ari_pairs"] = \
                quality.stability_ari(runs)
        record["outlier_share"] = quality.outlier_share(fit.topics)
    record.update(status=status, message=message, summary=STATUS_TEXT[status])
    topics_arr = fit.topics if fit is not None and fit.status == "ok" else None
    record["studies"] = _study_summary(segments, topics_arr, studies)
    _write_outputs(out, record, segments, fit, embeddings, settings, studies)
    return record


def _fill_quality(record: dict[str, Any], fit: topic_model.TopicFit, docs: list[str],
                  settings: dict[str, Any]) -> None:
    analyze = topic_model.analyzer(settings)
    texts = [analyze(d) for d in docs]
    real = fit.real_topics
    words = [fit.topic_words[t] for t in real]
    mean, per_topic = quality.npmi(words, texts, topn=int(settings["top_n_words"]))
    record.update(
        n_topics=len(real),
        npmi=mean,
        npmi_per_topic={str(t): v for t, v in zip(real, per_topic, strict=True)},
        diversity=quality.diversity(words, topn=int(settings["top_n_words"])),
        outlier_share_before_reduction=quality.outlier_share(fit.initial_topics),
    )


def _write_outputs(
    out: Path,
    record: dict[str, Any],
    segments: list[dict[str, Any]],
    fit: topic_model.TopicFit | None,
    embeddings: np.ndarray | None,
    settings: dict[str, Any],
    studies: list[str],
) -> None:
    ok = fit is not None and fit.status == "ok"
    topic_rows: list[dict[str, Any]] = []
    assignment_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    if fit is not None and len(segments):
        # Assignments are written whenever a fit ran (all -1 when every segment is an outlier).
        assignment_rows = tables.assignment_rows(segments, fit.topics, fit.probabilities,
                                                 fit.assigned_by)
    if ok:
        assert fit is not None and embeddings is not None
        labels = {t: topic_model.topic_label(t, fit.topic_words.get(t, []))
                  for t in set(fit.topics.tolist())}
        reps = tables.representative_segments([s["segment_id"] for s in segments], embeddings,
                                              fit.topics, int(settings["representative_segments"]))
        topic_rows = tables.topic_rows(fit.topics, fit.topic_words, labels, reps)
        group_rows = tables.by_group_rows(segments, fit.topics, settings["group_by"], studies)
    tables.write_csv(out / "topics.csv", tables.TOPIC_COLUMNS, topic_rows)
    tables.write_csv(out / "assignments.csv", tables.ASSIGNMENT_COLUMNS, assignment_rows)
    tables.write_csv(out / "by_group.csv", tables.BY_GROUP_COLUMNS, group_rows)
    write_json(out / "quality.json", record)
    from qualsynth.topics.report import write_report

    write_report(out / "report.md", record, topic_rows)
    if ok:
        assert fit is not None
        _save_model(fit, record["embedding"], settings, out / "model")
    else:
        _write_empty_model(out / "model", record["status"], record["message"])
