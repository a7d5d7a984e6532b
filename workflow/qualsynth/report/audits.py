"""Sections of the de-identification audit and the coding evaluation reports."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from qualsynth.report import analysis as an
from qualsynth.report import figures as fg
from qualsynth.report import sections as sc
from qualsynth.report.context import Context, build_context
from qualsynth.report.data import load_jsonl
from qualsynth.report.tables import (
    MACHINE,
    badge,
    definition_list,
    details,
    esc,
    fmt_num,
    notice,
    paragraph,
    share_pct,
    table_html,
    trace_html,
)

# Pseudonym tokens the de-identification stage writes ([Person 4], [NHS trust 3], [email]):
# its own regex when available, else a general bracketed-token pattern.
try:
    from qualsynth.deid import PSEUDONYM_RE as PSEUDONYM
except ImportError:  # pragma: no cover - the deid stage defines it
    PSEUDONYM = re.compile(r"\[[A-Za-z][A-Za-z_&]*(?:[ _-][A-Za-z0-9&/]+)*\]")


def build(config_path: str) -> Context:
    return build_context(config_path)


# --- de-identification audit -----------------------------------------------------------------

def deid_title(ctx: Context) -> str:
    return sc.header("De-identification audit",
                     "What was replaced, whether anything known leaked, how well detection "
                     "works, and passages for a human reviewer.", [sc.run_line(ctx)])


def deid_counts(ctx: Context) -> str:
    """Counts by label, detector and study."""
    summary = ctx.inputs.deid_summary
    if not summary.ok:
        return sc.unavailable(summary, "Replacement counts")
    counts = sc.deid_counts(summary.data)
    parts = []
    if counts["documents"] is not None:
        parts.append(paragraph(f"Documents processed: {counts['documents']}. Replacements: "
                               f"{sum(counts['by_label'].values())}."))
    parts.append(sc._count_table(counts["by_label"], "Label", "Replacements by label"))
    parts.append(sc._count_table(counts["by_detector"], "Detector",
                                 "Replacements by detector"))
    rows = []
    for sid in ctx.study_ids:
        sub = sc.deid_counts(summary.data, sid)
        if not sub["found"]:
            continue
        row: dict[str, Any] = {"Study": ctx.labels[sid],
                               "Documents": sub["documents"] if sub["documents"] is not None
                               else "-",
                               "Replacements": sum(sub["by_label"].values())}
        for label in sorted(counts["by_label"]):
            row[label] = sub["by_label"].get(label, 0)
        rows.append(row)
    if rows:
        parts.append(table_html(pd.DataFrame(rows), caption="Replacements by study and label"))
    elif counts["by_study"]:
        frame = pd.DataFrame(sorted(counts["by_study"].items()),
                             columns=["Study", "Replacements"])
        parts.append(table_html(frame, caption="Replacements by study"))
    else:
        parts.append(notice("summary.json has no per-study counts.", kind="missing"))
    return "".join(parts)


def gate(ctx: Context) -> str:
    """Leakage gate result with what it checked."""
    g = ctx.inputs.leakage_gate
    if not g.ok:
        return sc.unavailable(g, "The leakage gate result")
    files = g.data.get("checked_files", [])
    survivors = g.data.get("survivors", [])
    out = sc.gate_html(ctx)
    facts = [(label, ", ".join(map(str, g.data[key])) if isinstance(g.data[key], list)
              else str(g.data[key])) for key, label in (
        ("register_people", "People in the registers"), ("strings_scanned",
                                                          "Identifying strings searched for"),
        ("checks", "Kinds of check")) if key in g.data]
    if facts:
        out += definition_list(facts)
    if isinstance(files, list) and files:
        out += details(f"Files searched by the gate ({len(files)})", table_html(
            pd.DataFrame({"Checked file": [str(f) for f in files]}),
            caption=f"Files searched by the gate ({len(files)})"))
    n_survivors = len(survivors) if isinstance(survivors, list) else int(survivors or 0)
    if n_survivors:
        out += notice(f"{n_survivors} survivor(s) are listed in leakage_gate.json (file and "
                      "position only). Reports should not have been built.", kind="warning")
    return out


def _metric_cell(row: pd.Series, name: str) -> str:
    est, lo, hi = row.get(name), row.get(f"{name}_lo"), row.get(f"{name}_hi")
    if est is None or (isinstance(est, float) and math.isnan(est)):
        return "-"
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return f"{est:.2f}"
    return f"{est:.2f} ({lo:.2f}-{hi:.2f})"


def deid_evaluation(ctx: Context) -> str:
    """Precision, recall and F1 per label against annotated (gold) spans, and what was missed."""
    ev = ctx.inputs.deid_evaluation
    if not ev.ok:
        return sc.unavailable(ev, "The de-identification evaluation")
    data = ev.data
    frame = an.evaluation_frame(data, ("labels", "per_label", "by_label"),
                                ("precision", "recall", "f1"), "label")
    if frame.empty:
        return notice("evaluation.json holds no per-label results.", kind="missing")

    def metric_table(frame: pd.DataFrame, key: str, caption: str) -> str:
        table = pd.DataFrame({
            key.capitalize(): frame[key],
            "Precision (95% CI)": [_metric_cell(r, "precision") for _, r in frame.iterrows()],
            "Recall (95% CI)": [_metric_cell(r, "recall") for _, r in frame.iterrows()],
            "F1 (95% CI)": [_metric_cell(r, "f1") for _, r in frame.iterrows()],
        })
        for count, name in (("support", "Gold spans"), ("tp", "TP"), ("fp", "FP"),
                            ("fn", "FN")):
            if count in frame:
                table[name] = frame[count].fillna(0).astype(int).to_numpy()
        return table_html(table, caption=caption)

    corpus = data.get("corpus") or data.get("engine")
    parts = [paragraph("Detection compared with hand-annotated identifier spans"
                       + (f" ({corpus})" if isinstance(corpus, str) else "") + ". Recall "
                       "matters most: a missed identifier is a leak; a false positive only "
                       "costs readability.")]
    facts = []
    for key, label in (("overall", "Overall (any identifier)"), ("micro", "Micro average")):
        if isinstance(data.get(key), dict):
            m = data[key]
            facts.append((label, ", ".join(
                f"{name} {_metric_cell(pd.Series(_row(m, name)), name)}"
                for name in ("precision", "recall", "f1")
                if not math.isnan(an._metric(m, name)[0]))))
    resid = data.get("residual_identifier_chars")
    if isinstance(resid, dict) and isinstance(resid.get("share"), (int, float)):
        facts.append(("Identifier characters left readable",
                      f"{share_pct(resid['share'], 2)} ({resid.get('left')} of "
                      f"{resid.get('gold_chars')})"))
    if "all_targets_met" in data:
        facts.append(("All recall and precision targets met",
                      "yes" if data["all_targets_met"] else "NO"))
    missed = data.get("missed")
    if isinstance(missed, list):
        by = pd.Series([f"{m.get('label', '?')}" for m in missed if isinstance(m, dict)])
        facts.append(("Gold identifiers missed", f"{len(missed)}" + (
            " (" + ", ".join(f"{k} {v}" for k, v in sorted(by.value_counts().items())) + ")"
            if len(by) else "")))
    if facts:
        parts.append(definition_list(facts))
    parts.append(metric_table(frame, "label", "De-identification evaluation by label"))
    by_study = an.evaluation_frame(data, ("by_study",), ("precision", "recall", "f1"),
                                   "study")
    if not by_study.empty:
        by_study["study"] = [ctx.labels.get(s, s) for s in by_study["study"]]
        parts.append(metric_table(by_study, "study", "De-identification evaluation by study"))
    return "".join(parts)


def _row(block: dict, name: str) -> dict:
    est, lo, hi = an._metric(block, name)
    return {name: est, f"{name}_lo": lo, f"{name}_hi": hi}


def _audit_rows(ctx: Context) -> pd.DataFrame:
    """Rows per audit log: all, text replacements and speaker-label replacements."""
    base = Path(ctx.inputs.config["processed_dir"]) / "deid" / "audit"
    rows = []
    for sid in ctx.study_ids:
        folder = base / sid
        for f in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            loaded = load_jsonl(f, "de-identification")
            data = loaded.data if loaded.ok else pd.DataFrame()
            field = data["field"].astype(str) if "field" in data else pd.Series(["text"] *
                                                                                len(data))
            rows.append({"study": sid, "document": f.stem, "rows": len(data),
                         "text": int((field == "text").sum()),
                         "speaker": int((field == "speaker").sum())})
    return pd.DataFrame(rows, columns=["study", "document", "rows", "text", "speaker"])


def audit_log(ctx: Context) -> str:
    """Every change is logged: audit rows per study, checked against the summary."""
    rows = _audit_rows(ctx)
    if rows.empty:
        return notice("No audit logs found under data/processed/deid/audit/<study>/: every "
                      "replacement should be logged there (label, detector, position, "
                      "pseudonym; never the original).", kind="missing")
    summary = ctx.inputs.deid_summary
    out = []
    for sid in ctx.study_ids:
        sub = rows[rows["study"] == sid]
        text_rows = int(sub["text"].sum())
        expected = None
        if summary.ok:
            block = (summary.data.get("by_study") or {}).get(sid, {})
            expected = block.get("spans") if isinstance(block.get("spans"), int) else sum(
                sc.deid_counts(summary.data, sid)["by_label"].values())
        status = "-" if expected is None else ("matches" if expected == text_rows else
                                               f"differs (summary says {expected})")
        out.append({"Study": ctx.labels[sid], "Documents with a log": len(sub),
                    "Text replacements logged": text_rows,
                    "Speaker labels logged": int(sub["speaker"].sum()),
                    "Text replacements vs summary.json": status})
    return (paragraph("Each replaced span is logged in data/processed/deid/audit/<study>/"
                      "<document>.jsonl with its label, detector, position and pseudonym "
                      "(never the original text), so every change can be reviewed.")
            + table_html(pd.DataFrame(out), caption="Audit log rows by study"))


def highlight(text: str) -> str:
    """Escape a passage and mark its pseudonym tokens."""
    out, last = [], 0
    for m in PSEUDONYM.finditer(text):
        out.append(esc(text[last:m.start()]))
        out.append(f'<mark class="qs-pseudo">{esc(m.group(0))}</mark>')
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def review_sample(ctx: Context) -> str:
    """Passages for a human reviewer: the de-identification stage's own sample if it wrote
    one (summary.json ``review_sample``), else a deterministic, study-stratified sample."""
    given = ctx.inputs.deid_summary.data.get("review_sample") \
        if ctx.inputs.deid_summary.ok else None
    if isinstance(given, list) and given:
        frame = pd.DataFrame([r for r in given if isinstance(r, dict) and "text" in r])
        if not frame.empty:
            frame = frame.rename(columns={"segment_id": "trace_id", "turn_id": "trace_id"})
            frame = frame[frame["study"].astype(str).isin(ctx.study_ids)]
            frame = frame.sort_values(["study", "trace_id"])
            return _review_table(ctx, frame, "The de-identification stage selected these "
                                 f"{len(frame)} passages for review (summary.json).")
    turns = load_jsonl(Path(ctx.inputs.config["processed_dir"]) / "deid" / "turns.jsonl",
                       "de-identification", ("turn_id", "study", "text"))
    if turns.ok:
        frame = turns.data.rename(columns={"turn_id": "trace_id"})
        unit = "turn"
    elif ctx.segments is not None:
        frame = ctx.segments.rename(columns={"segment_id": "trace_id"})
        unit = "segment"
    else:
        return sc.unavailable(ctx.inputs.segments, "The review sample")
    frame = frame[frame["study"].astype(str).isin(ctx.study_ids)].copy()
    frame["n_pseudo"] = [len(PSEUDONYM.findall(str(t))) for t in frame["text"]]
    candidates = frame[frame["n_pseudo"] > 0].copy()
    if candidates.empty:
        return notice(f"No de-identified {unit} contains a pseudonym token, so there is "
                      "nothing to sample; check that de-identification ran.", kind="warning")
    size = int(ctx.settings["deid_sample_size"])
    seed = ctx.settings["sample_seed"]
    candidates["_key"] = [an.short_hash(seed, t) for t in candidates["trace_id"]]
    per_study = max(1, math.ceil(size / max(1, len(ctx.study_ids))))
    picked = (candidates.sort_values("_key").groupby("study", sort=True).head(per_study)
              .sort_values(["study", "trace_id"]).head(size))
    return _review_table(ctx, picked, f"{len(picked)} of {len(candidates)} {unit}s containing "
                         f"a pseudonym, sampled reproducibly (seed {seed}, up to {per_study} "
                         "per study).")


def _review_table(ctx: Context, picked: pd.DataFrame, how: str) -> str:
    speaker = picked["speaker"].astype(str) if "speaker" in picked else [""] * len(picked)
    table = pd.DataFrame({
        "Trace id": [trace_html(str(t)) for t in picked["trace_id"]],
        "Study": [ctx.labels.get(str(s), str(s)) for s in picked["study"]],
        "Speaker": [esc(s) for s in speaker],
        "De-identified passage": [highlight(str(t)) for t in picked["text"]],
        "Reviewer: OK / change needed": ["&#9744; OK &nbsp; &#9744; change"] * len(picked),
    })
    if not any(str(s).strip() for s in speaker):
        table = table.drop(columns="Speaker")
    return (paragraph(f"{how} UK "
                      "Data Service practice: a person reads each passage for identifiers the "
                      "software missed (including indirect ones: a job title with an "
                      "organisation, a small place, a distinctive event), records the "
                      "decision, and every change is logged.")
            + table_html(table, caption="Passages for human review (pseudonyms highlighted)",
                         html_columns=("Trace id", "Speaker", "De-identified passage",
                                       "Reviewer: OK / change needed")))


# --- coding evaluation -----------------------------------------------------------------------

def coding_title(ctx: Context) -> str:
    return sc.header("Coding evaluation",
                     f"How well the theme coding ({ctx.coding_method}) agrees with the gold "
                     "coding, code by code.", [sc.run_line(ctx)])


def _coding_frame(ctx: Context, data: Any) -> pd.DataFrame:
    """Per-code rows of an evaluation, in codebook order."""
    frame = an.evaluation_frame(data, ("codes", "per_code", "by_code"),
                                ("precision", "recall", "f1", "kappa", "alpha"), "code")
    if frame.empty:
        return frame
    order = {c: i for i, c in enumerate(ctx.catalogue["code"])}
    frame = frame.sort_values("code", key=lambda s: s.map(lambda c: order.get(c, 10**6)))
    return frame.reset_index(drop=True)


def _gold_count_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("gold_segments", "support", "n_gold", "n", "gold")
                 if c in frame), None)


def _macro_table(data: dict[str, Any], caption: str) -> str:
    macro = data.get("macro") or {}
    blocks = [("all codes with gold examples", macro["all_codes"]),
              ("frequent codes", macro.get("frequent_codes") or {})] \
        if isinstance(macro.get("all_codes"), dict) else [("all codes", macro)]
    macro_rows = []
    for scope, block in blocks:
        if not isinstance(block, dict) or not block:
            continue
        row: dict[str, Any] = {"Macro average over": scope, "Codes": block.get("n_codes", "-")}
        for name, label in (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
                            ("kappa", "Cohen's kappa"), ("alpha", "Krippendorff's alpha")):
            row[f"{label} (95% CI)"] = _metric_cell(pd.Series(_row(block, name)), name)
        macro_rows.append(row)
    return table_html(pd.DataFrame(macro_rows), caption=caption,
                      empty_message="The evaluation has no macro averages.")


def _target_pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    targets = data.get("targets")
    if isinstance(targets, dict):
        if "macro_kappa_met" in targets:
            pairs.append(("Target: macro kappa >= " + str(targets.get("macro_kappa_min")),
                          "met" if targets["macro_kappa_met"] else "NOT met"))
        if "recall_met" in targets:
            below = targets.get("codes_below_recall_target") or []
            clearly = targets.get("codes_clearly_below_recall_target")
            pairs.append(("Target: recall >= " + str(targets.get("recall_min")),
                          ("met" if targets["recall_met"] else "NOT met")
                          + (f" ({len(below)} code(s) below" if below else "")
                          + (_clearly_below(len(below), len(clearly))
                             if below and clearly is not None else "")
                          + (")" if below else "")))
    return pairs


def _files_with_sha(paths: Any, digests: Any) -> str:
    """``a.csv (sha256 1234abcd5678); b.csv (...)`` from the "; "-joined provenance fields."""
    if not paths:
        return "-"
    names = str(paths).split("; ")
    shas = str(digests or "").split("; ")
    return "; ".join(f"{name} (sha256 {sha[:12]})" if sha else name
                     for name, sha in zip(names, shas + [""] * len(names), strict=False))


def _coders(coders: list[str]) -> str:
    """Coder entries ``ID: description``, grouped: ``S1, S2: LLM-assisted ...; K5: ...``."""
    groups: dict[str, list[str]] = {}
    for entry in coders:
        name, sep, description = entry.partition(": ")
        key = description if sep else ""
        groups.setdefault(key, []).append(name if sep else entry)
    return "; ".join(", ".join(names) + (f": {key}" if key else "")
                     for key, names in groups.items()) or "-"


def _clearly_below(below: int, clearly: int) -> str:
    """How many codes below the recall target stay below it at the top of their interval."""
    if clearly == below:
        return "; all of them below it even at the top of the 95% interval"
    return (f"; {clearly} of them below it even at the top of the 95% interval, the "
            "others' intervals reach the target")


def _why_missing(ev: Any, unconfigured: str) -> str:
    """The loader's reason, or ``unconfigured`` when the file was never written."""
    reason = ev.reason or ""
    return unconfigured if "does not exist" in reason else reason


