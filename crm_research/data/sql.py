"""Transaction summaries of logs of any size: one SQL definition run by DuckDB or Spark SQL.

The queries live in ``sql/summaries.sql`` beside this module, written in the subset of SQL that
DuckDB (embedded, out of core, the default) and Spark SQL (clusters; optional extra ``[spark]``)
share, so the two engines run the *same text*; the only engine-specific code is how a source
(a pandas frame, CSV/Parquet files or globs) becomes the view the queries read, and a one-line
DuckDB macro for Spark's built-in ``unix_date``. The definitions are those of
:func:`crm_research.data.transactions.summarize_transactions` (module docstring there: an
occasion is a customer's calendar day, frequency = repeat occasions, times in days / unit), and
the tests check that pandas, DuckDB and Spark agree on the bundled logs: integers and times
exactly, sums of values to floating-point summation order (relative 1e-12).

:class:`TransactionLog` holds one log in one engine and returns the summary, the collapsed
(x, t_x, T, n_customers) table the purchase models are fitted on, RFM scores, cohort retention
and repeat purchases by day -- all aggregated by the engine, so only per-customer (or smaller)
tables reach pandas.
"""

from __future__ import annotations

import glob
import re
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research.clv.rfm import segment_of
from crm_research.data.transactions import VALUE_CHECKS, unit_days
from crm_research.errors import DataError, ParameterError

ENGINES = ("auto", "duckdb", "pandas", "spark")
SQL_FILE = Path(__file__).with_name("sql") / "summaries.sql"
#: DuckDB defaults: bounded memory (spills to a temporary directory beyond it).
DUCKDB_MEMORY_LIMIT = "4GB"

_COUNTER = iter(range(1, 1 << 62))


@cache
def sql_blocks() -> dict[str, str]:
    """The named SQL blocks of ``sql/summaries.sql`` (``-- name: NAME`` sections)."""
    text = SQL_FILE.read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    for part in re.split(r"^-- name: ", text, flags=re.M)[1:]:
        name, _, body = part.partition("\n")
        lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith("--")]
        blocks[name.strip()] = "\n".join(lines).strip()
    return blocks


def compose(final: str, ctes: Sequence[str], **params: object) -> str:
    """``WITH cte1 AS (...), ... <final block>`` with ``{placeholders}`` filled from ``params``."""
    b = sql_blocks()
    parts = [f"{name} AS (\n{b[name]}\n)" for name in ctes]
    text = ("WITH " + ",\n".join(parts) + "\n" if parts else "") + b[final]
    return text.format(**params)


def expand_paths(source: str | Sequence[str]) -> list[str]:
    """Local files named by a path, a folder (its ``*.parquet`` files, else its ``*.csv``), a
    glob (``*``, ``?``, ``[``, ``**``) or a list of them (sorted within each item)."""
    items = [source] if isinstance(source, str | Path) else list(source)
    out: list[str] = []
    for item in items:
        s = str(item)
        if Path(s).is_dir():
            hits = sorted(glob.glob(f"{s}/*.parquet")) or sorted(glob.glob(f"{s}/*.csv"))
        else:
            hits = sorted(glob.glob(s, recursive=True)) if glob.has_magic(s) else [s]
        files = [h for h in hits if Path(h).is_file()]
        if not files:
            raise DataError(f"transaction log {s!r}: no such file (expected a CSV or Parquet "
                            "file, or a glob matching some)")
        out.extend(files)
    kinds = {_file_kind(f) for f in out}
    if len(kinds) > 1:
        raise DataError(f"transaction log {source!r}: mixes CSV and Parquet files")
    return out


def is_uri(source: str | Iterable[str]) -> bool:
    """A cluster/object-store path (``s3a://``, ``hdfs://``, ``abfss://``, ...), read by Spark."""
    first = source if isinstance(source, str) else next(iter(source), "")
    return isinstance(first, str) and re.match(r"^[a-z][a-z0-9+.-]*://", first) is not None \
        and not first.startswith("file://")


