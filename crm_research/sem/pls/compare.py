"""Tests of differences between path coefficients of one model (bootstrap).

Works on any bootstrap result with ``draws["paths"]`` (columns "SOURCE -> TARGET", one row per
accepted resample), ``paths`` (full-sample estimates) and ``estimates.n_obs``:
``bootstrap_pls`` (BootstrapResult) and ``bootstrap_plsc`` (PLScBootstrap).

* Pairwise difference d = b1 - b2 (Rodriguez-Entrena, Schuberth & Gelhard 2018, "Assessing
  statistical differences between parameters estimates in Partial Least Squares path
  modeling", Quality & Quantity 52(1), 57-69): the draws d*_b = b1*_b - b2*_b of the same
  resamples give std_error = sd(d*) (divisor B - 1), the percentile interval at ``level`` and a
  two-sided p-value from t = d / std_error with n - 1 df (the convention of ``bootstrap_pls``).
  The interval excludes 0 exactly when the percentile test rejects "equal paths".
* Omnibus test that k paths are all equal: contrasts C b (each path minus the first),
  Wald statistic W = (C b)' (C V C')^-1 (C b) with V the bootstrap covariance of the k paths,
  referred to chi-square with k - 1 df (a bootstrap-covariance Wald test; e.g. Davison &
  Hinkley 1997, "Bootstrap Methods and their Application", section 4.2.5).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level
from crm_research._lazy import lazy_module
from crm_research.errors import EstimationError, ParameterError

stats = lazy_module("scipy.stats")

PathKey = tuple[str, str] | str


def _label(path: PathKey) -> str:
    if isinstance(path, str):
        parts = [p.strip() for p in path.split("->")]
        if len(parts) != 2:
            raise ParameterError(f"path {path!r}: expected 'SOURCE -> TARGET'")
        return f"{parts[0]} -> {parts[1]}"
    if len(path) != 2:
        raise ParameterError(f"path {path!r}: expected (source, target)")
    return f"{path[0]} -> {path[1]}"


def _parts(boot: Any) -> tuple[pd.DataFrame, pd.Series, int, float]:
    try:
        draws = boot.draws["paths"]
        paths = boot.paths
        n = int(boot.estimates.n_obs)
        level = float(boot.level)
    except (AttributeError, KeyError, TypeError) as exc:
        raise ParameterError("expected a bootstrap result (bootstrap_pls or bootstrap_plsc) "
                             "with path draws") from exc
    est = pd.Series(paths["estimate"].to_numpy(float),
                    index=[f"{s} -> {t}" for s, t in zip(paths["source"], paths["target"],
                                                         strict=True)])
    return draws, est, n, level


def _check_paths(labels: Sequence[str], est: pd.Series) -> None:
    unknown = [lab for lab in labels if lab not in est.index]
    if unknown:
        raise ParameterError(f"path(s) {unknown} are not in the model; paths: "
                             f"{list(est.index)}")


def path_differences(boot: Any, pairs: Sequence[tuple[PathKey, PathKey]] | None = None,
                     source: str | None = None, target: str | None = None,
                     level: float | None = None) -> pd.DataFrame:
    """Bootstrap tests of b1 - b2 for each pair of paths (module docstring).

    ``pairs``: explicit (path_1, path_2) pairs (tuples or "S -> T" strings); otherwise every
    pair of paths sharing ``source`` (e.g. one antecedent's effects on several constructs) or
    ``target``. ``level`` defaults to the bootstrap's own level. Columns: path_1, path_2,
    estimate_1, estimate_2, estimate (difference), std_error, ci_low, ci_high, p_value,
    n_boot, differ (interval excludes 0)."""
    draws, est, n, boot_level = _parts(boot)
    level = boot_level if level is None else check_level(level)
    if pairs is None:
        if source is None and target is None:
            raise ParameterError("path_differences: give pairs, source or target")
        chosen = [lab for lab in est.index
                  if (source is None or lab.split(" -> ")[0] == source)
                  and (target is None or lab.split(" -> ")[1] == target)]
        if len(chosen) < 2:
            raise ParameterError(f"path_differences: fewer than two paths with source="
                                 f"{source!r}, target={target!r}")
        pair_labels = list(itertools.combinations(chosen, 2))
    else:
        pair_labels = [(_label(a), _label(b)) for a, b in pairs]
    _check_paths([lab for pr in pair_labels for lab in pr], est)
    if len(draws) < 2:
        raise EstimationError("path_differences: fewer than 2 accepted bootstrap resamples")
    rows = []
    for a, b in pair_labels:
        d_star = draws[a].to_numpy(float) - draws[b].to_numpy(float)
        diff = float(est[a] - est[b])
        se = float(d_star.std(ddof=1))
        lo, hi = np.quantile(d_star, [(1 - level) / 2, (1 + level) / 2])
        p = float(2 * stats.t.sf(abs(diff / se), df=n - 1)) if se > 0 else float("nan")
        rows.append({"path_1": a, "path_2": b, "estimate_1": float(est[a]),
                     "estimate_2": float(est[b]), "estimate": diff, "std_error": se,
                     "ci_low": float(lo), "ci_high": float(hi), "p_value": p,
                     "n_boot": int(len(d_star)), "differ": bool(lo > 0 or hi < 0)})
    return pd.DataFrame(rows)


def equal_paths_test(boot: Any, paths: Sequence[PathKey]) -> pd.DataFrame:
    """Omnibus bootstrap Wald test that all ``paths`` (>= 2) are equal (module docstring).
    One row: paths, statistic, df, p_value, n_boot."""
    draws, est, _, _ = _parts(boot)
    labels = [_label(p) for p in paths]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ParameterError("equal_paths_test: give at least two different paths")
    _check_paths(labels, est)
    k = len(labels)
    if len(draws) <= k:
        raise EstimationError(f"equal_paths_test: {len(draws)} accepted resamples; need more "
                              f"than {k}")
    c = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])
    b = est[labels].to_numpy(float)
    v = np.cov(draws[labels].to_numpy(float), rowvar=False)
    cv = c @ v @ c.T
    d = c @ b
    try:
        w = float(d @ np.linalg.solve(cv, d))
    except np.linalg.LinAlgError as exc:
        raise EstimationError("equal_paths_test: singular bootstrap covariance of the "
                              "contrasts") from exc
    return pd.DataFrame([{"paths": ", ".join(labels), "statistic": w, "df": k - 1,
                          "p_value": float(stats.chi2.sf(w, k - 1)), "n_boot": len(draws)}])
