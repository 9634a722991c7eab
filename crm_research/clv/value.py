"""Customer lifetime value: the public face of the customer-value models.

Models (each in its own module, formulas and sources there):

* BG/NBD — :mod:`crm_research.clv.bgnbd` (Fader, Hardie & Lee 2005)
* Pareto/NBD — :mod:`crm_research.clv.pareto_nbd` (Schmittlein, Morrison & Colombo 1987)
* Gamma-Gamma spend — :mod:`crm_research.clv.gamma_gamma` (Fader, Hardie & Lee 2005; note 2013)
* shifted-beta-geometric retention — :mod:`crm_research.clv.sbg` (Fader & Hardie 2007)
* fitting mechanism (log-parameter ML, Hessian standard errors, L2, collapsed weighted fit) —
  :mod:`crm_research.clv.core`

This module adds what combines them: discounted CLV over a horizon, holdout checks
(conditional expectations by calibration frequency; cumulative repeat-purchase tracking) and
the retention-economics what-if.

Discounting (documented convention): the horizon is cut into ``n_periods`` periods of
``period_days`` days (default one month = 30.4375 days). The expected number of transactions
of customer i in period k is ``E[Y(k L) | x, t_x, T] - E[Y((k-1) L) | x, t_x, T]`` (L = period
length in model time units), each period's value is discounted at the END of the period with
the per-period rate ``d_p = (1 + annual_rate)^(period_days/365.25) - 1``::

    CLV_i = margin * E[spend_i] * sum_{k=1..K} dE_ik / (1 + d_p)^k

(Fader, Hardie & Lee 2005 JMR use the continuous analogue, "discounted expected transactions";
the discrete monthly sum is the common practical version, e.g. lifetimes' ``customer_lifetime
_value``.) ``E[spend_i]`` is the Gamma-Gamma conditional expected spend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from crm_research.clv.bgnbd import (
    bgnbd_conditional_expected_purchases,
    bgnbd_expected_purchases,
    bgnbd_loglik,
    bgnbd_probability_alive,
    bgnbd_probability_n_purchases,
    fit_bgnbd,
)
from crm_research.clv.core import FitResult, check_params, collapse_rows, fit_mle
from crm_research.clv.gamma_gamma import (
    fit_gamma_gamma,
    gamma_gamma_conditional_spend,
    gamma_gamma_loglik,
    gamma_gamma_population_mean,
    spend_frequency_correlation,
)
from crm_research.clv.pareto_nbd import (
    fit_pareto_nbd,
    pareto_nbd_conditional_expected_purchases,
    pareto_nbd_expected_purchases,
    pareto_nbd_loglik,
    pareto_nbd_probability_alive,
)
from crm_research.clv.sbg import (
    fit_sbg,
    sbg_expected_lifetime_value,
    sbg_projection,
    sbg_retention_rate,
    sbg_survival,
)
from crm_research.data.transactions import cohort_first_days, unit_days
from crm_research.errors import DataError, ParameterError

__all__ = [
    "FitResult", "check_params", "collapse_rows", "fit_mle",
    "fit_bgnbd", "bgnbd_loglik", "bgnbd_expected_purchases", "bgnbd_probability_alive",
    "bgnbd_conditional_expected_purchases", "bgnbd_probability_n_purchases",
    "fit_pareto_nbd", "pareto_nbd_loglik", "pareto_nbd_expected_purchases",
    "pareto_nbd_probability_alive", "pareto_nbd_conditional_expected_purchases",
    "fit_gamma_gamma", "gamma_gamma_loglik", "gamma_gamma_conditional_spend",
    "gamma_gamma_population_mean", "spend_frequency_correlation",
    "fit_sbg", "sbg_survival", "sbg_retention_rate", "sbg_projection",
    "sbg_expected_lifetime_value",
    "MODELS", "conditional_expected_purchases", "expected_purchases", "probability_alive",
    "period_discount_rate", "customer_lifetime_value", "holdout_by_frequency",
    "holdout_totals", "cumulative_tracking", "retention_whatif_constant",
    "retention_whatif_models", "calibration_frequency_fit", "PUBLISHED",
    "published_comparison", "fit_status", "clv_distribution", "sbg_fit_segments",
    "bgnbd_recovery_check",
]

#: Transaction models: name -> (conditional expectation, unconditional expectation, P(alive)).
MODELS: dict[str, tuple[Callable, Callable, Callable]] = {
    "bgnbd": (bgnbd_conditional_expected_purchases, bgnbd_expected_purchases,
              bgnbd_probability_alive),
    "pareto_nbd": (pareto_nbd_conditional_expected_purchases, pareto_nbd_expected_purchases,
                   pareto_nbd_probability_alive),
}


def _model(name: str):
    try:
        return MODELS[name]
    except KeyError:
        raise ParameterError(
            f"model {name!r} is not known; expected one of {list(MODELS)}"
        ) from None


def conditional_expected_purchases(model: str, params, t, summary: pd.DataFrame) -> np.ndarray:
    """E[Y(t) | x, t_x, T] for every customer of ``summary`` under ``model``."""
    return _model(model)[0](params, t, summary["frequency"], summary["recency"], summary["T"])


def expected_purchases(model: str, params, t) -> np.ndarray:
    """E[X(t)] of a new customer under ``model``."""
    return _model(model)[1](params, t)


def probability_alive(model: str, params, summary: pd.DataFrame) -> np.ndarray:
    """P(alive | x, t_x, T) for every customer of ``summary`` under ``model``."""
    return _model(model)[2](params, summary["frequency"], summary["recency"], summary["T"])


def period_discount_rate(annual_rate: float, period_days: float = 30.4375) -> float:
    """Per-period rate equivalent to ``annual_rate``: (1 + annual)^(period_days/365.25) - 1."""
    if not np.isfinite(annual_rate) or annual_rate <= -1:
        raise ParameterError(f"discount rate must be > -1, got {annual_rate}")
    return (1.0 + annual_rate) ** (period_days / 365.25) - 1.0


def customer_lifetime_value(
    model: str,
    params,
    summary: pd.DataFrame,
    spend_params=None,
    margin: float = 1.0,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    time_unit: str = "W",
    period_days: float = 30.4375,
) -> pd.DataFrame:
    """Discounted CLV per customer over ``horizon_months`` periods (module docstring).

    ``spend_params``: fitted Gamma-Gamma parameters; without them the expected spend per
    transaction is the customer's observed ``monetary`` value (0 when x = 0) — pass them.
    Returns columns frequency, recency, T, p_alive, expected_purchases (undiscounted, whole
    horizon), expected_spend, clv.
    """
    if horizon_months <= 0 or int(horizon_months) != horizon_months:
        raise ParameterError(f"horizon_months must be a positive integer, got {horizon_months}")
    if margin < 0:
        raise ParameterError(f"margin must be >= 0, got {margin}")
    cond, _, palive = _model(model)
    L = period_days / unit_days(time_unit)
    d = period_discount_rate(annual_discount_rate, period_days)
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    cum_prev = np.zeros(len(summary))
    disc_total = np.zeros(len(summary))
    for k in range(1, int(horizon_months) + 1):
        cum = cond(params, k * L, x, tx, T)
        disc_total += (cum - cum_prev) / (1 + d) ** k
        cum_prev = cum
    if spend_params is not None:
        spend = gamma_gamma_conditional_spend(spend_params, x, summary["monetary"])
    else:
        spend = np.nan_to_num(summary["monetary"].to_numpy(dtype=float), nan=0.0)
    out = pd.DataFrame(
        {"frequency": x.to_numpy(), "recency": tx.to_numpy(), "T": T.to_numpy(),
         "p_alive": palive(params, x, tx, T), "expected_purchases": cum_prev,
         "discounted_purchases": disc_total, "expected_spend": spend,
         "clv": margin * spend * disc_total},
        index=summary.index,
    )
    return out


def holdout_by_frequency(summary: pd.DataFrame, predictions: dict[str, np.ndarray],
                         max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency (FHL 2005 Fig. 4).

    ``predictions`` maps a model name to per-customer conditional expectations over the
    holdout. Frequencies above ``max_frequency`` are pooled into one ``>=max`` row.
    """
    if "frequency_holdout" not in summary:
        raise DataError("summary has no holdout columns; summarise with a calibration_end")
    f = summary["frequency"].to_numpy()
    label = np.where(f >= max_frequency, f"{max_frequency}+", f.astype(str))
    frame = pd.DataFrame({"frequency": label, "actual": summary["frequency_holdout"].to_numpy()})
    for name, pred in predictions.items():
        frame[name] = np.asarray(pred, dtype=float)
    order = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    g = frame.groupby("frequency", sort=False)
    out = g.mean()
    out.insert(0, "n_customers", g.size())
    out = out.reindex([o for o in order if o in out.index])
    out.index.name = "calibration_frequency"
    return out.reset_index()


