"""Sections of the cross-study synthesis report (notebooks/synthesis.ipynb)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qualsynth.report import analysis as an
from qualsynth.report import figures as fg
from qualsynth.report import sections as sc
from qualsynth.report.context import Context, build_context
from qualsynth.report.tables import (
    MACHINE,
    badge,
    bullet_list,
    details,
    esc,
    frac,
    notice,
    paragraph,
    pct,
    quote_html,
    share_pct,
    side_by_side,
    table_html,
    trace_html,
)


def build(config_path: str) -> Context:
    return build_context(config_path)


def _need_themes(ctx: Context, what: str) -> str | None:
    if ctx.segments is None or ctx.coded is None:
        missing = ctx.first_unavailable(ctx.inputs.segments, ctx.inputs.segment_codes)
        return sc.unavailable(missing, what) if missing else notice(
            f"{what}: no coded segments.", kind="missing")
    return None


def title(ctx: Context) -> str:
    names = ", ".join(ctx.labels[s] for s in ctx.study_ids)
    return sc.header(ctx.inputs.config["project"]["title"],
                     f"Cross-study synthesis of {len(ctx.studies)} studies: {names}.",
                     [sc.run_line(ctx)])


def about(ctx: Context) -> str:
    """Scope of the synthesis and how to read it."""
    parts = [paragraph(
        "This report brings the programme's studies together: where they converge, where "
        "they differ (by study, ICS, sector and time point) and what leaders do, using the "
        "same codebook across all studies. It is a first draft for the research team: every "
        f"count is machine output of {ctx.coding_method} with its denominator, and every quote "
        "is a machine-selected candidate with a trace id. Interpretation is for the team to "
        "write.") + badge(MACHINE)]
    rows = [{"Study": ctx.labels[s["id"]], "Lens": s["lens"],
             "Design": "survey" if s["kind"] == "survey" else "interviews"}
            for s in ctx.studies]
    parts.append(table_html(pd.DataFrame(rows), caption="Studies in this synthesis"))
    return "".join(parts)


# --- map and participants --------------------------------------------------------------------

def _site_panels(ctx: Context, features: list[dict[str, Any]]
                 ) -> tuple[list[tuple[str, set[str]]], list[bool], list[str]]:
    """Per study: highlighted ICB codes, whether they are whole regions, and notes."""
    region_of = {str(f["properties"].get("ICB22CD")): str(f["properties"].get("NHSER22NM"))
                 for f in features}
    by_region: dict[str, set[str]] = {}
    for code, region in region_of.items():
        by_region.setdefault(region, set()).add(code)
    sites = ctx.inputs.sites.data if ctx.inputs.sites.ok else None
    panels, hatched, notes = [], [], []
    for sid in ctx.study_ids:
        codes: set[str] = set()
        regions: set[str] = set()
        if sites is not None:
            sub = sites[sites["study"].astype(str) == sid]
            if "icb22cd" in sub.columns:
                codes = {str(c) for c in sub["icb22cd"].dropna() if str(c).strip()}
            regions = {str(r) for r in sub["region"].dropna() if str(r).strip()}
        if not regions and ctx.segments is not None and "region" in ctx.segments.columns:
            regions = set(ctx.segments.loc[ctx.segments["study"] == sid, "region"]) - {""}
        unknown = codes - set(region_of)
        if unknown:
            notes.append(f"{ctx.labels[sid]}: ICB code(s) {', '.join(sorted(unknown))} are "
                         "not in the 2022 boundaries and are not drawn.")
        if codes:
            n = len(codes & set(region_of))
            panels.append((f"{ctx.labels[sid]} ({n} ICS{'s' if n != 1 else ''})", codes))
            hatched.append(False)
        else:
            region_codes = set().union(*(by_region.get(r, set()) for r in regions)) \
                if regions else set()
            panels.append((f"{ctx.labels[sid]} (regions: {len(regions)})", region_codes))
            hatched.append(True)
            notes.append(f"{ctx.labels[sid]}: case sites are not disclosed, so the whole "
                         f"NHS England region(s) containing them are shown hatched "
                         f"({', '.join(sorted(regions)) or 'none recorded'}).")
    return panels, hatched, notes


def england_map(ctx: Context) -> str:
    """Map of England's 42 ICSs with each study's case-study ICSs highlighted."""
    path = Path(ctx.settings["boundaries"])
    if not path.is_file():
        return notice(f"The ICB boundary file {path.as_posix()} is missing, so the map cannot "
                      "be drawn.", kind="missing")
    features = fg.load_boundaries(path)
    panels, hatched, notes = _site_panels(ctx, features)
    if not ctx.inputs.sites.ok:
        notes.insert(0, f"sites.csv not available ({ctx.inputs.sites.reason}); regions taken "
                     "from the de-identified segments.")
    fig = fg.england_map(features, panels, hatched=hatched,
                         title=f"Case-study ICSs by study ({len(features)} ICSs in England, "
                               "2022 ICB boundaries)")
    caption = ("Integrated care board boundaries as of July 2022 (ONS, OGL v3.0; contains OS "
               "data, Crown copyright), drawn in British National Grid metres with equal x and "
               "y scales. Filled: ICSs where the study recruited participants (survey: ICSs "
               "with at least one respondent).")
    out = fg.figure_html(fig, alt="Maps of England's integrated care systems highlighting "
                         "each study's case-study ICSs", caption=caption)
    if notes:
        out += notice(" ".join(notes), kind="info", title="Map notes")
    return out


def participants(ctx: Context) -> str:
    """Participants by sector and study, and corpus sizes."""
    if ctx.segments is None:
        return sc.unavailable(ctx.inputs.segments, "Participants across studies")
    seg = ctx.segments
    people = an.units(seg, ("sector",)).drop_duplicates(["study", "participant_id"])
    sectors = sorted(set(people["sector"]), key=lambda s: (list(an.SECTOR_LABELS).index(s)
                                                          if s in an.SECTOR_LABELS else 99, s))
    rows = []
    for sector in sectors:
        row: dict[str, Any] = {"Sector": an.sector_label(sector)}
        for sid in ctx.study_ids:
            row[ctx.labels[sid]] = int(((people["study"] == sid)
                                        & (people["sector"] == sector)).sum())
        row["All studies"] = int((people["sector"] == sector).sum())
        rows.append(row)
    total: dict[str, Any] = {"Sector": "Total"}
    for sid in ctx.study_ids:
        total[ctx.labels[sid]] = int((people["study"] == sid).sum())
    total["All studies"] = len(people)
    rows.append(total)
    table = table_html(pd.DataFrame(rows), caption="Participants by sector and study "
                       "(distinct people with analysed text; survey: respondents)",
                       row_classes=[""] * (len(rows) - 1) + ["qs-total"])
    docs = ctx.inputs.documents.data if ctx.inputs.documents.ok else None
    sizes = an.corpus_sizes(seg, docs, ctx.studies)
    icss = [len(set(seg.loc[seg["study"] == sid, "ics_label"]) - {""}) for sid in ctx.study_ids]
    sizes.insert(2, "ICS labels", icss)
    return table + table_html(sizes, caption="Corpus size by study", digits=0,
                              note="Segments are units of participant speech of about 60-180 "
                              "words (whole sentences); documents are transcripts or survey "
                              "responses.")


# --- themes across studies -------------------------------------------------------------------

def study_prevalence(ctx: Context) -> pd.DataFrame:
    return an.prevalence(ctx.segments, ctx.coded, list(ctx.codes["code"]), ["study"])


def theme_heatmap(ctx: Context) -> str:
    """Theme x study heatmap with denominators."""
    problem = _need_themes(ctx, "The theme x study heatmap")
    if problem:
        return problem
    prev = study_prevalence(ctx)
    codes = ctx.leaves
    sids = [s for s in ctx.study_ids if s in set(prev["study"])]
    shares = np.full((len(codes), len(sids)), np.nan)
    counts = np.zeros((len(codes), len(sids)))
    denoms = []
    for j, sid in enumerate(sids):
        sub = prev[prev["study"] == sid].set_index("code")
        denoms.append(int(sub["n"].iloc[0]))
        for i, c in enumerate(codes):
            shares[i, j] = sub.loc[c, "share"]
            counts[i, j] = sub.loc[c, "k"]
    fig = fg.prevalence_heatmap(
        shares, counts, [ctx.code_label(c) for c in codes], [ctx.labels[s] for s in sids],
        denoms, title="Prevalence by study: participants raising each code",
        xlabel="Study (n = participants or respondents)",
        ylabel="Code (most specific level of the codebook)",
        flagged_rows=[c in ctx.low_kappa for c in codes])
    return fg.figure_html(fig, alt="Heatmap of theme prevalence by study",
                          caption="Each cell: participants in the study with at least one "
                          "segment coded with the code / participants in the study (broad "
                          "themes: convergence table below). 0/n "
                          "cells are kept: absence is data. \u26a0 = coding agreement below "
                          f"kappa {ctx.settings['kappa_warning']}.") + badge(MACHINE)


def convergence(ctx: Context) -> str:
    """Convergence / divergence table from the theme x study prevalence."""
    problem = _need_themes(ctx, "The convergence table")
    if problem:
        return problem
    conv = ctx.settings["convergence"]
    prev = study_prevalence(ctx)
    table = an.convergence_table(prev, ctx.study_ids, ctx.labels, ctx.codes,
                                 present_share=float(conv["present_share"]),
                                 min_participants=int(conv["min_participants"]),
                                 divergence_gap=float(conv["divergence_gap"]))
    rule = (f"A theme is counted as prominent in a study when at least "
            f"{float(conv['present_share']):.0%} of its participants, and at least "
            f"{int(conv['min_participants'])} people, raised it. Convergent: prominent in every "
            f"study; shared: in two or more; particular: in one only. Divergent: the share "
            f"differs between studies by {float(conv['divergence_gap']):.0%} or more "
            f"(thresholds: config report.convergence).")
    if len(ctx.studies) < 2:
        return notice("Only one study is in scope, so there is nothing to compare.",
                      kind="info")
    if any(s["kind"] == "survey" for s in ctx.studies):
        rule += (" Survey free-text answers are short, so survey shares run lower across the "
                 "board: a divergence against a survey study is weaker evidence than one "
                 "between interview studies.")
    frame = pd.DataFrame({"Theme": [ctx.code_cell(c) for c in table["code"]],
                          "Pattern": table["pattern"], "Divergence": table["divergence"]})
    for sid in ctx.study_ids:
        frame[ctx.labels[sid]] = table[sid]
    counts = table["pattern"].str.split(":").str[0].value_counts()
    summary = ", ".join(f"{int(v)} {k}" for k, v in sorted(counts.items()))
    return (paragraph(rule) + paragraph(f"Result: {summary} theme(s).")
            + table_html(frame, caption="Convergence and divergence of themes across studies "
                         "(cells: participants with the theme / participants)",
                         html_columns=("Theme",)) + badge(MACHINE))


def _case_list(cases: list[dict[str, str]]) -> str:
    if not cases:
        return "-"
    return "; ".join(f"{esc(c['attribution'])} {trace_html(c['trace_id'])}" for c in cases)


def time_points(ctx: Context) -> str:
    """Baseline vs follow-up per theme for each two-time-point study."""
    problem = _need_themes(ctx, "The baseline and follow-up comparison")
    if problem:
        return problem
    studies = an.two_time_point_studies(ctx.segments)
    if not studies:
        return notice("No study in scope has both baseline and follow-up interviews.",
                      kind="info")
    ch = ctx.settings["change"]
    parts = [paragraph(
        f"Prevalence at each time point uses everyone interviewed then. Changes are read "
        f"from the participants interviewed at both: a theme is marked as more (less) often "
        f"raised at follow-up when at least {int(ch['min_net_participants'])} more (fewer) "
        f"paired participants raised it, and that net change is at least "
        f"{float(ch['min_net_share']):.0%} of the paired participants (config "
        f"report.change). The cases behind each change are listed with the trace id of the "
        f"segment showing the theme (gained: at follow-up; lost: at baseline).")]
    for sid in studies:
        changes = an.time_point_changes(
            ctx.segments, ctx.coded, list(ctx.codes["code"]), sid,
            min_net_participants=int(ch["min_net_participants"]),
            min_net_share=float(ch["min_net_share"]), kind=ctx.kind_of.get(sid, "interview"))
        active = changes[(changes["k_baseline"] > 0) | (changes["k_follow_up"] > 0)]
        parts.append(f"<h3>{esc(ctx.labels[sid])}: baseline and follow-up</h3>")
        if active.empty:
            parts.append(notice("No theme was coded at either time point.", kind="missing"))
            continue
        nb, nf = int(active["n_baseline"].iloc[0]), int(active["n_follow_up"].iloc[0])
        npaired = int(active["n_paired"].iloc[0])
        moved = active[active["direction"] != "no clear change"]
        chart = moved if not moved.empty else changes[changes["code"].isin(ctx.themes)]
        fig = fg.dumbbell([ctx.code_label(c) for c in chart["code"]],
                          chart["share_baseline"].tolist(), chart["share_follow_up"].tolist(),
                          before_label=f"baseline (n={nb})", after_label=f"follow-up (n={nf})",
                          title=f"{ctx.labels[sid]}: participants raising each code, "
                                "baseline vs follow-up",
                          xlabel=f"Participants raising the theme (%); baseline n={nb}, "
                                 f"follow-up n={nf}",
                          ylabel="Theme (codebook)")
        shown = "codes that changed" if not moved.empty else "themes (no code passed the rule)"
        parts.append(fg.figure_html(fig, alt=f"Baseline versus follow-up prevalence, {sid}",
                                    caption=f"Chart: {shown}. {npaired} participants were "
                                    "interviewed at both time points."))
        parts.append(paragraph(f"What changed: {len(moved)} of the {len(active)} codes raised "
                               "at either time point pass the change rule."))
        for direction, title_text in (("more often raised at follow-up", "Raised more often at "
                                       "follow-up"), ("less often raised at follow-up",
                                                      "Raised less often at follow-up")):
            sub = moved[moved["direction"] == direction]
            if len(sub):
                parts.append(f"<h4>{esc(title_text)} ({len(sub)})</h4>" + bullet_list(
                    [f"{ctx.code_label(c)} (net {n:+d} of {npaired})"
                     for c, n in zip(sub["code"], sub["net"], strict=True)]))
        for cases_col in ("gained", "lost"):
            for row in active[cases_col]:
                ctx.record_quotes([{"segment_id": c["trace_id"], "attribution":
                                    c["attribution"], "code": "", "study": sid}
                                   for c in row if c["trace_id"]], "Baseline vs follow-up")
        def change_table(rows: pd.DataFrame, caption: str, npaired: int = npaired) -> str:
            frame = pd.DataFrame({
                "Code": [ctx.code_cell(c, indent=True) for c in rows["code"]],
                "Baseline": [frac(k, n) for k, n in zip(rows["k_baseline"], rows["n_baseline"],
                                                        strict=True)],
                "Follow-up": [frac(k, n) for k, n in zip(rows["k_follow_up"],
                                                         rows["n_follow_up"], strict=True)],
                "Change (points)": [f"{100 * (b - a):+.0f}" for a, b in
                                    zip(rows["share_baseline"], rows["share_follow_up"],
                                        strict=True)],
                "Reading (paired)": [f"{d} (net {n:+d} of {npaired})" for d, n in
                                     zip(rows["direction"], rows["net"], strict=True)],
                "Raised at follow-up only": [_case_list(c) for c in rows["gained"]],
                "Raised at baseline only": [_case_list(c) for c in rows["lost"]],
            })
            return table_html(frame, caption=caption,
                              html_columns=("Code", "Raised at follow-up only",
                                            "Raised at baseline only"),
                              row_classes=["qs-flag" if d != "no clear change" else ""
                                           for d in rows["direction"]])

        if not moved.empty:
            parts.append(change_table(moved, f"{ctx.labels[sid]}: the codes that changed, with "
                                      "the cases behind each change"))
        parts.append(details(f"Every code raised at either time point ({len(active)}), in "
                             "codebook order", change_table(
                                 active, f"{ctx.labels[sid]}: baseline and follow-up for every "
                                 "code, with the cases behind each difference")))
        silent = [ctx.code_label(c) for c in changes.loc[
            (changes["k_baseline"] == 0) & (changes["k_follow_up"] == 0), "code"]]
        if silent:
            parts.append(notice("Not raised at either time point: " + "; ".join(silent) + ".",
                                kind="info", title="Absent at both time points"))
    return "".join(parts) + badge(MACHINE)


def enablers_barriers(ctx: Context) -> str:
    """Enablers and barriers across studies, side by side."""
    problem = _need_themes(ctx, "Enablers and barriers")
    if problem:
        return problem
    prev = study_prevalence(ctx)
    blocks = []
    for group, name in (("enabler", "Enablers"), ("barrier", "Barriers")):
        codes = ctx.codes[ctx.codes["group"] == group]["code"].tolist()  # root first
        if not codes:
            blocks.append(notice(f"The codebook has no {name.lower()} codes (codes under a "
                                 f"parent named '{name.lower()}').", kind="missing"))
            continue
        rows = []
        denom = {s: int(prev.loc[prev["study"] == s, "n"].iloc[0]) if (prev["study"] == s).any()
                 else 0 for s in ctx.study_ids}
        for c in codes:
            row: dict[str, Any] = {name[:-1]: ctx.code_cell(c, indent=True)}
            for sid in ctx.study_ids:
                r = prev[(prev["study"] == sid) & (prev["code"] == c)]
                head = f"{ctx.labels[sid].split()[0]} (n={denom[sid]})"
                row[head] = f"{int(r['k'].iloc[0])} ({pct(r['k'].iloc[0], r['n'].iloc[0])})" \
                    if len(r) else "-"
            rows.append(row)
        blocks.append(table_html(pd.DataFrame(rows), caption=f"{name} of system working: "
                                 "participants raising each (share of the study's n)",
                                 html_columns=(name[:-1],)))
    return (paragraph("The enablers and barriers of system working in the codebook, with "
                      "how many participants in each study raised each one (the first row "
                      "counts anyone who raised at least one). Read across a row to compare "
                      "studies; funding can appear on both sides. An enabler is coded whether "
                      "it was described as present or missing.")
            + side_by_side(*blocks) + badge(MACHINE))


def leadership(ctx: Context) -> str:
    """Leadership components: what leaders do, and the evidence from each study."""
    problem = _need_themes(ctx, "The leadership components table")
    if problem:
        return problem
    prev = study_prevalence(ctx)
    comp_codes = ctx.codes[(ctx.codes["group"] == "leadership_component")
                           & (ctx.codes["level"] > 0)]
    matched: dict[str, str] = {}
    for c, label in zip(comp_codes["code"], comp_codes["label"], strict=True):
        key = an.component_key(c, label)
        if key and key not in matched:
            matched[key] = c
    rows = []
    for key, name, paraphrase in an.LEADERSHIP_COMPONENTS:
        code = matched.get(key)
        definition = ""
        if code:
            definition = str(ctx.catalogue.loc[ctx.catalogue["code"] == code, "definition"]
                             .iloc[0] or "")
        what = esc(definition) + " <em>(codebook definition)</em>" if definition else \
            esc(paraphrase)
        flag = ctx.code_cell(code, True)[len(esc(ctx.code_label(code, True))):] if code else ""
        row: dict[str, Any] = {"Component": esc(name) + flag, "What leaders do": what}
        for sid in ctx.study_ids:
            if not code:
                row[ctx.labels[sid]] = "not coded (no codebook code)"
                continue
            r = prev[(prev["study"] == sid) & (prev["code"] == code)]
            k, n = (int(r["k"].iloc[0]), int(r["n"].iloc[0])) if len(r) else (0, 0)
            chosen = an.select_quotes(ctx.codings, ctx.segments, code, n=2,
                                      max_words=int(ctx.settings["quote_max_words"]),
                                      kind_of=ctx.kind_of, study=sid) \
                if ctx.codings is not None else []
            ctx.record_quotes(chosen, "Leadership components")
            refs = "<br>".join(f"{esc(q['attribution'])} {trace_html(q['segment_id'])}"
                               for q in chosen)
            row[ctx.labels[sid]] = f"{frac(k, n)} participants" + (f"<br>{refs}" if refs else
                                                                   "<br>no evidence coded")
        rows.append(row)
    frame = pd.DataFrame(rows)
    cols = ["Component", "What leaders do", *[ctx.labels[s] for s in ctx.study_ids]]
    unmatched = [k for k, _, _ in an.LEADERSHIP_COMPONENTS if k not in matched]
    note = ""
    if unmatched:
        note = notice(f"{len(unmatched)} of 7 components have no matching code in the "
                      "codebook (codes under a parent whose name contains 'component'), so "
                      "they carry no evidence.", kind="warning")
    return (paragraph(an.LEADERSHIP_SOURCE) + note
            + table_html(frame[cols], caption="Leadership components: what leaders do and "
                         "the evidence in each study (participants, quote references)",
                         html_columns=cols) + badge(MACHINE))


def leadership_quotes(ctx: Context) -> str:
    """One illustrative quote per leadership component with evidence (across studies)."""
    if ctx.codings is None or ctx.segments is None:
        return ""
    comp_codes = ctx.codes[(ctx.codes["group"] == "leadership_component")
                           & (ctx.codes["level"] > 0)]
    parts = []
    used: set[str] = set()
    for code in comp_codes["code"]:
        chosen = an.select_quotes(ctx.codings, ctx.segments, code, n=1,
                                  max_words=int(ctx.settings["quote_max_words"]),
                                  kind_of=ctx.kind_of, exclude=used)
        if not chosen:
            continue
        used.add(chosen[0]["segment_id"])
        ctx.record_quotes(chosen, "Leadership components")
        q = chosen[0]
        parts.append(f"<h4>{ctx.code_cell(code, short=True)}</h4>" + quote_html(
            q["text"], q["attribution"], q["segment_id"], ctx.labels.get(q["study"], "")))
    return "".join(parts)


# --- methods and limitations -----------------------------------------------------------------

def methods(ctx: Context) -> str:
    """Methods and limitations written from this run's numbers."""
    parts = []
    if ctx.segments is not None:
        seg = ctx.segments
        people = seg[["study", "participant_id"]].drop_duplicates()
        words = pd.to_numeric(seg["words"], errors="coerce") if "words" in seg else \
            seg["text"].str.split().str.len()
        ndocs = seg["document"].nunique()
        parts.append(paragraph(
            f"Corpus. {len(ctx.studies)} studies, {ndocs} documents, {len(people)} "
            f"participants or respondents, {len(seg)} segments of participant speech "
            f"({int(words.sum())} words; median {float(words.median()):.0f} words per "
            f"segment). Interviewer turns are kept in the de-identified transcripts but not "
            f"coded."))
    else:
        parts.append(sc.unavailable(ctx.inputs.segments, "Corpus sizes"))
    parts.append(_coding_paragraph(ctx))
    parts.append(_deid_paragraph(ctx))
    topics = ctx.inputs.topic_quality
    if topics.ok and topics.data.get("status", "ok") == "ok":
        q = topics.data
        parts.append(paragraph(
            f"Topic model. {q.get('n_topics', '?')} topics (backend {q.get('backend', '?')}, "
            f"seed {q.get('seed', '?')}); coherence NPMI {_num(q.get('npmi'))}, diversity "
            f"{_num(q.get('diversity'))}, outlier share {_num(q.get('outlier_share'))}, "
            f"stability ARI {_num(q.get('stability_ari'))}. Topics are exploratory and "
            f"not used for any count in the theme tables."))
    else:
        parts.append(paragraph("Topic model. Not available for this run: "
                               + (topics.reason or str(topics.data.get("status")))
                               + "."))
    parts.append("<h3>What is machine output and what is human-written</h3>")
    parts.append(sc.machine_human_table(ctx.coding_method))
    parts.append("<h3>Limitations</h3>")
    limits = [
        "Prevalence counts how many participants mentioned a theme, not how important it "
        "was to them; small denominators (see n in every table) make shares unstable.",
        "Rule-based coding finds explicit wording; implicit or ironic references are "
        "missed, and some matches are false positives. Agreement figures above quantify "
        "this where a gold-coded sample exists."
        + (" Coding patterns learned from gold-coded passages add codes the rules miss; "
           "they reproduce that coding's habits, and their evidence is the words that "
           "weighed most, not a rule." if ctx.pattern_codings else ""),
        "Survey free-text answers are short, so survey prevalence is not directly "
        "comparable with interview prevalence.",
        "Attributions use region-level ICS labels; the map shows 2022 ICB boundaries, "
        "before later mergers.",
    ]
    if ctx.synthetic:
        limits.insert(0, "This run uses the synthetic demonstration corpus: findings are "
                      "fictional and only show what the pipeline produces.")
    parts.append(bullet_list(limits))
    return "".join(parts)


