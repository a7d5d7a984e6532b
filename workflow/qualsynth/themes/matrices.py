"""Charting: segment x code presence, case x code matrices and the framework matrix.

Counts roll children up to parents (a segment coded ``workforce.recruitment`` counts for
``workforce`` too). Every count comes with its denominator, and every code appears in
every case, because absence is data. Framework cells hold machine-selected candidate
extracts; summaries come only from files researchers write under ``config/summaries/``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualsynth.errors import InputError
from qualsynth.themes.codebook import Codebook
from qualsynth.themes.engine import Coding
from qualsynth.themes.tables import MISSING, attr

SEGMENT_CODE_COLUMNS = ["segment_id", "study", "document", "participant_id", "ics_label",
                        "region", "sector", "role", "time_point", "code", "direct",
                        "n_sentences", "rules"]
MATRIX_COLUMNS = ["by", "study", "group", "code", "code_name", "level", "n_segments",
                  "n_participants", "segments_coded", "share_segments", "participants_coded",
                  "share_participants", "presence", "codings", "kappa", "agreement_warning"]
FRAMEWORK_COLUMNS = ["study", "case", "case_by", "code", "code_name", "level",
                     "n_case_segments", "n_case_documents", "segments_coded", "share_segments",
                     "documents_coded", "extracts", "extract_segment_ids", "summary",
                     "summary_source", "kappa", "agreement_warning"]
POOLED = "ALL"
SUMMARY_COLUMNS = ("case", "code", "summary", "author")


@dataclass(frozen=True)
class SegmentCode:
    """A code a segment has after roll-up, with how it got it."""

    segment_id: str
    code: str
    direct: bool
    n_sentences: int
    rules: tuple[str, ...]


def segment_codes(codebook: Codebook, codings: list[Coding]) -> dict[str, dict[str, SegmentCode]]:
    """segment id -> code -> SegmentCode, with every ancestor of a coded code added."""
    sentences: dict[tuple[str, str], set[int]] = defaultdict(set)
    rules: dict[tuple[str, str], set[str]] = defaultdict(set)
    direct: set[tuple[str, str]] = set()
    for c in codings:
        if c.code not in codebook.by_id:
            raise InputError("codings", f"code {c.code!r} is not in codebook "
                             f"{codebook.version}; re-run `qualsynth tag` with this codebook")
        direct.add((c.segment_id, c.code))
        for code in [c.code, *codebook.ancestors(c.code)]:
            sentences[(c.segment_id, code)].add(c.sentence_no)
            rules[(c.segment_id, code)].add(c.rule)
    out: dict[str, dict[str, SegmentCode]] = defaultdict(dict)
    for (sid, code), sents in sentences.items():
        out[sid][code] = SegmentCode(sid, code, (sid, code) in direct, len(sents),
                                     tuple(sorted(rules[(sid, code)])))
    return dict(out)


def segment_code_rows(segments: list[dict[str, Any]],
                      coded: dict[str, dict[str, SegmentCode]]) -> list[dict[str, Any]]:
    """Long-form presence table: one row per segment and code it has."""
    rows = []
    for seg in sorted(segments, key=lambda s: s["segment_id"]):
        for code, sc in sorted(coded.get(seg["segment_id"], {}).items()):
            row = {k: seg.get(k, "") for k in SEGMENT_CODE_COLUMNS[:9]}
            row.update(code=code, direct=int(sc.direct), n_sentences=sc.n_sentences,
                       rules=";".join(sc.rules))
            rows.append(row)
    return rows


def group_key(segment: dict[str, Any], by: str) -> str:
    """The group a segment belongs to for a matrix ``by``; participants are per study."""
    if by == "participant":
        return f"{segment['study']}/{attr(segment, 'participant_id')}"
    if by == "document":
        return f"{segment['study']}/{attr(segment, 'document')}"
    return attr(segment, by)


def _participant(segment: dict[str, Any]) -> str:
    return f"{segment['study']}/{attr(segment, 'participant_id')}"


def agreement_flags(evaluation: dict[str, Any] | None) -> dict[str, tuple[float | None, str]]:
    """code -> (kappa, warning) from evaluation.json ('' when no warning / no evaluation)."""
    flags: dict[str, tuple[float | None, str]] = {}
    if not evaluation:
        return flags
    for row in evaluation.get("codes", []):
        flags[row["code"]] = (row.get("kappa"), row.get("warning") or "")
    return flags


def merge_holdout_flags(evaluation: dict[str, Any] | None, holdout: dict[str, Any] | None
                        ) -> dict[str, Any] | None:
    """Add the held-out set's low-agreement warnings to an evaluation's codes.

    A code with a warning on the held-out set, and at least ``min_gold_segments`` gold
    texts there, keeps its in-sample warning or gets the held-out one: in-sample agreement
    on a gold the rules were refined on flatters them.
    """
    if not holdout:
        return evaluation
    min_gold = int(holdout.get("min_gold_segments") or 10)
    merged = dict(evaluation or {"codes": []})
    rows = {row["code"]: dict(row) for row in merged.get("codes", [])}
    for row in holdout.get("codes", []):
        if not row.get("warning") or int(row.get("gold_segments") or 0) < min_gold:
            continue
        mine = rows.setdefault(row["code"], {"code": row["code"], "kappa": None,
                                             "warning": ""})
        if not mine.get("warning"):
            mine["warning"] = f"held-out set: {row['warning']}"
            mine["kappa"] = row.get("kappa")
    merged["codes"] = list(rows.values())
    return merged


def case_matrix(codebook: Codebook, segments: list[dict[str, Any]],
                coded: dict[str, dict[str, SegmentCode]], by: str,
                evaluation: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Case x code matrix in long form, every group x every code, with denominators.

    For ``by`` other than study, each study's groups are listed and then pooled across
    studies (``study`` = ALL), since the same label can mean different places per study.
    """
    flags = agreement_flags(evaluation)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for seg in segments:
        g = group_key(seg, by)
        if by == "study":
            groups[(seg["study"], g)].append(seg)
        else:
            groups[(seg["study"], g)].append(seg)
            if by not in ("participant", "document"):
                groups[(POOLED, g)].append(seg)
    rows = []
    for (study, group), members in sorted(groups.items()):
        n_seg = len(members)
        participants = {_participant(s) for s in members}
        seg_count: dict[str, int] = defaultdict(int)
        sent_count: dict[str, int] = defaultdict(int)
        part_hit: dict[str, set[str]] = defaultdict(set)
        for s in members:
            for code_id, sc in coded.get(s["segment_id"], {}).items():
                seg_count[code_id] += 1
                sent_count[code_id] += sc.n_sentences
                part_hit[code_id].add(_participant(s))
        for code in codebook.codes:
            n_hit = seg_count.get(code.id, 0)
            n_part = len(part_hit.get(code.id, ()))
            kappa, warning = flags.get(code.id, (None, ""))
            rows.append({
                "by": by, "study": study, "group": group, "code": code.id,
                "code_name": code.name, "level": codebook.depth(code.id),
                "n_segments": n_seg, "n_participants": len(participants),
                "segments_coded": n_hit, "share_segments": n_hit / n_seg if n_seg else None,
                "participants_coded": n_part,
                "share_participants": n_part / len(participants) if participants else None,
                "presence": int(n_hit > 0), "codings": sent_count.get(code.id, 0),
                "kappa": kappa, "agreement_warning": warning,
            })
    return rows


