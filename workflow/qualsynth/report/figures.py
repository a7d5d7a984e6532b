"""Matplotlib figures for the reports: titled, labelled, colour-blind safe, embeddable.

Every chart is checked before it is embedded (``check_figure``): each axes needs a title
and both axis labels (maps need a title; their axes are coordinates). Figures are saved as
PNG without the ``Software`` metadata so the bytes are the same on every rerun, and
embedded as data URIs so reports open offline.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from qualsynth.report.tables import esc, pct  # noqa: E402

# Okabe & Ito (2008) colour-blind safe qualitative palette (black last).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
NEUTRAL = "#DDDDDD"
SEQUENTIAL_CMAP = "Blues"  # single-hue lightness ramp: readable with any colour vision
MAP_GID = "qs-map"
WIDTH_IN = 9.5  # about 950 px at 100 dpi: fits a laptop screen without scrolling
DPI = 100

STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(OKABE_ITO)),
    "svg.hashsalt": "qualsynth",
    "font.family": "DejaVu Sans",
}


def palette(n: int) -> list[str]:
    """``n`` Okabe-Ito colours (cycled when more are needed)."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def new_figure(width: float = WIDTH_IN, height: float = 4.0, nrows: int = 1,
               ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure with the report style applied (style is scoped to this figure)."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=DPI, **kwargs)
    return fig, axes


def axes_title(ax: Any) -> str:
    """The axes title whichever side it is placed on."""
    return " ".join(t for t in (ax.get_title(loc).strip() for loc in ("left", "center", "right"))
                    if t)


def check_figure(fig: Figure) -> list[str]:
    """Problems that make a figure unfit for a report (empty list when fine)."""
    problems = []
    has_title = bool(fig._suptitle and fig._suptitle.get_text().strip())  # noqa: SLF001
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    if not visible:
        problems.append("figure has no axes")
    for i, ax in enumerate(visible):
        title = axes_title(ax)
        name = title or f"axes {i + 1}"
        if not (title or has_title):
            problems.append(f"axes {i + 1} has no title")
        if ax.get_gid() == MAP_GID:
            continue
        if not ax.get_xlabel().strip():
            problems.append(f"{name}: x axis has no label")
        if not ax.get_ylabel().strip():
            problems.append(f"{name}: y axis has no label")
    return problems


