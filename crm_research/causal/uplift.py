"""Uplift (heterogeneous-effect) models and a response model, scored honestly out of fold.

A *response model* predicts who buys if contacted, ``P(Y = 1 | x, T = 1)`` (or ``E[Y | x,
T = 1]``); an *uplift model* predicts who buys *because* they were contacted, the conditional
average treatment effect ``τ(x) = E[Y | x, T = 1] - E[Y | x, T = 0]`` (Radcliffe 2007; Gutierrez
& Gérardy 2017, "Causal inference and uplift modelling: a review of the literature", PMLR
67:1-13). Needs a randomised experiment (treatment independent of x), as the Hillstrom e-mail
test. Models (all built on scikit-learn estimators, :data:`UPLIFT_MODELS`):

* ``two_model`` (T-learner): one model per arm, ``τ̂(x) = μ̂₁(x) - μ̂₀(x)`` (Hansotia &
  Rukstales 2002; Künzel et al. 2019, PNAS 116:4156-4165).
* ``class_transformation`` (0/1 outcomes only; Jaśkowski & Jaroszewicz 2012, ICML workshop on
  clinical data): ``Z = Y·T + (1 - Y)(1 - T)`` and ``τ̂(x) = 2·P̂(Z = 1 | x) - 1``. The identity
  needs ``P(T = 1) = 1/2``; with another treatment share the classifier is fitted with weights
  ``1/(2p)`` for treated and ``1/(2(1 - p))`` for control units, which restores it.
* ``transformed_outcome`` (Athey & Imbens 2016, PNAS 113:7353-7360, sec. 4.1): regression of
  ``Z = Y·(T - p) / (p(1 - p))`` on x, since ``E[Z | x] = τ(x)`` when ``p = P(T = 1)`` is known;
  any outcome type.
* ``x_learner`` (Künzel et al. 2019): fit μ̂₀, μ̂₁; imputed effects ``D₁ = Y - μ̂₀(x)`` on the
  treated and ``D₀ = μ̂₁(x) - Y`` on the controls; regress each on x (τ̂₁, τ̂₀);
  ``τ̂(x) = g·τ̂₀(x) + (1 - g)·τ̂₁(x)`` with ``g = p`` (the propensity, constant in an experiment).
* ``response``: the response model, fitted on the treated only.

Honesty: rows are split into ``n_folds`` stratified folds (strata = arm × (outcome > 0),
``StratifiedKFold(shuffle=True, random_state=seed)``); every model is fitted on the other folds
and predicts the held-out fold, so each customer's score comes from models that never saw them.
Base learners (``learner``): ``linear`` = standardised L2 logistic regression (0/1 targets) or
ridge regression (other targets); ``gbm`` = histogram gradient boosting (100 trees, 15 leaves,
at least 100 rows per leaf, no early stopping, ``random_state=seed``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import binary_outcome, check_seed, no_missing, require_columns
from crm_research.errors import DataError, EstimationError, ParameterError

__all__ = [
    "UPLIFT_MODELS",
    "ALL_MODELS",
    "LEARNERS",
    "UpliftResult",
    "design_matrix",
    "cross_fit_uplift",
    "fit_uplift",
]

UPLIFT_MODELS = ("two_model", "class_transformation", "transformed_outcome", "x_learner")
ALL_MODELS = (*UPLIFT_MODELS, "response")
LEARNERS = ("linear", "gbm")


def design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """Numeric design matrix: numeric/bool columns as floats, every other column one-hot coded
    (all levels, in category order). Uses covariates only, never an outcome, so building it
    on all rows leaks nothing into the out-of-fold scores."""
    covariates = list(covariates)
    if not covariates:
        raise ParameterError("covariates is empty: an uplift model needs at least one")
    require_columns(data, covariates, "uplift covariates")
    parts = []
    for col in covariates:
        s = data[col]
        no_missing(s, f"covariate {col!r}")
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s)
                                              and not isinstance(s.dtype, pd.CategoricalDtype)):
            parts.append(s.to_numpy(dtype=float)[:, None])
        else:
            parts.append(pd.get_dummies(s.astype("category"), dtype=float).to_numpy())
    return np.hstack(parts)


def _classifier(learner: str, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if learner == "linear":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return HistGradientBoostingClassifier(max_leaf_nodes=15, min_samples_leaf=100,
                                          early_stopping=False, random_state=seed)


def _regressor(learner: str, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if learner == "linear":
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    return HistGradientBoostingRegressor(max_leaf_nodes=15, min_samples_leaf=100,
                                         early_stopping=False, random_state=seed)


def _fit_mean(X: np.ndarray, y: np.ndarray, binary: bool, learner: str, seed: int,
              weight: np.ndarray | None = None) -> Any:
    """A fitted model of E[y | x]: a classifier for 0/1 targets, else a regressor. A constant
    0/1 target (e.g. no conversion in a small arm) gives a constant prediction."""
    if binary and np.ptp(y) == 0:
        return float(y[0])
    model = _classifier(learner, seed) if binary else _regressor(learner, seed)
    kw = {}
    if weight is not None:
        name = model.steps[-1][0] if hasattr(model, "steps") else None
        kw = {f"{name}__sample_weight": weight} if name else {"sample_weight": weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, **kw)
    return model


def _predict_mean(model: Any, X: np.ndarray) -> np.ndarray:
    if isinstance(model, float):
        return np.full(len(X), model)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


def fit_uplift(model: str, X: np.ndarray, y: np.ndarray, t: np.ndarray, X_new: np.ndarray,
               binary: bool, learner: str = "linear", seed: int = 0) -> np.ndarray:
    """Fit one model of :data:`ALL_MODELS` on ``(X, y, t)`` and score ``X_new``.

    Returns the predicted uplift τ̂(x) (for ``response``: the predicted outcome if treated).
    ``t`` is 0/1; ``binary`` says whether ``y`` is 0/1. Formulas: see the module docstring.
    """
    if model not in ALL_MODELS:
        raise ParameterError(f"model must be one of {list(ALL_MODELS)}, got {model!r}")
    if learner not in LEARNERS:
        raise ParameterError(f"learner must be one of {list(LEARNERS)}, got {learner!r}")
    treated = t == 1
    if treated.sum() < 2 or (~treated).sum() < 2:
        raise EstimationError("fit_uplift needs at least 2 treated and 2 control rows; got "
                              f"{int(treated.sum())} and {int((~treated).sum())}")
    p = float(treated.mean())
    if model == "response":
        return _predict_mean(_fit_mean(X[treated], y[treated], binary, learner, seed), X_new)
    if model == "two_model":
        m1 = _fit_mean(X[treated], y[treated], binary, learner, seed)
        m0 = _fit_mean(X[~treated], y[~treated], binary, learner, seed)
        return _predict_mean(m1, X_new) - _predict_mean(m0, X_new)
    if model == "class_transformation":
        if not binary:
            raise ParameterError("class_transformation needs a 0/1 outcome; use "
                                 "transformed_outcome for spend")
        z = (y * t + (1 - y) * (1 - t)).astype(float)
        w = np.where(treated, 1.0 / (2.0 * p), 1.0 / (2.0 * (1.0 - p)))
        return 2.0 * _predict_mean(_fit_mean(X, z, True, learner, seed, weight=w), X_new) - 1.0
    if model == "transformed_outcome":
        z = y * (t - p) / (p * (1.0 - p))
        return _predict_mean(_fit_mean(X, z, False, learner, seed), X_new)
    # x_learner
    m1 = _fit_mean(X[treated], y[treated], binary, learner, seed)
    m0 = _fit_mean(X[~treated], y[~treated], binary, learner, seed)
    d1 = y[treated] - _predict_mean(m0, X[treated])
    d0 = _predict_mean(m1, X[~treated]) - y[~treated]
    tau1 = _fit_mean(X[treated], d1, False, learner, seed)
    tau0 = _fit_mean(X[~treated], d0, False, learner, seed)
    return p * _predict_mean(tau0, X_new) + (1.0 - p) * _predict_mean(tau1, X_new)


@dataclass
class UpliftResult:
    """Out-of-fold scores of several models on one experiment.

    ``scores``: long table, one row per (model, customer): ``model``, ``kind`` ('uplift' or
    'response'), ``row`` (position in the input, from 0), ``fold`` (1..K), ``treatment`` (0/1),
    ``outcome`` (observed), ``uplift`` (the ranking score: predicted uplift for uplift models,
    predicted outcome if contacted for the response model).
    """

    scores: pd.DataFrame
    outcome: str
    n_folds: int
    seed: int
    learner: str
    treated_share: float

    @property
    def table(self) -> pd.DataFrame:
        """Per model: n, mean and SD of the out-of-fold score, and its quartiles.

        For an uplift model the mean out-of-fold uplift estimates the average treatment effect;
        ``estimate`` holds it (the response model's mean is its mean predicted outcome)."""
        g = self.scores.groupby("model", sort=False)["uplift"]
        out = pd.DataFrame({
            "kind": self.scores.groupby("model", sort=False)["kind"].first(),
            "n": g.size(), "estimate": g.mean(), "sd": g.std(ddof=1),
            "q25": g.quantile(0.25), "median": g.median(), "q75": g.quantile(0.75),
            "share_negative": g.apply(lambda s: float((s < 0).mean())),
        })
        return out.reset_index()

    def fit_table(self) -> pd.DataFrame:
        """Settings of the cross-fit (statistic, value)."""
        return pd.DataFrame({
            "statistic": ["outcome", "n", "treated_share", "n_folds", "seed", "learner"],
            "value": [self.outcome, int(self.scores["row"].nunique()), self.treated_share,
                      self.n_folds, self.seed, self.learner],
        })

    def wide(self) -> pd.DataFrame:
        """One row per customer, one column of scores per model (plus treatment, outcome)."""
        w = self.scores.pivot(index="row", columns="model", values="uplift")
        first = self.scores.drop_duplicates("row").set_index("row")
        return pd.concat([first[["fold", "treatment", "outcome"]], w], axis=1).sort_index()


def _treatment_flags(data: pd.DataFrame, treatment: str) -> np.ndarray:
    t = binary_outcome(data[treatment], treatment)
    if t.min() == t.max():
        raise EstimationError(f"treatment column {treatment!r} has a single value; an uplift "
                              "model needs treated and control rows")
    return t


def cross_fit_uplift(data: pd.DataFrame, outcome: str, treatment: str,
                     covariates: Sequence[str], models: Sequence[str] = ALL_MODELS,
                     n_folds: int = 5, seed: int = 0, learner: str = "linear",
                     n_threads: int = 1) -> UpliftResult:
    """Out-of-fold scores of ``models`` (see :data:`ALL_MODELS`) by K-fold cross-fitting.

    ``treatment``: 0/1 (or bool) column of the randomised arm; ``outcome``: 0/1 or numeric
    (e.g. spend). ``class_transformation`` is skipped with a 0/1 check (ParameterError) for a
    numeric outcome. ``n_threads`` caps BLAS/OpenMP threads (results do not depend on it).
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    models = [models] if isinstance(models, str) else list(models)
    if not models:
        raise ParameterError("models is empty")
    bad = [m for m in models if m not in ALL_MODELS]
    if bad:
        raise ParameterError(f"unknown model(s) {bad}; choose from {list(ALL_MODELS)}")
    if learner not in LEARNERS:
        raise ParameterError(f"learner must be one of {list(LEARNERS)}, got {learner!r}")
    if isinstance(n_folds, bool) or not isinstance(n_folds, int | np.integer) or n_folds < 2:
        raise ParameterError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    seed = check_seed(seed, allow_none=False)
    require_columns(data, [outcome, treatment], "uplift data")
    t = _treatment_flags(data, treatment)
    no_missing(data[outcome], f"outcome {outcome!r}")
    if not pd.api.types.is_numeric_dtype(data[outcome]) and \
            not pd.api.types.is_bool_dtype(data[outcome]):
        raise DataError(f"outcome {outcome!r} must be numeric or 0/1, got {data[outcome].dtype}")
    y = data[outcome].to_numpy(dtype=float)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    if "class_transformation" in models and not binary:
        raise ParameterError(f"class_transformation needs a 0/1 outcome; {outcome!r} is not")
    X = design_matrix(data, covariates)
    strata = 2 * t.astype(int) + (y > 0).astype(int)
    if np.bincount(strata).min(initial=n_folds) < n_folds:
        counts = np.bincount(strata, minlength=4)
        raise EstimationError(f"n_folds={n_folds} needs at least {n_folds} rows in each arm × "
                              f"(outcome > 0) cell; counts are {counts.tolist()}")
    splits = list(StratifiedKFold(int(n_folds), shuffle=True, random_state=seed)
                  .split(X, strata))
    fold = np.empty(len(y), dtype=int)
    oof = {m: np.empty(len(y)) for m in models}
    with threadpool_limits(limits=int(n_threads)):
        for k, (train, test) in enumerate(splits):
            fold[test] = k + 1
            for m in models:
                oof[m][test] = fit_uplift(m, X[train], y[train], t[train], X[test], binary,
                                          learner, seed)
    parts = [pd.DataFrame({"model": m, "kind": "response" if m == "response" else "uplift",
                           "row": np.arange(len(y)), "fold": fold, "treatment": t.astype(int),
                           "outcome": y, "uplift": oof[m]}) for m in models]
    return UpliftResult(scores=pd.concat(parts, ignore_index=True), outcome=outcome,
                        n_folds=int(n_folds), seed=seed, learner=learner,
                        treated_share=float(t.mean()))