def coding_overview(ctx: Context) -> str:
    ev = ctx.inputs.themes_evaluation
    if not ev.ok:
        reason = _why_missing(ev, "no gold-coded sample was configured (config "
                              "themes.gold_codes and themes.gold_segments), so the themes "
                              "stage wrote no evaluation.json")
        return notice(f"No coding evaluation for this run: {reason}. Without a gold-coded "
                      "gold sample the agreement of the automatic coding is unknown; all "
                      "theme counts in the other reports are unvalidated machine indexing.",
                      kind="missing")
    data = ev.data
    pairs = []
    for key, label in (("n_segments", "Gold-coded segments"), ("n_gold_segments",
                                                                "Gold-coded segments"),
                       ("unit", "Unit of agreement"), ("codebook_version", "Codebook version"),
                       ("min_gold_segments", "Gold examples for a code to count as frequent"),
                       ("low_kappa_threshold", "Low-agreement threshold (kappa)")):
        if key in data and not isinstance(data[key], (dict, list)):
            pairs.append((label, str(data[key])))
    boot = data.get("bootstrap")
    if isinstance(boot, dict):
        pairs.append(("Confidence intervals", ", ".join(f"{k} {v}" for k, v in
                                                        sorted(boot.items()))))
    pairs.extend(_target_pairs(data))
    out = paragraph("Each code's automatic coding is compared with the gold (reference) "
                    "coding of the same segments. Kappa corrects agreement for chance; below "
                    f"{ctx.settings['kappa_warning']} is weaker than 'moderate' (Landis and "
                    "Koch 1977), and such codes carry a \u26a0 warning wherever their "
                    "counts appear in the reports.")
    if ctx.inputs.gold_used_for_rules:
        out += notice("The codebook's rules were refined against this gold coding "
                      "(config themes.gold_used_for_rules)"
                      + (" and the coding patterns were trained on it" if ctx.pattern_codings
                         else "")
                      + ", so these figures are in-sample and optimistic. The held-out check "
                      "below measures the coding on text it was never refined on.",
                      kind="warning")
    out += _macro_table(data, "Macro-averaged agreement") + definition_list(pairs)
    by_study = data.get("by_study")
    if isinstance(by_study, dict) and by_study:
        rows = [{"Study": ctx.labels.get(sid, sid), "Gold segments": v.get("n_segments"),
                 "Codes with gold": v.get("n_codes_with_gold"),
                 "Macro kappa": v.get("macro_kappa"), "Macro F1": v.get("macro_f1"),
                 "Macro recall": v.get("macro_recall")}
                for sid, v in sorted(by_study.items()) if isinstance(v, dict)]
        out += table_html(pd.DataFrame(rows), caption="Agreement by study")
    return out


