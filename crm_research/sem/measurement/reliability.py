"""Survey measurement quality: item statistics, reliability, convergent and discriminant validity.

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

Conventions for constructs with a single item (as seminr): alpha = rho_C = rho_A = AVE = 1.
Constructs measured in mode B (formative) get NaN reliabilities: reliability and AVE assume a
reflective (common-factor) block (Hair et al., 2019, "When to use and how to report the results
of PLS-SEM", European Business Review 31(1)).

EFA, KMO, Bartlett's test and CFA live in :mod:`crm_research.sem.measurement.factor` and are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.checks import (
    check_item_blocks,
    check_level,
    check_n_boot,
    check_scores,
    check_series,
    numeric_columns,
    numeric_items,
)
from crm_research.sem.measurement.factor import (
    BartlettResult,
    CFAResult,
    EFAResult,
    KMOResult,
    bartlett_sphericity,
    cfa,
    efa,
    fit_indices,
    kmo,
    rmsea,
    rmsea_ci,
    srmr_bentler,
)

__all__ = [
    "BartlettResult",
    "CFAResult",
    "EFAResult",
    "KMOResult",
    "ave",
    "bartlett_sphericity",
    "cfa",
    "cronbach_alpha",
    "cross_loadings",
    "efa",
    "fit_indices",
    "fornell_larcker",
    "fornell_larcker_summary",
    "htmt",
    "htmt_table",
    "item_statistics",
    "kmo",
    "reliability",
    "rho_a",
    "rho_c",
    "rmsea",
    "rmsea_ci",
    "srmr_bentler",
    "unidimensionality",
    "vif_inner",
    "vif_outer",
]

# Thresholds (sources in the docstrings of the functions that use them).
ALPHA_MIN = 0.70
RHO_MIN = 0.70
RHO_MAX = 0.95
AVE_MIN = 0.50
HTMT_STRICT = 0.85
HTMT_LIBERAL = 0.90
VIF_MAX = 5.0
VIF_IDEAL = 3.0


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


def _bootstrap_resamples(
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


def _block_matrices(items: pd.DataFrame, blocks: Mapping[str, Sequence[str]],
                    missing: str) -> Iterator[tuple[str, list[str], np.ndarray, np.ndarray]]:
    """For each block: construct, item names, the block's data (missing handled per block)
    and its k × k item correlation matrix."""
    return _checked_block_matrices(items, check_item_blocks(items, blocks), missing)


def _checked_block_matrices(
    items: pd.DataFrame, blocks: dict[str, list[str]], missing: str
) -> Iterator[tuple[str, list[str], np.ndarray, np.ndarray]]:
    """:func:`_block_matrices` for blocks already checked by ``check_item_blocks``."""
    for construct, cols in blocks.items():
        x = numeric_items(items, cols, missing=missing).to_numpy()
        k = x.shape[1]
        yield construct, list(cols), x, np.corrcoef(x, rowvar=False).reshape(k, k)


def cronbach_alpha(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    ci: float = 0.95,
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

    Negative values are reported as they are (plspm truncates them at 0). One-item constructs
    get 1 (seminr's convention).

    CI (level ``ci``): ``ci_method="feldt"`` uses Feldt's F-distribution interval (Feldt, 1965;
    Feldt, Woodruff & Salih, 1987), applied to the raw alpha and — treating the z-scored items
    as the test — to the standardised alpha (an approximation for the latter);
    ``ci_method="bootstrap"`` uses percentile intervals of ``n_boot`` seeded row resamples
    (``n_boot_failed`` counts resamples in which an item became constant); ``None`` skips it.

    Flag ``alpha_ok``: alpha >= 0.70 (Nunnally & Bernstein, 1994, Psychometric Theory, 3rd ed.).
    """
    if ci_method not in ("feldt", "bootstrap", None):
        raise ParameterError(f"ci_method must be 'feldt', 'bootstrap' or None, got {ci_method!r}")
    level = check_level(ci)
    n_boot = check_n_boot(n_boot)
    rows = []
    for construct, _cols, x, corr in _block_matrices(items, blocks, missing):
        n, k = x.shape
        a_std = _alpha_from_matrix(corr)
        a_raw = _alpha_from_matrix(np.cov(x, rowvar=False).reshape(k, k))
        row = {"construct": construct, "n_items": k, "n": n, "alpha": a_std, "alpha_raw": a_raw}
        lo_s = hi_s = lo_r = hi_r = float("nan")
        n_failed = 0
        if ci_method == "feldt":
            lo_s, hi_s = _feldt_ci(a_std, n, k, level)
            lo_r, hi_r = _feldt_ci(a_raw, n, k, level)
        elif ci_method == "bootstrap" and k > 1 and n_boot > 0:
            rng_seed = None if seed is None else [seed, len(rows)]
            bs, br = [], []
            for xb in _bootstrap_resamples(x, n_boot, rng_seed):
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
                "alpha_ok": bool(a_std >= ALPHA_MIN),
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
    for construct, _cols, x, r in _block_matrices(items, blocks, missing):
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


