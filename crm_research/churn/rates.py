"""Churn rates and binomial proportion intervals: the one implementation the studies call.

* :func:`proportion_ci` — interval for a binomial proportion k/n, ``method=``
  - ``"wilson"``: Wilson (1927) score interval, "Probable inference, the law of succession, and
    statistical inference", JASA 22:209-212, in the form of eq. (2) of Agresti & Coull (1998),
    "Approximate is better than 'exact' for interval estimation of binomial proportions",
    The American Statistician 52:119-126, with z = Φ⁻¹(1 − α/2):
    centre = (k + z²/2) / (n + z²), half-width = z·√n / (n + z²) · √(p̂(1 − p̂) + z²/(4n)).
    Identical to R ``prop.test(k, n, correct = FALSE)$conf.int`` and statsmodels
    ``proportion_confint(method="wilson")``.
  - ``"exact"``: Clopper & Pearson (1934), "The use of confidence or fiducial limits illustrated
    in the case of the binomial", Biometrika 26:404-413: the beta quantiles
    B(α/2; k, n − k + 1) and B(1 − α/2; k + 1, n − k) (0 for k = 0, 1 for k = n).
    Identical to R ``binom.test(k, n)$conf.int``.
* :func:`churn_rate` — churned / n for one group with its interval (what the primer and the
  claims audit call).
* :func:`churn_rates` — the rate overall and per level of segment columns, with Pearson's
  chi-square test of equal rates across the levels (levels × (churned, stayed) table, no
  continuity correction; R ``chisq.test(correct = FALSE)``).
* :func:`top_code` — a count pooled above a cap as an ordered category (e.g. service calls 4+).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import (
    binary_outcome,
    check_level,
    plain,
    require_columns,
    require_frame,
    spreadsheet_rows,
)
from crm_research._lazy import lazy_module
from crm_research.errors import DataError, ParameterError

stats = lazy_module("scipy.stats")

__all__ = ["PROPORTION_METHODS", "critical_z", "proportion_ci", "churn_rate", "churn_rates",
           "top_code", "ordered_levels", "require_rows"]

PROPORTION_METHODS = ("wilson", "exact")


def critical_z(level: float) -> float:
    """Normal critical value z = Φ⁻¹(1 − α/2) of a two-sided interval at confidence ``level``."""
    return float(stats.norm.ppf(1.0 - (1.0 - check_level(level, "level")) / 2.0))


def require_rows(df: Any, what: str = "data") -> pd.DataFrame:
    """``df`` if it is a DataFrame with at least one row (:class:`DataError` if it is empty)."""
    require_frame(df, what)
    if len(df) == 0:
        raise DataError(f"{what}: the DataFrame has no rows")
    return df


def proportion_ci(k: Any, n: Any, level: float = 0.95,
                  method: str = "wilson") -> tuple[Any, Any]:
    """Confidence interval for the binomial proportion k/n (vectorised over k and n).

    ``method="wilson"`` (score interval) or ``"exact"`` (Clopper-Pearson); formulas and sources
    in the module docstring. Returns ``(low, high)``: floats for scalar input, arrays otherwise.
    """
    if method not in PROPORTION_METHODS:
        raise ParameterError(f"method must be one of {list(PROPORTION_METHODS)}, got {method!r}")
    z = critical_z(level)
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(k_arr)) or np.any(~np.isfinite(n_arr)):
        raise DataError("proportion_ci: k and n must be finite numbers")
    if np.any(n_arr <= 0) or np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise DataError(f"proportion_ci: need 0 <= k <= n and n > 0, got k={plain(k)!r}, "
                        f"n={plain(n)!r}")
    if method == "exact":
        alpha = 1.0 - float(level)
        with np.errstate(invalid="ignore"):
            low = np.where(k_arr > 0, stats.beta.ppf(alpha / 2, k_arr, n_arr - k_arr + 1), 0.0)
            high = np.where(k_arr < n_arr,
                            stats.beta.ppf(1 - alpha / 2, k_arr + 1, n_arr - k_arr), 1.0)
    else:
        p = k_arr / n_arr
        denom = n_arr + z * z
        centre = (k_arr + z * z / 2.0) / denom
        half = z * np.sqrt(n_arr) / denom * np.sqrt(p * (1.0 - p) + z * z / (4.0 * n_arr))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def churn_rate(churned: int, n: int, level: float = 0.95,
               method: str = "wilson") -> dict[str, Any]:
    """Churn rate = churned / n (customers lost over customers at risk) with its interval.

    Returns ``{"churned", "n", "rate", "ci_low", "ci_high", "method"}``; ``method`` as in
    :func:`proportion_ci` (``"exact"`` = Clopper-Pearson).
    """
    for name, value in (("churned", churned), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ParameterError(f"{name} must be a whole number of customers, got "
                                 f"{plain(value)!r}")
    if n <= 0 or not 0 <= churned <= n:
        raise DataError(f"churn rate: need 0 <= churned <= n and n > 0, got churned="
                        f"{plain(churned)}, n={plain(n)}")
    lo, hi = proportion_ci(churned, n, level, method)
    return {"churned": int(churned), "n": int(n), "rate": int(churned) / int(n),
            "ci_low": lo, "ci_high": hi, "method": method}


def ordered_levels(s: pd.Series) -> list[Hashable]:
    """Observed levels of ``s``: category order for a category, sorted order otherwise."""
    observed = pd.unique(s.dropna())
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [lev for lev in s.cat.categories if lev in present]
    try:
        return sorted(observed)
    except TypeError:
        return sorted(observed, key=str)


def _chi2_equal_rates(counts: list[tuple[Hashable, int, float]]) -> tuple[float, float, float]:
    """Pearson chi-square (no continuity correction) of equal churn rates across levels."""
    if len(counts) < 2:
        return np.nan, np.nan, 0.0
    table = np.array([[c[2], c[1] - c[2]] for c in counts])
    if (table.sum(axis=0) > 0).all():
        chi2, p_val, dof, _ = stats.chi2_contingency(table, correction=False)
        return float(chi2), float(p_val), float(dof)
    # nobody (or everybody) churned: rates are equal, the test is undefined
    return np.nan, np.nan, float(len(counts) - 1)


def churn_rates(df: pd.DataFrame, outcome: str, by: str | Sequence[str] | None = None,
                level: float = 0.95, method: str = "wilson") -> pd.DataFrame:
    """Churn rate with its interval, overall and for each level of each ``by`` column.

    Returns one row per (variable, level): ``variable`` ('overall' for the whole sample),
    ``level``, ``n``, ``churned``, ``rate`` = churned/n, ``ci_low``, ``ci_high`` (interval of
    :func:`proportion_ci` at ``level``, Wilson by default) and ``chi2``, ``chi2_df``,
    ``chi2_p`` — Pearson's chi-square test of equal churn rates across the levels of that
    variable (no continuity correction; repeated on each of the variable's rows, empty for
    'overall'). Rows with a missing segment value are left out of that variable's rows (their
    count is in ``n_missing``).
    """
    df = require_rows(df)
    by = [by] if isinstance(by, str) else list(by or [])
    require_columns(df, [outcome, *by])
    y = binary_outcome(df[outcome], outcome)
    rows: list[dict[str, Any]] = []
    n, k = len(y), float(y.sum())
    lo, hi = proportion_ci(k, n, level, method)
    rows.append({"variable": "overall", "level": "all", "n": n, "churned": int(k),
                 "rate": k / n, "ci_low": lo, "ci_high": hi, "chi2": np.nan,
                 "chi2_df": np.nan, "chi2_p": np.nan, "n_missing": 0})
    for var in by:
        s = df[var]
        levels = ordered_levels(s)
        if len(levels) > 200:
            raise ParameterError(f"churn_rates: column {var!r} has {len(levels)} levels; a "
                                 "segment variable should have at most 200")
        counts = []
        for lev in levels:
            mask = (s == lev).to_numpy()
            counts.append((lev, int(mask.sum()), float(y[mask].sum())))
        chi2, p_val, dof = _chi2_equal_rates(counts)
        n_missing = int(s.isna().sum())
        for lev, n_l, k_l in counts:
            lo, hi = proportion_ci(k_l, n_l, level, method)
            rows.append({"variable": var, "level": plain(lev), "n": n_l, "churned": int(k_l),
                         "rate": k_l / n_l, "ci_low": lo, "ci_high": hi, "chi2": chi2,
                         "chi2_df": dof, "chi2_p": p_val, "n_missing": n_missing})
    out = pd.DataFrame(rows)
    out["level"] = out["level"].astype(str)
    return out


def top_code(df: pd.DataFrame, column: str, cap: int) -> pd.DataFrame:
    """Copy of ``df`` with the count ``column`` top-coded at ``cap`` as an ordered category.

    Levels are "0", "1", ..., f"{cap}+" (values ≥ cap are pooled), e.g. customer-service calls
    0, 1, 2, 3, 4+. The count must be a non-negative integer without gaps.
    """
    df = require_rows(df)
    require_columns(df, [column])
    if isinstance(cap, bool) or not isinstance(cap, int | np.integer) or cap < 1:
        raise ParameterError(f"top_code: cap must be a positive integer, got {plain(cap)!r}")
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s) or s.isna().any():
        raise DataError(f"top_code: column {column!r} must be a numeric count without missing "
                        f"values (dtype {s.dtype}, {int(s.isna().sum())} missing)")
    arr = s.to_numpy(dtype=float)
    bad = (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        raise DataError(f"top_code: column {column!r} must hold non-negative integers; data row "
                        f"{spreadsheet_rows(bad, 1)[0]} holds {plain(arr[bad][0])!r}")
    labels = [str(i) for i in range(int(cap))] + [f"{int(cap)}+"]
    codes = np.minimum(arr.astype(int), int(cap))
    out = df.copy()
    out[column] = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return out
