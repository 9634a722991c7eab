"""Cross-validated churn prediction: metrics, calibration, lift/gains and the CV loop.

A scikit-learn pipeline (imputation, one-hot encoding and scaling fitted inside each training
fold, then an L2-penalised logistic regression or histogram gradient boosting) assessed by
stratified K-fold cross-validation: ROC AUC (area under the empirical ROC curve, Hanley &
McNeil 1982), PR AUC as average precision AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ (step-wise, no interpolation;
scikit-learn's ``average_precision_score``), Brier score mean((y − p)²) (Brier 1950), log loss,
a calibration table by groups of predicted risk (deciles by default, as in the
Hosmer-Lemeshow grouping) and a lift/gains table (Berry & Linoff 2004, "Data Mining
Techniques", ch. 5: lift = response rate of a group / overall rate, cumulative gain = share of
all churners captured in the top groups).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import binary_outcome, check_seed, require_columns
from crm_research.churn.rates import proportion_ci, require_rows
from crm_research.errors import DataError, EstimationError, ParameterError, SpecError

__all__ = ["PREDICTION_MODELS", "classification_metrics", "calibration_table", "lift_table",
           "build_churn_pipeline", "CVResult", "cross_validate_churn"]

PREDICTION_MODELS = ("logit", "gbm")


def _is_int(value: Any, minimum: int) -> bool:
    """True for a Python/numpy integer (not a bool) that is at least ``minimum``."""
    return bool(isinstance(value, int | np.integer) and not isinstance(value, bool)
                and value >= minimum)


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
        lo, hi = proportion_ci(k_g, n_g, level)
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
    seed = check_seed(seed, allow_none=False)
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
    the training-fold churn rate for everyone. ``table``: per (model, metric) the ``mean`` and
    ``sd`` over folds and the ``pooled`` value on all out-of-fold predictions. ``predictions``:
    out-of-fold churn probability per (model, row) with its ``fold`` and outcome ``y``.
    (The pooled ``brier_null`` predicts the overall churn rate for everyone.)
    """

    folds: pd.DataFrame
    table: pd.DataFrame
    predictions: pd.DataFrame
    n_folds: int
    seed: int

    def fit_table(self) -> pd.DataFrame:
        """Design of the cross-validation as (``statistic``, ``value``) rows."""
        return pd.DataFrame({
            "statistic": ["rows", "events", "folds", "seed", "models"],
            "value": [int(self.predictions["row"].nunique()),
                      int(self.predictions.drop_duplicates("row")["y"].sum()), self.n_folds,
                      self.seed, ", ".join(dict.fromkeys(self.predictions["model"]))],
        })

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

    df = require_rows(df)
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
    seed = check_seed(seed, allow_none=False)
    if not _is_int(n_threads, 1):
        raise ParameterError(f"n_threads must be a positive integer, got {n_threads!r}")
    covariates = list(covariates)
    if not covariates:
        raise SpecError("cross_validate_churn: no covariates given")
    require_columns(df, [outcome, *covariates], "cross_validate_churn")
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
    return CVResult(folds=folds, table=pd.DataFrame(summary_rows), predictions=predictions,
                    n_folds=int(n_folds), seed=int(seed))

