"""BG/NBD model (beta-geometric / negative binomial distribution).

Source of every formula: Fader, Hardie & Lee (2005), "'Counting your customers' the easy way:
an alternative to the Pareto/NBD model", Marketing Science 24(2):275-284 (equations 6, 8, 9
and 10, and the P(alive) expression of Fader, Hardie & Lee's 2008 note "Computing P(alive) using
the BG/NBD model").

Story: while active, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha)
(shape r, rate alpha); after each repeat purchase she drops out with probability
p ~ Beta(a, b). Data per customer: x repeat purchases, time of the last one t_x, age T.

Likelihood (FHL 2005 eq. 6), computed in log space::

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

The analytic gradient is used in the fit; functions of x alone are evaluated once per distinct
x (x is an integer), which makes the per-row cost a handful of logarithms.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from crm_research.clv.core import check_rfm, fit_mle, weighted_rows, weighted_sum
from crm_research.clv.results import TransactionFit, check_params, rfm_columns

NAMES = ["r", "alpha", "a", "b"]
MODEL = "BG/NBD"


class _Data:
    """Rows split into x = 0 and x > 0; functions of x are evaluated per distinct x."""

    def __init__(self, x, t_x, T, w):
        self.n = len(x)
        self.x, self.t_x, self.T, self.w = x, t_x, T, w
        self.ux, self.inv = np.unique(x, return_inverse=True)
        self.W = np.bincount(self.inv, weights=w, minlength=len(self.ux))  # weight per x
        self.W_total = float(w.sum())
        pos = x > 0
        self.pos = pos
        self.TZ, self.wZ = T[~pos], w[~pos]
        self.xP, self.tP, self.TP, self.wP = x[pos], t_x[pos], T[pos], w[pos]
        self.invP = self.inv[pos]


def _pos_parts(theta: np.ndarray, d: _Data):
    """Row quantities of the x > 0 customers: A2, A3, log terms, w3 = share of A3."""
    r, alpha, a, b = theta
    ux = d.ux
    base = betaln(a, b)
    c2 = betaln(a, b + ux) - base
    c3 = betaln(a + 1, np.maximum(b + ux - 1, 1e-300)) - base  # used only where ux > 0
    rx = r + d.xP
    log_aT = np.log(alpha + d.TP)
    log_atx = np.log(alpha + d.tP)
    A2 = c2[d.invP] - rx * log_aT
    A3 = c3[d.invP] - rx * log_atx
    return c2, A2, A3, log_aT, log_atx, rx


def _loglik(theta: np.ndarray, d: _Data) -> np.ndarray:
    """Per-row log-likelihood (original row order)."""
    r, alpha, a, b = theta
    c2, A2, A3, _, _, _ = _pos_parts(theta, d)
    lg = gammaln(r + d.ux) - gammaln(r)
    out = np.empty(d.n)
    out[~d.pos] = c2[0] - r * np.log(alpha + d.TZ) if d.ux[0] == 0 else 0.0
    out[d.pos] = np.logaddexp(A2, A3)
    return out + lg[d.inv] + r * np.log(alpha)


def _loglik_grad(theta: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and its gradient (derivatives of FHL 2005 eq. 6)."""
    r, alpha, a, b = theta
    ux, W = d.ux, d.W
    c2, A2, A3, log_aT, log_atx, rx = _pos_parts(theta, d)
    lg = gammaln(r + ux) - gammaln(r)
    # terms depending on x only, summed with the per-x weights
    dig_rx = digamma(r + ux) - digamma(r)
    dig_abx = digamma(a + b) - digamma(a + b + ux)
    dig_bx = digamma(b + ux) - digamma(b)
    inv_bx1 = np.where(ux > 0, 1.0 / np.maximum(b + ux - 1, 1e-300), 0.0)
    log_alpha = np.log(alpha)
    ll = weighted_sum(W, lg) + d.W_total * r * log_alpha
    g_r = weighted_sum(W, dig_rx) + d.W_total * log_alpha
    g_alpha = d.W_total * r / alpha
    g_a = weighted_sum(W, dig_abx)
    g_b = weighted_sum(W, (dig_abx + dig_bx))
    # x = 0 rows: ll = c2(0) - r log(alpha + T)
    if len(d.TZ):
        log_aTZ = np.log(alpha + d.TZ)
        ll += float(d.wZ.sum()) * c2[0] - r * weighted_sum(d.wZ, log_aTZ)
        g_r -= weighted_sum(d.wZ, log_aTZ)
        g_alpha -= r * weighted_sum(d.wZ, (1.0 / (alpha + d.TZ)))
    # x > 0 rows: ll = logaddexp(A2, A3)
    if len(d.xP):
        w3 = expit(A3 - A2)
        w2 = 1.0 - w3
        m = np.logaddexp(A2, A3)
        wP = d.wP
        ll += weighted_sum(wP, m)
        g_r -= weighted_sum(wP, (w2 * log_aT + w3 * log_atx))
        g_alpha -= weighted_sum(wP, (rx * (w2 / (alpha + d.TP) + w3 / (alpha + d.tP))))
        wP3 = wP * w3
        g_a += float(wP3.sum()) / a
        g_b -= weighted_sum(wP3, inv_bx1[d.invP])
    return ll, np.array([g_r, g_alpha, g_a, g_b])


