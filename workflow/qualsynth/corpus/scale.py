"""The corpus scaler: a fictional corpus of any size, for performance and scale tests only.

Each new interview keeps the opening and closing exchanges of one authored script of its
study (and time point) and fills the middle with question-and-answer exchanges drawn
from all scripts of that study, until it reaches a typical length. People keys of donor
scripts are renamed so every colleague stays distinct; the participant, ICS, format and
all identifiers are fresh. The result reads in the right register but is not a coherent
conversation: use it to measure speed and memory, never analysis quality.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from qualsynth.corpus.docs import gold_readme
from qualsynth.corpus.generate import (
    SCRIPTS_DIR,
    BuildResult,
    build_corpus,
    replace_managed,
    seeded,
)
from qualsynth.corpus.reference import DEFAULT_REFERENCE_DIR, load_reference
from qualsynth.corpus.script import STUDIES, PersonSpec, Script, load_scripts
from qualsynth.errors import InputError

Exchange = list[tuple[str, str]]
_PREFIX = {"workforce": "wf", "dementia": "de", "place": "pl", "quality": "qu"}
_PERSON_MARKER = re.compile(r"\{([a-z][a-z0-9_]*)\.")


def exchanges(script: Script) -> list[Exchange]:
    """The script's turns cut into exchanges: an interviewer turn and the replies to it."""
    out: list[Exchange] = []
    for speaker, text in script.turns:
        if speaker == "I" or not out:
            out.append([])
        out[-1].append((speaker, text))
    return out


def _rename(exchange: Exchange, donor: Script, tag: str) -> tuple[Exchange, dict[str, PersonSpec]]:
    """Rename the donor's people keys (c1 -> c1_7) so colleagues from donors stay distinct."""
    people: dict[str, PersonSpec] = {}

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in donor.people:
            new = f"{key}_{tag}"
            people[new] = replace(donor.people[key], key=new)
            return "{" + new + "."
        return match.group(0)

    renamed = []
    for speaker, text in exchange:
        if speaker in donor.people:
            new_speaker = f"{speaker}_{tag}"
            people[new_speaker] = replace(donor.people[speaker], key=new_speaker)
            speaker = new_speaker
        renamed.append((speaker, _PERSON_MARKER.sub(sub, text)))
    return renamed, people


def _words(exchange: Exchange) -> int:
    return sum(len(text.split()) for _, text in exchange)


