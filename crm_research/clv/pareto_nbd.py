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

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln, hyp2f1

from crm_research.clv.core import check_rfm, fit_mle, weighted_rows
from crm_research.clv.results import TransactionFit, check_params, rfm_columns
from crm_research.errors import ConvergenceError, ParameterError

NAMES = ["r", "alpha", "s", "beta"]
MODEL = "Pareto/NBD"


def _log_term(theta, x, t):
    """log[2F1(a, b'; a+1; z(t)) / base(t)^a] with a = r+s+x (one of the two A0 terms)."""
    r, alpha, s, beta = theta
    a = r + s + x
    if alpha >= beta:
        bb, base, z = s + 1.0, alpha + t, (alpha - beta) / (alpha + t)
    else:
        bb, base, z = r + x, beta + t, (beta - alpha) / (beta + t)
    return np.log(hyp2f1(a, bb, a + 1, z)) - a * np.log(base)


class _Rows:
    """Rows of a fit with the two A0 terms indexed by their distinct (x, t_x) and (x, T)
    pairs: far fewer than the rows (times are on a day grid), so 2F1 is evaluated once per
    distinct pair instead of twice per row."""

    def __init__(self, x, t_x, T):
        self.x, self.t_x, self.T = x, t_x, T
        self.ux, self.inv_x = np.unique(x, return_inverse=True)
        (self.x1, self.t1), self.inv1 = _pairs(x, t_x)
        (self.x2, self.T2), self.inv2 = _pairs(x, T)


