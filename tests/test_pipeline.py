"""The Snakemake workflow: lint, a full run on a mini project, no spurious reruns,
--keep-going with one bad document."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, build_mini_project, register_row

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def workflow_copy(root: Path) -> Path:
    """Copy the workflow (not data or outputs) beside a mini project under ``root``."""
    for name in ("Snakefile", "environment.yml"):
        shutil.copy2(REPO / name, root / name)
    for name in ("workflow", "profiles", "notebooks", "models", "config"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, root / name,
                            ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    if (REPO / "data" / "reference").exists():
        shutil.copytree(REPO / "data" / "reference", root / "data" / "reference",
                        dirs_exist_ok=True)
    return root


def snakemake(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SNAKEMAKE, "--configfile", "config.yaml", *args], cwd=root,
                          capture_output=True, text=True, check=False)


def test_lint_is_clean(tmp_path: Path) -> None:
    root = workflow_copy(build_mini_project(tmp_path))
    proc = snakemake(root, "--lint")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Lints for" not in proc.stdout + proc.stderr


def test_invalid_config_fails_naming_the_key(tmp_path: Path) -> None:
    root = workflow_copy(build_mini_project(tmp_path))
    text = (root / "config.yaml").read_text().replace("kind: interview", "kind: diary")
    (root / "config.yaml").write_text(text)
    proc = snakemake(root, "-n")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "key 'studies.0.kind'" in output and "interview, survey" in output


def test_keep_going_finishes_the_other_documents(tmp_path: Path) -> None:
    root = workflow_copy(build_mini_project(tmp_path))
    folder = root / "data/raw/mini/alpha"
    (folder / "a04.docx").write_bytes(b"this is not a word document")
    with open(folder / "participants.csv", "a", newline="", encoding="utf-8") as out:
        row = register_row("a04.docx", "P04", "Cressida Vantongeren", "Int Two")
        csv.DictWriter(out, fieldnames=list(row)).writerow(row)
    proc = snakemake(root, "--cores", "2", "--keep-going", "ingest_all")
    assert proc.returncode != 0
    ingest = root / "restricted" / "ingest" / "alpha"
    assert sorted(p.name for p in ingest.glob("*.json")) == ["a01.json", "a02.json", "a03.json"]
    log = (root / "logs" / "ingest" / "alpha" / "a04.log").read_text()
    assert log.strip().count("\n") == 0, log
    assert "a04.docx" in log and "not a readable .docx" in log


@pytest.mark.slow
def test_full_run_then_nothing_to_do(tmp_path: Path) -> None:
    root = workflow_copy(build_mini_project(tmp_path))
    proc = snakemake(root, "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert (root / "reports" / "index.html").exists()
    # the mini project has no gold coding to learn from: rules alone, and the run says so
    assert "coding with the rules alone" in proc.stderr
    assert not (root / "processed" / "themes" / "patterns.json").exists()
    again = snakemake(root, "-n")
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout[-2000:]
    # identifiable ingest output stays in the restricted folder
    assert not any("ingest" in p.parts and p.suffix == ".json" and p.name != "register_check.json"
                   for p in (root / "processed").rglob("*"))
