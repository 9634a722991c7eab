"""Churn rates, logistic churn models and cross-validated churn prediction.

What is computed and from which source:

* Churn rate with a Wilson score interval (Wilson 1927, "Probable inference, the law of
  succession, and statistical inference", JASA 22:209-212; the form used is eq. (2) of Agresti &
  Coull 1998, "Approximate is better than 'exact' for interval estimation of binomial
  proportions", The American Statistician 52:119-126):
  centre = (k + z²/2) / (n + z²),
  half-width = z·√n / (n + z²) · √(p̂(1 − p̂) + z²/(4n)),  p̂ = k/n,  z = Φ⁻¹(1 − α/2).
  Identical to R ``prop.test(k, n, correct = FALSE)$conf.int`` and to statsmodels
  ``proportion_confint(method="wilson")``.
* Homogeneity of churn rates across the levels of a segment: Pearson's chi-square test on the
  levels × (churned, stayed) table without continuity correction (R ``chisq.test(correct =
  FALSE)``).
* Logistic regression for inference (statsmodels ``Logit``, Newton-Raphson maximum likelihood):
  odds ratio exp(β) with a Wald interval exp(β ± z·se) and a two-sided Wald p-value — the
  standard definitions of Hosmer, Lemeshow & Sturdivant (2013), "Applied Logistic Regression",
  3rd ed., ch. 1-3; R equivalent: ``glm(family = binomial)`` with ``confint.default``.
  McFadden's pseudo R² = 1 − ℓ(β̂)/ℓ(β₀) (McFadden 1974) and the likelihood-ratio test against
  the intercept-only model.
* Prediction: a scikit-learn pipeline (imputation, one-hot encoding and scaling fitted inside each
  training fold, then an L2-penalised logistic regression or histogram gradient boosting)
  assessed by stratified K-fold cross-validation: ROC AUC (area under the empirical ROC curve,
  Hanley & McNeil 1982), PR AUC as average precision AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ (step-wise, no
  interpolation; scikit-learn's ``average_precision_score``), Brier score mean((y − p)²)
  (Brier 1950), log loss, a calibration table by groups of predicted risk (deciles by default,
  as in the Hosmer-Lemeshow grouping) and a lift/gains table (Berry & Linoff 2004, "Data Mining
  Techniques", ch. 5: lift = response rate of a group / overall rate, cumulative gain = share of
  all churners captured in the top groups).

Design matrices (``design_matrix``) follow R's treatment contrasts: a numeric column enters as
is; a bool column enters as 0/1 under its own name; a categorical column (pandas ``category``,
``object``/string, or a numeric column listed in ``categorical``) enters as one 0/1 dummy per
non-reference level named ``column[T.level]``. The reference level is the first *observed*
level — in category order for a pandas ``category``, in sorted order otherwise — unless
``reference={column: level}`` says otherwise. Unobserved category levels are dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crm_research.errors import (
    ConvergenceError,
    DataError,
    EstimationError,
    ParameterError,
    SpecError,
)
from crm_research.sem.measurement.checks import check_level

__all__ = [
    "wilson_interval",
    "churn_rates",
    "top_code",
    "design_matrix",
    "LogitResult",
    "fit_logit",
    "classification_metrics",
    "calibration_table",
    "lift_table",
    "build_churn_pipeline",
    "CVResult",
    "cross_validate_churn",
    "PREDICTION_MODELS",
]

PREDICTION_MODELS = ("logit", "gbm")


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------

def _z(level: float) -> float:
    """Normal critical value z = Φ⁻¹(1 − α/2) of a two-sided interval at confidence ``level``."""
    return float(stats.norm.ppf(1.0 - (1.0 - check_level(level, "level")) / 2.0))


def _check_frame(df: Any, what: str = "data") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise DataError(f"{what}: the DataFrame has no rows")
    return df


def _check_columns(df: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{what}: column(s) {missing} not found; available columns: "
                        f"{list(df.columns)}")


def _py(value: Any) -> Any:
    """A numpy scalar as the plain Python value (for readable error messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_int(value: Any, minimum: int) -> bool:
    """True for a Python/numpy integer (not a bool) that is at least ``minimum``."""
    return (isinstance(value, int | np.integer) and not isinstance(value, bool)
            and value >= minimum)


def _no_missing(s: pd.Series, what: str, hint: str = "") -> None:
    """Raise ``DataError`` naming ``what``, the number of missing values and the first row."""
    na = s.isna().to_numpy()
    if na.any():
        raise DataError(f"{what} has {int(na.sum())} missing value(s) "
                        f"(first at row {_py(s.index[na][0])!r}){hint}")


def binary_outcome(values: Any, name: str = "outcome") -> np.ndarray:
    """Return a 0/1 float array from a bool or 0/1 column; raise ``DataError`` otherwise.

    Missing values are an error (the row is named).
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    _no_missing(s, f"column {name!r}", "; expected bool or 0/1 without gaps")
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(s):
        arr = s.to_numpy(dtype=float)
        bad = ~np.isin(arr, (0.0, 1.0))
        if bad.any():
            row = s.index[bad][0]
            raise DataError(f"column {name!r} must be bool or 0/1; found "
                            f"{_py(arr[bad][0])!r} at row {_py(row)!r}")
        return arr
    raise DataError(f"column {name!r} must be bool or 0/1 numeric, got dtype {s.dtype}")


# --------------------------------------------------------------------------------------------
# churn rates
# --------------------------------------------------------------------------------------------

def wilson_interval(k: Any, n: Any, level: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion k/n (vectorised).

    Formula (Wilson 1927; Agresti & Coull 1998, eq. 2), with z = Φ⁻¹(1 − α/2):
    (k + z²/2)/(n + z²) ∓ z·√n/(n + z²)·√(p̂(1 − p̂) + z²/(4n)).
    Returns ``(low, high)`` as floats for scalar input, arrays otherwise.
    """
    z = _z(level)
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(k_arr)) or np.any(~np.isfinite(n_arr)):
        raise DataError("wilson_interval: k and n must be finite numbers")
    if np.any(n_arr <= 0) or np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise DataError(f"wilson_interval: need 0 <= k <= n and n > 0, got k={k!r}, n={n!r}")
    p = k_arr / n_arr
    denom = n_arr + z * z
    centre = (k_arr + z * z / 2.0) / denom
    half = z * np.sqrt(n_arr) / denom * np.sqrt(p * (1.0 - p) + z * z / (4.0 * n_arr))
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _ordered_levels(s: pd.Series) -> list[Hashable]:
    """Observed levels of ``s``: category order for a category, sorted order otherwise."""
    observed = pd.unique(s.dropna())
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [lev for lev in s.cat.categories if lev in present]
    try:
        return sorted(observed)
    except TypeError:
        return sorted(observed, key=str)


