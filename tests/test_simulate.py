"""Tests of the simulators (crm_research.sem.simulate, simulate_survey, simulate_projects)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.errors import ParameterError, SpecError
from crm_research.sem.pls import bootstrap_pls
from crm_research.sem.simulate import (
    data_with_covariance,
    latent_moments,
    population_pls,
    simulate_from_spec,
    to_likert,
    true_model,
)
from crm_research.sem.spec import parse_spec
from crm_research.studies.simulate_projects import PRACTICES, simulate_crm_projects
from crm_research.studies.simulate_survey import (
    DEFAULT_PATHS,
    simulate_crm_survey,
    simulate_firm_survey,
    survey_truth,
)
from crm_research.studies.success_factors import fit_implementation_model

THREE = {"name": "three", "constructs": {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"],
                                         "C": ["c1", "c2", "c3"]},
         "paths": {"C": ["A", "B"]}}
CHAIN = {"name": "chain", "constructs": {"X": ["x1", "x2"], "M": ["m1", "m2"],
                                         "Y": ["y1", "y2"]},
         "paths": {"M": ["X"], "Y": ["M"]}}


# -- hand-checkable algebra ------------------------------------------------------------------

def test_two_predictor_model_matches_hand_algebra() -> None:
    t = true_model(THREE, {("A", "C"): 0.4, ("B", "C"): 0.3}, 0.8, 0.5)
    r = t.latent_correlation
    # cor(A, C) = .4 + .3 * .5 = .55; cor(B, C) = .3 + .4 * .5 = .55 - .05 = .5
    assert r.loc["A", "C"] == pytest.approx(0.55)
    assert r.loc["B", "C"] == pytest.approx(0.50)
    # R2 = b'Rb = .16 + .09 + 2 * .4 * .3 * .5 = .37
    assert t.r_squared["C"] == pytest.approx(0.37)
    assert t.error_variance["C"] == pytest.approx(0.63)
    assert t.error_variance["A"] == 0.0
    s = t.indicator_correlation
    assert s.loc["a1", "a2"] == pytest.approx(0.64)
    assert s.loc["a1", "c3"] == pytest.approx(0.64 * 0.55)
    assert np.allclose(np.diag(s), 1.0)


def test_chain_implied_correlations_multiply_along_the_chain() -> None:
    t = true_model(CHAIN, {("X", "M"): 0.6, ("M", "Y"): 0.5}, {"X": [0.9, 0.7], "M": 0.8,
                                                              "Y": [0.75, 0.85]}, 0.0)
    r = t.latent_correlation
    assert r.loc["X", "Y"] == pytest.approx(0.30)
    assert t.error_variance["M"] == pytest.approx(1 - 0.36)
    assert t.indicator_correlation.loc["x1", "y2"] == pytest.approx(0.9 * 0.85 * 0.3)
    tot = t.total_effects().set_index(["source", "target"])["total"]
    assert tot[("X", "Y")] == pytest.approx(0.30)


def test_latent_moments_equal_the_matrix_formula() -> None:
    spec = parse_spec({"name": "m", "constructs": {k: [k.lower() + "1"] for k in "ABCDE"},
                       "paths": {"C": ["A", "B"], "D": ["A", "C"], "E": ["B", "C", "D"]}})
    paths = {("A", "C"): 0.3, ("B", "C"): 0.25, ("A", "D"): 0.2, ("C", "D"): 0.4,
             ("B", "E"): 0.1, ("C", "E"): 0.2, ("D", "E"): 0.35}
    phi = np.array([[1.0, 0.4], [0.4, 1.0]])
    r, psi = latent_moments(spec, paths, phi)
    names = spec.construct_names
    b = np.zeros((5, 5))
    for (s, t), v in paths.items():
        b[names.index(s), names.index(t)] = v
    cov_zeta = np.diag(psi)
    cov_zeta[:2, :2] = phi
    inv = np.linalg.inv(np.eye(5) - b.T)      # eta = B' eta + zeta
    assert np.allclose(r, inv @ cov_zeta @ inv.T, atol=1e-12)
    assert np.allclose(np.diag(r), 1.0)


def test_to_likert_hand_case() -> None:
    x = np.array([-3.0, -1.0, 0.0, 0.1, 2.5])
    assert to_likert(x, [-2, -0.5, 0.05, 1]).tolist() == [1, 2, 3, 4, 5]
    with pytest.raises(ParameterError, match="strictly increasing"):
        to_likert(x, [0.0, 0.0])


def test_data_with_covariance_is_exact() -> None:
    sigma = true_model(THREE, 0.3, 0.7, 0.2).indicator_correlation
    d = data_with_covariance(sigma, n=60, seed=3)
    x = d.to_numpy()
    assert np.allclose(x.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(x.T @ x / 60, sigma.to_numpy(), atol=1e-12)


def test_population_pls_approaches_factor_paths_as_loadings_approach_one() -> None:
    paths = {("A", "C"): 0.4, ("B", "C"): 0.3}
    near = population_pls(true_model(THREE, paths, 0.995, 0.5)).paths["estimate"].to_numpy()
    assert np.allclose(near, [0.4, 0.3], atol=0.01)
    # with loadings .7 the composite paths are attenuated (sum of paths smaller)
    low = population_pls(true_model(THREE, paths, 0.7, 0.5)).paths["estimate"].to_numpy()
    assert low.sum() < 0.7 - 0.05


# -- marginal properties ---------------------------------------------------------------------

def test_latent_correlations_match_implied() -> None:
    sim = simulate_from_spec(THREE, 40_000, {("A", "C"): 0.4, ("B", "C"): 0.3}, 0.8, 0.5,
                             seed=11)
    emp = sim.latent.corr().to_numpy()
    assert np.allclose(emp, sim.truth.latent_correlation.to_numpy(), atol=0.02)
    emp_x = sim.data.corr().to_numpy()
    assert np.allclose(emp_x, sim.truth.indicator_correlation.to_numpy(), atol=0.02)
    assert np.allclose(sim.latent.var(), 1.0, atol=0.03)


def test_seeds_reproduce_and_differ() -> None:
    a = simulate_from_spec(CHAIN, 50, 0.4, 0.8, seed=5).data
    b = simulate_from_spec(CHAIN, 50, 0.4, 0.8, seed=5).data
    c = simulate_from_spec(CHAIN, 50, 0.4, 0.8, seed=6).data
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    s1 = simulate_crm_survey(40, seed=2, missing_rate=0.1).data
    s2 = simulate_crm_survey(40, seed=2, missing_rate=0.1).data
    pd.testing.assert_frame_equal(s1, s2)


def test_simulator_errors_name_the_problem() -> None:
    with pytest.raises(ParameterError,
                       match=r"paths into 'C' \(A: 0.7, B: 0.6\) explain 1.270 of its variance"):
        true_model(THREE, {("A", "C"): 0.7, ("B", "C"): 0.6}, 0.8, 0.5)
    with pytest.raises(ParameterError, match=r"no coefficient given for path\(s\) \['B -> C'\]"):
        true_model(THREE, {("A", "C"): 0.3}, 0.8)
    with pytest.raises(ParameterError, match="D -> C is not a path"):
        true_model(THREE, {"A -> C": 0.3, "B -> C": 0.2, "D -> C": 0.1}, 0.8)
    with pytest.raises(ParameterError, match="loading of item 'a1' is 1.0"):
        true_model(THREE, 0.3, {"A": 0.8, "B": 0.8, "C": 0.8, "a1": 1.0})
    mode_b = {**THREE, "constructs": {**THREE["constructs"],
                                      "A": {"items": ["a1", "a2"], "mode": "B"}}}
    with pytest.raises(SpecError, match="mode B"):
        true_model(mode_b, 0.3)
    with pytest.raises(ParameterError, match="not positive definite"):
        true_model(THREE, 0.1, 0.8, np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(ParameterError, match="n=1"):
        simulate_from_spec(THREE, 1, 0.3)


@settings(max_examples=40, deadline=None)
@given(b1=st.floats(-0.6, 0.6), b2=st.floats(-0.6, 0.6), b3=st.floats(-0.6, 0.6),
       phi=st.floats(-0.5, 0.5))
def test_implied_latent_matrix_is_a_correlation_matrix(b1, b2, b3, phi) -> None:
    spec = {"name": "h", "constructs": {"A": ["a"], "B": ["b"], "C": ["c"], "D": ["d"]},
            "paths": {"C": ["A", "B"], "D": ["C"]}}
    try:
        t = true_model(spec, {("A", "C"): b1, ("B", "C"): b2, ("C", "D"): b3}, 0.8, phi)
    except ParameterError:
        return  # impossible combination (R2 >= 1) is rejected, never returned
    r = t.latent_correlation.to_numpy()
    assert np.allclose(np.diag(r), 1.0)
    assert np.linalg.eigvalsh(r).min() > -1e-10
    assert (t.error_variance > -1e-12).all()


@settings(max_examples=40, deadline=None)
@given(x=st.lists(st.floats(-5, 5), min_size=1, max_size=30),
       cuts=st.lists(st.floats(-3, 3), min_size=1, max_size=8, unique=True))
def test_likert_values_in_range_and_monotone(x, cuts) -> None:
    cuts = sorted(cuts)
    if np.any(np.diff(cuts) <= 0):
        return
    xs = np.sort(np.array(x))
    cat = to_likert(xs, cuts)
    assert cat.min() >= 1 and cat.max() <= len(cuts) + 1
    assert np.all(np.diff(cat) >= 0)


# -- firm survey -----------------------------------------------------------------------------

def test_survey_marginals() -> None:
    sim = simulate_crm_survey(3000, seed=4, missing_rate=0.05)
    d = sim.data
    items = sim.truth.spec.all_items
    x = d[items].to_numpy()
    obs = x[~np.isnan(x)]
    assert set(np.unique(obs)) <= set(range(1, 8))
    assert len(np.unique(obs)) == 7
    rate = np.isnan(x).mean()
    se = np.sqrt(0.05 * 0.95 / x.size)
    assert abs(rate - 0.05) < 4 * se
    share = (d["firm_type"] == "B2B").mean()
    assert abs(share - 0.4) < 4 * np.sqrt(0.24 / 3000)
    assert list(d.columns[:5]) == ["firm_id", "firm_type", "size", "employees", "industry"]
    assert d["employees"].between(5, 5000).all()
    small = d["size"] == "small"
    assert d.loc[small, "employees"].max() <= 49
    assert d.loc[d["size"] == "large", "employees"].min() >= 250


def test_survey_truth_mixture_and_group_latents() -> None:
    tr = survey_truth()
    p = tr.paths.set_index(["source", "target"])
    assert p.loc[("KCF", "MKT"), "b2c"] == pytest.approx(0.20)
    assert p.loc[("KCF", "MKT"), "b2b"] == pytest.approx(0.40)
    # equal exogenous correlations in both groups → pooled path is the share-weighted mean
    assert p.loc[("KCF", "MKT"), "pooled"] == pytest.approx(0.4 * 0.4 + 0.6 * 0.2)
    assert p.loc[("MKT", "FIN"), "pooled"] == pytest.approx(DEFAULT_PATHS[("MKT", "FIN")])
    tr2 = survey_truth(path_multiplier=0.5, b2b_shift={})
    assert np.allclose(tr2.paths["b2b"], tr2.paths["b2c"])
    assert np.allclose(tr2.paths["b2c"], 0.5 * tr.paths["b2c"])
    sim = simulate_firm_survey(tr, 20_000, seed=9, likert=False)
    b2b = (sim.data["firm_type"] == "B2B").to_numpy()
    emp = np.corrcoef(sim.latent[b2b].to_numpy(), rowvar=False)
    assert np.allclose(emp, tr.by_group["B2B"].latent_correlation.to_numpy(), atol=0.04)


def test_acquiescence_inflates_cross_construct_correlations() -> None:
    tr0 = survey_truth(acquiescence_sd=0.0)
    tr1 = survey_truth(acquiescence_sd=0.6)
    d0 = simulate_firm_survey(tr0, 4000, seed=1, likert=False).data
    d1 = simulate_firm_survey(tr1, 4000, seed=1, likert=False).data
    # kcf1 and fin1 (different constructs): implied covariance rises by acquiescence_sd^2
    c0 = np.cov(d0["kcf1"], d0["fin1"])[0, 1]
    c1 = np.cov(d1["kcf1"], d1["fin1"])[0, 1]
    assert c1 - c0 == pytest.approx(0.36, abs=0.08)


def test_survey_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="missing_rate"):
        survey_truth(missing_rate=1.2)
    with pytest.raises(ParameterError, match="6 thresholds"):
        survey_truth(thresholds=[0.0, 1.0])
    with pytest.raises(ParameterError, match="b2b_shift"):
        survey_truth(b2b_shift={("FIN", "KCF"): 0.1})
    with pytest.raises(ParameterError, match="n_firms"):
        simulate_firm_survey(survey_truth(), n_firms=2)


# -- parameter recovery with the PLS engine --------------------------------------------------

def test_pls_recovers_the_estimand_across_seeds() -> None:
    """20 seeds x n = 300, continuous indicators: mean PLS estimate within Monte-Carlo error
    of the PLS estimand (population PLS); percentile intervals (100 resamples) cover it at
    about the nominal rate; the factor-model paths are not recovered (known attenuation)."""
    paths = {("A", "C"): 0.4, ("B", "C"): 0.3}
    truth = true_model(THREE, paths, {"A": [0.85, 0.75, 0.7], "B": 0.75, "C": [0.8, 0.8, 0.7]},
                       0.3)
    estimand = population_pls(truth).paths["estimate"].to_numpy()
    est, covered = [], []
    for seed in range(20):
        sim = simulate_from_spec(THREE, 300, paths, truth.loadings.set_index("item")["loading"]
                                 .to_dict(), 0.3, seed=seed)
        boot = bootstrap_pls(sim.data, THREE, n_boot=100, seed=seed, jackknife=False)
        e = boot.paths["estimate"].to_numpy()
        est.append(e)
        covered.append((boot.paths["ci_low"] <= estimand) & (estimand <= boot.paths["ci_high"]))
    est = np.array(est)
    mc_std_error = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    bias = est.mean(axis=0) - estimand
    assert np.all(np.abs(bias) < 3.5 * mc_std_error), (bias, mc_std_error)
    coverage = np.mean(covered)
    assert coverage >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 40)
    # the composite estimand is attenuated relative to the factor-model coefficients
    assert np.all(estimand < np.array([0.4, 0.3]))


# -- CRM projects ----------------------------------------------------------------------------

def test_projects_marginals_and_probability() -> None:
    sim = simulate_crm_projects(4000, seed=3)
    d = sim.data
    assert d["n_technologies"].between(1, 8).all()
    for p in PRACTICES:
        assert set(d[p].unique()) <= {0, 1}
        assert abs(d[p].mean() - sim.truth.practice_rates[p]) < 0.06
    assert set(d["success"].unique()) == {0, 1}
    assert abs(d["success"].mean() - d["p_success"].mean()) < 4 * np.sqrt(0.25 / 4000)
    # hand check of the true probability: 3 technologies, no practice, readiness 0 → expit(b0)
    row = pd.DataFrame([{"n_technologies": 3, **dict.fromkeys(PRACTICES, 0),
                         "people_readiness": 0.0, "process_readiness": 0.0,
                         "technology_readiness": 0.0, "structure_readiness": 0.0}])
    b0 = sim.truth.coefficients["intercept"]
    assert sim.truth.probability(row)[0] == pytest.approx(1 / (1 + np.exp(-b0)))
    pd.testing.assert_frame_equal(d, simulate_crm_projects(4000, seed=3).data)
    with pytest.raises(ParameterError, match="unknown term 'budget'"):
        simulate_crm_projects(100, coefficients={"budget": 1.0})


def test_projects_logit_recovers_true_coefficients() -> None:
    sim = simulate_crm_projects(20_000, seed=8)
    fit = fit_implementation_model(sim.data, truth=sim.truth)
    z = (fit.table["estimate"] - fit.table["true"]) / fit.table["std_error"]
    assert np.all(np.abs(z) < 4), fit.table


def test_survey_parameters_table_states_sources() -> None:
    tab = survey_truth(missing_rate=0.03).parameters_table()
    assert len(tab) == 9 + 25 + 7 + 2
    paths = tab[tab["parameter"].str.startswith("path ")]
    assert (paths["source"].str.contains("illustrative assumption")).all()
    row = tab[tab["parameter"] == "path KCF -> MKT (B2C; B2B; pooled)"].iloc[0]
    assert row["value"] == "0.200; 0.400; 0.280"
    assert tab.loc[tab["parameter"] == "item answers missing (MCAR)", "value"].item() == "0.030"
