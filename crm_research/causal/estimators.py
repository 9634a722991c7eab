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
from scipy import stats

from crm_research._checks import check_level
from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError

__all__ = [
    "EffectEstimate",
    "SubgroupResult",
    "covariate_matrix",
    "fit_logistic",
    "propensity_scores",
    "difference_in_means",
    "regression_adjustment",
    "ipw",
    "aipw",
    "estimate_effect",
    "e_value",
    "e_value_from_difference",
    "subgroup_effects",
    "arm_effects",
    "arm_subgroup_effects",
    "two_arm_frame",
    "heterogeneity_tests",
    "effects_per_contacts",
    "METHODS",
]


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
    se: float
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

    def as_row(self) -> dict[str, Any]:
        """Flat dict for a results table (without the propensity array)."""
        row = {
            "method": self.method,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "level": self.level,
            "n": self.n,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "mu1": self.mu1,
            "mu0": self.mu0,
            "ratio": self.ratio,
            "ratio_ci_low": self.ratio_ci_low,
            "ratio_ci_high": self.ratio_ci_high,
        }
        for key in ("n_trimmed", "eps", "n_folds", "df"):
            if key in self.details:
                row[key] = self.details[key]
        return row


# --------------------------------------------------------------------------------------------
# Input checks and design matrices
# --------------------------------------------------------------------------------------------


def _check_columns(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{role} column(s) {missing} not in the data (columns: {list(data.columns)})"
        )


def _no_missing(data: pd.DataFrame, column: str, role: str) -> None:
    na = data[column].isna().to_numpy()
    if na.any():
        rows = list(data.index[na][:5])
        raise DataError(
            f"{role} column {column!r} has {int(na.sum())} missing value(s) (first rows {rows}); "
            "drop or impute them first"
        )


def _treatment_array(data: pd.DataFrame, treatment: str) -> np.ndarray:
    _check_columns(data, [treatment], "treatment")
    _no_missing(data, treatment, "treatment")
    col = data[treatment]
    if pd.api.types.is_bool_dtype(col):
        t = col.to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(col):
        t = col.to_numpy(dtype=float)
        bad = ~np.isin(t, (0.0, 1.0))
        if bad.any():
            raise DataError(
                f"treatment column {treatment!r} must be 0/1 or bool; found value "
                f"{t[bad][0]!r} (row {data.index[bad][0]!r})"
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


def _outcome_array(data: pd.DataFrame, outcome: str) -> np.ndarray:
    _check_columns(data, [outcome], "outcome")
    _no_missing(data, outcome, "outcome")
    col = data[outcome]
    if not (pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)):
        raise DataError(f"outcome column {outcome!r} must be numeric or bool, got {col.dtype}")
    y = col.to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise DataError(f"outcome column {outcome!r} has non-finite values")
    if np.ptp(y) == 0.0:
        raise EstimationError(
            f"outcome column {outcome!r} is constant ({y[0]!r}): no effect can be estimated"
        )
    return y


