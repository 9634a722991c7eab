"""Figures for causal diagnostics (each function returns a matplotlib Figure; nothing is shown).

* :func:`plot_propensity_overlap` — mirrored histograms of propensities, treated above the
  axis and control below (common support at a glance).
* :func:`plot_balance` — "love plot" of absolute standardised mean differences before and
  after weighting, with the customary 0.1 threshold (Austin 2009).
* :func:`plot_effects` — forest plot of estimates with confidence intervals.
* :func:`plot_method_check` — spread of the estimates over confounded draws per method, with
  the experimental benchmark.
* :func:`plot_overlap_grid`, :func:`plot_balance_grid` — the same diagnostics, one panel per
  treatment.
* :func:`plot_shift_curve` — saving of the channel-shift what-if.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from crm_research.errors import ParameterError

__all__ = ["plot_propensity_overlap", "plot_balance", "plot_effects", "plot_method_check",
           "plot_overlap_grid", "plot_balance_grid", "plot_shift_curve"]


def _label(text: object) -> str:
    """Text for a tick label: '$' escaped so matplotlib does not read it as mathtext."""
    return str(text).replace("$", r"\$")


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{what}: table lacks column(s) {missing}")


def _mirrored_histogram(ax: Any, e: np.ndarray, t: np.ndarray, edges: np.ndarray,
                        labels: tuple[str, str], axis_lw: float) -> None:
    """Density histograms of propensities ``e`` on ``edges``: treated (t = 1) up, control down."""
    width = np.diff(edges)
    for sign, group, color, label in ((1.0, 1, "C0", labels[0]), (-1.0, 0, "C1", labels[1])):
        dens = np.histogram(e[t == group], bins=edges, density=True)[0]
        ax.bar(edges[:-1], sign * dens, width=width, align="edge", color=color, alpha=0.8,
               label=label)
    ax.axhline(0, color="black", lw=axis_lw)
    ax.set_xlim(0, 1)
    # densities are positive both ways: the control side is drawn downwards, not negative
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}"))
    ax.set_ylabel(f"density ({labels[1].split(' (')[0]} below)")


def _love_plot(ax: Any, b: pd.DataFrame, threshold: float, after_label: str,
               size: float | None, fontsize: float) -> None:
    """|SMD| per covariate of balance table ``b``: before (hollow), after weighting (filled,
    if ``b`` has ``smd_after``), and the ``threshold`` line; covariates top to bottom."""
    y = np.arange(len(b))[::-1]
    ax.scatter(b["smd_before"].abs(), y, facecolors="none", edgecolors="C1", s=size,
               label="before")
    if "smd_after" in b.columns:
        ax.scatter(b["smd_after"].abs(), y, color="C0", s=size, label=after_label)
    ax.axvline(threshold, color="grey", ls="--", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(c) for c in b["covariate"]], fontsize=fontsize)


def plot_propensity_overlap(propensity: np.ndarray, treated: np.ndarray, bins: int = 30,
                            title: str = "Propensity overlap") -> Figure:
    """Mirrored histogram of propensities: treated (up) vs control (down), densities."""
    e = np.asarray(propensity, dtype=float)
    t = np.asarray(treated, dtype=float)
    if e.shape != t.shape:
        raise ParameterError("propensity and treatment must have the same length")
    fig = Figure(figsize=(7.0, 3.8), layout="constrained")
    ax = fig.subplots()
    _mirrored_histogram(ax, e, t, np.linspace(0.0, 1.0, bins + 1),
                        (f"treated (n={int((t == 1).sum())})",
                         f"control (n={int((t == 0).sum())})"), axis_lw=0.8)
    ax.set_xlabel("estimated propensity P(treated | covariates)")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_balance(balance: pd.DataFrame, threshold: float = 0.1,
                 title: str = "Covariate balance") -> Figure:
    """Love plot: |SMD| before (hollow) and after weighting (filled) per covariate."""
    _need(balance, ["covariate", "smd_before"], "plot_balance")
    b = balance.reset_index(drop=True)
    fig = Figure(figsize=(7.0, max(2.5, 0.28 * len(b) + 1.2)), layout="constrained")
    ax = fig.subplots()
    _love_plot(ax, b, threshold, "after weighting", size=None, fontsize=8)
    ax.set_xlabel("|standardised mean difference|")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_effects(effects: pd.DataFrame, label: str | Sequence[str] = "treatment",
                 estimate: str = "estimate", ci_low: str = "ci_low", ci_high: str = "ci_high",
                 xlabel: str = "effect", title: str = "", null: float = 0.0) -> Figure:
    """Forest plot of ``estimate`` with [``ci_low``, ``ci_high``] per row of ``effects``.

    With several ``label`` columns the rows are grouped into sections by all but the last
    column (in order of first appearance): each section opens with a bold heading naming its
    values (e.g. "Mens E-Mail · history segment") and each row is labelled with the last
    column only (e.g. "3) $200 - $350"), so the repeated part is written once."""
    labels = [label] if isinstance(label, str) else list(label)
    _need(effects, labels + [estimate, ci_low, ci_high], "plot_effects")
    e = effects.reset_index(drop=True)
    keys = labels[:-1]
    heads = list(zip(*(e[k].astype(str) for k in keys), strict=True)) if keys else []
    if keys:
        first = {h: i for i, h in enumerate(dict.fromkeys(heads))}
        order = sorted(range(len(e)), key=lambda i: first[heads[i]])  # stable: rows keep order
        e, heads = e.iloc[order], [heads[i] for i in order]
    ticks: list[str] = []
    bold: list[bool] = []
    rows: list[int] = []  # position (from the top) of each row of ``e``
    previous: tuple[str, ...] | None = None
    for i, name in enumerate(e[labels[-1]].astype(str)):
        if keys and heads[i] != previous:
            previous = heads[i]
            ticks.append(_label(" · ".join(_words(v) for v in previous)))
            bold.append(True)
        rows.append(len(ticks))
        ticks.append(_label(name))
        bold.append(False)
    top = len(ticks) - 1
    fig = Figure(figsize=(7.0, max(2.2, 0.3 * len(ticks) + 1.0)), layout="constrained")
    ax = fig.subplots()
    est = e[estimate].to_numpy(float)
    lo, hi = e[ci_low].to_numpy(float), e[ci_high].to_numpy(float)
    y = np.array([top - r for r in rows], dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="C0", capsize=3)
    ax.axvline(null, color="grey", ls="--", lw=0.8)
    ax.set_yticks(np.arange(top, -1, -1), ticks)
    for tick, strong in zip(ax.get_yticklabels(), bold, strict=True):
        if strong:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.6, top + 0.6)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig


def _words(value: str) -> str:
    """A code name such as ``history_segment`` written as words (other text unchanged)."""
    from crm_research.reporting.theme import words

    return words(value)


def plot_method_check(draws: pd.DataFrame, outcomes: Sequence[str] | None = None,
                      title: str = "Estimates over confounded draws") -> Figure:
    """Box plots of the estimates per method, one panel per outcome; the dashed line in each
    panel is the experimental benchmark."""
    _need(draws, ["outcome", "method", "estimate", "truth"], "plot_method_check")
    outs = list(dict.fromkeys(draws["outcome"])) if outcomes is None else list(outcomes)
    if not outs:
        raise ParameterError("plot_method_check: no outcomes to plot")
    fig = Figure(figsize=(min(9.0, 2.9 * len(outs) + 0.4), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(outs)))
    for ax, y in zip(axes, outs, strict=True):
        d = draws[(draws["outcome"] == y) & np.isfinite(draws["estimate"])]
        if d.empty:
            raise ParameterError(f"plot_method_check: no draws for outcome {y!r}")
        methods = list(dict.fromkeys(d["method"]))
        ax.boxplot([d.loc[d["method"] == m, "estimate"].to_numpy() for m in methods],
                   tick_labels=methods)
        ax.axhline(float(d["truth"].iloc[0]), color="C3", ls="--", lw=1.0,
                   label="experiment")
        ax.set_title(_label(y))
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].set_ylabel("estimated effect")
    axes[0].legend(loc="best")
    fig.suptitle(title)
    return fig


def plot_overlap_grid(propensity: dict[str, tuple[np.ndarray, np.ndarray]], bins: int = 25,
                      ncols: int = 3) -> Figure:
    """Mirrored propensity histograms (treated up, control down), one panel per treatment."""
    if not propensity:
        raise ParameterError("plot_overlap_grid: no propensities given")
    names = list(propensity)
    nrows = int(np.ceil(len(names) / ncols))
    fig = Figure(figsize=(2.9 * min(ncols, len(names)) + 0.3, 2.6 * nrows + 0.4),
                 layout="constrained")  # ≤ 9 in wide: shown at full size, text ≥ 9 pt
    axes = np.atleast_1d(fig.subplots(nrows, min(ncols, len(names)))).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    for ax, name in zip(axes, names, strict=False):
        e, t = (np.asarray(a, dtype=float) for a in propensity[name])
        _mirrored_histogram(ax, e, t, edges, ("treated", "control"), axis_lw=0.6)
        ax.set_title(_label(name))
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].legend(loc="upper left")
    fig.supxlabel("propensity")
    return fig


def plot_balance_grid(balance: pd.DataFrame, threshold: float = 0.1, ncols: int = 2) -> Figure:
    """Love plots (|SMD| before hollow, after filled) per treatment of a balance table with a
    ``treatment`` column (as from ``observational_effects``)."""
    _need(balance, ["treatment", "covariate", "smd_before", "smd_after"], "plot_balance_grid")
    names = list(dict.fromkeys(balance["treatment"]))
    nrows = int(np.ceil(len(names) / ncols))
    n_cov = int(balance.groupby("treatment").size().max())
    fig = Figure(figsize=(4.2 * min(ncols, len(names)) + 0.4,  # ≤ 9 in wide at 2 columns
                          nrows * (0.24 * n_cov + 1.0) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, min(ncols, len(names)))).ravel()
    for ax, name in zip(axes, names, strict=False):
        b = balance[balance["treatment"] == name].reset_index(drop=True)
        _love_plot(ax, b, threshold, "weighted", size=16, fontsize=9)
        ax.set_title(_label(name))
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].legend(loc="lower right")
    fig.supxlabel("|standardised mean difference|")
    return fig


def plot_shift_curve(curve: pd.DataFrame, title: str = "Channel shift what-if") -> Figure:
    """Saving (absolute and % of baseline cost) against the share of contacts shifted."""
    _need(curve, ["shifted_share", "total_cost", "saving"], "plot_shift_curve")
    fig = Figure(figsize=(6.0, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(100 * curve["shifted_share"], curve["saving"], marker="o", color="C0")
    ax.set_xlabel("share of all contacts shifted (%)")
    ax.set_ylabel("saving (currency units)")
    base = float(curve["total_cost"].iloc[0] + curve["saving"].iloc[0])
    if base > 0:
        def to_percent(v: Any) -> Any:
            return 100.0 * v / base

        def from_percent(p: Any) -> Any:
            return p * base / 100.0

        sec = ax.secondary_yaxis("right", functions=(to_percent, from_percent))
        sec.set_ylabel("saving (% of baseline cost)")
    ax.set_title(title)
    return fig
