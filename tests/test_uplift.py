"""Uplift models (crm_research.causal.uplift) and their evaluation (uplift_eval).

Three kinds of checks: a Qini curve worked out by hand and reference values of scikit-uplift;
recovery of a known heterogeneous effect on simulated data and of the experiment's ATE on
Hillstrom; hypothesis properties (perfect ordering = 1, random ordering ≈ 0, invariance to
monotone transforms of the score).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.causal.campaign import campaign_frame
from crm_research.causal.estimators import difference_in_means
from crm_research.causal.uplift import ALL_MODELS, cross_fit_uplift, fit_uplift
from crm_research.causal.uplift_eval import (
    curve_table,
    perfect_qini_curve,
    qini_coefficient,
    qini_curve,
    qini_table,
    uplift_at_k,
    uplift_auc,
    uplift_by_decile,
    uplift_curve,
)
from crm_research.causal.uplift_sim import simulate_uplift
from crm_research.data.datasets import load
from crm_research.errors import DataError, EstimationError, ParameterError

REFERENCE = Path(__file__).parent / "reference" / "uplift_sklift.csv"
COVARIATES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]

# --- hand-checkable case -------------------------------------------------------------------
# Sorted by score: (y=1, T=1), (y=0, T=1), (y=1, T=0), (y=0, T=0).
Y4, T4, S4 = [1, 0, 1, 0], [1, 1, 0, 0], [4.0, 3.0, 2.0, 1.0]


def test_qini_and_uplift_curve_by_hand():
    x, q = qini_curve(Y4, S4, T4)
    # Q(k) = Y_T - Y_C * N_T / N_C: k=1: 1; k=2: 1; k=3: 1 - 1*2/1 = -1; k=4: 1 - 1*2/2 = 0
    np.testing.assert_allclose(x, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(q, [0, 1, 1, -1, 0])
    _, u = uplift_curve(Y4, S4, T4)
    # U(k) = (Y_T/N_T - Y_C/N_C) k: 1, 0.5*2, (0.5-1)*3, 0
    np.testing.assert_allclose(u, [0, 1, 1, -1.5, 0])
    # perfect score y*t - y*(1-t) = [1, 0, -1, 0]: thresholds after 1 and after the tie of 3
    xp, qp = perfect_qini_curve(Y4, T4)
    np.testing.assert_allclose(xp, [0, 1, 3, 4])
    np.testing.assert_allclose(qp, [0, 1, 1, 0])
    # areas: model 0.5 + 1 + 0 - 0.5 = 1; perfect 0.5 + 2 + 0.5 = 3; baseline to (4, 0) = 0
    assert qini_coefficient(Y4, S4, T4) == pytest.approx(1.0 / 3.0)


def test_matches_scikit_uplift_reference_values():
    """Values computed with scikit-uplift 0.5.1 (``qini_auc_score``, ``uplift_auc_score``,
    ``uplift_at_k(strategy='overall', k=0.3)``) on the data generated below (ties included)."""
    ref = pd.read_csv(REFERENCE)
    for row in ref.itertuples():
        rng = np.random.default_rng(int(row.seed))
        n = int(row.n)
        y, t = rng.integers(0, 2, n), rng.integers(0, 2, n)
        s = np.round(rng.normal(size=n), 1)
        assert qini_coefficient(y, s, t) == pytest.approx(row.qini_auc_score, abs=1e-10)
        assert uplift_auc(y, s, t) == pytest.approx(row.uplift_auc_score, abs=1e-10)
        assert uplift_at_k(y, s, t, 0.3) == pytest.approx(row.uplift_at_k_0_3, abs=1e-10)


def test_uplift_by_decile_by_hand():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    t = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    s = np.arange(8, 0, -1, dtype=float)
    tab = uplift_by_decile(y, s, t, n_groups=2)
    # group 1 = first four: treated y = [1, 1], control y = [0, 1] -> 1 - 0.5
    # group 2 = last four: treated y = [0, 0], control y = [0, 1] -> 0 - 0.5
    np.testing.assert_allclose(tab["estimate"], [0.5, -0.5])
    assert tab["n"].tolist() == [4, 4]
    est = difference_in_means(pd.DataFrame({"y": y[:4], "t": t[:4]}), "y", "t")
    assert tab["ci_low"].iloc[0] == pytest.approx(est.ci_low)


# --- properties ----------------------------------------------------------------------------

arms = st.integers(min_value=20, max_value=120).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 1), min_size=n, max_size=n),
                        st.lists(st.integers(0, 1), min_size=n, max_size=n)))


def _usable(y: np.ndarray, t: np.ndarray) -> bool:
    if t.min() == t.max():
        return False
    perfect = perfect_qini_curve(y, t)
    base = perfect[1][-1] * perfect[0][-1] / 2.0
    area = float(np.trapezoid(perfect[1], perfect[0]))
    return abs(area - base) > 1e-9


@settings(max_examples=40)
@given(arms)
def test_perfect_ordering_has_qini_one(data):
    y, t = np.array(data[0]), np.array(data[1])
    if not _usable(y, t):
        return
    assert qini_coefficient(y, y * t - y * (1 - t), t) == pytest.approx(1.0)
    # a constant score is the random line itself
    assert qini_coefficient(y, np.zeros(len(y)), t) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(arms, st.integers(0, 2**31))
def test_random_ordering_has_qini_near_zero(data, seed):
    y, t = np.array(data[0]), np.array(data[1])
    if not _usable(y, t):
        return
    rng = np.random.default_rng(seed)
    draws = np.array([qini_coefficient(y, rng.permutation(len(y)), t) for _ in range(300)])
    # mean over random orderings is 0 up to Monte-Carlo error
    assert abs(draws.mean()) < 4.5 * draws.std(ddof=1) / np.sqrt(len(draws)) + 1e-12


@settings(max_examples=30)
@given(arms, st.integers(0, 2**31))
def test_qini_invariant_to_monotone_transform(data, seed):
    y, t = np.array(data[0]), np.array(data[1])
    if not _usable(y, t):
        return
    s = np.random.default_rng(seed).normal(size=len(y))
    assert qini_coefficient(y, s, t) == pytest.approx(qini_coefficient(y, 3.0 * s + 1.0, t))


# --- recovery on simulated data with a known CATE ------------------------------------------

@pytest.fixture(scope="module")
def sim_binary():
    return simulate_uplift(20000, kind="binary", effect=0.3, slope=0.8, flip=0.9, seed=11)


@pytest.fixture(scope="module")
def fit_binary(sim_binary):
    return cross_fit_uplift(sim_binary, "y", "treatment", ["x1", "x2", "group"],
                            models=ALL_MODELS, n_folds=3, seed=5)


def test_uplift_models_recover_known_cate(sim_binary, fit_binary):
    wide = fit_binary.wide()
    tau = sim_binary["tau"].to_numpy()
    dim = difference_in_means(sim_binary, "y", "treatment")
    for model in ("two_model", "class_transformation", "transformed_outcome", "x_learner"):
        pred = wide[model].to_numpy()
        assert np.corrcoef(pred, tau)[0, 1] > 0.85, model
        # the mean prediction tracks the sample's effect, which is within sampling error of
        # the true average effect
        assert abs(pred.mean() - dim.estimate) < 0.005, model
        assert abs(pred.mean() - tau.mean()) < 3 * dim.std_error, model
        # the harmed group (b, flip > effect) is predicted to be hurt on average
        b = (sim_binary["group"] == "b").to_numpy()
        assert pred[b].mean() < 0 < pred[~b].mean(), model


def test_uplift_beats_response_on_qini_when_effects_differ():
    sim = simulate_uplift(20000, kind="binary", effect=0.3, slope=0.8, flip=0.9,
                          baseline_slope=2.0, seed=4)
    res = cross_fit_uplift(sim, "y", "treatment", ["x1", "x2", "group"],
                           models=["two_model", "response"], n_folds=3, seed=5)
    q = qini_table(res.scores).set_index("model")["qini_coefficient"]
    assert q["two_model"] > q["response"] + 0.05
    assert q["two_model"] > 0.1


def test_continuous_outcome_recovery():
    sim = simulate_uplift(6000, kind="continuous", effect=1.0, slope=1.0, flip=0.5, seed=3)
    res = cross_fit_uplift(sim, "y", "treatment", ["x1", "x2", "group"],
                           models=["two_model", "transformed_outcome", "x_learner"],
                           n_folds=3, seed=1)
    wide = res.wide()
    for model in ("two_model", "transformed_outcome", "x_learner"):
        assert np.corrcoef(wide[model], sim["tau"])[0, 1] > 0.8, model
        assert wide[model].mean() == pytest.approx(sim["tau"].mean(), abs=0.15)


def test_class_transformation_corrects_unequal_arms():
    sim = simulate_uplift(20000, kind="binary", effect=0.4, slope=0.0, treated_share=0.8,
                          seed=2)
    X = sim[["x1", "x2"]].to_numpy()
    pred = fit_uplift("class_transformation", X, sim["y"].to_numpy(float),
                      sim["treatment"].to_numpy(), X, True)
    # truth: mean tau; an unweighted fit would be biased by 2·(0.8 - 0.5)·(...)
    assert pred.mean() == pytest.approx(sim["tau"].mean(), abs=0.02)


# --- Hillstrom: mean out-of-fold uplift ≈ experiment ATE -----------------------------------

def test_hillstrom_mean_oof_uplift_close_to_ate():
    frame = campaign_frame(load("hillstrom_email"), "Mens")
    res = cross_fit_uplift(frame, "visit", "treatment", COVARIATES,
                           models=["two_model", "transformed_outcome", "x_learner"],
                           n_folds=3, seed=1)
    ate = difference_in_means(frame, "visit", "treatment")
    for model, part in res.scores.groupby("model"):
        assert ate.ci_low <= part["uplift"].mean() <= ate.ci_high, model
    again = cross_fit_uplift(frame, "visit", "treatment", COVARIATES,
                             models=["two_model", "transformed_outcome", "x_learner"],
                             n_folds=3, seed=1)
    pd.testing.assert_frame_equal(res.scores, again.scores)
    assert set(res.fit_table()["statistic"]) >= {"n_folds", "seed", "learner"}


def test_curve_table_has_models_perfect_and_random(fit_binary):
    curves = curve_table(fit_binary.scores, n_points=11)
    assert set(curves["model"]) == {*ALL_MODELS, "perfect", "random"}
    rnd = curves[curves["model"] == "random"]
    assert rnd["qini"].iloc[0] == 0.0


# --- bad input -----------------------------------------------------------------------------

def test_bad_input_raises_project_errors(sim_binary):
    cov = ["x1", "x2"]
    with pytest.raises(ParameterError, match="unknown model"):
        cross_fit_uplift(sim_binary, "y", "treatment", cov, models=["magic"])
    with pytest.raises(ParameterError, match="n_folds"):
        cross_fit_uplift(sim_binary, "y", "treatment", cov, n_folds=1)
    with pytest.raises(DataError, match="nope"):
        cross_fit_uplift(sim_binary, "y", "treatment", ["nope"])
    with pytest.raises(ParameterError, match="seed"):
        cross_fit_uplift(sim_binary, "y", "treatment", cov, seed=-1)
    cont = sim_binary.assign(y=sim_binary["y"] * 2.5)
    with pytest.raises(ParameterError, match="class_transformation"):
        cross_fit_uplift(cont, "y", "treatment", cov, models=["class_transformation"])
    with pytest.raises(EstimationError, match="single value"):
        cross_fit_uplift(sim_binary.assign(treatment=1), "y", "treatment", cov)
    with pytest.raises(DataError, match="0/1"):
        qini_coefficient([1, 0], [1, 2], [2, 0])
    with pytest.raises(EstimationError, match="one arm"):
        qini_coefficient([1, 0], [1, 2], [1, 1])
    with pytest.raises(ParameterError, match="0/1 outcome"):
        uplift_auc([2.5, 0, 1], [1, 2, 3], [1, 0, 1])
