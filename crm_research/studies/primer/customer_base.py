"""Computed sections of the primer on the customer base (SMCRM teaching data of Kumar &
Petersen 2012, *Statistical Methods in Customer Relationship Management*, Wiley; CDNOW).

* :func:`marketing_funnel` — the funnel of a purchase log: (aware, assumed) → first purchase →
  repeat (≥ 2 purchase days) → loyal (≥ ``loyal_min_days`` purchase days); step and cumulative
  conversion rates (:func:`crm_research.studies.primer.funnel_rates`) and the bottleneck = the
  stage with the lowest step rate (Kotler & Keller's funnel, source text 001, L213-L217).
* :func:`share_of_wallet_drivers` — OLS of customer profit on share of wallet, cross-buying
  and controls (Kumar & Petersen 2012, ch. on profitable customer management: profit rises
  with share of wallet and the number of categories bought).
* :func:`profit_maximising_spend` — OLS of profit on spend and spend² (acquisition and
  retention); with profit = … + b1·x + b2·x², the profit-maximising spend is
  x* = −b1 / (2·b2) when b2 < 0 (Kumar & Petersen 2012, resource allocation), standard error by
  the delta method: ∇x* = (−1/(2b2), b1/(2b2²)).
* :func:`profit_deciles` — profit by decile with the "upgrade or drop" action of Kotler's fourth
  way to raise customer-base value (source text 001, L244).
* :func:`winback_targeting` — rank lapsed customers by expected second-lifetime value
  P(reacquire)·E[sclv | reacquired] (logit × OLS) and show what targeting the top share would
  have won back (in-sample; an illustration, not a validated targeting model).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research._checks import check_level, no_missing, require_columns
from crm_research._lazy import lazy_module
from crm_research.errors import DataError, EstimationError, ParameterError
from crm_research.studies.primer.args import number, whole_number
from crm_research.studies.primer.campaign import funnel_bottleneck, funnel_rates

sm = lazy_module("statsmodels.api")
stats = lazy_module("scipy.stats")

__all__ = ["purchase_days", "marketing_funnel", "ols_table", "share_of_wallet_drivers",
           "quadratic_optimum", "profit_maximising_spend", "profit_deciles",
           "winback_targeting", "SMCRM_CONTROLS", "WINBACK_COVARIATES"]

#: Firm characteristics of the SMCRM acquisition/retention data used as controls.
SMCRM_CONTROLS: tuple[str, ...] = ("industry", "revenue", "employees")
#: Covariates of the win-back models (SMCRM win-back data).
WINBACK_COVARIATES: tuple[str, ...] = ("offer", "duration_lapse", "price_change", "duration_1",
                                       "gender", "age")


def purchase_days(log: pd.DataFrame, customer_col: str = "customer_id",
                  date_col: str = "date") -> pd.Series:
    """Number of distinct purchase days per customer of a transaction log."""
    require_columns(log, [customer_col, date_col], "transaction log")
    no_missing(log[customer_col], f"column {customer_col!r}")
    days = pd.to_datetime(log[date_col]).dt.normalize()
    return days.groupby(log[customer_col]).nunique()


def marketing_funnel(log: pd.DataFrame, loyal_min_days: int = 4, aware: float | None = None,
                     customer_col: str = "customer_id", date_col: str = "date"
                     ) -> pd.DataFrame:
    """Funnel of a purchase log: first purchase (every customer in the log) → repeat (≥ 2
    purchase days) → loyal (≥ ``loyal_min_days`` purchase days), optionally preceded by an
    ASSUMED number of ``aware`` prospects (a purchase log cannot count them). Columns of
    :func:`funnel_rates` plus ``bottleneck`` (True at the observed stage with the lowest step
    rate; the step from the assumed awareness count is left out)."""
    k = whole_number(loyal_min_days, "loyal_min_days", 3, "an integer >= 3")
    per = purchase_days(log, customer_col, date_col)
    counts: dict[str, float] = {}
    if aware is not None:
        a = number(aware, "aware", float(len(per)))
        counts["aware (assumed)"] = a
    counts["first purchase"] = float(len(per))
    counts["repeat (2+ purchase days)"] = float((per >= 2).sum())
    counts[f"loyal ({k}+ purchase days)"] = float((per >= k).sum())
    tab = funnel_rates(counts)
    # an assumed awareness count cannot name the bottleneck: its step (row 1) is skipped
    neck = funnel_bottleneck(tab["step_rate"], exclude=[1] if aware is not None else [])
    tab["bottleneck"] = tab.index == neck
    return tab


def ols_table(y: np.ndarray, X: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """OLS with an intercept: term, estimate, std_error, ci_low, ci_high, p_value (classical
    standard errors, t intervals)."""
    lv = check_level(level)
    try:
        res = sm.OLS(np.asarray(y, dtype=float),
                     sm.add_constant(X.astype(float), has_constant="add")).fit()
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"OLS did not fit: {exc}") from exc
    ci = res.conf_int(alpha=1 - lv)
    return pd.DataFrame({"term": list(res.params.index), "estimate": res.params.to_numpy(),
                         "std_error": res.bse.to_numpy(), "ci_low": ci.iloc[:, 0].to_numpy(),
                         "ci_high": ci.iloc[:, 1].to_numpy(), "p_value": res.pvalues.to_numpy()})


def _acquired(acq_ret: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    require_columns(acq_ret, ["acquisition", *cols], "smcrm_acquisition_retention")
    a = acq_ret[acq_ret["acquisition"] == 1]
    if len(a) <= len(cols) + 1:
        raise DataError("smcrm_acquisition_retention: too few acquired customers "
                        f"({len(a)}) for {len(cols)} covariates")
    for c in cols:
        no_missing(a[c], f"column {c!r} (acquired customers)")
    return a


def share_of_wallet_drivers(acq_ret: pd.DataFrame, level: float = 0.95,
                            controls: Sequence[str] = SMCRM_CONTROLS) -> pd.DataFrame:
    """Profit of acquired customers on share of wallet (``sow``, %), cross-buying (``crossbuy``,
    categories bought) and purchase frequency, with firm controls: the :func:`ols_table` plus
    ``sd_x`` and ``effect_of_1sd`` = estimate × standard deviation of the covariate (profit
    change for a one-standard-deviation higher value; NaN for the intercept)."""
    cols = ["sow", "crossbuy", "freq", *controls]
    a = _acquired(acq_ret, ["profit", *cols])
    tab = ols_table(a["profit"].to_numpy(), a[cols], level)
    sd = {c: float(a[c].std(ddof=1)) for c in cols}
    tab["sd_x"] = tab["term"].map(sd)
    tab["effect_of_1sd"] = tab["estimate"] * tab["sd_x"]
    return tab


def quadratic_optimum(b1: float, b2: float, var_b1: float, var_b2: float, cov_b12: float,
                      level: float = 0.95) -> dict[str, float]:
    """Maximiser x* = −b1/(2·b2) of b1·x + b2·x² (needs b2 < 0) with its delta-method standard
    error and normal interval; for b2 ≥ 0 there is no interior maximum (NaN values)."""
    lv = check_level(level)
    if not b2 < 0:
        return {"optimum": math.nan, "std_error": math.nan, "ci_low": math.nan,
                "ci_high": math.nan}
    x = -b1 / (2 * b2)
    g = np.array([-1 / (2 * b2), b1 / (2 * b2 ** 2)])
    v = np.array([[var_b1, cov_b12], [cov_b12, var_b2]])
    se = float(math.sqrt(max(g @ v @ g, 0.0)))
    z = float(stats.norm.ppf(0.5 + lv / 2))
    return {"optimum": x, "std_error": se, "ci_low": x - z * se, "ci_high": x + z * se}


def profit_maximising_spend(acq_ret: pd.DataFrame, level: float = 0.95,
                            controls: Sequence[str] = SMCRM_CONTROLS) -> pd.DataFrame:
    """Profit-maximising acquisition and retention spend per customer (SMCRM acquisition and
    retention data): OLS of profit (acquired customers) on acq_exp, acq_exp², ret_exp,
    ret_exp², freq, crossbuy, sow and controls; x* = −b1/(2·b2) for each spend (delta-method
    interval). Columns: spend, linear, squared, optimum, std_error, ci_low, ci_high,
    mean_actual, max_actual (an optimum above it is an extrapolation), share_above_optimum."""
    spends = {"acquisition": ("acq_exp", "acq_exp_sq"), "retention": ("ret_exp", "ret_exp_sq")}
    cols = ["acq_exp", "acq_exp_sq", "ret_exp", "ret_exp_sq", "freq", "crossbuy", "sow",
            *controls]
    a = _acquired(acq_ret, ["profit", *cols])
    lv = check_level(level)
    X = sm.add_constant(a[cols].astype(float), has_constant="add")
    try:
        res = sm.OLS(a["profit"].to_numpy(dtype=float), X).fit()
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"profit model did not fit: {exc}") from exc
    cov = res.cov_params()
    rows = []
    for name, (lin, sq) in spends.items():
        b1, b2 = float(res.params[lin]), float(res.params[sq])
        opt = quadratic_optimum(b1, b2, float(cov.loc[lin, lin]), float(cov.loc[sq, sq]),
                                float(cov.loc[lin, sq]), lv)
        x = a[lin].to_numpy(dtype=float)
        rows.append({"spend": name, "linear": b1, "squared": b2, **opt,
                     "mean_actual": float(x.mean()), "max_actual": float(x.max()),
                     "share_above_optimum": float(np.mean(x > opt["optimum"]))
                     if math.isfinite(opt["optimum"]) else math.nan})
    return pd.DataFrame(rows)


def profit_deciles(profit: Sequence[float] | pd.Series, groups: int = 10) -> pd.DataFrame:
    """Customers in ``groups`` equal-size groups by profit (group 1 = most profitable; sizes
    differ by at most one): customers, mean_profit, total_profit, share_of_total (of the sum
    of all profits), cumulative_share, and the action of Kotler's ways to raise customer-base
    value: 'treat specially' (group 1), 'make profitable or drop' (mean profit < 0), 'grow:
    cross-sell, up-sell' (the rest)."""
    g = whole_number(groups, "groups", 2, "an integer >= 2")
    try:
        p = np.asarray(profit, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError("profit must be numbers") from exc
    if p.size < g:
        raise DataError(f"profit: need at least {g} customers, got {p.size}")
    if not np.all(np.isfinite(p)):
        raise DataError("profit has missing or infinite values")
    order = np.argsort(-p, kind="stable")
    label = np.empty(p.size, dtype=int)
    label[order] = np.arange(p.size) * g // p.size + 1
    total = p.sum()
    rows = []
    for k in range(1, g + 1):
        v = p[label == k]
        rows.append({"group": k, "customers": int(v.size), "mean_profit": float(v.mean()),
                     "total_profit": float(v.sum())})
    out = pd.DataFrame(rows)
    out["share_of_total"] = out["total_profit"] / total if total != 0 else math.nan
    out["cumulative_share"] = out["share_of_total"].cumsum()
    out["action"] = np.where(out["group"] == 1, "treat specially",
                             np.where(out["mean_profit"] < 0, "make profitable or drop",
                                      "grow: cross-sell, up-sell"))
    return out


def winback_targeting(win_back: pd.DataFrame, shares: Sequence[float] = (0.1, 0.2, 0.3, 0.5),
                      covariates: Sequence[str] = WINBACK_COVARIATES) -> pd.DataFrame:
    """Win-back targeting by expected second-lifetime value (SMCRM win-back data).

    Logit of ``reacquire`` on ``covariates`` (all lapsed customers) and OLS of ``sclv`` on them
    (re-acquired customers only); expected value = P(reacquire)·E[sclv | reacquired]. For each
    share s the top ceil(s·n) customers by expected value are 'targeted'; columns: share,
    targeted, reacquired, realised_sclv (sum of the recorded sclv of the targeted, including
    the negative values of those not won back), share_of_positive_sclv (of the total positive
    sclv in the data) and lift (mean realised sclv of the targeted ÷ mean of all). In-sample:
    the same data fit and judge the ranking, so the lift is optimistic.
    """
    cols = list(covariates)
    require_columns(win_back, ["reacquire", "sclv", *cols], "smcrm_win_back")
    for c in ["reacquire", "sclv", *cols]:
        no_missing(win_back[c], f"column {c!r}")
    y = win_back["reacquire"].to_numpy(dtype=float)
    if not np.isin(y, (0.0, 1.0)).all() or y.min() == y.max():
        raise DataError("smcrm_win_back: 'reacquire' must be 0/1 with both values present")
    X = sm.add_constant(win_back[cols].astype(float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p = sm.Logit(y, X).fit(disp=0, maxiter=200).predict(X)
            won = y == 1
            v = sm.OLS(win_back["sclv"].to_numpy(dtype=float)[won], X[won]).fit().predict(X)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise EstimationError(f"win-back models did not fit: {exc}") from exc
    expected = np.asarray(p) * np.asarray(v)
    sclv = win_back["sclv"].to_numpy(dtype=float)
    order = np.argsort(-expected, kind="stable")
    positive = sclv[sclv > 0].sum()
    rows = []
    for s in shares:
        sh = number(s, "share", 0.0, 1.0, lo_open=True)
        k = int(math.ceil(sh * len(y) - 1e-9))
        top = order[:k]
        rows.append({"share": sh, "targeted": k, "reacquired": int(y[top].sum()),
                     "realised_sclv": float(sclv[top].sum()),
                     "share_of_positive_sclv": float(sclv[top][sclv[top] > 0].sum() / positive)
                     if positive > 0 else math.nan,
                     "lift": float(sclv[top].mean() / sclv.mean())
                     if sclv.mean() != 0 else math.nan})
    if not rows:
        raise ParameterError("winback_targeting: give at least one share")
    return pd.DataFrame(rows)
