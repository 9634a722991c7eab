"""Customer survival: Kaplan-Meier curves and medians, log-rank tests, Cox proportional hazards.

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
* Cox proportional-hazards model (Cox 1972) by partial likelihood with Efron's method for tied
  event times (lifelines ``CoxPHFitter``; R ``coxph`` default): hazard ratio exp(β) with a Wald
  interval exp(β ± z·se) and Wald p-value; Harrell's concordance; likelihood-ratio test.
  Proportional-hazards check: per-covariate test of a zero slope of the scaled Schoenfeld
  residuals on a transform of time (Grambsch & Therneau 1994, Biometrika 81:515-526; lifelines
  ``proportional_hazard_test``). This is the approximation R's ``cox.zph`` used before survival
  3.0; current R uses an exact score test, so p-values differ slightly from today's R.

Durations must be non-negative and finite. The event indicator is given either as ``event``
(1/True = churned) or as ``censor`` (1/True = still a customer at the end of observation, e.g.
the SMCRM B2B data), in which case event = 1 − censor.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crm_research.churn.models import (
    _check_columns,
    _check_frame,
    _complete_rows,
    _no_missing,
    _ordered_levels,
    _py,
    _reference_levels,
    _z,
    binary_outcome,
    design_matrix,
)
from crm_research.errors import (
    ConvergenceError,
    DataError,
    EstimationError,
    ParameterError,
    SpecError,
)

__all__ = [
    "survival_data",
    "snapshot_entry",
    "KMResult",
    "kaplan_meier",
    "median_from_curve",
    "LogRankResult",
    "logrank",
    "CoxResult",
    "fit_cox",
    "CI_TRANSFORMS",
    "PH_TRANSFORMS",
]

CI_TRANSFORMS = ("log-log", "log", "plain")
PH_TRANSFORMS = ("km", "rank", "identity", "log")
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
    df = _check_frame(df)
    flag = _event_flag(event, censor)
    _check_columns(df, [duration, flag] + ([entry] if entry else []), "survival data")
    t_arr = _nonnegative(df, duration, "duration")
    e_arr = binary_outcome(df[flag], flag).astype(int)
    if censor is not None:
        e_arr = 1 - e_arr
    if entry is None:
        return t_arr, e_arr, None
    en_arr = _nonnegative(df, entry, "entry")
    bad = en_arr > t_arr
    if bad.any():
        row = df.index[bad][0]
        raise DataError(f"entry column {entry!r} must not exceed duration {duration!r}; row "
                        f"{_py(row)!r} has entry {_py(en_arr[bad][0])!r} > duration "
                        f"{_py(t_arr[bad][0])!r}")
    unseen = (e_arr == 1) & (en_arr >= t_arr)
    if unseen.any():
        row = df.index[unseen][0]
        raise DataError(f"row {_py(row)!r} has an event at its entry time ({entry!r} = "
                        f"{duration!r} = {_py(t_arr[unseen][0])!r}); a customer is at risk only "
                        "after entry, so the event cannot be counted")
    return t_arr, e_arr, en_arr


def _event_flag(event: str | None, censor: str | None) -> str:
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
        row = t.index[bad][0]
        raise DataError(f"{what} column {column!r} must be finite and >= 0; found "
                        f"{_py(t_arr[bad][0])!r} at row {_py(row)!r} "
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
    df = _check_frame(df)
    _check_columns(df, [duration], "snapshot_entry")
    if not isinstance(window, int | float) or isinstance(window, bool) or not window > 0:
        raise ParameterError(f"snapshot_entry: window must be a positive number, got {window!r}")
    if name in df.columns:
        raise ParameterError(f"snapshot_entry: column {name!r} already exists")
    t_arr = _nonnegative(df, duration, "duration")
    out = df.copy()
    out[name] = np.maximum(t_arr - float(window), 0.0)
    return out


def _group_levels(df: pd.DataFrame, group: str) -> list[Hashable]:
    _check_columns(df, [group], "survival data")
    s = df[group]
    _no_missing(s, f"group column {group!r}")
    levels = _ordered_levels(s)
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
                         "std_err": std_err, "ci_low": low, "ci_high": high})


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
    ``time``, ``at_risk``, ``events``, ``censored``, ``survival``, ``std_err`` (Greenwood),
    ``ci_low``, ``ci_high``) and medians (``medians``: ``group``, ``n``, ``events``,
    ``median``, ``median_ci_low``, ``median_ci_high``; NaN = not reached)."""

    curves: pd.DataFrame
    medians: pd.DataFrame
    level: float
    ci_transform: str
    group: str | None = None

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
    z = _z(level)
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

    def summary(self) -> pd.DataFrame:
        """The test as a one-row table."""
        return pd.DataFrame([{"test": "log-rank", "groups": len(self.table),
                              "chi2": self.statistic, "df": self.df,
                              "p_value": self.p_value}])


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


