"""Sections of the per-study report (notebooks/study_report.ipynb, parameter ``study``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qualsynth.errors import InputError
from qualsynth.report import analysis as an
from qualsynth.report import figures as fg
from qualsynth.report import sections as sc
from qualsynth.report.context import Context, build_context
from qualsynth.report.data import load_csv, load_json
from qualsynth.report.tables import (
    HUMAN,
    MACHINE,
    badge,
    details,
    esc,
    frac,
    notice,
    paragraph,
    quote_html,
    share_pct,
    table_html,
    trace_html,
)

MAX_HEATMAP_GROUPS = 12  # more ICS labels than this: the heatmap groups by region
_TRACE = re.compile(r"\[([a-z][a-z0-9_]*/[^\]\s]+/t\d{3}/s\d{2})\]")


def build(config_path: str, study: str) -> Context:
    """Context for one study's report; fails clearly on an unknown study id."""
    ctx = build_context(config_path)
    if study not in {s["id"] for s in ctx.inputs.config["studies"]}:
        ids = ", ".join(s["id"] for s in ctx.inputs.config["studies"])
        raise InputError(config_path, f"unknown study {study!r}; declared studies: {ids}",
                         field="study")
    ctx.studies = [ctx.study(study)]
    if ctx.segments is not None:
        ctx.segments = ctx.segments[ctx.segments["study"] == study].reset_index(drop=True)
    return ctx


def _seg(ctx: Context) -> pd.DataFrame | None:
    return ctx.segments if ctx.segments is not None and len(ctx.segments) else None


def title(ctx: Context, study: str) -> str:
    s = ctx.study(study)
    design = "national survey (closed questions and free text)" if s["kind"] == "survey" \
        else "semi-structured interviews"
    return sc.header(f"{s['title']}", f"Study report. {s['lens']}.",
                     [f"Design: {design}. Project: {ctx.inputs.config['project']['title']}.",
                      sc.run_line(ctx)])


def about(ctx: Context, study: str) -> str:
    """What the report contains and what is machine output."""
    seg = _seg(ctx)
    if seg is None:
        return sc.unavailable(ctx.inputs.segments, "The de-identified segments") \
            if not ctx.inputs.segments.ok else notice(
                f"No de-identified segments belong to study {study!r}.", kind="missing")
    n_people = seg["participant_id"].nunique()
    text = (f"This report indexes {len(seg)} segments of participant speech from {n_people} "
            f"participants ({seg['document'].nunique()} documents). Counts, prevalence, the "
            f"framework matrix extracts and the quotes are machine output of "
            f"{ctx.coding_method} against the codebook; they support, and do not replace, "
            f"the research team's reading of the transcripts. Prevalence is always shown with its "
            f"denominator: participants who raised a theme / participants in the group.")
    warn = ""
    if ctx.low_kappa:
        warn = notice("Themes marked \u26a0 have low agreement between the automatic coding "
                      f"and the gold coding (Cohen's kappa below {ctx.settings['kappa_warning']}); "
                      "treat their counts with care.", kind="warning")
    return paragraph(text) + badge(MACHINE) + warn