def churn_rates(df: pd.DataFrame, outcome: str, by: str | Sequence[str] | None = None,
                level: float = 0.95) -> pd.DataFrame:
    """Churn rate with a Wilson interval, overall and for each level of each ``by`` column.

    Returns one row per (variable, level): ``variable`` ('overall' for the whole sample),
    ``level``, ``n``, ``churned``, ``rate`` = churned/n, ``ci_low``, ``ci_high`` (Wilson score
    interval at ``level``) and ``chi2``, ``chi2_df``, ``chi2_p`` — Pearson's chi-square test of
    equal churn rates across the levels of that variable (no continuity correction; repeated on
    each of the variable's rows, empty for 'overall'). Rows with a missing segment value are
    left out of that variable's rows (their count is in ``n_missing``).
    """
    df = _check_frame(df)
    if isinstance(by, str):
        by = [by]
    by = list(by or [])
    _check_columns(df, [outcome, *by])
    y = binary_outcome(df[outcome], outcome)
    rows: list[dict[str, Any]] = []
    n, k = len(y), float(y.sum())
    lo, hi = wilson_interval(k, n, level)
    rows.append({"variable": "overall", "level": "all", "n": n, "churned": int(k),
                 "rate": k / n, "ci_low": lo, "ci_high": hi, "chi2": np.nan,
                 "chi2_df": np.nan, "chi2_p": np.nan, "n_missing": 0})
    for var in by:
        s = df[var]
        levels = _ordered_levels(s)
        if len(levels) > 200:
            raise ParameterError(f"churn_rates: column {var!r} has {len(levels)} levels; a "
                                 "segment variable should have at most 200")
        counts = []
        for lev in levels:
            mask = (s == lev).to_numpy()
            counts.append((lev, int(mask.sum()), float(y[mask].sum())))
        if len(levels) >= 2:
            table = np.array([[c[2], c[1] - c[2]] for c in counts])
            if (table.sum(axis=0) > 0).all():
                chi2, p_val, dof, _ = stats.chi2_contingency(table, correction=False)
            else:  # nobody (or everybody) churned: rates are equal, the test is undefined
                chi2, p_val, dof = np.nan, np.nan, len(levels) - 1
        else:
            chi2, p_val, dof = np.nan, np.nan, 0
        n_missing = int(s.isna().sum())
        for lev, n_l, k_l in counts:
            lo, hi = wilson_interval(k_l, n_l, level)
            rows.append({"variable": var, "level": lev if not isinstance(lev, np.generic)
                         else lev.item(), "n": n_l, "churned": int(k_l), "rate": k_l / n_l,
                         "ci_low": lo, "ci_high": hi, "chi2": float(chi2),
                         "chi2_df": float(dof), "chi2_p": float(p_val),
                         "n_missing": n_missing})
    out = pd.DataFrame(rows)
    out["level"] = out["level"].astype(str)
    return out


