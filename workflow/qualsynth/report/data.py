"""Read the de-identified stage outputs the reports are built from, with an honest status.

Reports read only ``data/processed/`` (and the public reference boundaries), never the
restricted folder or raw registers. Every loader returns a :class:`Loaded`: the data, or
the reason it is not available (missing file, a stage placeholder, a ``status`` other than
``ok``, missing columns), so a report can say so instead of crashing or showing an empty
table.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from qualsynth.config import load_config

REPORT_DEFAULTS: dict[str, Any] = {
    "studies": None,
    "boundaries": "data/reference/icb_boundaries_bng.geojson",
    "quotes_per_theme": 3,
    "quote_max_words": 90,
    "kappa_warning": 0.41,
    "convergence": {"present_share": 0.25, "min_participants": 2, "divergence_gap": 0.5},
    "change": {"min_net_participants": 2, "min_net_share": 0.2},
    "deid_sample_size": 24,
    "sample_seed": 20240601,
}


@dataclass
class Loaded:
    """An upstream output, or why it is not available."""

    path: str
    data: Any = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is None and self.data is not None


def report_settings(config: dict[str, Any]) -> dict[str, Any]:
    """``config.report`` merged over the defaults (nested dicts merged one level deep).

    The low-agreement threshold defaults to ``themes.low_kappa_threshold`` so reports flag
    exactly the codes the themes stage flags.
    """
    merged = copy.deepcopy(REPORT_DEFAULTS)
    themes_threshold = (config.get("themes") or {}).get("low_kappa_threshold")
    if isinstance(themes_threshold, (int, float)):
        merged["kappa_warning"] = float(themes_threshold)
    for key, value in (config.get("report") or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def reported_studies(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Study blocks to report on: ``report.studies`` if set, else every declared study."""
    wanted = report_settings(config).get("studies")
    studies = config["studies"]
    if wanted:
        return [s for s in studies if s["id"] in set(wanted)]
    return list(studies)


def _placeholder_reason(text: str) -> str | None:
    head = text.lstrip()[:400]
    if head.startswith("PLACEHOLDER:"):
        return head.splitlines()[0]
    if head.startswith("{") and '"placeholder": true' in head:
        try:
            first = json.loads(head.splitlines()[0])
        except json.JSONDecodeError:
            return "a stage placeholder (the stage is not implemented yet)"
        return str(first.get("message", "a stage placeholder"))
    return None


def _missing(path: Path, stage: str) -> str:
    return f"{path.as_posix()} does not exist: the {stage} stage has not written it"


def _read_output(p: Path, stage: str) -> tuple[str, Loaded | None]:
    """The file's text, or an unavailable Loaded when it is missing or a placeholder."""
    if not p.is_file():
        return "", Loaded(p.as_posix(), reason=_missing(p, stage))
    text = p.read_text(encoding="utf-8")
    reason = _placeholder_reason(text)
    if reason:
        return text, Loaded(p.as_posix(), reason=f"{p.as_posix()}: {reason}")
    return text, None


def load_json(path: str | Path, stage: str, *, require_status_ok: bool = False) -> Loaded:
    """A JSON object; placeholder files and (optionally) ``status`` != ok are unavailable."""
    p = Path(path)
    text, unavailable = _read_output(p, stage)
    if unavailable is not None:
        return unavailable
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return Loaded(p.as_posix(), reason=f"{p.as_posix()}: not valid JSON ({err.msg}, line "
                      f"{err.lineno})")
    if require_status_ok and isinstance(data, dict):
        status = data.get("status", "ok")
        if status != "ok":
            return Loaded(p.as_posix(), data=None, reason=f"the {stage} stage reports status "
                          f"{status!r}" + (f": {data['reason']}" if data.get("reason") else
                                           (f": {data['message']}" if data.get("message")
                                            else "")), notes=[json.dumps(data, sort_keys=True)])
    return Loaded(p.as_posix(), data=data)


def load_jsonl(path: str | Path, stage: str, required: tuple[str, ...] = ()) -> Loaded:
    """JSON Lines as a DataFrame; unavailable when missing, a placeholder or lacking columns."""
    p = Path(path)
    text, unavailable = _read_output(p, stage)
    if unavailable is not None:
        return unavailable
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    frame = pd.DataFrame(rows)
    return _check_columns(Loaded(p.as_posix(), data=frame), required)


def load_csv(path: str | Path, stage: str, required: tuple[str, ...] = ()) -> Loaded:
    """A CSV as strings-or-numbers DataFrame with the same availability rules."""
    p = Path(path)
    text, unavailable = _read_output(p, stage)
    if unavailable is not None:
        return unavailable
    if not text.strip():
        return Loaded(p.as_posix(), reason=f"{p.as_posix()} is empty")
    frame = pd.read_csv(p, keep_default_na=False, na_values=[""])
    return _check_columns(Loaded(p.as_posix(), data=frame), required)


def _check_columns(loaded: Loaded, required: tuple[str, ...]) -> Loaded:
    frame = loaded.data
    missing = [c for c in required if c not in frame.columns]
    if missing:
        return Loaded(loaded.path, reason=f"{loaded.path} lacks column(s) "
                      f"{', '.join(missing)}; it does not follow docs/data-contracts.md")
    return loaded


