"""Inverse-probability weighting and augmented IPW (doubly robust, cross-fitted).

* :func:`ipw` — normalised (Hajek) weights with a logistic propensity model; propensities
  trimmed (clipped) to ``[eps, 1 - eps]`` and the number trimmed reported. Standard error:
  M-estimation sandwich stacking the logistic score equations with the two weighted-mean
  equations (Lunceford & Davidian 2004, Stat. Med. 23:2937-2960, sec. 3; Stefanski & Boos 2002).
  Without trimming the estimate and SE equal Stata's ``teffects ipw`` (statsmodels
  ``TreatmentEffect.ipw``).
* :func:`aipw` — augmented IPW (Robins, Rotnitzky & Zhao 1994) with K-fold cross-fitting
  (Chernozhukov et al. 2018, Econometrics J. 21:C1-C68); estimate = mean of the efficient
  influence function, SE = sd(ψ)/√n. With ``n_folds=1``, linear outcome models and no trimming it
  equals Stata's ``teffects aipw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_seed
from crm_research.causal.design import (
    add_intercept,
    check_overlap,
    covariate_matrix,
    fit_logistic,
    is_binary,
    logistic_predict,
    ols,
    outcome_array,
    treatment_array,
)
from crm_research.causal.estimators import EffectEstimate, build_estimate
from crm_research.errors import EstimationError, ParameterError

__all__ = ["ipw", "aipw"]


def _check_eps(eps: float) -> float:
    if not isinstance(eps, int | float) or not 0.0 <= float(eps) < 0.5:
        raise ParameterError(f"eps (propensity trimming bound) must be in [0, 0.5), got {eps!r}")
    return float(eps)



def _checked_clipped_propensities(e_raw: np.ndarray, eps: float, overlap_tol: float,
                                  max_extreme_share: float,
                                  treatment: str) -> tuple[np.ndarray, np.ndarray]:
    """Check overlap on the raw propensities, then trim them to [eps, 1 - eps].

    Returns the trimmed propensities and a boolean mask of the trimmed units (reported as
    ``n_trimmed``). eps = 0 with a propensity of exactly 0 or 1 → EstimationError.
    """
    check_overlap(e_raw, overlap_tol, max_extreme_share, treatment)
    clipped = (e_raw < eps) | (e_raw > 1.0 - eps)
    e = np.clip(e_raw, eps, 1.0 - eps)
    if np.any(e <= 0) or np.any(e >= 1):
        raise EstimationError(
            f"propensities of 0 or 1 with eps=0 for {treatment!r}: weights are infinite; "
            "use eps > 0"
        )
    return e, clipped


def ipw(data: pd.DataFrame, outcome: str, treatment: str, covariates: Sequence[str] = (),
        propensity: np.ndarray | None = None, eps: float = 0.01, level: float = 0.95,
        overlap_tol: float = 1e-3, max_extreme_share: float = 0.05) -> EffectEstimate:
    """Inverse-probability weighting with normalised (Hajek) weights.

    ``mu1 = Σ T y / e / Σ T / e`` and ``mu0 = Σ (1-T) y / (1-e) / Σ (1-T) / (1-e)``
    (Hajek 1971; Lunceford & Davidian 2004, estimator Δ̂_IPW,2), i.e. the coefficient of a
    weighted regression of y on T with weights ``T/e + (1-T)/(1-e)``.

    Propensities: ``propensity`` if given (known design), else a logistic regression of T on
    ``covariates`` (maximum likelihood). They are then clipped to ``[eps, 1 - eps]``; the
    number clipped is ``details['n_trimmed']``.

    SE: sandwich for the stacked estimating equations ``X(T - e(β))``,
    ``T(y - mu1)/e``, ``(1-T)(y - mu0)/(1-e)`` (M-estimation; Lunceford & Davidian 2004,
    section 3.2). Clipped units contribute no derivative with respect to β. Normal interval.

    No overlap: EstimationError when more than ``max_extreme_share`` of the *untrimmed*
    propensities lie within ``overlap_tol`` of 0 or 1 (trimming does not hide it).
    """
    level = check_level(level, "level")
    eps = _check_eps(eps)
    t = treatment_array(data, treatment)
    y = outcome_array(data, outcome)
    n, n1 = len(y), int(t.sum())
    if propensity is not None:
        e_raw = np.asarray(propensity, dtype=float)
        if e_raw.shape != (n,) or not np.all((e_raw >= 0) & (e_raw <= 1)):
            raise ParameterError(
                f"propensity must be an array of {n} probabilities in [0, 1]"
            )
        X = None
    else:
        X = add_intercept(covariate_matrix(data, covariates).to_numpy())
        beta = fit_logistic(X, t)
        e_raw = logistic_predict(X, beta)
    e, clipped = _checked_clipped_propensities(e_raw, eps, overlap_tol, max_extreme_share,
                                               treatment)
    w1, w0 = t / e, (1.0 - t) / (1.0 - e)
    mu1 = float(np.sum(w1 * y) / np.sum(w1))
    mu0 = float(np.sum(w0 * y) / np.sum(w0))
    psi1 = w1 * (y - mu1)
    psi0 = w0 * (y - mu0)
    if X is None:
        psi = np.column_stack([psi1, psi0])
        A = np.diag([np.mean(w1), np.mean(w0)])
        B = psi.T @ psi / n
        Ainv = np.linalg.inv(A)
        V = Ainv @ B @ Ainv.T / n
    else:
        p = X.shape[1]
        de = np.where(clipped, 0.0, e * (1.0 - e))  # ∂e/∂η
        score = X * (t - e_raw)[:, None]
        psi = np.column_stack([score, psi1, psi0])
        A = np.zeros((p + 2, p + 2))
        A[:p, :p] = X.T @ ((e_raw * (1.0 - e_raw))[:, None] * X) / n
        # -∂psi1/∂β = T (y - mu1) / e² · ∂e/∂β ;  -∂psi0/∂β = -(1-T)(y - mu0)/(1-e)² · ∂e/∂β
        A[p, :p] = (t * (y - mu1) / e**2 * de) @ X / n
        A[p + 1, :p] = -((1.0 - t) * (y - mu0) / (1.0 - e) ** 2 * de) @ X / n
        A[p, p] = np.mean(w1)
        A[p + 1, p + 1] = np.mean(w0)
        B = psi.T @ psi / n
        Ainv = np.linalg.pinv(A)
        V = (Ainv @ B @ Ainv.T / n)[p:, p:]
    return build_estimate("ipw", mu1, mu0, V, level, n, n1,
                  details={"n_trimmed": int(clipped.sum()), "eps": eps,
                           "propensity_model": "known" if X is None else "logistic"},
                  propensity=e)


def _fold_ids(t: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Seeded random split into ``n_folds`` folds, stratified by treatment.

    Treated and control units are shuffled separately (``numpy.random.default_rng(seed)``)
    and dealt to the folds in turn, so every fold holds ⌊n_t/K⌋ or ⌈n_t/K⌉ units of each
    group.
    """
    rng = np.random.default_rng(seed)
    folds = np.empty(len(t), dtype=int)
    for group in (1.0, 0.0):
        idx = rng.permutation(np.flatnonzero(t == group))
        folds[idx] = np.arange(len(idx)) % n_folds
    return folds


