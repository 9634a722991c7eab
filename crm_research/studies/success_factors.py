"""Analyses of the CRM success-factors study that are not generic PLS.

* reading a user's survey CSV against the study's codebook;
* the PLS estimand of the simulated design and a truth-vs-estimate table;
* Monte-Carlo maps over seeds: parameter recovery (bias, CI coverage) and power (share of
  significant paths) by sample size, with Monte-Carlo standard errors;
* the implementation-success logistic model (statsmodels) and its predicted-probability grid;
* a firm's self-assessment: its percentile on each dimension against the sample.

Monte-Carlo standard errors (Morris, White & Crowther 2019, "Using simulation studies to
evaluate statistical methods", Statistics in Medicine 38(11), 2074-2102, Table 6):
bias: sd(estimates) / sqrt(S); coverage and power: sqrt(p (1 - p) / S) for S simulations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research._lazy import lazy_module
from crm_research.data.codebook import load_codebook
from crm_research.data.datasets import read_user_csv
from crm_research.errors import (
    ConvergenceError,
    DataError,
    EstimationError,
    ParameterError,
    SpecError,
)
from crm_research.sem.pls import PLSResult, estimate_pls
from crm_research.sem.pls.plsc import bootstrap_model
from crm_research.sem.spec import ModelSpec
from crm_research.studies.simulate_projects import PRACTICES, READINESS, ProjectTruth
from crm_research.studies.simulate_survey import SurveyTruth, simulate_firm_survey

stats = lazy_module("scipy.stats")

# ============================================================================================
# Data
# ============================================================================================

def read_survey_csv(path: str | Path, codebook: str | Path = "crm_success_factors"
                    ) -> pd.DataFrame:
    """Read a user's firm-survey CSV and check it against ``codebook``.

    The codebook's missing codes become NaN; then every item column must exist, be numeric
    and lie within the codebook's scale (``Codebook.check_data``: one DataError naming the
    file, column and row otherwise).
    """
    p = Path(path)
    df = read_user_csv(p, "survey data file")
    cb = load_codebook(codebook)
    items = cb.items_frame()["item"].tolist()
    if cb.missing_codes:
        present = [c for c in items if c in df.columns]
        df[present] = df[present].replace(list(cb.missing_codes), np.nan)
    cb.check_data(df, where=str(p))
    return df


def sample_description(data: pd.DataFrame,
                       columns: Sequence[str] = ("firm_type", "size", "industry")
                       ) -> pd.DataFrame:
    """Counts and shares of the firm characteristics present in ``data``
    (columns: variable, level, firms, share)."""
    rows = []
    for col in columns:
        if col not in data.columns:
            continue
        counts = data[col].value_counts(sort=False, dropna=False)
        for level, k in counts.items():
            rows.append({"variable": col, "level": "missing" if pd.isna(level) else str(level),
                         "firms": int(k), "share": k / len(data)})
    return pd.DataFrame(rows, columns=["variable", "level", "firms", "share"])


# ============================================================================================
# Truth versus estimate
# ============================================================================================

def survey_estimand(truth: SurveyTruth, n: int = 200_000, seed: int | None = 12345,
                    missing: str = "mean", scheme: str = "path", likert: bool = True
                    ) -> pd.DataFrame:
    """PLS estimand of the simulated survey design: the PLS path coefficients on one very
    large sample drawn from ``truth`` (Likert categorisation, acquiescence, MCAR and the
    missing-value treatment included). Its Monte-Carlo error is of order
    sd_n=300 x sqrt(300 / n) (about 0.002 at the default n). Columns: source, target,
    estimand. (For continuous responses the estimand is also available exactly, see
    ``simulate.pls_on_covariance``; the tests check that the two agree.)"""
    sim = simulate_firm_survey(truth, n_firms=int(n), seed=seed, likert=likert)
    spec = truth.spec if likert else truth.spec.without_scale()  # continuous: no 1-7 scale
    res = estimate_pls(sim.data, spec, scheme=scheme, missing=missing)
    return res.paths.rename(columns={"estimate": "estimand"})


def truth_vs_estimate(paths: pd.DataFrame, truth: Mapping[tuple[str, str], float],
                      estimand: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compare estimated paths (source, target, estimate[, ci_low, ci_high]) with the true
    structural coefficients and (optionally) the PLS estimand.

    Columns: source, target, true, estimand, estimate, error (estimate - true),
    error_vs_estimand, ci_low, ci_high, covers_true, covers_estimand.
    """
    out = paths[["source", "target", "estimate"]].copy()
    keys = list(zip(out["source"], out["target"], strict=True))
    unknown = [k for k in keys if k not in truth]
    if unknown:
        raise ParameterError(f"truth has no value for path(s) {unknown}")
    out.insert(2, "true", [round(float(truth[k]), 12) for k in keys])
    if estimand is not None:
        est = estimand.set_index(["source", "target"])["estimand"]
        out.insert(3, "estimand", [float(est.loc[k]) for k in keys])
    else:
        out.insert(3, "estimand", np.nan)
    out["error"] = out["estimate"] - out["true"]
    out["error_vs_estimand"] = out["estimate"] - out["estimand"]
    if {"ci_low", "ci_high"} <= set(paths.columns):
        out["ci_low"] = paths["ci_low"].to_numpy()
        out["ci_high"] = paths["ci_high"].to_numpy()
        out["covers_true"] = (out["ci_low"] <= out["true"]) & (out["true"] <= out["ci_high"])
        out["covers_estimand"] = (out["ci_low"] <= out["estimand"]) \
            & (out["estimand"] <= out["ci_high"])
    return out


