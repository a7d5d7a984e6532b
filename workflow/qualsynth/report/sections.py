"""Sections shared by several reports: header, de-identification, topics, provenance.

Each function returns an HTML fragment; a notebook cell displays it. A section whose input
is missing, a placeholder or reports a non-ok status shows a notice saying why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import yaml

from qualsynth.report import figures as fg
from qualsynth.report.context import Context
from qualsynth.report.data import Loaded
from qualsynth.report.render import TOC_SLOT
from qualsynth.report.tables import (
    HUMAN,
    MACHINE,
    badge,
    definition_list,
    details,
    esc,
    fmt_num,
    notice,
    paragraph,
    pct,
    preformatted,
    share_pct,
    side_by_side,
    table_html,
)


def header(title: str, subtitle: str = "", lines: list[str] | None = None,
           toc: bool = True) -> str:
    """Report title block with an optional contents list (filled in at render time)."""
    parts = [f"<h1>{esc(title)}</h1>"]
    if subtitle:
        parts.append(f'<p class="qs-subtitle">{esc(subtitle)}</p>')
    for line in lines or []:
        parts.append(f'<p class="qs-meta">{esc(line)}</p>')
    if toc:
        parts.append(TOC_SLOT)
    return "".join(parts)


def unavailable(loaded: Loaded, what: str) -> str:
    """The standard notice for an input that is not there."""
    return notice(f"{what} cannot be shown: {loaded.reason}.", kind="missing")


def run_line(ctx: Context) -> str:
    """One line naming the run (from provenance.json, never the clock)."""
    prov = ctx.inputs.provenance
    if not prov.ok:
        return "Run details: provenance.json not available."
    data = prov.data
    return (f"Run date {data.get('run_date', 'unknown')} ({data.get('run_date_source', '')}); "
            f"code version {data.get('code_version', 'unknown')}.")


# --- de-identification -----------------------------------------------------------------------

def _counts(block: Any) -> dict[str, int]:
    if isinstance(block, dict):
        return {str(k): int(v) for k, v in block.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if isinstance(block, list):
        out: dict[str, int] = {}
        for row in block:
            if isinstance(row, dict):
                key = row.get("label", row.get("detector", row.get("name")))
                val = row.get("count", row.get("n"))
                if key is not None and isinstance(val, (int, float)):
                    out[str(key)] = int(val)
        return out
    return {}


def deid_counts(summary: dict[str, Any], study: str | None = None) -> dict[str, Any]:
    """``by_label``, ``by_detector``, ``documents`` for one study or overall.

    Accepts ``{by_label, by_detector, by_study, documents}`` and per-study blocks under
    ``studies``/``by_study`` holding the same keys.
    """
    block: dict[str, Any] = summary
    if study is not None:
        for key in ("studies", "by_study", "per_study"):
            sub = summary.get(key)
            if isinstance(sub, dict) and isinstance(sub.get(study), dict):
                block = sub[study]
                break
        else:
            return {"by_label": {}, "by_detector": {}, "documents": None, "found": False}

    def pick(*names: str) -> Any:
        for n in names:
            if n in block:
                return block[n]
        return None

    by_label = _counts(pick("by_label", "labels", "counts_by_label"))
    by_detector = _counts(pick("by_detector", "detectors", "counts_by_detector"))
    docs = pick("documents", "documents_processed", "n_documents")
    if isinstance(docs, list):
        docs = len(docs)
    by_study = {}
    if study is None:
        raw = summary.get("by_study", summary.get("studies"))
        if isinstance(raw, dict):
            for sid, v in raw.items():
                if isinstance(v, dict):
                    total = v.get("replacements", v.get("total", v.get("spans")))
                    if not isinstance(total, (int, float)):
                        total = sum(_counts(v.get("by_label", v.get("labels", {}))).values())
                    by_study[str(sid)] = int(total)
                elif isinstance(v, (int, float)):
                    by_study[str(sid)] = int(v)
    return {"by_label": by_label, "by_detector": by_detector, "documents": docs,
            "by_study": by_study, "found": True}


def _count_table(counts: dict[str, int], key: str, caption: str) -> str:
    total = sum(counts.values())
    frame = pd.DataFrame([{key: k, "Replacements": v,
                           "Share": pct(v, total)}
                          for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))])
    return table_html(frame, caption=caption, empty_message=f"{caption}: nothing was replaced.")


def gate_html(ctx: Context) -> str:
    """The leakage gate result in one sentence (the reports exist only if it passed)."""
    gate = ctx.inputs.leakage_gate
    if not gate.ok:
        return unavailable(gate, "The leakage gate result")
    data = gate.data
    passed = bool(data.get("passed"))
    checked = data.get("checked_files", [])
    survivors = data.get("survivors", [])
    n_checked = len(checked) if isinstance(checked, list) else checked
    text = (f"Leakage gate {'PASSED' if passed else 'FAILED'}: {n_checked} de-identified "
            f"file(s) searched for every name, alias and organisation in the participant "
            f"registers; {len(survivors) if isinstance(survivors, list) else survivors} "
            f"survivor(s) found.")
    return notice(text, kind="info" if passed and not survivors else "warning",
                  title="Leakage gate")


def deid_summary(ctx: Context, study: str | None = None) -> str:
    """Replacement counts by label and detector, documents processed, and the gate."""
    summary = ctx.inputs.deid_summary
    parts = [gate_html(ctx)]
    if not summary.ok:
        return "".join(parts) + unavailable(summary, "The de-identification summary")
    counts = deid_counts(summary.data, study)
    if not counts["found"]:
        return "".join(parts) + notice(
            f"summary.json has no per-study block for {study!r}; see the de-identification "
            "audit report for overall counts.", kind="missing")
    scope = f"study {ctx.labels.get(study, study)}" if study else "all studies"
    if counts["documents"] is not None:
        parts.append(paragraph(f"Documents processed ({scope}): {counts['documents']}. "
                               f"Replacements: {sum(counts['by_label'].values())}."))
    parts.append(side_by_side(
        _count_table(counts["by_label"], "Label", f"Replacements by label, {scope}"),
        _count_table(counts["by_detector"], "Detector", f"Replacements by detector, {scope}")))
    return "".join(parts)


# --- topics ----------------------------------------------------------------------------------

def topics_status(ctx: Context) -> str | None:
    """None when topics can be shown, else a notice explaining why not."""
    quality = ctx.inputs.topic_quality
    if not quality.ok:
        return unavailable(quality, "The topic model")
    status = quality.data.get("status", "ok")
    if status != "ok":
        why = (quality.data.get("summary") or quality.data.get("reason")
               or quality.data.get("message") or status)
        detail = quality.data.get("message") if quality.data.get("summary") else None
        return notice(f"The topic model was not fitted (status {status!r}): {why}"
                      + (f" {detail}" if detail and detail != why else "")
                      + " Topic tables are omitted rather than shown empty.",
                      kind="missing", title="Topic model status")
    if not ctx.inputs.topics.ok:
        return unavailable(ctx.inputs.topics, "The topic table")
    if ctx.inputs.topics.data.empty:
        return notice("topics.csv has no topics although the model status is ok.",
                      kind="missing")
    return None


def topic_label(topic: Any, label: Any) -> str:
    """``3: staff roles ...``: the topic number once, then the machine-made label."""
    text = "" if label is None or (isinstance(label, float) and np.isnan(label)) else str(label)
    if int(topic) == -1:
        return "-1: outliers (no topic)"
    return text if text.startswith(f"{int(topic)}:") else f"{int(topic)}: {text}".rstrip(": ")


def _topic_frame(ctx: Context) -> pd.DataFrame:
    topics = ctx.inputs.topics.data.copy()
    topics["topic"] = pd.to_numeric(topics["topic"], errors="coerce").astype("Int64")
    return topics


def topic_quality_html(ctx: Context) -> str:
    q = ctx.inputs.topic_quality.data
    keys = [("n_topics", "Topics"), ("backend", "Embedding backend"), ("seed", "Seed"),
            ("npmi", "Coherence (NPMI, -1 to 1; higher is better)"),
            ("diversity", "Topic diversity (share of unique top words)"),
            ("outlier_share", "Share of segments left as outliers"),
            ("stability_ari", "Stability across seeds (adjusted Rand index)")]
    pairs = [(label, fmt_num(q.get(k), 3)) for k, label in keys if k in q]
    return definition_list(pairs) if pairs else ""


def topics_for_study(ctx: Context, study: str) -> str:
    """The study's topics: share of its segments in each topic (machine output)."""
    problem = topics_status(ctx)
    if problem:
        return problem
    topics = _topic_frame(ctx)
    parts = [paragraph("Topics were found by a topic model (BERTopic) over all studies' "
                       "de-identified segments; labels are machine-generated from the top "
                       "words.") + badge(MACHINE)]
    by_group = ctx.inputs.topics_by_group
    if not by_group.ok:
        parts.append(unavailable(by_group, "Topic shares by study"))
        return "".join(parts)
    bg = by_group.data
    sub = bg[(bg["group_by"].astype(str) == "study") & (bg["group"].astype(str) == study)].copy()
    if sub.empty:
        parts.append(notice(f"by_group.csv has no rows for study {study!r}.", kind="missing"))
        return "".join(parts)
    sub["topic"] = pd.to_numeric(sub["topic"], errors="coerce").astype("Int64")
    sub = sub.merge(topics[["topic", "label"] + (["top_words"] if "top_words" in topics
                                                 else [])], on="topic", how="left")
    sub["n_segments"] = pd.to_numeric(sub["n_segments"], errors="coerce").fillna(0).astype(int)
    sub = sub[sub["n_segments"] > 0].sort_values(["n_segments", "topic"],
                                                 ascending=[False, True])
    if sub.empty:
        parts.append(notice(f"No segment of the {ctx.labels.get(study, study)} study was "
                            "assigned to a topic.", kind="missing"))
        return "".join(parts)
    denom = int(sub["denominator"].iloc[0])
    frame = pd.DataFrame({
        "Topic": [topic_label(t, lab) for t, lab in zip(sub["topic"], sub["label"],
                                                         strict=True)],
        "Top words": sub["top_words"].fillna("").astype(str) if "top_words" in sub else "",
        f"Segments (of {denom})": sub["n_segments"].astype(int),
        "Share": [pct(k, denom) for k in sub["n_segments"]],
    })
    parts.append(table_html(frame, caption=f"Topics in the {ctx.labels.get(study, study)} "
                            f"study: segments per topic out of the study's {denom} segments",
                            html_columns=()))
    return "".join(parts)


