"""Figures of the CRM primer and the claims audit (return matplotlib Figures; never shown or
saved here — the notebooks pass them to :func:`crm_research.report.show_figure`)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crm_research.errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_pareto_curves", "plot_clv_by_retention", "plot_claims"]


def plot_pareto_curves(curves: Mapping[str, pd.DataFrame], top: float = 0.2) -> Figure:
    """Top-down Lorenz curves (customer share vs value share), one line per data set, with the
    equality line and a mark at ``top``."""
    import matplotlib.pyplot as plt

    if not curves:
        raise DataError("plot_pareto_curves: no curve given")
    fig, ax = plt.subplots()
    for i, (name, cur) in enumerate(curves.items()):
        miss = {"customer_share", "value_share"} - set(cur.columns)
        if miss:
            raise DataError(f"plot_pareto_curves: curve {name!r} lacks {sorted(miss)}")
        ax.plot(cur["customer_share"], cur["value_share"], color=f"C{i}", label=name)
        y = float(np.interp(top, cur["customer_share"], cur["value_share"]))
        ax.plot([top], [y], "o", color=f"C{i}")
        ax.annotate(f"{y:.0%}", (top, y), textcoords="offset points", xytext=(6, -12),
                    color=f"C{i}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="equal shares")
    ax.axvline(top, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel("share of customers (largest first)")
    ax.set_ylabel("share of the total")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    return fig


def plot_clv_by_retention(grid: pd.DataFrame, margin: float = 1.0) -> Figure:
    """CLV against retention, one line per discount rate (a :func:`retention_clv_grid` table:
    index = retention, columns = 'd=…')."""
    import matplotlib.pyplot as plt

    if grid.empty:
        raise DataError("plot_clv_by_retention: empty grid")
    fig, ax = plt.subplots()
    r = grid.index.to_numpy(dtype=float)
    for i, col in enumerate(grid.columns):
        ax.plot(r, grid[col].to_numpy(dtype=float), color=f"C{i}", label=str(col))
    ax.set_xlabel("retention rate per period")
    ax.set_ylabel(f"CLV (margin per period = {margin:g})")
    ax.legend(title="discount rate")
    return fig


def plot_claims(rows: pd.DataFrame) -> Figure:
    """One small panel per testable claim: each data set's estimate with its interval and the
    claim's band shaded (claims without a band are skipped)."""
    import matplotlib.pyplot as plt

    need = {"claim_id", "data_used", "estimate", "ci_low", "ci_high", "band_low", "band_high",
            "unit"}
    miss = need - set(rows.columns)
    if miss:
        raise DataError(f"plot_claims: rows lack {sorted(miss)}")
    testable = rows.dropna(subset=["band_low", "band_high"])
    if testable.empty:
        raise DataError("plot_claims: no claim with a band")
    groups = list(testable.groupby("claim_id", sort=False))
    heights = [max(1.0, 0.45 * len(g)) + 0.7 for _, g in groups]
    # constrained layout is redone when the figure is saved, so the panels keep inside the
    # 8-inch figure (shown at full size in the report column) whatever the text size;
    # fonts are the theme's (at least 9 pt), titles wrapped to the figure's width
    fig, axes = plt.subplots(len(groups), 1, figsize=(8.0, sum(heights)), layout="constrained",
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (cid, g) in zip(axes[:, 0], groups, strict=True):
        y = np.arange(len(g))[::-1]
        lo = np.minimum(g["ci_low"], g["estimate"]).to_numpy(dtype=float)
        hi = np.maximum(g["ci_high"], g["estimate"]).to_numpy(dtype=float)
        est = g["estimate"].to_numpy(dtype=float)
        b0, b1 = float(g["band_low"].iloc[0]), float(g["band_high"].iloc[0])
        if not np.isfinite(b1):  # a 'rises' claim: band [b0, infinity) shaded to the edge
            b1 = float(np.nanmax(np.r_[hi[np.isfinite(hi)], est, b0])) * 1.3
        ax.axvspan(b0, b1, color="C2", alpha=0.18, label="claim's band")
        finite_hi = np.where(np.isfinite(hi), hi, np.nanmax(np.r_[est, b1]) * 1.5)
        ax.errorbar(est, y, xerr=[est - lo, finite_hi - est], fmt="o", color="C0", capsize=3)
        ax.set_yticks(y)
        ax.set_yticklabels(list(g["data_used"]))
        ax.set_ylim(-0.5, len(g) - 0.5)
        title = textwrap.fill(f"{cid}: {g['unit'].iloc[0]}", 54)
        ax.set_title(title, fontsize=10, loc="left")
    axes[0, 0].legend(loc="best")
    return fig
