"""Gamma-Gamma model of monetary value.

Source: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
analysis", Journal of Marketing Research 42(4):415-430, and Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value" (brucehardie.com/notes/025).

Story: a customer's transaction values are i.i.d. Gamma(p, nu) (shape p, rate nu), and
nu ~ Gamma(q, gamma) across customers; the spend process is independent of the transaction
process (check with :func:`spend_frequency_correlation`). For a customer with x > 0 repeat
transactions of mean value m_x the density of m_x is (note)::

    f(m_x | p, q, gamma, x) = G(px+q) / (G(px) G(q)) * gamma^q m_x^(px-1) x^(px)
                              / (gamma + m_x x)^(px+q)

and the conditional expectation of her mean spend (note) is::

    E[M | p, q, gamma, m_x, x] = (p (gamma + m_x x)) / (p x + q - 1)
        = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m_x      (needs q > 1)

Only customers with x > 0 and m_x > 0 enter the fit (as in the note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from crm_research.clv.core import collapse_rows, fit_mle, weighted_sum
from crm_research.clv.results import FitResult, check_params
from crm_research.errors import DataError, ParameterError

NAMES = ["p", "q", "gamma"]
MODEL = "Gamma-Gamma"


def _check(frequency, monetary, drop: bool) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary, dtype=float)
    if x.shape != m.shape:
        raise DataError(f"{MODEL}: frequency and monetary differ in length")
    ok = (x > 0) & np.isfinite(m) & (m > 0)
    if drop:
        x, m = x[ok], m[ok]
    elif not ok.all():
        i = int(np.argmax(~ok))
        raise DataError(
            f"{MODEL}: row {i} has frequency {x[i]} / monetary {m[i]}; expected frequency > 0 "
            "and a positive mean spend"
        )
    if len(x) == 0:
        raise DataError(f"{MODEL}: no customer with frequency > 0 and positive monetary value")
    return x, m


def _loglik(theta, x, m) -> np.ndarray:
    p, q, g = theta
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def _loglik_grad(theta, x, m, w) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and its gradient (derivatives of the note's density):
    d/dp = x [psi(px+q) - psi(px) + log m + log x - log(gamma + m x)],
    d/dq = psi(px+q) - psi(q) + log gamma - log(gamma + m x),
    d/dgamma = q/gamma - (px+q)/(gamma + m x)."""
    p, q, g = theta
    px = p * x
    log_gmx = np.log(g + m * x)
    dig = digamma(px + q)
    ll = weighted_sum(w, _loglik(theta, x, m))
    gp = weighted_sum(w, x * (dig - digamma(px) + np.log(m) + np.log(x) - log_gmx))
    gq = weighted_sum(w, dig - digamma(q) + np.log(g) - log_gmx)
    gg = weighted_sum(w, q / g - (px + q) / (g + m * x))
    return ll, np.array([gp, gq, gg])


def gamma_gamma_loglik(params, frequency, monetary) -> np.ndarray:
    """Per-customer log density of m_x (Fader & Hardie 2013 note)."""
    theta = check_params(params, NAMES, MODEL)
    x, m = _check(frequency, monetary, drop=False)
    return _loglik(theta, x, m)


class GammaGammaFit(FitResult):
    """A fitted Gamma-Gamma spend model."""

    NAMES = NAMES
    MODEL = MODEL

    def conditional_spend(self, frequency, monetary) -> np.ndarray:
        """E[M | m_x, x] per customer (population mean where x = 0)."""
        return gamma_gamma_conditional_spend(self.params, frequency, monetary)

    def population_mean(self) -> float:
        """E[Z] = p gamma / (q - 1)."""
        return gamma_gamma_population_mean(self.params)


#: Search box: the scale gamma is in money units (a currency with large units needs room).
BOUNDS = {"p": (1e-6, 1e6), "q": (1e-6, 1e6), "gamma": (1e-12, 1e15)}


def fit_gamma_gamma(frequency, monetary, collapse: bool = True, l2: float = 0.0,
                    start=(1.0, 1.0, 1.0), raise_on_failure: bool = True,
                    level: float = 0.95, maxiter: int = 1000,
                    max_seconds: float | None = 300.0, bounds=None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with x > 0 and m_x > 0.

    Customers with x = 0 (no repeat purchase) or a zero mean are skipped, as in the note.
    ``level``, ``maxiter``, ``max_seconds`` and ``bounds`` (default :data:`BOUNDS`) as in
    :func:`crm_research.clv.core.fit_mle`.
    """
    x, m = _check(frequency, monetary, drop=True)
    w = np.ones(len(x))
    if collapse:
        (x, m), counts = collapse_rows(x, m)
        w = counts.astype(float)
    fit = fit_mle(MODEL, NAMES, lambda th: _loglik(th, x, m), np.asarray(start, float), w,
                  loglik_grad=lambda th: _loglik_grad(th, x, m, w), l2=l2,
                  raise_on_failure=raise_on_failure, level=level, maxiter=maxiter,
                  max_seconds=max_seconds, bounds=BOUNDS if bounds is None else bounds,
                  result_class=GammaGammaFit)
    assert isinstance(fit, GammaGammaFit)
    return fit


def gamma_gamma_conditional_spend(params, frequency, monetary) -> np.ndarray:
    """E[M | m_x, x] (the note's conditional expectation); for x = 0 (or a missing m_x) the
    population mean p gamma/(q-1)."""
    p, q, g = check_params(params, NAMES, MODEL)
    if q <= 1:
        raise ParameterError(f"{MODEL}: expected spend needs q > 1, got q = {q}")
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary, dtype=float)
    known = (x > 0) & np.isfinite(m)
    m0 = np.where(known, m, 0.0)
    x0 = np.where(known, x, 0.0)
    return p * (g + m0 * x0) / (p * x0 + q - 1)


def gamma_gamma_population_mean(params) -> float:
    """E[Z] = p gamma / (q - 1): mean transaction value of a randomly chosen customer."""
    p, q, g = check_params(params, NAMES, MODEL)
    if q <= 1:
        raise ParameterError(f"{MODEL}: the mean needs q > 1, got q = {q}")
    return p * g / (q - 1)


def spend_frequency_correlation(frequency, monetary) -> pd.DataFrame:
    """Independence check of the Gamma-Gamma model: correlation of x and m_x (x > 0).

    Fader & Hardie (2013) report r = 0.11 on CDNOW and treat such a small value as consistent
    with independence. Returns Pearson and Spearman correlations with p-values.
    """
    from scipy import stats  # lazy: scipy.stats is a slow import

    x, m = _check(frequency, monetary, drop=True)
    if len(x) < 3:
        raise DataError(f"{MODEL}: the spend-frequency correlation needs at least 3 customers "
                        f"with a repeat purchase and a positive mean spend; got {len(x)}")
    pr = stats.pearsonr(x, m)
    sr = stats.spearmanr(x, m)
    return pd.DataFrame(
        {"statistic": ["pearson", "spearman"],
         "correlation": [float(pr.statistic), float(sr.statistic)],
         "p_value": [float(pr.pvalue), float(sr.pvalue)], "n": [len(x), len(x)]}
    )