def top_code(df: pd.DataFrame, column: str, cap: int) -> pd.DataFrame:
    """Copy of ``df`` with the count ``column`` top-coded at ``cap`` as an ordered category.

    Levels are "0", "1", ..., f"{cap}+" (values ≥ cap are pooled), e.g. customer-service calls
    0, 1, 2, 3, 4+. The count must be a non-negative integer without gaps.
    """
    df = _check_frame(df)
    _check_columns(df, [column])
    if not _is_int(cap, 1):
        raise ParameterError(f"top_code: cap must be a positive integer, got {cap!r}")
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s) or s.isna().any():
        raise DataError(f"top_code: column {column!r} must be a numeric count without missing "
                        f"values (dtype {s.dtype}, {int(s.isna().sum())} missing)")
    arr = s.to_numpy(dtype=float)
    bad = (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        raise DataError(f"top_code: column {column!r} must hold non-negative integers; found "
                        f"{_py(arr[bad][0])!r} at row {_py(s.index[bad][0])!r}")
    labels = [str(i) for i in range(int(cap))] + [f"{int(cap)}+"]
    codes = np.minimum(arr.astype(int), int(cap))
    out = df.copy()
    out[column] = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return out


# --------------------------------------------------------------------------------------------
# design matrices
# --------------------------------------------------------------------------------------------

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
    df = _check_frame(df)
    covariates = list(covariates)
    if not covariates:
        raise SpecError("design_matrix: no covariates given")
    dupes = sorted({c for c in covariates if covariates.count(c) > 1})
    if dupes:
        raise SpecError(f"design_matrix: covariate(s) {dupes} listed more than once")
    reference = dict(reference or {})
    categorical = list(categorical or [])
    _check_columns(df, covariates, "design_matrix")
    unknown = [c for c in [*reference, *categorical] if c not in covariates]
    if unknown:
        raise SpecError(f"design_matrix: reference/categorical name(s) {unknown} are not among "
                        f"the covariates {covariates}")
    parts: dict[str, np.ndarray] = {}
    if intercept:
        parts["Intercept"] = np.ones(len(df))
    for col in covariates:
        s = df[col]
        _no_missing(s, f"covariate {col!r}", "; drop or impute them before fitting")
        is_cat = (col in categorical or isinstance(s.dtype, pd.CategoricalDtype)
                  or pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s))
        if pd.api.types.is_bool_dtype(s) and col not in categorical:
            if col in reference:
                raise SpecError(f"design_matrix: {col!r} is bool (coded 0/1, reference False); "
                                "it takes no reference level")
            parts[col] = s.to_numpy(dtype=float)
        elif is_cat:
            levels, ref = _reference_level(s, col, reference)
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
                row = s.index[~np.isfinite(arr)][0]
                raise DataError(f"covariate {col!r} has a non-finite value at row {_py(row)!r}")
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
    _check_rank(X)
    return X


def _reference_level(s: pd.Series, col: str,
                     reference: dict[str, Any]) -> tuple[list[Hashable], Hashable]:
    """Observed levels of the categorical covariate ``s`` (named ``col``) and its reference.

    The reference is ``reference[col]`` matched to an observed level (equal, or equal as
    text), else the first observed level; an unobserved reference raises ``SpecError``.
    """
    levels = _ordered_levels(s)
    if col not in reference:
        return levels, levels[0]
    ref = reference[col]
    matches = [lev for lev in levels if lev == ref or str(lev) == str(ref)]
    if not matches:
        raise SpecError(f"design_matrix: reference level {ref!r} of {col!r} is not "
                        f"an observed level; observed levels: {[str(v) for v in levels]}")
    return levels, matches[0]


