"""Shared test fixtures: a tiny, invented study folder built fresh for each test."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# Invented people for fixtures only (never taken from the demo registers).
REGISTER_HEADER = ["transcript", "participant_id", "name", "aliases", "ics", "region",
                   "organisation", "sector", "role", "time_point", "interview_date",
                   "interviewer", "organisation_type"]

TXT = (
    "Interviewer: Thanks for joining, Ottoline. Could you describe your role?\n"
    "Ottoline Quarrie: [00:00:05] Of course. I lead workforce for the system. We have been "
    "working on a shared bank across the trusts. It has been slow, honestly.\n"
    "\n"
    "And the second thing is retention, which matters more than recruitment now.\n"
    "Interviewer: What has helped?\n"
    "Ottoline Quarrie: Relationships, mostly. Note: that took years.\n"
)

VTT = (
    "WEBVTT\n\n"
    "3f2a1c9e-aaaa-bbbb-cccc-111111111111/1-0\n"
    "00:00:01.000 --> 00:00:04.000\n"
    "<v Benedikt Hollow>Good morning, thanks for making time.</v>\n\n"
    "3f2a1c9e-aaaa-bbbb-cccc-111111111111/2-0\n"
    "00:00:04.500 --> 00:00:09.000\n"
    "<v Saoirse Pennick>Morning. So the memory service waits are long.</v>\n\n"
    "3f2a1c9e-aaaa-bbbb-cccc-111111111111/3-0\n"
    "00:00:09.000 --> 00:00:14.000\n"
    "<v Saoirse Pennick>Primary care could diagnose the straightforward cases.</v>\n\n"
    "3f2a1c9e-aaaa-bbbb-cccc-111111111111/4-0\n"
    "00:00:14.000 --> 00:00:16.000\n"
    "<v Benedikt Hollow>Why has that not happened?</v>\n"
)


def register_row(transcript: str, pid: str, name: str, interviewer: str, **kw: str) -> dict:
    row = {
        "transcript": transcript, "participant_id": pid, "name": name,
        "aliases": kw.pop("aliases", name.split()[0]), "ics": "NHS Example ICB",
        "region": "London", "organisation": "Example Council", "sector": "local_authority",
        "role": "Director", "time_point": "single", "interview_date": "2024-03-01",
        "interviewer": interviewer, "organisation_type": "council",
    }
    row.update(kw)
    return row


def write_register(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=REGISTER_HEADER)
        writer.writeheader()
        writer.writerows(rows)


def make_docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    for para in paragraphs:
        document.add_paragraph(para)
    document.save(str(path))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A minimal project: config + one interview study with a .txt, .vtt and .docx."""
    return build_mini_project(tmp_path)


def build_mini_project(tmp_path: Path) -> Path:
    """Write the mini project under ``tmp_path`` and return it."""
    data = tmp_path / "data" / "raw" / "mini" / "alpha"
    data.mkdir(parents=True)
    (data / "a01.txt").write_text(TXT, encoding="utf-8")
    (data / "a02.vtt").write_text(VTT, encoding="utf-8")
    make_docx(data / "a03.docx", [
        "Transcript", "3 March 2024, 10:02AM",
        "Imelda Fairbrass   0:03", "Thanks for joining us today.",
        "Wystan Colquhoun   0:09", "Happy to. Place is where the work happens for us.",
        "Wystan Colquhoun   0:21", "We hold a small delegated budget now.",
        "Imelda Fairbrass   0:30", "How did that come about?",
    ])
    write_register(data / "participants.csv", [
        register_row("a01.txt", "P01", "Ottoline Quarrie", "Interviewer One"),
        register_row("a02.vtt", "P02", "Saoirse Pennick", "Benedikt Hollow", sector="trust"),
        register_row("a03.docx", "P03", "Wystan Colquhoun", "Imelda Fairbrass",
                     sector="icb", aliases="Wystan;Mr Colquhoun"),
    ])
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["data_root"] = str(tmp_path / "data" / "raw" / "mini")
    config["processed_dir"] = str(tmp_path / "processed")
    config["restricted_dir"] = str(tmp_path / "restricted")
    config["reports_dir"] = str(tmp_path / "reports")
    config["logs_dir"] = str(tmp_path / "logs")
    config["studies"] = [{"id": "alpha", "title": "Alpha", "lens": "Testing", "kind": "interview",
                          "data": "alpha"}]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False),
                                          encoding="utf-8")
    return tmp_path


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's workflow files (no data outputs) for Snakemake runs."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("Snakefile", "workflow", "config", "notebooks", "profiles", "data", "models"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(
                "__pycache__", "processed"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    (dest / "data" / "processed").mkdir(parents=True, exist_ok=True)
    return dest
