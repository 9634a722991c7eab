"""Consistent partial least squares (PLSc) for reflective (common-factor) models.

Dijkstra & Henseler (2015), "Consistent partial least squares path modeling", MIS Quarterly
39(2), 297-316; the same steps as R cSEM (``csem(..., .disattenuate = TRUE)``, PLS weights,
Mode A) and seminr (``estimate_pls`` followed by ``PLSc``):

1. Run ordinary PLS (``crm_research.sem.pls.estimate_pls``, standardised items): outer weights
   w_j of each block, scaled so that the composite of the standardised items has unit variance
   (w_j' S_jj w_j = 1), and the composite correlation matrix R (R_ij = w_i' S_ij w_j).
2. Reliability of each composite: rho_A,j = (w'w)^2 w'(S_jj - diag S_jj)w / w'(ww' - diag ww')w
   (eq. 19 of the paper; ``crm_research.sem.measurement.reliability.rho_a``, batched here as
   ``rho_a_batch``); a single-item
   block has rho_A = 1 and a Mode B block is treated as a composite (not corrected, rho_A = 1),
   as cSEM does for constructs modelled as composites.
3. Consistent loadings: lambda_j = c_j w_j with c_j^2 = w'(S - diag S)w / w'(ww' - diag ww')w,
   i.e. lambda_j = sqrt(rho_A,j) w_j / (w_j'w_j) (paper eq. 16-18; cSEM ``calculateLoadings``).
4. Consistent construct correlations: R*_ij = R_ij / sqrt(rho_A,i rho_A,j), unit diagonal
   (correction for attenuation, paper eq. 20).
5. Path coefficients: OLS of each endogenous construct on its predecessors in R*
   (b = R*_PP^-1 r*_Pk), R2 = b' r*_Pk, adjusted R2 = 1 - (1 - R2)(n - 1)/(n - k - 1);
   total effects (I - B)^-1 - I.

Admissibility (cSEM ``verify``): every rho_A in (0, 1], |consistent loadings| <= 1 and R*
positive definite. An inadmissible full-sample solution is reported in ``fit_table`` (rho_A
<= 0 cannot be corrected and raises EstimationError); inadmissible bootstrap resamples are
dropped and counted (cSEM's default ``.handle_inadmissibles = "drop"``).

Bootstrap: respondents resampled with replacement (``seed``), PLS and PLSc re-estimated on
every resample; std_error = sd of the draws (divisor B - 1), percentile interval at ``level``,
p_value two-sided from t = estimate / std_error with n - 1 df (as ``bootstrap_pls``). The PLS
paths of the same resamples are kept too (``pls_paths``), so both estimators are compared on
identical resamples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot, check_seed
from crm_research._lazy import lazy_module
from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.pls import BootstrapResult, PLSResult, bootstrap_pls, estimate_pls
from crm_research.sem.pls.algorithm import fit_batch, total_effects_matrix
from crm_research.sem.pls.design import Design, constant_items, make_design, weighted_moments
from crm_research.sem.spec import ModelSpec, load_model

stats = lazy_module("scipy.stats")

ESTIMATORS = ("pls", "plsc")


# ============================================================================================
# Core: from item correlations and PLS weights to the PLSc estimates (batched)
# ============================================================================================

@dataclass(frozen=True)
class PLScCore:
    """PLSc quantities of a batch of B models (arrays with a leading batch axis)."""

    rho_a: np.ndarray      # (B, L)
    loadings: np.ndarray   # (B, p) consistent loadings
    r_comp: np.ndarray     # (B, L, L) composite correlations
    r_star: np.ndarray     # (B, L, L) consistent construct correlations
    beta: np.ndarray       # (B, L, L) beta[i, j] for the path i -> j
    r2: np.ndarray         # (B, L) (NaN for exogenous constructs)
    ok: np.ndarray         # (B,) finite, rho_A > 0 and solvable
    admissible: np.ndarray  # (B, 3) the three checks of ``ADMISSIBILITY``


ADMISSIBILITY = ("rho_A in (0, 1]", "|consistent loadings| <= 1",
                 "construct correlations positive definite")


def rho_a_batch(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Dijkstra-Henseler rho_A of one block for a batch: ``s`` (B, k, k) item correlations,
    ``w`` (B, k) weights with unit composite variance (w's w = 1). The batched form of
    ``crm_research.sem.measurement.reliability.rho_a`` (the tests check they agree):
    rho_A = (w'w)^2 w'(S - diag S)w / ((w'w)^2 - sum w^4); NaN where undefined."""
    ww = (w**2).sum(axis=1)
    num = np.einsum("bi,bij,bj->b", w, s, w) - np.einsum("bi,bii,bi->b", w, s, w)
    den = ww**2 - (w**4).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ww**2 * num / den
    return np.where(np.isfinite(out) & (den != 0), out, np.nan)


