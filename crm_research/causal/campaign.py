"""The campaign cycle on a randomised e-mail test: segments, test cell, refusals.

Steps of the cycle as described in source text 002, L113-L281 (segment, score, test on a small
subset of about 5% — L215-L219 —, adjust, roll out, analyse every response including the
negative ones — L265-L281), computed on the Hillstrom (2008) MineThatData e-mail experiment.
Roll-out economics live in :mod:`crm_research.causal.rollout`; the models in
:mod:`crm_research.causal.uplift`.

Decision rule (used for the full experiment and for every test cell): with ``margin`` the profit
per unit of outcome (per conversion, per visit or per dollar of spend) and ``cost`` the cost of
one contact, contacting a customer pays on average ``margin·τ - cost`` with τ the average effect
of the contact. The campaign is **rolled out** when the ``level`` confidence interval of τ
lies wholly above the break-even effect ``cost/margin``, **stopped** when it lies wholly below,
and otherwise the answer is **test more**. The interval is the Welch interval of
:func:`crm_research.causal.estimators.difference_in_means`.

Test-cell power: treating the full-experiment estimate τ̂ (standard error σ) as the truth, a
test cell holding a share ``s`` of the customers has standard error about ``σ/√s``, so it
reaches the full experiment's roll-out (or stop) decision with probability
``Φ(|τ̂ - b|·√s/σ - z)`` with ``b = cost/margin`` and ``z = Φ⁻¹((1 + level)/2)``; the smallest
share reaching probability π is ``s* = (σ (z + Φ⁻¹(π)) / |τ̂ - b|)²`` (the usual normal
sample-size formula; s* > 1 means the whole experiment is too small). The Monte-Carlo check
draws test cells of each share without replacement from the experiment and counts agreement,
with its binomial Monte-Carlo standard error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot, check_seed, require_columns
from crm_research._lazy import lazy_module
from crm_research.causal.estimators import difference_in_means, subgroup_effects
from crm_research.causal.uplift import design_matrix, fit_uplift
from crm_research.causal.uplift_eval import qini_coefficient
from crm_research.errors import DataError, EstimationError, ParameterError

stats = lazy_module("scipy.stats")

__all__ = [
    "TREATMENTS",
    "DECISIONS",
    "campaign_frame",
    "segment_response",
    "segment_uplift",
    "refusal_rates",
    "decide",
    "experiment_decision",
    "scores_against_experiment",
    "evaluate_test_cell",
    "power_of_test_cells",
    "target_from_test_cell",
]

#: Treatment choices: which e-mail arm(s) count as "mailed" against the no-e-mail arm.
TREATMENTS = {"Mens": ("Mens E-Mail",), "Womens": ("Womens E-Mail",),
              "any": ("Mens E-Mail", "Womens E-Mail")}
DECISIONS = ("roll out", "stop", "test more")
CONTROL = "No E-Mail"


def campaign_frame(data: pd.DataFrame, treatment: str = "Mens", arm: str = "segment",
                   control: str = CONTROL) -> pd.DataFrame:
    """The chosen e-mail arm(s) and the control arm of the experiment, with segment columns.

    Adds ``treatment`` (1 = e-mailed), ``recency_band`` (months since last purchase: 1-3, 4-6,
    7-9, 10-12), ``rfm_cell`` (recency: recent 1-4 / mid 5-8 / lapsed 9-12 months × past-year
    spend: low / mid / high by tertile of ``history``), ``bought`` (past purchases: mens only,
    womens only, both) and ``offer_fit`` ('match' if the e-mail's merchandise — men's or
    women's — is one the customer bought before, else 'mismatch'; 'n/a' for ``treatment='any'``,
    where the control customers had no e-mail to fit). Index reset to 0..n-1.
    """
    if treatment not in TREATMENTS:
        raise ParameterError(f"treatment must be one of {list(TREATMENTS)}, got {treatment!r}")
    require_columns(data, [arm, "recency", "history", "mens", "womens"], "campaign data")
    if "treatment" in data.columns:
        raise DataError("campaign data already has a column 'treatment'; rename it")
    arms = TREATMENTS[treatment]
    present = set(data[arm].astype(str).unique())
    missing = [a for a in (*arms, control) if a not in present]
    if missing:
        raise DataError(f"arm(s) {missing} not values of column {arm!r} (values: "
                        f"{sorted(present)})")
    keep = data[arm].astype(str).isin([*arms, control]).to_numpy()
    out = data.loc[keep].reset_index(drop=True).copy()
    out["treatment"] = (out[arm].astype(str) != control).astype(int)
    rec = out["recency"].to_numpy(dtype=float)
    out["recency_band"] = pd.Categorical(
        np.select([rec <= 3, rec <= 6, rec <= 9], ["1-3", "4-6", "7-9"], "10-12"),
        categories=["1-3", "4-6", "7-9", "10-12"])
    r_part = np.select([rec <= 4, rec <= 8], ["recent", "mid"], "lapsed")
    v_part = pd.qcut(out["history"], 3, labels=["low", "mid", "high"]).astype(str)
    cells = [f"{r}/{v}" for r in ("recent", "mid", "lapsed") for v in ("low", "mid", "high")]
    out["rfm_cell"] = pd.Categorical([f"{r}/{v}" for r, v in zip(r_part, v_part, strict=True)],
                                     categories=cells)
    mens, womens = out["mens"].to_numpy() == 1, out["womens"].to_numpy() == 1
    out["bought"] = pd.Categorical(np.select([mens & womens, mens], ["both", "mens only"],
                                             "womens only"),
                                   categories=["mens only", "womens only", "both"])
    if treatment == "any":
        out["offer_fit"] = "n/a"
    else:
        match = mens if treatment == "Mens" else womens
        out["offer_fit"] = pd.Categorical(np.where(match, "match", "mismatch"),
                                          categories=["match", "mismatch"])
    return out


def segment_response(frame: pd.DataFrame, by: Sequence[str],
                     outcomes: Sequence[str] = ("visit", "conversion", "spend")) -> pd.DataFrame:
    """Response and spend by segment and arm: one row per (by, segment, arm) with n and the
    mean of each outcome (rates for 0/1 outcomes, dollars per customer for spend)."""
    require_columns(frame, ["treatment", *by, *outcomes], "campaign frame")
    blocks = []
    for col in by:
        g = frame.groupby([col, "treatment"], observed=True, sort=True)
        tab = g[list(outcomes)].mean()
        tab.insert(0, "n", g.size())
        tab = tab.reset_index().rename(columns={col: "segment"})
        tab["segment"] = tab["segment"].astype(str)
        tab["arm"] = np.where(tab["treatment"] == 1, "mailed", "not mailed")
        tab.insert(0, "by", col)
        blocks.append(tab.drop(columns="treatment"))
    out = pd.concat(blocks, ignore_index=True)
    return out[["by", "segment", "arm", "n", *outcomes]]


def segment_uplift(frame: pd.DataFrame, outcome: str, by: Sequence[str],
                   level: float = 0.95) -> pd.DataFrame:
    """Effect of the e-mail within each segment (difference in means, Welch interval) with
    Cochran's Q per ``by`` column, and flags ``harmed`` (estimate < 0) and
    ``significantly_harmed`` (whole interval below 0): the "sleeping dogs"."""
    level = check_level(level)
    blocks = []
    for col in by:
        res = subgroup_effects(frame, outcome, "treatment", col, level=level)
        tab = res.table.assign(
            q=res.q, q_df=res.df, q_p_value=res.p_value)
        tab["subgroup"] = tab["subgroup"].astype(str)
        blocks.append(tab)
    out = pd.concat(blocks, ignore_index=True).rename(columns={"subgroup": "segment"})
    out.insert(2, "outcome", outcome)
    out["harmed"] = out["estimate"] < 0
    out["significantly_harmed"] = out["ci_high"] < 0
    return out


def refusal_rates(frame: pd.DataFrame, outcome: str, by: Sequence[str],
                  level: float = 0.95) -> pd.DataFrame:
    """Who did not respond to the e-mail: the share of mailed customers with no response
    (``outcome`` = 0, or no spend) by segment, with Wilson intervals and a chi-square test of
    equal rates per ``by`` column (the churn-rate engine applied to 'no response')."""
    from crm_research.churn import churn_rates

    require_columns(frame, ["treatment", outcome, *by], "campaign frame")
    mailed = frame.loc[frame["treatment"].to_numpy() == 1].copy()
    if mailed.empty:
        raise EstimationError("no mailed customers in the campaign frame")
    mailed["no_response"] = (mailed[outcome].to_numpy(dtype=float) <= 0).astype(int)
    rates = churn_rates(mailed, "no_response", by=list(by), level=level)
    return rates.rename(columns={"churned": "non_responders", "rate": "no_response_rate"})


def decide(ci_low: float, ci_high: float, margin: float, cost: float) -> str:
    """'roll out' / 'stop' / 'test more' from an effect interval (module docstring)."""
    if not margin > 0:
        raise ParameterError(f"margin must be positive, got {margin!r}")
    if not cost >= 0:
        raise ParameterError(f"cost must be >= 0, got {cost!r}")
    break_even = cost / margin
    if ci_low > break_even:
        return "roll out"
    if ci_high < break_even:
        return "stop"
    return "test more"


def _effect(frame: pd.DataFrame, outcome: str, level: float) -> Any:
    return difference_in_means(frame, outcome, "treatment", level=level)


def experiment_decision(frame: pd.DataFrame, outcome: str, margin: float, cost: float,
                        level: float = 0.95) -> dict[str, Any]:
    """Effect, interval, profit per contact and decision of the whole experiment."""
    est = _effect(frame, outcome, level)
    return {"n": est.n, "estimate": est.estimate, "std_error": est.std_error, "ci_low": est.ci_low,
            "ci_high": est.ci_high, "break_even_effect": cost / margin,
            "profit_per_contact": margin * est.estimate - cost,
            "decision": decide(est.ci_low, est.ci_high, margin, cost)}


def scores_against_experiment(score_table: pd.DataFrame,
                              full: dict[str, Any]) -> pd.DataFrame:
    """``UpliftResult.table`` with the experiment's effect and interval (from
    :func:`experiment_decision`) and ``within_ate_ci``: whether an uplift model's mean
    out-of-fold uplift lies inside that interval (None for the response model)."""
    require_columns(score_table, ["model", "kind", "estimate"], "score table")
    out = score_table.assign(experiment_ate=full["estimate"], ate_ci_low=full["ci_low"],
                             ate_ci_high=full["ci_high"])
    inside = (out["estimate"] >= full["ci_low"]) & (out["estimate"] <= full["ci_high"])
    out["within_ate_ci"] = [bool(v) if k == "uplift" else None
                            for k, v in zip(out["kind"], inside, strict=True)]
    return out


def _draw(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    m = int(round(share * n))
    if m < 4:
        raise ParameterError(f"test share {share} gives only {m} customers; use a larger share")
    return rng.choice(n, size=m, replace=False)


def evaluate_test_cell(frame: pd.DataFrame, outcome: str, margin: float, cost: float,
              test_share: float = 0.05, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """One test cell of ``test_share`` of the customers (random, seeded) against the full
    experiment: effect, interval, profit per contact and decision of each (two rows)."""
    _check_share(test_share, "test_share")
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    cell = frame.iloc[_draw(len(frame), test_share, rng)]
    rows = [{"sample": "full experiment", **experiment_decision(frame, outcome, margin, cost,
                                                                level)},
            {"sample": f"test cell ({test_share:.0%})",
             **experiment_decision(cell, outcome, margin, cost, level)}]
    out = pd.DataFrame(rows)
    out["same_decision"] = out["decision"] == out["decision"].iloc[0]
    return out


def _check_share(share: float, name: str) -> None:
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ParameterError(f"{name} must be a share in (0, 1], got {share!r}")


def _analytic_agreement(delta: float, sigma: float, share: float, z: float,
                        decision: str) -> float:
    sd = sigma / np.sqrt(share)
    p_roll = stats.norm.cdf(delta / sd - z)
    p_stop = stats.norm.cdf(-delta / sd - z)
    return float({"roll out": p_roll, "stop": p_stop}.get(decision, 1.0 - p_roll - p_stop))


def power_of_test_cells(frame: pd.DataFrame, outcome: str, margin: float, cost: float,
                    shares: Sequence[float] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5),
                    n_sims: int = 200, level: float = 0.95, power: float = 0.8,
                    seed: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """How often a test cell of each share reaches the full experiment's decision.

    Returns ``(table, summary)``. ``table``: per share — n_test, agreement (Monte-Carlo share of
    ``n_sims`` seeded test cells with the same decision), its Monte-Carlo standard error
    ``sqrt(a(1 - a)/n_sims)``, the share of each decision, and ``analytic_agreement`` (normal
    approximation, module docstring). ``summary``: the full decision, the analytic smallest
    share ``s*`` for probability ``power``, and the smallest share of the grid whose Monte-Carlo
    agreement reaches ``power`` (NaN if none).
    """
    level = check_level(level)
    power = check_level(power, "power")
    n_sims = check_n_boot(n_sims, "n_sims", minimum=2)
    seed = check_seed(seed, allow_none=False)
    for s in shares:
        _check_share(s, "shares")
    full = experiment_decision(frame, outcome, margin, cost, level)
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    delta = full["estimate"] - full["break_even_effect"]
    sigma = full["std_error"]
    y = frame[outcome].to_numpy(dtype=float)
    t = frame["treatment"].to_numpy(dtype=int)
    rows = []
    for j, share in enumerate(shares):
        counts = dict.fromkeys(DECISIONS, 0)
        for r in range(n_sims):
            rng = np.random.default_rng([seed, j, r])
            idx = _draw(len(frame), share, rng)
            cell = pd.DataFrame({"y": y[idx], "treatment": t[idx]})
            try:
                est = _effect(cell, "y", level)
                counts[decide(est.ci_low, est.ci_high, margin, cost)] += 1
            except EstimationError:
                counts["test more"] += 1
        agree = counts[full["decision"]] / n_sims
        rows.append({"share": float(share), "n_test": int(round(share * len(frame))),
                     "agreement": agree,
                     "agreement_mc_std_error": np.sqrt(agree * (1 - agree) / n_sims),
                     **{f"share_{d.replace(' ', '_')}": counts[d] / n_sims for d in DECISIONS},
                     "analytic_agreement": _analytic_agreement(delta, sigma, share, z,
                                                               full["decision"])})
    table = pd.DataFrame(rows)
    reach = table.loc[table["agreement"] >= power, "share"]
    if full["decision"] == "test more" or delta == 0:
        s_star = float("nan")
    else:
        s_star = float((sigma * (z + stats.norm.ppf(power)) / abs(delta)) ** 2)
    summary = {**full, "level": level, "power": power, "n_sims": n_sims,
               "analytic_min_share": s_star,
               "mc_min_share": float(reach.min()) if len(reach) else float("nan")}
    return table, summary


def target_from_test_cell(frame: pd.DataFrame, outcome: str, covariates: Sequence[str],
                        model: str = "two_model", test_share: float = 0.05,
                        learner: str = "linear", seed: int = 0) -> dict[str, Any]:
    """Fit an uplift model on a test cell only and score the other customers.

    Returns the Qini coefficient of the test-cell model on the held-out customers, with the
    sizes: how well a model fitted on ~5% targets the roll-out group.
    """
    _check_share(test_share, "test_share")
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    idx = _draw(len(frame), test_share, rng)
    test = np.zeros(len(frame), dtype=bool)
    test[idx] = True
    X = design_matrix(frame, covariates)
    y = frame[outcome].to_numpy(dtype=float)
    t = frame["treatment"].to_numpy(dtype=int)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    score = fit_uplift(model, X[test], y[test], t[test], X[~test], binary, learner, seed)
    return {"model": model, "test_share": test_share, "n_test": int(test.sum()),
            "n_rollout": int((~test).sum()),
            "qini_on_rollout": qini_coefficient(y[~test], score, t[~test])}
