"""Figures of the customer-value study (each function returns a matplotlib Figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def tracking_figure(tracking: pd.DataFrame, calibration_period: int | None = None) -> Figure:
    """Cumulative repeat purchases per week: actual vs each model column."""
    fig, ax = plt.subplots()
    ax.plot(tracking["period"], tracking["actual"], color="black", lw=2, label="actual")
    for col in tracking.columns:
        if col not in ("period", "date", "actual"):
            ax.plot(tracking["period"], tracking[col], ls="--", label=col)
    if calibration_period is not None:
        ax.axvline(calibration_period, color="grey", lw=1)
        ax.text(calibration_period, ax.get_ylim()[1] * 0.95, " end of calibration",
                fontsize=8, va="top")
    ax.set_xlabel("period (weeks since cohort start)")
    ax.set_ylabel("cumulative repeat purchases")
    ax.legend()
    return fig


def holdout_figure(holdout: pd.DataFrame) -> Figure:
    """Mean holdout purchases by calibration frequency: actual vs models."""
    fig, ax = plt.subplots()
    x = np.arange(len(holdout))
    cols = [c for c in holdout.columns if c not in ("calibration_frequency", "n_customers")]
    for c in cols:
        ax.plot(x, holdout[c], marker="o", ls="-" if c == "actual" else "--", label=c)
    ax.set_xticks(x, holdout["calibration_frequency"])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in holdout")
    ax.legend()
    return fig


def clv_histogram(values, bins: int = 50) -> Figure:
    """Histogram of per-customer CLV (log-scaled count axis)."""
    fig, ax = plt.subplots()
    ax.hist(np.asarray(values, dtype=float), bins=bins, color="tab:blue", alpha=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("discounted CLV")
    ax.set_ylabel("customers (log scale)")
    return fig


def lorenz_figure(curves: dict[str, pd.DataFrame]) -> Figure:
    """Lorenz curves (customers sorted from the most valuable) with the 80/20 point."""
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    for name, lc in curves.items():
        # top-down: share of value held by the top share of customers
        ax.plot(1 - lc["customer_share"][::-1], 1 - lc["value_share"][::-1], label=name)
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":", label="equal")
    ax.axvline(0.2, color="grey", lw=0.8)
    ax.axhline(0.8, color="grey", lw=0.8)
    ax.set_xlabel("share of customers (most valuable first)")
    ax.set_ylabel("share of value")
    ax.legend()
    return fig


def cohort_heatmap(matrix: pd.DataFrame, max_periods: int = 18) -> Figure:
    """Cohort retention matrix as a heat map (period 0 omitted, it is 1 by construction)."""
    cols = [c for c in matrix.columns if c.startswith("p") and c != "p0"][:max_periods]
    data = matrix[cols].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(matrix) + 1.5))
    im = ax.imshow(data, aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(matrix)), matrix["cohort"])
    ax.set_xticks(range(len(cols)), [c[1:] for c in cols])
    ax.set_xlabel("periods since first purchase")
    fig.colorbar(im, ax=ax, label="share of cohort buying")
    return fig


def sbg_figure(projection: pd.DataFrame) -> Figure:
    """Actual vs sBG-projected survivors per segment; fitted periods marked."""
    fig, ax = plt.subplots()
    for seg, g in projection.groupby("segment", sort=False):
        line, = ax.plot(g["period"], g["projected"], ls="--", label=f"{seg} projected")
        ax.plot(g["period"], g["actual"], marker="o", ls="", color=line.get_color(),
                label=f"{seg} actual")
        last_fit = g.loc[g["fitted"], "period"].max()
        ax.axvline(last_fit, color="grey", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("customers still active (of 1,000)")
    ax.legend(fontsize=8)
    return fig
