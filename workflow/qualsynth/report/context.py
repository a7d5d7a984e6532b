"""What every report notebook starts from: inputs loaded once, codes, labels, quotes seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from qualsynth.report import analysis as an
from qualsynth.report.data import (
    Loaded,
    ReportInputs,
    humanise,
    load_inputs,
    reported_studies,
)
from qualsynth.report.tables import esc, warn_mark

GROUP_PREFIX = {"enabler": "Enabler", "barrier": "Barrier",
                "leadership_component": "Leadership component"}


@dataclass
class Context:
    """Loaded inputs plus derived tables shared by the sections of one report.

    ``coded`` is rolled up (a segment with a child code also has its ancestors);
    ``codes`` is every codebook code in codebook order (with ``level`` and ``top``);
    ``themes`` are the top-level codes.
    """

    inputs: ReportInputs
    studies: list[dict[str, Any]]
    settings: dict[str, Any]
    segments: pd.DataFrame | None
    coded: pd.DataFrame | None
    codings: pd.DataFrame | None
    catalogue: pd.DataFrame
    codes: pd.DataFrame
    low_kappa: dict[str, float]
    quotes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return self.inputs.synthetic

    @property
    def study_ids(self) -> list[str]:
        return [s["id"] for s in self.studies]

    @property
    def labels(self) -> dict[str, str]:
        """Short study names for tables (the title up to its colon)."""
        return {s["id"]: s["title"].split(":")[0].strip() for s in self.studies}

    @property
    def kind_of(self) -> dict[str, str]:
        return {s["id"]: s["kind"] for s in self.studies}

    @property
    def pattern_codings(self) -> int:
        """Codings added by coding patterns (learned from gold coding), not by the rules."""
        if self.codings is None or "rule" not in self.codings:
            return 0
        return int(self.codings["rule"].astype(str).str.endswith("/pattern").sum())

    @property
    def vetoed_codings(self) -> int:
        """The rules' codings that coding patterns set aside (themes.patterns.veto_below)."""
        vetoed = self.inputs.vetoed
        return len(vetoed.data) if vetoed.ok and vetoed.data is not None else 0

    @property
    def coding_method(self) -> str:
        """How the theme codes were assigned, for sentences in the reports."""
        if self.pattern_codings:
            return ("rule-based coding plus coding patterns learned from gold-coded "
                    "passages")
        return "rule-based coding"

    @property
    def themes_ok(self) -> bool:
        return self.segments is not None and self.coded is not None

    @property
    def themes(self) -> list[str]:
        """Top-level themes in codebook order."""
        return [c for c, lvl in zip(self.codes["code"], self.codes["level"], strict=True)
                if lvl == 0]

    @property
    def leaves(self) -> list[str]:
        """The most specific codes (no children), in codebook order."""
        return list(an.leaf_codes(self.codes)["code"])

    def children(self, code: str) -> list[str]:
        return [c for c, p in zip(self.codes["code"], self.codes["parent"], strict=True)
                if p == code]

    def level(self, code: str) -> int:
        row = self.catalogue[self.catalogue["code"] == code]
        return int(row["level"].iloc[0]) if len(row) else 0

    def kind_of_segment(self, study: str, question: object) -> str:
        """``survey`` for a survey answer (a segment with a question), else ``interview``."""
        if isinstance(question, str) and question.strip():
            return "survey"
        return "interview"

    def code_label(self, code: str, short: bool = False) -> str:
        """Display label; unless ``short``, prefixed with its parent or group for context.

        ``partnerships.leadership`` -> ``Emerging partnerships: Leadership``; enablers,
        barriers and leadership components get ``Enabler:``, ``Barrier:`` and ``System
        leadership:`` so rows stay unambiguous when themes are listed together.
        """
        row = self.catalogue[self.catalogue["code"] == code]
        if not len(row):
            return humanise(code)
        label = str(row["label"].iloc[0])
        if short:
            return label
        group = str(row["group"].iloc[0])
        prefix = GROUP_PREFIX.get(group)
        if prefix:
            return label if label.lower().startswith(prefix.lower()) else f"{prefix}: {label}"
        parent = row["parent"].iloc[0]
        if isinstance(parent, str) and parent:
            prow = self.catalogue[self.catalogue["code"] == parent]
            if len(prow):
                return f"{prow['label'].iloc[0]}: {label}"
        return label

    def code_cell(self, code: str, short: bool = False, indent: bool = False) -> str:
        """Escaped code label, with a visible warning when its agreement is low.

        ``indent`` shows the code's place in the hierarchy (themes bold, sub-codes
        indented), for tables that list every code in codebook order.
        """
        label = esc(self.code_label(code, short or indent))
        if indent:
            lvl = self.level(code)
            label = f'<span class="qs-l{min(lvl, 3)}">{label}</span>'

        if code in self.low_kappa:
            label += " " + warn_mark(f"kappa {self.low_kappa[code]:.2f} is below "
                                     f"{self.settings['kappa_warning']}: treat counts with care")
        return label

    def study(self, study_id: str) -> dict[str, Any]:
        for s in self.inputs.config["studies"]:
            if s["id"] == study_id:
                return s
        raise KeyError(study_id)

    def record_quotes(self, quotes: list[dict[str, Any]], section: str) -> None:
        for q in quotes:
            self.quotes.append({**q, "section": section})

    def first_unavailable(self, *loaded: Loaded) -> Loaded | None:
        for item in loaded:
            if not item.ok:
                return item
        return None


def build_context(config_path: str | Path) -> Context:
    """Load the inputs and derive the shared tables (codes, coded segments, flags)."""
    inputs = load_inputs(config_path)
    settings = inputs.settings
    studies = reported_studies(inputs.config)
    segments = inputs.segments.data if inputs.segments.ok else None
    coded = an.coded_segments(inputs.segment_codes.data) if inputs.segment_codes.ok else None
    codings = inputs.codings.data if inputs.codings.ok else None
    if coded is None and codings is not None:
        coded = codings[["segment_id", "code"]].astype(str).drop_duplicates()
    if segments is not None:
        segments = segments.copy()
        for col in ("ics_label", "sector", "time_point", "participant_id", "study", "region"):
            if col in segments.columns:
                segments[col] = segments[col].fillna("").astype(str)
        wanted = {s["id"] for s in studies}
        segments = segments[segments["study"].isin(wanted)].reset_index(drop=True)
    observed = sorted(set(coded["code"])) if coded is not None else []
    catalogue = an.code_catalogue(inputs.codebook, observed)
    if coded is not None:
        coded = an.rollup(coded, catalogue)
    codes = catalogue
    threshold = float(settings["kappa_warning"])
    low = an.low_agreement_codes(inputs.themes_evaluation, threshold)
    # A code with low agreement on the held-out set (with enough examples there) is flagged
    # too: in-sample agreement on a gold the rules were refined on flatters them.
    if inputs.themes_holdout.ok and isinstance(inputs.themes_holdout.data, dict):
        min_gold = int(inputs.themes_holdout.data.get("min_gold_segments") or 10)
        for code, kappa in an.low_agreement_codes(inputs.themes_holdout, threshold,
                                                  min_gold).items():
            low[code] = min(low.get(code, kappa), kappa)
    return Context(inputs=inputs, studies=studies, settings=settings, segments=segments,
                   coded=coded, codings=codings, catalogue=catalogue, codes=codes,
                   low_kappa=low)
