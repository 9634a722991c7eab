"""Shared maximum-likelihood machinery of the customer-value models.

Every model (BG/NBD, Pareto/NBD, Gamma-Gamma, sBG) supplies a function returning the
per-row log-likelihood (and, optionally, its gradient with respect to the original-scale
parameters). :func:`fit_mle` then

1. minimises ``-sum_i w_i * ll_i(theta) + l2 * sum_k theta_k**2`` over ``log(theta)`` (all model
   parameters are positive) with ``scipy.optimize.minimize`` (L-BFGS-B; analytic gradient when
   the model has one, central differences otherwise), ``w_i`` being row weights (the number of
   customers sharing a collapsed (x, t_x, T) row, see :func:`collapse_rows`), inside a box
   ``lower <= theta <= upper`` (default 1e-6 .. 1e6) with an iteration and a wall-time budget;
   a fit whose optimum lies on the box (a degenerate limit of the model, e.g. Pareto/NBD with
   no dropout, s -> 0) ends with status ``"boundary"`` instead of creeping towards it;
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

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize

from crm_research._checks import check_level
from crm_research.clv.results import FitResult
from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError

LLFunc = Callable[[np.ndarray], np.ndarray]
GradFunc = Callable[[np.ndarray], tuple[float, np.ndarray]]


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


#: Default search box of every model parameter (original scale). The fits run on log(theta);
#: a parameter ending on a bound marks a degenerate limit of the model (status "boundary").
DEFAULT_BOUNDS = (1e-6, 1e6)


def _bounds_for(names: list[str], bounds) -> list[tuple[float, float]]:
    """Per-parameter (lower, upper) on the original scale: one pair for all or a dict."""
    if bounds is None:
        bounds = DEFAULT_BOUNDS
    if isinstance(bounds, dict):
        pairs = [tuple(bounds.get(k, DEFAULT_BOUNDS)) for k in names]
    else:
        pairs = [tuple(bounds)] * len(names)
    for k, (lo, hi) in zip(names, pairs, strict=True):
        if not (0 < lo < hi and np.isfinite(hi)):
            raise ParameterError(f"bounds of {k!r} must satisfy 0 < lower < upper < inf, "
                                 f"got ({lo}, {hi})")
    return [(float(lo), float(hi)) for lo, hi in pairs]


#: A non-converged fit ending within this factor of a bound is reported as "boundary".
NEAR_BOUND = 100.0


def fit_mle(
    model: str,
    names: list[str],
    loglik: LLFunc,
    x0: np.ndarray,
    weights: np.ndarray,
    loglik_grad: GradFunc | None = None,
    l2: float = 0.0,
    maxiter: int = 1000,
    max_seconds: float | None = 300.0,
    bounds=None,
    level: float = 0.95,
    raise_on_failure: bool = True,
    result_class: type[FitResult] = FitResult,
) -> FitResult:
    """Maximise ``sum w_i ll_i(theta)`` over ``theta`` in a box (see module docstring).

    ``loglik(theta)`` returns the per-row log-likelihood array; ``loglik_grad(theta)`` (optional)
    returns ``(weighted total ll, gradient of it w.r.t. theta)``. The search runs on log(theta)
    inside ``bounds`` (default :data:`DEFAULT_BOUNDS`; a pair for all parameters or a dict by
    name) with at most ``maxiter`` L-BFGS-B iterations and ``max_seconds`` of wall time
    (``None``: no time limit). The result's ``status`` says how the search ended (converged,
    boundary, iteration limit, time limit, not converged); unless converged, a
    :class:`ConvergenceError` is raised when ``raise_on_failure`` is true.
    """
    if l2 < 0 or not np.isfinite(l2):
        raise ParameterError(f"l2 penalty must be a finite number >= 0, got {l2}")
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ParameterError(f"maxiter must be a positive integer, got {maxiter!r}")
    if max_seconds is not None and not (np.isfinite(max_seconds) and max_seconds > 0):
        raise ParameterError(f"max_seconds must be a positive number or None, got {max_seconds}")
    level = check_level(level)
    box = _bounds_for(names, bounds)
    lo_z = np.log([b[0] for b in box])
    hi_z = np.log([b[1] for b in box])
    x0 = np.asarray(x0, dtype=float)
    if np.any(x0 <= 0) or not np.all(np.isfinite(x0)):
        raise ParameterError(f"{model}: start values must be positive and finite, got {x0}")
    w = np.asarray(weights, dtype=float)
    n_total = float(w.sum())
    scale = max(n_total, 1.0)  # objective scaled per customer for a well-conditioned optimiser
    t_start = time.perf_counter()
    deadline = None if max_seconds is None else t_start + float(max_seconds)

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

    z0 = np.clip(np.log(x0), lo_z, hi_z)
    if objective(z0) >= 1e299:
        raise EstimationError(f"{model}: the log-likelihood is not finite at the start values")

    timed_out = False

    def callback(intermediate_result=None) -> None:
        nonlocal timed_out
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            raise StopIteration

    res = optimize.minimize(
        obj_and_grad, z0, jac=True, method="L-BFGS-B", callback=callback,
        bounds=list(zip(lo_z, hi_z, strict=True)),
        options={"maxiter": int(maxiter), "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    z = res.x
    on_bound = (z <= lo_z + 1e-6) | (z >= hi_z - 1e-6)
    at_bound = tuple(n for n, b in zip(names, on_bound, strict=True) if b)
    free = ~on_bound
    # within a factor NEAR_BOUND of the box: reported as heading for the bound if not converged
    near = (z <= lo_z + np.log(NEAR_BOUND)) | (z >= hi_z - np.log(NEAR_BOUND))

    def grad_and_hess(zz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if loglik_grad is not None:
            return grad_only(zz), _hessian_from_gradient(grad_only, zz)
        return _central_gradient(objective, zz), numerical_hessian(objective, zz)

    g = np.full(len(z), np.nan)
    H = np.full((len(z), len(z)), np.nan)
    if not at_bound and not timed_out:
        # Newton polish (log scale): a few steps on one numerical Hessian, accepted only when
        # the objective does not increase; the Hessian is recomputed if the point moved.
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
            if np.any(z_new <= lo_z) or np.any(z_new >= hi_z):
                break
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
    elif not timed_out:
        g = grad_only(z)
    gfree = np.abs(g[free]) if free.any() else np.zeros(1)
    gnorm = float(np.nanmax(gfree)) if np.any(np.isfinite(gfree)) else float("nan")
    theta = np.exp(z)
    ll = total_ll(theta)
    cov = np.full((len(z), len(z)), np.nan)
    pd_ok = False
    if not at_bound and np.all(np.isfinite(H)):
        try:
            eig = np.linalg.eigvalsh(H)
            if np.all(eig > 0):
                cov = np.linalg.inv(H) * np.outer(theta, theta)
                pd_ok = True
        except np.linalg.LinAlgError:
            pass
    small_grad = bool(np.isfinite(ll) and np.isfinite(gnorm) and gnorm / scale < 1e-4)
    msg = str(res.message)
    if timed_out:
        status = "time limit"
        msg = f"stopped after {max_seconds:g} s (time budget)"
    elif at_bound:
        status = "boundary"
        msg = (f"parameter(s) {list(at_bound)} ended on the bound of the search box "
               f"{[box[names.index(k)] for k in at_bound]}: the likelihood rises towards a "
               "degenerate limit of the model (no standard errors)")
    elif small_grad and pd_ok:
        status = "converged"
    elif near.any():
        status = "boundary"
        at_bound = tuple(n for n, b in zip(names, near, strict=True) if b)
        msg = (f"parameter(s) {list(at_bound)} ended within a factor {NEAR_BOUND:g} of the "
               f"bound of the search box {[box[names.index(k)] for k in at_bound]} without "
               "converging: the likelihood rises towards a degenerate limit of the model "
               "(no standard errors)")
        cov[:] = np.nan
    elif res.nit >= maxiter:
        status = "iteration limit"
        msg = f"stopped after {maxiter} iterations (iteration budget)"
    else:
        status = "not converged"
        if not pd_ok:
            msg += "; Hessian not positive definite (no standard errors)"
    converged = status == "converged"
    if not converged and raise_on_failure:
        raise ConvergenceError(
            f"{model}: maximum-likelihood fit did not converge ({status}: {msg}; max |gradient| "
            f"{gnorm:.3g}, estimates {dict(zip(names, np.round(theta, 6).tolist(), strict=True))});"
            " try other start values or an l2 penalty, or pass raise_on_failure=False to get "
            "the fit with its status"
        )
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    return result_class(
        model=model,
        params=pd.Series(theta, index=names, name="estimate"),
        std_errors=pd.Series(se, index=names, name="std_error"),
        log_likelihood=ll,
        n=n_total,
        n_rows=len(w),
        converged=converged,
        n_iter=int(res.nit),
        message=msg,
        status=status,
        l2=l2,
        level=level,
        max_gradient=gnorm / scale if np.isfinite(gnorm) else float("nan"),
        seconds=time.perf_counter() - t_start,
        at_bound=at_bound,
        covariance=pd.DataFrame(cov, index=names, columns=names),
    )


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
