"""``codebook-diff``: what an edit to the codebook does to the coding of the corpus.

Both codebooks code the same segments; the report lists the codebook changes (codes and
rules added, removed or edited) and every segment that gains or loses a code, with the
evidence (from the new codebook for a gain, from the old one for a loss).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from qualsynth.themes.codebook import Codebook
from qualsynth.themes.engine import Engine

DIFF_COLUMNS = ["segment_id", "study", "change", "code", "rules", "evidence"]


def _evidence(engine: Engine, segments: list[dict[str, Any]]
              ) -> dict[str, dict[str, tuple[set[str], list[str]]]]:
    """segment id -> code -> (rules, evidence) for codes coded directly."""
    out: dict[str, dict[str, tuple[set[str], list[str]]]] = defaultdict(dict)
    for c in engine.tag_units(segments):
        rules, ev = out[c.segment_id].setdefault(c.code, (set(), []))
        rules.add(c.rule)
        ev.append(c.evidence)
    return out


def codebook_changes(old: Codebook, new: Codebook) -> dict[str, list[str]]:
    """Codes and rules added, removed or changed between two codebooks."""
    changes: dict[str, list[str]] = {"codes_added": [], "codes_removed": [],
                                     "codes_redefined": [], "rules_added": [],
                                     "rules_removed": [], "rules_changed": []}
    changes["codes_added"] = [c for c in new.ids if c not in old.by_id]
    changes["codes_removed"] = [c for c in old.ids if c not in new.by_id]
    for cid in new.ids:
        if cid in old.by_id:
            a, b = old.by_id[cid], new.by_id[cid]
            fields = ("name", "parent", "definition", "when_to_use", "when_not_to_use")
            if any(getattr(a, f) != getattr(b, f) for f in fields):
                changes["codes_redefined"].append(cid)
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    changes["rules_added"] = [r for r in new_rules if r not in old_rules]
    changes["rules_removed"] = [r for r in old_rules if r not in new_rules]
    changes["rules_changed"] = [r for r in new_rules if r in old_rules
                                and asdict(old_rules[r]) != asdict(new_rules[r])]
    return changes


def diff_codings(old: Codebook, new: Codebook, segments: list[dict[str, Any]],
                 default_scope: str = "participant", default_window: int | str = 8
                 ) -> dict[str, Any]:
    """Segments that gain or lose codes when ``old`` is replaced by ``new``."""
    before = _evidence(Engine(old, default_scope, default_window), segments)
    after = _evidence(Engine(new, default_scope, default_window), segments)
    study = {s["segment_id"]: s.get("study", "") for s in segments}
    rows = []
    summary: dict[str, dict[str, int]] = defaultdict(lambda: {"gained": 0, "lost": 0})
    for sid in sorted(set(before) | set(after)):
        b, a = before.get(sid, {}), after.get(sid, {})
        for code in sorted(set(a) - set(b)):
            rules, ev = a[code]
            rows.append({"segment_id": sid, "study": study.get(sid, ""), "change": "+",
                         "code": code, "rules": ";".join(sorted(rules)),
                         "evidence": " | ".join(ev)})
            summary[code]["gained"] += 1
        for code in sorted(set(b) - set(a)):
            rules, ev = b[code]
            rows.append({"segment_id": sid, "study": study.get(sid, ""), "change": "-",
                         "code": code, "rules": ";".join(sorted(rules)),
                         "evidence": " | ".join(ev)})
            summary[code]["lost"] += 1
    return {
        "old": {"version": old.version, "hash": old.hash, "source": old.source},
        "new": {"version": new.version, "hash": new.hash, "source": new.source},
        "n_segments": len(segments),
        "codebook_changes": codebook_changes(old, new),
        "by_code": {code: summary[code] for code in sorted(summary)},
        "segments_changed": len({r["segment_id"] for r in rows}),
        "changes": rows,
    }


def render_text(result: dict[str, Any], limit: int = 50) -> str:
    """A plain-text report for the terminal."""
    old, new = result["old"], result["new"]
    lines = [f"codebook-diff: {old['source']} ({old['version']}, {old['hash'][:12]}) -> "
             f"{new['source']} ({new['version']}, {new['hash'][:12]})",
             f"segments coded: {result['n_segments']}; segments changed: "
             f"{result['segments_changed']}"]
    for key, items in result["codebook_changes"].items():
        if items:
            lines.append(f"{key.replace('_', ' ')}: {', '.join(items)}")
    if result["by_code"]:
        lines.append("")
        lines.append("code                                              gained   lost")
        for code, counts in result["by_code"].items():
            lines.append(f"{code:<48} {counts['gained']:>7} {counts['lost']:>6}")
    else:
        lines.append("no segment gains or loses a code")
    if result["changes"]:
        lines.append("")
        shown = result["changes"][:limit]
        for r in shown:
            lines.append(f"{r['change']} {r['code']:<44} {r['segment_id']}  [{r['rules']}] "
                         f"{r['evidence']}")
        if len(result["changes"]) > limit:
            lines.append(f"... {len(result['changes']) - limit} more (use --out to write "
                         "them all)")
    return "\n".join(lines)