def topics_overview(ctx: Context) -> str:
    """All topics with size, top words, the studies they are most common in, and quality."""
    problem = topics_status(ctx)
    if problem:
        return problem
    topics = _topic_frame(ctx)
    total = int(pd.to_numeric(topics["size"], errors="coerce").fillna(0).sum())
    lead = {}
    if ctx.inputs.topics_by_group.ok:
        bg = ctx.inputs.topics_by_group.data
        bg = bg[bg["group_by"].astype(str) == "study"].copy()
        bg["topic"] = pd.to_numeric(bg["topic"], errors="coerce").astype("Int64")
        share_col = "share" if "share" in bg else None
        if share_col is None:
            bg["share"] = bg["n_segments"] / bg["denominator"]
        for topic, g in bg.groupby("topic"):
            g = g.sort_values(["share", "group"], ascending=[False, True])
            lead[int(topic)] = ", ".join(
                f"{ctx.labels.get(str(r.group), r.group)} {share_pct(float(r.share))}"
                for r in g.head(2).itertuples())
    uncoded = {}
    if ctx.inputs.crosswalk_topics.ok and "uncoded_share" in ctx.inputs.crosswalk_topics.data:
        ct = ctx.inputs.crosswalk_topics.data
        uncoded = {int(t): share_pct(pd.to_numeric(s, errors="coerce"))
                   for t, s in zip(ct["topic"], ct["uncoded_share"], strict=True)}
    frame = pd.DataFrame({
        "Topic": [topic_label(t, lab) for t, lab in zip(topics["topic"], topics["label"],
                                                         strict=True)],
        "Top words": topics["top_words"].fillna("").astype(str) if "top_words" in topics
        else "",
        f"Segments (of {total})": pd.to_numeric(topics["size"], errors="coerce").fillna(0)
        .astype(int),
        "Most common in (share of study's segments)": [lead.get(int(t), "-") if pd.notna(t)
                                                       else "-" for t in topics["topic"]],
    })
    if uncoded:
        frame["Segments with no theme"] = [uncoded.get(int(t), "-") for t in topics["topic"]]
    caption = ("Topics across all studies (machine output; topic -1, if present, holds "
               "segments the model left unassigned)")
    return (paragraph("A topic model groups segments by the words they use, independently of "
                      "the codebook. It is an exploratory check on the framework: topics "
                      "that match no theme may point to something the codebook misses.")
            + badge(MACHINE) + topic_quality_html(ctx) + table_html(frame, caption=caption))


