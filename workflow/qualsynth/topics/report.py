"""The topic-modelling report section (Markdown), written beside the tables.

It states the status in words first, so a corpus that could not be modelled, an empty study
or a study whose segments are all outliers is said plainly rather than shown as a blank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualsynth.io import atomic_path


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_report(record: dict[str, Any], topic_rows: list[dict[str, Any]]) -> str:
    """Markdown for one report section; deterministic (no timestamps)."""
    lines = ["## Topic modelling (inductive, BERTopic)", ""]
    lines.append(f"**Status: {record['status']}.** {record['summary']}")
    if record.get("message"):
        lines.append(f"Detail: {record['message']}.")
    lines.append("")
    lines.append(
        f"Segments modelled: {record['n_segments']} (all studies pooled, so topics are "
        f"comparable across studies). Back end: `{record['backend']}`; seed {record['seed']}; "
        f"clustering: {record.get('clusterer') or 'none'}."
    )
    lines.append("")
    if record["status"] == "ok":
        pairs = ", ".join(f"{v:.3f}" for v in record["stability_ari_pairs"])
        lines += [
            "| figure | value |",
            "|---|---|",
            f"| topics | {record['n_topics']} |",
            f"| NPMI coherence (c_npmi, top 10, window 10) | {_fmt(record['npmi'])} |",
            f"| topic diversity (top 10) | {_fmt(record['diversity'])} |",
            f"| outlier share before reduction | "
            f"{_fmt(record['outlier_share_before_reduction'])} |",
            f"| outlier share after reduction | {_fmt(record['outlier_share'])} |",
            f"| stability, mean adjusted Rand index over seeds "
            f"{record['stability_seeds']} | {_fmt(record['stability_ari'])} ({pairs}) |",
            "",
            "| topic | label | size | share | top words |",
            "|---|---|---|---|---|",
        ]
        for row in topic_rows:
            lines.append(f"| {row['topic']} | {row['label']} | {row['size']} | "
                         f"{_fmt(row['share'])} | {row['top_words']} |")
        lines.append("")
    lines.append("Per study:")
    lines.append("")
    for study, entry in sorted(record.get("studies", {}).items()):
        text = f"- {study}: {entry['n_segments']} segments, status {entry['status']}"
        if entry.get("outlier_share") is not None:
            text += f", outlier share {entry['outlier_share']:.3f}"
            text += f", {entry['n_topics_present']} topics present"
        if entry.get("message"):
            text += f" ({entry['message']})"
        lines.append(text + ".")
    lines += ["", "Topics are machine-found word patterns, not interpretations; labels are "
              "their top words. Read them beside the codebook crosswalk.", ""]
    return "\n".join(lines)


def write_report(path: str | Path, record: dict[str, Any],
                 topic_rows: list[dict[str, Any]]) -> None:
    """Write the section atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(render_report(record, topic_rows), encoding="utf-8")