def _fit_outcome(X: np.ndarray, y: np.ndarray, model: str) -> tuple[str, Any]:
    if model == "logistic":
        if np.ptp(y) == 0:
            return "const", float(y[0])
        return "logistic", fit_logistic(X, y)
    return "linear", ols(X, y)


def _predict_outcome(fit: tuple[str, Any], X: np.ndarray) -> np.ndarray:
    kind, par = fit
    if kind == "const":
        return np.full(X.shape[0], par)
    if kind == "logistic":
        return logistic_predict(X, par)
    return X @ par


def aipw(data: pd.DataFrame, outcome: str, treatment: str, covariates: Sequence[str],
         n_folds: int = 5, seed: int = 0, eps: float = 0.01, outcome_model: str = "auto",
         level: float = 0.95, overlap_tol: float = 1e-3,
         max_extreme_share: float = 0.05) -> EffectEstimate:
    """Augmented IPW (doubly robust) with K-fold cross-fitting.

    For each fold k, on the other folds fit a logistic propensity model e(X) and one outcome
    model per arm m_t(X) (``outcome_model``: "linear" = OLS, "logistic" = logistic
    regression, "auto" = logistic for a 0/1 outcome else linear); predict on fold k.
    Propensities are clipped to ``[eps, 1 - eps]`` (count in ``details['n_trimmed']``).

    Influence functions (Robins et al. 1994; Chernozhukov et al. 2018, eq. 5.3):
    ``φ1 = m1 + T(y - m1)/e``, ``φ0 = m0 + (1-T)(y - m0)/(1-e)``; ``mu_t = mean(φ_t)``,
    ATE = ``mean(φ1 - φ0)``, covariance of (mu1, mu0) = ``cov(φ1, φ0)/n`` (sample
    covariance, ddof=1); normal interval. ``n_folds=1`` means no cross-fitting (nuisance
    models fitted and evaluated on all data). The fold split is random, stratified by
    treatment and seeded by ``seed``. No overlap: as in :func:`ipw` (checked on the
    untrimmed cross-fitted propensities).
    """
    level = check_level(level, "level")
    eps = _check_eps(eps)
    if not isinstance(n_folds, int) or n_folds < 1:
        raise ParameterError(f"n_folds must be a positive integer, got {n_folds!r}")
    if outcome_model not in ("auto", "linear", "logistic"):
        raise ParameterError(
            f"outcome_model must be 'auto', 'linear' or 'logistic', got {outcome_model!r}"
        )
    t = treatment_array(data, treatment)
    y = outcome_array(data, outcome)
    n, n1 = len(y), int(t.sum())
    binary = is_binary(y)
    if outcome_model == "auto":
        outcome_model = "logistic" if binary else "linear"
    elif outcome_model == "logistic" and not binary:
        raise ParameterError(f"outcome_model='logistic' needs a 0/1 outcome; {outcome!r} is not")
    X = add_intercept(covariate_matrix(data, covariates).to_numpy())
    if n_folds > 1 and n < 2 * n_folds:
        raise ParameterError(f"n_folds={n_folds} is too many for {n} units")
    if n_folds > 1 and min(n1, n - n1) < n_folds:
        raise EstimationError(
            f"n_folds={n_folds} needs at least {n_folds} treated and {n_folds} control units "
            f"for {treatment!r}; found {n1} and {n - n1} — use fewer folds"
        )
    seed = check_seed(seed, allow_none=False)
    folds = _fold_ids(t, n_folds, seed) if n_folds > 1 else np.zeros(n, dtype=int)
    e_raw = np.empty(n)
    m1 = np.empty(n)
    m0 = np.empty(n)
    for k in range(n_folds):
        test = folds == k
        train = ~test if n_folds > 1 else test
        tt, Xt, yt = t[train], X[train], y[train]
        if tt.min() == tt.max() or tt.sum() < 2 or (1 - tt).sum() < 2:
            raise EstimationError(
                f"fold {k} training data lacks treated or control units for {treatment!r}; "
                "use fewer folds"
            )
        e_raw[test] = logistic_predict(X[test], fit_logistic(Xt, tt))
        m1[test] = _predict_outcome(_fit_outcome(Xt[tt == 1], yt[tt == 1], outcome_model),
                                    X[test])
        m0[test] = _predict_outcome(_fit_outcome(Xt[tt == 0], yt[tt == 0], outcome_model),
                                    X[test])
    e, clipped = _checked_clipped_propensities(e_raw, eps, overlap_tol, max_extreme_share,
                                               treatment)
    phi1 = m1 + t * (y - m1) / e
    phi0 = m0 + (1.0 - t) * (y - m0) / (1.0 - e)
    cov = np.cov(np.column_stack([phi1, phi0]), rowvar=False) / n
    return build_estimate("aipw", float(phi1.mean()), float(phi0.mean()), cov, level, n, n1,
                  details={"n_trimmed": int(clipped.sum()), "eps": eps, "n_folds": n_folds,
                           "seed": seed, "outcome_model": outcome_model},
                  propensity=e)