def _num(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "not reported"


def _coding_paragraph(ctx: Context) -> str:
    ev = ctx.inputs.themes_evaluation
    hashes = sorted(set(ctx.codings["codebook_hash"].dropna().astype(str))) \
        if ctx.codings is not None and "codebook_hash" in ctx.codings else []
    head = (f"Coding. Rule-based indexing against the codebook"
            f"{' (hash ' + ', '.join(h[:12] for h in hashes) + ')' if hashes else ''}"
            + (f", plus coding patterns learned from gold-coded passages ({ctx.pattern_codings}"
               f" of {len(ctx.codings)} codings; rule ids ending /pattern)"
               if ctx.pattern_codings and ctx.codings is not None else "")
            + (f"; {ctx.vetoed_codings} rule codings that the coding patterns found "
               "unlikely were set aside (listed with their probability in "
               "vetoed_codings.csv)" if ctx.vetoed_codings else "")
            + f"; {len(ctx.codes)} codes shown. ")
    if not ev.ok:
        reason = ev.reason or ""
        if "does not exist" in reason:
            reason = "no gold-coded sample was configured (themes.gold_codes)"
        return paragraph(head + f"No agreement statistics: {reason}. Treat every count as "
                         "unvalidated machine indexing.")
    macro = an.macro_block(ev.data)
    mk = an._metric(macro, "kappa")
    mf = an._metric(macro, "f1")
    n_codes = macro.get("n_codes")
    gold = ev.data.get("n_gold_segments", ev.data.get("n_segments"))
    coders = (ev.data.get("gold") or {}).get("coders") or []
    who = f" (coded by: {'; '.join(coders)})" if coders else ""
    text = head + (f"Against the gold-coded sample{who}"
                   f"{f' of {gold} segments' if isinstance(gold, int) else ''}, macro F1 "
                   f"{_ci(mf)} and macro Cohen's kappa {_ci(mk)}"
                   f"{f' over the {n_codes} codes with gold examples' if n_codes else ''}. ")
    targets = ev.data.get("targets") if isinstance(ev.data, dict) else None
    if isinstance(targets, dict) and "macro_kappa_met" in targets:
        text += (f"Target macro kappa {targets.get('macro_kappa_min')}: "
                 f"{'met' if targets.get('macro_kappa_met') else 'NOT met'}. ")
    if ctx.inputs.gold_used_for_rules:
        text += ("The rules were refined on this gold"
                 + (" and the coding patterns learned from it" if ctx.pattern_codings else "")
                 + ", so these figures are in-sample (optimistic). ")
    held = ctx.inputs.themes_holdout
    if held.ok and isinstance(held.data, dict):
        hmacro = an.macro_block(held.data)
        over = f" over {hmacro['n_codes']} codes" if hmacro.get("n_codes") else ""
        nor = " nor the patterns trained on" if ctx.pattern_codings else ""
        text += (f"On a held-out set of {held.data.get('n_segments', '?')} texts the rules "
                 f"were never refined on{nor}: macro F1 {_ci(an._metric(hmacro, 'f1'))}, macro "
                 f"Cohen's kappa {_ci(an._metric(hmacro, 'kappa'))}{over}. ")
        htargets = held.data.get("targets")
        if isinstance(htargets, dict) and isinstance(htargets.get("macro_kappa"), (int, float)):
            text += (f"Target macro kappa {htargets.get('macro_kappa_min')} on these new texts "
                     f"({htargets.get('applies_to', 'frequent codes')}): "
                     f"{'met' if htargets.get('macro_kappa_met') else 'NOT met'} "
                     f"({htargets['macro_kappa']:.2f}). ")
            below = htargets.get("codes_below_recall_target")
            if isinstance(below, list):
                clearly = htargets.get("codes_clearly_below_recall_target")
                text += (f"Target recall {htargets.get('recall_min')} for each of those "
                         "codes: " + ("met. " if not below else
                                      f"NOT met ({len(below)} code(s) below"
                                      + (f", {len(clearly)} of them even at the top of "
                                         "their 95% interval" if isinstance(clearly, list)
                                         else "") + "). "))
        second = held.data.get("second_coder")
        if isinstance(second, dict):
            two = (second.get("second_coder") or {}).get("pooled_kappa")
            rules = (second.get("rules") or {}).get("pooled_kappa")
            if isinstance(two, (int, float)) and isinstance(rules, (int, float)):
                text += (f"On the {second.get('n_passages', '?')} of those texts coded "
                         f"twice, a second coder agreed with the first at pooled kappa "
                         f"{two:.2f}, the automatic coding at {rules:.2f}. ")
            both = second.get("recall_target")
            if isinstance(both, dict) and isinstance(both.get("rules_below"), list):
                text += (f"On those texts, of the {both.get('n_codes', '?')} codes with at "
                         f"least {both.get('min_gold_in_sample', '?')} of them coded by the "
                         f"first coder, recall was below {both.get('recall_min')} on "
                         f"{len(both.get('second_coder_below') or [])} for the second coder "
                         f"and on {len(both['rules_below'])} for the automatic coding. ")
    low = ctx.low_kappa
    listing = ""
    if low:
        text += (f"{len(low)} code(s) fall below kappa {ctx.settings['kappa_warning']} "
                 f"(moderate agreement) and are flagged \u26a0 wherever their counts appear "
                 f"(lowest first):")
        listing = bullet_list(f"{ctx.code_label(c)} (kappa {k:.2f})" for c, k in
                              sorted(low.items(), key=lambda kv: (kv[1], kv[0])))
    else:
        text += f"No code falls below kappa {ctx.settings['kappa_warning']}."
    return paragraph(text) + listing + paragraph("Per-code figures: coding_evaluation.html.")


def _ci(metric: tuple[float, float, float]) -> str:
    est, lo, hi = metric
    if np.isnan(est):
        return "not reported"
    if np.isnan(lo) or np.isnan(hi):
        return f"{est:.2f}"
    return f"{est:.2f} (95% CI {lo:.2f} to {hi:.2f})"


def _deid_paragraph(ctx: Context) -> str:
    summary = ctx.inputs.deid_summary
    gate = ctx.inputs.leakage_gate
    ev = ctx.inputs.deid_evaluation
    text = "De-identification. "
    if summary.ok:
        counts = sc.deid_counts(summary.data)
        total = sum(counts["by_label"].values())
        top = sorted(counts["by_label"].items(), key=lambda kv: (-kv[1], kv[0]))[:6]
        text += (f"{total} identifying spans were replaced with pseudonyms "
                 f"({', '.join(f'{k} {v}' for k, v in top)}). ")
    else:
        text += f"Replacement counts not available ({summary.reason}). "
    if gate.ok:
        survivors = gate.data.get("survivors", [])
        text += (f"The leakage gate {'passed' if gate.data.get('passed') else 'FAILED'} with "
                 f"{len(survivors) if isinstance(survivors, list) else survivors} surviving "
                 f"known identifier(s). ")
    if ev.ok:
        frame = an.evaluation_frame(ev.data, ("labels", "per_label", "by_label"),
                                    ("precision", "recall", "f1"), "label")
        overall = ev.data.get("overall") if isinstance(ev.data.get("overall"), dict) else None
        if overall:
            text += (f"On the annotated evaluation set, overall recall is "
                     f"{_ci(an._metric(overall, 'recall'))}. ")
        if not frame.empty and "recall" in frame and frame["recall"].notna().any():
            worst = frame.dropna(subset=["recall"]).sort_values(["recall", "label"]).iloc[0]
            text += (f"The lowest recall is for {worst['label']} ({worst['recall']:.2f}): "
                     f"about {share_pct(1 - worst['recall'])} of such identifiers would "
                     f"survive automatic detection. ")
        resid = ev.data.get("residual_identifier_chars")
        if isinstance(resid, dict) and isinstance(resid.get("share"), (int, float)):
            text += (f"{share_pct(resid['share'], 2)} of identifier characters in the gold "
                     f"annotation were left uncovered ({resid.get('left')} of "
                     f"{resid.get('gold_chars')}). ")
    else:
        text += f"No de-identification evaluation ({ev.reason}). "
    text += ("Residual risk: the gate checks only identifiers known from the registers; "
             "indirect identifiers (a job title with an organisation, a distinctive event) "
             "can remain, which is why a human reviews the sample in deid_audit.html before "
             "any extract leaves the team.")
    return paragraph(text)


def provenance(ctx: Context) -> str:
    return sc.provenance_appendix(ctx, full=True)


def topics_overview(ctx: Context) -> str:
    return sc.topics_overview(ctx)


def crosswalk(ctx: Context) -> str:
    return sc.crosswalk_html(ctx)
