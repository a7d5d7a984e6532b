"""HTML building blocks for the reports: tables, notices, badges, banners.

Everything is plain, escaped HTML with no scripts and no external resources, so a report
opens offline in a locked-down browser. Cells listed in ``html_columns`` are trusted HTML
built by these helpers; everything else is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

SYNTHETIC_BANNER = (
    "Synthetic demonstration data: every participant, organisation, quote and number in "
    "this report is fictional, generated to exercise the pipeline. Do not cite or quote it."
)


def esc(value: Any) -> str:
    """HTML-escape any value (None and NaN become an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def pct(k: float, n: float, digits: int = 0) -> str:
    """A share as a percentage, rounded half up (5/8 -> 63%); a dash when n is zero."""
    if not n or (isinstance(n, float) and math.isnan(n)):
        return "-"
    value = Decimal(repr(float(k))) * 100 / Decimal(repr(float(n)))
    step = Decimal(1).scaleb(-digits)
    return f"{value.quantize(step, rounding=ROUND_HALF_UP)}%"


def share_pct(share: float, digits: int = 0) -> str:
    """A share in 0-1 as a percentage rounded half up; a dash when missing."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "-"
    return pct(float(share), 1.0, digits)


def frac(k: int, n: int) -> str:
    """Count with its denominator and share, e.g. ``3/8 (38%)``."""
    return f"{int(k)}/{int(n)} ({pct(k, n)})"


def fmt_num(value: Any, digits: int = 2) -> str:
    """Numbers to fixed decimals; missing values to a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def banner(synthetic: bool) -> str:
    """The visible fictional-data banner (empty string for real data)."""
    if not synthetic:
        return ""
    return (f'<div class="qs-banner" role="note"><strong>Fictional data.</strong> '
            f'{esc(SYNTHETIC_BANNER)}</div>')


def notice(message: str, kind: str = "info", title: str | None = None) -> str:
    """A boxed message: ``info``, ``warning`` or ``missing`` (an output that is not there)."""
    heading = {"info": "Note", "warning": "Warning", "missing": "Not available"}.get(kind, "Note")
    heading = title or heading
    return (f'<div class="qs-notice qs-{esc(kind)}"><strong>{esc(heading)}:</strong> '
            f'{esc(message)}</div>')


def badge(text: str, kind: str = "machine") -> str:
    """A small inline label such as ``machine output`` or ``human-written``."""
    return f'<span class="qs-badge qs-badge-{esc(kind)}">{esc(text)}</span>'


MACHINE = "machine output"
HUMAN = "human-written"


def warn_mark(title: str) -> str:
    """An inline warning marker with its reason as a tooltip and visible symbol."""
    return f'<span class="qs-warn" title="{esc(title)}">&#9888; low agreement</span>'


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def bullet_list(items: Iterable[str], html_items: bool = False) -> str:
    """An unordered list; items are escaped unless ``html_items``."""
    body = "".join(f"<li>{item if html_items else esc(item)}</li>" for item in items)
    return f"<ul>{body}</ul>" if body else ""


def definition_list(pairs: Sequence[tuple[str, str]], html_values: bool = False) -> str:
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v if html_values else esc(v)}</dd>" for k, v in pairs)
    return f'<dl class="qs-dl">{body}</dl>'


def table_html(
    df: pd.DataFrame,
    *,
    caption: str,
    html_columns: Iterable[str] = (),
    numeric_columns: Iterable[str] | None = None,
    empty_message: str | None = None,
    note: str | None = None,
    row_classes: Sequence[str] | None = None,
    css_class: str = "",
    digits: int = 2,
) -> str:
    """A captioned HTML table from a DataFrame (index ignored; reset it first if needed).

    An empty frame renders ``empty_message`` as a notice instead of an empty table, so a
    report never shows an unexplained empty table.
    """
    if df.empty:
        return notice(empty_message or f"{caption}: no rows.", kind="missing")
    html_cols = set(html_columns)
    if numeric_columns is None:
        numeric = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])}
    else:
        numeric = set(numeric_columns)
    num_cls = ' class="num"'
    head = "".join(f'<th scope="col"{num_cls if c in numeric else ""}>{esc(c)}</th>'
                   for c in df.columns)
    rows = []
    for i, record in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for col, value in zip(df.columns, record, strict=True):
            text = value if col in html_cols else esc(fmt_num(value, digits)
                                                      if col in numeric else value)
            cells.append(f"<td{num_cls if col in numeric else ''}>{text}</td>")
        rcls = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        rows.append(f"<tr{rcls}>{''.join(cells)}</tr>")
    extra = f" {esc(css_class)}" if css_class else ""
    note_html = f'<p class="qs-table-note">{esc(note)}</p>' if note else ""
    return (f'<div class="qs-table-wrap"><table class="qs-table{extra}">'
            f"<caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>{note_html}")


def side_by_side(*blocks: str) -> str:
    """Place HTML blocks next to each other (stacked on narrow screens)."""
    inner = "".join(f'<div class="qs-col">{b}</div>' for b in blocks)
    return f'<div class="qs-columns">{inner}</div>'


def trace_html(trace_id: str) -> str:
    """A trace id as code that wraps only at its slashes (never inside a document name)."""
    parts = str(trace_id).split("/")
    spans = "<wbr>".join(f"<span>{esc(p)}{'/' if i < len(parts) - 1 else ''}</span>"
                         for i, p in enumerate(parts))
    return f'<code class="qs-trace">{spans}</code>'


def quote_html(text: str, attribution: str, trace_id: str, extra: str = "") -> str:
    """A block quote with its pseudonymous attribution and the trace id of its segment."""
    more = f" &middot; {esc(extra)}" if extra else ""
    return (f'<blockquote class="qs-quote"><p>&ldquo;{esc(text)}&rdquo;</p>'
            f"<footer>{esc(attribution)}{more} &middot; trace {trace_html(trace_id)}"
            f"</footer></blockquote>")


def details(summary: str, body: str, open_: bool = False) -> str:
    """A collapsible block (plain HTML, no script): long appendix tables stay out of the way."""
    return (f'<details class="qs-details"{" open" if open_ else ""}><summary>{esc(summary)}'
            f"</summary>{body}</details>")


def preformatted(text: str) -> str:
    return f'<pre class="qs-pre">{esc(text)}</pre>'