def plsc_core(s: np.ndarray, w: np.ndarray, d: Design) -> PLScCore:
    """PLSc estimates (steps 2-5 of the module docstring) from item correlation matrices
    ``s`` (B, p, p) and PLS weights ``w`` (B, p, L; zero outside each block), for the model
    design ``d`` (``crm_research.sem.pls.design.make_design``)."""
    nb, p, L = w.shape
    var = np.einsum("bpl,bpq,bql->bl", w, s, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        wn = w / np.sqrt(var)[:, None, :]
    rho = np.ones((nb, L))
    lam = np.zeros((nb, p))
    for j in range(L):
        bi = d.block_idx[j]
        wj = wn[:, bi, j]
        sjj = s[:, bi[:, None], bi[None, :]]
        if bi.size > 1 and not d.is_b[j]:
            rho[:, j] = rho_a_batch(sjj, wj)
            with np.errstate(invalid="ignore"):
                lam[:, bi] = np.sqrt(rho[:, j])[:, None] * wj / (wj**2).sum(axis=1)[:, None]
        else:   # composite: loadings = correlations of the items with the composite
            lam[:, bi] = np.einsum("bpq,bq->bp", sjj, wj)
    ok = np.asarray(np.isfinite(rho).all(axis=1) & (np.nan_to_num(rho, nan=-1.0) > 0).all(axis=1))
    rho_safe = np.where(ok[:, None], rho, 1.0)
    r_comp = np.einsum("bpl,bpq,bqm->blm", np.nan_to_num(wn), s, np.nan_to_num(wn))
    r_star = r_comp / np.sqrt(rho_safe[:, :, None] * rho_safe[:, None, :])
    r_star[:, np.arange(L), np.arange(L)] = 1.0
    beta = np.zeros((nb, L, L))
    r2 = np.full((nb, L), np.nan)
    for k in d.endo:
        pr = d.preds[k]
        a = r_star[:, pr[:, None], pr[None, :]]
        rhs = r_star[:, pr, k]
        good = np.abs(np.linalg.det(a)) > 1e-12
        coef = np.full((nb, pr.size), np.nan)
        if good.any():
            coef[good] = np.linalg.solve(a[good], rhs[good][:, :, None])[:, :, 0]
        beta[:, pr, k] = coef
        r2[:, k] = (coef * rhs).sum(axis=1)
    ok &= np.isfinite(beta).all(axis=(1, 2)) & np.isfinite(lam).all(axis=1)
    safe = np.where(ok[:, None, None], np.nan_to_num(r_star), np.eye(L)[None])
    eig_min = np.where(ok, np.linalg.eigvalsh(safe).min(axis=1), -1.0)
    adm = np.column_stack([((rho > 0) & (rho <= 1 + 1e-10)).all(axis=1),
                           (np.abs(np.nan_to_num(lam, nan=2.0)) <= 1 + 1e-10).all(axis=1),
                           eig_min > 1e-10])
    return PLScCore(rho, lam, r_comp, r_star, beta, r2, ok, adm)


def item_correlations(x: np.ndarray) -> np.ndarray:
    """Correlation matrix (1, p, p) of the item matrix ``x`` (population moments, as PLS)."""
    s, _, _ = weighted_moments(x, np.ones((1, x.shape[0])), scaled=True)
    return s


# ============================================================================================
# Result of one estimation
# ============================================================================================

@dataclass(frozen=True)
class PLScResult:
    """PLSc estimates. ``table`` (= ``paths``): source, target, estimate; ``pls`` is the PLS
    fit whose weights were corrected (its scores, IPMA and measurement tables stay valid)."""

    spec: ModelSpec
    pls: PLSResult
    n_obs: int
    rho_a: pd.DataFrame                   # construct, rho_a, corrected
    outer_model: pd.DataFrame             # construct, item, weight, loading, loading_pls
    construct_correlations: pd.DataFrame  # consistent (disattenuated)
    composite_correlations: pd.DataFrame
    path_matrix: pd.DataFrame
    paths: pd.DataFrame                   # source, target, estimate
    r_squared: pd.DataFrame               # construct, r2, r2_adj
    effects: pd.DataFrame                 # source, target, direct, indirect, total
    admissible: dict[str, bool] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        return self.paths

    def fit_table(self) -> pd.DataFrame:
        rows = [{"statistic": "observations", "value": float(self.n_obs)},
                {"statistic": "PLS iterations", "value": float(self.pls.n_iter)}]
        rows += [{"statistic": f"admissible: {k}", "value": float(v)}
                 for k, v in self.admissible.items()]
        rows += [{"statistic": f"R2 {r.construct}", "value": float(r.r2)}
                 for r in self.r_squared.dropna(subset=["r2"]).itertuples()]
        return pd.DataFrame(rows, columns=["statistic", "value"])


def _check_spec(model: ModelSpec | str | Mapping[str, Any]) -> ModelSpec:
    spec = load_model(model)
    if spec.interactions:
        raise SpecError(f"model {spec.name!r}: PLSc is implemented for main-effects models; "
                        f"remove the interaction term(s) {spec.interaction_names}")
    return spec


def _edges(d: Design) -> list[tuple[int, int]]:
    """Paths (i, j) ordered by target, then source (the order of ``PLSResult.paths``)."""
    return [(i, j) for j in range(d.n_lv) for i in range(d.n_lv) if d.adj[i, j]]


def _effect_pairs(beta: np.ndarray, d: Design) -> list[tuple[int, int]]:
    total = total_effects_matrix(beta[None])[0]
    return [(i, j) for i in range(d.n_lv) for j in range(d.n_lv)
            if i != j and (d.adj[i, j] or abs(total[i, j]) > 0)]


def plsc_from_pls(res: PLSResult) -> PLScResult:
    """PLSc estimates from an ordinary PLS fit ``res`` (standardised items, main effects).
    Raises EstimationError when a rho_A is not positive or the consistent construct
    correlations of a target's predecessors are singular."""
    spec = _check_spec(res.spec)
    if not res.scaled:
        raise ParameterError("PLSc needs standardised items (estimate_pls(scaled=True))")
    d = make_design(spec)
    core = plsc_core(item_correlations(res.items), res.weights_matrix[None], d)
    names = d.names
    if not core.ok[0]:
        bad = [names[j] for j in range(d.n_lv)
               if not (np.isfinite(core.rho_a[0, j]) and core.rho_a[0, j] > 0)]
        what = (f"rho_A of {bad} is not positive (check the blocks' items and signs)" if bad
                else "the consistent construct correlations are singular")
        raise EstimationError(f"model {spec.name!r}: PLSc is undefined: {what}")
    beta = core.beta[0]
    n = res.n_obs
    paths = pd.DataFrame([{"source": names[i], "target": names[j], "estimate": beta[i, j]}
                          for i, j in _edges(d)], columns=["source", "target", "estimate"])
    r2_rows = []
    for j, nm in enumerate(names):
        k = int(d.adj[:, j].sum())
        r2 = core.r2[0, j]
        r2_rows.append({"construct": nm, "r2": r2,
                        "r2_adj": 1 - (1 - r2) * (n - 1) / (n - k - 1) if k else np.nan})
    total = total_effects_matrix(beta[None])[0]
    eff = pd.DataFrame([{"source": names[i], "target": names[j], "direct": beta[i, j],
                         "indirect": total[i, j] - beta[i, j], "total": total[i, j]}
                        for i, j in _effect_pairs(beta, d)],
                       columns=["source", "target", "direct", "indirect", "total"])
    outer = res.outer_model[["construct", "item", "weight"]].copy()
    outer["loading"] = core.loadings[0]
    outer["loading_pls"] = res.outer_model["loading"].to_numpy()
    rho_tab = pd.DataFrame({"construct": names, "rho_a": core.rho_a[0],
                            "corrected": [d.block_idx[j].size > 1 and not d.is_b[j]
                                          for j in range(d.n_lv)]})
    pm = pd.DataFrame(beta, index=names, columns=names)
    pm.attrs["edges"] = {(names[i], names[j]) for i, j in _edges(d)}
    return PLScResult(
        spec=spec, pls=res, n_obs=n, rho_a=rho_tab, outer_model=outer,
        construct_correlations=pd.DataFrame(core.r_star[0], index=names, columns=names),
        composite_correlations=pd.DataFrame(core.r_comp[0], index=names, columns=names),
        path_matrix=pm, paths=paths, r_squared=pd.DataFrame(r2_rows), effects=eff,
        admissible={k: bool(v) for k, v in zip(ADMISSIBILITY, core.admissible[0],
                                                 strict=True)})


def estimate_plsc(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any],
                  scheme: str = "path", missing: str = "listwise", tol: float = 1e-6,
                  max_iter: int = 100) -> PLScResult:
    """Estimate a reflective path model by consistent PLS (module docstring)."""
    spec = _check_spec(model)
    res = estimate_pls(data, spec, scheme=scheme, scaled=True, missing=missing, tol=tol,
                       max_iter=max_iter)
    return plsc_from_pls(res)


