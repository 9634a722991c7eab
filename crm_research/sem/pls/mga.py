"""Multi-group analysis of a PLS path model: permutation test of group differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research.errors import DataError, EstimationError, ParameterError
from crm_research.sem.pls.algorithm import fit_batch
from crm_research.sem.pls.design import (
    check_options,
    constant_items,
    make_design,
    prepare_items,
    weighted_moments,
)
from crm_research.sem.spec import ModelSpec, load_model

# ============================================================================================
# Multi-group analysis: permutation test
# ============================================================================================

@dataclass(frozen=True)
class MGAResult:
    """Two-group comparison of path coefficients (and R2) with a permutation test."""

    groups: tuple[str, str]
    n: tuple[int, int]
    n_perm: int
    n_perm_ok: int
    table: pd.DataFrame     # parameter, source, target, estimate_g1, estimate_g2, diff, p_value

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: group sizes and permutations used."""
        return pd.DataFrame([
            {"statistic": f"n ({self.groups[0]})", "value": self.n[0]},
            {"statistic": f"n ({self.groups[1]})", "value": self.n[1]},
            {"statistic": "permutations requested", "value": self.n_perm},
            {"statistic": "permutations used", "value": self.n_perm_ok},
        ])


def mga_permutation(data: pd.DataFrame, model: ModelSpec | str | Mapping[str, Any], group: str,
                    groups: Sequence[Any] | None = None, labels: Mapping[Any, str] | None = None,
                    n_perm: int = 1000,
                    seed: int | None = 0, scheme: str = "path", scaled: bool = True,
                    missing: str = "listwise", tol: float = 1e-6, max_iter: int = 100
                    ) -> MGAResult:
    """Permutation test of group differences in path coefficients (Chin & Dibbern 2010, in
    Esposito Vinzi et al. (eds), Handbook of Partial Least Squares, 171-193; Hair et al. 2018,
    "Advanced Issues in PLS-SEM", ch. 4).

    The model is estimated in each group (items treated within the group, as separate models);
    the group labels are permuted ``n_perm`` times (seeded) and the model re-estimated in both
    permuted groups. p = (1 + #{|diff_perm| >= |diff_obs|}) / (1 + n_perm_ok), two-sided.
    ``labels`` maps group values to display names (e.g. {1: "prepaid", 2: "contract"}).
    Permutations where either group fails to estimate are dropped and counted.
    """
    spec = load_model(model)
    check_options(scheme, tol, max_iter)
    if group not in data.columns:
        raise DataError(f"mga: group column {group!r} is not in the data")
    if not isinstance(n_perm, (int, np.integer)) or n_perm < 0:
        raise ParameterError(f"n_perm={n_perm!r}; expected a non-negative integer")
    if spec.interactions:
        spec = spec.without_interactions()
    g = data[group]
    levels = list(groups) if groups is not None else list(pd.unique(g.dropna()))
    if groups is None and isinstance(g.dtype, pd.CategoricalDtype):
        levels = [c for c in g.cat.categories if (g == c).any()]
    if len(levels) != 2:
        raise DataError(f"mga: group column {group!r} must have exactly two groups "
                        f"(pass groups=[a, b] to choose), found {levels}")
    sub = data[g.isin(levels)]
    x, index, _ = prepare_items(sub, spec, missing)
    lab = (sub.loc[index, group] == levels[0]).to_numpy()
    n1, n2 = int(lab.sum()), int((~lab).sum())
    if min(n1, n2) < 3:
        raise DataError(f"mga: group sizes {n1} and {n2}; need at least 3 each")
    d = make_design(spec)
    edges = [(s, t) for s, t in spec.paths]
    src = np.array([d.names.index(s) for s, _ in edges])
    tgt = np.array([d.names.index(t) for _, t in edges])
    endo = np.array(d.endo)

    def fit_groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c1 = labels.astype(float)
        c2 = 1.0 - c1
        out = []
        for c in (c1, c2):
            s, mean, sd = weighted_moments(x, c, scaled)
            bad = constant_items(sd, x)
            s = np.where(bad[:, None, None], np.eye(d.p)[None], s)
            fit = fit_batch(s, d, scheme, tol, max_iter, c.sum(axis=1))
            stat = np.concatenate([fit.beta[:, src, tgt], fit.r2[:, endo]], axis=1)
            out.append((stat, fit.ok & ~bad))
        return out[0][0], out[1][0], out[0][1] & out[1][1]

    obs1, obs2, ok = fit_groups(lab[None, :])
    if not ok[0]:
        raise EstimationError(f"mga: the model cannot be estimated in both groups of {group!r}")
    diff_obs = obs1[0] - obs2[0]
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(lab) for _ in range(n_perm)]) if n_perm \
        else np.zeros((0, lab.size), dtype=bool)
    exceed = np.zeros(diff_obs.size)
    n_ok = 0
    for start in range(0, n_perm, 500):
        p1, p2, pok = fit_groups(perms[start:start + 500])
        dp = (p1 - p2)[pok]
        n_ok += int(pok.sum())
        exceed += (np.abs(dp) >= np.abs(diff_obs)[None, :] - 1e-12).sum(axis=0)
    pval = (1 + exceed) / (1 + n_ok) if n_perm else np.full(diff_obs.size, np.nan)
    keys = [("path", s, t) for s, t in edges] + [("r2", "", d.names[j]) for j in endo]
    table = pd.DataFrame(keys, columns=["parameter", "source", "target"])
    table["estimate_g1"] = obs1[0]
    table["estimate_g2"] = obs2[0]
    table["diff"] = diff_obs
    table["p_value"] = pval
    names = tuple(group_label(v, labels) for v in levels)
    return MGAResult(groups=(names[0], names[1]), n=(n1, n2), n_perm=int(n_perm),
                     n_perm_ok=n_ok, table=table)


def group_label(value: Any, labels: Mapping[Any, str] | None) -> str:
    if labels:
        for k, v in labels.items():
            if k == value or str(k) == str(value):
                return str(v)
            try:
                if float(k) == float(value):
                    return str(v)
            except (TypeError, ValueError):
                pass
    return str(value)