def holdout_totals(summary: pd.DataFrame, predictions: dict[str, np.ndarray]) -> pd.DataFrame:
    """Total actual vs predicted holdout repeat purchases and the error per model."""
    actual = float(summary["frequency_holdout"].sum())
    rows = [{"model": "actual", "holdout_purchases": actual, "error_pct": 0.0}]
    for name, pred in predictions.items():
        tot = float(np.sum(pred))
        rows.append({"model": name, "holdout_purchases": tot,
                     "error_pct": 100 * (tot - actual) / actual if actual else np.nan})
    return pd.DataFrame(rows)


def cumulative_tracking(
    daily_repeats: pd.Series,
    summary: pd.DataFrame,
    params_by_model: dict[str, object],
    start: object,
    time_unit: str = "W",
    step_days: int = 7,
) -> pd.DataFrame:
    """Cumulative repeat purchases, actual vs model, every ``step_days`` (FHL 2005 Fig. 3).

    ``daily_repeats``: repeat occasions per day of the cohort (from
    :func:`crm_research.data.transactions.repeat_transactions_by_day`). The model curve at time t is
    ``sum_i E[X(t - s_i)]`` over customers whose first purchase s_i precedes t (unconditional
    expectation, so it is a forecast for the whole period, not a fit).
    """
    u = unit_days(time_unit)
    first = cohort_first_days(summary, start, "D")
    d0 = pd.Timestamp(start).normalize()
    days = (daily_repeats.index - d0).days.to_numpy()
    keep = days >= 0
    cum = np.cumsum(daily_repeats.to_numpy()[keep])
    days = days[keep]
    if len(days) == 0:
        raise DataError("cumulative_tracking: no repeat-purchase days on or after the start")
    ends = np.arange(step_days - 1, days.max() + 1, step_days)
    pos = np.searchsorted(days, ends, side="right") - 1  # last day <= end of each step
    actual = np.where(pos >= 0, cum[np.maximum(pos, 0)], 0)
    out = pd.DataFrame({"period": np.arange(1, len(ends) + 1),
                        "date": d0 + pd.to_timedelta(ends, unit="D"), "actual": actual})
    # customers grouped by first-purchase day for speed
    (uf,), counts = collapse_rows(first)
    for name, params in params_by_model.items():
        unc = _model(name)[1]
        vals = []
        for e in ends:
            age = (e + 1 - uf) / u  # time elapsed by the end of day e
            age = np.clip(age, 0.0, None)
            vals.append(float(np.dot(counts, np.where(age > 0, unc(params, age), 0.0))))
        out[name] = vals
    return out


def calibration_frequency_fit(params, summary: pd.DataFrame, max_frequency: int = 7
                              ) -> pd.DataFrame:
    """Actual vs BG/NBD-expected number of customers by calibration frequency.

    Expected counts use P(X(T_i) = x) per customer (FHL 2005 eq. 8) summed over customers.
    """
    f = summary["frequency"].to_numpy()
    (uT,), counts = collapse_rows(summary["T"].to_numpy())
    rows = []
    ks = np.arange(max_frequency)
    exp = np.zeros(max_frequency)
    for Ti, c in zip(uT, counts, strict=True):
        exp += c * bgnbd_probability_n_purchases(params, Ti, ks)
    for k in ks:
        rows.append({"frequency": str(k), "actual": int((f == k).sum()), "bgnbd": exp[k]})
    rows.append({"frequency": f"{max_frequency}+", "actual": int((f >= max_frequency).sum()),
                 "bgnbd": len(f) - exp.sum()})
    return pd.DataFrame(rows)


def retention_whatif_constant(
    retention_rates=(0.5, 0.6, 0.7, 0.8, 0.9), delta: float = 0.05,
    annual_discount_rate: float = 0.10, margin: float = 1.0,
) -> pd.DataFrame:
    """CLV of a customer paying ``margin`` per year while retained, retention r per year.

    Simple geometric retention (Gupta & Lehmann 2003, "Customers as assets", J. Interactive
    Marketing 17(1)): margin at the start of every year, infinite horizon::

        CLV(r) = margin * sum_{t>=0} (r/(1+d))^t = margin * (1+d) / (1+d-r)

    The table shows how CLV (and so profit from the cohort, margin being constant) changes when
    r rises by ``delta``. Assumptions: constant margin, no acquisition cost, no referral or
    spend-growth effects (those are part of Reichheld & Sasser's 1990 claimed +25-95%).
    """
    d = annual_discount_rate
    rows = []
    for r in retention_rates:
        r2 = r + delta
        if not (0 <= r < 1 and r2 < 1 + d):
            raise ParameterError(f"retention {r} (+{delta}) is outside [0, 1)")
        base = margin * (1 + d) / (1 + d - r)
        new = margin * (1 + d) / (1 + d - r2)
        rows.append({"model": "constant retention", "baseline_retention": r,
                     "new_retention": r2, "clv_baseline": base, "clv_new": new,
                     "clv_change_pct": 100 * (new / base - 1)})
    return pd.DataFrame(rows)