def _check_rank(X: pd.DataFrame) -> None:
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


def _complete_rows(df: pd.DataFrame, columns: Sequence[str], missing: str) -> pd.DataFrame:
    if missing not in ("raise", "drop"):
        raise ParameterError(f"missing must be 'raise' or 'drop', got {missing!r}")
    if missing == "drop":
        return df.dropna(subset=list(columns))
    return df


# --------------------------------------------------------------------------------------------
# logistic regression (inference)
# --------------------------------------------------------------------------------------------

@dataclass
class LogitResult:
    """A fitted logistic churn model.

    ``table`` has one row per term (``Intercept`` first): ``term``, ``coef`` (log-odds),
    ``std_err``, ``z``, ``p_value`` (two-sided Wald), ``odds_ratio`` = exp(coef), ``ci_low`` and
    ``ci_high`` (Wald interval for the odds ratio, exp(coef ∓ z·se)).
    """

    table: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    log_likelihood: float
    null_log_likelihood: float
    mcfadden_r2: float
    aic: float
    lr_stat: float
    lr_df: int
    lr_p: float
    level: float
    reference_levels: dict[str, str] = field(default_factory=dict)
    fitted: Any = None

    def fit_table(self) -> pd.DataFrame:
        """One-row-per-statistic summary of the fit (for display)."""
        return pd.DataFrame({
            "statistic": ["n", "events", "rows dropped (missing)", "log-likelihood",
                          "null log-likelihood", "McFadden R2", "AIC", "LR chi2", "LR df",
                          "LR p-value"],
            "value": [self.n, self.n_events, self.n_dropped, self.log_likelihood,
                      self.null_log_likelihood, self.mcfadden_r2, self.aic, self.lr_stat,
                      self.lr_df, self.lr_p],
        })


def _reference_levels(df: pd.DataFrame, covariates: Sequence[str], X: pd.DataFrame,
                      reference: dict[str, Any] | None) -> dict[str, str]:
    """Reference level (as text) of each dummy-coded covariate of the design ``X``."""
    return {col: str(_reference_level(df[col], col, reference or {})[1])
            for col in covariates if col not in X.columns}