def participants(ctx: Context, study: str) -> str:
    """Participants by ICS x sector x time point, checked against the register summary."""
    seg = _seg(ctx)
    if seg is None:
        return sc.unavailable(ctx.inputs.segments, "The participants table") \
            if not ctx.inputs.segments.ok else notice("No participants with segments.",
                                                      kind="missing")
    noun = "participants and respondents" if ctx.kind_of.get(study) == "survey" \
        else "participants"
    note = ("ICS labels are region-level pseudonyms; a participant interviewed at two time "
            "points appears in both time point columns and once in Total.")

    def one_table(by: str, caption: str) -> str:
        table = an.participants_table(seg, by)
        return table_html(table, caption=caption, note=note,
                          row_classes=[""] * (len(table) - 1) + ["qs-total"],
                          numeric_columns=[c for c in table.columns
                                           if c not in ("ICS", "Region", "Sector")])

    if seg["ics_label"].nunique() > MAX_HEATMAP_GROUPS:
        out = one_table("region", f"Table 1. {noun.capitalize()} by NHS England region, "
                        f"sector and time point (distinct people with analysed text; "
                        f"{seg['ics_label'].nunique()} ICS labels, listed below)")
        out += details(f"The same by ICS label ({seg['ics_label'].nunique()} labels)",
                       one_table("ics_label", f"{noun.capitalize()} by ICS, sector and time "
                                 "point"))
    else:
        out = one_table("ics_label", f"Table 1. {noun.capitalize()} by ICS, sector and time "
                        "point (distinct people with analysed text)")
    check_path = Path(ctx.inputs.config["processed_dir"]) / "ingest" / study / \
        "register_check.json"
    check = load_json(check_path, "ingest")
    if check.ok:
        reg_people = check.data.get("participants")
        reg_docs = check.data.get("transcripts")
        survey = seg["question"].notna() & (seg["question"].astype(str) != "") \
            if "question" in seg.columns else pd.Series(False, index=seg.index)
        have = seg.loc[~survey, "participant_id"].nunique()
        respondents = seg.loc[survey, "participant_id"].nunique()
        msg = (f"The participant register lists {reg_people} interview participants and "
               f"{reg_docs} transcripts; {have} of them contributed analysable text.")
        if respondents:
            msg += (f" The survey adds {respondents} respondents with at least one free-text "
                    "answer (respondents are not in the register).")
        kind = "info"
        if isinstance(reg_people, int) and reg_people != have:
            msg += (f" {reg_people - have} registered participant(s) have no analysed "
                    "segments (for example very short answers), so they are not in the "
                    "denominators below.")
            kind = "warning"
        out += notice(msg, kind=kind, title="Register check")
    else:
        out += notice(f"Register check not available: {check.reason}.", kind="missing")
    return out


def _prev_matrix(ctx: Context, prev: pd.DataFrame, by: str, codes: list[str]
                 ) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    groups = sorted(set(prev[by]))
    shares = np.full((len(codes), len(groups)), np.nan)
    counts = np.zeros((len(codes), len(groups)))
    denoms = []
    for j, g in enumerate(groups):
        sub = prev[prev[by] == g].set_index("code")
        denoms.append(int(sub["n"].iloc[0]) if len(sub) else 0)
        for i, c in enumerate(codes):
            if c in sub.index:
                shares[i, j] = sub.loc[c, "share"]
                counts[i, j] = sub.loc[c, "k"]
    return groups, shares, counts, denoms


def prevalence(ctx: Context, study: str) -> str:
    """Theme prevalence by ICS (or region) as a heatmap; every code by sector as a table."""
    seg = _seg(ctx)
    if seg is None or ctx.coded is None:
        missing = ctx.first_unavailable(ctx.inputs.segments, ctx.inputs.segment_codes)
        return sc.unavailable(missing, "Theme prevalence") if missing else notice(
            "No segments for this study.", kind="missing")
    leaves = ctx.leaves
    codes = list(ctx.codes["code"])
    by = "ics_label"
    if seg["ics_label"].nunique() > MAX_HEATMAP_GROUPS:
        by = "region"
    by_group = an.prevalence(seg, ctx.coded, leaves, [by])
    overall = an.prevalence(seg, ctx.coded, codes, ["study"])
    by_sector = an.prevalence(seg, ctx.coded, codes, ["sector"])
    groups, shares, counts, denoms = _prev_matrix(ctx, by_group, by, leaves)
    what = "ICS" if by == "ics_label" else "NHS England region"
    fig = fg.prevalence_heatmap(
        shares, counts, [ctx.code_label(c) for c in leaves], groups, denoms,
        title=f"Prevalence by {what}: participants raising each code "
              f"({ctx.labels[study]})",
        xlabel=f"{what} (n = participants)", ylabel="Code (most specific level of the codebook)",
        flagged_rows=[c in ctx.low_kappa for c in leaves])
    note = ""
    if by == "region":
        note = notice(f"{seg['ics_label'].nunique()} ICS labels are too many for one chart, "
                      "so participants are grouped by NHS England region here.", kind="info")
    parts = [note, fg.figure_html(
        fig, alt=f"Heatmap of theme prevalence by {what}, {study}",
        caption=f"Each cell: participants in the {what} with at least one segment coded with "
        "the code / participants in the group. The most specific codes are shown because in "
        "long interviews nearly everyone touches every broad theme; the table below adds the "
        "themes. 0/n cells are shown: absence is data. \u26a0 = low coding agreement.")]
    ov = overall.set_index("code")
    sectors = sorted(set(by_sector["sector"]))
    lookup = by_sector.set_index(["sector", "code"])
    rows = []
    for c in codes:
        row: dict[str, Any] = {"Code": ctx.code_cell(c, indent=True),
                               "All participants": frac(ov.loc[c, "k"], ov.loc[c, "n"])}
        for sector in sectors:
            r = lookup.loc[(sector, c)]
            row[f"{an.sector_label(sector)} (n={int(r['n'])})"] = frac(r["k"], r["n"])
        rows.append(row)
    parts.append(table_html(pd.DataFrame(rows), caption="Every code, overall and by sector: "
                            "participants with the code (or a sub-code) / participants",
                            html_columns=("Code",)))
    return "".join(parts) + badge(MACHINE)


