"""Topic tables: topic list, segment assignments, topics by group, topic x code crosswalk.

Every table has a fixed column order, rows sorted by their key columns, shares rounded to
4 decimals, and every count shown beside its denominator. Zero rows are kept (a topic absent
from a group is data). Column meanings are documented in docs/data-contracts.md section 3b.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualsynth.errors import InputError
from qualsynth.io import atomic_path

TOPIC_COLUMNS = ["topic", "label", "top_words", "size", "share", "representative_segments"]
ASSIGNMENT_COLUMNS = ["segment_id", "study", "topic", "probability", "assigned_by"]
BY_GROUP_COLUMNS = ["group_by", "group", "topic", "n_segments", "denominator", "share",
                    "n_participants", "participants_denominator"]
CROSSWALK_COLUMNS = ["topic", "code", "n_segments", "topic_size", "code_size",
                     "share_of_topic", "share_of_code"]
CROSSWALK_TOPIC_COLUMNS = ["topic", "label", "size", "n_coded", "uncoded_share", "top_code",
                           "top_code_share"]
CROSSWALK_CODE_COLUMNS = ["code", "n_segments", "n_topics", "top_topic", "top_topic_share",
                          "spread"]
#: Group value written when a segment has no value for a grouping attribute.
NOT_RECORDED = "(not recorded)"
#: Pseudo-code in the crosswalk for segments that carry no codebook code.
UNCODED = "(uncoded)"
WORD_SEPARATOR = "; "


def share(n: int, denominator: int) -> float | str:
    """n / denominator rounded to 4 places; empty when the denominator is 0."""
    return round(n / denominator, 4) if denominator else ""


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Atomic CSV write with a fixed column order and ``\\n`` line endings; returns row count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n",
                                extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
            n += 1
    return n


def read_csv(path: str | Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Read a CSV and check its header has ``required`` columns, or raise InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found; run the stage that writes it first")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}; expected at least "
                             f"{', '.join(required)}", line=1)
        return list(reader)


def representative_segments(
    segment_ids: Sequence[str],
    embeddings: np.ndarray,
    topics: np.ndarray,
    n: int,
) -> dict[int, list[str]]:
    """Per topic (not -1), the ``n`` member segments closest (cosine) to the topic centroid.

    Ties are broken by segment id, so the choice is deterministic.
    """
    reps: dict[int, list[str]] = {}
    for topic in sorted(set(topics.tolist()) - {-1}):
        idx = np.flatnonzero(topics == topic)
        members = embeddings[idx].astype(np.float64)
        centroid = members.mean(axis=0)
        norm = np.linalg.norm(centroid) or 1.0
        sims = members @ (centroid / norm) / np.maximum(np.linalg.norm(members, axis=1), 1e-12)
        order = sorted(range(len(idx)), key=lambda j: (-round(float(sims[j]), 6),
                                                       segment_ids[idx[j]]))
        reps[int(topic)] = [segment_ids[idx[j]] for j in order[:n]]
    return reps


def topic_rows(
    topics: np.ndarray,
    topic_words: dict[int, list[str]],
    labels: dict[int, str],
    reps: dict[int, list[str]],
) -> list[dict[str, Any]]:
    """Rows of topics.csv: one per topic present (including -1 when outliers remain)."""
    counts = Counter(topics.tolist())
    total = len(topics)
    rows = []
    for topic in sorted(counts):
        rows.append({
            "topic": topic,
            "label": labels[topic],
            "top_words": WORD_SEPARATOR.join(topic_words.get(topic, [])) if topic != -1 else "",
            "size": counts[topic],
            "share": share(counts[topic], total),
            "representative_segments": " ".join(reps.get(topic, [])),
        })
    return rows


def assignment_rows(
    segments: Sequence[dict[str, Any]],
    topics: np.ndarray,
    probabilities: np.ndarray,
    assigned_by: Sequence[str],
) -> list[dict[str, Any]]:
    """Rows of assignments.csv, sorted by segment id."""
    rows = []
    for seg, topic, prob, how in zip(segments, topics.tolist(), probabilities.tolist(),
                                     assigned_by, strict=True):
        rows.append({
            "segment_id": seg["segment_id"],
            "study": seg["study"],
            "topic": topic,
            "probability": "" if prob is None or math.isnan(prob) else round(float(prob), 4),
            "assigned_by": how,
        })
    return sorted(rows, key=lambda r: r["segment_id"])


def group_value(segment: dict[str, Any], key: str) -> str:
    value = segment.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return NOT_RECORDED
    return str(value)


def by_group_rows(
    segments: Sequence[dict[str, Any]],
    topics: np.ndarray,
    group_by: Sequence[str],
    studies: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Topic counts per group with denominators; every topic x group pair, zeros included.

    ``studies`` lists declared studies so a study without segments still appears (all zeros,
    denominator 0, share empty).
    """
    all_topics = sorted(set(topics.tolist()))
    rows: list[dict[str, Any]] = []
    for key in sorted(group_by):
        seg_count: Counter[str] = Counter()
        cell: Counter[tuple[str, int]] = Counter()
        people: dict[str, set[str]] = defaultdict(set)
        cell_people: dict[tuple[str, int], set[str]] = defaultdict(set)
        for seg, topic in zip(segments, topics.tolist(), strict=True):
            group = group_value(seg, key)
            seg_count[group] += 1
            cell[(group, topic)] += 1
            pid = seg.get("participant_id")
            if pid:
                person = f"{seg['study']}/{pid}"
                people[group].add(person)
                cell_people[(group, topic)].add(person)
        groups = set(seg_count)
        if key == "study":
            groups |= set(studies)
        for group in sorted(groups):
            for topic in all_topics:
                n = cell[(group, topic)]
                rows.append({
                    "group_by": key, "group": group, "topic": topic, "n_segments": n,
                    "denominator": seg_count[group], "share": share(n, seg_count[group]),
                    "n_participants": len(cell_people[(group, topic)]),
                    "participants_denominator": len(people[group]),
                })
    return rows


