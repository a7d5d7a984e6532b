"""Measure the rules against human (gold) coding at the segment unit.

Gold comes as two CSVs: ``theme_codes.csv`` (``segment_id, code, rationale, coder``; one
row per segment x code) and ``theme_coded_segments.csv`` (``segment_id``; every segment a
human coded, so a code absent from ``theme_codes.csv`` is a negative). Both sides are
rolled up the codebook hierarchy before comparison (a gold ``workforce.recruitment`` is
also a gold ``workforce``), matching the coding convention in the codebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualsynth.errors import InputError
from qualsynth.io import sha256_file
from qualsynth.themes.agreement import (
    METRICS,
    Counts,
    bootstrap,
    krippendorff_alpha_package,
    nan_to_none,
    statistics,
)
from qualsynth.themes.codebook import Codebook
from qualsynth.themes.tables import read_csv

TARGET_MACRO_KAPPA = 0.6
TARGET_RECALL = 0.8
# a code counts in the second-coder comparison when the first coder gave it to at least
# this many passages of the double-coded sample (a sample is small: 10 would leave few)
SECOND_CODER_MIN_GOLD = 5


def load_gold(codes_path: str | Path, segments_path: str | Path, codebook: Codebook,
              known_segments: set[str]) -> tuple[list[str], dict[str, set[str]]]:
    """(coded segment ids in order, segment id -> gold codes), validated against the
    codebook and the segments."""
    coded_rows = read_csv(segments_path, ["segment_id"])
    coded: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(coded_rows, start=2):
        sid = (row["segment_id"] or "").strip()
        if not sid:
            raise InputError(segments_path, "empty segment_id", line=line, field="segment_id")
        if sid not in known_segments:
            raise InputError(segments_path, f"segment {sid!r} is not in the segments being "
                             "evaluated (was the gold coded on a different corpus build?)",
                             line=line, field="segment_id")
        if sid not in seen:
            seen.add(sid)
            coded.append(sid)
    gold: dict[str, set[str]] = {sid: set() for sid in coded}
    for line, row in enumerate(read_csv(codes_path, ["segment_id", "code"]), start=2):
        sid, code = (row["segment_id"] or "").strip(), (row["code"] or "").strip()
        if not sid:
            continue
        if sid not in gold:
            raise InputError(codes_path, f"segment {sid!r} has gold codes but is not listed "
                             f"in {Path(segments_path).name}", line=line, field="segment_id")
        if not code:
            continue
        if code not in codebook.by_id:
            raise InputError(codes_path, f"unknown code {code!r} (codebook "
                             f"{codebook.version}); use an id from the codebook",
                             line=line, field="code")
        gold[sid].add(code)
    if not coded:
        raise InputError(segments_path, "no coded segments listed")
    return coded, gold


HALVES = ("tuning", "held-out")


def split_by_document(coded_segments: list[str], segments: dict[str, dict[str, Any]]
                      ) -> dict[str, str]:
    """Deterministic two-way split of gold segments by document, for rule tuning.

    Within each study the documents holding gold segments are sorted by name; the 1st,
    3rd, 5th ... go to the "tuning" half and the others to the "held-out" half, so a
    document (a transcript, a survey response) is never split between halves. Returns
    segment id -> "tuning" | "held-out".
    """
    docs: dict[str, set[str]] = {}
    for sid in coded_segments:
        seg = segments[sid]
        docs.setdefault(str(seg.get("study", "")), set()).add(str(seg.get("document", "")))
    half_of_doc = {}
    for study, names in docs.items():
        for i, name in enumerate(sorted(names)):
            half_of_doc[(study, name)] = HALVES[i % 2]
    return {sid: half_of_doc[(str(segments[sid].get("study", "")),
                              str(segments[sid].get("document", "")))]
            for sid in coded_segments}


def _matrices(codebook: Codebook, coded_segments: list[str], gold: dict[str, set[str]],
              predicted: Mapping[str, Iterable[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean segment x code matrices (gold, predicted), both rolled up to parents."""
    index = {cid: j for j, cid in enumerate(codebook.ids)}
    g = np.zeros((len(coded_segments), len(index)), dtype=bool)
    p = np.zeros_like(g)
    for i, sid in enumerate(coded_segments):
        for code in codebook.with_ancestors(gold.get(sid, set())):
            g[i, index[code]] = True
        # the same roll-up on both sides: a machine child code also counts for its parents
        # (``segment_codes`` already adds them; this keeps evaluate() correct on its own)
        for code in codebook.with_ancestors(set(predicted.get(sid, ()))):
            p[i, index[code]] = True
    return g, p