def _framework_from_csv(ctx: Context, study: str) -> pd.DataFrame | None:
    """Theme-level rows of framework_<study>.csv (one row per case x code), if usable."""
    path = Path(ctx.inputs.config["processed_dir"]) / "themes" / f"framework_{study}.csv"
    loaded = load_csv(path, "themes", ("case", "code", "extracts"))
    if not loaded.ok:
        return None
    frame = loaded.data.copy()
    if "level" in frame.columns:
        frame = frame[pd.to_numeric(frame["level"], errors="coerce").fillna(0) == 0]
    out = pd.DataFrame({
        "code": frame["code"].astype(str), "case": frame["case"].astype(str),
        "cell": frame["extracts"].fillna("").astype(str),
        "coded": [f"{int(k)}/{int(n)}" if pd.notna(k) and pd.notna(n) else "" for k, n in
                  zip(frame.get("segments_coded", pd.Series([None] * len(frame))),
                      frame.get("n_case_segments", pd.Series([None] * len(frame))),
                      strict=True)],
        "summary": frame.get("summary", pd.Series([""] * len(frame))).fillna("").astype(str),
        "summary_source": frame.get("summary_source", pd.Series([""] * len(frame)))
        .fillna("").astype(str),
    })
    return out.reset_index(drop=True)


def _framework_computed(ctx: Context, study: str, per_cell: int = 2) -> pd.DataFrame:
    """Fallback: cases (ICS x time point) x themes with the top candidate extracts."""
    seg = _seg(ctx)
    codings = ctx.codings
    cols = ["code", "case", "cell", "coded", "summary", "summary_source"]
    if seg is None or codings is None:
        return pd.DataFrame(columns=cols)
    top_of = dict(zip(ctx.catalogue["code"], ctx.catalogue["top"], strict=True))
    merged = codings[codings["study"].astype(str) == study].merge(
        seg[["segment_id", "ics_label", "time_point", "text"]], on="segment_id")
    merged["theme"] = [top_of.get(str(c), str(c)) for c in merged["code"]]
    case_sizes = seg.groupby(["ics_label", "time_point"]).size()
    rows = []
    for (theme, ics, tp), g in merged.groupby(["theme", "ics_label", "time_point"],
                                              sort=True):
        strength = g.groupby("segment_id").size()
        top = sorted(strength.index, key=lambda sid: (-strength[sid], sid))[:per_cell]
        extracts = []
        for i, sid in enumerate(top, start=1):
            sub = g[g["segment_id"] == sid]
            focus = sub["sentence"].iloc[0] if "sentence" in sub.columns else None
            extracts.append(f"{i}. [{sid}] {an.trim_quote(str(sub['text'].iloc[0]), 40, focus)}")
        case = ics if tp == "single" else f"{ics} | {tp}"
        rows.append({"code": str(theme), "case": case, "cell": "\n".join(extracts),
                     "coded": f"{g['segment_id'].nunique()}/{int(case_sizes[(ics, tp)])}",
                     "summary": "", "summary_source": ""})
    return pd.DataFrame(rows, columns=cols)