def recombine(scripts: list[Script], n: int, seed: int,
              ics_codes: list[str]) -> list[Script]:
    """``n`` new scripts recombined from the authored ones (studies in turn)."""
    by_study: dict[str, list[Script]] = {}
    for script in scripts:
        by_study.setdefault(script.study, []).append(script)
    studies = [s for s in STUDIES if s in by_study]
    if not studies:
        raise InputError(None, "no authored scripts to recombine")
    index = {id(s): i for i, s in enumerate(scripts)}
    rng = seeded(seed, "scale")
    counters = dict.fromkeys(studies, 0)
    made = dict.fromkeys(studies, 0)
    pending_followup: dict[str, Script] = {}
    out: list[Script] = []
    for i in range(n):
        study = studies[i % len(studies)]
        pool = by_study[study]
        follow = pending_followup.pop(study, None)
        if follow is not None:
            time_point = "follow_up"
        elif any(s.time_point == "baseline" for s in pool):
            time_point = "baseline"
        else:
            time_point = None
        candidates = [s for s in pool if time_point is None or s.time_point == time_point] \
            or pool
        base = rng.choice(candidates)
        parts = exchanges(base)
        opening, closing = parts[:1], parts[-1:] if len(parts) > 2 else []
        middle_pool = [(donor, ex) for donor in candidates for ex in exchanges(donor)[1:-1]]
        rng.shuffle(middle_pool)
        target = rng.randint(1000, 1700)
        chosen: list[tuple[Script, Exchange]] = [(base, ex) for ex in opening]
        total = sum(_words(ex) for ex in opening + closing)
        for donor, ex in middle_pool:
            if total >= target:
                break
            chosen.append((donor, ex))
            total += _words(ex)
        chosen += [(base, ex) for ex in closing]
        turns: list[tuple[str, str]] = []
        people: dict[str, PersonSpec] = {}
        for donor, ex in chosen:
            renamed, extra = _rename(ex, donor, str(index[id(donor)]))
            turns.extend(renamed)
            people.update(extra)
        if follow is not None:  # the same person as the baseline, a year on
            ics, participant = follow.ics, follow.participant
            number = int(follow.id[2:6])
        else:
            counters[study] += 1
            number = counters[study]
            ics = rng.choice(ics_codes)
            participant = replace(base.participant, id=f"P{number:04d}")
        suffix = {"baseline": "-baseline", "follow_up": "-followup"}.get(base.time_point, "")
        fmt = ("vtt", "docx", "txt")[made[study] % 3]
        style = "teams" if (made[study] // 3) % 2 == 0 else "plain"
        made[study] += 1
        new = replace(
            base, id=f"{_PREFIX.get(study, study[:2])}{number:04d}{suffix}", format=fmt,
            docx_style=style, ics=ics,
            participant=participant, people=people, turns=turns,
        )
        if time_point == "baseline":
            pending_followup[study] = new
        out.append(new)
    return out


def scaled_config(out_dir: Path, studies: list[str], n: int) -> dict[str, Any]:
    """A pipeline config whose data_root is ``out_dir`` and outputs stay inside it."""
    repo_config = Path(__file__).resolve().parents[3] / "config" / "config.yaml"
    config = yaml.safe_load(repo_config.read_text(encoding="utf-8"))
    root = out_dir.resolve()
    config["project"] = {"title": f"Scaled fictional corpus ({n} interviews): performance "
                                  "and scale tests only", "synthetic": True}
    config["data_root"] = str(root)
    config["processed_dir"] = str(root / "output" / "processed")
    config["restricted_dir"] = str(root / "output" / "restricted")
    config["reports_dir"] = str(root / "output" / "reports")
    config["logs_dir"] = str(root / "output" / "logs")
    config["studies"] = [s for s in config["studies"] if s["id"] in studies]
    return config


def make_corpus(out_dir: str | Path, n: int, seed: int,
                scripts_dir: str | Path = SCRIPTS_DIR,
                respondents: int | None = None) -> BuildResult:
    """Write a recombined corpus of ``n`` interviews (plus the place survey) to ``out_dir``."""
    from qualsynth.config import validate_config

    scripts_dir = Path(scripts_dir)
    scripts = load_scripts(scripts_dir)
    reference = load_reference(DEFAULT_REFERENCE_DIR)
    new_scripts = recombine(scripts, n, seed, sorted(reference.icbs))
    survey_spec = scripts_dir / "place" / "survey.yaml"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".corpus-build-", dir=out) as tmp:
        staging = Path(tmp)
        result = build_corpus(new_scripts, staging, seed,
                              survey_spec if survey_spec.exists() else None,
                              survey_respondents=respondents or max(60, n // 2),
                              reference=reference)
        summary = result.summary()
        studies = sorted({s.study for s in new_scripts} | ({"place"} if survey_spec.exists()
                                                           else set()))
        config = scaled_config(out, studies, n)
        validate_config(config, out / "config.yaml")
        (staging / "config.yaml").write_text(
            "# Generated by qualsynth make-corpus: performance and scale tests only.\n"
            + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        (staging / "README.md").write_text(_readme(summary, n, seed), encoding="utf-8")
        (staging / "gold" / "README.md").write_text(gold_readme(summary), encoding="utf-8")
        replace_managed(staging, out, (*STUDIES, "gold/pii_spans.csv", "gold/README.md",
                                       "README.md", "config.yaml"))
    return result


def _readme(summary: dict[str, Any], n: int, seed: int) -> str:
    return f"""# Scaled corpus: fictional, for performance and scale tests only

Made by `qualsynth make-corpus --interviews {n} --seed {seed}`. Every person is invented;
real public bodies and towns are context only. The interviews are recombined from the
authored demo scripts (question-and-answer exchanges from different scripts of the same
study), so they are not coherent conversations: use this corpus to measure speed and
memory, never to judge analysis quality.

Run the pipeline on it from the repository root (outputs stay under `output/` here):

```
.venv/bin/snakemake --cores 2 --configfile {{this folder}}/config.yaml
```

Interviews: {summary['interviews']}; survey respondents: {summary['survey_respondents']};
gold spans: {summary['gold_spans']} (`gold/pii_spans.csv`, same format as the demo corpus).
"""