@dataclass
class ReportInputs:
    """Everything the reports read, loaded once per notebook."""

    config: dict[str, Any]
    settings: dict[str, Any]
    processed: Path
    segments: Loaded
    documents: Loaded
    deid_summary: Loaded
    deid_evaluation: Loaded
    leakage_gate: Loaded
    sites: Loaded
    codings: Loaded
    segment_codes: Loaded
    vetoed: Loaded
    themes_evaluation: Loaded
    themes_holdout: Loaded
    topics: Loaded
    topic_assignments: Loaded
    topics_by_group: Loaded
    crosswalk: Loaded
    crosswalk_topics: Loaded
    topic_quality: Loaded
    provenance: Loaded
    codebook: Loaded

    @property
    def synthetic(self) -> bool:
        return bool(self.config.get("project", {}).get("synthetic", False))

    @property
    def gold_used_for_rules(self) -> bool:
        """The rules were refined on the gold: its agreement figures are in-sample."""
        return bool((self.config.get("themes") or {}).get("gold_used_for_rules", False))


SEGMENT_COLUMNS = ("segment_id", "study", "document", "participant_id", "ics_label", "sector",
                   "time_point", "text")


def load_codebook(config: dict[str, Any]) -> Loaded:
    """The codebook named in ``config.themes.codebook`` (YAML), as a list of code dicts.

    Accepted shapes: a list of codes, or a mapping with ``codes`` (list) or ``themes``
    (list, each optionally with ``codes`` children). Each code needs an ``id`` (or
    ``code``); ``label``/``name``, ``definition``/``description`` and ``parent``/``group``
    are used when present.
    """
    path = (config.get("themes") or {}).get("codebook")
    if not path:
        return Loaded("codebook", reason="config themes.codebook is not set; code labels are "
                      "derived from the code ids")
    p = Path(path)
    if not p.is_file():
        return Loaded(p.as_posix(), reason=_missing(p, "themes"))
    raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    codes = flatten_codebook(raw)
    if not codes:
        return Loaded(p.as_posix(), reason=f"{p.as_posix()}: no codes found")
    return Loaded(p.as_posix(), data=codes)


def flatten_codebook(raw: Any, parent: str | None = None) -> list[dict[str, Any]]:
    """Normalise a codebook YAML into ``[{id, label, definition, parent}]`` in file order."""
    if isinstance(raw, dict):
        for key in ("codes", "themes", "children"):
            if isinstance(raw.get(key), list):
                return flatten_codebook(raw[key], parent)
        if all(isinstance(v, dict) for v in raw.values()) and raw:
            items = [{"id": k, **v} for k, v in raw.items()]
            return flatten_codebook(items, parent)
        return []
    out: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        return out
    for item in raw:
        if not isinstance(item, dict):
            continue
        cid = item.get("id") or item.get("code")
        if not cid:
            continue
        code = {
            "id": str(cid),
            "label": str(item.get("label") or item.get("name") or humanise(str(cid))),
            "definition": str(item.get("definition") or item.get("description") or "").strip(),
            "parent": item.get("parent") or item.get("group") or parent,
        }
        out.append(code)
        for key in ("codes", "children", "subcodes"):
            if isinstance(item.get(key), list):
                out.extend(flatten_codebook(item[key], code["id"]))
    return out


def humanise(code: str) -> str:
    """``partnerships.key_partners`` -> ``Partnerships: key partners``."""
    parts = [p.replace("_", " ").strip() for p in code.replace("/", ".").split(".") if p]
    if not parts:
        return code
    text = ": ".join(parts)
    return text[0].upper() + text[1:]


def load_inputs(config_path: str | Path) -> ReportInputs:
    """Load the config and every upstream output the reports use."""
    config = load_config(config_path)
    settings = report_settings(config)
    processed = Path(config["processed_dir"])
    deid = processed / "deid"
    themes = processed / "themes"
    topics = processed / "topics"
    return ReportInputs(
        config=config,
        settings=settings,
        processed=processed,
        segments=load_jsonl(deid / "segments.jsonl", "de-identification", SEGMENT_COLUMNS),
        documents=load_jsonl(deid / "documents.jsonl", "de-identification",
                             ("study", "document", "participant_id")),
        deid_summary=load_json(deid / "summary.json", "de-identification"),
        deid_evaluation=load_json(deid / "evaluation.json", "de-identification",
                                  require_status_ok=True),
        leakage_gate=load_json(deid / "leakage_gate.json", "leakage gate"),
        sites=load_csv(deid / "sites.csv", "de-identification", ("study", "ics_label", "region")),
        codings=load_csv(themes / "codings.csv", "themes", ("segment_id", "study", "code")),
        segment_codes=load_csv(themes / "segment_codes.csv", "themes", ("segment_id", "code")),
        vetoed=load_csv(themes / "vetoed_codings.csv", "themes", ("segment_id", "code")),
        themes_evaluation=load_json(themes / "evaluation.json", "themes", require_status_ok=True),
        themes_holdout=load_json(themes / "evaluation_holdout.json", "themes",
                                 require_status_ok=True),
        topics=load_csv(topics / "topics.csv", "topics", ("topic", "label", "size")),
        topic_assignments=load_csv(topics / "assignments.csv", "topics",
                                   ("segment_id", "topic")),
        topics_by_group=load_csv(topics / "by_group.csv", "topics",
                                 ("group_by", "group", "topic", "n_segments", "denominator")),
        crosswalk=load_csv(topics / "crosswalk.csv", "topics", ("topic", "code", "n_segments")),
        crosswalk_topics=load_csv(topics / "crosswalk_topics.csv", "topics", ("topic",)),
        topic_quality=load_json(topics / "quality.json", "topics"),
        provenance=load_json(processed / "provenance.json", "provenance"),
        codebook=load_codebook(config),
    )
