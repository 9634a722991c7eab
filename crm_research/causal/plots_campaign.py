"""Figures of the campaign cycle (each function returns a matplotlib Figure; nothing is shown).

* :func:`plot_qini` — Qini and uplift curves of several scores against random targeting.
* :func:`plot_uplift_deciles` — observed uplift by score group with intervals, one panel per
  score (response model vs uplift model).
* :func:`plot_profit_curves` — expected profit by share contacted, with the budget limit.
* :func:`plot_test_cell_power` — how often a test cell of each size reaches the full
  experiment's decision (Monte-Carlo with error bars, normal approximation as a line).
* :func:`plot_targeting_economics` — profit and precision of a retention or prospecting
  campaign by targeting depth, with the break-even precision and a claimed threshold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from crm_research._checks import require_columns

__all__ = ["plot_qini", "plot_uplift_deciles", "plot_profit_curves", "plot_test_cell_power",
           "plot_targeting_economics"]


def _figure(ncols: int = 1, width: float = 7.0, height: float = 4.2,
            sharey: bool = False) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height))
    axes = [fig.add_subplot(1, ncols, 1)]
    for i in range(1, ncols):
        axes.append(fig.add_subplot(1, ncols, i + 1, sharey=axes[0] if sharey else None))
    return fig, axes


def plot_qini(curves: pd.DataFrame, title: str = "Qini curves",
              include_perfect: bool = False) -> Figure:
    """Left: Qini curves; right: uplift curves (both as extra responses per customer of the
    sample) by share targeted, with random targeting dashed."""
    require_columns(curves, ["model", "share", "qini", "uplift"], "Qini curves")
    fig, axes = _figure(ncols=2, width=7.5, height=3.8)
    for ax, column, name in ((axes[0], "qini", "Qini curve"), (axes[1], "uplift",
                                                                 "uplift curve")):
        for model, part in curves.groupby("model", sort=False):
            if model == "perfect" and not include_perfect:
                continue
            style = {"random": dict(color="grey", linestyle="--"),
                     "perfect": dict(color="black", linestyle=":")}.get(str(model), {})
            ax.plot(part["share"], part[column], label=str(model), **style)
        ax.set_xlabel("share targeted (highest score first)")
        ax.set_title(name)
    axes[0].set_ylabel("extra responses per customer")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_uplift_deciles(tables: Mapping[str, pd.DataFrame],
                        ylabel: str = "observed uplift") -> Figure:
    """Observed uplift per score group (1 = highest scores) with interval bars, per score."""
    fig, axes = _figure(ncols=len(tables), height=3.8, sharey=True)
    for ax, (name, tab) in zip(axes, tables.items(), strict=True):
        require_columns(tab, ["group", "estimate", "ci_low", "ci_high"], "uplift by decile")
        est = tab["estimate"].to_numpy(float)
        err = np.vstack([est - tab["ci_low"].to_numpy(float),
                         tab["ci_high"].to_numpy(float) - est])
        ax.bar(tab["group"], est, color="#4C72B0")
        ax.errorbar(tab["group"], est, yerr=np.nan_to_num(err), fmt="none", color="black",
                    capsize=2)
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_title(str(name))
        ax.set_xlabel("score group (1 = top)")
    axes[0].set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def plot_profit_curves(curves: Mapping[str, pd.DataFrame], budget_share: float | None = None,
                       title: str = "Expected profit of the roll-out") -> Figure:
    """Profit by share contacted for each score; dotted line: the largest share the budget
    pays for."""
    fig, (ax,) = _figure()
    for name, cur in curves.items():
        require_columns(cur, ["share", "profit"], "profit curve")
        ax.plot(cur["share"], cur["profit"], label=str(name))
    ax.axhline(0.0, color="grey", linewidth=0.8)
    if budget_share is not None and budget_share < 1:
        ax.axvline(budget_share, color="black", linestyle=":", label="budget limit")
    ax.set_xlabel("share of customers contacted (highest score first)")
    ax.set_ylabel("expected profit")
    ax.set_title(title)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_test_cell_power(table: pd.DataFrame, power: float,
                         title: str = "Does a test cell reach the full decision?") -> Figure:
    """Agreement of test cells with the full experiment by test share (log axis)."""
    require_columns(table, ["share", "agreement", "agreement_mc_std_error", "analytic_agreement"],
                    "test-cell table")
    fig, (ax,) = _figure()
    ax.errorbar(table["share"], table["agreement"], yerr=2 * table["agreement_mc_std_error"],
                fmt="o", capsize=3, label="Monte Carlo (±2 MC s.e.)")
    ax.plot(table["share"], table["analytic_agreement"], color="grey",
            label="normal approximation")
    ax.axhline(power, color="black", linestyle=":", label=f"target {power:.0%}")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("test-cell share of the experiment")
    ax.set_ylabel("probability of the same decision")
    ax.set_title(title)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_targeting_economics(curve: pd.DataFrame, threshold: float, title: str) -> Figure:
    """Left: profit by targeting depth. Right: precision of the targeted group, with the
    break-even precision and the claimed threshold."""
    require_columns(curve, ["share", "profit", "precision", "break_even_precision"], "curve")
    fig, (left, right) = _figure(ncols=2, width=7.5, height=3.6)
    left.plot(curve["share"], curve["profit"])
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set_xlabel("share targeted")
    left.set_ylabel("expected profit")
    right.plot(curve["share"], curve["precision"], label="precision")
    right.plot(curve["share"], curve["break_even_precision"], linestyle="--",
               label="break-even precision")
    right.axhline(threshold, color="black", linestyle=":", label=f"claim {threshold:.0%}")
    right.set_xlabel("share targeted")
    right.set_ylim(0.0, 1.02)
    right.legend(fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