def crosswalk_html(ctx: Context, max_topics: int = 20) -> str:
    """Topic x theme heatmap (share of each topic's segments carrying the theme)."""
    problem = topics_status(ctx)
    if problem:
        return problem
    cw = ctx.inputs.crosswalk
    if not cw.ok:
        return unavailable(cw, "The topic x theme crosswalk")
    frame = cw.data.copy()
    frame["topic"] = pd.to_numeric(frame["topic"], errors="coerce").astype("Int64")
    frame = frame[frame["topic"] >= 0]
    if frame.empty:
        return notice("The crosswalk has no rows for fitted topics (only outliers).",
                      kind="missing")
    topics = _topic_frame(ctx)
    size = dict(zip(topics["topic"], pd.to_numeric(topics["size"], errors="coerce")
                    .fillna(0).astype(int), strict=False))
    if "topic_size" in frame.columns:
        size.update({int(t): int(s) for t, s in zip(frame["topic"], pd.to_numeric(
            frame["topic_size"], errors="coerce").fillna(0), strict=True)})
    label = {int(t): topic_label(t, lab) for t, lab in zip(topics["topic"], topics["label"],
                                                           strict=True)}
    topic_ids = sorted(set(frame["topic"].dropna().astype(int)),
                       key=lambda t: (-size.get(t, 0), t))[:max_topics]
    present = set(frame["code"].astype(str))
    codes = [c for c in ctx.themes if c in present] or sorted(present - {"(uncoded)"})
    if "(uncoded)" in present:
        codes.append("(uncoded)")
    counts = np.zeros((len(codes), len(topic_ids)))
    for r in frame.itertuples():
        if int(r.topic) in topic_ids and str(r.code) in codes:
            counts[codes.index(str(r.code)), topic_ids.index(int(r.topic))] = int(r.n_segments)
    denoms = [size.get(t, 0) for t in topic_ids]
    shares = np.array([[counts[i, j] / denoms[j] if denoms[j] else np.nan
                        for j in range(len(topic_ids))] for i in range(len(codes))])
    fig = fg.prevalence_heatmap(
        shares, counts, [ctx.code_label(c) if c != "(uncoded)" else "(no theme coded)"
                         for c in codes],
        [f"Topic {t}" for t in topic_ids], denoms,
        title="Topic x theme crosswalk: segments in each topic carrying each theme",
        xlabel="Topic (n = segments in the topic; words in the table above)",
        ylabel="Theme (codebook)",
        flagged_rows=[c in ctx.low_kappa for c in codes], scale_label="share of segments")
    best = frame[frame["code"].astype(str).isin([c for c in codes if c != "(uncoded)"])].copy()
    best["share_of_topic"] = [r.n_segments / size.get(int(r.topic), 0)
                              if size.get(int(r.topic), 0) else np.nan
                              for r in best.itertuples()]
    best = best.sort_values(["share_of_topic", "topic", "code"],
                            ascending=[False, True, True]).head(10)
    table = pd.DataFrame({
        "Topic": [label.get(int(t), str(t)) for t in best["topic"]],
        "Theme": [ctx.code_cell(str(c)) for c in best["code"]],
        "Segments": [f"{int(k)}/{size.get(int(t), 0)}" for k, t in
                     zip(best["n_segments"], best["topic"], strict=True)],
        "Share of topic": [share_pct(s) for s in best["share_of_topic"]],
    })
    return (fg.figure_html(fig, alt="Heatmap of topics against themes",
                           caption="Cells: segments in the topic coded with the theme (or any "
                           "of its sub-codes) / segments in the topic. Machine output on both "
                           "axes; \u26a0 marks themes with low coding agreement. A topic with "
                           "many uncoded segments may be something the codebook misses.")
            + table_html(table, caption="Strongest topic-theme overlaps",
                         html_columns=("Theme",)))