# --------------------------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------------------------

@dataclass
class CoxResult:
    """A fitted Cox model.

    ``table``: per term ``coef`` (log hazard ratio), ``std_err``, ``z``, ``p_value``,
    ``hazard_ratio``, ``ci_low``, ``ci_high`` (Wald interval of the hazard ratio).
    ``ph_test``: per term the Schoenfeld-residual test ``statistic`` (chi-square, 1 df) and
    ``p_value`` (small p = evidence against proportional hazards for that term); NaN for a
    model with delayed entry (not implemented in lifelines).
    """

    table: pd.DataFrame
    ph_test: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    log_likelihood: float
    lr_stat: float
    lr_df: int
    lr_p: float
    concordance: float
    level: float
    ph_transform: str
    reference_levels: dict[str, str] = field(default_factory=dict)
    fitted: Any = None

    def fit_table(self) -> pd.DataFrame:
        """One-row-per-statistic summary of the fit (for display)."""
        return pd.DataFrame({
            "statistic": ["n", "events", "rows dropped (missing / never at risk)",
                          "partial log-likelihood",
                          "LR chi2", "LR df", "LR p-value", "concordance (Harrell's C)"],
            "value": [self.n, self.n_events, self.n_dropped, self.log_likelihood, self.lr_stat,
                      self.lr_df, self.lr_p, self.concordance],
        })