def _file_kind(path: str) -> str:
    name = path.lower().rstrip("/")
    if name.endswith((".parquet", ".pq", ".parq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".csv.zst")):
        return "csv"
    raise DataError(f"transaction log {path!r}: unknown file type (expected .csv or .parquet)")


#: ``auto`` reads one CSV file up to this size with pandas (every check of
#: :func:`~crm_research.data.transactions.prepare_log`: date-format detection, ``date_format``,
#: ``encoding``, late-date typos); larger files, Parquet, globs and lists go to DuckDB.
AUTO_PANDAS_CSV_BYTES = 256 * 2**20


def resolve_engine(engine: str, source: object = None) -> str:
    """``auto`` → ``pandas`` for an in-memory frame, a bundled data set or one CSV file of at
    most :data:`AUTO_PANDAS_CSV_BYTES`; ``duckdb`` for anything else (Parquet, globs, lists,
    folders, large CSV files)."""
    if engine not in ENGINES:
        raise ParameterError(f"engine={engine!r}; expected one of {ENGINES}")
    if engine != "auto":
        return engine
    if source is None or isinstance(source, pd.DataFrame):
        return "pandas"
    if isinstance(source, str) and "," not in source and not glob.has_magic(source):
        path = Path(source)
        if path.is_file() and _file_kind(source) == "csv" \
                and path.stat().st_size <= AUTO_PANDAS_CSV_BYTES:
            return "pandas"
    return "duckdb"


class _DuckDB:
    """DuckDB adapter: an in-memory database, bounded memory, spilling to a temp directory."""

    name = "duckdb"

    def __init__(self, memory_limit: str | None = DUCKDB_MEMORY_LIMIT,
                 threads: int | None = None, temp_directory: str | None = None):
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
            raise ParameterError("engine='duckdb' needs the duckdb package") from exc
        self._error = duckdb.Error
        self.con = duckdb.connect()
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{_literal(memory_limit)}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # spill folder, removed with this object (or by close())
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if temp_directory:
            folder = temp_directory
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="crm-duckdb-")
            folder = self._tmp.name
        self.con.execute(f"SET temp_directory = '{_literal(folder)}'")
        self.con.execute("CREATE OR REPLACE TEMP MACRO unix_date(d) AS "
                         "(CAST(d AS DATE) - DATE '1970-01-01')")

    def source(self, view: str, src: pd.DataFrame | list[str], cols: dict[str, str | None]):
        if isinstance(src, pd.DataFrame):
            self.con.register(f"{view}_frame", src)
            rel = f"{view}_frame"
        else:
            date_col = cols["date"]
            assert date_col is not None  # TransactionLog's date_col is a required str
            files = "[" + ", ".join(f"'{_literal(p)}'" for p in src) + "]"
            rel = (f"read_parquet({files}, union_by_name = true)"
                   if _file_kind(src[0]) == "parquet" else
                   # dates read as text and cast by the query: ISO 8601 only, so a day-first
                   # file is refused as unparsable instead of being guessed (issue 11)
                   f"read_csv({files}, header = true, "
                   f"types = {{'{_literal(date_col)}': 'VARCHAR'}})")
        sel = [f'"{_ident(cols["customer"])}" AS customer_id',
               f'"{_ident(cols["date"])}" AS date_raw',
               f'"{_ident(cols["value"])}" AS value_raw' if cols["value"] else "0 AS value_raw"]
        self.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(sel)} FROM {rel}")

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def write_parquet(self, sql: str, path: str) -> None:
        self.con.execute(f"COPY ({sql}) TO '{_literal(path)}' (FORMAT parquet)")

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()


