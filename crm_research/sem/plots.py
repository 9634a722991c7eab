"""Figures of the PLS study (return matplotlib Figures; never shown here)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def ipma_figure(table: pd.DataFrame, target: str) -> plt.Figure:
    """Importance-performance map (Ringle & Sarstedt 2016): importance (unstandardised total
    effect on ``target``) on x, performance (0-100) on y, dashed lines at the means."""
    fig, ax = plt.subplots()
    ax.scatter(table["importance"], table["performance"], s=40)
    for _, r in table.iterrows():
        ax.annotate(str(r["construct"]), (r["importance"], r["performance"]),
                    textcoords="offset points", xytext=(5, 4))
    ax.axvline(table["importance"].mean(), ls="--", lw=0.8, color="grey")
    ax.axhline(table["performance"].mean(), ls="--", lw=0.8, color="grey")
    ax.set_xlabel(f"importance (unstandardised total effect on {target})")
    ax.set_ylabel("performance (0-100)")
    ax.set_title(f"Importance-performance map for {target}")
    lo, hi = table["performance"].min(), table["performance"].max()
    ax.set_ylim(max(0.0, lo - 10), min(100.0, hi + 10))
    fig.tight_layout()
    return fig


def paths_figure(paths: pd.DataFrame) -> plt.Figure:
    """Path coefficients with their bootstrap intervals (horizontal error bars)."""
    labels = [f"{s} → {t}" for s, t in zip(paths["source"], paths["target"], strict=True)]
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
