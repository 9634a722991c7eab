"""Retention economics: the retention CLV formula and the "+5 points of retention" what-ifs.

The one home of the simple retention formula in the package (the primer calls it).

**Retention CLV** (Gupta & Lehmann 2003, "Customers as assets", J. Interactive Marketing
17(1); Berger & Nasr 1998): a customer brings margin m per period while retained, stays each
period with probability r, cash flows are discounted at rate d per period. With q = r/(1+d):

* ``timing="start"`` (margin at the start of each period, the first one now)::

      CLV = sum_{t=0..H} m q^t  ->  m (1+d) / (1+d-r)      (H -> infinity)

* ``timing="end"`` (margin at the end of each period survived)::

      CLV = sum_{t=1..H} m q^t  ->  m r / (1+d-r)

  so CLV_start = m + CLV_end over an infinite horizon. The finite sums are
  ``m (q^a - q^(H+1)) / (1 - q)`` with a = 0 (start) or 1 (end), and m (H - a + 1) at q = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research.clv.bgnbd import bgnbd_expected_purchases
from crm_research.clv.results import check_params
from crm_research.clv.sbg import fit_sbg, sbg_expected_lifetime_value, sbg_projection
from crm_research.data.transactions import unit_days
from crm_research.errors import DataError, ParameterError

TIMINGS = ("start", "end")


def _number(value, name: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise ParameterError(f"{name} must be a finite number in {rng}, got {v}")
    return v


def retention_clv(margin: float, retention: float, discount_rate: float,
                  horizon: int | None = None, timing: str = "end") -> float:
    """CLV of one customer by the retention formula (module docstring, both timings).

    ``horizon`` = number of future periods H (None = infinite, which needs r < 1 + d).
    Margin, retention and discount rate refer to the same period length.
    """
    m = _number(margin, "margin")
    r = _number(retention, "retention", 0.0, 1.0)
    d = _number(discount_rate, "discount_rate", 0.0)
    if timing not in TIMINGS:
        raise ParameterError(f"timing must be one of {list(TIMINGS)}, got {timing!r}")
    q = r / (1.0 + d)
    a = 1 if timing == "end" else 0
    if horizon is None:
        if q >= 1.0:
            raise ParameterError("infinite-horizon CLV needs retention < 1 + discount_rate "
                                 f"(got r = {r}, d = {d})")
        return m * q**a / (1.0 - q)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise ParameterError(f"horizon must be a non-negative integer or None, got {horizon!r}")
    if horizon < a:
        return 0.0
    if q == 1.0:
        return m * (horizon - a + 1)
    return m * (q**a - q ** (horizon + 1)) / (1.0 - q)


def retention_whatif_constant(
    retention_rates=(0.5, 0.6, 0.7, 0.8, 0.9), delta: float = 0.05,
    annual_discount_rate: float = 0.10, margin: float = 1.0,
) -> pd.DataFrame:
    """CLV of a customer paying ``margin`` per year while retained, retention r per year:
    :func:`retention_clv` with ``timing="start"``, infinite horizon, CLV(r) = m (1+d)/(1+d-r).

    The table shows how CLV (and so profit from the cohort, margin being constant) changes when
    r rises by ``delta``. Assumptions: constant margin, no acquisition cost, no referral or
    spend-growth effects (those are part of Reichheld & Sasser's 1990 claimed +25-95%).
    """
    d = annual_discount_rate
    rows = []
    for r in retention_rates:
        r2 = r + delta
        if not (0 <= r < 1 and r2 <= 1):
            raise ParameterError(f"retention {r} (+{delta}) must stay within [0, 1]")
        base = retention_clv(margin, r, d, None, timing="start")
        new = retention_clv(margin, r2, d, None, timing="start")
        rows.append({"model": "constant retention", "baseline_retention": r,
                     "new_retention": r2, "clv_baseline": base, "clv_new": new,
                     "clv_change_pct": 100 * (new / base - 1)})
    return pd.DataFrame(rows)


def retention_whatif_models(
    sbg_params: dict[str, object] | None = None,
    bgnbd_params=None,
    delta: float = 0.05,
    annual_discount_rate: float = 0.10,
    horizon_years: int = 50,
    time_unit: str = "W",
    weeks_per_year: float = 365.25 / 7,
) -> pd.DataFrame:
    """Retention +``delta`` what-if under heterogeneous models (documented assumptions).

    ``sbg_params`` maps a segment name to sBG parameters or a fitted sBG; ``bgnbd_params`` is
    a BG/NBD fit or its parameters.

    * sBG (per fitted segment): the MEAN churn probability alpha/(alpha+beta) is lowered by
      ``delta`` holding alpha fixed (beta' = alpha/(alpha/(alpha+beta) - delta) - alpha); CLV of
      a new customer paying 1 per year = sum_t S(t)/(1+d)^t over ``horizon_years``.
    * BG/NBD: "retention" is 1 - E[p], the chance of staying active after a purchase; E[p] =
      a/(a+b) is lowered by ``delta`` holding a fixed; value = discounted expected repeat
      purchases of a new customer over ``horizon_years`` (yearly steps, end-of-year discount).
      When E[p] <= ``delta`` the row is reported as not applicable (NaN values).
    """
    rows = []
    d = annual_discount_rate
    for name, params in (sbg_params or {}).items():
        a, b = check_params(params, ["alpha", "beta"], "sBG")
        churn = a / (a + b)
        if churn - delta <= 0:
            raise ParameterError(f"sBG {name}: mean churn {churn:.3f} is below delta {delta}")
        b2 = a / (churn - delta) - a
        base = sbg_expected_lifetime_value({"alpha": a, "beta": b}, 1.0, d, horizon_years)
        new = sbg_expected_lifetime_value({"alpha": a, "beta": b2}, 1.0, d, horizon_years)
        rows.append({"model": f"sBG {name}", "baseline_retention": 1 - churn,
                     "new_retention": 1 - churn + delta, "clv_baseline": base, "clv_new": new,
                     "clv_change_pct": 100 * (new / base - 1)})
    if bgnbd_params is not None:
        r, alpha, a, b = check_params(bgnbd_params, ["r", "alpha", "a", "b"], "BG/NBD")
        p = a / (a + b)
        if p - delta <= 0:  # nothing to lower (e.g. the NBD limit a -> 0): not applicable
            rows.append({"model": "BG/NBD (per-purchase retention): mean dropout below delta, "
                         "not applicable", "baseline_retention": 1 - p,
                         "new_retention": np.nan, "clv_baseline": np.nan, "clv_new": np.nan,
                         "clv_change_pct": np.nan})
            return pd.DataFrame(rows)
        b2 = a / (p - delta) - a
        years = np.arange(1, horizon_years + 1)
        t = years * weeks_per_year * 7 / unit_days(time_unit)
        vals = []
        for bb in (b, b2):
            pr = {"r": r, "alpha": alpha, "a": a, "b": bb}
            cum = bgnbd_expected_purchases(pr, t)
            inc = np.diff(np.r_[0.0, cum])
            vals.append(float(np.sum(inc / (1 + d) ** years)))
        rows.append({"model": "BG/NBD (per-purchase retention)", "baseline_retention": 1 - p,
                     "new_retention": 1 - p + delta, "clv_baseline": vals[0], "clv_new": vals[1],
                     "clv_change_pct": 100 * (vals[1] / vals[0] - 1)})
    return pd.DataFrame(rows)


def sbg_fit_segments(table: pd.DataFrame, segments: list[str], fit_periods: int,
                     period_col: str = "year", level: float = 0.95
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Fit the sBG to periods 0..fit_periods of each segment column of a survivor table and
    project to its last period. Returns ``(params, projection, fits)``: params has segment
    then the columns of the fits' ``.table``; projection has segment, period, actual,
    projected, error_pct, fitted (bool: period used in the fit); fits maps segment -> fit."""
    if fit_periods < 1 or fit_periods >= len(table):
        raise ParameterError(f"fit_periods must be in 1..{len(table) - 1}, got {fit_periods}")
    if period_col not in table:
        raise DataError(f"survivor table has no period column {period_col!r}")
    table = table.sort_values(period_col)
    params, proj, fits = [], [], {}
    for seg in segments:
        if seg not in table:
            raise DataError(f"survivor table has no column {seg!r}")
        n = table[seg].to_numpy(dtype=float)
        fit = fit_sbg(n[: fit_periods + 1], level=level)
        fits[seg] = fit
        t = fit.table
        t.insert(0, "segment", seg)
        params.append(t)
        p = sbg_projection(fit.params, n, len(n) - 1)
        p.insert(0, "segment", seg)
        p["fitted"] = p["period"] <= fit_periods
        proj.append(p)
    return pd.concat(params, ignore_index=True), pd.concat(proj, ignore_index=True), fits
