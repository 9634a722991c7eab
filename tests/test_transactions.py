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
    with pytest.raises(DataError, match=r"\['id'\] not found"):
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
    raw = pd.DataFrame({"cid": [1, 1, 2, None, 3], "when": ["2020-01-01", "2020-03-01",
                                                             "2020-02-01", "2020-02-02",
                                                             "2020-02-10"],
                        "amt": [1.0, 2.0, -3.0, 4.0, 5.0]})
    log2, cleaning2, dates2 = prepare_log("my.csv", raw, "cid", "when", "amt")
    steps = cleaning2.set_index("step")
    assert len(log2) == 3
    assert steps.loc["drop missing ids / missing or negative values", "rows_removed"] == 2
    assert dates2["observation_end"] == "2020-03-01"
    s = summarize_transactions(log, observation_end="1998-06-30", calibration_end="1997-09-30")
    ov = summary_overview(s).set_index("measure")["value"]
    assert ov["customers"] == 2357 and ov["repeat purchases (holdout)"] == 1882


# ---------------------------------------------------------------- hostile input (issue 11.5)

DAY_FIRST = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
                          "date": ["03/04/2020", "25/04/2020", "12/05/2020", "01/06/2020",
                                   "02/06/2020"],
                          "value": [1.0, 2.0, 3.0, 4.0, 5.0]})


def test_day_first_dates_detected_on_the_whole_column():
    """Before: format="mixed" read 12/05/2020 as 5 December next to 25/04/2020."""
    log = standardize_log(DAY_FIRST, "customer_id", "date", "value")
    assert log["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-04-03", "2020-04-25", "2020-05-12", "2020-06-01", "2020-06-02"]
    month_first = DAY_FIRST.assign(date=["04/03/2020", "04/25/2020", "05/12/2020",
                                         "06/01/2020", "06/02/2020"])
    log = standardize_log(month_first, "customer_id", "date", "value")
    assert log["date"].dt.strftime("%Y-%m-%d").tolist()[2] == "2020-05-12"
    # the summary reads text dates the same way
    s = summarize_transactions(DAY_FIRST, time_unit="D")
    assert s.loc[1, "recency"] == 22 and s.loc[2, "recency"] == 20


def test_ambiguous_dates_refused_and_date_format():
    amb = DAY_FIRST.assign(date=["03/04/2020", "05/04/2020", "12/05/2020", "01/06/2020",
                                 "02/06/2020"])
    with pytest.raises(DataError, match="day-first or month-first.*date_format"):
        standardize_log(amb, "customer_id", "date", "value")
    with pytest.raises(DataError, match="day-first or month-first"):
        summarize_transactions(amb)
    log = standardize_log(amb, "customer_id", "date", "value", date_format="%d/%m/%Y")
    assert log["date"].iloc[2] == pd.Timestamp("2020-05-12")
    log = standardize_log(amb, "customer_id", "date", "value", date_format="%m/%d/%Y")
    assert log["date"].iloc[2] == pd.Timestamp("2020-12-05")
    with pytest.raises(DataError, match="date_format.*data row 2"):
        standardize_log(DAY_FIRST, "customer_id", "date", "value", date_format="%m/%d/%Y")
    mixed = DAY_FIRST.assign(date=["13/04/2020", "04/25/2020", "12/05/2020", "01/06/2020",
                                   "02/06/2020"])
    with pytest.raises(DataError, match="mixes day-first and month-first"):
        standardize_log(mixed, "customer_id", "date", "value")


def test_misdated_transaction_after_the_data_refused_or_dropped():
    """Before: a 2031 row was accepted and moved the holdout end to 2031."""
    from crm_research.data.transactions import prepare_log

    raw = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4],
                        "date": ["2020-01-01", "2020-02-01", "2020-01-05", "2020-03-01",
                                 "2020-02-02", "2020-04-01", "2031-01-01"],
                        "value": [1, 2, 3, 4, 5, 6, 7]})
    with pytest.raises(DataError, match="2031-01-01.*after the rest of the log"):
        prepare_log("my.csv", raw)
    log, cleaning, dates = prepare_log("my.csv", raw, observation_end="2020-06-30")
    assert log["date"].max() == pd.Timestamp("2020-04-01")
    assert dates["observation_end"] == "2020-04-01"
    assert cleaning["step"].iloc[-1].startswith("drop transactions after observation_end")
    assert cleaning["rows_removed"].iloc[-1] == 1
    # a real pause in the middle is not flagged (more than 1% of rows after it)
    pause = raw.iloc[:6].copy()
    pause["date"] = ["2020-01-01", "2020-02-01", "2020-01-05", "2020-09-01", "2020-09-02",
                     "2020-09-03"]
    prepare_log("my.csv", pause)
    # the engine refuses rows after an explicit observation end
    with pytest.raises(DataError, match="after the observation end"):
        summarize_transactions(standardize_log(raw, "customer_id", "date", "value"),
                               observation_end="2020-06-30")


def test_exact_duplicates_counted_and_dropped_on_request():
    """Before: duplicate rows were not flagged (and doubled the customer's value)."""
    from crm_research.data.transactions import prepare_log

    raw = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3], "date": ["2020-01-01", "2020-02-01",
                                                                 "2020-01-05", "2020-03-01",
                                                                 "2020-02-02"],
                        "value": [1.0, 2.0, 3.0, 4.0, 5.0]})
    dup = pd.concat([raw, raw.iloc[[1, 1]]], ignore_index=True)
    _, cleaning, _ = prepare_log("my.csv", dup)
    kept = cleaning.set_index("step")["rows"]
    assert kept["of which exact duplicate rows (kept; drop_duplicates drops them)"] == 2
    log, cleaning, _ = prepare_log("my.csv", dup, drop_duplicates=True)
    assert len(log) == 5
    steps = cleaning.set_index("step")
    assert steps.loc["input rows", "rows"] == 7
    assert steps.loc["drop exact duplicate rows", "rows_removed"] == 2
    _, cleaning, _ = prepare_log("cdnow_sample", datasets.load("cdnow_sample"))
    assert cleaning["step"].str.startswith("of which exact duplicate rows").any()


def test_header_only_and_one_customer_files(tmp_path):
    """Before: a header-only file gave AttributeError, a one-customer file a scipy error."""
    from crm_research.data.transactions import prepare_log

    empty = pd.DataFrame({"customer_id": [], "date": [], "value": []})
    with pytest.raises(DataError, match="no rows"):
        prepare_log("empty.csv", empty)
    with pytest.raises(DataError, match="no rows"):
        standardize_log(empty, "customer_id", "date", "value")
    one = pd.DataFrame({"customer_id": [1] * 5,
                        "date": ["2020-01-01", "2020-02-01", "2020-03-05", "2020-04-01",
                                 "2020-06-01"], "value": [5, 6, 7, 3, 3]})
    with pytest.raises(DataError, match="1 customer"):
        prepare_log("one.csv", one)


def test_read_user_csv_encoding(tmp_path):
    """Before: the file encoding could not be set (a cp1256 Persian file failed)."""
    p = tmp_path / "log.csv"
    p.write_bytes("مشتري,date,value\nعلي,2020-01-01,5\n".encode("cp1256"))
    with pytest.raises(DataError, match="encoding"):
        datasets.read_user_csv(p, "transaction log")
    raw = datasets.read_user_csv(p, "transaction log", encoding="cp1256")
    assert raw.columns[0] == "مشتري" and raw.iloc[0, 0] == "علي"
