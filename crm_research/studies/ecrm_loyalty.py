"""Analyses of the ecrm_loyalty study (ParsModir case of source text 004) that are not generic PLS.

* the codebook with English and Persian wording and each item's source;
* the case's four questions from one bootstrap (PLS or PLSc, same draws format): does eCRM
  raise each component (ECRM -> component paths with intervals), do the four coefficients
  differ (pairwise bootstrap differences and an omnibus test, ``sem.pls.compare``), what share
  of eCRM's total effect on loyalty runs through each component (specific indirect effect
  a_c b_c over the total effect, per bootstrap draw, Zhao, Lynch & Chen 2010 logic);
* Monte-Carlo maps over seeds: power to detect "different coefficients" by sample size, and
  the recovery of the factor-model truth by PLS and PLSc on the same resamples (bias,
  coverage, with Monte-Carlo standard errors of Morris, White & Crowther 2019, through
  ``success_factors.summarise_monte_carlo``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_seed
from crm_research.data.codebook import Codebook
from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError
from crm_research.sem.pls.compare import equal_paths_test, path_differences
from crm_research.sem.pls.plsc import bootstrap_model, bootstrap_plsc
from crm_research.sem.spec import ModelSpec
from crm_research.studies.simulate_ecrm import COMPONENTS, EcrmTruth, simulate_customers
from crm_research.studies.success_factors import summarise_monte_carlo

SOURCE = "ECRM"
OUTCOME = "LOY"
_FIT_ERRORS = (EstimationError, ConvergenceError, DataError)


def codebook_table(cb: Codebook) -> pd.DataFrame:
    """One row per item: construct, label, label_fa, item, wording, wording_fa, source."""
    rows = []
    for c, v in cb.constructs.items():
        for item, meta in v["items"].items():
            meta = meta or {}
            rows.append({"construct": c, "label": v.get("label", c),
                         "label_fa": v.get("label_fa", ""), "item": item,
                         "wording": meta.get("wording", ""),
                         "wording_fa": meta.get("wording_fa", ""),
                         "source": meta.get("source", "")})
    return pd.DataFrame(rows)


def _col(draws: pd.DataFrame, s: str, t: str) -> np.ndarray:
    return draws[f"{s} -> {t}"].to_numpy(float)


def _interval(x: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def component_effects(boot: Any, truth: EcrmTruth | None = None,
                      components: Sequence[str] = COMPONENTS) -> pd.DataFrame:
    """eCRM -> each component with bootstrap intervals: source, target, estimate, std_error,
    ci_low, ci_high, p_value, raises (interval above 0) and ``true`` when known."""
    p = boot.paths
    out = p[(p["source"] == SOURCE) & p["target"].isin(components)][
        ["source", "target", "estimate", "std_error", "ci_low", "ci_high", "p_value"]].copy()
    out["raises"] = out["ci_low"] > 0
    if truth is not None:
        tp = truth.true_paths()
        out["true"] = [tp[(s, t)] for s, t in zip(out["source"], out["target"], strict=True)]
        out["covers_true"] = (out["ci_low"] <= out["true"]) & (out["true"] <= out["ci_high"])
    return out.reset_index(drop=True)


def coefficient_differences(boot: Any, truth: EcrmTruth | None = None) -> tuple[pd.DataFrame,
                                                                                 pd.DataFrame]:
    """Pairwise differences of the four eCRM -> component paths (``path_differences``) and
    the omnibus equal-paths test; ``true_difference`` added when the truth is known."""
    labels = [f"{SOURCE} -> {c}" for c in COMPONENTS]
    pairs = [(labels[i], labels[j]) for i in range(len(labels))
             for j in range(i + 1, len(labels))]
    diff = path_differences(boot, pairs=pairs)
    if truth is not None:
        tp = {f"{s} -> {t}": v for (s, t), v in truth.true_paths().items()}
        diff["true_difference"] = [tp[a] - tp[b] for a, b in
                                   zip(diff["path_1"], diff["path_2"], strict=True)]
    return diff, equal_paths_test(boot, labels)


def mediation_shares(boot: Any, truth: EcrmTruth | None = None) -> pd.DataFrame:
    """Specific indirect effects ECRM -> c -> LOY (a_c b_c), the direct effect and each one's
    share of the total effect of ECRM on LOY, with percentile intervals over the bootstrap
    draws (same resamples for numerator and denominator). Columns: route, effect, ci_low,
    ci_high, share, share_ci_low, share_ci_high (+ true_effect, true_share)."""
    draws = boot.draws["paths"]
    est = boot.paths.set_index(["source", "target"])["estimate"]
    level = float(boot.level)
    routes, eff, eff_draw = [], [], []
    for c in COMPONENTS:
        routes.append(f"{SOURCE} -> {c} -> {OUTCOME}")
        eff.append(float(est[(SOURCE, c)] * est[(c, OUTCOME)]))
        eff_draw.append(_col(draws, SOURCE, c) * _col(draws, c, OUTCOME))
    routes.append(f"{SOURCE} -> {OUTCOME} (direct)")
    eff.append(float(est[(SOURCE, OUTCOME)]))
    eff_draw.append(_col(draws, SOURCE, OUTCOME))
    total, total_draw = sum(eff), np.sum(eff_draw, axis=0)
    rows = []
    for r, e, d in zip(routes, eff, eff_draw, strict=True):
        lo, hi = _interval(d, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            slo, shi = _interval(d / total_draw, level)
        rows.append({"route": r, "effect": e, "ci_low": lo, "ci_high": hi,
                     "share": e / total if total else np.nan,
                     "share_ci_low": slo, "share_ci_high": shi})
    lo, hi = _interval(total_draw, level)
    rows.append({"route": f"{SOURCE} -> {OUTCOME} (total)", "effect": total, "ci_low": lo,
                 "ci_high": hi, "share": 1.0, "share_ci_low": np.nan, "share_ci_high": np.nan})
    out = pd.DataFrame(rows)
    if truth is not None:
        mt = truth.mediation_truth()
        true_eff = [*mt["effect"], float(mt["effect"].sum())]
        out["true_effect"] = true_eff
        out["true_share"] = [*mt["share"], 1.0]
    return out


# ============================================================================================
# Monte Carlo
# ============================================================================================

def _seeds(seed: int | None, k: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(k)]


def customer_simulator(truth: EcrmTruth) -> Callable[[int, int], pd.DataFrame]:
    """``simulate(n, seed)`` drawing customer-survey data sets from ``truth``."""
    def simulate(n: int, seed: int) -> pd.DataFrame:
        return simulate_customers(truth, n=n, seed=seed).data
    return simulate


def _check_mc(sizes: Sequence[int], n_sims: int, n_boot: int) -> list[int]:
    sz = [int(v) for v in sizes]
    if not sz or min(sz) < 20:
        raise ParameterError(f"sample sizes {list(sizes)!r}: expected sizes >= 20")
    if not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ParameterError(f"n_sims={n_sims!r}; expected a positive integer")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ParameterError(f"n_boot={n_boot!r}; expected an integer >= 10")
    return sz


def difference_power(simulate: Callable[[int, int], pd.DataFrame], spec: ModelSpec,
                     sample_sizes: Sequence[int], n_sims: int, n_boot: int = 100,
                     seed: int | None = 0, estimator: str = "plsc", missing: str = "mean",
                     alpha: float = 0.05) -> pd.DataFrame:
    """Power to detect that the four eCRM -> component coefficients differ: for each sample
    size, ``n_sims`` data sets from ``simulate(n, seed)``, bootstrapped (``n_boot``), tested
    with ``equal_paths_test``; also the share in which the largest and smallest true paths
    (by the data's own full-sample order) differ pairwise. Replicate seeds from
    ``SeedSequence(seed)``. Columns: n, n_sims, n_failed, power, power_mc_std_error,
    mean_statistic."""
    sizes = _check_mc(sample_sizes, n_sims, n_boot)
    check_seed(seed)
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}; expected a number in (0, 1)")
    labels = [f"{SOURCE} -> {c}" for c in COMPONENTS]
    seeds = _seeds(seed, len(sizes) * int(n_sims))
    rows = []
    for i, n in enumerate(sizes):
        p_values, stats_, failed = [], [], 0
        for j in range(int(n_sims)):
            s = seeds[i * int(n_sims) + j]
            try:
                boot = bootstrap_model(simulate(n, s), spec, estimator=estimator,
                                       n_boot=int(n_boot), seed=s, missing=missing)
                test = equal_paths_test(boot, labels).iloc[0]
            except _FIT_ERRORS:
                failed += 1
                continue
            p_values.append(test["p_value"])
            stats_.append(test["statistic"])
        k = len(p_values)
        power = float(np.mean(np.array(p_values) < alpha)) if k else np.nan
        rows.append({"n": n, "n_sims": k, "n_failed": failed, "power": power,
                     "power_mc_std_error": float(np.sqrt(power * (1 - power) / k)) if k else np.nan,
                     "mean_statistic": float(np.mean(stats_)) if k else np.nan})
    return pd.DataFrame(rows)


def smallest_n_for_power(power: pd.DataFrame, target: float = 0.8) -> float:
    """Smallest sample size in the grid whose power reaches ``target`` (NaN if none)."""
    hit = power.loc[power["power"] >= target, "n"]
    return float(hit.min()) if len(hit) else float("nan")


def estimator_recovery(simulate: Callable[[int, int], pd.DataFrame], spec: ModelSpec,
                       truth: Mapping[tuple[str, str], float], n: int, n_sims: int,
                       n_boot: int = 100, seed: int | None = 0, missing: str = "mean",
                       level: float = 0.95) -> pd.DataFrame:
    """PLS and PLSc against the factor-model truth on the same simulated data sets and the
    same bootstrap resamples (``bootstrap_plsc`` keeps the PLS paths of every resample).

    Returns ``summarise_monte_carlo``'s columns (bias, bias_mc_std_error, coverage_true,
    coverage_mc_std_error, power, ...) with an ``estimator`` column first."""
    _check_mc([n], n_sims, n_boot)
    level = check_level(level)
    seeds = _seeds(seed, int(n_sims))
    rows: dict[str, list[pd.DataFrame]] = {"pls": [], "plsc": []}
    for s in seeds:
        try:
            boot = bootstrap_plsc(simulate(n, s), spec, n_boot=int(n_boot), seed=s,
                                  missing=missing, level=level)
        except _FIT_ERRORS as exc:
            for k in rows:
                rows[k].append(pd.DataFrame([{"n": n, "seed": s, "source": a, "target": b,
                                              "ok": False, "error": str(exc)}
                                             for a, b in spec.paths]))
            continue
        for k, tab in (("pls", boot.pls_paths), ("plsc", boot.paths)):
            d = tab[["source", "target", "estimate", "std_error", "p_value", "ci_low",
                     "ci_high"]].copy()
            d.insert(0, "seed", s)
            d.insert(0, "n", n)
            d["ok"] = True
            rows[k].append(d)
    out = []
    for k, parts in rows.items():
        summ = summarise_monte_carlo(pd.concat(parts, ignore_index=True), truth, level=level)
        summ.insert(0, "estimator", k.upper() if k == "pls" else "PLSc")
        out.append(summ)
    return pd.concat(out, ignore_index=True)


# ============================================================================================
# Relationship quality as a higher-order construct; PLS versus PLSc
# ============================================================================================

def relationship_quality_model(spec: ModelSpec) -> dict[str, Any]:
    """The study model with relationship quality (RQ) as a second-order construct of
    satisfaction, commitment and trust (Hennig-Thurau & Klee 1997; Palmatier et al. 2006):
    ECRM -> RQ, EMP -> LOY, RQ -> LOY, ECRM -> EMP, ECRM -> LOY, in the format of
    ``crm_research.sem.pls.hoc``."""
    raw = spec.to_dict()
    raw.pop("codebook", None)
    return {"name": "eCRM, relationship quality (second order) and loyalty",
            "constructs": raw["constructs"],
            "paths": {"EMP": [SOURCE], "RQ": [SOURCE], OUTCOME: ["RQ", "EMP", SOURCE]},
            "higher_order": {"RQ": ["SAT", "COM", "TRU"]}}


def case_findings(effects: pd.DataFrame, diffs: pd.DataFrame, omnibus: pd.DataFrame,
                  shares: pd.DataFrame, priorities: pd.DataFrame, power: pd.DataFrame,
                  level: float, alpha: float, labels: Mapping[str, str]) -> list[str]:
    """The report's key findings as sentences built from the computed tables."""
    pct = f"{level:.0%}"
    up = effects[effects["raises"]]
    parts = [f"{labels.get(r.target, r.target).lower()} {r.estimate:.2f} "
             f"[{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in effects.itertuples()]
    verdict = ("raises all four components" if len(up) == len(effects)
               else f"raises {len(up)} of the {len(effects)} components")
    out = [f"eCRM {verdict} ({pct} intervals): " + "; ".join(parts) + "."]
    om = omnibus.iloc[0]
    differ = diffs[diffs["differ"]]
    pairs = ", ".join(f"{a.split(' -> ')[1]} vs {b.split(' -> ')[1]} ({d:+.2f})"
                      for a, b, d in zip(differ["path_1"], differ["path_2"],
                                         differ["estimate"], strict=True))
    verb = "differ" if om.p_value < alpha else "are not shown to differ"
    out.append(f"The four coefficients {verb} (omnibus Wald chi2 = {om.statistic:.1f}, "
               f"df {int(om.df)}, p = {om.p_value:.3g}); pairs whose {pct} difference "
               f"interval excludes 0: {pairs or 'none'}.")
    med = shares[shares["route"].str.count("->") == 2]
    top = med.sort_values("share", ascending=False)
    out.append("Share of eCRM's total effect on loyalty carried by each component: " + "; ".join(
        f"{r.route.split(' -> ')[1]} {r.share:.0%} [{r.share_ci_low:.0%}, {r.share_ci_high:.0%}]"
        for r in top.itertuples()) + ".")
    first = priorities[priorities["quadrant"] == "improve first"]["construct"].tolist()
    lead = labels.get(priorities.iloc[0]["construct"], priorities.iloc[0]["construct"])
    out.append("Improve first (importance-performance map for loyalty): "
               + (", ".join(labels.get(c, c) for c in first) if first else
                  "no component is above-average in importance and below-average in "
                  f"performance; the most important is {lead}") + ".")
    n80 = smallest_n_for_power(power)
    out.append("Respondents needed to detect different coefficients with 80% power: "
               + (f"{n80:.0f} (smallest size tried that reaches it)" if np.isfinite(n80) else
                  f"not reached at any size tried (up to {int(power['n'].max())})") + ".")
    return out


def failed_checks(reliability: pd.DataFrame, htmt: pd.DataFrame, boot: Any,
                  effects: pd.DataFrame, recovery: pd.DataFrame | None = None,
                  level: float = 0.95) -> list[str]:
    """Every check the run failed, in words: reliability (rho_A < 0.70), convergent validity
    (AVE < 0.50), discriminant validity (HTMT > 0.85; Henseler, Ringle & Sarstedt 2015), more
    than 10% failed or inadmissible resamples, component intervals that miss the known truth,
    and PLSc coverage of the truth more than 3 Monte-Carlo SEs below ``level`` (judged only
    with at least 20 simulated surveys)."""
    out = []
    for r in reliability.itertuples():
        if np.isfinite(r.rho_a) and r.rho_a < 0.70:
            out.append(f"rho_A of {r.construct} is {r.rho_a:.2f} (below 0.70).")
        if np.isfinite(r.ave) and r.ave < 0.50:
            out.append(f"AVE of {r.construct} is {r.ave:.2f} (below 0.50).")
    names = list(htmt.columns)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            v = float(htmt.loc[a, b])
            if np.isfinite(v) and v > 0.85:
                out.append(f"HTMT of {a} and {b} is {v:.2f} (above 0.85).")
    if boot.n_boot and boot.n_failed > 0.1 * boot.n_boot:
        out.append(f"{boot.n_failed} of {boot.n_boot} bootstrap resamples failed or were "
                   "inadmissible (more than 10%).")
    if "covers_true" in effects.columns:
        for r in effects[~effects["covers_true"]].itertuples():
            out.append(f"The interval of {r.source} -> {r.target} [{r.ci_low:.3f}, "
                       f"{r.ci_high:.3f}] misses the true coefficient {r.true:.3f}.")
    if recovery is not None:
        pc = recovery[(recovery["estimator"] == "PLSc") & (recovery["n_sims"] >= 20)]
        low = pc[pc["coverage_true"] < level - 3 * pc["coverage_mc_std_error"]]
        for r in low.itertuples():
            out.append(f"PLSc interval coverage of {r.source} -> {r.target} is "
                       f"{r.coverage_true:.0%}, below the nominal {level:.0%} by more than "
                       "3 Monte-Carlo SEs.")
    return out
