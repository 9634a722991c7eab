"""Claims audit: quantitative claims of the CRM source texts tested on the bundled data.

The claims, their origin, the band of values that counts as agreeing with each claim and the
verdict rules are declared in the package file ``claims.yaml`` (read by :func:`load_claims`).
Each testable claim has one function ``claim_*`` that takes the data frames it needs (as
returned by :func:`crm_research.data.datasets.load`) and returns rows with the columns of
:data:`ROW_COLUMNS`:

``claim_id, claim, source, data_used, estimate, ci_low, ci_high, unit, band_low, band_high,
verdict, note``

Verdict rules (also in ``claims.yaml``; :func:`verdict_from_interval`): *supported* if the
estimate's interval lies inside the claim's band; *contradicted* if it lies entirely outside;
*depends* if it straddles a band edge, or if data sets / assumptions disagree (overall verdict
of a claim, :func:`combine_verdicts`); *not testable with these data* if no bundled data set
measures the quantity. Intervals are exact (Clopper-Pearson) for proportions, Greenwood
(Kaplan-Meier, log-log transform) for survival, seeded percentile bootstrap otherwise; a number
computed from a formula without sampling error is its own interval.

:func:`audit_claims` runs every claim; it gets the data through a ``loader`` (default
:func:`crm_research.data.datasets.load`), so the claim functions themselves do no I/O.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import yaml

from crm_research.churn.survival import kaplan_meier
from crm_research.data.transactions import clean_online_retail
from crm_research.errors import DataError, EstimationError, ParameterError, SpecError
from crm_research.studies import primer
from crm_research.studies.channel_economics import CHANNELS, CLAIMED_COST_PER_CONTACT
from crm_research.studies.primer import _integer, _need

__all__ = [
    "VERDICTS", "ROW_COLUMNS", "load_claims", "claim_info", "verdict_rules",
    "verdict_from_interval", "combine_verdicts",
    "claim_retention_profit", "claim_acquisition_vs_retention_cost", "claim_annual_churn",
    "claim_pareto", "claim_winback_timing", "claim_discount_acquired_value",
    "claim_self_service_cost", "smcrm_margin_and_acquisition_cost", "annual_churn_estimates",
    "retention_baselines", "winback_rate_ratio", "audit_claims", "claims_summary",
    "retention_uplift_sensitivity",
    "DATASETS_NEEDED",
]

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
DEPENDS = "depends"
NOT_TESTABLE = "not testable with these data"
VERDICTS: tuple[str, ...] = (SUPPORTED, CONTRADICTED, DEPENDS, NOT_TESTABLE)

ROW_COLUMNS: list[str] = ["claim_id", "claim", "source", "data_used", "estimate", "ci_low",
                          "ci_high", "unit", "band_low", "band_high", "verdict", "note"]

#: Bundled data sets :func:`audit_claims` loads.
DATASETS_NEEDED: tuple[str, ...] = (
    "smcrm_b2b_churn", "smcrm_acquisition_retention", "smcrm_win_back",
    "fader_hardie_retention", "telco_churn", "cdnow_master", "online_retail")

DAYS_PER_YEAR = 365.25

# Observation windows of the inactivity (lapse) proxies, documented in claim_annual_churn.
CDNOW_WINDOW = ("1997-01-01", "1997-06-30", "1998-06-30")
ONLINE_RETAIL_WINDOW = ("2010-12-01", "2010-12-31", "2011-12-09")


# --------------------------------------------------------------------------- declarations

@cache
def _claims_file() -> dict[str, Any]:
    res = resources.files("crm_research.studies").joinpath("claims.yaml")
    text = res.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"crm_research/claims.yaml is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "claims" not in data or "verdict_rules" not in data:
        raise SpecError("crm_research/claims.yaml must have 'verdict_rules' and 'claims'")
    for c in data["claims"]:
        miss = [k for k in ("id", "claim", "source", "function", "unit", "band", "would_test")
                if k not in c]
        if miss:
            raise SpecError(f"claims.yaml: claim {c.get('id')!r} lacks {miss}")
        band = c["band"]
        if band is not None and (len(band) != 2 or not float(band[0]) < float(band[1])):
            raise SpecError(f"claims.yaml: claim {c['id']!r} band must be [low, high], got {band}")
        # YAML block text on one line, once, for every table that shows it
        c["source"] = " ".join(c["source"].split())
        c["would_test"] = " ".join(c["would_test"].split())
    return data


def load_claims() -> pd.DataFrame:
    """The declared claims: id, claim, source, function, unit, band_low, band_high,
    band_rule, would_test."""
    rows = []
    for c in _claims_file()["claims"]:
        band = c["band"] or [math.nan, math.nan]
        rows.append({"id": c["id"], "claim": c["claim"], "source": c["source"],
                     "function": c["function"], "unit": c["unit"], "band_low": float(band[0]),
                     "band_high": float(band[1]), "band_rule": c.get("band_rule", ""),
                     "would_test": c["would_test"]})
    return pd.DataFrame(rows)


def claim_info(claim_id: str) -> dict[str, Any]:
    """Declaration of one claim (unknown id → SpecError listing the known ones)."""
    for c in _claims_file()["claims"]:
        if c["id"] == claim_id:
            return c
    known = [c["id"] for c in _claims_file()["claims"]]
    raise SpecError(f"unknown claim {claim_id!r}; known: {known}")


def verdict_rules() -> pd.DataFrame:
    """The verdict rules and band rules of claims.yaml as a table (kind, name, rule)."""
    data = _claims_file()
    rows = [{"kind": "verdict", "name": k, "rule": " ".join(v.split())}
            for k, v in data["verdict_rules"].items()]
    rows += [{"kind": "band", "name": k, "rule": " ".join(v.split())}
             for k, v in data.get("band_rules", {}).items()]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- verdicts

def verdict_from_interval(low: float, high: float, band: Sequence[float] | None,
                          tol: float = 1e-9) -> str:
    """Verdict of one estimate interval [low, high] against the claim's band (module rules).

    The band edges are widened by ``tol`` × max(1, |edge|) so that a value equal to an edge up
    to rounding (e.g. 25.000000000000004 for a 25% edge) counts as on the edge."""
    if band is None:
        return NOT_TESTABLE
    b0, b1 = float(band[0]), float(band[1])
    b0 -= tol * max(1.0, abs(b0))
    b1 += tol * max(1.0, abs(b1))
    lo, hi = float(low), float(high)
    if math.isnan(lo) or math.isnan(hi):
        raise EstimationError("verdict: the estimate's interval is undefined (NaN)")
    if lo > hi:
        lo, hi = hi, lo
    if b0 <= lo and hi <= b1:
        return SUPPORTED
    if hi < b0 or lo > b1:
        return CONTRADICTED
    return DEPENDS


def combine_verdicts(verdicts: Sequence[str]) -> str:
    """Overall verdict of a claim tested several ways: the common verdict, else 'depends'."""
    vs = list(verdicts)
    if not vs:
        raise ParameterError("combine_verdicts: no verdicts given")
    bad = [v for v in vs if v not in VERDICTS]
    if bad:
        raise ParameterError(f"unknown verdict(s) {bad}; expected one of {list(VERDICTS)}")
    return vs[0] if all(v == vs[0] for v in vs) else DEPENDS


def _row(claim_id: str, data_used: str, estimate: float, ci_low: float, ci_high: float,
         note: str, verdict: str | None = None) -> dict[str, Any]:
    c = claim_info(claim_id)
    band = c["band"]
    if verdict is None:
        verdict = verdict_from_interval(ci_low, ci_high, band)
    return {"claim_id": claim_id, "claim": c["claim"], "source": c["source"],
            "data_used": data_used, "estimate": float(estimate), "ci_low": float(ci_low),
            "ci_high": float(ci_high), "unit": c["unit"],
            "band_low": float(band[0]) if band else math.nan,
            "band_high": float(band[1]) if band else math.nan, "verdict": verdict,
            "note": note}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def _check_boot(n_boot: int, level: float) -> None:
    _integer(n_boot, "n_boot", 1, "a positive integer")
    if not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}")


def _percentile(boots: np.ndarray, level: float) -> tuple[float, float]:
    b = boots[np.isfinite(boots)]
    if b.size == 0:
        raise EstimationError("bootstrap: no finite replicate")
    lo, hi = np.quantile(b, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- shared estimates

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
    _need(acq_ret, ["acquisition", "acq_exp", "ret_exp", "profit", "duration"],
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
    _need(b2b, ["duration", "censor"], "smcrm_b2b_churn")
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
    _need(telco, ["churn", "tenure"], "telco_churn")
    cr = primer.snapshot_churn_rate(telco, "churn", "tenure", 1, level)
    ann = [primer.annualise_churn(cr[k], 12) for k in ("churn_rate", "ci_low", "ci_high")]
    rows.append({"data_used": "telco_churn", "estimate": ann[0], "ci_low": ann[1],
                 "ci_high": ann[2],
                 "note": f"monthly churn {cr['churn_rate']:.3f} ({cr['lost']} of "
                         f"{cr['at_start']} customers with tenure >= 1 left last month), "
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
    _need(fader_hardie, ["year", "regular", "high_end"], "fader_hardie_retention")
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
        rows.append({"data_used": name, "retention": 1 - ls["lapse_share"],
                     "ci_low": 1 - ls["ci_high"], "ci_high": 1 - ls["ci_low"]})
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
                           level: float = 0.95) -> pd.DataFrame:
    """5 points more retention → % change in CLV (and in customer profit).

    For each baseline annual retention r of :func:`retention_baselines`, the % change of the
    infinite-horizon retention CLV (:func:`crm_research.studies.primer.retention_clv`, ``timing``)
    when r rises to r + ``delta``. With constant margin the margin cancels: the change is
    100·δ(1+d)/(r(1+d−r−δ)) for end timing. One more row adds the acquisition cost (SMCRM
    acquisition data: margin and cost from :func:`smcrm_margin_and_acquisition_cost`, retention
    from the SMCRM B2B survival) and reports the % change in profit = CLV − acquisition cost.
    Intervals: the range of the % change over the retention interval.
    """
    cid = "retention_profit"
    base = retention_baselines(b2b, fader_hardie, cdnow, retail_log, level)
    rows = []

    def pct(r: float) -> float:
        return primer.retention_uplift(1.0, r, delta, discount_rate, timing=timing)[
            "clv_change_pct"]

    for _, b in base.iterrows():
        lo, hi = _range_over(pct, b["ci_low"], b["ci_high"])
        rows.append(_row(cid, b["data_used"], pct(b["retention"]), lo, hi,
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
    rows.append(_row(cid, "smcrm_acquisition_retention + smcrm_b2b_churn", profit_pct(r), lo, hi,
                     f"profit (CLV - acquisition cost) change: annual margin "
                     f"{econ['annual_margin']:.0f}, acquisition cost per acquired customer "
                     f"{econ['acquisition_cost']:.0f}, retention {r:.3f} (two different SMCRM "
                     "samples combined); acquisition cost makes the % change larger"))
    return _frame(rows)


def retention_uplift_sensitivity(baselines: pd.DataFrame, delta: float = 0.05,
                                 discount_rates: Sequence[float] = (0.05, 0.10, 0.15),
                                 timings: Sequence[str] = ("end", "start")) -> pd.DataFrame:
    """% change of CLV for retention + ``delta`` at each baseline retention (a
    :func:`retention_baselines` table) under several discount rates and timing conventions,
    with the verdict of each point against the claim's band. Columns: data_used, retention,
    discount_rate, timing, clv_change_pct, verdict."""
    _need(baselines, ["data_used", "retention"], "retention baselines")
    band = claim_info("retention_profit")["band"]
    rows = []
    for _, b in baselines.iterrows():
        for d in discount_rates:
            for tm in timings:
                pct = primer.retention_uplift(1.0, b["retention"], delta, d, timing=tm)[
                    "clv_change_pct"]
                rows.append({"data_used": b["data_used"], "retention": float(b["retention"]),
                             "discount_rate": float(d), "timing": tm, "clv_change_pct": pct,
                             "verdict": verdict_from_interval(pct, pct, band)})
    return pd.DataFrame(rows)


def claim_acquisition_vs_retention_cost(acq_ret: pd.DataFrame, n_boot: int = 1000,
                                        seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Cost of acquiring one customer ÷ cost of retaining one (SMCRM acquisition data).

    Two readings of 'retaining one customer': for a year (retention spend per customer-year)
    and for the whole observed relationship (mean retention spend per acquired customer).
    Percentile bootstrap over prospects (seeded).
    """
    cid = "acquisition_cost_5x"
    _check_boot(n_boot, level)
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
        lo, hi = _percentile(boots[:, j], level)
        rows.append(_row(cid, f"smcrm_acquisition_retention ({label})", est[key], lo, hi,
                         f"acquisition cost per acquired customer {econ['acquisition_cost']:.1f} "
                         f"(all prospects' spend / {econ['acquired']} acquired) vs retention "
                         f"spend {label} {cost:.1f}; bootstrap {n_boot} (seed {seed})"))
    return _frame(rows)


