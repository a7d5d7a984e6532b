"""Report test fixtures: a tiny invented project with every upstream output the reports read.

``build_report_project(root, ...)`` writes, under ``root``, a config, a codebook, the
public ICB boundaries and small synthetic versions of the de-identification, themes,
topics and ingest outputs described in docs/data-contracts.md. All text is invented here
(no names at all: people appear only as pseudonym tokens). Options switch individual
outputs to the states reports must cope with (placeholders, no gold, topics not fitted).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]

CODEBOOK = [  # flat, like config/codebook.yaml: id, name, parent, definition
    {"id": "setting_up", "name": "Setting up ICSs", "parent": None,
     "definition": "New committees, roles and strategies."},
    {"id": "context_pressures", "name": "Context and pressures", "parent": None,
     "definition": "Waiting lists, money, staff shortages."},
    {"id": "partnerships", "name": "Emerging partnerships", "parent": None},
    {"id": "partnerships.leadership", "name": "Leadership", "parent": "partnerships"},
    {"id": "partnerships.collaboration", "name": "Collaboration", "parent": "partnerships"},
    {"id": "partnerships.collaboration.culture", "name": "Cultural differences",
     "parent": "partnerships.collaboration"},
    {"id": "workforce", "name": "Workforce", "parent": None},
    {"id": "enablers", "name": "Enablers of system working", "parent": None},
    {"id": "enablers.shared_vision", "name": "Shared vision and purpose",
     "parent": "enablers"},
    {"id": "enablers.relationships", "name": "Collaborative relationships",
     "parent": "enablers"},
    {"id": "enablers.local_identity", "name": "Meaningful local identity",
     "parent": "enablers"},
    {"id": "barriers", "name": "Barriers to system working", "parent": None},
    {"id": "barriers.competition", "name": "Legacy of competitive behaviours",
     "parent": "barriers"},
    {"id": "barriers.funding", "name": "Funding pressures", "parent": "barriers"},
    {"id": "leadership_components", "name": "Leadership components (Harris et al. 2022)",
     "parent": None},
    {"id": "leadership_components.inspiring_intent",
     "name": "Inspiring intent to work together", "parent": "leadership_components"},
    {"id": "leadership_components.working_with_power", "name": "Working with power",
     "parent": "leadership_components",
     "definition": "Leaders notice who holds sway and share it on purpose."},
    {"id": "leadership_components.wider_view", "name": "Taking a wider view",
     "parent": "leadership_components"},
]
PARENT = {c["id"]: c["parent"] for c in CODEBOOK}
NAME = {c["id"]: c["name"] for c in CODEBOOK}
LEAVES = ["setting_up", "context_pressures", "partnerships.leadership",
          "partnerships.collaboration.culture", "workforce", "enablers.shared_vision",
          "enablers.relationships", "enablers.local_identity", "barriers.competition",
          "barriers.funding", "leadership_components.inspiring_intent",
          "leadership_components.working_with_power", "leadership_components.wider_view"]
PHRASES = {
    "setting_up": ["We spent the first year filling new committees and posts.",
                   "The board wrote its quality strategy once the roles were settled."],
    "context_pressures": ["Waiting lists after the pandemic shaped every conversation.",
                          "Money is tight and the winter was hard on everyone."],
    "partnerships.leadership": ["The chief nurse and the medical director now lead together.",
                                "Leaders from the council bring a broader view to the table."],
    "partnerships.collaboration.culture": [
        "Organisations are working much more closely than before.",
                                   "Hospitals still dominate but the council is heard more."],
    "workforce": ["Recruitment and retention of nurses is our biggest worry.",
                  "We are redesigning roles with a new skill mix across the system."],
    "enablers.shared_vision": ["Everyone signed up to a shared purpose for the population.",
                               "A common vision helped us agree priorities quickly."],
    "enablers.relationships": ["Trust between chief executives made the difference.",
                               "Long relationships meant we could pick up the phone."],
    "enablers.local_identity": ["People feel a strong local identity here.",
                                "Our area has a meaningful sense of place."],
    "barriers.competition": ["Old competitive habits between the trusts linger on.",
                             "We still compete for the same contracts at times."],
    "barriers.funding": ["Funding pressures push everyone back into their silos.",
                         "There is no money to support transformation this year."],
    "leadership_components.inspiring_intent": [
        "She made the case for working together so people wanted to join in.",
        "Leaders inspired a real intent to collaborate across the partners."],
    "leadership_components.working_with_power": [
        "The acute trust chair gave up a seat so the voluntary sector had a voice.",
        "Leaders were honest about power and shared it with smaller partners."],
    "leadership_components.wider_view": [
        "He always asked what was right for the whole population, not his trust.",
        "Taking the wider view meant looking ten years ahead."],
}
FILLER = ["It took time and there were setbacks along the way.",
          "I think that is true across the patch, honestly.",
          "We talked about it at length with [Person 2] from [Organisation 1].",
          "That is what I would say to anyone starting out."]
STUDIES = [
    {"id": "alpha", "title": "Alpha workforce: recruiting and redesign", "kind": "interview",
     "lens": "How partners recruit and retain", "data": "alpha"},
    {"id": "beta", "title": "Beta quality: partnerships over time", "kind": "interview",
     "lens": "How quality partnerships change", "data": "beta"},
    {"id": "gamma", "title": "Gamma place: a survey of place leaders", "kind": "survey",
     "lens": "What place partnerships do", "data": "gamma",
     "survey": {"file": "survey.csv", "respondent_id": "respondent_id",
                "free_text_columns": ["q_role_of_place", "q_barriers"],
                "closed_columns": ["q_delegated_budget", "q_formal_committee"],
                "attribute_columns": ["ics", "region", "sector", "role"]}},
]
SITES = {  # study -> (ics_label, region, ICB22CD)
    "alpha": [("London ICS", "London", "E54000027"),
              ("South East ICS", "South East", "E54000032"),
              ("North West ICS", "North West", "E54000048")],
    "beta": [("Eastern ICS", "East of England", "E54000022"),
             ("Midlands ICS", "Midlands", "E54000013")],
    "gamma": [("London ICS", "London", "E54000029"),
              ("South West ICS", "South West", "E54000037"),
              ("North East and Yorkshire ICS", "North East and Yorkshire", "E54000054"),
              ("Midlands ICS", "Midlands", "E54000055")],
}
SECTORS = ["icb", "trust", "local_authority", "vcse", "primary_care"]
CODEBOOK_HASH = "c0debook" * 8


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    _write(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def _csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _people(study: dict[str, Any]) -> list[dict[str, Any]]:
    """Participants (and time points) of a fixture study."""
    sites = SITES[study["id"]]
    out = []
    if study["id"] == "alpha":
        for i in range(6):
            ics, region, _ = sites[i % 3]
            out.append({"pid": f"P{i + 1:02d}", "ics_label": ics, "region": region,
                        "sector": SECTORS[i % 4], "role": "Director", "tps": ["single"]})
    elif study["id"] == "beta":
        for i in range(5):
            ics, region, _ = sites[i % 2]
            tps = ["baseline", "follow_up"] if i < 4 else ["baseline"]
            out.append({"pid": f"P{i + 11:02d}", "ics_label": ics, "region": region,
                        "sector": SECTORS[(i + 1) % 5], "role": "Chief nurse", "tps": tps})
    else:
        for i in range(8):
            ics, region, _ = sites[i % 4]
            out.append({"pid": f"R{i + 1}", "ics_label": ics, "region": region,
                        "sector": "icb" if i % 2 else "local_authority", "role": "Place lead",
                        "tps": ["single"]})
    return out


def _segment_text(rng: random.Random, codes: list[str]) -> tuple[str, dict[str, str]]:
    """Invented text for a segment carrying ``codes``; returns text and code -> sentence."""
    sentences, evidence = [], {}
    for code in codes:
        s = rng.choice(PHRASES[code])
        sentences.append(s)
        evidence[code] = s
    sentences.extend(rng.sample(FILLER, 2))
    rng.shuffle(sentences)
    return " ".join(sentences), evidence


def build_report_project(root: Path, *, synthetic: bool = True, with_gold: bool = True,
                         topics_ok: bool = True, sites_disclosed: bool = True,
                         placeholders: tuple[str, ...] = (), seed: int = 7) -> Path:
    """Write the fixture project under ``root`` and return ``root``.

    ``placeholders`` may name stages (``themes``, ``topics``, ``deid_eval``) whose outputs
    are written as the pipeline's placeholder files instead.
    """
    rng = random.Random(seed)
    processed = root / "data" / "processed"
    deid, themes, topics = processed / "deid", processed / "themes", processed / "topics"
    shutil.copy2(REPO / "data" / "reference" / "icb_boundaries_bng.geojson",
                 _mk(root / "data" / "reference") / "icb_boundaries_bng.geojson")
    _write(root / "config" / "codebook.yaml", yaml.safe_dump(
        {"version": "1.0.0", "title": "Fixture codebook", "codes": CODEBOOK}, sort_keys=False))
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config.update({"data_root": "data/raw/fixture", "processed_dir": "data/processed",
                   "restricted_dir": "restricted", "reports_dir": "reports", "logs_dir": "logs",
                   "studies": STUDIES})
    config["project"] = {"title": "Fixture programme: cross-study synthesis",
                         "synthetic": synthetic}
    config["themes"] = {**(config.get("themes") or {}), "codebook": "config/codebook.yaml"}
    config["report"] = {"quotes_per_theme": 2, "deid_sample_size": 6}
    _write(root / "config" / "config.yaml", yaml.safe_dump(config, sort_keys=False))

    segments, turns, documents, codings, seg_codes, audit = [], [], [], [], [], {}
    by_label: dict[str, dict[str, int]] = {}
    for study in STUDIES:
        sid = study["id"]
        by_label[sid] = {}
        for person in _people(study):
            for tp in person["tps"]:
                if study["kind"] == "survey":
                    doc = f"survey-{person['pid'][1:]}"
                else:
                    doc = f"{sid[:2]}{person['pid'][1:]}" + ("" if tp == "single" else
                                                             f"-{tp.replace('_', '')}")
                attrs = {"participant_id": person["pid"], "ics_label": person["ics_label"],
                         "region": person["region"], "sector": person["sector"],
                         "role": person["role"], "time_point": tp}
                drow = {"study": sid, "document": doc, "source_file": f"{doc}.txt",
                        "format": "csv" if study["kind"] == "survey" else "txt",
                        "source_sha256": hashlib.sha256(doc.encode()).hexdigest(),
                        "kind": "survey_response" if study["kind"] == "survey"
                        else "transcript", **attrs}
                if study["kind"] == "survey":
                    drow["closed"] = {"q_delegated_budget": rng.choice(["Yes", "No", "Partly",
                                                                        ""]),
                                      "q_formal_committee": rng.choice(["Yes", "No"])}
                documents.append(drow)
                questions = study.get("survey", {}).get("free_text_columns") or [None] * 3
                audit_rows = []
                for t, question in enumerate(questions, start=1):
                    if study["kind"] == "survey":
                        turn_id = f"{sid}/{doc}/t{t:03d}"
                    else:
                        turn_id = f"{sid}/{doc}/t{2 * t:03d}"
                        turns.append({"turn_id": f"{sid}/{doc}/t{2 * t - 1:03d}", "study": sid,
                                      "document": doc, "speaker": "[Interviewer 1]",
                                      "speaker_role": "interviewer",
                                      "text": "Thanks, [Person 1]. Could you say more?"})
                    n_codes = rng.choice([1, 2, 2, 3])
                    pool = LEAVES if tp != "follow_up" else [*LEAVES, *[LEAVES[5]] * 4]
                    codes = sorted(set(rng.sample(pool, n_codes)))
                    text, evidence = _segment_text(rng, codes)
                    seg_id = f"{turn_id}/s01"
                    seg = {"segment_id": seg_id, "turn_id": turn_id, "study": sid,
                           "document": doc, "turn": t, "segment": 1, "text": text,
                           "words": len(text.split()), "line_start": t, "line_end": t,
                           "source_file": drow["source_file"],
                           "source_sha256": drow["source_sha256"], "question": question,
                           **attrs}
                    segments.append(seg)
                    turns.append({"turn_id": turn_id, "study": sid, "document": doc,
                                  "speaker": f"[Participant {person['pid']}]",
                                  "speaker_role": "participant", "text": text,
                                  "question": question})
                    for code in codes:
                        codings.append({"segment_id": seg_id, "study": sid, "code": code,
                                        "rule": f"{code}/terms", "evidence": evidence[code][:20],
                                        "sentence_no": 1, "sentence": evidence[code],
                                        "codebook_version": "1.0.0",
                                        "codebook_hash": CODEBOOK_HASH})
                    rolled = {}
                    for code in codes:  # roll-up, as the themes stage writes it
                        rolled[code] = 1
                        parent = PARENT[code]
                        while parent:
                            rolled.setdefault(parent, 0)
                            parent = PARENT[parent]
                    for code, direct in rolled.items():
                        seg_codes.append({"segment_id": seg_id, "study": sid, "document": doc,
                                          **attrs, "code": code, "direct": direct,
                                          "n_sentences": 1, "rules": f"{code}/terms"})
                    for label in ("PERSON", "ORGANISATION"):
                        audit_rows.append({"label": label, "detector": "register"
                                           if label == "PERSON" else "gazetteer",
                                           "start": 0, "end": 5, "pseudonym": "[x]",
                                           "field": "text", "turn_id": turn_id})
                        by_label[sid][label] = by_label[sid].get(label, 0) + 1
                audit[(sid, doc)] = audit_rows
    segments.sort(key=lambda r: r["segment_id"])
    _jsonl(deid / "segments.jsonl", segments)
    _jsonl(deid / "turns.jsonl", sorted(turns, key=lambda r: r["turn_id"]))
    _jsonl(deid / "documents.jsonl", sorted(documents, key=lambda r: (r["study"],
                                                                      r["document"])))
    for (sid, doc), rows in audit.items():
        _jsonl(deid / "audit" / sid / f"{doc}.jsonl", rows)
    total = {k: sum(v.get(k, 0) for v in by_label.values()) for k in ("PERSON",
                                                                       "ORGANISATION")}
    summary = {
        "status": "ok", "spans": sum(total.values()), "segments": len(segments),
        "review_sample": [{"segment_id": s["segment_id"], "study": s["study"],
                           "text": s["text"]} for s in segments[::9]],
        "by_label": total,
        "by_detector": {"register": total["PERSON"], "gazetteer": total["ORGANISATION"]},
        "documents": len(documents),
        "by_study": {sid: {"by_label": v, "documents": sum(1 for d in documents
                                                           if d["study"] == sid),
                           "spans": sum(v.values()),
                           "by_detector": {"register": v.get("PERSON", 0),
                                           "gazetteer": v.get("ORGANISATION", 0)}}
                     for sid, v in by_label.items()},
    }
    _write(deid / "summary.json", json.dumps(summary, sort_keys=True, indent=2))
    site_rows = [{"study": sid, "ics_label": ics, "region": region,
                  "icb22cd": code if sites_disclosed else ""}
                 for sid, rows in SITES.items() for ics, region, code in rows]
    _csv(deid / "sites.csv", ["study", "ics_label", "region", "icb22cd"], site_rows)
    _write(deid / "leakage_gate.json", json.dumps({
        "passed": True, "survivors": 0, "checked_files": 2 + len(audit), "checks": 8,
        "register_people": 19, "strings_scanned": 400}))
    if "deid_eval" in placeholders:
        _placeholder(deid / "evaluation.json", "deid")
    else:
        _write(deid / "evaluation.json", json.dumps({
            "status": "ok", "engine": "invented annotated sample", "all_targets_met": False,
            "labels": {"PERSON": {"precision": 0.97, "recall": 0.93, "f1": 0.95,
                                  "recall_ci": [0.88, 0.97], "support": 120},
                       "ORGANISATION": {"precision": 0.9, "recall": 0.81, "f1": 0.85,
                                        "support": 60}},
            "overall": {"precision": 0.95, "recall": 0.9, "recall_ci": [0.85, 0.94],
                        "f1": 0.92},
            "micro": {"precision": 0.95, "recall": 0.89, "f1": 0.92},
            "residual_identifier_chars": {"gold_chars": 2000, "left": 30, "share": 0.015},
            "missed": [{"study": "alpha", "file": "al01.txt", "label": "PERSON",
                        "start": 10, "end": 15}],
            "by_study": {sid: {"precision": 0.9, "recall": 0.95, "f1": 0.92,
                               "recall_ci": [0.9, 0.98]} for sid in ("alpha", "beta", "gamma")},
        }, sort_keys=True))

    if "themes" in placeholders:
        for name in ("codings.csv", "segment_codes.csv"):
            _placeholder(themes / name, "themes")
    else:
        _csv(themes / "codings.csv", ["segment_id", "study", "code", "rule", "evidence",
                                      "sentence_no", "sentence", "codebook_version",
                                      "codebook_hash"],
             sorted(codings, key=lambda r: (r["segment_id"], r["code"])))
        _csv(themes / "segment_codes.csv",
             ["segment_id", "study", "document", "participant_id", "ics_label", "region",
              "sector", "role", "time_point", "code", "direct", "n_sentences", "rules"],
             sorted(seg_codes, key=lambda r: (r["segment_id"], r["code"])))
        _write_framework(themes, segments, seg_codes)
    if with_gold and "themes" not in placeholders:
        per_code = []
        for i, code in enumerate(c["id"] for c in CODEBOOK):
            kappa = 0.3 if code == "barriers.competition" else round(0.5 + 0.02 * i, 3)
            undefined = code == "leadership_components.wider_view"  # no gold examples
            level = 0
            parent = PARENT[code]
            while parent:
                level, parent = level + 1, PARENT[parent]
            per_code.append({
                "code": code, "name": NAME[code], "level": level,
                "gold_segments": 0 if undefined else 10 + i,
                "precision": None if undefined else min(0.99, kappa + 0.1),
                "recall": None if undefined else kappa + 0.05,
                "f1": None if undefined else kappa + 0.07,
                "kappa": None if undefined else kappa,
                "kappa_ci": [None, None] if undefined else [kappa - 0.15,
                                                            min(1.0, kappa + 0.12)],
                "alpha": None if undefined else kappa - 0.01,
                "low_agreement": code == "barriers.competition",
                "warning": "low agreement with human coding (kappa 0.30 < 0.41)"
                if code == "barriers.competition" else ""})
        _write(themes / "evaluation.json", json.dumps({
            "unit": "segment", "codebook_version": "1.0.0", "codebook_hash": CODEBOOK_HASH,
            "n_segments": 80, "low_kappa_threshold": 0.41, "min_gold_segments": 5,
            "bootstrap": {"iterations": 200, "seed": 1, "interval": 0.95},
            "codes": per_code,
            "macro": {"all_codes": {"n_codes": len(per_code) - 1, "precision": 0.8,
                                    "recall": 0.75, "f1": 0.77, "kappa": 0.66,
                                    "kappa_ci": [0.58, 0.73]},
                      "frequent_codes": {"n_codes": 12, "kappa": 0.7,
                                         "kappa_ci": [0.6, 0.78]}},
            "targets": {"macro_kappa_min": 0.6, "recall_min": 0.8, "macro_kappa": 0.66,
                        "macro_kappa_met": True, "codes_below_recall_target": ["x"],
                        "recall_met": False},
            "by_study": {sid: {"n_segments": 20, "n_codes_with_gold": 10,
                               "macro_kappa": 0.6, "macro_f1": 0.7, "macro_recall": 0.72}
                         for sid in ("alpha", "beta", "gamma")}}, sort_keys=True))

    seg_ids = [s["segment_id"] for s in segments]
    if "topics" in placeholders:
        for name in ("topics.csv",):
            _placeholder(topics / name, "topics")
    elif not topics_ok:
        _write(topics / "quality.json", json.dumps({
            "status": "too_small", "summary": "Not modelled: only 61 segments, at least 200 "
            "are needed.", "message": "Add studies or lower topics.min_segments.",
            "npmi": None, "n_topics": None}))
        _csv(topics / "topics.csv", ["topic", "label", "top_words", "size", "share",
                                     "representative_segments"], [])
    else:
        assign = [{"segment_id": s, "study": s.split("/")[0], "topic": i % 3 - (1 if i % 7 == 0
                                                                               else 0),
                   "probability": 0.8} for i, s in enumerate(seg_ids)]
        sizes = {t: sum(1 for a in assign if a["topic"] == t) for t in (-1, 0, 1, 2)}
        _csv(topics / "topics.csv", ["topic", "label", "top_words", "size", "share",
                                     "representative_segments"],
             [{"topic": t, "label": lab, "top_words": words, "size": sizes[t],
               "share": round(sizes[t] / len(assign), 4),
               "representative_segments": "" if t < 0 else seg_ids[t + 1]}
              for t, lab, words in
              [(-1, "", ""), (0, "0: staff; roles; recruitment; nurses",
                              "staff; roles; recruitment; nurses"),
               (1, "1: money; winter; pressure; tight", "money; winter; pressure; tight"),
               (2, "2: vision; purpose; shared; population",
                "vision; purpose; shared; population")]])
        _csv(topics / "assignments.csv", ["segment_id", "study", "topic", "probability"], assign)
        bg = []
        for sid in ("alpha", "beta", "gamma"):
            sub = [a for a in assign if a["study"] == sid]
            for t in (-1, 0, 1, 2):
                k = sum(1 for a in sub if a["topic"] == t)
                bg.append({"group_by": "study", "group": sid, "topic": t, "n_segments": k,
                           "denominator": len(sub), "share": round(k / len(sub), 4)})
        _csv(topics / "by_group.csv", ["group_by", "group", "topic", "n_segments",
                                       "denominator", "share"], bg)
        code_of: dict[str, list[str]] = {}
        for c in seg_codes:
            code_of.setdefault(c["segment_id"], []).append(c["code"])
        cw: dict[tuple[int, str], int] = {}
        for a in assign:
            for code in code_of.get(a["segment_id"], ["(uncoded)"]):
                cw[(a["topic"], code)] = cw.get((a["topic"], code), 0) + 1
        _csv(topics / "crosswalk.csv", ["topic", "code", "n_segments", "topic_size",
                                        "code_size", "share_of_topic", "share_of_code"],
             [{"topic": t, "code": c, "n_segments": n, "topic_size": sizes[t],
               "code_size": 0, "share_of_topic": round(n / sizes[t], 4),
               "share_of_code": 0.0} for (t, c), n in sorted(cw.items())])
        _csv(topics / "crosswalk_topics.csv", ["topic", "label", "size", "n_coded",
                                               "uncoded_share", "top_code", "top_code_share"],
             [{"topic": t, "label": "", "size": sizes[t],
               "n_coded": sizes[t] - cw.get((t, "(uncoded)"), 0),
               "uncoded_share": round(cw.get((t, "(uncoded)"), 0) / sizes[t], 4),
               "top_code": "", "top_code_share": ""} for t in (-1, 0, 1, 2)])
        _write(topics / "quality.json", json.dumps({
            "status": "ok", "summary": "3 topics over 61 segments.", "npmi": 0.12,
            "diversity": 0.8, "outlier_share": 0.14,
            "stability_ari": 0.7, "backend": "model2vec", "seed": 42, "n_topics": 3}))
    for study in STUDIES:
        n_people = len(_people(study))
        _write(processed / "ingest" / study["id"] / "register_check.json", json.dumps({
            "study": study["id"], "participants": n_people,
            "transcripts": sum(len(p["tps"]) for p in _people(study))}))

    from qualsynth.config import load_config
    from qualsynth.provenance import collect_provenance, write_provenance

    cfg = load_config(root / "config" / "config.yaml")
    record = collect_provenance(cfg, config_path=root / "config" / "config.yaml",
                                inputs=[deid, themes], codebook=root / "config" / "codebook.yaml",
                                codings_csv=themes / "codings.csv", repo=root, base=root,
                                environ={"SOURCE_DATE_EPOCH": "1700000000"})
    write_provenance(processed / "provenance.json", record)
    return root


def _write_framework(themes: Path, segments: list[dict], seg_codes: list[dict]) -> None:
    """framework_<study>.csv in the long format the themes stage writes (theme level)."""
    text_of = {s["segment_id"]: s["text"] for s in segments}
    header = ["study", "case", "case_by", "code", "code_name", "level", "n_case_segments",
              "n_case_documents", "segments_coded", "share_segments", "documents_coded",
              "extracts", "extract_segment_ids", "summary", "summary_source", "kappa",
              "agreement_warning"]
    for sid in ("alpha", "beta", "gamma"):
        segs = [s for s in segments if s["study"] == sid]
        cases = sorted({(s["ics_label"], s["time_point"]) for s in segs})
        rows = []
        for ics, tp in cases:
            in_case = [s["segment_id"] for s in segs if (s["ics_label"], s["time_point"])
                       == (ics, tp)]
            for code in (c["id"] for c in CODEBOOK if c["parent"] is None):
                hit = sorted({r["segment_id"] for r in seg_codes if r["code"] == code
                              and r["segment_id"] in in_case})
                ids = hit[:2]
                rows.append({
                    "study": sid, "case": f"{ics} | {tp}", "case_by": "ics_label | time_point",
                    "code": code, "code_name": NAME[code], "level": 0,
                    "n_case_segments": len(in_case), "n_case_documents": 1,
                    "segments_coded": len(hit), "share_segments": round(
                        len(hit) / len(in_case), 4), "documents_coded": 1 if hit else 0,
                    "extracts": "\n".join(f"{i}. [{x}] {text_of[x][:80]}" for i, x in
                                          enumerate(ids, start=1)),
                    "extract_segment_ids": " ".join(ids),
                    "summary": "Staff shortages dominate." if (sid, code) == ("alpha",
                                                                              "workforce")
                    and ics == "London ICS" else "",
                    "summary_source": "human-written by AB (config/summaries/alpha.csv line 2)"
                    if (sid, code) == ("alpha", "workforce") and ics == "London ICS" else "",
                    "kappa": "", "agreement_warning": ""})
        _csv(themes / f"framework_{sid}.csv", header, rows)


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _placeholder(path: Path, stage: str) -> None:
    message = f"PLACEHOLDER: the {stage} stage is not implemented yet; no analysis was run."
    if path.suffix in (".json", ".jsonl"):
        _write(path, json.dumps({"placeholder": True, "message": message}) + "\n")
    else:
        _write(path, message + "\n")


REPORT_NOTEBOOKS = {  # report file stem -> (notebook, parameters)
    "alpha": ("study_report.ipynb", {"study": "alpha"}),
    "beta": ("study_report.ipynb", {"study": "beta"}),
    "gamma": ("study_report.ipynb", {"study": "gamma"}),
    "synthesis": ("synthesis.ipynb", {}),
    "deid_audit": ("deid_audit.ipynb", {}),
    "coding_evaluation": ("coding_evaluation.ipynb", {}),
}
_RENDERED: dict[str, dict[str, Path]] = {}


def render_report(root: Path, name: str, out: Path | None = None) -> Path:
    """Render one fixture report with the real notebook (papermill + nbconvert)."""
    from qualsynth.report.render import render_notebook

    notebook, params = REPORT_NOTEBOOKS[name]
    target = out or root / "reports" / f"{name}.html"
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    return render_notebook(REPO / "notebooks" / notebook, target,
                           {"config_path": "config/config.yaml", **params},
                           synthetic=bool(config["project"]["synthetic"]), cwd=root)


def rendered_reports(base: Path) -> dict[str, Path]:
    """Every fixture report plus index.html, rendered once per test session under ``base``."""
    key = str(base)
    if key not in _RENDERED:
        root = build_report_project(base / "rendered")
        paths = {name: render_report(root, name) for name in REPORT_NOTEBOOKS}
        from qualsynth.config import load_config
        from qualsynth.report.index import write_index

        cwd = Path.cwd()
        os.chdir(root)  # config paths are relative to the project root
        try:
            paths["index"] = root / write_index(load_config("config/config.yaml"),
                                                "reports/index.html")
        finally:
            os.chdir(cwd)
        _RENDERED[key] = paths
    return _RENDERED[key]