def coding_holdout(ctx: Context) -> str:
    """Agreement on the held-out gold set: texts the rules were never refined on."""
    ev = ctx.inputs.themes_holdout
    if not ev.ok:
        reason = _why_missing(ev, "no held-out gold set was configured (config "
                              "themes.holdout_texts and themes.holdout_codes)")
        return notice(f"No held-out check for this run: {reason}. Agreement measured on "
                      "the gold the rules were written against overstates how well they "
                      "code new material.", kind="missing")
    data = ev.data
    gold = data.get("gold") or {}
    pairs = [("Held-out texts", str(data.get("n_segments", "-"))
              + (f" ({gold['sets']} sets pooled)" if int(gold.get("sets") or 1) > 1 else "")),
             ("Texts file(s)", _files_with_sha(gold.get("gold_segments"),
                                               gold.get("gold_segments_sha256"))),
             ("Codes file(s)", _files_with_sha(gold.get("gold_codes"),
                                               gold.get("gold_codes_sha256"))),
             ("Coders", _coders(gold.get("coders") or []))]
    pairs.extend(_target_pairs(data))
    frame = _coding_frame(ctx, data)
    table = ""
    if not frame.empty:
        count = _gold_count_column(frame)
        rows = []
        for _, r in frame.iterrows():
            row: dict[str, Any] = {"Code": ctx.code_cell(r["code"], indent=True)}
            if count:
                row["Gold texts with the code"] = int(r[count] or 0)
            for name, label in (("precision", "Precision (95% CI)"), ("recall", "Recall (95% CI)"),
                                ("kappa", "Kappa (95% CI)")):
                row[label] = _metric_cell(r, name)
            rows.append(row)
        table = table_html(pd.DataFrame(rows), caption="Per-code agreement on the held-out "
                           "set", html_columns=("Code",))
    learned = bool((data.get("gold") or {}).get("coding_patterns"))
    return (paragraph("The same rules applied to a separate gold set: texts written and "
                      "coded after the rules were fixed and never used to refine them"
                      + (", with the coding patterns, which were not trained on them"
                         if learned else "")
                      + ". This is the estimate of how the automatic coding does on new "
                      "material.")
            + _macro_table(data, "Macro-averaged agreement on the held-out set")
            + definition_list(pairs)
            + _second_coder(data.get("second_coder"), learned, ctx.code_label)
            + table)