def claim_annual_churn(b2b: pd.DataFrame, telco: pd.DataFrame, cdnow: pd.DataFrame,
                       retail_log: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of customers lost in a year, per data set (:func:`annual_churn_estimates`)."""
    est = annual_churn_estimates(b2b, telco, cdnow, retail_log, level)
    return _frame([_row("annual_churn_10pct", e["data_used"], e["estimate"], e["ci_low"],
                        e["ci_high"], e["note"]) for _, e in est.iterrows()])


def claim_pareto(cdnow: pd.DataFrame, retail_log: pd.DataFrame, acq_ret: pd.DataFrame,
                 top: float = 0.2, n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95) -> pd.DataFrame:
    """Share of revenue (CDNOW, Online Retail) and of profit (SMCRM acquired customers) held
    by the top ``top`` of customers (:func:`crm_research.studies.primer.pareto_share_ci`)."""
    _check_boot(n_boot, level)
    _need(acq_ret, ["acquisition", "profit"], "smcrm_acquisition_retention")
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
        rows.append(_row("pareto_80_20", name, r["share"], r["ci_low"], r["ci_high"],
                         f"{note}; {r['customers']} customers; top {top:.0%}; bootstrap "
                         f"{n_boot} (seed {seed})"))
    return _frame(rows)


def _logit_fit(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=100)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise EstimationError(f"win-back logit did not fit: {exc}") from exc
    return np.asarray(res.params, dtype=float)


def _logit_probability(b: np.ndarray, days: float) -> float:
    return float(1 / (1 + np.exp(-(b[0] + b[1] * days))))


def winback_rate_ratio(win_back: pd.DataFrame, early_days: float = 7.0,
                       late_days: float = 28.0) -> dict[str, float]:
    """Logistic regression reacquire ~ duration_lapse (days); predicted P(early)/P(late)."""
    _need(win_back, ["reacquire", "duration_lapse"], "smcrm_win_back")
    y = win_back["reacquire"].to_numpy(dtype=float)
    x = win_back["duration_lapse"].to_numpy(dtype=float)
    b = _logit_fit(y, x)
    pe, pl = _logit_probability(b, early_days), _logit_probability(b, late_days)
    return {"intercept": float(b[0]), "slope_per_day": float(b[1]), "p_early": pe,
            "p_late": pl, "ratio": pe / pl}


def claim_winback_timing(win_back: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                         level: float = 0.95) -> pd.DataFrame:
    """Win-back chance of an offer at 7 vs 28 days since lapse (SMCRM win-back data).

    Model row: logistic regression of reacquire on duration_lapse, predicted probability ratio
    P(7 days)/P(28 days), percentile bootstrap (seeded). Data row: observed reacquisition rate
    of offers made at 8-14 days over that at 22-28 days (the data start at 8 days), exact
    intervals of both rates combined conservatively (lower/upper ends).
    """
    cid = "winback_week1_4x"
    _check_boot(n_boot, level)
    est = winback_rate_ratio(win_back)
    y = win_back["reacquire"].to_numpy(dtype=float)
    x = win_back["duration_lapse"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    boots = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() == y[i].max():
            continue
        try:
            c = _logit_fit(y[i], x[i])
        except EstimationError:
            continue
        boots[b] = _logit_probability(c, 7.0) / _logit_probability(c, 28.0)
    lo, hi = _percentile(boots, level)
    rows = [_row(cid, "smcrm_win_back (logit model)", est["ratio"], lo, hi,
                 f"P(reacquire) at 7 days {est['p_early']:.3f} vs at 28 days "
                 f"{est['p_late']:.3f} (slope {est['slope_per_day']:.4f} per day); the data "
                 f"start at {int(x.min())} days, so 7 days is a slight extrapolation; a 4x "
                 "ratio is impossible whenever P(week 4) > 0.25")]
    wk2 = (x >= 8) & (x <= 14)
    wk4 = (x >= 22) & (x <= 28)
    if wk2.sum() and wk4.sum():
        k2, k4 = int(y[wk2].sum()), int(y[wk4].sum())
        l2, h2 = primer.exact_proportion_ci(k2, int(wk2.sum()), level)
        l4, h4 = primer.exact_proportion_ci(k4, int(wk4.sum()), level)
        ratio = (k2 / wk2.sum()) / (k4 / wk4.sum()) if k4 else math.inf
        rows.append(_row(cid, "smcrm_win_back (days 8-14 vs 22-28)", ratio,
                         l2 / h4, h2 / l4 if l4 > 0 else math.inf,
                         f"observed: {k2}/{int(wk2.sum())} won back at 8-14 days, "
                         f"{k4}/{int(wk4.sum())} at 22-28 days; tiny cells; interval = "
                         "ratio of exact interval ends"))
    return _frame(rows)


def claim_discount_acquired_value(win_back: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                                  level: float = 0.95) -> pd.DataFrame:
    """Not testable: no bundled data set randomises an acquisition discount with a full-price
    arm. Shown for orientation only: among re-acquired SMCRM win-back customers, mean
    second-lifetime value (``sclv``) at the highest offer ÷ at the lowest offer, with a
    bootstrap interval. The offer is a win-back offer of unknown unit (SMCRM documents it as
    the 'value of the offer'), the offers were not randomised, and no 'no offer' group exists."""
    cid = "discount_half_value"
    _check_boot(n_boot, level)
    _need(win_back, ["reacquire", "offer", "sclv"], "smcrm_win_back")
    w = win_back[win_back["reacquire"] == 1]
    lo_off, hi_off = w["offer"].min(), w["offer"].max()
    if lo_off == hi_off:
        raise DataError("smcrm_win_back: re-acquired customers all had the same offer")
    a = w.loc[w["offer"] == hi_off, "sclv"].to_numpy(dtype=float)
    b = w.loc[w["offer"] == lo_off, "sclv"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    boots = np.array([a[rng.integers(0, a.size, a.size)].mean()
                      / b[rng.integers(0, b.size, b.size)].mean() for _ in range(int(n_boot))])
    lo, hi = _percentile(boots, level)
    would = claim_info(cid)["would_test"]
    return _frame([_row(cid, "smcrm_win_back (orientation only)", a.mean() / b.mean(), lo, hi,
                        f"mean second-lifetime value of re-acquired customers, offer {hi_off} "
                        f"vs {lo_off}: {a.mean():.0f} vs {b.mean():.0f}. Win-back offers, not "
                        f"acquisition discounts; not randomised; no full-price group. Would "
                        f"test it: {would}", verdict=NOT_TESTABLE)])


def claim_self_service_cost() -> pd.DataFrame:
    """Not testable: the bundled data hold no service costs. The row shows the claimed ratio
    (self-service ÷ contact-centre cost per contact) of
    :data:`crm_research.studies.channel_economics.CLAIMED_COST_PER_CONTACT` — a quoted figure,
    not an
    estimate (its interval is the number itself)."""
    cid = "self_service_cost"
    cost = dict(zip(CHANNELS, CLAIMED_COST_PER_CONTACT, strict=True))
    ratio = cost["self_service"] / cost["contact_centre"]
    would = claim_info(cid)["would_test"]
    return _frame([_row(cid, "none (quoted industry figures)", ratio, ratio, ratio,
                        f"claimed cost per contact: self-service {cost['self_service']}, "
                        f"contact centre {cost['contact_centre']}, face to face "
                        f"{cost['face_to_face']} (US$); Hillstrom and Telco hold no costs. "
                        f"Would test it: {would}", verdict=NOT_TESTABLE)])


# --------------------------------------------------------------------------- the audit

def audit_claims(data: Mapping[str, pd.DataFrame] | None = None,
                 loader: Callable[[str], pd.DataFrame] | None = None, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95, delta: float = 0.05,
                 discount_rate: float = 0.10, timing: str = "end", top: float = 0.2
                 ) -> pd.DataFrame:
    """All claims, one row per claim × data set (columns :data:`ROW_COLUMNS`).

    ``data`` maps data-set names (:data:`DATASETS_NEEDED`) to frames; missing ones are fetched
    with ``loader`` (default :func:`crm_research.data.datasets.load`). Online Retail is cleaned with
    :func:`crm_research.data.transactions.clean_online_retail` first.
    """
    if loader is None:
        from crm_research.data.datasets import load as loader
    got = dict(data or {})
    for name in DATASETS_NEEDED:
        if name not in got:
            got[name] = loader(name)
    retail_log, _ = clean_online_retail(got["online_retail"])
    b2b, acq = got["smcrm_b2b_churn"], got["smcrm_acquisition_retention"]
    parts = [
        claim_retention_profit(b2b, acq, got["fader_hardie_retention"], got["cdnow_master"],
                               retail_log, delta, discount_rate, timing, level),
        claim_acquisition_vs_retention_cost(acq, n_boot, seed, level),
        claim_annual_churn(b2b, got["telco_churn"], got["cdnow_master"], retail_log, level),
        claim_pareto(got["cdnow_master"], retail_log, acq, top, n_boot, seed, level),
        claim_winback_timing(got["smcrm_win_back"], n_boot, seed, level),
        claim_discount_acquired_value(got["smcrm_win_back"], n_boot, seed, level),
        claim_self_service_cost(),
    ]
    return pd.concat(parts, ignore_index=True)


def claims_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: claim, source, data sets used, estimate range, overall verdict
    (:func:`combine_verdicts`) and what data would test it."""
    _need(rows, ROW_COLUMNS, "claims rows")
    out = []
    for cid, g in rows.groupby("claim_id", sort=False):
        info = claim_info(str(cid))
        out.append({"claim_id": cid, "claim": info["claim"],
                    "source": info["source"],
                    "data_used": "; ".join(g["data_used"]),
                    "estimate_min": float(g["estimate"].min()),
                    "estimate_max": float(g["estimate"].max()),
                    "verdict": combine_verdicts(list(g["verdict"])),
                    "would_test": info["would_test"]})
    return pd.DataFrame(out)
