"""Tests of crm_research.causal (estimators, weighting, design, experiments, sensitivity, balance,
method_check, observational, plots) and studies.channel_economics.

Three kinds: hand-checkable cases / independent implementations (scipy, statsmodels),
recovery of a known effect in simulations (bias and CI coverage), and hypothesis properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_research.causal import estimators as causal
from crm_research.causal.balance import (
    ate_weights,
    overlap_summary,
    propensity_overlap,
    standardized_differences,
)
from crm_research.causal.design import fit_logistic, propensity_scores
from crm_research.causal.estimators import (
    difference_in_means,
    regression_adjustment,
    subgroup_effects,
)
from crm_research.causal.experiments import arm_effects, arm_subgroup_effects, effects_per_contacts
from crm_research.causal.method_check import confounded_sample, method_check, selection_propensity
from crm_research.causal.observational import (
    TreatmentDefinition,
    observational_effects,
    treatment_frame,
)
from crm_research.causal.sensitivity import e_value, e_value_from_difference
from crm_research.causal.weighting import aipw, ipw
from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError
from crm_research.studies.channel_economics import channel_cost_whatif, channel_shift_curve

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _confounded(n: int, seed: int, tau: float = 2.0, hetero: float = 0.0) -> pd.DataFrame:
    """x1, x2 ~ N(0,1); e = logistic(0.7 x1 + 0.5 x2); y = 1 + x1 + x2 + T (tau + hetero x1) + ε.

    True ATE = tau (E[x1] = 0). Naive difference is biased upwards (x1, x2 raise both).
    """
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    e = 1 / (1 + np.exp(-(0.7 * x1 + 0.5 * x2)))
    t = rng.random(n) < e
    y = 1 + x1 + x2 + t * (tau + hetero * x1) + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": x2, "e": e})


def _randomised(n: int, seed: int, tau: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = rng.random(n) < 0.4
    y = x + t * tau + rng.normal(size=n) * np.where(t, 2.0, 1.0)
    return pd.DataFrame({"y": y, "t": t, "x": x})


# ---------------------------------------------------------------------------------------------
# hand-checkable cases and independent implementations
# ---------------------------------------------------------------------------------------------


def test_difference_in_means_hand_case_and_welch():
    df = pd.DataFrame({"y": [1, 2, 3, 4, 0, 1, 1, 2], "t": [1, 1, 1, 1, 0, 0, 0, 0]})
    r = difference_in_means(df, "y", "t")
    assert r.estimate == pytest.approx(1.5)
    # s1² = 5/3, s0² = 2/3 → SE = sqrt((5/3 + 2/3)/4) = sqrt(7/12)
    assert r.std_error == pytest.approx(np.sqrt(7 / 12), rel=1e-12)
    v1, v0 = 5 / 12, 2 / 12
    df_ws = (v1 + v0) ** 2 / (v1**2 / 3 + v0**2 / 3)
    assert r.details["df"] == pytest.approx(df_ws, rel=1e-12)
    # independent: scipy's Welch t test interval
    ci = stats.ttest_ind([1, 2, 3, 4], [0, 1, 1, 2], equal_var=False).confidence_interval(0.95)
    assert r.ci_low == pytest.approx(ci.low, rel=1e-10)
    assert r.ci_high == pytest.approx(ci.high, rel=1e-10)
    assert (r.mu1, r.mu0, r.n_treated, r.n_control) == (2.5, 1.0, 4, 4)


def test_ipw_known_propensities_hand_case():
    # weights treated 2, 4; control 2, 4 → mu1 = 20/6, mu0 = 14/6, ATE = 1
    df = pd.DataFrame({"y": [2.0, 4.0, 1.0, 3.0], "t": [1, 1, 0, 0]})
    e = np.array([0.5, 0.25, 0.5, 0.75])
    r = ipw(df, "y", "t", propensity=e, eps=0.0, max_extreme_share=1.0)
    assert r.mu1 == pytest.approx(20 / 6)
    assert r.mu0 == pytest.approx(14 / 6)
    assert r.estimate == pytest.approx(1.0)
    # sandwich: A = diag(1.5, 1.5); B = diag(32/9, 32/9) → var(ATE) = 2·32/81/... = 64/81
    assert r.std_error == pytest.approx(8 / 9, rel=1e-12)
    assert r.details["n_trimmed"] == 0


def test_ipw_trimming_counts_clipped_units():
    df = pd.DataFrame({"y": [2.0, 4.0, 1.0, 3.0, 5.0], "t": [1, 1, 0, 0, 1]})
    e = np.array([0.5, 0.005, 0.5, 0.995, 0.6])
    r = ipw(df, "y", "t", propensity=e, eps=0.01, max_extreme_share=1.0)
    assert r.details["n_trimmed"] == 2
    assert r.propensity.min() == pytest.approx(0.01)
    assert r.propensity.max() == pytest.approx(0.99)


def test_logistic_fit_matches_statsmodels():
    d = _confounded(500, 3)
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    ours = fit_logistic(X, d["t"].to_numpy(float))
    ref = sm.Logit(d["t"].to_numpy(float), X).fit(disp=0, tol=1e-12).params
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-9)
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_logistic(X, d["t"].to_numpy(float), max_iter=1)


def test_ipw_point_estimate_equals_weighted_regression():
    d = _confounded(400, 5)
    r = ipw(d, "y", "t", ["x1", "x2"], eps=0.0)
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    e = sm.Logit(d["t"].to_numpy(float), X).fit(disp=0, tol=1e-12).predict(X)
    t = d["t"].to_numpy(float)
    w = t / e + (1 - t) / (1 - e)
    wls = sm.WLS(d["y"].to_numpy(), sm.add_constant(t), weights=w).fit()
    assert r.estimate == pytest.approx(wls.params[1], abs=1e-8)


def test_ipw_sandwich_matches_numerical_m_estimation():
    """Analytic sandwich vs a generic M-estimation sandwich with a finite-difference Jacobian."""
    d = _confounded(300, 11)
    r = ipw(d, "y", "t", ["x1", "x2"], eps=0.0)
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    t, y, n = d["t"].to_numpy(float), d["y"].to_numpy(), len(d)

    def psi(theta):
        b, m1, m0 = theta[:3], theta[3], theta[4]
        e = 1 / (1 + np.exp(-(X @ b)))
        return np.column_stack([X * (t - e)[:, None], t * (y - m1) / e,
                                (1 - t) * (y - m0) / (1 - e)])

    b = sm.Logit(t, X).fit(disp=0, tol=1e-12).params
    theta = np.concatenate([b, [r.mu1, r.mu0]])
    assert np.abs(psi(theta).mean(axis=0)).max() < 1e-8
    h = 1e-6
    jac = np.empty((5, 5))
    for j in range(5):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        jac[:, j] = (psi(tp).mean(axis=0) - psi(tm).mean(axis=0)) / (2 * h)
    P = psi(theta)
    A_inv = np.linalg.inv(-jac)
    V = A_inv @ (P.T @ P / n) @ A_inv.T / n
    c = np.array([0, 0, 0, 1, -1])
    assert r.std_error == pytest.approx(np.sqrt(c @ V @ c), rel=1e-5)


def test_against_statsmodels_treatment_effect():
    """statsmodels' TreatmentEffect (a port of Stata's teffects; GMM standard errors)."""
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    d = _confounded(500, 3, hetero=0.5)
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    t = d["t"].to_numpy(int)
    te = TreatmentEffect(sm.OLS(d["y"].to_numpy(), X), t,
                         results_select=sm.Logit(t, X).fit(disp=0, tol=1e-12))
    ref_ipw = te.ipw(return_results=True)
    ours = ipw(d, "y", "t", ["x1", "x2"], eps=0.0)
    assert ours.estimate == pytest.approx(ref_ipw.effect[0], abs=1e-9)
    assert ours.std_error == pytest.approx(ref_ipw.sd[0], rel=1e-7)  # same M-estimation sandwich
    assert (ours.mu0, ours.mu1) == pytest.approx(tuple(ref_ipw.effect[1:3]), abs=1e-9)
    ref_ra = te.ra(return_results=True)
    ra = regression_adjustment(d, "y", "t", ["x1", "x2"], superpopulation=True)
    assert ra.estimate == pytest.approx(ref_ra.effect[0], abs=1e-9)
    assert ra.std_error == pytest.approx(ref_ra.sd[0], rel=0.02)  # HC2 here vs HC0-type GMM there
    ref_aipw = te.aipw(return_results=True)
    dr = aipw(d, "y", "t", ["x1", "x2"], n_folds=1, eps=0.0)
    assert dr.estimate == pytest.approx(ref_aipw.effect[0], abs=1e-9)
    assert dr.std_error == pytest.approx(ref_aipw.sd[0], rel=0.01)


def test_regression_adjustment_matches_statsmodels_hc2_and_gcomputation():
    d = _confounded(300, 7, hetero=0.5)
    r = regression_adjustment(d, "y", "t", ["x1", "x2"])
    Z = d[["x1", "x2"]].to_numpy()
    Zc = Z - Z.mean(axis=0)
    t = d["t"].to_numpy(float)
    X = np.column_stack([np.ones(len(d)), t, Zc, t[:, None] * Zc])
    fit = sm.OLS(d["y"].to_numpy(), X).fit(cov_type="HC2")
    assert r.estimate == pytest.approx(fit.params[1], abs=1e-10)
    assert r.std_error == pytest.approx(fit.bse[1], rel=1e-8)
    tcrit = stats.t.ppf(0.975, len(d) - 6)
    assert r.ci_low == pytest.approx(fit.params[1] - tcrit * fit.bse[1], rel=1e-8)
    # g-computation with separate OLS per arm: mean(m1(X) - m0(X))
    Xa = sm.add_constant(Z)
    m1 = sm.OLS(d["y"][t == 1].to_numpy(), Xa[t == 1]).fit().predict(Xa)
    m0 = sm.OLS(d["y"][t == 0].to_numpy(), Xa[t == 0]).fit().predict(Xa)
    assert r.estimate == pytest.approx(np.mean(m1 - m0), abs=1e-10)
    assert r.mu1 == pytest.approx(m1.mean(), abs=1e-10)
    assert r.mu0 == pytest.approx(m0.mean(), abs=1e-10)


def test_regression_adjustment_bootstrap_is_seeded_and_close_to_hc2():
    d = _confounded(200, 8)
    a = regression_adjustment(d, "y", "t", ["x1", "x2"], se="bootstrap", n_boot=200, seed=1)
    b = regression_adjustment(d, "y", "t", ["x1", "x2"], se="bootstrap", n_boot=200, seed=1)
    h = regression_adjustment(d, "y", "t", ["x1", "x2"], superpopulation=True)
    assert a.std_error == b.std_error and a.estimate == h.estimate
    assert a.std_error == pytest.approx(h.std_error, rel=0.25)


def test_aipw_without_crossfitting_matches_manual_formula():
    d = _confounded(300, 9)
    r = aipw(d, "y", "t", ["x1", "x2"], n_folds=1, eps=0.0)
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    t, y = d["t"].to_numpy(float), d["y"].to_numpy()
    e = sm.Logit(t, X).fit(disp=0, tol=1e-12).predict(X)
    m1 = sm.OLS(y[t == 1], X[t == 1]).fit().predict(X)
    m0 = sm.OLS(y[t == 0], X[t == 0]).fit().predict(X)
    phi = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
    assert r.estimate == pytest.approx(phi.mean(), abs=1e-8)
    assert r.std_error == pytest.approx(phi.std(ddof=1) / np.sqrt(len(phi)), rel=1e-6)


def test_aipw_binary_outcome_uses_logistic_and_is_seeded():
    rng = np.random.default_rng(2)
    n = 600
    x = rng.normal(size=n)
    t = rng.random(n) < 1 / (1 + np.exp(-x))
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + x + 0.8 * t)))
    d = pd.DataFrame({"y": y, "t": t, "x": x})
    a = aipw(d, "y", "t", ["x"], seed=4)
    b = aipw(d, "y", "t", ["x"], seed=4)
    c = aipw(d, "y", "t", ["x"], seed=5)
    assert a.details["outcome_model"] == "logistic"
    assert a.estimate == b.estimate and a.std_error == b.std_error
    assert a.estimate != c.estimate
    assert 0 < a.mu0 < 1 and 0 < a.mu1 < 1 and a.ratio > 1


def test_e_value_formula_and_published_example():
    assert e_value(2.0)["e_value"] == pytest.approx(2 + np.sqrt(2), rel=1e-12)  # 3.41421...
    assert e_value(0.5)["e_value"] == pytest.approx(2 + np.sqrt(2), rel=1e-12)
    # VanderWeele & Ding (2017): RR 3.9 (95% CI 1.8-8.7) → E-values 7.26 and 3.0
    ev = e_value(3.9, 1.8, 8.7)
    assert ev["e_value"] == pytest.approx(7.26, abs=0.005)
    assert ev["e_value_ci"] == pytest.approx(3.0, abs=1e-12)
    assert e_value(1.5, 0.9, 2.5)["e_value_ci"] == 1.0
    assert e_value(0.8, 0.7, 0.9)["e_value_ci"] == pytest.approx(_e(1 / 0.9))
    assert e_value(0.8, 0.7, 1.1)["e_value_ci"] == 1.0
    assert e_value(1.0)["e_value"] == 1.0
    assert e_value(0.5, 0.3, np.inf)["e_value_ci"] == 1.0
    with pytest.raises(ParameterError):
        e_value(-1.0)
    with pytest.raises(ParameterError):
        e_value(2.0, 2.5, 3.0)


def _e(rr: float) -> float:
    return rr + np.sqrt(rr * (rr - 1))


def test_e_value_from_difference_conversion():
    out = e_value_from_difference(0.5, 0.1, 1.0)
    assert out["rr"] == pytest.approx(np.exp(0.455))
    assert out["rr_ci_low"] == pytest.approx(np.exp(0.455 - 0.178))
    assert out["e_value"] == pytest.approx(_e(np.exp(0.455)))
    assert out["e_value_ci"] == pytest.approx(_e(np.exp(0.455 - 0.178)))


def test_balance_hand_case():
    df = pd.DataFrame({"t": [1, 1, 1, 1, 0, 0, 0, 0], "x": [1, 2, 3, 2, 2, 3, 4, 3],
                       "b": [1, 0, 1, 0, 1, 0, 0, 0]})
    tab = standardized_differences(df, "t", ["x", "b"]).set_index("covariate")
    # x: means 2, 3; s1² = s0² = 2/3 → d = -1 / sqrt(2/3)
    assert tab.loc["x", "smd_before"] == pytest.approx(-1 / np.sqrt(2 / 3))
    # b: p1 = 0.5, p0 = 0.25 → d = 0.25 / sqrt((0.25 + 0.1875)/2)
    assert tab.loc["b", "smd_before"] == pytest.approx(0.25 / np.sqrt(0.4375 / 2))
    assert tab.loc["b", "kind"] == "binary" and tab.loc["x", "kind"] == "continuous"
    # weighting: numerator uses weighted means, denominator stays the unweighted pooled SD
    w = np.array([1, 1, 1, 1, 3, 1, 1, 1], dtype=float)
    tw = standardized_differences(df, "t", ["x"], weights=w).set_index("covariate")
    m0w = (3 * 2 + 3 + 4 + 3) / 6
    assert tw.loc["x", "smd_after"] == pytest.approx((2 - m0w) / np.sqrt(2 / 3))


def test_balance_categorical_levels_and_weights():
    df = pd.DataFrame({"t": [1, 0, 1, 0], "c": pd.Categorical(["a", "b", "b", "a"],
                                                              categories=["a", "b", "z"])})
    tab = standardized_differences(df, "t", ["c"])
    assert list(tab["covariate"]) == ["c[a]", "c[b]"]  # absent level z dropped
    np.testing.assert_allclose(ate_weights(np.array([0.5, 0.25]), np.array([1, 0])),
                               [2.0, 1 / 0.75])


def test_overlap_tables():
    e = np.array([0.1, 0.2, 0.55, 0.9, 0.3, 0.6])
    t = np.array([1, 1, 1, 1, 0, 0])
    ov = propensity_overlap(e, t, bins=2)
    assert list(ov["n_treated"]) == [2, 2] and list(ov["n_control"]) == [1, 1]
    s = overlap_summary(e, t, bounds=(0.15, 0.85)).set_index("group")
    assert s.loc["treated", "share_outside"] == 0.5 and s.loc["control", "share_outside"] == 0


def test_subgroup_effects_match_per_level_and_cochran_q():
    d = _randomised(400, 1)
    d["g"] = np.where(d["x"] > 0, "hi", "lo")
    res = subgroup_effects(d, "y", "t", "g")
    tab = res.table.set_index("subgroup")
    for lv in ("hi", "lo"):
        direct = difference_in_means(d[d["g"] == lv], "y", "t")
        assert tab.loc[lv, "estimate"] == pytest.approx(direct.estimate)
    est, se = tab["estimate"].to_numpy(), tab["std_error"].to_numpy()
    w = 1 / se**2
    q = np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2)
    assert res.q == pytest.approx(q) and res.df == 1
    assert res.p_value == pytest.approx(stats.chi2.sf(q, 1))


def test_subgroup_without_both_groups_gets_note():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "t": [1, 0, 1, 0, 1, 1],
                       "g": ["a", "a", "a", "a", "b", "b"]})
    tab = subgroup_effects(df, "y", "t", "g").table.set_index("subgroup")
    assert np.isnan(tab.loc["b", "estimate"]) and "control" in tab.loc["b", "note"]


def test_arm_effects_and_per_contacts():
    df = pd.DataFrame({"arm": ["A", "A", "B", "B", "C", "C"] * 2,
                       "y": [1.0, 2, 0, 1, 3, 5, 2, 1, 1, 0, 4, 4]})
    eff = arm_effects(df, "arm", "B", ["y"])
    assert list(eff["treatment"]) == ["A", "C"]
    assert eff.loc[0, "estimate"] == pytest.approx(1.5 - 0.5)
    assert eff.loc[1, "estimate"] == pytest.approx(4.0 - 0.5)
    per = effects_per_contacts(eff, 1000)
    assert per.loc[0, "estimate"] == pytest.approx(1000.0)
    sub = arm_subgroup_effects(df.assign(g=["u", "v"] * 6), "arm", "B", ["y"], ["g"])
    assert set(sub["treatment"]) == {"A", "C"} and len(sub) == 4
    with pytest.raises(DataError, match="control arm"):
        arm_effects(df, "arm", "Z", ["y"])


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


def test_errors_are_clear():
    d = _confounded(100, 1)
    with pytest.raises(EstimationError, match="both groups"):
        difference_in_means(d.assign(t=True), "y", "t")
    with pytest.raises(EstimationError, match="constant"):
        aipw(d.assign(y=3.0), "y", "t", ["x1"])
    with pytest.raises(DataError, match="'nope'"):
        ipw(d, "y", "t", ["nope"])
    with pytest.raises(DataError, match="missing"):
        difference_in_means(d.assign(y=d["y"].where(d.index != 5)), "y", "t")
    with pytest.raises(DataError, match="0/1"):
        difference_in_means(d.assign(t=d["t"] * 2), "y", "t")
    with pytest.raises(ParameterError, match="eps"):
        ipw(d, "y", "t", ["x1"], eps=0.7)
    with pytest.raises(ParameterError):
        causal.estimate_effect(d, "y", "t", "magic")


def test_no_overlap_raises():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    d = pd.DataFrame({"x": x, "t": x > 0, "y": x + rng.normal(size=200)})
    for fn in (ipw, aipw):
        with pytest.raises(EstimationError, match="no overlap"):
            fn(d, "y", "t", ["x"])
    with pytest.raises(EstimationError, match="no overlap"):
        propensity_scores(d, "t", ["x"])


# ---------------------------------------------------------------------------------------------
# simulation: known effect, bias within Monte-Carlo error, coverage near nominal
# ---------------------------------------------------------------------------------------------

REPS = 200


def _mc(estimates: list, truth: float) -> tuple[float, float, float]:
    est = np.array([r.estimate for r in estimates])
    cover = np.mean([r.ci_low <= truth <= r.ci_high for r in estimates])
    return est.mean() - truth, est.std(ddof=1) / np.sqrt(len(est)), cover


@pytest.mark.parametrize("method", ["difference_in_means", "regression_adjustment"])
def test_simulation_randomised(method):
    res = [causal.estimate_effect(_randomised(200, s), "y", "t", method, ["x"])
           for s in range(REPS)]
    bias, mcse, cover = _mc(res, 1.0)
    assert abs(bias) < 3.5 * mcse
    assert 0.91 <= cover <= 0.985


@pytest.mark.parametrize("method,kwargs", [
    ("regression_adjustment", {"superpopulation": True}),
    ("ipw", {"eps": 0.0}),
    ("aipw", {"n_folds": 2, "eps": 0.0}),
])
def test_simulation_confounded(method, kwargs):
    res = [causal.estimate_effect(_confounded(300, s, hetero=0.5), "y", "t", method,
                                  ["x1", "x2"], **kwargs) for s in range(REPS)]
    bias, mcse, cover = _mc(res, 2.0)
    assert abs(bias) < 3.5 * mcse
    assert 0.91 <= cover <= 0.985
    naive = [difference_in_means(_confounded(300, s), "y", "t") for s in range(20)]
    assert np.mean([r.estimate for r in naive]) - 2.0 > 0.5  # the design is confounded


def test_aipw_is_doubly_robust_when_outcome_model_is_wrong():
    """y = exp(x) + T + ε is not linear in x (outcome models misspecified) but the logistic
    propensity is correct: regression adjustment is biased, AIPW is not."""

    def sim(s: int, n: int = 2000) -> pd.DataFrame:
        rng = np.random.default_rng(s)
        x = rng.normal(size=n)
        t = rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.8 * x)))
        return pd.DataFrame({"x": x, "t": t, "y": np.exp(x) + t + rng.normal(size=n)})

    ra = [regression_adjustment(sim(s), "y", "t", ["x"]) for s in range(100)]
    dr = [aipw(sim(s), "y", "t", ["x"], n_folds=2, eps=0.0) for s in range(100)]
    bias_ra, mcse_ra, _ = _mc(ra, 1.0)
    bias_dr, mcse_dr, _ = _mc(dr, 1.0)
    assert abs(bias_ra) > 8 * mcse_ra
    assert abs(bias_dr) < 3.5 * mcse_dr


def test_method_check_recovers_experimental_effect():
    rng = np.random.default_rng(0)
    n = 4000
    x = rng.normal(size=n)
    t = rng.random(n) < 0.5
    exp = pd.DataFrame({"x": x, "t": t, "y": 1 + 2 * x + 0.5 * t + rng.normal(size=n)})
    res = method_check(exp, ["y"], "t", ["x"], {"x": 1.0}, strength=1.5, keep_fraction=0.3,
                       n_draws=30, seed=3)
    s = res.table.set_index("method")
    assert s.loc["naive", "bias"] > 10 * s.loc["naive", "bias_mc_std_error"]
    for m in ("ipw", "aipw"):
        assert abs(s.loc[m, "bias"]) < 4 * s.loc[m, "bias_mc_std_error"]
        assert s.loc[m, "coverage"] >= 0.8
    assert s.loc["naive", "coverage"] < 0.2
    again = method_check(exp, ["y"], "t", ["x"], {"x": 1.0}, strength=1.5, keep_fraction=0.3,
                         n_draws=3, seed=3)
    pd.testing.assert_frame_equal(again.draws, res.draws[res.draws["draw"] < 3]
                                  .reset_index(drop=True))


def test_confounded_sample_has_target_propensity():
    rng = np.random.default_rng(1)
    n = 20000
    exp = pd.DataFrame({"x": rng.normal(size=n), "t": rng.random(n) < 0.5})
    smp = confounded_sample(exp, "t", {"x": 1.0}, strength=1.0, keep_fraction=0.3, seed=2)
    assert len(smp) / n == pytest.approx(0.3, abs=0.02)
    # P(T | x) in the sample is s(x): mean of T within bins of s ≈ bin mean of s
    bins = pd.cut(smp["selection_propensity"], [0, 0.3, 0.5, 0.7, 1.0])
    g = smp.groupby(bins, observed=True).agg(t=("t", "mean"), s=("selection_propensity", "mean"))
    np.testing.assert_allclose(g["t"], g["s"], atol=0.03)
    assert smp["x"].mean() == pytest.approx(0.0, abs=0.04)  # covariate distribution kept
    with pytest.raises(ParameterError, match="keep_fraction"):
        confounded_sample(exp, "t", {"x": 1.0}, keep_fraction=0.9)
    np.testing.assert_allclose(selection_propensity(exp, {"x": 0.0}), 0.5)


# ---------------------------------------------------------------------------------------------
# properties (hypothesis)
# ---------------------------------------------------------------------------------------------


@st.composite
def _frames(draw):
    n = draw(st.integers(12, 40))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.zeros(n, dtype=bool)
    t[: n // 2] = True
    rng.shuffle(t)
    y = x + t + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x": x})


_PROP = settings(max_examples=25, deadline=None, derandomize=True)


@_PROP
@given(_frames(), st.floats(-50, 50, allow_nan=False))
def test_shift_treated_outcomes_shifts_estimate(df, c):
    shifted = df.assign(y=df["y"] + c * df["t"])
    for fn, kw in ((difference_in_means, {}), (regression_adjustment, {"covariates": ["x"]}),
                   (ipw, {"covariates": ["x"], "max_extreme_share": 1.0}),
                   (aipw, {"covariates": ["x"], "n_folds": 2, "outcome_model": "linear",
                           "max_extreme_share": 1.0})):
        a, b = fn(df, "y", "t", **kw), fn(shifted, "y", "t", **kw)
        assert b.estimate - a.estimate == pytest.approx(c, abs=1e-7 * (1 + abs(c)))


@_PROP
@given(_frames(), st.randoms(use_true_random=False))
def test_row_order_invariance(df, rnd):
    perm = list(range(len(df)))
    rnd.shuffle(perm)
    other = df.iloc[perm]
    for fn, kw in ((difference_in_means, {}), (regression_adjustment, {"covariates": ["x"]}),
                   (ipw, {"covariates": ["x"], "max_extreme_share": 1.0}),
                   (aipw, {"covariates": ["x"], "n_folds": 1, "max_extreme_share": 1.0})):
        a, b = fn(df, "y", "t", **kw), fn(other, "y", "t", **kw)
        assert a.estimate == pytest.approx(b.estimate, abs=1e-9)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-7)


@_PROP
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=20),
       st.lists(st.booleans(), min_size=2, max_size=20))
def test_smd_of_identical_groups_is_zero(xs, bs):
    m = min(len(xs), len(bs))
    half = pd.DataFrame({"x": xs[:m], "b": bs[:m]})
    df = pd.concat([half.assign(t=1), half.assign(t=0)], ignore_index=True)
    tab = standardized_differences(df, "t", ["x", "b"], weights=np.ones(len(df)))
    assert np.all(tab["smd_before"] == 0) and np.all(tab["smd_after"] == 0)


@_PROP
@given(st.floats(1.0, 50.0))
def test_e_value_symmetric_and_monotone(rr):
    assert e_value(rr)["e_value"] == pytest.approx(e_value(1 / rr)["e_value"], rel=1e-9)
    assert e_value(rr * 1.1)["e_value"] > e_value(rr)["e_value"] >= rr


@_PROP
@given(_frames(), st.floats(0.05, 0.95))
def test_ipw_with_constant_propensity_is_difference_in_means(df, p):
    a = ipw(df, "y", "t", propensity=np.full(len(df), p), eps=0.0)
    assert a.estimate == pytest.approx(difference_in_means(df, "y", "t").estimate, abs=1e-10)


# ---------------------------------------------------------------------------------------------
# observational wrapper, channel economics, plots
# ---------------------------------------------------------------------------------------------


def test_observational_effects_restricts_and_reports():
    rng = np.random.default_rng(4)
    n = 1500
    x = rng.normal(size=n)
    svc = np.where(rng.random(n) < 0.2, "none", np.where(rng.random(n) < 1 / (1 + np.exp(-x)),
                                                         "Yes", "No"))
    y = rng.random(n) < 1 / (1 + np.exp(-(x - 0.5 * (svc == "Yes"))))
    df = pd.DataFrame({"svc": svc, "x": x, "churn": y})
    d = TreatmentDefinition("svc", ("Yes",), ("No",), "service")
    frame, excl = treatment_frame(df, d)
    assert excl == int((svc == "none").sum()) and len(frame) == n - excl
    res = observational_effects(df, "churn", {"svc": d}, ["x", "svc"], n_folds=2)
    row = res.table.iloc[0]
    assert row["n_excluded"] == excl and row["ratio"] < 1
    assert row["e_value"] == pytest.approx(e_value(row["ratio"])["e_value"])
    assert set(res.balance["covariate"]) == {"x"}  # own column removed
    assert abs(res.balance["smd_after"]).max() < abs(res.balance["smd_before"]).max()
    assert res.overlap["n_treated"].sum() == row["n_treated"]


def test_channel_economics_hand_case():
    tab = channel_cost_whatif(1000, [0.2, 0.5, 0.3], [0.1, 0.4, 0.5], [10.0, 5.0, 1.0])
    tot = tab.set_index("channel").loc["total"]
    assert tot["cost_baseline"] == pytest.approx(1000 * (2 + 2.5 + 0.3))
    assert tot["cost_scenario"] == pytest.approx(1000 * (1 + 2 + 0.5))
    assert tot["saving"] == pytest.approx(1300)
    curve = channel_shift_curve(1000, [0.2, 0.5, 0.3], "contact_centre", "self_service",
                                steps=3, cost_per_contact=[10.0, 5.0, 1.0])
    np.testing.assert_allclose(curve["saving"], [0, 1000, 2000])
    with pytest.raises(ParameterError, match="sum to 1"):
        channel_cost_whatif(10, [0.5, 0.5, 0.5], [1, 0, 0])


def test_plots_return_figures():
    from matplotlib.figure import Figure

    from crm_research.causal import plots as pc

    d = _confounded(200, 2)
    r = ipw(d, "y", "t", ["x1", "x2"])
    t = d["t"].to_numpy(float)
    bal = standardized_differences(d, "t", ["x1", "x2"], weights=ate_weights(r.propensity, t))
    eff = r.table.assign(treatment="t")
    figs = [pc.plot_propensity_overlap(r.propensity, t), pc.plot_balance(bal),
            pc.plot_effects(eff)]
    assert all(isinstance(f, Figure) for f in figs)


def test_study_helpers():
    from crm_research.causal.experiments import heterogeneity_tests, two_arm_frame
    from crm_research.causal.method_check import selection_from_lists
    from crm_research.causal.observational import TELCO_TREATMENTS, select_treatments

    df = pd.DataFrame({"arm": ["A", "B", "C", "A", "B", "C"] * 2, "y": np.arange(12.0),
                       "g": ["u"] * 6 + ["v"] * 6})
    two = two_arm_frame(df, "arm", "B", "A")
    assert set(two["arm"]) == {"A", "B"} and two["treated"].sum() == 4
    with pytest.raises(ParameterError, match="already exists"):
        two_arm_frame(df, "arm", "B", "A", name="y")
    sub = arm_subgroup_effects(df, "arm", "B", ["y"], ["g"])
    het = heterogeneity_tests(sub)
    assert len(het) == 2 and list(het["n_subgroups"]) == [2, 2]
    assert selection_from_lists(["a", "b"], [1, -2]) == {"a": 1.0, "b": -2.0}
    with pytest.raises(ParameterError, match="same length"):
        selection_from_lists(["a"], [1.0, 2.0])
    assert list(select_treatments(["tech_support"])) == ["tech_support"]
    assert select_treatments("tech_support")["tech_support"] is TELCO_TREATMENTS["tech_support"]
    with pytest.raises(ParameterError, match="unknown treatment"):
        select_treatments(["teleportation"])


def test_method_check_parallel_equals_serial():
    rng = np.random.default_rng(5)
    n = 600
    exp = pd.DataFrame({"x": rng.normal(size=n), "t": rng.random(n) < 0.5})
    exp["y"] = exp["x"] + 0.3 * exp["t"] + rng.normal(size=n)
    kw = dict(strength=1.0, keep_fraction=0.3, n_draws=2, seed=9, n_folds=2)
    a = method_check(exp, ["y"], "t", ["x"], {"x": 1.0}, **kw)
    b = method_check(exp, ["y"], "t", ["x"], {"x": 1.0}, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.draws, b.draws)


def test_grid_plots_return_figures():
    from matplotlib.figure import Figure

    from crm_research.causal import plots as pc

    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame({"svc": rng.choice(["Yes", "No"], n), "x": rng.normal(size=n),
                       "churn": rng.random(n) < 0.3})
    res = observational_effects(df, "churn", {"svc": TreatmentDefinition("svc", ("Yes",),
                                                                         ("No",))}, ["x"])
    curve = channel_shift_curve(100, [0.2, 0.5, 0.3], "contact_centre", "self_service")
    draws = pd.DataFrame({"outcome": ["y"] * 4, "method": ["naive", "naive", "ipw", "ipw"],
                          "estimate": [1.0, 1.2, 0.5, 0.6], "truth": 0.5})
    figs = [pc.plot_overlap_grid(res.propensity), pc.plot_balance_grid(res.balance),
            pc.plot_shift_curve(curve), pc.plot_method_check(draws)]
    assert all(isinstance(f, Figure) for f in figs)


def test_hillstrom_group_means_match_published_figures():
    """Hillstrom (2008) MineThatData challenge: visit / conversion / spend by segment
    (men's 18.28% / 1.25% / $1.42, women's 15.14% / 0.88% / $1.08, none 10.62% / 0.57% / $0.65)."""
    from crm_research.data.datasets import load

    eff = arm_effects(load("hillstrom_email"), "segment", "No E-Mail",
                      ["visit", "conversion", "spend"]).set_index(["treatment", "outcome"])
    pub = {("Mens E-Mail", "visit"): 0.1828, ("Mens E-Mail", "conversion"): 0.0125,
           ("Mens E-Mail", "spend"): 1.42, ("Womens E-Mail", "visit"): 0.1514,
           ("Womens E-Mail", "conversion"): 0.0088, ("Womens E-Mail", "spend"): 1.08}
    for key, val in pub.items():
        digits = 0.00005 if key[1] != "spend" else 0.005
        assert eff.loc[key, "treated_mean"] == pytest.approx(val, abs=digits)
    ctrl = eff.loc[("Mens E-Mail", "visit"), "control_mean"]
    assert ctrl == pytest.approx(0.1062, abs=0.00005)
    assert eff.loc[("Mens E-Mail", "spend"), "control_mean"] == pytest.approx(0.65, abs=0.005)


def test_seed_and_resample_minimums_are_parameter_errors():
    d = _randomised(200, 1)
    with pytest.raises(ParameterError, match="seed"):
        aipw(d, "y", "t", ["x"], seed=2**32)
    with pytest.raises(ParameterError, match="n_boot must be an integer of at least 50"):
        regression_adjustment(d, "y", "t", ["x"], se="bootstrap", n_boot=0)
    with pytest.raises(ParameterError, match="n_draws"):
        method_check(d, ["y"], "t", ["x"], {"x": 1.0}, n_draws=0)


def test_effect_estimate_result_protocol():
    r = difference_in_means(_randomised(200, 2), "y", "t")
    row = r.table.iloc[0]
    assert row["estimate"] == r.estimate and row["std_error"] == r.std_error
    assert {"ci_low", "ci_high", "level"} <= set(r.table.columns)
    fit = r.fit_table().set_index("statistic")["value"]
    assert fit["n"] == r.n and fit["df"] == r.details["df"]


def test_plot_effects_groups_rows_into_sections_labelled_once():
    """Issue 12: the subgroup plot repeated "Mens E-Mail · history_segment ·" on every row."""
    from crm_research.causal import plots as pc

    eff = pd.DataFrame({
        "treatment": ["Mens E-Mail"] * 3 + ["Womens E-Mail"] * 3 + ["Mens E-Mail"],
        "by": ["channel", "channel", "history_segment"] * 2 + ["newbie"],
        "subgroup": ["Web", "Phone", "1) $0 - $100", "Web", "Phone", "1) $0 - $100", "0"],
        "estimate": [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.4], "ci_low": [0.0] * 7, "ci_high": [0.5] * 7,
    })
    fig = pc.plot_effects(eff, label=["treatment", "by", "subgroup"])
    ax = fig.axes[0]
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])  # top to bottom
    assert [t.get_text() for t in ticks] == [
        "Mens E-Mail · channel", "Web", "Phone", "Mens E-Mail · history segment", r"1) \$0 - \$100",
        "Womens E-Mail · channel", "Web", "Phone", "Womens E-Mail · history segment",
        r"1) \$0 - \$100", "Mens E-Mail · newbie", "0"]  # sections in order of first appearance
    assert [t.get_fontweight() == "bold" for t in ticks] == [
        True, False, False, True, False, True, False, False, True, False, True, False]
    # each estimate sits on its level's row: Mens/newbie (0.4) is the last tick
    line = ax.lines[0]
    ys = dict(zip(line.get_xdata(), line.get_ydata(), strict=True))
    assert ys[0.4] == ticks[-1].get_position()[1]
