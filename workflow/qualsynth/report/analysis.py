"""The numbers behind the reports, computed from the de-identified outputs.

Conventions (stated in the reports too):
- A *participant* is a ``(study, participant_id)`` with at least one analysed segment of
  their own speech (survey: a respondent with at least one free-text answer). For time
  point comparisons the unit is ``(study, participant_id, time_point)``.
- *Prevalence* of a theme in a group = participants in the group with at least one segment
  coded with the theme / participants in the group. Themes with no hits are kept (0/n):
  absence is data.
- Every quote carries a pseudonymous attribution (``London ICS - Participant 17``) and the
  trace id of its segment in ``data/processed/deid/segments.jsonl``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from qualsynth.report.data import Loaded, humanise
from qualsynth.report.tables import share_pct

SECTOR_LABELS = {
    "icb": "ICB", "trust": "NHS trust", "primary_care": "Primary care",
    "local_authority": "Local authority", "vcse": "VCSE", "healthwatch": "Healthwatch",
    "patient_carer": "Patient or carer", "national": "National body", "other": "Other",
}
TIME_POINT_LABELS = {"baseline": "Baseline", "follow_up": "Follow-up", "single": "Single"}
TIME_POINT_ORDER = ("baseline", "follow_up", "single")
LEADERSHIP_SOURCE = ("Components from Harris et al. (2022), NIHR Health and Social Care "
                     "Delivery Research 10(7), licensed CC BY 4.0; the descriptions of what "
                     "leaders do are paraphrased for this report, not quoted.")
# The seven components of system leadership (Harris et al. 2022), paraphrased.
LEADERSHIP_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("inspiring_intent", "Inspiring intent to work together",
     "Set out a shared purpose that partners recognise as their own, and keep returning to "
     "it so that organisations choose to collaborate."),
    ("creating_conditions", "Creating the conditions",
     "Put in place the structures, time, relationships and permissions that let people "
     "work across organisational boundaries."),
    ("balancing_perspectives", "Balancing multiple perspectives",
     "Seek out and weigh the views of different organisations, professions, sectors and "
     "communities, including those less often heard."),
    ("working_with_power", "Working with power",
     "Recognise imbalances of power between partners and use, share or give up their own "
     "influence deliberately."),
    ("wider_view", "Taking a wider view",
     "Look beyond their own organisation to the needs of the whole population and to "
     "longer-term goals."),
    ("learning_development", "Commitment to learning and development",
     "Reflect on what works and what does not, learn from it, and invest in their own and "
     "others' development."),
    ("clarifying_complexity", "Clarifying complexity",
     "Make sense of a complex, changing system for others, explaining structures, roles and "
     "priorities plainly."),
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")
_PID_NUMBER = re.compile(r"^[A-Za-z_-]*?0*(\d+)$")


# --- labels and attribution ------------------------------------------------------------------

def sector_label(sector: Any) -> str:
    return SECTOR_LABELS.get(str(sector), str(sector).replace("_", " ").capitalize())


def time_point_label(tp: Any) -> str:
    return TIME_POINT_LABELS.get(str(tp), str(tp).replace("_", " ").capitalize())


def participant_number(participant_id: str) -> str:
    """``P07`` -> ``7``; ids without a trailing number are returned unchanged."""
    match = _PID_NUMBER.match(str(participant_id))
    return match.group(1) if match else str(participant_id)


def attribution(ics_label: str, participant_id: str, kind: str = "interview") -> str:
    """Pseudonymous attribution in the sector's style: ``London ICS - Participant 17``.

    Survey respondents are ``Respondent N``.
    """
    noun = "Respondent" if kind == "survey" else "Participant"
    label = str(ics_label).strip() or "ICS not disclosed"
    return f"{label} - {noun} {participant_number(participant_id)}"


def short_hash(*parts: Any) -> str:
    """Stable ordering key (sha256) for deterministic samples."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


# --- codes -----------------------------------------------------------------------------------

def code_group(code: str, parent: str | None, label: str = "") -> str:
    """``enabler``, ``barrier``, ``leadership_component`` or ``theme``.

    Decided from the parent code (or the id's prefix) and the label, so a codebook that
    nests enablers under ``enablers`` or names them ``enablers.x`` both work.
    """
    hay = " ".join(str(x).lower() for x in (parent or "", code.split(".")[0], label))
    if "component" in hay:
        return "leadership_component"
    if "enabler" in hay:
        return "enabler"
    if "barrier" in hay:
        return "barrier"
    return "theme"