def fit_logit(df: pd.DataFrame, outcome: str, covariates: Sequence[str],
              reference: dict[str, Any] | None = None,
              categorical: Sequence[str] | None = None,
              level: float = 0.95, missing: str = "raise", maxiter: int = 100) -> LogitResult:
    """Maximum-likelihood logistic regression of a churn flag on ``covariates`` (statsmodels).

    The design matrix is built by ``design_matrix`` (treatment coding, documented there) with an
    intercept. ``missing='drop'`` drops rows with a missing outcome/covariate (counted in
    ``n_dropped``); ``'raise'`` (default) raises ``DataError``. Complete or quasi-complete
    separation raises ``EstimationError``; a Newton-Raphson run that does not converge in
    ``maxiter`` iterations raises ``ConvergenceError``.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    z = _z(level)
    df = _check_frame(df)
    covariates = list(covariates)
    _check_columns(df, [outcome, *covariates], "fit_logit")
    data = _complete_rows(df, [outcome, *covariates], missing)
    n_dropped = len(df) - len(data)
    if len(data) == 0:
        raise DataError("fit_logit: no complete rows left after dropping missing values")
    y = binary_outcome(data[outcome], outcome)
    if y.min() == y.max():
        raise EstimationError(f"fit_logit: outcome {outcome!r} takes only the value "
                              f"{int(y[0])}; a logistic model needs both churners and stayers")
    X = design_matrix(data, covariates, reference=reference, categorical=categorical,
                      intercept=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(method="newton", maxiter=maxiter, disp=False)
        except PerfectSeparationError as exc:
            raise EstimationError(_separation_message(outcome, str(exc))) from exc
        except np.linalg.LinAlgError as exc:
            raise EstimationError(f"fit_logit: singular information matrix ({exc})") from exc
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    converged = bool(res.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    fitted_p = np.asarray(res.predict(), dtype=float)
    extreme = bool(np.any((fitted_p < 1e-8) | (fitted_p > 1 - 1e-8)))
    if separated or (not converged and extreme):
        raise EstimationError(_separation_message(outcome, "fitted probabilities of 0 or 1"))
    if not converged:
        raise ConvergenceError(f"fit_logit: Newton-Raphson did not converge in {maxiter} "
                               "iterations")
    coef = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(se)):
        raise EstimationError("fit_logit: non-finite standard errors (quasi-separation or a "
                              "singular design)")
    zval = coef / se
    table = pd.DataFrame({
        "term": list(X.columns),
        "coef": coef,
        "std_err": se,
        "z": zval,
        "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
        "odds_ratio": np.exp(coef),
        "ci_low": np.exp(coef - z * se),
        "ci_high": np.exp(coef + z * se),
    })
    llf, llnull = float(res.llf), float(res.llnull)
    lr_df = X.shape[1] - 1
    lr_stat = 2.0 * (llf - llnull)
    return LogitResult(
        table=table, n=len(y), n_events=int(y.sum()), n_dropped=n_dropped,
        log_likelihood=llf, null_log_likelihood=llnull, mcfadden_r2=1.0 - llf / llnull,
        aic=-2.0 * llf + 2.0 * X.shape[1], lr_stat=lr_stat, lr_df=lr_df,
        lr_p=float(stats.chi2.sf(lr_stat, lr_df)) if lr_df > 0 else float("nan"),
        level=float(level),
        reference_levels=_reference_levels(data, covariates, X, reference),
        fitted=res,
    )


def _separation_message(outcome: str, detail: str) -> str:
    return (f"fit_logit: the churn outcome {outcome!r} is (quasi-)perfectly separated by the "
            "covariates, so some odds ratio is infinite; drop or merge the covariate or levels "
            f"that predict churn perfectly ({detail})")


# --------------------------------------------------------------------------------------------
# prediction metrics
# --------------------------------------------------------------------------------------------

def _check_scores(y: Any, p: Any, probabilities: bool = True) -> tuple[np.ndarray, np.ndarray]:
    y_arr = binary_outcome(pd.Series(np.asarray(y)), "y")
    p_arr = np.asarray(p, dtype=float)
    if p_arr.ndim != 1 or p_arr.shape[0] != y_arr.shape[0]:
        raise DataError(f"predictions must be a 1-d array of the same length as y "
                        f"({y_arr.shape[0]}), got shape {p_arr.shape}")
    if not np.isfinite(p_arr).all():
        raise DataError(f"predictions contain a non-finite value at position "
                        f"{int(np.flatnonzero(~np.isfinite(p_arr))[0])}")
    if probabilities and ((p_arr < 0).any() or (p_arr > 1).any()):
        raise DataError("predicted probabilities must lie in [0, 1]")
    return y_arr, p_arr


def classification_metrics(y: Any, p: Any) -> dict[str, float]:
    """Discrimination and accuracy of predicted churn probabilities ``p`` for outcomes ``y``.

    ``roc_auc``: area under the empirical ROC curve (= Mann-Whitney probability that a churner
    scores above a stayer, ties counting 1/2); ``pr_auc``: average precision
    Σₙ (Rₙ − Rₙ₋₁)·Pₙ over score thresholds (no interpolation); ``brier``: mean((y − p)²);
    ``log_loss``: −mean(y·log p + (1 − y)·log(1 − p)) with p clipped to [1e-15, 1 − 1e-15];
    ``prevalence``: mean(y). Needs both classes in ``y``.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y_arr, p_arr = _check_scores(y, p)
    if y_arr.min() == y_arr.max():
        raise EstimationError("classification_metrics: y has only one class; AUCs are undefined")
    pc = np.clip(p_arr, 1e-15, 1 - 1e-15)
    return {
        "n": float(len(y_arr)),
        "prevalence": float(y_arr.mean()),
        "roc_auc": float(roc_auc_score(y_arr, p_arr)),
        "pr_auc": float(average_precision_score(y_arr, p_arr)),
        "brier": float(np.mean((y_arr - p_arr) ** 2)),
        "log_loss": float(-np.mean(y_arr * np.log(pc) + (1 - y_arr) * np.log(1 - pc))),
    }


