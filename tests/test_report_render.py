"""Rendering: deterministic bytes, no external resources, banner, figures fit for a report."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest_reports import REPO, build_report_project, render_report, rendered_reports
from qualsynth.errors import InputError
from qualsynth.report import figures as fg
from qualsynth.report.index import index_html, report_entries, write_index
from qualsynth.report.render import (
    ensure_kernelspec,
    export_html,
    external_references,
    fill_toc,
    parse_parameters,
    strip_volatile,
)
from qualsynth.report.tables import SYNTHETIC_BANNER

NOTEBOOKS = ("study_report", "synthesis", "deid_audit", "coding_evaluation")


# --- figures ---------------------------------------------------------------------------------

def all_figures() -> dict[str, object]:
    features = fg.load_boundaries(REPO / "data" / "reference" / "icb_boundaries_bng.geojson")
    return {
        "heatmap": fg.prevalence_heatmap(np.array([[0.5, 0.0], [1.0, 0.25]]),
                                         np.array([[1, 0], [2, 1]]), ["A", "B"], ["x", "y"],
                                         [2, 4], title="T", xlabel="X", ylabel="Y",
                                         flagged_rows=[False, True]),
        "bars": fg.share_bars(["Yes", "No"], [3, 1], 4, title="T", xlabel="Respondents (of 4)",
                              ylabel="Answer"),
        "dumbbell": fg.dumbbell(["A"], [0.2], [0.6], before_label="b", after_label="a",
                                title="T", xlabel="X", ylabel="Y"),
        "interval": fg.interval_plot(["A", "B"], [0.3, 0.8], [0.1, 0.7], [0.5, 0.9],
                                     threshold=0.41, threshold_label="0.41", title="T",
                                     xlabel="kappa", ylabel="code"),
        "map": fg.england_map(features, [("Study", {"E54000027"})], title="Map"),
    }


def test_every_figure_helper_titles_and_labels_its_axes() -> None:
    for name, fig in all_figures().items():
        assert fg.check_figure(fig) == [], name
        html = fg.figure_html(fig, alt=f"{name} alt", caption="c")
        assert html.startswith('<figure class="qs-figure"><img alt="') and "base64," in html


def test_figures_without_titles_or_labels_are_refused() -> None:
    fig, ax = fg.new_figure()
    ax.plot([0, 1], [0, 1])
    problems = fg.check_figure(fig)
    assert "axes 1 has no title" in problems
    assert any("x axis has no label" in p for p in problems)
    with pytest.raises(ValueError, match="not fit for a report"):
        fg.figure_html(fig, alt="x")


def test_palette_is_okabe_ito_and_png_bytes_are_stable() -> None:
    assert fg.palette(3) == ["#0072B2", "#E69F00", "#009E73"]
    a = fg.figure_png(all_figures()["bars"])
    b = fg.figure_png(all_figures()["bars"])
    assert a == b and a.startswith(b"\x89PNG")
    assert b"Software" not in a  # no matplotlib version stamp


# --- rendering helpers -----------------------------------------------------------------------

def test_external_references_are_detected() -> None:
    assert external_references('<p>ok</p><img src="data:image/png;base64,AA">') == []
    assert external_references('<a href="#x">in page</a><a href="synthesis.html">r</a>') == []
    for bad in ('<script src="x.js"></script>', "<script>1</script>",
                '<link rel="stylesheet" href="a.css">', '<img src="pic.png">',
                "<style>@import 'x.css';</style>", "<p>see https://example.org</p>",
                '<div style="background:url(x.png)"></div>', '<a href="//cdn.example/x">x</a>'):
        assert external_references(bad), bad


def test_strip_volatile_removes_timestamps_ids_paths_and_stderr() -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("study = 'x'")
    params.metadata["tags"] = ["parameters"]
    code = nbformat.v4.new_code_cell("print(1)")
    code.metadata["papermill"] = {"start_time": "2024-01-01T00:00:00", "duration": 1.2}
    code.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    code.execution_count = 7
    code.outputs = [nbformat.v4.new_output("stream", name="stderr", text="/abs/path warn"),
                    nbformat.v4.new_output("display_data", data={"text/html": "<h1>T</h1>"})]
    nb.cells = [params, code, nbformat.v4.new_markdown_cell("## Hi")]
    nb.metadata["papermill"] = {"input_path": "/abs/nb.ipynb", "start_time": "now"}
    removed = strip_volatile(nb, "Title")
    assert removed == ["/abs/path warn"]
    assert [c["id"] for c in nb.cells] == ["cell-001", "cell-002"]
    text = json.dumps(nb)
    for volatile in ("papermill", "start_time", "iopub", "/abs/"):
        assert volatile not in text
    assert nb.cells[0].execution_count is None and nb.metadata["title"] == "Title"


def test_export_has_banner_only_when_synthetic_and_a_contents_list() -> None:
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("display_data", data={
        "text/html": '<h1>T</h1><nav class="qs-toc" id="contents"></nav>'})
    cell = nbformat.v4.new_code_cell("x", outputs=[out])
    nb.cells = [cell, nbformat.v4.new_markdown_cell("## First section")]
    strip_volatile(nb, "T")
    fake = export_html(nb, title="T", synthetic=True)
    real = export_html(nb, title="T", synthetic=False)
    assert SYNTHETIC_BANNER in fake and "qs-banner" in fake
    assert SYNTHETIC_BANNER not in real
    assert '<a href="#First-section">First section</a>' in real
    assert external_references(fake) == [] and "<script" not in fake
    assert fill_toc("<p>no slot</p>") == "<p>no slot</p>"


def test_parameters_are_typed_and_checked() -> None:
    assert parse_parameters([["study", "workforce"], ["n", "3"], ["flag", "true"]]) == {
        "study": "workforce", "n": 3, "flag": True}
    with pytest.raises(InputError, match="not a Python identifier"):
        parse_parameters([["bad-name", "1"]])


def test_kernelspec_points_at_this_interpreter(tmp_path: Path) -> None:
    spec_path = ensure_kernelspec("qs-test", prefix=tmp_path)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    assert spec["env"]["PYTHONHASHSEED"] == "0"
    before = spec_path.stat().st_mtime_ns
    ensure_kernelspec("qs-test", prefix=tmp_path)
    assert spec_path.stat().st_mtime_ns == before  # unchanged content is not rewritten


def test_notebooks_are_stored_without_outputs_and_with_parameters() -> None:
    for name in NOTEBOOKS:
        nb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert "config_path" in tagged[0].source
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name
            assert "restricted" not in cell.source and "data/raw" not in cell.source
        assert nb.metadata["kernelspec"]["name"] == "qualsynth"


def test_index_links_every_report_and_refuses_missing_ones(tmp_path: Path) -> None:
    config = {"project": {"title": "P", "synthetic": True}, "processed_dir": str(tmp_path),
              "studies": [{"id": "a", "title": "A", "kind": "interview", "lens": "l"}],
              "report": {}}
    entries = report_entries(config)
    assert [e["file"] for e in entries] == ["synthesis.html", "a.html", "deid_audit.html",
                                            "coding_evaluation.html"]
    page = index_html(config, entries, {"run_date": "2020-01-01T00:00:00Z"})
    assert SYNTHETIC_BANNER in page and external_references(page) == []
    with pytest.raises(InputError, match="a.html"):
        write_index(config, tmp_path / "reports" / "index.html")


# --- full renders (papermill + nbconvert) ----------------------------------------------------

@pytest.mark.slow
def test_rendering_is_byte_identical_self_contained_and_path_free(tmp_path_factory) -> None:
    base = tmp_path_factory.getbasetemp()
    reports = rendered_reports(base)
    again = render_report(base / "rendered", "coding_evaluation",
                          out=tmp_path_factory.mktemp("again") / "coding_evaluation.html")
    assert again.read_bytes() == reports["coding_evaluation"].read_bytes()
    for name, path in reports.items():
        page = path.read_text(encoding="utf-8")
        assert external_references(page) == [], name
        assert "http://" not in page and "https://" not in page, name
        assert str(base) not in page and "/tmp/" not in page, name
        assert SYNTHETIC_BANNER in page, name
        assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", page.replace(
            "2023-11-14T22:13:20Z", "")) is None, f"{name}: a timestamp that is not the run date"
        assert oct(path.stat().st_mode & 0o777) == "0o644", name


@pytest.mark.slow
def test_real_data_reports_carry_no_banner(tmp_path: Path) -> None:
    root = build_report_project(tmp_path / "real", synthetic=False)
    page = render_report(root, "coding_evaluation").read_text(encoding="utf-8")
    assert SYNTHETIC_BANNER not in page and "qs-banner" not in page.split("</style>")[1]
    assert "Coding evaluation" in page


def test_cli_provenance_and_index(tmp_path: Path, monkeypatch, capsys) -> None:
    from qualsynth.cli import main

    root = build_report_project(tmp_path / "cli")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    out = "data/processed/provenance.json"
    assert main(["provenance", "--config", "config/config.yaml", "--out", out, "--inputs",
                 "data/processed/deid", "--codings", "data/processed/themes/codings.csv"]) == 0
    record = json.loads((root / out).read_text(encoding="utf-8"))
    assert record["run_date"] == "2022-04-15T05:20:00Z"
    assert record["codebook"]["path"] == "config/codebook.yaml"  # from config themes.codebook
    assert all(r["path"].startswith("data/processed/deid/") for r in record["inputs"])
    # the index refuses to link reports that were not built: one-line error, status 2
    assert main(["report-index", "--config", "config/config.yaml", "--out",
                 "reports/index.html"]) == 2
    assert "cannot link reports that were not built" in capsys.readouterr().err
    (root / "reports").mkdir(exist_ok=True)
    for name in ("synthesis", "alpha", "beta", "gamma", "deid_audit", "coding_evaluation"):
        (root / "reports" / f"{name}.html").write_text("<p>x</p>", encoding="utf-8")
    assert main(["report-index", "--config", "config/config.yaml", "--out",
                 "reports/index.html"]) == 0
    page = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="beta.html"' in page and "2022-04-15T05:20:00Z" in page
