"""Describe data sets: shape, column types, missingness, ranges (for the data_overview study)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research.data.datasets import catalogue, info_of, load


def column_profile(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, non-missing count, missing count and share, distinct values,
    min and max (numeric and datetime columns; strings/categories: first and last in sort order),
    mean and standard deviation (n-1) of numeric columns."""
    rows = []
    n = len(df)
    for col in df.columns:
        s = df[col]
        missing = int(s.isna().sum())
        row = {
            "column": str(col),
            "dtype": str(s.dtype),
            "non_missing": n - missing,
            "missing": missing,
            "missing_share": missing / n if n else np.nan,
            "distinct": int(s.nunique(dropna=True)),
            "min": "",
            "max": "",
            "mean": np.nan,
            "sd": np.nan,
        }
        nonnull = s.dropna()
        if len(nonnull):
            if pd.api.types.is_bool_dtype(s):
                row["mean"] = float(nonnull.mean())
                row["min"], row["max"] = str(bool(nonnull.min())), str(bool(nonnull.max()))
            elif pd.api.types.is_numeric_dtype(s):
                row["min"], row["max"] = f"{nonnull.min():g}", f"{nonnull.max():g}"
                row["mean"] = float(nonnull.mean())
                row["sd"] = float(nonnull.std(ddof=1)) if len(nonnull) > 1 else np.nan
            elif pd.api.types.is_datetime64_any_dtype(s):
                row["min"], row["max"] = str(nonnull.min().date()), str(nonnull.max().date())
            else:
                values = sorted(map(str, nonnull.unique()))
                row["min"], row["max"] = values[0][:40], values[-1][:40]
        rows.append(row)
    return pd.DataFrame(rows)


def datasets_summary(names: list[str]) -> pd.DataFrame:
    """Shape as loaded, shape of the raw file, missing cells, kind, licence and source of each data
    set in ``names`` (checksums verified on load)."""
    cat = catalogue().set_index("name")
    rows = []
    for name in names:
        df = load(name)
        info = info_of(name)
        rows.append({
            "dataset": name,
            "title": info.title,
            "kind": info.kind,
            "rows": len(df),
            "columns_loaded": df.shape[1],
            "raw_rows": info.rows,
            "raw_columns": info.cols,
            "missing_cells": int(df.isna().sum().sum()),
            "licence": info.licence,
            "source": info.source,
            "sha256": cat.loc[name, "sha256"],
        })
    return pd.DataFrame(rows)


def resolve_dataset_names(requested: list[str]) -> list[str]:
    """Expand ``['all']`` to every bundled data set; otherwise check each name exists."""
    from crm_research.data.datasets import names

    if requested == ["all"]:
        return names()
    for n in requested:
        info_of(n)
    return list(requested)
