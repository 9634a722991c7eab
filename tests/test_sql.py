"""Transaction summaries in SQL (crm_research.data.sql): DuckDB and Spark against pandas.

The SQL is one text run by both engines; these tests check it against the pandas definitions of
crm_research.data.transactions on the bundled logs (CDNOW sample and master, cleaned Online
Retail), on a hand-checkable log, on simulated logs with known truth and on random logs. Integer
columns, dates and times must agree exactly; sums of values (monetary, total_value) to relative
1e-12, since the engines add the same numbers in another order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.clv import rfm
from crm_research.clv.core import collapse_rows
from crm_research.data import transactions
from crm_research.data.log_source import open_log
from crm_research.data.sql import TransactionLog, compose, expand_paths, sql_blocks
from crm_research.errors import DataError, ParameterError

duckdb = pytest.importorskip("duckdb")

SUMS = ("monetary", "total_value", "monetary_holdout")
LOGS = ("cdnow_sample", "cdnow_master", "online_retail")


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "value"]).assign(
        date=lambda d: pd.to_datetime(d["date"], format="ISO8601"))


HAND = _log([
    ("b", "2020-01-10", 5.0),
    ("a", "2020-01-01", 10.0),
    ("a", "2020-01-01 15:30", 2.0),  # same day as the first: one occasion worth 12
    ("a", "2020-01-08", 4.0),
    ("a", "2020-01-15", 6.0),
    ("a", "2020-01-15", 1.0),  # same day: occasion value 7
    ("c", "2020-01-29", 3.0),
])


def assert_same_summary(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same customers, columns and dtypes; exact except sums of values (rtol 1e-12)."""
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    for col in want.columns:
        assert got[col].dtype == want[col].dtype, col
        if col in SUMS:
            np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=0, err_msg=col)
        else:
            pd.testing.assert_series_equal(got[col], want[col], check_names=False, obj=col)


@pytest.fixture(scope="module")
def logs(load_dataset):
    """The bundled logs as the study prepares them, with their default split."""
    out = {}
    for name in LOGS:
        log, _, dates = transactions.prepare_log(name, load_dataset(name))
        out[name] = (log, dates["observation_end"], dates["calibration_end"])
    return out


@pytest.fixture(scope="module")
def parquet_logs(logs, tmp_path_factory):
    """Each bundled log written to Parquet by DuckDB (timestamps in microseconds)."""
    folder = tmp_path_factory.mktemp("parquet")
    paths = {}
    with duckdb.connect() as con:
        for name, (log, _, _) in logs.items():
            con.register("frame", log)
            paths[name] = str(folder / f"{name}.parquet")
            con.execute("COPY (SELECT customer_id, CAST(date AS TIMESTAMP) AS date, value "
                        f"FROM frame) TO '{paths[name]}' (FORMAT parquet)")
            con.unregister("frame")
    return paths


def check_all(tl: TransactionLog, log: pd.DataFrame, obs: str, cal: str,
              periods: tuple[str, ...] = ("M", "Q", "W")) -> None:
    """Every SQL output of ``tl`` against the pandas path on the same log."""
    want = transactions.summarize_transactions(log, observation_end=obs, calibration_end=cal)
    assert_same_summary(tl.summary(obs, cal, "W"), want)
    (x, t_x, T), n = collapse_rows(want["frequency"].to_numpy(), want["recency"].to_numpy(),
                                   want["T"].to_numpy())
    col = tl.collapsed(obs, cal, "W")
    assert np.array_equal(col["x"], x) and np.array_equal(col["t_x"], t_x)
    assert np.array_equal(col["T"], T) and np.array_equal(col["n_customers"], n)
    assert_same_rfm(tl.rfm_scores(obs, cal), want)
    for period in periods:
        pd.testing.assert_frame_equal(tl.cohort_retention(period),
                                      rfm.cohort_retention(log, period=period))
    daily = transactions.repeat_transactions_by_day(log, customers=want.index)
    pd.testing.assert_series_equal(tl.repeat_transactions_by_day(cal), daily)


