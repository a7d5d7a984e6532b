"""Execute a parameterised notebook with papermill and render deterministic, offline HTML.

Steps: make sure the project kernel exists -> papermill with ``-p`` parameters -> strip
everything volatile (papermill timings, cell ids, kernel paths, stderr) -> nbconvert
with a script-free template (no code cells, no prompts) -> check that nothing is loaded
from outside the file -> write atomically. The same inputs give byte-identical HTML.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader

from qualsynth.errors import InputError
from qualsynth.io import atomic_path
from qualsynth.report.style import CSS, footer_html
from qualsynth.report.tables import banner

KERNEL_NAME = "qualsynth"
KERNEL_DISPLAY_NAME = "qualsynth (project venv)"
# Environment fixed for every kernel: no hash randomisation, no GUI backend.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
TEMPLATE_KEY = "qualsynth_report.html.j2"
TEMPLATE = """{%- extends 'lab/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="qualsynth">
<title>{{ resources.qualsynth.title | e }}</title>
<style>
{{ resources.qualsynth.css }}
</style>
</head>
{%- endblock header -%}
{%- block body_header -%}
<body class="qs-report">
{{ resources.qualsynth.banner }}
<main>
{%- endblock body_header -%}
{%- block body_footer -%}
</main>
{{ resources.qualsynth.footer }}
</body>
{%- endblock body_footer -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
{%- block data_javascript scoped -%}
<div class="qs-notice qs-warning">A JavaScript output was removed: reports carry no scripts.</div>
{%- endblock data_javascript -%}
{%- block data_widget_view scoped -%}
<div class="qs-notice qs-warning">An interactive widget was removed: reports carry no scripts.</div>
{%- endblock data_widget_view -%}
"""

# Resource-loading patterns a self-contained report must not contain.
_EXTERNAL = (
    (re.compile(r"<script\b", re.I), "a <script> element"),
    (re.compile(r"<link\b", re.I), "a <link> element"),
    (re.compile(r"<iframe\b|<object\b|<embed\b", re.I), "an embedded frame or object"),
    (re.compile(r"@import", re.I), "a CSS @import"),
    (re.compile(r"""\bsrc\s*=\s*(?!["']?data:)""", re.I), "a src= that is not a data: URI"),
    (re.compile(r"""url\(\s*(?!["']?(?:data:|#))""", re.I),
     "a CSS url() that is not a data: URI"),
    (re.compile(r"""\bhref\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:|//)""", re.I),
     "a link with a scheme (only in-page and relative links are allowed)"),
    (re.compile(r"https?://", re.I), "an http(s) address"),
)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S | re.I)
_H2 = re.compile(r'<h2\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h2>', re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
TOC_SLOT = '<nav class="qs-toc" id="contents"></nav>'


def ensure_kernelspec(name: str = KERNEL_NAME, prefix: str | Path | None = None) -> Path:
    """Install (or refresh) a kernelspec for this interpreter inside the venv.

    Written to ``<sys.prefix>/share/jupyter/kernels/<name>/kernel.json`` so no user-level
    install is needed; rewritten only when its content would change.
    """
    base = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / name
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
        "env": KERNEL_ENV,
        "metadata": {"debugger": False},
    }
    target = base / "kernel.json"
    text = json.dumps(spec, indent=1, sort_keys=True) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return target


def parse_parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``-p name value`` pairs to a dict; values that parse as JSON numbers/bools are typed."""
    params: dict[str, Any] = {}
    for name, value in pairs or []:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise InputError(None, f"parameter name {name!r} is not a Python identifier")
        try:
            parsed = json.loads(value)
            params[name] = parsed if isinstance(parsed, (int, float, bool)) else value
        except json.JSONDecodeError:
            params[name] = value
    return params


def execute(notebook: str | Path, parameters: Mapping[str, Any], *, cwd: str | Path | None,
            kernel_name: str = KERNEL_NAME) -> nbformat.NotebookNode:
    """Run the notebook with papermill; a failing cell raises InputError naming the cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_path = Path(notebook)
    if not nb_path.is_file():
        raise InputError(nb_path, "notebook not found")
    ensure_kernelspec(kernel_name)
    try:
        return papermill.execute_notebook(
            str(nb_path), None, parameters=dict(parameters), kernel_name=kernel_name,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            cwd=str(cwd) if cwd is not None else None, start_timeout=120)
    except PapermillExecutionError as err:
        trace = "\n".join(_TAG.sub("", _strip_ansi(line)) for line in err.traceback or [])
        print(trace, file=sys.stderr)
        raise InputError(nb_path, f"cell {err.cell_index} failed: {err.ename}: {err.evalue} "
                         f"(traceback above)") from None


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def strip_volatile(nb: nbformat.NotebookNode, title: str = "") -> list[str]:
    """Remove everything that differs between reruns; return the stderr text removed.

    Drops papermill/execution metadata and timings, numbers cells ``cell-001``...,
    reduces the notebook metadata to the kernel name and language, removes the parameter
    cells (their values are in the provenance appendix) and stderr streams (logged by the
    caller instead of shown to readers).
    """
    removed: list[str] = []
    nb.metadata = nbformat.NotebookNode({
        "kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME,
                       "language": "python"},
        "language_info": {"name": "python"},
        "title": title,
    })
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters"}:
            continue
        cell.metadata = nbformat.NotebookNode(
            {"tags": sorted(tags)} if tags else {})
        if cell.cell_type == "code":
            cell.execution_count = None
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    removed.append(str(out.get("text", "")))
                    continue
                if out.get("output_type") == "error":
                    raise InputError(None, f"notebook cell raised {out.get('ename')}: "
                                     f"{out.get('evalue')}")
                if "execution_count" in out:
                    out["execution_count"] = None
                if "metadata" in out:
                    out["metadata"] = nbformat.NotebookNode(
                        {k: v for k, v in out["metadata"].items() if k != "papermill"})
                kept.append(out)
            cell.outputs = kept
        cells.append(cell)
    for i, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{i:03d}"
    nb.cells = cells
    return removed


