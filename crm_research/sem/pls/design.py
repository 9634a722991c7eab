"""Model design in numbers and data preparation for the PLS engine.

* :class:`Design`: index arrays of a main-effects model (constructs in topological order).
* :func:`prepare_items`: validation against the spec and missing-data treatment.
* :func:`treat_items` and :func:`weighted_moments`: centring/scaling as R plspm's
  ``get_treated_data`` and covariance matrices of many resamples at once (bootstrap,
  jackknife, permutation groups, cross-validation folds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError
from crm_research.sem.spec import ModelSpec, validate_against

SCHEMES = ("centroid", "factorial", "path")
MISSING = ("listwise", "mean")


# ============================================================================================
# Model design in numbers
# ============================================================================================

@dataclass(frozen=True)
class Design:
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


def make_design(spec: ModelSpec) -> Design:
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
    return Design(names, items, blk, odm, is_b, adj, endo, preds, succs, block_idx)


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

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: rows in, rows used, rows dropped, values imputed."""
        rows = [{"statistic": "rows in data", "value": self.n_input},
                {"statistic": "rows used", "value": self.n_used},
                {"statistic": "rows dropped (listwise)", "value": self.n_dropped},
                {"statistic": "values mean-imputed", "value": int(sum(self.imputed.values()))}]
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


def treat_items(x: np.ndarray, scaled: bool) -> np.ndarray:
    """Centre (and if scaled, divide by the population sd), as plspm ``get_treated_data``."""
    xc = x - x.mean(axis=0)
    if scaled:
        xc = xc / np.sqrt((xc**2).mean(axis=0))
    return xc


def weighted_moments(x: np.ndarray, counts: np.ndarray, scaled: bool
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


def check_options(scheme: str, tol: float, max_iter: int) -> None:
    """Validate the PLS algorithm options (ParameterError naming the option)."""
    if scheme not in SCHEMES:
        raise ParameterError(f"scheme={scheme!r}; expected one of {SCHEMES}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ParameterError(f"tol={tol!r}; expected a number in (0, 1)")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ParameterError(f"max_iter={max_iter!r}; expected a positive integer")


def constant_items(sd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Resamples (rows of ``sd``) in which some item has (numerically) zero variance.

    Relative to the full-sample sd, so that rounding in the moment formula (~1e-16 times the
    squared mean) cannot pass for variance.
    """
    return (sd <= 1e-6 * x.std(axis=0)[None, :]).any(axis=1)


#: Smallest MGA group accepted without a caveat, whatever the model.
MIN_GROUP = 20


def minimum_sample_size(spec: ModelSpec) -> tuple[int, str]:
    """The "10-times rule" minimum n of a PLS model and the construct that sets it.

    n_min = 10 x the larger of (a) the most structural paths pointing at one construct and
    (b) the most formative (mode B) indicators of one block (Barclay, Higgins & Thompson 1995;
    Hair, Hult, Ringle & Sarstedt 2017, A Primer on PLS-SEM, 2nd ed., ch. 1). It is a floor, not
    a power analysis: Hair et al. recommend checking power for the expected effect sizes.
    """
    counts: dict[str, int] = {}
    for _, t in spec.paths:
        counts[t] = counts.get(t, 0) + 1
    for c in spec.constructs:
        if c.mode == "B":
            counts[c.name] = max(counts.get(c.name, 0), len(c.items))
    if not counts:
        return 10, ""
    worst = max(counts, key=lambda k: counts[k])
    return 10 * counts[worst], worst


def sample_size_caveats(spec: ModelSpec, n_obs: int | None,
                        group_sizes: Mapping[str, int] | None = None) -> list[str]:
    """Sentences for the report when the sample (or an MGA group) is below the 10-times minimum
    of :func:`minimum_sample_size`; MGA groups also need at least ``MIN_GROUP`` = 20
    respondents (Hair, Sarstedt, Ringle & Gudergan 2018, Advanced Issues in PLS-SEM, ch. 4:
    each group must meet the minimum sample size on its own). ``n_obs=None`` checks the groups
    only. Empty list when all is well."""
    n_min, worst = minimum_sample_size(spec)
    out = []
    if n_obs is not None and n_obs < n_min:
        out.append(f"Small sample: {n_obs} observations, below the 10-times rule minimum of "
                   f"{n_min} (10 x the {n_min // 10} arrows or formative indicators of {worst}; "
                   "Hair et al. 2017); estimates are unstable and intervals wide.")
    for g, k in (group_sizes or {}).items():
        g_min = max(n_min, MIN_GROUP)
        if k < g_min:
            out.append(f"Small group in the multi-group analysis: {g} has {k} observations, "
                       f"below the minimum of {g_min} per group (10-times rule, at least "
                       f"{MIN_GROUP}); the permutation test can detect only very large "
                       "differences.")
    return out
