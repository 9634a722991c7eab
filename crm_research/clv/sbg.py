"""Shifted-beta-geometric (sBG) model of contractual retention.

Source: Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
Marketing 21(1):76-90 (model section and appendix B). Each customer renews at the end of
every period with probability 1 - theta, theta ~ Beta(alpha, beta) across customers::

    P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)      t = 1, 2, ...
    S(t)     = B(alpha, beta+t) / B(alpha, beta)
    r_t      = S(t)/S(t-1) = (beta+t-1) / (alpha+beta+t-1)   (retention rate of period t)

Fit on a survivor table n_0 >= n_1 >= ... >= n_k (n_0 = cohort size): the log-likelihood is
``sum_t (n_{t-1} - n_t) log P(T=t) + n_k log S(k)`` (appendix B, eq. B3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln

from crm_research.clv.core import fit_mle
from crm_research.clv.results import FitResult, check_params
from crm_research.errors import DataError

NAMES = ["alpha", "beta"]
MODEL = "sBG"


def _check_survivors(survivors) -> np.ndarray:
    n = np.asarray(survivors, dtype=float)
    if n.ndim != 1 or len(n) < 2:
        raise DataError(f"{MODEL}: need survivor counts n_0, n_1, ... (at least two values)")
    if not np.all(np.isfinite(n)) or np.any(n < 0):
        raise DataError(f"{MODEL}: survivor counts must be finite and >= 0, got {n}")
    if np.any(np.diff(n) > 0):
        i = int(np.argmax(np.diff(n) > 0)) + 1
        raise DataError(f"{MODEL}: survivor counts must not increase (period {i}: {n[i]} > "
                        f"{n[i - 1]})")
    if n[0] <= 0:
        raise DataError(f"{MODEL}: cohort size n_0 must be > 0")
    return n


def _rows(n: np.ndarray):
    k = len(n) - 1
    t = np.r_[np.arange(1, k + 1), k].astype(float)
    censored = np.r_[np.zeros(k, bool), True]
    w = np.r_[n[:-1] - n[1:], n[-1]]
    return t, censored, w


def _loglik(theta, t, censored):
    a, b = theta
    base = betaln(a, b)
    return np.where(censored, betaln(a, b + t) - base, betaln(a + 1, b + t - 1) - base)


class SBGFit(FitResult):
    """A fitted sBG retention model (``n`` is the cohort size n_0)."""

    NAMES = NAMES
    MODEL = MODEL

    def survival(self, t) -> np.ndarray:
        """S(t) at the estimates."""
        return sbg_survival(self.params, t)

    def retention_rate(self, t) -> np.ndarray:
        """r_t at the estimates."""
        return sbg_retention_rate(self.params, t)

    def projection(self, survivors, horizon: int) -> pd.DataFrame:
        """Projected vs actual survivors (:func:`sbg_projection`)."""
        return sbg_projection(self.params, survivors, horizon)

    def expected_lifetime_value(self, margin: float, discount_rate: float,
                                horizon: int = 1000) -> float:
        """E[CLV] of a new customer (:func:`sbg_expected_lifetime_value`)."""
        return sbg_expected_lifetime_value(self.params, margin, discount_rate, horizon)


def fit_sbg(survivors, l2: float = 0.0, start=(1.0, 1.0), level: float = 0.95,
            raise_on_failure: bool = True) -> SBGFit:
    """ML fit of the sBG to survivor counts ``n_0..n_k`` (``n`` in the result is n_0)."""
    n = _check_survivors(survivors)
    t, censored, w = _rows(n)
    fit = fit_mle(MODEL, NAMES, lambda th: _loglik(th, t, censored), np.asarray(start, float),
                  w, l2=l2, level=level, raise_on_failure=raise_on_failure,
                  result_class=SBGFit)
    assert isinstance(fit, SBGFit)
    return fit


def sbg_survival(params, t) -> np.ndarray:
    """S(t) = B(alpha, beta+t)/B(alpha, beta), t = 0, 1, 2, ..."""
    a, b = check_params(params, NAMES, MODEL)
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(a, b + t) - betaln(a, b))


def sbg_retention_rate(params, t) -> np.ndarray:
    """r_t = (beta+t-1)/(alpha+beta+t-1), t = 1, 2, ... (increasing in t: sorting effect)."""
    a, b = check_params(params, NAMES, MODEL)
    t = np.asarray(t, dtype=float)
    return (b + t - 1) / (a + b + t - 1)


def sbg_projection(params, survivors, horizon: int) -> pd.DataFrame:
    """Projected vs actual survivors for periods 0..horizon.

    ``survivors`` are the actual counts available (may extend beyond the fitted periods; the
    missing ones are NaN). Columns: period, actual, projected (= n_0 S(t)), error_pct,
    actual_retention, projected_retention.
    """
    n = _check_survivors(survivors)
    t = np.arange(horizon + 1)
    proj = n[0] * sbg_survival(params, t)
    actual = np.full(horizon + 1, np.nan)
    m = min(len(n), horizon + 1)
    actual[:m] = n[:m]
    ret_a = np.r_[np.nan, actual[1:] / actual[:-1]]
    ret_p = np.r_[np.nan, sbg_retention_rate(params, t[1:])]
    return pd.DataFrame({"period": t, "actual": actual, "projected": proj,
                         "error_pct": 100 * (proj - actual) / actual,
                         "actual_retention": ret_a, "projected_retention": ret_p})


def sbg_expected_lifetime_value(params, margin: float, discount_rate: float,
                                horizon: int = 1000) -> float:
    """E[CLV] of a new customer paying ``margin`` at the start of each period while active:
    ``sum_{t=0}^{horizon-1} margin S(t) / (1+d)^t`` (expected discounted value under the sBG,
    as in Fader & Hardie 2010, "Customer-base valuation in a contractual setting", Marketing
    Science 29(1); here the sum is truncated at ``horizon`` periods)."""
    t = np.arange(horizon)
    return float(margin * np.sum(sbg_survival(params, t) / (1 + discount_rate) ** t))
