"""The ecrm_loyalty study: model, codebook, simulator and the analyses that answer the case."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from crm_research.data.codebook import load_codebook
from crm_research.errors import ParameterError
from crm_research.sem.pls.plsc import bootstrap_plsc
from crm_research.studies import ecrm_loyalty as study
from crm_research.studies.simulate_ecrm import (
    COMPONENTS,
    ecrm_model,
    ecrm_truth,
    simulate_customers,
)

PERSIAN = re.compile(r"[\u0600-\u06FF]")


def test_codebook_matches_model_with_english_persian_wording_and_sources():
    cb = load_codebook("ecrm_loyalty")
    spec = ecrm_model()
    assert cb.blocks == spec.blocks
    tab = study.codebook_table(cb)
    assert len(tab) == len(spec.all_items) == 22
    assert (tab["wording"].str.len() > 10).all()
    assert tab["wording_fa"].map(lambda s: bool(PERSIAN.search(s))).all()
    assert tab["label_fa"].map(lambda s: bool(PERSIAN.search(s))).all()
    assert (tab["source"].str.len() > 5).all()
    cited = " ".join(tab["source"])
    for author in ("Parasuraman", "Morgan & Hunt", "Zeithaml, Berry & Parasuraman",
                   "source text 004"):
        assert author in cited


def test_simulator_is_deterministic_and_follows_its_truth():
    truth = ecrm_truth(missing_rate=0.05, acquiescence_sd=0.3)
    a = simulate_customers(truth, 400, seed=3).data
    b = simulate_customers(truth, 400, seed=3).data
    pd.testing.assert_frame_equal(a, b)
    items = a[ecrm_model().all_items]
    assert items.isna().to_numpy().mean() == pytest.approx(0.05, abs=0.01)
    vals = items.stack().unique()
    assert set(vals) <= set(range(1, 8))
    # continuous responses: latent scores reproduce the true paths by OLS (no measurement)
    sim = simulate_customers(ecrm_truth(), 20000, seed=1, likert=False)
    lat = sim.latent
    b_sat = np.polyfit(lat["ECRM"], lat["SAT"], 1)[0]
    assert b_sat == pytest.approx(0.55, abs=0.02)
    shares = ecrm_truth().mediation_truth()
    assert shares["share"].sum() == pytest.approx(1.0)
    table = ecrm_truth().parameters_table()
    assert table["source"].str.contains("illustrative").sum() >= 9
    assert table["source"].str.contains("source text 004").any()
    with pytest.raises(ParameterError):
        ecrm_truth(paths={("SAT", "ECRM"): 0.3})
    with pytest.raises(ParameterError):
        simulate_customers(truth, 2)


def test_study_recovers_its_truth():
    """Mean over replicate surveys of the PLSc estimates of the four eCRM paths and of the
    mediated shares lies within Monte-Carlo error of the truth; on one survey the
    differences the truth builds in are detected."""
    truth = ecrm_truth(missing_rate=0.02)
    spec = truth.spec
    reps, n = 6, 1500
    eff, shares = [], []
    for r in range(reps):
        data = simulate_customers(truth, n, seed=40 + r).data
        boot = bootstrap_plsc(data, spec, n_boot=120, seed=r, missing="mean")
        eff.append(study.component_effects(boot, truth)["estimate"].to_numpy())
        sh = study.mediation_shares(boot, truth)
        shares.append(sh["share"].to_numpy()[:4])
    eff, shares = np.array(eff), np.array(shares)
    true_eff = np.array([truth.true_paths()[("ECRM", c)] for c in COMPONENTS])
    true_share = truth.mediation_truth()["share"].to_numpy()[:4]
    se_eff = eff.std(axis=0, ddof=1) / np.sqrt(reps)
    se_sh = shares.std(axis=0, ddof=1) / np.sqrt(reps)
    assert (np.abs(eff.mean(axis=0) - true_eff) < 3 * se_eff + 0.02).all(), eff.mean(axis=0)
    assert (np.abs(shares.mean(axis=0) - true_share) < 3 * se_sh + 0.03).all(), \
        shares.mean(axis=0)
    effects = study.component_effects(boot, truth)
    assert effects["raises"].all()
    diffs, omnibus = study.coefficient_differences(boot, truth)
    assert omnibus["p_value"].iloc[0] < 0.001
    sat_com = diffs[(diffs["path_1"] == "ECRM -> SAT") & (diffs["path_2"] == "ECRM -> COM")]
    assert sat_com["differ"].iloc[0] and sat_com["true_difference"].iloc[0] == pytest.approx(0.3)


def test_findings_and_failed_checks_are_built_from_the_tables():
    truth = ecrm_truth()
    data = simulate_customers(truth, 300, seed=5).data
    boot = bootstrap_plsc(data, truth.spec, n_boot=60, seed=1, missing="mean")
    effects = study.component_effects(boot, truth)
    diffs, omnibus = study.coefficient_differences(boot, truth)
    shares = study.mediation_shares(boot, truth)
    prio = pd.DataFrame({"construct": ["SAT", "EMP"], "importance": [2.0, 1.0],
                         "performance": [40.0, 60.0], "quadrant": ["improve first",
                                                                   "possible overkill"]})
    power = pd.DataFrame({"n": [100, 300], "power": [0.5, 0.9], "power_mc_std_error": [0.1, 0.05]})
    text = study.case_findings(effects, diffs, omnibus, shares, prio, power, 0.95, 0.05,
                               {"SAT": "Customer satisfaction"})
    assert len(text) == 5
    assert f"{effects['estimate'].iloc[0]:.2f}" in text[0]
    assert "Customer satisfaction" in text[3] and "300" in text[4]
    wrong = effects.assign(true=effects["true"] + 1.0, covers_true=False)
    rel = pd.DataFrame({"construct": ["SAT"], "rho_a": [0.6], "ave": [0.4]})
    htmt = pd.DataFrame([[np.nan, 0.9], [0.9, np.nan]], index=["A", "B"], columns=["A", "B"])
    failed = study.failed_checks(rel, htmt, boot, wrong)
    assert sum("misses the true" in f for f in failed) == 4
    assert any("rho_A of SAT" in f for f in failed) and any("HTMT of A and B" in f for f in failed)


def test_monte_carlo_helpers_are_deterministic_and_validate_input():
    truth = ecrm_truth()
    sim = study.customer_simulator(truth)
    p1 = study.difference_power(sim, truth.spec, [80], 2, n_boot=20, seed=3)
    p2 = study.difference_power(sim, truth.spec, [80], 2, n_boot=20, seed=3)
    pd.testing.assert_frame_equal(p1, p2)
    assert p1["n_sims"].iloc[0] + p1["n_failed"].iloc[0] == 2
    rec = study.estimator_recovery(sim, truth.spec, truth.true_paths(), 150, 2, n_boot=20,
                                   seed=1)
    assert set(rec["estimator"]) == {"PLS", "PLSc"}
    assert len(rec) == 2 * len(truth.spec.paths)
    with pytest.raises(ParameterError):
        study.difference_power(sim, truth.spec, [10], 2)
    assert np.isnan(study.smallest_n_for_power(pd.DataFrame({"n": [50], "power": [0.2]})))


def test_user_csv_is_read_against_the_codebook(tmp_path):
    from crm_research.errors import DataError
    from crm_research.studies.success_factors import read_survey_csv

    truth = ecrm_truth()
    data = simulate_customers(truth, 120, seed=9).data
    path = tmp_path / "answers.csv"
    data.to_csv(path, index=False)
    back = read_survey_csv(path, "ecrm_loyalty")
    pd.testing.assert_frame_equal(back[truth.spec.all_items], data[truth.spec.all_items])
    bad = data.copy()
    bad.loc[4, "tru2"] = 9
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match="tru2"):
        read_survey_csv(path, "ecrm_loyalty")
    bad.drop(columns=["emp3"]).to_csv(path, index=False)
    with pytest.raises(DataError, match="emp3"):
        read_survey_csv(path, "ecrm_loyalty")