# ============================================================================================
# Bootstrap
# ============================================================================================

@dataclass(frozen=True)
class PLScBootstrap:
    """Bootstrap of PLSc (and of PLS on the same resamples).

    Tables (key columns, then estimate, boot_mean, std_error, t_value, p_value, ci_low,
    ci_high): ``paths``, ``pls_paths``, ``loadings``, ``rho_a``, ``r_squared``,
    ``total_effects``, ``indirect_effects``. ``estimates`` is the PLS fit (so code written for
    ``bootstrap_pls`` results keeps working), ``plsc`` the PLSc fit; ``draws`` the accepted
    draws per statistic (columns "S -> T" for paths, as ``bootstrap_pls``)."""

    estimates: PLSResult
    plsc: PLScResult
    n_boot: int
    n_ok: int
    n_failed: int
    n_inadmissible: int
    failures: pd.DataFrame
    seed: int | None
    level: float
    paths: pd.DataFrame
    pls_paths: pd.DataFrame
    loadings: pd.DataFrame
    rho_a: pd.DataFrame
    r_squared: pd.DataFrame
    total_effects: pd.DataFrame
    indirect_effects: pd.DataFrame
    draws: dict[str, pd.DataFrame] = field(repr=False)
    ci: str = "percentile"

    @property
    def table(self) -> pd.DataFrame:
        return self.paths

    def fit_table(self) -> pd.DataFrame:
        rows = [{"statistic": "resamples requested", "value": float(self.n_boot)},
                {"statistic": "resamples used", "value": float(self.n_ok)},
                {"statistic": "resamples dropped (failed or inadmissible)",
                 "value": float(self.n_failed)},
                {"statistic": "resamples inadmissible", "value": float(self.n_inadmissible)}]
        return pd.concat([pd.DataFrame(rows), self.plsc.fit_table()], ignore_index=True)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"quantity": "resamples requested", "value": self.n_boot},
                             {"quantity": "resamples used", "value": self.n_ok},
                             {"quantity": "resamples dropped (failed or inadmissible)",
                              "value": self.n_failed},
                             {"quantity": "resamples inadmissible",
                              "value": self.n_inadmissible}])


