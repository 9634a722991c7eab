"""Claims about campaigns, win-back, churn models and channel costs.

* :func:`claim_winback_timing` — win-back chance at week 1 vs week 4 (002-18).
* :func:`claim_promotion_sales` — the analogue, in a randomised e-mail experiment, of the texts'
  promotion anecdotes (001-27 "+25% sales", 001-30 "online sales doubled").
* :func:`claim_churn_model_precision` — can a churn model flag customers with ≥ 70%
  "confidence" (002-24)? Precision of a cross-validated churn model's top-ranked customers.
* :func:`claim_discount_acquired_value` — 35% discount → half the value (001-50): not testable,
  orientation row.
* :func:`claim_channel_ratios` — the cost ratios between service channels that source text 002
  states (002-48; context: no bundled data hold costs).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research._checks import check_seed, require_columns
from crm_research._lazy import lazy_module
from crm_research.errors import DataError, EstimationError, ParameterError
from crm_research.studies.channel_economics import (
    TEXT_CHANNELS,
    TEXT_FACE_TO_FACE_READINGS,
    TEXT_RELATIVE_COST,
)
from crm_research.studies.claims.declarations import (
    CONTEXT,
    NOT_TESTABLE,
    check_boot,
    claim_info,
    claim_row,
    percentile_interval,
    rows_frame,
)
from crm_research.studies.primer import exact_proportion_ci

sm = lazy_module("statsmodels.api")

__all__ = ["winback_rate_ratio", "claim_winback_timing", "claim_discount_acquired_value",
           "spend_ratio", "claim_promotion_sales", "top_share_precision",
           "claim_churn_model_precision", "claim_channel_ratios"]


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
    require_columns(win_back, ["reacquire", "duration_lapse"], "smcrm_win_back")
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
    check_boot(n_boot, level)
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
    lo, hi = percentile_interval(boots, level)
    rows = [claim_row(cid, "smcrm_win_back (logit model)", est["ratio"], lo, hi,
                 f"P(reacquire) at 7 days {est['p_early']:.3f} vs at 28 days "
                 f"{est['p_late']:.3f} (slope {est['slope_per_day']:.4f} per day); the data "
                 f"start at {int(x.min())} days, so 7 days is a slight extrapolation; a 4x "
                 "ratio is impossible whenever P(week 4) > 0.25")]
    wk2 = (x >= 8) & (x <= 14)
    wk4 = (x >= 22) & (x <= 28)
    if wk2.sum() and wk4.sum():
        k2, k4 = int(y[wk2].sum()), int(y[wk4].sum())
        l2, h2 = exact_proportion_ci(k2, int(wk2.sum()), level)
        l4, h4 = exact_proportion_ci(k4, int(wk4.sum()), level)
        ratio = (k2 / wk2.sum()) / (k4 / wk4.sum()) if k4 else math.inf
        rows.append(claim_row(cid, "smcrm_win_back (days 8-14 vs 22-28)", ratio,
                         l2 / h4, h2 / l4 if l4 > 0 else math.inf,
                         f"observed: {k2}/{int(wk2.sum())} won back at 8-14 days, "
                         f"{k4}/{int(wk4.sum())} at 22-28 days; tiny cells; interval = "
                         "ratio of exact interval ends"))
    return rows_frame(rows)


def claim_discount_acquired_value(win_back: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                                  level: float = 0.95) -> pd.DataFrame:
    """Not testable: no bundled data set randomises an acquisition discount with a full-price
    arm. Shown for orientation only: among re-acquired SMCRM win-back customers, mean
    second-lifetime value (``sclv``) at the highest offer ÷ at the lowest offer, with a
    bootstrap interval. The offer is a win-back offer of unknown unit (SMCRM documents it as
    the 'value of the offer'), the offers were not randomised, and no 'no offer' group exists."""
    cid = "discount_half_value"
    check_boot(n_boot, level)
    require_columns(win_back, ["reacquire", "offer", "sclv"], "smcrm_win_back")
    w = win_back[win_back["reacquire"] == 1]
    lo_off, hi_off = w["offer"].min(), w["offer"].max()
    if lo_off == hi_off:
        raise DataError("smcrm_win_back: re-acquired customers all had the same offer")
    a = w.loc[w["offer"] == hi_off, "sclv"].to_numpy(dtype=float)
    b = w.loc[w["offer"] == lo_off, "sclv"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    boots = np.array([a[rng.integers(0, a.size, a.size)].mean()
                      / b[rng.integers(0, b.size, b.size)].mean() for _ in range(int(n_boot))])
    lo, hi = percentile_interval(boots, level)
    would = claim_info(cid)["would_test"]
    return rows_frame([claim_row(
        cid, "smcrm_win_back (orientation only)", a.mean() / b.mean(), lo, hi,
        f"mean second-lifetime value of re-acquired customers, offer {hi_off} vs {lo_off}: "
        f"{a.mean():.0f} vs {b.mean():.0f}. Win-back offers, not acquisition discounts; not "
        f"randomised; no full-price group. Would test it: {would}", verdict=NOT_TESTABLE)])


def spend_ratio(df: pd.DataFrame, arm_col: str, treated: object, control: object,
                outcome: str = "spend", n_boot: int = 1000, seed: int = 0,
                level: float = 0.95) -> dict[str, float]:
    """Mean ``outcome`` of the treated arm ÷ mean of the control arm with a percentile
    bootstrap interval (each arm resampled separately, seeded)."""
    check_boot(n_boot, level)
    require_columns(df, [arm_col, outcome], "experiment")
    y = pd.to_numeric(df[outcome], errors="coerce")
    t = y[df[arm_col] == treated].to_numpy(dtype=float)
    c = y[df[arm_col] == control].to_numpy(dtype=float)
    if t.size == 0 or c.size == 0:
        raise DataError(f"experiment: no rows with {arm_col} == {treated!r} or {control!r}")
    if np.isnan(t).any() or np.isnan(c).any():
        raise DataError(f"experiment: column {outcome!r} has missing or non-numeric values")
    rng = np.random.default_rng(seed)
    boots = np.array([t[rng.integers(0, t.size, t.size)].mean()
                      / c[rng.integers(0, c.size, c.size)].mean() for _ in range(int(n_boot))])
    lo, hi = percentile_interval(boots, level)
    return {"n_treated": int(t.size), "n_control": int(c.size), "mean_treated": float(t.mean()),
            "mean_control": float(c.mean()), "ratio": float(t.mean() / c.mean()),
            "ci_low": lo, "ci_high": hi}


def claim_promotion_sales(hill: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                          level: float = 0.95) -> pd.DataFrame:
    """Promotion anecdotes (001-27: +25% sales; 001-30: online sales doubled) against the
    analogous effect in the Hillstrom experiment: spend per customer in two weeks with an
    e-mail ÷ without (random assignment, so the ratio is the e-mail's causal effect). 001-27
    is compared as the relative change (ratio − 1), 001-30 as the ratio."""
    rows = []
    for arm in ("Womens E-Mail", "Mens E-Mail"):
        r = spend_ratio(hill, "segment", arm, "No E-Mail", "spend", n_boot, seed, level)
        note = (f"Hillstrom: mean spend {r['mean_treated']:.3f} with the {arm} ({r['n_treated']}) "
                f"vs {r['mean_control']:.3f} without ({r['n_control']}); an analogous e-mail "
                f"effect, not the company's figure; bootstrap {n_boot} (seed {seed})")
        rows.append(claim_row("emailed_sales_25pct", f"hillstrom_email ({arm})", r["ratio"] - 1,
                              r["ci_low"] - 1, r["ci_high"] - 1, note))
        rows.append(claim_row("online_sales_doubled", f"hillstrom_email ({arm})", r["ratio"],
                              r["ci_low"], r["ci_high"], note))
    return rows_frame(rows)


def top_share_precision(y: Sequence[float], score: Sequence[float], share: float,
                        level: float = 0.95) -> dict[str, float]:
    """Precision of flagging the ``share`` of customers with the highest ``score``: churners
    among the ceil(share·n) top-ranked ÷ their number, with an exact interval (ties broken by
    the order of the rows)."""
    yy = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    if yy.shape != s.shape or yy.size == 0:
        raise DataError("precision: y and score must be non-empty and of equal length")
    if not 0 < share <= 1:
        raise ParameterError(f"share must be in (0, 1], got {share}")
    k = int(math.ceil(share * yy.size - 1e-9))
    top = np.argsort(-s, kind="stable")[:k]
    hits = int(yy[top].sum())
    lo, hi = exact_proportion_ci(hits, k, level)
    return {"flagged": k, "churners": hits, "precision": hits / k, "ci_low": lo, "ci_high": hi}


def claim_churn_model_precision(telco: pd.DataFrame, shares: Sequence[float] = (0.1, 0.2),
                                n_folds: int = 5, seed: int = 0,
                                level: float = 0.95) -> pd.DataFrame:
    """A churn model needs ≥ 70% "confidence" (002-24), read as precision: the share of the
    customers a model flags who really churn. Logistic churn model on every Telco covariate,
    out-of-fold probabilities of :func:`crm_research.churn.cross_validate_churn` (stratified
    ``n_folds``-fold, seeded); precision of the top ``shares`` of customers, exact intervals."""
    from crm_research.churn import cross_validate_churn

    require_columns(telco, ["churn"], "telco_churn")
    check_seed(seed, allow_none=False)
    cv = cross_validate_churn(telco, "churn", [c for c in telco.columns if c != "churn"],
                              models=("logit",), n_folds=n_folds, seed=seed)
    pred = cv.predictions.sort_values("row")
    base = float(pred["y"].mean())
    rows = []
    for sh in shares:
        r = top_share_precision(pred["y"].to_numpy(), pred["p"].to_numpy(), float(sh), level)
        rows.append(claim_row("churn_model_70pct", f"telco_churn (top {sh:.0%} flagged)",
                              r["precision"], r["ci_low"], r["ci_high"],
                              f"{r['churners']} of the {r['flagged']} customers with the highest "
                              f"out-of-fold churn probability churned (logit, {n_folds}-fold CV, "
                              f"seed {seed}); base churn rate {base:.3f}"))
    return rows_frame(rows)


def claim_channel_ratios() -> pd.DataFrame:
    """Context row: the cost ratios between service channels stated in source text 002,
    L887-L897 (:data:`crm_research.studies.channel_economics.TEXT_RELATIVE_COST`), with both
    readings of the garbled face-to-face ratio. A quoted figure is its own interval."""
    cost = dict(zip(TEXT_CHANNELS, TEXT_RELATIVE_COST, strict=True))
    info = claim_info("channel_cost_ratios")
    rows = [claim_row("channel_cost_ratios", "none (ratio stated in source text 002)", r, r, r,
                      f"{what}. {info['reason']}; would test it: {info['would_test']}",
                      verdict=CONTEXT)
            for what, r in (
                ("contact centre / distributor contact (002, L889-L891)",
                 cost["contact_centre"] / cost["distributor"]),
                ("web self-service / contact centre (002, L893-L895)",
                 cost["self_service"] / cost["contact_centre"]))]
    for f2f in TEXT_FACE_TO_FACE_READINGS:
        rows.append(claim_row("channel_cost_ratios", "none (garbled ratio in source text 002)",
                              1 / f2f, 1 / f2f, 1 / f2f,
                              f"contact centre / face-to-face contact, reading the garbled "
                              f"L891-L893 as 1/{f2f:g} (one of two readings of the garbled words)",
                              verdict=CONTEXT))
    return rows_frame(rows)
