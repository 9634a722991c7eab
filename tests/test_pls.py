"""Tests of the PLS path-modelling engine (crm_research.sem.pls).

Reference values
----------------
* R plspm 0.4 on its ``satisfaction`` data (Sanchez 2013, "PLS Path Modeling with R", ch. 4-5:
  the ECSI model with centroid scheme, ``scaled = FALSE``, tol 1e-6): full-precision outputs of
  ``plspm()`` as stored in the regression fixtures of the Python port plspm
  (GoogleCloudPlatform/plspm-python, tests/data/satisfaction.*.csv, produced by R plspm).
* R seminr on ``mobi`` (plspm-python tests/data/seminr-mobi-basic-*.csv) and on ``corp_rep_data``
  with mean replacement (seminr tests/fixtures/V_3_6_0/corp_rep_simple_paths.csv), the simple
  corporate-reputation model of Hair et al. (2017, Primer, ch. 5).

The values are stored in tests/reference/*.csv; SEM_SOURCES.md there gives the R calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_research.data import datasets
from crm_research.errors import ConvergenceError, DataError, ParameterError, SpecError
from crm_research.sem.pls import bootstrap_pls, estimate_pls
from crm_research.sem.pls.algorithm import fit_batch
from crm_research.sem.pls.design import make_design, weighted_moments
from crm_research.sem.pls.ipma import ipma
from crm_research.sem.pls.mga import mga_permutation
from crm_research.sem.pls.predict import pls_predict
from crm_research.sem.spec import load_model, parse_spec

SAT = datasets.load("ecsi_satisfaction")

# --- R plspm, satisfaction, centroid, scaled=FALSE (tests/reference/SEM_SOURCES.md) --------
REF = Path(__file__).resolve().parent / "reference"
PLSPM_CENTROID = pd.read_csv(REF / "plspm_satisfaction_centroid_outer.csv")
PLSPM_EFFECTS = list(pd.read_csv(REF / "plspm_satisfaction_centroid_effects.csv")
                     .itertuples(index=False, name=None))  # source, target, direct, ind., total
_CONSTRUCTS = pd.read_csv(REF / "plspm_satisfaction_centroid_constructs.csv").set_index("construct")
PLSPM_R2 = _CONSTRUCTS["r2"].dropna().to_dict()
PLSPM_AVE = _CONSTRUCTS["ave"].to_dict()
PLSPM_GOF = float(pd.read_csv(REF / "plspm_satisfaction_centroid_gof.csv")
                  .set_index("statistic").loc["gof", "value"])
# path scheme / factorial scheme (same data and options): IMAG and LOY block weights, loadings
_SCHEMES = pd.read_csv(REF / "plspm_satisfaction_schemes.csv")


def _scheme(scheme: str, prefix: str, column: str) -> list[float]:
    sel = _SCHEMES[(_SCHEMES["scheme"] == scheme) & _SCHEMES["item"].str.startswith(prefix)]
    return sel[column].tolist()


PLSPM_PATH_W = _scheme("path", "imag", "weight")
PLSPM_PATH_L = _scheme("path", "imag", "loading")
PLSPM_PATH_LOY_W = _scheme("path", "loy", "weight")
PLSPM_FACT_W = _scheme("factorial", "imag", "weight")
PLSPM_FACT_LOY_L = _scheme("factorial", "loy", "loading")
# Mode B for every block, centroid: R2 (plspm satisfaction.modeb.inner-summary.csv)
PLSPM_MODEB_R2 = pd.read_csv(REF / "plspm_satisfaction_modeb_r2.csv").set_index(
    "construct")["r2"].to_dict()


def test_matches_r_plspm_centroid_unscaled() -> None:
    res = estimate_pls(SAT, "ecsi_satisfaction", scheme="centroid", scaled=False)
    om = res.outer_model.set_index("item").loc[PLSPM_CENTROID["item"]]
    np.testing.assert_allclose(om["weight"], PLSPM_CENTROID["weight"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(om["loading"], PLSPM_CENTROID["loading"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(om["communality"], PLSPM_CENTROID["loading"] ** 2, atol=1e-10)
    np.testing.assert_allclose(om["redundancy"], PLSPM_CENTROID["redundancy"], atol=1e-10)
    eff = res.effects.set_index(["source", "target"])
    for s, t, direct, indirect, total in PLSPM_EFFECTS:
        np.testing.assert_allclose(eff.loc[(s, t)].to_numpy(dtype=float),
                                   [direct, indirect, total], atol=1e-10)
    assert len(eff) == len(PLSPM_EFFECTS)
    r2 = res.r_squared.set_index("construct")["r2"]
    for c, v in PLSPM_R2.items():
        assert r2[c] == pytest.approx(v, abs=1e-10)
    ave = res.inner_summary.set_index("construct")["ave"]
    for c, v in PLSPM_AVE.items():
        assert ave[c] == pytest.approx(v, abs=1e-10)
    assert res.gof == pytest.approx(PLSPM_GOF, abs=1e-10)
    # published in Sanchez (2013), ch. 4: IMAG -> EXPE 0.578..., SAT -> LOY 0.495...
    paths = res.paths.set_index(["source", "target"])["estimate"]
    assert paths[("IMAG", "EXPE")] == pytest.approx(0.5790, abs=5e-5)
    assert paths[("SAT", "LOY")] == pytest.approx(0.4955, abs=5e-5)


def test_matches_r_plspm_path_and_factorial_schemes() -> None:
    res = estimate_pls(SAT, "ecsi_satisfaction", scheme="path", scaled=False)
    om = res.outer_model.set_index("item")
    np.testing.assert_allclose(om.loc[[f"imag{i}" for i in range(1, 6)], "weight"],
                               PLSPM_PATH_W, atol=1e-10)
    np.testing.assert_allclose(om.loc[[f"imag{i}" for i in range(1, 6)], "loading"],
                               PLSPM_PATH_L, atol=1e-10)
    np.testing.assert_allclose(om.loc[[f"loy{i}" for i in range(1, 5)], "weight"],
                               PLSPM_PATH_LOY_W, atol=1e-10)
    res = estimate_pls(SAT, "ecsi_satisfaction", scheme="factorial", scaled=False)
    om = res.outer_model.set_index("item")
    np.testing.assert_allclose(om.loc[[f"imag{i}" for i in range(1, 6)], "weight"],
                               PLSPM_FACT_W, atol=1e-10)
    np.testing.assert_allclose(om.loc[[f"loy{i}" for i in range(1, 5)], "loading"],
                               PLSPM_FACT_LOY_L, atol=1e-10)


def test_matches_r_plspm_mode_b() -> None:
    spec = load_model("ecsi_satisfaction").to_dict()
    for c in spec["constructs"].values():
        c["mode"] = "B"
    res = estimate_pls(SAT, spec, scheme="centroid", scaled=False)
    r2 = res.r_squared.set_index("construct")["r2"]
    for c, v in PLSPM_MODEB_R2.items():
        assert r2[c] == pytest.approx(v, abs=1e-9)


def test_matches_seminr_mobi_with_mode_b_block() -> None:
    mobi = datasets.load("ecsi_mobi")
    spec = {
        "name": "mobi basic",
        "constructs": {
            "Image": {"items": [f"IMAG{i}" for i in range(1, 6)]},
            "Expectation": {"items": ["CUEX1", "CUEX2", "CUEX3"]},
            "Quality": {"items": [f"PERQ{i}" for i in range(1, 8)], "mode": "B"},
            "Complaints": {"items": ["CUSCO"]},
            "Loyalty": {"items": ["CUSL1", "CUSL2", "CUSL3"]},
        },
        "paths": {"Expectation": ["Image"], "Loyalty": ["Expectation", "Quality", "Complaints"]},
    }
    res = estimate_pls(mobi, spec, scheme="path", tol=1e-14, max_iter=300)
    ref = pd.read_csv(REF / "seminr_mobi_basic.csv", keep_default_na=False)
    p = res.paths.set_index(["source", "target"])["estimate"]
    rp = ref[ref["statistic"] == "path"]
    np.testing.assert_allclose([p[(a, b)] for a, b in zip(rp["source"], rp["target"],
                                                          strict=True)],
                               rp["value"].astype(float), rtol=1e-6)
    om = res.outer_model.set_index("item")
    for stat in ("weight", "loading"):
        r = ref[ref["statistic"] == stat]
        np.testing.assert_allclose(om.loc[r["target"], stat], r["value"].astype(float),
                                   atol=2e-6)


def test_matches_seminr_corp_rep_simple_mean_replacement() -> None:
    res = estimate_pls(datasets.load("corp_rep"), "corp_rep_simple", scheme="path",
                       missing="mean", tol=1e-12)
    p = res.paths.set_index(["source", "target"])["estimate"]
    expected = pd.read_csv(REF / "seminr_corp_rep_simple_paths.csv")
    for r in expected.itertuples():
        assert p[(r.source, r.target)] == pytest.approx(r.estimate, abs=1e-5)
    assert len(expected) == len(p)
    assert res.missing.method == "mean" and res.n_obs == 344
    assert sum(res.missing.imputed.values()) > 0


# --- hand-checkable cases -------------------------------------------------------------------

def _two_block(mode: str) -> dict:
    return {"name": "reg", "constructs": {"X": {"items": ["x1", "x2", "x3"], "mode": mode},
                                           "Y": {"items": ["y"]}},
            "paths": {"Y": ["X"]}}


def _reg_data(n: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) @ np.array([[1, 0.3, 0.2], [0, 1, 0.4], [0, 0, 1]])
    y = x @ np.array([0.5, -0.2, 0.3]) + rng.normal(size=n)
    return pd.DataFrame(np.column_stack([x, y]), columns=["x1", "x2", "x3", "y"])


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
def test_mode_b_block_on_single_item_is_ols(scheme: str) -> None:
    """Mode B block X -> single item y: the composite is the OLS fit of y, R2 = OLS R2."""
    df = _reg_data()
    res = estimate_pls(df, _two_block("B"), scheme=scheme)
    xa = np.column_stack([np.ones(len(df)), df[["x1", "x2", "x3"]]])
    coef, *_ = np.linalg.lstsq(xa, df["y"], rcond=None)
    fitted = xa @ coef
    r2_ols = 1 - ((df["y"] - fitted) ** 2).sum() / ((df["y"] - df["y"].mean()) ** 2).sum()
    assert res.r_squared.set_index("construct").loc["Y", "r2"] == pytest.approx(r2_ols, abs=1e-10)
    score = res.scores["X"].to_numpy()
    assert np.corrcoef(score, fitted)[0, 1] == pytest.approx(1.0, abs=1e-10)
    # weights for standardised items are proportional to the standardised OLS slopes
    w = res.outer_model.set_index("item").loc[["x1", "x2", "x3"], "weight"].to_numpy()
    beta_std = coef[1:] * df[["x1", "x2", "x3"]].std(ddof=0).to_numpy()
    np.testing.assert_allclose(w / w[0], beta_std / beta_std[0], rtol=1e-9)


def test_mode_a_block_on_single_item_weights_are_correlations() -> None:
    """Mode A block X -> single item y: weights ∝ cor(x_i, y) (first PLS-regression component)."""
    df = _reg_data()
    res = estimate_pls(df, _two_block("A"), scheme="centroid")
    w = res.outer_model.set_index("item").loc[["x1", "x2", "x3"], "weight"].to_numpy()
    cor = df[["x1", "x2", "x3"]].corrwith(df["y"]).to_numpy()
    np.testing.assert_allclose(w / np.linalg.norm(w), cor / np.linalg.norm(cor), atol=1e-12)
    # path = correlation of the two scores; loading = correlation of item with score
    assert res.paths["estimate"].iloc[0] == pytest.approx(
        np.corrcoef(res.scores["X"], df["y"])[0, 1], abs=1e-12)
    assert res.outer_model.set_index("item").loc["x1", "loading"] == pytest.approx(
        np.corrcoef(res.scores["X"], df["x1"])[0, 1], abs=1e-12)


def test_single_item_constructs_reduce_to_standardised_regression() -> None:
    rng = np.random.default_rng(3)
    n = 300
    a = rng.normal(size=n)
    b = 0.5 * a + rng.normal(size=n)
    c = 0.3 * a + 0.4 * b + rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": b, "c": c})
    spec = {"name": "obs", "constructs": {"A": ["a"], "B": ["b"], "C": ["c"]},
            "paths": {"B": ["A"], "C": ["A", "B"]}}
    res = estimate_pls(df, spec)
    z = (df - df.mean()) / df.std(ddof=0)
    coef, *_ = np.linalg.lstsq(z[["a", "b"]], z["c"], rcond=None)
    p = res.paths.set_index(["source", "target"])["estimate"]
    assert p[("A", "C")] == pytest.approx(coef[0], abs=1e-12)
    assert p[("B", "C")] == pytest.approx(coef[1], abs=1e-12)
    eff = res.effects.set_index(["source", "target"])
    assert eff.loc[("A", "C"), "indirect"] == pytest.approx(p[("A", "B")] * p[("B", "C")])
    spec_ind = res.specific_indirect_effects("A", "C")
    assert list(spec_ind["chain"]) == ["A -> B -> C"]
    # f2 from the R2 with and without the source
    r2 = res.r_squared.set_index("construct").loc["C", "r2"]
    r2_excl = np.corrcoef(z["a"], z["c"])[0, 1] ** 2
    f2 = res.f_squared.set_index(["source", "target"]).loc[("B", "C"), "f2"]
    assert f2 == pytest.approx((r2 - r2_excl) / (1 - r2), abs=1e-12)
    n_pred = 2
    r2_adj = res.r_squared.set_index("construct").loc["C", "r2_adj"]
    assert r2_adj == pytest.approx(1 - (1 - r2) * (n - 1) / (n - n_pred - 1), abs=1e-12)


def test_two_stage_interaction_is_regression_on_product_of_scores() -> None:
    rng = np.random.default_rng(4)
    n = 400
    x, m = rng.normal(size=(2, n))
    y = 0.4 * x + 0.2 * m + 0.3 * x * m + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "m": m, "y": y})
    spec = {"name": "mod", "constructs": {"X": ["x"], "M": ["m"], "Y": ["y"]},
            "paths": {"Y": ["X", "M", "XxM"]},
            "interactions": {"XxM": {"of": ["X", "M"]}}}
    res = estimate_pls(df, spec)
    z = (df - df.mean()) / df.std(ddof=0)
    prod = z["x"] * z["m"]
    prod = (prod - prod.mean()) / prod.std(ddof=0)
    design = np.column_stack([z["x"], z["m"], prod])
    coef, *_ = np.linalg.lstsq(design, z["y"], rcond=None)
    p = res.paths.set_index(["source", "target"])["estimate"]
    np.testing.assert_allclose([p[("X", "Y")], p[("M", "Y")], p[("XxM", "Y")]], coef,
                               atol=1e-10)
    assert p[("XxM", "Y")] > 0.15  # truth 0.3 on the raw scale
    boot = bootstrap_pls(df, spec, n_boot=60, seed=2)
    assert boot.n_ok == 60
    row = boot.paths.set_index(["source", "target"]).loc[("XxM", "Y")]
    assert row["ci_low"] > 0


# --- parameter recovery on simulated data ----------------------------------------------------

def _composite_population(weights: list[np.ndarray], rho: np.ndarray, r_within: float
                          ) -> np.ndarray:
    """Indicator covariance of a composite model (Dijkstra 2017): within-block equicorrelated
    items, composites w_j'x_j with unit variance and correlation matrix ``rho``."""
    blocks = []
    for w in weights:
        k = w.size
        s = np.full((k, k), r_within) + (1 - r_within) * np.eye(k)
        w = w / np.sqrt(w @ s @ w)
        blocks.append((s, w))
    p = sum(w.size for w in weights)
    cov = np.zeros((p, p))
    off = np.cumsum([0] + [w.size for w in weights])
    for j, (sj, wj) in enumerate(blocks):
        for k, (sk, wk) in enumerate(blocks):
            sl_j, sl_k = slice(off[j], off[j + 1]), slice(off[k], off[k + 1])
            cov[sl_j, sl_k] = sj if j == k else rho[j, k] * np.outer(sj @ wj, sk @ wk)
    return cov


