"""Shared maximum-likelihood machinery of the customer-value models.

Every model (BG/NBD, Pareto/NBD, Gamma-Gamma, sBG) supplies a function returning the
per-row log-likelihood (and, optionally, its gradient with respect to the original-scale
parameters). :func:`fit_mle` then

1. minimises ``-sum_i w_i * ll_i(theta) + l2 * sum_k theta_k**2`` over ``log(theta)`` (all model
   parameters are positive) with ``scipy.optimize.minimize`` (L-BFGS-B; analytic gradient when
   the model has one, central differences otherwise), ``w_i`` being row weights (the number of
   customers sharing a collapsed (x, t_x, T) row, see :func:`collapse_rows`);
2. polishes the optimum with Newton steps on a numerical Hessian in log-parameter space;
3. reports standard errors from the inverse of that Hessian, transformed to the original scale
   by the delta method: ``cov(theta) = D cov(log theta) D`` with ``D = diag(theta)``. At an
   interior optimum the gradient is zero, so this equals the inverse of the Hessian taken
   directly on the original scale (the term in the gradient vanishes).

With ``l2 > 0`` the estimate is a penalised (MAP-like) estimate and its standard errors come
from the penalised objective's Hessian; the reported ``log_likelihood`` is always the
unpenalised log-likelihood at the estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError

LLFunc = Callable[[np.ndarray], np.ndarray]
GradFunc = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class FitResult:
    """A fitted customer-value model.

    ``params`` and ``std_errors`` are indexed by parameter name (original scale);
    ``log_likelihood`` is the unpenalised maximum; ``n`` the number of customers (sum of
    weights); ``n_rows`` the rows seen by the optimiser (fewer when collapsed).
    """

    model: str
    params: pd.Series
    std_errors: pd.Series
    log_likelihood: float
    n: float
    n_rows: int
    converged: bool
    n_iter: int
    message: str
    l2: float = 0.0
    covariance: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """Table ``parameter, estimate, std_error``; a last row carries ``log_likelihood``."""
        rows = pd.DataFrame(
            {
                "parameter": list(self.params.index),
                "estimate": self.params.to_numpy(dtype=float),
                "std_error": self.std_errors.reindex(self.params.index).to_numpy(dtype=float),
            }
        )
        ll = pd.DataFrame(
            {"parameter": ["log_likelihood"], "estimate": [self.log_likelihood],
             "std_error": [np.nan]}
        )
        return pd.concat([rows, ll], ignore_index=True)


def collapse_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows of the given equal-length columns.

    Returns ``(unique_columns, counts)``: the distinct rows (sorted lexicographically, last
    column first key) and how many input rows each stands for. The counts are the weights of a
    weighted fit, which gives exactly the same log-likelihood as the uncollapsed fit.
    """
    cols = [np.asarray(c) for c in columns]
    n = len(cols[0])
    if any(len(c) != n for c in cols):
        raise DataError("collapse_rows: columns differ in length")
    if n == 0:
        return [c[:0] for c in cols], np.zeros(0, dtype=np.int64)
    # Hash each column to sorted integer codes, combine into one int64 key (lexicographic
    # order of the values), then one integer sort. Falls back to lexsort if the key overflows.
    codes, sizes = [], []
    for c in cols:
        code, uniq = pd.factorize(c, sort=True)
        codes.append(code.astype(np.int64))
        sizes.append(len(uniq))
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        key = codes[0]
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key = key * size + code
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        return [c[first] for c in cols], counts.astype(np.int64)
    order = np.lexsort(cols[::-1])
    sorted_cols = [c[order] for c in cols]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in sorted_cols:
        change[1:] |= c[1:] != c[:-1]
    start = np.flatnonzero(change)
    counts = np.diff(np.r_[start, n])
    return [c[start] for c in sorted_cols], counts


def weighted_sum(w: np.ndarray, v: np.ndarray) -> float:
    """sum(w * v) without BLAS (a threaded ddot is slow on a busy machine)."""
    return float(np.multiply(w, v).sum())


