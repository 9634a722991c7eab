"""Discriminant validity and collinearity of a measurement model: Fornell-Larcker, HTMT /
HTMT2 (with bootstrap intervals), cross-loadings, outer and inner VIF.

Inputs and conventions as :mod:`crm_research.sem.measurement.reliability` (``items``,
``blocks``, ``scores``, ``paths``; ``missing`` = "error", "listwise" or "mean"); numbers follow
R seminr (``R/evaluate_validity.R``), reproduced on seminr's fixtures in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot
from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.checks import (
    check_item_blocks,
    check_scores,
    check_series,
    numeric_items,
)
from crm_research.sem.measurement.reliability import block_matrices, bootstrap_resamples

HTMT_STRICT = 0.85
HTMT_LIBERAL = 0.90
VIF_MAX = 5.0
VIF_IDEAL = 3.0


def fornell_larcker(scores: pd.DataFrame, ave_values: pd.Series) -> pd.DataFrame:
    """Fornell-Larcker matrix: sqrt(AVE) on the diagonal, construct-score correlations off it
    (Fornell & Larcker, 1981; seminr ``fl_criteria_table``, which shows the lower triangle).

    ``scores``: one column per construct; ``ave_values``: AVE per construct (e.g. the ``ave``
    column of :func:`reliability` indexed by construct). Returns a full symmetric matrix.
    """
    if not isinstance(ave_values, pd.Series):
        raise ParameterError("ave_values must be a pandas Series indexed by construct")
    constructs = [str(c) for c in ave_values.index]
    s = check_scores(scores, constructs)
    a = check_series(ave_values, "ave_values", constructs)
    m = np.corrcoef(s.to_numpy(), rowvar=False).reshape(len(constructs), len(constructs))
    np.fill_diagonal(m, np.sqrt(a.to_numpy()))
    return pd.DataFrame(m, index=constructs, columns=constructs)


def fornell_larcker_summary(scores: pd.DataFrame, ave_values: pd.Series) -> pd.DataFrame:
    """Per construct: ``sqrt_ave``, ``max_abs_corr`` (largest |correlation| with another
    construct), ``fl_ok`` = sqrt(AVE) > max |correlation| (Fornell & Larcker, 1981)."""
    m = fornell_larcker(scores, ave_values)
    vals = m.to_numpy().copy()
    diag = np.diag(vals).copy()
    np.fill_diagonal(vals, np.nan)
    with np.errstate(all="ignore"):
        max_corr = np.nanmax(np.abs(vals), axis=1) if vals.shape[0] > 1 else np.full(1, np.nan)
    out = pd.DataFrame({"construct": m.index, "sqrt_ave": diag, "max_abs_corr": max_corr})
    out["fl_ok"] = out["sqrt_ave"] > out["max_abs_corr"]
    return out


def _block_index(b: dict[str, list[str]], cols: list[str]) -> list[np.ndarray]:
    pos = {c: i for i, c in enumerate(cols)}
    return [np.array([pos[i] for i in v]) for v in b.values()]


def _htmt_matrix(r: np.ndarray, idx: list[np.ndarray], kind: str, absolute: bool) -> np.ndarray:
    """HTMT (arithmetic means) or HTMT2 (geometric means) from an item correlation matrix.

    With B the item-to-block indicator matrix and C = |R| (HTMT) or log|R| (HTMT2),
    S = B'CB holds the block sums: heterotrait mean S_ij / (k_i k_j), monotrait mean
    (S_ii - trace of C's block diagonal) / (k_i (k_i - 1)); geometric means are exp of the
    means of logs. A zero correlation makes a geometric mean 0.
    """
    c = np.abs(r) if absolute else np.asarray(r, dtype=float)
    if kind == "htmt2":
        with np.errstate(divide="ignore"):
            c = np.maximum(np.log(c), -1e300)  # log 0 -> a huge negative number, exp -> 0
    nb = len(idx)
    b = np.zeros((c.shape[0], nb))
    for j, ii in enumerate(idx):
        b[ii, j] = 1.0
    k = b.sum(axis=0)
    s = b.T @ c @ b
    diag = b.T @ np.diag(c)
    pairs = k * (k - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mono = np.where(k > 1, (np.diag(s) - diag) / np.where(pairs > 0, pairs, 1.0), 0.0)
        het = s / np.outer(k, k)
        if kind == "htmt2":
            mono, het = np.exp(mono), np.exp(het)
        else:
            mono = np.where(k > 1, mono, 1.0)
        prod = np.outer(mono, mono)
        out = het / np.sqrt(np.where(prod > 0, prod, np.nan))
    np.fill_diagonal(out, np.nan)
    return out


def _check_kind(kind: str) -> None:
    if kind not in ("htmt", "htmt2"):
        raise ParameterError(f"kind must be 'htmt' or 'htmt2', got {kind!r}")


def _htmt_data(
    items: pd.DataFrame, blocks: Mapping[str, Sequence[str]], missing: str
) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """Construct names, the item matrix of all blocks (missing values handled over all their
    items) and each block's column positions in it; at least two constructs are needed."""
    b = check_item_blocks(items, blocks)
    if len(b) < 2:
        raise SpecError("HTMT needs at least two constructs")
    cols = [i for v in b.values() for i in v]
    x = numeric_items(items, cols, missing=missing).to_numpy()
    return list(b), x, _block_index(b, cols)


def htmt(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    kind: str = "htmt",
    absolute: bool = True,
    missing: str = "error",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations as a construct x construct matrix.

    ``kind="htmt"`` (Henseler, Ringle & Sarstedt, 2015, JAMS 43(1), eq. 6): mean of the
    heterotrait-heteromethod item correlations divided by the geometric mean of the two
    blocks' average monotrait-heteromethod correlations.
    ``kind="htmt2"`` (Roemer, Schuberth & Henseler, 2021, IMDS 121(12)): all averages are
    geometric means.

    ``absolute=True`` uses |r| as seminr's ``HTMT`` does (so reverse-coded items do not cancel);
    geometric means need positive correlations, so HTMT2 always uses |r| (a zero correlation
    makes it 0). A one-item block has monotrait average 1 (seminr's convention).
    The diagonal is NaN; the matrix is symmetric.
    """
    _check_kind(kind)
    names, x, idx = _htmt_data(items, blocks, missing)
    m = _htmt_matrix(np.corrcoef(x, rowvar=False), idx, kind, absolute or kind == "htmt2")
    return pd.DataFrame(m, index=names, columns=names)


def htmt_table(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    kind: str = "htmt",
    n_boot: int = 0,
    level: float = 0.95,
    seed: int | None = None,
    absolute: bool = True,
    missing: str = "error",
) -> pd.DataFrame:
    """HTMT (or HTMT2) per pair of constructs with a seeded percentile bootstrap interval.

    Columns: ``construct_1``, ``construct_2``, ``kind``, ``value``, ``ci_low``, ``ci_high``
    (percentiles (1-level)/2 and (1+level)/2 of ``n_boot`` row resamples; NaN if ``n_boot=0``),
    ``n_boot_ok``, ``n_boot_failed`` (resamples in which an item was constant),
    ``htmt_ok_85`` (value < 0.85) and ``htmt_ok_90`` (value < 0.90) (Henseler et al., 2015;
    Franke & Sarstedt, 2019, Internet Research 29(3)), ``ci_high_below_1`` (HTMT_inference:
    upper bound < 1; use ``level=0.90`` for the one-sided 95% test Franke & Sarstedt recommend),
    ``ci_high_below_85`` (upper bound < 0.85).
    """
    _check_kind(kind)
    level = check_level(level)
    n_boot = check_n_boot(n_boot)
    names, x, idx = _htmt_data(items, blocks, missing)
    use_abs = absolute or kind == "htmt2"
    point = _htmt_matrix(np.corrcoef(x, rowvar=False), idx, kind, use_abs)
    iu = np.triu_indices(len(names), 1)
    draws = []
    n_failed = 0
    for xb in bootstrap_resamples(x, n_boot, seed):
        r = None if xb is None else np.corrcoef(xb, rowvar=False)
        if r is None or not np.all(np.isfinite(r)):
            n_failed += 1
            continue
        draws.append(_htmt_matrix(r, idx, kind, use_abs)[iu])
    if draws:
        d = np.vstack(draws)
        lo = np.nanpercentile(d, (1 - level) / 2 * 100, axis=0)
        hi = np.nanpercentile(d, (1 + level) / 2 * 100, axis=0)
    else:
        lo = hi = np.full(len(iu[0]), np.nan)
    out = pd.DataFrame(
        {
            "construct_1": [names[i] for i in iu[0]],
            "construct_2": [names[j] for j in iu[1]],
            "kind": kind,
            "value": point[iu],
            "ci_low": lo,
            "ci_high": hi,
            "n_boot_ok": len(draws),
            "n_boot_failed": n_failed,
        }
    )
    out["htmt_ok_85"] = out["value"] < HTMT_STRICT
    out["htmt_ok_90"] = out["value"] < HTMT_LIBERAL
    for col, cut in (("ci_high_below_1", 1.0), ("ci_high_below_85", HTMT_STRICT)):
        out[col] = pd.array(
            [bool(h < cut) if pd.notna(h) else pd.NA for h in out["ci_high"]], dtype="boolean"
        )
    return out


def _aligned_scores(x: pd.DataFrame, scores: pd.DataFrame, constructs: list[str]) -> pd.DataFrame:
    s = check_scores(scores, constructs)
    if len(s) == len(x) and s.index.equals(x.index):
        return s
    if x.index.isin(s.index).all() and s.index.is_unique:
        return s.loc[x.index]
    raise SpecError(
        f"scores rows do not match the item rows ({len(s)} score rows, {len(x)} item rows); "
        "pass scores with the same index as items"
    )


def cross_loadings(
    items: pd.DataFrame,
    scores: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    missing: str = "error",
) -> pd.DataFrame:
    """Correlation of every item with every construct score (Chin, 1998; seminr
    ``cross_loadings``).

    Columns: ``item``, ``construct`` (its own), one column per construct, ``loading`` (with
    its own construct), ``max_cross`` (largest |correlation| with another construct) and
    ``own_highest`` (|loading| > max_cross).
    """
    b = check_item_blocks(items, blocks)
    cols = [i for v in b.values() for i in v]
    x = numeric_items(items, cols, missing=missing)
    names = list(b)
    s = _aligned_scores(x, scores, names)
    xz = (x - x.mean()) / x.std(ddof=1)
    sz = (s - s.mean()) / s.std(ddof=1)
    cl = xz.to_numpy().T @ sz.to_numpy() / (len(x) - 1)
    out = pd.DataFrame(cl, columns=names)
    own = {i: c for c, v in b.items() for i in v}
    out.insert(0, "construct", [own[i] for i in cols])
    out.insert(0, "item", cols)
    mat = np.abs(cl)
    own_pos = np.array([names.index(own[i]) for i in cols])
    out["loading"] = cl[np.arange(len(cols)), own_pos]
    other = mat.copy()
    other[np.arange(len(cols)), own_pos] = -np.inf
    out["max_cross"] = other.max(axis=1) if len(names) > 1 else np.nan
    out["own_highest"] = np.abs(out["loading"]) > out["max_cross"]
    return out


def _vif_from_corr(r: np.ndarray, label: str) -> np.ndarray:
    """VIF_j = 1 / (1 - R_j^2) = [R^-1]_jj for the regression of variable j on the others
    (with intercept); identical to R's ``1/(1 - summary(lm(...))$r.squared)``."""
    k = r.shape[0]
    if k == 1:
        return np.ones(1)
    cond = np.linalg.cond(r)
    if not np.isfinite(cond) or cond > 1e12:
        raise EstimationError(f"{label}: the variables are perfectly collinear, VIF is undefined")
    return np.diag(np.linalg.inv(r)).copy()


def vif_outer(
    items: pd.DataFrame, blocks: Mapping[str, Sequence[str]], *, missing: str = "error"
) -> pd.DataFrame:
    """Outer-model VIF: each item regressed on the other items of its block (Hair et al., 2019;
    seminr ``item_vifs``). One-item blocks get VIF 1.

    Columns ``construct``, ``item``, ``vif``, ``vif_ok_5`` (VIF < 5) and ``vif_ok_3``
    (VIF < 3, the stricter bound of Hair et al., 2019).
    """
    rows = []
    for construct, cols, _x, corr in block_matrices(items, blocks, missing):
        v = _vif_from_corr(corr, f"construct {construct!r}")
        rows += [
            {"construct": construct, "item": i, "vif": float(f)}
            for i, f in zip(cols, v, strict=True)
        ]
    return _flag_vif(pd.DataFrame(rows))


def _flag_vif(out: pd.DataFrame) -> pd.DataFrame:
    """Add the VIF threshold flags (< 5 acceptable, < 3 ideal; Hair et al. 2019)."""
    out["vif_ok_5"] = out["vif"] < VIF_MAX
    out["vif_ok_3"] = out["vif"] < VIF_IDEAL
    return out


def _check_paths(paths: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if not isinstance(paths, Mapping) or len(paths) == 0:
        raise SpecError("paths must be a non-empty mapping {target: [source, ...]}")
    out = {}
    for target, sources in paths.items():
        if isinstance(sources, str) or not isinstance(sources, Sequence) or len(sources) == 0:
            raise SpecError(f"paths for target {target!r} must be a non-empty list of sources")
        if target in sources:
            raise SpecError(f"construct {target!r} cannot be a source of itself")
        if len(set(sources)) != len(sources):
            raise SpecError(f"paths for target {target!r} list a source twice")
        out[str(target)] = list(sources)
    return out


def vif_inner(scores: pd.DataFrame, paths: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Inner-model VIF: for each target, each predictor regressed on the other predictors of
    that target, from the construct scores (Hair et al., 2019; seminr ``antecedent_vifs``).
    A target with a single predictor gets VIF 1 (seminr reports NA there).

    Columns ``target``, ``predictor``, ``vif``, ``vif_ok_5``, ``vif_ok_3``.
    """
    p = _check_paths(paths)
    needed = sorted({c for t, s in p.items() for c in [t, *s]})
    s_all = check_scores(scores, needed)
    rows = []
    for target, sources in p.items():
        x = s_all[sources].to_numpy()
        k = x.shape[1]
        v = _vif_from_corr(np.corrcoef(x, rowvar=False).reshape(k, k), f"predictors of {target!r}")
        rows += [
            {"target": target, "predictor": c, "vif": float(f)}
            for c, f in zip(sources, v, strict=True)
        ]
    return _flag_vif(pd.DataFrame(rows))
