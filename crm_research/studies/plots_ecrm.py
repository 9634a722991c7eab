"""Figures of the ecrm_loyalty study (return matplotlib Figures; never shown here)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def difference_power_figure(power: pd.DataFrame, alpha: float,
                            target_power: float = 0.8) -> plt.Figure:
    """Power of the omnibus test "the four eCRM coefficients are equal" by sample size, with
    Monte-Carlo standard errors as error bars and the target power as a dotted line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.errorbar(power["n"], power["power"], yerr=power["power_mc_std_error"], marker="o", capsize=3)
    ax.axhline(target_power, ls=":", color="grey", lw=1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("respondents")
    ax.set_ylabel(f"share of surveys with p < {alpha:g}")
    ax.set_title("Power to detect different eCRM -> component coefficients")
    fig.tight_layout()
    return fig


def recovery_figure(recovery: pd.DataFrame, level: float) -> plt.Figure:
    """Coverage of the true factor-model path by the bootstrap intervals, PLS against PLSc,
    per path (Monte-Carlo standard errors as error bars; nominal level dashed)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    labels = None
    for k, (est, g) in enumerate(recovery.groupby("estimator", sort=False)):
        labels = [f"{s} -> {t}" for s, t in zip(g["source"], g["target"], strict=True)]
        y = np.arange(len(g)) + (k - 0.5) * 0.3
        ax.errorbar(g["coverage_true"], y, xerr=g["coverage_mc_std_error"], fmt="o", capsize=2,
                    label=str(est))
    if labels:
        ax.set_yticks(np.arange(len(labels)), labels)
    ax.axvline(level, ls="--", color="grey", lw=1)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("share of intervals covering the true path")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig
