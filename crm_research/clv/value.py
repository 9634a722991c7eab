"""Customer lifetime value: the public face of the customer-value models.

Models (each in its own module, formulas and sources there):

* BG/NBD — :mod:`crm_research.clv.bgnbd` (Fader, Hardie & Lee 2005)
* Pareto/NBD — :mod:`crm_research.clv.pareto_nbd` (Schmittlein, Morrison & Colombo 1987)
* Gamma-Gamma spend — :mod:`crm_research.clv.gamma_gamma` (Fader, Hardie & Lee 2005; note 2013)
* shifted-beta-geometric retention — :mod:`crm_research.clv.sbg` (Fader & Hardie 2007)
* fitting mechanism (log-parameter ML, Hessian standard errors, L2, collapsed weighted fit) —
  :mod:`crm_research.clv.core`

This module adds what combines fitted models: discounted CLV over a horizon, holdout checks
(conditional expectations by calibration frequency; cumulative repeat-purchase tracking), fit
status and published-value tables. Fitted models predict through their own methods
(``bg = fit_bgnbd(...); bg.conditional_expected_purchases(t, summary)``); the functions here
take fitted results, never a model name. Retention economics: :mod:`crm_research.clv.retention`;
value concentration: :mod:`crm_research.clv.concentration`.

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

import numpy as np
import pandas as pd

from crm_research.clv.bgnbd import BGNBDFit, fit_bgnbd
from crm_research.clv.core import collapse_rows
from crm_research.clv.gamma_gamma import GammaGammaFit, gamma_gamma_conditional_spend
from crm_research.clv.results import FitResult, TransactionFit, rfm_columns
from crm_research.data.transactions import cohort_first_days, unit_days
from crm_research.errors import DataError, ParameterError


def _transaction_fit(fit, what: str = "fit") -> TransactionFit:
    if not isinstance(fit, TransactionFit):
        raise ParameterError(f"{what} must be a fitted purchase model (fit_bgnbd / "
                             f"fit_pareto_nbd result), got {type(fit).__name__}")
    return fit


def period_discount_rate(annual_rate: float, period_days: float = 30.4375) -> float:
    """Per-period rate equivalent to ``annual_rate``: (1 + annual)^(period_days/365.25) - 1."""
    if not np.isfinite(annual_rate) or annual_rate <= -1:
        raise ParameterError(f"discount rate must be > -1, got {annual_rate}")
    return (1.0 + annual_rate) ** (period_days / 365.25) - 1.0


def customer_lifetime_value(
    fit: TransactionFit,
    summary: pd.DataFrame,
    spend: GammaGammaFit | None = None,
    margin: float = 1.0,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    time_unit: str = "W",
    period_days: float = 30.4375,
) -> pd.DataFrame:
    """Discounted CLV per customer over ``horizon_months`` periods (module docstring).

    ``fit``: a fitted purchase model (BG/NBD or Pareto/NBD); ``spend``: a fitted Gamma-Gamma
    model — without it the expected spend per transaction is the customer's observed
    ``monetary`` value (0 when x = 0). Returns columns frequency, recency, T, p_alive,
    expected_purchases (undiscounted, whole horizon), discounted_purchases, expected_spend,
    clv.
    """
    fit = _transaction_fit(fit)
    if horizon_months <= 0 or int(horizon_months) != horizon_months:
        raise ParameterError(f"horizon_months must be a positive integer, got {horizon_months}")
    if margin < 0:
        raise ParameterError(f"margin must be >= 0, got {margin}")
    x, tx, T = rfm_columns(summary, fit.model)
    L = period_days / unit_days(time_unit)
    d = period_discount_rate(annual_discount_rate, period_days)
    cum_prev = np.zeros(len(summary))
    disc_total = np.zeros(len(summary))
    for k in range(1, int(horizon_months) + 1):
        cum = fit.conditional_expected_purchases(k * L, summary)
        disc_total += (cum - cum_prev) / (1 + d) ** k
        cum_prev = cum
    if spend is not None:
        exp_spend = gamma_gamma_conditional_spend(spend, x, summary["monetary"])
    else:
        exp_spend = np.nan_to_num(summary["monetary"].to_numpy(dtype=float), nan=0.0)
    return pd.DataFrame(
        {"frequency": x.to_numpy(), "recency": tx.to_numpy(), "T": T.to_numpy(),
         "p_alive": fit.probability_alive(summary), "expected_purchases": cum_prev,
         "discounted_purchases": disc_total, "expected_spend": exp_spend,
         "clv": margin * exp_spend * disc_total},
        index=summary.index,
    )


def holdout_by_frequency(summary: pd.DataFrame, predictions: dict[str, np.ndarray],
                         max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency (FHL 2005 Fig. 4).

    ``predictions`` maps a model's display name (``fit.model``) to per-customer conditional
    expectations over the holdout (``fit.conditional_expected_purchases(t, summary)``).
    Frequencies above ``max_frequency`` are pooled into one ``>=max`` row.
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


def holdout_predictions(fits: list[TransactionFit], summary: pd.DataFrame
                        ) -> dict[str, np.ndarray]:
    """Each fit's conditional expectation over the holdout (``duration_holdout`` of the
    summary), keyed by the model's display name (input of :func:`holdout_by_frequency`)."""
    if "duration_holdout" not in summary:
        raise DataError("summary has no holdout columns; summarise with a calibration_end")
    length = float(summary["duration_holdout"].iloc[0])
    return {_transaction_fit(f, "each of fits").model:
            f.conditional_expected_purchases(length, summary) for f in fits}


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
    fits: list[TransactionFit],
    start: object,
    time_unit: str = "W",
    step_days: int = 7,
) -> pd.DataFrame:
    """Cumulative repeat purchases, actual vs model, every ``step_days`` (FHL 2005 Fig. 3).

    ``daily_repeats``: repeat occasions per day of the cohort (from
    :func:`crm_research.data.transactions.repeat_transactions_by_day`). The model curve at time t is
    ``sum_i E[X(t - s_i)]`` over customers whose first purchase s_i precedes t (unconditional
    expectation, so it is a forecast for the whole period, not a fit); one column per fitted
    model, named by its display name.
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
    for fit in fits:
        fit = _transaction_fit(fit, "each of fits")
        vals = []
        for e in ends:
            age = (e + 1 - uf) / u  # time elapsed by the end of day e
            age = np.clip(age, 0.0, None)
            vals.append(float(np.dot(counts, np.where(age > 0, fit.expected_purchases(age),
                                                        0.0))))
        out[fit.model] = vals
    return out


def calibration_frequency_fit(fit: BGNBDFit, summary: pd.DataFrame, max_frequency: int = 7
                              ) -> pd.DataFrame:
    """Actual vs BG/NBD-expected number of customers by calibration frequency.

    Expected counts use P(X(T_i) = x) per customer (FHL 2005 eq. 8) summed over customers.
    """
    if not isinstance(fit, BGNBDFit):
        raise ParameterError(f"calibration_frequency_fit needs a BG/NBD fit, got "
                             f"{type(fit).__name__}")
    f = summary["frequency"].to_numpy()
    (uT,), counts = collapse_rows(summary["T"].to_numpy())
    rows = []
    ks = np.arange(max_frequency)
    exp = np.zeros(max_frequency)
    for Ti, c in zip(uT, counts, strict=True):
        exp += c * fit.probability_n_purchases(Ti, ks)
    for k in ks:
        rows.append({"frequency": str(k), "actual": int((f == k).sum()), fit.model: exp[k]})
    rows.append({"frequency": f"{max_frequency}+", "actual": int((f >= max_frequency).sum()),
                 fit.model: len(f) - exp.sum()})
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


def fit_status(fits: list[FitResult]) -> pd.DataFrame:
    """One row per fit (display name ``model``): status, converged, log-likelihood, AIC,
    customers, rows fitted, iterations, seconds, parameters on the bound, message — the
    :meth:`FitResult.fit_table` of each fit side by side."""
    rows = []
    for f in fits:
        t = f.fit_table().set_index("statistic")["value"]
        rows.append({"model": f.model, "status": f.status, "converged": f.converged,
                     "log_likelihood": f.log_likelihood, "AIC": t["AIC"], "customers": f.n,
                     "rows_fitted": f.n_rows, "iterations": f.n_iter,
                     "at_bound": t["at_bound"], "message": f.message})
    return pd.DataFrame(rows)


def fit_failures(fits: list[FitResult]) -> list[str]:
    """One sentence per fit that did not converge (for a report's failed checks)."""
    return [f"The {f.model} fit did not converge (status: {f.status}; {f.message}); its "
            "estimates are the best point found, without standard errors."
            for f in fits if not f.converged]


def published_comparison(fits: list[FitResult]) -> pd.DataFrame:
    """Our estimates next to the published ones (rounded as published) for the given fits,
    matched by their display names (the keys of :data:`PUBLISHED`)."""
    rows = []
    for fit in fits:
        name = fit.model
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
    """Mean, quantiles, maximum and total of per-customer CLV.

    Customers whose CLV is not finite (a model that did not converge can give NaN) are left
    out of the statistics and counted in the row ``customers without a finite CLV``; when no
    value is finite the statistics are NaN (reported, not raised).
    """
    v = np.asarray(values, dtype=float).ravel()
    if len(v) == 0:
        raise DataError("clv_distribution: no values given")
    ok = np.isfinite(v)
    f = v[ok]
    rows = [("customers", float(len(v))),
            ("customers without a finite CLV", float((~ok).sum()))]
    if len(f):
        rows += [("mean", float(f.mean()))]
        rows += [(f"quantile {q:g}", float(np.quantile(f, q))) for q in quantiles]
        rows += [("max", float(f.max())), ("total", float(f.sum()))]
    else:
        rows += [("mean", np.nan)] + [(f"quantile {q:g}", np.nan) for q in quantiles]
        rows += [("max", np.nan), ("total", np.nan)]
    return pd.DataFrame(rows, columns=["statistic", "value"])


def bgnbd_recovery_check(fit: BGNBDFit, summary: pd.DataFrame, seed: int = 0,
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