def assert_same_rfm(got: pd.DataFrame, summary: pd.DataFrame) -> None:
    """SQL RFM table against clv.rfm on the pandas summary.

    Recency days are whole days in SQL. clv.rfm computes them as (T - recency) x 7 in floating
    point, where equal day counts can differ in the last bit (27.999999999999996 vs 28.0) and so
    fall into different tie groups; R is therefore checked against clv.rfm's own quintile rule on
    the rounded days (ties share the lowest rank), the other columns against rfm_scores itself.
    """
    want = rfm.rfm_scores(summary, time_unit_days=7.0)
    assert got.index.equals(want.index) and list(got.columns) == list(want.columns)
    np.testing.assert_array_equal(got["recency_days"], want["recency_days"])
    for c in ("frequency", "F", "M"):
        np.testing.assert_array_equal(got[c], want[c], err_msg=c)
    np.testing.assert_allclose(got["monetary"], want["monetary"], rtol=1e-12)
    R = rfm.quintile_score(np.round(want["recency_days"].to_numpy()), higher_is_better=False)
    np.testing.assert_array_equal(got["R"], R)
    np.testing.assert_array_equal(got["segment"], rfm.segment_of(R, want["F"].to_numpy()))


# --------------------------------------------------------------------------- hand-checkable

def test_hand_case_duckdb():
    tl = TransactionLog(HAND, "duckdb")
    s = tl.summary(observation_end="2020-01-29", time_unit="W", details=True)
    assert list(s.index) == ["a", "b", "c"]
    a = s.loc["a"]
    assert a["frequency"] == 2 and a["recency"] == 14 / 7 and a["T"] == 28 / 7
    assert a["monetary"] == (4 + 7) / 2 and a["total_value"] == 12 + 4 + 7
    assert a["last_purchase"] == pd.Timestamp("2020-01-15") and a["cohort"] == "2020-01"
    assert s.loc["b", "frequency"] == 0 and np.isnan(s.loc["b", "monetary"])
    assert s.loc["c", "T"] == 0.0
    split = tl.summary("2020-01-31", "2020-01-10", "D")
    assert list(split.index) == ["a", "b"] and split.loc["a", "T"] == 9
    assert split.loc["a", "frequency_holdout"] == 1 and split.loc["a", "monetary_holdout"] == 7
    assert (split["duration_holdout"] == 21).all()
    col = tl.collapsed("2020-01-29", time_unit="D")
    assert col.to_dict("list") == {"x": [0, 0, 2], "t_x": [0.0, 0.0, 14.0],
                                   "T": [0.0, 19.0, 28.0], "n_customers": [1, 1, 1]}


def test_model_fit_on_the_collapsed_table_equals_fit_on_the_summary(logs):
    """The purchase models only need the SQL collapsed table: same rows, same weights, so the
    BG/NBD estimates are those of the collapsed fit on the per-customer summary."""
    from crm_research.clv.bgnbd import fit_bgnbd

    log, obs, cal = logs["cdnow_sample"]
    col = TransactionLog(log, "duckdb").collapsed(obs, cal)
    s = transactions.summarize_transactions(log, observation_end=obs, calibration_end=cal)
    a = fit_bgnbd(col["x"], col["t_x"], col["T"], weights=col["n_customers"], collapse=False)
    b = fit_bgnbd(s["frequency"], s["recency"], s["T"], collapse=True)
    assert col["n_customers"].sum() == len(s) and a.n_rows == b.n_rows == len(col)
    np.testing.assert_array_equal(np.asarray(a.params), np.asarray(b.params))


def test_one_sql_text_for_both_engines():
    blocks = sql_blocks()
    assert {"txn", "checks", "summary", "collapsed", "rfm", "cohort_counts",
            "repeat_by_day"} <= set(blocks)
    sql = compose("summary", ["occasions", "calibration", "holdout"], txn="t", end=3, cal=2,
                  unit=7.0)
    assert sql.startswith("WITH occasions AS (") and "{" not in sql


# --------------------------------------------------------------------------- bundled logs

@pytest.mark.parametrize("name", LOGS)
def test_duckdb_equals_pandas_on_bundled_logs(logs, name):
    log, obs, cal = logs[name]
    check_all(TransactionLog(log, "duckdb"), log, obs, cal)