def framework(ctx: Context, study: str) -> str:
    """The framework matrix at theme level: per theme, each case's extracts and summary."""
    if ctx.codings is None:
        return sc.unavailable(ctx.inputs.codings, "The framework matrix")
    long = _framework_from_csv(ctx, study)
    source = f"data/processed/themes/framework_{study}.csv (all codes: the .xlsx beside it)"
    if long is None or long.empty:
        long = _framework_computed(ctx, study)
        source = "computed from codings.csv (framework_<study>.csv not available)"
    if long.empty:
        return notice("No coded segments in this study, so the framework matrix is empty.",
                      kind="missing")
    n_cases = long["case"].nunique()
    n_summaries = int((long["summary"].str.strip() != "").sum())
    parts = [paragraph(
        f"Framework Method charting at theme level: {n_cases} cases (ICS and time point) x "
        f"{long['code'].nunique()} themes. Each cell lists machine-ranked candidate extracts "
        f"with their trace ids; the cell summaries are written by researchers "
        f"({n_summaries} so far, each labelled {HUMAN} with its source). Source: {source}. "
        "Open a theme to see its cells.") + badge(MACHINE)]
    order = {c: i for i, c in enumerate(ctx.catalogue["code"])}
    for code in sorted(set(long["code"]), key=lambda c: (order.get(c, 10**6), c)):
        sub = long[long["code"] == code].sort_values("case")
        with_text = sub[(sub["cell"].str.strip() != "") | (sub["summary"].str.strip() != "")]
        if with_text.empty:
            parts.append(f"<h3>{ctx.code_cell(code)}</h3>" + notice(
                f"No extracts in any of the {len(sub)} cases: the theme was not coded in "
                "this study.", kind="info"))
            continue
        cells, summaries = [], []
        for text, summ, src in zip(with_text["cell"], with_text["summary"],
                                   with_text["summary_source"], strict=True):
            html_text = esc(text).replace("\n", "<br>")
            cells.append(_TRACE.sub(lambda m: trace_html(m.group(1)), html_text) or "-")
            summaries.append(f"{esc(summ)} {badge(HUMAN, 'human')}<br><small>{esc(src)}</small>"
                             if summ.strip() else "<em>not yet written</em>")
        frame = pd.DataFrame({"Case": with_text["case"].tolist(),
                              "Segments coded": with_text["coded"].tolist(),
                              "Candidate extracts": cells, "Summary": summaries})
        parts.append(details(
            f"{ctx.code_label(code)}: {len(with_text)} of {len(sub)} cases with extracts",
            table_html(frame, caption=f"{ctx.code_label(code)}: candidate extracts by case",
                       html_columns=("Candidate extracts", "Summary"),
                       css_class="qs-framework")))
    return "".join(parts)


def quotes(ctx: Context, study: str) -> str:
    """Illustrative quotes per theme (from the theme and its sub-codes), with trace ids."""
    seg = _seg(ctx)
    if seg is None or ctx.codings is None:
        missing = ctx.first_unavailable(ctx.inputs.segments, ctx.inputs.codings)
        return sc.unavailable(missing, "Illustrative quotes") if missing else notice(
            "No segments for this study.", kind="missing")
    n = int(ctx.settings["quotes_per_theme"])
    parts = [paragraph(f"Up to {n} candidate quotes per theme, one per participant, ranked by "
                       "the strength of the coding evidence; each names the sub-code it "
                       "illustrates. Attributions are pseudonymous; the trace id resolves to "
                       "the segment in data/processed/deid/segments.jsonl.") + badge(MACHINE)]
    absent = []
    used: set[str] = set()  # a segment is quoted once, under the first theme it serves
    for theme in ctx.themes:
        chosen = an.select_quotes(ctx.codings, seg, an.subtree(ctx.catalogue, theme), n=n,
                                  max_words=int(ctx.settings["quote_max_words"]),
                                  kind_of=ctx.kind_of, study=study, exclude=used)
        if not chosen:
            absent.append(ctx.code_label(theme))
            continue
        used.update(q["segment_id"] for q in chosen)
        ctx.record_quotes(chosen, "Illustrative quotes")
        parts.append(f"<h3>{ctx.code_cell(theme)}</h3>")
        for q in chosen:
            extra = ctx.code_label(q["code"], short=True) if q["code"] != theme else ""
            if q["time_point"] != "single":
                extra = ", ".join(x for x in (extra, an.time_point_label(q["time_point"])) if x)
            parts.append(quote_html(q["text"], q["attribution"], q["segment_id"], extra))
    if absent:
        parts.append(notice("No segment in this study was coded with: " + "; ".join(absent)
                            + ". Absence is reported, not hidden.", kind="info",
                            title="Themes without quotes"))
    return "".join(parts)


