"""Claims about retention, churn and the cost of acquisition vs retention.

* :func:`claim_retention_profit` — 5 points more retention → % change in CLV / customer profit
  (claims 001-60 and 001-85, each against its own band).
* :func:`claim_acquisition_vs_retention_cost` — acquisition cost ÷ retention cost (001-58,
  001-106).
* :func:`claim_annual_churn` (001-59, all data sets) and :func:`claim_contract_churn` (001-53,
  contractual data only) — share of customers lost in a year.

Intervals: exact (Clopper-Pearson) for proportions, Greenwood (Kaplan-Meier, log-log) for
survival, seeded percentile bootstrap otherwise; a formula of an interval's ends maps the
interval through it (the range over the interval for non-monotone maps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from crm_research._checks import require_columns
from crm_research.churn.survival import kaplan_meier
from crm_research.errors import DataError
from crm_research.studies import primer
from crm_research.studies.claims.declarations import (
    check_boot,
    claim_info,
    claim_row,
    percentile_interval,
    rows_frame,
    verdict_from_interval,
)

__all__ = ["DAYS_PER_YEAR", "CDNOW_WINDOW", "ONLINE_RETAIL_WINDOW",
           "smcrm_margin_and_acquisition_cost", "annual_churn_estimates", "retention_baselines",
           "claim_retention_profit", "retention_uplift_sensitivity",
           "claim_acquisition_vs_retention_cost", "claim_annual_churn", "claim_contract_churn"]

DAYS_PER_YEAR = 365.25

# Observation windows of the inactivity (lapse) proxies, documented in annual_churn_estimates.
CDNOW_WINDOW = ("1997-01-01", "1997-06-30", "1998-06-30")
ONLINE_RETAIL_WINDOW = ("2010-12-01", "2010-12-31", "2011-12-09")


def smcrm_margin_and_acquisition_cost(acq_ret: pd.DataFrame) -> dict[str, float]:
    """Annual margin and acquisition cost per acquired customer, SMCRM acquisition data.

    * acquisition cost per acquired customer = Σ acq_exp over ALL prospects / number acquired
      (the spend on prospects who were not won is part of the cost of winning the others);
    * annual margin = mean over acquired customers of (profit + acq_exp) / (duration/365.25):
      the recorded ``profit`` is net of acquisition spend (for prospects not acquired it equals
      −acq_exp exactly), so adding acq_exp back gives the relationship's contribution, spread
      over its duration in years;
    * retention spend per customer-year = Σ ret_exp / Σ duration/365.25 over acquired customers,
      and per relationship = mean ret_exp over acquired customers.
    """
    require_columns(acq_ret, ["acquisition", "acq_exp", "ret_exp", "profit", "duration"],
          "smcrm_acquisition_retention")
    acq = acq_ret["acquisition"].to_numpy() == 1
    if acq.sum() == 0:
        raise DataError("smcrm_acquisition_retention: no acquired customer (acquisition == 1)")
    dur_years = acq_ret.loc[acq, "duration"].to_numpy(dtype=float) / DAYS_PER_YEAR
    if np.any(dur_years <= 0):
        raise DataError("smcrm_acquisition_retention: an acquired customer has duration <= 0")
    contrib = acq_ret.loc[acq, "profit"].to_numpy(dtype=float) + \
        acq_ret.loc[acq, "acq_exp"].to_numpy(dtype=float)
    ret = acq_ret.loc[acq, "ret_exp"].to_numpy(dtype=float)
    return {"prospects": int(len(acq_ret)), "acquired": int(acq.sum()),
            "acquisition_cost": float(acq_ret["acq_exp"].sum() / acq.sum()),
            "annual_margin": float(np.mean(contrib / dur_years)),
            "retention_cost_per_year": float(ret.sum() / dur_years.sum()),
            "retention_cost_per_relationship": float(ret.mean())}


def _km_survival(b2b: pd.DataFrame, *days: float) -> list[tuple[float, float, float]]:
    """(survival, ci_low, ci_high) of the SMCRM B2B Kaplan-Meier curve at each of ``days``."""
    require_columns(b2b, ["duration", "censor"], "smcrm_b2b_churn")
    km = kaplan_meier(b2b, "duration", censor="censor")
    return [(float(r["survival"]), float(r["ci_low"]), float(r["ci_high"]))
            for _, r in km.survival_at(days).iterrows()]


def annual_churn_estimates(b2b: pd.DataFrame, telco: pd.DataFrame, cdnow: pd.DataFrame,
                           retail_log: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Annual churn by data set (columns data_used, estimate, ci_low, ci_high, note).

    * SMCRM B2B (contractual): 1 − Kaplan-Meier S(365 days), Greenwood log-log interval; and
      the second-year churn 1 − S(730)/S(365) (point estimate and interval from the interval
      ends of S(730) over S(365), a conservative approximation).
    * Telco (contractual): ``churn`` = left within the last month; monthly churn = churned /
      customers with tenure ≥ 1 month (those at the start of the month), annualised
      1 − (1 − c)^12; exact interval mapped through the same monotone function.
    * CDNOW and Online Retail (non-contractual; churn is not observed): share of the customers
      who bought in a base window with no purchase in the following ~12 months
      (:data:`CDNOW_WINDOW`, :data:`ONLINE_RETAIL_WINDOW`), exact interval.
    """
    rows = []
    (s1, l1, h1), (s2, l2, h2) = _km_survival(b2b, 365, 730)
    rows.append({"data_used": "smcrm_b2b_churn (year 1)", "estimate": 1 - s1, "ci_low": 1 - h1,
                 "ci_high": 1 - l1,
                 "note": "1 - Kaplan-Meier survival at 365 days (contractual B2B data)"})
    rows.append({"data_used": "smcrm_b2b_churn (year 2)", "estimate": 1 - s2 / s1,
                 "ci_low": 1 - min(1.0, h2 / l1), "ci_high": 1 - l2 / h1,
                 "note": "1 - S(730)/S(365): churn in the second year among those still there "
                         "after one year; interval from the ends of both survival intervals"})
    require_columns(telco, ["churn", "tenure"], "telco_churn")
    cr = primer.snapshot_churn_rate(telco, "churn", "tenure", 1, level)
    ann = [primer.annualise_churn(cr[k], 12) for k in ("rate", "ci_low", "ci_high")]
    rows.append({"data_used": "telco_churn", "estimate": ann[0], "ci_low": ann[1],
                 "ci_high": ann[2],
                 "note": f"monthly churn {cr['rate']:.3f} ({cr['churned']} of "
                         f"{cr['n']} customers with tenure >= 1 left last month), "
                         "annualised as 1-(1-c)^12; IBM's sample data, not a firm's books"})
    for name, log, win in (("cdnow_master", cdnow, CDNOW_WINDOW),
                           ("online_retail", retail_log, ONLINE_RETAIL_WINDOW)):
        ls = primer.lapse_share(log, *win, level=level)
        rows.append({"data_used": name, "estimate": ls["lapse_share"], "ci_low": ls["ci_low"],
                     "ci_high": ls["ci_high"],
                     "note": f"inactivity proxy: of {ls['base_customers']} customers buying "
                             f"{win[0]}..{win[1]}, share with no purchase in the next "
                             f"{ls['followup_days']} days (non-contractual: a lapsed customer "
                             "may come back, so this is not churn proper)"})
    return pd.DataFrame(rows)