# ----------------------------------------------------------------- framework matrix


def case_label(segment: dict[str, Any], case_by: list[str]) -> str:
    return " | ".join(attr(segment, key) for key in case_by)


def rank_extracts(candidates: list[tuple[dict[str, Any], SegmentCode]], k: int
                  ) -> list[dict[str, Any]]:
    """Pick up to ``k`` extracts, best first, spread across documents.

    A segment's score is the number of its sentences carrying the code, then the number of
    distinct rules that fired; documents take turns (best document first) so one talkative
    interview cannot fill a cell.
    """
    by_doc: dict[str, list[tuple[tuple[int, int, str], dict[str, Any]]]] = defaultdict(list)
    for seg, sc in candidates:
        key = (-sc.n_sentences, -len(sc.rules), seg["segment_id"])
        by_doc[f"{seg['study']}/{attr(seg, 'document')}"].append((key, seg))
    queues = [sorted(items, key=lambda x: x[0]) for items in by_doc.values()]
    queues.sort(key=lambda q: q[0][0])
    picked: list[dict[str, Any]] = []
    depth = 0
    while len(picked) < k and any(depth < len(q) for q in queues):
        round_items = sorted((q[depth] for q in queues if depth < len(q)), key=lambda x: x[0])
        for _key, seg in round_items:
            if len(picked) == k:
                break
            picked.append(seg)
        depth += 1
    return picked


