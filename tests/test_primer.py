"""Tests of the primer's teaching formulas (crm_research.studies.primer)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

from crm_research.churn.rates import churn_rate
from crm_research.clv.concentration import customers_for_share, lorenz_curve
from crm_research.clv.retention import retention_clv
from crm_research.errors import DataError, ParameterError
from crm_research.studies import primer as P


def _share(values, top=0.2, allow_negative=False):
    """The primer's top-x% share (no bootstrap): engine top_share, interpolated."""
    return P.pareto_share_ci(values, top, n_boot=0, allow_negative=allow_negative)["share"]

# --------------------------------------------------------------------------- funnel


def test_funnel_rates_hand_values():
    tab = P.funnel_rates({"contacted": 1000, "visited": 200, "bought": 50})
    assert list(tab["stage"]) == ["contacted", "visited", "bought"]
    assert np.isnan(tab["step_rate"][0])
    assert tab["step_rate"][1:].tolist() == pytest.approx([0.2, 0.25])
    assert tab["cumulative_rate"].tolist() == pytest.approx([1.0, 0.2, 0.05])
    assert tab["lost"][1:].tolist() == pytest.approx([800, 150])


def test_funnel_rejects_widening_and_negative():
    with pytest.raises(DataError, match="bought"):
        P.funnel_rates({"a": 10, "b": 5, "bought": 6})
    with pytest.raises(DataError, match="non-negative"):
        P.funnel_rates({"a": 10, "b": -1})
    with pytest.raises(DataError, match="positive"):
        P.funnel_rates({"a": 0, "b": 0})


def test_funnel_from_flags_counts_nested_stages():
    df = pd.DataFrame({"visit": [1, 1, 0, 1, 0, 1], "buy": [1, 0, 1, 0, 0, 1],
                       "g": ["x", "x", "x", "y", "y", "y"]})
    tab = P.funnel_from_flags(df, ["visit", "buy"])
    # row 3 bought without a recorded visit: it does not reach 'buy' in the funnel
    assert tab["count"].tolist() == [6, 4, 2]
    by = P.funnel_from_flags(df, ["visit", "buy"], group="g")
    assert by[by.group == "x"]["count"].tolist() == [3, 2, 1]
    assert by[by.group == "y"]["count"].tolist() == [3, 2, 1]
    with pytest.raises(DataError, match="'nope'"):
        P.funnel_from_flags(df, ["nope"])
    with pytest.raises(DataError, match="0/1"):
        P.funnel_from_flags(df.assign(visit=[2, 1, 0, 1, 0, 1]), ["visit"])


# --------------------------------------------------------------------------- CLV formula


def test_retention_clv_known_values():
    # Gupta & Lehmann margin multiple r/(1+d-r): 4.5 at r = .9, d = .1; 2.5 at r = .8, i = .12
    assert retention_clv(1, 0.9, 0.1) == pytest.approx(4.5)
    assert P.margin_multiple(0.8, 0.12) == pytest.approx(2.5)
    assert retention_clv(100, 0.9, 0.1, timing="start") == pytest.approx(100 * 1.1 / 0.2)
    # start = margin + end
    assert retention_clv(7, 0.6, 0.05, timing="start") == pytest.approx(
        7 + retention_clv(7, 0.6, 0.05))


def test_retention_clv_finite_horizon_equals_explicit_sum():
    m, r, d = 120.0, 0.75, 0.08
    for h in (0, 1, 2, 5, 30):
        end = sum(m * r ** t / (1 + d) ** t for t in range(1, h + 1))
        start = sum(m * r ** t / (1 + d) ** t for t in range(0, h + 1))
        assert retention_clv(m, r, d, h, "end") == pytest.approx(end, rel=1e-12, abs=1e-12)
        assert retention_clv(m, r, d, h, "start") == pytest.approx(start, rel=1e-12)
    # two-period hand value: 100*0.8/1.1 + 100*0.64/1.21
    assert retention_clv(100, 0.8, 0.1, 2) == pytest.approx(72.72727272727 + 52.89256198347)
    # r/(1+d) = 1: every term is m
    assert retention_clv(3, 1.0, 0.0, 4) == pytest.approx(12)
    # long finite horizon converges to the infinite one
    assert retention_clv(m, r, d, 2000) == pytest.approx(retention_clv(m, r, d))


