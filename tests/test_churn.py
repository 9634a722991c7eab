"""Tests of crm_research.churn.{rates, design, logit, prediction} (via crm_research.churn).

Three kinds: hand-checkable cases and published values, recovery of known truth on simulated
data, and hypothesis property tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_research import churn
from crm_research.errors import (
    DataError,
    EstimationError,
    ParameterError,
    SpecError,
)

Z95 = 1.959963984540054


# --------------------------------------------------------------------------------------------
# Wilson interval
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score, no CC)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_table(k, n, low, high):
    lo, hi = churn.proportion_ci(k, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_equals_formula_on_small_case():
    # k = 3 of n = 10 by the closed form, written out independently
    k, n, z = 3, 10, Z95
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    lo, hi = churn.proportion_ci(k, n)
    assert lo == pytest.approx(centre - half, abs=1e-14)
    assert hi == pytest.approx(centre + half, abs=1e-14)
    # R: prop.test(3, 10, correct = FALSE)$conf.int -> 0.1077913 0.6032219
    assert (lo, hi) == pytest.approx((0.1077913, 0.6032219), abs=5e-8)


def test_wilson_other_level_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(7, 40), (0, 5), (12, 12), (300, 1000)]:
        expected = proportion_confint(k, n, alpha=0.1, method="wilson")
        assert churn.proportion_ci(k, n, level=0.9) == pytest.approx(expected, abs=1e-12)


@given(n=st.integers(1, 5000), frac=st.floats(0, 1), level=st.floats(0.5, 0.999))
@settings(max_examples=150, deadline=None)
def test_wilson_contains_rate_and_is_ordered(n, frac, level):
    k = int(round(frac * n))
    lo, hi = churn.proportion_ci(k, n, level)
    assert 0.0 <= lo <= k / n + 1e-12
    assert k / n - 1e-12 <= hi <= 1.0
    lo2, hi2 = churn.proportion_ci(k, n, min(0.9999, level + 0.0005))
    assert lo2 <= lo + 1e-12 and hi2 >= hi - 1e-12  # higher level, wider interval


def test_wilson_rejects_bad_input():
    with pytest.raises(DataError, match="0 <= k <= n"):
        churn.proportion_ci(5, 3)
    with pytest.raises(ParameterError, match="level"):
        churn.proportion_ci(1, 3, level=1.5)


# --------------------------------------------------------------------------------------------
# churn rates by segment
# --------------------------------------------------------------------------------------------

def _toy_segments() -> pd.DataFrame:
    # plan A: 2 of 4 churn; plan B: 1 of 6 churn
    return pd.DataFrame({
        "churn": [True, True, False, False, True, False, False, False, False, False],
        "plan": pd.Categorical(list("AAAABBBBBB"), categories=["B", "A", "C"]),
    })


def test_churn_rates_hand_case():
    out = churn.churn_rates(_toy_segments(), "churn", by="plan")
    assert list(out["variable"]) == ["overall", "plan", "plan"]
    # category order, unobserved level C left out
    assert list(out["level"]) == ["all", "B", "A"]
    assert list(out["n"]) == [10, 6, 4]
    assert list(out["churned"]) == [3, 1, 2]
    assert out["rate"].tolist() == pytest.approx([0.3, 1 / 6, 0.5])
    lo, hi = churn.proportion_ci(2, 4)
    assert out.loc[2, "ci_low"] == pytest.approx(lo) and out.loc[2, "ci_high"] == pytest.approx(hi)
    # Pearson chi-square (no correction) on [[1, 5], [2, 2]] by hand: expected = row*col/N
    obs = np.array([[1, 5], [2, 2]], dtype=float)
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert out.loc[1, "chi2"] == pytest.approx(chi2)
    assert out.loc[1, "chi2_p"] == pytest.approx(stats.chi2.sf(chi2, 1))
    assert math.isnan(out.loc[0, "chi2"])


def test_churn_rates_errors():
    df = _toy_segments()
    with pytest.raises(DataError, match="'nope'"):
        churn.churn_rates(df, "churn", by="nope")
    bad = df.assign(churn=[0, 1, 2, 0, 0, 0, 0, 0, 0, 0])
    with pytest.raises(DataError, match="bool or 0/1"):
        churn.churn_rates(bad, "churn")
    gap = df.assign(churn=[1.0, np.nan] + [0.0] * 8)
    with pytest.raises(DataError, match="missing"):
        churn.churn_rates(gap, "churn")


def test_top_code_hand_case():
    df = pd.DataFrame({"calls": [0, 1, 2, 3, 4, 5, 9]})
    out = churn.top_code(df, "calls", 4)
    assert list(out["calls"].astype(str)) == ["0", "1", "2", "3", "4+", "4+", "4+"]
    assert list(out["calls"].cat.categories) == ["0", "1", "2", "3", "4+"]
    assert df["calls"].tolist() == [0, 1, 2, 3, 4, 5, 9]  # input untouched
    with pytest.raises(DataError, match="non-negative integers"):
        churn.top_code(pd.DataFrame({"calls": [1.5]}), "calls", 4)


# --------------------------------------------------------------------------------------------
# design matrix
# --------------------------------------------------------------------------------------------

def test_design_matrix_coding():
    df = pd.DataFrame({
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 6.0, 9.0],
        "flag": [True, False, True, True, False, False, True, False],
        "contract": pd.Categorical(["m", "y", "m", "2y", "y", "m", "y", "2y"],
                                   categories=["m", "y", "2y"]),
        "region": ["n", "s", "s", "e", "n", "e", "e", "s"],
    })
    X = churn.design_matrix(df, ["x", "flag", "contract", "region"], intercept=True)
    assert list(X.columns) == ["Intercept", "x", "flag", "contract[T.y]", "contract[T.2y]",
                               "region[T.n]", "region[T.s]"]
    assert X["flag"].tolist() == [1, 0, 1, 1, 0, 0, 1, 0]
    assert X["contract[T.2y]"].tolist() == [0, 0, 0, 1, 0, 0, 0, 1]
    assert X["region[T.s]"].tolist() == [0, 1, 1, 0, 0, 0, 0, 1]  # reference 'e' (sorted)
    X2 = churn.design_matrix(df, ["contract"], reference={"contract": "2y"})
    assert list(X2.columns) == ["contract[T.m]", "contract[T.y]"]


def test_design_matrix_errors():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0],
                       "c": ["u", "v", "u", "v"]})
    with pytest.raises(EstimationError, match="rank deficient"):
        churn.design_matrix(df, ["a", "b"])
    with pytest.raises(SpecError, match="reference level 'w'"):
        churn.design_matrix(df, ["c"], reference={"c": "w"})
    with pytest.raises(DataError, match="'a' has 1 missing"):
        churn.design_matrix(df.assign(a=[1.0, np.nan, 3.0, 4.0]), ["a", "c"])
    with pytest.raises(DataError, match="not found"):
        churn.design_matrix(df, ["zz"])
    with pytest.raises(EstimationError, match=r"\['k'\] do not vary"):
        churn.design_matrix(df.assign(k=3.0), ["a", "k"])
    with pytest.raises(EstimationError, match=r"\['c'\] have a single"):
        churn.design_matrix(df.assign(c="u"), ["a", "c"])


# --------------------------------------------------------------------------------------------
# logistic regression
# --------------------------------------------------------------------------------------------

def _two_by_two(a: int, b: int, c: int, d: int) -> pd.DataFrame:
    """Exposed: a churn, b stay; unexposed: c churn, d stay."""
    rows = ([(True, True)] * a + [(True, False)] * b + [(False, True)] * c
            + [(False, False)] * d)
    return pd.DataFrame(rows, columns=["exposed", "churn"])


def test_logit_odds_ratio_equals_cross_product_ratio():
    a, b, c, d = 30, 70, 15, 85
    res = churn.fit_logit(_two_by_two(a, b, c, d), "churn", ["exposed"])
    row = res.table.set_index("term").loc["exposed"]
    assert row["odds_ratio"] == pytest.approx(a * d / (b * c), rel=1e-9)
    # Woolf's standard error of log OR = sqrt(1/a + 1/b + 1/c + 1/d)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert row["std_error"] == pytest.approx(se, rel=1e-7)
    assert row["odds_ratio_ci_low"] == pytest.approx(
        math.exp(math.log(a * d / (b * c)) - Z95 * se), rel=1e-7)
    assert row["ci_low"] == pytest.approx(math.log(a * d / (b * c)) - Z95 * se, rel=1e-7)
    intercept = res.table.set_index("term").loc["Intercept"]
    assert intercept["odds_ratio"] == pytest.approx(c / d, rel=1e-9)
    assert res.n == 200 and res.n_events == 45


def test_logit_recovers_simulated_coefficients():
    rng = np.random.default_rng(11)
    n = 20000
    x = rng.normal(size=n)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    flag = rng.random(n) < 0.4
    eta = -1.0 + 0.8 * x + 0.5 * (plan == "plus") - 0.7 * (plan == "pro") + 0.6 * flag
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    df = pd.DataFrame({"churn": y, "x": x, "plan": plan, "flag": flag})
    res = churn.fit_logit(df, "churn", ["x", "plan", "flag"])
    truth = {"Intercept": -1.0, "x": 0.8, "plan[T.plus]": 0.5, "plan[T.pro]": -0.7, "flag": 0.6}
    tab = res.table.set_index("term")
    for term, beta in truth.items():
        assert abs(tab.loc[term, "estimate"] - beta) < 4 * tab.loc[term, "std_error"], term
        assert tab.loc[term, "std_error"] < 0.06
    assert res.reference_levels == {"plan": "basic"}
    assert res.lr_p < 1e-10 and 0 < res.mcfadden_r2 < 1


def test_logit_matches_wald_definitions():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=300)})
    df["churn"] = rng.random(300) < 1 / (1 + np.exp(-(0.3 + df["x"])))
    res = churn.fit_logit(df, "churn", ["x"], level=0.9)
    tab = res.table
    z90 = stats.norm.ppf(0.95)
    assert np.allclose(tab["odds_ratio_ci_high"],
                       np.exp(tab["estimate"] + z90 * tab["std_error"]))
    assert np.allclose(tab["ci_high"], tab["estimate"] + z90 * tab["std_error"])
    assert np.allclose(tab["p_value"], 2 * stats.norm.sf(abs(tab["estimate"] / tab["std_error"])))
    assert res.aic == pytest.approx(-2 * res.log_likelihood + 4)


def test_logit_errors():
    df = _two_by_two(10, 10, 10, 10)
    with pytest.raises(EstimationError, match="separated"):
        churn.fit_logit(_two_by_two(10, 0, 0, 10), "churn", ["exposed"])
    with pytest.raises(EstimationError, match="only the value"):
        churn.fit_logit(df.assign(churn=False), "churn", ["exposed"])
    x = np.random.default_rng(0).normal(size=40)
    x[[0, 11, 22, 33, 39]] = np.nan
    gappy = df.assign(x=x)
    with pytest.raises(DataError, match="'x' has 5 missing"):
        churn.fit_logit(gappy, "churn", ["exposed", "x"])
    res = churn.fit_logit(gappy, "churn", ["exposed", "x"], missing="drop")
    assert res.n == 35 and res.n_dropped == 5


# --------------------------------------------------------------------------------------------
# metrics, calibration, lift
# --------------------------------------------------------------------------------------------

def test_classification_metrics_hand_case():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    m = churn.classification_metrics(y, p)
    # pairs (churner, stayer): (.35,.1) ok, (.35,.4) wrong, (.8,.1) ok, (.8,.4) ok -> 3/4
    assert m["roc_auc"] == pytest.approx(0.75)
    # ranked: .8 (1) P=1 R=.5; .4 (0); .35 (1) P=2/3 R=1 -> AP = .5*1 + .5*2/3
    assert m["pr_auc"] == pytest.approx(0.5 + 1 / 3)
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    ll = -(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4
    assert m["log_loss"] == pytest.approx(ll)
    with pytest.raises(EstimationError, match="one class"):
        churn.classification_metrics([1, 1], [0.2, 0.3])


@given(data=st.lists(st.tuples(st.booleans(), st.floats(0.001, 0.999)), min_size=4,
                     max_size=60),
       power=st.floats(0.2, 5.0))
@settings(max_examples=100, deadline=None)
def test_auc_invariant_to_monotone_transform(data, power):
    y = np.array([d[0] for d in data], dtype=int)
    p = np.array([d[1] for d in data])
    if y.min() == y.max():
        y[0] = 1 - y[0]
    transformed = p ** power  # strictly increasing on (0, 1)
    if len(np.unique(transformed)) != len(np.unique(p)):
        return  # floating point merged two distinct scores; not a strictly monotone image
    a = churn.classification_metrics(y, p)
    b = churn.classification_metrics(y, transformed)
    assert a["roc_auc"] == pytest.approx(b["roc_auc"], abs=1e-12)
    assert a["pr_auc"] == pytest.approx(b["pr_auc"], abs=1e-12)


def test_lift_table_hand_case():
    y = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    score = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    out = churn.lift_table(y, score, n_groups=5)
    assert out["n"].tolist() == [2] * 5
    assert out["churned"].tolist() == [1, 1, 1, 0, 0]
    # overall rate 0.3; group rate 0.5 -> lift 5/3
    assert out["lift"].tolist() == pytest.approx([5 / 3, 5 / 3, 5 / 3, 0, 0])
    assert out["gain"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 1, 1])
    assert out["cum_lift"].tolist() == pytest.approx([5 / 3, 5 / 3, 5 / 3, 1.25, 1.0])
    # input order does not matter, only the ranking
    perm = [3, 0, 9, 5, 1, 7, 2, 8, 4, 6]
    out2 = churn.lift_table(np.array(y)[perm], np.array(score)[perm], n_groups=5)
    pd.testing.assert_frame_equal(out, out2)


def test_lift_table_uneven_groups():
    out = churn.lift_table([1, 0, 0, 1, 0, 0, 0], [7, 6, 5, 4, 3, 2, 1], n_groups=3)
    assert out["n"].tolist() == [3, 2, 2]  # first n mod g groups one larger
    with pytest.raises(ParameterError, match="n_groups"):
        churn.lift_table([1, 0], [1, 2], n_groups=3)
    with pytest.raises(EstimationError, match="no churners"):
        churn.lift_table([0, 0, 0], [1, 2, 3], n_groups=3)


@given(data=st.lists(st.tuples(st.booleans(), st.floats(-100, 100)), min_size=1,
                     max_size=80),
       groups=st.integers(1, 10))
@settings(max_examples=100, deadline=None)
def test_gains_monotone_and_end_at_one(data, groups):
    y = np.array([d[0] for d in data], dtype=int)
    s = np.array([d[1] for d in data])
    if y.sum() == 0:
        y[-1] = 1
    groups = min(groups, len(y))
    out = churn.lift_table(y, s, n_groups=groups)
    gain = out["gain"].to_numpy()
    assert np.all(np.diff(gain) >= -1e-12)
    assert gain[-1] == pytest.approx(1.0)
    assert out["cum_share"].iloc[-1] == pytest.approx(1.0)
    assert out["n"].sum() == len(y) and out["n"].max() - out["n"].min() <= 1
    # weighted mean of group lifts is 1
    assert np.average(out["lift"], weights=out["n"]) == pytest.approx(1.0)


def test_calibration_table_hand_case_and_recovery():
    out = churn.calibration_table([0, 1, 0, 1], [0.9, 0.2, 0.1, 0.8], n_groups=2)
    # sorted by p: (.1,0) (.2,1) | (.8,1) (.9,0)
    assert out["mean_predicted"].tolist() == pytest.approx([0.15, 0.85])
    assert out["observed_rate"].tolist() == pytest.approx([0.5, 0.5])
    assert out["expected"].tolist() == pytest.approx([0.3, 1.7])
    # true probabilities are calibrated: observed deciles lie within (widened) Wilson bounds
    rng = np.random.default_rng(5)
    p = rng.beta(1, 3, size=20000)
    y = rng.random(20000) < p
    cal = churn.calibration_table(y, p, n_groups=10, level=0.999)
    inside = (cal["mean_predicted"] >= cal["ci_low"]) & (cal["mean_predicted"] <= cal["ci_high"])
    assert inside.all()


# --------------------------------------------------------------------------------------------
# cross-validation
# --------------------------------------------------------------------------------------------

def _simulated_churn(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    plan = pd.Categorical(rng.choice(["a", "b", "c"], size=n))
    flag = rng.random(n) < 0.5
    eta = -1.0 + 1.2 * x1 - 0.6 * x2 + 0.8 * (plan == "c") + 0.5 * flag
    p = 1 / (1 + np.exp(-eta))
    y = rng.random(n) < p
    df = pd.DataFrame({"churn": y, "x1": x1, "x2": x2, "plan": plan, "flag": flag,
                       "noise": rng.normal(size=n)})
    return df, p


def test_cv_recovers_true_auc_and_is_deterministic():
    df, p_true = _simulated_churn(3000, 1)
    cov = ["x1", "x2", "plan", "flag"]
    res = churn.cross_validate_churn(df, "churn", cov, models="logit", n_folds=5, seed=7)
    true_auc = churn.classification_metrics(df["churn"], p_true)["roc_auc"]
    s = res.table.set_index(["model", "metric"])
    assert s.loc[("logit", "roc_auc"), "pooled"] == pytest.approx(true_auc, abs=0.015)
    true_brier = churn.classification_metrics(df["churn"], p_true)["brier"]
    assert s.loc[("logit", "brier"), "pooled"] == pytest.approx(true_brier, abs=0.005)
    assert s.loc[("logit", "brier"), "mean"] < s.loc[("logit", "brier_null"), "mean"]
    # stratified: each fold's churn share equals the overall share up to rounding
    prev = df["churn"].mean()
    assert np.all(np.abs(res.folds["events"] / res.folds["n_test"] - prev) < 2 / 600)
    # every row is predicted exactly once
    pred = res.predictions
    assert sorted(pred["row"]) == list(range(3000))
    again = churn.cross_validate_churn(df, "churn", cov, models="logit", n_folds=5, seed=7)
    pd.testing.assert_frame_equal(res.table, again.table)
    other = churn.cross_validate_churn(df, "churn", cov, models="logit", n_folds=5, seed=8)
    assert not np.allclose(other.predictions["p"], res.predictions["p"])


def test_cv_noise_only_gives_chance_auc_and_gbm_runs():
    df, _ = _simulated_churn(1500, 2)
    # labels permuted: the covariates carry no information, so honest CV must give AUC ~ 0.5
    df["churn"] = np.random.default_rng(9).permutation(df["churn"].to_numpy())
    res = churn.cross_validate_churn(df, "churn", ["x1", "x2", "plan", "noise"],
                                     models=["logit", "gbm"], n_folds=3, seed=0)
    s = res.table.set_index(["model", "metric"])
    assert abs(s.loc[("logit", "roc_auc"), "pooled"] - 0.5) < 0.05
    assert abs(s.loc[("gbm", "roc_auc"), "pooled"] - 0.5) < 0.06
    cal = res.calibration("logit")
    assert cal["n"].sum() == 1500
    lift = res.lift("gbm", n_groups=5)
    assert lift["gain"].iloc[-1] == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="not cross-validated"):
        res.lift("forest")


def test_cv_imputes_inside_folds_and_validates():
    df, _ = _simulated_churn(600, 4)
    df.loc[::10, "x1"] = np.nan  # missing covariates are imputed inside the pipeline
    res = churn.cross_validate_churn(df, "churn", ["x1", "plan"], n_folds=3, seed=1)
    assert np.isfinite(res.predictions["p"]).all()
    with pytest.raises(ParameterError, match="unknown model"):
        churn.cross_validate_churn(df, "churn", ["x1"], models=["forest"])
    with pytest.raises(ParameterError, match="n_folds"):
        churn.cross_validate_churn(df, "churn", ["x1"], n_folds=1)
    with pytest.raises(DataError, match="not found"):
        churn.cross_validate_churn(df, "churn", ["nope"])


def test_logit_agrees_with_unpenalised_sklearn():
    from sklearn.linear_model import LogisticRegression

    df, _ = _simulated_churn(1500, 6)
    res = churn.fit_logit(df, "churn", ["x1", "x2", "plan", "flag"])
    X = churn.design_matrix(df, ["x1", "x2", "plan", "flag"])
    sk = LogisticRegression(C=float("inf"), tol=1e-10, max_iter=10000).fit(X, df["churn"])
    ours = res.table.set_index("term")["estimate"]
    assert ours["Intercept"] == pytest.approx(sk.intercept_[0], abs=1e-5)
    assert ours[list(X.columns)].to_numpy() == pytest.approx(sk.coef_[0], abs=1e-5)


def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crm_research.churn import plots as plots_churn

    df, _ = _simulated_churn(400, 3)
    rates = churn.churn_rates(df, "churn", by=["plan"])
    res = churn.cross_validate_churn(df, "churn", ["x1", "plan"], n_folds=2, seed=0)
    logit = churn.fit_logit(df, "churn", ["x1", "plan"])
    figs = [plots_churn.plot_churn_rates(rates, "plan"),
            plots_churn.plot_calibration({"logit": res.calibration("logit", 5)}),
            plots_churn.plot_gains({"logit": res.lift("logit", 5)}),
            plots_churn.plot_ratio_forest(logit.table, "odds_ratio")]
    for fig in figs:
        assert len(fig.axes) >= 1
        plt.close(fig)
    with pytest.raises(DataError, match="'region'"):
        plots_churn.plot_churn_rates(rates, "region")


def test_exact_interval_closed_forms_and_statsmodels():
    # Clopper-Pearson: k = 0 gives [0, 1 - (alpha/2)^(1/n)], k = n gives [(alpha/2)^(1/n), 1]
    for n in (1, 7, 40):
        assert churn.proportion_ci(0, n, method="exact") == pytest.approx(
            (0.0, 1 - 0.025 ** (1 / n)), abs=1e-12)
        assert churn.proportion_ci(n, n, method="exact") == pytest.approx(
            (0.025 ** (1 / n), 1.0), abs=1e-12)
    from statsmodels.stats.proportion import proportion_confint

    for k, n in ((3, 17), (81, 263), (15, 148)):
        expected = proportion_confint(k, n, alpha=0.1, method="beta")
        assert churn.proportion_ci(k, n, 0.9, "exact") == pytest.approx(expected, abs=1e-10)
    with pytest.raises(ParameterError, match="method"):
        churn.proportion_ci(1, 3, method="agresti")


def test_churn_rate_one_group():
    res = churn.churn_rate(26, 100, method="exact")
    assert res["rate"] == 0.26 and res["n"] == 100 and res["churned"] == 26
    assert (res["ci_low"], res["ci_high"]) == churn.proportion_ci(26, 100, method="exact")
    with pytest.raises(DataError, match="churned <= n"):
        churn.churn_rate(5, 3)
    with pytest.raises(ParameterError, match="whole number"):
        churn.churn_rate(2.5, 10)


def test_seed_out_of_range_is_a_parameter_error():
    # issue 11 item 6: a 2**32 seed reached scikit-learn and failed with its own error
    df = pd.DataFrame({"y": [0, 1] * 20, "x": np.arange(40.0)})
    with pytest.raises(ParameterError, match="seed must be an integer between 0 and 4294967295"):
        churn.cross_validate_churn(df, "y", ["x"], n_folds=2, seed=2**32)
    with pytest.raises(ParameterError, match="seed"):
        churn.build_churn_pipeline(["x"], [], "gbm", seed=-1)
