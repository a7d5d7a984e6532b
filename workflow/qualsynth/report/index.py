"""``reports/index.html``: one self-contained page linking every report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualsynth.errors import InputError
from qualsynth.report.data import load_json, reported_studies
from qualsynth.report.render import external_references, write_page
from qualsynth.report.style import CSS, footer_html
from qualsynth.report.tables import banner, esc


def report_entries(config: dict[str, Any]) -> list[dict[str, str]]:
    """Every report the pipeline builds: file name, title, what it is for."""
    entries = [{"file": "synthesis.html", "title": "Cross-study synthesis",
                "about": "Where the studies converge and differ: map of case-study ICSs, "
                         "participants, themes by study, baseline vs follow-up, enablers and "
                         "barriers, leadership components, topics, methods, provenance."}]
    for study in reported_studies(config):
        entries.append({"file": f"{study['id']}.html", "title": study["title"],
                        "about": f"Study report ({study['kind']}). {study['lens']}."})
    entries.append({"file": "deid_audit.html", "title": "De-identification audit",
                    "about": "Replacement counts, leakage gate, detection evaluation and a "
                             "sample of passages for human review."})
    entries.append({"file": "coding_evaluation.html", "title": "Coding evaluation",
                    "about": "Agreement of the automatic theme coding with the gold coding, per "
                             "code; low-agreement codes flagged."})
    return entries


def index_html(config: dict[str, Any], entries: list[dict[str, str]],
               provenance: dict[str, Any] | None) -> str:
    """The index page (relative links only, no scripts, no external resources)."""
    items = "".join(
        f'<li><a href="{esc(e["file"])}">{esc(e["title"])}</a><br>'
        f'<span class="qs-meta">{esc(e["about"])}</span></li>' for e in entries)
    run = ""
    if provenance:
        run = (f'<p class="qs-meta">Run date {esc(provenance.get("run_date", "unknown"))} '
               f'({esc(provenance.get("run_date_source", ""))}); code version '
               f'{esc(provenance.get("code_version", "unknown"))}.</p>')
    title = config["project"]["title"]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"qualsynth\">\n"
        f"<title>{esc(title)}: reports</title>\n<style>\n{CSS}\n</style>\n</head>\n"
        f"<body class=\"qs-report\">\n{banner(bool(config['project'].get('synthetic')))}\n"
        f"<main>\n<h1>{esc(title)}</h1>\n<p class=\"qs-subtitle\">Reports built by the "
        f"qualsynth pipeline after the de-identification leakage gate passed.</p>\n{run}\n"
        f"<ol class=\"qs-index\">{items}</ol>\n</main>\n{footer_html()}\n</body>\n</html>\n")


def write_index(config: dict[str, Any], out: str | Path, *, check_exists: bool = True) -> Path:
    """Write ``index.html`` beside the reports; every linked report must exist."""
    out_path = Path(out)
    entries = report_entries(config)
    if check_exists:
        missing = [e["file"] for e in entries if not (out_path.parent / e["file"]).is_file()]
        if missing:
            raise InputError(out_path.parent, "cannot link reports that were not built: "
                             f"{', '.join(missing)}; build them first (snakemake builds all)")
    prov = load_json(Path(config["processed_dir"]) / "provenance.json", "provenance")
    page = index_html(config, entries, prov.data if prov.ok else None)
    problems = external_references(page)
    if problems:
        raise InputError(out_path, "index would load external resources: " + "; ".join(problems))
    write_page(out_path, page)
    return out_path