def retention_whatif_models(
    sbg_params: dict[str, object] | None = None,
    bgnbd_params=None,
    delta: float = 0.05,
    annual_discount_rate: float = 0.10,
    horizon_years: int = 50,
    time_unit: str = "W",
    weeks_per_year: float = 365.25 / 7,
) -> pd.DataFrame:
    """Retention +``delta`` what-if under heterogeneous models (documented assumptions).

    * sBG (per fitted segment): the MEAN churn probability alpha/(alpha+beta) is lowered by
      ``delta`` holding alpha fixed (beta' = alpha/(alpha/(alpha+beta) - delta) - alpha); CLV of
      a new customer paying 1 per year = sum_t S(t)/(1+d)^t over ``horizon_years``.
    * BG/NBD: "retention" is 1 - E[p], the chance of staying active after a purchase; E[p] =
      a/(a+b) is lowered by ``delta`` holding a fixed; value = discounted expected repeat
      purchases of a new customer over ``horizon_years`` (yearly steps, end-of-year discount).
      When E[p] <= ``delta`` the row is reported as not applicable (NaN values).
    """
    rows = []
    d = annual_discount_rate
    for name, params in (sbg_params or {}).items():
        a, b = check_params(params, ["alpha", "beta"], "sBG")
        churn = a / (a + b)
        if churn - delta <= 0:
            raise ParameterError(f"sBG {name}: mean churn {churn:.3f} is below delta {delta}")
        b2 = a / (churn - delta) - a
        base = sbg_expected_lifetime_value({"alpha": a, "beta": b}, 1.0, d, horizon_years)
        new = sbg_expected_lifetime_value({"alpha": a, "beta": b2}, 1.0, d, horizon_years)
        rows.append({"model": f"sBG {name}", "baseline_retention": 1 - churn,
                     "new_retention": 1 - churn + delta, "clv_baseline": base, "clv_new": new,
                     "clv_change_pct": 100 * (new / base - 1)})
    if bgnbd_params is not None:
        r, alpha, a, b = check_params(bgnbd_params, ["r", "alpha", "a", "b"], "BG/NBD")
        p = a / (a + b)
        if p - delta <= 0:  # nothing to lower (e.g. the NBD limit a -> 0): not applicable
            rows.append({"model": "BG/NBD (per-purchase retention): mean dropout below delta, "
                         "not applicable", "baseline_retention": 1 - p,
                         "new_retention": np.nan, "clv_baseline": np.nan, "clv_new": np.nan,
                         "clv_change_pct": np.nan})
            return pd.DataFrame(rows)
        b2 = a / (p - delta) - a
        years = np.arange(1, horizon_years + 1)
        t = years * weeks_per_year * 7 / unit_days(time_unit)
        vals = []
        for bb in (b, b2):
            pr = {"r": r, "alpha": alpha, "a": a, "b": bb}
            cum = bgnbd_expected_purchases(pr, t)
            inc = np.diff(np.r_[0.0, cum])
            vals.append(float(np.sum(inc / (1 + d) ** years)))
        rows.append({"model": "BG/NBD (per-purchase retention)", "baseline_retention": 1 - p,
                     "new_retention": 1 - p + delta, "clv_baseline": vals[0], "clv_new": vals[1],
                     "clv_change_pct": 100 * (vals[1] / vals[0] - 1)})
    return pd.DataFrame(rows)


#: Published estimates on the CDNOW 1/10 sample (39-week calibration) and the Fader-Hardie
#: (2007) retention table; sources in tests/test_clv.py.
PUBLISHED: dict[str, dict[str, float]] = {
    "BG/NBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4},
    "Pareto/NBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669,
                   "log_likelihood": -9595.0},
    "Gamma-Gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
    "sBG regular": {"alpha": 0.704, "beta": 1.182},
    "sBG high_end": {"alpha": 0.668, "beta": 3.806},
}
PUBLISHED_SOURCES = {
    "BG/NBD": "Fader, Hardie & Lee (2005), Marketing Science 24(2)",
    "Pareto/NBD": "Fader, Hardie & Lee (2005), Marketing Science 24(2) (Pareto/NBD benchmark)",
    "Gamma-Gamma": "Fader & Hardie (2013), Gamma-Gamma note",
    "sBG regular": "Fader & Hardie (2007), J. Interactive Marketing 21(1)",
    "sBG high_end": "Fader & Hardie (2007), J. Interactive Marketing 21(1)",
}


