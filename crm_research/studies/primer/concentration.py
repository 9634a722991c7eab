"""Pareto concentration of customer value: share of the total held by the top x% of customers,
read off the top-down Lorenz curve with linear interpolation inside the customer that straddles
x (Lorenz 1905; "80/20" after Pareto / Juran). For non-negative values the share lies in
[x, 1]. Percentile bootstrap intervals over customers (seeded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_research._checks import check_level, require_columns
from crm_research.errors import DataError
from crm_research.studies.primer.args import number, whole_number

# --------------------------------------------------------------------------- Pareto

def _values(values: object, name: str = "values", allow_negative: bool = False) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numbers") from exc
    if v.size == 0:
        raise DataError(f"{name} is empty")
    if not np.all(np.isfinite(v)):
        raise DataError(f"{name} has missing or infinite values (first at position "
                        f"{int(np.argmax(~np.isfinite(v)))})")
    if not allow_negative and np.any(v < 0):
        raise DataError(f"{name} has negative values (first at position "
                        f"{int(np.argmax(v < 0))}); pass allow_negative=True for profits")
    if v.sum() <= 0:
        raise DataError(f"{name} must have a positive total")
    return v


def pareto_share(values: object, top: float = 0.2, allow_negative: bool = False) -> float:
    """Share of the total held by the top ``top`` fraction of customers (interpolated).

    With values sorted in decreasing order and k = top·n (not necessarily whole), the share is
    (sum of the first ⌊k⌋ values + (k − ⌊k⌋)·value ⌊k⌋+1) / total.
    """
    x = number(top, "top", 0.0, 1.0)
    return _top_share(np.sort(_values(values, allow_negative=allow_negative))[::-1], x)


def _top_share(v: np.ndarray, x: float) -> float:
    """:func:`pareto_share` of values already checked and sorted in decreasing order."""
    k = x * v.size
    whole = int(math.floor(k + 1e-12))
    part = v[:whole].sum() + ((k - whole) * v[whole] if whole < v.size else 0.0)
    return float(part / v.sum())


def customer_share_for_value_share(values: object, value_share: float = 0.5) -> float:
    """Smallest share of customers (largest first, interpolated) holding ``value_share`` of
    the total: the inverse of :func:`pareto_share` for non-negative values."""
    q = number(value_share, "value_share", 0.0, 1.0)
    v = np.sort(_values(values))[::-1]
    cum = np.r_[0.0, np.cumsum(v)] / v.sum()
    k = int(np.searchsorted(cum, q - 1e-15, side="left"))
    if k == 0:
        return 0.0
    step = cum[k] - cum[k - 1]
    frac = (q - cum[k - 1]) / step if step > 0 else 0.0
    return float((k - 1 + frac) / v.size)


def pareto_curve(values: object, points: int = 101, allow_negative: bool = False
                 ) -> pd.DataFrame:
    """Top-down Lorenz curve: customer_share (0..1) vs value_share, ``points`` grid points."""
    v = np.sort(_values(values, allow_negative=allow_negative))[::-1]
    grid = np.linspace(0.0, 1.0, int(points))
    return pd.DataFrame({"customer_share": grid,
                         "value_share": [_top_share(v, float(g)) for g in grid]})


def pareto_share_ci(values: object, top: float = 0.2, n_boot: int = 1000, seed: int = 0,
                    level: float = 0.95, allow_negative: bool = False) -> dict[str, float]:
    """Pareto share with a percentile bootstrap interval (customers resampled, seeded)."""
    v = _values(values, allow_negative=allow_negative)
    n_boot = whole_number(n_boot, "n_boot", 0, "a non-negative integer")
    lv = check_level(level)
    x = number(top, "top", 0.0, 1.0)
    est = _top_share(np.sort(v)[::-1], x)
    lo = hi = float("nan")
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = np.empty(n_boot)
        for b in range(n_boot):
            s = v[rng.integers(0, v.size, v.size)]
            boots[b] = _top_share(np.sort(s)[::-1], x) if s.sum() > 0 else np.nan
        lo, hi = (float(q) for q in np.nanquantile(boots, [(1 - lv) / 2, (1 + lv) / 2]))
    return {"top": float(top), "customers": int(v.size), "share": est, "ci_low": lo,
            "ci_high": hi}


def customer_totals(log: pd.DataFrame, customer_col: str = "customer_id",
                    value_col: str = "value") -> pd.Series:
    """Total value per customer of a transaction log."""
    require_columns(log, [customer_col, value_col], "customer totals")
    return log.groupby(customer_col, sort=True)[value_col].sum()


def pareto_table(logs: Mapping[str, pd.DataFrame], top: float = 0.2, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """:func:`pareto_share_ci` of the customer totals of each named transaction log, plus the
    share of customers holding half of the total. Columns: data, top, customers, share,
    ci_low, ci_high, customers_for_half."""
    rows = []
    for name, log in logs.items():
        tot = customer_totals(log).to_numpy(dtype=float)
        rows.append({"data": name, **pareto_share_ci(tot, top, n_boot, seed, level),
                     "customers_for_half": customer_share_for_value_share(tot, 0.5)})
    return pd.DataFrame(rows)