def test_retention_clv_errors():
    with pytest.raises(ParameterError, match="retention"):
        retention_clv(1, 1.2, 0.1)
    with pytest.raises(ParameterError, match="timing"):
        retention_clv(1, 0.5, 0.1, timing="middle")
    with pytest.raises(ParameterError, match="infinite"):
        retention_clv(1, 1.0, 0.0)
    with pytest.raises(ParameterError, match="horizon"):
        retention_clv(1, 0.5, 0.1, horizon=-1)


def test_retention_uplift_closed_form():
    r, dl, d = 0.8, 0.05, 0.1
    res = P.retention_uplift(50, r, dl, d)
    assert res["clv_change_pct"] == pytest.approx(100 * dl * (1 + d) / (r * (1 + d - r - dl)))
    withac = P.retention_uplift(50, r, dl, d, acquisition_cost=60)
    assert withac["profit_change_pct"] == pytest.approx(
        100 * (withac["clv_new"] - withac["clv"]) / (withac["clv"] - 60))
    assert withac["profit_change_pct"] > withac["clv_change_pct"]
    assert math.isnan(P.retention_uplift(1, 0.5, 0.05, 0.1, acquisition_cost=100)[
        "profit_change_pct"])


def test_retention_clv_grid_shape():
    g = P.retention_clv_grid([0.5, 0.9], [0.05, 0.1], margin=2)
    assert g.shape == (2, 2)
    assert g.loc[0.9, "d=0.1"] == pytest.approx(9.0)


@settings(max_examples=60, deadline=None)
@given(m=st.floats(0.1, 1000), r=st.one_of(st.just(0.0), st.floats(0.01, 0.95)),
       dr=st.floats(0.001, 0.04),
       d=st.floats(0.0, 0.5), dd=st.floats(0.001, 0.2),
       h=st.one_of(st.none(), st.integers(1, 60)), timing=st.sampled_from(["end", "start"]))
def test_clv_monotone_in_retention_margin_discount(m, r, dr, d, dd, h, timing):
    base = retention_clv(m, r, d, h, timing)
    assert retention_clv(m, r + dr, d, h, timing) > base
    if r > 0:  # with r = 0 the 'end' CLV is 0 whatever the margin and discount
        assert retention_clv(m * 1.5, r, d, h, timing) > base
        assert retention_clv(m, r, d + dd, h, timing) < base
    else:
        assert retention_clv(m, r, d + dd, h, timing) == pytest.approx(base)


# --------------------------------------------------------------------------- sample size


def test_sample_size_textbook_example():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7 per group
    ss = P.sample_size_two_proportions(0.5, 0.75, alpha=0.05, power=0.9)
    assert ss.n1_exact == pytest.approx(76.7069284517, rel=1e-9)
    assert (ss.n1, ss.n2) == (77, 77)
    # hand value of the same formula
    za, zb = 1.959963984540054, 1.2815515655446004
    hand = (za * math.sqrt(2 * 0.625 * 0.375) + zb * math.sqrt(0.25 + 0.1875)) ** 2 / 0.0625
    assert ss.n1_exact == pytest.approx(hand, rel=1e-12)


@pytest.mark.parametrize("p1,p2,ratio,power,alt", [
    (0.02, 0.025, 4.0, 0.8, "two-sided"), (0.3, 0.1, 0.5, 0.8, "one-sided"),
    (0.1, 0.15, 1.0, 0.9, "two-sided"), (0.005, 0.0075, 9.0, 0.8, "two-sided")])
