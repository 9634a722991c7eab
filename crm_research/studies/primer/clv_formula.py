"""Customer lifetime value by the retention formula (constant margin m, retention r, discount
rate d per period; Gupta & Lehmann 2003, "Customers as assets", J. Interactive Marketing
17(1):9-24; Gupta & Lehmann 2005, *Managing Customers as Investments*, "margin multiple").

* ``timing="end"`` (Gupta & Lehmann): first margin at the END of period 1, earned by those
  retained: ``CLV = Σ_{t=1..H} m·r^t/(1+d)^t``, infinite horizon ``m·r/(1+d−r)`` (margin
  multiple 4.5 at r = 0.9, d = 0.1).
* ``timing="start"``: the current period's margin counted now: ``Σ_{t=0..H}``, infinite horizon
  ``m·(1+d)/(1+d−r)`` = m + the "end" value (Berger & Nasr 1998, case 1).

Finite sums in closed form: with q = r/(1+d), Σ_{t=a..H} q^t = (q^a − q^(H+1))/(1 − q).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research.clv.retention import TIMINGS, retention_clv
from crm_research.errors import DataError, ParameterError
from crm_research.studies.primer.args import number

__all__ = ["TIMINGS", "margin_multiple", "retention_clv_grid", "clv_formula_table",
           "retention_uplift", "clv_formula_vs_model"]


# --------------------------------------------------------------------------- CLV by formula
# The formula itself lives in crm_research.clv.retention.retention_clv (one implementation);
# the functions below are the primer's tables and what-ifs built on it.


def margin_multiple(retention: float, discount_rate: float, timing: str = "end") -> float:
    """CLV per unit margin, infinite horizon: r/(1+d−r) (end) or (1+d)/(1+d−r) (start)."""
    return retention_clv(1.0, retention, discount_rate, None, timing)


def retention_clv_grid(retentions: Sequence[float] | np.ndarray, discount_rates: Sequence[float],
                       margin: float = 1.0, horizon: int | None = None,
                       timing: str = "end") -> pd.DataFrame:
    """CLV over a grid: one row per retention, one column per discount rate."""
    rows = {}
    for r in retentions:
        rows[float(r)] = {f"d={float(d):g}": retention_clv(margin, r, d, horizon, timing)
                          for d in discount_rates}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "retention"
    return out


def clv_formula_table(margin: float, retention: float, discount_rate: float,
                      horizon: int) -> pd.DataFrame:
    """CLV of one customer under both timing conventions, over ``horizon`` periods and over an
    infinite horizon. Columns: timing, horizon, formula, clv."""
    rows = []
    for tm, f_fin, f_inf in (("end", "Σ_{t=1..H} m·r^t/(1+d)^t", "m·r/(1+d−r)"),
                             ("start", "Σ_{t=0..H} m·r^t/(1+d)^t", "m·(1+d)/(1+d−r)")):
        rows.append({"timing": tm, "horizon": str(int(horizon)), "formula": f_fin,
                     "clv": retention_clv(margin, retention, discount_rate, horizon, tm)})
        rows.append({"timing": tm, "horizon": "infinite", "formula": f_inf,
                     "clv": retention_clv(margin, retention, discount_rate, None, tm)})
    return pd.DataFrame(rows)


def retention_uplift(margin: float, retention: float, delta: float, discount_rate: float,
                     acquisition_cost: float = 0.0, horizon: int | None = None,
                     timing: str = "end") -> dict[str, float]:
    """What raising retention by ``delta`` (points, e.g. 0.05) does to CLV and to customer
    profit = CLV − acquisition cost.

    Returns retention, new_retention, clv, clv_new, clv_change_pct, profit, profit_new,
    profit_change_pct (NaN when the baseline profit is ≤ 0: a percentage change of a loss is
    not meaningful). Infinite horizon, end timing: clv_change_pct =
    100·δ(1+d)/(r(1+d−r−δ)) — note it does not depend on the margin.
    """
    dlt = number(delta, "delta")
    ac = number(acquisition_cost, "acquisition_cost", 0.0)
    base = retention_clv(margin, retention, discount_rate, horizon, timing)
    new = retention_clv(margin, retention + dlt, discount_rate, horizon, timing)
    pb, pn = base - ac, new - ac
    return {"retention": float(retention), "new_retention": float(retention) + dlt,
            "clv": base, "clv_new": new,
            "clv_change_pct": 100.0 * (new / base - 1.0) if base > 0 else float("nan"),
            "acquisition_cost": ac, "profit": pb, "profit_new": pn,
            "profit_change_pct": 100.0 * (pn / pb - 1.0) if pb > 0 else float("nan")}


def clv_formula_vs_model(survivors: Sequence[float], margin: float, discount_rate: float,
                         fit_periods: int, horizon: int = 200) -> pd.DataFrame:
    """Expected CLV of a new customer (margin at the START of each period while active, i.e.
    Σ_{t=0..H−1} m·S(t)/(1+d)^t) from a cohort's survivor counts n_0, n_1, ..., four ways:

    * formula, constant retention = first-period retention n_1/n_0;
    * formula, constant retention = mean retention over the fitted periods (n_k/n_0)^(1/k);
    * model: shifted-beta-geometric fitted to n_0..n_k (Fader & Hardie 2007,
      :func:`crm_research.clv.sbg.fit_sbg`), whose retention rises with tenure;
    * observed: the same sum with the observed survival S(t) = n_t/n_0 over the periods
      available (a truncated, lower-bound value).
    k = ``fit_periods``; H = ``horizon``. Columns: method, retention_used, clv.
    """
    from crm_research.clv.sbg import fit_sbg, sbg_expected_lifetime_value

    n = np.asarray(survivors, dtype=float)
    k = int(fit_periods)
    if n.ndim != 1 or n.size < 2 or not 1 <= k < n.size:
        raise ParameterError(f"fit_periods must be between 1 and {n.size - 1}, got {fit_periods}")
    if np.any(n <= 0) or np.any(np.diff(n) > 0):
        raise DataError("survivor counts must be positive and non-increasing")
    m = number(margin, "margin")
    d = number(discount_rate, "discount_rate", 0.0)
    h = int(horizon)
    r1 = n[1] / n[0]
    rbar = (n[k] / n[0]) ** (1 / k)
    fit = fit_sbg(n[: k + 1])
    a, b = float(fit.params["alpha"]), float(fit.params["beta"])
    obs = float(np.sum(m * (n / n[0]) / (1 + d) ** np.arange(n.size)))
    rows = [
        {"method": "formula, first-period retention", "retention_used": r1,
         "clv": retention_clv(m, r1, d, h - 1, "start")},
        {"method": f"formula, mean retention over {k} periods", "retention_used": rbar,
         "clv": retention_clv(m, rbar, d, h - 1, "start")},
        {"method": f"sBG model fitted to periods 0-{k} (alpha {a:.3f}, beta {b:.3f})",
         "retention_used": b / (a + b),
         "clv": sbg_expected_lifetime_value(fit.params, m, d, h)},
        {"method": f"observed survival, periods 0-{n.size - 1} only (truncated)",
         "retention_used": float("nan"), "clv": obs},
    ]
    return pd.DataFrame(rows)


