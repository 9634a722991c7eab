"""Project-success simulator calibrated to source text 002 (studies.simulate_projects)."""

from __future__ import annotations

import numpy as np
import pytest

from crm_research.errors import ParameterError
from crm_research.studies.simulate_projects import (
    DEFAULT_COEFFICIENTS,
    FRAMEWORKS,
    PRACTICES,
    READINESS,
    calibrate_technology_terms,
    simulate_crm_projects,
    success_by_technologies,
    technology_drop_power,
)


def test_defaults_reproduce_the_texts_success_rates():
    tab = success_by_technologies(n=400_000, seed=11).set_index("technologies")
    one = tab.loc["one (1)", "success_rate"]
    many = tab.loc["more than three (4-8)", "success_rate"]
    assert one == pytest.approx(0.70, abs=0.01)          # "about 70%"
    assert many < 0.40                                   # "under 40%"
    assert many == pytest.approx(0.35, abs=0.01)
    assert "002" in tab.loc["one (1)", "source"]
    by_k = tab.loc[[str(k) for k in range(1, 9)], "success_rate"].to_numpy()
    assert (np.diff(by_k) < 0).all()                     # each extra technology lowers success
    assert tab.loc[[str(k) for k in range(1, 9)], "share_of_projects"].sum() == pytest.approx(1)


def test_default_coefficients_are_the_rounded_calibration():
    cal = calibrate_technology_terms(seed=5)
    assert DEFAULT_COEFFICIENTS["intercept"] == pytest.approx(cal["intercept"], abs=0.01)
    assert DEFAULT_COEFFICIENTS["n_technologies"] == pytest.approx(cal["n_technologies"],
                                                                   abs=0.01)
    # other targets move the solution the right way: a smaller drop needs a flatter slope
    flat = calibrate_technology_terms(0.70, 0.55, n=100_000, seed=5)
    assert cal["n_technologies"] < flat["n_technologies"] < 0
    with pytest.raises(ParameterError):
        calibrate_technology_terms(1.2, 0.3)


def test_structure_term_completes_leavitts_diamond_and_is_recovered():
    assert "structure_readiness" in READINESS
    parts = FRAMEWORKS[FRAMEWORKS["framework"] == "Leavitt's diamond"]
    assert set(parts["part"]) == {"structure", "people", "technology", "process"}
    assert set(FRAMEWORKS["framework"]) >= {"people-process-technology",
                                            "change management (four dimensions)",
                                            "Sin, Tse & Yim (2005) CRM dimensions"}
    cm = FRAMEWORKS[FRAMEWORKS["framework"].str.startswith("change management")]
    assert set(cm["simulator_term"]) == set(PRACTICES)
    sim = simulate_crm_projects(400, seed=4)
    table = sim.truth.parameters_table()
    calibrated = table[table["source"].str.startswith("calibrated")]
    assert set(calibrated["parameter"]) == {"logit coefficient: intercept",
                                            "logit coefficient: n_technologies"}
    assert calibrated["source"].str.contains("L1049-L1059").all()
    # structure readiness raises success: compare top and bottom quartiles of the true p
    big = simulate_crm_projects(40_000, seed=6).data
    q = big["structure_readiness"].quantile([0.25, 0.75]).to_numpy()
    low = big.loc[big["structure_readiness"] < q[0], "success"].mean()
    high = big.loc[big["structure_readiness"] > q[1], "success"].mean()
    assert high - low > 0.1


def test_power_to_detect_the_drop_grows_with_projects_and_has_nominal_size():
    power = technology_drop_power([60, 400], n_sims=150, seed=2)
    assert power["power"].iloc[0] < power["power"].iloc[1]
    assert power["power"].iloc[1] > 0.9
    # no technology effect: the one-sided test rejects about alpha of the time
    null = technology_drop_power([400], n_sims=300, seed=3, truth=simulate_crm_projects(
        10, coefficients={"n_technologies": 0.0}).truth)
    assert null["power"].iloc[0] < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
    again = technology_drop_power([60, 400], n_sims=150, seed=2)
    assert again.equals(power)
    with pytest.raises(ParameterError):
        technology_drop_power([5])
