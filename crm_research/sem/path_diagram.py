"""The PLS path diagram, as SmartPLS and seminr draw it: constructs as ellipses with R² inside
the endogenous ones, arrows labelled with the path coefficients and significance marks, and
(optionally) the indicators with their loadings (mode A) or weights (mode B).

Drawn with matplotlib only (no graphviz binary, no network), by a deterministic layered
layout: a construct's column is the length of the longest path reaching it from an exogenous
construct (Sugiyama, Tagawa & Toda 1981, layer assignment by longest path); within a column
constructs are ordered by the mean row of their predecessors (the barycentre heuristic of the
same paper), ties broken by the model's declared order. A model deeper than ``MAX_COLUMNS``
layers (ECSI has six) maps its layers evenly onto that many columns, the earlier layer on top,
so the figure stays readable at report width. An arrow whose straight line would cross another
construct is drawn as an arc. Same model and estimates → same PNG.

Significance marks follow the usual convention: * p < 0.05, ** p < 0.01, *** p < 0.001
(two-sided bootstrap p values, as in the bootstrap table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

from crm_research.errors import ParameterError
from crm_research.sem.plots import display_text, fence

NODE_W, NODE_H = 1.4, 0.7      # ellipse size (inches)
COL_GAP, ROW_GAP = 2.3, 1.75   # centre-to-centre distances (inches)
ROW_GAP_FLAT = 1.15            # rows when no arrow runs inside a column
MAX_COLUMNS = 4                # longer chains share columns (keeps the figure ≤ 9 in wide)
ITEM_W, ITEM_H, ITEM_GAP = 0.62, 0.3, 0.08
FONT, SMALL = 10.5, 9.0
EDGE_COLOUR, NODE_FILL, ITEM_FILL = "#2b3a4a", "#dfeaf5", "#f4f4f4"


def stars(p: float | None) -> str:
    """``***`` for p < 0.001, ``**`` for p < 0.01, ``*`` for p < 0.05, else ``""``."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """(column, row) of each node: longest-path layering, barycentre order within columns."""
    order = {n: i for i, n in enumerate(nodes)}
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        preds[t].append(s)
    col: dict[str, int] = {}

    def depth(n: str, seen: tuple[str, ...] = ()) -> int:
        if n in seen:
            raise ParameterError(f"path diagram: the structural model has a cycle through {n!r}")
        if n not in col:
            col[n] = 1 + max((depth(p, (*seen, n)) for p in preds[n]), default=-1)
        return col[n]

    for n in nodes:
        depth(n)
    layer = dict(col)
    n_layers = max(layer.values(), default=0) + 1
    if n_layers > MAX_COLUMNS:
        col = {n: round(c * (MAX_COLUMNS - 1) / (n_layers - 1)) for n, c in layer.items()}
    pos: dict[str, tuple[int, int]] = {}
    for c in range(max(col.values(), default=-1) + 1):
        members = [n for n in nodes if col[n] == c]

        def key(n: str) -> tuple[int, float, int]:
            rows = [pos[p][1] for p in preds[n] if p in pos]
            first = layer[n] if n_layers > MAX_COLUMNS else 0
            return (first, float(np.mean(rows)) if rows else float(order[n]), order[n])

        for r, n in enumerate(sorted(members, key=key)):
            pos[n] = (c, r)
    return pos


Point = tuple[float, float]
RADS = (0.0, -0.2, 0.2, -0.35, 0.35, -0.5, 0.5)
LABEL_AT = (0.5, 0.38, 0.62, 0.28, 0.72)


def _curve(a: Point, b: Point, rad: float, t: float) -> Point:
    """Point at ``t`` of matplotlib's ``arc3`` connection from a to b (a quadratic Bézier
    whose control point is the midpoint moved by ``rad`` × (dy, -dx))."""
    (x0, y0), (x1, y1) = a, b
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    u = 1 - t
    return (u * u * x0 + 2 * u * t * cx + t * t * x1, u * u * y0 + 2 * u * t * cy + t * t * y1)


def _inside(pt: Point, centre: Point, pad: float = 0.08) -> bool:
    return ((pt[0] - centre[0]) / (NODE_W / 2 + pad)) ** 2 + \
        ((pt[1] - centre[1]) / (NODE_H / 2 + pad)) ** 2 < 1


def _route(a: Point, b: Point, others: list[Point]) -> float:
    """The first curvature in ``RADS`` whose arc from a to b passes through no other node."""
    for rad in RADS:
        pts = [_curve(a, b, rad, t) for t in np.linspace(0.08, 0.92, 25)]
        if not any(_inside(p, c) for p in pts for c in others):
            return rad
    return RADS[-1]


def _label_spot(a: Point, b: Point, rad: float, nodes: list[Point], taken: list[Point],
                lines: list[np.ndarray]) -> Point:
    """A point on the arc for the coefficient's label, away from nodes, other labels and
    (if possible) other arrows."""
    def free(p: Point, strict: bool) -> bool:
        if any(_inside(p, c, 0.12) for c in nodes):
            return False
        if any(abs(p[0] - q[0]) < 0.5 and abs(p[1] - q[1]) < 0.26 for q in taken):
            return False
        return not strict or all(
            np.min(np.hypot(line[:, 0] - p[0], line[:, 1] - p[1])) > 0.16 for line in lines)

    for strict in (True, False):
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
            p = _curve(a, b, rad, t)
            if free(p, strict):
                return p
    return _curve(a, b, rad, 0.5)


def _parts(result: Any) -> tuple[list[str], pd.DataFrame, dict[str, float], pd.DataFrame]:
    """Nodes, paths (source, target, estimate[, p_value]), R² by construct, outer model."""
    est = getattr(result, "estimates", result)  # a BootstrapResult or a PLSResult
    for attr in ("spec", "paths", "r_squared", "outer_model"):
        if not hasattr(est, attr):
            raise ParameterError("path_diagram: expected a PLS result (estimate_pls) or its "
                                 f"bootstrap (bootstrap_pls); got {type(result).__name__}")
    paths = (result.paths if result is not est else est.paths).copy()
    r2_table = getattr(result, "r_squared", None)
    if result is not est and isinstance(r2_table, pd.DataFrame) and "estimate" in r2_table:
        r2_col = r2_table["estimate"]  # the bootstrap's own estimator (PLS or PLSc)
    else:
        r2_table, r2_col = est.r_squared, est.r_squared["r2"]
    r2 = {str(c): float(v) for c, v in zip(r2_table["construct"], r2_col, strict=True)
          if pd.notna(v)}
    nodes = list(est.spec.construct_names)
    nodes += [n for n in pd.unique(paths[["source", "target"]].to_numpy().ravel())
              if n not in nodes]
    return nodes, paths, r2, est.outer_model


def path_diagram(result: Any, show_items: bool = False, title: str | None = None) -> plt.Figure:
    """The path diagram of a fitted PLS model (``estimate_pls``) or of its bootstrap
    (``bootstrap_pls``, or ``plsc.bootstrap_model`` for PLSc: coefficients and R² of that
    estimator, with significance marks).

    Each arrow carries the standardised path coefficient (2 decimals) and its stars; each
    endogenous construct shows its R². ``show_items`` draws the indicators in a row under their
    construct, labelled with the loading (mode A) or weight (mode B)."""
    nodes, paths, r2, outer = _parts(result)
    edges = list(zip(paths["source"].astype(str), paths["target"].astype(str), strict=True))
    pos = layout(nodes, edges)
    n_cols = max(c for c, _ in pos.values()) + 1
    n_rows = max(r for _, r in pos.values()) + 1
    stacked = any(pos[a][0] == pos[b][0] for a, b in edges)  # arrows inside a column
    row_gap = (ROW_GAP if stacked else ROW_GAP_FLAT) + (ITEM_H + 0.45 if show_items else 0.0)
    heights = {c: sum(1 for cc, _ in pos.values() if cc == c) for c in range(n_cols)}

    def centre(n: str) -> tuple[float, float]:
        c, r = pos[n]
        offset = (n_rows - heights[c]) * row_gap / 2  # centre short columns vertically
        return c * COL_GAP, -(r * row_gap + offset)

    xs = [centre(n)[0] for n in nodes]
    ys = [centre(n)[1] for n in nodes]
    centres = {n: centre(n) for n in nodes}
    rads = [_route(centres[a], centres[b], [centres[n] for n in nodes if n not in (a, b)])
            for a, b in edges]
    arcs = 0.45 if any(rads) else 0.0
    lines = [np.array([_curve(centres[a], centres[b], r, t) for t in np.linspace(0.1, 0.9, 30)])
             for (a, b), r in zip(edges, rads, strict=True)]
    xlim = (min(xs) - NODE_W / 2 - 0.2, max(xs) + NODE_W / 2 + 0.2)
    bottom = min(ys) - NODE_H / 2 - (ITEM_H + 0.75 if show_items else 0.1) - arcs
    ylim = (bottom - 0.6, max(ys) + NODE_H / 2 + 0.1 + arcs)
    fig, ax = plt.subplots(figsize=(max(xlim[1] - xlim[0], 5.5), ylim[1] - ylim[0]))
    ax.set_position((0, 0, 1, 1))
    ax.set_aspect("equal")
    ax.axis("off")
    shapes: dict[str, Ellipse] = {}
    for n in nodes:
        x, y = centre(n)
        shapes[n] = Ellipse((x, y), NODE_W, NODE_H, facecolor=NODE_FILL,
                            edgecolor=EDGE_COLOUR, lw=1.2, zorder=3)
        ax.add_patch(shapes[n])
        text = fence(n) if n in r2 else display_text("{}", n)
        if n in r2:
            text = f"{text}\nR² = {r2[n]:.2f}"
        ax.text(x, y, text, ha="center", va="center", fontsize=FONT, zorder=4,
                linespacing=1.25)
    has_p = "p_value" in paths.columns
    taken: list[Point] = []
    for (s, t), est, p, rad in zip(edges, paths["estimate"],
                                   paths["p_value"] if has_p else [None] * len(edges), rads,
                                   strict=True):
        (x0, y0), (x1, y1) = centres[s], centres[t]
        arrow = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                connectionstyle=f"arc3,rad={rad}", color=EDGE_COLOUR,
                                lw=1.0 + 2.0 * min(abs(float(est)), 1.0), zorder=2,
                                shrinkA=0, shrinkB=0)
        arrow.set_patchA(shapes[s])  # drawn patches: the arrow stops at their outline
        arrow.set_patchB(shapes[t])
        ax.add_patch(arrow)
        others = [ln for k, ln in enumerate(lines) if edges[k] != (s, t)]
        mx, my = _label_spot((x0, y0), (x1, y1), rad, list(centres.values()), taken, others)
        taken.append((mx, my))
        ax.text(mx, my, f"{float(est):.2f}{stars(p)}", ha="center", va="center",
                fontsize=FONT, zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    if show_items:
        _draw_items(ax, outer, {n: centre(n) for n in nodes if n in pos})
    note = "Arrows: standardised path coefficients"
    if has_p:
        note += "; * p < 0.05, ** p < 0.01, *** p < 0.001 (bootstrap, two-sided)"
    note += ".\nR² inside endogenous constructs."
    if show_items:
        note += " Boxes: indicators with loadings (mode A) or weights (mode B)."
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.text(sum(xlim) / 2, ylim[0] + 0.05, note, ha="center", va="bottom", fontsize=SMALL)
    if title:
        ax.set_title(title)
    return fig


def _draw_items(ax: Any, outer: pd.DataFrame, centres: dict[str, tuple[float, float]]) -> None:
    for construct, block in outer.groupby("construct", sort=False):
        if construct not in centres:
            continue
        x, y = centres[str(construct)]
        k = len(block)
        total = k * ITEM_W + (k - 1) * ITEM_GAP
        scale = min(1.0, (COL_GAP - 0.2) / total)
        w, gap = ITEM_W * scale, ITEM_GAP * scale
        x0 = x - (k * w + (k - 1) * gap) / 2
        iy = y - NODE_H / 2 - 0.45 - ITEM_H / 2
        for i, row in enumerate(block.itertuples(index=False)):
            ix = x0 + i * (w + gap) + w / 2
            ax.add_patch(Rectangle((ix - w / 2, iy - ITEM_H / 2), w, ITEM_H, facecolor=ITEM_FILL,
                                   edgecolor=EDGE_COLOUR, lw=0.7, zorder=3))
            ax.plot([ix, x], [iy + ITEM_H / 2, y - NODE_H / 2], color="#8796a5", lw=0.7,
                    zorder=1)
            mode_b = getattr(row, "mode", "A") == "B"
            value = row.weight if mode_b else row.loading
            ax.text(ix, iy, display_text("{}", str(row.item)), ha="center", va="center",
                    fontsize=SMALL, zorder=4)
            ax.text(ix, iy - ITEM_H / 2 - 0.04, f"{float(value):.2f}", ha="center", va="top",
                    fontsize=SMALL - 0.5 if scale < 1 else SMALL, color="#44505c", zorder=4)
