"""Claims about the customer base: concentration of value, value by tenure, repeat sales and
cross-buying.

* :func:`claim_pareto` — share of value held by the top 20% of customers (001-89).
* :func:`claim_profit_tenure` — value per customer later vs earlier in the relationship
  (001-61).
* :func:`claim_repeat_sales` — share of revenue from repeat purchases (001-63, the analogue of
  Honda's repeat buyers).
* :func:`claim_recommendation_share` — share of revenue from products new to a returning buyer
  (001-46, orientation only: no data say which purchase a recommender prompted).

Intervals: seeded percentile bootstrap over customers (the unit that was sampled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research._checks import require_columns
from crm_research.studies import primer
from crm_research.studies.claims.declarations import (
    NOT_TESTABLE,
    check_boot,
    claim_info,
    claim_row,
    percentile_interval,
    rows_frame,
)

__all__ = ["claim_pareto", "ratio_of_sums_ci", "tenure_value_windows", "claim_profit_tenure",
           "repeat_purchase_value", "claim_repeat_sales", "new_product_value",
           "claim_recommendation_share"]


def claim_pareto(cdnow: pd.DataFrame, retail_log: pd.DataFrame, acq_ret: pd.DataFrame,
                 top: float = 0.2, n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95) -> pd.DataFrame:
    """Share of revenue (CDNOW, Online Retail) and of profit (SMCRM acquired customers) held
    by the top ``top`` of customers (:func:`crm_research.studies.primer.pareto_share_ci`)."""
    check_boot(n_boot, level)
    require_columns(acq_ret, ["acquisition", "profit"], "smcrm_acquisition_retention")
    parts = [
        ("cdnow_master (revenue)", primer.customer_totals(cdnow), False,
         "total spend per customer of the Q1-1997 cohort to June 1998; revenue, not profit"),
        ("online_retail (revenue)", primer.customer_totals(retail_log), False,
         "total spend per identified customer after cleaning (no cancellations, returns, "
         "zero prices); revenue, not profit"),
        ("smcrm_acquisition_retention (profit)",
         acq_ret.loc[acq_ret["acquisition"] == 1, "profit"], True,
         "profit of the acquired B2B customers (illustrative teaching data)"),
    ]
    rows = []
    for name, vals, neg, note in parts:
        r = primer.pareto_share_ci(vals.to_numpy(dtype=float), top, n_boot, seed, level, neg)
        rows.append(claim_row("pareto_80_20", name, r["share"], r["ci_low"], r["ci_high"],
                              f"{note}; {r['customers']} customers; top {top:.0%}; bootstrap "
                              f"{n_boot} (seed {seed})"))
    return rows_frame(rows)


def ratio_of_sums_ci(num: np.ndarray, den: np.ndarray, n_boot: int, seed: int,
                     level: float) -> tuple[float, float, float]:
    """Σnum/Σden over units (customers) with a percentile bootstrap interval (units resampled,
    seeded). Returns (estimate, ci_low, ci_high)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    rng = np.random.default_rng(seed)
    boots = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):
        i = rng.integers(0, num.size, num.size)
        d = den[i].sum()
        if d != 0:
            boots[b] = num[i].sum() / d
    lo, hi = percentile_interval(boots, level)
    return float(num.sum() / den.sum()), lo, hi


def tenure_value_windows(log: pd.DataFrame, window_days: int = 182,
                         include_first_day: bool = True) -> pd.DataFrame:
    """Value per customer in two consecutive tenure windows: days [0, w] and (w, 2w] after the
    customer's first purchase in ``log`` (columns customer_id, date, value). Returns one row per
    customer active in BOTH windows: customer_id, first_window, second_window. With
    ``include_first_day=False`` the first purchase day's value is left out of the first window
    (repeat purchases only)."""
    require_columns(log, ["customer_id", "date", "value"], "transaction log")
    first = log.groupby("customer_id")["date"].transform("min")
    days = (log["date"] - first).dt.days
    lo = 0 if include_first_day else 1
    w1 = log[(days >= lo) & (days <= window_days)].groupby("customer_id")["value"].sum()
    w2 = log[(days > window_days) & (days <= 2 * window_days)].groupby("customer_id")[
        "value"].sum()
    both = w2.index
    return pd.DataFrame({"customer_id": both, "first_window": w1.reindex(both, fill_value=0.0)
                         .to_numpy(dtype=float), "second_window": w2.to_numpy(dtype=float)})


