"""A study's transaction log on any engine: bundled data set, CSV/Parquet files or globs.

:func:`open_log` is what the ``customer_value`` study calls. It reads a bundled data set
(checksum-verified, cleaned by :func:`~crm_research.data.transactions.prepare_log`) or a user's
files, and hands back a :class:`StudyLog` whose methods return the summary, cohort retention and
repeat purchases by day from the chosen engine:

* ``pandas`` -- the log is read into memory and summarised by
  :mod:`crm_research.data.transactions` (fastest for small logs: no engine start-up);
* ``duckdb`` -- SQL (:mod:`crm_research.data.sql`) run by embedded DuckDB directly on the files,
  out of core in bounded memory;
* ``spark`` -- the same SQL on Spark (the active session, e.g. under ``spark-submit`` on a
  cluster, or a new local one);
* ``auto`` -- ``pandas`` for a bundled data set, ``duckdb`` for files.

Results are identical across engines (tests/test_sql.py), so the choice only changes speed and
memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research import report
from crm_research.clv import rfm
from crm_research.data import datasets, transactions
from crm_research.data.dates import refuse_late_dates
from crm_research.data.sql import TransactionLog, expand_paths, is_uri, resolve_engine
from crm_research.errors import DataError, ParameterError

#: Files larger than this in total are recorded in run.json without a sha256 (reading 100s of
#: GB only to hash them would dominate the run).
HASH_LIMIT_BYTES = 2 * 1024**3
PARQUET = (".parquet", ".pq", ".parq")


@dataclass
class StudyLog:
    """A transaction log ready for the study (see :func:`open_log`)."""

    engine: str
    cleaning: pd.DataFrame
    default_dates: dict[str, str]
    log: pd.DataFrame | None = None
    sql: TransactionLog | None = field(default=None, repr=False)

    def summarize(self, observation_end: object | None = None,
                  calibration_end: object | None = None, time_unit: str = "W") -> pd.DataFrame:
        """Per-customer summary (:func:`~crm_research.data.transactions.summarize_transactions`)."""
        if self.sql is not None:
            return self.sql.summary(observation_end, calibration_end, time_unit)
        return transactions.summarize_transactions(self.log, observation_end=observation_end,
                                                   calibration_end=calibration_end,
                                                   time_unit=time_unit)

    def cohort_retention(self, period: str = "M") -> pd.DataFrame:
        """Cohort retention matrix (:func:`crm_research.clv.rfm.cohort_retention`)."""
        if self.sql is not None:
            return self.sql.cohort_retention(period)
        return rfm.cohort_retention(self.log, period=period)

    def repeat_transactions_by_day(self, calibration_end: object | None = None) -> pd.Series:
        """Repeat occasions per day of the customers who first bought on or before
        ``calibration_end`` (:func:`~crm_research.data.transactions.repeat_transactions_by_day`)."""
        if self.sql is not None:
            return self.sql.repeat_transactions_by_day(calibration_end)
        assert self.log is not None  # a log without an SQL engine is held in memory
        customers = None
        if calibration_end is not None:
            first = self.log.groupby("customer_id")["date"].min().dt.normalize()
            customers = first.index[first <= pd.Timestamp(calibration_end)]
        return transactions.repeat_transactions_by_day(self.log, customers=customers)


def summarize(
    log: pd.DataFrame | str | Sequence[str],
    engine: str = "auto",
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    **options: Any,
) -> pd.DataFrame:
    """``summarize_transactions`` on any engine: ``log`` is a DataFrame, or CSV/Parquet
    file(s), folder(s) or glob(s); ``engine`` is ``auto`` (pandas for a frame, DuckDB for files),
    ``pandas``, ``duckdb`` or ``spark`` (same SQL; :mod:`crm_research.data.sql`). ``options``
    are those of ``summarize_transactions``; the result is the same on every engine."""
    engine = resolve_engine(engine, log)
    if engine == "pandas":
        frame = log if isinstance(log, pd.DataFrame) else read_log_files(
            log, [c for c in (customer_col, date_col, value_col) if c])
        return transactions.summarize_transactions(frame, customer_col, date_col, value_col,
                                                   **options)
    if options.get("date_format") is not None:
        raise ParameterError("date_format is read by the pandas engine only; the SQL engines "
                             "read typed date columns (Parquet) or ISO dates (CSV)")
    options.pop("date_format", None)
    keys = ("value_check", "drop_duplicates")
    setup = {k: options.pop(k) for k in keys if k in options}
    tl = TransactionLog(log, engine, customer_col, date_col, value_col, **setup)
    try:
        return tl.summary(**options)
    finally:
        tl.close()


def open_log(dataset: str, engine: str = "auto", customer_col: str = "customer_id",
             date_col: str = "date", value_col: str = "value", spark=None,
             memory_limit: str | None = None, date_format: str | None = None,
             encoding: str | None = None, drop_duplicates: bool = False) -> StudyLog:
    """Open a bundled data set (by name) or CSV/Parquet files (path, glob, comma-separated
    list) on ``engine`` (``auto``, ``pandas``, ``duckdb``, ``spark``; see the module docstring).

    A user's log is cleaned as :func:`~crm_research.data.transactions.prepare_log` cleans a CSV:
    rows without a customer id or with a missing or negative value are dropped and counted in
    the cleaning table; the default calibration end is two thirds of the date range.
    ``date_format`` (e.g. ``%d/%m/%Y``) and ``encoding`` apply to the pandas engine, which
    otherwise detects the date order on the whole column and refuses ambiguity; the SQL engines
    read ISO 8601 dates only and UTF-8 text. ``drop_duplicates`` drops exact duplicate rows
    (they are counted either way).
    """
    bundled = dataset in datasets.REGISTRY
    if engine in ("duckdb", "spark") and not bundled and (date_format or encoding):
        raise ParameterError(f"date_format/encoding are read by the pandas engine only, not by "
                             f"engine={engine!r}: convert the file to UTF-8 with ISO dates, or "
                             "use engine='pandas'")
    engine = resolve_engine(engine, None if bundled else dataset)
    opts: dict[str, Any] = {} if memory_limit is None else {"memory_limit": memory_limit}
    if bundled:
        log, cleaning, defaults = transactions.prepare_log(dataset, datasets.load(dataset))
        sql = None if engine == "pandas" else TransactionLog(log, engine, spark=spark, **opts)
        return StudyLog(engine, cleaning, defaults, log=log, sql=sql)
    items = [p.strip() for p in dataset.split(",")] if "," in dataset else dataset
    if engine == "spark" and is_uri(items):
        files = [items] if isinstance(items, str) else items
        for f in files:
            report.record_dataset(f.rstrip("/").rsplit("/", 1)[-1], f, "not computed (remote)")
    else:
        files = expand_paths(items)
        _record_files(files)
    if engine == "pandas":
        raw = read_log_files(files, [customer_col, date_col, value_col], encoding=encoding)
        log, cleaning, defaults = transactions.prepare_log(
            dataset, raw, customer_col, date_col, value_col, date_format=date_format,
            drop_duplicates=drop_duplicates)
        return StudyLog(engine, cleaning, defaults, log=log)
    sql = TransactionLog(files, engine, customer_col, date_col, value_col, clean=True,
                         drop_duplicates=drop_duplicates, spark=spark, **opts)
    sql.checks()
    days = sql.query("day_counts")
    refuse_late_dates(dataset, pd.Series(days["dnum"].to_numpy(dtype="int64").astype(
        "datetime64[D]")), days["n_rows"].to_numpy(dtype=float))
    return StudyLog(engine, _cleaning_table(sql), _default_dates(sql), sql=sql)


def read_log_files(source: str | Sequence[str], columns: Sequence[str],
                   encoding: str | None = None) -> pd.DataFrame:
    """Read CSV/Parquet file(s) or glob(s) into one pandas frame (the ``pandas`` engine): a
    single CSV with :func:`~crm_research.data.datasets.read_user_csv`, anything else through
    DuckDB (Parquet needs no pyarrow that way)."""
    files = expand_paths(source)
    if len(files) == 1 and not files[0].lower().endswith(PARQUET):
        return datasets.read_user_csv(files[0], "transaction log", encoding=encoding)
    import duckdb

    reader = "read_parquet" if files[0].lower().endswith(PARQUET) else "read_csv"
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    try:
        with duckdb.connect() as con:
            return con.execute(f"SELECT {cols} FROM {reader}([{listing}], union_by_name = true)"
                               ).df()
    except duckdb.Error as exc:
        raise DataError(f"transaction log {source!r}: cannot read columns {list(columns)}: "
                        f"{str(exc).splitlines()[0]}") from exc


def _cleaning_table(sql: TransactionLog) -> pd.DataFrame:
    """The steps of ``prepare_log``'s cleaning table for a user's log, counted by the engine."""
    o = sql.overview()
    rows = [{"step": "transactions read", "rows_removed": 0, "rows": int(o["n_rows"]),
             "customers": int(o["n_customers"]), "value": o["total"]},
            {"step": "of which exact duplicate rows (kept; drop_duplicates drops them)",
             "rows_removed": 0, "rows": int(o["duplicate_rows"]), "customers": np.nan,
             "value": np.nan}]
    if o["n_kept"] < o["n_rows"]:
        rows.append({"step": "drop missing ids / missing or negative values",
                     "rows_removed": int(o["n_rows"] - o["n_kept"]), "rows": int(o["n_kept"]),
                     "customers": int(o["customers_kept"]), "value": o["total_kept"]})
    rows.append({"step": "of which zero-value rows (kept)", "rows_removed": 0,
                 "rows": int(o["zero_value"]), "customers": np.nan, "value": 0.0})
    return pd.DataFrame(rows)


def _default_dates(sql: TransactionLog) -> dict[str, str]:
    """Two thirds of the date range (the rule of ``prepare_log`` for a user's log)."""
    c = sql.checks()
    lo = pd.Timestamp(np.datetime64(int(c["first_dnum"]), "D"))
    hi = pd.Timestamp(np.datetime64(int(c["last_dnum"]), "D"))
    cal = lo + (hi - lo) * 2 / 3
    return {"calibration_end": str(cal.date()), "observation_end": str(hi.date()),
            "cohort_start": str(lo.date())}


def _record_files(files: list[str]) -> None:
    """Note the files in run.json (sha256 unless they are very large)."""
    paths = [Path(f) for f in files]
    small = sum(p.stat().st_size for p in paths) <= HASH_LIMIT_BYTES
    for p in paths:
        digest = datasets.sha256_of(p) if small else f"not computed (size {p.stat().st_size})"
        report.record_dataset(p.name, str(p.resolve()), digest)
