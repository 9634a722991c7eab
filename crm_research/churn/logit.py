"""Logistic churn models for inference (odds ratios).

Maximum-likelihood logistic regression (statsmodels ``Logit``, Newton-Raphson): odds ratio
exp(β) with a Wald interval exp(β ± z·se) and a two-sided Wald p-value — the standard
definitions of Hosmer, Lemeshow & Sturdivant (2013), "Applied Logistic Regression", 3rd ed.,
ch. 1-3; R equivalent: ``glm(family = binomial)`` with ``confint.default``. McFadden's pseudo
R² = 1 − ℓ(β̂)/ℓ(β₀) (McFadden 1974) and the likelihood-ratio test against the intercept-only
model. Covariates are coded by :func:`crm_research.churn.design.design_matrix`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import binary_outcome, require_columns
from crm_research._lazy import lazy_module
from crm_research.churn.design import complete_rows, design_matrix, reference_levels
from crm_research.churn.rates import critical_z, require_rows
from crm_research.errors import ConvergenceError, DataError, EstimationError

stats = lazy_module("scipy.stats")

__all__ = ["LogitResult", "fit_logit"]


@dataclass
class LogitResult:
    """A fitted logistic churn model.

    ``table`` has one row per term (``Intercept`` first): ``term``, ``estimate`` (β, log-odds),
    ``std_error``, ``z``, ``p_value`` (two-sided Wald), ``ci_low``, ``ci_high`` (Wald interval
    β ∓ z·se at ``level``), ``odds_ratio`` = exp(β) and its interval ``odds_ratio_ci_low``,
    ``odds_ratio_ci_high`` = exp(β ∓ z·se).
    """

    table: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    log_likelihood: float
    null_log_likelihood: float
    mcfadden_r2: float
    aic: float
    lr_stat: float
    lr_df: int
    lr_p: float
    level: float
    reference_levels: dict[str, str] = field(default_factory=dict)
    fitted: Any = None

    def fit_table(self) -> pd.DataFrame:
        """One row per statistic of the fit (columns ``statistic``, ``value``)."""
        return pd.DataFrame({
            "statistic": ["n", "events", "rows dropped (missing)", "log-likelihood",
                          "null log-likelihood", "McFadden R2", "AIC", "LR chi2", "LR df",
                          "LR p-value"],
            "value": [self.n, self.n_events, self.n_dropped, self.log_likelihood,
                      self.null_log_likelihood, self.mcfadden_r2, self.aic, self.lr_stat,
                      self.lr_df, self.lr_p],
        })


def fit_logit(df: pd.DataFrame, outcome: str, covariates: Sequence[str],
              reference: dict[str, Any] | None = None,
              categorical: Sequence[str] | None = None,
              level: float = 0.95, missing: str = "raise", maxiter: int = 100) -> LogitResult:
    """Maximum-likelihood logistic regression of a churn flag on ``covariates`` (statsmodels).

    The design matrix is built by ``design_matrix`` (treatment coding, documented there) with an
    intercept. ``missing='drop'`` drops rows with a missing outcome/covariate (counted in
    ``n_dropped``); ``'raise'`` (default) raises ``DataError``. Complete or quasi-complete
    separation raises ``EstimationError``; a Newton-Raphson run that does not converge in
    ``maxiter`` iterations raises ``ConvergenceError``.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    z = critical_z(level)
    df = require_rows(df)
    covariates = list(covariates)
    require_columns(df, [outcome, *covariates], "fit_logit")
    data = complete_rows(df, [outcome, *covariates], missing)
    n_dropped = len(df) - len(data)
    if len(data) == 0:
        raise DataError("fit_logit: no complete rows left after dropping missing values")
    y = binary_outcome(data[outcome], outcome)
    if y.min() == y.max():
        raise EstimationError(f"fit_logit: outcome {outcome!r} takes only the value "
                              f"{int(y[0])}; a logistic model needs both churners and stayers")
    X = design_matrix(data, covariates, reference=reference, categorical=categorical,
                      intercept=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(method="newton", maxiter=maxiter, disp=False)
        except PerfectSeparationError as exc:
            raise EstimationError(_separation_message(outcome, str(exc))) from exc
        except np.linalg.LinAlgError as exc:
            raise EstimationError(f"fit_logit: singular information matrix ({exc})") from exc
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    converged = bool(res.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    fitted_p = np.asarray(res.predict(), dtype=float)
    extreme = bool(np.any((fitted_p < 1e-8) | (fitted_p > 1 - 1e-8)))
    if separated or (not converged and extreme):
        raise EstimationError(_separation_message(outcome, "fitted probabilities of 0 or 1"))
    if not converged:
        raise ConvergenceError(f"fit_logit: Newton-Raphson did not converge in {maxiter} "
                               "iterations")
    coef = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(se)):
        raise EstimationError("fit_logit: non-finite standard errors (quasi-separation or a "
                              "singular design)")
    zval = coef / se
    table = pd.DataFrame({
        "term": list(X.columns),
        "estimate": coef,
        "std_error": se,
        "z": zval,
        "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
        "ci_low": coef - z * se,
        "ci_high": coef + z * se,
        "odds_ratio": np.exp(coef),
        "odds_ratio_ci_low": np.exp(coef - z * se),
        "odds_ratio_ci_high": np.exp(coef + z * se),
    })
    llf, llnull = float(res.llf), float(res.llnull)
    lr_df = X.shape[1] - 1
    lr_stat = 2.0 * (llf - llnull)
    return LogitResult(
        table=table, n=len(y), n_events=int(y.sum()), n_dropped=n_dropped,
        log_likelihood=llf, null_log_likelihood=llnull, mcfadden_r2=1.0 - llf / llnull,
        aic=-2.0 * llf + 2.0 * X.shape[1], lr_stat=lr_stat, lr_df=lr_df,
        lr_p=float(stats.chi2.sf(lr_stat, lr_df)) if lr_df > 0 else float("nan"),
        level=float(level),
        reference_levels=reference_levels(data, covariates, X, reference),
        fitted=res,
    )


def _separation_message(outcome: str, detail: str) -> str:
    return (f"fit_logit: the churn outcome {outcome!r} is (quasi-)perfectly separated by the "
            "covariates, so some odds ratio is infinite; drop or merge the covariate or levels "
            f"that predict churn perfectly ({detail})")

