"""Average treatment effects of a binary treatment, with confidence intervals.

Estimators (all return an :class:`EffectEstimate`):

* :func:`difference_in_means` — randomised experiments. Neyman / Welch standard error
  ``sqrt(s1²/n1 + s0²/n0)`` and a t interval with Welch–Satterthwaite degrees of freedom
  (Welch 1947; the definition used by R ``estimatr::difference_in_means`` for a simple
  randomised design).
* :func:`regression_adjustment` — g-computation from an OLS model with treatment × covariate
  interactions and covariates centred at their full-sample means (Lin 2013, "Agnostic notes
  on regression adjustments to experimental data", Ann. Appl. Stat. 7:295-318). The
  coefficient of the treatment equals the g-computation ATE ``mean(m1(X) - m0(X))``. Standard
  error: HC2 sandwich with a t interval on ``n - rank`` degrees of freedom (as R
  ``estimatr::lm_lin``), or a treatment-stratified bootstrap (normal interval).
* :func:`ipw` — inverse-probability weighting with normalised (Hajek) weights and a logistic
  propensity model; propensities trimmed (clipped) to ``[eps, 1 - eps]`` and the number of
  trimmed units reported. Standard error: M-estimation sandwich that stacks the logistic
  score equations with the two weighted-mean equations, so it accounts for the estimated
  propensity (Lunceford & Davidian 2004, Stat. Med. 23:2937-2960, section 3; Stefanski &
  Boos 2002). With known propensities the propensity block is dropped. Without trimming the
  estimate and SE equal those of Stata's ``teffects ipw`` (checked against its statsmodels
  port ``statsmodels.treatment.TreatmentEffect.ipw`` in the tests).
* :func:`aipw` — augmented IPW (doubly robust; Robins, Rotnitzky & Zhao 1994) with K-fold
  cross-fitting (Chernozhukov et al. 2018, "Double/debiased machine learning", Econometrics
  J. 21:C1-C68): nuisance models are fitted on K-1 folds and evaluated on the held-out fold;
  the estimate is the mean of the efficient influence function
  ``ψ = m1 - m0 + T(Y - m1)/e - (1 - T)(Y - m0)/(1 - e)`` and its standard error
  ``sd(ψ)/sqrt(n)``. With ``n_folds=1`` (no cross-fitting), linear outcome models and no
  trimming the point estimate equals Stata's ``teffects aipw`` (statsmodels
  ``TreatmentEffect.aipw``); with cross-fitting it depends on the seeded fold split.

Every estimator also reports the two potential-outcome means and the ratio ``mu1/mu0`` with a
delta-method interval on the log scale (used for E-values with binary outcomes).

Sensitivity to unmeasured confounding: :func:`e_value` and :func:`e_value_from_difference`
(VanderWeele & Ding 2017, "Sensitivity analysis in observational research: introducing the
E-value", Ann. Intern. Med. 167:268-274).

Subgroup effects: :func:`subgroup_effects` (with a Cochran Q test of equal effects) and the
multi-arm helpers :func:`arm_effects`, :func:`arm_subgroup_effects`.

Companion modules: :mod:`crm_research.causal.balance` (standardised differences, overlap),
:mod:`crm_research.causal.method_check` (method check on confounded samples of an experiment),
:mod:`crm_research.causal.observational` (AIPW with diagnostics and E-values for several
treatments), :mod:`crm_research.causal.plots` (figures).

Modules: this one holds the result type, the experiment estimators, the dispatcher and subgroup
effects; :mod:`crm_research.causal.weighting` IPW and AIPW (also reached through
:func:`estimate_effect`), :mod:`crm_research.causal.design` input checks and nuisance models,
:mod:`crm_research.causal.sensitivity` E-values, :mod:`crm_research.causal.experiments`
multi-arm helpers.

Errors: :class:`~crm_research.errors.EstimationError` when a group is empty, the outcome is
constant, or propensities show no overlap; :class:`~crm_research.errors.DataError` for missing
columns / values; :class:`~crm_research.errors.ParameterError` for bad arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot, check_seed
from crm_research._lazy import lazy_module
from crm_research.causal.design import (
    complete_column,
    covariate_matrix,
    ols,
    outcome_array,
    require_role_columns,
    treatment_array,
)
from crm_research.errors import EstimationError, ParameterError

stats = lazy_module("scipy.stats")

__all__ = ["EffectEstimate", "build_estimate", "difference_in_means", "regression_adjustment",
           "estimate_effect", "METHODS", "SubgroupResult", "subgroup_effects"]


# --------------------------------------------------------------------------------------------
# Result type
# --------------------------------------------------------------------------------------------


@dataclass
class EffectEstimate:
    """One average-treatment-effect estimate.

    ``estimate`` is the ATE ``mu1 - mu0`` (a risk difference for a 0/1 outcome); ``ci_low`` /
    ``ci_high`` its ``level`` interval. ``mu1`` / ``mu0`` are the estimated potential-outcome
    means; ``ratio`` = ``mu1 / mu0`` with a delta-method interval on the log scale (NaN when
    ``mu0 <= 0`` or ``mu1 <= 0``). ``details`` carries method-specific facts (e.g. number of
    trimmed propensities, degrees of freedom, folds). ``propensity`` holds the (trimmed)
    propensities used, for overlap and balance diagnostics.
    """

    method: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    level: float
    n: int
    n_treated: int
    n_control: int
    mu1: float
    mu0: float
    ratio: float = float("nan")
    ratio_ci_low: float = float("nan")
    ratio_ci_high: float = float("nan")
    details: dict[str, Any] = field(default_factory=dict)
    propensity: np.ndarray | None = field(default=None, repr=False)

    @property
    def se(self) -> float:
        """Alias of ``std_error`` for callers written before the result protocol (issue 10)."""
        return self.std_error

    @property
    def table(self) -> pd.DataFrame:
        """The estimate as a one-row table: method, estimate, std_error, ci_low, ci_high, level,
        group sizes, potential-outcome means, the ratio mu1/mu0 with its interval and the
        method facts n_trimmed, eps, n_folds, df when present."""
        row = {
            "method": self.method, "estimate": self.estimate, "std_error": self.std_error,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "level": self.level, "n": self.n,
            "n_treated": self.n_treated, "n_control": self.n_control, "mu1": self.mu1,
            "mu0": self.mu0, "ratio": self.ratio, "ratio_ci_low": self.ratio_ci_low,
            "ratio_ci_high": self.ratio_ci_high,
        }
        for key in ("n_trimmed", "eps", "n_folds", "df"):
            if key in self.details:
                row[key] = self.details[key]
        return pd.DataFrame([row])

    def fit_table(self) -> pd.DataFrame:
        """Method facts as (``statistic``, ``value``) rows: sizes and ``details``."""
        stats_ = {"n": self.n, "n_treated": self.n_treated, "n_control": self.n_control,
                  **self.details}
        return pd.DataFrame({"statistic": list(stats_), "value": list(stats_.values())})


# --------------------------------------------------------------------------------------------
# Shared summary helpers
# --------------------------------------------------------------------------------------------


def _ratio_ci(mu1: float, mu0: float, var1: float, var0: float, cov10: float,
              z: float) -> tuple[float, float, float]:
    """mu1/mu0 with a delta-method CI on the log scale.

    var(log R) = v1/mu1² + v0/mu0² - 2 c/(mu1 mu0).
    """
    if mu1 <= 0 or mu0 <= 0:
        return float("nan"), float("nan"), float("nan")
    r = mu1 / mu0
    v = var1 / mu1**2 + var0 / mu0**2 - 2.0 * cov10 / (mu1 * mu0)
    s = float(np.sqrt(max(v, 0.0)))
    with np.errstate(over="ignore"):  # a huge log-scale SE gives an infinite upper limit
        return r, float(np.exp(np.log(r) - z * s)), float(np.exp(np.log(r) + z * s))


def build_estimate(method: str, mu1: float, mu0: float, cov: np.ndarray, level: float, n: int,
           n1: int, crit: float | None = None, details: dict[str, Any] | None = None,
           propensity: np.ndarray | None = None) -> EffectEstimate:
    """Assemble an EffectEstimate from (mu1, mu0) and their 2×2 covariance matrix."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    crit = z if crit is None else crit
    est = mu1 - mu0
    var = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    se = float(np.sqrt(max(var, 0.0)))
    r, rlo, rhi = _ratio_ci(mu1, mu0, cov[0, 0], cov[1, 1], cov[0, 1], z)
    return EffectEstimate(
        method=method, estimate=float(est), std_error=se, ci_low=float(est - crit * se),
        ci_high=float(est + crit * se), level=level, n=n, n_treated=n1, n_control=n - n1,
        mu1=float(mu1), mu0=float(mu0), ratio=r, ratio_ci_low=rlo, ratio_ci_high=rhi,
        details=details or {}, propensity=propensity,
    )



# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------


def difference_in_means(data: pd.DataFrame, outcome: str, treatment: str,
                        level: float = 0.95) -> EffectEstimate:
    """Difference in means ȳ1 - ȳ0 for a randomised experiment.

    SE (Neyman 1923; Welch 1947): ``sqrt(s1²/n1 + s0²/n0)`` with sample variances (n-1
    denominator). Interval: ``± t_{df} · SE`` with Welch–Satterthwaite
    ``df = (s1²/n1 + s0²/n0)² / ((s1²/n1)²/(n1-1) + (s0²/n0)²/(n0-1))`` — the definition of
    R ``estimatr::difference_in_means`` (simple design) and ``t.test(var.equal = FALSE)``.
    """
    level = check_level(level, "level")
    t = treatment_array(data, treatment)
    y = outcome_array(data, outcome)
    y1, y0 = y[t == 1], y[t == 0]
    n1, n0 = len(y1), len(y0)
    if n1 < 2 or n0 < 2:
        raise EstimationError(
            f"difference_in_means needs at least 2 units per group; {treatment!r} has "
            f"{n1} treated and {n0} control"
        )
    v1, v0 = y1.var(ddof=1) / n1, y0.var(ddof=1) / n0
    if v1 + v0 == 0:
        raise EstimationError(
            f"outcome {outcome!r} is constant within each treatment group: the standard "
            "error is zero"
        )
    df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
    crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    cov = np.array([[v1, 0.0], [0.0, v0]])
    return build_estimate("difference_in_means", float(y1.mean()), float(y0.mean()), cov, level,
                  len(y), n1, crit=crit, details={"df": float(df)})