def evaluate(codebook: Codebook, coded_segments: list[str], gold: dict[str, set[str]],
             predicted: Mapping[str, Iterable[str]], *, iterations: int, seed: int,
             low_kappa: float, min_gold: int, studies: dict[str, str] | None = None,
             ) -> dict[str, Any]:
    """Per-code and macro statistics with bootstrap 95% intervals."""
    ids = codebook.ids
    n = len(coded_segments)
    g, p = _matrices(codebook, coded_segments, gold, predicted)
    support = g.sum(axis=0)
    evaluable = support > 0
    frequent = support >= min_gold
    boot = bootstrap(g, p, iterations, seed,
                     macro_columns={"all_codes": evaluable, "frequent_codes": frequent})
    rows = []
    for j, cid in enumerate(ids):
        counts = Counts.from_vectors(g[:, j], p[:, j])
        stats = statistics(counts)
        kappa = stats["kappa"]
        warning = ""
        if support[j] == 0:
            warning = "no gold segments: agreement not measured"
        elif np.isnan(kappa) or kappa < low_kappa:
            warning = (f"low agreement with the gold coding (kappa "
                       f"{'undefined' if np.isnan(kappa) else f'{kappa:.2f}'} < {low_kappa})")
        row: dict[str, Any] = {
            "code": cid, "name": codebook.by_id[cid].name, "level": codebook.depth(cid),
            "gold_segments": int(support[j]), "predicted_segments": int(p[:, j].sum()),
            "both": counts.both, "gold_only": counts.gold_only, "pred_only": counts.pred_only,
            "neither": counts.neither,
            "low_agreement": bool(support[j] > 0 and (np.isnan(kappa) or kappa < low_kappa)),
            "warning": warning,
            "meets_recall_target": (None if support[j] < min_gold
                                    else bool(stats["recall"] >= TARGET_RECALL)),
        }
        for m in METRICS:
            row[m] = nan_to_none(stats[m])
            lo, hi = boot["codes"][m][j]
            row[f"{m}_ci"] = [nan_to_none(lo), nan_to_none(hi)]
        row["alpha_package"] = nan_to_none(krippendorff_alpha_package(g[:, j], p[:, j])) \
            if support[j] > 0 else None
        rows.append(row)
    macro = {}
    for name, mask in (("all_codes", evaluable), ("frequent_codes", frequent)):
        entry: dict[str, Any] = {"n_codes": int(mask.sum())}
        for m in METRICS:
            vals = [rows[j][m] for j in range(len(ids)) if mask[j] and rows[j][m] is not None]
            entry[m] = nan_to_none(float(np.mean(vals))) if vals else None
            lo, hi = boot["macro"][name][m]
            entry[f"{m}_ci"] = [nan_to_none(lo), nan_to_none(hi)]
        macro[name] = entry
    failing = [r["code"] for r in rows if r["meets_recall_target"] is False]
    # below the target even at the top of the bootstrap interval (None without intervals)
    clearly = [r["code"] for r in rows if r["meets_recall_target"] is False
               and r["recall_ci"][1] is not None and r["recall_ci"][1] < TARGET_RECALL] \
        if iterations > 0 else None
    macro_kappa = macro["frequent_codes"]["kappa"]
    result: dict[str, Any] = {
        "unit": "segment",
        "codebook_version": codebook.version,
        "codebook_hash": codebook.hash,
        "n_segments": n,
        "n_gold_codings": int(sum(len(v) for v in gold.values())),
        "rollup": "children count for their parents on both sides",
        "bootstrap": {"iterations": iterations, "seed": seed, "interval": "percentile 95%",
                      "resample": "segments"},
        "low_kappa_threshold": low_kappa,
        "min_gold_segments": min_gold,
        "codes": rows,
        "macro": macro,
        "targets": {
            "macro_kappa_min": TARGET_MACRO_KAPPA, "recall_min": TARGET_RECALL,
            "applies_to": f"codes with at least {min_gold} gold segments",
            "macro_kappa": macro_kappa,
            "macro_kappa_met": None if macro_kappa is None else macro_kappa >= TARGET_MACRO_KAPPA,
            "codes_below_recall_target": failing,
            "codes_clearly_below_recall_target": clearly,
            "recall_met": not failing,
        },
    }
    if studies:
        result["by_study"] = _by_study(ids, g, p, coded_segments, studies, support, min_gold)
    return result


