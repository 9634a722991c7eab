"""Transaction log -> per-customer summary (frequency, recency, T, monetary value).

Definitions (those of Fader, Hardie & Lee 2005, "Counting your customers the easy way",
Marketing Science 24(2):275-284, and of the R package BTYD's ``dc.ElogToCbsCbt``):

* A **purchase occasion** is a (customer, calendar day) pair: all transactions of a customer on
  the same calendar day count as ONE occasion and their values are summed. Times of day are
  ignored (dates are floored to the day).
* ``frequency`` x = number of repeat occasions = distinct purchase days after the first one
  (within the calibration window).
* ``recency`` t_x = (day of the last occasion - day of the first occasion) / unit.
* ``T`` = (observation end - day of the first occasion) / unit, where the observation end day is
  included in the window.
* ``monetary`` m_x = mean value of the repeat occasions (sum of the same-day values of each
  occasion); the first occasion is excluded, as in Fader, Hardie & Lee's Gamma-Gamma note
  ("The Gamma-Gamma model of monetary value", 2013). It is NaN when x = 0.
* Time units: ``D`` = 1 day, ``W`` = 7 days (the CDNOW literature's weeks), ``M`` = 30.4375 days
  (365.25/12), ``Y`` = 365.25 days. Times are continuous: days / unit-length, not rounded.

SQL equivalent of :func:`summarize_transactions` (for one observation end ``:end``)::

    WITH occ AS (SELECT customer_id, CAST(date AS DATE) AS day, SUM(value) AS v
                 FROM log WHERE date <= :end GROUP BY customer_id, CAST(date AS DATE)),
         first AS (SELECT customer_id, MIN(day) AS d0 FROM occ GROUP BY customer_id)
    SELECT o.customer_id,
           COUNT(*) - 1                                         AS frequency,
           (MAX(o.day) - f.d0) / :unit                          AS recency,
           (:end - f.d0) / :unit                                AS T,
           SUM(CASE WHEN o.day > f.d0 THEN o.v END) / NULLIF(COUNT(*) - 1, 0) AS monetary
    FROM occ o JOIN first f USING (customer_id) GROUP BY o.customer_id, f.d0

Input handling: rows may come in any order (the result does not depend on row order). Exact
duplicate rows (same customer, timestamp and value) are kept by default — in CDNOW several
identical rows on the same day are genuine separate orders — they never change frequency or
recency (same day), only the occasion's value; pass ``drop_duplicates=True`` to remove them
first. Missing ids, missing or unparsable dates, missing or infinite values, negative values
(zero too with ``value_check="positive"``; none with ``value_check="any"``) and dates after
the observation end raise :class:`DataError` naming the column and the first offending row.

The implementation is vectorised numpy (one argsort on a (customer, day) key and segment
reductions), so a 2-million-row log is summarised in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import require_columns, spreadsheet_rows
from crm_research.data.dates import parse_dates, refuse_late_dates
from crm_research.errors import DataError, ParameterError

#: Length of one time unit in days.
TIME_UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}
VALUE_CHECKS = ("nonnegative", "positive", "any")


def unit_days(time_unit: str) -> float:
    """Length in days of ``time_unit`` (``D``, ``W``, ``M`` = 30.4375 days, ``Y`` = 365.25)."""
    try:
        return TIME_UNIT_DAYS[str(time_unit).upper()]
    except KeyError:
        raise ParameterError(
            f"time_unit {time_unit!r} is not known; expected one of {sorted(TIME_UNIT_DAYS)}"
        ) from None


def _as_day(value: object, name: str) -> np.datetime64:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"{name}={value!r} is not a date (expected e.g. '1997-09-30')"
        ) from exc
    if pd.isna(ts):
        raise ParameterError(f"{name} is missing (expected a date)")
    return np.datetime64(ts.normalize().date(), "D")


@dataclass(frozen=True)
class _Prepared:
    codes: np.ndarray  # int64 customer code per row
    uniques: pd.Index  # customer id per code
    day: np.ndarray  # int64 days since epoch per row
    value: np.ndarray  # float64 per row (zeros when no value column)


def _prepare(
    log: pd.DataFrame,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    value_check: str,
    drop_duplicates: bool,
    date_format: str | None = None,
) -> _Prepared:
    if value_check not in VALUE_CHECKS:
        raise ParameterError(f"value_check={value_check!r}; expected one of {VALUE_CHECKS}")
    if not isinstance(log, pd.DataFrame):
        raise DataError(f"transaction log must be a pandas DataFrame, got {type(log).__name__}")
    needed = [customer_col, date_col] + ([value_col] if value_col is not None else [])
    missing = [c for c in needed if c not in log.columns]
    if missing:
        raise DataError(
            f"transaction log lacks column(s) {missing}; it has {list(log.columns)[:20]}"
        )
    if len(log) == 0:
        raise DataError("transaction log is empty (expected at least one row)")
    if drop_duplicates:
        log = log.drop_duplicates(subset=needed)
    ids = log[customer_col]
    bad = ids.isna().to_numpy()
    if bad.any():
        row = log.index[np.argmax(bad)]
        raise DataError(
            f"column {customer_col!r}: {int(bad.sum())} row(s) have a missing customer id "
            f"(first at row {row!r}); drop or fill them first"
        )
    dates = parse_dates(log[date_col], date_format, date_col)
    bad = dates.isna().to_numpy()
    if bad.any():
        row = log.index[np.argmax(bad)]
        raise DataError(
            f"column {date_col!r}: {int(bad.sum())} row(s) have a missing or unparsable date "
            f"(first at row {row!r})"
        )
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    if value_col is not None:
        vals = log[value_col]
        if not pd.api.types.is_numeric_dtype(vals) or pd.api.types.is_bool_dtype(vals):
            raise DataError(f"column {value_col!r} must be numeric, got dtype {vals.dtype}")
        value = vals.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(value)
        if bad.any():
            row = log.index[np.argmax(bad)]
            raise DataError(
                f"column {value_col!r}: {int(bad.sum())} row(s) have a missing or infinite value "
                f"(first at row {row!r})"
            )
        if value_check != "any":
            bad = value <= 0 if value_check == "positive" else value < 0
            if bad.any():
                i = int(np.argmax(bad))
                what = "<= 0" if value_check == "positive" else "< 0"
                raise DataError(
                    f"column {value_col!r}: {int(bad.sum())} row(s) have a value {what} (first at "
                    f"row {log.index[i]!r}, value {float(value[i])}); remove returns/cancellations "
                    "first or pass value_check='any'"
                )
    else:
        value = np.zeros(len(log))
    codes, uniques = pd.factorize(ids, sort=True)
    return _Prepared(codes.astype(np.int64), pd.Index(uniques, name="customer_id"), day, value)


def _occasions(p: _Prepared, mask: np.ndarray | None = None):
    """Collapse rows to (customer, day) occasions; returns (code, day, value) sorted."""
    codes, day, value = p.codes, p.day, p.value
    if mask is not None:
        codes, day, value = codes[mask], day[mask], value[mask]
    if len(codes) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    dmin = day.min()
    span = int(day.max() - dmin) + 1
    key = codes * span + (day - dmin)
    order = np.argsort(key, kind="stable")
    key = key[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    occ_key = key[start]
    occ_value = np.add.reduceat(value[order], start)
    return occ_key // span, occ_key % span + dmin, occ_value


def _per_customer(code, day, value, n_customers, end_day, unit):
    """Frequency / recency / T / monetary from sorted occasions (code, day, value)."""
    start = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.empty(0, int)
    cust = code[start]
    n_occ = np.diff(np.r_[start, len(code)])
    first_day = day[start]
    last_day = day[np.r_[start[1:], len(code)] - 1] if len(code) else np.empty(0, int)
    total = np.add.reduceat(value, start) if len(code) else np.empty(0)
    freq = n_occ - 1
    repeat_value = total - value[start] if len(code) else np.empty(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, repeat_value / np.maximum(freq, 1), np.nan)
    out = {
        "frequency": np.zeros(n_customers, dtype=np.int64),
        "recency": np.full(n_customers, np.nan),
        "T": np.full(n_customers, np.nan),
        "monetary": np.full(n_customers, np.nan),
        "total_value": np.zeros(n_customers),
        "first_day": np.full(n_customers, -1, dtype=np.int64),
        "present": np.zeros(n_customers, dtype=bool),
    }
    out["frequency"][cust] = freq
    out["recency"][cust] = (last_day - first_day) / unit
    out["T"][cust] = (end_day - first_day) / unit
    out["monetary"][cust] = monetary
    out["total_value"][cust] = total
    out["first_day"][cust] = first_day
    out["present"][cust] = True
    return out


def summarize_transactions(
    log: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    observation_end: object | None = None,
    calibration_end: object | None = None,
    time_unit: str = "W",
    value_check: str = "nonnegative",
    drop_duplicates: bool = False,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Per-customer RFM summary of a transaction log (definitions in the module docstring).

    Parameters
    ----------
    log : one row per transaction (any order).
    observation_end : last day observed (inclusive); default = the last date in the log. A
        transaction dated after it raises :class:`DataError`.
    calibration_end : optional calibration/holdout split day (inclusive in calibration). Only
        customers whose first purchase is on or before it are kept (the calibration cohort);
        frequency/recency/T/monetary are computed on calibration transactions with
        ``T = calibration_end - first``, and the holdout columns are added:
        ``frequency_holdout`` (number of distinct purchase days in (calibration_end,
        observation_end] — all of them are repeat occasions), ``monetary_holdout`` (mean
        occasion value there, NaN if none) and ``duration_holdout`` ((observation_end -
        calibration_end) / unit).
    time_unit : ``D``, ``W``, ``M`` or ``Y`` (see :data:`TIME_UNIT_DAYS`).
    value_check : ``"nonnegative"`` (default; zero-value orders such as free items are allowed,
        negative values raise), ``"positive"`` (zero raises too) or ``"any"``.
    drop_duplicates : drop exact duplicate (customer, timestamp, value) rows first.
    date_format : format of a text date column (see :func:`parse_dates`; default: detected
        on the whole column, ambiguous day/month order refused).

    Returns
    -------
    DataFrame indexed by ``customer_id`` (sorted) with ``frequency`` (int), ``recency``, ``T``,
    ``monetary``, ``total_value`` (sum over all calibration occasions, first included),
    ``first_purchase`` (date), and the holdout columns when ``calibration_end`` is given.
    """
    unit = unit_days(time_unit)
    p = _prepare(log, customer_col, date_col, value_col, value_check, drop_duplicates,
                 date_format)
    last_day = int(p.day.max())
    if observation_end is None:
        end_day = last_day
    else:
        end_day = int(_as_day(observation_end, "observation_end").astype(np.int64))
        bad = p.day > end_day
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"column {date_col!r}: {int(bad.sum())} row(s) are dated after the observation end "
                f"{observation_end} (first at row {log.index[i]!r}: "
                f"{np.datetime64(int(p.day[i]), 'D')}); pass a later observation_end or filter"
            )
    n_cust = len(p.uniques)
    if calibration_end is None:
        code, day, value = _occasions(p)
        res = _per_customer(code, day, value, n_cust, end_day, unit)
        keep = res["present"]
    else:
        cal_day = int(_as_day(calibration_end, "calibration_end").astype(np.int64))
        if cal_day > end_day:
            raise ParameterError(
                f"calibration_end {calibration_end} is after the observation end "
                f"{np.datetime64(end_day, 'D')}"
            )
        in_cal = p.day <= cal_day
        code, day, value = _occasions(p, in_cal)
        res = _per_customer(code, day, value, n_cust, cal_day, unit)
        keep = res["present"]
        if not keep.any():
            raise DataError(
                f"no customer made a purchase on or before calibration_end {calibration_end}"
            )
        hcode, hday, hvalue = _occasions(p, ~in_cal)
        h_n = np.bincount(hcode, minlength=n_cust).astype(np.int64)
        h_sum = np.bincount(hcode, weights=hvalue, minlength=n_cust)
        with np.errstate(invalid="ignore", divide="ignore"):
            h_mean = np.where(h_n > 0, h_sum / np.maximum(h_n, 1), np.nan)
    out = pd.DataFrame(
        {
            "frequency": res["frequency"][keep],
            "recency": res["recency"][keep],
            "T": res["T"][keep],
            "monetary": res["monetary"][keep] if value_col is not None else np.nan,
            "total_value": res["total_value"][keep] if value_col is not None else np.nan,
            "first_purchase": res["first_day"][keep].astype("datetime64[D]").astype(
                "datetime64[ns]"
            ),
        },
        index=p.uniques[keep],
    )
    if calibration_end is not None:
        out["frequency_holdout"] = h_n[keep]
        out["monetary_holdout"] = h_mean[keep] if value_col is not None else np.nan
        out["duration_holdout"] = (end_day - cal_day) / unit
    out.index.name = "customer_id"
    return out


