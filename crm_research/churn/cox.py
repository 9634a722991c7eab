"""Cox proportional-hazards models of customer lifetimes, with R's proportional-hazards test.

Cox (1972) partial likelihood with Efron's method for tied event times (fitted by lifelines
``CoxPHFitter``; R ``coxph`` default): hazard ratio exp(β) with a Wald interval exp(β ± z·se)
and Wald p-value; Harrell's concordance; likelihood-ratio test against the null model.
Proportional-hazards check: the score test of R survival ≥ 3.0 ``cox.zph`` (Grambsch &
Therneau 1994, full information matrix; :mod:`crm_research.churn.zph`), per coefficient and
GLOBAL. Covariates are coded by :func:`crm_research.churn.design.design_matrix`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import require_columns
from crm_research._lazy import lazy_module
from crm_research.churn.design import complete_rows, design_matrix, reference_levels
from crm_research.churn.rates import critical_z, require_rows
from crm_research.churn.survival import event_column, survival_data
from crm_research.churn.zph import PH_TRANSFORMS, cox_zph
from crm_research.errors import ConvergenceError, EstimationError, ParameterError, SpecError

stats = lazy_module("scipy.stats")

__all__ = ["CoxResult", "fit_cox", "PH_TRANSFORMS"]


@dataclass
class CoxResult:
    """A fitted Cox model.

    ``table``: per term ``estimate`` (log hazard ratio β), ``std_error``, ``z``, ``p_value``
    (Wald), ``ci_low``, ``ci_high`` (Wald interval of β at ``level``), ``hazard_ratio`` = exp(β)
    and its interval ``hazard_ratio_ci_low``, ``hazard_ratio_ci_high``.
    ``ph_test``: the proportional-hazards score test of R ``cox.zph(fit, transform,
    terms = FALSE)``: per term and ``GLOBAL`` the ``statistic`` (chi-square), ``df``,
    ``p_value`` (small p = evidence that the hazard ratio changes over time) and ``transform``.
    """

    table: pd.DataFrame
    ph_test: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    log_likelihood: float
    lr_stat: float
    lr_df: int
    lr_p: float
    concordance: float
    level: float
    ph_transform: str
    reference_levels: dict[str, str] = field(default_factory=dict)
    fitted: Any = None

    def fit_table(self) -> pd.DataFrame:
        """One row per statistic of the fit (columns ``statistic``, ``value``)."""
        return pd.DataFrame({
            "statistic": ["n", "events", "rows dropped (missing / never at risk)",
                          "partial log-likelihood",
                          "LR chi2", "LR df", "LR p-value", "concordance (Harrell's C)"],
            "value": [self.n, self.n_events, self.n_dropped, self.log_likelihood, self.lr_stat,
                      self.lr_df, self.lr_p, self.concordance],
        })


def _lifelines_fit(X: pd.DataFrame, t: np.ndarray, e: np.ndarray,
                   en: np.ndarray | None) -> Any:
    """CoxPHFitter (Efron ties, no penalty) on the design ``X``; failures as project errors."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError as LLConvergenceError
    from lifelines.exceptions import ConvergenceWarning as LLConvergenceWarning

    reserved = {"__duration", "__event", "__entry"}
    if reserved & set(X.columns):
        raise SpecError(f"fit_cox: covariate names {sorted(reserved)} are reserved")
    frame = X.reset_index(drop=True).copy()
    frame["__duration"] = t
    frame["__event"] = e
    if en is not None:
        frame["__entry"] = en
    cph = CoxPHFitter(penalizer=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LLConvergenceWarning)
        try:
            cph.fit(frame, duration_col="__duration", event_col="__event",
                    entry_col="__entry" if en is not None else None)
        except LLConvergenceWarning as exc:
            raise EstimationError(f"fit_cox: the fit is unstable — some covariate (nearly) "
                                  f"separates churners from stayers or has too little "
                                  f"variation ({str(exc).splitlines()[0]})") from exc
        except LLConvergenceError as exc:
            raise ConvergenceError(f"fit_cox: Newton-Raphson failed to converge: {exc}") from exc
    return cph


