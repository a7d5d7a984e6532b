"""Helpers for the topics tests: an invented, seeded interview-like corpus and a config.

No test functions live here. Every name and place in the corpus is a pseudonym token or an
invented word; nothing is copied from the demo registers.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = REPO / "models" / "minilm-l6-m2v"

THEMES: dict[str, list[str]] = {
    "workforce": [
        "we cannot recruit enough nurses and the vacancies keep growing",
        "retention of experienced staff is the hardest part, burnout is high",
        "agency staff cost a fortune and rotas are always short",
        "apprenticeships and training places help us grow our own workforce",
        "staff wellbeing support and flexible shifts stop people leaving",
        "international recruitment filled some posts on the wards",
    ],
    "dementia": [
        "the memory clinic waiting time for a dementia diagnosis is months",
        "carers need post diagnostic support after the assessment",
        "general practitioners refer patients with memory problems to the clinic",
        "dementia diagnosis rates fell during the pandemic",
        "families caring for a relative with dementia feel left alone",
        "the memory assessment service and social care share the pathway",
    ],
    "finance": [
        "the budget deficit means every organisation must find savings",
        "funding allocations arrive late and the financial plan keeps changing",
        "capital spending was frozen while the deficit grew",
        "efficiency targets and cost improvement programmes dominate the board",
        "contracts and payment rules push money towards the hospitals",
        "recurrent funding for prevention never materialises in the budget",
    ],
    "place": [
        "the neighbourhood teams work with the council on housing and prevention",
        "place partnerships hold a delegated budget for community services",
        "voluntary groups and the council know the local communities best",
        "integrated neighbourhood teams bring district nurses and social workers together",
        "the locality board meets monthly with community leaders",
        "community organisations run the social prescribing in each locality",
    ],
}
FILLERS = ["you know", "um", "I mean", "sort of", "yeah", "basically", "to be honest"]
PSEUDONYMS = ["[Person 3]", "[Person 12]", "[NHS trust 2]", "[Place 4]", "[email]",
              "[Participant P07]", "[Organisation 5]"]


def make_segments(
    n_per_theme: int = 40,
    studies: tuple[str, ...] = ("alpha", "beta"),
    seed: int = 7,
    themes: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Invented de-identified segments: each mixes one theme's sentences, fillers and
    pseudonym tokens. Segment ids follow the ``<study>/<doc>/tNNN/sNN`` contract."""
    rng = random.Random(seed)
    rows = []
    chosen = themes or tuple(THEMES)
    counter = 0
    for theme in chosen:
        for _ in range(n_per_theme):
            counter += 1
            study = studies[counter % len(studies)]
            sentences = rng.sample(THEMES[theme], 3)
            words: list[str] = []
            for sentence in sentences:
                words.append(rng.choice(FILLERS))
                words.append(sentence)
                words.append(f"said {rng.choice(PSEUDONYMS)} from {rng.choice(PSEUDONYMS)}")
            doc = f"d{counter % 9:02d}"
            rows.append({
                "segment_id": f"{study}/{doc}/t{counter:03d}/s01",
                "study": study,
                "document": doc,
                "text": ". ".join(words) + ".",
                "participant_id": f"P{counter % 11:02d}",
                "ics_label": ["London ICS", "South East ICS"][counter % 2],
                "sector": ["NHS", "local government", "VCSE"][counter % 3],
                "role": "leader",
                "time_point": ["baseline", "follow-up", None][counter % 3],
                "region": "London",
            })
    return rows


def write_segments(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    return path


def repo_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def make_config(studies: tuple[str, ...] = ("alpha", "beta"), **topics: Any) -> dict[str, Any]:
    """The repository config with invented studies and a fast topics block (few UMAP epochs)."""
    config = copy.deepcopy(repo_config())
    config["studies"] = [
        {"id": s, "title": s, "lens": s, "kind": "interview", "data": s} for s in studies
    ]
    block = config["topics"]
    block["model2vec"]["path"] = str(MODEL_DIR)
    block["umap"] = dict(block["umap"], n_epochs=60)
    block["stability_seeds"] = [1, 2, 3]
    block["seed"] = 1
    for key, value in topics.items():
        if isinstance(value, dict) and isinstance(block.get(key), dict):
            block[key] = dict(block[key], **value)
        else:
            block[key] = value
    return config


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
