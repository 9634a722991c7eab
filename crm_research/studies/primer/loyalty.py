"""Attitudinal and behavioural loyalty (Dick & Basu 1994, J. Academy of Marketing Science
22(2):99-113: "relative attitude" × "repeat patronage"; cells true, latent, spurious, no
loyalty). Attitudinal loyalty = mean loyalty-item score rescaled to 0-100; behavioural loyalty
= share of customers with ≥ 2 purchase days.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError
from crm_research.studies.primer.args import number
from crm_research.studies.primer.rates import exact_proportion_ci

# --------------------------------------------------------------------------- loyalty

def attitudinal_loyalty(items: pd.DataFrame, scale_min: float, scale_max: float) -> pd.Series:
    """Per-respondent attitudinal loyalty: mean of the loyalty items rescaled to 0-100,
    100·(mean − scale_min)/(scale_max − scale_min). Rows with a missing item are NaN."""
    lo = number(scale_min, "scale_min")
    hi = number(scale_max, "scale_max")
    if hi <= lo:
        raise ParameterError(f"scale_max ({hi}) must exceed scale_min ({lo})")
    if items.shape[1] == 0:
        raise DataError("attitudinal loyalty: no item columns given")
    x = items.apply(pd.to_numeric, errors="coerce")
    bad = (x < lo) | (x > hi)
    if bad.any().any():
        col = bad.any().idxmax()
        raise DataError(f"attitudinal loyalty: column {col!r} has values outside "
                        f"[{lo:g}, {hi:g}]")
    return 100.0 * (x.mean(axis=1, skipna=False) - lo) / (hi - lo)


def repeat_buyer_share(log: pd.DataFrame, customer_col: str = "customer_id",
                       date_col: str = "date", level: float = 0.95) -> dict[str, float]:
    """Behavioural loyalty of a transaction log: share of customers with ≥ 2 distinct purchase
    days (exact interval) and the mean number of purchase days per customer (purchase days =
    the occasions of :func:`crm_research.data.transactions.summarize_transactions`, frequency + 1).
    """
    from crm_research.data.transactions import summarize_transactions

    summary = summarize_transactions(log, customer_col, date_col, value_col=None)
    per = summary["frequency"] + 1
    rep = int((per >= 2).sum())
    lo, hi = exact_proportion_ci(rep, int(per.size), level)
    return {"customers": int(per.size), "repeat_buyers": rep, "repeat_share": rep / per.size,
            "ci_low": lo, "ci_high": hi, "mean_purchase_days": float(per.mean())}


def repeat_buyer_table(logs: Mapping[str, pd.DataFrame], level: float = 0.95) -> pd.DataFrame:
    """:func:`repeat_buyer_share` of each named transaction log (column ``data`` first)."""
    return pd.DataFrame([{"data": name, **repeat_buyer_share(log, level=level)}
                         for name, log in logs.items()])


def dick_basu_segments(attitude: object, behaviour: object, attitude_cut: float,
                       behaviour_cut: float) -> pd.Series:
    """Dick & Basu (1994) cells: high/low attitude (≥ cut) × high/low repeat patronage:
    'true loyalty' (high, high), 'latent loyalty' (high attitude, low behaviour),
    'spurious loyalty' (low attitude, high behaviour), 'no loyalty' (low, low)."""
    try:
        a = np.asarray(attitude, dtype=float)
        b = np.asarray(behaviour, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError("attitude and behaviour must be numbers (missing as NaN)") from exc
    attitude_cut = number(attitude_cut, "attitude_cut")
    behaviour_cut = number(behaviour_cut, "behaviour_cut")
    if a.shape != b.shape:
        raise DataError(f"attitude ({a.shape}) and behaviour ({b.shape}) differ in length")
    ha, hb = a >= attitude_cut, b >= behaviour_cut
    lab = np.where(ha & hb, "true loyalty", np.where(ha, "latent loyalty",
                   np.where(hb, "spurious loyalty", "no loyalty")))
    lab = lab.astype(object)
    lab[np.isnan(a) | np.isnan(b)] = None
    return pd.Series(pd.Categorical(lab, categories=["true loyalty", "latent loyalty",
                                                     "spurious loyalty", "no loyalty"]))