def code_catalogue(codebook: Loaded, observed: Iterable[str]) -> pd.DataFrame:
    """One row per code: ``code, label, definition, parent, group, order``.

    Codebook order first (all codebook codes, seen or not), then codes only seen in the
    codings (sorted). Parent codes that only group children are kept (they may be coded).
    """
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    if codebook.ok:
        for item in codebook.data:
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            rows.append({"code": item["id"], "label": item["label"],
                         "definition": item.get("definition", ""),
                         "parent": item.get("parent")})
    for code in sorted(set(map(str, observed)) - seen):
        parent = code.rsplit(".", 1)[0] if "." in code else None
        rows.append({"code": code, "label": humanise(code), "definition": "", "parent": parent})
    known = {r["code"] for r in rows}
    for r in rows:  # a parent must be a known code; anything else (None, NaN) is no parent
        p = r["parent"]
        r["parent"] = p if isinstance(p, str) and p in known and p != r["code"] else None
    parent_of = {r["code"]: r["parent"] for r in rows}
    frame = pd.DataFrame(rows, columns=["code", "label", "definition", "parent"])
    frame["parent"] = frame["parent"].astype(object)

    def chain(code: str) -> list[str]:
        out, seen = [code], {code}
        while parent_of.get(out[-1]) is not None and parent_of[out[-1]] not in seen:
            out.append(parent_of[out[-1]])
            seen.add(out[-1])
        return out

    frame["level"] = [len(chain(c)) - 1 for c in frame["code"]]
    frame["top"] = [chain(c)[-1] for c in frame["code"]]
    top_label = dict(zip(frame["code"], frame["label"], strict=True))
    frame["group"] = [code_group(c, top, f"{lab} {top_label.get(top, '')}") for c, top, lab in
                      zip(frame["code"], frame["top"], frame["label"], strict=True)]
    frame["order"] = range(len(frame))
    return frame


def ancestors(catalogue: pd.DataFrame, code: str) -> list[str]:
    """Parents of ``code`` up to its top-level theme (nearest first)."""
    parent_of = {c: (p if isinstance(p, str) else None)
                 for c, p in zip(catalogue["code"], catalogue["parent"], strict=True)}
    out: list[str] = []
    current = parent_of.get(code)
    while isinstance(current, str) and current and current not in out:
        out.append(current)
        current = parent_of.get(current)
    return out


def subtree(catalogue: pd.DataFrame, code: str) -> list[str]:
    """``code`` and every code below it, in catalogue order."""
    return [c for c in catalogue["code"] if c == code or code in ancestors(catalogue, c)]