def figure_png(fig: Figure) -> bytes:
    """PNG bytes without volatile metadata (byte-identical for identical figures)."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white",
                    metadata={"Software": None})
    return buf.getvalue()


def figure_html(fig: Figure, alt: str, caption: str | None = None) -> str:
    """Check, embed and close a figure: ``<figure>`` with a data-URI PNG and a caption."""
    problems = check_figure(fig)
    if problems:
        plt.close(fig)
        raise ValueError("figure not fit for a report: " + "; ".join(problems))
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    plt.close(fig)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure class="qs-figure"><img alt="{esc(alt)}" '
            f'src="data:image/png;base64,{data}">{cap}</figure>')


def _wrap(label: str, width: int = 28) -> str:
    """Wrap long tick labels onto several lines."""
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines)


def prevalence_heatmap(
    shares: np.ndarray,
    counts: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    denominators: Sequence[int],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    flagged_rows: Sequence[bool] | None = None,
    scale_label: str = "share of participants",
) -> Figure:
    """Rows (themes) x columns (groups) shaded by share; cells show ``k/n``.

    Column labels carry their denominators (``n=``); flagged rows (low coding agreement)
    get a warning sign in their label.
    """
    n_rows, n_cols = shares.shape
    height = max(2.5, (0.38 if n_rows <= 20 else 0.3) * n_rows + 1.8)
    width = min(WIDTH_IN, max(5.5, 1.25 * n_cols + 3.8))
    fig, ax = new_figure(width, height)
    image = ax.imshow(np.nan_to_num(shares, nan=0.0), cmap=SEQUENTIAL_CMAP, vmin=0.0, vmax=1.0,
                      aspect="auto")
    for r in range(n_rows):
        for c in range(n_cols):
            value = shares[r, c]
            text = f"{int(counts[r, c])}/{int(denominators[c])}" if denominators[c] else "-"
            colour = "white" if (not math.isnan(value) and value > 0.55) else "black"
            ax.text(c, r, text, ha="center", va="center", fontsize=8.5, color=colour)
    flags = flagged_rows or [False] * n_rows
    ax.set_yticks(range(n_rows), [_wrap(lab, 40) + ("  \u26a0" if f else "")
                                  for lab, f in zip(row_labels, flags, strict=True)])
    ax.set_xticks(range(n_cols), [f"{_wrap(lab, 16)}\n(n={n})"
                                  for lab, n in zip(col_labels, denominators, strict=True)])
    ax.tick_params(axis="both", length=0)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(scale_label)
    bar.ax.set_label("<colorbar>")
    fig.tight_layout()
    return fig


def share_bars(
    labels: Sequence[str],
    counts: Sequence[int],
    denominator: int,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    color: str = OKABE_ITO[0],
) -> Figure:
    """Horizontal bars of counts out of one denominator, each labelled ``k/N (p%)``."""
    n = len(labels)
    fig, ax = new_figure(WIDTH_IN * 0.8, max(1.8, 0.42 * n + 1.2))
    y = np.arange(n)
    ax.barh(y, counts, color=color)
    ax.set_yticks(y, [_wrap(str(lab), 34) for lab in labels])
    ax.invert_yaxis()
    top = max(list(counts) + [1])
    for yi, k in zip(y, counts, strict=True):
        share = pct(k, denominator)
        ax.text(k + top * 0.01, yi, f"{k}/{denominator} ({share})", va="center", fontsize=9)
    ax.set_xlim(0, top * 1.25)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def dumbbell(
    labels: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    *,
    before_label: str,
    after_label: str,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Figure:
    """Two shares per row joined by a line (e.g. baseline vs follow-up prevalence)."""
    n = len(labels)
    fig, ax = new_figure(WIDTH_IN * 0.85, max(2.2, 0.4 * n + 1.4))
    y = np.arange(n)
    for yi, b, a in zip(y, before, after, strict=True):
        ax.plot([b * 100, a * 100], [yi, yi], color="#999999", linewidth=1.5, zorder=1)
    ax.scatter(np.array(before) * 100, y, color=OKABE_ITO[1], label=before_label, zorder=2,
               s=40, marker="o")
    ax.scatter(np.array(after) * 100, y, color=OKABE_ITO[0], label=after_label, zorder=3,
               s=40, marker="D")
    ax.set_yticks(y, [_wrap(lab, 40) for lab in labels])
    ax.invert_yaxis()
    ax.set_xlim(-3, 103)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    ax.grid(axis="x", color="#EEEEEE")
    fig.tight_layout()
    return fig


def interval_plot(
    labels: Sequence[str],
    estimates: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    threshold: float | None,
    threshold_label: str,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Figure:
    """Point estimates with 95% intervals, one row each; a dashed line at ``threshold``.

    Rows under the threshold are drawn in vermillion with a different marker (not colour
    alone) so they stand out for every reader.
    """
    n = len(labels)
    fig, ax = new_figure(WIDTH_IN * 0.85, max(2.2, 0.36 * n + 1.4))
    y = np.arange(n)
    for yi, est, lo, hi in zip(y, estimates, lows, highs, strict=True):
        if est is None or math.isnan(est):
            continue
        low = threshold is not None and est < threshold
        colour = OKABE_ITO[5] if low else OKABE_ITO[0]
        if lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi)):
            ax.plot([lo, hi], [yi, yi], color=colour, linewidth=1.6)
        ax.scatter([est], [yi], color=colour, marker="X" if low else "o", s=45, zorder=3)
    if threshold is not None:
        ax.axvline(threshold, color="#555555", linestyle="--", linewidth=1)
        ax.text(threshold, -0.9, threshold_label, fontsize=8.5, ha="left", va="bottom",
                color="#333333")
    ax.set_yticks(y, [_wrap(lab, 40) for lab in labels])
    ax.set_ylim(n - 0.5, -1.2)
    ax.set_xlim(min(-0.05, *(v for v in lows if v is not None and not math.isnan(v)))
                if lows else -0.05, 1.02)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", color="#EEEEEE")
    fig.tight_layout()
    return fig


# --- the map ---------------------------------------------------------------------------------

def load_boundaries(path: str | Path) -> list[dict[str, Any]]:
    """Features of the ICB boundary GeoJSON (British National Grid metres)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data.get("features", []))