def test_sample_size_matches_statsmodels(p1, p2, ratio, power, alt):
    ours = P.sample_size_two_proportions(p1, p2, power=power, ratio=ratio, alternative=alt)
    sm_alt = "two-sided" if alt == "two-sided" else ("larger" if p1 > p2 else "smaller")
    ref = samplesize_proportions_2indep_onetail(p1 - p2, p2, power, ratio=ratio,
                                                alternative=sm_alt)
    assert ours.n1_exact == pytest.approx(ref, rel=1e-10)
    assert ours.n2 == math.ceil(ratio * ours.n1 - 1e-9)


def test_continuity_correction_fleiss_tytun_ury():
    n = P.sample_size_two_proportions(0.5, 0.75, power=0.9).n1_exact
    cc = P.sample_size_two_proportions(0.5, 0.75, power=0.9, continuity=True).n1_exact
    assert cc == pytest.approx(n / 4 * (1 + math.sqrt(1 + 4 / (n * 0.25))) ** 2)
    assert cc > n


def test_power_inverts_sample_size_and_mde():
    ss = P.sample_size_two_proportions(0.03, 0.02, power=0.8, ratio=3)
    assert P.power_two_proportions(0.03, 0.02, ss.n1_exact, 3 * ss.n1_exact) == \
        pytest.approx(0.8, abs=1e-9)
    p = P.minimum_detectable_rate(0.02, ss.n1_exact, 3 * ss.n1_exact, power=0.8)
    assert p == pytest.approx(0.03, abs=1e-7)


def test_campaign_test_cell_and_errors():
    cell = P.campaign_test_cell(0.02, 0.5, control_ratio=1, list_size=100000)
    ref = P.sample_size_two_proportions(0.03, 0.02)
    assert cell.loc[0, "n_test"] == ref.n1 and cell.loc[0, "n_control"] == ref.n2
    assert cell.loc[0, "share_of_list"] == pytest.approx((ref.n1 + ref.n2) / 100000)
    pts = P.campaign_test_cell(0.02, 0.01, relative=False)
    assert pts.loc[0, "test_rate"] == pytest.approx(0.03)
    with pytest.raises(ParameterError, match="outside"):
        P.campaign_test_cell(0.6, 1.0)
    with pytest.raises(ParameterError, match="equal"):
        P.sample_size_two_proportions(0.2, 0.2)
    with pytest.raises(ParameterError, match="power"):
        P.sample_size_two_proportions(0.2, 0.3, power=1.0)


def test_sample_size_recovers_power_by_simulation():
    """Parameter recovery: at the computed n the simulated rejection rate is near the power."""
    ss = P.sample_size_two_proportions(0.3, 0.2, power=0.8)
    n = ss.n1
    rng = np.random.default_rng(1)
    reps = 4000
    x1 = rng.binomial(n, 0.3, reps)
    x2 = rng.binomial(n, 0.2, reps)
    pbar = (x1 + x2) / (2 * n)
    z = (x1 / n - x2 / n) / np.sqrt(pbar * (1 - pbar) * 2 / n)
    power = np.mean(np.abs(z) > 1.959963984540054)
    assert abs(power - 0.8) < 0.03


# --------------------------------------------------------------------------- churn


def test_churn_rate_and_annualisation():
    res = churn_rate(30, 1000, method="exact")
    assert res["rate"] == pytest.approx(0.03)
    assert res["ci_low"] < 0.03 < res["ci_high"]
    assert P.annualise_churn(0.03, 12) == pytest.approx(1 - 0.97 ** 12)
    assert P.annualise_churn(0.0, 12) == 0.0
    with pytest.raises(DataError, match="churned <= n"):
        churn_rate(5, 4)


def test_exact_ci_matches_beta_quantiles():
    from scipy import stats
    lo, hi = P.exact_proportion_ci(7, 40, 0.95)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 7, 34))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 8, 33))