def _layout(fit: PLScResult, d: Design) -> dict[str, pd.DataFrame]:
    eff = fit.effects
    return {"paths": fit.paths[["source", "target"]],
            "pls_paths": fit.paths[["source", "target"]],
            "loadings": fit.outer_model[["construct", "item"]],
            "rho_a": fit.rho_a[["construct"]],
            "r_squared": pd.DataFrame({"construct": [d.names[k] for k in d.endo]}),
            "total_effects": eff[["source", "target"]],
            "indirect_effects": eff.loc[eff["indirect"].abs() > 0, ["source", "target"]]}


def _batch_statistics(core: PLScCore, pls_beta: np.ndarray, d: Design,
                      layout: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    pos = {nm: i for i, nm in enumerate(d.names)}

    def pairs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([pos[v] for v in frame["source"]], dtype=int),
                np.array([pos[v] for v in frame["target"]], dtype=int))

    total = total_effects_matrix(np.nan_to_num(core.beta))
    ps, pt = pairs(layout["paths"])
    ts, tt = pairs(layout["total_effects"])
    is_, it = pairs(layout["indirect_effects"])
    return {"paths": core.beta[:, ps, pt], "pls_paths": pls_beta[:, ps, pt],
            "loadings": core.loadings, "rho_a": core.rho_a,
            "r_squared": core.r2[:, d.endo],
            "total_effects": total[:, ts, tt],
            "indirect_effects": total[:, is_, it] - core.beta[:, is_, it]}