def reliability(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    loadings: pd.Series | None = None,
    weights: pd.Series | None = None,
    modes: Mapping[str, str] | None = None,
    missing: str = "error",
) -> pd.DataFrame:
    """Internal-consistency reliability and convergent validity per construct.

    Columns: ``construct``, ``mode``, ``n_items``, ``alpha`` (standardised), ``alpha_raw``,
    ``rho_c``, ``rho_a``, ``ave``, ``loading_source`` and the flags

    * ``alpha_ok``: alpha >= 0.70; ``rho_a_ok``: rho_A >= 0.70; ``rho_c_ok``: rho_C >= 0.70;
      ``rho_c_redundant``: rho_C > 0.95 (items nearly redundant);
    * ``ave_ok``: AVE >= 0.50
    (Hair, Risher, Sarstedt & Ringle, 2019, European Business Review 31(1), Table I).

    ``loadings`` (standardised outer loadings indexed by item, e.g. from PLS) give rho_C and AVE
    exactly as seminr's ``rhoC_AVE``; without them the block's first-principal-component
    loadings are used (plspm's DG.rho; ``loading_source="pc1"``). ``weights`` (outer weights
    indexed by item) give rho_A as seminr's ``rho_A``; without them rho_A is NaN. Mode B
    (formative) constructs get NaN reliabilities.
    """
    b = check_item_blocks(items, blocks)
    mode_of = _check_modes(modes, list(b))
    all_items = [i for v in b.values() for i in v]
    lam_all = check_series(loadings, "loadings", all_items) if loadings is not None else None
    w_all = check_series(weights, "weights", all_items) if weights is not None else None
    rows = []
    for construct, cols, x, r in _checked_block_matrices(items, b, missing):
        k = x.shape[1]
        row: dict[str, object] = {"construct": construct, "mode": mode_of[construct], "n_items": k}
        if mode_of[construct] == "B":
            row.update(
                {
                    "alpha": np.nan,
                    "alpha_raw": np.nan,
                    "rho_c": np.nan,
                    "rho_a": np.nan,
                    "ave": np.nan,
                    "loading_source": "none (mode B)",
                }
            )
        else:
            if lam_all is not None:
                lam = lam_all.loc[cols].to_numpy()
                source = "given"
            else:
                lam, _ = _pc1_loadings(r)
                source = "pc1"
            row.update(
                {
                    "alpha": _alpha_from_matrix(r),
                    "alpha_raw": _alpha_from_matrix(np.cov(x, rowvar=False).reshape(k, k)),
                    "rho_c": rho_c(lam),
                    "rho_a": rho_a(r, w_all.loc[cols].to_numpy()) if w_all is not None else np.nan,
                    "ave": ave(lam),
                    "loading_source": source,
                }
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["alpha_ok"] = out["alpha"] >= ALPHA_MIN
    out["rho_c_ok"] = out["rho_c"] >= RHO_MIN
    out["rho_c_redundant"] = out["rho_c"] > RHO_MAX
    out["rho_a_ok"] = out["rho_a"] >= RHO_MIN
    out["ave_ok"] = out["ave"] >= AVE_MIN
    return out


# ----------------------------------------------------------------------------------------------
# discriminant validity
# ----------------------------------------------------------------------------------------------


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
    ci: float = 0.95,
    seed: int | None = None,
    absolute: bool = True,
    missing: str = "error",
) -> pd.DataFrame:
    """HTMT (or HTMT2) per pair of constructs with a seeded percentile bootstrap interval.

    Columns: ``construct_1``, ``construct_2``, ``kind``, ``value``, ``ci_low``, ``ci_high``
    (percentiles (1-ci)/2 and (1+ci)/2 of ``n_boot`` row resamples; NaN if ``n_boot=0``),
    ``n_boot_ok``, ``n_boot_failed`` (resamples in which an item was constant),
    ``htmt_ok_85`` (value < 0.85) and ``htmt_ok_90`` (value < 0.90) (Henseler et al., 2015;
    Franke & Sarstedt, 2019, Internet Research 29(3)), ``ci_high_below_1`` (HTMT_inference:
    upper bound < 1; use ``ci=0.90`` for the one-sided 95% test Franke & Sarstedt recommend),
    ``ci_high_below_85`` (upper bound < 0.85).
    """
    _check_kind(kind)
    level = check_level(ci)
    n_boot = check_n_boot(n_boot)
    names, x, idx = _htmt_data(items, blocks, missing)
    use_abs = absolute or kind == "htmt2"
    point = _htmt_matrix(np.corrcoef(x, rowvar=False), idx, kind, use_abs)
    iu = np.triu_indices(len(names), 1)
    draws = []
    n_failed = 0
    for xb in _bootstrap_resamples(x, n_boot, seed):
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
    for construct, cols, _x, corr in _block_matrices(items, blocks, missing):
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