def fit_cox(df: pd.DataFrame, duration: str, covariates: Sequence[str],
            event: str | None = None, censor: str | None = None,
            reference: dict[str, Any] | None = None,
            categorical: Sequence[str] | None = None, level: float = 0.95,
            ph_transform: str = "km", missing: str = "raise",
            entry: str | None = None) -> CoxResult:
    """Cox proportional-hazards model with hazard ratios and a proportional-hazards check.

    Covariates are coded by ``design_matrix`` (treatment coding; see ``churn_models``). Ties:
    Efron. ``ph_transform`` is the time transform of the Schoenfeld-residual test (``'km'``,
    R's default, ``'rank'``, ``'identity'`` or ``'log'``). ``missing='drop'`` drops incomplete
    rows (counted in ``n_dropped``). With ``entry`` (delayed entry) the risk set at time t is
    {i: entry_i < t <= duration_i}; rows with entry = duration are never at risk and are left
    out (counted in ``n_dropped``) (lifelines ``entry_col``; R ``coxph(Surv(entry, time,
    event) ~ ...)``). Fitting failures (non-convergence, separation) are raised as
    ``ConvergenceError`` / ``EstimationError``.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError as LLConvergenceError
    from lifelines.exceptions import ConvergenceWarning as LLConvergenceWarning
    from lifelines.statistics import proportional_hazard_test

    z = _z(level)
    if ph_transform not in PH_TRANSFORMS:
        raise ParameterError(f"ph_transform must be one of {list(PH_TRANSFORMS)}, got "
                             f"{ph_transform!r}")
    df = _check_frame(df)
    covariates = list(covariates)
    if not covariates:
        raise SpecError("fit_cox: no covariates given")
    flag = _event_flag(event, censor)
    time_cols = [duration, flag] + ([entry] if entry else [])
    _check_columns(df, [*time_cols, *covariates], "fit_cox")
    data = _complete_rows(df, [*time_cols, *covariates], missing)
    n_dropped = len(df) - len(data)
    t, e, en = survival_data(data, duration, event, censor, entry)
    if en is not None and np.any(en >= t):
        # censored at their entry time: never at risk, no contribution to the partial likelihood
        keep = en < t
        data, t, e, en = data[keep], t[keep], e[keep], en[keep]
        n_dropped += int((~keep).sum())
    if e.sum() == 0:
        raise EstimationError("fit_cox: there are no events; hazard ratios are undefined")
    X = design_matrix(data, covariates, reference=reference, categorical=categorical)
    reserved = {"__duration", "__event", "__entry"}
    if reserved & set(X.columns):
        raise SpecError(f"fit_cox: covariate names {sorted(reserved)} are reserved")
    frame = X.reset_index(drop=True).copy()
    frame["__duration"] = t
    frame["__event"] = e
    if en is not None:
        frame["__entry"] = en
    cph = CoxPHFitter(penalizer=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LLConvergenceWarning)
        try:
            cph.fit(frame, duration_col="__duration", event_col="__event",
                    entry_col="__entry" if en is not None else None)
        except LLConvergenceWarning as exc:
            raise EstimationError(f"fit_cox: the fit is unstable — some covariate (nearly) "
                                  f"separates churners from stayers or has too little "
                                  f"variation ({str(exc).splitlines()[0]})") from exc
        except LLConvergenceError as exc:
            raise ConvergenceError(f"fit_cox: Newton-Raphson failed to converge: {exc}") from exc
    params = cph.params_.reindex(X.columns).to_numpy(dtype=float)
    se = cph.standard_errors_.reindex(X.columns).to_numpy(dtype=float)
    if not np.all(np.isfinite(se)):
        raise EstimationError("fit_cox: non-finite standard errors (singular information)")
    zval = params / se
    table = pd.DataFrame({
        "term": list(X.columns), "coef": params, "std_err": se, "z": zval,
        "p_value": 2.0 * stats.norm.sf(np.abs(zval)), "hazard_ratio": np.exp(params),
        "ci_low": np.exp(params - z * se), "ci_high": np.exp(params + z * se),
    })
    if en is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ph = proportional_hazard_test(cph, frame, time_transform=ph_transform)
        ph_sum = ph.summary
        ph_table = pd.DataFrame({
            "term": [str(i if not isinstance(i, tuple) else i[0]) for i in ph_sum.index],
            "statistic": ph_sum["test_statistic"].to_numpy(dtype=float),
            "p_value": ph_sum["p"].to_numpy(dtype=float),
        })
        ph_table = ph_table.set_index("term").reindex(list(X.columns)).reset_index()
        ph_table["transform"] = ph_transform
    else:  # lifelines has no Schoenfeld residuals under delayed entry
        ph_table = pd.DataFrame({"term": list(X.columns), "statistic": np.nan,
                                 "p_value": np.nan,
                                 "transform": "not available with delayed entry"})
    lr = cph.log_likelihood_ratio_test()
    return CoxResult(
        table=table, ph_test=ph_table, n=len(t), n_events=int(e.sum()), n_dropped=n_dropped,
        log_likelihood=float(cph.log_likelihood_), lr_stat=float(lr.test_statistic),
        lr_df=int(lr.degrees_freedom), lr_p=float(lr.p_value),
        concordance=float(cph.concordance_index_), level=float(level),
        ph_transform=ph_transform,
        reference_levels=_reference_levels(data, covariates, X, reference),
        fitted=cph,
    )
