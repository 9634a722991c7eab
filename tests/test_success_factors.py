"""Tests of the CRM success-factors analyses (crm_research.studies.success_factors and
plots_success)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from crm_research.data.codebook import load_codebook  # noqa: E402
from crm_research.errors import DataError, ParameterError  # noqa: E402
from crm_research.sem.pls import estimate_pls  # noqa: E402
from crm_research.sem.spec import parse_spec  # noqa: E402
from crm_research.studies import plots_success  # noqa: E402
from crm_research.studies.simulate_projects import PRACTICES, simulate_crm_projects  # noqa: E402
from crm_research.studies.simulate_survey import (  # noqa: E402
    simulate_crm_survey,
    survey_model,
    survey_truth,
)
from crm_research.studies.success_factors import (  # noqa: E402
    firm_answers,
    fit_implementation_model,
    implementation_grid,
    mga_with_truth,
    monte_carlo_paths,
    read_projects_csv,
    read_survey_csv,
    sample_description,
    sample_size_for_power,
    self_assessment,
    summarise_monte_carlo,
    survey_estimand,
    survey_simulator,
    truth_vs_estimate,
)

# -- user data against the codebook ----------------------------------------------------------

def _write(tmp_path, df: pd.DataFrame) -> str:
    path = tmp_path / "firms.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_codebook_and_model_agree() -> None:
    cb = load_codebook("crm_success_factors")
    spec = survey_model()
    assert cb.blocks == spec.blocks
    assert spec.codebook == "crm_success_factors"
    assert (cb.scale_min, cb.scale_max) == (1.0, 7.0) == spec.scale
    assert (cb.items_frame()["wording"].str.len() > 20).all()


def test_read_survey_csv_accepts_matching_data(tmp_path) -> None:
    data = simulate_crm_survey(30, seed=1, missing_rate=0.05).data
    df = read_survey_csv(_write(tmp_path, data))
    assert df.shape == data.shape
    assert df["kcf1"].isna().sum() == data["kcf1"].isna().sum()


def test_read_survey_csv_names_the_problem(tmp_path) -> None:
    data = simulate_crm_survey(30, seed=1).data
    with pytest.raises(DataError, match=r"expects item column\(s\) \['km3'\]"):
        read_survey_csv(_write(tmp_path, data.drop(columns="km3")))
    bad = data.copy()
    bad.loc[4, "tech2"] = 9
    with pytest.raises(DataError, match=r"column 'tech2', row 4: value 9.0 outside the scale "
                                        r"1..7"):
        read_survey_csv(_write(tmp_path, bad))
    text = data.astype({"fin1": object})
    text.loc[2, "fin1"] = "high"
    with pytest.raises(DataError, match="column 'fin1'.*expected numeric"):
        read_survey_csv(_write(tmp_path, text))
    with pytest.raises(DataError, match="does not exist"):
        read_survey_csv(tmp_path / "nope.csv")


def test_sample_description_counts() -> None:
    df = pd.DataFrame({"firm_type": ["B2B", "B2C", "B2C", "B2C"], "other": [1, 2, 3, 4]})
    out = sample_description(df)
    assert out["firms"].tolist() == [1, 3]
    assert out["share"].tolist() == [0.25, 0.75]


# -- truth versus estimate and Monte-Carlo summaries -----------------------------------------

def test_truth_vs_estimate_hand_case() -> None:
    paths = pd.DataFrame({"source": ["A", "B"], "target": ["C", "C"], "estimate": [0.35, 0.1],
                          "ci_low": [0.3, -0.05], "ci_high": [0.45, 0.2]})
    est = pd.DataFrame({"source": ["A", "B"], "target": ["C", "C"], "estimand": [0.33, 0.22]})
    out = truth_vs_estimate(paths, {("A", "C"): 0.4, ("B", "C"): 0.0}, est)
    assert out["error"].tolist() == pytest.approx([-0.05, 0.1])
    assert out["error_vs_estimand"].tolist() == pytest.approx([0.02, -0.12])
    assert out["covers_true"].tolist() == [True, True]
    assert out["covers_estimand"].tolist() == [True, False]
    with pytest.raises(ParameterError, match="no value for path"):
        truth_vs_estimate(paths, {("A", "C"): 0.4})


def test_summarise_monte_carlo_hand_case() -> None:
    draws = pd.DataFrame({
        "n": [100] * 4, "seed": [1, 2, 3, 4], "source": ["A"] * 4, "target": ["B"] * 4,
        "estimate": [0.2, 0.3, 0.4, 0.5], "std_error": 0.1, "p_value": [0.2, 0.01, 0.001, 0.04],
        "ci_low": [0.0, 0.1, 0.35, 0.2], "ci_high": [0.4, 0.5, 0.6, 0.8],
        "ok": [True, True, True, True], "error": ""})
    est = pd.DataFrame({"source": ["A"], "target": ["B"], "estimand": [0.36]})
    out = summarise_monte_carlo(draws, {("A", "B"): 0.3}, est, alpha=0.05).iloc[0]
    assert out["mean_estimate"] == pytest.approx(0.35)
    assert out["bias"] == pytest.approx(0.05)
    assert out["bias_vs_estimand"] == pytest.approx(-0.01)
    assert out["bias_mc_std_error"] == pytest.approx(np.std([0.2, 0.3, 0.4, 0.5], ddof=1) / 2)
    assert out["coverage_true"] == pytest.approx(0.75)      # 0.3 outside [0.35, 0.6]
    assert out["coverage_estimand"] == pytest.approx(1.0)
    assert out["power"] == pytest.approx(0.75)
    assert out["power_mc_std_error"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    failed = draws.assign(ok=[True, True, False, False])
    out2 = summarise_monte_carlo(failed, {("A", "B"): 0.3}).iloc[0]
    assert (out2["n_sims"], out2["n_failed"]) == (2, 2)
    assert out2["power"] == pytest.approx(0.5)


def test_sample_size_for_power() -> None:
    p = pd.DataFrame({"n": [50, 100, 200] * 2, "source": ["A"] * 3 + ["B"] * 3,
                      "target": "C", "true": [0.3] * 3 + [0.0] * 3,
                      "power": [0.4, 0.85, 0.99, 0.05, 0.06, 0.04]})
    out = sample_size_for_power(p, 0.8)
    assert out["n_needed"].tolist() == [100]


def test_monte_carlo_is_reproducible_and_independent_of_jobs() -> None:
    spec = parse_spec({"name": "t", "constructs": {"A": ["a1", "a2"], "B": ["b1", "b2"]},
                       "paths": {"B": ["A"]}})
    from crm_research.sem.simulate import simulate_from_spec

    def sim(n, seed):
        return simulate_from_spec(spec, n, 0.4, 0.8, seed=seed).data

    a = monte_carlo_paths(sim, spec, [40, 80], 2, seed=5, n_boot=20)
    b = monte_carlo_paths(sim, spec, [40, 80], 2, seed=5, n_boot=20, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 4 and a["ok"].all()
    assert a["seed"].nunique() == 4
    with pytest.raises(ParameterError, match="n_boot"):
        monte_carlo_paths(sim, spec, [40], 1, n_boot=2)


@pytest.mark.slow
def test_survey_recovery_across_seeds() -> None:
    """Firm-survey design (Likert, 2% MCAR, mean replacement), 20 seeds x n = 300: the mean
    PLS path is within Monte-Carlo error of the design's PLS estimand; the percentile
    intervals cover it at about the nominal rate."""
    tr = survey_truth(missing_rate=0.02)
    est = survey_estimand(tr, n=100_000)
    draws = monte_carlo_paths(survey_simulator(tr), tr.spec, [300], 20, seed=3, n_boot=100,
                              missing="mean")
    summ = summarise_monte_carlo(draws, tr.true_paths(), est)
    assert (summ["n_failed"] == 0).all()
    z = summ["bias_vs_estimand"] / summ["bias_mc_std_error"]
    assert np.all(np.abs(z) < 3.5), summ
    assert summ["coverage_estimand"].mean() >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 180)


# -- implementation model --------------------------------------------------------------------

def test_implementation_grid_hand_check_and_shape() -> None:
    sim = simulate_crm_projects(3000, seed=2)
    fit = fit_implementation_model(sim.data, truth=sim.truth)
    assert fit.table["term"].tolist()[:2] == ["intercept", "n_technologies"]
    grid = implementation_grid(fit, n_technologies=[1, 3, 8], truth=sim.truth)
    assert len(grid) == 3 * 6
    b = fit.table.set_index("term")["estimate"]
    row = grid[(grid["n_technologies"] == 8) & (grid["practices"] == "all four")].iloc[0]
    eta = b["intercept"] + 5 * b["n_technologies"] + sum(b[p] for p in PRACTICES)
    assert row["p_success"] == pytest.approx(1 / (1 + np.exp(-eta)))
    assert (grid["ci_low"] <= grid["p_success"]).all()
    assert (grid["p_success"] <= grid["ci_high"]).all()
    none = grid[grid["practices"] == "none"].set_index("n_technologies")["p_success"]
    full = grid[grid["practices"] == "all four"].set_index("n_technologies")["p_success"]
    assert (full > none).all()
    assert none.is_monotonic_decreasing
    true_none = grid[grid["practices"] == "none"]["true_p_success"].to_numpy()
    b0 = sim.truth.coefficients["intercept"]
    assert true_none[1] == pytest.approx(1 / (1 + np.exp(-b0)))
    with pytest.raises(ParameterError, match="unknown practice"):
        implementation_grid(fit, scenarios={"x": ["budget"]})


def test_implementation_model_errors() -> None:
    d = simulate_crm_projects(200, seed=1).data
    with pytest.raises(DataError, match=r"missing column\(s\) \['training'\]"):
        fit_implementation_model(d.drop(columns="training"))
    with pytest.raises(DataError, match="must be 0/1"):
        fit_implementation_model(d.assign(success=d["success"] * 2))
    with pytest.raises(DataError, match="single value"):
        fit_implementation_model(d.assign(success=1))


# -- self-assessment -------------------------------------------------------------------------

def _tiny():
    spec = parse_spec({"name": "t", "constructs": {"A": ["a1", "a2"], "B": ["b1", "b2"]},
                       "paths": {"B": ["A"]}})
    sample = pd.DataFrame({"a1": [1, 2, 3, 4.0], "a2": [1, 2, 5, 6.0],
                           "b1": [2, 2, 2, 7.0], "b2": [4, 2, 6, 7.0]})
    return spec, sample


def test_self_assessment_hand_case() -> None:
    spec, sample = _tiny()
    # item means: A = 1, 2, 4, 5; B = 3, 2, 4, 7
    firm = {"a1": 3, "a2": 5, "b1": 1, "b2": 3}        # A = 4 (ties one), B = 2 (ties one)
    out = self_assessment(firm, sample, spec, result=None).set_index("construct")
    assert out.loc["A", "firm_score"] == 4.0
    assert out.loc["A", "percentile"] == pytest.approx(100 * (2 + 0.5) / 4)
    assert out.loc["B", "percentile"] == pytest.approx(100 * (0 + 0.5) / 4)
    assert out.loc["A", "sample_mean"] == pytest.approx(3.0)
    with pytest.raises(ParameterError, match=r"no score given for item\(s\) \['b2'\]"):
        self_assessment({"a1": 3, "a2": 5, "b1": 1}, sample, spec)
    with pytest.raises(ParameterError, match="item 'a1' has score 9.0"):
        self_assessment({**firm, "a1": 9}, sample, spec)


def test_self_assessment_with_pls_weights_orders_extremes() -> None:
    sim = simulate_crm_survey(200, seed=5)
    spec = sim.truth.spec
    res = estimate_pls(sim.data, spec)
    top = self_assessment(dict.fromkeys(spec.all_items, 7.0), sim.data, spec, res)
    low = self_assessment(dict.fromkeys(spec.all_items, 1.0), sim.data, spec, res)
    assert (top["percentile"] > 95).all() and (low["percentile"] < 5).all()
    assert np.allclose(top["firm_score"], 7.0) and np.allclose(low["firm_score"], 1.0)
    fig = plots_success.radar_chart(top.assign(label=top["construct"]))
    assert len(fig.axes) == 1


def test_mga_with_truth_and_figures() -> None:
    tr = survey_truth()
    table = pd.DataFrame({"parameter": ["path", "r2"], "source": ["KCF", ""],
                          "target": ["MKT", "MKT"], "diff": [0.1, 0.0]})
    out = mga_with_truth(table, tr, ("B2B", "B2C"))
    assert out["true_diff"].iloc[0] == pytest.approx(0.2)
    assert np.isnan(out["true_diff"].iloc[1])
    power = pd.DataFrame({"n": [50, 100], "source": "A", "target": "B", "true": 0.3,
                          "power": [0.5, 0.9], "power_mc_std_error": [0.05, 0.03]})
    assert plots_success.power_figure(power).axes


def test_firm_answers_and_project_csv(tmp_path) -> None:
    spec, sample = _tiny()
    sample.loc[1, "b1"] = np.nan
    row = firm_answers(sample, spec, firm=2)
    assert row.tolist() == [2.0, 2.0, np.mean([2, 2, 7.0]), 2.0]
    own = firm_answers(sample, spec, scores=[1, 2, 3, 4])
    assert own.index.tolist() == spec.all_items
    with pytest.raises(ParameterError, match="3 values given, the model has 4 items"):
        firm_answers(sample, spec, scores=[1, 2, 3])
    with pytest.raises(ParameterError, match="between 1 and 4"):
        firm_answers(sample, spec, firm=5)
    with pytest.raises(DataError, match="does not exist"):
        read_projects_csv(tmp_path / "none.csv")
    path = tmp_path / "p.csv"
    simulate_crm_projects(60, seed=1).data.drop(columns="oversight").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"missing column\(s\) \['oversight'\]"):
        fit_implementation_model(read_projects_csv(path))


def test_survey_estimand_matches_the_exact_population_value() -> None:
    """Continuous responses, no group difference: the large-sample estimand equals PLS on the
    exact implied covariance, including an acquiescent style (covariance + sd^2 on every
    pair of items, Baumgartner & Steenkamp 2001)."""
    from crm_research.sem.simulate import pls_on_covariance

    tr = survey_truth(b2b_shift={}, acquiescence_sd=0.5)
    big = survey_estimand(tr, n=200_000, seed=1, likert=False)["estimand"].to_numpy()
    sigma = tr.by_group["B2C"].indicator_correlation + 0.25
    exact = pls_on_covariance(tr.spec, sigma).paths["estimate"].to_numpy()
    assert np.allclose(big, exact, atol=0.008)
    plain = pls_on_covariance(tr.spec, tr.by_group["B2C"].indicator_correlation)
    # acquiescence inflates the shared variance: the estimates move measurably
    assert np.abs(plain.paths["estimate"].to_numpy() - exact).max() > 0.02


@settings(max_examples=30, deadline=None)
@given(scores=st.lists(st.integers(1, 7), min_size=4, max_size=4),
       bump=st.integers(0, 3))
def test_self_assessment_percentiles_bounded_and_monotone(scores, bump) -> None:
    spec, sample = _tiny()
    firm = dict(zip(spec.all_items, map(float, scores), strict=True))
    higher = {k: min(7.0, v + bump) for k, v in firm.items()}
    a = self_assessment(firm, sample, spec)["percentile"].to_numpy()
    b = self_assessment(higher, sample, spec)["percentile"].to_numpy()
    assert np.all((a >= 0) & (a <= 100))
    assert np.all(b >= a)


def test_coverage_mc_std_error_follows_the_interval_level() -> None:
    draws = pd.DataFrame({"n": [50] * 4, "source": "A", "target": "B",
                          "estimate": [0.2, 0.3, 0.4, 0.3], "std_error": 0.1,
                          "p_value": [0.01, 0.2, 0.03, 0.04], "ci_low": [0.1, 0.2, 0.35, 0.2],
                          "ci_high": [0.4, 0.5, 0.6, 0.5], "ok": True})
    out = summarise_monte_carlo(draws, {("A", "B"): 0.3}, level=0.90).iloc[0]
    assert out["coverage_mc_std_error"] == pytest.approx(np.sqrt(0.9 * 0.1 / 4))
