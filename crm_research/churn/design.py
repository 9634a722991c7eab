"""Design matrices for the churn and survival models: treatment coding as in R.

Coding rules (R's default ``contr.treatment``): a numeric column enters as is; a bool column
enters as 0/1 under its own name; a categorical column (pandas ``category``,
``object``/string, or a numeric column listed in ``categorical``) enters as one 0/1 dummy per
non-reference level named ``column[T.level]``. The reference level is the first *observed*
level — in category order for a pandas ``category``, in sorted order otherwise — unless
``reference={column: level}`` says otherwise. Unobserved category levels are dropped. A design
without full column rank is refused (QR with column pivoting names the dependent columns).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import no_missing, plain, require_columns, spreadsheet_rows
from crm_research.churn.rates import ordered_levels, require_rows
from crm_research.errors import DataError, EstimationError, ParameterError, SpecError

__all__ = ["design_matrix", "reference_level", "reference_levels", "check_rank",
           "complete_rows"]


def design_matrix(df: pd.DataFrame, covariates: Sequence[str],
                  reference: dict[str, Any] | None = None,
                  categorical: Sequence[str] | None = None,
                  intercept: bool = False) -> pd.DataFrame:
    """Numeric design matrix with treatment (dummy) coding of categorical covariates.

    Coding rules (R's default ``contr.treatment``): numeric → as is (float); bool → 0/1 under the
    column's own name; category/object/string (or a column listed in ``categorical``) → one 0/1
    column ``name[T.level]`` per observed level except the reference. The reference is the
    first observed level (category order for pandas categories, sorted order otherwise) unless
    given in ``reference``. With ``intercept=True`` a first column ``Intercept`` of ones is added.
    Missing covariate values raise ``DataError`` (drop or impute them first). A design without
    full column rank raises ``EstimationError`` naming the collinear columns.
    """
    df = require_rows(df)
    covariates = list(covariates)
    if not covariates:
        raise SpecError("design_matrix: no covariates given")
    dupes = sorted({c for c in covariates if covariates.count(c) > 1})
    if dupes:
        raise SpecError(f"design_matrix: covariate(s) {dupes} listed more than once")
    reference = dict(reference or {})
    categorical = list(categorical or [])
    require_columns(df, covariates, "design_matrix")
    unknown = [c for c in [*reference, *categorical] if c not in covariates]
    if unknown:
        raise SpecError(f"design_matrix: reference/categorical name(s) {unknown} are not among "
                        f"the covariates {covariates}")
    parts: dict[str, np.ndarray] = {}
    if intercept:
        parts["Intercept"] = np.ones(len(df))
    for col in covariates:
        s = df[col]
        no_missing(s, f"covariate {col!r}", "; drop or impute them before fitting")
        is_cat = (col in categorical or isinstance(s.dtype, pd.CategoricalDtype)
                  or pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s))
        if pd.api.types.is_bool_dtype(s) and col not in categorical:
            if col in reference:
                raise SpecError(f"design_matrix: {col!r} is bool (coded 0/1, reference False); "
                                "it takes no reference level")
            parts[col] = s.to_numpy(dtype=float)
        elif is_cat:
            levels, ref = reference_level(s, col, reference)
            for lev in levels:
                if lev is ref or lev == ref:
                    continue
                parts[f"{col}[T.{lev}]"] = (s == lev).to_numpy(dtype=float)
        elif pd.api.types.is_numeric_dtype(s):
            if col in reference:
                raise SpecError(f"design_matrix: {col!r} is numeric; list it in `categorical` "
                                "to give it a reference level")
            arr = s.to_numpy(dtype=float)
            if not np.isfinite(arr).all():
                row = spreadsheet_rows(~np.isfinite(arr), 1)[0]
                raise DataError(f"covariate {col!r} has a non-finite value "
                                f"({plain(arr[~np.isfinite(arr)][0])!r}) at data row {row}")
            parts[col] = arr
        else:
            raise DataError(f"covariate {col!r} has unsupported dtype {s.dtype}; expected "
                            "numeric, bool or categorical")
    X = pd.DataFrame(parts, index=df.index)
    constant = [c for c in X.columns if c != "Intercept" and np.ptp(X[c].to_numpy()) == 0]
    if constant:
        raise EstimationError(f"design_matrix: column(s) {constant} do not vary in these data "
                              "(a constant covariate or a category with a single observed "
                              "level); its effect cannot be estimated — remove it")
    single = [c for c in covariates if not any(
        k == c or k.startswith(f"{c}[T.") for k in X.columns)]
    if single:
        raise EstimationError(f"design_matrix: categorical covariate(s) {single} have a single "
                              "observed level; remove them")
    check_rank(X)
    return X


def reference_level(s: pd.Series, col: str,
                     reference: dict[str, Any]) -> tuple[list[Hashable], Hashable]:
    """Observed levels of the categorical covariate ``s`` (named ``col``) and its reference.

    The reference is ``reference[col]`` matched to an observed level (equal, or equal as
    text), else the first observed level; an unobserved reference raises ``SpecError``.
    """
    levels = ordered_levels(s)
    if col not in reference:
        return levels, levels[0]
    ref = reference[col]
    matches = [lev for lev in levels if lev == ref or str(lev) == str(ref)]
    if not matches:
        raise SpecError(f"design_matrix: reference level {ref!r} of {col!r} is not "
                        f"an observed level; observed levels: {[str(v) for v in levels]}")
    return levels, matches[0]


def reference_levels(df: pd.DataFrame, covariates: Sequence[str], X: pd.DataFrame,
                      reference: dict[str, Any] | None) -> dict[str, str]:
    """Reference level (as text) of each dummy-coded covariate of the design ``X``."""
    return {col: str(reference_level(df[col], col, reference or {})[1])
            for col in covariates if col not in X.columns}


def check_rank(X: pd.DataFrame) -> None:
    """Raise ``EstimationError`` naming collinear/constant columns if X lacks full column rank."""
    from scipy.linalg import qr

    values = X.to_numpy(dtype=float)
    if values.shape[0] < values.shape[1]:
        raise EstimationError(f"design matrix has {values.shape[0]} rows but {values.shape[1]} "
                              "columns; need at least as many rows as columns")
    scale = np.sqrt((values ** 2).sum(axis=0))
    scale[scale == 0] = 1.0
    _, r, piv = qr(values / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = max(values.shape) * np.finfo(float).eps * (diag[0] if diag.size else 0.0) * 1e3
    rank = int((diag > tol).sum())
    if rank < values.shape[1]:
        dependent = [X.columns[i] for i in piv[rank:]]
        raise EstimationError(
            f"design matrix is rank deficient (rank {rank} of {values.shape[1]} columns): "
            f"column(s) {dependent} are constant or a linear combination of the others "
            "(e.g. a level shared by two variables, or a variable without variation); "
            "remove one of the collinear covariates")


def complete_rows(df: pd.DataFrame, columns: Sequence[str], missing: str) -> pd.DataFrame:
    if missing not in ("raise", "drop"):
        raise ParameterError(f"missing must be 'raise' or 'drop', got {missing!r}")
    if missing == "drop":
        return df.dropna(subset=list(columns))
    return df

