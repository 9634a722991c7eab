"""Evaluating uplift (and response) scores on a randomised experiment: Qini and uplift curves,
normalised areas, uplift by decile.

Definitions follow scikit-uplift 0.5 (``sklift.metrics``; Radcliffe 2007, "Using control
groups to target on predicted lift", Direct Marketing Analytics J. 3:14-21; Diemert et al.
2018, "A large scale benchmark for uplift modeling", AdKDD), checked against it in the tests:

* Customers are sorted by score, highest first (a stable sort of the scores, reversed). The
  curves are evaluated at every distinct score (customers with tied scores enter together) and
  start at (0, 0). With ``N_T(k)``, ``N_C(k)`` the treated and control customers among the top
  ``k`` and ``Y_T(k)``, ``Y_C(k)`` the sums of their outcomes:

  - Qini curve: ``Q(k) = Y_T(k) - Y_C(k)·N_T(k)/N_C(k)`` (0 when ``N_C(k) = 0``): extra
    responses among the treated of the top k;
  - uplift curve: ``U(k) = (Y_T(k)/N_T(k) - Y_C(k)/N_C(k))·k`` (a ratio with a zero count is
    0): the extra responses if all top-k customers were treated.

* Perfect Qini curve, with negative effects allowed (sklift's default ``negative_effect=True``):
  the Qini curve of the score ``Y·T - Y·(1 - T)`` — treated responders first, control
  responders last. Perfect uplift curve: the uplift curve of ``2·[Y = T] + s`` with ``s = Y``
  if control responders outnumber treated non-responders, else ``s = T``.
* Areas by the trapezoidal rule over k; the baseline (random ordering) is the straight line
  from (0, 0) to the curve's last point. Qini coefficient = (area(model) - area(baseline)) /
  (area(perfect) - area(baseline)) — sklift's ``qini_auc_score``; uplift AUC likewise with the
  uplift curves — sklift's ``uplift_auc_score``. 1 = perfect ordering, about 0 = random order,
  negative = worse than random.

sklift accepts only 0/1 outcomes. For a numeric outcome (spend) the same formulas are applied
to the amounts (the perfect score ``Y·T - Y·(1 - T)`` then puts the largest treated spenders
first); this extension is ours and is labelled in the tables.

Uplift by decile: customers cut into ``n_groups`` near-equal groups in score order
(``numpy.array_split``, as sklift's ``uplift_by_percentile``); the uplift of each group is the
difference in means of its treated and control customers with the Welch interval of
:func:`crm_research.causal.estimators.difference_in_means`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, require_columns
from crm_research.causal.estimators import difference_in_means
from crm_research.errors import DataError, EstimationError, ParameterError

__all__ = [
    "qini_curve",
    "uplift_curve",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_coefficient",
    "uplift_auc",
    "uplift_at_k",
    "uplift_by_decile",
    "qini_table",
    "curve_table",
]


def _arrays(y: Any, score: Any, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    t = np.asarray(t, dtype=float)
    if not (y.ndim == score.ndim == t.ndim == 1) or not len(y) == len(score) == len(t):
        raise DataError(f"outcome, score and treatment must be 1-d of equal length; got "
                        f"{y.shape}, {score.shape}, {t.shape}")
    if not (np.isfinite(y).all() and np.isfinite(score).all()):
        raise DataError("outcome and score must be finite (no missing values)")
    if not np.isin(t, (0.0, 1.0)).all():
        raise DataError("treatment must be 0/1")
    if t.min() == t.max():
        raise EstimationError("uplift curves need treated and control customers; "
                              "only one arm is present")
    return y, score, t


def _cumulative(y: np.ndarray, score: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Counts and sums at each distinct score, highest score first."""
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, t = y[order], score[order], t[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n_all = last + 1
    n_t = np.cumsum(t)[last]
    y_t = np.cumsum(y * t)[last]
    y_c = np.cumsum(y * (1.0 - t))[last]
    return n_all.astype(float), n_t, n_all - n_t, y_t, y_c


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b != 0)


def _start_at_zero(x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0.0, x], np.r_[0.0, v]


