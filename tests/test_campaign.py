"""Campaign cycle (crm_research.causal.campaign, rollout) and retention/prospecting economics
(crm_research.churn.economics): hand-checked profit curves, recovery of known effects and of
the test-cell power formula on simulated experiments, properties, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.causal.campaign import (
    campaign_frame,
    decide,
    evaluate_test_cell,
    experiment_decision,
    power_of_test_cells,
    refusal_rates,
    scores_against_experiment,
    segment_response,
    segment_uplift,
    target_from_test_cell,
)
from crm_research.causal.rollout import _boot_profits, optimal_rollout, profit_curve, rollout_table
from crm_research.causal.uplift_sim import simulate_uplift
from crm_research.churn.economics import (
    acquisition_profit_curve,
    confidence_claims,
    curve_summary,
    model_confidence_claims,
    remaining_tenure,
    retention_break_even_precision,
    retention_profit_curve,
)
from crm_research.data.datasets import load
from crm_research.errors import DataError, ParameterError

Y4, T4, S4 = np.array([1, 0, 1, 0]), np.array([1, 1, 0, 0]), np.array([4.0, 3.0, 2.0, 1.0])


@pytest.fixture(scope="module")
def hill_frame():
    return campaign_frame(load("hillstrom_email"), "Mens")


# --- roll-out economics --------------------------------------------------------------------

def test_profit_curve_by_hand():
    # uplift curve U(k) = 0, 1, 1, -1.5, 0 (see test_uplift); profit = 10·U(k) - 1·k
    cur = profit_curve(Y4, T4, S4, margin=10.0, cost=1.0, n_points=5)
    np.testing.assert_allclose(cur["share"], [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(cur["profit"], [0, 9, 8, -18, -4])
    # scaled to a population of 400 (×100) with a budget paying for 150 contacts
    big = profit_curve(Y4, T4, S4, 10.0, 1.0, population=400, budget=150, n_points=5)
    np.testing.assert_allclose(big["profit"], [0, 900, 800, -1800, -400])
    assert big["within_budget"].tolist() == [True, True, False, False, False]


def test_bootstrap_with_unit_weights_reproduces_curve():
    class Ones:
        def poisson(self, lam, size):  # noqa: ANN001, ANN201 - test double
            return np.ones(size)

    rng = np.random.default_rng(0)
    y, t, s = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.normal(size=300)
    cur = profit_curve(y, t, s, 7.0, 0.3, population=900, n_points=21)
    boot = _boot_profits(y.astype(float), t.astype(float), s, 7.0, 0.3, 3.0,
                         cur["share"].to_numpy(), 2, Ones())
    np.testing.assert_allclose(boot[0], cur["profit"], atol=1e-9)


def test_rollout_table_nobody_everybody_and_budget():
    sim = simulate_uplift(4000, effect=0.5, slope=1.0, seed=1)
    scores = pd.DataFrame({"model": "truth", "kind": "uplift", "treatment": sim["treatment"],
                           "outcome": sim["y"], "uplift": sim["tau"]})
    tab = rollout_table(scores, margin=10.0, cost=0.5, population=8000, budget=2000.0,
                        n_boot=30, seed=2).set_index("strategy")
    ate = sim.loc[sim.treatment == 1, "y"].mean() - sim.loc[sim.treatment == 0, "y"].mean()
    assert tab.loc["nobody", "profit"] == 0.0
    assert tab.loc["everybody", "profit"] == pytest.approx(8000 * (10 * ate - 0.5))
    assert not tab.loc["everybody", "within_budget"]      # 8000 × 0.5 > 2000
    top = tab.loc["top by uplift"]
    assert top["contacts"] * 0.5 <= 2000 + 1e-9
    assert top["profit_ci_low"] <= top["profit"] <= top["profit_ci_high"]
    assert tab["chosen"].sum() == 1
    assert top["gain_vs_everybody"] == pytest.approx(top["profit"] - tab.loc["everybody",
                                                                             "profit"])
    assert tab.loc[tab["chosen"], "within_budget"].all()


def test_optimal_rollout_finds_share_of_positive_effects():
    # every customer's uplift known: targeting by it should contact about the share with
    # margin·tau > cost
    sim = simulate_uplift(30000, kind="continuous", effect=0.0, slope=1.0, noise=0.5, seed=8)
    opt = optimal_rollout(sim["y"], sim["treatment"], sim["tau"], margin=1.0, cost=0.5,
                          n_boot=20, seed=1)
    truth = float((sim["tau"] > 0.5).mean())
    assert opt["share"] == pytest.approx(truth, abs=0.05)
    assert opt["share_ci_low"] <= opt["share"] <= opt["share_ci_high"]


def test_targeting_gain_over_everybody_when_some_are_hurt():
    # group b is hurt by the contact: leaving it out must beat contacting everybody
    sim = simulate_uplift(20000, kind="continuous", effect=0.5, slope=0.0, flip=1.5, noise=1.0,
                          seed=12)
    opt = optimal_rollout(sim["y"], sim["treatment"], sim["tau"], margin=1.0, cost=0.1,
                          n_boot=50, seed=3)
    assert opt["share"] == pytest.approx(0.5, abs=0.03)
    assert 0 < opt["gain_ci_low"] <= opt["gain_vs_everybody"] <= opt["gain_ci_high"]


def test_rollout_bad_input():
    with pytest.raises(ParameterError, match="margin"):
        profit_curve(Y4, T4, S4, margin=0.0, cost=1.0)
    with pytest.raises(ParameterError, match="cost"):
        profit_curve(Y4, T4, S4, margin=1.0, cost=-1.0)
    with pytest.raises(ParameterError, match="n_boot"):
        optimal_rollout(Y4, T4, S4, 1.0, 0.1, n_boot=1)


# --- decisions and the test cell -----------------------------------------------------------

def test_decide_by_hand():
    # break-even effect = cost / margin = 0.01
    assert decide(0.02, 0.05, margin=10.0, cost=0.1) == "roll out"
    assert decide(-0.05, 0.005, margin=10.0, cost=0.1) == "stop"
    assert decide(0.0, 0.05, margin=10.0, cost=0.1) == "test more"
    with pytest.raises(ParameterError):
        decide(0.0, 1.0, margin=0.0, cost=0.1)


def test_full_share_test_cell_equals_experiment(hill_frame):
    tab = evaluate_test_cell(hill_frame, "visit", margin=3.0, cost=0.1, test_share=1.0, seed=3)
    assert tab["estimate"].iloc[0] == pytest.approx(tab["estimate"].iloc[1])
    assert tab["same_decision"].all()


def test_test_cell_power_formula_matches_simulation():
    sim = simulate_uplift(8000, kind="continuous", effect=0.08, slope=0.0, noise=1.0, seed=5)
    frame = sim.rename(columns={"y": "out"})
    table, summary = power_of_test_cells(frame, "out", margin=1.0, cost=0.0,
                                         shares=[0.25, 0.5], n_sims=300, seed=1)
    assert summary["decision"] == "roll out"
    for row in table.itertuples():
        assert abs(row.agreement - row.analytic_agreement) < 4 * row.agreement_mc_std_error + 0.04
    # the analytic smallest share gives the target power by construction
    s_star = summary["analytic_min_share"]
    z = 1.959963984540054
    delta, sigma = summary["estimate"], summary["std_error"]
    from scipy.stats import norm
    assert norm.cdf(delta * np.sqrt(s_star) / sigma - z) == pytest.approx(0.8)


def test_target_from_test_cell_on_simulated_heterogeneity():
    sim = simulate_uplift(20000, effect=0.3, slope=1.2, baseline_slope=0.2, seed=9)
    out = target_from_test_cell(sim, "y", ["x1", "x2"], test_share=0.2, seed=1)
    assert out["n_test"] == 4000 and out["n_rollout"] == 16000
    assert out["qini_on_rollout"] > 0.1


def test_experiment_decision_uses_difference_in_means(hill_frame):
    d = experiment_decision(hill_frame, "conversion", margin=30.0, cost=0.1)
    t = hill_frame["treatment"] == 1
    dim = hill_frame.loc[t, "conversion"].mean() - hill_frame.loc[~t, "conversion"].mean()
    assert d["estimate"] == pytest.approx(dim)
    assert d["profit_per_contact"] == pytest.approx(30 * dim - 0.1)


def test_scores_against_experiment_flags():
    table = pd.DataFrame({"model": ["a", "b", "response"], "kind": ["uplift", "uplift",
                                                                    "response"],
                          "estimate": [0.01, 0.5, 0.2]})
    out = scores_against_experiment(table, {"estimate": 0.02, "ci_low": 0.0, "ci_high": 0.04})
    assert out["within_ate_ci"].tolist() == [True, False, None]


# --- segments and refusals -----------------------------------------------------------------

def test_campaign_frame_arms_and_segments():
    hill = load("hillstrom_email")
    mens = campaign_frame(hill, "Mens")
    assert set(mens["segment"].astype(str)) == {"Mens E-Mail", "No E-Mail"}
    assert mens["treatment"].sum() == (hill["segment"] == "Mens E-Mail").sum()
    both = campaign_frame(hill, "any")
    assert len(both) == len(hill) and (both["offer_fit"] == "n/a").all()
    assert (mens.loc[mens["mens"] == 1, "offer_fit"] == "match").all()
    assert mens["rfm_cell"].notna().all() and mens["recency_band"].notna().all()
    with pytest.raises(ParameterError, match="treatment"):
        campaign_frame(hill, "Kids")
    with pytest.raises(DataError, match="column"):
        campaign_frame(hill.drop(columns=["recency"]), "Mens")


def test_segment_response_and_refusals_by_hand(hill_frame):
    seg = segment_response(hill_frame, ["channel"], ["visit"])
    web = hill_frame[(hill_frame["channel"] == "Web") & (hill_frame["treatment"] == 1)]
    row = seg[(seg["segment"] == "Web") & (seg["arm"] == "mailed")].iloc[0]
    assert row["n"] == len(web) and row["visit"] == pytest.approx(web["visit"].mean())
    ref = refusal_rates(hill_frame, "visit", ["channel"])
    r = ref[(ref["variable"] == "channel") & (ref["level"] == "Web")].iloc[0]
    assert r["no_response_rate"] == pytest.approx(1 - web["visit"].mean())


def test_segment_uplift_flags_sleeping_dogs():
    sim = simulate_uplift(8000, kind="continuous", effect=0.5, slope=0.0, flip=1.5, seed=2)
    tab = segment_uplift(sim, "y", ["group"]).set_index("segment")
    assert tab.loc["a", "estimate"] == pytest.approx(0.5, abs=0.1)
    assert tab.loc["b", "significantly_harmed"] and not tab.loc["a", "harmed"]


# --- retention and prospecting economics ---------------------------------------------------

def test_retention_profit_curve_by_hand():
    y, p = [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]
    value = [100.0, 50.0, 200.0, 10.0]
    cur = retention_profit_curve(y, p, value, offer_cost=10.0, contact_cost=1.0,
                                 acceptance_rate=0.5, n_points=5)
    # churner: 0.5·(V - 1 - 10) - 0.5·1; non-churner: -(1 + 10)
    np.testing.assert_allclose(cur["profit"], [0, 44, 33, 127, 116])
    np.testing.assert_allclose(cur["precision"].iloc[1:], [1, 0.5, 2 / 3, 0.5])


@settings(max_examples=50)
@given(st.floats(50, 5000), st.floats(0, 100), st.floats(0, 20), st.floats(0.05, 1.0),
       st.integers(1, 40), st.integers(1, 40))
def test_break_even_precision_separates_gain_from_loss(value, offer, contact, gamma, k1, k0):
    # with one value for everyone, profit per contact has the sign of precision - β*
    y = np.r_[np.ones(k1), np.zeros(k0)]
    rng = np.random.default_rng(k1 * 100 + k0)
    cur = retention_profit_curve(y, rng.random(len(y)), value, offer, contact, gamma,
                                 n_points=2)
    profit, beta = cur["profit"].iloc[-1], k1 / (k1 + k0)
    star = retention_break_even_precision(value, offer, contact, gamma)
    if abs(beta - star) > 1e-9:
        assert np.sign(profit) == np.sign(beta - star)


def test_acquisition_curve_by_hand():
    cur = acquisition_profit_curve([1, 0, 1], [0.9, 0.5, 0.1], [100.0, 999.0, 50.0],
                                   [10.0, 20.0, 30.0], n_points=4)
    np.testing.assert_allclose(cur["profit"], [0, 90, 70, 90])
    assert cur["break_even_precision"].iloc[-1] == pytest.approx(20.0 / 75.0)


def test_remaining_tenure_by_hand():
    df = pd.DataFrame({"t": [1, 2, 3, 0, 1], "e": [1, 1, 1, 0, 0]})
    # Kaplan-Meier: 4 at risk at 1 (one event) -> S(1) = 3/4; 2 at risk at 2 -> S(2) = 3/8;
    # S(3) = 0. Remaining tenure m(t) = ∫_t^3 S / S(t).
    got = remaining_tenure(df, "t", "e")
    s1, s2 = 0.75, 0.375
    area_0_3 = 1 * 1 + s1 * 1 + s2 * 1
    assert got[3] == pytest.approx(area_0_3)                    # at t = 0
    assert got[0] == pytest.approx((s1 + s2) / s1)              # at t = 1
    assert got[2] == pytest.approx(0.0)                         # at the horizon


def test_remaining_tenure_is_mean_residual_life_without_censoring():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 30, 400)
    got = remaining_tenure(pd.DataFrame({"t": t, "e": 1}), "t", "e")
    at5 = got[np.flatnonzero(t == 5)[0]]
    assert at5 == pytest.approx(np.mean(t[t > 5] - 5))


def test_claims_table_verdicts():
    curve = retention_profit_curve([1, 1, 0, 1, 0, 0, 0, 0], np.linspace(1, 0, 8), 500.0,
                                   offer_cost=20.0, contact_cost=2.0, acceptance_rate=0.5)
    tab = model_confidence_claims([{"claim_id": "002-24", "source": "source text 002, L423",
                                    "claim": "70%", "threshold": 0.7, "data": "toy",
                                    "model": "toy", "curve": curve}])
    row = tab.iloc[0]
    assert row["profitable_below_threshold"]
    assert row["verdict"].startswith("not supported")
    s = curve_summary(curve, 0.7)
    assert s["profit_at_optimum"] == pytest.approx(curve["profit"].max())
    with pytest.raises(ParameterError, match="lacks"):
        model_confidence_claims([{"claim_id": "x"}])


def test_confidence_claims_on_bundled_data():
    res = confidence_claims(load("telco_churn"), load("smcrm_acquisition_retention"), n_folds=3,
                            seed=1)
    tab = res.table.set_index("claim_id")
    assert set(tab.index) == {"002-24", "002-20"}
    assert tab.loc["002-24", "threshold"] == 0.7 and tab.loc["002-20", "threshold"] == 0.9
    # profit at the optimum is the maximum of the curve, and the curve's precision at full
    # targeting is the base rate
    assert tab.loc["002-24", "profit_at_optimum"] == pytest.approx(res.retention["profit"].max())
    assert res.retention["precision"].iloc[-1] == pytest.approx(tab.loc["002-24", "base_rate"])
    assert 0.5 < tab.loc["002-24", "roc_auc"] < 1
    assert len(res.fit_table()) == 4


def test_economics_bad_input():
    with pytest.raises(ParameterError, match="acceptance_rate"):
        retention_profit_curve([1, 0], [0.5, 0.2], 10.0, 1.0, 0.0, acceptance_rate=1.5)
    with pytest.raises(DataError):
        retention_profit_curve([1, 2], [0.5, 0.2], 10.0, 1.0)
    with pytest.raises(DataError, match="length"):
        acquisition_profit_curve([1, 0], [0.5], 10.0, 1.0)