# ============================================================================================
# Monte Carlo: recovery and power
# ============================================================================================

def _sim_seeds(seed: int | None, k: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(k)]


def _one_replicate(simulate: Callable[[int, int], pd.DataFrame], spec: ModelSpec, n: int,
                   sim_seed: int, n_boot: int, missing: str, ci: str, level: float,
                   estimator: str = "pls") -> pd.DataFrame:
    data = simulate(n, sim_seed)
    try:
        boot = bootstrap_model(data, spec, estimator=estimator, n_boot=n_boot, seed=sim_seed,
                               missing=missing, ci=ci, level=level)
    except (EstimationError, ConvergenceError, DataError, SpecError) as exc:
        return pd.DataFrame([{"n": n, "seed": sim_seed, "source": s, "target": t,
                              "ok": False, "error": str(exc)} for s, t in spec.paths])
    tab = boot.paths[["source", "target", "estimate", "std_error", "p_value", "ci_low",
                      "ci_high"]].copy()
    tab.insert(0, "seed", sim_seed)
    tab.insert(0, "n", n)
    tab["ok"] = True
    tab["error"] = ""
    tab["n_boot_ok"] = boot.n_ok
    return tab


def monte_carlo_paths(simulate: Callable[[int, int], pd.DataFrame], spec: ModelSpec,
                      sample_sizes: Sequence[int], n_sims: int, seed: int | None = 0,
                      n_boot: int = 100, missing: str = "listwise", ci: str = "percentile",
                      level: float = 0.95, n_jobs: int = 1, estimator: str = "pls"
                      ) -> pd.DataFrame:
    """A map over seeds: for every sample size and each of ``n_sims`` replicates, draw a data
    set with ``simulate(n, seed)``, estimate the model by ``estimator`` ('pls' or 'plsc',
    ``crm_research.sem.pls.plsc.bootstrap_model``) and bootstrap it (``n_boot`` resamples,
    seeded by the replicate's seed).

    Replicate seeds come from ``SeedSequence(seed).spawn(len(sample_sizes) * n_sims)``, so
    every replicate is reproducible on its own and the result does not depend on ``n_jobs``
    (joblib threads when > 1). Returns one row per replicate and path: n, seed, source, target,
    estimate, std_error, p_value, ci_low, ci_high, ok, error, n_boot_ok. A replicate whose
    estimation fails is kept with ok = False (counted, never dropped silently).
    """
    sizes = [int(v) for v in sample_sizes]
    if not sizes or min(sizes) < 10:
        raise ParameterError(f"sample_sizes={list(sample_sizes)!r}; expected sizes >= 10")
    if not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ParameterError(f"n_sims={n_sims!r}; expected a positive integer")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ParameterError(f"n_boot={n_boot!r}; expected an integer >= 10 (the tests use "
                             "bootstrap standard errors and intervals)")
    seeds = _sim_seeds(seed, len(sizes) * int(n_sims))
    jobs = [(n, seeds[i * n_sims + j]) for i, n in enumerate(sizes) for j in range(n_sims)]
    args = [(simulate, spec, n, s, int(n_boot), missing, ci, level, estimator)
            for n, s in jobs]
    if n_jobs != 1 and len(args) > 1:
        from joblib import Parallel, delayed
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_one_replicate)(*a) for a in args)
    else:
        parts = [_one_replicate(*a) for a in args]
    return pd.concat(parts, ignore_index=True)


