"""Pareto concentration of customer value for the primer: the share of the total held by the
top x% of customers, read off the top-down Lorenz curve by linear interpolation
(:func:`crm_research.clv.concentration.top_share` with ``method="interpolate"``, the one
implementation in the package; Lorenz 1905, "80/20" after Pareto / Juran), with a percentile
bootstrap interval over customers (seeded), and the per-data-set table of the primer.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot, require_columns
from crm_research.clv.concentration import customers_for_share, top_share
from crm_research.errors import DataError
from crm_research.studies.primer.args import number

__all__ = ["pareto_share_ci", "customer_totals", "pareto_table"]

METHOD = "interpolate"


def pareto_share_ci(values: object, top: float = 0.2, n_boot: int = 1000, seed: int = 0,
                    level: float = 0.95, allow_negative: bool = False) -> dict[str, float]:
    """Top-``top`` share (interpolated) with a percentile bootstrap interval (customers
    resampled, seeded; ``n_boot`` = 0 gives no interval). Keys top, customers, share, ci_low,
    ci_high."""
    x = number(top, "top", 0.0, 1.0)
    n_boot = check_n_boot(n_boot)
    lv = check_level(level)
    est = top_share(values, x, METHOD, allow_negative)
    v = np.asarray(values, dtype=float).ravel()
    lo = hi = float("nan")
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = np.full(n_boot, np.nan)
        for b in range(n_boot):
            s = v[rng.integers(0, v.size, v.size)]
            if s.sum() > 0:
                boots[b] = top_share(s, x, METHOD, allow_negative)
        if np.isfinite(boots).any():
            lo, hi = (float(q) for q in np.nanquantile(boots, [(1 - lv) / 2, (1 + lv) / 2]))
        else:
            raise DataError("Pareto share: no bootstrap resample has a positive total")
    return {"top": float(top), "customers": int(v.size), "share": float(est), "ci_low": lo,
            "ci_high": hi}


def customer_totals(log: pd.DataFrame, customer_col: str = "customer_id",
                    value_col: str = "value") -> pd.Series:
    """Total value per customer of a transaction log."""
    require_columns(log, [customer_col, value_col], "customer totals")
    return log.groupby(customer_col, sort=True)[value_col].sum()


def pareto_table(logs: Mapping[str, pd.DataFrame], top: float = 0.2, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """:func:`pareto_share_ci` of the customer totals of each named transaction log, plus the
    share of customers holding half of the total (interpolated
    :func:`crm_research.clv.concentration.customers_for_share`). Columns: data, top,
    customers, share, ci_low, ci_high, customers_for_half."""
    rows = []
    for name, log in logs.items():
        tot = customer_totals(log).to_numpy(dtype=float)
        rows.append({"data": name, **pareto_share_ci(tot, top, n_boot, seed, level),
                     "customers_for_half": customers_for_share(tot, 0.5, METHOD)})
    return pd.DataFrame(rows)
