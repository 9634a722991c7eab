"""Tests of crm_research.data.transactions (transaction log -> RFM summary)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.clv.simulate import simulate_transaction_log
from crm_research.data import datasets
from crm_research.data.transactions import (
    clean_online_retail,
    repeat_transactions_by_day,
    standardize_log,
    summarize_transactions,
    unit_days,
)
from crm_research.errors import DataError, ParameterError


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "value"]).assign(
        date=lambda d: pd.to_datetime(d["date"], format="ISO8601"))


HAND = _log([
    ("b", "2020-01-10", 5.0),
    ("a", "2020-01-01", 10.0),
    ("a", "2020-01-01 15:30", 2.0),  # same day as the first: merged into the first occasion
    ("a", "2020-01-08", 4.0),
    ("a", "2020-01-15", 6.0),
    ("a", "2020-01-15", 1.0),  # same day: occasion value 7
    ("c", "2020-01-29", 3.0),
])


def test_hand_case_weeks():
    s = summarize_transactions(HAND, observation_end="2020-01-29", time_unit="W")
    assert list(s.index) == ["a", "b", "c"]
    a = s.loc["a"]
    assert a["frequency"] == 2  # Jan 8 and Jan 15 (Jan 1 twice counts once)
    assert a["recency"] == pytest.approx(14 / 7)
    assert a["T"] == pytest.approx(28 / 7)
    assert a["monetary"] == pytest.approx((4 + 7) / 2)  # first occasion excluded
    assert a["total_value"] == pytest.approx(12 + 4 + 7)
    b = s.loc["b"]
    assert b["frequency"] == 0 and b["recency"] == 0 and np.isnan(b["monetary"])
    assert b["T"] == pytest.approx(19 / 7)
    assert s.loc["c", "T"] == 0.0


def test_time_units():
    assert unit_days("D") == 1 and unit_days("w") == 7 and unit_days("M") == 30.4375
    s = summarize_transactions(HAND, observation_end="2020-01-29", time_unit="D")
    assert s.loc["a", "recency"] == 14 and s.loc["a", "T"] == 28
    with pytest.raises(ParameterError, match="time_unit"):
        summarize_transactions(HAND, time_unit="fortnight")


def test_calibration_holdout_split():
    s = summarize_transactions(HAND, observation_end="2020-01-31", calibration_end="2020-01-10",
                               time_unit="D")
    # c's first purchase is after the calibration end: not in the calibration cohort
    assert list(s.index) == ["a", "b"]
    assert s.loc["a", "frequency"] == 1 and s.loc["a", "T"] == 9
    assert s.loc["a", "frequency_holdout"] == 1  # Jan 15 (one occasion)
    assert s.loc["a", "monetary_holdout"] == pytest.approx(7.0)
    assert s.loc["b", "frequency_holdout"] == 0
    assert (s["duration_holdout"] == 21).all()


def test_duplicates_documented_rule():
    dup = pd.concat([HAND, HAND.iloc[[3]]], ignore_index=True)  # duplicate a's Jan 8 row
    kept = summarize_transactions(dup, observation_end="2020-01-29")
    dropped = summarize_transactions(dup, observation_end="2020-01-29", drop_duplicates=True)
    base = summarize_transactions(HAND, observation_end="2020-01-29")
    assert kept.loc["a", "frequency"] == base.loc["a", "frequency"]
    assert kept.loc["a", "monetary"] == pytest.approx((8 + 7) / 2)  # value doubled
    pd.testing.assert_frame_equal(dropped, base)


def test_bad_input_errors():
    bad = HAND.copy()
    bad.loc[2, "customer_id"] = None
    with pytest.raises(DataError, match="customer_id.*missing customer id.*row 2"):
        summarize_transactions(bad)
    with pytest.raises(DataError, match="after the observation end"):
        summarize_transactions(HAND, observation_end="2020-01-20")
    neg = HAND.copy()
    neg.loc[4, "value"] = -1.0
    with pytest.raises(DataError, match="'value'.*< 0.*row 4"):
        summarize_transactions(neg)
    zero = HAND.copy()
    zero.loc[4, "value"] = 0.0
    summarize_transactions(zero)  # zero allowed by default (free items exist in CDNOW)
    with pytest.raises(DataError, match="<= 0"):
        summarize_transactions(zero, value_check="positive")
    nodate = HAND.copy()
    nodate.loc[1, "date"] = pd.NaT
    with pytest.raises(DataError, match="'date'.*row 1"):
        summarize_transactions(nodate)
    with pytest.raises(DataError, match="lacks column"):
        summarize_transactions(HAND.drop(columns="value"))
    with pytest.raises(ParameterError, match="calibration_end"):
        summarize_transactions(HAND, calibration_end="2021-01-01")


def test_cdnow_sample_matches_fader_hardie_definitions():
    """Summary of the CDNOW 1/10 sample as in Fader, Hardie & Lee (2005): weeks, calibration
    1997-01-01..1997-09-30 (39 weeks), holdout to 1998-06-30. That these are the published
    definitions is confirmed in test_clv by reproducing the published BG/NBD log-likelihood
    -9582.4 (FHL 2005; CLVTools' test_correctness_bgnbd.R: -9582.429) on this summary."""
    log = datasets.load("cdnow_sample")
    s = summarize_transactions(log, observation_end="1998-06-30", calibration_end="1997-09-30",
                               time_unit="W")
    assert len(s) == 2357
    assert int(s["frequency"].sum()) == 2457
    assert int((s["frequency"] == 0).sum()) == 1411
    assert int(s["frequency_holdout"].sum()) == 1882
    # first customer of the sample (id 4): purchases 1997-01-01, 01-18, 08-02, 12-12
    first = s.loc[4]
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(213 / 7)  # 30.43 weeks
    assert first["T"] == pytest.approx(272 / 7)  # 38.86 weeks
    assert first["frequency_holdout"] == 1
    assert int((s["monetary"].notna()).sum()) == 946  # the Gamma-Gamma note's 946 customers


def test_repeat_transactions_by_day():
    daily = repeat_transactions_by_day(HAND)
    assert daily.sum() == 2 + 0 + 0  # a: Jan 8, Jan 15
    assert daily.loc["2020-01-08"] == 1 and daily.loc["2020-01-15"] == 1
    only_b = repeat_transactions_by_day(HAND, customers=pd.Index(["b"]))
    assert only_b.sum() == 0


def test_clean_online_retail_small():
    raw = pd.DataFrame({
        "invoice": ["1", "1", "C2", "3", "4", "5"],
        "quantity": [2, 1, -1, -3, 5, 1],
        "invoice_date": pd.to_datetime(["2011-01-01"] * 6),
        "unit_price": [1.5, 2.0, 2.0, 1.0, 0.0, 4.0],
        "customer_id": pd.array([1, 1, 1, 2, 2, None], dtype="Int64"),
    })
    log, cleaning = clean_online_retail(raw)
    assert list(cleaning["rows"]) == [6, 5, 4, 3, 2]
    assert list(cleaning["rows_removed"]) == [0, 1, 1, 1, 1]
    assert log["value"].tolist() == [3.0, 2.0]
    assert log["customer_id"].tolist() == [1, 1]


def test_standardize_log():
    raw = pd.DataFrame({"cid": [1, 2], "when": ["2020-01-01", "2020-01-05"], "amt": [1, 2]})
    log = standardize_log(raw, "cid", "when", "amt")
    assert list(log.columns) == ["customer_id", "date", "value"]
    with pytest.raises(DataError, match="lacks"):
        standardize_log(raw, "id", "when", "amt")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_summary_invariant_to_row_order(seed):
    log = simulate_transaction_log(60, seed=seed, days=120, rate_per_day=0.05)
    a = summarize_transactions(log, time_unit="D")
    b = summarize_transactions(log.sample(frac=1.0, random_state=seed + 1), time_unit="D")
    pd.testing.assert_frame_equal(a, b)
    assert (a["recency"] <= a["T"]).all() and (a["recency"] >= 0).all()
    n_rows = log.groupby("customer_id").size()
    assert (a["frequency"] <= n_rows.reindex(a.index) - 1).all()


def test_summary_matches_pandas_groupby_reference():
    """The numpy implementation equals a plain pandas group-by (the SQL of the docstring)."""
    log = simulate_transaction_log(500, seed=3, days=200, rate_per_day=0.05)
    s = summarize_transactions(log, time_unit="D")
    occ = (log.assign(day=log["date"].dt.normalize())
           .groupby(["customer_id", "day"], as_index=False)["value"].sum())
    g = occ.groupby("customer_id")
    first = g["day"].transform("min")
    end = log["date"].max().normalize()
    ref = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (g["day"].max() - g["day"].min()).dt.days.astype(float),
        "T": (end - g["day"].min()).dt.days.astype(float),
        "monetary": occ[occ["day"] > first].groupby("customer_id")["value"].mean(),
    })
    np.testing.assert_array_equal(s["frequency"], ref["frequency"])
    np.testing.assert_allclose(s["recency"], ref["recency"])
    np.testing.assert_allclose(s["T"], ref["T"])
    np.testing.assert_allclose(s["monetary"], ref["monetary"].reindex(s.index), rtol=1e-12)


def test_prepare_log_and_overview():
    from crm_research.data.transactions import prepare_log, summary_overview

    log, cleaning, dates = prepare_log("cdnow_sample", datasets.load("cdnow_sample"))
    assert dates["calibration_end"] == "1997-09-30"
    assert cleaning.loc[0, "rows"] == 6919 and cleaning.loc[0, "customers"] == 2357
    raw = pd.DataFrame({"cid": [1, 1, 2, None], "when": ["2020-01-01", "2020-03-01",
                                                          "2020-02-01", "2020-02-02"],
                        "amt": [1.0, 2.0, -3.0, 4.0]})
    log2, cleaning2, dates2 = prepare_log("my.csv", raw, "cid", "when", "amt")
    assert len(log2) == 2 and cleaning2.loc[1, "rows_removed"] == 2
    assert dates2["observation_end"] == "2020-03-01"
    s = summarize_transactions(log, observation_end="1998-06-30", calibration_end="1997-09-30")
    ov = summary_overview(s).set_index("measure")["value"]
    assert ov["customers"] == 2357 and ov["repeat purchases (holdout)"] == 1882