def summarise_monte_carlo(draws: pd.DataFrame, truth: Mapping[tuple[str, str], float],
                          estimand: pd.DataFrame | None = None, alpha: float = 0.05,
                          level: float = 0.95) -> pd.DataFrame:
    """Bias, CI coverage and power per sample size and path, with Monte-Carlo SEs.

    Columns: n, source, target, true, estimand, n_sims (successful), n_failed,
    mean_estimate, bias (vs true), bias_vs_estimand, bias_mc_std_error = sd / sqrt(S),
    coverage_true, coverage_estimand, coverage_mc_std_error = sqrt(c (1 - c) / S) at the nominal
    level c = ``level`` (the level the draws' intervals were computed at),
    power = share with p < alpha, power_mc_std_error (Morris et al. 2019).
    A path whose true value is 0 has 'power' = the test's rejection rate under the null.
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}; expected a number in (0, 1)")
    est_map = {} if estimand is None else {
        (s, t): v for s, t, v in zip(estimand["source"], estimand["target"],
                                     estimand["estimand"], strict=True)}
    rows = []
    for (n, s, t), g in draws.groupby(["n", "source", "target"], sort=False):
        ok = g[g["ok"]]
        k = len(ok)
        tv = float(truth[(s, t)])
        ev = est_map.get((s, t), np.nan)
        row: dict[str, Any] = {"n": int(n), "source": s, "target": t, "true": round(tv, 12),
                               "estimand": ev, "n_sims": k, "n_failed": int(len(g) - k)}
        if k:
            e = ok["estimate"].to_numpy(float)
            lo, hi = ok["ci_low"].to_numpy(float), ok["ci_high"].to_numpy(float)
            cov_t = float(np.mean((lo <= tv) & (tv <= hi)))
            cov_e = float(np.mean((lo <= ev) & (ev <= hi))) if np.isfinite(ev) else np.nan
            power = float(np.mean(ok["p_value"].to_numpy(float) < alpha))
            row.update({
                "mean_estimate": e.mean(), "bias": e.mean() - tv,
                "bias_vs_estimand": e.mean() - ev,
                "bias_mc_std_error": e.std(ddof=1) / np.sqrt(k) if k > 1 else np.nan,
                "coverage_true": cov_t, "coverage_estimand": cov_e,
                "coverage_mc_std_error": np.sqrt(level * (1 - level) / k),
                "power": power, "power_mc_std_error": np.sqrt(power * (1 - power) / k),
            })
        rows.append(row)
    return pd.DataFrame(rows)


def sample_size_for_power(power: pd.DataFrame, target_power: float = 0.8) -> pd.DataFrame:
    """Smallest sample size in the grid whose power reaches ``target_power``, per path with a
    non-zero true value (NaN if none does). Columns: source, target, true, n_needed."""
    rows = []
    for (s, t), g in power.groupby(["source", "target"], sort=False):
        tv = g["true"].iloc[0]
        if tv == 0:
            continue
        reach = g.loc[g["power"] >= target_power, "n"]
        rows.append({"source": s, "target": t, "true": tv,
                     "n_needed": int(reach.min()) if len(reach) else np.nan})
    return pd.DataFrame(rows, columns=["source", "target", "true", "n_needed"])


def survey_simulator(truth: SurveyTruth) -> Callable[[int, int], pd.DataFrame]:
    """``simulate(n, seed)`` drawing firm-survey data sets from ``truth``."""
    def simulate(n: int, seed: int) -> pd.DataFrame:
        return simulate_firm_survey(truth, n_firms=n, seed=seed).data
    return simulate


def mga_with_truth(table: pd.DataFrame, truth: SurveyTruth, groups: tuple[str, str]
                   ) -> pd.DataFrame:
    """Add the true group difference of each path (group 1 minus group 2) to an MGA table
    (``pls.mga_permutation(...).table``); R2 rows get NaN."""
    out = table.copy()
    cols = {g.upper(): g.lower() for g in ("B2B", "B2C")}
    g1, g2 = (cols.get(str(g).upper()) for g in groups)
    if g1 is None or g2 is None:
        out["true_diff"] = np.nan
        return out
    p1, p2 = truth.true_paths(g1), truth.true_paths(g2)
    out["true_diff"] = [round(p1[(s, t)] - p2[(s, t)], 12) if kind == "path" else np.nan
                        for kind, s, t in zip(out["parameter"], out["source"], out["target"],
                                              strict=True)]
    return out


# ============================================================================================
# Implementation success (logistic regression)
# ============================================================================================

@dataclass(frozen=True)
class ImplementationFit:
    """Logistic model of project success: statsmodels results and a coefficient table."""

    results: Any
    table: pd.DataFrame
    terms: tuple[str, ...]
    tech_centre: int
    n: int


def _design_matrix(frame: pd.DataFrame, tech_centre: int) -> np.ndarray:
    cols = [np.ones(len(frame)),
            frame["n_technologies"].to_numpy(float) - tech_centre]
    cols += [frame[c].to_numpy(float) for c in (*PRACTICES, *READINESS)]
    return np.column_stack(cols)


def fit_implementation_model(data: pd.DataFrame, outcome: str = "success",
                             truth: ProjectTruth | None = None, level: float = 0.95,
                             tech_centre: int = 3) -> ImplementationFit:
    """Logit of project success on n_technologies (centred at ``tech_centre``), the four
    change-management practices and the three readiness scores (maximum likelihood,
    statsmodels ``Logit``; Wald z tests and intervals).

    Table columns: term, estimate, std_error, z, p_value, ci_low, ci_high, odds_ratio, and
    ``true`` when the simulation truth is given.
    """
    import statsmodels.api as sm

    needed = ["n_technologies", *PRACTICES, *READINESS, outcome]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(f"implementation data: missing column(s) {missing}")
    frame = data[needed]
    if frame.isna().any().any():
        col = frame.columns[frame.isna().any()][0]
        raise DataError(f"implementation data: column {col!r} has missing values")
    for col in needed:
        try:
            frame[col].to_numpy(float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"implementation data: column {col!r} must be numeric "
                            f"(0/1 for practices and the outcome), got dtype "
                            f"{frame[col].dtype}") from exc
    y = frame[outcome].to_numpy(float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise DataError(f"implementation data: outcome {outcome!r} must be 0/1")
    if y.min() == y.max():
        raise DataError(f"implementation data: outcome {outcome!r} has a single value")
    x = _design_matrix(frame, tech_centre)
    terms = ("intercept", "n_technologies", *PRACTICES, *READINESS)
    try:
        res = sm.Logit(y, x).fit(disp=0, maxiter=200)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(f"implementation model: singular design ({exc})") from exc
    if not res.mle_retvals.get("converged", True):
        raise EstimationError("implementation model: the logit fit did not converge "
                              "(perfect separation?)")
    z_crit = stats.norm.ppf(0.5 + level / 2)
    est, se = np.asarray(res.params), np.asarray(res.bse)
    table = pd.DataFrame({"term": terms, "estimate": est, "std_error": se,
                          "z": est / se, "p_value": np.asarray(res.pvalues),
                          "ci_low": est - z_crit * se, "ci_high": est + z_crit * se,
                          "odds_ratio": np.exp(est)})
    if truth is not None:
        table["true"] = [float(truth.coefficients[t]) for t in terms]
        table["covers_true"] = (table["ci_low"] <= table["true"]) \
            & (table["true"] <= table["ci_high"])
    return ImplementationFit(results=res, table=table, terms=terms, tech_centre=tech_centre,
                             n=len(frame))


SCENARIOS: dict[str, tuple[str, ...]] = {
    "none": (), "training only": ("training",), "communication only": ("communication",),
    "participation only": ("participation",), "oversight only": ("oversight",),
    "all four": PRACTICES,
}


def implementation_grid(fit: ImplementationFit, n_technologies: Sequence[int] = range(1, 9),
                        scenarios: Mapping[str, Sequence[str]] | None = None,
                        level: float = 0.95, truth: ProjectTruth | None = None
                        ) -> pd.DataFrame:
    """Predicted probability of success by number of integrated technologies and
    change-management scenario (practices used), at average readiness (scores 0).

    Interval: Wald interval on the logit scale, x'b +- z sqrt(x' V x), transformed by the
    logistic function (delta method on the linear predictor). Columns: n_technologies,
    practices, p_success, ci_low, ci_high (and true_p_success when ``truth`` is given).
    """
    sc = dict(SCENARIOS if scenarios is None else scenarios)
    for name, used in sc.items():
        bad = [p for p in used if p not in PRACTICES]
        if bad:
            raise ParameterError(f"scenario {name!r}: unknown practice(s) {bad}; expected "
                                 f"{PRACTICES}")
    rows = []
    for k in n_technologies:
        for name, used in sc.items():
            row = {"n_technologies": int(k), "practices": name}
            row.update({p: int(p in used) for p in PRACTICES})
            row.update({r: 0.0 for r in READINESS})
            rows.append(row)
    grid = pd.DataFrame(rows)
    x = _design_matrix(grid, fit.tech_centre)
    b = np.asarray(fit.results.params)
    v = np.asarray(fit.results.cov_params())
    eta = x @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, v, x))
    z = stats.norm.ppf(0.5 + level / 2)
    out = grid[["n_technologies", "practices"]].copy()
    out["p_success"] = 1 / (1 + np.exp(-eta))
    out["ci_low"] = 1 / (1 + np.exp(-(eta - z * se)))
    out["ci_high"] = 1 / (1 + np.exp(-(eta + z * se)))
    if truth is not None:
        out["true_p_success"] = truth.probability(grid)
    return out


# ============================================================================================
# Self-assessment
# ============================================================================================

def dimension_scores(items: pd.DataFrame, result: PLSResult | None, spec: ModelSpec
                     ) -> pd.DataFrame:
    """Scores of each construct on the items' own scale: a weighted mean of the item values
    with weights summing to 1 - the PLS outer weights made unstandardised (w / sd(x)) and
    normalised, as in the IPMA performance scores (Ringle & Sarstedt 2016) - or the plain item
    mean when no PLS result is given."""
    out = {}
    if result is not None:
        weight = result.outer_model.set_index("item")["weight"]
        item_sd = result.item_data.std(ddof=0)
    for c in spec.construct_names:
        its = spec.items_of(c)
        x = items[its].to_numpy(float)
        if result is None:
            w = np.full(len(its), 1.0 / len(its))
        else:
            sd = item_sd[its].to_numpy()
            w = weight.loc[its].to_numpy(float) / (sd if result.scaled else 1.0)
            w = w / w.sum()
        out[c] = x @ w
    return pd.DataFrame(out, index=items.index)


def self_assessment(firm: Mapping[str, float] | pd.Series, sample: pd.DataFrame,
                    spec: ModelSpec, result: PLSResult | None = None,
                    scale: tuple[float, float] = (1.0, 7.0),
                    labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One firm's standing on each construct against the sample.

    The firm's and every sample firm's construct scores are computed the same way
    (``dimension_scores``); percentile = 100 x (#{sample < firm} + 0.5 #{sample = firm}) / n
    (mid-rank percentile). ``firm`` needs a value on ``scale`` for every item of ``spec``.
    Columns: construct, label, firm_score, sample_mean, sample_median, percentile.
    """
    vals = pd.Series(firm, dtype=float) if not isinstance(firm, pd.Series) else firm.astype(float)
    missing = [it for it in spec.all_items if it not in vals.index or pd.isna(vals[it])]
    if missing:
        raise ParameterError(f"self-assessment: no score given for item(s) {missing}")
    lo, hi = scale
    bad = [it for it in spec.all_items if not lo <= vals[it] <= hi]
    if bad:
        raise ParameterError(f"self-assessment: item {bad[0]!r} has score {vals[bad[0]]}, "
                             f"outside the scale {lo:g}..{hi:g}")
    ref_items = result.item_data if result is not None else sample[spec.all_items].dropna()
    ref = dimension_scores(ref_items, result, spec)
    own = dimension_scores(vals[spec.all_items].to_frame().T, result, spec).iloc[0]
    rows = []
    for c in spec.construct_names:
        s = ref[c].to_numpy()
        v = float(own[c])
        pct = 100.0 * ((s < v - 1e-12).sum() + 0.5 * (np.abs(s - v) <= 1e-12).sum()) / s.size
        rows.append({"construct": c, "label": (labels or {}).get(c, c), "firm_score": v,
                     "sample_mean": float(s.mean()), "sample_median": float(np.median(s)),
                     "percentile": pct})
    return pd.DataFrame(rows)


def read_projects_csv(path: str | Path) -> pd.DataFrame:
    """Read a user's CRM-project CSV (columns as ``simulate_crm_projects``: n_technologies,
    the four practices 0/1, the three readiness scores, success 0/1); the columns are checked
    when the model is fitted (``fit_implementation_model``)."""
    return read_user_csv(path, "project data file")


def firm_answers(data: pd.DataFrame, spec: ModelSpec, firm: int | None = None,
                 scores: Sequence[float] | None = None) -> pd.Series:
    """The item scores of the firm to assess: ``scores`` (one per item, in the model's item
    order) if given, else row ``firm`` (1-based position in ``data``; a missing answer is
    replaced by the item's sample mean, as in the estimation with missing='mean')."""
    items = spec.all_items
    if scores is not None:
        if len(scores) != len(items):
            raise ParameterError(f"firm_scores: {len(scores)} values given, the model has "
                                 f"{len(items)} items ({', '.join(items)})")
        return pd.Series([float(v) for v in scores], index=items)
    if firm is None or not 1 <= int(firm) <= len(data):
        raise ParameterError(f"firm={firm!r}; expected a row number between 1 and {len(data)}")
    row = data[items].iloc[int(firm) - 1].astype(float)
    return row.fillna(data[items].mean())