def rollup(coded: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Add every ancestor of each coded code (a child implies its parents); idempotent."""
    extra = [(s, a) for s, c in zip(coded["segment_id"], coded["code"], strict=True)
             for a in ancestors(catalogue, c)]
    if not extra:
        return coded
    more = pd.DataFrame(extra, columns=["segment_id", "code"])
    return (pd.concat([coded, more], ignore_index=True).drop_duplicates()
            .sort_values(["segment_id", "code"]).reset_index(drop=True))


def leaf_codes(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Codes with no children (the most specific codes)."""
    parents = set(catalogue["parent"].dropna().astype(str))
    return catalogue[~catalogue["code"].isin(parents)].reset_index(drop=True)


def component_key(code: str, label: str) -> str | None:
    """Match a code to one of the seven leadership components by id or label words."""
    hay = f"{code} {label}".lower().replace("_", " ")
    keys = {
        "inspiring_intent": ("inspir", "intent"),
        "creating_conditions": ("creating", "conditions"),
        "balancing_perspectives": ("balanc", "perspective"),
        "working_with_power": ("power",),
        "wider_view": ("wider",),
        "learning_development": ("learning",),
        "clarifying_complexity": ("complexity", "clarif"),
    }
    for key, words in keys.items():
        if any(w in hay for w in words):
            return key
    return None


# --- evaluation files (tolerant of the two common JSON shapes) -------------------------------

def _metric(entry: Any, name: str) -> tuple[float, float, float]:
    """(estimate, ci_low, ci_high) of one metric in one evaluation entry; NaN if absent."""
    nan = float("nan")
    if not isinstance(entry, dict):
        return nan, nan, nan
    value = entry.get(name)
    lo = entry.get(f"{name}_ci_low", entry.get(f"{name}_low", entry.get(f"{name}_lo")))
    hi = entry.get(f"{name}_ci_high", entry.get(f"{name}_high", entry.get(f"{name}_hi")))
    ci = entry.get(f"{name}_ci")
    if isinstance(value, dict):
        ci = value.get("ci", value.get("ci95", ci))
        lo = value.get("ci_low", value.get("low", lo))
        hi = value.get("ci_high", value.get("high", hi))
        value = value.get("estimate", value.get("value", value.get("point")))
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        lo, hi = ci
    return tuple(float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else nan
                 for x in (value, lo, hi))  # type: ignore[return-value]


def evaluation_frame(data: Any, key_names: Sequence[str], metrics: Sequence[str],
                     id_column: str) -> pd.DataFrame:
    """Per-item metrics table from an evaluation JSON.

    Finds the per-item block under one of ``key_names`` (a mapping id -> metrics, or a
    list of rows with an id field) and returns ``id_column`` plus ``<metric>``,
    ``<metric>_lo``, ``<metric>_hi`` and any ``support``/``n`` count.
    """
    if not isinstance(data, dict):
        return pd.DataFrame(columns=[id_column])
    block: Any = None
    for key in key_names:
        if key in data:
            block = data[key]
            break
    items: list[tuple[str, dict]] = []
    if isinstance(block, dict):
        items = [(str(k), v) for k, v in block.items() if isinstance(v, dict)]
    elif isinstance(block, list):
        for row in block:
            if isinstance(row, dict):
                ident = row.get(id_column, row.get("id", row.get("code", row.get("label"))))
                items.append((str(ident), row))
    rows = []
    for ident, entry in sorted(items):
        row: dict[str, Any] = {id_column: ident}
        for m in metrics:
            row[m], row[f"{m}_lo"], row[f"{m}_hi"] = _metric(entry, m)
        for count in ("support", "gold_segments", "n", "n_gold", "gold", "tp", "fp", "fn",
                      "level"):
            if isinstance(entry.get(count), (int, float)):
                row[count] = entry[count]
        rows.append(row)
    return pd.DataFrame(rows)


def low_agreement_codes(themes_evaluation: Loaded, threshold: float,
                        min_gold: int | None = None) -> dict[str, float]:
    """Codes with low agreement (code -> kappa); empty if not evaluated.

    Uses the evaluation's own ``low_agreement`` flag when it gives one (so the reports and
    the themes stage agree), else kappa below ``threshold``. Codes whose kappa is
    undefined (no gold examples) are not flagged, nor, with ``min_gold``, codes with fewer
    gold segments than that (too few for a stable kappa).
    """
    if not themes_evaluation.ok:
        return {}
    data = themes_evaluation.data
    frame = evaluation_frame(data, ("codes", "per_code", "by_code"), ("kappa",), "code")
    if frame.empty or "kappa" not in frame:
        return {}
    flags: dict[str, bool] = {}
    block = data.get("codes", data.get("per_code", data.get("by_code"))) \
        if isinstance(data, dict) else None
    entries = block.items() if isinstance(block, dict) else \
        [(r.get("code"), r) for r in block or [] if isinstance(r, dict)]
    too_few: set[str] = set()
    for code, entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("low_agreement"), bool):
            flags[str(code)] = entry["low_agreement"]
        if min_gold is not None and isinstance(entry, dict) \
                and int(entry.get("gold_segments") or 0) < min_gold:
            too_few.add(str(code))
    out = {}
    for code, kappa in zip(frame["code"], frame["kappa"], strict=True):
        if str(code) in too_few:
            continue
        low = flags.get(str(code), not math.isnan(kappa) and kappa < threshold)
        if low and not math.isnan(kappa):
            out[str(code)] = float(kappa)
    return out