def test_lapse_share_hand_case():
    log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 4],
                        "date": pd.to_datetime(["2020-01-05", "2020-03-01", "2020-01-10",
                                                "2020-01-20", "2020-06-30", "2020-04-01"])})
    res = P.lapse_share(log, "2020-01-01", "2020-01-31", "2020-12-31")
    # base = {1, 2, 3}; 1 and 3 bought again, 2 did not; 4 is not in the base
    assert (res["base_customers"], res["lapsed"]) == (3, 1)
    assert res["lapse_share"] == pytest.approx(1 / 3)
    with pytest.raises(ParameterError):
        P.lapse_share(log, "2020-02-01", "2020-01-01", "2020-03-01")


# --------------------------------------------------------------------------- Pareto


def test_pareto_share_hand_values():
    v = [50, 20, 10, 10, 5, 5, 0, 0, 0, 0]
    assert _share(v, 0.2) == pytest.approx(0.7)
    assert _share(v, 0.25) == pytest.approx((70 + 0.5 * 10) / 100)
    assert _share(v, 0.0) == 0.0
    assert _share(v, 1.0) == pytest.approx(1.0)
    assert _share([1, 1, 1, 1], 0.5) == pytest.approx(0.5)
    with pytest.raises(DataError, match="negative"):
        _share([1, -1, 3])
    assert _share([10, -2, 2], 1 / 3, allow_negative=True) == pytest.approx(1.0)


@settings(max_examples=80, deadline=None)
@given(vals=st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1e6)), min_size=1, max_size=60)
       .filter(lambda v: sum(v) > 0),
       top=st.floats(0, 1))
def test_pareto_share_between_x_and_one(vals, top):
    s = _share(vals, top)
    assert top - 1e-9 <= s <= 1 + 1e-9
    # monotone in top
    assert _share(vals, min(1.0, top + 0.1)) >= s - 1e-12


def test_pareto_ci_seeded_and_curve():
    rng = np.random.default_rng(3)
    v = rng.lognormal(0, 1.5, 500)
    a = P.pareto_share_ci(v, 0.2, n_boot=200, seed=5)
    b = P.pareto_share_ci(v, 0.2, n_boot=200, seed=5)
    assert a == b
    assert a["ci_low"] < a["share"] < a["ci_high"]
    curve = lorenz_curve(v, points=11, top_down=True)
    assert curve["value_share"].iloc[0] == 0 and curve["value_share"].iloc[-1] == \
        pytest.approx(1)
    assert np.all(np.diff(curve["value_share"]) >= 0)


def test_pareto_share_recovers_lognormal_truth():
    """For lognormal(0, σ) values the top-x share is 1 − Φ(Φ⁻¹(1−x) − σ) (Lorenz curve)."""
    from scipy import stats
    sigma, x = 1.2, 0.2
    truth = 1 - stats.norm.cdf(stats.norm.ppf(1 - x) - sigma)
    v = np.random.default_rng(11).lognormal(0, sigma, 200_000)
    assert _share(v, x) == pytest.approx(truth, abs=0.01)


# --------------------------------------------------------------------------- loyalty & lift


def test_attitudinal_loyalty_and_dick_basu():
    items = pd.DataFrame({"a": [0, 10, 5, np.nan], "b": [0, 10, 10, 4]})
    s = P.attitudinal_loyalty(items, 0, 10)
    assert s[:3].tolist() == pytest.approx([0, 100, 75]) and np.isnan(s[3])
    with pytest.raises(DataError, match="'b'"):
        P.attitudinal_loyalty(items.assign(b=[0, 11, 1, 1]), 0, 10)
    seg = P.dick_basu_segments([80, 80, 20, 20], [5, 1, 5, 1], 50, 3)
    assert seg.tolist() == ["true loyalty", "latent loyalty", "spurious loyalty", "no loyalty"]


