"""Customer survival: Kaplan-Meier curves and medians, log-rank tests.

Sources of the definitions (the fits themselves use lifelines):

* Kaplan-Meier product-limit estimator Ŝ(t) = Πⱼ:tⱼ≤t (1 − dⱼ/nⱼ) (Kaplan & Meier 1958, JASA
  53:457-481) with Greenwood's variance (Greenwood 1926): V(t) = Σⱼ:tⱼ≤t dⱼ / (nⱼ(nⱼ − dⱼ)) is
  the variance of log Ŝ(t). Pointwise intervals (Klein & Moeschberger 2003, "Survival
  Analysis", 2nd ed., sec. 4.3), z = Φ⁻¹(1 − α/2):
    - ``'log-log'`` (default; lifelines' default, Kalbfleisch & Prentice 1980):
      Ŝ^exp(∓ z·√V / log Ŝ), i.e. exp(−exp(log(−log Ŝ) ± z·√V/|log Ŝ|));
    - ``'log'`` (R ``survfit`` default): Ŝ·exp(∓ z·√V), upper end capped at 1;
    - ``'plain'``: Ŝ ∓ z·Ŝ·√V, clipped to [0, 1].
  Before the first event (V = 0) the interval is [1, 1]; where Ŝ = 0 it is undefined (NaN).
* Median survival time and its interval follow R's ``survival`` package (``quantile.survfit``,
  Brookmeyer & Crowley 1982): the median is the first time at which the curve is ≤ 0.5; if the
  curve equals 0.5 exactly (within √machine-ε) on a flat stretch, the midpoint of that stretch
  (the next time the curve drops) is used. The interval runs from the same quantity computed on
  the lower confidence band (which reaches 0.5 first) to that of the upper band; "not reached"
  is NaN.
* Log-rank test (Mantel 1966; Peto & Peto 1972) of equal survival across groups: chi-square
  with (groups − 1) degrees of freedom (lifelines ``multivariate_logrank_test``; R ``survdiff``).
  Observed and expected events per group: Eᵍ = Σⱼ dⱼ·nᵍⱼ/nⱼ.

Cox models and the proportional-hazards test live in :mod:`crm_research.churn.cox` and
:mod:`crm_research.churn.zph`.

Durations must be non-negative and finite. The event indicator is given either as ``event``
(1/True = churned) or as ``censor`` (1/True = still a customer at the end of observation, e.g.
the SMCRM B2B data), in which case event = 1 − censor.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import (
    binary_outcome,
    no_missing,
    plain,
    require_columns,
    spreadsheet_rows,
)
from crm_research._lazy import lazy_module
from crm_research.churn.rates import critical_z, ordered_levels, require_rows
from crm_research.errors import (
    DataError,
    EstimationError,
    ParameterError,
)

stats = lazy_module("scipy.stats")

__all__ = [
    "survival_data",
    "snapshot_entry",
    "KMResult",
    "kaplan_meier",
    "median_from_curve",
    "LogRankResult",
    "logrank",
    "CI_TRANSFORMS",
    "event_column",
]

CI_TRANSFORMS = ("log-log", "log", "plain")
_TOL = float(np.sqrt(np.finfo(float).eps))


def survival_data(df: pd.DataFrame, duration: str, event: str | None = None,
                  censor: str | None = None, entry: str | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validated ``(durations, events, entries)`` arrays from a DataFrame.

    Exactly one of ``event`` (1 = churned) or ``censor`` (1 = censored; event = 1 − censor)
    must be given. ``entry`` (optional) is the time at which a customer came under observation
    (delayed entry / left truncation): the customer is at risk on (entry, duration]; it must
    satisfy 0 <= entry <= duration. ``entries`` is None without ``entry``. Raises
    ``DataError`` naming the column and row of a bad value.
    """
    df = require_rows(df)
    flag = event_column(event, censor)
    require_columns(df, [duration, flag] + ([entry] if entry else []), "survival data")
    t_arr = _nonnegative(df, duration, "duration")
    e_arr = binary_outcome(df[flag], flag).astype(int)
    if censor is not None:
        e_arr = 1 - e_arr
    if entry is None:
        return t_arr, e_arr, None
    en_arr = _nonnegative(df, entry, "entry")
    bad = en_arr > t_arr
    if bad.any():
        row = spreadsheet_rows(bad, 1)[0]
        raise DataError(f"entry column {entry!r} must not exceed duration {duration!r}; data "
                        f"row {row} has entry {plain(en_arr[bad][0])!r} > duration "
                        f"{plain(t_arr[bad][0])!r}")
    unseen = (e_arr == 1) & (en_arr >= t_arr)
    if unseen.any():
        row = spreadsheet_rows(unseen, 1)[0]
        raise DataError(f"data row {row} has an event at its entry time ({entry!r} = "
                        f"{duration!r} = {plain(t_arr[unseen][0])!r}); a customer is at risk only "
                        "after entry, so the event cannot be counted")
    return t_arr, e_arr, en_arr