def _second_coder(block: Any, learned: bool = False,
                  code_label: Callable[[str], str] = str) -> str:
    """The rules next to a second coder, each against the first, on the double-coded sample,
    with the recall target applied to both."""
    if not isinstance(block, dict):
        return ""
    rows = []
    tagger = "The rules and coding patterns" if learned else "The rules"
    for key, label in (("second_coder", "Second coder"), ("rules", tagger)):
        entry = block.get(key) or {}
        rows.append({"Compared with the first coder": label,
                     "Pooled kappa": fmt_num(entry.get("pooled_kappa")),
                     "Macro kappa": fmt_num(entry.get("macro_kappa")),
                     "Pooled precision": fmt_num(entry.get("pooled_precision")),
                     "Pooled recall": fmt_num(entry.get("pooled_recall"))})
    coders = _coders(block.get("coders") or [])
    return (paragraph(f"{block.get('n_passages', '?')} held-out texts were coded a second "
                      f"time, independently (second coder(s): {coders}). How far two readers "
                      "agree is the ceiling against which the rules' agreement with one "
                      "reader should be judged; readers who share their training (or are "
                      "instances of one language model) agree more than independent people "
                      "would, so then it is an upper bound. Macro kappa is over the "
                      f"{block.get('n_codes', '?')} codes the first coder gave at least "
                      f"{block.get('min_gold_in_sample', '?')} texts of the sample; pooled "
                      "kappa is over every (text, code) decision.")
            + table_html(pd.DataFrame(rows), caption="Two coders and the rules on the "
                         "double-coded sample")
            + _recall_target_both(block.get("recall_target"), tagger, code_label)
            + _second_coder_codes(block, tagger, code_label))