def load_summaries(summaries_dir: str | Path | None, study: str, codebook: Codebook,
                   cases: set[str]) -> dict[tuple[str, str], dict[str, str]]:
    """Human-written summaries from ``<summaries_dir>/<study>.csv`` (case, code, summary,
    author). A missing file means no summaries; an unknown case or code is an error."""
    if not summaries_dir:
        return {}
    path = Path(summaries_dir) / f"{study}.csv"
    if not path.exists():
        return {}
    out: dict[tuple[str, str], dict[str, str]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in SUMMARY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}; a summaries file "
                             "has the columns case, code, summary, author", line=1)
        for line, row in enumerate(reader, start=2):
            case, code = row["case"].strip(), row["code"].strip()
            text, author = (row["summary"] or "").strip(), (row["author"] or "").strip()
            if not text:
                continue
            if code not in codebook.by_id:
                raise InputError(path, f"unknown code {code!r}; use an id from the codebook",
                                 line=line, field="code")
            if case not in cases:
                raise InputError(path, f"unknown case {case!r}; cases are the 'case' values "
                                 f"of framework_{study}.csv, e.g. {sorted(cases)[:3]}",
                                 line=line, field="case")
            if not author:
                raise InputError(path, "a summary needs its author (initials are fine)",
                                 line=line, field="author")
            if (case, code) in out:
                raise InputError(path, f"a second summary for case {case!r}, code {code!r}",
                                 line=line)
            out[(case, code)] = {"summary": text, "author": author, "file": path.as_posix(),
                                 "line": str(line)}
    return out