def fit_cox(df: pd.DataFrame, duration: str, covariates: Sequence[str],
            event: str | None = None, censor: str | None = None,
            reference: dict[str, Any] | None = None,
            categorical: Sequence[str] | None = None, level: float = 0.95,
            ph_transform: str = "km", missing: str = "raise",
            entry: str | None = None) -> CoxResult:
    """Cox proportional-hazards model with hazard ratios and a proportional-hazards test.

    Covariates are coded by ``design_matrix`` (treatment coding). Ties: Efron.
    ``ph_transform`` is the time transform g(t) of the score test (``'km'``, R's default,
    ``'rank'``, ``'identity'`` or ``'log'``; see :mod:`crm_research.churn.zph`).
    ``missing='drop'`` drops incomplete rows (counted in ``n_dropped``). With ``entry``
    (delayed entry) the risk set at time t is {i: entry_i < t <= duration_i}; rows with
    entry = duration are never at risk and are left out (counted in ``n_dropped``) (lifelines
    ``entry_col``; R ``coxph(Surv(entry, time, event) ~ ...)``). Fitting failures
    (non-convergence, separation) are raised as ``ConvergenceError`` / ``EstimationError``.
    """
    z = critical_z(level)
    if ph_transform not in PH_TRANSFORMS:
        raise ParameterError(f"ph_transform must be one of {list(PH_TRANSFORMS)}, got "
                             f"{ph_transform!r}")
    df = require_rows(df)
    covariates = list(covariates)
    if not covariates:
        raise SpecError("fit_cox: no covariates given")
    flag = event_column(event, censor)
    time_cols = [duration, flag] + ([entry] if entry else [])
    require_columns(df, [*time_cols, *covariates], "fit_cox")
    data = complete_rows(df, [*time_cols, *covariates], missing)
    n_dropped = len(df) - len(data)
    t, e, en = survival_data(data, duration, event, censor, entry)
    if en is not None and np.any(en >= t):
        # censored at their entry time: never at risk, no contribution to the partial likelihood
        keep = en < t
        data, t, e, en = data[keep], t[keep], e[keep], en[keep]
        n_dropped += int((~keep).sum())
    if e.sum() == 0:
        raise EstimationError("fit_cox: there are no events; hazard ratios are undefined")
    X = design_matrix(data, covariates, reference=reference, categorical=categorical)
    cph = _lifelines_fit(X, t, e, en)
    params = cph.params_.reindex(X.columns).to_numpy(dtype=float)
    se = cph.standard_errors_.reindex(X.columns).to_numpy(dtype=float)
    if not np.all(np.isfinite(se)):
        raise EstimationError("fit_cox: non-finite standard errors (singular information)")
    zval = params / se
    table = pd.DataFrame({
        "term": list(X.columns), "estimate": params, "std_error": se, "z": zval,
        "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
        "ci_low": params - z * se, "ci_high": params + z * se,
        "hazard_ratio": np.exp(params), "hazard_ratio_ci_low": np.exp(params - z * se),
        "hazard_ratio_ci_high": np.exp(params + z * se),
    })
    ph_table = cox_zph(t, e, X.to_numpy(dtype=float), params, entry=en,
                       transform=ph_transform, names=list(X.columns))
    ph_table["transform"] = ph_transform
    lr = cph.log_likelihood_ratio_test()
    return CoxResult(
        table=table, ph_test=ph_table, n=len(t), n_events=int(e.sum()), n_dropped=n_dropped,
        log_likelihood=float(cph.log_likelihood_), lr_stat=float(lr.test_statistic),
        lr_df=int(lr.degrees_freedom), lr_p=float(lr.p_value),
        concordance=float(cph.concordance_index_), level=float(level),
        ph_transform=ph_transform,
        reference_levels=reference_levels(data, covariates, X, reference),
        fitted=cph,
    )
