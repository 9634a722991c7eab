"""Shared argument and data checks: one function, one error type per condition.

Conventions (used by every engine):

* a required column that is absent           -> :class:`DataError` (``require_columns``)
* a missing value where none is allowed      -> :class:`DataError` (``no_missing``), rows counted
  from 1 as in a spreadsheet (the first data row is row 1; the header is not counted)
* a 0/1 outcome with other values            -> :class:`DataError` (``binary_outcome``)
* a confidence level outside (0, 1)          -> :class:`ParameterError` (``check_level``)
* a resample count below its minimum         -> :class:`ParameterError` (``check_n_boot``)
* a seed that numpy cannot use               -> :class:`ParameterError` (``check_seed``)

Messages show numbers as plain Python numbers (``5.0``, not ``np.float64(5.0)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError

#: Largest seed accepted everywhere: scikit-learn and numpy's legacy RandomState take 32 bits.
MAX_SEED = 2**32 - 1


def plain(value: Any) -> Any:
    """A numpy scalar as the plain Python value, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def require_frame(data: Any, what: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame; raise :class:`ParameterError` otherwise."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    """Raise :class:`DataError` naming the absent columns and the ones ``data`` has."""
    require_frame(data, what)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{what}: column(s) {missing} not found; available columns: {list(data.columns)}"
        )


def spreadsheet_rows(mask: np.ndarray, limit: int = 5) -> list[int]:
    """1-based row numbers (as a spreadsheet counts data rows) of the first ``limit`` hits."""
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask))[:limit]]


def no_missing(values: pd.Series, what: str, hint: str = "") -> None:
    """Raise :class:`DataError` if ``values`` has missing values, naming how many and where."""
    na = pd.isna(np.asarray(values, dtype=object)) if not isinstance(values, pd.Series) \
        else values.isna().to_numpy()
    if na.any():
        rows = spreadsheet_rows(na)
        raise DataError(
            f"{what} has {int(na.sum())} missing value(s) (first at data row(s) {rows}, "
            f"counting from 1){hint}"
        )


def binary_outcome(values: Any, name: str = "outcome") -> np.ndarray:
    """A 0/1 float array from a bool or 0/1 column; :class:`DataError` otherwise."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    no_missing(s, f"column {name!r}", "; expected bool or 0/1 without gaps")
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(s):
        arr = s.to_numpy(dtype=float)
        bad = ~np.isin(arr, (0.0, 1.0))
        if bad.any():
            first = spreadsheet_rows(bad, 1)[0]
            raise DataError(
                f"column {name!r} must be bool or 0/1; data row {first} holds "
                f"{plain(arr[bad][0])!r}"
            )
        return arr
    raise DataError(f"column {name!r} must be bool or 0/1, got dtype {s.dtype}")


def check_level(level: Any, name: str = "level") -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) \
            or not 0 < float(level) < 1:
        raise ParameterError(f"{name} must be a number strictly between 0 and 1, "
                             f"got {plain(level)!r}")
    return float(level)


def check_n_boot(n_boot: Any, name: str = "n_boot", minimum: int = 0) -> int:
    """A resample count that is an integer and at least ``minimum``."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < minimum:
        raise ParameterError(f"{name} must be an integer of at least {minimum}, "
                             f"got {plain(n_boot)!r}")
    return int(n_boot)


@overload
def check_seed(seed: Any, name: str = ..., *, allow_none: Literal[False]) -> int: ...
@overload
def check_seed(seed: Any, name: str = ..., allow_none: bool = ...) -> int | None: ...
def check_seed(seed: Any, name: str = "seed", allow_none: bool = True) -> int | None:
    """A seed in [0, 2**32 - 1] (the range numpy and scikit-learn both accept)."""
    if seed is None and allow_none:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed <= MAX_SEED:
        raise ParameterError(f"{name} must be an integer between 0 and {MAX_SEED}, "
                             f"got {plain(seed)!r}")
    return int(seed)
