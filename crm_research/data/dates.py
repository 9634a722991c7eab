"""Reading the dates of a transaction log: one format per column, misdated rows.

* :func:`parse_dates` decides the format once for the whole column (ISO; day-first or
  month-first numeric dates decided by the values, ambiguity refused; or an explicit
  ``date_format``), so that 12/05/2020 is never read as 5 December in a column of day-first
  dates (pandas' ``format="mixed"`` decides per value and swaps day and month silently).
* :func:`late_dates` finds an isolated run of dates at the end of a log (e.g. a 2031 typo),
  which would otherwise move the observation end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research._checks import plain, spreadsheet_rows
from crm_research.errors import DataError

_ISO = r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$"
_DMY = r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(\s.*)?$"


def _date_error(column: str, values: pd.Series, bad: np.ndarray, what: str) -> DataError:
    rows = spreadsheet_rows(bad, 1)
    first = values.to_numpy()[np.flatnonzero(bad)[0]]
    return DataError(f"column {column!r}: {int(bad.sum())} value(s) {what} (first at data row "
                     f"{rows[0]}, counting from 1: {plain(first)!r})")


def parse_dates(values: pd.Series, date_format: str | None = None,
                column: str = "date") -> pd.Series:
    """Parse a date column, deciding the format ONCE for the whole column.

    * already datetime: returned (time zone dropped, local wall time kept);
    * ``date_format`` given (``strftime`` codes, e.g. ``"%d/%m/%Y"``): every value must match;
    * otherwise: ISO dates (``2020-03-04``, optional time) are read as such; numeric dates
      ``a/b/yyyy`` (separators ``/ . -``) are day-first when some ``a`` exceeds 12, month-first
      when some ``b`` exceeds 12, and refused as ambiguous when no value decides it (pass
      ``date_format``) or when both occur (inconsistent column); anything else (month names)
      is left to pandas' parser.

    Missing values stay missing (NaT); a value that cannot be read raises :class:`DataError`
    naming the column and the first such data row (counting from 1).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values
    codes, uniq = pd.factorize(values)
    if len(uniq) == 0:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(uniq.dtype) and date_format is None:
        raise DataError(f"column {column!r} holds numbers ({plain(uniq[0])!r}), not dates; "
                        "pass date_format (e.g. '%Y%m%d') if they are dates")
    text = pd.Series(uniq.astype(str))
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        what = f"do not match date_format {date_format!r}"
    else:
        kwargs: dict = {"format": "mixed"}
        if text.str.match(_ISO).all():
            kwargs = {"format": "ISO8601"}
        else:
            dmy = text.str.extract(_DMY)
            num = dmy[0].notna()
            if num.any():
                a = dmy.loc[num, 0].astype(int)
                b = dmy.loc[num, 2].astype(int)
                if (a > 12).any() and (b > 12).any():
                    ex = (text[num][a > 12].iloc[0], text[num][b > 12].iloc[0])
                    raise DataError(
                        f"column {column!r} mixes day-first and month-first dates (e.g. {ex[0]!r}"
                        f" and {ex[1]!r}); fix the file or pass date_format")
                if not (a > 12).any() and not (b > 12).any():
                    ex = text[num].iloc[0]
                    raise DataError(
                        f"column {column!r}: dates like {ex!r} could be day-first or "
                        "month-first and no value decides it (no day above 12); pass "
                        "date_format, e.g. '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)")
                dayfirst = bool((a > 12).any())
                kwargs = {"format": "mixed", "dayfirst": dayfirst}
                plain_dmy = (num.all() and dmy[4].isna().all() and dmy[1].nunique() == 1
                             and dmy[3].str.len().nunique() == 1)
                if plain_dmy:
                    sep = dmy[1].iloc[0]
                    year = "%Y" if len(dmy[3].iloc[0]) == 4 else "%y"
                    fmt = (f"%d{sep}%m{sep}{year}" if dayfirst else f"%m{sep}%d{sep}{year}")
                    kwargs = {"format": fmt}
        try:
            parsed = pd.to_datetime(text, errors="coerce", **kwargs)
        except (ValueError, TypeError) as exc:
            raise DataError(f"column {column!r} cannot be read as dates: {exc}") from exc
        what = "cannot be read as dates"
    parsed = pd.Series(parsed)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    bad_u = parsed.isna().to_numpy()
    out = parsed.to_numpy()[np.maximum(codes, 0)]
    out[codes < 0] = np.datetime64("NaT")
    if bad_u.any():
        raise _date_error(column, values, (codes >= 0) & bad_u[np.maximum(codes, 0)], what)
    return pd.Series(out, index=values.index, name=values.name).astype("datetime64[ns]")


#: A run of last dates separated from the rest of the log by more than
#: max(LATE_GAP_DAYS, LATE_GAP_SHARE x the span before it), holding at most LATE_MAX_SHARE of
#: the rows, is treated as misdated (e.g. a 2031 typo in a 2020 log).
LATE_GAP_DAYS = 90
LATE_GAP_SHARE = 0.25
LATE_MAX_SHARE = 0.01


def late_dates(dates: pd.Series, weights: np.ndarray | None = None) -> np.ndarray:
    """Mask of rows dated in an isolated run at the end of the log (rule above: a gap of more
    than max(90 days, a quarter of the span before it) followed by at most 1% of the rows).

    ``weights`` (optional) gives the number of rows each entry stands for, so the rule can run
    on a per-day count table (the SQL engines) with the same result as on the rows themselves.
    """
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    w = np.ones(len(day)) if weights is None else np.asarray(weights, dtype=float)
    mask = np.zeros(len(day), dtype=bool)
    if w.sum() < 2:
        return mask
    u = np.unique(day)
    if len(u) < 3:
        return mask
    gaps = np.diff(u)  # gap before u[k + 1]
    threshold = np.maximum(LATE_GAP_DAYS, LATE_GAP_SHARE * (u[:-1] - u[0]))
    for k in np.flatnonzero(gaps > threshold)[::-1]:
        cand = day >= u[k + 1]
        n_late = w[cand].sum()
        if n_late <= LATE_MAX_SHARE * w.sum() or n_late == 1:
            mask = cand
        break
    return mask


def refuse_late_dates(name: str, dates: pd.Series, weights: np.ndarray | None = None) -> None:
    """Raise :class:`DataError` if :func:`late_dates` finds an isolated run of late dates
    (``weights``: rows per entry, as in :func:`late_dates`)."""
    late = late_dates(dates, weights)
    if not late.any():
        return
    w = np.ones(len(late)) if weights is None else np.asarray(weights, dtype=float)
    first = pd.Timestamp(dates[late].min()).date()
    before = pd.Timestamp(dates[~late].max()).date()
    raise DataError(
        f"transaction log {name!r}: {int(w[late].sum())} transaction(s) dated from {first} "
        f"lie {(first - before).days} days after the rest of the log (which ends "
        f"{before}) — a typo? They would move the holdout end. Correct or remove them, "
        "or set observation_end to the last day to analyse (later rows are then dropped "
        "and counted)")
