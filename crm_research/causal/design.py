"""Inputs and nuisance models of the causal estimators.

* checks of the treatment (0/1 or bool, both groups present) and outcome columns;
* :func:`covariate_matrix` — numeric design columns (indicator coding of categories);
* :func:`fit_logistic` — maximum-likelihood logistic regression by Newton-Raphson / IRLS with the
  convergence criterion of R ``glm.fit`` (relative deviance change; tighter tolerance);
* :func:`propensity_scores` with the overlap check used by IPW and AIPW; OLS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import (
    no_missing,
    plain,
    require_columns,
    require_frame,
    spreadsheet_rows,
)
from crm_research.errors import ConvergenceError, DataError, EstimationError

__all__ = ["require_role_columns", "complete_column", "treatment_array", "outcome_array",
           "indicator_levels", "covariate_matrix", "fit_logistic", "logistic_predict",
           "add_intercept", "check_overlap", "propensity_scores", "ols", "is_binary"]


def require_role_columns(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """:func:`crm_research._checks.require_columns` naming the columns' role in the analysis."""
    require_frame(data)
    require_columns(data, columns, f"{role} column(s)")


def complete_column(data: pd.DataFrame, column: str, role: str) -> None:
    """:class:`DataError` if ``column`` has missing values (rows counted from 1)."""
    no_missing(data[column], f"{role} column {column!r}", "; drop or impute them first")


def treatment_array(data: pd.DataFrame, treatment: str) -> np.ndarray:
    """The 0/1 treatment column as floats; both groups must be present."""
    require_role_columns(data, [treatment], "treatment")
    complete_column(data, treatment, "treatment")
    col = data[treatment]
    if pd.api.types.is_bool_dtype(col):
        t = col.to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(col):
        t = col.to_numpy(dtype=float)
        bad = ~np.isin(t, (0.0, 1.0))
        if bad.any():
            raise DataError(
                f"treatment column {treatment!r} must be 0/1 or bool; found value "
                f"{plain(t[bad][0])!r} (data row {spreadsheet_rows(bad, 1)[0]})"
            )
    else:
        raise DataError(
            f"treatment column {treatment!r} must be 0/1 or bool, got dtype {col.dtype}; "
            "build an indicator first (e.g. arm_effects for a multi-arm column)"
        )
    n1 = int(t.sum())
    if n1 == 0 or n1 == len(t):
        which = "control (0)" if n1 == len(t) else "treated (1)"
        raise EstimationError(
            f"treatment column {treatment!r} has no {which} units: both groups are needed"
        )
    return t


def outcome_array(data: pd.DataFrame, outcome: str) -> np.ndarray:
    """The numeric or bool outcome as finite floats; a constant outcome is refused."""
    require_role_columns(data, [outcome], "outcome")
    complete_column(data, outcome, "outcome")
    col = data[outcome]
    if not (pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)):
        raise DataError(f"outcome column {outcome!r} must be numeric or bool, got {col.dtype}")
    y = col.to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise DataError(f"outcome column {outcome!r} has non-finite values")
    if np.ptp(y) == 0.0:
        raise EstimationError(
            f"outcome column {outcome!r} is constant ({plain(y[0])!r}): no effect can be estimated"
        )
    return y


