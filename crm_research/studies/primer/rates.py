"""Rates of the primer: churn rate, annualised churn, inactivity (lapse) share, rates by group,
score summaries and one headline rate per CRM type, all with exact (Clopper-Pearson 1934)
intervals.

Churn rate = customers lost during the period / customers at its start; a per-period rate c is
annualised as 1 − (1 − c)^k for k periods a year (constant-rate assumption).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import binary_outcome, require_columns
from crm_research.churn.rates import churn_rate, proportion_ci
from crm_research.errors import DataError, ParameterError
from crm_research.studies.primer.args import number


def exact_proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (1934) exact interval of successes/n: the engine's
    :func:`crm_research.churn.rates.proportion_ci` with ``method="exact"``."""
    return proportion_ci(successes, n, level, method="exact")


# --------------------------------------------------------------------------- churn

def snapshot_churn_rate(df: pd.DataFrame, churn_col: str = "churn",
                        tenure_col: str = "tenure", min_tenure: float = 1,
                        level: float = 0.95) -> dict[str, float]:
    """Churn rate of the last period from a customer snapshot that flags who left in it (e.g.
    Telco: ``churn`` = left within the last month): customers at the start of the period are
    those with tenure ≥ ``min_tenure`` periods (newer ones joined during it). Returns the
    dictionary of :func:`crm_research.churn.rates.churn_rate` (churned, n, rate, ci_low,
    ci_high, method; exact interval)."""
    require_columns(df, [churn_col, tenure_col], "snapshot churn")
    y = binary_outcome(df[churn_col], churn_col)
    at_start = pd.to_numeric(df[tenure_col], errors="coerce") >= float(min_tenure)
    return churn_rate(int(y[at_start].sum()), int(at_start.sum()), level, method="exact")


def annualise_churn(rate: float, periods_per_year: float) -> float:
    """Annual churn 1 − (1 − c)^k from a per-period churn c (k periods a year; constant c)."""
    c = number(rate, "rate", 0.0, 1.0)
    k = number(periods_per_year, "periods_per_year", 0.0, lo_open=True)
    return 1.0 - (1.0 - c) ** k


def lapse_share(log: pd.DataFrame, base_start: object, base_end: object,
                followup_end: object, customer_col: str = "customer_id",
                date_col: str = "date", level: float = 0.95) -> dict[str, Any]:
    """Inactivity proxy of churn in non-contractual data: of the customers who bought in
    [base_start, base_end], the share with no purchase in (base_end, followup_end].

    Returns base_customers, lapsed, lapse_share, ci_low, ci_high (exact), followup_days.
    """
    require_columns(log, [customer_col, date_col], "lapse share")
    try:
        b0, b1, f1 = (pd.Timestamp(x) for x in (base_start, base_end, followup_end))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"lapse share: cannot read the window dates: {exc}") from exc
    if not b0 <= b1 < f1:
        raise ParameterError("lapse share: need base_start <= base_end < followup_end")
    try:
        d = pd.to_datetime(log[date_col])
    except (TypeError, ValueError) as exc:
        raise DataError(f"lapse share: column {date_col!r} cannot be read as dates") from exc
    ids = log[customer_col]
    base = pd.unique(ids[(d >= b0) & (d <= b1)])
    if len(base) == 0:
        raise DataError(f"lapse share: no purchases between {b0.date()} and {b1.date()}")
    again = pd.unique(ids[(d > b1) & (d <= f1)])
    lapsed = int(len(base) - np.isin(base, again).sum())
    lo, hi = exact_proportion_ci(lapsed, len(base), level)
    return {"base_customers": int(len(base)), "lapsed": lapsed,
            "lapse_share": lapsed / len(base), "ci_low": lo, "ci_high": hi,
            "followup_days": int((f1 - b1).days)}


# --------------------------------------------------------------------------- small tables

def rate_by_group(df: pd.DataFrame, outcome: str, group: str | None = None,
                  level: float = 0.95) -> pd.DataFrame:
    """Rate of a 0/1 outcome per group (or overall): group, n, successes, rate and exact
    (Clopper-Pearson) interval. Groups sorted (categories in their order)."""
    require_columns(df, [outcome, *([group] if group else [])], "rate by group")
    y = binary_outcome(df[outcome], outcome)
    if group is None:
        parts = [("all", y)]
    else:
        g = df[group]
        if isinstance(g.dtype, pd.CategoricalDtype):
            levels = list(g.cat.categories)
        else:
            levels = list(pd.unique(g.dropna()))
            try:
                levels = sorted(levels)
            except TypeError:  # mixed types: keep the order of first appearance
                pass
        parts = [(lev, y[g == lev]) for lev in levels if (g == lev).any()]
    rows = []
    for lev, yy in parts:
        k, n = int(yy.sum()), int(len(yy))
        lo, hi = exact_proportion_ci(k, n, level)
        rows.append({"group": str(lev), "n": n, "successes": k, "rate": k / n, "ci_low": lo,
                     "ci_high": hi})
    return pd.DataFrame(rows)


def score_summary(scores: pd.Series, cut: float, level: float = 0.95) -> dict[str, float]:
    """n, mean, standard deviation and share of scores ≥ ``cut`` (exact interval), missing
    scores dropped."""
    v = pd.to_numeric(pd.Series(scores), errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        raise DataError("score summary: no non-missing score")
    k = int((v >= float(cut)).sum())
    lo, hi = exact_proportion_ci(k, v.size, level)
    return {"n": int(v.size), "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else float("nan"), "cut": float(cut),
            "share_at_least_cut": k / v.size, "ci_low": lo, "ci_high": hi}


def crm_type_headlines(win_back: pd.DataFrame, acq_ret: pd.DataFrame, b2b: pd.DataFrame,
                       level: float = 0.95) -> pd.DataFrame:
    """One headline figure per CRM type from the SMCRM teaching data (Kumar & Petersen 2012):

    * prospecting / acquisition: share of prospects acquired (``acquisition``);
    * retention: share of B2B customers still customers when observation ended at 730 days
      (``censor`` = 1; the data's end of observation, not a survival estimate);
    * cross-selling: share of acquired customers buying in ≥ 2 categories (``crossbuy``);
    * win-back: share of lapsed customers re-acquired (``reacquire``).
    Exact intervals. Columns: crm_type, data, measure, count, n, value, ci_low, ci_high.
    """
    for name, df, cols in (("smcrm_win_back", win_back, ["reacquire"]),
                           ("smcrm_acquisition_retention", acq_ret, ["acquisition", "crossbuy"]),
                           ("smcrm_b2b_churn", b2b, ["censor"])):
        require_columns(df, cols, name)
    acquired = acq_ret[acq_ret["acquisition"] == 1]
    items = [
        ("prospecting / acquisition", "smcrm_acquisition_retention", "prospects acquired",
         int(acq_ret["acquisition"].sum()), len(acq_ret)),
        ("retention / loyalty", "smcrm_b2b_churn", "customers still active at 730 days",
         int(b2b["censor"].sum()), len(b2b)),
        ("cross-selling", "smcrm_acquisition_retention",
         "acquired customers buying in >= 2 categories", int((acquired["crossbuy"] >= 2).sum()),
         len(acquired)),
        ("win-back", "smcrm_win_back", "lapsed customers re-acquired",
         int(win_back["reacquire"].sum()), len(win_back)),
    ]
    rows = []
    for typ, data, measure, k, n in items:
        lo, hi = exact_proportion_ci(k, n, level)
        rows.append({"crm_type": typ, "data": data, "measure": measure, "count": k, "n": n,
                     "value": k / n, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


