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
    effect on ``target``) on x, performance (0-100) on y, dashed lines at the means."""
    fig, ax = plt.subplots()
    ax.scatter(table["importance"], table["performance"], s=40)
    for _, r in table.iterrows():
        ax.annotate(display_text("{}", r["construct"]), (r["importance"], r["performance"]),
                    textcoords="offset points", xytext=(5, 4))
    ax.axvline(table["importance"].mean(), ls="--", lw=0.8, color="grey")
    ax.axhline(table["performance"].mean(), ls="--", lw=0.8, color="grey")
    ax.set_xlabel(display_text("importance (unstandardised total effect on {})", target))
    ax.set_ylabel("performance (0-100)")
    ax.set_title(display_text("Importance-performance map for {}", target))
    lo, hi = table["performance"].min(), table["performance"].max()
    ax.set_ylim(max(0.0, lo - 10), min(100.0, hi + 10))
    fig.tight_layout()
    return fig


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
