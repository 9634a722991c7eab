"""Multi-arm experiments: each arm against control, by outcome and subgroup, scaled per contact.

Effects come from :func:`crm_research.causal.estimators.estimate_effect` (difference in means
by default) and :func:`crm_research.causal.estimators.subgroup_effects` (Cochran's Q test).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crm_research.causal.design import complete_column, require_role_columns
from crm_research.causal.estimators import estimate_effect, subgroup_effects
from crm_research.errors import DataError, ParameterError

__all__ = ["two_arm_frame", "arm_effects", "arm_subgroup_effects", "heterogeneity_tests",
           "effects_per_contacts"]


def _arm_frame(data: pd.DataFrame, arm: str, control: Any, treated: Any,
               name: str = "_treated") -> pd.DataFrame:
    mask = (data[arm] == treated) | (data[arm] == control)
    sub = data.loc[mask.to_numpy()].copy()
    sub[name] = (sub[arm] == treated).to_numpy()
    return sub


def two_arm_frame(data: pd.DataFrame, arm: str, control: Any, treated: Any,
                  name: str = "treated") -> pd.DataFrame:
    """Rows of a multi-arm experiment in arm ``treated`` or ``control``, with a bool column
    ``name`` (True = ``treated``)."""
    _arms(data, arm, control, [treated])
    if name in data.columns:
        raise ParameterError(f"column {name!r} already exists; choose another name")
    return _arm_frame(data, arm, control, treated, name)


def _arms(data: pd.DataFrame, arm: str, control: Any,
          treatments: Sequence[Any] | None) -> list[Any]:
    require_role_columns(data, [arm], "arm")
    complete_column(data, arm, "arm")
    present = list(data[arm].cat.categories) if isinstance(data[arm].dtype, pd.CategoricalDtype) \
        else sorted(data[arm].unique())
    if control not in present:
        raise DataError(f"control arm {control!r} is not a value of {arm!r} (values: {present})")
    arms = [a for a in present if a != control] if treatments is None else list(treatments)
    unknown = [a for a in arms if a not in present]
    if unknown:
        raise DataError(f"treatment arm(s) {unknown} not values of {arm!r} (values: {present})")
    return arms


def arm_effects(data: pd.DataFrame, arm: str, control: Any, outcomes: Sequence[str],
                treatments: Sequence[Any] | None = None, method: str = "difference_in_means",
                covariates: Sequence[str] = (), **kwargs: Any) -> pd.DataFrame:
    """Each treatment arm of a multi-arm column versus ``control``, for each outcome.

    Columns: treatment, outcome, method, estimate, std_error, ci_low, ci_high, n_treated,
    n_control, control_mean, treated_mean, relative_lift (estimate / control_mean).
    """
    arms = _arms(data, arm, control, treatments)
    rows = []
    for a in arms:
        sub = _arm_frame(data, arm, control, a)
        for y in outcomes:
            res = estimate_effect(sub, y, "_treated", method, covariates, **kwargs)
            rows.append({
                "treatment": a, "outcome": y, "method": method, "estimate": res.estimate,
                "std_error": res.std_error, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "n_treated": res.n_treated, "n_control": res.n_control,
                "control_mean": res.mu0, "treated_mean": res.mu1,
                "relative_lift": res.estimate / res.mu0 if res.mu0 != 0 else np.nan,
            })
    return pd.DataFrame(rows)


def arm_subgroup_effects(data: pd.DataFrame, arm: str, control: Any, outcomes: Sequence[str],
                         by: Sequence[str], treatments: Sequence[Any] | None = None,
                         method: str = "difference_in_means", covariates: Sequence[str] = (),
                         **kwargs: Any) -> pd.DataFrame:
    """:func:`subgroup_effects` for every arm × outcome × ``by`` column, stacked.

    Adds the heterogeneity test of each block (``q``, ``q_df``, ``q_p_value``).
    """
    arms = _arms(data, arm, control, treatments)
    blocks = []
    for a in arms:
        sub = _arm_frame(data, arm, control, a)
        for y in outcomes:
            for b in by:
                res = subgroup_effects(sub, y, "_treated", b, method, covariates, **kwargs)
                tab = res.table.assign(treatment=a, outcome=y, q=res.q, q_df=res.df,
                                       q_p_value=res.p_value)
                tab["subgroup"] = tab["subgroup"].astype(str)
                blocks.append(tab)
    out = pd.concat(blocks, ignore_index=True)
    first = ["treatment", "outcome", "by", "subgroup"]
    return out[first + [c for c in out.columns if c not in first]]


def heterogeneity_tests(subgroups: pd.DataFrame) -> pd.DataFrame:
    """One row per treatment × outcome × ``by`` block of :func:`arm_subgroup_effects` with
    Cochran's Q, its df and p-value, and the number of subgroups."""
    need = ["treatment", "outcome", "by", "q", "q_df", "q_p_value"]
    require_role_columns(subgroups, need, "subgroup table")
    g = subgroups.groupby(["treatment", "outcome", "by"], sort=False)
    out = g[["q", "q_df", "q_p_value"]].first()
    out["n_subgroups"] = g.size()
    return out.reset_index()


def effects_per_contacts(effects: pd.DataFrame, n_contacts: int = 1000) -> pd.DataFrame:
    """Scale per-customer effects (estimate, ci_low, ci_high) to ``n_contacts`` customers.

    For an e-mail experiment with per-recipient outcomes this is the expected number of extra
    visits / conversions (or extra spend) per ``n_contacts`` e-mails sent.
    """
    if not isinstance(n_contacts, int) or n_contacts <= 0:
        raise ParameterError(f"n_contacts must be a positive integer, got {n_contacts!r}")
    require_role_columns(effects, ["treatment", "outcome", "estimate", "ci_low", "ci_high"],
                         "effects")
    out = effects[["treatment", "outcome"]].copy()
    out["per_contacts"] = n_contacts
    for c in ("estimate", "ci_low", "ci_high"):
        out[c] = effects[c].to_numpy(float) * n_contacts
    return out