def indicator_levels(col: pd.Series) -> tuple[pd.Series, list[Any]]:
    """Values and observed levels of a categorical column, for 0/1 indicators.

    A pandas category keeps its category order (unobserved categories dropped); any other
    column is compared as text, with its levels sorted. Returns ``(values, levels)``; an
    indicator of level ``lv`` is ``values == lv``.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col, [lv for lv in col.cat.categories if (col == lv).any()]
    text = col.astype(str)
    return text, sorted(text.unique())


def covariate_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric design columns for ``covariates`` (without intercept).

    bool → 0/1; numeric → float; category / object / string → one indicator per level except
    the first (reference) level, named ``column[level]`` (levels in category order, else
    sorted). Columns that are constant in ``data`` are dropped (they carry no information
    and would make the design singular).
    """
    covariates = list(covariates)
    require_role_columns(data, covariates, "covariate")
    parts: list[pd.DataFrame] = []
    for c in covariates:
        complete_column(data, c, "covariate")
        col = data[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(pd.DataFrame({c: col.to_numpy(dtype=float)}, index=data.index))
            continue
        col, levels = indicator_levels(col)
        for lv in levels[1:]:
            parts.append(
                pd.DataFrame({f"{c}[{lv}]": (col == lv).to_numpy(dtype=float)}, index=data.index)
            )
    if not parts:
        return pd.DataFrame(index=data.index)
    X = pd.concat(parts, axis=1)
    keep = [c for c in X.columns if np.ptp(X[c].to_numpy()) > 0]
    return X[keep]


# --------------------------------------------------------------------------------------------
# Nuisance models
# --------------------------------------------------------------------------------------------


def fit_logistic(X: np.ndarray, y: np.ndarray, max_iter: int = 100,
                 tol: float = 1e-12) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton–Raphson / IRLS (no penalty).

    ``X`` must contain the intercept column. Convergence when the relative change of the
    deviance is below ``tol`` (criterion of R ``glm.fit``, tighter tolerance). Rank-deficient
    designs are handled by a minimum-norm Newton step. Returns the coefficients; raises
    ConvergenceError after ``max_iter`` iterations without convergence. Under
    (quasi-)separation the coefficients drift and fitted probabilities approach 0/1; the
    overlap check of the caller reports that.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = np.zeros(X.shape[1])
    dev_old = np.inf
    for _ in range(max_iter + 1):
        eta = np.clip(X @ beta, -35.0, 35.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = -2.0 * np.sum(np.where(y > 0, y * np.log(p), 0.0)
                                + np.where(y < 1, (1 - y) * np.log1p(-p), 0.0))
        if np.isfinite(dev_old) and abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            return beta
        dev_old = dev
        w = p * (1.0 - p)
        hess = X.T @ (w[:, None] * X)
        grad = X.T @ (y - p)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
    raise ConvergenceError(
        f"logistic regression did not converge in {max_iter} Newton iterations "
        f"(last relative deviance change above {tol:g})"
    )


def logistic_predict(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Fitted probabilities 1 / (1 + exp(-X beta)) (linear predictor clipped to ±35)."""
    eta = np.clip(X @ beta, -35.0, 35.0)
    return 1.0 / (1.0 + np.exp(-eta))


def add_intercept(X: np.ndarray) -> np.ndarray:
    """``X`` with a leading column of ones."""
    return np.column_stack([np.ones(X.shape[0]), X])


def check_overlap(e: np.ndarray, tol: float, max_share: float, treatment: str) -> None:
    """EstimationError when more than ``max_share`` of propensities lie within ``tol`` of 0/1."""
    extreme = (e < tol) | (e > 1.0 - tol)
    share = float(extreme.mean())
    if share > max_share:
        raise EstimationError(
            f"no overlap: {share:.1%} of units have an estimated propensity for {treatment!r} "
            f"within {tol:g} of 0 or 1 (allowed: {max_share:.1%}); the covariates (nearly) "
            "determine treatment, so treated and control units are not comparable — restrict "
            "the sample or change the covariates"
        )


def propensity_scores(data: pd.DataFrame, treatment: str, covariates: Sequence[str],
                      overlap_tol: float = 1e-3, max_extreme_share: float = 0.05) -> np.ndarray:
    """Fitted logistic propensities P(T=1 | X) (untrimmed), after the overlap check.

    Raises EstimationError when more than ``max_extreme_share`` of the units have a
    propensity within ``overlap_tol`` of 0 or 1 (no overlap).
    """
    t = treatment_array(data, treatment)
    X = add_intercept(covariate_matrix(data, covariates).to_numpy())
    beta = fit_logistic(X, t)
    e = logistic_predict(X, beta)
    check_overlap(e, overlap_tol, max_extreme_share, treatment)
    return e


def ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (minimum-norm for a rank-deficient ``X``)."""
    return np.linalg.lstsq(X, y, rcond=None)[0]


def is_binary(y: np.ndarray) -> bool:
    """True when every value is 0 or 1."""
    return bool(np.isin(y, (0.0, 1.0)).all())