def _spread(counts: Sequence[int]) -> float | str:
    """Normalised Shannon entropy of a code's segments across topics (0 = one topic, 1 = even)."""
    total = sum(counts)
    nonzero = [c for c in counts if c]
    if total == 0 or len(counts) < 2:
        return ""
    entropy = -sum((c / total) * math.log(c / total) for c in nonzero)
    return round(entropy / math.log(len(counts)), 4)


def crosswalk(
    assignments: Sequence[dict[str, str]],
    segment_codes: Sequence[dict[str, str]],
    labels: dict[int, str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Topic x code overlap over the modelled segments.

    Returns (pairs, per-topic summary, per-code summary). Segments coded but not modelled are
    ignored; modelled segments without any code count under the pseudo-code ``(uncoded)``.
    A ``present`` column in segment_codes, if any, keeps only rows where it is 1/true.
    """
    topic_of = {row["segment_id"]: int(row["topic"]) for row in assignments}
    codes_of: dict[str, set[str]] = defaultdict(set)
    for row in segment_codes:
        present = str(row.get("present", "1")).strip().lower()
        if present in ("0", "false", "no", ""):
            continue
        if row["segment_id"] in topic_of:
            codes_of[row["segment_id"]].add(row["code"])
    topic_size = Counter(topic_of.values())
    all_topics = sorted(topic_size)
    codes = sorted({c for cs in codes_of.values() for c in cs})
    pair: Counter[tuple[int, str]] = Counter()
    code_size: Counter[str] = Counter()
    for seg, topic in topic_of.items():
        seg_codes = codes_of.get(seg) or {UNCODED}
        for code in seg_codes:
            pair[(topic, code)] += 1
            code_size[code] += 1
    pairs = []
    for topic in all_topics:
        for code in [*codes, UNCODED]:
            n = pair[(topic, code)]
            pairs.append({
                "topic": topic, "code": code, "n_segments": n, "topic_size": topic_size[topic],
                "code_size": code_size[code], "share_of_topic": share(n, topic_size[topic]),
                "share_of_code": share(n, code_size[code]),
            })
    topic_summary = []
    for topic in all_topics:
        coded = topic_size[topic] - pair[(topic, UNCODED)]
        best = sorted(codes, key=lambda c: (-pair[(topic, c)], c))
        top = best[0] if best and pair[(topic, best[0])] else ""
        topic_summary.append({
            "topic": topic, "label": labels.get(topic, str(topic)), "size": topic_size[topic],
            "n_coded": coded, "uncoded_share": share(pair[(topic, UNCODED)], topic_size[topic]),
            "top_code": top,
            "top_code_share": share(pair[(topic, top)], topic_size[topic]) if top else "",
        })
    real_topics = [t for t in all_topics if t != -1]
    code_summary = []
    for code in codes:
        counts = [pair[(t, code)] for t in real_topics]
        best = sorted(real_topics, key=lambda t: (-pair[(t, code)], t))
        top = best[0] if best and pair[(best[0], code)] else None
        in_topics = sum(counts)
        code_summary.append({
            "code": code, "n_segments": code_size[code],
            "n_topics": sum(1 for c in counts if c),
            "top_topic": "" if top is None else top,
            "top_topic_share": share(pair[(top, code)], in_topics) if top is not None else "",
            "spread": _spread(counts),
        })
    return pairs, topic_summary, code_summary