def event_column(event: str | None, censor: str | None) -> str:
    """The event-indicator column: exactly one of ``event`` or ``censor`` must be given."""
    if event is not None and censor is None:
        return event
    if censor is not None and event is None:
        return censor
    raise ParameterError("give exactly one of event= (1 = churned) or censor= "
                         "(1 = still a customer, censored)")


def _nonnegative(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    t = df[column]
    if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t):
        raise DataError(f"{what} column {column!r} must be numeric, got dtype {t.dtype}")
    t_arr = t.to_numpy(dtype=float)
    bad = ~np.isfinite(t_arr) | (t_arr < 0)
    if bad.any():
        row = spreadsheet_rows(bad, 1)[0]
        raise DataError(f"{what} column {column!r} must be finite and >= 0; found "
                        f"{plain(t_arr[bad][0])!r} at data row {row} (counting from 1) "
                        f"({int(bad.sum())} bad value(s))")
    return t_arr


def snapshot_entry(df: pd.DataFrame, duration: str, window: float,
                   name: str = "entry") -> pd.DataFrame:
    """Copy of ``df`` with an entry-time column for snapshot ("current customers") data.

    When a data set holds only customers who were active at the start of an observation
    window of length ``window`` (e.g. the Telco sample: customers of last month, churn = left
    during that month, tenure = months with the firm), each customer was under observation only
    during (max(duration − window, 0), duration]. Analysing durations from 0 instead treats
    the sample as a cohort followed from sign-up and ignores the customers of the same cohorts
    who left before the window (left truncation; Klein & Moeschberger 2003, sec. 4.6). The new
    column ``name`` = max(duration − window, 0) is meant for the ``entry=`` argument.
    """
    df = require_rows(df)
    require_columns(df, [duration], "snapshot_entry")
    if not isinstance(window, int | float) or isinstance(window, bool) or not window > 0:
        raise ParameterError(f"snapshot_entry: window must be a positive number, got {window!r}")
    if name in df.columns:
        raise ParameterError(f"snapshot_entry: column {name!r} already exists")
    t_arr = _nonnegative(df, duration, "duration")
    out = df.copy()
    out[name] = np.maximum(t_arr - float(window), 0.0)
    return out


def _group_levels(df: pd.DataFrame, group: str) -> list[Hashable]:
    require_columns(df, [group], "survival data")
    s = df[group]
    no_missing(s, f"group column {group!r}")
    levels = ordered_levels(s)
    if len(levels) > 50:
        raise ParameterError(f"group column {group!r} has {len(levels)} levels; at most 50 "
                             "groups are supported")
    return levels


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------

def _risk_counts(times: np.ndarray, t: np.ndarray, entry: np.ndarray | None) -> np.ndarray:
    """Number at risk just before each of ``times``: #{i: entry_i < time <= t_i}."""
    t_sorted = np.sort(t)
    gone = np.searchsorted(t_sorted, times, side="left")  # t_i < time
    if entry is None:
        return len(t) - gone
    entered = np.searchsorted(np.sort(entry), times, side="left")  # entry_i < time
    return entered - gone


def _km_table(t: np.ndarray, e: np.ndarray, entry: np.ndarray | None, z: float,
              ci_transform: str) -> pd.DataFrame:
    """Kaplan-Meier table with Greenwood intervals, computed as documented in the module."""
    times = np.unique(np.r_[0.0, t])
    n_risk = _risk_counts(times, t, entry).astype(float)
    idx = np.searchsorted(times, t)
    d = np.bincount(idx, weights=e, minlength=len(times))
    c = np.bincount(idx, weights=1 - e, minlength=len(times))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, 1.0 - d / n_risk, 1.0)
        surv = np.cumprod(factor)
        terms = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    greenwood = np.cumsum(terms)  # inf once S reaches 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se_log = np.sqrt(greenwood)
        if ci_transform == "log":
            low = surv * np.exp(-z * se_log)
            high = np.minimum(surv * np.exp(z * se_log), 1.0)
        elif ci_transform == "plain":
            low = np.clip(surv - z * surv * se_log, 0.0, 1.0)
            high = np.clip(surv + z * surv * se_log, 0.0, 1.0)
        else:  # log-log
            log_s = np.log(surv)
            theta = np.log(-log_s)
            se_theta = se_log / np.abs(log_s)
            low = np.exp(-np.exp(theta + z * se_theta))
            high = np.exp(-np.exp(theta - z * se_theta))
        std_err = surv * se_log
    no_event_yet = greenwood == 0
    low = np.where(no_event_yet, 1.0, low)
    high = np.where(no_event_yet, 1.0, high)
    zero = surv <= 0
    low = np.where(zero, np.nan, low)
    high = np.where(zero, np.nan, high)
    std_err = np.where(zero, np.nan, std_err)
    return pd.DataFrame({"time": times, "at_risk": n_risk.astype(int), "events": d.astype(int),
                         "censored": c.astype(int), "survival": surv,
                         "std_error": std_err, "ci_low": low, "ci_high": high})