def _equal_groups(order: np.ndarray, n_groups: int) -> np.ndarray:
    """Group number (0-based) of each position: ``order`` split into near-equal consecutive parts.

    Group sizes differ by at most one (the first ``n mod g`` groups are one larger, as in
    ``numpy.array_split``).
    """
    groups = np.empty(order.shape[0], dtype=int)
    for g, idx in enumerate(np.array_split(order, n_groups)):
        groups[idx] = g
    return groups


def _check_groups(n_groups: int, n: int) -> None:
    if not _is_int(n_groups, 1):
        raise ParameterError(f"n_groups must be a positive integer, got {n_groups!r}")
    if n_groups > n:
        raise ParameterError(f"n_groups={n_groups} exceeds the number of observations ({n})")


def calibration_table(y: Any, p: Any, n_groups: int = 10, level: float = 0.95) -> pd.DataFrame:
    """Observed vs predicted churn by groups of predicted risk (deciles by default).

    Observations are sorted by predicted probability (ascending; ties kept in input order, a
    stable sort) and cut into ``n_groups`` consecutive groups of near-equal size (sizes differ by
    at most one). Per group: ``n``, ``p_min``, ``p_max``, ``mean_predicted``, ``expected``
    (= Σp), ``observed`` (churners), ``observed_rate`` and its Wilson interval ``ci_low``,
    ``ci_high``. A well-calibrated model has mean_predicted inside the interval.
    """
    y_arr, p_arr = _check_scores(y, p)
    _check_groups(n_groups, len(y_arr))
    order = np.argsort(p_arr, kind="stable")
    groups = _equal_groups(order, n_groups)
    rows = []
    for g in range(n_groups):
        m = groups == g
        n_g, k_g = int(m.sum()), float(y_arr[m].sum())
        lo, hi = wilson_interval(k_g, n_g, level)
        rows.append({"group": g + 1, "n": n_g, "p_min": float(p_arr[m].min()),
                     "p_max": float(p_arr[m].max()), "mean_predicted": float(p_arr[m].mean()),
                     "expected": float(p_arr[m].sum()), "observed": int(k_g),
                     "observed_rate": k_g / n_g, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def lift_table(y: Any, score: Any, n_groups: int = 10) -> pd.DataFrame:
    """Lift and cumulative gains by groups of customers ranked by churn score (highest first).

    Customers are sorted by score descending (stable: ties in input order) and cut into
    ``n_groups`` consecutive groups of near-equal size (the first ``n mod g`` groups one
    larger). Per group g: ``n``, ``churned``, ``rate``, ``lift`` = rate / overall rate,
    ``cum_n``, ``cum_share`` (share of customers in groups 1..g), ``cum_churned``, ``gain``
    (share of all churners in groups 1..g) and ``cum_lift`` = gain / cum_share.
    The gains column is non-decreasing and ends at 1.
    """
    y_arr, s_arr = _check_scores(y, score, probabilities=False)
    _check_groups(n_groups, len(y_arr))
    total = float(y_arr.sum())
    if total == 0:
        raise EstimationError("lift_table: there are no churners (y is all 0); lift is undefined")
    overall = total / len(y_arr)
    order = np.argsort(-s_arr, kind="stable")
    groups = _equal_groups(order, n_groups)
    rows = []
    cum_n, cum_k = 0, 0.0
    for g in range(n_groups):
        m = groups == g
        n_g, k_g = int(m.sum()), float(y_arr[m].sum())
        cum_n += n_g
        cum_k += k_g
        rows.append({"group": g + 1, "n": n_g, "churned": int(k_g), "rate": k_g / n_g,
                     "lift": (k_g / n_g) / overall, "cum_n": cum_n,
                     "cum_share": cum_n / len(y_arr), "cum_churned": int(cum_k),
                     "gain": cum_k / total,
                     "cum_lift": (cum_k / total) / (cum_n / len(y_arr))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# cross-validated prediction
# --------------------------------------------------------------------------------------------

def _split_columns(df: pd.DataFrame, covariates: Sequence[str]) -> tuple[list[str], list[str]]:
    numeric, categorical = [], []
    for col in covariates:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s)
                                              and not isinstance(s.dtype, pd.CategoricalDtype)):
            numeric.append(col)
        elif (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s)
              or pd.api.types.is_string_dtype(s)):
            categorical.append(col)
        else:
            raise DataError(f"covariate {col!r} has unsupported dtype {s.dtype}")
    return numeric, categorical


def build_churn_pipeline(numeric: Sequence[str], categorical: Sequence[str],
                         model: str = "logit", seed: int = 0, C: float = 1.0) -> Any:
    """scikit-learn pipeline: preprocessing + classifier, to be fitted on training folds only.

    Numeric (and bool) columns: median imputation, then standardisation (z-scores).
    Categorical columns: most-frequent imputation, then one-hot encoding of all levels (levels
    unseen in training are encoded as all zeros). Classifier: ``'logit'`` — L2-penalised
    logistic regression (inverse penalty ``C``, lbfgs); ``'gbm'`` — histogram gradient boosting
    (scikit-learn defaults: 100 trees, learning rate 0.1, no early stopping, ``random_state=
    seed``).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    if model not in PREDICTION_MODELS:
        raise ParameterError(f"model must be one of {list(PREDICTION_MODELS)}, got {model!r}")
    if not isinstance(C, int | float) or not C > 0:
        raise ParameterError(f"C must be a positive number, got {C!r}")
    transformers = []
    if numeric:
        transformers.append(("num", Pipeline([
            ("to_float", FunctionTransformer(_to_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]), list(numeric)))
    if categorical:
        transformers.append(("cat", Pipeline([
            ("to_str", FunctionTransformer(_to_str, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="most_frequent", missing_values=None)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), list(categorical)))
    if not transformers:
        raise SpecError("build_churn_pipeline: no covariates")
    pre = ColumnTransformer(transformers, remainder="drop")
    if model == "logit":
        clf = LogisticRegression(C=float(C), max_iter=2000)
    else:
        clf = HistGradientBoostingClassifier(random_state=int(seed), early_stopping=False)
    return Pipeline([("preprocess", pre), ("model", clf)])


def _to_float(X: Any) -> np.ndarray:
    return np.asarray(pd.DataFrame(X).astype(float), dtype=float)


def _to_str(X: Any) -> np.ndarray:
    frame = pd.DataFrame(X).astype(object)
    return frame.where(frame.notna(), None).map(lambda v: v if v is None else str(v)).to_numpy()


@dataclass
class CVResult:
    """Stratified K-fold cross-validation of one or more churn prediction models.

    ``folds``: one row per (model, fold) with ``n_test``, ``events`` and the metrics of
    ``classification_metrics`` on that fold, plus ``brier_null`` — the Brier score of predicting
    the training-fold churn rate for everyone. ``summary``: per (model, metric) the ``mean`` and
    ``sd`` over folds and the ``pooled`` value on all out-of-fold predictions. ``predictions``:
    out-of-fold churn probability per (model, row) with its ``fold`` and outcome ``y``.
    (The pooled ``brier_null`` predicts the overall churn rate for everyone.)
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    predictions: pd.DataFrame
    n_folds: int
    seed: int

    def _pred(self, model: str) -> pd.DataFrame:
        pred = self.predictions[self.predictions["model"] == model]
        if pred.empty:
            raise ParameterError(f"model {model!r} was not cross-validated; available: "
                                 f"{sorted(self.predictions['model'].unique())}")
        return pred

    def calibration(self, model: str, n_groups: int = 10, level: float = 0.95) -> pd.DataFrame:
        """Calibration table of the out-of-fold predictions of ``model``."""
        pred = self._pred(model)
        return calibration_table(pred["y"], pred["p"], n_groups, level)

    def lift(self, model: str, n_groups: int = 10) -> pd.DataFrame:
        """Lift/gains table of the out-of-fold predictions of ``model``."""
        pred = self._pred(model)
        return lift_table(pred["y"], pred["p"], n_groups)


def _run_folds(X: pd.DataFrame, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
               models: list[str], numeric: list[str], categorical: list[str], seed: int,
               C: float) -> tuple[list[dict[str, Any]], list[pd.DataFrame]]:
    from sklearn.base import clone

    fold_rows: list[dict[str, Any]] = []
    pred_parts: list[pd.DataFrame] = []
    for model in models:
        template = build_churn_pipeline(numeric, categorical, model, seed, C)
        oof = np.empty(len(y))
        fold_id = np.empty(len(y), dtype=int)
        for f, (train, test) in enumerate(splits):
            pipe = clone(template)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                try:
                    pipe.fit(X.iloc[train], y[train])
                except ValueError as exc:
                    raise EstimationError(f"cross_validate_churn: fitting {model!r} on fold "
                                          f"{f + 1} failed: {exc}") from exc
                p = pipe.predict_proba(X.iloc[test])[:, 1]
            oof[test] = p
            fold_id[test] = f + 1
            metrics = classification_metrics(y[test], p)
            fold_rows.append({"model": model, "fold": f + 1, "n_test": len(test),
                              "events": int(y[test].sum()), **{k: v for k, v in metrics.items()
                                                               if k not in ("n",)},
                              "brier_null": float(np.mean((y[test] - y[train].mean()) ** 2))})
        pred_parts.append(pd.DataFrame({"model": model, "row": np.arange(len(y)),
                                        "fold": fold_id, "y": y, "p": oof}))
    return fold_rows, pred_parts


def cross_validate_churn(df: pd.DataFrame, outcome: str, covariates: Sequence[str],
                         models: Sequence[str] | str = ("logit",), n_folds: int = 5,
                         seed: int = 0, C: float = 1.0, n_threads: int = 1) -> CVResult:
    """Honest out-of-sample performance of churn models by stratified K-fold cross-validation.

    Rows are split by ``StratifiedKFold(n_folds, shuffle=True, random_state=seed)`` (each fold
    keeps the overall churn rate); every model sees the same folds. In each fold the whole
    pipeline of ``build_churn_pipeline`` — imputation, encoding, scaling and the classifier —
    is fitted on the training part only and scored on the held-out part, so no information from
    a test fold leaks into its predictions. Missing covariate values are imputed inside the
    pipeline; a missing outcome is an error. ``n_threads`` caps the OpenMP/BLAS threads used
    while fitting (default 1: histogram gradient boosting is many times slower when
    oversubscribed on a busy machine; the results do not depend on it).
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    df = _check_frame(df)
    if isinstance(models, str):
        models = [models]
    models = list(models)
    if not models:
        raise ParameterError("cross_validate_churn: models is empty")
    bad = [m for m in models if m not in PREDICTION_MODELS]
    if bad:
        raise ParameterError(f"unknown model(s) {bad}; choose from {list(PREDICTION_MODELS)}")
    if not _is_int(n_folds, 2):
        raise ParameterError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    if not _is_int(seed, 0):
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not _is_int(n_threads, 1):
        raise ParameterError(f"n_threads must be a positive integer, got {n_threads!r}")
    covariates = list(covariates)
    if not covariates:
        raise SpecError("cross_validate_churn: no covariates given")
    _check_columns(df, [outcome, *covariates], "cross_validate_churn")
    y = binary_outcome(df[outcome], outcome).astype(int)
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < n_folds:
        raise EstimationError(f"cross_validate_churn: the rarer outcome class has {minority} "
                              f"rows, fewer than n_folds={n_folds}")
    X = df[covariates].reset_index(drop=True)
    numeric, categorical = _split_columns(X, covariates)
    all_nan = [c for c in covariates if X[c].isna().all()]
    if all_nan:
        raise DataError(f"covariate(s) {all_nan} have no non-missing values")
    skf = StratifiedKFold(n_splits=int(n_folds), shuffle=True, random_state=int(seed))
    splits = list(skf.split(np.zeros(len(y)), y))
    with threadpool_limits(limits=int(n_threads)):
        fold_rows, pred_parts = _run_folds(X, y, splits, models, numeric, categorical, seed, C)
    folds = pd.DataFrame(fold_rows)
    predictions = pd.concat(pred_parts, ignore_index=True)
    metric_names = ["roc_auc", "pr_auc", "brier", "brier_null", "log_loss", "prevalence"]
    summary_rows = []
    for model in models:
        fm = folds[folds["model"] == model]
        pm = predictions[predictions["model"] == model]
        pooled = classification_metrics(pm["y"], pm["p"])
        pooled["brier_null"] = float(np.mean((pm["y"] - pm["y"].mean()) ** 2))
        for name in metric_names:
            summary_rows.append({"model": model, "metric": name,
                                 "mean": float(fm[name].mean()),
                                 "sd": float(fm[name].std(ddof=1)),
                                 "pooled": float(pooled[name])})
    summary = pd.DataFrame(summary_rows)
    return CVResult(folds=folds, summary=summary, predictions=predictions,
                    n_folds=int(n_folds), seed=int(seed))

