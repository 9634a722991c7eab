"""PLS path modelling (PLS-PM / PLS-SEM) in numpy.

Algorithm
---------
Lohmöller's (1989) PLS algorithm as implemented in R plspm 0.4 (Sanchez 2013, "PLS Path Modeling
with R", ch. 2-4; source ``get_weights.R``), which it reproduces number for number:

* Indicators X are centred; with ``scaled=True`` they are also divided by their *population*
  standard deviation (divisor n, as plspm's ``get_treated_data``). Latent-variable (LV) scores
  always have population variance 1. (For ``scaled=True`` the weights, loadings and paths do
  not depend on the n vs n-1 convention; for ``scaled=False`` the weights do, by sqrt(n/(n-1)).)
* Initial outer weights: unit weights, normalised so that every LV has unit variance.
* Iteration: Y = XW, each column standardised and multiplied by (n-1)/n (plspm's
  ``scale(Y) * sqrt((n-1)/n)``); inner weights E by the centroid (sign of the LV correlation),
  factorial (the correlation) or path scheme (regression weights of a target on its
  predecessors, correlations with its successors; Lohmöller 1989); inner estimates Z = YE;
  new outer weights Mode A: w_j = X_j'Z_j / n (covariances), Mode B: w_j = (X_j'X_j)^-1 X_j'Z_j
  (multiple regression). Stop when sum_i (|w_i,old| - |w_i,new|)^2 < tol (plspm's criterion,
  default tol = 1e-6) or fail after ``max_iter`` iterations (ConvergenceError).
* Final weights are normalised to unit-variance scores; a block whose loadings are mostly
  negative is sign-flipped (plspm ``get_scores``; here weights are flipped with the scores).
* Structure: OLS of each endogenous LV on its predecessors (standardised path coefficients),
  R2, adjusted R2 = 1 - (1-R2)(n-1)/(n-k-1), Cohen's f2 = (R2_incl - R2_excl)/(1 - R2_incl)
  (Hair et al. 2017, Primer, ch. 6). Total effects T = (I - B)^-1 - I for the matrix B of
  direct effects (Alwin & Hauser 1975); indirect = total - direct; a specific indirect effect
  is the product of the coefficients along one chain.
* Loadings / cross-loadings: correlations of indicators with LV scores; communality = loading^2;
  redundancy = communality * R2; GoF = sqrt(mean communality over blocks with > 1 indicator *
  mean R2 over endogenous LVs) (Tenenhaus et al. 2004; plspm ``get_gof``).

Every computation runs on the indicator covariance matrix, in batches: the bootstrap, the
jackknife (for BCa), MGA permutations and PLSpredict folds estimate many models at once by
stacking covariance matrices (B, p, p) and iterating them together; each model stops at its
own convergence point, so a batched fit equals the single fit to rounding error.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crm_research.errors import ConvergenceError, DataError, EstimationError, ParameterError
from crm_research.sem.measurement.checks import check_level, check_n_boot
from crm_research.sem.spec import ModelSpec, load_model, validate_against

SCHEMES = ("centroid", "factorial", "path")
MISSING = ("listwise", "mean")
SIGN_CHANGES = ("none", "individual", "construct")
CI_METHODS = ("percentile", "bca")


# ============================================================================================
# Model design in numbers
# ============================================================================================

@dataclass(frozen=True)
class _Design:
    """Index arrays describing the main-effects model (constructs in topological order)."""

    names: list[str]
    items: list[str]
    blk: np.ndarray            # (p,) construct index of each item
    odm: np.ndarray            # (p, L) outer design matrix (0/1)
    is_b: np.ndarray           # (L,) Mode B?
    adj: np.ndarray            # (L, L) adj[i, j] = 1 for a path i -> j
    endo: list[int]
    preds: dict[int, np.ndarray]
    succs: dict[int, np.ndarray]
    block_idx: list[np.ndarray]

    @property
    def p(self) -> int:
        return len(self.items)

    @property
    def n_lv(self) -> int:
        return len(self.names)


def _design(spec: ModelSpec) -> _Design:
    names = spec.construct_names
    items = spec.all_items
    pos = {n: i for i, n in enumerate(names)}
    blk = np.array([pos[c.name] for c in spec.constructs for _ in c.items], dtype=int)
    L = len(names)
    odm = np.zeros((len(items), L))
    odm[np.arange(len(items)), blk] = 1.0
    adj = np.zeros((L, L), dtype=int)
    for s, t in spec.paths:
        if s in pos:
            adj[pos[s], pos[t]] = 1
    endo = [j for j in range(L) if adj[:, j].any()]
    preds = {j: np.flatnonzero(adj[:, j]) for j in range(L)}
    succs = {j: np.flatnonzero(adj[j, :]) for j in range(L)}
    is_b = np.array([c.mode == "B" for c in spec.constructs])
    block_idx = [np.flatnonzero(blk == j) for j in range(L)]
    return _Design(names, items, blk, odm, is_b, adj, endo, preds, succs, block_idx)


# ============================================================================================
# Data preparation
# ============================================================================================

@dataclass(frozen=True)
class MissingReport:
    """What the missing-data treatment did."""

    method: str
    n_input: int
    n_used: int
    n_dropped: int
    imputed: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        rows = [{"quantity": "rows in data", "value": self.n_input},
                {"quantity": "rows used", "value": self.n_used},
                {"quantity": "rows dropped (listwise)", "value": self.n_dropped},
                {"quantity": "values mean-imputed", "value": int(sum(self.imputed.values()))}]
        return pd.DataFrame(rows)


def prepare_items(data: pd.DataFrame, spec: ModelSpec, missing: str = "listwise"
                  ) -> tuple[np.ndarray, pd.Index, MissingReport]:
    """Validate ``data`` against ``spec`` and return the item matrix (n, p) as float.

    ``missing='listwise'`` drops every row with a missing item value; ``'mean'`` replaces a
    missing value by its item mean (Hair et al. 2017, ch. 2: acceptable below ~5% per item).
    Returns the matrix, the index of the rows used and a MissingReport.
    """
    if missing not in MISSING:
        raise ParameterError(f"missing={missing!r}; expected one of {MISSING}")
    validate_against(spec, data)
    items = spec.all_items
    x = data[items].to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(x)
    imputed = {it: int(k) for it, k in zip(items, nan.sum(axis=0), strict=True) if k}
    if missing == "listwise":
        keep = ~nan.any(axis=1)
        x = x[keep]
        index = data.index[keep]
        report = MissingReport("listwise", len(data), int(keep.sum()), int((~keep).sum()), {})
    else:
        means = np.nanmean(x, axis=0)
        x = np.where(nan, means[None, :], x)
        index = data.index
        report = MissingReport("mean", len(data), len(data), 0, imputed)
    if x.shape[0] < 3:
        raise DataError(f"model {spec.name!r}: only {x.shape[0]} complete rows remain after "
                        f"{missing} treatment of missing values; need at least 3")
    sd = x.std(axis=0)
    if (sd == 0).any():
        bad = items[int(np.flatnonzero(sd == 0)[0])]
        raise DataError(f"model {spec.name!r}: item {bad!r} is constant in the rows used "
                        f"after {missing} treatment of missing values")
    return x, index, report


def _treat(x: np.ndarray, scaled: bool) -> np.ndarray:
    """Centre (and if scaled, divide by the population sd), as plspm ``get_treated_data``."""
    xc = x - x.mean(axis=0)
    if scaled:
        xc = xc / np.sqrt((xc**2).mean(axis=0))
    return xc


def _weighted_moments(x: np.ndarray, counts: np.ndarray, scaled: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariance matrices of resampled data without materialising the resamples.

    ``counts`` (B, n) holds how often each row enters each resample (bootstrap counts,
    jackknife / group indicators). Returns the treated covariance S (B, p, p) of each resample
    (population convention, divisor = number of rows), its means (B, p) and sds (B, p) of the raw
    items. One GEMM on the stacked outer products x_i x_i' does all resamples at once.
    """
    xc = x - x.mean(axis=0)  # centre once for numerical accuracy
    n_b = counts.sum(axis=1)
    n, p = xc.shape
    outer = (xc[:, :, None] * xc[:, None, :]).reshape(n, p * p)
    raw = (counts @ outer).reshape(-1, p, p) / n_b[:, None, None]
    mean = counts @ xc / n_b[:, None]
    s = raw - mean[:, :, None] * mean[:, None, :]
    var = np.einsum("bii->bi", s).copy()
    var = np.where(var > 0, var, 0.0)
    sd = np.sqrt(var)
    if scaled:
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / sd
        s = s * inv[:, :, None] * inv[:, None, :]
    return s, mean + x.mean(axis=0), sd