def framework_matrix(codebook: Codebook, segments: list[dict[str, Any]],
                     coded: dict[str, dict[str, SegmentCode]], study: str,
                     case_by: list[str], extracts_per_cell: int,
                     summaries: dict[tuple[str, str], dict[str, str]] | None = None,
                     evaluation: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per case x code of a study: counts, ranked extracts, human summary if any."""
    flags = agreement_flags(evaluation)
    summaries = summaries or {}
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seg in segments:
        if seg["study"] == study:
            cases[case_label(seg, case_by)].append(seg)
    rows = []
    for case, members in sorted(cases.items()):
        docs = {attr(s, "document") for s in members}
        for code in codebook.codes:
            cands = [(s, coded[s["segment_id"]][code.id]) for s in members
                     if code.id in coded.get(s["segment_id"], {})]
            picked = rank_extracts(cands, extracts_per_cell)
            human = summaries.get((case, code.id))
            kappa, warning = flags.get(code.id, (None, ""))
            rows.append({
                "study": study, "case": case, "case_by": "|".join(case_by), "code": code.id,
                "code_name": code.name, "level": codebook.depth(code.id),
                "n_case_segments": len(members), "n_case_documents": len(docs),
                "segments_coded": len(cands),
                "share_segments": len(cands) / len(members) if members else None,
                "documents_coded": len({attr(s, "document") for s, _ in cands}),
                "extracts": "\n".join(f"{i}. [{s['segment_id']}] {' '.join(s['text'].split())}"
                                      for i, s in enumerate(picked, start=1)),
                "extract_segment_ids": ";".join(s["segment_id"] for s in picked),
                "summary": human["summary"] if human else "",
                "summary_source": (f"human-written by {human['author']} "
                                   f"({human['file']} line {human['line']})" if human else ""),
                "kappa": kappa, "agreement_warning": warning,
            })
    return rows


def write_framework_xlsx(path: str | Path, rows: list[dict[str, Any]], codebook: Codebook,
                         study: str, synthetic: bool = False) -> None:
    """Framework matrix for people: cases as rows, themes as columns, one sheet per level."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    about = wb.active
    about.title = "About"
    notes = [
        f"Framework matrix: study '{study}'. Codebook {codebook.version} "
        f"(sha256 {codebook.hash}).",
        "Rows are cases; columns are codes. Each cell gives the number of the case's "
        "segments coded (with the denominator), then machine-selected candidate extracts, "
        "ranked and spread across documents, each with its segment id.",
        "Summaries appear only where a researcher wrote one in config/summaries/; they are "
        "labelled 'Human-written summary'. The pipeline never writes summaries.",
        "Codes marked LOW AGREEMENT had Cohen's kappa below the threshold against the "
        "gold coding (see evaluation.json for who coded it): treat their counts with caution.",
    ]
    if synthetic:
        notes.insert(0, "SYNTHETIC DEMO DATA: every interview here is fictional.")
    for i, note in enumerate(notes, start=1):
        about.cell(row=i, column=1, value=note).alignment = Alignment(wrap_text=True)
    about.column_dimensions["A"].width = 110

    cells = {(r["case"], r["code"]): r for r in rows}
    cases = sorted({r["case"] for r in rows})
    warn_fill = PatternFill("solid", fgColor="FFE9B3")
    for title, codes in (("Themes", [c for c in codebook.codes if c.parent is None]),
                         ("All codes", list(codebook.codes))):
        ws = wb.create_sheet(title)
        ws.cell(row=1, column=1, value="Case").font = Font(bold=True)
        for j, code in enumerate(codes, start=2):
            header = f"{code.name} [{code.id}]"
            first = next((cells[(c, code.id)] for c in cases if (c, code.id) in cells), None)
            if first and first["agreement_warning"]:
                header += " - LOW AGREEMENT"
            cell = ws.cell(row=1, column=j, value=header)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[cell.column_letter].width = 60
        ws.column_dimensions["A"].width = 28
        for i, case in enumerate(cases, start=2):
            ws.cell(row=i, column=1, value=case).alignment = Alignment(vertical="top")
            for j, code in enumerate(codes, start=2):
                r = cells.get((case, code.id))
                if r is None:
                    continue
                parts = []
                if r["summary"]:
                    parts.append(f"Human-written summary ({r['summary_source']}):\n"
                                 f"{r['summary']}")
                parts.append(f"Coded in {r['segments_coded']} of {r['n_case_segments']} "
                             f"segments ({r['documents_coded']} of {r['n_case_documents']} "
                             "documents).")
                if r["agreement_warning"]:
                    parts.append(f"Warning: {r['agreement_warning']}.")
                if r["extracts"]:
                    parts.append("Candidate extracts (machine-selected):\n" + r["extracts"])
                value = "\n\n".join(parts)
                cell = ws.cell(row=i, column=j, value=value[:32000])
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if r["agreement_warning"]:
                    cell.fill = warn_fill
        ws.freeze_panes = "B2"
    save_workbook(wb, path)


def save_workbook(wb: Any, path: str | Path) -> None:
    """Save with fixed document properties and zip timestamps: byte-identical reruns."""
    import datetime
    import io
    import re
    import zipfile

    from qualsynth.io import atomic_path

    fixed = datetime.datetime(2000, 1, 1)
    wb.properties.creator = "qualsynth"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.lastModifiedBy = "qualsynth"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    with atomic_path(path) as tmp, zipfile.ZipFile(buffer) as src, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            fixed_info.external_attr = 0o644 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into 'modified' whatever was set
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            dst.writestr(fixed_info, data)


def write_matrices_xlsx(path: str | Path, matrices: dict[str, list[dict[str, Any]]],
                        synthetic: bool = False) -> None:
    """All case x code matrices in one workbook, one sheet per ``by``, long form."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    about = wb.active
    about.title = "About"
    lines = ["Case x code matrices: counts of segments coded, share of the group's segments "
             "(denominator n_segments) and of its participants (n_participants), and 0/1 "
             "presence. Children are rolled up into their parents.",
             "agreement_warning is set for codes whose kappa against the gold coding was below "
             "the threshold: treat their counts with caution."]
    if synthetic:
        lines.insert(0, "SYNTHETIC DEMO DATA: every interview here is fictional.")
    for i, line in enumerate(lines, start=1):
        about.cell(row=i, column=1, value=line)
    for by, rows in matrices.items():
        ws = wb.create_sheet(by[:31])
        for j, col in enumerate(MATRIX_COLUMNS, start=1):
            ws.cell(row=1, column=j, value=col).font = Font(bold=True)
        for i, row in enumerate(rows, start=2):
            for j, col in enumerate(MATRIX_COLUMNS, start=1):
                value = row.get(col)
                ws.cell(row=i, column=j, value="" if value is None else value)
        ws.freeze_panes = "A2"
    save_workbook(wb, path)


__all__ = ["MISSING", "case_matrix", "framework_matrix", "segment_codes"]