@pytest.mark.parametrize("mode", ["A", "B"])
def test_parameter_recovery_composite_model(mode: str) -> None:
    """Paths of a composite population model are recovered (bias within Monte-Carlo error)."""
    b_xy, b_xz, b_yz = 0.5, 0.3, 0.4
    rho = np.eye(3)
    rho[0, 1] = rho[1, 0] = b_xy
    rho[0, 2] = rho[2, 0] = b_xz + b_yz * b_xy
    rho[1, 2] = rho[2, 1] = b_yz + b_xz * b_xy
    if mode == "A":  # Mode A is consistent when weights are an eigenvector of the block cov
        weights = [np.ones(3), np.ones(4), np.ones(3)]
    else:
        weights = [np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.5, 0.1, 0.4]),
                   np.array([0.5, 0.5, 0.2])]
    cov = _composite_population(weights, rho, 0.4)
    items = [f"x{i}" for i in range(3)] + [f"y{i}" for i in range(4)] + [f"z{i}" for i in range(3)]
    spec = {"name": "sim", "constructs": {
        "X": {"items": items[:3], "mode": mode}, "Y": {"items": items[3:7], "mode": mode},
        "Z": {"items": items[7:], "mode": mode}}, "paths": {"Y": ["X"], "Z": ["X", "Y"]}}
    rng = np.random.default_rng(11)
    reps, n = 80, 400
    est = []
    for _ in range(reps):
        data = pd.DataFrame(rng.multivariate_normal(np.zeros(10), cov, size=n), columns=items)
        p = estimate_pls(data, spec).paths.set_index(["source", "target"])["estimate"]
        est.append([p[("X", "Y")], p[("X", "Z")], p[("Y", "Z")]])
    est = np.array(est)
    mc_std_error = est.std(axis=0, ddof=1) / np.sqrt(reps)
    bias = est.mean(axis=0) - np.array([b_xy, b_xz, b_yz])
    assert np.all(np.abs(bias) < 4 * mc_std_error + 0.005), (bias, mc_std_error)