def claim_profit_tenure(cdnow: pd.DataFrame, acq_ret: pd.DataFrame, n_boot: int = 1000,
                        seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Does value per customer rise with tenure? Ratio later / earlier (band [1, ∞)).

    * CDNOW (within customers): among customers buying in both half-years after their first
      purchase, total spend in days 183-364 ÷ total spend in days 0-182 — once including the
      first purchase day, once with repeat purchases only. Revenue, not profit (no costs).
    * SMCRM acquisition data (across customers): mean yearly contribution, (profit + acq_exp)
      ÷ (duration/365.25), of customers with above-median duration ÷ that of the others — a
      cross-section: long-lived customers are other customers, not the same ones grown older.
    """
    check_boot(n_boot, level)
    rows = []
    for incl, label in ((True, "incl. first purchase"), (False, "repeat purchases only")):
        tw = tenure_value_windows(cdnow, 182, incl)
        est, lo, hi = ratio_of_sums_ci(tw["second_window"].to_numpy(),
                                       tw["first_window"].to_numpy(), n_boot, seed, level)
        rows.append(claim_row("profit_rises_with_tenure", f"cdnow_master ({label})", est, lo, hi,
                              f"{len(tw)} customers buying in both half-years after their first "
                              f"purchase; spend in days 183-364 / days 0-182 ({label}); "
                              f"revenue, not profit; bootstrap {n_boot} (seed {seed})"))
    require_columns(acq_ret, ["acquisition", "profit", "acq_exp", "duration"],
                    "smcrm_acquisition_retention")
    a = acq_ret[acq_ret["acquisition"] == 1]
    yearly = ((a["profit"] + a["acq_exp"]) / (a["duration"] / 365.25)).to_numpy(dtype=float)
    long = (a["duration"] > a["duration"].median()).to_numpy()
    rng = np.random.default_rng(seed)
    boots = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):
        i = rng.integers(0, yearly.size, yearly.size)
        lg = long[i]
        if lg.any() and (~lg).any():
            boots[b] = yearly[i][lg].mean() / yearly[i][~lg].mean()
    lo, hi = percentile_interval(boots, level)
    rows.append(claim_row("profit_rises_with_tenure", "smcrm_acquisition_retention (cross-section)",
                          yearly[long].mean() / yearly[~long].mean(), lo, hi,
                          f"mean yearly contribution of the {int(long.sum())} customers with "
                          f"duration above the median / of the other {int((~long).sum())}; "
                          f"across customers, not within; bootstrap {n_boot} (seed {seed})"))
    return rows_frame(rows)


def repeat_purchase_value(log: pd.DataFrame) -> pd.DataFrame:
    """Per customer: total value and the value bought after the first purchase DAY in ``log``
    (columns customer_id, date, value). Columns customer_id, total, repeat."""
    require_columns(log, ["customer_id", "date", "value"], "transaction log")
    day = log["date"].dt.normalize()
    rep = day > day.groupby(log["customer_id"]).transform("min")
    out = pd.DataFrame({"customer_id": log["customer_id"], "total": log["value"],
                        "repeat": log["value"].where(rep, 0.0)})
    return out.groupby("customer_id", sort=True)[["total", "repeat"]].sum().reset_index()


def claim_repeat_sales(cdnow: pd.DataFrame, retail_log: pd.DataFrame, n_boot: int = 1000,
                       seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Share of revenue from repeat purchases (after a customer's first purchase day),
    CDNOW (a cohort of first-time buyers, so every first purchase is in the data) and Online
    Retail (left-censored: purchases before December 2010 are unseen, so the share is a lower
    bound). Bootstrap over customers."""
    check_boot(n_boot, level)
    rows = []
    for name, log, note in (
            ("cdnow_master", cdnow, "cohort of first-time buyers (Q1 1997) followed 18 months"),
            ("online_retail", retail_log, "Dec 2010 - Dec 2011; earlier purchases unseen, so a "
                                          "lower bound")):
        rp = repeat_purchase_value(log)
        est, lo, hi = ratio_of_sums_ci(rp["repeat"].to_numpy(), rp["total"].to_numpy(), n_boot,
                                       seed, level)
        rows.append(claim_row("repeat_sales_65pct", name, est, lo, hi,
                              f"{note}; {len(rp)} customers; analogue of the company figure, "
                              f"not a recheck of it; bootstrap {n_boot} (seed {seed})"))
    return rows_frame(rows)


def new_product_value(raw_retail: pd.DataFrame) -> pd.DataFrame:
    """Per customer of the raw Online Retail lines (kept as in
    :func:`crm_research.data.transactions.clean_online_retail`: customer id present, no
    cancellation, quantity and unit price > 0): total value and the value of lines, in
    invoices after the customer's first invoice, of products (``stock_code``) the customer had
    not bought in an earlier invoice. Columns customer_id, total, new_product."""
    require_columns(raw_retail, ["invoice", "stock_code", "quantity", "unit_price",
                                 "customer_id", "invoice_date"], "online_retail")
    df = raw_retail[raw_retail["customer_id"].notna()
                    & ~raw_retail["invoice"].astype(str).str.upper().str.startswith("C")
                    & (raw_retail["quantity"] > 0) & (raw_retail["unit_price"] > 0)]
    df = pd.DataFrame({"customer_id": df["customer_id"].astype("int64").to_numpy(),
                       "invoice": df["invoice"].astype(str).to_numpy(),
                       "date": pd.to_datetime(df["invoice_date"]).to_numpy(),
                       "item": df["stock_code"].astype(str).to_numpy(),
                       "value": (df["quantity"] * df["unit_price"]).astype(float).to_numpy()})
    inv_date = df.groupby("invoice")["date"].transform("min")
    df = df.assign(inv_date=inv_date)
    first_inv = df.groupby("customer_id")["inv_date"].transform("min")
    item_first = df.groupby(["customer_id", "item"])["inv_date"].transform("min")
    new = (df["inv_date"] > first_inv) & (df["inv_date"] == item_first)
    out = pd.DataFrame({"customer_id": df["customer_id"], "total": df["value"],
                        "new_product": df["value"].where(new, 0.0)})
    return out.groupby("customer_id", sort=True)[["total", "new_product"]].sum().reset_index()


def claim_recommendation_share(raw_retail: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                               level: float = 0.95) -> pd.DataFrame:
    """Recommendations bring 10-30% of online revenue: NOT testable (no data say which order
    line a recommendation prompted). Orientation: the share of Online Retail revenue from
    products new to a returning buyer (:func:`new_product_value`), the cross-buying a
    recommender could at most have prompted among repeat purchases."""
    check_boot(n_boot, level)
    nv = new_product_value(raw_retail)
    est, lo, hi = ratio_of_sums_ci(nv["new_product"].to_numpy(), nv["total"].to_numpy(),
                                   n_boot, seed, level)
    info = claim_info("recommendations_10_30pct")
    return rows_frame([claim_row(
        "recommendations_10_30pct", "online_retail (orientation only)", est, lo, hi,
        f"share of revenue from products a customer had not bought in an earlier invoice, in "
        f"invoices after the first; {len(nv)} customers; bootstrap {n_boot} (seed {seed}). "
        f"{info['reason']}. Would test it: {info['would_test']}", verdict=NOT_TESTABLE)])