def _hc2_cov(X: np.ndarray, resid: np.ndarray) -> np.ndarray:
    """HC2 sandwich (MacKinnon & White 1985): (X'X)⁻¹ X' diag(e²/(1-h)) X (X'X)⁻¹."""
    bread = np.linalg.pinv(X.T @ X)
    h = np.sum((X @ bread) * X, axis=1)
    if np.any(h > 1.0 - 1e-10):
        raise EstimationError(
            "regression adjustment: some observations have leverage 1 (a covariate level "
            "occurs in a single unit of a treatment group); HC2 is undefined — drop or merge "
            "that level"
        )
    meat = X.T @ ((resid**2 / (1.0 - h))[:, None] * X)
    return bread @ meat @ bread


def _lin_fit(t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    Zc = Z - Z.mean(axis=0) if Z.shape[1] else Z
    X = np.column_stack([np.ones(len(y)), t, Zc, t[:, None] * Zc])
    beta = ols(X, y)
    rank = int(np.linalg.matrix_rank(X))
    return X, beta, rank


def regression_adjustment(data: pd.DataFrame, outcome: str, treatment: str,
                          covariates: Sequence[str], level: float = 0.95, se: str = "HC2",
                          superpopulation: bool = False, n_boot: int = 500,
                          seed: int = 0) -> EffectEstimate:
    """Regression adjustment (g-computation) with treatment × covariate interactions.

    Model (Lin 2013): ``y = a + τ T + b'(X - x̄) + g' T (X - x̄) + ε`` by OLS; with covariates
    centred at the full-sample mean x̄, ``τ`` equals ``mean(m1(X_i) - m0(X_i))`` (the
    g-computation ATE with separate linear models per arm). ``mu0 = a``, ``mu1 = a + τ``.

    ``se="HC2"``: HC2 sandwich, t interval on ``n - rank(X)`` df (R ``estimatr::lm_lin``).
    The HC2 variance treats x̄ as fixed: it is the variance for the sample at hand (Lin 2013
    shows it is asymptotically conservative for the randomisation distribution). With
    ``superpopulation=True`` the sampling variance of x̄ is added, ``b' S_x b / n`` for the
    per-arm slope vectors b (delta method for ``mean(m_t(X))``; Imbens & Wooldridge 2009,
    J. Econ. Lit. 47:5-86, section 5.3), which matters when effects vary with the covariates
    and the target is the population ATE. ``se="bootstrap"``: ``n_boot`` (at least 50) resamples
    drawn within each treatment group (stratified, so both groups are always present),
    normal interval ``τ ± z·SD_boot``; seeded.
    """
    level = check_level(level, "level")
    if se not in ("HC2", "bootstrap"):
        raise ParameterError(f"se must be 'HC2' or 'bootstrap', got {se!r}")
    t = treatment_array(data, treatment)
    y = outcome_array(data, outcome)
    Z = covariate_matrix(data, covariates).to_numpy()
    X, beta, rank = _lin_fit(t, y, Z)
    n, n1 = len(y), int(t.sum())
    if n - rank < 1:
        raise EstimationError(
            f"regression adjustment: {rank} parameters for {n} units leaves no residual "
            "degrees of freedom; use fewer covariates"
        )
    mu0, tau = float(beta[0]), float(beta[1])
    if se == "HC2":
        V = _hc2_cov(X, y - X @ beta)
        # (mu1, mu0) = (a + tau, a)
        A = np.array([[1.0, 1.0], [1.0, 0.0]])
        cov = A @ V[:2, :2] @ A.T
        k = Z.shape[1]
        if superpopulation and k:
            b0 = beta[2:2 + k]
            b1 = b0 + beta[2 + k:]
            Sx = np.atleast_2d(np.cov(Z, rowvar=False))
            Bm = np.vstack([b1, b0])
            cov = cov + Bm @ Sx @ Bm.T / n
        df = float(n - rank)
        crit = float(stats.t.ppf(0.5 + level / 2.0, df))
        return build_estimate("regression_adjustment", mu0 + tau, mu0, cov, level, n, n1, crit=crit,
                      details={"df": df, "se_method": "HC2",
                               "superpopulation": bool(superpopulation)})
    n_boot = check_n_boot(n_boot, minimum=50)
    seed = check_seed(seed, allow_none=False)
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    draws = np.empty((n_boot, 2))
    for b in range(n_boot):
        idx = np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
        _, bb, _ = _lin_fit(t[idx], y[idx], Z[idx])
        draws[b] = (bb[0] + bb[1], bb[0])
    cov = np.cov(draws, rowvar=False)
    return build_estimate("regression_adjustment", mu0 + tau, mu0, cov, level, n, n1,
                  details={"se_method": "bootstrap", "n_boot": n_boot, "seed": seed})



METHODS = ("difference_in_means", "regression_adjustment", "ipw", "aipw")


def estimate_effect(data: pd.DataFrame, outcome: str, treatment: str, method: str,
                    covariates: Sequence[str] = (), **kwargs: Any) -> EffectEstimate:
    """Dispatch to one of :data:`METHODS` by name (``kwargs`` passed through)."""
    if method == "difference_in_means":
        return difference_in_means(data, outcome, treatment, **kwargs)
    if method == "regression_adjustment":
        return regression_adjustment(data, outcome, treatment, covariates, **kwargs)
    from crm_research.causal.weighting import aipw, ipw

    if method == "ipw":
        return ipw(data, outcome, treatment, covariates, **kwargs)
    if method == "aipw":
        return aipw(data, outcome, treatment, covariates, **kwargs)
    raise ParameterError(f"method must be one of {METHODS}, got {method!r}")



# --------------------------------------------------------------------------------------------
# Subgroups and multi-arm experiments
# --------------------------------------------------------------------------------------------


@dataclass
class SubgroupResult:
    """Effects by the levels of one column, with Cochran's Q test of equal effects.

    ``q``: ``Σ w_g (τ_g - τ̄)²`` with ``w_g = 1/se_g²`` and ``τ̄`` the inverse-variance
    weighted mean (Cochran 1954); ``p_value`` from χ² with ``df = G - 1`` (G = subgroups
    with an estimate). Subgroups in which an estimate is impossible keep NaN and a ``note``.
    """

    table: pd.DataFrame
    q: float
    df: int
    p_value: float

    def fit_table(self) -> pd.DataFrame:
        """Cochran's Q test of equal effects as (``statistic``, ``value``) rows."""
        return pd.DataFrame({"statistic": ["Cochran Q", "df", "p_value", "subgroups"],
                             "value": [self.q, self.df, self.p_value, len(self.table)]})


def _cochran_q(est: np.ndarray, se: np.ndarray) -> tuple[float, int, float]:
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    if ok.sum() < 2:
        return float("nan"), 0, float("nan")
    w = 1.0 / se[ok] ** 2
    pooled = np.sum(w * est[ok]) / np.sum(w)
    q = float(np.sum(w * (est[ok] - pooled) ** 2))
    df = int(ok.sum() - 1)
    return q, df, float(stats.chi2.sf(q, df))


def subgroup_effects(data: pd.DataFrame, outcome: str, treatment: str, by: str,
                     method: str = "difference_in_means", covariates: Sequence[str] = (),
                     **kwargs: Any) -> SubgroupResult:
    """ATE within each level of column ``by`` (a categorical / discrete column).

    One row per level (in category order, else sorted): subgroup, n, n_treated, n_control,
    estimate, std_error, ci_low, ci_high, note. Levels without both groups or with a constant
    outcome get NaN and the reason in ``note``.
    """
    require_role_columns(data, [by], "subgroup")
    complete_column(data, by, "subgroup")
    col = data[by]
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [lv for lv in col.cat.categories if (col == lv).any()]
    else:
        levels = sorted(col.unique())
    rows = []
    for lv in levels:
        sub = data[(col == lv).to_numpy()]
        row: dict[str, Any] = {"by": by, "subgroup": lv, "n": len(sub)}
        try:
            res = estimate_effect(sub, outcome, treatment, method, covariates, **kwargs)
            row.update(n_treated=res.n_treated, n_control=res.n_control,
                       estimate=res.estimate, std_error=res.std_error, ci_low=res.ci_low,
                       ci_high=res.ci_high, note="")
        except EstimationError as exc:
            row.update(n_treated=np.nan, n_control=np.nan, estimate=np.nan, std_error=np.nan,
                       ci_low=np.nan, ci_high=np.nan, note=str(exc))
        rows.append(row)
    table = pd.DataFrame(rows)
    q, df, p = _cochran_q(table["estimate"].to_numpy(float), table["std_error"].to_numpy(float))
    return SubgroupResult(table=table, q=q, df=df, p_value=p)