@pytest.mark.parametrize("name", ["cdnow_sample", "online_retail"])
def test_duckdb_reads_parquet_and_csv_globs(logs, parquet_logs, tmp_path, name):
    log, obs, cal = logs[name]
    want = transactions.summarize_transactions(log, observation_end=obs, calibration_end=cal)
    assert_same_summary(transactions.summarize(parquet_logs[name], observation_end=obs,
                                               calibration_end=cal), want)
    parts = np.array_split(np.arange(len(log)), 3)
    for i, rows in enumerate(parts):
        log.iloc[rows].to_csv(tmp_path / f"part-{i}.csv", index=False)
    got = transactions.summarize(str(tmp_path / "part-*.csv"), engine="duckdb",
                                 observation_end=obs, calibration_end=cal)
    assert_same_summary(got, want)
    got = transactions.summarize(str(tmp_path / "part-*.csv"), engine="pandas",
                                 observation_end=obs, calibration_end=cal)
    assert_same_summary(got, want)


def test_write_summary_to_parquet_equals_summary(logs, tmp_path):
    log, obs, cal = logs["cdnow_sample"]
    tl = TransactionLog(log, "duckdb")
    path = tl.write_summary(str(tmp_path / "summary.parquet"), obs, cal)
    with duckdb.connect() as con:
        written = con.execute(f"SELECT * FROM '{path}' ORDER BY customer_id").df()
    want = tl.summary(obs, cal)
    np.testing.assert_array_equal(written["customer_id"], want.index)
    for col in ("frequency", "recency", "T", "frequency_holdout"):
        np.testing.assert_array_equal(written[col], want[col])
    first = written["first_dnum"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    np.testing.assert_array_equal(first, want["first_purchase"].to_numpy())


def test_study_log_same_on_every_engine(logs, parquet_logs):
    log, obs, cal = logs["cdnow_sample"]
    path = parquet_logs["cdnow_sample"]
    a, b = open_log(path, engine="pandas"), open_log(path, engine="auto")
    assert (a.engine, b.engine) == ("pandas", "duckdb")
    assert a.default_dates == b.default_dates
    pd.testing.assert_frame_equal(a.cleaning, b.cleaning)
    assert_same_summary(b.summarize(obs, cal), a.summarize(obs, cal))
    pd.testing.assert_frame_equal(b.cohort_retention(), a.cohort_retention())
    pd.testing.assert_series_equal(b.repeat_transactions_by_day(cal),
                                   a.repeat_transactions_by_day(cal))
    bundled = open_log("cdnow_sample", engine="duckdb")
    assert_same_summary(bundled.summarize(obs, cal), a.summarize(obs, cal))


def test_study_log_cleans_a_users_file_like_prepare_log(tmp_path):
    raw = pd.DataFrame({"cust": [1, 1, 2, None, 3, 3], "day": ["2020-01-01", "2020-02-01",
                        "2020-01-05", "2020-01-06", "2020-03-01", "2020-03-02"],
                        "amount": [5.0, 0.0, 3.0, 4.0, -2.0, 6.0]})
    raw.to_csv(tmp_path / "log.csv", index=False)
    opts = {"customer_col": "cust", "date_col": "day", "value_col": "amount"}
    a = open_log(str(tmp_path / "log.csv"), engine="pandas", **opts)
    b = open_log(str(tmp_path / "log.csv"), engine="duckdb", **opts)
    pd.testing.assert_frame_equal(a.cleaning, b.cleaning)
    assert b.cleaning["rows_removed"].tolist() == [0, 0, 2, 0]
    assert a.default_dates == b.default_dates
    assert_same_summary(b.summarize(), a.summarize())


def _user_csv(tmp_path, dates, name="log.csv"):
    n = len(dates)
    raw = pd.DataFrame({"customer_id": [1 + i % 3 for i in range(n)], "date": dates,
                        "value": [10.0] * n})
    path = tmp_path / name
    raw.to_csv(path, index=False)
    return str(path)


def test_auto_engine_reads_one_small_csv_with_pandas_and_everything_else_with_duckdb(
        tmp_path, parquet_logs):
    path = _user_csv(tmp_path, ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"])
    assert open_log(path, engine="auto").engine == "pandas"
    assert open_log(parquet_logs["cdnow_sample"], engine="auto").engine == "duckdb"
    glob_path = str(tmp_path / "*.csv")
    assert open_log(glob_path, engine="auto").engine == "duckdb"


def test_sql_engines_refuse_day_first_dates_instead_of_guessing(tmp_path):
    # 03/04/2020 could be 3 April or 4 March: DuckDB's CSV sniffer used to pick one silently.
    path = _user_csv(tmp_path, ["03/04/2020", "05/04/2020", "07/04/2020", "09/04/2020"])
    with pytest.raises(DataError, match="ISO 8601"):
        open_log(path, engine="duckdb")
    with pytest.raises(DataError, match="ambiguous|day|month"):
        open_log(path, engine="pandas")


def test_sql_engines_refuse_a_late_date_typo_like_pandas(tmp_path):
    days = [str(d.date()) for d in pd.date_range("2020-01-01", periods=300, freq="D")]
    path = _user_csv(tmp_path, [*days, "2031-01-01"])
    for engine in ("pandas", "duckdb"):
        with pytest.raises(DataError, match="2031-01-01"):
            open_log(path, engine=engine)


@settings(max_examples=40)
@given(st.lists(st.integers(0, 2000), min_size=2, max_size=60),
       st.lists(st.integers(1, 5), min_size=60, max_size=60))
def test_late_dates_on_day_counts_equals_late_dates_on_rows(days, reps):
    from crm_research.data.dates import late_dates

    u = np.unique(days)
    counts = np.array(reps[:len(u)], dtype=float)
    rows = pd.Series(np.repeat(u, counts.astype(int)).astype("datetime64[D]"))
    on_rows = late_dates(rows)
    on_counts = late_dates(pd.Series(u.astype("datetime64[D]")), counts)
    np.testing.assert_array_equal(np.repeat(on_counts, counts.astype(int)), on_rows)


# --------------------------------------------------------------------------- known truth

def test_simulated_log_recovers_known_summary():
    """Customers with known purchase days (several rows and times per day) → exact summary."""
    rng = np.random.default_rng(7)
    rows, truth = [], {}
    end = 400
    for cid in range(300):
        days = np.sort(rng.choice(end + 1, size=rng.integers(1, 8), replace=False))
        totals = []
        for d in days:
            k = int(rng.integers(1, 4))
            vals = np.round(rng.uniform(1, 50, k), 2)
            totals.append(vals.sum())
            for v, sec in zip(vals, rng.integers(0, 86_400, k), strict=True):
                rows.append((cid, np.datetime64("2021-01-01") + np.timedelta64(int(d), "D")
                             + np.timedelta64(int(sec), "s"), v))
        x = len(days) - 1
        truth[cid] = (x, (days[-1] - days[0]) / 7, (end - days[0]) / 7,
                      np.mean(totals[1:]) if x else np.nan)
    log = pd.DataFrame(rows, columns=["customer_id", "date", "value"]).sample(frac=1,
                                                                              random_state=1)
    got = TransactionLog(log, "duckdb").summary("2022-02-05", time_unit="W")
    want = pd.DataFrame.from_dict(truth, orient="index",
                                  columns=["frequency", "recency", "T", "monetary"])
    np.testing.assert_array_equal(got["frequency"], want["frequency"])
    np.testing.assert_array_equal(got["recency"], want["recency"])
    np.testing.assert_array_equal(got["T"], want["T"])
    np.testing.assert_allclose(got["monetary"], want["monetary"], rtol=1e-12)


# --------------------------------------------------------------------------- properties

@st.composite
def random_logs(draw):
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))
    date = (np.datetime64("2020-02-20", "h") + np.array(days) * 24 + np.array(hours))
    return pd.DataFrame({"customer_id": ids, "date": date.astype("datetime64[ns]"),
                         "value": np.array(cents) / 100})