def test_repeat_buyer_share_counts_days():
    log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3],
                        "date": pd.to_datetime(["2020-01-01 09:00", "2020-01-01 17:00",
                                                "2020-01-02 00:00", "2020-01-02 00:00",
                                                "2020-02-02 00:00"])})
    res = P.repeat_buyer_share(log)
    assert (res["customers"], res["repeat_buyers"]) == (3, 1)
    assert res["mean_purchase_days"] == pytest.approx(4 / 3)


def test_response_lift_and_test_cell():
    df = pd.DataFrame({"arm": ["t"] * 100 + ["c"] * 100,
                       "y": [1] * 10 + [0] * 90 + [1] * 5 + [0] * 95})
    res = P.response_lift(df, "arm", "t", "c", "y")
    assert res["difference"] == pytest.approx(0.05)
    se = math.sqrt(0.1 * 0.9 / 100 + 0.05 * 0.95 / 100)
    assert res["ci_high"] - res["difference"] == pytest.approx(1.959963984540054 * se)
    assert res["relative_lift"] == pytest.approx(1.0)
    cells = P.campaign_cell_vs_rollout(df, "arm", "t", "c", "y", 0.5, seed=2)
    assert cells["rows"].sum() == 200
    again = P.campaign_cell_vs_rollout(df, "arm", "t", "c", "y", 0.5, seed=2)
    pd.testing.assert_frame_equal(cells, again)


# --------------------------------------------------------------------------- glossary


def test_glossary_complete_and_persian():
    g = P.load_glossary()
    assert len(g) >= 40
    assert not g["term"].duplicated().any()
    # every Persian entry is written in Arabic script
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in p) for p in g["persian"])
    for needed in ["Churn rate", "Customer lifetime value (CLV)", "Win-back", "Cross-selling",
                   "Attitudinal loyalty", "Behavioural loyalty", "Marketing funnel",
                   "Pareto principle (80/20 rule)", "Electronic CRM (eCRM)", "Strategic CRM",
                   "Operational CRM", "Analytical CRM", "Test cell and control group"]:
        assert needed in set(g["term"])
    assert set(P.load_glossary("funnel")["section"]) == {"funnel"}
    with pytest.raises(ParameterError, match="section"):
        P.load_glossary("nope")


# --------------------------------------------------------------------------- tables on real data


def test_clv_formula_vs_model_fader_hardie_published():
    from crm_research.data.datasets import load
    fh = load("fader_hardie_retention")
    tab = P.clv_formula_vs_model(fh["regular"], 1.0, 0.1, fit_periods=7)
    # Fader & Hardie (2007) report alpha = 0.704, beta = 1.182 for the regular segment
    assert "alpha 0.704, beta 1.182" in tab.loc[2, "method"]
    assert tab.loc[0, "retention_used"] == pytest.approx(0.631)
    assert tab.loc[0, "clv"] == pytest.approx(
        sum(0.631 ** t / 1.1 ** t for t in range(200)), rel=1e-12)
    obs = sum(fh["regular"][t] / 1000 / 1.1 ** t for t in range(13))
    assert tab.loc[3, "clv"] == pytest.approx(obs)
    with pytest.raises(ParameterError, match="fit_periods"):
        P.clv_formula_vs_model(fh["regular"], 1.0, 0.1, fit_periods=13)


def test_clv_formula_table_rows():
    tab = P.clv_formula_table(100, 0.8, 0.1, 10)
    assert list(tab["timing"]) == ["end", "end", "start", "start"]
    assert tab.loc[1, "clv"] == pytest.approx(100 * 0.8 / 0.3)
    assert tab.loc[2, "clv"] - tab.loc[0, "clv"] == pytest.approx(100)