def _pairs(x, t):
    keys = np.stack([x, t], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    return (uniq[:, 0], uniq[:, 1]), inv.ravel()


def _log_A0(theta, x, t_x, T, rows: _Rows | None = None):
    if rows is None:
        l1 = _log_term(theta, x, t_x)
        l2 = _log_term(theta, x, T)
    else:
        l1 = _log_term(theta, rows.x1, rows.t1)[rows.inv1]
        l2 = _log_term(theta, rows.x2, rows.T2)[rows.inv2]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(l2 < l1, np.log1p(-np.exp(np.minimum(l2 - l1, 0.0))), -np.inf)
    return l1 + diff


def _loglik(theta, x, t_x, T, rows: _Rows | None = None) -> np.ndarray:
    """Per-row log-likelihood (``rows``: precomputed distinct pairs of a fit)."""
    r, alpha, s, beta = theta
    lA0 = _log_A0(theta, x, t_x, T, rows)
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    second = np.log(s) - np.log(r + s + x) + lA0
    if rows is None:
        lg = gammaln(r + x) - gammaln(r)
    else:
        lg = (gammaln(r + rows.ux) - gammaln(r))[rows.inv_x]
    return lg + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(first, second)


def pareto_nbd_loglik(params, frequency, recency, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood at ``params`` (r, alpha, s, beta)."""
    theta = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    return _loglik(theta, x, t_x, T)


class ParetoNBDFit(TransactionFit):
    """A fitted Pareto/NBD model; predictions from the Fader & Hardie (2005) note."""

    NAMES = NAMES
    MODEL = MODEL

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)] of a new customer."""
        return pareto_nbd_expected_purchases(self.params, t)

    def conditional_expected_purchases(self, t, summary) -> np.ndarray:
        """E[Y(t) | x, t_x, T] of each customer of ``summary``."""
        return pareto_nbd_conditional_expected_purchases(self.params, t,
                                                         *rfm_columns(summary, MODEL))

    def probability_alive(self, summary) -> np.ndarray:
        """P(alive | x, t_x, T) of each customer of ``summary``."""
        return pareto_nbd_probability_alive(self.params, *rfm_columns(summary, MODEL))


#: Names of the fitted parametrisation: m = s / beta is the mean dropout rate E[mu].
FIT_NAMES = ["r", "alpha", "s", "m"]
#: Lower bound of m times the longest observation T: below it, dropout over the whole window
#: is negligible (1e-4 of customers) and the data cannot tell it from none.
M_FLOOR = 1e-4


def fit_pareto_nbd(
    frequency, recency, T, weights=None, collapse: bool = True, l2: float = 0.0,
    start=(1.0, 1.0, 1.0, 1.0), raise_on_failure: bool = True, level: float = 0.95,
    maxiter: int = 300, max_seconds: float | None = 120.0, bounds=None,
) -> ParetoNBDFit:
    """Maximum-likelihood Pareto/NBD fit (mechanism in :mod:`crm_research.clv.core`).

    Start values (1, 1, 1, 1) as CLVTools' ``pnbd``. The likelihood is evaluated once per
    distinct (x, t_x, T) row (``collapse=True``, rows weighted by their customer counts), and
    its 2F1 terms once per distinct (x, t_x) and (x, T) pair (:class:`_Rows`). The
    gradient is by central differences: the derivatives of 2F1 with respect to its parameters
    (needed for r and s) have no closed form, and a fixed Gauss-Legendre quadrature of the
    A0 integral, which would give all four derivatives at once, was slower than scipy's
    ``hyp2f1`` on a 94,000-row log and less accurate at extreme parameters (tried while
    writing this; see the note of issue 17).

    What keeps the fit bounded instead:

    * a reparametrisation: the search runs over (r, alpha, s, m) with m = s / beta the mean
      dropout rate (on the log scale: log beta = log s - log m, so estimates, likelihood and
      delta-method standard errors are those of (r, alpha, s, beta)). Data without dropout
      pull the likelihood towards mu -> 0 along any path (s -> 0 or beta -> infinity); in this
      parametrisation that is the one bound m >= :data:`M_FLOOR` / max(T);
    * a search box (``bounds`` as a dict over r, alpha, s, m or one pair for all; default
      1e-6 .. 1e6 and the m floor above) and a budget (``maxiter`` L-BFGS-B iterations,
      ``max_seconds`` wall time).

    A fit ending on a bound has status ``"boundary"``; on the m floor its r and alpha are
    those of the NBD (no dropout; P(alive) ~ 1), and its predictions stay finite.
    """
    x, t_x, T, w = weighted_rows(MODEL, *check_rfm(frequency, recency, T, MODEL), weights,
                                 collapse)
    rows = _Rows(x, t_x, T)
    st = np.asarray(start, dtype=float)
    if st.shape != (4,) or np.any(~np.isfinite(st)) or np.any(st <= 0):
        raise ParameterError(f"{MODEL}: start must be 4 positive values (r, alpha, s, beta), "
                             f"got {start!r}")
    t_max = float(np.max(T)) if len(T) else 1.0
    box = {k: (1e-6, 1e6) for k in FIT_NAMES}
    box["m"] = (M_FLOOR / max(t_max, 1e-12), 1e6)
    if bounds is not None:
        box = bounds if not isinstance(bounds, dict) else {**box, **bounds}
    phi0 = np.array([st[0], st[1], st[2], st[2] / st[3]])

    def loglik(phi):
        r, alpha, s, m = phi
        return _loglik(np.array([r, alpha, s, s / m]), x, t_x, T, rows)

    fit = fit_mle(MODEL, FIT_NAMES, loglik, phi0, w, l2=l2, raise_on_failure=False,
                  level=level, maxiter=maxiter, max_seconds=max_seconds, bounds=box,
                  result_class=ParetoNBDFit)
    assert isinstance(fit, ParetoNBDFit)
    fit = _to_beta(fit)
    if not fit.converged and raise_on_failure:
        raise ConvergenceError(
            f"{MODEL}: maximum-likelihood fit did not converge ({fit.status}: {fit.message}; "
            f"estimates {fit.params.round(6).to_dict()}); pass raise_on_failure=False to get "
            "the fit with its status")
    return fit


def _to_beta(fit: ParetoNBDFit) -> ParetoNBDFit:
    """(r, alpha, s, m) -> (r, alpha, s, beta = s/m); covariance by the delta method, which on
    the log scale is linear: log beta = log s - log m."""
    phi = fit.params.to_numpy(dtype=float)
    theta = np.array([phi[0], phi[1], phi[2], phi[2] / phi[3]])
    J = np.eye(4)
    J[3] = [0.0, 0.0, 1.0, -1.0]
    cov_log = fit.covariance.to_numpy(dtype=float) / np.outer(phi, phi)
    cov = (J @ cov_log @ J.T) * np.outer(theta, theta)
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    message = fit.message
    at_bound = tuple("s/beta" if k == "m" else k for k in fit.at_bound)
    if fit.at_bound and set(fit.at_bound) <= {"s", "m"} and fit.status == "boundary":
        message = (f"{fit.message}. Here: the dropout-rate distribution (s, mean s/beta) heads "
                   "for zero dropout, i.e. no dropout is detectable in these data and the "
                   "Pareto/NBD reduces to the NBD")
    return replace(fit, params=pd.Series(theta, index=NAMES, name="estimate"),
                   std_errors=pd.Series(se, index=NAMES, name="std_error"),
                   covariance=pd.DataFrame(cov, index=NAMES, columns=NAMES),
                   at_bound=at_bound, message=message)


def pareto_nbd_probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)."""
    theta = check_params(params, NAMES, MODEL)
    r, alpha, s, beta = theta
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    rows = _Rows(x.ravel(), t_x.ravel(), T.ravel())  # 2F1 once per distinct (x, t) pair
    with np.errstate(divide="ignore", invalid="ignore"):
        lA0 = _log_A0(theta, x, t_x, T, rows).reshape(x.shape)
        log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
                    + s * np.log(beta + T) + lA0)
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