def report_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the first ``<h1>`` a cell displays (or a markdown ``# `` heading)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get("text/html")
            if data:
                match = _H1.search(data if isinstance(data, str) else "".join(data))
                if match:
                    return html.unescape(_TAG.sub("", match.group(1))).strip()
    return fallback


def export_html(nb: nbformat.NotebookNode, *, title: str, synthetic: bool,
                footer: str = "") -> str:
    """nbconvert HTML without inputs, prompts or scripts, with the report stylesheet."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", extra_loaders=[DictLoader({TEMPLATE_KEY: TEMPLATE})],
        template_file=TEMPLATE_KEY, exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True, exclude_anchor_links=False)
    resources = {"qualsynth": {"title": title, "css": CSS, "banner": banner(synthetic),
                               "footer": footer}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = fill_toc(body)
    return body.rstrip() + "\n"


def fill_toc(page: str) -> str:
    """Replace the empty contents ``<nav>`` with links to every ``<h2 id=...>``."""
    if TOC_SLOT not in page:
        return page
    items = []
    for ident, inner in _H2.findall(page):
        inner = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", inner, flags=re.S)
        text = html.unescape(_TAG.sub("", inner)).strip()
        items.append(f'<li><a href="#{html.escape(ident, quote=True)}">'
                     f"{html.escape(text)}</a></li>")
    nav = ('<nav class="qs-toc" id="contents"><h2 class="qs-toc-title">Contents</h2><ol>'
           + "".join(items) + "</ol></nav>") if items else ""
    return page.replace(TOC_SLOT, nav, 1)


def external_references(page: str) -> list[str]:
    """Reasons a page is not self-contained (empty when it loads nothing from outside)."""
    found = []
    for pattern, what in _EXTERNAL:
        match = pattern.search(page)
        if match:
            start = max(0, match.start() - 40)
            found.append(f"{what} near {page[start:match.end() + 40]!r}")
    return found


def render_notebook(
    notebook: str | Path,
    out_html: str | Path,
    parameters: Mapping[str, Any],
    *,
    synthetic: bool,
    cwd: str | Path | None = None,
    kernel_name: str = KERNEL_NAME,
    executed_out: str | Path | None = None,
    footer: str | None = None,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and write self-contained HTML to ``out_html``.

    ``executed_out`` keeps the cleaned executed notebook (for debugging). Raises
    InputError when a cell fails or the page would load anything from outside.
    """
    nb = execute(notebook, parameters, cwd=cwd, kernel_name=kernel_name)
    title = report_title(nb, Path(notebook).stem.replace("_", " ").capitalize())
    stderr = strip_volatile(nb, title)
    for text in stderr:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
    page = export_html(nb, title=title, synthetic=synthetic,
                       footer=footer if footer is not None else footer_html())
    problems = external_references(page)
    if problems:
        raise InputError(notebook, "the rendered report would load external resources: "
                         + "; ".join(problems))
    out = Path(out_html)
    if executed_out:
        with atomic_path(executed_out) as tmp:
            nbformat.write(nb, str(tmp))
    write_page(out, page)
    return out


def write_page(path: str | Path, page: str) -> None:
    """Write an HTML page atomically, readable by everyone (reports are shared files)."""
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    os.chmod(path, 0o644)


def default_cwd() -> str:
    """Notebooks resolve config and data paths against the current directory."""
    return os.getcwd()
