"""Tests of the claims audit: verdict rules, and each claim's estimate recomputed independently."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from sklearn.linear_model import LogisticRegression

from crm_research.data import datasets
from crm_research.data.transactions import clean_online_retail
from crm_research.errors import DataError, ParameterError, SpecError
from crm_research.studies import claims as C

N_BOOT = 40


@pytest.fixture(scope="module")
def data():
    return {name: datasets.load(name) for name in C.DATASETS_NEEDED}


@pytest.fixture(scope="module")
def retail_log(data):
    return clean_online_retail(data["online_retail"])[0]


@pytest.fixture(scope="module")
def audit(data):
    return C.audit_claims(data, n_boot=N_BOOT, seed=3)


def _km_at(b2b: pd.DataFrame, t: float) -> float:
    kmf = KaplanMeierFitter().fit(b2b["duration"], event_observed=1 - b2b["censor"])
    return float(kmf.survival_function_at_times(t).iloc[0])


# --------------------------------------------------------------------------- rules


def test_verdict_rules_hand_cases():
    band = (25, 95)
    assert C.verdict_from_interval(30, 40, band) == C.SUPPORTED
    assert C.verdict_from_interval(25, 95, band) == C.SUPPORTED
    assert C.verdict_from_interval(24.999999999999996, 30, band) == C.SUPPORTED  # rounding
    assert C.verdict_from_interval(24.99, 30, band) == C.DEPENDS
    assert C.verdict_from_interval(96, 120, band) == C.CONTRADICTED
    assert C.verdict_from_interval(1, 24.9, band) == C.CONTRADICTED
    assert C.verdict_from_interval(20, 30, band) == C.DEPENDS
    assert C.verdict_from_interval(10, 200, band) == C.DEPENDS
    assert C.verdict_from_interval(40, 30, band) == C.SUPPORTED  # order of ends does not matter
    assert C.verdict_from_interval(1, 2, None) == C.NOT_TESTABLE
    assert C.verdict_from_interval(1.01, 1.2, (1.0, math.inf)) == C.SUPPORTED  # direction band
    assert C.verdict_from_interval(0.8, 0.9, (1.0, math.inf)) == C.CONTRADICTED
    assert C.combine_verdicts([C.SUPPORTED, C.SUPPORTED]) == C.SUPPORTED
    assert C.combine_verdicts([C.SUPPORTED, C.CONTRADICTED]) == C.DEPENDS
    with pytest.raises(ParameterError):
        C.combine_verdicts(["maybe"])


def test_declarations_consistent():
    decl = C.load_claims()
    assert decl["id"].is_unique
    assert decl["inventory_id"].is_unique
    for fn in decl["function"]:
        if fn:
            assert callable(getattr(C, fn))
    assert set(decl["status"]) <= set(C.STATUSES)
    assert (decl.loc[decl.status != "tested", "reason"].str.len() > 10).all()
    rules = C.verdict_rules()
    assert set(rules.loc[rules.kind == "verdict", "name"]) == set(C.VERDICTS)
    with pytest.raises(SpecError, match="unknown claim"):
        C.claim_info("nope")


# --------------------------------------------------------------------------- the audit table


def test_audit_rows_valid(audit):
    assert list(audit.columns) == C.ROW_COLUMNS
    assert set(audit["verdict"]) <= set(C.VERDICTS)
    assert set(audit["claim_id"]) == set(C.load_claims()["id"])
    finite = audit.dropna(subset=["ci_low", "ci_high"])
    ok = (finite["ci_low"] <= finite["estimate"] + 1e-9) & \
        (finite["estimate"] <= finite["ci_high"] + 1e-9)
    assert ok.all(), audit.loc[~ok, ["claim_id", "data_used"]]
    # each row's verdict follows the stated rule from its own interval and band
    for _, r in audit.iterrows():
        if r["verdict"] in (C.NOT_TESTABLE, C.CONTEXT):
            assert math.isnan(r["band_low"])
            continue
        assert r["verdict"] == C.verdict_from_interval(r["ci_low"], r["ci_high"],
                                                       (r["band_low"], r["band_high"]))
    summary = C.claims_summary(audit)
    assert len(summary) == audit["claim_id"].nunique()
    assert set(summary["verdict"]) <= set(C.VERDICTS)


def test_audit_deterministic(data, audit):
    again = C.audit_claims(data, n_boot=N_BOOT, seed=3)
    pd.testing.assert_frame_equal(audit, again)


# --------------------------------------------------------------------------- each claim


def test_retention_profit_matches_direct_formula(data, audit):
    rows = audit[audit.claim_id == "churn_cut_profit_25_85"].set_index("data_used")
    # 001-85 is the same computation against its own band
    other = audit[audit.claim_id == "retention_value_95pct"].set_index("data_used")
    assert np.allclose(other["estimate"], rows["estimate"])
    assert (other["band_low"] > rows["band_low"]).all()
    d, dl = 0.10, 0.05

    def pct(r: float) -> float:  # CLV = m r/(1+d-r): % change is margin-free
        return 100 * ((r + dl) / (1 + d - r - dl) / (r / (1 + d - r)) - 1)

    r_b2b = _km_at(data["smcrm_b2b_churn"], 365)
    assert rows.loc["smcrm_b2b_churn", "estimate"] == pytest.approx(pct(r_b2b), rel=1e-10)
    r_reg = (241 / 1000) ** (1 / 7)
    assert rows.loc["fader_hardie_retention (regular)", "estimate"] == \
        pytest.approx(pct(r_reg), rel=1e-10)
    # profit row: margin and acquisition cost straight from the SMCRM columns
    a = data["smcrm_acquisition_retention"]
    acq = a[a.acquisition == 1]
    m = ((acq.profit + acq.acq_exp) / (acq.duration / 365.25)).mean()
    ac = a.acq_exp.sum() / len(acq)

    def clv(r: float) -> float:
        return m * r / (1 + d - r)

    want = 100 * ((clv(r_b2b + dl) - ac) / (clv(r_b2b) - ac) - 1)
    assert rows.loc["smcrm_acquisition_retention + smcrm_b2b_churn", "estimate"] == \
        pytest.approx(want, rel=1e-10)


def test_acquisition_cost_ratio_direct(data, audit):
    a = data["smcrm_acquisition_retention"]
    acq = a[a.acquisition == 1]
    ac = a.acq_exp.sum() / len(acq)
    per_year = acq.ret_exp.sum() / (acq.duration.sum() / 365.25)
    rows = audit[audit.claim_id == "acquisition_cost_5x"]
    assert rows.iloc[0]["estimate"] == pytest.approx(ac / per_year, rel=1e-12)
    rows106 = audit[audit.claim_id == "acquisition_34_vs_retention_6_8"]
    assert rows106["estimate"].tolist() == rows["estimate"].tolist()
    assert rows.iloc[1]["estimate"] == pytest.approx(ac / acq.ret_exp.mean(), rel=1e-12)


def test_annual_churn_direct(data, retail_log, audit):
    rows = audit[audit.claim_id == "annual_churn_10pct"].set_index("data_used")
    b2b = data["smcrm_b2b_churn"]
    assert rows.loc["smcrm_b2b_churn (year 1)", "estimate"] == pytest.approx(
        1 - _km_at(b2b, 365), rel=1e-10)
    assert rows.loc["smcrm_b2b_churn (year 2)", "estimate"] == pytest.approx(
        1 - _km_at(b2b, 730) / _km_at(b2b, 365), rel=1e-10)
    t = data["telco_churn"]
    t = t[t.tenure >= 1]
    assert rows.loc["telco_churn", "estimate"] == pytest.approx(
        1 - (1 - t.churn.mean()) ** 12, rel=1e-12)
    c = data["cdnow_master"]
    base = set(c.loc[c.date <= "1997-06-30", "customer_id"])
    later = set(c.loc[(c.date > "1997-06-30") & (c.date <= "1998-06-30"), "customer_id"])
    assert rows.loc["cdnow_master", "estimate"] == pytest.approx(len(base - later) / len(base))
    o = retail_log
    base = set(o.loc[o.date < "2011-01-01", "customer_id"])
    later = set(o.loc[(o.date >= "2011-01-01") & (o.date < "2011-12-10"), "customer_id"])
    assert rows.loc["online_retail", "estimate"] == pytest.approx(len(base - later) / len(base))


def test_pareto_direct(data, retail_log, audit):
    rows = audit[audit.claim_id == "pareto_80_20"].set_index("data_used")
    tot = data["cdnow_master"].groupby("customer_id")["value"].sum().sort_values(
        ascending=False)
    k = len(tot) * 0.2
    assert k == int(k)  # 23,570 customers: the top 20% is a whole number of customers
    assert rows.loc["cdnow_master (revenue)", "estimate"] == pytest.approx(
        tot.iloc[: int(k)].sum() / tot.sum(), rel=1e-12)
    a = data["smcrm_acquisition_retention"]
    prof = np.sort(a.loc[a.acquisition == 1, "profit"].to_numpy())[::-1]
    k = 0.2 * prof.size
    want = (prof[: int(k)].sum() + (k - int(k)) * prof[int(k)]) / prof.sum()
    assert rows.loc["smcrm_acquisition_retention (profit)", "estimate"] == \
        pytest.approx(want, rel=1e-12)


def test_winback_direct(data, audit):
    w = data["smcrm_win_back"]
    lr = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(
        w[["duration_lapse"]].to_numpy(float), w["reacquire"])
    p = lr.predict_proba(np.array([[7.0], [28.0]]))[:, 1]
    rows = audit[audit.claim_id == "winback_week1_4x"]
    assert rows.iloc[0]["estimate"] == pytest.approx(p[0] / p[1], rel=1e-5)
    wk2 = w[w.duration_lapse.between(8, 14)].reacquire.mean()
    wk4 = w[w.duration_lapse.between(22, 28)].reacquire.mean()
    assert rows.iloc[1]["estimate"] == pytest.approx(wk2 / wk4)


def test_not_testable_claims(data, audit):
    rows = audit.set_index("claim_id")
    assert rows.loc["discount_half_value", "verdict"] == C.NOT_TESTABLE
    ch = audit[audit.claim_id == "channel_cost_ratios"]
    assert set(ch["verdict"]) == {C.CONTEXT}
    # source text 002: contact centre 1/10 of a distributor contact, self-service 1/20 of it
    assert ch["estimate"].iloc[:2].tolist() == pytest.approx([0.1, 0.05])
    assert sorted(ch["estimate"].iloc[2:]) == pytest.approx([1 / 30, 1 / 3])
    w = data["smcrm_win_back"]
    w = w[w.reacquire == 1]
    assert rows.loc["discount_half_value", "estimate"] == pytest.approx(
        w[w.offer == 30].sclv.mean() / w[w.offer == 20].sclv.mean())
    assert "Would test it" in rows.loc["discount_half_value", "note"]


# --------------------------------------------------------------------------- inputs


def test_bad_inputs_raise_clear_errors(data):
    with pytest.raises(DataError, match="acq_exp"):
        C.claim_acquisition_vs_retention_cost(
            data["smcrm_acquisition_retention"].drop(columns="acq_exp"), n_boot=5)
    with pytest.raises(DataError, match="duration_lapse"):
        C.claim_winback_timing(data["smcrm_win_back"].drop(columns="duration_lapse"), n_boot=5)
    with pytest.raises(ParameterError, match="n_boot"):
        C.claim_pareto(data["cdnow_master"], data["cdnow_master"],
                       data["smcrm_acquisition_retention"], n_boot=0)


def test_ratio_bootstrap_recovers_known_ratio():
    """Simulated prospects with known acquisition and retention spend: the bootstrap interval
    of the acquisition/retention ratio covers the true ratio (5 per customer-year)."""
    rng = np.random.default_rng(7)
    n = 4000
    acquired = rng.random(n) < 0.5
    years = np.where(acquired, rng.uniform(1, 3, n), 0.0)
    acq_exp = np.full(n, 250.0)  # 500 per acquired customer
    ret_exp = np.where(acquired, 100.0 * years, 0.0)  # 100 per customer-year
    df = pd.DataFrame({"acquisition": acquired.astype(int), "acq_exp": acq_exp,
                       "ret_exp": ret_exp, "duration": years * 365.25,
                       "profit": np.where(acquired, 1000.0, -acq_exp)})
    res = C.claim_acquisition_vs_retention_cost(df, n_boot=200, seed=1)
    first = res.iloc[0]
    truth = (250 * n / acquired.sum()) / 100
    assert first["ci_low"] <= truth <= first["ci_high"]
    assert abs(first["estimate"] - 5) < 0.4


@settings(max_examples=100, deadline=None)
@given(b0=st.floats(-100, 100), width=st.floats(0.1, 50), lo=st.floats(-200, 200),
       span=st.floats(0, 100))
def test_verdict_matches_set_relations(b0, width, lo, span):
    band = (b0, b0 + width)
    hi = lo + span
    v = C.verdict_from_interval(lo, hi, band)
    eps = 1e-6 * max(1.0, abs(b0), abs(b0 + width))
    if band[0] <= lo and hi <= band[1]:
        assert v == C.SUPPORTED
    elif hi < band[0] - eps or lo > band[1] + eps:
        assert v == C.CONTRADICTED
    elif (lo < band[0] - eps <= hi) or (lo <= band[1] + eps < hi):
        assert v == C.DEPENDS


def test_winback_ratio_recovers_simulated_truth():
    """Simulated lapses with known logistic win-back curve: the fitted P(7)/P(28) ratio is close
    to the true one and the bootstrap interval covers it."""
    rng = np.random.default_rng(5)
    n = 4000
    lapse = rng.integers(1, 120, n).astype(float)
    b0, b1 = 0.5, -0.06
    p = 1 / (1 + np.exp(-(b0 + b1 * lapse)))
    df = pd.DataFrame({"reacquire": (rng.random(n) < p).astype(int), "duration_lapse": lapse})
    truth = (1 + np.exp(-(b0 + b1 * 28))) / (1 + np.exp(-(b0 + b1 * 7)))
    est = C.winback_rate_ratio(df)
    assert est["ratio"] == pytest.approx(truth, rel=0.1)
    rows = C.claim_winback_timing(df, n_boot=100, seed=2)
    assert rows.iloc[0]["ci_low"] <= truth <= rows.iloc[0]["ci_high"]


# --------------------------------------------------------------------------- the complete audit


def test_every_inventory_claim_has_a_row(audit):
    """All 57 CLAIM items of the inventory, each with its inventory id in the table."""
    assert audit["inventory_id"].nunique() == 57
    decl = C.load_claims().set_index("id")
    for cid, g in audit.groupby("claim_id"):
        status = decl.loc[cid, "status"]
        if status == "context":
            assert set(g["verdict"]) == {C.CONTEXT}
        elif status == "not_testable":
            assert set(g["verdict"]) == {C.NOT_TESTABLE}
            assert g["note"].str.contains("Would test it").all()
        else:
            assert not set(g["verdict"]) & {C.CONTEXT, C.NOT_TESTABLE}
    overview = C.verdict_overview(C.claims_summary(audit))
    total = overview.set_index("theme").loc["all themes"]
    assert total["claims"] == 57
    assert total[list(C.VERDICTS)].sum() == 57


def test_contract_churn_uses_contractual_rows_only(audit):
    rows = audit[audit.claim_id == "cable_churn_25pct"]
    assert set(rows["data_used"]) == {"smcrm_b2b_churn (year 1)", "smcrm_b2b_churn (year 2)",
                                      "telco_churn"}
    same = audit[audit.claim_id == "annual_churn_10pct"].set_index("data_used")
    assert np.allclose(rows.set_index("data_used")["estimate"],
                       same.loc[rows["data_used"], "estimate"])


def test_tenure_and_repeat_hand_case():
    log = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3],
                        "date": pd.to_datetime(["2000-01-01", "2000-01-01", "2000-09-01",
                                                "2000-01-05", "2000-03-01", "2000-02-01"]),
                        "value": [10.0, 5.0, 30.0, 8.0, 4.0, 7.0]})
    tw = C.tenure_value_windows(log, 182)
    assert tw.to_dict("list") == {"customer_id": [1], "first_window": [15.0],
                                  "second_window": [30.0]}
    assert C.tenure_value_windows(log, 182, include_first_day=False)["first_window"].tolist() \
        == [0.0]
    rp = C.repeat_purchase_value(log).set_index("customer_id")
    assert rp.loc[1, "repeat"] == 30.0 and rp.loc[2, "repeat"] == 4.0 and rp.loc[3, "repeat"] == 0
    est, lo, hi = C.ratio_of_sums_ci(rp["repeat"].to_numpy(), rp["total"].to_numpy(), 200, 1,
                                     0.9)
    assert est == pytest.approx(34 / 64) and lo <= est <= hi


def test_ratio_of_sums_recovers_truth():
    rng = np.random.default_rng(5)
    den = rng.gamma(2.0, 10.0, 4000)
    num = 0.3 * den * rng.uniform(0.5, 1.5, den.size)  # true ratio of sums 0.3
    est, lo, hi = C.ratio_of_sums_ci(num, den, 300, 2, 0.95)
    assert lo < 0.3 < hi and abs(est - 0.3) < 0.01


def test_new_product_value_hand_case():
    raw = pd.DataFrame({
        "invoice": ["1", "1", "2", "2", "C3", "4"],
        "stock_code": ["A", "B", "A", "C", "D", "E"],
        "quantity": [1, 2, 1, 1, -1, 3],
        "unit_price": [10.0, 1.0, 10.0, 5.0, 2.0, 1.0],
        "customer_id": pd.array([7, 7, 7, 7, 7, None], dtype="Int64"),
        "invoice_date": pd.to_datetime(["2011-01-01", "2011-01-01", "2011-02-01",
                                        "2011-02-01", "2011-03-01", "2011-03-01"])})
    nv = C.new_product_value(raw)
    # invoice 2 repeats A (10) and adds C (5, new); the cancellation and the guest are dropped
    assert nv.to_dict("list") == {"customer_id": [7], "total": [27.0], "new_product": [5.0]}


def test_spend_ratio_and_precision_hand_cases():
    df = pd.DataFrame({"arm": ["t"] * 4 + ["c"] * 4, "spend": [2.0, 0, 4, 2, 1, 1, 0, 2]})
    r = C.spend_ratio(df, "arm", "t", "c", n_boot=100, seed=0)
    assert r["ratio"] == pytest.approx(2.0) and r["ci_low"] <= r["ci_high"]
    p = C.top_share_precision([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2], 0.4)
    assert (p["flagged"], p["churners"], p["precision"]) == (2, 1, 0.5)
    with pytest.raises(ParameterError):
        C.top_share_precision([1], [0.5], 0.0)
    with pytest.raises(DataError, match="spend"):
        C.spend_ratio(df.drop(columns="spend"), "arm", "t", "c")


def test_promotion_rows_match_direct_means(data, audit):
    h = data["hillstrom_email"]
    ratio = h[h.segment == "Mens E-Mail"].spend.mean() / h[h.segment == "No E-Mail"].spend.mean()
    rows = audit[audit.data_used == "hillstrom_email (Mens E-Mail)"].set_index("claim_id")
    assert rows.loc["online_sales_doubled", "estimate"] == pytest.approx(ratio)
    assert rows.loc["emailed_sales_25pct", "estimate"] == pytest.approx(ratio - 1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=5, max_size=60), st.floats(0.05, 1.0))
def test_precision_of_perfect_score_is_maximal(ys, share):
    y = np.array(ys, dtype=float)
    perfect = C.top_share_precision(y, y + 0.0, share)["precision"]
    rng = np.random.default_rng(len(ys))
    other = C.top_share_precision(y, rng.random(y.size), share)["precision"]
    assert perfect >= other - 1e-12


def test_claims_figure_text_is_at_least_9_pt_at_display_size() -> None:
    """Issue 12: the claims figure showed text at 8.6 pt (wider than the report column once
    saved). Saved as the report saves it, it fits the column and no text is below 9 pt."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crm_research.reporting import theme
    from crm_research.studies.plots_primer import plot_claims

    long_set = "smcrm_acquisition_retention (per whole relationship)"
    rows = pd.DataFrame({
        "claim_id": ["winback_week1_4x"] * 2 + ["churn_model_70pct"] * 2,
        "data_used": [long_set, "smcrm_win_back (days 8-14 vs 22-28)",
                      "telco_churn (top 10% flagged)", "telco_churn (top 20% flagged)"],
        "estimate": [1.0, 1.1, 0.75, 0.68], "ci_low": [0.5, 0.6, 0.72, 0.65],
        "ci_high": [2.5, 1.6, 0.78, 0.71], "band_low": [2.7, 2.7, 0.7, 0.7],
        "band_high": [6.0, 6.0, math.inf, math.inf],
        "unit": ["P(reacquired | offer at 7 days) / P(reacquired | offer at 28 days)"] * 2
        + ["share of the customers flagged by a churn model who churn (precision)"] * 2,
    })
    with plt.rc_context(theme.RC):
        fig = plot_claims(rows)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", dpi=theme.DISPLAY_DPI)
    width_px = int.from_bytes(buf.getvalue()[16:20], "big")
    assert width_px <= theme.MAX_DISPLAY_PX
    smallest = theme.smallest_display_pt(fig, width_px)
    assert smallest is not None and smallest >= theme.MIN_FONT_PT
    plt.close(fig)