def _indicator_levels(col: pd.Series) -> tuple[pd.Series, list[Any]]:
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
    _check_columns(data, covariates, "covariate")
    parts: list[pd.DataFrame] = []
    for c in covariates:
        _no_missing(data, c, "covariate")
        col = data[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(pd.DataFrame({c: col.to_numpy(dtype=float)}, index=data.index))
            continue
        col, levels = _indicator_levels(col)
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


def _logistic_predict(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    eta = np.clip(X @ beta, -35.0, 35.0)
    return 1.0 / (1.0 + np.exp(-eta))


def _add_intercept(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X])


def _check_overlap(e: np.ndarray, tol: float, max_share: float, treatment: str) -> None:
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
    t = _treatment_array(data, treatment)
    X = _add_intercept(covariate_matrix(data, covariates).to_numpy())
    beta = fit_logistic(X, t)
    e = _logistic_predict(X, beta)
    _check_overlap(e, overlap_tol, max_extreme_share, treatment)
    return e


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _is_binary(y: np.ndarray) -> bool:
    return bool(np.isin(y, (0.0, 1.0)).all())


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


def _build(method: str, mu1: float, mu0: float, cov: np.ndarray, level: float, n: int,
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
        method=method, estimate=float(est), se=se, ci_low=float(est - crit * se),
        ci_high=float(est + crit * se), level=level, n=n, n_treated=n1, n_control=n - n1,
        mu1=float(mu1), mu0=float(mu0), ratio=r, ratio_ci_low=rlo, ratio_ci_high=rhi,
        details=details or {}, propensity=propensity,
    )


def _check_eps(eps: float) -> float:
    if not isinstance(eps, int | float) or not 0.0 <= float(eps) < 0.5:
        raise ParameterError(f"eps (propensity trimming bound) must be in [0, 0.5), got {eps!r}")
    return float(eps)


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
    t = _treatment_array(data, treatment)
    y = _outcome_array(data, outcome)
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
    return _build("difference_in_means", float(y1.mean()), float(y0.mean()), cov, level,
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
    beta = _ols(X, y)
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
    and the target is the population ATE. ``se="bootstrap"``: ``n_boot`` resamples
    drawn within each treatment group (stratified, so both groups are always present),
    normal interval ``τ ± z·SD_boot``; seeded.
    """
    level = check_level(level, "level")
    if se not in ("HC2", "bootstrap"):
        raise ParameterError(f"se must be 'HC2' or 'bootstrap', got {se!r}")
    t = _treatment_array(data, treatment)
    y = _outcome_array(data, outcome)
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
        return _build("regression_adjustment", mu0 + tau, mu0, cov, level, n, n1, crit=crit,
                      details={"df": df, "se_method": "HC2",
                               "superpopulation": bool(superpopulation)})
    if not isinstance(n_boot, int) or n_boot < 2:
        raise ParameterError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    draws = np.empty((n_boot, 2))
    for b in range(n_boot):
        idx = np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
        _, bb, _ = _lin_fit(t[idx], y[idx], Z[idx])
        draws[b] = (bb[0] + bb[1], bb[0])
    cov = np.cov(draws, rowvar=False)
    return _build("regression_adjustment", mu0 + tau, mu0, cov, level, n, n1,
                  details={"se_method": "bootstrap", "n_boot": n_boot, "seed": seed})


def _checked_clipped_propensities(e_raw: np.ndarray, eps: float, overlap_tol: float,
                                  max_extreme_share: float,
                                  treatment: str) -> tuple[np.ndarray, np.ndarray]:
    """Check overlap on the raw propensities, then trim them to [eps, 1 - eps].

    Returns the trimmed propensities and a boolean mask of the trimmed units (reported as
    ``n_trimmed``). eps = 0 with a propensity of exactly 0 or 1 → EstimationError.
    """
    _check_overlap(e_raw, overlap_tol, max_extreme_share, treatment)
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
    t = _treatment_array(data, treatment)
    y = _outcome_array(data, outcome)
    n, n1 = len(y), int(t.sum())
    if propensity is not None:
        e_raw = np.asarray(propensity, dtype=float)
        if e_raw.shape != (n,) or not np.all((e_raw >= 0) & (e_raw <= 1)):
            raise ParameterError(
                f"propensity must be an array of {n} probabilities in [0, 1]"
            )
        X = None
    else:
        X = _add_intercept(covariate_matrix(data, covariates).to_numpy())
        beta = fit_logistic(X, t)
        e_raw = _logistic_predict(X, beta)
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
    return _build("ipw", mu1, mu0, V, level, n, n1,
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
    return "linear", _ols(X, y)


def _predict_outcome(fit: tuple[str, Any], X: np.ndarray) -> np.ndarray:
    kind, par = fit
    if kind == "const":
        return np.full(X.shape[0], par)
    if kind == "logistic":
        return _logistic_predict(X, par)
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
    t = _treatment_array(data, treatment)
    y = _outcome_array(data, outcome)
    n, n1 = len(y), int(t.sum())
    binary = _is_binary(y)
    if outcome_model == "auto":
        outcome_model = "logistic" if binary else "linear"
    elif outcome_model == "logistic" and not binary:
        raise ParameterError(f"outcome_model='logistic' needs a 0/1 outcome; {outcome!r} is not")
    X = _add_intercept(covariate_matrix(data, covariates).to_numpy())
    if n_folds > 1 and n < 2 * n_folds:
        raise ParameterError(f"n_folds={n_folds} is too many for {n} units")
    if n_folds > 1 and min(n1, n - n1) < n_folds:
        raise EstimationError(
            f"n_folds={n_folds} needs at least {n_folds} treated and {n_folds} control units "
            f"for {treatment!r}; found {n1} and {n - n1} — use fewer folds"
        )
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
        e_raw[test] = _logistic_predict(X[test], fit_logistic(Xt, tt))
        m1[test] = _predict_outcome(_fit_outcome(Xt[tt == 1], yt[tt == 1], outcome_model),
                                    X[test])
        m0[test] = _predict_outcome(_fit_outcome(Xt[tt == 0], yt[tt == 0], outcome_model),
                                    X[test])
    e, clipped = _checked_clipped_propensities(e_raw, eps, overlap_tol, max_extreme_share,
                                               treatment)
    phi1 = m1 + t * (y - m1) / e
    phi0 = m0 + (1.0 - t) * (y - m0) / (1.0 - e)
    cov = np.cov(np.column_stack([phi1, phi0]), rowvar=False) / n
    return _build("aipw", float(phi1.mean()), float(phi0.mean()), cov, level, n, n1,
                  details={"n_trimmed": int(clipped.sum()), "eps": eps, "n_folds": n_folds,
                           "seed": seed, "outcome_model": outcome_model},
                  propensity=e)


METHODS = ("difference_in_means", "regression_adjustment", "ipw", "aipw")


def estimate_effect(data: pd.DataFrame, outcome: str, treatment: str, method: str,
                    covariates: Sequence[str] = (), **kwargs: Any) -> EffectEstimate:
    """Dispatch to one of :data:`METHODS` by name (``kwargs`` passed through)."""
    if method == "difference_in_means":
        return difference_in_means(data, outcome, treatment, **kwargs)
    if method == "regression_adjustment":
        return regression_adjustment(data, outcome, treatment, covariates, **kwargs)
    if method == "ipw":
        return ipw(data, outcome, treatment, covariates, **kwargs)
    if method == "aipw":
        return aipw(data, outcome, treatment, covariates, **kwargs)
    raise ParameterError(f"method must be one of {METHODS}, got {method!r}")


# --------------------------------------------------------------------------------------------
# E-values
# --------------------------------------------------------------------------------------------


def _e_point(rr: float) -> float:
    rr = 1.0 / rr if rr < 1.0 else rr
    return float(rr + np.sqrt(rr * (rr - 1.0)))


def e_value(rr: float, ci_low: float | None = None,
            ci_high: float | None = None) -> dict[str, float]:
    """E-value for a risk ratio and for the confidence limit closer to 1 (as R
    ``EValue::evalues.RR``).

    VanderWeele & Ding (2017), Ann. Intern. Med. 167:268-274: for RR ≥ 1,
    ``E = RR + sqrt(RR (RR - 1))``; for RR < 1 apply it to 1/RR. For the interval: the limit
    closer to the null (lower limit if RR > 1, upper if RR < 1) is used; if the interval
    contains 1 the E-value for the limit is 1. Returns ``{"e_value": ..., "e_value_ci": ...}``
    (``e_value_ci`` NaN when no limits are given).
    """
    limits = [v for v in (ci_low, ci_high) if v is not None]
    if not (np.isfinite(rr) and rr > 0) or any(np.isnan(v) or v <= 0 for v in limits):
        raise ParameterError(
            f"risk ratio must be positive and finite and its limits positive, got "
            f"{[rr] + limits}"
        )
    if ci_low is not None and ci_high is not None and not ci_low <= rr <= ci_high:
        raise ParameterError(f"risk ratio {rr} is not inside its interval [{ci_low}, {ci_high}]")
    out = {"e_value": _e_point(rr), "e_value_ci": float("nan")}
    if rr >= 1.0 and ci_low is not None:
        out["e_value_ci"] = 1.0 if ci_low <= 1.0 else _e_point(ci_low)
    elif rr < 1.0 and ci_high is not None:
        out["e_value_ci"] = 1.0 if ci_high >= 1.0 else _e_point(ci_high)
    return out


def e_value_from_difference(estimate: float, se: float, sd_outcome: float) -> dict[str, float]:
    """Approximate E-value for a mean difference on a continuous outcome.

    VanderWeele & Ding (2017), section "continuous outcomes": with the standardised
    difference ``d = estimate / sd_outcome`` and ``s_d = se / sd_outcome``, approximate
    ``RR ≈ exp(0.91 d)`` with interval ``exp(0.91 d ± 1.78 s_d)`` (Hasselblad & Hedges 1995
    conversion), then :func:`e_value`. Returns also the converted ``rr``, ``rr_ci_low``,
    ``rr_ci_high``.
    """
    if not (np.isfinite(sd_outcome) and sd_outcome > 0):
        raise ParameterError(f"sd_outcome must be positive, got {sd_outcome!r}")
    if not (np.isfinite(se) and se >= 0):
        raise ParameterError(f"se must be non-negative, got {se!r}")
    d, sd_ = estimate / sd_outcome, se / sd_outcome
    rr = float(np.exp(0.91 * d))
    lo, hi = float(np.exp(0.91 * d - 1.78 * sd_)), float(np.exp(0.91 * d + 1.78 * sd_))
    out = e_value(rr, lo, hi)
    return {"rr": rr, "rr_ci_low": lo, "rr_ci_high": hi, **out}


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
    estimate, se, ci_low, ci_high, note. Levels without both groups or with a constant
    outcome get NaN and the reason in ``note``.
    """
    _check_columns(data, [by], "subgroup")
    _no_missing(data, by, "subgroup")
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
                       estimate=res.estimate, se=res.se, ci_low=res.ci_low,
                       ci_high=res.ci_high, note="")
        except EstimationError as exc:
            row.update(n_treated=np.nan, n_control=np.nan, estimate=np.nan, se=np.nan,
                       ci_low=np.nan, ci_high=np.nan, note=str(exc))
        rows.append(row)
    table = pd.DataFrame(rows)
    q, df, p = _cochran_q(table["estimate"].to_numpy(float), table["se"].to_numpy(float))
    return SubgroupResult(table=table, q=q, df=df, p_value=p)


def _arm_frame(data: pd.DataFrame, arm: str, control: Any, treated: Any,
               name: str = "_treated") -> pd.DataFrame:
    mask = (data[arm] == treated) | (data[arm] == control)
    sub = data.loc[mask.to_numpy()].copy()
    sub[name] = (sub[arm] == treated).to_numpy()
    return sub


def two_arm_frame(data: pd.DataFrame, arm: str, control: Any, treated: Any,
                  name: str = "treated") -> pd.DataFrame:
    """Rows of a multi-arm experiment in arm ``treated`` or ``control``, with a bool column
    ``name`` (True = ``treated``)."""
    _arms(data, arm, control, [treated])
    if name in data.columns:
        raise ParameterError(f"column {name!r} already exists; choose another name")
    return _arm_frame(data, arm, control, treated, name)


def _arms(data: pd.DataFrame, arm: str, control: Any,
          treatments: Sequence[Any] | None) -> list[Any]:
    _check_columns(data, [arm], "arm")
    _no_missing(data, arm, "arm")
    present = list(data[arm].cat.categories) if isinstance(data[arm].dtype, pd.CategoricalDtype) \
        else sorted(data[arm].unique())
    if control not in present:
        raise DataError(f"control arm {control!r} is not a value of {arm!r} (values: {present})")
    arms = [a for a in present if a != control] if treatments is None else list(treatments)
    unknown = [a for a in arms if a not in present]
    if unknown:
        raise DataError(f"treatment arm(s) {unknown} not values of {arm!r} (values: {present})")
    return arms


def arm_effects(data: pd.DataFrame, arm: str, control: Any, outcomes: Sequence[str],
                treatments: Sequence[Any] | None = None, method: str = "difference_in_means",
                covariates: Sequence[str] = (), **kwargs: Any) -> pd.DataFrame:
    """Each treatment arm of a multi-arm column versus ``control``, for each outcome.

    Columns: treatment, outcome, method, estimate, ci_low, ci_high, se, n_treated,
    n_control, control_mean, treated_mean, relative_lift (estimate / control_mean).
    """
    arms = _arms(data, arm, control, treatments)
    rows = []
    for a in arms:
        sub = _arm_frame(data, arm, control, a)
        for y in outcomes:
            res = estimate_effect(sub, y, "_treated", method, covariates, **kwargs)
            rows.append({
                "treatment": a, "outcome": y, "method": method, "estimate": res.estimate,
                "ci_low": res.ci_low, "ci_high": res.ci_high, "se": res.se,
                "n_treated": res.n_treated, "n_control": res.n_control,
                "control_mean": res.mu0, "treated_mean": res.mu1,
                "relative_lift": res.estimate / res.mu0 if res.mu0 != 0 else np.nan,
            })
    return pd.DataFrame(rows)


def arm_subgroup_effects(data: pd.DataFrame, arm: str, control: Any, outcomes: Sequence[str],
                         by: Sequence[str], treatments: Sequence[Any] | None = None,
                         method: str = "difference_in_means", covariates: Sequence[str] = (),
                         **kwargs: Any) -> pd.DataFrame:
    """:func:`subgroup_effects` for every arm × outcome × ``by`` column, stacked.

    Adds the heterogeneity test of each block (``q``, ``q_df``, ``q_p_value``).
    """
    arms = _arms(data, arm, control, treatments)
    blocks = []
    for a in arms:
        sub = _arm_frame(data, arm, control, a)
        for y in outcomes:
            for b in by:
                res = subgroup_effects(sub, y, "_treated", b, method, covariates, **kwargs)
                tab = res.table.assign(treatment=a, outcome=y, q=res.q, q_df=res.df,
                                       q_p_value=res.p_value)
                tab["subgroup"] = tab["subgroup"].astype(str)
                blocks.append(tab)
    out = pd.concat(blocks, ignore_index=True)
    first = ["treatment", "outcome", "by", "subgroup"]
    return out[first + [c for c in out.columns if c not in first]]


def heterogeneity_tests(subgroups: pd.DataFrame) -> pd.DataFrame:
    """One row per treatment × outcome × ``by`` block of :func:`arm_subgroup_effects` with
    Cochran's Q, its df and p-value, and the number of subgroups."""
    need = ["treatment", "outcome", "by", "q", "q_df", "q_p_value"]
    _check_columns(subgroups, need, "subgroup table")
    g = subgroups.groupby(["treatment", "outcome", "by"], sort=False)
    out = g[["q", "q_df", "q_p_value"]].first()
    out["n_subgroups"] = g.size()
    return out.reset_index()


def effects_per_contacts(effects: pd.DataFrame, n_contacts: int = 1000) -> pd.DataFrame:
    """Scale per-customer effects (estimate, ci_low, ci_high) to ``n_contacts`` customers.

    For an e-mail experiment with per-recipient outcomes this is the expected number of extra
    visits / conversions (or extra spend) per ``n_contacts`` e-mails sent.
    """
    if not isinstance(n_contacts, int) or n_contacts <= 0:
        raise ParameterError(f"n_contacts must be a positive integer, got {n_contacts!r}")
    _check_columns(effects, ["treatment", "outcome", "estimate", "ci_low", "ci_high"], "effects")
    out = effects[["treatment", "outcome"]].copy()
    out["per_contacts"] = n_contacts
    for c in ("estimate", "ci_low", "ci_high"):
        out[c] = effects[c].to_numpy(float) * n_contacts
    return out