def median_from_curve(times: Any, values: Any, p: float = 0.5) -> float:
    """First time at which a step curve is ≤ p, with R ``survival``'s rule for exact hits.

    ``values[i]`` is the curve on [times[i], times[i+1]). If the first value ≤ p equals p
    (within √machine-ε) and the curve later drops below p, the result is the midpoint between
    that time and the first time the curve is < p (R ``median.survfit`` /
    ``quantile.survfit``). NaN values are skipped; NaN is returned if the curve never reaches p.
    """
    x = np.asarray(times, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = ~np.isnan(y) & (y < p + _TOL)
    if not keep.any():
        return float("nan")
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - p) < _TOL:
        below = np.flatnonzero(yk < yk[0] - _TOL)
        if below.size:
            return float((xk[0] + xk[below[0]]) / 2.0)
    return float(xk[0])


@dataclass
class KMResult:
    """Kaplan-Meier curves (``curves``: one row per group and distinct time, with ``group``,
    ``time``, ``at_risk``, ``events``, ``censored``, ``survival``, ``std_error`` (Greenwood),
    ``ci_low``, ``ci_high``) and medians (``medians``: ``group``, ``n``, ``events``,
    ``median``, ``median_ci_low``, ``median_ci_high``; NaN = not reached)."""

    curves: pd.DataFrame
    medians: pd.DataFrame
    level: float
    ci_transform: str
    group: str | None = None

    @property
    def table(self) -> pd.DataFrame:
        """The curves (the result protocol's ``table``)."""
        return self.curves

    def fit_table(self) -> pd.DataFrame:
        """Per group: customers, events and median lifetime as (``statistic``, ``value``)."""
        rows = []
        for _, m in self.medians.iterrows():
            for stat in ("n", "events", "median", "median_ci_low", "median_ci_high"):
                rows.append({"statistic": f"{stat} ({m['group']})", "value": m[stat]})
        return pd.DataFrame(rows)

    def survival_at(self, times: Sequence[float]) -> pd.DataFrame:
        """Survival and interval of each group at the given times (step function, right-
        continuous; NaN beyond the last observed time)."""
        rows = []
        for g, cur in self.curves.groupby("group", sort=False):
            tt = cur["time"].to_numpy()
            for when in times:
                idx = np.searchsorted(tt, float(when), side="right") - 1
                if idx < 0 or float(when) > tt[-1]:
                    rows.append({"group": g, "time": float(when), "survival": np.nan,
                                 "ci_low": np.nan, "ci_high": np.nan})
                    continue
                r = cur.iloc[idx]
                rows.append({"group": g, "time": float(when), "survival": r["survival"],
                             "ci_low": r["ci_low"], "ci_high": r["ci_high"]})
        return pd.DataFrame(rows)


def kaplan_meier(df: pd.DataFrame, duration: str, event: str | None = None,
                 censor: str | None = None, group: str | None = None, level: float = 0.95,
                 ci_transform: str = "log-log", entry: str | None = None) -> KMResult:
    """Kaplan-Meier survival curves with pointwise intervals and median survival, by group.

    See the module docstring for the estimator, Greenwood variance, the ``ci_transform``
    options and the median rule. Without ``group`` one curve labelled 'all' is returned.
    With ``entry`` (delayed entry, see ``survival_data``) the risk set at time t is
    {i: entry_i < t <= duration_i} (the product-limit estimator under left truncation; Klein &
    Moeschberger 2003, sec. 4.6; R ``survfit(Surv(entry, time, event) ~ 1)``); the curve is then
    conditional on surviving to the smallest entry time.
    """
    z = critical_z(level)
    if ci_transform not in CI_TRANSFORMS:
        raise ParameterError(f"ci_transform must be one of {list(CI_TRANSFORMS)}, got "
                             f"{ci_transform!r}")
    t, e, en = survival_data(df, duration, event, censor, entry)
    if group is None:
        labels = np.array(["all"] * len(t), dtype=object)
        levels: list[Hashable] = ["all"]
    else:
        levels = _group_levels(df, group)
        labels = df[group].to_numpy(dtype=object)
    curves, medians = [], []
    for lev in levels:
        m = labels == lev
        tab = _km_table(t[m], e[m], None if en is None else en[m], z, ci_transform)
        tab.insert(0, "group", str(lev))
        curves.append(tab)
        medians.append({
            "group": str(lev), "n": int(m.sum()), "events": int(e[m].sum()),
            "median": median_from_curve(tab["time"], tab["survival"]),
            "median_ci_low": median_from_curve(tab["time"], tab["ci_low"]),
            "median_ci_high": median_from_curve(tab["time"], tab["ci_high"]),
        })
    return KMResult(curves=pd.concat(curves, ignore_index=True),
                    medians=pd.DataFrame(medians), level=float(level),
                    ci_transform=ci_transform, group=group)


