"""PLSpredict: k-fold out-of-sample prediction of the endogenous indicators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crm_research.errors import EstimationError, ParameterError
from crm_research.sem.pls.algorithm import fit_batch, total_effects_matrix
from crm_research.sem.pls.design import (
    check_options,
    make_design,
    prepare_items,
    weighted_moments,
)
from crm_research.sem.spec import ModelSpec, load_model

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
    check_options(scheme, tol, max_iter)
    if spec.interactions:
        spec = spec.without_interactions()
    x, _, _ = prepare_items(data, spec, missing)
    n = x.shape[0]
    if not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ParameterError(f"k={k!r}; expected an integer between 2 and n={n}")
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ParameterError(f"repeats={repeats!r}; expected a positive integer")
    d = make_design(spec)
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
    s, mean, sd = weighted_moments(x, train, scaled)
    fit = fit_batch(s, d, scheme, tol, max_iter, train.sum(axis=1))
    if not fit.ok.all():
        raise EstimationError("pls_predict: the model could not be estimated on every "
                              "training set")
    total = total_effects_matrix(fit.beta)
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