def _polygon_path(rings: Sequence[Sequence[Sequence[float]]]) -> MplPath:
    """One polygon (exterior ring plus holes) as a compound matplotlib path."""
    verts: list[Sequence[float]] = []
    codes: list[int] = []
    for ring in rings:
        if len(ring) < 3:
            continue
        verts.extend(ring)
        verts.append(ring[0])
        codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1)
                     + [MplPath.CLOSEPOLY])
    return MplPath(np.asarray(verts, dtype=float), codes)


def feature_paths(feature: Mapping[str, Any]) -> list[MplPath]:
    """Matplotlib paths for a Polygon or MultiPolygon feature."""
    geom = feature.get("geometry") or {}
    if geom.get("type") == "Polygon":
        return [_polygon_path(geom["coordinates"])]
    if geom.get("type") == "MultiPolygon":
        return [_polygon_path(poly) for poly in geom["coordinates"]]
    return []


def england_map(
    features: Sequence[Mapping[str, Any]],
    panels: Sequence[tuple[str, set[str]]],
    *,
    title: str,
    code_property: str = "ICB22CD",
    hatched: Sequence[bool] | None = None,
) -> Figure:
    """Small multiples of England's ICSs: one panel per (panel title, highlighted codes).

    Highlighted ICSs are filled in the panel's Okabe-Ito colour; others are light grey.
    ``hatched[i]`` marks a panel whose highlight is a whole region (sites not disclosed).
    """
    n = max(1, len(panels))
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(WIDTH_IN, 3.9 * nrows + 0.6, nrows=nrows, ncols=ncols,
                           squeeze=False)
    paths = [(str(f.get("properties", {}).get(code_property, "")), feature_paths(f))
             for f in features]
    every = [p for _, ps in paths for p in ps]
    if every:
        verts = np.concatenate([p.vertices for p in every])
        (x0, y0), (x1, y1) = verts.min(axis=0), verts.max(axis=0)
        pad = 0.02 * max(x1 - x0, y1 - y0)
    colours = palette(n)
    for i, ax in enumerate(axes.flat):
        ax.set_gid(MAP_GID)
        ax.set_aspect("equal")
        ax.set_axis_off()
        if i >= len(panels):
            ax.set_visible(False)
            continue
        name, codes = panels[i]
        hatch = "////" if hatched and hatched[i] else None
        on = [p for code, ps in paths if code in codes for p in ps]
        off = [p for code, ps in paths if code not in codes for p in ps]
        # Collections (not one add_patch per shape): far faster, same picture.
        ax.add_collection(PatchCollection([PathPatch(p) for p in off], facecolor=NEUTRAL,
                                          edgecolor="white", linewidth=0.4))
        if on:
            ax.add_collection(PatchCollection(
                [PathPatch(p) for p in on], facecolor=colours[i], edgecolor="white",
                linewidth=0.4, hatch=hatch, alpha=0.55 if hatch else 1.0))
        if every:
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(y0 - pad, y1 + pad)
        ax.set_title(_wrap(name, 30), fontsize=10)
        ax.legend(handles=[Patch(facecolor=colours[i], hatch=hatch, label="case-study ICS"
                                 if not hatch else "region of case sites"),
                           Patch(facecolor=NEUTRAL, label="other ICS")],
                  loc="upper left", frameon=False, fontsize=8)
    with plt.rc_context(STYLE):
        fig.suptitle(title)
    fig.tight_layout()
    return fig