def weighted_rows(
    model: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights, collapse: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``(x, t_x, T, w)`` rows a transaction model is fitted on (validated arrays in).

    ``weights`` are per-row customer counts (default 1); ``collapse=True`` merges identical
    rows instead (:func:`collapse_rows`) and cannot be combined with ``weights``.
    """
    if len(x) == 0:
        raise DataError(f"{model}: no customers to fit")
    if collapse:
        if weights is not None:
            raise DataError(f"{model}: pass either weights or collapse=True, not both")
        (x, t_x, T), counts = collapse_rows(x, t_x, T)
        return x, t_x, T, counts.astype(float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(x) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise DataError(f"{model}: weights must be finite, >= 0 and one per row")
    return x, t_x, T, w


def _central_gradient(f: Callable[[np.ndarray], float], z: np.ndarray, h: float = 1e-6):
    g = np.empty_like(z)
    for k in range(len(z)):
        e = np.zeros_like(z)
        e[k] = h
        g[k] = (f(z + e) - f(z - e)) / (2 * h)
    return g


def numerical_hessian(f: Callable[[np.ndarray], float], z: np.ndarray, h: float = 1e-4):
    """Central-difference Hessian of a scalar function (standard 4-point cross formula)."""
    k = len(z)
    H = np.empty((k, k))
    f0 = f(z)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h
        H[i, i] = (f(z + ei) - 2 * f0 + f(z - ei)) / h**2
        for j in range(i + 1, k):
            ej = np.zeros(k)
            ej[j] = h
            H[i, j] = H[j, i] = (
                f(z + ei + ej) - f(z + ei - ej) - f(z - ei + ej) + f(z - ei - ej)
            ) / (4 * h**2)
    return H


def _hessian_from_gradient(g: Callable[[np.ndarray], np.ndarray], z: np.ndarray, h: float = 1e-5):
    k = len(z)
    H = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        H[:, j] = (g(z + e) - g(z - e)) / (2 * h)
    return (H + H.T) / 2


def fit_mle(
    model: str,
    names: list[str],
    loglik: LLFunc,
    x0: np.ndarray,
    weights: np.ndarray,
    loglik_grad: GradFunc | None = None,
    l2: float = 0.0,
    maxiter: int = 2000,
    raise_on_failure: bool = True,
) -> FitResult:
    """Maximise ``sum w_i ll_i(theta)`` over positive ``theta`` (see module docstring).

    ``loglik(theta)`` returns the per-row log-likelihood array; ``loglik_grad(theta)`` (optional)
    returns ``(weighted total ll, gradient of it w.r.t. theta)``.
    """
    if l2 < 0 or not np.isfinite(l2):
        raise ParameterError(f"l2 penalty must be a finite number >= 0, got {l2}")
    x0 = np.asarray(x0, dtype=float)
    if np.any(x0 <= 0) or not np.all(np.isfinite(x0)):
        raise ParameterError(f"{model}: start values must be positive and finite, got {x0}")
    w = np.asarray(weights, dtype=float)
    n_total = float(w.sum())
    scale = max(n_total, 1.0)  # objective scaled per customer for a well-conditioned optimiser

    def total_ll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            ll = loglik(theta)
        val = weighted_sum(w, ll)
        return val if np.isfinite(val) else -np.inf

    def objective(z: np.ndarray) -> float:
        theta = np.exp(z)
        val = -total_ll(theta) + l2 * float(np.sum(theta**2))
        return val if np.isfinite(val) else 1e300

    def obj_and_grad(z: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(z)
        if loglik_grad is not None:
            with np.errstate(all="ignore"):
                ll, g = loglik_grad(theta)
            if not np.isfinite(ll) or not np.all(np.isfinite(g)):
                return 1e300, np.zeros_like(z)
            f = -ll + l2 * float(np.sum(theta**2))
            grad = (-g + 2 * l2 * theta) * theta
            return f / scale, grad / scale
        f = objective(z)
        if f >= 1e299:
            return 1e300, np.zeros_like(z)
        return f / scale, _central_gradient(objective, z) / scale

    def grad_only(z: np.ndarray) -> np.ndarray:
        return obj_and_grad(z)[1] * scale

    z0 = np.log(x0)
    if objective(z0) >= 1e299:
        raise EstimationError(f"{model}: the log-likelihood is not finite at the start values")
    res = optimize.minimize(
        obj_and_grad, z0, jac=True, method="L-BFGS-B",
        options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    z = res.x

    def grad_and_hess(zz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if loglik_grad is not None:
            return grad_only(zz), _hessian_from_gradient(grad_only, zz)
        return _central_gradient(objective, zz), numerical_hessian(objective, zz)

    # Newton polish (log scale): a few steps on one numerical Hessian, accepted only when the
    # objective does not increase; the Hessian is recomputed at the end if the point moved.
    g, H = grad_and_hess(z)
    moved = 0.0
    f_cur = objective(z)
    for _ in range(5):
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 1.0:
            break
        z_new = z - step
        f_new = objective(z_new)
        if f_new > f_cur + 1e-12 * abs(f_cur):
            break
        z, f_cur = z_new, f_new
        moved += float(np.max(np.abs(step)))
        g = grad_only(z) if loglik_grad is not None else _central_gradient(objective, z)
        if np.max(np.abs(step)) < 1e-9:
            break
    if moved > 1e-4:
        g, H = grad_and_hess(z)
    gnorm = float(np.max(np.abs(g)))
    theta = np.exp(z)
    ll = total_ll(theta)
    # Converged when the gradient (log scale, per customer) is small and the Hessian is PD.
    cov = np.full((len(z), len(z)), np.nan)
    pd_ok = False
    try:
        eig = np.linalg.eigvalsh(H)
        if np.all(eig > 0):
            cov_log = np.linalg.inv(H)
            cov = cov_log * np.outer(theta, theta)
            pd_ok = True
    except np.linalg.LinAlgError:
        pass
    converged = bool(np.isfinite(ll) and gnorm / scale < 1e-4 and pd_ok)
    msg = str(res.message)
    if not pd_ok:
        msg += "; Hessian not positive definite (no standard errors)"
    if not converged and raise_on_failure:
        raise ConvergenceError(
            f"{model}: maximum-likelihood fit did not converge ({msg}; max |gradient| "
            f"{gnorm:.3g}, estimates {dict(zip(names, np.round(theta, 6), strict=True))}); "
            "try other start values or an l2 penalty"
        )
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    return FitResult(
        model=model,
        params=pd.Series(theta, index=names, name="estimate"),
        std_errors=pd.Series(se, index=names, name="std_error"),
        log_likelihood=ll,
        n=n_total,
        n_rows=len(w),
        converged=converged,
        n_iter=int(res.nit),
        message=msg,
        l2=l2,
        covariance=pd.DataFrame(cov, index=names, columns=names),
    )


def check_params(params: pd.Series | dict | FitResult, names: list[str], model: str) -> np.ndarray:
    """Parameter vector (in ``names`` order) from a FitResult / Series / dict; all > 0."""
    if isinstance(params, FitResult):
        params = params.params
    try:
        vals = np.array([float(params[k]) for k in names])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"{model}: parameters must include {names}, got {params}") from exc
    if np.any(~np.isfinite(vals)) or np.any(vals <= 0):
        raise ParameterError(f"{model}: parameters {names} must be positive, got {vals}")
    return vals


def check_rfm(x, t_x, T, model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate frequency / recency / T arrays (x >= 0 integer, 0 <= t_x <= T, T >= 0).

    T = 0 (first purchase on the last observed day) is allowed: such a customer has x = 0 and
    contributes log-likelihood 0 (no information) in BG/NBD and Pareto/NBD."""
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise DataError(f"{model}: frequency/recency/T contain missing or infinite values")
    if np.any(x < 0) or np.any(x != np.round(x)):
        i = int(np.argmax((x < 0) | (x != np.round(x))))
        raise DataError(f"{model}: frequency must be a non-negative integer (row {i}: {x[i]})")
    if np.any(t_x < 0) or np.any(t_x > T * (1 + 1e-12)):
        i = int(np.argmax((t_x < 0) | (t_x > T * (1 + 1e-12))))
        raise DataError(
            f"{model}: recency must satisfy 0 <= recency <= T (row {i}: recency {t_x[i]}, T {T[i]})"
        )
    if np.any((x > 0) & (t_x <= 0)):
        i = int(np.argmax((x > 0) & (t_x <= 0)))
        raise DataError(f"{model}: row {i} has frequency {x[i]} > 0 but recency 0")
    if np.any(T < 0):
        i = int(np.argmax(T < 0))
        raise DataError(f"{model}: T must be >= 0 (row {i}: {T[i]})")
    return x, np.minimum(t_x, T), T
