"""Method check: recover an experimental effect from confounded samples of the experiment.

Design (a "constructed observational study", in the spirit of LaLonde 1986 and of the
within-study comparisons of Cook, Shadish & Wong 2008): start from a randomised experiment
(treatment share π) and keep each unit with a probability that depends on its covariates
*and* its arm,

    keep | treated = q · s(x) / π,      keep | control = q · (1 - s(x)) / (1 - π),
    s(x) = 1 / (1 + exp(-strength · Σ_j c_j · z_j(x))),

with ``z_j`` the standardised selection covariates. Then, in the kept sample,
P(T = 1 | x) = s(x) (a logistic propensity, linear in the covariates), and the covariate
distribution equals that of the experiment (the keep probability averaged over arms is the
constant q), so the experiment's average effect stays the estimand. Because the covariates
also drive the outcome, the naive difference in means of the kept sample is biased; IPW / AIPW
with those covariates should not be.

Benchmark ("truth"): the difference in means on the full experiment. Each draw is a subsample
of that same experiment, so a CI that is valid for a new population over-covers the
full-sample benchmark; with a kept share q the approximate expected coverage of a valid
level-(1-α) interval is ``P(|Z| < z_{1-α/2} / sqrt(1 - q))`` (finite-population correction
for a q-fraction subsample), reported as ``expected_coverage``.

Draws are a map over independent seeds (``numpy.random.SeedSequence(seed).spawn``), run
serially or with joblib (``n_jobs``); results do not depend on ``n_jobs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_n_boot, check_seed
from crm_research._lazy import lazy_module
from crm_research.causal.design import require_role_columns, treatment_array
from crm_research.causal.estimators import (
    EffectEstimate,
    difference_in_means,
    regression_adjustment,
)
from crm_research.causal.weighting import aipw, ipw
from crm_research.errors import EstimationError, ParameterError

stats = lazy_module("scipy.stats")

__all__ = ["selection_from_lists", "selection_propensity", "confounded_sample", "method_check",
           "MethodCheckResult", "CHECK_METHODS"]

CHECK_METHODS = ("naive", "regression_adjustment", "ipw", "aipw")


def selection_from_lists(covariates: Sequence[str],
                         coefficients: Sequence[float]) -> dict[str, float]:
    """Selection index ``{covariate: coefficient}`` from two parallel lists (study params)."""
    covariates, coefficients = list(covariates), list(coefficients)
    if len(covariates) != len(coefficients) or not covariates:
        raise ParameterError(
            f"selection covariates {covariates} and coefficients {coefficients} must be "
            "non-empty lists of the same length"
        )
    if len(set(covariates)) != len(covariates):
        raise ParameterError(f"selection covariates repeat a name: {covariates}")
    return {c: float(b) for c, b in zip(covariates, coefficients, strict=True)}


def selection_propensity(data: pd.DataFrame, selection: dict[str, float],
                         strength: float = 1.0) -> np.ndarray:
    """s(x) = logistic(strength · Σ c_j z_j(x)), z_j = (x_j - mean) / sd (ddof=0)."""
    if not selection:
        raise ParameterError("selection must name at least one covariate with a coefficient")
    require_role_columns(data, list(selection), "selection")
    idx = np.zeros(len(data))
    for col, coef in selection.items():
        v = data[col]
        if not (pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v)):
            raise ParameterError(
                f"selection covariate {col!r} must be numeric or bool, got {v.dtype}"
            )
        x = v.to_numpy(dtype=float)
        sd = x.std()
        if not np.isfinite(sd) or sd == 0:
            raise ParameterError(f"selection covariate {col!r} is constant or has missing values")
        idx += float(coef) * (x - x.mean()) / sd
    return 1.0 / (1.0 + np.exp(-float(strength) * idx))


def _keep_probabilities(t: np.ndarray, s: np.ndarray, keep_fraction: float) -> np.ndarray:
    pi = t.mean()
    q_max = min(pi / s.max(), (1.0 - pi) / (1.0 - s).max())
    if not 0.0 < keep_fraction <= q_max:
        raise ParameterError(
            f"keep_fraction must be in (0, {q_max:.4f}] for this selection strength "
            f"(keep probabilities must not exceed 1), got {keep_fraction!r}"
        )
    return np.where(t == 1, keep_fraction * s / pi, keep_fraction * (1.0 - s) / (1.0 - pi))


def confounded_sample(data: pd.DataFrame, treatment: str, selection: dict[str, float],
                      strength: float = 1.0, keep_fraction: float = 0.25,
                      seed: int = 0) -> pd.DataFrame:
    """One confounded subsample of a randomised experiment (design in the module docstring).

    Adds the column ``selection_propensity`` = s(x), the true propensity in the subsample.
    """
    t = treatment_array(data, treatment)
    s = selection_propensity(data, selection, strength)
    p = _keep_probabilities(t, s, float(keep_fraction))
    rng = np.random.default_rng(seed)
    keep = rng.random(len(t)) < p
    out = data.loc[keep].copy()
    out["selection_propensity"] = s[keep]
    return out


def _estimate(method: str, sample: pd.DataFrame, outcome: str, treatment: str,
              covariates: Sequence[str], n_folds: int, eps: float, level: float,
              seed: int) -> EffectEstimate:
    if method == "naive":
        return difference_in_means(sample, outcome, treatment, level=level)
    if method == "regression_adjustment":
        return regression_adjustment(sample, outcome, treatment, covariates, level=level)
    if method == "ipw":
        return ipw(sample, outcome, treatment, covariates, eps=eps, level=level)
    return aipw(sample, outcome, treatment, covariates, n_folds=n_folds, seed=seed, eps=eps,
                level=level)


def _one_draw(draw: int, seed: int, data: pd.DataFrame, outcomes: Sequence[str],
              treatment: str, covariates: Sequence[str], selection: dict[str, float],
              strength: float, keep_fraction: float, methods: Sequence[str], n_folds: int,
              eps: float, level: float) -> list[dict[str, Any]]:
    sample = confounded_sample(data, treatment, selection, strength, keep_fraction, seed)
    rows = []
    for y in outcomes:
        for m in methods:
            try:
                r = _estimate(m, sample, y, treatment, covariates, n_folds, eps, level, seed)
                rows.append({"draw": draw, "seed": seed, "outcome": y, "method": m,
                             "n": r.n, "n_treated": r.n_treated, "estimate": r.estimate,
                             "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
                             "n_trimmed": r.details.get("n_trimmed", 0)})
            except EstimationError as exc:  # recorded, not hidden
                rows.append({"draw": draw, "seed": seed, "outcome": y, "method": m,
                             "n": len(sample), "n_treated": np.nan, "estimate": np.nan,
                             "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "n_trimmed": np.nan, "error": str(exc)})
    return rows


@dataclass
class MethodCheckResult:
    """``draws``: one row per draw × outcome × method; ``table``: one row per outcome ×
    method (bias, coverage, ...); ``truth``: experimental benchmark per outcome (estimate,
    std_error, ci_low, ci_high)."""

    draws: pd.DataFrame
    table: pd.DataFrame
    truth: pd.DataFrame

    def fit_table(self) -> pd.DataFrame:
        """Design of the check as (``statistic``, ``value``) rows."""
        return pd.DataFrame({
            "statistic": ["draws", "outcomes", "methods", "failed estimates"],
            "value": [int(self.draws["draw"].nunique()), int(self.draws["outcome"].nunique()),
                      ", ".join(dict.fromkeys(self.draws["method"])),
                      int(self.draws["estimate"].isna().sum())],
        })


def method_check(data: pd.DataFrame, outcomes: Sequence[str], treatment: str,
                 covariates: Sequence[str], selection: dict[str, float], strength: float = 1.0,
                 keep_fraction: float = 0.25, n_draws: int = 100, seed: int = 0,
                 methods: Sequence[str] = ("naive", "ipw", "aipw"), n_folds: int = 5,
                 eps: float = 0.01, level: float = 0.95, n_jobs: int = 1) -> MethodCheckResult:
    """Bias and CI coverage of ``methods`` over ``n_draws`` confounded samples.

    Summary columns: outcome, method, truth, n_draws, n_failed, mean_estimate, bias
    (mean estimate - truth), bias_mc_std_error (SD / sqrt(draws)), sd_estimate, mean_std_error,
    rmse,
    coverage (share of CIs containing the truth), coverage_mc_std_error, expected_coverage
    (see module docstring), mean_n, mean_trimmed.
    """
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    unknown = [m for m in methods if m not in CHECK_METHODS]
    if unknown or not methods:
        raise ParameterError(f"methods must be a non-empty subset of {CHECK_METHODS}, got "
                             f"{list(methods)}")
    n_draws = check_n_boot(n_draws, "n_draws", minimum=2)
    seed = check_seed(seed, allow_none=False)
    if not isinstance(n_jobs, int) or n_jobs == 0:
        raise ParameterError(f"n_jobs must be a non-zero integer, got {n_jobs!r}")
    require_role_columns(data, list(covariates), "covariate")
    truth_rows = []
    for y in outcomes:
        r = difference_in_means(data, y, treatment, level=level)
        truth_rows.append({"outcome": y, "estimate": r.estimate, "ci_low": r.ci_low,
                           "ci_high": r.ci_high, "std_error": r.std_error, "n": r.n})
    truth = pd.DataFrame(truth_rows)
    # validate keep_fraction once, before spawning work
    _keep_probabilities(treatment_array(data, treatment),
                        selection_propensity(data, selection, strength), float(keep_fraction))
    seeds = [int(ss.generate_state(1)[0]) for ss in np.random.SeedSequence(seed).spawn(n_draws)]
    args = (data, list(outcomes), treatment, list(covariates), dict(selection), float(strength),
            float(keep_fraction), list(methods), n_folds, eps, level)
    if n_jobs == 1:
        results = [_one_draw(i, s, *args) for i, s in enumerate(seeds)]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(_one_draw)(i, s, *args)
                                          for i, s in enumerate(seeds))
    draws = pd.DataFrame([row for rows in results for row in rows])
    if "error" not in draws.columns:
        draws["error"] = ""
    draws["error"] = draws["error"].fillna("")
    tmap = truth.set_index("outcome")["estimate"]
    draws["truth"] = draws["outcome"].map(tmap)
    draws["covered"] = (draws["ci_low"] <= draws["truth"]) & (draws["truth"] <= draws["ci_high"])
    z = stats.norm.ppf(0.5 + level / 2.0)
    expected = float(2.0 * stats.norm.cdf(z / np.sqrt(1.0 - keep_fraction)) - 1.0)
    rows = []
    for (y, m), g in draws.groupby(["outcome", "method"], sort=False):
        ok = g[np.isfinite(g["estimate"])]
        k = len(ok)
        tr = float(tmap[y])
        sd = float(ok["estimate"].std(ddof=1)) if k > 1 else float("nan")
        cov = float(ok["covered"].mean()) if k else float("nan")
        rows.append({
            "outcome": y, "method": m, "truth": tr, "n_draws": len(g), "n_failed": len(g) - k,
            "mean_estimate": float(ok["estimate"].mean()) if k else float("nan"),
            "bias": float(ok["estimate"].mean() - tr) if k else float("nan"),
            "bias_mc_std_error": sd / np.sqrt(k) if k > 1 else float("nan"),
            "sd_estimate": sd,
            "mean_std_error": float(ok["std_error"].mean()) if k else float("nan"),
            "rmse": float(np.sqrt(np.mean((ok["estimate"] - tr) ** 2))) if k else float("nan"),
            "coverage": cov,
            "coverage_mc_std_error": float(np.sqrt(cov * (1 - cov) / k)) if k else float("nan"),
            "expected_coverage": expected, "mean_n": float(g["n"].mean()),
            "mean_trimmed": float(ok["n_trimmed"].mean()) if k else float("nan"),
        })
    return MethodCheckResult(draws=draws, table=pd.DataFrame(rows), truth=truth)