def fit_status(fits: dict[str, FitResult]) -> pd.DataFrame:
    """One row per fit: converged, log-likelihood, customers, rows, iterations, message."""
    return pd.DataFrame([
        {"model": name, "converged": f.converged, "log_likelihood": f.log_likelihood,
         "customers": f.n, "rows_fitted": f.n_rows, "iterations": f.n_iter,
         "message": f.message}
        for name, f in fits.items()
    ])


def published_comparison(fits: dict[str, FitResult]) -> pd.DataFrame:
    """Our estimates next to the published ones (rounded as published) for the given fits,
    keyed by the names of :data:`PUBLISHED`."""
    rows = []
    for name, fit in fits.items():
        pub = PUBLISHED.get(name)
        if pub is None:
            continue
        for par, val in pub.items():
            est = fit.log_likelihood if par == "log_likelihood" else float(fit.params[par])
            decimals = len(f"{val}".split(".")[1]) if "." in f"{val}" else 0
            rows.append({"model": name, "parameter": par, "estimate": est, "published": val,
                         "matches_at_published_precision": bool(round(est, decimals) == val),
                         "source": PUBLISHED_SOURCES[name]})
    return pd.DataFrame(rows)


def clv_distribution(values, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9, 0.99)) -> pd.DataFrame:
    """Mean, quantiles, maximum and total of per-customer CLV."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0 or not np.all(np.isfinite(v)):
        raise DataError("clv_distribution: values must be finite and non-empty")
    rows = [("customers", float(len(v))), ("mean", float(v.mean()))]
    rows += [(f"quantile {q:g}", float(np.quantile(v, q))) for q in quantiles]
    rows += [("max", float(v.max())), ("total", float(v.sum()))]
    return pd.DataFrame(rows, columns=["statistic", "value"])


def sbg_fit_segments(table: pd.DataFrame, segments: list[str], fit_periods: int,
                     period_col: str = "year") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit the sBG to periods 0..fit_periods of each segment column of a survivor table and
    project to its last period. Returns ``(params, projection)``: params has segment,
    parameter, estimate, std_error (log_likelihood as a row); projection has segment,
    period, actual, projected, error_pct, fitted (bool: period used in the fit)."""
    if fit_periods < 1 or fit_periods >= len(table):
        raise ParameterError(f"fit_periods must be in 1..{len(table) - 1}, got {fit_periods}")
    if period_col not in table:
        raise DataError(f"survivor table has no period column {period_col!r}")
    table = table.sort_values(period_col)
    params, proj = [], []
    for seg in segments:
        if seg not in table:
            raise DataError(f"survivor table has no column {seg!r}")
        n = table[seg].to_numpy(dtype=float)
        fit = fit_sbg(n[: fit_periods + 1])
        params.append(fit.to_frame().assign(segment=seg))
        p = sbg_projection(fit.params, n, len(n) - 1)
        p.insert(0, "segment", seg)
        p["fitted"] = p["period"] <= fit_periods
        proj.append(p)
    par = pd.concat(params, ignore_index=True)
    par = par[["segment", "parameter", "estimate", "std_error"]]
    return par, pd.concat(proj, ignore_index=True)


def bgnbd_recovery_check(fit: FitResult, summary: pd.DataFrame, seed: int = 0,
                         resolution: float | None = 1 / 7) -> pd.DataFrame:
    """Simulate customers from the fitted BG/NBD with the same ages T, refit, compare.

    A check that the estimator recovers known parameters on data shaped like the real data
    (same number of customers and observation lengths); ``resolution`` rounds simulated
    times to days when the unit is weeks.
    """
    from crm_research.clv.simulate import simulate_bgnbd

    T = summary["T"].to_numpy(dtype=float)
    T = T[T > 0]  # customers first seen on the last day carry no information
    sim = simulate_bgnbd(fit.params, len(T), T, seed=seed, resolution=resolution)
    refit = fit_bgnbd(sim["frequency"], sim["recency"], sim["T"], raise_on_failure=False)
    out = pd.DataFrame({"parameter": fit.params.index, "true": fit.params.to_numpy(),
                        "estimate": refit.params.to_numpy(),
                        "std_error": refit.std_errors.to_numpy()})
    out["z"] = (out["estimate"] - out["true"]) / out["std_error"]
    return out