def bgnbd_loglik(params, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) at ``params`` (r, alpha, a, b)."""
    theta = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    return _loglik(theta, _Data(x, t_x, T, np.ones(len(x))))


class BGNBDFit(TransactionFit):
    """A fitted BG/NBD model; predictions use FHL 2005 eq. 8-10 at the estimates."""

    NAMES = NAMES
    MODEL = MODEL

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)] of a new customer (eq. 9)."""
        return bgnbd_expected_purchases(self.params, t)

    def conditional_expected_purchases(self, t, summary) -> np.ndarray:
        """E[Y(t) | x, t_x, T] of each customer of ``summary`` (eq. 10)."""
        return bgnbd_conditional_expected_purchases(self.params, t, *rfm_columns(summary, MODEL))

    def probability_alive(self, summary) -> np.ndarray:
        """P(alive | x, t_x, T) of each customer of ``summary``."""
        return bgnbd_probability_alive(self.params, *rfm_columns(summary, MODEL))

    def probability_n_purchases(self, t, n) -> np.ndarray:
        """P(X(t) = n) of a new customer (eq. 8)."""
        return bgnbd_probability_n_purchases(self.params, t, n)


def fit_bgnbd(
    frequency,
    recency,
    T,
    weights=None,
    collapse: bool = True,
    l2: float = 0.0,
    start=(1.0, 3.0, 1.0, 3.0),
    raise_on_failure: bool = True,
    level: float = 0.95,
    maxiter: int = 1000,
    max_seconds: float | None = 300.0,
    bounds=None,
) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit (see :mod:`crm_research.clv.core` for the mechanism).

    ``collapse=True`` first merges identical (x, t_x, T) rows into weighted rows (same
    estimates, faster). ``weights`` (optional) are per-row customer counts. Start values
    (1, 3, 1, 3) are those of BTYD's ``bgnbd.EstimateParameters``. A fit that does not
    converge (e.g. a -> 0, b -> infinity: no dropout, the NBD limit, status ``"boundary"``)
    raises :class:`ConvergenceError` unless ``raise_on_failure=False`` (then ``converged`` is
    False and ``status`` says why). ``level`` is the level of the intervals in ``.table``;
    ``maxiter``, ``max_seconds`` and ``bounds`` are the budget and box of
    :func:`crm_research.clv.core.fit_mle`.
    """
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    x, t_x, T, w = weighted_rows(MODEL, x, t_x, T, weights, collapse)
    d = _Data(x, t_x, T, w)
    fit = fit_mle(
        MODEL, NAMES, lambda th: _loglik(th, d), np.asarray(start, float), w,
        loglik_grad=lambda th: _loglik_grad(th, d), l2=l2, raise_on_failure=raise_on_failure,
        level=level, maxiter=maxiter, max_seconds=max_seconds, bounds=bounds,
        result_class=BGNBDFit,
    )
    assert isinstance(fit, BGNBDFit)
    return fit


_SINGULAR_TOL = 1e-6
_SHIFT = 1e-5


def _near_singular(a: float, b: float) -> bool:
    """Eq. 9/10 divide by (a - 1) and use 2F1(.; a+b-1; .): both break at a = 1, a+b = 1."""
    return abs(a - 1) < _SINGULAR_TOL or abs(a + b - 1) < _SINGULAR_TOL


def _expected_closed_form(r, alpha, a, b, t):
    z = t / (alpha + t)
    h = hyp2f1(r, b, a + b - 1, z)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * h)


def bgnbd_expected_purchases(params, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] of a new customer (FHL 2005 eq. 9).

    ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))]``. The
    expression is removable-singular at a = 1 and a + b = 1 (the limit exists); there the
    mean of the values at a +/- 1e-5 is returned (error O(1e-10) relative).
    """
    r, alpha, a, b = check_params(params, NAMES, MODEL)
    t = np.asarray(t, dtype=float)
    if _near_singular(a, b):
        return 0.5 * (_expected_closed_form(r, alpha, a + _SHIFT, b, t)
                      + _expected_closed_form(r, alpha, a - _SHIFT, b, t))
    return _expected_closed_form(r, alpha, a, b, t)