# --- properties -------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=st.sampled_from(["centroid", "factorial", "path"]),
       scale=st.lists(st.floats(0.1, 50), min_size=27, max_size=27),
       shift=st.lists(st.floats(-100, 100), min_size=27, max_size=27),
       seed=st.integers(0, 10_000))
def test_invariance_to_affine_rescaling_and_item_order(scheme, scale, shift, seed) -> None:
    spec = load_model("ecsi_satisfaction")
    base = estimate_pls(SAT, spec, scheme=scheme)
    items = spec.all_items
    df = SAT.copy()
    df[items] = df[items] * np.array(scale) + np.array(shift)
    rng = np.random.default_rng(seed)
    d = spec.to_dict()
    d.pop("scale", None)  # the rescaled items are no longer on the 0-10 scale
    for c in d["constructs"].values():
        c["items"] = list(rng.permutation(c["items"]))
    df = df[list(rng.permutation(df.columns))]
    res = estimate_pls(df, d, scheme=scheme)
    np.testing.assert_allclose(res.paths["estimate"], base.paths["estimate"], atol=1e-9)
    a = res.outer_model.set_index("item").loc[items]
    b = base.outer_model.set_index("item").loc[items]
    np.testing.assert_allclose(a["weight"], b["weight"], atol=1e-9)
    np.testing.assert_allclose(a["loading"], b["loading"], atol=1e-9)
    # scores have unit (population) variance and mean zero
    sc = res.scores.to_numpy()
    np.testing.assert_allclose(sc.var(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(sc.mean(axis=0), 0.0, atol=1e-10)


def test_unscaled_weights_follow_item_scale() -> None:
    spec = load_model("ecsi_satisfaction")
    base = estimate_pls(SAT, spec, scaled=False)
    df = SAT.copy()
    df["imag1"] = df["imag1"] * 10
    d = spec.to_dict()
    d.pop("scale", None)  # imag1 is now on 0-100
    res = estimate_pls(df, d, scaled=False)
    # rescaling one item changes Mode A weights (the scaled=FALSE fit is not scale-free) ...
    assert not np.allclose(res.outer_model["weight"], base.outer_model["weight"])
    # ... and scores still have unit variance
    np.testing.assert_allclose(res.scores.to_numpy().var(axis=0), 1.0, atol=1e-10)


# --- bootstrap ----------------------------------------------------------------------------------

def test_bootstrap_batched_equals_refitting_each_resample() -> None:
    """The batched covariance-based bootstrap equals estimating every resample separately."""
    spec = load_model("ecsi_satisfaction")
    boot = bootstrap_pls(SAT, spec, n_boot=12, seed=5, chunk_size=5, jackknife=False)
    seeds = np.random.SeedSequence(5).spawn(3)
    idx = np.concatenate([np.random.default_rng(s).integers(0, 250, size=(sz, 250))
                          for s, sz in zip(seeds, [5, 5, 2], strict=True)])
    manual = np.array([estimate_pls(SAT.iloc[i], spec).paths["estimate"].to_numpy()
                       for i in idx])
    np.testing.assert_allclose(boot.draws["paths"].to_numpy(), manual, atol=1e-10)
    assert len({tuple(i[:10]) for i in idx}) == 12   # distinct resamples across chunks
    se = manual.std(axis=0, ddof=1)
    np.testing.assert_allclose(boot.paths["std_error"], se, atol=1e-10)


def test_bootstrap_deterministic_and_independent_of_jobs() -> None:
    a = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=200, seed=3, chunk_size=50)
    b = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=200, seed=3, chunk_size=50, n_jobs=2)
    c = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=200, seed=4, chunk_size=50)
    pd.testing.assert_frame_equal(a.paths, b.paths)
    assert not np.allclose(a.paths["std_error"], c.paths["std_error"])
    tab = a.paths
    assert {"source", "target", "estimate", "std_error", "ci_low", "ci_high",
            "p_value"} <= set(tab.columns)
    assert (tab["ci_low"] <= tab["estimate"]).all() and (tab["estimate"] <= tab["ci_high"]).all()
    # a strong path is significant, the near-zero EXPE -> SAT path is not
    p = tab.set_index(["source", "target"])["p_value"]
    assert p[("EXPE", "QUAL")] < 1e-6 and p[("EXPE", "SAT")] > 0.3
    assert a.n_ok == 200 and a.n_failed == 0