def macro_block(evaluation: Any) -> dict[str, Any]:
    """The macro-average block: ``macro.all_codes`` if nested, else ``macro``."""
    if not isinstance(evaluation, dict):
        return {}
    macro = evaluation.get("macro") or {}
    if isinstance(macro.get("all_codes"), dict):
        return macro["all_codes"]
    return macro if isinstance(macro, dict) else {}


# --- participants and prevalence -------------------------------------------------------------

def coded_segments(segment_codes: pd.DataFrame) -> pd.DataFrame:
    """``segment_id, code`` pairs that are present (handles a 0/1 ``present`` column)."""
    frame = segment_codes
    for col in ("present", "value", "presence"):
        if col in frame.columns:
            frame = frame[pd.to_numeric(frame[col], errors="coerce").fillna(0) > 0]
            break
    return frame[["segment_id", "code"]].astype(str).drop_duplicates().reset_index(drop=True)


def units(segments: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Distinct participants (``study, participant_id`` plus ``by``) with segments."""
    cols = ["study", "participant_id", *[b for b in by if b not in ("study", "participant_id")]]
    return segments[cols].astype(str).drop_duplicates().reset_index(drop=True)


def prevalence(segments: pd.DataFrame, coded: pd.DataFrame, codes: Sequence[str],
               by: Sequence[str]) -> pd.DataFrame:
    """Participants with each code / participants, per group of ``by`` columns.

    Returns ``*by, code, k, n, share`` for every group x code (zeros kept).
    """
    by = list(by)
    people = units(segments, by)
    unit_cols = list(people.columns)
    n = people.groupby(by, sort=True).size().rename("n").reset_index() if by else \
        pd.DataFrame({"n": [len(people)]})
    hits = coded.merge(segments[["segment_id", *unit_cols]].astype(str), on="segment_id")
    hits = hits[hits["code"].isin(list(codes))][[*unit_cols, "code"]].drop_duplicates()
    if by:
        k = hits.groupby([*by, "code"], sort=True).size().rename("k").reset_index()
        grid = n[by].merge(pd.DataFrame({"code": list(codes)}), how="cross")
        out = grid.merge(n, on=by).merge(k, on=[*by, "code"], how="left")
    else:
        k = hits.groupby("code", sort=True).size().rename("k").reset_index()
        out = pd.DataFrame({"code": list(codes)}).merge(k, on="code", how="left")
        out["n"] = len(people)
    out["k"] = out["k"].fillna(0).astype(int)
    out["n"] = out["n"].astype(int)
    out["share"] = [k_ / n_ if n_ else float("nan") for k_, n_ in
                    zip(out["k"], out["n"], strict=True)]
    return out.reset_index(drop=True)


def participants_table(segments: pd.DataFrame, by: str = "ics_label") -> pd.DataFrame:
    """Participants by ICS (or ``by``) x sector (rows) and time point (columns), with totals.

    Cells count distinct participants; the ``Total`` column counts each person once even
    when interviewed at two time points.
    """
    first = {"ics_label": "ICS", "region": "Region"}.get(by, by)
    people = units(segments, (by, "sector", "time_point")).rename(columns={by: "ics_label"})
    tps = [tp for tp in TIME_POINT_ORDER if tp in set(people["time_point"])]
    tps += sorted(set(people["time_point"]) - set(tps))
    rows = []
    for (ics, sector), group in people.groupby(["ics_label", "sector"], sort=True):
        row: dict[str, Any] = {first: ics, "Sector": sector_label(sector)}
        for tp in tps:
            row[time_point_label(tp)] = int((group["time_point"] == tp).sum())
        row["Total"] = group["participant_id"].nunique()
        rows.append(row)
    total: dict[str, Any] = {first: "Total", "Sector": ""}
    for tp in tps:
        total[time_point_label(tp)] = int((people["time_point"] == tp).sum())
    total["Total"] = people[["study", "participant_id"]].drop_duplicates().shape[0]
    rows.append(total)
    return pd.DataFrame(rows)


def corpus_sizes(segments: pd.DataFrame, documents: pd.DataFrame | None,
                 studies: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Per study: documents, participants, segments, words, time points."""
    rows = []
    for study in studies:
        seg = segments[segments["study"] == study["id"]]
        docs = (documents[documents["study"] == study["id"]]["document"].nunique()
                if documents is not None else seg["document"].nunique())
        words = pd.to_numeric(seg["words"], errors="coerce") if "words" in seg else \
            seg["text"].astype(str).str.split().str.len()
        tps = sorted(set(seg["time_point"].astype(str)), key=lambda t: (
            TIME_POINT_ORDER.index(t) if t in TIME_POINT_ORDER else 9, t))
        rows.append({
            "Study": study["title"].split(":")[0],
            "Design": "survey" if study["kind"] == "survey" else "interviews",
            "Documents": int(docs),
            "Participants": int(seg[["participant_id"]].drop_duplicates().shape[0]),
            "Segments": int(len(seg)),
            "Words": int(words.fillna(0).sum()) if len(seg) else 0,
            "Median words per segment": float(words.median()) if len(seg) else float("nan"),
            "Time points": ", ".join(time_point_label(t) for t in tps) or "-",
        })
    return pd.DataFrame(rows)


# --- quotes ----------------------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(str(text).strip()) if s]


def trim_quote(text: str, max_words: int, focus: str | None = None) -> str:
    """Cut a segment to about ``max_words`` whole sentences around the ``focus`` sentence."""
    parts = sentences(text)
    if not parts or len(str(text).split()) <= max_words:
        return " ".join(str(text).split())
    centre = 0
    if focus:
        needle = " ".join(str(focus).split())[:60]
        for i, part in enumerate(parts):
            if needle and needle[:40] in " ".join(part.split()):
                centre = i
                break
    lo = hi = centre
    words = len(parts[centre].split())
    while True:
        grown = False
        if hi + 1 < len(parts) and words + len(parts[hi + 1].split()) <= max_words:
            hi += 1
            words += len(parts[hi].split())
            grown = True
        if lo > 0 and words + len(parts[lo - 1].split()) <= max_words:
            lo -= 1
            words += len(parts[lo].split())
            grown = True
        if not grown:
            break
    body = " ".join(" ".join(p.split()) for p in parts[lo:hi + 1])
    if words > max_words:  # a single very long sentence
        body = " ".join(body.split()[:max_words])
        hi = len(parts)  # force the trailing ellipsis
    return ("... " if lo > 0 else "") + body + (" ..." if hi < len(parts) - 1 else "")


def select_quotes(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    code: str | Sequence[str],
    *,
    n: int,
    max_words: int,
    kind_of: dict[str, str],
    study: str | None = None,
    time_point: str | None = None,
    exclude: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Up to ``n`` candidate quotes for ``code`` (or any of several codes), one per person.

    Rank: most distinct pieces of coding evidence in the segment, then longer segments up
    to the quote length, then segment id (deterministic). Selection is machine output;
    researchers choose the quotes that go into a paper. Segments in ``exclude`` (already
    quoted elsewhere) are skipped. Each quote names the code with most evidence in it.
    Survey answers (segments with a ``question``) are attributed to a Respondent.
    """
    wanted = [code] if isinstance(code, str) else list(code)
    rows = codings[codings["code"].astype(str).isin(wanted)]
    if exclude:
        rows = rows[~rows["segment_id"].astype(str).isin(exclude)]
    if study is not None:
        rows = rows[rows["study"].astype(str) == study]
    if rows.empty:
        return []
    evidence_col = "evidence" if "evidence" in rows.columns else "code"
    rows = rows.assign(_ev=rows["code"].astype(str) + "\x1f" + rows[evidence_col].astype(str))
    strength = rows.groupby("segment_id").agg(
        evidence=("_ev", "nunique"),
        focus=("sentence", "first") if "sentence" in rows.columns else ("code", "first"),
        best=("code", lambda s: s.astype(str).value_counts().sort_index()
              .sort_values(ascending=False, kind="stable").index[0]),
    ).reset_index()
    merged = strength.merge(segments.astype({"segment_id": str}), on="segment_id")
    if time_point is not None:
        merged = merged[merged["time_point"].astype(str) == time_point]
    if merged.empty:
        return []
    merged["length_fit"] = [min(len(str(t).split()), max_words) for t in merged["text"]]
    merged = merged.sort_values(["evidence", "length_fit", "segment_id"],
                                ascending=[False, False, True])
    chosen: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for row in merged.itertuples(index=False):
        person = (str(row.study), str(row.participant_id))
        if person in seen:
            continue
        seen.add(person)
        focus = row.focus if "sentence" in rows.columns else None
        question = getattr(row, "question", None)
        survey = isinstance(question, str) and bool(question.strip())
        kind = "survey" if survey else ("interview" if "question" in merged.columns
                                        else kind_of.get(str(row.study), "interview"))
        chosen.append({
            "code": str(row.best),
            "segment_id": str(row.segment_id),
            "study": str(row.study),
            "participant_id": str(row.participant_id),
            "time_point": str(row.time_point),
            "text": trim_quote(str(row.text), max_words, focus),
            "attribution": attribution(str(row.ics_label), str(row.participant_id), kind),
        })
        if len(chosen) >= n:
            break
    return chosen


# --- cross-study comparisons -----------------------------------------------------------------

def convergence_table(prev: pd.DataFrame, studies: Sequence[str], labels: dict[str, str],
                      catalogue: pd.DataFrame, *, present_share: float,
                      min_participants: int, divergence_gap: float) -> pd.DataFrame:
    """Classify each theme by where it is prominent across studies.

    A theme is *prominent* in a study when at least ``present_share`` of its participants
    and at least ``min_participants`` people raised it. Pattern: ``all studies`` (prominent
    in every study), ``several studies``, ``one study only`` or ``not prominent``. A theme
    whose share differs between studies by ``divergence_gap`` or more is flagged as
    divergent, naming the highest and lowest study.
    """
    rows = []
    for code in catalogue["code"]:
        sub = prev[prev["code"] == code].set_index("study")
        present = [s for s in studies if s in sub.index and sub.loc[s, "share"] >= present_share
                   and sub.loc[s, "k"] >= min_participants]
        shares = {s: float(sub.loc[s, "share"]) for s in studies if s in sub.index
                  and not math.isnan(float(sub.loc[s, "share"]))}
        if len(studies) > 1 and len(present) == len(studies):
            pattern = "convergent: all studies"
        elif len(present) >= 2:
            pattern = f"shared: {len(present)} of {len(studies)} studies"
        elif len(present) == 1:
            pattern = f"particular: {labels.get(present[0], present[0])} only"
        else:
            pattern = "not prominent in any study"
        gap = (max(shares.values()) - min(shares.values())) if len(shares) > 1 else 0.0
        divergence = ""
        if gap >= divergence_gap:
            hi = max(shares, key=lambda s: (shares[s], s))
            lo = min(shares, key=lambda s: (shares[s], s))
            divergence = (f"divergent: {labels.get(hi, hi)} {share_pct(shares[hi])} vs "
                          f"{labels.get(lo, lo)} {share_pct(shares[lo])}")
        row: dict[str, Any] = {"code": code, "pattern": pattern, "divergence": divergence,
                               "n_prominent": len(present), "gap": gap}
        for s in studies:
            if s in sub.index:
                row[s] = f"{int(sub.loc[s, 'k'])}/{int(sub.loc[s, 'n'])}"
            else:
                row[s] = "-"
        rows.append(row)
    order = {"convergent": 0, "shared": 1, "particular": 2, "not": 3}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_o"] = [order[p.split(":")[0].split(" ")[0]] for p in frame["pattern"]]
    frame = frame.sort_values(["_o", "n_prominent", "gap", "code"],
                              ascending=[True, False, False, True])
    return frame.drop(columns="_o").reset_index(drop=True)


def two_time_point_studies(segments: pd.DataFrame) -> list[str]:
    """Studies with both baseline and follow-up segments."""
    out = []
    for study, group in segments.groupby("study", sort=True):
        tps = set(group["time_point"].astype(str))
        if {"baseline", "follow_up"} <= tps:
            out.append(str(study))
    return out


def time_point_changes(segments: pd.DataFrame, coded: pd.DataFrame, codes: Sequence[str],
                       study: str, *, min_net_participants: int, min_net_share: float,
                       kind: str = "interview") -> pd.DataFrame:
    """Baseline vs follow-up per theme, with the participants behind each change.

    Prevalence uses everyone interviewed at each time point; *gained* / *lost* use the
    participants interviewed at both (paired). A theme is ``more often raised at
    follow-up`` when the net paired change (gained - lost) is at least
    ``min_net_participants`` and at least ``min_net_share`` of the paired participants;
    ``less often`` symmetrically; otherwise ``no clear change``.
    """
    seg = segments[segments["study"].astype(str) == study].astype(
        {"participant_id": str, "time_point": str, "segment_id": str})
    hits = coded.merge(seg[["segment_id", "participant_id", "time_point", "ics_label"]],
                       on="segment_id")
    base_people = set(seg.loc[seg["time_point"] == "baseline", "participant_id"])
    follow_people = set(seg.loc[seg["time_point"] == "follow_up", "participant_id"])
    paired = sorted(base_people & follow_people)
    ics_of = dict(zip(seg["participant_id"], seg["ics_label"].astype(str), strict=False))
    rows = []
    for code in codes:
        h = hits[hits["code"] == code]
        at_base = set(h.loc[h["time_point"] == "baseline", "participant_id"])
        at_follow = set(h.loc[h["time_point"] == "follow_up", "participant_id"])
        gained = [p for p in paired if p in at_follow and p not in at_base]
        lost = [p for p in paired if p in at_base and p not in at_follow]
        net = len(gained) - len(lost)
        if paired and net >= min_net_participants and net / len(paired) >= min_net_share:
            direction = "more often raised at follow-up"
        elif paired and -net >= min_net_participants and -net / len(paired) >= min_net_share:
            direction = "less often raised at follow-up"
        else:
            direction = "no clear change"

        def cases(people: list[str], tp: str, hits_code: pd.DataFrame = h) -> list[dict]:
            out = []
            for p in people:
                segs = sorted(hits_code.loc[(hits_code["participant_id"] == p)
                                            & (hits_code["time_point"] == tp), "segment_id"])
                out.append({"attribution": attribution(ics_of.get(p, ""), p, kind),
                            "trace_id": segs[0] if segs else ""})
            return out

        nb, nf = len(base_people), len(follow_people)
        kb = len(at_base & base_people)
        kf = len(at_follow & follow_people)
        rows.append({
            "code": code, "k_baseline": kb, "n_baseline": nb, "k_follow_up": kf,
            "n_follow_up": nf, "share_baseline": kb / nb if nb else float("nan"),
            "share_follow_up": kf / nf if nf else float("nan"),
            "n_paired": len(paired), "gained": cases(gained, "follow_up"),
            "lost": cases(lost, "baseline"), "net": net, "direction": direction,
        })
    return pd.DataFrame(rows)


# --- surveys ---------------------------------------------------------------------------------

def closed_question_summary(documents: pd.DataFrame, study: str,
                            columns: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per closed question: answer, respondents, share of all respondents (blank kept)."""
    docs = documents[documents["study"].astype(str) == study]
    total = len(docs)
    out: dict[str, pd.DataFrame] = {}
    for col in columns:
        answers = [((c or {}).get(col) if isinstance(c, dict) else None)
                   for c in docs.get("closed", pd.Series([None] * total))]
        clean = [str(a).strip() if a is not None and str(a).strip() else "(no answer)"
                 for a in answers]
        counts = pd.Series(clean, dtype=object).value_counts()
        frame = pd.DataFrame({"answer": counts.index.astype(str), "n": counts.values})
        frame["blank"] = frame["answer"] == "(no answer)"
        frame = frame.sort_values(["blank", "n", "answer"], ascending=[True, False, True])
        frame["share"] = frame["n"] / total if total else float("nan")
        out[col] = frame.drop(columns="blank").reset_index(drop=True)
    return out


def free_text_coding(segments: pd.DataFrame, coded: pd.DataFrame, study: str,
                     codes: Sequence[str]) -> pd.DataFrame:
    """Per free-text question and code: respondents whose answer has the code / answered."""
    seg = segments[(segments["study"].astype(str) == study)]
    if "question" not in seg.columns:
        return pd.DataFrame(columns=["question", "code", "k", "n", "share"])
    seg = seg[seg["question"].notna() & (seg["question"].astype(str) != "")]
    if seg.empty:
        return pd.DataFrame(columns=["question", "code", "k", "n", "share"])
    return prevalence(seg, coded, codes, ["question"])
