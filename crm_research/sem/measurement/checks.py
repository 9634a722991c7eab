"""Input checks specific to the measurement-model modules (blocks, items, scores).

Every public function of :mod:`crm_research.sem.measurement.reliability`, ``validity`` and
``factor`` validates its inputs here, so that bad input gives one clear error from
:mod:`crm_research.errors` naming the construct, item or parameter. Generic checks (confidence
level, resample count, seed) live in :mod:`crm_research._checks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from crm_research.errors import DataError, ParameterError, SpecError

MISSING_OPTIONS = ("error", "listwise", "mean")


def check_blocks(
    blocks: Mapping[str, Sequence[str]], columns: Sequence[str]
) -> dict[str, list[str]]:
    """Validate a ``{construct: [items]}`` mapping against the available columns.

    Raises SpecError for: no constructs, a construct without items, an item listed twice,
    an item in two constructs, an item that is not a column.
    """
    if not isinstance(blocks, Mapping) or len(blocks) == 0:
        raise SpecError("blocks must be a non-empty mapping {construct: [item, ...]}")
    cols = set(columns)
    owner: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for construct, block_items in blocks.items():
        if isinstance(block_items, str) or not isinstance(block_items, Sequence):
            raise SpecError(
                f"construct {construct!r}: items must be a list of column names, "
                f"got {type(block_items).__name__}"
            )
        if len(block_items) == 0:
            raise SpecError(f"construct {construct!r} has no items")
        for item in block_items:
            if item in owner:
                where = (
                    "twice in the same construct"
                    if owner[item] == construct
                    else f"in two constructs ({owner[item]!r} and {construct!r})"
                )
                raise SpecError(f"item {item!r} is listed {where}")
            if item not in cols:
                raise SpecError(
                    f"item {item!r} of construct {construct!r} is not a column of the data"
                )
            owner[item] = construct
        out[str(construct)] = list(block_items)
    return out


def numeric_columns(items: pd.DataFrame) -> list[str]:
    """Names of the numeric, non-boolean columns of ``items`` (the default item set)."""
    return [
        c
        for c in items.columns
        if is_numeric_dtype(items[c]) and not is_bool_dtype(items[c])
    ]


def check_item_blocks(
    items: pd.DataFrame, blocks: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Check that ``items`` is a DataFrame (DataError otherwise) and validate ``blocks``
    against its columns with :func:`check_blocks`."""
    if not isinstance(items, pd.DataFrame):
        numeric_items(items, [])  # raises the DataError for a non-DataFrame
    return check_blocks(blocks, list(items.columns))


def check_missing_option(missing: str) -> None:
    if missing not in MISSING_OPTIONS:
        raise ParameterError(f"missing must be one of {list(MISSING_OPTIONS)}, got {missing!r}")


def numeric_items(
    items: pd.DataFrame,
    columns: Sequence[str],
    *,
    missing: str = "error",
    min_rows: int = 3,
    allow_constant: bool = False,
) -> pd.DataFrame:
    """Return ``items[columns]`` as float after checking type, missing values and variance.

    ``missing="error"`` raises DataError naming the first column with missing values;
    ``missing="listwise"`` drops every row with a missing value in any of ``columns``;
    ``missing="mean"`` replaces a missing value by the mean of the item's observed values
    (seminr's ``mean_replacement``). An item with no observed value is a DataError.
    """
    if not isinstance(items, pd.DataFrame):
        raise DataError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    check_missing_option(missing)
    columns = list(columns)
    for col in columns:
        if col not in items.columns:
            raise SpecError(f"item {col!r} is not a column of the data")
        s = items[col]
        if is_bool_dtype(s) or not is_numeric_dtype(s):
            raise DataError(f"item {col!r} must be numeric, got dtype {s.dtype}")
    x = items[columns].astype(float)
    if np.isinf(x.to_numpy()).any():
        bad = x.columns[np.isinf(x.to_numpy()).any(axis=0)][0]
        raise DataError(f"item {bad!r} contains infinite values")
    n_missing = x.isna().sum()
    if n_missing.any():
        if missing == "error":
            bad = n_missing[n_missing > 0]
            col = bad.index[0]
            raise DataError(
                f"item {col!r} has {int(bad.iloc[0])} missing value(s) "
                f"({len(bad)} item(s) with missing values in total); impute them first "
                "or pass missing='listwise'"
            )
        if missing == "listwise":
            x = x.dropna(axis=0, how="any")
        else:
            empty = x.columns[x.notna().sum() == 0]
            if len(empty):
                raise DataError(f"item {empty[0]!r} has no observed value to take a mean of")
            x = x.fillna(x.mean())
    if len(x) < min_rows:
        raise DataError(
            f"need at least {min_rows} complete rows for items {columns[:5]}"
            f"{'...' if len(columns) > 5 else ''}, got {len(x)}"
        )
    if not allow_constant:
        sd = x.std(ddof=1)
        if (sd <= 0).any() or sd.isna().any():
            col = sd.index[(sd <= 0) | sd.isna()][0]
            raise DataError(f"item {col!r} is constant (zero variance); it cannot be used")
    return x


def check_series(values: pd.Series, name: str, needed: Sequence[str]) -> pd.Series:
    """Check that a Series indexed by item (or construct) has a finite value for each name."""
    if not isinstance(values, pd.Series):
        raise ParameterError(f"{name} must be a pandas Series indexed by name")
    missing = [k for k in needed if k not in values.index]
    if missing:
        raise SpecError(f"{name} has no value for {missing[0]!r}")
    out = values.loc[list(needed)].astype(float)
    if not np.isfinite(out.to_numpy()).all():
        bad = out.index[~np.isfinite(out.to_numpy())][0]
        raise DataError(f"{name} for {bad!r} is not a finite number")
    return out


def check_scores(scores: pd.DataFrame, needed: Sequence[str]) -> pd.DataFrame:
    """Check a construct-score DataFrame: numeric, finite, one column per needed construct."""
    if not isinstance(scores, pd.DataFrame):
        raise ParameterError(f"scores must be a pandas DataFrame, got {type(scores).__name__}")
    for c in needed:
        if c not in scores.columns:
            raise SpecError(f"scores has no column for construct {c!r}")
    x = numeric_items(scores, list(needed), missing="error")
    return x