def test_bootstrap_counts_failed_resamples() -> None:
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a1", "a2", "b1", "b2"])
    df["a2"] = 0.0
    df.loc[0, "a2"] = 1.0   # rare value: constant in about 1/e of the resamples
    spec = {"name": "rare", "constructs": {"A": ["a1", "a2"], "B": ["b1", "b2"]},
            "paths": {"B": ["A"]}}
    boot = bootstrap_pls(df, spec, n_boot=100, seed=1)
    assert boot.n_ok + boot.n_failed == 100
    assert 15 < boot.n_failed < 60
    fail = boot.failures.set_index("reason")["count"]
    assert fail["an item is constant in the resample"] == boot.n_failed
    assert len(boot.draws["paths"]) == boot.n_ok


def test_bootstrap_sign_change_options() -> None:
    a = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=50, seed=1, sign_change="individual")
    assert (np.sign(a.draws["weights"].to_numpy()) ==
            np.sign(a.weights["estimate"].to_numpy())[None, :]).all()
    b = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=50, seed=1, sign_change="construct")
    assert b.n_ok == 50
    with pytest.raises(ParameterError, match="sign_change"):
        bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=5, sign_change="bogus")


def test_bca_reduces_to_percentile_without_bias_and_skew() -> None:
    from crm_research.sem.pls.bootstrap import bca_ci, percentile_ci

    draws = np.linspace(-1, 1, 2001)[:, None]      # symmetric, median = estimate
    lo, hi = percentile_ci(draws, 0.9)
    blo, bhi = bca_ci(draws, np.array([0.0]), None, 0.9)
    np.testing.assert_allclose([blo[0], bhi[0]], [lo[0], hi[0]], atol=2e-3)
    # a shifted estimate moves the BCa interval in its direction
    blo2, bhi2 = bca_ci(draws, np.array([0.2]), None, 0.9)
    assert blo2[0] > blo[0] and bhi2[0] > bhi[0]


