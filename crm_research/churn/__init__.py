"""Churn analysis: the public entry point of the churn engines.

Re-exports the public functions of (see their docstrings for formulas and sources):

* :mod:`crm_research.churn.rates` — churn rates and binomial proportion intervals (Wilson or
  exact Clopper-Pearson), by segment with a chi-square test of equal rates; top-coding of counts.
* :mod:`crm_research.churn.design` — treatment-coded design matrices (R ``contr.treatment``).
* :mod:`crm_research.churn.logit` — logistic churn models (odds ratios, Wald intervals).
* :mod:`crm_research.churn.prediction` — cross-validated churn prediction (scikit-learn
  pipelines; ROC AUC, PR AUC, Brier score, calibration and lift/gains tables).
* :mod:`crm_research.churn.survival` — Kaplan-Meier curves with Greenwood intervals and medians
  by group, log-rank tests.
* :mod:`crm_research.churn.cox` and :mod:`crm_research.churn.zph` — Cox proportional-hazards
  models with hazard ratios and R survival ≥ 3.0's ``cox.zph`` score test.
"""

from __future__ import annotations

from crm_research.churn.cox import PH_TRANSFORMS, CoxResult, fit_cox
from crm_research.churn.design import design_matrix
from crm_research.churn.logit import LogitResult, fit_logit
from crm_research.churn.prediction import (
    PREDICTION_MODELS,
    CVResult,
    build_churn_pipeline,
    calibration_table,
    classification_metrics,
    cross_validate_churn,
    lift_table,
)
from crm_research.churn.rates import (
    PROPORTION_METHODS,
    churn_rate,
    churn_rates,
    proportion_ci,
    top_code,
)
from crm_research.churn.survival import (
    CI_TRANSFORMS,
    KMResult,
    LogRankResult,
    kaplan_meier,
    logrank,
    median_from_curve,
    snapshot_entry,
    survival_data,
)
from crm_research.churn.zph import cox_zph

__all__ = [
    "CI_TRANSFORMS",
    "PH_TRANSFORMS",
    "PREDICTION_MODELS",
    "PROPORTION_METHODS",
    "CVResult",
    "CoxResult",
    "KMResult",
    "LogRankResult",
    "LogitResult",
    "build_churn_pipeline",
    "calibration_table",
    "churn_rate",
    "churn_rates",
    "classification_metrics",
    "cox_zph",
    "cross_validate_churn",
    "design_matrix",
    "fit_cox",
    "fit_logit",
    "kaplan_meier",
    "lift_table",
    "logrank",
    "median_from_curve",
    "proportion_ci",
    "snapshot_entry",
    "survival_data",
    "top_code",
]
