"""Churn analysis: the public entry point of the churn engines.

Re-exports the functions of two modules (see their docstrings for formulas and sources):

* :mod:`crm_research.churn.models` — churn rates with Wilson intervals (overall / by segment,
  with a chi-square test of equal rates), treatment-coded design matrices, logistic churn models
  (odds ratios with Wald intervals, statsmodels), and cross-validated churn prediction
  (scikit-learn pipelines; ROC AUC, PR AUC, Brier score, calibration and lift/gains tables).
* :mod:`crm_research.churn.survival` — Kaplan-Meier curves with Greenwood intervals and medians by
  group, log-rank tests, and Cox proportional-hazards models with hazard ratios and a
  Schoenfeld-residual proportional-hazards check (lifelines).
"""

from __future__ import annotations

from crm_research.churn.models import (
    PREDICTION_MODELS,
    CVResult,
    LogitResult,
    build_churn_pipeline,
    calibration_table,
    churn_rates,
    classification_metrics,
    cross_validate_churn,
    design_matrix,
    fit_logit,
    lift_table,
    top_code,
    wilson_interval,
)
from crm_research.churn.survival import (
    CI_TRANSFORMS,
    PH_TRANSFORMS,
    CoxResult,
    KMResult,
    LogRankResult,
    fit_cox,
    kaplan_meier,
    logrank,
    median_from_curve,
    snapshot_entry,
    survival_data,
)

__all__ = [
    "CI_TRANSFORMS",
    "PH_TRANSFORMS",
    "PREDICTION_MODELS",
    "CVResult",
    "CoxResult",
    "KMResult",
    "LogRankResult",
    "LogitResult",
    "build_churn_pipeline",
    "calibration_table",
    "churn_rates",
    "classification_metrics",
    "cross_validate_churn",
    "design_matrix",
    "fit_cox",
    "fit_logit",
    "kaplan_meier",
    "lift_table",
    "logrank",
    "median_from_curve",
    "snapshot_entry",
    "survival_data",
    "top_code",
    "wilson_interval",
]