def _second_coder_codes(block: dict[str, Any], tagger: str,
                        code_label: Callable[[str], str]) -> str:
    """Per code on the double-coded sample: each reader's kappa and recall against the first
    coder, and which of them misses the recall target (codes it applies to only)."""
    target = block.get("recall_target") if isinstance(block.get("recall_target"), dict) else {}
    judged_min = target.get("min_gold_in_sample")
    below = {name: set(target.get(f"{name}_below") or []) for name in ("second_coder", "rules")}
    rows = []
    for row in block.get("codes") or []:
        if not isinstance(row, dict) or "code" not in row:
            continue
        code = row["code"]
        short = [label for name, label in (("second_coder", "second coder"), ("rules", "tagger"))
                 if code in below[name]]
        texts = row.get("first_coder_passages") or 0
        judged = isinstance(judged_min, int) and texts >= judged_min
        rows.append({"Code": code_label(code),
                     "First coder's texts": row.get("first_coder_passages"),
                     "Second coder: kappa": fmt_num(row.get("second_coder_kappa")),
                     "Second coder: recall": fmt_num(row.get("second_coder_recall")),
                     f"{tagger}: kappa": fmt_num(row.get("rules_kappa")),
                     f"{tagger}: recall": fmt_num(row.get("rules_recall")),
                     "Recall below target": " and ".join(short) if short
                     else ("neither" if judged else "")})
    if not rows:
        return ""
    return table_html(pd.DataFrame(rows), caption="Per code on the double-coded sample, each "
                      "reader against the first coder", note="Recall below target: only for "
                      f"codes the first coder gave at least {judged_min} texts of the sample."
                      if judged_min is not None else None)