# ============================================================================================
# Batched PLS algorithm on covariance matrices
# ============================================================================================

def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve of a x = b; a batch member that is singular gets NaN instead of failing."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in range(a.shape[0]):
            try:
                out[i] = np.linalg.solve(a[i], b[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _inner_weights(r: np.ndarray, d: _Design, scheme: str) -> np.ndarray:
    """Inner weights E (b, L, L): Z_k = sum_j Y_j E[j, k] (Lohmöller 1989; plspm)."""
    both = (d.adj + d.adj.T).astype(float)
    if scheme == "centroid":
        return np.sign(r) * both
    if scheme == "factorial":
        return r * both
    e = np.zeros_like(r)
    for k in range(d.n_lv):
        pr = d.preds[k]
        if pr.size:
            coef = _solve(r[:, pr[:, None], pr[None, :]], r[:, pr, k][:, :, None])[:, :, 0]
            e[:, pr, k] = coef
        sc = d.succs[k]
        if sc.size:
            e[:, sc, k] = r[:, k, sc]
    return e


def _new_weights(s: np.ndarray, xz: np.ndarray, d: _Design) -> np.ndarray:
    w = xz * d.odm[None]
    for j in np.flatnonzero(d.is_b):
        idx = d.block_idx[j]
        sjj = s[:, idx[:, None], idx[None, :]]
        w[:, idx, j] = _solve(sjj, xz[:, idx, j][:, :, None])[:, :, 0]
    return w


def _normalise(w: np.ndarray, s: np.ndarray) -> np.ndarray:
    var = np.einsum("bpl,bpq,bql->bl", w, s, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return w / np.sqrt(var)[:, None, :]


def _outer_weights(s: np.ndarray, d: _Design, scheme: str, tol: float, max_iter: int,
                   n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate the PLS algorithm for every covariance matrix in ``s`` (B, p, p).

    Returns normalised weights W (B, p, L), iterations used (B,) and a converged flag (B,).
    ``n`` (B,) are the sample sizes (for plspm's (n-1)/n factor inside the loop).
    """
    nb = s.shape[0]
    w = _normalise(np.broadcast_to(d.odm, (nb, d.p, d.n_lv)).copy(), s)
    w_old = w.sum(axis=2)
    c = (n - 1.0) / n
    active = np.isfinite(w_old).all(axis=1)
    converged = np.zeros(nb, dtype=bool)
    n_iter = np.zeros(nb, dtype=int)
    for it in range(1, max_iter + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        sa, wa = s[idx], w[idx]
        sw = sa @ wa                                     # cov(X, Y)     (b, p, L)
        cy = np.einsum("bpl,bpm->blm", wa, sw)           # cov(Y)        (b, L, L)
        sd = np.sqrt(np.einsum("bll->bl", cy))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cy / (sd[:, :, None] * sd[:, None, :])
            e = _inner_weights(r, d, scheme)
            xz = (sw * (c[idx, None] / sd)[:, None, :]) @ e    # X'Z/n
        w_new = _new_weights(sa, xz, d)
        wsum = w_new.sum(axis=2)
        diff = ((np.abs(w_old[idx]) - np.abs(wsum)) ** 2).sum(axis=1)
        w[idx] = w_new
        w_old[idx] = wsum
        n_iter[idx] = it
        bad = ~np.isfinite(diff)
        done = diff < tol
        converged[idx[done]] = True
        active[idx[done | bad]] = False
    w = _normalise(w, s)
    ok = converged & np.isfinite(w).all(axis=(1, 2))
    return w, n_iter, ok


@dataclass
class _BatchFit:
    w: np.ndarray        # (B, p, L) weights (sign-fixed)
    cross: np.ndarray    # (B, p, L) cross-loadings
    r: np.ndarray        # (B, L, L) LV correlations
    beta: np.ndarray     # (B, L, L) path coefficients beta[i, j] for i -> j
    r2: np.ndarray       # (B, L)
    n_iter: np.ndarray
    ok: np.ndarray


def _fit_cov(s: np.ndarray, d: _Design, scheme: str, tol: float, max_iter: int,
             n: np.ndarray) -> _BatchFit:
    """Weights, cross-loadings, LV correlations, paths and R2 for a batch of models."""
    w, n_iter, ok = _outer_weights(s, d, scheme, tol, max_iter, n)
    w = np.where(np.isfinite(w), w, 0.0)
    sw = s @ w
    item_sd = np.sqrt(np.einsum("bpp->bp", s))
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = sw / item_sd[:, :, None]
    # sign ambiguity (plspm get_scores): flip a block whose loadings are mostly negative
    own = np.sign(cross * d.odm[None]).sum(axis=1)          # (B, L)
    flip = np.where(own <= 0, -1.0, 1.0)
    w = w * flip[:, None, :]
    cross = cross * flip[:, None, :]
    r = np.einsum("bpl,bpq,bqm->blm", w, s, w)
    beta, r2 = _structural(r, d)
    ok = ok & np.isfinite(beta).all(axis=(1, 2)) & np.isfinite(cross).all(axis=(1, 2))
    return _BatchFit(w, cross, r, beta, r2, n_iter, ok)


def _structural(r: np.ndarray, d: _Design) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients and R2 from the LV correlation matrix (batched)."""
    nb = r.shape[0]
    beta = np.zeros((nb, d.n_lv, d.n_lv))
    r2 = np.zeros((nb, d.n_lv))
    for k in d.endo:
        pr = d.preds[k]
        rxy = r[:, pr, k][:, :, None]
        coef = _solve(r[:, pr[:, None], pr[None, :]], rxy)[:, :, 0]
        beta[:, pr, k] = coef
        r2[:, k] = (coef * rxy[:, :, 0]).sum(axis=1)
    return beta, r2


def _ols_on_corr(rr: np.ndarray, pr: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Standardised OLS coefficients of variable k on variables ``pr`` and the R2, from the
    correlation matrix ``rr``: b = R_PP^-1 r_Pk, R2 = b' r_Pk."""
    coef = np.linalg.solve(rr[np.ix_(pr, pr)], rr[pr, k])
    return coef, float(coef @ rr[pr, k])


def _total_effects(beta: np.ndarray) -> np.ndarray:
    """T = (I - B)^-1 - I = B + B^2 + ... for a recursive model (batched over axis 0)."""
    eye = np.eye(beta.shape[-1])
    return np.linalg.inv(eye - beta) - eye


# ============================================================================================
# Results of one estimation
# ============================================================================================

@dataclass(frozen=True)
class PLSResult:
    """Everything estimated by ``estimate_pls`` (tables as pandas DataFrames)."""

    spec: ModelSpec
    scheme: str
    scaled: bool
    n_obs: int
    n_iter: int
    missing: MissingReport
    outer_model: pd.DataFrame       # construct, item, mode, weight, loading, communality, ...
    cross_loadings: pd.DataFrame    # items x constructs
    scores: pd.DataFrame            # n x constructs (+ interaction terms), unit variance
    path_matrix: pd.DataFrame       # source x target direct effects
    paths: pd.DataFrame             # source, target, estimate
    r_squared: pd.DataFrame         # construct, r2, r2_adj
    f_squared: pd.DataFrame         # source, target, f2
    effects: pd.DataFrame           # source, target, direct, indirect, total
    construct_correlations: pd.DataFrame
    inner_summary: pd.DataFrame     # construct, type, r2, block_communality, mean_redundancy, ave
    gof: float
    items: np.ndarray = field(repr=False)  # the item matrix used (n, p), raw scale
    weights_matrix: np.ndarray = field(repr=False)  # (p, L) for treated items

    @property
    def item_data(self) -> pd.DataFrame:
        """The item values used (after the missing-data treatment), raw scale."""
        return pd.DataFrame(self.items, index=self.scores.index, columns=self.spec.all_items)

    @property
    def total_effects(self) -> pd.DataFrame:
        """Matrix (source x target) of total effects."""
        return self.effects.pivot(index="source", columns="target", values="total")

    def specific_indirect_effects(self, source: str | None = None,
                                  target: str | None = None) -> pd.DataFrame:
        """Every chain of >= 2 paths with its effect (product of the coefficients).

        Columns: source, target, chain ("A -> M -> B"), n_paths, effect.
        """
        return _specific_indirect(self.path_matrix, source, target)

    def gof_table(self) -> pd.DataFrame:
        comm = self.outer_model.groupby("construct", sort=False)["communality"]
        multi = self.outer_model.groupby("construct", sort=False)["item"].transform("size") > 1
        endo = self.r_squared.dropna(subset=["r2"])
        return pd.DataFrame([
            {"measure": "mean communality (blocks with > 1 item)",
             "value": float(self.outer_model.loc[multi, "communality"].mean())},
            {"measure": "mean R2 (endogenous)", "value": float(endo["r2"].mean())},
            {"measure": "GoF", "value": self.gof},
            {"measure": "constructs", "value": float(comm.ngroups)},
            {"measure": "observations", "value": float(self.n_obs)},
            {"measure": "iterations", "value": float(self.n_iter)},
        ])


def _specific_indirect(path_matrix: pd.DataFrame, source: str | None,
                       target: str | None) -> pd.DataFrame:
    names = list(path_matrix.index)
    edges = path_matrix.attrs.get("edges", set())
    succ = {a: [b for b in path_matrix.columns if (a, b) in edges] for a in names}
    rows: list[dict[str, Any]] = []

    def walk(chain: list[str]) -> None:
        last = chain[-1]
        if len(chain) >= 3 and (target is None or last == target):
            eff = float(np.prod([path_matrix.loc[a, b] for a, b in itertools.pairwise(chain)]))
            rows.append({"source": chain[0], "target": last, "chain": " -> ".join(chain),
                         "n_paths": len(chain) - 1, "effect": eff})
        for nxt in succ.get(last, []):
            walk(chain + [nxt])

    for s in names if source is None else [source]:
        walk([s])
    return pd.DataFrame(rows, columns=["source", "target", "chain", "n_paths", "effect"])


def _coerce_options(scheme: str, tol: float, max_iter: int) -> None:
    if scheme not in SCHEMES:
        raise ParameterError(f"scheme={scheme!r}; expected one of {SCHEMES}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ParameterError(f"tol={tol!r}; expected a number in (0, 1)")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ParameterError(f"max_iter={max_iter!r}; expected a positive integer")


def estimate_pls(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any],
                 scheme: str = "path", scaled: bool = True, missing: str = "listwise",
                 tol: float = 1e-6, max_iter: int = 100) -> PLSResult:
    """Estimate a PLS path model (see the module docstring for the algorithm and sources).

    ``model`` is a ModelSpec, a built-in model name or a spec dict. Interaction terms are
    estimated with the two-stage approach (Henseler & Chin 2010; Hair et al. 2018, "Advanced
    Issues in PLS-SEM", ch. 7): stage 1 estimates the main-effects model; the interaction term
    is the product of the standardised stage-1 scores, standardised again; stage 2 regresses
    each target on its stage-1 predecessor scores and interaction terms.
    """
    spec = load_model(model)
    _coerce_options(scheme, tol, max_iter)
    x, index, report = prepare_items(data, spec, missing)
    main = spec.without_interactions()
    d = _design(main)
    n = x.shape[0]
    xt = _treat(x, scaled)
    s = (xt.T @ xt / n)[None]
    fit = _fit_cov(s, d, scheme, tol, max_iter, np.array([float(n)]))
    if not fit.ok[0]:
        if not np.isfinite(fit.beta).all() or fit.n_iter[0] < max_iter:
            raise EstimationError(f"model {spec.name!r}: the PLS estimates are not finite "
                                  "(singular Mode B block or collinear constructs?)")
        raise ConvergenceError(f"model {spec.name!r}: the PLS algorithm ({scheme} scheme) did "
                               f"not converge within max_iter={max_iter} iterations "
                               f"(tol={tol}); increase max_iter or check the model")
    return _assemble(spec, d, x, xt, index, fit, scheme, scaled, report)


def _assemble(spec: ModelSpec, d: _Design, x: np.ndarray, xt: np.ndarray, index: pd.Index,
              fit: _BatchFit, scheme: str, scaled: bool, report: MissingReport) -> PLSResult:
    n = x.shape[0]
    w = fit.w[0]
    names = d.names
    scores = xt @ w
    cross = pd.DataFrame(fit.cross[0], index=d.items, columns=names)
    loadings = fit.cross[0][np.arange(d.p), d.blk]
    r2 = fit.r2[0].copy()
    beta = fit.beta[0].copy()
    edges = [(names[i], names[j]) for i in range(d.n_lv) for j in range(d.n_lv) if d.adj[i, j]]

    # two-stage interaction terms
    all_names = list(names)
    score_df = pd.DataFrame(scores, index=index, columns=names)
    if spec.interactions:
        for inter in spec.interactions:
            prod = score_df[inter.of[0]].to_numpy() * score_df[inter.of[1]].to_numpy()
            prod = (prod - prod.mean()) / prod.std()
            score_df[inter.name] = prod
            all_names.append(inter.name)
        edges = [(s, t) for s, t in spec.paths]
    m = len(all_names)
    pos = {nm: i for i, nm in enumerate(all_names)}
    adj = np.zeros((m, m), dtype=int)
    for s_, t_ in edges:
        adj[pos[s_], pos[t_]] = 1
    rr = (score_df.to_numpy().T @ score_df.to_numpy()) / n   # score correlations
    b_full = np.zeros((m, m))
    b_full[: d.n_lv, : d.n_lv] = beta
    r2_full = np.zeros(m)
    r2_full[: d.n_lv] = r2
    if spec.interactions:
        for t_name in {t for s_, t in spec.paths if s_ in spec.interaction_names}:
            k = pos[t_name]
            pr = np.flatnonzero(adj[:, k])
            coef, r2_full[k] = _ols_on_corr(rr, pr, k)
            b_full[:, k] = 0.0
            b_full[pr, k] = coef

    endo = [j for j in range(m) if adj[:, j].any()]
    path_matrix = pd.DataFrame(b_full, index=all_names, columns=all_names)
    path_matrix.attrs["edges"] = set(edges)
    paths = pd.DataFrame([{"source": s_, "target": t_, "estimate": b_full[pos[s_], pos[t_]]}
                          for s_, t_ in _ordered_edges(edges, all_names)])
    k_pred = adj.sum(axis=0)
    r2_rows = []
    for j in range(d.n_lv):
        if j in endo:
            adj_r2 = 1 - (1 - r2_full[j]) * (n - 1) / (n - k_pred[j] - 1)
            r2_rows.append({"construct": all_names[j], "r2": r2_full[j], "r2_adj": adj_r2})
        else:
            r2_rows.append({"construct": all_names[j], "r2": np.nan, "r2_adj": np.nan})
    r_squared = pd.DataFrame(r2_rows)

    f2_rows = []
    for s_, t_ in _ordered_edges(edges, all_names):
        k = pos[t_]
        pr = [i for i in np.flatnonzero(adj[:, k]) if i != pos[s_]]
        r2_excl = _ols_on_corr(rr, np.array(pr), k)[1] if pr else 0.0
        f2 = (r2_full[k] - r2_excl) / (1 - r2_full[k])
        f2_rows.append({"source": s_, "target": t_, "f2": f2})
    f_squared = pd.DataFrame(f2_rows)

    total = _total_effects(b_full[None])[0]
    eff_rows = []
    for i, j in itertools.permutations(range(m), 2):
        if total[i, j] != 0 or adj[i, j]:
            eff_rows.append({"source": all_names[i], "target": all_names[j],
                             "direct": b_full[i, j], "indirect": total[i, j] - b_full[i, j],
                             "total": total[i, j]})
    effects = pd.DataFrame(eff_rows, columns=["source", "target", "direct", "indirect", "total"])
    order = {nm: i for i, nm in enumerate(all_names)}
    if len(effects):
        effects = effects.sort_values(["source", "target"], key=lambda c: c.map(order))
        effects = effects.reset_index(drop=True)

    communality = loadings**2
    r2_item = r2_full[d.blk]
    outer = pd.DataFrame({
        "construct": [names[b] for b in d.blk], "item": d.items,
        "mode": [("B" if d.is_b[b] else "A") for b in d.blk],
        "weight": w[np.arange(d.p), d.blk], "loading": loadings, "communality": communality,
        "redundancy": communality * r2_item,
    })
    summ = []
    for j, nm in enumerate(names):
        idx = d.block_idx[j]
        summ.append({"construct": nm, "type": "Endogenous" if j in endo else "Exogenous",
                     "mode": "B" if d.is_b[j] else "A", "n_items": idx.size,
                     "r2": r2_full[j], "block_communality": communality[idx].mean(),
                     "mean_redundancy": (communality[idx] * r2_full[j]).mean(),
                     "ave": communality[idx].mean() if not d.is_b[j] else np.nan})
    inner_summary = pd.DataFrame(summ)
    multi = np.array([d.block_idx[b].size > 1 for b in d.blk])
    endo_main = [j for j in endo if j < d.n_lv]
    gof = float(np.sqrt(communality[multi].mean() * r2_full[endo_main].mean())) \
        if multi.any() and endo_main else float("nan")
    return PLSResult(
        spec=spec, scheme=scheme, scaled=scaled, n_obs=n, n_iter=int(fit.n_iter[0]),
        missing=report, outer_model=outer, cross_loadings=cross, scores=score_df,
        path_matrix=path_matrix, paths=paths, r_squared=r_squared, f_squared=f_squared,
        effects=effects,
        construct_correlations=pd.DataFrame(rr, index=all_names, columns=all_names),
        inner_summary=inner_summary, gof=gof, items=x, weights_matrix=w,
    )


def _ordered_edges(edges: Sequence[tuple[str, str]], names: list[str]) -> list[tuple[str, str]]:
    pos = {nm: i for i, nm in enumerate(names)}
    return sorted(edges, key=lambda e: (pos[e[1]], pos[e[0]]))


# ============================================================================================
# Bootstrap
# ============================================================================================

@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap of a PLS path model.

    Each summary table has the statistic's key columns, then estimate (full sample), boot_mean,
    std_error (sd of the bootstrap draws, divisor B-1), t_value = estimate / std_error,
    p_value (two-sided, Student t with n-1 df), perc_low/perc_high (percentile interval),
    bca_low/bca_high (bias-corrected and accelerated interval), ci_low/ci_high (the ``ci``
    method chosen). ``draws`` holds the accepted bootstrap draws (one row per resample).
    """

    estimates: PLSResult
    n_boot: int
    n_ok: int
    n_failed: int
    failures: pd.DataFrame          # reason, count
    seed: int | None
    sign_change: str
    ci: str
    ci_level: float
    paths: pd.DataFrame
    weights: pd.DataFrame
    loadings: pd.DataFrame
    r_squared: pd.DataFrame
    total_effects: pd.DataFrame
    indirect_effects: pd.DataFrame
    draws: dict[str, pd.DataFrame] = field(repr=False)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"quantity": "resamples requested", "value": self.n_boot},
            {"quantity": "resamples used", "value": self.n_ok},
            {"quantity": "resamples failed", "value": self.n_failed},
        ])


def _stat_layout(res: PLSResult) -> dict[str, list[tuple[str, ...]]]:
    """Names of the statistics collected per resample."""
    eff = res.effects
    chains = res.specific_indirect_effects()
    chained = set(zip(chains["source"], chains["target"], strict=True))
    return {
        "paths": [(s, t) for s, t in zip(res.paths["source"], res.paths["target"], strict=True)],
        "weights": [(c, i) for c, i in zip(res.outer_model["construct"], res.outer_model["item"],
                                           strict=True)],
        "loadings": [(c, i) for c, i in zip(res.outer_model["construct"],
                                            res.outer_model["item"], strict=True)],
        "r_squared": [(c,) for c, r in zip(res.r_squared["construct"], res.r_squared["r2"],
                                           strict=True) if np.isfinite(r)],
        "total_effects": [(s, t) for s, t in zip(eff["source"], eff["target"], strict=True)],
        "indirect_effects": [(s, t) for s, t in zip(eff["source"], eff["target"], strict=True)
                             if (s, t) in chained],
    }


def _batch_stats(fit: _BatchFit, d: _Design, spec: ModelSpec, layout: dict[str, list],
                 x: np.ndarray | None, idx: np.ndarray | None, moments: tuple | None,
                 scaled: bool, ref: dict[str, np.ndarray] | None, sign_change: str
                 ) -> dict[str, np.ndarray]:
    """Collect the statistics of ``layout`` from a batch of fits (B rows each)."""
    nb = fit.w.shape[0]
    ar = np.arange(d.p)
    w = fit.w[:, ar, d.blk]
    load = fit.cross[:, ar, d.blk]
    beta = fit.beta
    r2 = fit.r2
    names = list(d.names)
    if sign_change == "construct" and ref is not None:
        # flip a whole construct when that brings its loadings closer to the original ones
        # (Tenenhaus et al. 2005, "construct level changes")
        ref_load = ref["loadings"]
        flip = np.ones((nb, d.n_lv))
        for j in range(d.n_lv):
            bi = d.block_idx[j]
            keep = np.abs(load[:, bi] - ref_load[None, bi]).sum(axis=1)
            swap = np.abs(-load[:, bi] - ref_load[None, bi]).sum(axis=1)
            flip[:, j] = np.where(swap < keep, -1.0, 1.0)
        w = w * flip[:, d.blk]
        load = load * flip[:, d.blk]
        beta = beta * flip[:, :, None] * flip[:, None, :]
    if spec.interactions:
        beta, r2, names = _stage2_batch(fit, d, spec, x, idx, moments, scaled, beta, r2)
    pos = {nm: i for i, nm in enumerate(names)}
    total = _total_effects(beta)
    out = {
        "paths": np.stack([beta[:, pos[s], pos[t]] for s, t in layout["paths"]], axis=1),
        "weights": w, "loadings": load,
        "r_squared": np.stack([r2[:, pos[c]] for (c,) in layout["r_squared"]], axis=1),
        "total_effects": np.stack([total[:, pos[s], pos[t]] for s, t in layout["total_effects"]],
                                  axis=1),
    }
    ind = [total[:, pos[s], pos[t]] - beta[:, pos[s], pos[t]]
           for s, t in layout["indirect_effects"]]
    out["indirect_effects"] = np.stack(ind, axis=1) if ind else np.zeros((nb, 0))
    if sign_change == "individual" and ref is not None:
        # each outer weight / loading takes the sign of its full-sample estimate
        # (Tenenhaus et al. 2005, "individual sign changes")
        for key in ("weights", "loadings"):
            out[key] = np.abs(out[key]) * np.sign(ref[key])[None, :]
    return out


def _stage2_batch(fit: _BatchFit, d: _Design, spec: ModelSpec, x: np.ndarray | None,
                  idx: np.ndarray | None, moments: tuple | None, scaled: bool,
                  beta: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Two-stage interaction terms for a batch of resamples (needs the resampled rows)."""
    if x is None or idx is None or moments is None:
        raise EstimationError("two-stage interactions need the resampled rows")
    mean, sd = moments[1], moments[2]
    nb = fit.w.shape[0]
    names = list(d.names) + spec.interaction_names
    m = len(names)
    pos = {nm: i for i, nm in enumerate(names)}
    xb = x[idx]                                            # (B, n, p)
    xt = xb - mean[:, None, :]
    if scaled:
        with np.errstate(divide="ignore", invalid="ignore"):
            xt = xt / sd[:, None, :]
    y = xt @ fit.w                                         # (B, n, L) unit variance
    cols = [y]
    for inter in spec.interactions:
        pr = y[:, :, pos[inter.of[0]]] * y[:, :, pos[inter.of[1]]]
        pr = pr - pr.mean(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            pr = pr / pr.std(axis=1, keepdims=True)
        cols.append(pr[:, :, None])
    z = np.concatenate(cols, axis=2)
    rr = np.einsum("bnl,bnm->blm", z, z) / z.shape[1]
    b_full = np.zeros((nb, m, m))
    b_full[:, : d.n_lv, : d.n_lv] = beta
    r2_full = np.zeros((nb, m))
    r2_full[:, : d.n_lv] = r2
    for t_name in {t for s_, t in spec.paths if s_ in spec.interaction_names}:
        k = pos[t_name]
        pr_i = np.array([pos[s_] for s_, t in spec.paths if t == t_name])
        rxy = rr[:, pr_i, k][:, :, None]
        coef = _solve(rr[:, pr_i[:, None], pr_i[None, :]], rxy)[:, :, 0]
        b_full[:, :, k] = 0.0
        b_full[:, pr_i, k] = coef
        r2_full[:, k] = (coef * rxy[:, :, 0]).sum(axis=1)
    return b_full, r2_full, names


def _percentile_ci(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    a = (1 - level) / 2
    return np.quantile(draws, a, axis=0), np.quantile(draws, 1 - a, axis=0)


def _bca_ci(draws: np.ndarray, est: np.ndarray, jack: np.ndarray | None, level: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """BCa interval (Efron 1987; Efron & Tibshirani 1993, §14.3).

    z0 = Phi^-1(#{theta*_b < theta_hat} / B); acceleration a from the jackknife values
    theta_(i): a = sum (m - theta_(i))^3 / (6 [sum (m - theta_(i))^2]^(3/2)), m their mean;
    the interval is the alpha1, alpha2 quantiles of the draws with
    alpha_k = Phi(z0 + (z0 + z_k) / (1 - a (z0 + z_k))).
    """
    b = draws.shape[0]
    prop = (draws < est[None, :]).sum(axis=0) / b
    prop = np.clip(prop, 1.0 / (b + 1), b / (b + 1))
    z0 = stats.norm.ppf(prop)
    if jack is None:
        acc = np.zeros_like(est)
    else:
        dev = jack.mean(axis=0)[None, :] - jack
        num = (dev**3).sum(axis=0)
        den = 6.0 * ((dev**2).sum(axis=0)) ** 1.5
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = np.where(den > 0, num / den, 0.0)
    lo_hi = []
    for q in ((1 - level) / 2, 1 - (1 - level) / 2):
        zq = stats.norm.ppf(q)
        alpha = stats.norm.cdf(z0 + (z0 + zq) / (1 - acc * (z0 + zq)))
        lo_hi.append(np.array([np.quantile(draws[:, i], alpha[i]) for i in range(est.size)]))
    return lo_hi[0], lo_hi[1]


def _summarise(key_cols: list[str], keys: list[tuple[str, ...]], est: np.ndarray,
               draws: np.ndarray, jack: np.ndarray | None, level: float, ci: str, n_obs: int
               ) -> pd.DataFrame:
    frame = pd.DataFrame(keys, columns=key_cols)
    frame["estimate"] = est
    if draws.shape[0] < 2:
        for col in ("boot_mean", "std_error", "t_value", "p_value", "perc_low", "perc_high",
                    "bca_low", "bca_high", "ci_low", "ci_high"):
            frame[col] = np.nan
        return frame
    se = draws.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, est / se, np.nan)
    frame["boot_mean"] = draws.mean(axis=0)
    frame["std_error"] = se
    frame["t_value"] = t
    frame["p_value"] = 2 * stats.t.sf(np.abs(t), df=n_obs - 1)
    lo, hi = _percentile_ci(draws, level)
    blo, bhi = _bca_ci(draws, est, jack, level)
    frame["perc_low"], frame["perc_high"] = lo, hi
    frame["bca_low"], frame["bca_high"] = blo, bhi
    frame["ci_low"], frame["ci_high"] = (lo, hi) if ci == "percentile" else (blo, bhi)
    return frame


_KEY_COLS = {"paths": ["source", "target"], "weights": ["construct", "item"],
             "loadings": ["construct", "item"], "r_squared": ["construct"],
             "total_effects": ["source", "target"], "indirect_effects": ["source", "target"]}


def _constant_items(sd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Resamples (rows of ``sd``) in which some item has (numerically) zero variance.

    Relative to the full-sample sd, so that rounding in the moment formula (~1e-16 times the
    squared mean) cannot pass for variance.
    """
    return (sd <= 1e-6 * x.std(axis=0)[None, :]).any(axis=1)


def _resample_chunk(x: np.ndarray, seed_seq: np.random.SeedSequence, size: int, d: _Design,
                    spec: ModelSpec, layout: dict, scheme: str, scaled: bool, tol: float,
                    max_iter: int, ref: dict, sign_change: str
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One chunk of bootstrap resamples (own seed → distinct resamples per chunk/worker)."""
    n = x.shape[0]
    rng = np.random.default_rng(seed_seq)
    idx = rng.integers(0, n, size=(size, n))
    counts = np.bincount((idx + n * np.arange(size)[:, None]).ravel(),
                         minlength=size * n).reshape(size, n).astype(float)
    s, mean, sd = _weighted_moments(x, counts, scaled)
    reason = np.zeros(size, dtype=int)        # 0 ok, 1 constant item, 2 no convergence, 3 other
    const = _constant_items(sd, x)
    reason[const] = 1
    s = np.where(const[:, None, None], np.eye(d.p)[None], s)
    fit = _fit_cov(s, d, scheme, tol, max_iter, np.full(size, float(n)))
    st = _batch_stats(fit, d, spec, layout, x, idx, (s, mean, sd), scaled, ref, sign_change)
    finite = np.all([np.isfinite(v).all(axis=1) for v in st.values()], axis=0)
    not_conv = ~fit.ok & (fit.n_iter >= max_iter)
    reason[(reason == 0) & not_conv] = 2
    reason[(reason == 0) & ~(fit.ok & finite)] = 3
    return st, reason


def bootstrap_pls(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any],
                  n_boot: int = 1000, seed: int | None = 0, scheme: str = "path",
                  scaled: bool = True, missing: str = "listwise", tol: float = 1e-6,
                  max_iter: int = 100, sign_change: str = "none", ci: str = "percentile",
                  ci_level: float = 0.95, n_jobs: int = 1, chunk_size: int = 500,
                  jackknife: bool = True) -> BootstrapResult:
    """Nonparametric bootstrap of a PLS path model (resampling respondents with replacement).

    Resamples are drawn in chunks of ``chunk_size``; chunk i uses its own generator seeded by
    ``SeedSequence(seed).spawn(n_chunks)[i]``, so resamples are distinct across chunks and the
    result does not depend on ``n_jobs`` (chunks run in joblib threads when n_jobs > 1).
    Missing values are treated once, on the full sample, before resampling.
    A resample that fails (an item constant in the resample, no convergence, singular block or
    non-finite estimate) is dropped from the summaries and counted in ``failures``.
    ``sign_change``: 'none', 'individual' (each weight/loading takes the sign of its full-sample
    estimate) or 'construct' (flip a construct when that matches the full-sample loadings
    better), after Tenenhaus et al. (2005). BCa intervals use jackknife acceleration when
    ``jackknife`` is true (n extra fits), else a = 0 (bias-corrected percentile interval).
    """
    spec = load_model(model)
    _coerce_options(scheme, tol, max_iter)
    n_boot = check_n_boot(n_boot)
    if sign_change not in SIGN_CHANGES:
        raise ParameterError(f"sign_change={sign_change!r}; expected one of {SIGN_CHANGES}")
    if ci not in CI_METHODS:
        raise ParameterError(f"ci={ci!r}; expected one of {CI_METHODS}")
    ci_level = check_level(ci_level, "ci_level")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ParameterError(f"chunk_size={chunk_size!r}; expected a positive integer")
    res = estimate_pls(data, spec, scheme=scheme, scaled=scaled, missing=missing, tol=tol,
                       max_iter=max_iter)
    x = res.items
    n = x.shape[0]
    d = _design(spec.without_interactions())
    layout = _stat_layout(res)
    ref = _reference_stats(res, d, spec, layout, x, scaled, scheme, tol, max_iter)

    sizes = [chunk_size] * (n_boot // chunk_size)
    if n_boot % chunk_size:
        sizes.append(n_boot % chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    args = [(x, ss, sz, d, spec, layout, scheme, scaled, tol, max_iter, ref, sign_change)
            for ss, sz in zip(seeds, sizes, strict=True)]
    if n_jobs != 1 and len(args) > 1:
        from joblib import Parallel, delayed
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_resample_chunk)(*a) for a in args)
    else:
        parts = [_resample_chunk(*a) for a in args]
    reasons = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=int)
    ok = reasons == 0
    draws = {k: (np.concatenate([p[0][k] for p in parts])[ok] if parts
                 else np.zeros((0, len(layout[k])))) for k in layout}

    jack = None
    if jackknife and n_boot >= 2:
        jcounts = 1.0 - np.eye(n)
        s, mean, sd = _weighted_moments(x, jcounts, scaled)
        jidx = np.array([np.delete(np.arange(n), i) for i in range(n)]) \
            if spec.interactions else None
        fit = _fit_cov(s, d, scheme, tol, max_iter, np.full(n, n - 1.0))
        jack_st = _batch_stats(fit, d, spec, layout, x, jidx, (s, mean, sd), scaled, ref,
                               sign_change)
        good = fit.ok & np.all([np.isfinite(v).all(axis=1) for v in jack_st.values()], axis=0)
        jack = {k: v[good] for k, v in jack_st.items()}

    labels = {0: "ok", 1: "an item is constant in the resample",
              2: "did not converge", 3: "singular or non-finite estimates"}
    fail = [{"reason": labels[r], "count": int((reasons == r).sum())} for r in (1, 2, 3)]
    tables = {}
    for k in layout:
        tables[k] = _summarise(_KEY_COLS[k], layout[k], ref[k], draws[k],
                               None if jack is None else jack[k], ci_level, ci, n)
    draw_frames = {k: pd.DataFrame(v, columns=[" -> ".join(t) if len(t) > 1 else t[0]
                                               for t in layout[k]]) for k, v in draws.items()}
    return BootstrapResult(
        estimates=res, n_boot=int(n_boot), n_ok=int(ok.sum()), n_failed=int((~ok).sum()),
        failures=pd.DataFrame(fail), seed=seed, sign_change=sign_change, ci=ci,
        ci_level=ci_level, paths=tables["paths"], weights=tables["weights"],
        loadings=tables["loadings"], r_squared=tables["r_squared"],
        total_effects=tables["total_effects"], indirect_effects=tables["indirect_effects"],
        draws=draw_frames,
    )


def _reference_stats(res: PLSResult, d: _Design, spec: ModelSpec, layout: dict,
                     x: np.ndarray, scaled: bool, scheme: str, tol: float, max_iter: int
                     ) -> dict[str, np.ndarray]:
    """Full-sample statistics computed by the batched path (identical to ``res``)."""
    n = x.shape[0]
    s, mean, sd = _weighted_moments(x, np.ones((1, n)), scaled)
    fit = _fit_cov(s, d, scheme, tol, max_iter, np.array([float(n)]))
    idx = np.arange(n)[None] if spec.interactions else None
    st = _batch_stats(fit, d, spec, layout, x, idx, (s, mean, sd), scaled, None, "none")
    return {k: v[0] for k, v in st.items()}


# ============================================================================================
# Importance-performance map analysis (IPMA)
# ============================================================================================

def ipma(result: PLSResult, target: str, scale: tuple[float, float] | Mapping[str, tuple]
         | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Importance-performance map for ``target`` (Ringle & Sarstedt 2016, "Gain more insight
    from your PLS-SEM results: the importance-performance map analysis", Industrial Management
    & Data Systems 116(9), 1865-1886).

    1. Items are rescaled to 0-100: x~ = (x - min) / (max - min) * 100 with the theoretical
       scale bounds ``scale`` ((min, max) for all items, a dict per item, or the spec's
       ``scale``; if none is given, the observed min and max of each item).
    2. Unstandardised weights on the raw items (w / sd(x) when the items were standardised),
       divided by their block sum, give each construct's performance score on 0-100
       (performance = mean score).
    3. Importance = unstandardised total effect on ``target``: the standardised total effect
       times sd(target score) / sd(source score), both on the rescaled metric.
    Returns (constructs, items): construct, importance, performance, total_effect_std,
    weights_positive; and construct, item, importance (rescaled weight x construct
    importance), performance (mean rescaled item).
    """
    spec = result.spec
    if target not in spec.construct_names:
        raise ParameterError(f"ipma target {target!r} is not a construct of model "
                             f"{spec.name!r}")
    d = _design(spec.without_interactions())
    x = result.items
    if scale is None:
        bounds = [spec.scale_of(it) for it in d.items]
        lo = np.array([b[0] if b else x[:, i].min() for i, b in enumerate(bounds)])
        hi = np.array([b[1] if b else x[:, i].max() for i, b in enumerate(bounds)])
    elif isinstance(scale, Mapping):
        try:
            lo = np.array([float(scale[it][0]) for it in d.items])
            hi = np.array([float(scale[it][1]) for it in d.items])
        except KeyError as exc:
            raise ParameterError(f"ipma: no scale given for item {exc.args[0]!r}") from exc
        except (TypeError, ValueError, IndexError) as exc:
            raise ParameterError(f"ipma: scale must map every item to (min, max) numbers, "
                                 f"got {scale!r}") from exc
    else:
        try:
            lo = np.full(d.p, float(scale[0]))
            hi = np.full(d.p, float(scale[1]))
        except (TypeError, ValueError, IndexError) as exc:
            raise ParameterError(f"ipma: scale must be (min, max) numbers, got {scale!r}") from exc
    if (hi <= lo).any():
        raise ParameterError("ipma: every scale max must exceed its min")
    outside = ((x < lo - 1e-9) | (x > hi + 1e-9)).any(axis=0)
    if outside.any():
        j = int(np.flatnonzero(outside)[0])
        raise DataError(f"ipma: item {d.items[j]!r} has values outside its scale "
                        f"[{lo[j]}, {hi[j]}]")
    xr = (x - lo) / (hi - lo) * 100.0
    w = result.weights_matrix[np.arange(d.p), d.blk]
    w_raw = w / x.std(axis=0) if result.scaled else w.copy()
    w_resc = np.zeros(d.p)
    positive = np.ones(d.n_lv, dtype=bool)
    perf_scores = np.zeros((x.shape[0], d.n_lv))
    for j in range(d.n_lv):
        bi = d.block_idx[j]
        wr = w_raw[bi] * (hi[bi] - lo[bi]) / 100.0   # weights on the 0-100 items
        positive[j] = bool((wr > 0).all())
        w_resc[bi] = wr / wr.sum()
        perf_scores[:, j] = xr[:, bi] @ w_resc[bi]
    sd_lv = perf_scores.std(axis=0)
    total = result.effects
    t_idx = d.names.index(target)
    rows, item_rows = [], []
    for j, nm in enumerate(d.names):
        if j == t_idx:
            continue
        sel = total[(total["source"] == nm) & (total["target"] == target)]
        if sel.empty:
            continue
        t_std = float(sel["total"].iloc[0])
        imp = t_std * sd_lv[t_idx] / sd_lv[j]
        rows.append({"construct": nm, "importance": imp,
                     "performance": float(perf_scores[:, j].mean()),
                     "total_effect_std": t_std, "weights_positive": bool(positive[j])})
        for i in d.block_idx[j]:
            item_rows.append({"construct": nm, "item": d.items[i],
                              "importance": w_resc[i] * imp, "performance": float(xr[:, i].mean())})
    cons = pd.DataFrame(rows, columns=["construct", "importance", "performance",
                                       "total_effect_std", "weights_positive"])
    items = pd.DataFrame(item_rows, columns=["construct", "item", "importance", "performance"])
    return cons, items


# ============================================================================================
# Multi-group analysis: permutation test
# ============================================================================================

@dataclass(frozen=True)
class MGAResult:
    """Two-group comparison of path coefficients (and R2) with a permutation test."""

    groups: tuple[str, str]
    n: tuple[int, int]
    n_perm: int
    n_perm_ok: int
    table: pd.DataFrame     # parameter, source, target, estimate_g1, estimate_g2, diff, p_value


def mga_permutation(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any], group: str,
                    groups: Sequence[Any] | None = None, labels: Mapping[Any, str] | None = None,
                    n_perm: int = 1000,
                    seed: int | None = 0, scheme: str = "path", scaled: bool = True,
                    missing: str = "listwise", tol: float = 1e-6, max_iter: int = 100
                    ) -> MGAResult:
    """Permutation test of group differences in path coefficients (Chin & Dibbern 2010, in
    Esposito Vinzi et al. (eds), Handbook of Partial Least Squares, 171-193; Hair et al. 2018,
    "Advanced Issues in PLS-SEM", ch. 4).

    The model is estimated in each group (items treated within the group, as separate models);
    the group labels are permuted ``n_perm`` times (seeded) and the model re-estimated in both
    permuted groups. p = (1 + #{|diff_perm| >= |diff_obs|}) / (1 + n_perm_ok), two-sided.
    ``labels`` maps group values to display names (e.g. {1: "prepaid", 2: "contract"}).
    Permutations where either group fails to estimate are dropped and counted.
    """
    spec = load_model(model)
    _coerce_options(scheme, tol, max_iter)
    if group not in data.columns:
        raise DataError(f"mga: group column {group!r} is not in the data")
    if not isinstance(n_perm, (int, np.integer)) or n_perm < 0:
        raise ParameterError(f"n_perm={n_perm!r}; expected a non-negative integer")
    if spec.interactions:
        spec = spec.without_interactions()
    g = data[group]
    levels = list(groups) if groups is not None else list(pd.unique(g.dropna()))
    if groups is None and isinstance(g.dtype, pd.CategoricalDtype):
        levels = [c for c in g.cat.categories if (g == c).any()]
    if len(levels) != 2:
        raise DataError(f"mga: group column {group!r} must have exactly two groups "
                        f"(pass groups=[a, b] to choose), found {levels}")
    sub = data[g.isin(levels)]
    x, index, _ = prepare_items(sub, spec, missing)
    lab = (sub.loc[index, group] == levels[0]).to_numpy()
    n1, n2 = int(lab.sum()), int((~lab).sum())
    if min(n1, n2) < 3:
        raise DataError(f"mga: group sizes {n1} and {n2}; need at least 3 each")
    d = _design(spec)
    edges = [(s, t) for s, t in spec.paths]
    src = np.array([d.names.index(s) for s, _ in edges])
    tgt = np.array([d.names.index(t) for _, t in edges])
    endo = np.array(d.endo)

    def fit_groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c1 = labels.astype(float)
        c2 = 1.0 - c1
        out = []
        for c in (c1, c2):
            s, mean, sd = _weighted_moments(x, c, scaled)
            bad = _constant_items(sd, x)
            s = np.where(bad[:, None, None], np.eye(d.p)[None], s)
            fit = _fit_cov(s, d, scheme, tol, max_iter, c.sum(axis=1))
            stat = np.concatenate([fit.beta[:, src, tgt], fit.r2[:, endo]], axis=1)
            out.append((stat, fit.ok & ~bad))
        return out[0][0], out[1][0], out[0][1] & out[1][1]

    obs1, obs2, ok = fit_groups(lab[None, :])
    if not ok[0]:
        raise EstimationError(f"mga: the model cannot be estimated in both groups of {group!r}")
    diff_obs = obs1[0] - obs2[0]
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(lab) for _ in range(n_perm)]) if n_perm \
        else np.zeros((0, lab.size), dtype=bool)
    exceed = np.zeros(diff_obs.size)
    n_ok = 0
    for start in range(0, n_perm, 500):
        p1, p2, pok = fit_groups(perms[start:start + 500])
        dp = (p1 - p2)[pok]
        n_ok += int(pok.sum())
        exceed += (np.abs(dp) >= np.abs(diff_obs)[None, :] - 1e-12).sum(axis=0)
    pval = (1 + exceed) / (1 + n_ok) if n_perm else np.full(diff_obs.size, np.nan)
    keys = [("path", s, t) for s, t in edges] + [("r2", "", d.names[j]) for j in endo]
    table = pd.DataFrame(keys, columns=["parameter", "source", "target"])
    table["estimate_g1"] = obs1[0]
    table["estimate_g2"] = obs2[0]
    table["diff"] = diff_obs
    table["p_value"] = pval
    names = tuple(_group_label(v, labels) for v in levels)
    return MGAResult(groups=(names[0], names[1]), n=(n1, n2), n_perm=int(n_perm),
                     n_perm_ok=n_ok, table=table)


# ============================================================================================
# PLSpredict
# ============================================================================================

def pls_predict(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any], k: int = 10,
                repeats: int = 10, seed: int | None = 0, scheme: str = "path",
                scaled: bool = True, missing: str = "listwise", tol: float = 1e-6,
                max_iter: int = 100) -> pd.DataFrame:
    """Out-of-sample prediction of the endogenous constructs' indicators (PLSpredict;
    Shmueli, Ray, Velasquez Estrada & Chatla 2016, J. Business Research 69, 4552-4564;
    Shmueli et al. 2019, European J. Marketing 53, 2322-2347).

    For each of ``repeats`` random k-fold splits (seeded): the model is estimated on the
    training folds; holdout items are treated with the training means (and sds); exogenous
    scores from the training weights predict endogenous scores through the total effects
    (earliest-antecedent predictions); an indicator is predicted as loading x predicted score
    (back on the item scale). Benchmarks: LM (OLS of each endogenous indicator on all indicators
    of the exogenous constructs, fitted on the training folds) and the naive training mean.
    Returns one row per endogenous indicator: construct, item, pls_rmse, pls_mae, lm_rmse,
    lm_mae, q2_predict = 1 - SSE_pls / SSE_naive (metrics averaged over the repeats).
    """
    spec = load_model(model)
    _coerce_options(scheme, tol, max_iter)
    if spec.interactions:
        spec = spec.without_interactions()
    x, _, _ = prepare_items(data, spec, missing)
    n = x.shape[0]
    if not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ParameterError(f"k={k!r}; expected an integer between 2 and n={n}")
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ParameterError(f"repeats={repeats!r}; expected a positive integer")
    d = _design(spec)
    exo = [j for j in range(d.n_lv) if j not in d.endo]
    endo_items = np.concatenate([d.block_idx[j] for j in d.endo])
    exo_items = np.concatenate([d.block_idx[j] for j in exo])
    rng = np.random.default_rng(seed)
    folds_all = []
    for _ in range(repeats):
        perm = rng.permutation(n)
        fold = np.empty(n, dtype=int)
        fold[perm] = np.arange(n) % k
        folds_all.append(fold)
    train = np.array([f != j for f in folds_all for j in range(k)], dtype=float)
    s, mean, sd = _weighted_moments(x, train, scaled)
    fit = _fit_cov(s, d, scheme, tol, max_iter, train.sum(axis=1))
    if not fit.ok.all():
        raise EstimationError("pls_predict: the model could not be estimated on every "
                              "training set")
    total = _total_effects(fit.beta)
    # column of each endogenous item's construct among d.endo (the same for every fold)
    col = np.array([d.endo.index(d.blk[i]) for i in endo_items])
    metrics = []
    for r, fold in enumerate(folds_all):
        pred_pls = np.zeros((n, endo_items.size))
        pred_lm = np.zeros_like(pred_pls)
        pred_naive = np.zeros_like(pred_pls)
        for j in range(k):
            b = r * k + j
            hold = fold == j
            tr = ~hold
            scale_ = sd[b] if scaled else np.ones(d.p)
            xt_h = (x[hold] - mean[b]) / scale_
            y_exo = xt_h[:, exo_items] @ fit.w[b][exo_items][:, exo]
            y_hat = y_exo @ total[b][np.ix_(exo, d.endo)]
            # loading-based indicator prediction on the treated scale → raw scale
            lam = fit.cross[b][endo_items][:, d.endo]  # cor(x_i, Y_j)
            tr_sd = sd[b][endo_items]
            pred_pls[hold] = mean[b][endo_items] + y_hat[:, col] * lam[np.arange(col.size), col] \
                * tr_sd
            xa = np.column_stack([np.ones(tr.sum()), x[tr][:, exo_items]])
            coef, *_ = np.linalg.lstsq(xa, x[tr][:, endo_items], rcond=None)
            pred_lm[hold] = np.column_stack([np.ones(hold.sum()), x[hold][:, exo_items]]) @ coef
            pred_naive[hold] = mean[b][endo_items]
        y = x[:, endo_items]
        e_pls, e_lm, e_naive = y - pred_pls, y - pred_lm, y - pred_naive
        metrics.append(np.column_stack([
            np.sqrt((e_pls**2).mean(axis=0)), np.abs(e_pls).mean(axis=0),
            np.sqrt((e_lm**2).mean(axis=0)), np.abs(e_lm).mean(axis=0),
            1 - (e_pls**2).sum(axis=0) / (e_naive**2).sum(axis=0),
            1 - (e_lm**2).sum(axis=0) / (e_naive**2).sum(axis=0)]))
    m = np.mean(metrics, axis=0)
    out = pd.DataFrame({"construct": [d.names[d.blk[i]] for i in endo_items],
                        "item": [d.items[i] for i in endo_items]})
    for c, col_name in enumerate(["pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict",
                                  "lm_q2_predict"]):
        out[col_name] = m[:, c]
    out["pls_beats_lm_rmse"] = out["pls_rmse"] < out["lm_rmse"]
    return out


def _group_label(value: Any, labels: Mapping[Any, str] | None) -> str:
    if labels:
        for k, v in labels.items():
            if k == value or str(k) == str(value):
                return str(v)
            try:
                if float(k) == float(value):
                    return str(v)
            except (TypeError, ValueError):
                pass
    return str(value)


# ============================================================================================
# Mediation and moderation summaries
# ============================================================================================

def mediation_table(boot: BootstrapResult) -> pd.DataFrame:
    """Direct and indirect effects with bootstrap intervals and the mediation type of
    Zhao, Lynch & Chen (2010, J. Consumer Research 37(2), 197-206) as recommended by Hair et al.
    (2017, Primer, ch. 7): indirect significant and direct significant with the same sign →
    complementary; opposite sign → competitive; indirect only → indirect-only (full mediation);
    direct only → direct-only (no mediation); neither → no effect. "Significant" = the
    bootstrap interval (``boot.ci``) excludes 0; a pair without a direct path has direct = 0.
    """
    ind = boot.indirect_effects.set_index(["source", "target"])
    direct = boot.paths.set_index(["source", "target"])
    rows = []
    for (s, t), r in ind.iterrows():
        ind_sig = bool(r["ci_low"] > 0 or r["ci_high"] < 0)
        if (s, t) in direct.index:
            dr = direct.loc[(s, t)]
            d_est, d_lo, d_hi = dr["estimate"], dr["ci_low"], dr["ci_high"]
            d_sig = bool(d_lo > 0 or d_hi < 0)
        else:
            d_est, d_lo, d_hi, d_sig = 0.0, np.nan, np.nan, False
        if ind_sig and d_sig:
            kind = "complementary" if np.sign(d_est) == np.sign(r["estimate"]) else "competitive"
        elif ind_sig:
            kind = "indirect-only" if (s, t) in direct.index else "indirect (no direct path)"
        elif d_sig:
            kind = "direct-only"
        else:
            kind = "no effect"
        rows.append({"source": s, "target": t, "direct": d_est, "direct_ci_low": d_lo,
                     "direct_ci_high": d_hi, "indirect": r["estimate"],
                     "indirect_ci_low": r["ci_low"], "indirect_ci_high": r["ci_high"],
                     "mediation": kind})
    return pd.DataFrame(rows)


def simple_slopes(result: PLSResult, interaction: str,
                  at: Sequence[float] = (-1.0, 0.0, 1.0)) -> pd.DataFrame:
    """Effect of the focal construct on the target at moderator values ``at`` (in SD units of
    the moderator score) for a two-stage interaction (Aiken & West 1991; Hair et al. 2018,
    Advanced Issues, ch. 7): slope(m) = b_x + b_int * m / sd(x*m), because the interaction
    term is the standardised product of the standardised scores.
    """
    inter = {i.name: i for i in result.spec.interactions}.get(interaction)
    if inter is None:
        raise ParameterError(f"model {result.spec.name!r} has no interaction {interaction!r}")
    x_name, m_name = inter.of
    target = [t for s, t in result.spec.paths if s == interaction][0]
    pm = result.path_matrix
    prod = result.scores[x_name].to_numpy() * result.scores[m_name].to_numpy()
    sd = prod.std()
    b_x = pm.loc[x_name, target]
    b_i = pm.loc[interaction, target]
    return pd.DataFrame({"moderator": m_name, "moderator_sd": list(at),
                         "focal": x_name, "target": target,
                         "slope": [b_x + b_i * m / sd for m in at]})


def ipma_priorities(table: pd.DataFrame) -> pd.DataFrame:
    """Add a ``quadrant`` column to an IPMA table (Ringle & Sarstedt 2016): constructs with
    above-average importance and below-average performance are where improvement pays most
    ("improve first"); then "keep up" (high, high), "low priority" (low, low), "possible
    overkill" (low importance, high performance). Sorted by importance, descending."""
    out = table.copy()
    hi_imp = out["importance"] >= out["importance"].mean()
    hi_perf = out["performance"] >= out["performance"].mean()
    out["quadrant"] = np.select(
        [hi_imp & ~hi_perf, hi_imp & hi_perf, ~hi_imp & ~hi_perf],
        ["improve first", "keep up", "low priority"], "possible overkill")
    return out.sort_values("importance", ascending=False).reset_index(drop=True)