def retention_baselines(b2b: pd.DataFrame, fader_hardie: pd.DataFrame, cdnow: pd.DataFrame,
                        retail_log: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Annual retention rates r (with interval) that the retention claim starts from.

    * SMCRM B2B: Kaplan-Meier S(365);
    * Fader & Hardie (2007) regular / high-end: mean annual retention over the 7 fitted years,
      (S7/S0)^(1/7), exact binomial interval of S7 out of S0 = 1,000 mapped through it;
    * CDNOW / Online Retail: 1 − inactivity share (see :func:`annual_churn_estimates`).
    """
    rows = []
    ((s, lo, hi),) = _km_survival(b2b, 365)
    rows.append({"data_used": "smcrm_b2b_churn", "retention": s, "ci_low": lo, "ci_high": hi})
    require_columns(fader_hardie, ["year", "regular", "high_end"], "fader_hardie_retention")
    fh = fader_hardie.set_index("year")
    if 0 not in fh.index or 7 not in fh.index:
        raise DataError("fader_hardie_retention: needs years 0 and 7")
    for seg in ("regular", "high_end"):
        n0, n7 = int(fh.loc[0, seg]), int(fh.loc[7, seg])
        p_lo, p_hi = primer.exact_proportion_ci(n7, n0, level)
        rows.append({"data_used": f"fader_hardie_retention ({seg})",
                     "retention": (n7 / n0) ** (1 / 7), "ci_low": p_lo ** (1 / 7),
                     "ci_high": p_hi ** (1 / 7)})
    for name, log, win in (("cdnow_master", cdnow, CDNOW_WINDOW),
                           ("online_retail", retail_log, ONLINE_RETAIL_WINDOW)):
        ls = primer.lapse_share(log, *win, level=level)
        rows.append({"data_used": name, "retention": 1 - float(ls["lapse_share"]),
                     "ci_low": 1 - float(ls["ci_high"]), "ci_high": 1 - float(ls["ci_low"])})
    return pd.DataFrame(rows)


def _range_over(f: Callable[[float], float], lo: float, hi: float, n: int = 201
                ) -> tuple[float, float]:
    vals = np.array([f(x) for x in np.linspace(lo, hi, n)])
    return float(np.nanmin(vals)), float(np.nanmax(vals))


# --------------------------------------------------------------------------- the claims

def claim_retention_profit(b2b: pd.DataFrame, acq_ret: pd.DataFrame,
                           fader_hardie: pd.DataFrame, cdnow: pd.DataFrame,
                           retail_log: pd.DataFrame, delta: float = 0.05,
                           discount_rate: float = 0.10, timing: str = "end",
                           level: float = 0.95,
                           claim_id: str = "churn_cut_profit_25_85") -> pd.DataFrame:
    """5 points more retention → % change in CLV (and in customer profit), verdicts against
    the band of ``claim_id`` ("churn_cut_profit_25_85", 001-60, or "retention_value_95pct",
    001-85: the same computation, two claims with different bands).

    For each baseline annual retention r of :func:`retention_baselines`, the % change of the
    infinite-horizon retention CLV (:func:`crm_research.clv.retention.retention_clv`, ``timing``)
    when r rises to r + ``delta``. With constant margin the margin cancels: the change is
    100·δ(1+d)/(r(1+d−r−δ)) for end timing. One more row adds the acquisition cost (SMCRM
    acquisition data: margin and cost from :func:`smcrm_margin_and_acquisition_cost`, retention
    from the SMCRM B2B survival) and reports the % change in profit = CLV − acquisition cost.
    Intervals: the range of the % change over the retention interval.
    """
    cid = claim_info(claim_id)["id"]
    base = retention_baselines(b2b, fader_hardie, cdnow, retail_log, level)
    rows = []

    def pct(r: float) -> float:
        return primer.retention_uplift(1.0, r, delta, discount_rate, timing=timing)[
            "clv_change_pct"]

    for _, b in base.iterrows():
        lo, hi = _range_over(pct, b["ci_low"], b["ci_high"])
        rows.append(claim_row(cid, b["data_used"], pct(b["retention"]), lo, hi,
                         f"CLV change, baseline retention {b['retention']:.3f} -> "
                         f"{b['retention'] + delta:.3f}, discount rate {discount_rate:g}, "
                         f"{timing}-of-period margins; margin cancels out"))
    econ = smcrm_margin_and_acquisition_cost(acq_ret)
    r, rlo, rhi = base.iloc[0][["retention", "ci_low", "ci_high"]]

    def profit_pct(rr: float) -> float:
        return primer.retention_uplift(econ["annual_margin"], rr, delta, discount_rate,
                                       econ["acquisition_cost"], timing=timing)[
            "profit_change_pct"]

    lo, hi = _range_over(profit_pct, rlo, rhi)
    rows.append(claim_row(cid, "smcrm_acquisition_retention + smcrm_b2b_churn",
                          profit_pct(r), lo, hi,
                          f"profit (CLV - acquisition cost) change: annual margin "
                     f"{econ['annual_margin']:.0f}, acquisition cost per acquired customer "
                     f"{econ['acquisition_cost']:.0f}, retention {r:.3f} (two different SMCRM "
                     "samples combined); acquisition cost makes the % change larger"))
    return rows_frame(rows)


def retention_uplift_sensitivity(baselines: pd.DataFrame, delta: float = 0.05,
                                 discount_rates: Sequence[float] = (0.05, 0.10, 0.15),
                                 timings: Sequence[str] = ("end", "start"),
                                 claim_ids: Sequence[str] = ("churn_cut_profit_25_85",
                                                             "retention_value_95pct"),
                                 ) -> pd.DataFrame:
    """% change of CLV for retention + ``delta`` at each baseline retention (a
    :func:`retention_baselines` table) under several discount rates and timing conventions,
    with the verdict of each point against the band of each claim in ``claim_ids`` (one column
    ``verdict_<inventory id>`` per claim). Columns: data_used, retention, discount_rate, timing,
    clv_change_pct, verdict columns."""
    require_columns(baselines, ["data_used", "retention"], "retention baselines")
    bands = {f"verdict_{claim_info(c)['inventory_id']}": claim_info(c)["band"] for c in claim_ids}
    rows = []
    for _, b in baselines.iterrows():
        for d in discount_rates:
            for tm in timings:
                pct = primer.retention_uplift(1.0, b["retention"], delta, d, timing=tm)[
                    "clv_change_pct"]
                rows.append({"data_used": b["data_used"], "retention": float(b["retention"]),
                             "discount_rate": float(d), "timing": tm, "clv_change_pct": pct,
                             **{k: verdict_from_interval(pct, pct, band)
                                for k, band in bands.items()}})
    return pd.DataFrame(rows)


def claim_acquisition_vs_retention_cost(acq_ret: pd.DataFrame, n_boot: int = 1000,
                                        seed: int = 0, level: float = 0.95,
                                        claim_id: str = "acquisition_cost_5x") -> pd.DataFrame:
    """Cost of acquiring one customer ÷ cost of retaining one (SMCRM acquisition data), against
    the band of ``claim_id`` ("acquisition_cost_5x", 001-58, or
    "acquisition_34_vs_retention_6_8", 001-106: the texts' $34 vs $6.8 is the same 5:1 ratio;
    the SMCRM costs are in the data's own units, so only the ratio is compared).

    Two readings of 'retaining one customer': for a year (retention spend per customer-year)
    and for the whole observed relationship (mean retention spend per acquired customer).
    Percentile bootstrap over prospects (seeded).
    """
    cid = claim_info(claim_id)["id"]
    check_boot(n_boot, level)
    econ = smcrm_margin_and_acquisition_cost(acq_ret)
    est = {"year": econ["acquisition_cost"] / econ["retention_cost_per_year"],
           "relationship": econ["acquisition_cost"] / econ["retention_cost_per_relationship"]}
    acq = acq_ret["acquisition"].to_numpy() == 1
    a_exp = acq_ret["acq_exp"].to_numpy(dtype=float)
    r_exp = np.where(acq, acq_ret["ret_exp"].to_numpy(dtype=float), 0.0)
    yrs = np.where(acq, acq_ret["duration"].to_numpy(dtype=float) / DAYS_PER_YEAR, 0.0)
    rng = np.random.default_rng(seed)
    n = len(acq_ret)
    boots = np.full((int(n_boot), 2), np.nan)
    for b in range(int(n_boot)):
        i = rng.integers(0, n, n)
        k = acq[i].sum()
        if k == 0:
            continue
        ac = a_exp[i].sum() / k
        boots[b] = (ac / (r_exp[i].sum() / yrs[i].sum()), ac / (r_exp[i].sum() / k))
    rows = []
    for j, (key, label, cost) in enumerate((
            ("year", "per customer-year", econ["retention_cost_per_year"]),
            ("relationship", "per whole relationship", econ["retention_cost_per_relationship"]))):
        lo, hi = percentile_interval(boots[:, j], level)
        rows.append(claim_row(cid, f"smcrm_acquisition_retention ({label})", est[key], lo, hi,
                         f"acquisition cost per acquired customer {econ['acquisition_cost']:.1f} "
                         f"(all prospects' spend / {econ['acquired']} acquired) vs retention "
                         f"spend {label} {cost:.1f}; bootstrap {n_boot} (seed {seed})"))
    return rows_frame(rows)


def claim_annual_churn(b2b: pd.DataFrame, telco: pd.DataFrame, cdnow: pd.DataFrame,
                       retail_log: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of customers lost in a year, per data set (:func:`annual_churn_estimates`)."""
    est = annual_churn_estimates(b2b, telco, cdnow, retail_log, level)
    return rows_frame([claim_row("annual_churn_10pct", e["data_used"], e["estimate"],
                                 e["ci_low"], e["ci_high"], e["note"])
                       for _, e in est.iterrows()])


def claim_contract_churn(b2b: pd.DataFrame, telco: pd.DataFrame, cdnow: pd.DataFrame,
                         retail_log: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Cable-TV's 25% a year (001-53) against the annual churn of the CONTRACTUAL data sets of
    :func:`annual_churn_estimates` (SMCRM B2B years 1 and 2, Telco): subscriptions, like cable
    TV, where the firm sees a customer leave. The purchase-log inactivity proxies are left out."""
    est = annual_churn_estimates(b2b, telco, cdnow, retail_log, level)
    est = est[est["data_used"].str.startswith(("smcrm_b2b_churn", "telco_churn"))]
    return rows_frame([claim_row("cable_churn_25pct", e["data_used"], e["estimate"],
                                 e["ci_low"], e["ci_high"], e["note"])
                       for _, e in est.iterrows()])


