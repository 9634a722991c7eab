"""Observational effect estimates with diagnostics: AIPW + overlap + balance + E-values.

For each treatment definition (a column, the values that count as treated, and the values
that count as control; rows with other values are excluded and counted) this runs
:func:`crm_research.causal.estimators.aipw`, the
naive difference in means, the covariate balance before
and after inverse-probability weighting with the cross-fitted propensities used by AIPW
(:mod:`crm_research.causal.balance`), and the E-value of the risk ratio ``mu1/mu0`` (binary
outcome) or of the approximate conversion of the mean difference (continuous outcome).

These are associations: they are causal effects only under (i) no unmeasured confounding
given the covariates, (ii) overlap, (iii) consistency / no interference, and (iv) correct
specification of at least one of the two nuisance models (double robustness).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_seed
from crm_research.causal.balance import ate_weights, propensity_overlap, standardized_differences
from crm_research.causal.design import is_binary, outcome_array, require_role_columns
from crm_research.causal.sensitivity import e_value, e_value_from_difference
from crm_research.causal.weighting import aipw
from crm_research.errors import DataError, ParameterError

__all__ = ["TreatmentDefinition", "TELCO_TREATMENTS", "TELCO_COVARIATES", "select_treatments",
           "treatment_frame",
           "observational_effects", "ObservationalResult"]


@dataclass(frozen=True)
class TreatmentDefinition:
    """A binary treatment carved out of one column: ``treated`` values vs ``control`` values."""

    column: str
    treated: tuple[Any, ...]
    control: tuple[Any, ...]
    description: str = ""


#: Telco e-services and electronic billing / payment. E-service columns take the values
#: 'Yes' / 'No' / 'No internet service'; 'No internet service' is excluded, so each e-service
#: effect is among customers *with* internet service.
TELCO_TREATMENTS: dict[str, TreatmentDefinition] = {
    "online_security": TreatmentDefinition(
        "online_security", ("Yes",), ("No",), "online security add-on (internet customers)"),
    "tech_support": TreatmentDefinition(
        "tech_support", ("Yes",), ("No",), "tech support add-on (internet customers)"),
    "online_backup": TreatmentDefinition(
        "online_backup", ("Yes",), ("No",), "online backup add-on (internet customers)"),
    "paperless_billing": TreatmentDefinition(
        "paperless_billing", (True,), (False,), "paperless (electronic) billing"),
    "automatic_payment": TreatmentDefinition(
        "payment_method", ("Bank transfer (automatic)", "Credit card (automatic)"),
        ("Electronic check", "Mailed check"), "automatic bank / card payment vs manual payment"),
}

#: Pre-treatment covariates used by default (demographics, tenure, phone and internet
#: service type, contract). Monthly/total charges are left out: they rise with every add-on
#: taken, so they are partly consequences of the treatment.
TELCO_COVARIATES: tuple[str, ...] = (
    "female", "senior_citizen", "partner", "dependents", "tenure", "phone_service",
    "internet_service", "contract",
)


def select_treatments(names: Sequence[str],
                      registry: Mapping[str, TreatmentDefinition] | None = None
                      ) -> dict[str, TreatmentDefinition]:
    """Pick treatment definitions by name from ``registry`` (default :data:`TELCO_TREATMENTS`)."""
    registry = TELCO_TREATMENTS if registry is None else registry
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in registry]
    if unknown or not names:
        raise ParameterError(f"unknown treatment(s) {unknown}; choose from {list(registry)}")
    return {n: registry[n] for n in names}


def treatment_frame(data: pd.DataFrame, definition: TreatmentDefinition,
                    name: str = "_treated") -> tuple[pd.DataFrame, int]:
    """Rows whose ``definition.column`` is a treated or control value, with a bool ``name``.

    Returns the frame and the number of excluded rows.
    """
    require_role_columns(data, [definition.column], "treatment")
    col = data[definition.column]
    overlap = set(definition.treated) & set(definition.control)
    if overlap:
        raise ParameterError(f"values {sorted(map(str, overlap))} are both treated and control")
    is_t = col.isin(definition.treated).to_numpy()
    is_c = col.isin(definition.control).to_numpy()
    if not is_t.any() or not is_c.any():
        raise DataError(
            f"column {definition.column!r} has no rows with treated values "
            f"{list(definition.treated)} or none with control values {list(definition.control)}"
        )
    keep = is_t | is_c
    out = data.loc[keep].copy()
    out[name] = is_t[keep]
    return out, int((~keep).sum())


@dataclass
class ObservationalResult:
    """``table``: one row per treatment (the effects); ``balance``: SMD rows per treatment ×
    covariate; ``overlap``: propensity histograms per treatment; ``propensity``: per treatment the
    (trimmed) cross-fitted propensities and the treatment indicator, for plots."""

    table: pd.DataFrame
    balance: pd.DataFrame
    overlap: pd.DataFrame
    propensity: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def observational_effects(data: pd.DataFrame, outcome: str,
                          treatments: Mapping[str, TreatmentDefinition],
                          covariates: Sequence[str], n_folds: int = 5, seed: int = 0,
                          eps: float = 0.01, level: float = 0.95,
                          bins: int = 20) -> ObservationalResult:
    """AIPW effect, naive difference, balance, overlap and E-values for each treatment.

    ``table`` columns: treatment, description, n, n_excluded, n_treated, n_control,
    raw_mean_treated, raw_mean_control, naive_difference, estimate, std_error, ci_low, ci_high,
    mu1, mu0, ratio, ratio_ci_low, ratio_ci_high, e_value, e_value_ci, e_value_basis,
    n_trimmed, max_abs_smd_before, max_abs_smd_after. The treatment's own column is dropped
    from the covariates. For a 0/1 outcome the E-value uses the risk ratio ``mu1/mu0``
    (VanderWeele & Ding 2017); otherwise the approximate standardised-difference conversion.
    """
    if not treatments:
        raise ParameterError("treatments must name at least one treatment definition")
    seed = check_seed(seed, allow_none=False)
    require_role_columns(data, [outcome], "outcome")
    rows, bal, ovl, props = [], [], [], {}
    for name, d in treatments.items():
        if not isinstance(d, TreatmentDefinition):
            raise ParameterError(f"treatment {name!r} must be a TreatmentDefinition")
        frame, n_excl = treatment_frame(data, d)
        cov = [c for c in covariates if c != d.column]
        res = aipw(frame, outcome, "_treated", cov, n_folds=n_folds, seed=seed, eps=eps,
                   level=level)
        y = outcome_array(frame, outcome)
        t = frame["_treated"].to_numpy(dtype=float)
        if is_binary(y):
            ev = e_value(res.ratio, res.ratio_ci_low, res.ratio_ci_high) \
                if np.isfinite(res.ratio) else {"e_value": np.nan, "e_value_ci": np.nan}
            basis = "risk ratio mu1/mu0"
        else:
            ev = e_value_from_difference(res.estimate, res.std_error, float(y.std(ddof=1)))
            basis = "exp(0.91 d) conversion of the mean difference"
        e = res.propensity
        assert e is not None
        b = standardized_differences(frame, "_treated", cov, weights=ate_weights(e, t))
        bal.append(b.assign(treatment=name))
        ovl.append(propensity_overlap(e, t, bins=bins).assign(treatment=name))
        props[name] = (e, t)
        rows.append({
            "treatment": name, "description": d.description, "n": res.n, "n_excluded": n_excl,
            "n_treated": res.n_treated, "n_control": res.n_control,
            "raw_mean_treated": float(y[t == 1].mean()),
            "raw_mean_control": float(y[t == 0].mean()),
            "naive_difference": float(y[t == 1].mean() - y[t == 0].mean()),
            "estimate": res.estimate, "std_error": res.std_error, "ci_low": res.ci_low,
            "ci_high": res.ci_high, "mu1": res.mu1, "mu0": res.mu0, "ratio": res.ratio,
            "ratio_ci_low": res.ratio_ci_low, "ratio_ci_high": res.ratio_ci_high,
            "e_value": ev["e_value"], "e_value_ci": ev["e_value_ci"], "e_value_basis": basis,
            "n_trimmed": res.details["n_trimmed"],
            "max_abs_smd_before": float(b["smd_before"].abs().max()),
            "max_abs_smd_after": float(b["smd_after"].abs().max()),
        })
    balance = pd.concat(bal, ignore_index=True)
    balance = balance[["treatment"] + [c for c in balance.columns if c != "treatment"]]
    overlap = pd.concat(ovl, ignore_index=True)
    overlap = overlap[["treatment"] + [c for c in overlap.columns if c != "treatment"]]
    return ObservationalResult(table=pd.DataFrame(rows), balance=balance, overlap=overlap,
                               propensity=props)