def _by_study(ids: list[str], g: np.ndarray, p: np.ndarray, coded: list[str],
              studies: dict[str, str], support: np.ndarray, min_gold: int) -> dict[str, Any]:
    """Macro kappa/F1 per study over codes with gold in that study (no intervals)."""
    out = {}
    study_of = np.array([studies.get(sid, "") for sid in coded])
    for study in sorted(set(study_of)):
        mask = study_of == study
        kappas, f1s, recalls = [], [], []
        for j in range(len(ids)):
            if g[mask, j].sum() == 0:
                continue
            s = statistics(Counts.from_vectors(g[mask, j], p[mask, j]))
            for lst, key in ((kappas, "kappa"), (f1s, "f1"), (recalls, "recall")):
                if not np.isnan(s[key]):
                    lst.append(s[key])
        out[study] = {"n_segments": int(mask.sum()), "n_codes_with_gold": len(f1s),
                      "macro_kappa": nan_to_none(float(np.mean(kappas))) if kappas else None,
                      "macro_f1": nan_to_none(float(np.mean(f1s))) if f1s else None,
                      "macro_recall": nan_to_none(float(np.mean(recalls))) if recalls else None}
    return out


EVALUATION_CSV_COLUMNS = ["code", "name", "level", "gold_segments", "predicted_segments",
                          "both", "gold_only", "pred_only", "neither", "precision",
                          "precision_ci_low", "precision_ci_high", "recall", "recall_ci_low",
                          "recall_ci_high", "f1", "f1_ci_low", "f1_ci_high", "agreement",
                          "kappa", "kappa_ci_low", "kappa_ci_high", "alpha", "alpha_ci_low",
                          "alpha_ci_high", "low_agreement", "warning"]


def evaluation_csv_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for r in result["codes"]:
        row = {k: r.get(k) for k in EVALUATION_CSV_COLUMNS if k in r}
        for m in ("precision", "recall", "f1", "kappa", "alpha"):
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = r[f"{m}_ci"]
        row["low_agreement"] = int(r["low_agreement"])
        rows.append(row)
    return rows


def load_holdout_texts(path: str | Path, studies: Iterable[str] | None = None
                       ) -> list[dict[str, Any]]:
    """Texts of a held-out gold set (``segment_id, study, text``), all participant speech.

    A held-out set is text the rules were never refined on, coded for the codebook, kept
    outside the corpus (the pipeline does not de-identify it: it must hold no identifiers).
    """
    known = set(studies) if studies is not None else None
    units: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, row in enumerate(read_csv(path, ["segment_id", "study", "text"]), start=2):
        sid = (row.get("segment_id") or "").strip()
        study = (row.get("study") or "").strip()
        text = (row.get("text") or "").strip()
        if not sid:
            raise InputError(path, "empty segment_id", line=line, field="segment_id")
        if sid in seen:
            raise InputError(path, f"duplicate segment_id {sid!r}", line=line,
                             field="segment_id")
        if known is not None and study not in known:
            raise InputError(path, f"unknown study {study!r}; use a study id of the config "
                             f"({', '.join(sorted(known))})", line=line, field="study")
        if not text:
            raise InputError(path, "empty text", line=line, field="text")
        seen.add(sid)
        units.append({"segment_id": sid, "study": study, "text": text,
                      "speaker_role": "participant"})
    if not units:
        raise InputError(path, "no texts")
    return units


def gold_provenance(codes_path: str | Path | Sequence[str | Path],
                    segments_path: str | Path | Sequence[str | Path]) -> dict[str, Any]:
    """Where the gold came from: paths, sha256 and the coders named in its coder column.

    Several files (pooled held-out sets) give their paths and sha256 joined by ``"; "``."""
    codes_paths, segment_paths = as_paths(codes_path), as_paths(segments_path)
    coders: set[str] = set()
    for path in codes_paths:
        coders |= {(r.get("coder") or "").strip() for r in read_csv(path, ["segment_id", "code"])}
    return {"gold_codes": "; ".join(Path(p).as_posix() for p in codes_paths),
            "gold_codes_sha256": "; ".join(sha256_file(p) for p in codes_paths),
            "gold_segments": "; ".join(Path(p).as_posix() for p in segment_paths),
            "gold_segments_sha256": "; ".join(sha256_file(p) for p in segment_paths),
            "coders": sorted(coders - {""})}


def as_paths(value: str | Path | Sequence[str | Path] | None) -> list[str]:
    """A config or CLI value naming one file or several, as a list of paths."""
    if not value:
        return []
    if isinstance(value, (str, Path)):
        return [str(value)]
    return [str(v) for v in value]


