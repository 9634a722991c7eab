"""Nonparametric bootstrap of a PLS path model: standard errors, t values, p values,
percentile and BCa intervals for paths, weights, loadings, R2, total and indirect effects.

Resamples are fitted in batches on covariance matrices (see :mod:`crm_research.sem.pls.algorithm`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot
from crm_research._lazy import lazy_module
from crm_research.errors import EstimationError, ParameterError
from crm_research.sem.pls.algorithm import (
    BatchFit,
    PLSResult,
    estimate_pls,
    fit_batch,
    solve_batched,
    total_effects_matrix,
)
from crm_research.sem.pls.design import (
    Design,
    check_options,
    constant_items,
    make_design,
    weighted_moments,
)
from crm_research.sem.spec import ModelSpec, load_model

stats = lazy_module("scipy.stats")

SIGN_CHANGES = ("none", "individual", "construct")
CI_METHODS = ("percentile", "bca")


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
    level: float
    paths: pd.DataFrame
    weights: pd.DataFrame
    loadings: pd.DataFrame
    r_squared: pd.DataFrame
    total_effects: pd.DataFrame
    indirect_effects: pd.DataFrame
    draws: dict[str, pd.DataFrame] = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The path coefficients with their bootstrap summaries (see the class docstring)."""
        return self.paths

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: resamples requested, used and failed."""
        return pd.DataFrame([
            {"statistic": "resamples requested", "value": self.n_boot},
            {"statistic": "resamples used", "value": self.n_ok},
            {"statistic": "resamples failed", "value": self.n_failed},
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


def _batch_stats(fit: BatchFit, d: Design, spec: ModelSpec, layout: dict[str, list],
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
    total = total_effects_matrix(beta)
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


def _stage2_batch(fit: BatchFit, d: Design, spec: ModelSpec, x: np.ndarray | None,
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
        coef = solve_batched(rr[:, pr_i[:, None], pr_i[None, :]], rxy)[:, :, 0]
        b_full[:, :, k] = 0.0
        b_full[:, pr_i, k] = coef
        r2_full[:, k] = (coef * rxy[:, :, 0]).sum(axis=1)
    return b_full, r2_full, names


def percentile_ci(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    a = (1 - level) / 2
    return np.quantile(draws, a, axis=0), np.quantile(draws, 1 - a, axis=0)


def bca_ci(draws: np.ndarray, est: np.ndarray, jack: np.ndarray | None, level: float
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
    lo, hi = percentile_ci(draws, level)
    blo, bhi = bca_ci(draws, est, jack, level)
    frame["perc_low"], frame["perc_high"] = lo, hi
    frame["bca_low"], frame["bca_high"] = blo, bhi
    frame["ci_low"], frame["ci_high"] = (lo, hi) if ci == "percentile" else (blo, bhi)
    return frame


_KEY_COLS = {"paths": ["source", "target"], "weights": ["construct", "item"],
             "loadings": ["construct", "item"], "r_squared": ["construct"],
             "total_effects": ["source", "target"], "indirect_effects": ["source", "target"]}


def _resample_chunk(x: np.ndarray, seed_seq: np.random.SeedSequence, size: int, d: Design,
                    spec: ModelSpec, layout: dict, scheme: str, scaled: bool, tol: float,
                    max_iter: int, ref: dict, sign_change: str
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One chunk of bootstrap resamples (own seed → distinct resamples per chunk/worker)."""
    n = x.shape[0]
    rng = np.random.default_rng(seed_seq)
    idx = rng.integers(0, n, size=(size, n))
    counts = np.bincount((idx + n * np.arange(size)[:, None]).ravel(),
                         minlength=size * n).reshape(size, n).astype(float)
    s, mean, sd = weighted_moments(x, counts, scaled)
    reason = np.zeros(size, dtype=int)        # 0 ok, 1 constant item, 2 no convergence, 3 other
    const = constant_items(sd, x)
    reason[const] = 1
    s = np.where(const[:, None, None], np.eye(d.p)[None], s)
    fit = fit_batch(s, d, scheme, tol, max_iter, np.full(size, float(n)))
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
                  level: float = 0.95, n_jobs: int = 1, chunk_size: int = 500,
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
    check_options(scheme, tol, max_iter)
    n_boot = check_n_boot(n_boot)
    if sign_change not in SIGN_CHANGES:
        raise ParameterError(f"sign_change={sign_change!r}; expected one of {SIGN_CHANGES}")
    if ci not in CI_METHODS:
        raise ParameterError(f"ci={ci!r}; expected one of {CI_METHODS}")
    level = check_level(level, "level")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ParameterError(f"chunk_size={chunk_size!r}; expected a positive integer")
    res = estimate_pls(data, spec, scheme=scheme, scaled=scaled, missing=missing, tol=tol,
                       max_iter=max_iter)
    x = res.items
    n = x.shape[0]
    d = make_design(spec.without_interactions())
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
        s, mean, sd = weighted_moments(x, jcounts, scaled)
        jidx = np.array([np.delete(np.arange(n), i) for i in range(n)]) \
            if spec.interactions else None
        fit = fit_batch(s, d, scheme, tol, max_iter, np.full(n, n - 1.0))
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
                               None if jack is None else jack[k], level, ci, n)
    draw_frames = {k: pd.DataFrame(v, columns=[" -> ".join(t) if len(t) > 1 else t[0]
                                               for t in layout[k]]) for k, v in draws.items()}
    return BootstrapResult(
        estimates=res, n_boot=int(n_boot), n_ok=int(ok.sum()), n_failed=int((~ok).sum()),
        failures=pd.DataFrame(fail), seed=seed, sign_change=sign_change, ci=ci,
        level=level, paths=tables["paths"], weights=tables["weights"],
        loadings=tables["loadings"], r_squared=tables["r_squared"],
        total_effects=tables["total_effects"], indirect_effects=tables["indirect_effects"],
        draws=draw_frames,
    )


def _reference_stats(res: PLSResult, d: Design, spec: ModelSpec, layout: dict,
                     x: np.ndarray, scaled: bool, scheme: str, tol: float, max_iter: int
                     ) -> dict[str, np.ndarray]:
    """Full-sample statistics computed by the batched path (identical to ``res``)."""
    n = x.shape[0]
    s, mean, sd = weighted_moments(x, np.ones((1, n)), scaled)
    fit = fit_batch(s, d, scheme, tol, max_iter, np.array([float(n)]))
    idx = np.arange(n)[None] if spec.interactions else None
    st = _batch_stats(fit, d, spec, layout, x, idx, (s, mean, sd), scaled, None, "none")
    return {k: v[0] for k, v in st.items()}
