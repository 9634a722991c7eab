"""Figures of the PLS study (return matplotlib Figures; never shown here).

Construct names may be written in a right-to-left script (Persian, Arabic, Hebrew). matplotlib
(>= 3.11) lays text out with libraqm, which shapes Arabic-script letters and applies the Unicode
Bidirectional Algorithm (UAX #9) with the paragraph direction taken from the first strong
character. A label such as "رضایت → LOY" therefore became a right-to-left paragraph and was
drawn as "LOY → رضایت", with the arrow pointing at the source. :func:`display_text` and
:func:`path_label` make the label a left-to-right paragraph and fence every right-to-left name
with U+200E LEFT-TO-RIGHT MARKs: the arrow and spaces between two marks resolve to
left-to-right, so each name stays one right-to-left run (shaped and reordered by libraqm)
while the label reads "source → target" left to right even when both names are Persian.
(Directional isolates, U+2068/U+2069, would be the textbook tool, but matplotlib's bundled
layout engine did not honour them: a Persian → Persian label still came out reversed.)
"""

from __future__ import annotations

import unicodedata

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.transforms import Bbox

LRM = "\u200e"  # LEFT-TO-RIGHT MARK (a strong left-to-right character that is not drawn)


def has_rtl(text: str) -> bool:
    """True if ``text`` holds a right-to-left character (bidi class R or AL)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in str(text))


def fence(name: str) -> str:
    """``name`` between two LEFT-TO-RIGHT MARKs if it has a right-to-left letter."""
    name = str(name)
    return f"{LRM}{name}{LRM}" if has_rtl(name) else name


def display_text(template: str, *names: str) -> str:
    """``template.format(*names)`` as a left-to-right label whose right-to-left ``names`` are
    fenced (see the module docstring); plain left-to-right text is returned unchanged."""
    text = template.format(*(fence(n) for n in names))
    return f"{LRM}{text}" if any(has_rtl(n) for n in names) or has_rtl(template) else text


def path_label(source: str, target: str) -> str:
    """The label of a path, "source → target", drawn with the source on the left and the arrow
    pointing at the target whatever the script of the names."""
    return display_text("{} → {}", source, target)


def ipma_figure(table: pd.DataFrame, target: str) -> plt.Figure:
    """Importance-performance map (Ringle & Sarstedt 2016): importance (unstandardised total
    effect on ``target``) on x, performance (0-100) on y, dashed lines at the means.

    Construct labels are placed by :func:`place_labels` so that no two overlap (ECSI's QUAL
    and VAL lie almost on top of each other)."""
    fig, ax = plt.subplots()
    ax.scatter(table["importance"], table["performance"], s=40)
    ax.axvline(table["importance"].mean(), ls="--", lw=0.8, color="grey")
    ax.axhline(table["performance"].mean(), ls="--", lw=0.8, color="grey")
    ax.set_xlabel(display_text("importance (unstandardised total effect on {})", target))
    ax.set_ylabel("performance (0-100)")
    ax.set_title(display_text("Importance-performance map for {}", target))
    lo, hi = table["performance"].min(), table["performance"].max()
    ax.set_ylim(max(0.0, lo - 10), min(100.0, hi + 10))
    x0, x1 = table["importance"].min(), table["importance"].max()
    pad = 0.12 * (x1 - x0) if x1 > x0 else 0.1
    ax.set_xlim(x0 - pad, x1 + pad)
    fig.tight_layout()
    place_labels(ax, [display_text("{}", c) for c in table["construct"]],
                 list(table["importance"]), list(table["performance"]))
    return fig


# candidate label offsets (points from the marker), tried in this order; the leader line is
# drawn only when a label had to move beyond the first ring
_OFFSETS = [(5, 4), (5, -13), (-5, 4), (-5, -13), (0, 9), (0, -18)]


def place_labels(ax: plt.Axes, labels: list[str], xs: list[float], ys: list[float],
                 ) -> list[plt.Annotation]:
    """Annotate the points ``(xs[i], ys[i])`` with ``labels[i]`` so that no two label boxes
    overlap each other or another point's marker.

    Deterministic greedy placement: points are taken from top to bottom (ties by x); each label
    tries the offsets of ``_OFFSETS`` and then the same offsets pushed out in steps of 10 pt
    (with a grey leader line), and keeps the first box that is inside the axes and clear of
    the boxes already placed. The layout must be final (call after ``tight_layout``)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    points = [to_px((x, y)) for x, y in zip(xs, ys, strict=True)]
    r = 4.0 * fig.dpi / 72.0  # half a marker (s=40 → about 6 pt wide)
    markers = [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in points]
    order = sorted(range(len(labels)), key=lambda i: (-ys[i], xs[i]))
    placed: list[Bbox] = []
    notes: list[plt.Annotation] = [None] * len(labels)  # type: ignore[list-item]
    for i in order:
        others = [m for j, m in enumerate(markers) if j != i]
        chosen = None
        for ring in range(6):
            for dx, dy in _OFFSETS:
                sx = dx + (10 * ring if dx > 0 else -10 * ring if dx < 0 else 0)
                sy = dy + (10 * ring if dy > 0 else -10 * ring)
                note = _annotate(ax, labels[i], xs[i], ys[i], sx, sy, leader=ring > 0)
                box = note.get_window_extent(renderer)
                inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1
                          and box.y0 >= frame.y0 and box.y1 <= frame.y1)
                if inside and not any(box.overlaps(b) for b in placed + others):
                    chosen = (note, box)
                    break
                note.remove()
            if chosen:
                break
        if chosen is None:  # nowhere free: keep the first choice (the map is unreadable anyway)
            note = _annotate(ax, labels[i], xs[i], ys[i], *_OFFSETS[0], leader=False)
            chosen = (note, note.get_window_extent(renderer))
        notes[i] = chosen[0]
        placed.append(chosen[1])
    return notes


def _annotate(ax: plt.Axes, label: str, x: float, y: float, dx: float, dy: float,
              leader: bool) -> plt.Annotation:
    arrow = {"arrowstyle": "-", "color": "grey", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
    return ax.annotate(label, (x, y), textcoords="offset points", xytext=(dx, dy),
                       ha="left" if dx > 0 else "right" if dx < 0 else "center",
                       arrowprops=arrow if leader else None)


def paths_figure(paths: pd.DataFrame) -> plt.Figure:
    """Path coefficients with their bootstrap intervals (horizontal error bars)."""
    labels = [path_label(s, t) for s, t in zip(paths["source"], paths["target"], strict=True)]
    fig, ax = plt.subplots(figsize=(7.0, 0.35 * len(labels) + 1.2))
    y = range(len(labels))
    est = paths["estimate"]
    err = [est - paths["ci_low"], paths["ci_high"] - est]
    ax.errorbar(est, list(y), xerr=err, fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlabel("standardised path coefficient (bootstrap interval)")
    fig.tight_layout()
    return fig
