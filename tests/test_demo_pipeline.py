"""End to end: the whole pipeline on the embedded demo corpus, as `make report` runs it.

Runs Snakemake in a scratch copy of the workflow (so the working tree's outputs are not
touched) and checks the privacy promise on every output: no register name survives
anywhere outside the restricted folder.
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from test_pipeline import SNAKEMAKE, workflow_copy

DEMO = REPO / "data" / "raw" / "demo"
TEXT_SUFFIXES = {".json", ".jsonl", ".csv", ".html", ".log", ".txt", ".md", ".ipynb"}
pytestmark = pytest.mark.skipif(not (DEMO / "workforce" / "participants.csv").exists(),
                                reason="demo corpus not built")


def register_names() -> set[str]:
    names: set[str] = set()
    for register in DEMO.glob("*/participants.csv"):
        with open(register, encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                for field in ("name", "interviewer"):
                    value = (row.get(field) or "").strip()
                    if len(value.split()) >= 2:
                        names.add(value)
    return names


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    workflow_copy(root)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(DEMO, root / "data" / "raw" / "demo")
    shutil.copytree(REPO / "data" / "evaluation", root / "data" / "evaluation")
    proc = subprocess.run([SNAKEMAKE, "--cores", "2"], cwd=root, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return root


@pytest.mark.slow
def test_demo_reports_exist(demo_run: Path) -> None:
    reports = demo_run / "reports"
    assert (reports / "index.html").exists()
    index = (reports / "index.html").read_text(encoding="utf-8")
    for link in re.findall(r'href="([^"#]+\.html)"', index):
        assert (reports / link).exists(), link


@pytest.mark.slow
def test_no_register_name_outside_restricted(demo_run: Path) -> None:
    names = register_names()
    assert names
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)),
                         re.IGNORECASE)
    leaks = []
    for folder in ("data/processed", "reports", "logs"):
        for path in (demo_run / folder).rglob("*"):
            if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
                continue
            if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
                leaks.append(str(path.relative_to(demo_run)))
    assert not leaks, f"register names found in: {leaks[:10]}"


@pytest.mark.slow
def test_rerun_has_nothing_to_do(demo_run: Path) -> None:
    proc = subprocess.run([SNAKEMAKE, "-n"], cwd=demo_run, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_theme_agreement_in_sample_and_held_out(demo_run: Path) -> None:
    import json

    themes = demo_run / "data" / "processed" / "themes"
    in_sample = json.loads((themes / "evaluation.json").read_text(encoding="utf-8"))
    held_out = json.loads((themes / "evaluation_holdout.json").read_text(encoding="utf-8"))
    assert in_sample["n_segments"] == 410
    assert held_out["gold"]["role"] == "held-out" and held_out["n_segments"] >= 150
    assert held_out["codebook_hash"] == in_sample["codebook_hash"]
    page = (demo_run / "reports" / "coding_evaluation.html").read_text(encoding="utf-8")
    assert "Held-out check" in page and "in-sample and optimistic" in page
    assert "Macro-averaged agreement on the held-out set" in page
    # the configured second coding is compared on a sample of the held-out texts
    second = held_out["second_coder"]
    assert 0 < second["n_passages"] < held_out["n_segments"]
    assert second["codes_file"].endswith("codes_second.csv")
    assert "Two coders and the rules on the double-coded sample" in page