def qini_curve(y: Any, score: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Qini curve ``(k, Q(k))`` (module docstring; sklift ``qini_curve``)."""
    y, score, t = _arrays(y, score, t)
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, score, t)
    return _start_at_zero(n_all, y_t - y_c * _ratio(n_t, n_c))


def uplift_curve(y: Any, score: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Uplift curve ``(k, U(k))`` (module docstring; sklift ``uplift_curve``)."""
    y, score, t = _arrays(y, score, t)
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, score, t)
    return _start_at_zero(n_all, (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * n_all)


def perfect_qini_curve(y: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Qini curve of the best ordering, negative effects allowed (score ``Y·T - Y·(1-T)``)."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    return qini_curve(y, y * t - y * (1.0 - t), t)


def perfect_uplift_curve(y: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """Uplift curve of sklift's optimum ordering ``2·[Y = T] + s`` (module docstring)."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    control_responders = np.sum((y != 0) & (t == 0))
    treated_nonresponders = np.sum((y == 0) & (t == 1))
    s = y if control_responders > treated_nonresponders else t
    return uplift_curve(y, 2.0 * (y == t) + s, t)


def _area(x: np.ndarray, v: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (v[1:] + v[:-1]) / 2.0))


def _normalised(actual: tuple[np.ndarray, np.ndarray],
                perfect: tuple[np.ndarray, np.ndarray]) -> float:
    base = _area(np.array([0.0, perfect[0][-1]]), np.array([0.0, perfect[1][-1]]))
    denom = _area(*perfect) - base
    if denom == 0:
        raise EstimationError("the perfect curve has the same area as the random baseline "
                              "(no outcome variation): the normalised area is undefined")
    return (_area(*actual) - base) / denom


def qini_coefficient(y: Any, score: Any, t: Any) -> float:
    """Qini coefficient normalised by the perfect model, negative effects allowed
    (= sklift ``qini_auc_score(y, score, t, negative_effect=True)``)."""
    return _normalised(qini_curve(y, score, t), perfect_qini_curve(y, t))


def uplift_auc(y: Any, score: Any, t: Any) -> float:
    """Normalised area under the uplift curve (= sklift ``uplift_auc_score``); 0/1 outcomes
    only, since sklift's perfect ordering compares the outcome with the treatment flag."""
    if not np.isin(np.asarray(y, dtype=float), (0.0, 1.0)).all():
        raise ParameterError("uplift_auc needs a 0/1 outcome (its perfect curve is defined "
                             "for responders only); use qini_coefficient for amounts")
    return _normalised(uplift_curve(y, score, t), perfect_uplift_curve(y, t))


def uplift_at_k(y: Any, score: Any, t: Any, k: float = 0.1) -> float:
    """Uplift among the top share ``k`` by score: treated mean minus control mean among the
    first ``int(k·n)`` customers (sklift ``uplift_at_k(strategy='overall')``)."""
    y, score, t = _arrays(y, score, t)
    if not 0.0 < float(k) < 1.0:
        raise ParameterError(f"k must be a share in (0, 1), got {k!r}")
    top = np.argsort(score, kind="mergesort")[::-1][:int(len(y) * k)]
    yt, tt = y[top], t[top]
    if tt.min() == tt.max():
        return float("nan")
    return float(yt[tt == 1].mean() - yt[tt == 0].mean())


def uplift_by_decile(y: Any, score: Any, t: Any, n_groups: int = 10,
                     level: float = 0.95) -> pd.DataFrame:
    """Observed uplift in each score group (1 = highest scores) with a Welch interval.

    Columns: group, n, n_treated, n_control, mean_score, treated_mean, control_mean,
    estimate (treated − control), std_error, ci_low, ci_high. A group whose outcome is constant
    in both arms keeps its estimate and gets NaN interval limits.
    """
    y, score, t = _arrays(y, score, t)
    level = check_level(level)
    if isinstance(n_groups, bool) or not isinstance(n_groups, int | np.integer) \
            or not 2 <= n_groups <= len(y) // 2:
        raise ParameterError(f"n_groups must be an integer between 2 and n/2, got {n_groups!r}")
    order = np.argsort(score, kind="mergesort")[::-1]
    rows = []
    for g, idx in enumerate(np.array_split(order, n_groups), start=1):
        frame = pd.DataFrame({"y": y[idx], "t": t[idx]})
        n1 = int(frame["t"].sum())
        row: dict[str, Any] = {"group": g, "n": len(idx), "n_treated": n1,
                               "n_control": len(idx) - n1, "mean_score": float(score[idx].mean())}
        m1 = float(frame.loc[frame["t"] == 1, "y"].mean()) if n1 else np.nan
        m0 = float(frame.loc[frame["t"] == 0, "y"].mean()) if n1 < len(idx) else np.nan
        row.update(treated_mean=m1, control_mean=m0, estimate=m1 - m0)
        try:
            est = difference_in_means(frame, "y", "t", level=level)
            row.update(std_error=est.std_error, ci_low=est.ci_low, ci_high=est.ci_high)
        except EstimationError:
            row.update(std_error=np.nan, ci_low=np.nan, ci_high=np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _check_scores(scores: pd.DataFrame) -> None:
    require_columns(scores, ["model", "treatment", "outcome", "uplift"], "uplift scores")


def qini_table(scores: pd.DataFrame, top_share: float = 0.1) -> pd.DataFrame:
    """Metrics per model of a long score table (``UpliftResult.scores``).

    Columns: model, kind, n, qini_coefficient, uplift_auc (NaN for amounts), qini_area (area
    between the model's Qini curve and the random line with both axes per customer: share
    targeted × extra responses per customer, as in :func:`curve_table`), uplift_at_top
    (observed uplift in the top ``top_share``), outcome_type ('binary' as sklift; 'numeric' =
    our extension).
    """
    _check_scores(scores)
    rows = []
    for model, part in scores.groupby("model", sort=False):
        y, s, t = part["outcome"], part["uplift"], part["treatment"]
        binary = bool(np.isin(np.asarray(y, dtype=float), (0.0, 1.0)).all())
        x, q = qini_curve(y, s, t)
        base = _area(np.array([0.0, x[-1]]), np.array([0.0, q[-1]]))
        rows.append({
            "model": model, "kind": part["kind"].iloc[0] if "kind" in part else "",
            "n": len(part), "qini_coefficient": qini_coefficient(y, s, t),
            "uplift_auc": uplift_auc(y, s, t) if binary else np.nan,
            "qini_area": (_area(x, q) - base) / (len(part) ** 2),
            "uplift_at_top": uplift_at_k(y, s, t, top_share),
            "outcome_type": "binary" if binary else "numeric",
        })
    return pd.DataFrame(rows)


def curve_table(scores: pd.DataFrame, n_points: int = 101,
                models: Sequence[str] | None = None) -> pd.DataFrame:
    """Qini and uplift curves of each model (plus ``perfect`` and ``random``) on a grid of
    targeted shares, for plotting: columns model, share, qini, uplift (extra responses per
    customer of the sample, i.e. Q(k)/n and U(k)/n)."""
    _check_scores(scores)
    grid = np.linspace(0.0, 1.0, int(n_points))
    out = []
    names = list(dict.fromkeys(scores["model"])) if models is None else list(models)
    first = scores[scores["model"] == names[0]]
    y, t = first["outcome"].to_numpy(float), first["treatment"].to_numpy(float)
    n = len(first)

    def add(name: str, q: tuple[np.ndarray, np.ndarray], u: tuple[np.ndarray, np.ndarray]) -> None:
        out.append(pd.DataFrame({"model": name, "share": grid,
                                 "qini": np.interp(grid * n, q[0], q[1]) / n,
                                 "uplift": np.interp(grid * n, u[0], u[1]) / n}))

    for name in names:
        part = scores[scores["model"] == name]
        add(name, qini_curve(part["outcome"], part["uplift"], part["treatment"]),
            uplift_curve(part["outcome"], part["uplift"], part["treatment"]))
    add("perfect", perfect_qini_curve(y, t), perfect_uplift_curve(y, t))
    xq, vq = qini_curve(y, np.zeros(n), t)
    xu, vu = uplift_curve(y, np.zeros(n), t)
    add("random", (np.array([0.0, n]), np.array([0.0, vq[-1]])),
        (np.array([0.0, n]), np.array([0.0, vu[-1]])))
    return pd.concat(out, ignore_index=True)