class _Spark:
    """Spark SQL adapter: the active session (e.g. on a cluster) or a new local one (UTC)."""

    name = "spark"

    def __init__(self, spark=None):
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ParameterError("engine='spark' needs pyspark: pip install "
                                 "'crm-research[spark]' (and Java 17+)") from exc
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        self._error = (PySparkException, Py4JJavaError)
        self.spark = spark or SparkSession.getActiveSession() or (
            SparkSession.builder.appName("crm-research")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false").getOrCreate())

    def source(self, view: str, src: pd.DataFrame | list[str], cols: dict[str, str | None]):
        from pyspark.sql import functions as F

        if isinstance(src, pd.DataFrame):
            keep = [c for c in cols.values() if c]
            sdf = self.spark.createDataFrame(src[keep])
        elif _file_kind(src[0]) == "parquet":
            sdf = self.spark.read.parquet(*src)
        else:
            sdf = self.spark.read.option("header", True).option("inferSchema", True).csv(src)
        value = (F.col(f"`{cols['value']}`") if cols["value"] else F.lit(0.0)).alias("value_raw")
        sdf.select(F.col(f"`{cols['customer']}`").alias("customer_id"),
                   F.col(f"`{cols['date']}`").alias("date_raw"), value
                   ).createOrReplaceTempView(view)

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def query(self, sql: str) -> pd.DataFrame:
        with warnings.catch_warnings():  # without pyarrow, toPandas warns and collects rows
            warnings.simplefilter("ignore")
            return self.spark.sql(sql).toPandas()

    def write_parquet(self, sql: str, path: str) -> None:
        self.spark.sql(sql).write.mode("overwrite").parquet(path)

    def close(self) -> None:
        """The session is shared (and slow to start): left running."""


def day_number(value: object, name: str) -> int:
    """Days since 1970-01-01 of a date parameter (time of day dropped)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{name}={value!r} is not a date (expected e.g. '1997-09-30')"
                             ) from exc
    if pd.isna(ts):
        raise ParameterError(f"{name} is missing (expected a date)")
    return int(np.datetime64(ts.normalize().date(), "D").astype(np.int64))


def _literal(text: str) -> str:
    return str(text).replace("'", "''")


def _ident(text: str | None) -> str:
    return str(text).replace('"', '""')


class TransactionLog:
    """A transaction log summarised by a SQL engine (``duckdb`` or ``spark``).

    ``source`` is a pandas DataFrame, or a CSV/Parquet path, glob or list of them (read by the
    engine itself: DuckDB streams the files, out of core under ``memory_limit``). Columns are
    named by ``customer_col``, ``date_col`` and ``value_col`` (None: no values). Rows are checked
    once (:meth:`checks`) the way :func:`~crm_research.data.transactions.summarize_transactions`
    checks them (``value_check``); ``drop_duplicates`` removes exact duplicate rows first;
    ``clean`` drops rows without a customer id or with a missing or negative value (as
    :func:`~crm_research.data.transactions.prepare_log` does for a user's file).
    ``spark`` is an existing SparkSession (default: the active one, else a new local one).
    """

    def __init__(self, source, engine: str = "duckdb", customer_col: str = "customer_id",
                 date_col: str = "date", value_col: str | None = "value",
                 value_check: str = "nonnegative", drop_duplicates: bool = False,
                 clean: bool = False, memory_limit: str | None = DUCKDB_MEMORY_LIMIT,
                 threads: int | None = None, spark=None):
        if value_check not in VALUE_CHECKS:
            raise ParameterError(f"value_check={value_check!r}; expected one of {VALUE_CHECKS}")
        self.engine: _DuckDB | _Spark
        if engine == "duckdb":
            self.engine = _DuckDB(memory_limit, threads)
        elif engine == "spark":
            self.engine = _Spark(spark)
        else:
            raise ParameterError(f"TransactionLog engine={engine!r}; expected 'duckdb' or "
                                 "'spark' (pandas frames: transactions.summarize_transactions)")
        self.value_check, self.has_value = value_check, value_col is not None
        self.describe = "data frame" if isinstance(source, pd.DataFrame) else repr(source)
        if isinstance(source, pd.DataFrame):
            src = source
            missing = [c for c in (customer_col, date_col, value_col)
                       if c is not None and c not in source.columns]
            if missing:
                raise DataError(f"transaction log lacks column(s) {missing}; it has "
                                f"{list(source.columns)[:20]}")
        elif engine == "spark" and is_uri(source):
            src = [source] if isinstance(source, str) else list(source)
            _file_kind(src[0])  # cluster paths are globbed by Spark; the type from the name
        else:
            src = expand_paths(source)
        n = next(_COUNTER)
        self._src, self._all, self._txn = f"crm_src_{n}", f"crm_all_{n}", f"crm_txn_{n}"
        cols = {"customer": customer_col, "date": date_col, "value": value_col}
        self.columns = cols
        self._run(lambda: self.engine.source(self._src, src, cols), "read")
        source_sql = (f"(SELECT DISTINCT customer_id, date_raw, value_raw FROM {self._src})"
                      if drop_duplicates else self._src)
        views = [(self._all, sql_blocks()["txn"].format(source=source_sql)),
                 (self._txn, f"SELECT * FROM {self._all}"
                  + (" WHERE customer_id IS NOT NULL AND amount >= 0" if clean else ""))]
        for view, body in views:
            self._run(lambda v=view, b=body: self.engine.execute(
                f"CREATE OR REPLACE TEMPORARY VIEW {v} AS {b}"), "read")
        self._checks: dict[str, Any] | None = None

    def _run(self, fn, what: str):
        try:
            return fn()
        except self.engine._error as exc:
            msg = str(exc).strip().splitlines()[0][:400]
            raise DataError(f"transaction log {self.describe}: {self.engine.name} could not "
                            f"{what} it (columns {self.columns}): {msg}") from exc

    def sql_text(self, final: str, ctes: Sequence[str] = (), **params: object) -> str:
        """The SQL of block ``final`` (after the blocks ``ctes``) on this log's view."""
        params.setdefault("txn", self._txn)
        return compose(final, ctes, **params)

    def query(self, final: str, ctes: Sequence[str] = (), **params: object) -> pd.DataFrame:
        """Run block ``final`` (with the blocks ``ctes`` before it) on this log."""
        sql = self.sql_text(final, ctes, **params)
        return self._run(lambda: self.engine.query(sql), "summarise")

    def checks(self) -> dict[str, Any]:
        """Row counts of every problem, first/last day; raises :class:`DataError` on any."""
        if self._checks is None:
            row = self.query("checks").iloc[0]
            c: dict[str, Any] = {k: (None if pd.isna(v) else v) for k, v in row.items()}
            col = self.columns
            problems = []
            if c["n_rows"] == 0:
                problems.append("the log is empty (expected at least one row)")
            if c["missing_id"]:
                problems.append(f"column {col['customer']!r}: {int(c['missing_id'])} row(s) "
                                "have a missing customer id; drop or fill them first")
            if c["bad_date"]:
                problems.append(f"column {col['date']!r}: {int(c['bad_date'])} row(s) have a "
                                f"missing or unparsable date (e.g. {c['bad_date_example']!r}); "
                                "the SQL engines read ISO 8601 dates (YYYY-MM-DD[ HH:MM:SS]) "
                                "only: convert the column, or use engine='pandas' with "
                                "date_format")
            if self.has_value and c["bad_value"]:
                problems.append(f"column {col['value']!r}: {int(c['bad_value'])} row(s) have a "
                                "missing or infinite value")
            key = {"nonnegative": "negative_value", "positive": "nonpositive_value"}.get(
                self.value_check)
            if self.has_value and key and c[key]:
                what = "< 0" if key == "negative_value" else "<= 0"
                problems.append(f"column {col['value']!r}: {int(c[key])} row(s) have a value "
                                f"{what} (smallest {c['min_value']}); remove returns/"
                                "cancellations first or pass value_check='any'")
            if problems:
                raise DataError(f"transaction log {self.describe}: " + "; ".join(problems))
            self._checks = c
        return self._checks

    def _days(self, observation_end, calibration_end) -> tuple[int, int]:
        c = self.checks()
        last = int(c["last_dnum"])
        if observation_end is None:
            end = last
        else:
            end = day_number(observation_end, "observation_end")
            if last > end:
                raise DataError(
                    f"column {self.columns['date']!r}: rows are dated after the observation end "
                    f"{observation_end} (last {np.datetime64(last, 'D')}); pass a later "
                    "observation_end or filter")
        if calibration_end is None:
            return end, end
        cal = day_number(calibration_end, "calibration_end")
        if cal > end:
            raise ParameterError(f"calibration_end {calibration_end} is after the observation "
                                 f"end {np.datetime64(end, 'D')}")
        return end, cal

    def summary(self, observation_end: object | None = None,
                calibration_end: object | None = None, time_unit: str = "W",
                details: bool = False) -> pd.DataFrame:
        """Per-customer summary, equal to ``summarize_transactions`` with the same arguments.

        ``details=True`` adds ``last_purchase``, ``cohort`` (first-purchase month) and
        ``n_occasions``.
        """
        unit = unit_days(time_unit)
        end, cal = self._days(observation_end, calibration_end)
        df = self.query("summary", ["occasions", "calibration", "holdout"],
                        end=end, cal=cal, unit=repr(unit))
        if len(df) == 0:
            raise DataError(f"no customer made a purchase on or before calibration_end "
                            f"{calibration_end}")
        first = _days_to_dates(df["first_dnum"])
        out = pd.DataFrame({
            "frequency": df["frequency"].astype(np.int64).to_numpy(),
            "recency": df["recency"].astype(float).to_numpy(),
            "T": df["T"].astype(float).to_numpy(),
            "monetary": df["monetary"].astype(float).to_numpy() if self.has_value else np.nan,
            "total_value": df["total_value"].astype(float).to_numpy() if self.has_value
            else np.nan,
            "first_purchase": first,
        }, index=pd.Index(df["customer_id"].to_numpy(), name="customer_id"))
        if calibration_end is not None:
            out["frequency_holdout"] = df["frequency_holdout"].astype(np.int64).to_numpy()
            out["monetary_holdout"] = (df["monetary_holdout"].astype(float).to_numpy()
                                       if self.has_value else np.nan)
            out["duration_holdout"] = (end - cal) / unit
        if details:
            out["last_purchase"] = _days_to_dates(df["last_dnum"])
            out["cohort"] = pd.DatetimeIndex(first).to_period("M").astype(str)
            out["n_occasions"] = out["frequency"] + 1
        return out

    def write_summary(self, path: str, observation_end: object | None = None,
                      calibration_end: object | None = None, time_unit: str = "W") -> str:
        """Write the per-customer summary as Parquet to ``path`` without collecting it (logs
        with more customers than fit in memory; on Spark ``path`` is a cluster path). Columns as
        the ``summary`` block: first/last purchase as day numbers ``first_dnum``/``last_dnum``
        (days since 1970-01-01). Returns ``path``."""
        unit = unit_days(time_unit)
        end, cal = self._days(observation_end, calibration_end)
        sql = self.sql_text("summary", ["occasions", "calibration", "holdout"], end=end, cal=cal,
                            unit=repr(unit))
        self._run(lambda: self.engine.write_parquet(sql, path), "write the summary of")
        return path

    def collapsed(self, observation_end: object | None = None,
                  calibration_end: object | None = None, time_unit: str = "W") -> pd.DataFrame:
        """Distinct (x, t_x, T) rows with ``n_customers`` (the weights of a collapsed fit)."""
        unit = unit_days(time_unit)
        end, cal = self._days(observation_end, calibration_end)
        df = self.query("collapsed", ["occasions", "calibration"], end=end, cal=cal,
                        unit=repr(unit))
        return pd.DataFrame({"x": df["x"].astype(np.int64), "t_x": df["t_x"].astype(float),
                             "T": df["T"].astype(float),
                             "n_customers": df["n_customers"].astype(np.int64)})

    def rfm_scores(self, observation_end: object | None = None,
                   calibration_end: object | None = None) -> pd.DataFrame:
        """RFM table as :func:`crm_research.clv.rfm.rfm_scores` on the summary (recency in
        whole days, frequency = occasions, monetary = total value; R/F/M quintile scores; the
        segment names come from :func:`~crm_research.clv.rfm.segment_of`)."""
        end, cal = self._days(observation_end, calibration_end)
        df = self.query("rfm", ["occasions", "calibration", "rfm_base", "rfm_n", "rfm_r",
                                "rfm_f", "rfm_m"], end=end, cal=cal)
        R, F, M = (df[k].astype(np.int64).to_numpy() for k in ("R", "F", "M"))
        out = pd.DataFrame({"recency_days": df["recency_days"].astype(float).to_numpy(),
                            "frequency": df["frequency"].astype(np.int64).to_numpy(),
                            "monetary": df["monetary"].astype(float).to_numpy(),
                            "R": R, "F": F, "M": M},
                           index=pd.Index(df["customer_id"].to_numpy(), name="customer_id"))
        out["rfm"] = [f"{r}{f}{m}" for r, f, m in zip(R, F, M, strict=True)]
        out["segment"] = segment_of(R, F)
        return out

    def cohort_retention(self, period: str = "M", max_periods: int | None = None
                         ) -> pd.DataFrame:
        """Cohort retention matrix as :func:`crm_research.clv.rfm.cohort_retention`."""
        if period not in ("M", "Q", "W"):
            raise ParameterError(f"period must be 'M', 'Q' or 'W', got {period!r}")
        self.checks()
        expr = sql_blocks()[f"period_{period}"]
        counts = self.query("cohort_counts", ["periods", "cohorts"], period=expr)
        return retention_matrix(counts, period, max_periods)

    def repeat_transactions_by_day(self, calibration_end: object | None = None) -> pd.Series:
        """Repeat occasions per day (as ``transactions.repeat_transactions_by_day``) of the
        customers whose first purchase is on or before ``calibration_end`` (default: all)."""
        c = self.checks()
        lo, hi = int(c["first_dnum"]), int(c["last_dnum"])
        cal = hi if calibration_end is None else day_number(calibration_end, "calibration_end")
        df = self.query("repeat_by_day", ["day_occasions", "day_first"], cal=cal)
        counts = np.zeros(hi - lo + 1, dtype=np.int64)
        counts[df["dnum"].astype(np.int64).to_numpy() - lo] = df["n"].astype(np.int64)
        idx = pd.DatetimeIndex(_days_to_dates(pd.Series(np.arange(lo, hi + 1))))
        return pd.Series(counts, index=idx, name="repeat_transactions")

    def overview(self) -> dict[str, float]:
        """Rows, customers and total value before (``n_rows``, ``n_customers``, ``total``) and
        after (``n_kept``, ``customers_kept``, ``total_kept``) the ``clean`` filter, and the
        number of zero-value rows."""
        row = self.query("overview", txn=self._all).iloc[0]
        return {k: (float(v) if pd.notna(v) else 0.0) for k, v in row.items()}

    def close(self) -> None:
        self.engine.close()


def _days_to_dates(days: pd.Series) -> np.ndarray:
    return days.astype(np.int64).to_numpy().astype("datetime64[D]").astype("datetime64[ns]")


def retention_matrix(counts: pd.DataFrame, period: str,
                     max_periods: int | None = None) -> pd.DataFrame:
    """Cohort x k table of shares from (cohort, k, n) counts, in the layout of
    :func:`crm_research.clv.rfm.cohort_retention`: a cell whose period (cohort + k) lies after
    the last period seen is NaN (not yet observable), not 0."""
    counts = counts.astype({"cohort": np.int64, "k": np.int64, "n": np.int64})
    if max_periods is not None:
        counts = counts[counts["k"] <= max_periods]
    last = int((counts["cohort"] + counts["k"]).max())
    table = counts.pivot_table(index="cohort", columns="k", values="n", fill_value=0,
                               aggfunc="sum").sort_index().sort_index(axis=1)
    size = table[0]
    unobserved = table.index.to_numpy()[:, None] + table.columns.to_numpy()[None, :] > last
    share = table.div(size, axis=0).mask(unobserved)
    share.index = [_period_label(int(i), period) for i in share.index]
    share.index.name = "cohort"
    share.columns = [f"p{int(k)}" for k in share.columns]
    share.insert(0, "cohort_size", size.to_numpy())
    return share.reset_index()


def _period_label(code: int, period: str) -> str:
    if period == "W":  # weeks since Monday 1969-12-29
        return str(pd.Period(np.datetime64(7 * code - 3, "D"), freq="W"))
    per_year = 12 if period == "M" else 4
    return str(pd.Period(ordinal=code - 1970 * per_year, freq=period))
