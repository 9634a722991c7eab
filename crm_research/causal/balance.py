"""Covariate balance and propensity overlap diagnostics for binary treatments.

Standardised mean differences (SMD) follow Austin (2009), "Balance diagnostics for comparing
the distribution of baseline covariates between treatment groups in propensity-score matched
samples", Stat. Med. 28:3083-3107:

* continuous covariate: ``d = (x̄1 - x̄0) / sqrt((s1² + s0²) / 2)`` with sample variances
  (n - 1 denominator);
* binary (0/1) covariate: ``d = (p1 - p0) / sqrt((p1(1 - p1) + p0(1 - p0)) / 2)``.

After weighting, the numerator uses weighted means (weights ``T/e + (1-T)/(1-e)`` for the
ATE) while the denominator is kept at the *unweighted* pooled SD of the full sample, so the
before/after change reflects only the change in means (the convention of R ``cobalt``'s
``bal.tab`` with ``s.d.denom = "pooled"`` and ``binary = "std"`` — cobalt's default for binary
covariates is the raw difference in proportions; Austin & Stuart 2015, Stat. Med.
34:3661-3679).
A categorical covariate is expanded into one 0/1 indicator per level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research.causal.design import (
    complete_column,
    indicator_levels,
    require_role_columns,
    treatment_array,
)
from crm_research.errors import ParameterError

__all__ = ["balance_columns", "standardized_differences", "ate_weights",
           "propensity_overlap", "overlap_summary"]


def balance_columns(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric columns for balance checks: numeric/bool as is; categories → one 0/1 per level
    present in ``data``."""
    covariates = list(covariates)
    require_role_columns(data, covariates, "covariate")
    parts = {}
    for c in covariates:
        complete_column(data, c, "covariate")
        col = data[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts[c] = col.to_numpy(dtype=float)
            continue
        vals, levels = indicator_levels(col)
        for lv in levels:
            parts[f"{c}[{lv}]"] = (vals == lv).to_numpy(dtype=float)
    return pd.DataFrame(parts, index=data.index)


def ate_weights(propensity: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """ATE inverse-probability weights ``T/e + (1-T)/(1-e)`` (Rosenbaum 1987)."""
    e = np.asarray(propensity, dtype=float)
    t = np.asarray(treated, dtype=float)
    if e.shape != t.shape:
        raise ParameterError("propensity and treatment must have the same length")
    if np.any((e <= 0) | (e >= 1)):
        raise ParameterError("propensities must lie strictly between 0 and 1 for weights")
    return t / e + (1.0 - t) / (1.0 - e)


def _smd(m1: np.ndarray, m0: np.ndarray, sd_pooled: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (m1 - m0) / sd_pooled
    # identical constant columns: no difference
    return np.where((sd_pooled == 0) & (m1 == m0), 0.0, d)


def standardized_differences(data: pd.DataFrame, treatment: str, covariates: Sequence[str],
                             weights: np.ndarray | None = None) -> pd.DataFrame:
    """Balance table: SMD per covariate column before (and after, if ``weights``) weighting.

    Columns: covariate, kind (binary/continuous), mean_treated, mean_control, smd_before;
    with weights also mean_treated_weighted, mean_control_weighted, smd_after. A 0/1
    column is treated as binary. Definitions: module docstring (Austin 2009).
    """
    t = treatment_array(data, treatment)
    X = balance_columns(data, covariates)
    V = X.to_numpy()
    g1, g0 = t == 1, t == 0
    m1, m0 = V[g1].mean(axis=0), V[g0].mean(axis=0)
    binary = np.array([np.isin(V[:, j], (0.0, 1.0)).all() for j in range(V.shape[1])])
    var1 = np.where(binary, m1 * (1 - m1), V[g1].var(axis=0, ddof=1) if g1.sum() > 1 else 0.0)
    var0 = np.where(binary, m0 * (1 - m0), V[g0].var(axis=0, ddof=1) if g0.sum() > 1 else 0.0)
    sd = np.sqrt((var1 + var0) / 2.0)
    out = pd.DataFrame({
        "covariate": X.columns,
        "kind": np.where(binary, "binary", "continuous"),
        "mean_treated": m1,
        "mean_control": m0,
        "smd_before": _smd(m1, m0, sd),
    })
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != t.shape or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ParameterError(
                f"weights must be {len(t)} finite non-negative numbers (one per row)"
            )
        if w[g1].sum() <= 0 or w[g0].sum() <= 0:
            raise ParameterError("weights must be positive in both treatment groups")
        wm1 = w[g1] @ V[g1] / w[g1].sum()
        wm0 = w[g0] @ V[g0] / w[g0].sum()
        out["mean_treated_weighted"] = wm1
        out["mean_control_weighted"] = wm0
        out["smd_after"] = _smd(wm1, wm0, sd)
    return out


def propensity_overlap(propensity: np.ndarray, treated: np.ndarray,
                       bins: int = 20) -> pd.DataFrame:
    """Histogram counts of propensities by group on ``bins`` equal-width bins of [0, 1].

    Columns: bin_low, bin_high, n_treated, n_control, share_treated (share of all treated
    units in the bin), share_control.
    """
    e = np.asarray(propensity, dtype=float)
    t = np.asarray(treated, dtype=float)
    if e.shape != t.shape:
        raise ParameterError("propensity and treatment must have the same length")
    if not isinstance(bins, int) or bins < 1:
        raise ParameterError(f"bins must be a positive integer, got {bins!r}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    c1 = np.histogram(e[t == 1], bins=edges)[0]
    c0 = np.histogram(e[t == 0], bins=edges)[0]
    return pd.DataFrame({
        "bin_low": edges[:-1], "bin_high": edges[1:], "n_treated": c1, "n_control": c0,
        "share_treated": c1 / max(c1.sum(), 1), "share_control": c0 / max(c0.sum(), 1),
    })


def overlap_summary(propensity: np.ndarray, treated: np.ndarray,
                    bounds: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Per group: n, min, 5%/50%/95% quantiles, max of the propensity, and the share outside
    ``bounds`` (Crump et al. 2009 suggest [0.1, 0.9] as a trimming region)."""
    e = np.asarray(propensity, dtype=float)
    t = np.asarray(treated, dtype=float)
    rows = []
    for name, g in (("treated", t == 1), ("control", t == 0)):
        v = e[g]
        rows.append({
            "group": name, "n": int(g.sum()), "min": v.min(), "q05": np.quantile(v, 0.05),
            "median": np.median(v), "q95": np.quantile(v, 0.95), "max": v.max(),
            "share_outside": float(np.mean((v < bounds[0]) | (v > bounds[1]))),
        })
    return pd.DataFrame(rows)
