"""The topics stage end to end on invented corpora: determinism, pseudonyms, bad input."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from qualsynth.cli import main
from qualsynth.errors import InputError
from qualsynth.topics import model as topic_model
from qualsynth.topics.pipeline import OUTPUT_FILES, _study_summary, read_segments, run_topics
from test_topics_support import (
    MODEL_DIR,
    PSEUDONYMS,
    make_config,
    make_segments,
    write_config,
    write_segments,
)


def _run(tmp: Path, rows: list[dict], config: dict, name: str = "out") -> tuple[dict, Path]:
    segments = write_segments(tmp / f"{name}-segments.jsonl", rows)
    out = tmp / name
    return run_topics(segments, config, out), out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _topic_words(out: Path) -> list[str]:
    with open(out / "topics.csv", encoding="utf-8", newline="") as handle:
        return [w for row in csv.DictReader(handle) for w in row["top_words"].split("; ") if w]


def _pseudonym_only_words(rows: list[dict]) -> set[str]:
    """Words that occur inside pseudonym tokens and nowhere else in the corpus."""
    inside = {w.lower() for p in PSEUDONYMS for w in re.findall(r"[A-Za-z]+", p)}
    outside = set()
    for row in rows:
        bare = re.sub(r"\[[^\]]+\]", " ", row["text"])
        outside |= {w.lower() for w in re.findall(r"[A-Za-z]+", bare)}
    return inside - outside


@pytest.mark.slow  # six fits of 200 segments (and numba's first compilation)
def test_hdbscan_path_is_deterministic_and_free_of_pseudonyms(tmp_path: Path) -> None:
    rows = make_segments(n_per_theme=50)
    config = make_config(kmeans_below=50, hdbscan={"min_cluster_size": 8})
    first, out1 = _run(tmp_path, rows, config, "one")
    second, out2 = _run(tmp_path, list(reversed(rows)), config, "two")
    assert first["status"] == "ok", first["message"]
    assert first["clusterer"] == "hdbscan"
    assert first["n_topics"] >= 2
    snap1, snap2 = _snapshot(out1), _snapshot(out2)
    assert set(snap1) >= {*OUTPUT_FILES, "model/topic_embeddings.safetensors",
                          "model/ctfidf.safetensors", "model/topics.json"}
    assert snap1 == snap2  # input order does not matter; same input + config -> same bytes

    quality = json.loads(snap1["quality.json"])
    for key in ("npmi", "diversity", "outlier_share", "stability_ari"):
        assert quality[key] is not None, key
    assert len(quality["stability_ari_pairs"]) == 3
    assert 0 <= quality["outlier_share"] <= quality["outlier_share_before_reduction"] <= 1

    words = _topic_words(out1)
    assert words
    forbidden = _pseudonym_only_words(rows)
    assert {"email", "nhs", "trust"} <= forbidden  # the check below has teeth
    assert not forbidden & set(words)
    assert all(re.fullmatch(r"[a-z]{2,}", w) for w in words)

    assignments = (out1 / "assignments.csv").read_text(encoding="utf-8").splitlines()
    assert assignments[0] == "segment_id,study,topic,probability,assigned_by"
    assert len(assignments) == len(rows) + 1


def test_saved_model_reloads_with_the_same_topic_words(tmp_path: Path) -> None:
    from bertopic import BERTopic

    rows = make_segments(n_per_theme=30)
    record, out = _run(tmp_path, rows, make_config())
    assert record["status"] == "ok"
    assert record["clusterer"] == "kmeans"  # 120 segments < kmeans_below=300
    loaded = BERTopic.load(str(out / "model"))
    first_topic = (out / "topics.csv").read_text(encoding="utf-8").splitlines()[1]
    words = [w for w, _ in loaded.get_topic(0)]
    assert ";".join(words[:3]).replace(";", "; ") in first_topic
    note = json.loads((out / "model" / "qualsynth_model.json").read_text(encoding="utf-8"))
    assert "does not reproduce" in note["note"]


def test_tfidf_svd_backend_with_a_fixed_number_of_topics(tmp_path: Path) -> None:
    record, out = _run(tmp_path, make_segments(n_per_theme=20),
                       make_config(backend="tfidf_svd", tfidf_svd={"n_components": 20},
                                   n_topics=3))
    assert record["status"] == "ok"
    assert record["embedding"]["backend"] == "tfidf_svd"
    assert record["clusterer"] == "kmeans"
    assert record["n_topics"] == 3
    assert record["stability_n_topics"] == [3, 3, 3]
    assert (out / "topics.csv").read_text(encoding="utf-8").count("\n") == 4


def test_config_schema_checks_the_topics_block() -> None:
    from qualsynth.config import validate_config
    from qualsynth.errors import ConfigError

    config = make_config(backend="bert")
    with pytest.raises(ConfigError, match="topics.backend"):
        validate_config(config)
    config = make_config(n_topics=1)
    with pytest.raises(ConfigError, match="topics.n_topics"):
        validate_config(config)
    validate_config(make_config(n_topics=12))


def test_too_small_corpus_is_reported_not_crashed(tmp_path: Path) -> None:
    record, out = _run(tmp_path, make_segments(n_per_theme=2), make_config(min_segments=30))
    assert record["status"] == "too_small"
    assert "fewer than topics.min_segments=30" in record["message"]
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    assert "too small to model" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "topics.csv").read_text(encoding="utf-8").count("\n") == 1  # header only
    assert json.loads((out / "model" / "qualsynth_model.json").read_text())["status"] == \
        "too_small"


def test_empty_study_is_reported(tmp_path: Path) -> None:
    config = make_config(studies=("alpha", "beta", "gamma"))
    record, out = _run(tmp_path, make_segments(n_per_theme=15), config)
    assert record["status"] == "ok"
    assert record["studies"]["gamma"]["status"] == "empty"
    assert record["studies"]["alpha"]["status"] == "ok"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "gamma: 0 segments, status empty" in report
    assert "gamma," in (out / "by_group.csv").read_text(encoding="utf-8")


def test_all_outliers_is_reported(tmp_path: Path) -> None:
    config = make_config(kmeans_below=0, hdbscan={"min_cluster_size": 1000})
    record, out = _run(tmp_path, make_segments(n_per_theme=10), config)
    assert record["status"] == "all_outliers"
    assert record["outlier_share"] == 1.0
    assert "every segment was an outlier" in (out / "report.md").read_text(encoding="utf-8")
    assignments = (out / "assignments.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert assignments and all(",-1,," in line for line in assignments)
    assert all(s["status"] == "not_modelled" for s in record["studies"].values())


def test_study_with_only_outliers_gets_its_own_status() -> None:
    segments = [{"segment_id": f"s{i}", "study": s} for i, s in enumerate("aabb")]
    summary = _study_summary(segments, np.array([0, 1, -1, -1]), ["a", "b"])
    assert summary["a"]["status"] == "ok"
    assert summary["b"]["status"] == "all_outliers"
    assert summary["b"]["outlier_share"] == 1.0
    assert "outlier" in summary["b"]["message"]


def test_placeholder_input_is_no_input(tmp_path: Path) -> None:
    path = tmp_path / "segments.jsonl"
    path.write_text('{"placeholder": true, "message": "not built"}\n', encoding="utf-8")
    record = run_topics(path, make_config(), tmp_path / "out")
    assert record["status"] == "no_input"
    assert "placeholder" in record["message"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", ":2: not valid JSON"),
        ('{"segment_id": "alpha/x/t001/s02", "study": "alpha"}', "column 'text'"),
        ('{"segment_id": "alpha/x/t001/s02", "study": "zeta", "text": "t"}', "unknown study"),
        ('{"segment_id": "alpha/x/t001/s01", "study": "alpha", "text": "t"}', "duplicate"),
    ],
)
def test_bad_segments_name_the_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "segments.jsonl"
    good = '{"segment_id": "alpha/x/t001/s01", "study": "alpha", "text": "hello"}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(problem)) as err:
        read_segments(path, ["alpha", "beta"])
    assert ":2" in str(err.value)


def test_cli_writes_outputs_and_reports_bad_input(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "config.yaml", make_config())
    segments = write_segments(tmp_path / "segments.jsonl", make_segments(n_per_theme=2))
    out = tmp_path / "topics"
    args = ["topics", "--segments", str(segments), "--config", str(config), "--out-dir", str(out)]
    assert main(args) == 0
    assert "status too_small" in capsys.readouterr().out
    assert (out / "quality.json").is_file()

    segments.write_text('{"segment_id": 3}\n', encoding="utf-8")
    assert main(args) == 2
    assert "segments.jsonl:1: column 'segment_id'" in capsys.readouterr().err


def test_stop_words_cover_fillers_and_pseudonym_words() -> None:
    settings = topic_model.resolve_settings({"extra_stop_words": ["Zebra"]})
    words = set(topic_model.stop_words(settings))
    assert {"um", "yeah", "basically", "person", "participant", "email", "zebra", "the"} <= words
    analyze = topic_model.analyzer(settings)
    tokens = analyze("Um, [Person 12] and [NHS trust 3] said the P07 waiting lists, yeah.")
    assert tokens == ["waiting", "lists"]


def test_model_dir_in_config_is_the_committed_one() -> None:
    assert make_config()["topics"]["model2vec"]["path"] == str(MODEL_DIR)