def load_pooled(texts_paths: Sequence[str], codes_paths: Sequence[str], codebook: Codebook,
                studies: Iterable[str] | None = None
                ) -> tuple[list[dict[str, Any]], list[str], dict[str, set[str]]]:
    """(units, coded ids, gold) of one or more held-out sets, pooled; ids must not repeat."""
    if len(texts_paths) != len(codes_paths):
        raise InputError(codes_paths[0] if codes_paths else "config", f"{len(texts_paths)} "
                         f"texts file(s) but {len(codes_paths)} codes file(s): give one codes "
                         "file per texts file, in the same order")
    units: list[dict[str, Any]] = []
    coded: list[str] = []
    gold: dict[str, set[str]] = {}
    origin: dict[str, str] = {}
    for texts_path, codes_path in zip(texts_paths, codes_paths, strict=True):
        these = load_holdout_texts(texts_path, studies)
        for unit in these:
            sid = unit["segment_id"]
            if sid in origin:
                raise InputError(texts_path, f"segment_id {sid!r} is also in {origin[sid]}: "
                                 "pooled sets need distinct ids", field="segment_id")
            origin[sid] = str(texts_path)
        ids, set_gold = load_gold(codes_path, texts_path, codebook,
                                  {u["segment_id"] for u in these})
        units += these
        coded += ids
        gold.update(set_gold)
    return units, coded, gold


def compare_with_second_coder(codebook: Codebook, sample: list[str],
                              first: dict[str, set[str]], second: dict[str, set[str]],
                              rules: Mapping[str, Iterable[str]], *, min_gold: int,
                              target_min_gold: int | None = None,
                              recall_min: float = TARGET_RECALL) -> dict[str, Any]:
    """On passages two coders coded: the second coder and the rules, each against the first.

    The second coder's agreement with the first is the ceiling a tagger can be expected to
    reach against one coder. Per code (kappa and recall) on the codes the first coder gave
    at least ``min_gold`` passages of the sample, macro-averaged, and pooled over every
    (passage, code) cell of the codes either side used. With ``target_min_gold``, the recall
    target is applied to both readers as it is to the tagger: which codes the first coder
    gave at least that many passages of the sample have recall below ``recall_min``.
    """
    g, s = _matrices(codebook, sample, first, second)
    _, r = _matrices(codebook, sample, first, rules)
    support = g.sum(axis=0)
    used = (support > 0) | s.any(axis=0) | r.any(axis=0)
    readers = (("second_coder", s), ("rules", r))
    # per code, the share of the first coder's passages each reader also coded
    recall = {name: (mat & g).sum(axis=0) / np.maximum(support, 1) for name, mat in readers}
    rows: list[dict[str, Any]] = []
    macro: dict[str, list[float]] = {"second_coder": [], "rules": []}
    for j, cid in enumerate(codebook.ids):
        if support[j] < min_gold:
            continue
        row: dict[str, Any] = {"code": cid, "first_coder_passages": int(support[j])}
        for name, mat in readers:
            kappa = statistics(Counts.from_vectors(g[:, j], mat[:, j]))["kappa"]
            row[f"{name}_kappa"] = nan_to_none(kappa)
            row[f"{name}_recall"] = nan_to_none(float(recall[name][j]))
            if not np.isnan(kappa):
                macro[name].append(kappa)
        rows.append(row)
    out: dict[str, Any] = {"n_passages": len(sample), "min_gold_in_sample": min_gold,
                           "n_codes": len(rows), "codes": rows}
    for name, mat in readers:
        pooled = statistics(Counts.from_vectors(g[:, used].ravel(), mat[:, used].ravel()))
        out[name] = {
            "macro_kappa": nan_to_none(float(np.mean(macro[name]))) if macro[name] else None,
            "pooled_kappa": nan_to_none(pooled["kappa"]),
            "pooled_precision": nan_to_none(pooled["precision"]),
            "pooled_recall": nan_to_none(pooled["recall"]),
        }
    if target_min_gold is not None:
        judged = [j for j in range(len(codebook.ids)) if support[j] >= max(target_min_gold, 1)]
        out["recall_target"] = {
            "recall_min": recall_min, "min_gold_in_sample": target_min_gold,
            "n_codes": len(judged),
            **{f"{name}_below": [codebook.ids[j] for j in judged
                                 if recall[name][j] < recall_min] for name, _ in readers}}
    return out
