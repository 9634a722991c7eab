"""RFM scores and segments, cohort retention.

Value concentration (top-x% share, Lorenz, Gini) lives in :mod:`crm_research.clv.concentration`.

RFM scoring (Hughes 1994, "Strategic Database Marketing"; quintile coding as in Fader, Hardie
& Lee 2005 JMR): each of recency (days since the last purchase; fewer = better), frequency
(number of purchase occasions) and monetary value (total spend) is coded 1-5 by quintile of the
customer's rank. Ties share a score: ``score = 1 + floor(5 (rank_min - 1) / n)`` with
``rank_min`` the smallest rank of the tie group (so scores do not depend on row order; with many
ties — e.g. most customers buying once — a score can be empty).

Segment names follow a widely used R x F segment map (practitioner convention, not one academic
source); rules are applied top to bottom, first match wins:

==================  =========================
segment             rule (R, F scores)
==================  =========================
Champions           R >= 4 and F >= 4
Loyal               R == 3 and F >= 4
Cannot lose them    R == 1 and F >= 4
At risk             R <= 2 and F >= 3
Potential loyalist  R >= 4 and F in {2, 3}
New                 R >= 4 and F == 1
Promising           R == 3 and F == 1
Need attention      R == 3 and F in {2, 3}
Hibernating         R == 2 and F <= 2
Lost                R == 1 and F <= 2
==================  =========================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError

SEGMENT_RULES: list[tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = [
    ("Champions", lambda R, F: (R >= 4) & (F >= 4)),
    ("Loyal", lambda R, F: (R == 3) & (F >= 4)),
    ("Cannot lose them", lambda R, F: (R == 1) & (F >= 4)),
    ("At risk", lambda R, F: (R <= 2) & (F >= 3)),
    ("Potential loyalist", lambda R, F: (R >= 4) & (F >= 2) & (F <= 3)),
    ("New", lambda R, F: (R >= 4) & (F == 1)),
    ("Promising", lambda R, F: (R == 3) & (F == 1)),
    ("Need attention", lambda R, F: (R == 3) & (F >= 2) & (F <= 3)),
    ("Hibernating", lambda R, F: (R == 2) & (F <= 2)),
    ("Lost", lambda R, F: (R == 1) & (F <= 2)),
]


def quintile_score(values, higher_is_better: bool = True) -> np.ndarray:
    """1-5 quintile score from ranks (ties share the lowest rank; see module docstring)."""
    v = pd.Series(np.asarray(values, dtype=float))
    if v.isna().any():
        raise DataError(f"quintile_score: {int(v.isna().sum())} missing value(s)")
    if len(v) == 0:
        return np.zeros(0, dtype=np.int64)
    rank = (v if higher_is_better else -v).rank(method="min").to_numpy()
    return (1 + np.floor(5 * (rank - 1) / len(v))).astype(np.int64)


def rfm_scores(summary: pd.DataFrame, time_unit_days: float = 7.0) -> pd.DataFrame:
    """RFM table from a transaction summary (:func:`summarize_transactions`).

    recency_days = (T - recency) * time_unit_days (days from the last purchase to the end of
    observation), frequency = purchase occasions (repeat + 1), monetary = total value.
    Returns those three plus R, F, M scores, ``rfm`` code (e.g. "543") and ``segment``.
    """
    need = ["frequency", "recency", "T", "total_value"]
    miss = [c for c in need if c not in summary]
    if miss:
        raise DataError(f"rfm_scores: summary lacks column(s) {miss}")
    # rounded before ranking: (T - recency) * 7 gives 27.999999999999996 for some 28-day gaps,
    # which would split one tie group in two
    rec_days = np.round((summary["T"] - summary["recency"]).to_numpy(dtype=float)
                        * time_unit_days, 6)
    freq = summary["frequency"].to_numpy(dtype=float) + 1
    mon = summary["total_value"].to_numpy(dtype=float)
    R = quintile_score(rec_days, higher_is_better=False)
    F = quintile_score(freq)
    M = quintile_score(mon)
    out = pd.DataFrame({"recency_days": rec_days, "frequency": freq.astype(int),
                        "monetary": mon, "R": R, "F": F, "M": M}, index=summary.index)
    out["rfm"] = [f"{r}{f}{m}" for r, f, m in zip(R, F, M, strict=True)]
    out["segment"] = segment_of(R, F)
    return out


def segment_of(R, F) -> np.ndarray:
    """Segment name for each (R, F) score pair (rules in the module docstring)."""
    R = np.asarray(R)
    F = np.asarray(F)
    if np.any((R < 1) | (R > 5) | (F < 1) | (F > 5)):
        raise ParameterError("R and F scores must lie in 1..5")
    seg = np.full(len(R), "", dtype=object)
    for name, rule in SEGMENT_RULES:
        m = rule(R, F) & (seg == "")
        seg[m] = name
    return seg


def segment_summary(scores: pd.DataFrame, clv: pd.Series | None = None) -> pd.DataFrame:
    """Per segment: customers, share, mean recency days / frequency / monetary, value share
    (and mean CLV when ``clv`` is given, aligned on the index)."""
    df = scores.copy()
    if clv is not None:
        df["clv"] = clv.reindex(df.index)
    agg = {"n_customers": ("R", "size"), "mean_recency_days": ("recency_days", "mean"),
           "mean_frequency": ("frequency", "mean"), "mean_monetary": ("monetary", "mean"),
           "total_value": ("monetary", "sum")}
    if clv is not None:
        agg["mean_clv"] = ("clv", "mean")
    out = df.groupby("segment").agg(**agg)
    out.insert(1, "share_customers", out["n_customers"] / len(df))
    tv = out.pop("total_value")
    out.insert(out.columns.get_loc("mean_monetary") + 1, "share_value", tv / tv.sum())
    order = [name for name, _ in SEGMENT_RULES if name in out.index]
    return out.reindex(order).reset_index()


def cohort_retention(log: pd.DataFrame, customer_col: str = "customer_id",
                     date_col: str = "date", period: str = "M",
                     max_periods: int | None = None) -> pd.DataFrame:
    """Cohort retention matrix: share of each first-purchase cohort buying k periods later.

    Cohort = calendar period (``M`` month, ``Q`` quarter, ``W`` week) of the first purchase;
    column k = share of the cohort with at least one purchase in the k-th period after the
    cohort's period (k = 0 is 1 by construction). Also returns ``cohort_size``.
    """
    if period not in ("M", "Q", "W"):
        raise ParameterError(f"period must be 'M', 'Q' or 'W', got {period!r}")
    for c in (customer_col, date_col):
        if c not in log:
            raise DataError(f"cohort_retention: column {c!r} missing")
    if log[customer_col].isna().any():
        raise DataError(f"cohort_retention: column {customer_col!r} has missing ids")
    per = pd.to_datetime(log[date_col]).dt.to_period(period)
    code = np.asarray(per.array.asi8, dtype=np.int64)
    df = pd.DataFrame({"c": log[customer_col].to_numpy(), "p": code}).drop_duplicates()
    first = df.groupby("c")["p"].transform("min")
    df["k"] = df["p"] - first
    df["cohort"] = first
    if max_periods is not None:
        df = df[df["k"] <= max_periods]
    counts = df.groupby(["cohort", "k"])["c"].nunique().unstack(fill_value=0)
    size = counts[0]
    # periods not yet observable for a cohort (cohort + k after the last period) are NaN, not 0
    last = int(df["p"].max())
    unobserved = counts.index.to_numpy()[:, None] + counts.columns.to_numpy()[None, :] > last
    share = counts.div(size, axis=0).mask(unobserved)
    share.index = [str(pd.Period(ordinal=int(i), freq=period)) for i in share.index]
    share.index.name = "cohort"
    share.columns = [f"p{int(k)}" for k in share.columns]
    share.insert(0, "cohort_size", size.to_numpy())
    return share.reset_index()