def test_bootstrap_percentile_ci_covers_truth_in_simulation() -> None:
    """Percentile-interval coverage for a regression path is near nominal (simulation)."""
    rng = np.random.default_rng(8)
    spec = {"name": "obs", "constructs": {"A": ["a"], "B": ["b"]}, "paths": {"B": ["A"]}}
    hits = 0
    reps = 40
    for _ in range(reps):
        a = rng.normal(size=100)
        b = 0.5 * a + np.sqrt(0.75) * rng.normal(size=100)
        boot = bootstrap_pls(pd.DataFrame({"a": a, "b": b}), spec, n_boot=200,
                             seed=int(rng.integers(1e9)), jackknife=False)
        row = boot.paths.iloc[0]
        hits += row["ci_low"] <= 0.5 <= row["ci_high"]
    assert hits >= 33   # nominal 95%: P(hits < 34 | p=.95) < 1%


# --- IPMA, MGA, PLSpredict ----------------------------------------------------------------------

def test_ipma_hand_check_single_item_constructs() -> None:
    rng = np.random.default_rng(2)
    n = 300
    a = rng.integers(1, 8, size=n).astype(float)
    b = np.clip(np.round(0.6 * a + rng.normal(0, 1.2, size=n) + 1), 1, 7)
    df = pd.DataFrame({"a": a, "b": b})
    spec = {"name": "ip", "scale": {"min": 1, "max": 7},
            "constructs": {"A": ["a"], "B": ["b"]}, "paths": {"B": ["A"]}}
    res = estimate_pls(df, spec)
    cons, items = ipma(res, "B")
    ra, rb = (a - 1) / 6 * 100, (b - 1) / 6 * 100
    slope = np.cov(ra, rb, ddof=0)[0, 1] / ra.var()
    row = cons.set_index("construct").loc["A"]
    assert row["performance"] == pytest.approx(ra.mean(), abs=1e-10)
    assert row["importance"] == pytest.approx(slope, abs=1e-10)
    assert items.set_index("item").loc["a", "importance"] == pytest.approx(slope, abs=1e-10)


