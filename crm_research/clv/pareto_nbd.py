"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

Formulas from Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related
expressions" (brucehardie.com/notes/009): the likelihood with its A0 term, P(alive)
``1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)``, the conditional expectation
E[Y(t) | x, t_x, T] and E[X(t)] (originally Schmittlein, Morrison & Colombo 1987). Each
function's docstring gives its expression; the likelihood is checked in the tests against a
numerical integration of the individual-level likelihood over the gamma mixing distributions.

Story: while alive a customer buys as Poisson(lambda), lambda ~ Gamma(r, alpha); her lifetime
is exponential(mu), mu ~ Gamma(s, beta). With a = r+s+x, for alpha >= beta::

    A0 = 2F1(a, s+1; a+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^a
         - 2F1(a, s+1; a+1; (alpha-beta)/(alpha+T)) / (alpha+T)^a

and for alpha < beta the same with (alpha <-> beta) and second argument r+x. Then::

    L = G(r+x) alpha^r beta^s / G(r) * [ 1/((alpha+T)^(r+x) (beta+T)^s) + s/a * A0 ]

Everything is evaluated in log space (log A0 as log(first) + log1p(-second/first)).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from crm_research.clv.core import FitResult, check_params, check_rfm, fit_mle, weighted_rows

NAMES = ["r", "alpha", "s", "beta"]
MODEL = "Pareto/NBD"


def _log_A0(theta, x, t_x, T):
    r, alpha, s, beta = theta
    a = r + s + x
    if alpha >= beta:
        bb = s + 1.0
        z1 = (alpha - beta) / (alpha + t_x)
        z2 = (alpha - beta) / (alpha + T)
        base1, base2 = alpha + t_x, alpha + T
    else:
        bb = r + x
        z1 = (beta - alpha) / (beta + t_x)
        z2 = (beta - alpha) / (beta + T)
        base1, base2 = beta + t_x, beta + T
    l1 = np.log(hyp2f1(a, bb, a + 1, z1)) - a * np.log(base1)
    l2 = np.log(hyp2f1(a, bb, a + 1, z2)) - a * np.log(base2)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(l2 < l1, np.log1p(-np.exp(np.minimum(l2 - l1, 0.0))), -np.inf)
    return l1 + diff


def _loglik(theta, x, t_x, T) -> np.ndarray:
    r, alpha, s, beta = theta
    lA0 = _log_A0(theta, x, t_x, T)
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    second = np.log(s) - np.log(r + s + x) + lA0
    return (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + np.logaddexp(first, second))


def pareto_nbd_loglik(params, frequency, recency, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood at ``params`` (r, alpha, s, beta)."""
    theta = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    return _loglik(theta, x, t_x, T)


def fit_pareto_nbd(
    frequency, recency, T, weights=None, collapse: bool = True, l2: float = 0.0,
    start=(1.0, 1.0, 1.0, 1.0), raise_on_failure: bool = True,
) -> FitResult:
    """Maximum-likelihood Pareto/NBD fit (mechanism in :mod:`crm_research.clv.core`).

    Start values (1, 1, 1, 1) as CLVTools' ``pnbd``; gradient by central differences.
    """
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    x, t_x, T, w = weighted_rows(MODEL, x, t_x, T, weights, collapse)
    return fit_mle(MODEL, NAMES, lambda th: _loglik(th, x, t_x, T), np.asarray(start, float),
                   w, l2=l2, raise_on_failure=raise_on_failure)


def pareto_nbd_probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)."""
    theta = check_params(params, NAMES, MODEL)
    r, alpha, s, beta = theta
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
                    + s * np.log(beta + T) + _log_A0(theta, x, t_x, T))
    return expit(-log_odds)


def _one_minus_pow_over(k, log_ratio):
    """[1 - exp(k * log_ratio)] / k, with its limit -log_ratio at k = 0."""
    k = np.asarray(k, dtype=float)
    small = np.abs(k) < 1e-10
    safe_k = np.where(small, 1.0, k)
    return np.where(small, -log_ratio, -np.expm1(k * log_ratio) / safe_k)


def pareto_nbd_expected_purchases(params, t) -> np.ndarray:
    """E[X(t)] = r beta / (alpha (s-1)) * [1 - (beta/(beta+t))^(s-1)] (s = 1: log limit)."""
    r, alpha, s, beta = check_params(params, NAMES, MODEL)
    t = np.asarray(t, dtype=float)
    return r * beta / alpha * _one_minus_pow_over(s - 1, np.log(beta / (beta + t)))


def pareto_nbd_conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] = (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
    * P(alive) (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note)."""
    r, alpha, s, beta = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    t = np.asarray(t, dtype=float)
    factor = (r + x) * (beta + T) / (alpha + T)
    frac = _one_minus_pow_over(s - 1, np.log((beta + T) / (beta + T + t)))
    return factor * frac * pareto_nbd_probability_alive(params, x, t_x, T)