def repeat_transactions_by_day(
    log: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    customers: pd.Index | None = None,
) -> pd.Series:
    """Number of repeat purchase occasions per calendar day (first occasions excluded).

    ``customers`` restricts the count to a cohort (e.g. the calibration summary's index).
    Returns a Series indexed by day (datetime64), including days with zero repeat purchases
    between the first and the last day of the log.
    """
    p = _prepare(log, customer_col, date_col, None, "any", False)
    mask = None
    if customers is not None:
        mask = pd.Index(p.uniques).isin(customers)[p.codes]
    code, day, _ = _occasions(p, mask)
    is_first = np.r_[True, code[1:] != code[:-1]] if len(code) else np.empty(0, bool)
    rep_day = day[~is_first]
    lo, hi = int(p.day.min()), int(p.day.max())
    counts = np.bincount(rep_day - lo, minlength=hi - lo + 1)
    idx = pd.DatetimeIndex(np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[ns]"))
    return pd.Series(counts, index=idx, name="repeat_transactions")


def cohort_first_days(summary: pd.DataFrame, start: object, time_unit: str = "W") -> np.ndarray:
    """Time (in ``time_unit``) from ``start`` to each customer's first purchase."""
    d0 = _as_day(start, "start").astype(np.int64)
    first = summary["first_purchase"].to_numpy().astype("datetime64[D]").astype(np.int64)
    return (first - d0) / unit_days(time_unit)


def clean_online_retail(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean the UCI Online Retail invoice lines into a transaction log.

    Steps, in order (each row of the returned cleaning table is one step):

    1. drop lines without a customer id (guest checkouts; cannot be tracked over time);
    2. drop cancellation invoices (invoice number starting with ``C``);
    3. drop remaining lines with quantity <= 0 (returns / stock adjustments);
    4. drop lines with unit price <= 0 (free samples, adjustments);
    5. value = quantity x unit_price; lines are kept as transactions (the summary merges all
       lines of a customer's day into one occasion).

    Returns ``(log, cleaning)``: ``log`` has columns customer_id (int64), date (datetime64),
    value (float, GBP), invoice; ``cleaning`` has step, rows_removed, rows, customers, value.
    Cancellations are removed rather than netted against the original invoice (the original
    may predate the data); this is the usual treatment (Chen, Sain & Guo 2012).
    """
    need = ["invoice", "quantity", "invoice_date", "unit_price", "customer_id"]
    miss = [c for c in need if c not in raw.columns]
    if miss:
        raise DataError(f"online retail data lacks column(s) {miss}")
    df = raw
    rows = []

    def record(step: str, before: int, frame: pd.DataFrame) -> None:
        val = (frame["quantity"] * frame["unit_price"]).sum()
        rows.append(
            {
                "step": step,
                "rows_removed": before - len(frame),
                "rows": len(frame),
                "customers": int(frame["customer_id"].nunique()),
                "value": float(val),
            }
        )

    record("raw invoice lines", len(df), df)
    n = len(df)
    df = df[df["customer_id"].notna()]
    record("drop missing customer id", n, df)
    n = len(df)
    if "is_cancellation" in df.columns:
        canc = df["is_cancellation"].astype(bool)
    else:
        canc = df["invoice"].astype(str).str.upper().str.startswith("C")
    df = df[~canc]
    record("drop cancellations (invoice C...)", n, df)
    n = len(df)
    df = df[df["quantity"] > 0]
    record("drop returns (quantity <= 0)", n, df)
    n = len(df)
    df = df[df["unit_price"] > 0]
    record("drop unit price <= 0", n, df)
    log = pd.DataFrame(
        {
            "customer_id": df["customer_id"].astype("int64").to_numpy(),
            "date": pd.to_datetime(df["invoice_date"]).to_numpy(),
            "value": (df["quantity"] * df["unit_price"]).astype(float).to_numpy(),
            "invoice": df["invoice"].astype(str).to_numpy(),
        }
    )
    return log, pd.DataFrame(rows)


def standardize_log(
    raw: pd.DataFrame, customer_col: str, date_col: str, value_col: str,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Rename a user's columns to ``customer_id, date, value`` (dates parsed by
    :func:`parse_dates` with ``date_format``; values to numbers, unreadable ones missing)."""
    require_columns(raw, [customer_col, date_col, value_col], "transaction data")
    if len(raw) == 0:
        raise DataError("transaction data has no rows (only a header?); expected one row per "
                        "transaction")
    dates = parse_dates(raw[date_col], date_format, date_col)
    if dates.isna().any():
        rows = spreadsheet_rows(dates.isna().to_numpy(), 1)
        raise DataError(f"column {date_col!r} has {int(dates.isna().sum())} missing date(s) "
                        f"(first at data row {rows[0]}, counting from 1)")
    return pd.DataFrame(
        {"customer_id": raw[customer_col].to_numpy(), "date": dates.to_numpy(),
         "value": pd.to_numeric(raw[value_col], errors="coerce").to_numpy()}
    )


#: Default split of the bundled transaction data sets (FHL 2005 for CDNOW).
DATASET_DEFAULTS: dict[str, dict[str, str]] = {
    "cdnow_sample": {"calibration_end": "1997-09-30", "observation_end": "1998-06-30",
                     "cohort_start": "1997-01-01"},
    "cdnow_master": {"calibration_end": "1997-09-30", "observation_end": "1998-06-30",
                     "cohort_start": "1997-01-01"},
    "online_retail": {"calibration_end": "2011-09-09", "observation_end": "2011-12-09",
                      "cohort_start": "2010-12-01"},
}


def prepare_log(
    name: str,
    raw: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "value",
    date_format: str | None = None,
    drop_duplicates: bool = False,
    observation_end: object | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Turn a loaded data set into ``(log, cleaning_table, default_dates)``.

    * ``cdnow_sample`` / ``cdnow_master``: columns are already tidy; rows are checked only
      (zero-value rows are kept — free items — and reported).
    * ``online_retail``: :func:`clean_online_retail` (missing ids, cancellations, returns,
      non-positive prices removed).
    * anything else (a user CSV already read into ``raw``): columns renamed with
      :func:`standardize_log` (``date_format`` as in :func:`parse_dates`); default calibration
      end at two thirds of the date range.

    Checks on every log: no rows -> :class:`DataError`; exact duplicate rows (identical in every
    column) are counted in the cleaning table and dropped when ``drop_duplicates``; fewer than
    two customers -> DataError. Rows dated after ``observation_end`` (when given) are dropped and
    counted; without it, a user log whose last dates lie in an isolated run far after the rest
    (:func:`late_dates`, e.g. a 2031 typo) is refused, since it would move the holdout end.

    ``default_dates`` has ``calibration_end``, ``observation_end`` and ``cohort_start``.
    """
    if not isinstance(raw, pd.DataFrame):
        raise DataError(f"transaction log {name!r} must be a table, got {type(raw).__name__}")
    if len(raw) == 0:
        raise DataError(f"transaction log {name!r} has no rows (only a header?); expected one "
                        "row per transaction")
    n_input = len(raw)
    n_dup = int(raw.duplicated().sum())
    if drop_duplicates and n_dup:
        raw = raw.drop_duplicates()
    if name == "online_retail":
        log, cleaning = clean_online_retail(raw)
        log = log[["customer_id", "date", "value"]]
        defaults = dict(DATASET_DEFAULTS[name])
    else:
        if name in ("cdnow_sample", "cdnow_master"):
            log = raw[["customer_id", "date", "value"]].copy()
        else:
            log = standardize_log(raw, customer_col, date_col, value_col, date_format)
        log, cleaning = _check_rows(log)
        if name in DATASET_DEFAULTS:
            defaults = dict(DATASET_DEFAULTS[name])
        else:
            defaults = None
    steps = cleaning.to_dict("records")
    if drop_duplicates:
        steps[:0] = [{"step": "input rows", "rows_removed": 0, "rows": n_input,
                      "customers": np.nan, "value": np.nan},
                     {"step": "drop exact duplicate rows", "rows_removed": n_dup,
                      "rows": n_input - n_dup, "customers": np.nan, "value": np.nan}]
    else:
        steps.insert(1, {"step": "of which exact duplicate rows (kept; drop_duplicates drops "
                         "them)", "rows_removed": 0, "rows": n_dup, "customers": np.nan,
                         "value": np.nan})
    if observation_end is not None:
        end = pd.Timestamp(_as_day(observation_end, "observation_end")) + pd.Timedelta(days=1)
        after = (log["date"] >= end).to_numpy()
        if after.any():
            log = log[~after]
            steps.append({"step": f"drop transactions after observation_end {observation_end}",
                          "rows_removed": int(after.sum()), "rows": len(log),
                          "customers": int(log["customer_id"].nunique()),
                          "value": float(log["value"].sum())})
    elif name not in DATASET_DEFAULTS:
        refuse_late_dates(name, log["date"])
    n_customers = int(log["customer_id"].nunique())
    if n_customers < 2:
        raise DataError(f"transaction log {name!r} holds {n_customers} customer(s) after "
                        "cleaning; the customer-base models need the transactions of many "
                        "customers")
    if defaults is None:
        lo, hi = log["date"].min().normalize(), log["date"].max().normalize()
        cal = lo + (hi - lo) * 2 / 3
        defaults = {"calibration_end": str(cal.date()), "observation_end": str(hi.date()),
                    "cohort_start": str(lo.date())}
    return log.reset_index(drop=True), pd.DataFrame(steps), defaults


def _check_rows(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows without a customer id or with a missing/negative value; the cleaning table."""
    n_missing = int(log["customer_id"].isna().sum())
    n_neg = int((log["value"] < 0).sum()) + int(log["value"].isna().sum())
    n_zero = int((log["value"] == 0).sum())
    steps = [{"step": "transactions read", "rows_removed": 0, "rows": len(log),
              "customers": int(log["customer_id"].nunique()),
              "value": float(log["value"].sum())}]
    if n_missing or n_neg:
        before = len(log)
        log = log[log["customer_id"].notna() & (log["value"] >= 0)]
        steps.append({"step": "drop missing ids / missing or negative values",
                      "rows_removed": before - len(log), "rows": len(log),
                      "customers": int(log["customer_id"].nunique()),
                      "value": float(log["value"].sum())})
    steps.append({"step": "of which zero-value rows (kept)", "rows_removed": 0,
                  "rows": n_zero, "customers": np.nan, "value": 0.0})
    return log, pd.DataFrame(steps)


def summary_overview(summary: pd.DataFrame) -> pd.DataFrame:
    """One-column description of a calibration summary (customers, repeaters, totals)."""
    rows = [
        ("customers", len(summary)),
        ("customers with a repeat purchase", int((summary["frequency"] > 0).sum())),
        ("share with no repeat purchase", float((summary["frequency"] == 0).mean())),
        ("repeat purchases (calibration)", int(summary["frequency"].sum())),
        ("mean frequency", float(summary["frequency"].mean())),
        ("mean recency", float(summary["recency"].mean())),
        ("mean T", float(summary["T"].mean())),
        ("mean repeat-purchase value (x > 0)", float(summary["monetary"].mean())),
    ]
    if "frequency_holdout" in summary:
        rows += [("repeat purchases (holdout)", int(summary["frequency_holdout"].sum())),
                 ("holdout length", float(summary["duration_holdout"].iloc[0]))]
    return pd.DataFrame(rows, columns=["measure", "value"])



def summarize(log: object, engine: str = "auto", **options: Any) -> pd.DataFrame:
    """:func:`summarize_transactions` of a frame or CSV/Parquet files on any engine (pandas,
    DuckDB, Spark): see :func:`crm_research.data.log_source.summarize`."""
    from crm_research.data import log_source

    return log_source.summarize(log, engine, **options)


def open_log(dataset: str, engine: str = "auto", **options: Any):
    """The ``customer_value`` study's log on any engine: see
    :func:`crm_research.data.log_source.open_log`."""
    from crm_research.data import log_source

    return log_source.open_log(dataset, engine, **options)
