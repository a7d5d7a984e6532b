"""The reports' stylesheet (inlined into every page) and shared footer.

System fonts only (nothing downloaded), readable at laptop width, printable.
"""

from __future__ import annotations

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #d0d0d0; --accent: #0072B2;
        --warn-bg: #fff4e5; --warn: #8a4b00; --band: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body.qs-report { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", sans-serif; font-size: 16px; }
main { max-width: 1080px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 1.2rem 0 0.4rem; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 0.6rem; padding-top: 0.6rem;
     border-top: 2px solid var(--rule); }
h3 { font-size: 1.12rem; margin: 1.4rem 0 0.4rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.3rem; }
p, li { max-width: 75ch; }
a { color: var(--accent); }
a.anchor-link { visibility: hidden; text-decoration: none; margin-left: 0.3rem; color: #999; }
h2:hover a.anchor-link, h3:hover a.anchor-link { visibility: visible; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 0.86em; background: var(--band); padding: 0 0.2em;
  border-radius: 3px; overflow-wrap: anywhere; }
.qs-banner { position: sticky; top: 0; z-index: 10; background: #fde68a; color: #3b2f00;
  border-bottom: 3px solid #b45309; padding: 0.6rem 1.5rem; font-size: 0.95rem;
  text-align: center; }
.qs-subtitle { color: var(--muted); font-size: 1.05rem; margin-top: 0; }
.qs-meta { color: var(--muted); font-size: 0.9rem; }
.qs-toc { background: var(--band); border: 1px solid var(--rule); border-radius: 6px;
  padding: 0.5rem 1rem; margin: 1rem 0; }
.qs-toc h2.qs-toc-title { border: 0; margin: 0.2rem 0; padding: 0; font-size: 1rem; }
.qs-toc ol { margin: 0.2rem 0 0.4rem; padding-left: 1.4rem; columns: 2; }
.qs-notice { border-left: 4px solid var(--accent); background: #eef6fb; padding: 0.5rem 0.8rem;
  margin: 0.8rem 0; max-width: 80ch; }
.qs-notice.qs-warning { border-color: #b45309; background: var(--warn-bg); }
.qs-notice.qs-missing { border-color: #777; background: #f2f2f2; }
.qs-badge { display: inline-block; font-size: 0.75rem; font-weight: 600; padding: 0.05rem 0.45rem;
  border-radius: 999px; vertical-align: middle; margin-left: 0.3rem; letter-spacing: 0.02em;
  white-space: nowrap; }
.qs-trace span { white-space: nowrap; }
.qs-badge-machine { background: #e0ecf7; color: #0b3c66; border: 1px solid #8db5d9; }
.qs-badge-human { background: #e6f4ea; color: #14532d; border: 1px solid #86c49a; }
.qs-l0 { font-weight: 700; }
.qs-l1 { padding-left: 1.1rem; display: inline-block; }
.qs-l2 { padding-left: 2.2rem; display: inline-block; }
.qs-l3 { padding-left: 3.3rem; display: inline-block; }
.qs-warn { color: var(--warn); font-weight: 600; white-space: nowrap; font-size: 0.85em; }
.qs-table-wrap { overflow-x: auto; margin: 0.6rem 0 1rem; }
table.qs-table { border-collapse: collapse; font-size: 0.9rem; min-width: 40%; }
table.qs-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding: 0.3rem 0; color: var(--ink); }
table.qs-table th, table.qs-table td { border: 1px solid var(--rule); padding: 0.3rem 0.55rem;
  text-align: left; vertical-align: top; }
table.qs-table thead th { background: #eef1f4; position: sticky; top: 0; }
table.qs-table tbody tr:nth-child(even) { background: #fafbfc; }
table.qs-table td.num, table.qs-table th.num { text-align: right;
  font-variant-numeric: tabular-nums; }
table.qs-table tr.qs-total td { font-weight: 700; border-top: 2px solid #999; }
table.qs-table tr.qs-flag td { background: var(--warn-bg); }
table.qs-table.qs-framework td { min-width: 14rem; font-size: 0.84rem; }
.qs-table-note { font-size: 0.85rem; color: var(--muted); margin-top: -0.6rem; }
.qs-columns { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
.qs-col { flex: 1 1 420px; min-width: 0; }
figure.qs-figure { margin: 1rem 0 1.4rem; }
figure.qs-figure img { max-width: 100%; height: auto; display: block; }
figure.qs-figure figcaption { font-size: 0.88rem; color: var(--muted); max-width: 80ch;
  margin-top: 0.3rem; }
blockquote.qs-quote { margin: 0.6rem 0 1rem; padding: 0.4rem 1rem; border-left: 4px solid
  #E69F00; background: #fffaf0; max-width: 80ch; }
blockquote.qs-quote p { margin: 0.2rem 0; font-style: italic; }
blockquote.qs-quote footer { font-size: 0.85rem; color: var(--muted); }
code.qs-hash { font-size: 0.72rem; word-break: break-all; }
details.qs-details { margin: 0.6rem 0; }
details.qs-details > summary { cursor: pointer; font-weight: 600; padding: 0.2rem 0; }
.qs-columns table.qs-table { font-size: 0.8rem; }
.qs-columns table.qs-table th, .qs-columns table.qs-table td { padding: 0.25rem 0.35rem; }
.qs-pre { white-space: pre-wrap; background: var(--band); border: 1px solid var(--rule);
  padding: 0.6rem; font-size: 0.8rem; max-height: 28rem; overflow: auto; }
mark.qs-pseudo { background: #dbeafe; color: #1e3a8a; padding: 0 0.15em; border-radius: 3px; }
dl.qs-dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.qs-dl dt { font-weight: 600; }
dl.qs-dl dd { margin: 0; overflow-wrap: anywhere; }
footer.qs-footer { max-width: 1080px; margin: 0 auto; padding: 1rem 1.5rem 2rem;
  color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--rule); }
.jp-Cell, .jp-OutputArea, .jp-OutputArea-child, .jp-Cell-outputWrapper { margin: 0;
  padding: 0; }
.jp-RenderedText pre { white-space: pre-wrap; font-size: 0.85rem; }
@media print { .qs-banner { position: static; } .qs-toc { display: none; }
  details.qs-details > *:not(summary) { display: block; }
  h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
@media (max-width: 700px) { .qs-toc ol { columns: 1; } main { padding: 0.5rem 0.8rem; } }
"""


def footer_html() -> str:
    """The page footer shared by every report (no dates or versions: see provenance)."""
    return ('<footer class="qs-footer">Built by the qualsynth pipeline from de-identified '
            "outputs only. Sections marked <em>machine output</em> were produced by "
            "software and need a researcher's review; run date, code version and input "
            "hashes are in the provenance appendix of the synthesis report.</footer>")