def _summary_table(keys: pd.DataFrame, est: np.ndarray, draws: np.ndarray, level: float,
                   n: int) -> pd.DataFrame:
    if draws.shape[0] >= 2:
        se = draws.std(axis=0, ddof=1)
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        mean = draws.mean(axis=0)
    else:
        se = lo = hi = mean = np.full(est.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    cols = {c: keys[c].to_numpy() for c in keys.columns}
    cols.update({"estimate": est, "boot_mean": mean, "std_error": se, "t_value": t,
                 "p_value": 2 * stats.t.sf(np.abs(t), df=n - 1), "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(cols)


def _labels(keys: pd.DataFrame) -> list[str]:
    return [" -> ".join(str(v) for v in row) for row in keys.itertuples(index=False)]


def bootstrap_plsc(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any],
                   n_boot: int = 1000, seed: int | None = 0, scheme: str = "path",
                   missing: str = "listwise", level: float = 0.95, tol: float = 1e-6,
                   max_iter: int = 100, chunk_size: int = 500,
                   handle_inadmissibles: str = "drop") -> PLScBootstrap:
    """Nonparametric bootstrap of PLSc (module docstring): resample indices from
    ``numpy.random.default_rng(seed)``; each resample's correlation matrix, PLS weights
    (``fit_batch``, the batched PLS algorithm) and PLSc estimates are computed in chunks of
    ``chunk_size``. Missing values are treated once, on the full sample, before resampling.
    A resample with a constant item, no PLS convergence or an undefined correction is dropped
    and counted in ``failures``; an inadmissible one (``ADMISSIBILITY``) is dropped too with
    ``handle_inadmissibles='drop'`` (cSEM's default) and kept, but counted, with
    ``'ignore'``."""
    spec = _check_spec(model)
    if handle_inadmissibles not in ("drop", "ignore"):
        raise ParameterError(f"handle_inadmissibles={handle_inadmissibles!r}; expected 'drop' "
                             "or 'ignore'")
    n_boot = check_n_boot(n_boot, minimum=0)
    seed = check_seed(seed)
    level = check_level(level)
    res = estimate_pls(data, spec, scheme=scheme, scaled=True, missing=missing, tol=tol,
                       max_iter=max_iter)
    fit = plsc_from_pls(res)
    d = make_design(spec)
    layout = _layout(fit, d)
    x = res.items
    n = x.shape[0]
    ref_core = plsc_core(item_correlations(x), res.weights_matrix[None], d)
    pls_ref = res.path_matrix.to_numpy()[None]
    ref = {k: v[0] for k, v in _batch_statistics(ref_core, pls_ref, d, layout).items()}
    rng = np.random.default_rng(seed)
    parts: list[dict[str, np.ndarray]] = []
    counts_fail = {"an item is constant in the resample": 0, "PLS did not converge": 0,
                   "PLSc undefined (rho_A <= 0 or singular)": 0,
                   f"inadmissible ({handle_inadmissibles})": 0}
    done = 0
    while done < n_boot:
        size = min(chunk_size, n_boot - done)
        done += size
        idx = rng.integers(0, n, size=(size, n))
        counts = np.bincount((idx + n * np.arange(size)[:, None]).ravel(),
                             minlength=size * n).reshape(size, n).astype(float)
        s, _, sd = weighted_moments(x, counts, scaled=True)
        const = constant_items(sd, x)
        s = np.where(const[:, None, None], np.eye(d.p)[None], s)
        pls = fit_batch(s, d, scheme, tol, max_iter, np.full(size, float(n)))
        core = plsc_core(s, pls.w, d)
        st = _batch_statistics(core, pls.beta, d, layout)
        finite = np.all([np.isfinite(v).all(axis=1) for v in st.values()], axis=0)
        reason = np.zeros(size, dtype=int)
        reason[const] = 1
        reason[(reason == 0) & ~pls.ok] = 2
        reason[(reason == 0) & ~(core.ok & finite)] = 3
        reason[(reason == 0) & ~core.admissible.all(axis=1)] = 4
        for code, label in enumerate(counts_fail, start=1):
            counts_fail[label] += int((reason == code).sum())
        keep = (reason == 0) | ((reason == 4) & (handle_inadmissibles == "ignore"))
        parts.append({k: v[keep] for k, v in st.items()})
    draws = {k: (np.vstack([p_[k] for p_ in parts]) if parts else np.zeros((0, ref[k].size)))
             for k in ref}
    tables = {k: _summary_table(layout[k], ref[k], draws[k], level, n) for k in ref}
    frames = {k: pd.DataFrame(v, columns=_labels(layout[k])) for k, v in draws.items()}
    n_ok = draws["paths"].shape[0]
    return PLScBootstrap(
        estimates=res, plsc=fit, n_boot=n_boot, n_ok=n_ok, n_failed=n_boot - n_ok,
        n_inadmissible=list(counts_fail.values())[-1],
        failures=pd.DataFrame([{"reason": k, "count": v} for k, v in counts_fail.items()]),
        seed=seed, level=level, paths=tables["paths"], pls_paths=tables["pls_paths"],
        loadings=tables["loadings"], rho_a=tables["rho_a"], r_squared=tables["r_squared"],
        total_effects=tables["total_effects"], indirect_effects=tables["indirect_effects"],
        draws=frames)


def bootstrap_model(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any],
                    estimator: str = "pls", n_boot: int = 1000, seed: int | None = 0,
                    missing: str = "listwise", level: float = 0.95, scheme: str = "path",
                    ci: str = "percentile") -> BootstrapResult | PLScBootstrap:
    """One entry point for the studies' ``estimator`` parameter: ``'pls'`` →
    ``bootstrap_pls`` (BootstrapResult), ``'plsc'`` → ``bootstrap_plsc`` (PLScBootstrap).
    Both results have ``estimates`` (the PLS fit), ``paths``, ``r_squared``,
    ``total_effects``, ``indirect_effects`` and ``draws`` with the same columns."""
    if estimator not in ESTIMATORS:
        raise ParameterError(f"estimator={estimator!r}; expected one of {ESTIMATORS}")
    if estimator == "pls":
        return bootstrap_pls(data, model, n_boot=n_boot, seed=seed, missing=missing,
                             level=level, scheme=scheme, ci=ci, jackknife=ci == "bca")
    if ci != "percentile":
        raise ParameterError(f"ci={ci!r}: the PLSc bootstrap gives percentile intervals only")
    return bootstrap_plsc(data, model, n_boot=n_boot, seed=seed, missing=missing, level=level,
                          scheme=scheme)


def pls_plsc_table(fit: PLScResult, truth: Mapping[tuple[str, str], float] | None = None
                   ) -> pd.DataFrame:
    """PLS and PLSc path estimates of one data set side by side: source, target, pls, plsc,
    difference (plsc - pls), and ``true`` when the true paths ``{(source, target): value}``
    are given."""
    out = fit.paths.rename(columns={"estimate": "plsc"})
    pls = fit.pls.paths.set_index(["source", "target"])["estimate"]
    keys = list(zip(out["source"], out["target"], strict=True))
    out.insert(2, "pls", [float(pls[k]) for k in keys])
    out["difference"] = out["plsc"] - out["pls"]
    if truth is not None:
        out["true"] = [float(truth[k]) for k in keys]
    return out


def plsc_diagnostics(fit: PLScResult, max_correlation: float = 0.95) -> list[str]:
    """Warnings, in words, about a PLSc solution: failed admissibility checks, standardised
    paths outside [-1, 1], and consistent construct correlations above ``max_correlation``
    (near-collinear constructs: the disattenuated correlations, not the composites, then
    carry no discriminant validity and the paths between them are unstable)."""
    out = [f"PLSc admissibility check failed: {k}." for k, ok in fit.admissible.items() if not ok]
    big = fit.paths[fit.paths["estimate"].abs() > 1]
    out += [f"PLSc path {r.source} -> {r.target} is {r.estimate:.2f} (outside [-1, 1])."
            for r in big.itertuples()]
    r = fit.construct_correlations
    names = list(r.columns)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if abs(float(r.loc[a, b])) > max_correlation:
                out.append(f"Consistent correlation of {a} and {b} is {float(r.loc[a, b]):.2f} "
                           f"(above {max_correlation:.2f}).")
    return out
