"""Simulators for the customer-value models (for parameter-recovery tests and benchmarks).

Each draws customers from the model's own story (see the model modules for sources) with
``np.random.default_rng(seed)``; same arguments -> same numbers. Vectorised: the order
statistics of a Poisson process are drawn directly (given N events in (0, L], the k-th event
time is L times a Beta(k, N-k+1) variate), so a million customers take well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research.clv.results import check_params
from crm_research.errors import ParameterError


def _ages(n: int, T) -> np.ndarray:
    if n <= 0:
        raise ParameterError(f"number of customers must be > 0, got {n}")
    T = np.asarray(T, dtype=float)
    if T.ndim == 0:
        T = np.full(n, float(T))
    if len(T) != n or np.any(T <= 0):
        raise ParameterError("T must be a positive scalar or one positive value per customer")
    return T


def _kth_arrival(k: np.ndarray, n_events: np.ndarray, length: np.ndarray, rng) -> np.ndarray:
    """Time of the k-th of n_events uniform events on (0, length] (0 where k = 0)."""
    out = np.zeros(len(k))
    pos = k > 0
    out[pos] = length[pos] * rng.beta(k[pos], n_events[pos] - k[pos] + 1)
    return out


def _discretise(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, resolution: float | None):
    """Round onto the grid; a repeat purchase is at least one grid step after the first."""
    if resolution is None:
        return t_x, T
    T2 = np.maximum(np.round(T / resolution), 1) * resolution
    steps = np.round(t_x / resolution)
    steps = np.where(x > 0, np.maximum(steps, 1), 0)
    t2 = np.minimum(steps * resolution, T2)
    return t2, T2


def _frame(x, t_x, T, x_star=None):
    out = pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": T})
    if x_star is not None:
        out["frequency_holdout"] = x_star.astype(np.int64)
    return out


def simulate_bgnbd(params, n: int, T, seed: int = 0, resolution: float | None = None,
                   holdout: float | None = None) -> pd.DataFrame:
    """Customers from the BG/NBD (Fader, Hardie & Lee 2005): lambda ~ Gamma(r, rate alpha),
    p ~ Beta(a, b); after each repeat purchase the customer drops out with probability p.

    ``T`` is each customer's age (scalar or array). ``resolution`` (e.g. 1/7 for days when the
    unit is weeks) rounds recency and T onto a grid, as dates do in real logs. ``holdout`` adds
    ``frequency_holdout``: purchases in (T, T + holdout] (true process, not a prediction).
    """
    r, alpha, a, b = check_params(params, ["r", "alpha", "a", "b"], "BG/NBD")
    rng = np.random.default_rng(seed)
    T = _ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # repeat purchases made before dropping out (>= 1); p underflowing to 0 (a -> 0) is
    # clipped to 1e-12, i.e. practically never dropping out
    J = rng.geometric(np.clip(p, 1e-12, 1.0))
    L = T + (holdout or 0.0)
    N = rng.poisson(lam * L)  # events of the never-dropping process in (0, L]
    # events in (0, T] of the never-dropping process, given N in (0, L]: binomial thinning
    N_T = rng.binomial(N, T / L)
    x = np.minimum(N_T, J)
    t_x = _kth_arrival(x, N_T, T, rng)
    x_star = None
    if holdout:
        # purchases in (T, L] while still alive: min(N, J) - x
        x_star = np.minimum(N, J) - x
    t_x, T = _discretise(x, t_x, T, resolution)
    return _frame(x, t_x, T, x_star)


def simulate_pareto_nbd(params, n: int, T, seed: int = 0, resolution: float | None = None,
                        holdout: float | None = None) -> pd.DataFrame:
    """Customers from the Pareto/NBD: lambda ~ Gamma(r, rate alpha), lifetime ~ Exp(mu),
    mu ~ Gamma(s, rate beta) (Schmittlein, Morrison & Colombo 1987)."""
    r, alpha, s, beta = check_params(params, ["r", "alpha", "s", "beta"], "Pareto/NBD")
    rng = np.random.default_rng(seed)
    T = _ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    tau = rng.exponential(1.0 / mu)
    active_T = np.minimum(tau, T)
    x = rng.poisson(lam * active_T)
    t_x = _kth_arrival(x, x, active_T, rng)
    x_star = None
    if holdout:
        active_h = np.clip(tau - T, 0.0, holdout)
        x_star = rng.poisson(lam * active_h)
    t_x, T = _discretise(x, t_x, T, resolution)
    return _frame(x, t_x, T, x_star)


def simulate_gamma_gamma(params, frequency, seed: int = 0) -> np.ndarray:
    """Mean spend m_x of each customer's x transactions under the Gamma-Gamma model:
    nu ~ Gamma(q, rate gamma), values ~ Gamma(p, rate nu), so x m_x ~ Gamma(p x, rate nu).
    NaN where x = 0."""
    p, q, g = check_params(params, ["p", "q", "gamma"], "Gamma-Gamma")
    x = np.asarray(frequency, dtype=float)
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1.0 / g, len(x))
    pos = x > 0
    out = np.full(len(x), np.nan)
    out[pos] = rng.gamma(p * x[pos], 1.0 / nu[pos]) / x[pos]
    return out


def simulate_sbg(params, n: int, periods: int, seed: int = 0) -> np.ndarray:
    """Survivor counts n_0..n_periods of a cohort of ``n`` under the sBG (Fader & Hardie 2007):
    theta ~ Beta(alpha, beta); lifetime ~ Geometric(theta) on {1, 2, ...}."""
    a, b = check_params(params, ["alpha", "beta"], "sBG")
    if n <= 0 or periods <= 0:
        raise ParameterError("n and periods must be > 0")
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, n)
    life = rng.geometric(theta)
    return np.array([(life > t).sum() for t in range(periods + 1)], dtype=np.int64)


def simulate_transaction_log(n_customers: int, seed: int = 0, start: str = "2020-01-01",
                             days: int = 730, rate_per_day: float = 0.01) -> pd.DataFrame:
    """A synthetic transaction log (customer_id, date, value) for speed tests: first purchase
    uniform over the first half of ``days``, further purchases Poisson with gamma-distributed
    rates, values lognormal. Not a model-exact simulator — for timing only."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, days // 2, n_customers)
    lam = rng.gamma(0.8, rate_per_day / 0.8, n_customers)
    n_rep = rng.poisson(lam * (days - first))
    ids = np.repeat(np.arange(n_customers), n_rep + 1)
    base = np.repeat(first, n_rep + 1)
    span = np.repeat(days - first, n_rep + 1)
    offs = (rng.random(len(ids)) * span).astype(np.int64)
    is_first = np.r_[True, ids[1:] != ids[:-1]]
    offs[is_first] = 0
    day = base + offs
    dates = np.datetime64(start, "D") + day.astype("timedelta64[D]")
    value = np.round(rng.lognormal(3.0, 0.8, len(ids)), 2)
    order = rng.permutation(len(ids))
    return pd.DataFrame({"customer_id": ids[order], "date": dates[order].astype("datetime64[ns]"),
                         "value": value[order]})
