"""Proportional-hazards test of a fitted Cox model: the score test of R survival ≥ 3.0 ``cox.zph``.

Definition (Grambsch & Therneau 1994, "Proportional hazards tests and diagnostics based on
weighted residuals", Biometrika 81:515-526; Therneau & Grambsch 2000, "Modeling Survival Data",
sec. 6.2; the form implemented by R survival ≥ 3.0, ``noweb/zph.Rnw`` and ``src/zph1.c``):
each coefficient βₖ of the fitted model is allowed to vary in time as βₖ + θₖ·g(t), and the
hypothesis θ = 0 is tested by a score test at (β̂, θ = 0), *without* iterating. With the
covariates x augmented by g(t)·x, at each distinct event time tⱼ with risk set Rⱼ, weights
rᵢ = exp(xᵢ'β̂), weighted mean x̄ⱼ and weighted covariance Vⱼ of x over Rⱼ:

* score for θ:  U = Σⱼ g(tⱼ) · Σ_{i dies at tⱼ} (xᵢ − x̄ⱼ)   (the score for β is 0 at β̂);
* full information matrix of (β, θ):
  H = [[Σ Vⱼ, Σ g(tⱼ)Vⱼ], [Σ g(tⱼ)Vⱼ, Σ g(tⱼ)²Vⱼ]]   (2p × 2p);
* per coefficient k: T_k = U_k² · [H₍ₖ₎⁻¹]_{θₖθₖ}, where H₍ₖ₎ keeps the rows/columns of all p
  β's and of θₖ — chi-square with 1 df; GLOBAL: T = (0, U)' H⁻¹ (0, U), chi-square with p df.
  (With ``terms``, a term with several coefficients, e.g. the dummies of one factor, is tested
  jointly on as many df, as R's default ``terms = TRUE``.)

Tied event times use Efron's approximation (as ``coxph``'s default and lifelines): with dⱼ
deaths at tⱼ, the sums above run over m = 0..dⱼ−1 with the dying subjects' weights scaled by
(1 − m/dⱼ), each term carrying 1/dⱼ of the deaths (``ties="breslow"``: no scaling).

The time transform g (R's ``transform``): ``"km"`` (default) g(t) = 1 − Ŝ(t−), one minus the
left-continuous Kaplan-Meier estimate of the whole sample (censored subjects included, delayed
entry respected); ``"rank"`` the rank of t among all observed times (ties averaged);
``"identity"`` t; ``"log"`` log t. g is centred at its mean over the events, which leaves the
statistic unchanged. Delayed entry (left truncation) is handled through the risk sets
{i: entryᵢ < t ≤ timeᵢ}, as R's ``cox.zph`` does for ``Surv(start, stop, event)`` data.

Before survival 3.0 (and in lifelines' ``proportional_hazard_test``) the test assumed Vⱼ constant
over time, which sets the off-diagonal block to 0 and uses only the diagonal of H; that
approximation can differ widely from the score test (e.g. on the Telco churn model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._lazy import lazy_module
from crm_research.errors import DataError, EstimationError, ParameterError

stats = lazy_module("scipy.stats")

__all__ = ["PH_TRANSFORMS", "PH_TIES", "ph_time_transform", "cox_zph"]

PH_TRANSFORMS = ("km", "rank", "identity", "log")
PH_TIES = ("efron", "breslow")
_CHUNK = 4096


def ph_time_transform(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None,
                      transform: str) -> np.ndarray:
    """g(t) at each observation's time (not yet centred); see the module docstring."""
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        if np.any(time <= 0):
            raise DataError("transform='log' needs positive times; a time is 0")
        return np.log(time)
    if transform == "rank":
        return stats.rankdata(time, method="average")
    if transform != "km":
        raise ParameterError(f"transform must be one of {list(PH_TRANSFORMS)}, got "
                             f"{transform!r}")
    u = np.unique(time[event == 1])
    d = np.bincount(np.searchsorted(u, time[event == 1]), minlength=len(u)).astype(float)
    at_risk = len(time) - np.searchsorted(np.sort(time), u, side="left")
    if entry is not None:
        at_risk = at_risk - (len(entry) - np.searchsorted(np.sort(entry), u, side="left"))
    surv = np.cumprod(1.0 - d / at_risk)
    before = np.searchsorted(u, time, side="left")  # number of event times < t
    return 1.0 - np.r_[1.0, surv][before]