def test_rate_by_group_and_headlines():
    df = pd.DataFrame({"y": [1, 0, 1, 1, 0], "g": [30, 20, 30, 20, 20]})
    tab = P.rate_by_group(df, "y", "g")
    assert tab["group"].tolist() == ["20", "30"]  # sorted
    assert tab["rate"].tolist() == pytest.approx([1 / 3, 1.0])
    assert P.rate_by_group(df, "y").loc[0, "n"] == 5
    from crm_research.data.datasets import load
    head = P.crm_type_headlines(load("smcrm_win_back"), load("smcrm_acquisition_retention"),
                                load("smcrm_b2b_churn")).set_index("crm_type")
    assert head.loc["win-back", "value"] == pytest.approx(295 / 500)
    assert head.loc["prospecting / acquisition", "value"] == pytest.approx(338 / 500)
    assert head.loc["retention / loyalty", "value"] == pytest.approx(268 / 500)


def test_customer_share_for_value_share_inverts_pareto():
    v = np.random.default_rng(2).lognormal(0, 1, 300)
    for q in (0.1, 0.5, 0.8, 0.95):
        x = customers_for_share(v, q, "interpolate")
        assert _share(v, x) == pytest.approx(q, abs=1e-9)
    assert customers_for_share([50, 20, 10, 10, 5, 5, 0, 0, 0, 0], 0.5, "interpolate") == \
        pytest.approx(0.1)


def test_score_summary_and_tables():
    s = P.score_summary(pd.Series([10, 80, 90, np.nan]), 70)
    assert (s["n"], s["share_at_least_cut"]) == (3, pytest.approx(2 / 3))
    log = pd.DataFrame({"customer_id": [1, 1, 2, 3], "value": [5.0, 5.0, 30.0, 60.0],
                        "date": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-01",
                                                "2020-01-01"])})
    tab = P.pareto_table({"toy": log}, top=1 / 3, n_boot=20, seed=1)
    assert tab.loc[0, "share"] == pytest.approx(60 / 100)
    rep = P.repeat_buyer_table({"toy": log})
    assert rep.loc[0, "repeat_buyers"] == 1
    with pytest.raises(ParameterError, match="unknown"):
        P.transaction_log("telco_churn")


def test_snapshot_churn_rate_excludes_new_customers():
    df = pd.DataFrame({"churn": [True, False, False, True, False], "tenure": [3, 0, 5, 1, 0]})
    res = P.snapshot_churn_rate(df)
    assert (res["churned"], res["n"]) == (2, 3)
    with pytest.raises(DataError, match="'tenure'"):
        P.snapshot_churn_rate(df.drop(columns="tenure"))


# --------------------------------------------------------------------------- customer base


def test_marketing_funnel_hand_case_and_bottleneck():
    log = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 2, 3, 4, 4, 4],
                        "date": pd.to_datetime(["2000-01-01", "2000-02-01", "2000-03-01",
                                                "2000-04-01", "2000-01-01", "2000-01-01",
                                                "2000-01-05", "2000-01-01", "2000-05-01",
                                                "2000-06-01"])})
    f = P.marketing_funnel(log, loyal_min_days=4)
    # purchase days: 1 -> 4, 2 -> 1 (same day twice), 3 -> 1, 4 -> 3
    assert f["count"].tolist() == [4.0, 2.0, 1.0]
    assert f["step_rate"].tolist()[1:] == [0.5, 0.5]
    assert f["bottleneck"].sum() == 1
    g = P.marketing_funnel(log, loyal_min_days=3, aware=40)
    assert g["count"].tolist() == [40.0, 4.0, 2.0, 2.0]
    # the step from the assumed awareness count (0.1) is not the bottleneck
    assert g.loc[g["bottleneck"], "stage"].item() == "repeat (2+ purchase days)"
    with pytest.raises(ParameterError):
        P.marketing_funnel(log, loyal_min_days=2)


