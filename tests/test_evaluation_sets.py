"""The gold sets in data/evaluation/ are well formed for the current codebook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from qualsynth.themes.codebook import load_codebook
from qualsynth.themes.evaluate import load_gold, load_holdout_texts

REPO = Path(__file__).resolve().parents[1]
SETS = sorted((p for p in (REPO / "data" / "evaluation").glob("set*") if p.is_dir()),
              key=lambda p: int(p.name.removeprefix("set")))
STUDIES = {"workforce", "dementia", "place", "quality"}
# identifiers that must never appear in fictional evaluation text (pseudonyms are bracketed)
IDENTIFIER = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"            # email
                        r"|\b0\d{3}\s?\d{3}\s?\d{4}\b"          # phone
                        r"|\b\d{3} ?\d{3} ?\d{4}\b"               # NHS number
                        r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")  # postcode


def test_there_are_sets_and_the_config_holds_out_the_newest() -> None:
    """The newest set coded twice (held-out sets always are; training sets need not be) is
    held out, and no held-out set trains the coding patterns."""
    import yaml
    from qualsynth.themes.evaluate import as_paths

    assert SETS, "no data/evaluation/set* folders"
    themes = yaml.safe_load((REPO / "config" / "config.yaml").read_text(
        encoding="utf-8"))["themes"]
    held = as_paths(themes["holdout_texts"])
    newest = [p for p in SETS if (p / "codes_second.csv").exists()][-1]
    assert f"data/evaluation/{newest.name}/texts.csv" in held
    codes = as_paths(themes["holdout_codes"])
    assert [p.replace("codes.csv", "texts.csv") for p in codes] == held
    training = {f"{d}/texts.csv" for d in themes["patterns"]["train_sets"]}
    assert not training & set(held)


@pytest.mark.parametrize("folder", SETS, ids=lambda p: p.name)
def test_set_loads_against_the_codebook(folder: Path) -> None:
    codebook = load_codebook(REPO / "config" / "codebook.yaml")
    texts = load_holdout_texts(folder / "texts.csv", STUDIES)
    ids = {u["segment_id"] for u in texts}
    coded, gold = load_gold(folder / "codes.csv", folder / "codes.csv", codebook, ids)
    assert set(coded) == ids, "every passage has at least one row in codes.csv"
    for sid, codes in gold.items():
        for code in codes:
            assert not set(codebook.ancestors(code)) & codes, f"{sid}: {code} with its parent"
    second = folder / "codes_second.csv"
    if second.exists():
        sample, _ = load_gold(second, second, codebook, ids)
        assert len(sample) >= 30
    for unit in texts:
        assert not IDENTIFIER.search(unit["text"]), f"{folder.name} {unit['segment_id']}"
    assert (folder / "README.md").exists()


def test_segment_ids_are_unique_across_sets() -> None:
    seen: dict[str, str] = {}
    for folder in SETS:
        for unit in load_holdout_texts(folder / "texts.csv"):
            sid = unit["segment_id"]
            assert sid not in seen, f"{sid} in {seen.get(sid)} and {folder.name}"
            seen[sid] = folder.name


def test_identifier_pattern_finds_what_it_should() -> None:
    for text in ("mail jo.bloggs@nhs.net", "ring 0161 496 0123", "at LS1 4AP", "943 476 5919"):
        assert IDENTIFIER.search(text), text
    assert not IDENTIFIER.search("[Person 4] rang [NHS trust 2] about 12 weeks waits in 2023")
