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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crm_research.errors import ConvergenceError, EstimationError
from crm_research.sem.pls.design import (
    Design,
    MissingReport,
    check_options,
    make_design,
    prepare_items,
    treat_items,
)
from crm_research.sem.spec import ModelSpec, load_model

if TYPE_CHECKING:
    from crm_research.sem.pls.quality import QualityReport

# ============================================================================================
# Batched PLS algorithm on covariance matrices
# ============================================================================================

def solve_batched(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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


def _inner_weights(r: np.ndarray, d: Design, scheme: str) -> np.ndarray:
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
            coef = solve_batched(r[:, pr[:, None], pr[None, :]], r[:, pr, k][:, :, None])[:, :, 0]
            e[:, pr, k] = coef
        sc = d.succs[k]
        if sc.size:
            e[:, sc, k] = r[:, k, sc]
    return e


def _new_weights(s: np.ndarray, xz: np.ndarray, d: Design) -> np.ndarray:
    w = xz * d.odm[None]
    for j in np.flatnonzero(d.is_b):
        idx = d.block_idx[j]
        sjj = s[:, idx[:, None], idx[None, :]]
        w[:, idx, j] = solve_batched(sjj, xz[:, idx, j][:, :, None])[:, :, 0]
    return w


def _normalise(w: np.ndarray, s: np.ndarray) -> np.ndarray:
    var = np.einsum("bpl,bpq,bql->bl", w, s, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return w / np.sqrt(var)[:, None, :]


def _outer_weights(s: np.ndarray, d: Design, scheme: str, tol: float, max_iter: int,
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
class BatchFit:
    w: np.ndarray        # (B, p, L) weights (sign-fixed)
    cross: np.ndarray    # (B, p, L) cross-loadings
    r: np.ndarray        # (B, L, L) LV correlations
    beta: np.ndarray     # (B, L, L) path coefficients beta[i, j] for i -> j
    r2: np.ndarray       # (B, L)
    n_iter: np.ndarray
    ok: np.ndarray


def fit_batch(s: np.ndarray, d: Design, scheme: str, tol: float, max_iter: int,
             n: np.ndarray) -> BatchFit:
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
    return BatchFit(w, cross, r, beta, r2, n_iter, ok)


def _structural(r: np.ndarray, d: Design) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients and R2 from the LV correlation matrix (batched)."""
    nb = r.shape[0]
    beta = np.zeros((nb, d.n_lv, d.n_lv))
    r2 = np.zeros((nb, d.n_lv))
    for k in d.endo:
        pr = d.preds[k]
        rxy = r[:, pr, k][:, :, None]
        coef = solve_batched(r[:, pr[:, None], pr[None, :]], rxy)[:, :, 0]
        beta[:, pr, k] = coef
        r2[:, k] = (coef * rxy[:, :, 0]).sum(axis=1)
    return beta, r2


def _ols_on_corr(rr: np.ndarray, pr: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Standardised OLS coefficients of variable k on variables ``pr`` and the R2, from the
    correlation matrix ``rr``: b = R_PP^-1 r_Pk, R2 = b' r_Pk."""
    coef = np.linalg.solve(rr[np.ix_(pr, pr)], rr[pr, k])
    return coef, float(coef @ rr[pr, k])


def total_effects_matrix(beta: np.ndarray) -> np.ndarray:
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

    @property
    def table(self) -> pd.DataFrame:
        """The structural model: source, target, estimate (standardised path coefficients)."""
        return self.paths

    @property
    def standardised_weights(self) -> pd.Series:
        """Outer weights of the standardised items, indexed by item: the weights themselves
        after a scaled fit, w_j * sd(x_j) (population sd) after an unscaled one; either way the
        composite of the z-scored items has unit variance. (The convention of seminr and cSEM
        for rho_A; Dijkstra & Henseler 2015.)"""
        w = self.outer_model.set_index("item")["weight"]
        if self.scaled:
            return w
        return w * pd.Series(self.items.std(axis=0), index=self.spec.all_items)

    def quality(self, n_boot: int = 0, level: float = 0.95,
                seed: int | None = 0) -> QualityReport:
        """Measurement-quality bundle: reliability (alpha, rho_C, rho_A, AVE), HTMT (with
        bootstrap intervals when ``n_boot`` > 0), Fornell-Larcker, cross-loadings, outer and
        inner VIF and a tidy table of threshold checks (:mod:`crm_research.sem.pls.quality`)."""
        from crm_research.sem.pls.quality import assess

        return assess(self, n_boot=n_boot, level=level, seed=seed)

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: mean communality, mean R2, GoF (Tenenhaus et al.
        2004), number of constructs, observations and iterations."""
        comm = self.outer_model.groupby("construct", sort=False)["communality"]
        multi = self.outer_model.groupby("construct", sort=False)["item"].transform("size") > 1
        endo = self.r_squared.dropna(subset=["r2"])
        return pd.DataFrame([
            {"statistic": "mean communality (blocks with > 1 item)",
             "value": float(self.outer_model.loc[multi, "communality"].mean())},
            {"statistic": "mean R2 (endogenous)", "value": float(endo["r2"].mean())},
            {"statistic": "GoF", "value": self.gof},
            {"statistic": "constructs", "value": float(comm.ngroups)},
            {"statistic": "observations", "value": float(self.n_obs)},
            {"statistic": "iterations", "value": float(self.n_iter)},
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
    check_options(scheme, tol, max_iter)
    x, index, report = prepare_items(data, spec, missing)
    main = spec.without_interactions()
    d = make_design(main)
    n = x.shape[0]
    xt = treat_items(x, scaled)
    s = (xt.T @ xt / n)[None]
    fit = fit_batch(s, d, scheme, tol, max_iter, np.array([float(n)]))
    if not fit.ok[0]:
        if not np.isfinite(fit.beta).all() or fit.n_iter[0] < max_iter:
            raise EstimationError(f"model {spec.name!r}: the PLS estimates are not finite "
                                  "(singular Mode B block or collinear constructs?)")
        raise ConvergenceError(f"model {spec.name!r}: the PLS algorithm ({scheme} scheme) did "
                               f"not converge within max_iter={max_iter} iterations "
                               f"(tol={tol}); increase max_iter or check the model")
    return _assemble(spec, d, x, xt, index, fit, scheme, scaled, report)


def _assemble(spec: ModelSpec, d: Design, x: np.ndarray, xt: np.ndarray, index: pd.Index,
              fit: BatchFit, scheme: str, scaled: bool, report: MissingReport) -> PLSResult:
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
        kept = [i for i in np.flatnonzero(adj[:, k]) if i != pos[s_]]
        r2_excl = _ols_on_corr(rr, np.array(kept), k)[1] if kept else 0.0
        f2 = (r2_full[k] - r2_excl) / (1 - r2_full[k])
        f2_rows.append({"source": s_, "target": t_, "f2": f2})
    f_squared = pd.DataFrame(f2_rows)

    total = total_effects_matrix(b_full[None])[0]
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
