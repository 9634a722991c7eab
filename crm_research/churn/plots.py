"""Figures of the churn engines (return matplotlib Figures; never shown or saved here)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_research.churn.survival import KMResult
from crm_research.errors import DataError, ParameterError

__all__ = ["plot_km", "plot_churn_rates", "plot_calibration", "plot_gains", "plot_ratio_forest"]


def _figure(width: float = 7.0, height: float = 4.2):  # noqa: ANN202 - matplotlib types
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def plot_km(km: KMResult, title: str = "", xlabel: str = "time",
            show_ci: bool = True) -> object:
    """Kaplan-Meier step curves by group with shaded pointwise intervals and median marks."""
    if not isinstance(km, KMResult):
        raise ParameterError("plot_km expects the result of kaplan_meier()")
    fig, ax = _figure()
    medians = km.medians.set_index("group")
    for i, (g, cur) in enumerate(km.curves.groupby("group", sort=False)):
        color = f"C{i}"
        med = medians.loc[g, "median"]
        label = f"{g} (n={int(medians.loc[g, 'n'])}, median "
        label += "not reached)" if np.isnan(med) else f"{med:g})"
        ax.step(cur["time"], cur["survival"], where="post", color=color, label=label)
        if show_ci:
            ax.fill_between(cur["time"], cur["ci_low"].fillna(0.0), cur["ci_high"].fillna(0.0),
                            step="post", color=color, alpha=0.15, linewidth=0)
        if not np.isnan(med):
            ax.plot([med, med], [0, 0.5], color=color, linestyle=":", linewidth=1)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share still a customer")
    ax.set_title(title or f"Kaplan-Meier ({int(km.level * 100)}% {km.ci_transform} intervals)")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def plot_churn_rates(rates: pd.DataFrame, variable: str, title: str = "",
                     xlabel: str | None = None) -> object:
    """Churn rate with its interval for each level of one variable of a ``churn_rates`` table."""
    sub = rates[rates["variable"] == variable]
    if sub.empty:
        raise DataError(f"plot_churn_rates: variable {variable!r} is not in the rates table; "
                        f"available: {sorted(set(rates['variable']))}")
    fig, ax = _figure()
    x = np.arange(len(sub))
    ax.bar(x, sub["rate"], color="C0", alpha=0.7)
    ax.errorbar(x, sub["rate"], yerr=[sub["rate"] - sub["ci_low"], sub["ci_high"] - sub["rate"]],
                fmt="none", ecolor="black", capsize=3, linewidth=1)
    overall = rates[rates["variable"] == "overall"]
    if not overall.empty:
        ax.axhline(float(overall["rate"].iloc[0]), color="grey", linestyle="--", linewidth=0.8,
                   label="overall")
        ax.legend(fontsize=8)
    labels = [str(v) for v in sub["level"]]
    long = len(sub) > 4 and max(len(v) for v in labels) > 6
    ax.set_xticks(x, labels, rotation=20 if long else 0)
    ax.set_xlabel(xlabel or variable)
    ax.set_ylabel("churn rate")
    ax.set_title(title or f"Churn rate by {variable}")
    return fig


def plot_calibration(tables: Mapping[str, pd.DataFrame], title: str = "") -> object:
    """Observed churn rate (with interval) against mean predicted risk per group, by model."""
    fig, ax = _figure(5.5, 5.0)
    top = 0.0
    for i, (name, cal) in enumerate(tables.items()):
        ax.errorbar(cal["mean_predicted"], cal["observed_rate"],
                    yerr=[cal["observed_rate"] - cal["ci_low"],
                          cal["ci_high"] - cal["observed_rate"]],
                    fmt="o-", color=f"C{i}", capsize=2, markersize=4, linewidth=1, label=name)
        top = max(top, float(cal["ci_high"].max()), float(cal["mean_predicted"].max()))
    top = min(1.0, top * 1.05 + 0.01)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=0.8, label="perfect")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mean predicted churn probability (out of fold)")
    ax.set_ylabel("observed churn rate")
    ax.set_title(title or "Calibration by risk group")
    ax.legend(fontsize=8)
    return fig


def plot_gains(tables: Mapping[str, pd.DataFrame], title: str = "") -> object:
    """Cumulative gains curves (share of churners captured vs share of customers contacted)."""
    fig, ax = _figure(5.5, 5.0)
    for i, (name, lift) in enumerate(tables.items()):
        ax.plot(np.r_[0.0, lift["cum_share"]], np.r_[0.0, lift["gain"]], "o-", color=f"C{i}",
                markersize=3, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="random")
    ax.set_xlabel("share of customers targeted (highest predicted risk first)")
    ax.set_ylabel("share of churners captured")
    ax.set_title(title or "Cumulative gains")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_ratio_forest(table: pd.DataFrame, ratio: str, title: str = "",
                      drop_terms: tuple[str, ...] = ("Intercept",)) -> object:
    """Forest plot of odds or hazard ratios with their intervals on a log axis.

    ``table`` has the columns ``term``, ``ratio`` (e.g. ``"odds_ratio"``) and its interval
    ``{ratio}_ci_low``, ``{ratio}_ci_high`` (as the tables of ``fit_logit`` and ``fit_cox``).
    """
    low, high = f"{ratio}_ci_low", f"{ratio}_ci_high"
    for col in (ratio, low, high, "term"):
        if col not in table.columns:
            raise DataError(f"plot_ratio_forest: column {col!r} missing from the table")
    sub = table[~table["term"].isin(drop_terms)].iloc[::-1]
    fig, ax = _figure(7.0, max(2.5, 0.35 * len(sub) + 1.0))
    y = np.arange(len(sub))
    ax.errorbar(sub[ratio], y, xerr=[sub[ratio] - sub[low], sub[high] - sub[ratio]],
                fmt="o", color="C0", capsize=2, markersize=4)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter

    lo = float(np.nanmin(sub[low].to_numpy(dtype=float).clip(1e-12)))
    hi = float(np.nanmax(sub[high].to_numpy(dtype=float)))
    ticks = [v * 10.0**k for k in range(-6, 7) for v in (1, 2, 5)
             if lo / 1.5 <= v * 10.0**k <= hi * 1.5]
    ax.xaxis.set_major_locator(FixedLocator(ticks or [1.0]))
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:g}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, list(sub["term"]))
    ax.set_xlabel(ratio.replace("_", " ") + " (log scale)")
    ax.set_title(title)
    return fig
