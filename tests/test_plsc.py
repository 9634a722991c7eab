"""Consistent PLS (crm_research.sem.pls.plsc) and path-difference tests (sem.pls.compare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.reliability import rho_a
from crm_research.sem.pls import bootstrap_pls, estimate_pls
from crm_research.sem.pls.compare import equal_paths_test, path_differences
from crm_research.sem.pls.plsc import (
    bootstrap_model,
    bootstrap_plsc,
    estimate_plsc,
    plsc_from_pls,
    rho_a_batch,
)
from crm_research.sem.simulate import data_with_covariance, simulate_from_spec, true_model

THREE = {"name": "three", "constructs": {
    "A": {"items": ["a1", "a2", "a3"]}, "B": {"items": ["b1", "b2", "b3"]},
    "C": {"items": ["c1", "c2", "c3", "c4"]}},
    "paths": {"B": ["A"], "C": ["A", "B"]}}
THREE_PATHS = {("A", "B"): 0.5, ("A", "C"): 0.3, ("B", "C"): 0.4}
THREE_LOADINGS = {"A": [0.8, 0.7, 0.75], "B": [0.85, 0.7, 0.65], "C": [0.8, 0.8, 0.7, 0.6]}


def _ols_std(data: pd.DataFrame, y: str, xs: list[str]) -> np.ndarray:
    r = data[[*xs, y]].corr().to_numpy()
    return np.linalg.solve(r[:-1, :-1], r[:-1, -1])


# ---------------------------------------------------------------------------------- hand checks

def test_one_indicator_per_construct_is_ols_on_correlations():
    spec = {"name": "single", "constructs": {"X1": {"items": ["x1"]}, "X2": {"items": ["x2"]},
                                             "Y": {"items": ["y"]}},
            "paths": {"Y": ["X1", "X2"]}}
    rng = np.random.default_rng(4)
    x = rng.standard_normal((150, 2)) @ np.array([[1.0, 0.4], [0.0, 1.0]])
    data = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1],
                         "y": 0.5 * x[:, 0] - 0.3 * x[:, 1] + rng.standard_normal(150)})
    fit = estimate_plsc(data, spec)
    b = _ols_std(data, "y", ["x1", "x2"])
    np.testing.assert_allclose(fit.paths["estimate"], b, atol=1e-10)
    assert (fit.rho_a["rho_a"] == 1).all() and not fit.rho_a["corrected"].any()
    r2 = data[["x1", "x2", "y"]].corr().to_numpy()[:2, 2] @ b
    assert fit.r_squared.set_index("construct").loc["Y", "r2"] == pytest.approx(r2, abs=1e-10)


def test_rho_a_loadings_and_correlations_follow_the_formulas():
    sim = simulate_from_spec(THREE, 400, THREE_PATHS, THREE_LOADINGS, seed=2)
    fit = estimate_plsc(sim.data, THREE)
    pls = fit.pls
    corr = sim.data[pls.spec.all_items].corr().to_numpy()
    for j, c in enumerate(["A", "B", "C"]):
        idx = [pls.spec.all_items.index(it) for it in pls.spec.items_of(c)]
        w = pls.weights_matrix[idx, j]
        rho = rho_a(corr[np.ix_(idx, idx)], w)
        assert fit.rho_a.loc[j, "rho_a"] == pytest.approx(rho, rel=1e-9)
        wn = w / np.sqrt(w @ corr[np.ix_(idx, idx)] @ w)
        lam = np.sqrt(rho) * wn / (wn @ wn)            # Dijkstra & Henseler 2015, eq. 16-18
        got = fit.outer_model.set_index("item").loc[pls.spec.items_of(c), "loading"]
        np.testing.assert_allclose(got, lam, rtol=1e-9)
    rho = fit.rho_a.set_index("construct")["rho_a"]
    r_comp = pls.construct_correlations.loc[["A", "B", "C"], ["A", "B", "C"]]
    expected = r_comp.loc["A", "B"] / np.sqrt(rho["A"] * rho["B"])
    assert fit.construct_correlations.loc["A", "B"] == pytest.approx(expected, rel=1e-9)
    rs = fit.construct_correlations.to_numpy()
    b = np.linalg.solve(rs[:2, :2], rs[:2, 2])          # OLS of C on A, B in R*
    got = fit.paths.set_index(["source", "target"])["estimate"]
    np.testing.assert_allclose([got[("A", "C")], got[("B", "C")]], b, rtol=1e-9)


def test_reproduces_csem_plsc_on_the_satisfaction_data(load_dataset):
    """Reference: R cSEM README (github.com/FloSchuberth/cSEM), ``csem(satisfaction, model)``
    with defaults (PLSc, path scheme), IMAG/EXPE/QUAL/VAL modelled as Mode B composites
    (imag1-3, expe1-3, qual1-5, val1-3), SAT and LOY as common factors; ``summarize(res)``
    and ``assess(res)`` printed to 4 decimals (tests/reference/plsc_csem_satisfaction.csv)."""
    from pathlib import Path

    ref = pd.read_csv(Path(__file__).parent / "reference" / "plsc_csem_satisfaction.csv")
    spec = {"name": "cSEM README", "constructs": {
        "IMAG": {"items": ["imag1", "imag2", "imag3"], "mode": "B"},
        "EXPE": {"items": ["expe1", "expe2", "expe3"], "mode": "B"},
        "QUAL": {"items": [f"qual{i}" for i in range(1, 6)], "mode": "B"},
        "VAL": {"items": ["val1", "val2", "val3"], "mode": "B"},
        "SAT": {"items": [f"sat{i}" for i in range(1, 5)]},
        "LOY": {"items": [f"loy{i}" for i in range(1, 5)]}},
        "paths": {"EXPE": ["IMAG"], "QUAL": ["EXPE"], "VAL": ["EXPE", "QUAL"],
                  "SAT": ["IMAG", "EXPE", "QUAL", "VAL"], "LOY": ["IMAG", "SAT"]}}
    fit = estimate_plsc(load_dataset("ecsi_satisfaction"), spec, tol=1e-10, max_iter=500)
    paths = {f"{t}~{s}": v for s, t, v in fit.paths.itertuples(index=False)}
    got = {"path": paths,
           "loading": fit.outer_model.set_index("item")["loading"].to_dict(),
           "rho_a": fit.rho_a.set_index("construct")["rho_a"].to_dict(),
           "r2": fit.r_squared.set_index("construct")["r2"].to_dict(),
           "r2_adj": fit.r_squared.set_index("construct")["r2_adj"].to_dict()}
    for r in ref.itertuples():
        assert got[r.kind][r.key] == pytest.approx(r.value, abs=6e-5), (r.kind, r.key)


def test_batched_rho_a_equals_the_measurement_module():
    rng = np.random.default_rng(5)
    for k in (2, 3, 5):
        x = rng.standard_normal((80, k)) + rng.standard_normal((80, 1))
        s = np.corrcoef(x, rowvar=False)
        w = rng.uniform(0.2, 1.0, k)
        w = w / np.sqrt(w @ s @ w)
        assert rho_a_batch(s[None], w[None])[0] == pytest.approx(rho_a(s, w), rel=1e-12)


def test_population_covariance_gives_the_factor_model_truth_exactly():
    truth = true_model(THREE, THREE_PATHS, THREE_LOADINGS, 0.3)
    data = data_with_covariance(truth.indicator_correlation)
    fit = estimate_plsc(data, THREE)
    est = fit.paths.set_index(["source", "target"])["estimate"]
    for key, value in THREE_PATHS.items():
        assert est[key] == pytest.approx(value, abs=1e-5)
    np.testing.assert_allclose(fit.outer_model["loading"], truth.loadings["loading"], atol=1e-5)
    pls = fit.pls.paths.set_index(["source", "target"])["estimate"]
    assert pls[("A", "B")] < 0.5 - 0.05          # PLS attenuates (composites)


# ------------------------------------------------------------------------------------- recovery

def test_recovery_bias_within_monte_carlo_error_while_pls_attenuates():
    reps, n = 150, 300
    est, pls = [], []
    for r in range(reps):
        sim = simulate_from_spec(THREE, n, THREE_PATHS, THREE_LOADINGS, seed=1000 + r)
        fit = estimate_plsc(sim.data, THREE)
        est.append(fit.paths["estimate"].to_numpy())
        pls.append(fit.pls.paths["estimate"].to_numpy())
    keys = list(zip(fit.paths["source"], fit.paths["target"], strict=True))
    truth = np.array([THREE_PATHS[k] for k in keys])
    est, pls = np.array(est), np.array(pls)
    mc_std_error = est.std(axis=0, ddof=1) / np.sqrt(reps)
    bias = est.mean(axis=0) - truth
    assert (np.abs(bias) < 3 * mc_std_error + 0.005).all(), (bias, mc_std_error)
    pls_bias = pls.mean(axis=0) - truth
    a_b = keys.index(("A", "B"))
    assert pls_bias[a_b] < -10 * mc_std_error[a_b]           # A -> B attenuated by PLS


def test_bootstrap_coverage_near_nominal_for_plsc_not_for_pls():
    reps, n = 50, 400
    cover_c, cover_p = [], []
    for r in range(reps):
        sim = simulate_from_spec(THREE, n, THREE_PATHS, THREE_LOADINGS, seed=5000 + r)
        boot = bootstrap_plsc(sim.data, THREE, n_boot=150, seed=r)
        key = (boot.paths["source"] == "A") & (boot.paths["target"] == "B")
        c = boot.paths[key].iloc[0]
        p = boot.pls_paths[key].iloc[0]
        cover_c.append(c.ci_low <= 0.5 <= c.ci_high)
        cover_p.append(p.ci_low <= 0.5 <= p.ci_high)
    assert np.mean(cover_c) >= 0.85          # nominal 0.95; MC SE ~0.03 with 50 replicates
    assert np.mean(cover_p) <= 0.5           # PLS: intervals centred on its attenuated estimand


def test_bootstrap_matches_single_fits_and_is_deterministic():
    sim = simulate_from_spec(THREE, 200, THREE_PATHS, THREE_LOADINGS, seed=8)
    b1 = bootstrap_plsc(sim.data, THREE, n_boot=60, seed=3)
    b2 = bootstrap_plsc(sim.data, THREE, n_boot=60, seed=3, chunk_size=7)
    pd.testing.assert_frame_equal(b1.paths, b2.paths)
    fit = estimate_plsc(sim.data, THREE)
    np.testing.assert_allclose(b1.paths["estimate"], fit.paths["estimate"], atol=1e-12)
    np.testing.assert_allclose(b1.pls_paths["estimate"], fit.pls.paths["estimate"], atol=1e-10)
    # one resample re-estimated with the single-fit path gives the same draw
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 200, size=(60, 200))
    accepted = [i for i in range(60)
                if all(plsc_from_pls(estimate_pls(sim.data.iloc[idx[i]], THREE)).admissible
                       .values())]
    first = plsc_from_pls(estimate_pls(sim.data.iloc[idx[accepted[0]]], THREE))
    np.testing.assert_allclose(b1.draws["paths"].iloc[0], first.paths["estimate"], atol=1e-8)
    assert b1.n_ok == len(accepted)
    assert {"estimate", "std_error", "ci_low", "ci_high", "p_value"} <= set(b1.table.columns)
    assert set(b1.fit_table().columns) == {"statistic", "value"}


# ------------------------------------------------------------------------------- invariances

@settings(max_examples=8)
@given(scale=st.lists(st.floats(0.2, 5.0), min_size=10, max_size=10),
       shift=st.floats(-3, 3), perm_seed=st.integers(0, 1000))
def test_invariant_to_item_scaling_and_order_within_blocks(scale, shift, perm_seed):
    sim = simulate_from_spec(THREE, 120, THREE_PATHS, THREE_LOADINGS, seed=11)
    base = estimate_plsc(sim.data, THREE).paths["estimate"].to_numpy()
    data = sim.data * np.array(scale) + shift
    rng = np.random.default_rng(perm_seed)
    spec = {"name": "perm", "constructs": {c: {"items": list(rng.permutation(v["items"]))}
                                           for c, v in THREE["constructs"].items()},
            "paths": THREE["paths"]}
    data = data[list(rng.permutation(data.columns))]
    got = estimate_plsc(data, spec).paths["estimate"].to_numpy()
    np.testing.assert_allclose(got, base, atol=1e-7)


# ---------------------------------------------------------------------------- bad input

def test_bad_input_raises_project_errors():
    sim = simulate_from_spec(THREE, 60, THREE_PATHS, THREE_LOADINGS, seed=1)
    with pytest.raises(SpecError):
        estimate_plsc(sim.data, "corp_rep_moderation")
    with pytest.raises(ParameterError):
        bootstrap_model(sim.data, THREE, estimator="cbsem")
    with pytest.raises(ParameterError):
        bootstrap_plsc(sim.data, THREE, n_boot=10, level=1.5)
    with pytest.raises(ParameterError):
        plsc_from_pls(estimate_pls(sim.data, THREE, scaled=False))
    # a block whose two items correlate negatively with each other but positively with the
    # neighbouring construct: both weights positive, w'(S - diag S)w < 0, so rho_A < 0
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal(300), 2.0 * rng.standard_normal(300)
    bad = pd.DataFrame({"a1": u + v, "a2": u - v, "b1": u + rng.standard_normal(300),
                        "b2": u + rng.standard_normal(300)})
    two = {"name": "two", "constructs": {"A": {"items": ["a1", "a2"]},
                                         "B": {"items": ["b1", "b2"]}}, "paths": {"B": ["A"]}}
    with pytest.raises(EstimationError, match="rho_A"):
        estimate_plsc(bad, two)


# ------------------------------------------------------------------------- path differences

def test_path_difference_matches_draws_by_hand():
    sim = simulate_from_spec(THREE, 150, THREE_PATHS, THREE_LOADINGS, seed=21)
    boot = bootstrap_pls(sim.data, THREE, n_boot=100, seed=2, jackknife=False)
    tab = path_differences(boot, target="C")
    d = boot.draws["paths"]["A -> C"] - boot.draws["paths"]["B -> C"]
    row = tab.iloc[0]
    assert row.std_error == pytest.approx(d.std(ddof=1))
    assert row.ci_low == pytest.approx(np.quantile(d, 0.025))
    est = boot.paths.set_index(["source", "target"])["estimate"]
    assert row.estimate == pytest.approx(est[("A", "C")] - est[("B", "C")])
    w = equal_paths_test(boot, ["A -> C", ("B", "C")]).iloc[0]
    assert w.statistic == pytest.approx((row.estimate / row.std_error) ** 2, rel=1e-9)
    with pytest.raises(ParameterError):
        path_differences(boot, pairs=[("A -> C", "X -> C")])
    with pytest.raises(ParameterError):
        equal_paths_test(boot, ["A -> C"])


def test_path_difference_size_is_nominal_when_true_paths_are_equal():
    spec = {"name": "eq", "constructs": {"X1": {"items": ["p1", "p2", "p3"]},
                                         "X2": {"items": ["q1", "q2", "q3"]},
                                         "Y": {"items": ["y1", "y2", "y3"]}},
            "paths": {"Y": ["X1", "X2"]}}
    reps = 120
    rejected = []
    for r in range(reps):
        sim = simulate_from_spec(spec, 150, 0.35, 0.75, exo_correlation=0.3, seed=700 + r)
        boot = bootstrap_plsc(sim.data, spec, n_boot=100, seed=r)
        rejected.append(path_differences(boot, target="Y").iloc[0]["p_value"] < 0.05)
    rate = float(np.mean(rejected))
    assert 0.01 <= rate <= 0.10, rate        # nominal 0.05; MC SE 0.02 with 120 replicates


# --------------------------------------------------------------------- higher-order constructs

SECOND_ORDER_TRUTH = {
    "name": "second order", "constructs": {
        "X": {"items": ["x1", "x2", "x3"]}, "RQ": {"items": ["rq_unobserved"]},
        "SAT": {"items": ["s1", "s2", "s3"]}, "COM": {"items": ["c1", "c2", "c3"]},
        "TRU": {"items": ["t1", "t2", "t3"]}, "Y": {"items": ["y1", "y2", "y3"]}},
    "paths": {"RQ": ["X"], "SAT": ["RQ"], "COM": ["RQ"], "TRU": ["RQ"], "Y": ["RQ"]}}
SECOND_ORDER_PATHS = {("X", "RQ"): 0.5, ("RQ", "SAT"): 0.8, ("RQ", "COM"): 0.75,
                      ("RQ", "TRU"): 0.85, ("RQ", "Y"): 0.6}
HOC_MODEL = {"name": "hoc", "constructs": {
    c: v for c, v in SECOND_ORDER_TRUTH["constructs"].items() if c != "RQ"},
    "paths": {"RQ": ["X"], "Y": ["RQ"]}, "higher_order": {"RQ": ["SAT", "COM", "TRU"]}}


def _second_order_data(n: int, seed: int):
    sim = simulate_from_spec(SECOND_ORDER_TRUTH, n, SECOND_ORDER_PATHS, 0.8, seed=seed)
    return sim.data.drop(columns="rq_unobserved"), sim.latent


def test_hoc_approaches_agree_and_recover_the_second_order_truth():
    from crm_research.sem.pls.hoc import compare_approaches, repeated_indicators, two_stage

    data, latent = _second_order_data(3000, seed=1)
    res = [repeated_indicators(data, HOC_MODEL), two_stage(data, HOC_MODEL, "embedded"),
           two_stage(data, HOC_MODEL, "disjoint")]
    tab = compare_approaches(res)
    est = tab[["repeated indicators", "embedded two-stage", "disjoint two-stage"]].to_numpy()
    assert (est.max(axis=1) - est.min(axis=1) < 0.02).all(), tab      # agreement
    for r in res:                                   # the HOC score tracks the true factor
        assert np.corrcoef(r.scores["RQ"], latent["RQ"])[0, 1] > 0.85
    # PLSc in stage 2 recovers the factor-model paths; PLS attenuates them
    plsc = two_stage(data, HOC_MODEL, "embedded", estimator="plsc").paths
    pls = res[1].paths
    for (s, t), v in [(("X", "RQ"), 0.5), (("RQ", "Y"), 0.6)]:
        got = plsc.set_index(["source", "target"]).loc[(s, t), "estimate"]
        assert abs(got - v) < 0.05
        assert pls.set_index(["source", "target"]).loc[(s, t), "estimate"] < v - 0.05


def test_hoc_spec_errors():
    from crm_research.sem.pls.hoc import parse_hoc_model, two_stage

    bad = dict(HOC_MODEL, higher_order={"RQ": ["SAT"]})
    with pytest.raises(SpecError):
        parse_hoc_model(bad)
    with pytest.raises(SpecError):
        parse_hoc_model(dict(HOC_MODEL, higher_order={"RQ": ["SAT", "NOPE"]}))
    with pytest.raises(SpecError):
        parse_hoc_model(dict(HOC_MODEL, paths={"RQ": ["X"], "Y": ["RQ", "SAT"]}))
    data, _ = _second_order_data(100, seed=2)
    with pytest.raises(ParameterError):
        two_stage(data, HOC_MODEL, approach="three-stage")


def test_plsc_diagnostics_flag_collinear_constructs(load_dataset):
    from crm_research.sem.pls.plsc import plsc_diagnostics

    fit = estimate_plsc(load_dataset("ecsi_satisfaction"), "ecsi_satisfaction")
    notes = plsc_diagnostics(fit)
    assert any("QUAL -> VAL" in n and "outside" in n for n in notes)
    assert any("EXPE and QUAL" in n for n in notes)
    truth = true_model(THREE, THREE_PATHS, THREE_LOADINGS, 0.3)
    assert plsc_diagnostics(estimate_plsc(data_with_covariance(truth.indicator_correlation),
                                          THREE)) == []