def survey(ctx: Context, study: str) -> str:
    """Closed questions (counts and shares) and coded free-text answers, for surveys."""
    s = ctx.study(study)
    if s["kind"] != "survey":
        return notice("Not applicable: this is an interview study with no survey questions.",
                      kind="info")
    docs = ctx.inputs.documents
    parts = []
    closed_cols = s["survey"].get("closed_columns", [])
    if not docs.ok:
        parts.append(sc.unavailable(docs, "Closed-question answers"))
    elif "closed" not in docs.data.columns:
        parts.append(notice("documents.jsonl has no 'closed' answers.", kind="missing"))
    else:
        summaries = an.closed_question_summary(docs.data, study, closed_cols)
        total = int((docs.data["study"].astype(str) == study).sum())
        parts.append(f"<h3>Closed questions ({total} respondents)</h3>")
        for col, frame in summaries.items():
            question = _question(col)
            fig = fg.share_bars(frame["answer"].tolist(), frame["n"].astype(int).tolist(),
                                total, title=question,
                                xlabel=f"Respondents (of {total})", ylabel="Answer")
            table = pd.DataFrame({"Answer": frame["answer"], "Respondents": frame["n"],
                                  "Share": [share_pct(v) for v in frame["share"]]})
            parts.append(f"<h4>{esc(question)} <code>{esc(col)}</code></h4>")
            parts.append(fg.figure_html(fig, alt=f"Bar chart of answers to {col}",
                                        caption=f"Answers to {col}; shares of all {total} "
                                        "respondents (blank answers shown as no answer)."))
            parts.append(table_html(table, caption=f"{col}: counts and shares (of {total})"))
    seg = _seg(ctx)
    if seg is None or ctx.coded is None:
        parts.append(notice("Coded free-text answers not available (no segments or "
                            "codings).", kind="missing"))
        return "".join(parts)
    codes = list(ctx.codes["code"])
    ft = an.free_text_coding(seg, ctx.coded, study, codes)
    if ft.empty:
        parts.append(notice("No free-text segments carry a question id.", kind="missing"))
        return "".join(parts)
    questions = sorted(set(ft["question"]))
    used = sorted(set(ft.loc[ft["k"] > 0, "code"]), key=codes.index)
    rows = []
    for c in used:
        row: dict[str, Any] = {"Code": ctx.code_cell(c, indent=True)}
        for q in questions:
            r = ft[(ft["question"] == q) & (ft["code"] == c)].iloc[0]
            row[f"{_question(q)} (n={int(r['n'])})"] = frac(r["k"], r["n"])
        rows.append(row)
    parts.append("<h3>Free-text answers, coded</h3>")
    parts.append(table_html(pd.DataFrame(rows), caption="Respondents whose answer to each "
                            "free-text question was coded with the theme / respondents who "
                            "answered it", html_columns=("Code",),
                            empty_message="No free-text answer was coded with any theme."))
    unused = [ctx.code_label(c) for c in codes if c not in used]
    if unused:
        parts.append(notice("Themes not found in any free-text answer: " + "; ".join(unused)
                            + ".", kind="info", title="Absent themes"))
    return "".join(parts) + badge(MACHINE)


def _question(column: str) -> str:
    """``q_role_of_place`` -> ``Role of place``."""
    text = column.removeprefix("q_").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def topics(ctx: Context, study: str) -> str:
    return sc.topics_for_study(ctx, study)


def deid(ctx: Context, study: str) -> str:
    return sc.deid_summary(ctx, study)


def provenance(ctx: Context) -> str:
    return sc.provenance_appendix(ctx, full=False)