def test_funnel_bottleneck_is_the_lowest_step_rate():
    """One implementation of "bottleneck = lowest step rate" (issue 12), used by
    marketing_funnel and the funnel widget."""
    import inspect

    from crm_research.studies.primer import customer_base, widgets

    tab = P.funnel_rates({"contacted": 1000, "opened": 500, "clicked": 100, "bought": 60})
    assert P.funnel_bottleneck(tab["step_rate"]) == 2          # 0.5, 0.2, 0.6
    assert P.funnel_bottleneck(tab["step_rate"], exclude=[2]) == 1
    assert P.funnel_bottleneck([np.nan, 0.3, 0.3]) == 1        # tie: the first stage
    assert P.funnel_bottleneck([np.nan, 0.4], exclude=[1]) is None
    for fn in (customer_base.marketing_funnel, widgets.funnel_view):
        code = inspect.getsource(fn)
        assert "funnel_bottleneck(" in code and "argmin" not in code, fn.__name__


def test_quadratic_optimum_hand_case():
    r = P.quadratic_optimum(4.0, -0.002, 0.0, 0.0, 0.0)
    assert r["optimum"] == pytest.approx(1000.0) and r["std_error"] == 0.0
    assert math.isnan(P.quadratic_optimum(1.0, 0.5, 1, 1, 0)["optimum"])
    # delta method against a finite-difference gradient
    b1, b2, v1, v2, c = 3.0, -0.01, 0.04, 1e-6, -1e-4
    se = P.quadratic_optimum(b1, b2, v1, v2, c)["std_error"]
    h = 1e-7
    g = np.array([(-(b1 + h) / (2 * b2) + b1 / (2 * b2)) / h,
                  (-b1 / (2 * (b2 + h)) + b1 / (2 * b2)) / h])
    assert se == pytest.approx(math.sqrt(g @ np.array([[v1, c], [c, v2]]) @ g), rel=1e-4)


def _smcrm_like(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "acquisition": 1, "acq_exp": rng.uniform(100, 900, n),
        "ret_exp": rng.uniform(100, 1500, n),
        "freq": rng.integers(1, 20, n), "crossbuy": rng.integers(1, 10, n),
        "sow": rng.uniform(0, 100, n), "industry": rng.integers(0, 2, n),
        "revenue": rng.uniform(10, 60, n), "employees": rng.integers(100, 1500, n)})
    df["acq_exp_sq"] = df["acq_exp"] ** 2
    df["ret_exp_sq"] = df["ret_exp"] ** 2
    df["profit"] = (500 + 4 * df.acq_exp - 0.002 * df.acq_exp_sq + 3 * df.ret_exp
                    - 0.001 * df.ret_exp_sq + 20 * df.crossbuy + 5 * df.sow
                    + rng.normal(0, 200, n))
    return df


def test_profit_maximising_spend_recovers_known_optimum():
    tab = P.profit_maximising_spend(_smcrm_like(3000, 4)).set_index("spend")
    for spend, truth in (("acquisition", 1000.0), ("retention", 1500.0)):
        assert tab.loc[spend, "ci_low"] < truth < tab.loc[spend, "ci_high"]
        assert tab.loc[spend, "optimum"] == pytest.approx(truth, rel=0.05)


def test_share_of_wallet_drivers_recovers_coefficients():
    tab = P.share_of_wallet_drivers(_smcrm_like(3000, 5)).set_index("term")
    assert tab.loc["crossbuy", "ci_low"] < 20 < tab.loc["crossbuy", "ci_high"]
    assert tab.loc["sow", "ci_low"] < 5 < tab.loc["sow", "ci_high"]
    assert tab.loc["sow", "effect_of_1sd"] == pytest.approx(
        tab.loc["sow", "estimate"] * tab.loc["sow", "sd_x"])
    with pytest.raises(DataError, match="sow"):
        P.share_of_wallet_drivers(_smcrm_like(50, 1).drop(columns="sow"))