def _recall_target_both(target: Any, tagger: str, label: Callable[[str], str]) -> str:
    """Which codes fall short of the recall target for the second coder and for the tagger,
    on the same double-coded texts and against the same first coder."""
    if not isinstance(target, dict) or not isinstance(target.get("rules_below"), list):
        return ""

    def listed(codes: list[str]) -> str:
        return f"{len(codes)} ({', '.join(label(c) for c in codes)})" if codes else "none"

    return paragraph(
        f"The recall target ({target.get('recall_min')} for every code) applied to both "
        f"readers of these texts: of the {target.get('n_codes', '?')} codes the first coder "
        f"gave at least {target.get('min_gold_in_sample', '?')} of them, the second coder's "
        f"recall is below it on {listed(target.get('second_coder_below') or [])}; that of "
        f"{tagger.lower()} on {listed(target['rules_below'])}. A code a second reader "
        "also misses is one the definitions leave open, not only one the tagger cannot "
        "read.")


def coding_table(ctx: Context) -> str:
    ev = ctx.inputs.themes_evaluation
    if not ev.ok:
        return notice("Per-code agreement cannot be shown without an evaluation.",
                      kind="missing")
    frame = _coding_frame(ctx, ev.data)
    if frame.empty:
        return notice("evaluation.json holds no per-code results.", kind="missing")
    table = pd.DataFrame({"Code": [ctx.code_cell(c, indent=True) for c in frame["code"]]})
    for name, label in (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
                        ("kappa", "Kappa"), ("alpha", "Alpha")):
        if frame[name].notna().any():
            table[f"{label} (95% CI)"] = [_metric_cell(r, name) for _, r in frame.iterrows()]
    count = _gold_count_column(frame)
    if count:
        table["Gold segments with the code"] = frame[count].fillna(0).astype(int).to_numpy()
    plotted = frame[frame["kappa"].notna()]
    flags = ["qs-flag" if c in ctx.low_kappa else "" for c in frame["code"]]
    if plotted.empty:
        return table_html(table, caption="Per-code agreement with the gold coding",
                          html_columns=("Code",), row_classes=flags) + notice(
            "No code has a defined kappa, so there is nothing to plot.", kind="missing")
    fig = fg.interval_plot(
        [ctx.code_label(c) for c in plotted["code"]], plotted["kappa"].tolist(),
        plotted["kappa_lo"].tolist(), plotted["kappa_hi"].tolist(),
        threshold=float(ctx.settings["kappa_warning"]),
        threshold_label=f"kappa {ctx.settings['kappa_warning']}",
        title="Agreement with the gold coding by code (Cohen's kappa, 95% CI)",
        xlabel="Cohen's kappa (1 = perfect, 0 = chance)", ylabel="Code")
    undefined = len(frame) - len(plotted)
    return (table_html(table, caption="Per-code agreement with the gold coding",
                       html_columns=("Code",), row_classes=flags)
            + fg.figure_html(fig, alt="Kappa per code with confidence intervals",
                             caption="Crosses in vermillion: codes below the warning "
                             "threshold (dashed line)."
                             + (f" {undefined} code(s) without a defined kappa (no gold "
                                "examples, or no disagreement possible) are not plotted."
                                if undefined else "")))