def bgnbd_probability_alive(params, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))."""
    r, alpha, a, b = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    return _p_alive(r, alpha, a, b, x, t_x, T)


def _p_alive(r, alpha, a, b, x, t_x, T):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                    + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def _conditional_closed_form(r, alpha, a, b, t, x, t_x, T):
    z = t / (alpha + T + t)
    h = hyp2f1(r + x, b + x, a + b + x - 1, z)
    term = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * h
    return (a + b + x - 1) / (a - 1) * term * _p_alive(r, alpha, a, b, x, t_x, T)


def bgnbd_conditional_expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] (FHL 2005 eq. 10).

    ``(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1;
    t/(alpha+T+t))] / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``; at the
    removable singularities a = 1 / a + b = 1 the mean over a +/- 1e-5 is used.
    """
    r, alpha, a, b = check_params(params, NAMES, MODEL)
    x, t_x, T = check_rfm(frequency, recency, T, MODEL)
    t = np.asarray(t, dtype=float)
    if _near_singular(a, b):
        return 0.5 * (_conditional_closed_form(r, alpha, a + _SHIFT, b, t, x, t_x, T)
                      + _conditional_closed_form(r, alpha, a - _SHIFT, b, t, x, t_x, T))
    return _conditional_closed_form(r, alpha, a, b, t, x, t_x, T)


def bgnbd_probability_n_purchases(params, t, n) -> np.ndarray:
    """P(X(t) = n) for a new customer (FHL 2005 eq. 8)::

        B(a, b+n)/B(a, b) G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n
        + [n > 0] B(a+1, b+n-1)/B(a, b) [1 - (alpha/(alpha+t))^r
                                           sum_{j<n} G(r+j)/(G(r) j!) (t/(alpha+t))^j]
    """
    r, alpha, a, b = check_params(params, NAMES, MODEL)
    n_arr = np.atleast_1d(np.asarray(n, dtype=float))
    t = float(t)
    lq = np.log(t / (alpha + t))
    lp = r * np.log(alpha / (alpha + t))
    lg = gammaln(r + n_arr) - gammaln(r) - gammaln(n_arr + 1)
    out = np.exp(betaln(a, b + n_arr) - betaln(a, b) + lg + lp + n_arr * lq)
    for i, nn in enumerate(n_arr):
        if nn <= 0:
            continue
        j = np.arange(int(nn))
        partial = np.sum(np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + j * lq))
        out[i] += np.exp(betaln(a + 1, b + nn - 1) - betaln(a, b)) * (1 - np.exp(lp) * partial)
    return out if np.ndim(n) else out[0]