def test_ipma_ecsi_scores_are_0_100_and_importance_is_unstandardised_total() -> None:
    res = estimate_pls(SAT, "ecsi_satisfaction")
    cons, items = ipma(res, "LOY")
    assert set(cons["construct"]) == {"IMAG", "EXPE", "QUAL", "VAL", "SAT"}
    assert ((cons["performance"] > 0) & (cons["performance"] < 100)).all()
    assert cons["weights_positive"].all()
    # importance / standardised total effect = sd(LOY) / sd(source): same sign and order
    assert (np.sign(cons["importance"]) == np.sign(cons["total_effect_std"])).all()
    with pytest.raises(ParameterError, match="not a construct"):
        ipma(res, "NOPE")


def test_mga_detects_a_group_difference() -> None:
    rng = np.random.default_rng(6)
    frames = []
    for g, beta in (("g1", 0.2), ("g2", 0.7)):
        n = 150
        lat = rng.normal(size=n)
        y = beta * lat + np.sqrt(1 - beta**2) * rng.normal(size=n)
        frames.append(pd.DataFrame({
            "x1": lat + 0.5 * rng.normal(size=n), "x2": lat + 0.5 * rng.normal(size=n),
            "y1": y + 0.5 * rng.normal(size=n), "y2": y + 0.5 * rng.normal(size=n),
            "w": rng.normal(size=n), "grp": g}))
    df = pd.concat(frames, ignore_index=True)
    spec = {"name": "mga", "constructs": {"X": ["x1", "x2"], "Y": ["y1", "y2"], "W": ["w"]},
            "paths": {"Y": ["X", "W"]}}
    out = mga_permutation(df, spec, "grp", n_perm=200, seed=1)
    tab = out.table.set_index(["parameter", "source", "target"])
    assert out.n == (150, 150) and out.n_perm_ok == 200
    assert tab.loc[("path", "X", "Y"), "p_value"] < 0.01
    assert tab.loc[("path", "W", "Y"), "p_value"] > 0.05
    again = mga_permutation(df, spec, "grp", n_perm=200, seed=1)
    pd.testing.assert_frame_equal(out.table, again.table)
    with pytest.raises(DataError, match="exactly two groups"):
        mga_permutation(df.assign(grp=np.arange(len(df)) % 3), spec, "grp", n_perm=5)


def test_mga_group_estimates_equal_separate_fits() -> None:
    out = mga_permutation(SAT, "ecsi_satisfaction", "gender", n_perm=20, seed=1)
    g1 = SAT[SAT["gender"] == out.groups[0]]
    sep = estimate_pls(g1, "ecsi_satisfaction").paths["estimate"].to_numpy()
    paths = out.table[out.table["parameter"] == "path"]
    np.testing.assert_allclose(paths["estimate_g1"], sep, atol=1e-10)