def _binned(bins: np.ndarray, w: np.ndarray, X: np.ndarray,
            n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σw, Σw·x and Σw·x·x' of the rows falling in each bin (rows with bin < 0 ignored)."""
    p = X.shape[1]
    s0 = np.zeros(n_bins)
    s1 = np.zeros((n_bins, p))
    s2 = np.zeros((n_bins, p, p))
    keep = bins >= 0
    b, wk, Xk = bins[keep], w[keep], X[keep]
    np.add.at(s0, b, wk)
    np.add.at(s1, b, wk[:, None] * Xk)
    for start in range(0, len(b), _CHUNK):
        sl = slice(start, start + _CHUNK)
        np.add.at(s2, b[sl], wk[sl, None, None] * Xk[sl, :, None] * Xk[sl, None, :])
    return s0, s1, s2


def _score_and_information(time: np.ndarray, event: np.ndarray, X: np.ndarray,
                           beta: np.ndarray, entry: np.ndarray | None, g_obs: np.ndarray,
                           ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Score U for θ (length p) and the full 2p × 2p information matrix at (β̂, 0)."""
    n, p = X.shape
    Xc = X - X.mean(axis=0)  # centring changes nothing but rounding
    eta = Xc @ beta
    r = np.exp(eta - eta.max())  # a common factor cancels in every weighted mean
    dead = event == 1
    u = np.unique(time[dead])
    n_times = len(u)
    stop_bin = np.searchsorted(u, time, side="right") - 1   # last event time <= time
    at = _binned(stop_bin, r, Xc, n_times)
    risk = [np.cumsum(a[::-1], axis=0)[::-1] for a in at]  # Σ over time_i >= u_j
    if entry is not None:
        entry_bin = np.searchsorted(u, entry, side="right") - 1  # last event time <= entry
        late = _binned(entry_bin, r, Xc, n_times)
        risk = [a - np.cumsum(b[::-1], axis=0)[::-1] for a, b in zip(risk, late, strict=True)]
    death_bin = np.where(dead, stop_bin, -1)
    dsum = _binned(death_bin, r, Xc, n_times)
    d = np.bincount(stop_bin[dead], minlength=n_times)
    xdead = np.zeros((n_times, p))
    np.add.at(xdead, stop_bin[dead], Xc[dead])
    g = np.zeros(n_times)
    g[stop_bin[dead]] = g_obs[dead]
    # one Efron term per death: time index j and fraction m/d_j of the deaths removed
    j = np.repeat(np.arange(n_times), d)
    m = np.arange(len(j)) - np.repeat(np.cumsum(d) - d, d)
    frac = m / d[j] if ties == "efron" else np.zeros(len(j))
    H = np.zeros((2 * p, 2 * p))
    mean_sum = np.zeros((n_times, p))
    for start in range(0, len(j), _CHUNK):
        jj, ff = j[start:start + _CHUNK], frac[start:start + _CHUNK]
        s0 = risk[0][jj] - ff * dsum[0][jj]
        if np.any(s0 <= 0):
            raise DataError("cox_zph: an event occurs when nobody is at risk (an event at its "
                            "entry time?)")
        mean = (risk[1][jj] - ff[:, None] * dsum[1][jj]) / s0[:, None]
        V = ((risk[2][jj] - ff[:, None, None] * dsum[2][jj]) / s0[:, None, None]
             - mean[:, :, None] * mean[:, None, :])
        np.add.at(mean_sum, jj, mean)
        gj = g[jj]
        H[:p, :p] += V.sum(axis=0)
        cross = np.tensordot(gj, V, axes=1)
        H[:p, p:] += cross
        H[p:, :p] += cross
        H[p:, p:] += np.tensordot(gj * gj, V, axes=1)
    U = (g[:, None] * (xdead - mean_sum)).sum(axis=0)
    return U, H


def cox_zph(time: Any, event: Any, X: Any, beta: Any, entry: Any = None,
            transform: str = "km", ties: str = "efron",
            terms: Mapping[str, Sequence[int]] | None = None,
            names: Sequence[str] | None = None) -> pd.DataFrame:
    """Score test of proportional hazards for a Cox fit with coefficients ``beta`` on ``X``.

    ``time``, ``event`` (1 = event), optional ``entry`` (delayed entry) and the n × p design
    ``X`` are the data the model was fitted on; ``beta`` its estimates. Returns one row per
    coefficient (or per entry of ``terms`` = {term: column indices}) and a last row
    ``GLOBAL``: ``term``, ``statistic`` (chi-square), ``df``, ``p_value``. Equals R's
    ``cox.zph(fit, transform=transform, terms=FALSE)`` (``terms=TRUE`` with ``terms``);
    definition and sources in the module docstring.
    """
    if transform not in PH_TRANSFORMS:
        raise ParameterError(f"transform must be one of {list(PH_TRANSFORMS)}, got "
                             f"{transform!r}")
    if ties not in PH_TIES:
        raise ParameterError(f"ties must be one of {list(PH_TIES)}, got {ties!r}")
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    Xa = np.asarray(X, dtype=float)
    b = np.asarray(beta, dtype=float).ravel()
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    n, p = Xa.shape
    if t.shape != (n,) or e.shape != (n,) or b.shape != (p,):
        raise ParameterError(f"cox_zph: time and event need {n} values (rows of X) and beta "
                             f"{p} (columns of X); got {t.shape}, {e.shape}, {b.shape}")
    if not np.isin(e, (0.0, 1.0)).all():
        raise DataError("cox_zph: event must be 0/1")
    if e.sum() == 0:
        raise EstimationError("cox_zph: there are no events; the test is undefined")
    en = None if entry is None else np.asarray(entry, dtype=float)
    names = [f"x{i + 1}" for i in range(p)] if names is None else [str(c) for c in names]
    groups = {nm: [i] for i, nm in enumerate(names)} if terms is None else \
        {str(k): [int(i) for i in v] for k, v in terms.items()}
    g_obs = ph_time_transform(t, e, en, transform)
    g_obs = g_obs - g_obs[e == 1].mean()
    U, H = _score_and_information(t, e.astype(int), Xa, b, en, g_obs, ties)
    rows = []
    try:
        for term, cols in groups.items():
            keep = list(range(p)) + [p + c for c in cols]
            u = np.r_[np.zeros(p), U[cols]]
            stat = float(u @ np.linalg.solve(H[np.ix_(keep, keep)], u))
            rows.append({"term": term, "statistic": stat, "df": len(cols),
                         "p_value": float(stats.chi2.sf(stat, len(cols)))})
        u = np.r_[np.zeros(p), U]
        stat = float(u @ np.linalg.solve(H, u))
    except np.linalg.LinAlgError as exc:
        raise EstimationError("cox_zph: the information matrix of the time-varying model is "
                              "singular (a covariate without variation among the events?)"
                              ) from exc
    rows.append({"term": "GLOBAL", "statistic": stat, "df": p,
                 "p_value": float(stats.chi2.sf(stat, p))})
    return pd.DataFrame(rows)