# --------------------------------------------------------------------------------------------
# log-rank test
# --------------------------------------------------------------------------------------------

@dataclass
class LogRankResult:
    """Log-rank test: ``statistic`` (chi-square), ``df``, ``p_value`` and ``table`` of
    observed and expected events per group (``group``, ``n``, ``observed``, ``expected``,
    ``o_over_e``)."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame

    def fit_table(self) -> pd.DataFrame:
        """The test as rows of (``statistic``, ``value``)."""
        return pd.DataFrame({
            "statistic": ["test", "groups", "chi2", "df", "p_value"],
            "value": ["log-rank", len(self.table), self.statistic, self.df, self.p_value],
        })


def logrank(df: pd.DataFrame, duration: str, group: str, event: str | None = None,
            censor: str | None = None, entry: str | None = None) -> LogRankResult:
    """Log-rank test of equal survival curves across the levels of ``group``.

    At each distinct event time j with nⱼ at risk (nᵍⱼ in group g) and dⱼ events:
    Eᵍ = Σⱼ dⱼ nᵍⱼ/nⱼ, U = O − E and
    Vᵍʰ = Σⱼ dⱼ (nⱼ − dⱼ)/(nⱼ − 1) · (nᵍⱼ/nⱼ)(δᵍʰ − nʰⱼ/nⱼ);
    the statistic Uᵀ V⁻¹ U over the first k − 1 groups is chi-square with k − 1 df
    (Klein & Moeschberger 2003, sec. 7.3; equals R ``survdiff`` and lifelines
    ``multivariate_logrank_test``). With ``entry`` the risk sets respect delayed entry.
    """
    t, e, en = survival_data(df, duration, event, censor, entry)
    levels = _group_levels(df, group)
    if len(levels) < 2:
        raise EstimationError(f"logrank: group {group!r} has only one level; need two or more")
    if e.sum() == 0:
        raise EstimationError("logrank: there are no events; the test is undefined")
    labels = np.array([str(v) for v in df[group].to_numpy(dtype=object)], dtype=object)
    names = [str(v) for v in levels]
    event_times = np.unique(t[e == 1])
    n_g = np.column_stack([
        _risk_counts(event_times, t[labels == g], None if en is None else en[labels == g])
        for g in names]).astype(float)
    idx = np.searchsorted(event_times, t[e == 1])
    d_g = np.column_stack([
        np.bincount(idx[labels[e == 1] == g], minlength=len(event_times)) for g in names
    ]).astype(float)
    n_j = n_g.sum(axis=1)
    d_j = d_g.sum(axis=1)
    if np.any(n_j <= 0):
        raise DataError("logrank: an event occurs at a time when nobody is at risk (an event "
                        "at its entry time?)")
    share = n_g / n_j[:, None]
    expected = (d_j[:, None] * share).sum(axis=0)
    observed = d_g.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n_j > 1, d_j * (n_j - d_j) / (n_j - 1), 0.0)
    k = len(names)
    V = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            V[a, b] = np.sum(w * share[:, a] * ((a == b) - share[:, b]))
    U = observed - expected
    try:
        stat = float(U[:-1] @ np.linalg.solve(V[:-1, :-1], U[:-1]))
    except np.linalg.LinAlgError as exc:
        raise EstimationError("logrank: singular variance matrix (a group has nobody at risk "
                              "at any event time?)") from exc
    rows = []
    for i, g in enumerate(names):
        rows.append({"group": g, "n": int((labels == g).sum()), "observed": int(observed[i]),
                     "expected": float(expected[i]),
                     "o_over_e": observed[i] / expected[i] if expected[i] > 0 else np.nan})
    return LogRankResult(statistic=stat, df=k - 1, p_value=float(stats.chi2.sf(stat, k - 1)),
                         table=pd.DataFrame(rows))
