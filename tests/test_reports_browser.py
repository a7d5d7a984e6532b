"""Open the rendered reports in headless Chromium: they load cleanly and show their sections.

Each report is loaded inside a small wrapper page that reads the report's DOM after load
(same-origin file access is enabled for this throwaway profile only) and logs what it found
to the console: the title, headings, how many images there are and how many failed to
decode, and whether any script is present. Chromium's console log (stderr) is then checked
for that line and for any other console message, which would be an error in the report.
A screenshot of the synthesis report is kept as ``test-artifacts/synthesis.png``.

Skipped when Chromium is not installed, except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest_reports import REPO, rendered_reports

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--disable-extensions", "--mute-audio"]
SECTIONS = {
    "alpha": ["Participants", "Theme prevalence", "Framework matrix", "Illustrative quotes",
              "Topics", "Survey questions", "De-identification", "Provenance"],
    "gamma": ["Participants", "Theme prevalence", "Survey questions", "De-identification"],
    "synthesis": ["Studies in this synthesis", "Where the studies took place",
                  "Participants across studies", "Themes across studies",
                  "Convergence and divergence", "Baseline and follow-up",
                  "Enablers and barriers", "Leadership components",
                  "Topic model and crosswalk", "Methods and limitations",
                  "Provenance appendix"],
    "deid_audit": ["Replacements by label, study and detector", "Leakage gate",
                   "Detection evaluation", "Audit log", "Passages for human review"],
    "coding_evaluation": ["Agreement overview", "Agreement by code",
                          "How often each code was applied"],
    "index": [],
}
MIN_IMAGES = {"alpha": 1, "gamma": 3, "synthesis": 4, "coding_evaluation": 1}
WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>check</title></head>
<body><iframe id="r" style="width:1280px;height:1600px" src="{src}"></iframe>
<script>
document.getElementById("r").addEventListener("load", function () {{
  var d = this.contentDocument;
  var imgs = Array.prototype.slice.call(d.images);
  var broken = imgs.filter(function (i) {{ return !(i.complete && i.naturalWidth > 0); }});
  var heads = Array.prototype.map.call(d.querySelectorAll("h1, h2"), function (h) {{
    return h.textContent.replace(/\\u00b6/g, "").trim(); }});
  console.log("QS-CHECK " + JSON.stringify({{title: d.title, heads: heads,
    images: imgs.length, broken: broken.length, scripts: d.scripts.length,
    banner: !!d.querySelector(".qs-banner"), links: Array.prototype.map.call(
      d.querySelectorAll("a[href]"), function (a) {{ return a.getAttribute("href"); }})}}));
}});
</script></body></html>
"""


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = ("headless Chromium not found (install the Debian package 'chromium': "
               "apt-get install -y chromium)")
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the browser tests")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> str:
    return find_browser()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    return rendered_reports(tmp_path_factory.getbasetemp())


def run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def inspect(browser: str, report: Path, work: Path) -> tuple[dict, list[str]]:
    """Load ``report`` via the wrapper; return the QS-CHECK record and other console lines."""
    wrapper = work / f"check_{report.stem}.html"
    wrapper.write_text(WRAPPER.format(src=report.resolve().as_uri()), encoding="utf-8")
    done = run_browser(browser, work / f"profile_{report.stem}",
                       "--allow-file-access-from-files", "--enable-logging=stderr", "--v=0",
                       "--virtual-time-budget=10000", "--dump-dom", wrapper.as_uri())
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    record = None
    others = []
    for line in console:
        match = re.search(r'"QS-CHECK (\{.*\})", source:', line)
        if match:
            record = json.loads(match.group(1).encode().decode("unicode_escape"))
        else:
            others.append(line)
    assert done.returncode == 0, done.stderr[-2000:]
    assert record is not None, f"the wrapper never saw {report.name} load:\n{done.stderr[-2000:]}"
    return record, others


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_report_loads_without_errors_and_shows_its_sections(browser, reports, name,
                                                            tmp_path) -> None:
    record, console_errors = inspect(browser, reports[name], tmp_path)
    assert console_errors == [], f"{name}: console messages {console_errors}"
    assert record["scripts"] == 0, f"{name} contains scripts"
    assert record["broken"] == 0, f"{name}: {record['broken']} image(s) failed to load"
    assert record["images"] >= MIN_IMAGES.get(name, 0), f"{name}: figures missing"
    assert record["banner"], f"{name}: synthetic data banner missing"
    assert record["title"].strip(), f"{name}: empty <title>"
    for section in SECTIONS[name]:
        assert section in record["heads"], f"{name}: section {section!r} missing"
    for href in record["links"]:
        assert href.startswith("#") or re.fullmatch(r"[a-z0-9_]+\.html", href), href
    if name == "index":
        linked = {h for h in record["links"] if h.endswith(".html")}
        assert linked == {f"{n}.html" for n in reports if n != "index"}


def test_synthesis_screenshot_is_kept(browser, reports, tmp_path) -> None:
    target = REPO / "test-artifacts" / "synthesis.png"
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        target.unlink()
    done = run_browser(browser, tmp_path / "profile_shot", "--window-size=1280,2000",
                       f"--screenshot={target}", reports["synthesis"].resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a rendered page, not blank