def coding_counts(ctx: Context) -> str:
    """How often each code was applied, per study, with low-agreement warnings."""
    if ctx.segments is None or ctx.coded is None:
        missing = ctx.first_unavailable(ctx.inputs.segments, ctx.inputs.segment_codes)
        return sc.unavailable(missing, "Coding counts") if missing else ""
    codes = list(ctx.codes["code"])
    seg = ctx.segments
    hits = ctx.coded.merge(seg[["segment_id", "study"]], on="segment_id")
    rows = []
    totals = seg.groupby("study").size().to_dict()
    for c in codes:
        row: dict[str, Any] = {"Code": ctx.code_cell(c, indent=True)}
        for sid in ctx.study_ids:
            k = int(((hits["code"] == c) & (hits["study"] == sid)).sum())
            n = int(totals.get(sid, 0))
            row[f"{ctx.labels[sid]} (of {n} segments)"] = k
        rows.append(row)
    flags = ["qs-flag" if c in ctx.low_kappa else "" for c in codes]
    return (table_html(pd.DataFrame(rows), caption="Segments coded with each code (or a "
                       "sub-code), by study (\u26a0 rows: low agreement; counts less "
                       "trustworthy)",
                       html_columns=("Code",), row_classes=flags) + badge(MACHINE))


def provenance(ctx: Context) -> str:
    return sc.provenance_appendix(ctx, full=False)
