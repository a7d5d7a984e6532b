"""Embedding back ends: deterministic, sha256-checked, pseudonym-aware, chosen by config."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from qualsynth.errors import ConfigError, InputError
from qualsynth.topics import model as topic_model
from qualsynth.topics.embeddings import (
    Model2VecEmbedder,
    TfidfSvdEmbedder,
    make_embedder,
    pseudonym_category,
    strip_pseudonyms,
    text_for_embedding,
    verify_model_dir,
)
from test_topics_support import MODEL_DIR, make_segments, repo_config

SHA = repo_config()["topics"]["model2vec"]["sha256"]
DOCS = [s["text"] for s in make_segments(n_per_theme=6)]


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "m2v"
    shutil.copytree(MODEL_DIR, target)
    return target


def test_committed_model_matches_config_and_sums() -> None:
    assert verify_model_dir(MODEL_DIR, SHA) == MODEL_DIR
    assert (MODEL_DIR / "LICENSE").is_file()
    assert (MODEL_DIR / "model.safetensors").stat().st_size < 20_000_000


def test_model2vec_is_deterministic_and_normalised() -> None:
    first = Model2VecEmbedder(MODEL_DIR, SHA).embed(DOCS)
    second = Model2VecEmbedder(MODEL_DIR, SHA).embed(DOCS)
    assert first.dtype == np.float32
    assert first.shape == (len(DOCS), 256)
    assert first.tobytes() == second.tobytes()
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_model2vec_separates_themes() -> None:
    emb = Model2VecEmbedder(MODEL_DIR, SHA).embed([
        "nurses vacancies recruitment retention of staff",
        "recruiting nurses and keeping experienced staff",
        "memory clinic dementia diagnosis for older patients",
    ])
    assert emb[0] @ emb[1] > emb[0] @ emb[2]


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(InputError, match="refusing to use it"):
        Model2VecEmbedder(folder, SHA)


def test_wrong_configured_sha_is_refused() -> None:
    with pytest.raises(InputError, match="does not match topics.model2vec.sha256"):
        verify_model_dir(MODEL_DIR, "0" * 64)


def test_tampered_tokenizer_is_refused_via_sha256sums(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    with open(folder / "tokenizer.json", "a", encoding="utf-8") as handle:
        handle.write(" ")
    with pytest.raises(InputError, match="does not match SHA256SUMS"):
        verify_model_dir(folder, SHA)


def test_missing_model_says_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="make embedding-model"):
        verify_model_dir(tmp_path / "nowhere", SHA)


def test_tfidf_svd_is_deterministic_for_a_seed() -> None:
    settings = topic_model.resolve_settings({})
    analyze = topic_model.analyzer(settings)
    first = TfidfSvdEmbedder(analyze, n_components=10, seed=3).embed(DOCS)
    second = TfidfSvdEmbedder(analyze, n_components=10, seed=3).embed(DOCS)
    assert first.shape == (len(DOCS), 10)
    assert first.tobytes() == second.tobytes()
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_make_embedder_chooses_by_config(tmp_path: Path) -> None:
    settings = topic_model.resolve_settings(
        {"backend": "tfidf_svd", "tfidf_svd": {"n_components": 5, "min_df": 1}})
    emb = make_embedder(settings, analyzer=topic_model.analyzer(settings), seed=1)
    assert emb.name == "tfidf_svd"
    settings = topic_model.resolve_settings(
        {"model2vec": {"path": str(MODEL_DIR), "sha256": SHA}})
    assert make_embedder(settings, analyzer=str.split, seed=1).name == "model2vec"
    relative = topic_model.resolve_settings(
        {"model2vec": {"path": "models/minilm-l6-m2v", "sha256": SHA}})
    assert make_embedder(relative, analyzer=str.split, seed=1,
                         base_dir=MODEL_DIR.parents[1]).name == "model2vec"
    with pytest.raises(ConfigError, match="unknown back end"):
        make_embedder({"backend": "bert"}, analyzer=str.split, seed=1)


def test_pseudonym_helpers() -> None:
    assert pseudonym_category("[Person 12]") == "Person"
    assert pseudonym_category("[NHS trust 3]") == "NHS trust"
    assert pseudonym_category("[Participant P07]") == "Participant"
    assert pseudonym_category("[email]") == "email"
    text = "I spoke to [Person 12] at [NHS trust 3] by [email]."
    assert text_for_embedding(text) == "I spoke to Person at NHS trust by email."
    stripped = strip_pseudonyms(text)
    assert "[" not in stripped and "12" not in stripped and "Person" not in stripped