# --- provenance ------------------------------------------------------------------------------

def provenance_summary(ctx: Context) -> str:
    """Run date, code version, config and codebook hashes (short form)."""
    prov = ctx.inputs.provenance
    if not prov.ok:
        return unavailable(prov, "Provenance")
    d = prov.data
    cb = d.get("codebook") or {}
    hashes = cb.get("hashes_in_codings") or []
    pairs = [
        ("Run date", f"{d.get('run_date', 'unknown')} ({d.get('run_date_source', '')})"),
        ("Code version", f"{d.get('code_version', '')} ({d.get('code_version_source', '')})"),
        ("qualsynth", str(d.get("qualsynth_version", ""))),
        ("Python", str(d.get("python", ""))),
        ("Config", f"{d.get('config_path', '')} (sha256 {d.get('config_sha256', '')})"),
        ("Codebook", f"{cb.get('path') or 'not recorded'}"
         + (f" (sha256 {cb['sha256']})" if cb.get("sha256") else "")),
        ("Codebook hash in codings", ", ".join(hashes) if hashes else "not recorded"),
    ]
    return definition_list(pairs)


def provenance_appendix(ctx: Context, *, full: bool = True) -> str:
    """Config, codebook hash, input sha256s, package versions, code version, quote traces."""
    prov = ctx.inputs.provenance
    parts = [provenance_summary(ctx)]
    if prov.ok and full:
        d = prov.data
        inputs = pd.DataFrame(d.get("inputs", []), columns=["path", "bytes", "sha256"])
        inputs["sha256"] = [f'<code class="qs-hash">{esc(h)}</code>' for h in inputs["sha256"]]
        parts.append(details(f"Input files ({len(inputs)}) with their sha256", table_html(
            inputs.rename(columns={"path": "File", "bytes": "Bytes"}),
            caption=f"Input files ({len(inputs)}) with their sha256", html_columns=("sha256",),
            empty_message="No input files were recorded.")))
        pk = pd.DataFrame(sorted((d.get("packages") or {}).items()),
                          columns=["Package", "Version"])
        parts.append(details(f"Package versions ({len(pk)})", table_html(
            pk, caption="Package versions", empty_message="No package versions were recorded.")))
        parts.append(details("Configuration used", preformatted(yaml.safe_dump(
            d.get("config", {}), sort_keys=True, allow_unicode=True))))
    parts.append(quote_traces(ctx))
    return "".join(parts)


