"""Survey measurement quality: item statistics, reliability and convergent validity.

Functions take plain inputs so that they do not depend on the PLS engine:

* ``items``: a DataFrame of numeric item columns (one row a respondent);
* ``blocks``: ``{construct: [item, ...]}``;
* where a PLS (or other) estimate is needed: ``weights`` / ``loadings`` (Series indexed by item),
  ``scores`` (DataFrame, one column per construct, rows aligned with ``items``) and
  ``paths`` (``{target: [source, ...]}``).

They return tidy DataFrames with literature thresholds flagged in boolean columns. Conventions
follow R seminr (Ray, Danks & Calero Valdez, 2022, ``R/evaluate_reliability.R``,
``R/evaluate_validity.R``) and R plspm (Sanchez, 2013, ``get_unidim``); the numbers of
seminr's test fixtures on the ECSI ``mobi`` data are reproduced to 1e-12 in the tests.

Missing values: every function takes ``missing`` = "error" (default), "listwise" or "mean"
(item-mean replacement, seminr's ``mean_replacement``). Listwise deletion is applied over the
items a computation uses: per construct for alpha / reliability / VIF, over all items of
``blocks`` for HTMT and cross-loadings.

Constructs with a single item and constructs measured in mode B (formative) get NaN
reliabilities and "not applicable" flags in the tables (:func:`reliability`,
:func:`cronbach_alpha`): internal consistency needs two or more items, and reliability and AVE
assume a reflective (common-factor) block. (The scalar functions :func:`rho_c`, :func:`ave` and
:func:`rho_a` return 1 for one item, seminr's convention and what PLSc needs as the reliability
of a single-indicator composite.) Sources: Hair et al., 2019, "When to use and how to report
the results of PLS-SEM", European Business Review 31(1).

Discriminant validity and collinearity (HTMT, Fornell-Larcker, cross-loadings, VIF) live in
:mod:`crm_research.sem.measurement.validity`; EFA, KMO, Bartlett's test and CFA in
:mod:`crm_research.sem.measurement.factor`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot
from crm_research._lazy import lazy_module
from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.checks import (
    check_item_blocks,
    check_series,
    numeric_columns,
    numeric_items,
)

stats = lazy_module("scipy.stats")

# Thresholds (sources in the docstrings of the functions that use them).
ALPHA_MIN = 0.70
RHO_MIN = 0.70
RHO_MAX = 0.95
AVE_MIN = 0.50


# ----------------------------------------------------------------------------------------------
# item statistics
# ----------------------------------------------------------------------------------------------


def item_statistics(
    items: pd.DataFrame, blocks: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """Descriptive statistics per item, on the non-missing values of each item.

    Columns: ``item``, ``construct`` (when ``blocks`` is given), ``n`` (non-missing),
    ``missing``, ``mean``, ``median``, ``sd`` (sample, divisor n-1), ``min``, ``max``,
    ``skewness`` and ``excess_kurtosis``.

    Skewness and kurtosis are the moment estimators g1 = m3 / m2^1.5 and b2 - 3 = m4 / m2^2 - 3
    (m_r the r-th central moment with divisor n; Joanes & Gill, 1998, "Comparing measures of
    sample skewness and kurtosis", The Statistician 47(1), type 1). These are what R seminr's
    descriptive statistics report (its "Kurtosis" column is b2, i.e. excess kurtosis + 3).
    Rule of thumb flagged in ``skew_ok``: |skewness| <= 1 and |excess kurtosis| <= 1 (Hair et
    al., 2017, A Primer on PLS-SEM, 2nd ed., ch. 2).
    """
    if blocks is None:
        if not isinstance(items, pd.DataFrame):
            numeric_items(items, [])  # raises the DataError for a non-DataFrame
        cols = numeric_columns(items)
        if not cols:
            raise SpecError("items has no numeric column to describe")
        construct_of: dict[str, str] = {}
    else:
        b = check_item_blocks(items, blocks)
        cols = [i for v in b.values() for i in v]
        construct_of = {i: c for c, v in b.items() for i in v}
    # type / finiteness checks only: the statistics use each item's own observed values
    numeric_items(items, cols, missing="listwise", min_rows=0, allow_constant=True)
    x = items[cols].astype(float)
    rows = []
    for col in cols:
        v = x[col].to_numpy()
        v = v[~np.isnan(v)]
        n = v.size
        row: dict[str, object] = {"item": col}
        if construct_of:
            row["construct"] = construct_of[col]
        row.update({"n": n, "missing": int(len(x) - n)})
        if n == 0:
            row.update(
                dict.fromkeys(
                    ["mean", "median", "sd", "min", "max", "skewness", "excess_kurtosis"], np.nan
                )
            )
        else:
            dev = v - v.mean()
            m2 = np.mean(dev**2)
            with np.errstate(invalid="ignore", divide="ignore"):
                g1 = np.mean(dev**3) / m2**1.5 if m2 > 0 else np.nan
                g2 = np.mean(dev**4) / m2**2 - 3.0 if m2 > 0 else np.nan
            row.update(
                {
                    "mean": float(v.mean()),
                    "median": float(np.median(v)),
                    "sd": float(v.std(ddof=1)) if n > 1 else np.nan,
                    "min": float(v.min()),
                    "max": float(v.max()),
                    "skewness": float(g1),
                    "excess_kurtosis": float(g2),
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["skew_ok"] = (out["skewness"].abs() <= 1.0) & (out["excess_kurtosis"].abs() <= 1.0)
    return out


# ----------------------------------------------------------------------------------------------
# reliability
# ----------------------------------------------------------------------------------------------


def _alpha_from_matrix(c: np.ndarray) -> float:
    """Cronbach (1951): alpha = k/(k-1) * (1 - trace(C) / sum(C)) for a covariance matrix C.

    With a correlation matrix this is the standardised alpha
    k * rbar / (1 + (k - 1) * rbar), rbar the mean inter-item correlation.
    """
    k = c.shape[0]
    if k == 1:
        return 1.0
    total = c.sum()
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(c) / total))


def _feldt_ci(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    """Feldt (1965) / Feldt, Woodruff & Salih (1987) interval for coefficient alpha.

    (1 - alpha) / (1 - alpha_hat) ~ F(n - 1, (n - 1)(k - 1)), hence
    [1 - (1 - alpha_hat) F_{1-g/2}, 1 - (1 - alpha_hat) F_{g/2}] with g = 1 - level.
    """
    if k < 2 or not np.isfinite(alpha) or n < 2:
        return (float("nan"), float("nan"))
    g = 1.0 - level
    d1, d2 = n - 1, (n - 1) * (k - 1)
    lo = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - g / 2.0, d1, d2)
    hi = 1.0 - (1.0 - alpha) * stats.f.ppf(g / 2.0, d1, d2)
    return (float(lo), float(hi))


def bootstrap_resamples(
    x: np.ndarray, n_boot: int, seed: int | Sequence[int] | None
) -> Iterator[np.ndarray | None]:
    """Yield ``n_boot`` row resamples of ``x`` (seeded, reproducible).

    A resample that makes an item constant (its correlation is undefined) is yielded as None;
    callers count such resamples and report them, never silently drop them.
    """
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    for _ in range(n_boot):
        xb = x[rng.integers(0, n, size=n)]
        yield None if np.any(xb.std(axis=0) <= 0) else xb


def block_matrices(items: pd.DataFrame, blocks: Mapping[str, Sequence[str]],
                    missing: str) -> Iterator[tuple[str, list[str], np.ndarray, np.ndarray]]:
    """For each block: construct, item names, the block's data (missing handled per block)
    and its k × k item correlation matrix."""
    return checked_block_matrices(items, check_item_blocks(items, blocks), missing)


def checked_block_matrices(
    items: pd.DataFrame, blocks: dict[str, list[str]], missing: str
) -> Iterator[tuple[str, list[str], np.ndarray, np.ndarray]]:
    """:func:`block_matrices` for blocks already checked by ``check_item_blocks``."""
    for construct, cols in blocks.items():
        x = numeric_items(items, cols, missing=missing).to_numpy()
        k = x.shape[1]
        yield construct, list(cols), x, np.corrcoef(x, rowvar=False).reshape(k, k)


def cronbach_alpha(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    level: float = 0.95,
    ci_method: str = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
    missing: str = "error",
) -> pd.DataFrame:
    """Cronbach's alpha per construct, standardised and raw, with a confidence interval.

    * ``alpha`` (standardised) = alpha computed from the item *correlation* matrix,
      k * rbar / (1 + (k - 1) rbar). This is what R seminr (``cronbachs_alpha`` on
      ``cor(data)``) and R plspm (``get_unidim``, on standardised data) report as alpha /
      C.alpha; it is invariant to positive affine rescaling of each item.
    * ``alpha_raw`` = alpha from the item *covariance* matrix (Cronbach, 1951), as
      ``psych::alpha``'s raw_alpha.

    Negative values are reported as they are (plspm truncates them at 0). A one-item construct
    gets NaN and ``alpha_ok = "not applicable"`` (internal consistency needs two items; seminr
    reports 1).

    CI (confidence ``level``): ``ci_method="feldt"`` uses Feldt's F-distribution interval
    (Feldt, 1965; Feldt, Woodruff & Salih, 1987), applied to the raw alpha and — treating the
    z-scored items as the test — to the standardised alpha (an approximation for the latter);
    ``ci_method="bootstrap"`` uses percentile intervals of ``n_boot`` seeded row resamples
    (``n_boot_failed`` counts resamples in which an item became constant); ``None`` skips it.

    Flag ``alpha_ok``: alpha >= 0.70 (Nunnally & Bernstein, 1994, Psychometric Theory, 3rd ed.).
    """
    if ci_method not in ("feldt", "bootstrap", None):
        raise ParameterError(f"ci_method must be 'feldt', 'bootstrap' or None, got {ci_method!r}")
    level = check_level(level)
    n_boot = check_n_boot(n_boot)
    rows: list[dict[str, Any]] = []
    for construct, _cols, x, corr in block_matrices(items, blocks, missing):
        n, k = x.shape
        a_std = _alpha_from_matrix(corr) if k > 1 else np.nan
        a_raw = _alpha_from_matrix(np.cov(x, rowvar=False).reshape(k, k)) if k > 1 else np.nan
        row = {"construct": construct, "n_items": k, "n": n, "alpha": a_std, "alpha_raw": a_raw}
        lo_s = hi_s = lo_r = hi_r = float("nan")
        n_failed = 0
        if ci_method == "feldt":
            lo_s, hi_s = _feldt_ci(a_std, n, k, level)
            lo_r, hi_r = _feldt_ci(a_raw, n, k, level)
        elif ci_method == "bootstrap" and k > 1 and n_boot > 0:
            rng_seed = None if seed is None else [seed, len(rows)]
            bs, br = [], []
            for xb in bootstrap_resamples(x, n_boot, rng_seed):
                if xb is None:
                    n_failed += 1
                    continue
                bs.append(_alpha_from_matrix(np.corrcoef(xb, rowvar=False)))
                br.append(_alpha_from_matrix(np.cov(xb, rowvar=False)))
            if bs:
                q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
                lo_s, hi_s = np.nanpercentile(bs, q)
                lo_r, hi_r = np.nanpercentile(br, q)
        row.update(
            {
                "alpha_ci_low": float(lo_s),
                "alpha_ci_high": float(hi_s),
                "alpha_raw_ci_low": float(lo_r),
                "alpha_raw_ci_high": float(hi_r),
                "ci_method": ci_method or "none",
                "n_boot_failed": n_failed,
                "alpha_ok": bool(a_std >= ALPHA_MIN) if k > 1 else NOT_APPLICABLE,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def rho_c(loadings: Sequence[float] | np.ndarray) -> float:
    """Composite reliability / Dillon-Goldstein's rho from standardised loadings.

    rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) (Dillon & Goldstein, 1984, Multivariate
    Analysis; Werts, Linn & Jöreskog, 1974); as seminr ``compute_rhoC``. One loading -> 1.
    """
    lam = np.asarray(loadings, dtype=float)
    if lam.size == 1:
        return 1.0
    s = lam.sum() ** 2
    return float(s / (s + np.sum(1.0 - lam**2)))


def ave(loadings: Sequence[float] | np.ndarray) -> float:
    """Average variance extracted: mean of squared standardised loadings (Fornell & Larcker,
    1981, JMR 18(1)). One loading -> 1 (seminr's convention)."""
    lam = np.asarray(loadings, dtype=float)
    if lam.size == 1:
        return 1.0
    return float(np.mean(lam**2))


def rho_a(corr: np.ndarray, weights: Sequence[float] | np.ndarray) -> float:
    """Dijkstra-Henseler's rho_A for one block (Dijkstra & Henseler, 2015, MISQ 39(2), eq. 19).

    rho_A = (w'w)^2 * w'(S - diag S)w / w'(ww' - diag(ww'))w, with S the item correlation
    matrix and w the outer weights scaled so that the composite of standardised items has unit
    variance (w'Sw = 1). The weights are rescaled here, so any positive multiple of the PLS
    weights gives the same value; this is seminr's ``compute_construct_rhoA``. One item -> 1.
    """
    s = np.asarray(corr, dtype=float)
    w = np.asarray(weights, dtype=float).ravel()
    if w.size == 1:
        return 1.0
    var = float(w @ s @ w)
    if not np.isfinite(var) or var <= 0:
        raise EstimationError("rho_A: the weights give a composite with zero variance")
    w = w / np.sqrt(var)
    s_off = s - np.diag(np.diag(s))
    a = np.outer(w, w)
    a_off = a - np.diag(np.diag(a))
    den = float(w @ a_off @ w)
    if den == 0:
        return float("nan")
    return float((w @ w) ** 2 * (w @ s_off @ w) / den)


def _pc1_loadings(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loadings on the first principal component of a correlation matrix and its eigenvalues
    (descending): l = sqrt(eig1) * v1, i.e. the correlations of the items with the PC1 score."""
    vals, vecs = np.linalg.eigh(r)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    v1 = vecs[:, 0]
    if v1.sum() < 0:
        v1 = -v1
    return np.sqrt(max(vals[0], 0.0)) * v1, vals


def unidimensionality(
    items: pd.DataFrame, blocks: Mapping[str, Sequence[str]], *, missing: str = "error"
) -> pd.DataFrame:
    """plspm's ``unidim`` table (Sanchez, 2013, PLS Path Modeling with R, ch. 4).

    Per construct: standardised Cronbach's alpha, Dillon-Goldstein's rho computed from the
    loadings on the block's first principal component (not from PLS loadings), first and
    second eigenvalue of the item correlation matrix. ``unidimensional`` flags eig_1st > 1
    and eig_2nd < 1 (Kaiser's rule, as Sanchez 2013 reads the table).
    """
    rows = []
    for construct, _cols, x, r in block_matrices(items, blocks, missing):
        k = x.shape[1]
        lam, vals = _pc1_loadings(r)
        rows.append(
            {
                "construct": construct,
                "n_items": k,
                "alpha": _alpha_from_matrix(r),
                "dg_rho": rho_c(lam),
                "eig_1st": float(vals[0]),
                "eig_2nd": float(vals[1]) if k > 1 else 0.0,
            }
        )
    out = pd.DataFrame(rows)
    out["unidimensional"] = (out["eig_1st"] > 1.0) & (out["eig_2nd"] < 1.0)
    return out


def _check_modes(modes: Mapping[str, str] | None, constructs: Sequence[str]) -> dict[str, str]:
    out = dict.fromkeys(constructs, "A")
    if modes is None:
        return out
    for c, m in modes.items():
        if c not in out:
            raise SpecError(f"modes names construct {c!r}, which is not in blocks")
        if m not in ("A", "B"):
            raise ParameterError(f"mode of construct {c!r} must be 'A' or 'B', got {m!r}")
        out[c] = m
    return out


#: Value of a threshold flag that does not apply (one-item or mode B construct, no weights).
NOT_APPLICABLE = "not applicable"
WEIGHT_SCALES = ("standardised", "raw")


def threshold_flag(values: pd.Series, passed: pd.Series, applicable: pd.Series) -> pd.Series:
    """A flag column: True / False where the rule applies and ``values`` is a number,
    ``"not applicable"`` elsewhere (object dtype, as it reads in a report table)."""
    ok = applicable.to_numpy(dtype=bool) & values.notna().to_numpy()
    flags = [bool(p) if a else NOT_APPLICABLE
             for p, a in zip(passed.to_numpy(dtype=bool), ok, strict=True)]
    return pd.Series(flags, index=values.index, dtype=object)


def reliability(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    loadings: pd.Series | None = None,
    weights: pd.Series | None = None,
    weights_scale: str = "standardised",
    modes: Mapping[str, str] | None = None,
    missing: str = "error",
) -> pd.DataFrame:
    """Internal-consistency reliability and convergent validity per construct.

    Columns: ``construct``, ``mode``, ``n_items``, ``alpha`` (standardised), ``alpha_raw``,
    ``rho_c``, ``rho_a``, ``ave``, ``loading_source``, the flags

    * ``alpha_ok``: alpha >= 0.70; ``rho_a_ok``: rho_A >= 0.70; ``rho_c_ok``: rho_C >= 0.70;
      ``rho_c_redundant``: rho_C > 0.95 (items nearly redundant);
    * ``ave_ok``: AVE >= 0.50
    (Hair, Risher, Sarstedt & Ringle, 2019, European Business Review 31(1), Table I),

    and ``note``. A flag is True / False, or ``"not applicable"`` where the measure is not
    defined: internal consistency and AVE need a reflective (mode A) block of at least two
    items, so a one-item construct and a mode B (formative) construct get NaN values and
    "not applicable" flags, with the reason in ``note`` (Hair et al., 2019; seminr instead
    reports 1 for one item, which would read as a passed check).

    ``loadings`` (standardised outer loadings indexed by item, e.g. from PLS) give rho_C and AVE
    exactly as seminr's ``rhoC_AVE``; without them the block's first-principal-component
    loadings are used (plspm's DG.rho; ``loading_source="pc1"``). ``weights`` (outer weights
    indexed by item) give rho_A (Dijkstra & Henseler, 2015) with the convention of seminr and
    cSEM: weights for *standardised* items combined with the item correlation matrix. With
    ``weights_scale="raw"`` the weights are those of the raw (centred, unscaled) items, as a
    PLS fit with ``scaled=False`` returns them, and are first converted to standardised-item
    weights w_j * sd(x_j). Without weights rho_A is NaN ("not applicable").
    """
    if weights_scale not in WEIGHT_SCALES:
        raise ParameterError(f"weights_scale must be one of {list(WEIGHT_SCALES)}, "
                             f"got {weights_scale!r}")
    b = check_item_blocks(items, blocks)
    mode_of = _check_modes(modes, list(b))
    all_items = [i for v in b.values() for i in v]
    lam_all = check_series(loadings, "loadings", all_items) if loadings is not None else None
    w_all = check_series(weights, "weights", all_items) if weights is not None else None
    rows = []
    nan_row = dict.fromkeys(["alpha", "alpha_raw", "rho_c", "rho_a", "ave"], np.nan)
    for construct, cols, x, r in checked_block_matrices(items, b, missing):
        k = x.shape[1]
        row: dict[str, object] = {"construct": construct, "mode": mode_of[construct], "n_items": k}
        if mode_of[construct] == "B":
            row.update(nan_row, loading_source="none (mode B)",
                       note="not applicable: mode B (formative) block")
        elif k == 1:
            row.update(nan_row, loading_source="none (one item)",
                       note="not applicable: one-item construct")
        else:
            if lam_all is not None:
                lam = lam_all.loc[cols].to_numpy()
                source = "given"
            else:
                lam, _ = _pc1_loadings(r)
                source = "pc1"
            rho_a_value = np.nan
            if w_all is not None:
                w = w_all.loc[cols].to_numpy()
                if weights_scale == "raw":
                    w = w * x.std(axis=0)
                rho_a_value = rho_a(r, w)
            row.update(
                {
                    "alpha": _alpha_from_matrix(r),
                    "alpha_raw": _alpha_from_matrix(np.cov(x, rowvar=False).reshape(k, k)),
                    "rho_c": rho_c(lam),
                    "rho_a": rho_a_value,
                    "ave": ave(lam),
                    "loading_source": source,
                    "note": "" if w_all is not None else "rho_A needs outer weights",
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    applicable = (out["mode"] == "A") & (out["n_items"] > 1)
    out["alpha_ok"] = threshold_flag(out["alpha"], out["alpha"] >= ALPHA_MIN, applicable)
    out["rho_c_ok"] = threshold_flag(out["rho_c"], out["rho_c"] >= RHO_MIN, applicable)
    out["rho_c_redundant"] = threshold_flag(out["rho_c"], out["rho_c"] > RHO_MAX, applicable)
    out["rho_a_ok"] = threshold_flag(out["rho_a"], out["rho_a"] >= RHO_MIN, applicable)
    out["ave_ok"] = threshold_flag(out["ave"], out["ave"] >= AVE_MIN, applicable)
    return out[[c for c in out.columns if c != "note"] + ["note"]]