def test_pls_predict_on_simulated_model() -> None:
    rng = np.random.default_rng(9)
    n = 300
    lat = rng.normal(size=n)
    y = 0.7 * lat + np.sqrt(0.51) * rng.normal(size=n)
    df = pd.DataFrame({"x1": lat + 0.6 * rng.normal(size=n), "x2": lat + 0.6 * rng.normal(size=n),
                       "x3": lat + 0.6 * rng.normal(size=n), "y1": y + 0.5 * rng.normal(size=n),
                       "y2": y + 0.5 * rng.normal(size=n)})
    spec = {"name": "pred", "constructs": {"X": ["x1", "x2", "x3"], "Y": ["y1", "y2"]},
            "paths": {"Y": ["X"]}}
    out = pls_predict(df, spec, k=5, repeats=3, seed=2)
    assert list(out["item"]) == ["y1", "y2"]
    assert (out["q2_predict"] > 0.2).all() and (out["q2_predict"] < 0.6).all()
    # PLS and LM use the same information here; their errors are close
    assert np.allclose(out["pls_rmse"], out["lm_rmse"], rtol=0.05)
    again = pls_predict(df, spec, k=5, repeats=3, seed=2)
    pd.testing.assert_frame_equal(out, again)


# --- errors -------------------------------------------------------------------------------------

def test_errors_are_clear() -> None:
    with pytest.raises(ConvergenceError, match="max_iter=1"):
        estimate_pls(SAT, "ecsi_satisfaction", max_iter=1)
    with pytest.raises(ParameterError, match="scheme='bogus'"):
        estimate_pls(SAT, "ecsi_satisfaction", scheme="bogus")
    with pytest.raises(ParameterError, match="missing='drop'"):
        estimate_pls(SAT, "ecsi_satisfaction", missing="drop")
    with pytest.raises(SpecError, match="item 'imag1'"):
        estimate_pls(SAT.drop(columns="imag1"), "ecsi_satisfaction")
    df = SAT.copy()
    df.loc[df.index[:248], "imag1"] = np.nan
    with pytest.raises(DataError, match="rows remain"):
        estimate_pls(df, "ecsi_satisfaction")


def test_listwise_and_mean_missing_reported() -> None:
    df = SAT.copy()
    df.loc[df.index[:5], "sat1"] = np.nan
    lw = estimate_pls(df, "ecsi_satisfaction", missing="listwise")
    mn = estimate_pls(df, "ecsi_satisfaction", missing="mean")
    assert lw.n_obs == 245 and lw.missing.n_dropped == 5
    assert mn.n_obs == 250 and mn.missing.imputed == {"sat1": 5}


def test_batched_fit_equals_single_fit_forweighted_moments() -> None:
    spec = load_model("ecsi_satisfaction")
    d = make_design(spec)
    x = SAT[spec.all_items].to_numpy(float)
    s, _, _ = weighted_moments(x, np.ones((2, 250)), True)
    fit = fit_batch(s, d, "path", 1e-6, 100, np.full(2, 250.0))
    res = estimate_pls(SAT, spec)
    np.testing.assert_allclose(fit.w[0], res.weights_matrix, atol=1e-12)
    spec2 = parse_spec(spec.to_dict())
    assert spec2 == spec


def test_mediation_slopes_priorities_and_labels() -> None:
    from crm_research.sem.pls.effects import mediation_table, simple_slopes
    from crm_research.sem.pls.ipma import ipma_priorities

    boot = bootstrap_pls(SAT, "ecsi_satisfaction", n_boot=80, seed=2, jackknife=False)
    med = mediation_table(boot).set_index(["source", "target"])
    # EXPE -> SAT: direct ~0 (not significant), indirect clearly positive → indirect-only
    assert med.loc[("EXPE", "SAT"), "mediation"] == "indirect-only"
    assert med.loc[("IMAG", "LOY"), "mediation"] == "complementary"
    assert med.loc[("IMAG", "QUAL"), "mediation"] == "indirect (no direct path)"
    table = ipma_priorities(ipma(boot.estimates, "LOY")[0])
    assert table["importance"].is_monotonic_decreasing
    assert set(table["quadrant"]) <= {"improve first", "keep up", "low priority",
                                      "possible overkill"}
    rng = np.random.default_rng(4)
    x, m = rng.normal(size=(2, 300))
    df = pd.DataFrame({"x": x, "m": m, "y": 0.4 * x + 0.3 * x * m + rng.normal(size=300)})
    spec = {"name": "mod", "constructs": {"X": ["x"], "M": ["m"], "Y": ["y"]},
            "paths": {"Y": ["X", "M", "XxM"]}, "interactions": {"XxM": {"of": ["X", "M"]}}}
    res = estimate_pls(df, spec)
    sl = simple_slopes(res, "XxM", at=(-1, 0, 1))
    assert sl["slope"].iloc[0] < sl["slope"].iloc[1] < sl["slope"].iloc[2]
    assert sl["slope"].iloc[1] == pytest.approx(res.path_matrix.loc["X", "Y"])
    cr = datasets.load("corp_rep")
    out = mga_permutation(cr, "corp_rep_simple", "servicetype",
                          labels={1: "prepaid", 2: "contract"}, n_perm=10, missing="mean")
    assert set(out.groups) == {"prepaid", "contract"} and sum(out.n) == 344


