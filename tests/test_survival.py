"""Tests of crm_research.churn.survival (Kaplan-Meier, log-rank, Cox) via crm_research.churn."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from crm_research import churn
from crm_research.errors import DataError, EstimationError, ParameterError

Z95 = 1.959963984540054


def _tiny() -> pd.DataFrame:
    # times 1, 2, 2+, 3, 4+, 5  (+ = censored)
    return pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "churned": [1, 1, 0, 1, 0, 1]})


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------

def test_km_tiny_hand_computed():
    km = churn.kaplan_meier(_tiny(), "t", event="churned", ci_transform="log")
    cur = km.curves.set_index("time")
    # S(1) = 5/6; S(2) = 5/6 * 4/5; S(3) = 2/3 * 2/3; S(4) = 4/9 (censoring); S(5) = 0
    assert cur["survival"].tolist() == pytest.approx([1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    assert cur["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert cur["events"].tolist() == [0, 1, 1, 1, 0, 1]
    assert cur["censored"].tolist() == [0, 0, 1, 0, 1, 0]
    # Greenwood at t = 3: 1/(6*5) + 1/(5*4) + 1/(3*2) = 0.25
    v3 = 1 / 30 + 1 / 20 + 1 / 6
    assert v3 == pytest.approx(0.25)
    s3 = 4 / 9
    assert cur.loc[3.0, "std_error"] == pytest.approx(s3 * math.sqrt(v3))
    assert cur.loc[3.0, "ci_low"] == pytest.approx(s3 * math.exp(-Z95 * 0.5))
    assert cur.loc[3.0, "ci_high"] == pytest.approx(min(1.0, s3 * math.exp(Z95 * 0.5)))
    # log-log: exp(-exp(log(-log S) ± z sqrt(V)/|log S|))
    kll = churn.kaplan_meier(_tiny(), "t", event="churned").curves.set_index("time")
    theta, se = math.log(-math.log(s3)), 0.5 / abs(math.log(s3))
    assert kll.loc[3.0, "ci_low"] == pytest.approx(math.exp(-math.exp(theta + Z95 * se)))
    assert kll.loc[3.0, "ci_high"] == pytest.approx(math.exp(-math.exp(theta - Z95 * se)))
    assert math.isnan(kll.loc[5.0, "ci_low"])  # S = 0: interval undefined
    assert (kll.loc[0.0, "ci_low"], kll.loc[0.0, "ci_high"]) == (1.0, 1.0)
    med = km.medians.iloc[0]
    assert med["median"] == 3.0 and med["n"] == 6 and med["events"] == 4


def test_km_median_r_rule_for_exact_half():
    # S = .75, .5, .25, 0 at t = 1..4: S hits 0.5 exactly on [2, 3) -> median (2 + 3)/2
    df = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
    km = churn.kaplan_meier(df, "t", event="e")
    assert km.medians.loc[0, "median"] == pytest.approx(2.5)
    assert churn.median_from_curve([0, 1, 2], [1.0, 0.8, 0.6]) != churn.median_from_curve(
        [0, 1, 2], [1.0, 0.8, 0.4])
    assert math.isnan(churn.median_from_curve([0, 1, 2], [1.0, 0.8, 0.6]))
    assert churn.median_from_curve([0, 1, 2], [1.0, 0.8, 0.4]) == 2.0


def test_km_loglog_interval_matches_lifelines():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(2)
    t = np.round(rng.exponential(10, size=200), 1)
    e = (rng.random(200) < 0.7).astype(int)
    km = churn.kaplan_meier(pd.DataFrame({"t": t, "e": e}), "t", event="e")
    kmf = KaplanMeierFitter().fit(t, e)
    ci = kmf.confidence_interval_
    cur = km.curves.set_index("time")
    common = cur.index[(cur["survival"] > 0) & (cur["events"].cumsum() > 0)]
    assert np.allclose(cur.loc[common, "ci_low"], ci.loc[common].iloc[:, 0], atol=1e-10)
    assert np.allclose(cur.loc[common, "ci_high"], ci.loc[common].iloc[:, 1], atol=1e-10)
    assert np.allclose(cur["survival"], kmf.survival_function_.loc[cur.index].iloc[:, 0])


def test_km_recovers_exponential_median_by_group():
    rng = np.random.default_rng(21)
    n = 3000
    grp = rng.choice(["slow", "fast"], size=n)
    rate = np.where(grp == "slow", 0.05, 0.2)
    life = rng.exponential(1 / rate)
    cens = rng.uniform(0, 60, size=n)
    df = pd.DataFrame({"time": np.minimum(life, cens), "censored": (life > cens).astype(int),
                       "grp": grp})
    km = churn.kaplan_meier(df, "time", censor="censored", group="grp")
    med = km.medians.set_index("group")
    assert list(med.index) == ["fast", "slow"]  # sorted levels
    for g, lam in [("slow", 0.05), ("fast", 0.2)]:
        truth = math.log(2) / lam
        assert med.loc[g, "median_ci_low"] <= truth <= med.loc[g, "median_ci_high"]
        assert med.loc[g, "median"] == pytest.approx(truth, rel=0.08)
    # S(t) at t = 5 for the fast group: exp(-1)
    at = km.survival_at([5.0]).set_index("group")
    assert at.loc["fast", "survival"] == pytest.approx(math.exp(-1), abs=0.03)


@given(data=st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40),
       transform=st.sampled_from(churn.CI_TRANSFORMS))
@settings(max_examples=60, deadline=None)
def test_km_properties(data, transform):
    df = pd.DataFrame(data, columns=["t", "e"])
    km = churn.kaplan_meier(df, "t", event="e", ci_transform=transform)
    cur = km.curves
    s = cur["survival"].to_numpy()
    assert np.all(np.diff(s) <= 1e-12) and s.min() >= 0 and s.max() <= 1
    ok = cur["ci_low"].notna()
    assert np.all(cur.loc[ok, "ci_low"] <= cur.loc[ok, "survival"] + 1e-12)
    assert np.all(cur.loc[ok, "survival"] <= cur.loc[ok, "ci_high"] + 1e-12)
    assert cur["events"].sum() == df["e"].sum()
    med = km.medians.iloc[0]
    if not math.isnan(med["median"]):
        if not math.isnan(med["median_ci_low"]):
            assert med["median_ci_low"] <= med["median"]
        if not math.isnan(med["median_ci_high"]):
            assert med["median"] <= med["median_ci_high"]


def test_km_input_errors():
    df = _tiny()
    with pytest.raises(ParameterError, match="exactly one"):
        churn.kaplan_meier(df, "t", event="churned", censor="churned")
    with pytest.raises(DataError, match="data row 3 "):
        churn.kaplan_meier(df.assign(t=[1, 2, -1, 3, 4, 5]), "t", event="churned")
    with pytest.raises(DataError, match="bool or 0/1"):
        churn.kaplan_meier(df.assign(churned=[1, 2, 0, 1, 0, 1]), "t", event="churned")
    with pytest.raises(ParameterError, match="ci_transform"):
        churn.kaplan_meier(df, "t", event="churned", ci_transform="arcsine")
    # censor = 1 - event gives the same curve
    a = churn.kaplan_meier(df, "t", event="churned").curves
    b = churn.kaplan_meier(df.assign(c=1 - df["churned"]), "t", censor="c").curves
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------------------------
# log-rank
# --------------------------------------------------------------------------------------------

def test_logrank_hand_computed():
    # A: 1, 3, 4+   B: 2, 5, 6
    df = pd.DataFrame({"t": [1, 3, 4, 2, 5, 6], "e": [1, 1, 0, 1, 1, 1],
                       "g": list("AAABBB")})
    res = churn.logrank(df, "t", "g", event="e")
    # E_A = .5 + .4 + .5 = 1.4, O_A = 2; V = .25 + .24 + .25 = .74 -> chi2 = .36/.74
    assert res.statistic == pytest.approx(0.36 / 0.74)
    assert res.df == 1
    assert res.p_value == pytest.approx(stats.chi2.sf(0.36 / 0.74, 1))
    tab = res.table.set_index("group")
    assert tab.loc["A", "expected"] == pytest.approx(1.4)
    assert tab.loc["B", "expected"] == pytest.approx(5 - 1.4)  # Σ E = Σ O
    assert tab["observed"].tolist() == [2, 3]


def test_logrank_detects_difference_and_errors():
    rng = np.random.default_rng(4)
    g = np.repeat(["a", "b", "c"], 300)
    life = rng.exponential(np.where(g == "c", 5.0, 10.0))
    df = pd.DataFrame({"t": life, "e": 1, "g": g})
    res = churn.logrank(df, "t", "g", event="e")
    assert res.df == 2 and res.p_value < 1e-6
    assert res.table["expected"].sum() == pytest.approx(res.table["observed"].sum())
    same = churn.logrank(df.assign(g=np.tile(["a", "b", "c"], 300)), "t", "g", event="e")
    assert same.p_value > 0.001
    with pytest.raises(EstimationError, match="only one level"):
        churn.logrank(df.assign(g="a"), "t", "g", event="e")


# --------------------------------------------------------------------------------------------
# Cox
# --------------------------------------------------------------------------------------------

def _efron_negloglik(beta: np.ndarray, X: np.ndarray, t: np.ndarray, e: np.ndarray) -> float:
    """Efron (1977) partial log-likelihood, written out directly (negated)."""
    eta = X @ beta
    r = np.exp(eta)
    ll = 0.0
    for tj in np.unique(t[e == 1]):
        dead = (t == tj) & (e == 1)
        risk = t >= tj
        d = dead.sum()
        s_risk, s_dead = r[risk].sum(), r[dead].sum()
        ll += eta[dead].sum()
        for k in range(d):
            ll -= math.log(s_risk - k / d * s_dead)
    return -ll


def test_cox_matches_direct_efron_maximisation():
    rng = np.random.default_rng(8)
    n = 150
    x = rng.normal(size=n)
    grp = rng.choice(["p", "q", "r"], size=n)
    life = rng.exponential(1 / np.exp(0.5 * x + 0.4 * (grp == "r")))
    t = np.ceil(life * 4)  # integer times: many ties
    e = (rng.random(n) < 0.8).astype(int)
    df = pd.DataFrame({"t": t, "e": e, "x": x, "grp": grp})
    res = churn.fit_cox(df, "t", ["x", "grp"], event="e")
    X = np.column_stack([x, grp == "q", grp == "r"]).astype(float)
    opt = optimize.minimize(_efron_negloglik, np.zeros(3), args=(X, t, e), method="BFGS",
                            options={"gtol": 1e-9})
    assert res.table["estimate"].to_numpy() == pytest.approx(opt.x, abs=2e-5)
    assert res.log_likelihood == pytest.approx(-opt.fun, abs=1e-6)
    assert list(res.table["term"]) == ["x", "grp[T.q]", "grp[T.r]"]
    assert res.reference_levels == {"grp": "p"}
    tab = res.table
    assert np.allclose(tab["hazard_ratio"], np.exp(tab["estimate"]))
    assert np.allclose(tab["hazard_ratio_ci_low"],
                       np.exp(tab["estimate"] - Z95 * tab["std_error"]))
    assert np.allclose(tab["ci_low"], tab["estimate"] - Z95 * tab["std_error"])


def test_cox_recovers_log_hazard_ratios_and_ph_holds():
    rng = np.random.default_rng(12)
    n = 2000
    x = rng.normal(size=n)
    flag = rng.random(n) < 0.5
    beta = np.array([0.7, -0.5])
    life = rng.exponential(1 / (0.1 * np.exp(beta[0] * x + beta[1] * flag)))
    cens = rng.uniform(0, 30, size=n)
    df = pd.DataFrame({"t": np.minimum(life, cens), "c": (life > cens).astype(int), "x": x,
                       "flag": flag})
    res = churn.fit_cox(df, "t", ["x", "flag"], censor="c")
    tab = res.table.set_index("term")
    for term, b in zip(["x", "flag"], beta, strict=True):
        assert abs(tab.loc[term, "estimate"] - b) < 4 * tab.loc[term, "std_error"]
        assert tab.loc[term, "hazard_ratio_ci_low"] < math.exp(b) < tab.loc[term,
                                                                             "hazard_ratio_ci_high"]
        assert tab.loc[term, "ci_low"] < b < tab.loc[term, "ci_high"]
    assert res.ph_test["p_value"].min() > 0.01
    assert list(res.ph_test["term"]) == ["x", "flag", "GLOBAL"]
    assert res.ph_test["df"].tolist() == [1, 1, 2]
    assert res.n == n and res.n_events == int((1 - df["c"]).sum())
    assert 0.5 < res.concordance < 1


def test_cox_ph_check_flags_crossing_hazards():
    rng = np.random.default_rng(13)
    n = 1500
    grp = rng.random(n) < 0.5
    # Weibull shapes 0.5 vs 2 with equal scale: hazards cross, PH is violated
    life = np.where(grp, rng.weibull(0.5, n), rng.weibull(2.0, n)) * 10
    df = pd.DataFrame({"t": life, "e": 1, "grp": grp})
    for transform in ("km", "rank"):
        res = churn.fit_cox(df, "t", ["grp"], event="e", ph_transform=transform)
        assert res.ph_test.loc[0, "p_value"] < 1e-6
        assert res.ph_test.loc[0, "transform"] == transform


def test_cox_errors():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"t": rng.exponential(5, 60).round(1) + 0.1,
                       "churned": (rng.random(60) < 0.7).astype(int), "x": rng.normal(size=60)})
    with pytest.raises(EstimationError, match="no events"):
        churn.fit_cox(df.assign(churned=0), "t", ["x"], event="churned")
    with pytest.raises(ParameterError, match="ph_transform"):
        churn.fit_cox(df, "t", ["x"], event="churned", ph_transform="sqrt")
    with pytest.raises(ParameterError, match="exactly one"):
        churn.fit_cox(df, "t", ["x"])
    gappy = df.assign(x=[np.nan] + list(df["x"].iloc[1:]))
    with pytest.raises(DataError, match="'x' has 1 missing"):
        churn.fit_cox(gappy, "t", ["x"], event="churned")
    res = churn.fit_cox(gappy, "t", ["x"], event="churned", missing="drop")
    assert res.n == 59 and res.n_dropped == 1
    # a covariate that separates churners from stayers: infinite hazard ratio
    sep = df.assign(x=df["churned"] * 10.0 + rng.normal(scale=0.01, size=60))
    sep.loc[sep["churned"] == 1, "t"] = sep["t"].max() + 1 + np.arange(int(sep["churned"].sum()))
    with pytest.raises(EstimationError):
        churn.fit_cox(sep.assign(t=sep["t"].rank()), "t", ["x"], event="churned")


# --------------------------------------------------------------------------------------------
# delayed entry (left truncation) and cross-checks with lifelines
# --------------------------------------------------------------------------------------------

def test_km_delayed_entry_hand_computed():
    df = pd.DataFrame({"t": [2, 3, 3, 5], "e": [1, 1, 0, 1], "entry": [0, 1, 2, 2]})
    cur = churn.kaplan_meier(df, "t", event="e", entry="entry").curves.set_index("time")
    # risk set at t: entry < t <= duration. t=2: {1, 2}; t=3: {2, 3, 4}; t=5: {4}
    assert cur.loc[[2.0, 3.0, 5.0], "at_risk"].tolist() == [2, 3, 1]
    assert cur.loc[[2.0, 3.0, 5.0], "survival"].tolist() == pytest.approx([1 / 2, 1 / 3, 0])
    with pytest.raises(DataError, match="must not exceed"):
        churn.kaplan_meier(df.assign(entry=[0, 4, 0, 0]), "t", event="e", entry="entry")
    with pytest.raises(DataError, match="event at its entry time"):
        churn.kaplan_meier(df.assign(entry=[2, 0, 0, 0]), "t", event="e", entry="entry")


def test_snapshot_entry():
    df = pd.DataFrame({"tenure": [0, 1, 5, 72]})
    out = churn.snapshot_entry(df, "tenure", 1)
    assert out["entry"].tolist() == [0, 0, 4, 71]
    assert "entry" not in df.columns
    with pytest.raises(ParameterError, match="window"):
        churn.snapshot_entry(df, "tenure", 0)


def test_logrank_matches_lifelines_and_entry_zero_is_no_entry():
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(31)
    g = rng.choice(["x", "y", "z"], size=240)
    t = np.ceil(rng.exponential(np.where(g == "z", 4.0, 6.0)))
    e = (rng.random(240) < 0.75).astype(int)
    df = pd.DataFrame({"t": t, "e": e, "g": g, "zero": 0.0})
    ours = churn.logrank(df, "t", "g", event="e")
    ref = multivariate_logrank_test(t, g, e)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-7)
    with_entry = churn.logrank(df, "t", "g", event="e", entry="zero")
    assert with_entry.statistic == pytest.approx(ours.statistic, rel=1e-12)


def test_cox_with_entry_matches_direct_efron():
    rng = np.random.default_rng(17)
    n = 200
    x = rng.normal(size=n)
    life = np.ceil(rng.exponential(1 / (0.2 * np.exp(0.6 * x))))
    entry = np.floor(rng.uniform(0, 1, n) * (life - 1).clip(0))
    e = (rng.random(n) < 0.85).astype(int)
    df = pd.DataFrame({"t": life, "e": e, "x": x, "en": entry})
    res = churn.fit_cox(df, "t", ["x"], event="e", entry="en")

    def negll(beta):
        eta = x * beta[0]
        r = np.exp(eta)
        ll = 0.0
        for tj in np.unique(life[e == 1]):
            dead = (life == tj) & (e == 1)
            risk = (entry < tj) & (life >= tj)
            d = dead.sum()
            s_risk, s_dead = r[risk].sum(), r[dead].sum()
            ll += eta[dead].sum() - sum(math.log(s_risk - k / d * s_dead) for k in range(d))
        return -ll

    opt = optimize.minimize(negll, np.zeros(1), method="BFGS", options={"gtol": 1e-9})
    assert res.table.loc[0, "estimate"] == pytest.approx(opt.x[0], abs=2e-5)
    # the PH score test respects delayed entry (checked against R in test_zph_matches_r)
    assert np.isfinite(res.ph_test["statistic"]).all()


def test_plot_km_returns_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crm_research.churn.plots import plot_km

    df = _tiny().assign(g=list("aabbab"))
    fig = plot_km(churn.kaplan_meier(df, "t", event="churned", group="g"), "KM", "months")
    assert fig.axes[0].get_xlabel() == "months"
    plt.close(fig)
    with pytest.raises(ParameterError):
        plot_km(df)


# --------------------------------------------------------------------------------------------
# proportional-hazards score test (R survival >= 3.0 cox.zph)
# --------------------------------------------------------------------------------------------

REFERENCE = Path(__file__).parent / "reference"
TELCO_COX = ["contract", "internet_service", "payment_method", "monthly_charges",
             "paperless_billing", "senior_citizen", "partner", "dependents"]


def _zph_tiny() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # R survival tests/zph.R: time 9, 1, 1+, 6, 6, 8+ with x = 0, 1, 1, 1, 0, 0
    return (np.array([9, 1, 1, 6, 6, 8.0]), np.array([1, 1, 0, 1, 1, 0.0]),
            np.array([0, 1, 1, 1, 0, 0.0]))


def _hand_score_test(U: np.ndarray, imat: np.ndarray, g: np.ndarray) -> float:
    """Score test of (β, θ) = (β̂, 0) from per-death score and information terms."""
    u = np.array([U.sum(), (g * U).sum()])
    i2 = np.array([[imat.sum(), (g * imat).sum()], [(g * imat).sum(), (g * g * imat).sum()]])
    return float(u @ np.linalg.solve(i2, u))


def test_zph_hand_computed_breslow_and_efron():
    # closed-form MLEs and per-death score / information (Therneau, R survival tests/zph.R)
    t, e, x = _zph_tiny()
    g = np.array([1, 6, 6, 9.0])  # the four death times
    r = (3 + math.sqrt(33)) / 2   # Breslow: exp(beta-hat)
    U = np.array([1 / (r + 1), 3 / (r + 3), -r / (r + 3), 0])
    im = np.array([r / (r + 1) ** 2, 3 * r / (r + 3) ** 2, 3 * r / (r + 3) ** 2, 0])
    for transform, gg in (("identity", g), ("log", np.log(g))):
        res = churn.cox_zph(t, e, x, [math.log(r)], transform=transform, ties="breslow")
        assert res.loc[0, "statistic"] == pytest.approx(_hand_score_test(U, im, gg), rel=1e-10)
    phi = math.acos((45 / 23) * math.sqrt(3 / 23))
    r = 2 * math.sqrt(23 / 3) * math.cos(phi / 3)  # Efron: exp(beta-hat)
    U = np.array([1 / (r + 1), 3 / (r + 3), -r / (r + 5), 0])
    im = np.array([r / (r + 1) ** 2, 3 * r / (r + 3) ** 2, 5 * r / (r + 5) ** 2, 0])
    expected = _hand_score_test(U, im, np.log(g))
    res = churn.cox_zph(t, e, x, [math.log(r)], transform="log")
    assert res.loc[0, "statistic"] == pytest.approx(expected, rel=1e-10)
    assert res["term"].tolist() == ["x1", "GLOBAL"]
    # a zero start time is the same model
    again = churn.cox_zph(t, e, x, [math.log(r)], entry=np.zeros(6), transform="log")
    assert again.loc[0, "statistic"] == pytest.approx(expected, rel=1e-10)


def _r_case(dataset: str) -> tuple[pd.DataFrame, str, str, list[str], str | None]:
    if dataset == "ovarian":
        return pd.read_csv(REFERENCE / "ovarian.csv"), "futime", "fustat", ["age", "ecog.ps"], None
    vet = pd.read_csv(REFERENCE / "veteran.csv")
    for level in ("smallcell", "adeno", "large"):
        vet[f"celltype{level}"] = (vet["celltype"] == level).astype(float)
    if dataset == "veteran_entry":
        return vet.assign(entry=np.minimum(10, vet["time"] / 2)), "time", "status", \
            ["trt", "karno", "age"], "entry"
    return vet, "time", "status", ["trt", "karno", "age", "celltypesmallcell", "celltypeadeno",
                                   "celltypelarge"], None


def test_zph_matches_r_survival_reference_values():
    ref = pd.read_csv(REFERENCE / "cox_zph_r.csv")
    coefs = pd.read_csv(REFERENCE / "cox_zph_r_coef.csv")
    # the published example output (R survival's cox.zph help page, ovarian data)
    km = ref[(ref["dataset"] == "ovarian") & ref["call"].str.contains('"km"')]
    assert km["chisq"].round(3).tolist() == [0.698, 2.371, 3.633]
    for (dataset, call), want in ref.groupby(["dataset", "call"], sort=False):
        base = "veteran" if dataset == "veteran_terms" else dataset
        df, time, status, cols, entry = _r_case(base)
        beta = coefs.loc[coefs["dataset"] == base, "coef"].to_numpy(dtype=float)
        transform = call.split('transform = "')[1].split('"')[0]
        terms = {"trt": [0], "karno": [1], "age": [2], "celltype": [3, 4, 5]} \
            if dataset == "veteran_terms" else None
        got = churn.cox_zph(df[time], df[status], df[cols], beta,
                            entry=None if entry is None else df[entry], transform=transform,
                            terms=terms)
        assert got["statistic"].to_numpy() == pytest.approx(want["chisq"].to_numpy(),
                                                            rel=1e-5, abs=1e-6), call
        assert got["df"].tolist() == want["df"].astype(int).tolist(), call
        assert got["p_value"].to_numpy() == pytest.approx(want["p"].to_numpy(), rel=1e-4,
                                                          abs=1e-12), call


def write_telco_design(path: str = "/tmp/telco_cox_design.csv") -> None:
    """The Telco Cox design of tests/reference/cox_zph_r.R (for re-running the R script)."""
    from crm_research.data.datasets import load

    telco = load("telco_churn")
    X = churn.design_matrix(telco, TELCO_COX)
    X.columns = [c.replace("[T.", "__").replace("]", "").replace(" ", "_").replace("(", "")
                 .replace(")", "").replace("-", "_") for c in X.columns]
    X["tenure"] = telco["tenure"].to_numpy(float)
    X["churn"] = telco["churn"].astype(int).to_numpy()
    X.to_csv(path, index=False)


def test_zph_on_telco_model_matches_r():
    # issue 11: R gives paperless_billing 3.80 and internet_service=No 22.7 on this model
    from crm_research.data.datasets import load

    want = pd.read_csv(REFERENCE / "telco_zph_r.csv")
    res = churn.fit_cox(load("telco_churn"), "tenure", TELCO_COX, event="churn")
    got = res.ph_test
    assert got["statistic"].to_numpy() == pytest.approx(want["chisq"].to_numpy(), rel=1e-4)
    stat = got.set_index("term")["statistic"]
    assert stat["paperless_billing"] == pytest.approx(3.797, abs=1e-3)
    assert stat["internet_service[T.No]"] == pytest.approx(22.74, abs=1e-2)


@settings(max_examples=15, deadline=None)
@given(shift=st.floats(-50, 50), scale=st.floats(0.1, 10), seed=st.integers(0, 10_000))
def test_zph_invariant_to_covariate_location_and_scale(shift, scale, seed):
    # x -> a + b x with beta -> beta / b is the same model: the test must not change
    rng = np.random.default_rng(seed)
    n = 60
    x = rng.normal(size=n)
    t = np.ceil(rng.exponential(1 / np.exp(0.5 * x)) * 5)
    e = (rng.random(n) < 0.8).astype(float)
    base = churn.cox_zph(t, e, x, [0.5])
    moved = churn.cox_zph(t, e, shift + scale * x, [0.5 / scale])
    assert moved["statistic"].to_numpy() == pytest.approx(base["statistic"].to_numpy(),
                                                          rel=1e-6, abs=1e-9)


def test_zph_detects_time_varying_effect_and_not_constant_one():
    # simulated truth: a constant hazard ratio (PH holds) vs an effect that flips sign at t = 1
    rng = np.random.default_rng(21)
    n = 3000
    x = (rng.random(n) < 0.5).astype(float)
    ph_life = rng.exponential(1 / np.exp(0.7 * x))
    early = rng.exponential(1 / np.exp(1.0 * x))
    late = 1 + rng.exponential(1 / np.exp(-1.0 * x))
    tv_life = np.where(early < 1, early, late)
    cens = rng.uniform(0, 3, n)
    for life, violated in ((ph_life, False), (tv_life, True)):
        df = pd.DataFrame({"t": np.minimum(life, cens), "e": (life <= cens).astype(int), "x": x})
        res = churn.fit_cox(df, "t", ["x"], event="e")
        p = res.ph_test.loc[0, "p_value"]
        assert (p < 1e-6) if violated else (p > 0.01)


def test_zph_input_errors():
    t, e, x = _zph_tiny()
    with pytest.raises(ParameterError, match="transform"):
        churn.cox_zph(t, e, x, [0.1], transform="sqrt")
    with pytest.raises(ParameterError, match="beta"):
        churn.cox_zph(t, e, x, [0.1, 0.2])
    with pytest.raises(EstimationError, match="no events"):
        churn.cox_zph(t, np.zeros(6), x, [0.1])
    with pytest.raises(DataError, match="0/1"):
        churn.cox_zph(t, e * 2, x, [0.1])
