"""Figures of the CRM success-factors study (return matplotlib Figures; never shown here)."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def radar_chart(table: pd.DataFrame, value: str = "percentile", label: str = "label",
                title: str = "Self-assessment: percentile against the sample") -> plt.Figure:
    """Radar (spider) chart of one firm's percentiles per dimension (0-100), with the sample
    median (50th percentile) as a dashed reference ring."""
    vals = table[value].to_numpy(float)
    labels = [textwrap.fill(v, 14) for v in table[label].astype(str)]
    k = len(vals)
    angles = np.linspace(0, 2 * np.pi, k, endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    fig, ax = plt.subplots(figsize=(5.5, 5.5), subplot_kw={"projection": "polar"})
    ax.plot(closed, np.concatenate([vals, vals[:1]]), marker="o", lw=2, label="this firm")
    ax.fill(closed, np.concatenate([vals, vals[:1]]), alpha=0.2)
    ax.plot(closed, np.full(k + 1, 50.0), ls="--", lw=1, color="grey", label="sample median")
    ax.set_xticks(angles, labels)
    ax.tick_params(axis="x", pad=12)
    ax.set_ylim(0, 100)
    ax.set_yticks([25, 50, 75, 100])
    ax.set_title(title, pad=20)
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.08), fontsize=8)
    fig.tight_layout()
    return fig


def power_figure(power: pd.DataFrame, target_power: float = 0.8) -> plt.Figure:
    """Share of replicates with a significant path by sample size, one line per path
    (Monte-Carlo standard errors as error bars); paths whose true value is 0 are dashed
    (their line is the rejection rate under the null)."""
    fig, ax = plt.subplots(figsize=(8.0, 5.4))
    markers = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">"]
    for k, ((s, t), g) in enumerate(power.groupby(["source", "target"], sort=False)):
        g = g.sort_values("n")
        null = float(g["true"].iloc[0]) == 0.0
        # colour-blind-safe cycle of the project theme; a marker per path tells repeats apart
        ax.errorbar(g["n"], g["power"], yerr=g["power_mc_std_error"],
                    marker=markers[k % len(markers)],
                    capsize=2, ls="--" if null else "-", lw=1.2,
                    label=f"{s} → {t} (true {g['true'].iloc[0]:.2f})")
    ax.axhline(target_power, color="grey", lw=0.8, ls=":")
    ax.axhline(0.05, color="grey", lw=0.8, ls=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("number of firms")
    ax.set_ylabel("share of replicates with p < alpha")
    ax.set_title("Power of the path tests (Monte Carlo)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def truth_figure(table: pd.DataFrame) -> plt.Figure:
    """Estimated paths with their intervals against the true values (x) and the PLS estimand
    (+)."""
    labels = [f"{s} → {t}" for s, t in zip(table["source"], table["target"], strict=True)]
    y = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7.0, 0.38 * len(labels) + 1.4))
    est = table["estimate"].to_numpy(float)
    if {"ci_low", "ci_high"} <= set(table.columns):
        err = [est - table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float) - est]
        ax.errorbar(est, y, xerr=err, fmt="o", capsize=3, label="estimate (95% interval)")
    else:
        ax.plot(est, y, "o", label="estimate")
    ax.plot(table["true"], y, "x", ms=8, color="black", label="true coefficient")
    if table["estimand"].notna().any():
        ax.plot(table["estimand"], y, "+", ms=10, color="tab:red", label="PLS estimand")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("standardised path coefficient")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    fig.tight_layout()
    return fig


def implementation_figure(grid: pd.DataFrame) -> plt.Figure:
    """Predicted probability of project success by number of integrated technologies, one
    line per change-management scenario (shaded: confidence band)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for name, g in grid.groupby("practices", sort=False):
        g = g.sort_values("n_technologies")
        (line,) = ax.plot(g["n_technologies"], g["p_success"], marker="o", label=str(name))
        ax.fill_between(g["n_technologies"], g["ci_low"], g["ci_high"], alpha=0.12,
                        color=line.get_color())
    ax.set_ylim(0, 1)
    ax.set_xlabel("number of integrated technologies")
    ax.set_ylabel("probability of success")
    ax.set_title("CRM implementation success (average readiness)")
    ax.legend(fontsize=8, title="change-management practices", title_fontsize=8)
    fig.tight_layout()
    return fig