def test_quality_bundle_collects_the_measurement_tables() -> None:
    """PLSResult.quality(): the same numbers as the measurement functions called one by one,
    and a tidy check table where one-item and mode-B constructs read "not applicable"."""
    from crm_research.sem.measurement import reliability as M
    from crm_research.sem.measurement import validity as V
    from crm_research.sem.spec import model_data

    spec = load_model("corp_rep_extended")   # four mode-B blocks and a one-item construct
    res = estimate_pls(model_data(spec), spec, missing="mean")
    q = res.quality(n_boot=20, seed=3)
    om = res.outer_model.set_index("item")
    by_hand = M.reliability(res.item_data, spec.blocks, loadings=om["loading"],
                            weights=om["weight"], modes=spec.modes)
    pd.testing.assert_frame_equal(q.reliability, by_hand)
    refl = spec.blocks_of_mode("A")
    pd.testing.assert_frame_equal(q.htmt, V.htmt(res.item_data, refl))
    pd.testing.assert_frame_equal(
        q.htmt_intervals, V.htmt_table(res.item_data, refl, n_boot=20, seed=3))
    pd.testing.assert_frame_equal(q.vif_outer, V.vif_outer(res.item_data, spec.blocks))
    chk = q.checks
    assert list(chk.columns) == ["rule", "subject", "value", "threshold", "passed", "source"]
    rel_rules = chk[chk["rule"].str.startswith(("Cronbach", "composite", "rho_A", "AVE"))]
    na = rel_rules[rel_rules["passed"] == "not applicable"]["subject"].unique()
    assert set(na) == {"QUAL", "PERF", "CSOR", "ATTR", "CUSA"}
    assert set(rel_rules[rel_rules["passed"] != "not applicable"]["subject"]) == \
        {"COMP", "LIKE", "CUSL"}
    # the Fornell-Larcker criterion covers the reflective multi-item constructs only
    assert list(q.fornell_larcker["construct"]) == ["COMP", "LIKE", "CUSL"]
    counts = q.fit_table().set_index("statistic")["value"]
    assert counts.sum() == len(chk)
    assert counts["checks failed"] == len(q.failed())
    assert q.table is q.checks
    # a failed rule is reported in words with its value and threshold
    loading = chk[(chk["rule"] == "indicator loading >= 0.708") & (chk["passed"] == False)]  # noqa: E712
    assert all(any(s in f for f in q.failed()) for s in loading["subject"])


def test_ten_times_rule_and_small_sample_caveats() -> None:
    """Issue 11 item 8: the minimum n is 10 x the most arrows at a construct or formative
    indicators of a block (Hair et al. 2017); below it (or an MGA group below max(that, 20))
    the caveat names the rule and the numbers."""
    from crm_research.sem.pls.design import minimum_sample_size, sample_size_caveats

    ecsi = load_model("ecsi_satisfaction")        # SAT has 4 predecessors (IMAG EXPE QUAL VAL)
    assert minimum_sample_size(ecsi) == (40, "SAT")
    corp = load_model("corp_rep_extended")        # QUAL: 8 formative indicators
    assert minimum_sample_size(corp) == (80, "QUAL")
    assert sample_size_caveats(ecsi, 250) == []
    small = sample_size_caveats(ecsi, 10)
    assert len(small) == 1 and "10 observations" in small[0] and "minimum of 40" in small[0]
    groups = sample_size_caveats(ecsi, 250, {"female": 3, "male": 247})
    assert len(groups) == 1 and "female has 3 observations" in groups[0]
    two = parse_spec({"name": "two", "constructs": {"A": {"items": ["a1", "a2"]},
                                                    "B": {"items": ["b1", "b2"]}},
                      "paths": {"B": ["A"]}})
    assert minimum_sample_size(two) == (10, "B")
    assert "minimum of 20" in sample_size_caveats(two, 100, {"g": 15})[0]


def test_mediation_table_keeps_its_columns_without_indirect_effects() -> None:
    """Issue 11 item 4: a single-equation model has no indirect effects; the table is empty
    with its columns (the study then says "no mediated paths")."""
    from crm_research.sem.pls.effects import MEDIATION_COLUMNS, mediation_table

    spec = parse_spec({"name": "one equation", "constructs": {
        "IMAG": {"items": ["imag1", "imag2", "imag3"]}, "VAL": {"items": ["val1", "val2"]},
        "QUAL": {"items": ["qual1", "qual2"]}, "SAT": {"items": ["sat1", "sat2", "sat3"]}},
        "paths": {"SAT": ["IMAG", "VAL", "QUAL"]}})
    boot = bootstrap_pls(SAT, spec, n_boot=20, seed=1)
    med = mediation_table(boot)
    assert med.empty and list(med.columns) == MEDIATION_COLUMNS
    assert med[med["target"] == "SAT"].empty   # the notebook's filter works on it