def test_profit_deciles_hand_case():
    d = P.profit_deciles([10, -5, 3, 2, 0, 8, -1, 4, 1, 6], groups=5)
    assert d["customers"].tolist() == [2] * 5
    assert d["total_profit"].tolist() == [18, 10, 5, 1, -6]
    assert d["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert d["action"].tolist() == ["treat specially"] + ["grow: cross-sell, up-sell"] * 3 + \
        ["make profitable or drop"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=10, max_size=80), st.integers(2, 10))
def test_profit_deciles_partition_and_order(values, groups):
    d = P.profit_deciles(values, groups)
    assert d["customers"].sum() == len(values)
    assert d["customers"].max() - d["customers"].min() <= 1
    assert np.all(np.diff(d["mean_profit"]) <= 1e-9)
    assert d["total_profit"].sum() == pytest.approx(sum(values), abs=1e-6)


def test_winback_targeting_finds_the_valuable_customers():
    rng = np.random.default_rng(8)
    n = 2000
    w = pd.DataFrame({"offer": rng.choice([20, 25, 30], n),
                      "duration_lapse": rng.integers(8, 200, n),
                      "price_change": rng.normal(0, 10, n),
                      "duration_1": rng.integers(50, 800, n),
                      "gender": rng.integers(0, 2, n), "age": rng.integers(20, 70, n)})
    p = 1 / (1 + np.exp(-(2 - 0.02 * w.duration_lapse)))
    w["reacquire"] = (rng.random(n) < p).astype(int)
    w["sclv"] = np.where(w.reacquire == 1, 2 * w.duration_1 + rng.normal(0, 50, n), -5.0)
    t = P.winback_targeting(w, shares=(0.1, 0.5, 1.0))
    assert t["targeted"].tolist() == [200, 1000, 2000]
    assert t["lift"].iloc[0] > t["lift"].iloc[1] > 1.0
    assert t["lift"].iloc[-1] == pytest.approx(1.0)
    assert t["realised_sclv"].iloc[-1] == pytest.approx(w.sclv.sum())


# --------------------------------------------------------------------------- frameworks


def test_frameworks_file_complete_and_callable():
    themes = P.load_frameworks()
    assert len(themes) >= 15
    ids = P.theme_ids()
    assert len(set(ids)) == len(ids)
    for t in themes:
        assert t["exercise"] and t["answer"]
        for fn in t.get("computed", []):
            assert callable(getattr(P, fn, None)) or fn == "channel_cost_whatif", fn
        tab = P.framework_table(t["id"])
        assert list(tab.columns) == ["framework", "item", "text", "tag", "inventory_id"]
        assert tab["inventory_id"].str.fullmatch(r"00[0-4]-\d{2,3}").all()
    defs = P.framework_table("definitions")
    assert {"Oracle", "Microsoft", "Gartner", "CIO", "Salesforce", "Kotler", "Romano"} <= \
        set(defs["item"])
    html = P.theme_html("definitions", 9)
    assert html.startswith("<h3>9. ") and "<details" in html
    with pytest.raises(ParameterError, match="unknown"):
        P.theme("nope")


def test_glossary_covers_every_concept_term_of_the_inventory():
    """Every Persian key term of the source register names a glossary entry, unless the
    glossary lists it as a name, typo or phrase (not a concept)."""
    from crm_research.studies import sources
    from crm_research.studies.package_yaml import read_mapping

    g = P.load_glossary()
    assert len(g) >= 200

    def norm(s: str) -> str:
        return s.replace("\u200c", "").replace(" ", "").replace("ي", "ی").replace("ك", "ک")

    persian = " | ".join(norm(p) for p in g["persian"])
    raw = read_mapping("glossary.yaml")
    excluded = {norm(t) for group in raw["not_concepts"].values() for t in group}
    terms = {t for ts in sources.load_sources()["terms"] for t in ts.split(" · ") if t}
    missing = sorted(t for t in terms if norm(t) not in persian and norm(t) not in excluded)
    assert missing == []
    assert not g["persian"].str.contains("ي|ك").any()