@settings(max_examples=40)
@given(log=random_logs(), cut=st.integers(0, 60), seed=st.integers(0, 10))
def test_duckdb_equals_pandas_on_random_logs(log, cut, seed):
    """Any log, any split, any row order: SQL = pandas."""
    cal = str(np.datetime64("2020-02-20") + np.timedelta64(cut, "D"))
    obs = "2020-04-30"
    shuffled = log.sample(frac=1, random_state=seed)
    tl = TransactionLog(shuffled, "duckdb")
    first = log["date"].dt.normalize().min()
    if pd.Timestamp(cal) < first:
        with pytest.raises(DataError, match="calibration_end"):
            tl.summary(obs, cal)
        return
    want = transactions.summarize_transactions(log, observation_end=obs, calibration_end=cal)
    assert_same_summary(tl.summary(obs, cal), want)
    assert_same_summary(tl.summary(obs), transactions.summarize_transactions(
        log, observation_end=obs))


# --------------------------------------------------------------------------- errors

def test_bad_input_gives_one_clear_error(tmp_path):
    with pytest.raises(DataError, match="lacks column"):
        TransactionLog(HAND.drop(columns="value"), "duckdb")
    with pytest.raises(DataError, match="negative|< 0"):
        TransactionLog(HAND.assign(value=-1.0), "duckdb").summary()
    with pytest.raises(DataError, match="missing customer id"):
        TransactionLog(HAND.assign(customer_id=[None, "a", "a", "a", "a", "a", "c"]),
                       "duckdb").summary()
    with pytest.raises(DataError, match="after the observation end"):
        TransactionLog(HAND, "duckdb").summary(observation_end="2020-01-20")
    with pytest.raises(ParameterError, match="after the observation end"):
        TransactionLog(HAND, "duckdb").summary("2020-01-29", calibration_end="2020-02-20")
    (tmp_path / "bad.csv").write_text("customer_id,date,value\n1,2020-01-01,3\n2,not a day,4\n")
    with pytest.raises(DataError, match=r"'date'.*unparsable date.*not a day"):
        TransactionLog(str(tmp_path / "bad.csv"), "duckdb").summary()
    with pytest.raises(DataError, match="no such file"):
        expand_paths(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(DataError, match="could not read"):
        TransactionLog(str(tmp_path / "bad.csv"), "duckdb", customer_col="nope")
    with pytest.raises(ParameterError, match="engine"):
        transactions.summarize(HAND, engine="oracle")


# --------------------------------------------------------------------------- Spark

def _java_reason() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'crm-research[spark]')"
    import pyspark

    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        return "no Java runtime (no java on PATH or in JAVA_HOME): Spark tests skipped"
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(?:1\.)?(\d+)', out)
    major = int(found.group(1)) if found else 0
    needed = 17 if int(pyspark.__version__.split(".")[0]) >= 4 else 8
    if major < needed:
        return (f"Java {major or '?'} found, pyspark {pyspark.__version__} needs Java "
                f"{needed}+: Spark tests skipped")
    return None


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (local[2], UTC) for all Spark tests."""
    reason = _java_reason()
    if reason:
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("crm-research-tests")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.driver.memory", "1g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("name", LOGS)
def test_spark_equals_pandas_and_duckdb_on_bundled_logs(spark, logs, parquet_logs, name):
    """Spark on the Parquet files = pandas (and so = DuckDB, tested against pandas above).

    The three calendar periods of the cohort table are checked on the sample only (the period
    expressions are shared SQL; each Spark query costs ~1-2 s here)."""
    log, obs, cal = logs[name]
    tl = TransactionLog(parquet_logs[name], "spark", spark=spark)
    check_all(tl, log, obs, cal, periods=("M", "Q", "W") if name == "cdnow_sample" else ("M",))


def test_spark_reads_csv_and_reports_bad_rows(spark, tmp_path):
    HAND.to_csv(tmp_path / "hand.csv", index=False)
    got = TransactionLog(str(tmp_path / "hand.csv"), "spark", spark=spark)
    assert_same_summary(got.summary("2020-01-31", "2020-01-10", "D"),
                        transactions.summarize_transactions(HAND, observation_end="2020-01-31",
                                                            calibration_end="2020-01-10",
                                                            time_unit="D"))
    study = open_log(str(tmp_path / "hand.csv"), engine="spark")  # the fixture's session
    pandas = open_log(str(tmp_path / "hand.csv"), engine="pandas")
    assert study.engine == "spark" and study.sql.engine.spark is spark
    pd.testing.assert_frame_equal(study.cleaning, pandas.cleaning)
    assert_same_summary(study.summarize(), pandas.summarize())
    (tmp_path / "neg.csv").write_text("customer_id,date,value\n1,2020-01-01,3\n2,2020-01-02,-4\n")
    with pytest.raises(DataError, match="< 0"):
        TransactionLog(str(tmp_path / "neg.csv"), "spark", spark=spark).summary()