def quote_traces(ctx: Context) -> str:
    """Every quote shown in this report with its trace id (segment id)."""
    if not ctx.quotes:
        return notice("This report shows no quotes, so there are no quote trace ids.",
                      kind="info", title="Quote trace ids")
    rows = sorted({(q["section"], q["attribution"], q["segment_id"],
                    ctx.code_label(q["code"]) if q.get("code") else "")
                   for q in ctx.quotes}, key=lambda r: (r[2], r[0], r[3]))
    frame = pd.DataFrame(rows, columns=["Section", "Attribution", "Trace id", "Theme"])
    frame = frame[["Trace id", "Attribution", "Theme", "Section"]]
    return table_html(frame, caption=f"Quote trace ids ({len(frame)}): each resolves to one "
                      "segment in data/processed/deid/segments.jsonl")


def machine_human_table(method: str = "rule-based coding") -> str:
    """What in the reports is machine output and what is human-written."""
    rows = [
        ("Participant counts and tables", "computed from the de-identified register "
         "attributes", MACHINE),
        ("Theme counts, prevalence, heatmaps", f"{method} against the codebook "
         "(indexing in the Framework Method)", MACHINE),
        ("Candidate extracts and illustrative quotes", "ranked by the pipeline from coded "
         "segments; a researcher chooses what is quoted in a paper", MACHINE),
        ("Convergence and change classifications", "thresholds stated beside each table",
         MACHINE),
        ("Topics and topic labels", "BERTopic topic model", MACHINE),
        ("Codebook, theme definitions", "written by the research team", HUMAN),
        ("Framework matrix summaries (if present)", "config/summaries/, written by "
         "researchers", HUMAN),
        ("'What leaders do' descriptions", "paraphrase of Harris et al. (2022) by the "
         "pipeline authors", HUMAN),
        ("Interpretation, implications for policy", "not produced by the pipeline: to be "
         "written by the research team", HUMAN),
    ]
    frame = pd.DataFrame([{"Content": a, "How it is produced": b, "Kind": badge(c, "machine"
                           if c == MACHINE else "human")} for a, b, c in rows])
    return table_html(frame, caption="Machine output and human-written content",
                      html_columns=("Kind",))

