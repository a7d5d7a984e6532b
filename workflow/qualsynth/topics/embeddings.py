"""Document embeddings for topic modelling: one interface, back ends chosen by config.

- ``model2vec`` (default): the committed static model distilled from all-MiniLM-L6-v2
  (``models/minilm-l6-m2v``). Its ``model.safetensors`` sha256 is checked against the config
  before anything is loaded; a local folder is required, nothing is ever downloaded.
- ``tfidf_svd`` (fallback): TF-IDF over the same tokens the topic words come from, reduced
  with a seeded TruncatedSVD (latent semantic analysis) and L2-normalised.

Both return a float32 matrix with one L2-normalised row per document and are deterministic:
the same documents, config and seed give the same bytes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qualsynth.errors import ConfigError, InputError
from qualsynth.io import sha256_file

BACKENDS = ("model2vec", "tfidf_svd")
MODEL_FILE = "model.safetensors"

try:  # the de-identification stage owns the canonical pattern once it lands
    from qualsynth.deid import PSEUDONYM_RE as _DEID_PSEUDONYM_RE  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the other stage being present
    _DEID_PSEUDONYM_RE = None

#: A pseudonym token such as ``[Person 12]``, ``[NHS trust 3]`` or ``[email]``.
PSEUDONYM_RE: re.Pattern[str] = (
    _DEID_PSEUDONYM_RE if isinstance(_DEID_PSEUDONYM_RE, re.Pattern)
    else re.compile(r"\[[^\]\n]+\]")
)
_TRAILING_ID_RE = re.compile(r"\s+[A-Za-z]?\d+[A-Za-z]?$")


def pseudonym_category(token: str) -> str:
    """``[Person 12]`` -> ``Person``; ``[NHS trust 3]`` -> ``NHS trust``; ``[email]`` -> ``email``.

    The category keeps the meaning (someone, an organisation, a place) for the embedding but
    drops the number, so segments do not cluster on who was named.
    """
    inner = token.strip()[1:-1].strip()
    return _TRAILING_ID_RE.sub("", inner)


def text_for_embedding(text: str) -> str:
    """The text an embedding model sees: pseudonym tokens become their bare category."""
    return PSEUDONYM_RE.sub(lambda m: pseudonym_category(m.group(0)), text)


def strip_pseudonyms(text: str) -> str:
    """Remove pseudonym tokens entirely (what the topic-word vectorizer sees)."""
    return PSEUDONYM_RE.sub(" ", text)


class Embedder(Protocol):
    """What the topic model needs from a back end."""

    name: str

    def embed(self, docs: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per document."""
        ...

    def describe(self) -> dict[str, Any]:
        """Provenance recorded in quality.json (no paths that differ between machines)."""
        ...


def _l2(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def verify_model_dir(path: str | Path, expected_sha256: str) -> Path:
    """Check the static model folder and its ``model.safetensors`` sha256, or fail clearly.

    Also checks every file listed in the folder's ``SHA256SUMS`` when that file exists.
    """
    folder = Path(path)
    weights = folder / MODEL_FILE
    rebuild = ("rebuild it with `make embedding-model` or restore it from git "
               "(`git checkout -- models/`)")
    if not weights.is_file():
        raise InputError(weights, f"embedding model not found; {rebuild}")
    actual = sha256_file(weights)
    if actual != expected_sha256.lower():
        raise InputError(
            weights,
            f"sha256 {actual} does not match topics.model2vec.sha256 {expected_sha256} in the "
            f"config; the model file was changed or corrupted: refusing to use it; {rebuild}",
        )
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            digest, _, name = line.strip().partition("  ")
            target = folder / name
            if not target.is_file():
                raise InputError(sums, f"listed file {name!r} is missing; {rebuild}", line=n)
            if sha256_file(target) != digest:
                raise InputError(target, f"sha256 does not match SHA256SUMS; the file was "
                                 f"changed or corrupted: refusing to use it; {rebuild}")
    return folder


@dataclass
class Model2VecEmbedder:
    """Static embeddings from a local, sha256-verified model2vec folder."""

    path: Path
    sha256: str
    name: str = "model2vec"

    def __post_init__(self) -> None:
        verify_model_dir(self.path, self.sha256)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: never reach a hub
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(self.path)

    def embed(self, docs: Sequence[str]) -> np.ndarray:
        if not docs:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        texts = [text_for_embedding(d) for d in docs]
        return _l2(self._model.encode(texts, show_progress_bar=False, use_multiprocessing=False))

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name, "model_sha256": self.sha256,
                "dims": int(self._model.dim)}


@dataclass
class TfidfSvdEmbedder:
    """TF-IDF (sublinear tf, the topic vectorizer's tokens) + seeded TruncatedSVD (LSA)."""

    analyzer: Callable[[str], list[str]]
    n_components: int = 100
    min_df: int = 2
    seed: int = 42
    name: str = "tfidf_svd"

    def embed(self, docs: Sequence[str]) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not docs:
            return np.zeros((0, self.n_components), dtype=np.float32)
        min_df = self.min_df if len(docs) >= 5 * self.min_df else 1
        tfidf = TfidfVectorizer(analyzer=self.analyzer, min_df=min_df, sublinear_tf=True)
        matrix = tfidf.fit_transform(list(docs))
        k = max(1, min(self.n_components, matrix.shape[1] - 1, matrix.shape[0] - 1))
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=7,
                           random_state=self.seed)
        reduced = svd.fit_transform(matrix)
        # Fix each component's sign so tiny numeric differences cannot flip it.
        signs = np.sign(svd.components_[np.arange(k), np.abs(svd.components_).argmax(axis=1)])
        return _l2(reduced * signs)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "n_components": self.n_components, "min_df": self.min_df,
                "seed": self.seed}


def make_embedder(
    settings: dict[str, Any],
    *,
    analyzer: Callable[[str], list[str]],
    seed: int,
    base_dir: str | Path = ".",
    config_path: str | Path = "config/config.yaml",
) -> Embedder:
    """Build the back end named by ``settings['backend']`` (the ``topics`` config block)."""
    backend = settings.get("backend", "model2vec")
    if backend == "model2vec":
        block = settings.get("model2vec", {})
        if not block.get("path") or not block.get("sha256"):
            raise ConfigError(config_path, "the model2vec back end needs 'path' and 'sha256'",
                              field="topics.model2vec")
        path = Path(block["path"])
        if not path.is_absolute():
            path = Path(base_dir) / path
        return Model2VecEmbedder(path=path, sha256=block["sha256"])
    if backend == "tfidf_svd":
        block = settings.get("tfidf_svd", {})
        return TfidfSvdEmbedder(analyzer=analyzer, n_components=int(block.get("n_components", 100)),
                                min_df=int(block.get("min_df", 2)), seed=seed)
    raise ConfigError(config_path, f"unknown back end {backend!r}; use one of: "
                      f"{', '.join(BACKENDS)}", field="topics.backend")
