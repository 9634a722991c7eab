"""Importance-performance map analysis (IPMA) of a PLS path model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError
from crm_research.sem.pls.algorithm import PLSResult
from crm_research.sem.pls.design import make_design

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
    d = make_design(spec.without_interactions())
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
