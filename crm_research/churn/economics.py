"""Economics of retention and prospecting campaigns targeted by a predictive model.

**Customer value from survival.** The value of keeping a customer is taken as monthly charges ×
expected remaining tenure. The expected remaining tenure of a customer who has stayed ``t``
periods is the restricted mean residual life under the Kaplan-Meier curve S of the customer's
group, ``m(t) = ∫ₜ^τ S(u) du / S(t)`` (Klein & Moeschberger 2003, "Survival Analysis", sec.
2.4 and 4.5), restricted to the horizon τ (default: the longest observed time of the group,
because S is unknown beyond it — so values are lower bounds for long-lived customers).

**Retention campaign** (Neslin, Gupta, Kamakura, Lu & Mason 2006, "Defection detection", J.
Marketing Research 43:204-211, eq. 1). Customers are ranked by predicted churn probability and
the top ``k`` get an offer. Each contact costs ``c`` (``contact_cost``); the incentive costs
``δ`` (``offer_cost``) whenever it is taken. A would-be churner accepts with probability ``γ``
(``acceptance_rate``) and is then kept, worth their value ``V``; non-churners take the incentive
too. Expected profit of targeting the set K (y = 1 for a churner)::

    profit(K) = Σ_K [ y·(γ(V - c - δ) - (1 - γ)c) - (1 - y)(c + δ) ]

Per targeted customer this is positive exactly when the precision β (share of churners among
the targeted) exceeds the **break-even precision** ``β* = (c + δ) / (γ·V̄ + (1 - γ)·δ)``,
with V̄ the mean value of the targeted churners.

**Prospecting (acquisition) campaign.** Prospects are ranked by predicted acquisition
probability; contacting prospect i costs ``c_i`` and an acquired prospect is worth ``V_i``:
``profit(K) = Σ_K (y·V - c)``, break-even precision ``β* = c̄ / V̄``.

Profit curves use observed outcomes with out-of-fold probabilities (honest ranking). A claim
that a model needs a fixed "confidence" before a campaign pays (source text 002, L423-L429 for
churn models, L345-L347 for prospect scoring) is read here as a required precision of the
targeted group and compared with β* and the model's achieved precision
(:func:`model_confidence_claims`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import binary_outcome, require_columns
from crm_research.errors import DataError, EstimationError, ParameterError

__all__ = [
    "remaining_tenure",
    "retention_profit_curve",
    "retention_break_even_precision",
    "acquisition_profit_curve",
    "curve_summary",
    "model_confidence_claims",
    "ConfidenceClaims",
    "confidence_claims",
    "TELCO_CHURN_COVARIATES",
    "ACQUISITION_COVARIATES",
]

#: Defaults of :func:`confidence_claims` (the customer_retention study's logit covariates).
TELCO_CHURN_COVARIATES = ("contract", "tenure", "monthly_charges", "internet_service",
                          "payment_method", "paperless_billing", "senior_citizen", "partner",
                          "dependents")
ACQUISITION_COVARIATES = ("industry", "revenue", "employees")


def _restricted_mrl(times: np.ndarray, surv: np.ndarray, at: np.ndarray,
                    horizon: float) -> np.ndarray:
    """∫ₜ^τ S / S(t) for a right-continuous step curve (S = 1 before the first time)."""
    knots = np.r_[0.0, times[times < horizon], horizon]
    values = np.r_[1.0, surv[times < horizon]]            # S on [knots[j], knots[j+1])
    area = np.r_[0.0, np.cumsum(values * np.diff(knots))]  # A(knots[j])

    def integral(x: np.ndarray) -> np.ndarray:
        j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(values) - 1)
        return area[j] + values[j] * (x - knots[j])

    x = np.clip(at, 0.0, horizon)
    j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(values) - 1)
    s_t = values[j]
    rest = integral(np.full_like(x, horizon)) - integral(x)
    return np.divide(rest, s_t, out=np.zeros_like(rest), where=s_t > 0)


def remaining_tenure(df: pd.DataFrame, duration: str, event: str, group: str | None = None,
                     horizon: float | None = None) -> np.ndarray:
    """Expected remaining tenure of each row at its current ``duration`` (module docstring):
    restricted mean residual life under the Kaplan-Meier curve of its ``group``."""
    from crm_research.churn import kaplan_meier

    require_columns(df, [duration, event] + ([group] if group else []), "remaining_tenure")
    km = kaplan_meier(df, duration, event=event, group=group)
    t_now = df[duration].to_numpy(dtype=float)
    labels = np.array(["all"] * len(df), dtype=object) if group is None else \
        df[group].astype(str).to_numpy(dtype=object)
    out = np.empty(len(df))
    for g, cur in km.curves.groupby("group", sort=False):
        m = labels == str(g)
        tau = float(cur["time"].max()) if horizon is None else float(horizon)
        if not tau > 0:
            raise ParameterError(f"horizon must be positive, got {horizon!r}")
        out[m] = _restricted_mrl(cur["time"].to_numpy(float), cur["survival"].to_numpy(float),
                                 t_now[m], tau)
    return out


def _check_inputs(y: Any, p: Any, value: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_arr = binary_outcome(pd.Series(np.asarray(y)), "outcome")
    p_arr = np.asarray(p, dtype=float)
    v_arr = np.broadcast_to(np.asarray(value, dtype=float), y_arr.shape).astype(float)
    if p_arr.shape != y_arr.shape:
        raise DataError(f"scores and outcomes differ in length: {p_arr.shape} vs {y_arr.shape}")
    if not (np.isfinite(p_arr).all() and np.isfinite(v_arr).all()):
        raise DataError("scores and values must be finite")
    if len(y_arr) == 0:
        raise EstimationError("no customers")
    return y_arr, p_arr, v_arr


def _rate(name: str, value: float, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) \
            or not low <= value <= high:
        raise ParameterError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _cost(name: str, value: float) -> float:
    return _rate(name, value, 0.0, float("inf"))


def _ranked(y: np.ndarray, p: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ParameterError(f"n_points must be an integer >= 2, got {n_points!r}")
    order = np.argsort(-p, kind="mergesort")
    k = np.unique(np.round(np.linspace(0, len(y), n_points)).astype(int))
    return order, k


def _cum_at(values: np.ndarray, k: np.ndarray) -> np.ndarray:
    return np.r_[0.0, np.cumsum(values)][k]


def retention_break_even_precision(value: float, offer_cost: float, contact_cost: float,
                                   acceptance_rate: float) -> float:
    """β* = (c + δ) / (γ·V + (1 - γ)·δ) (Neslin et al. 2006; module docstring). Above 1 the
    campaign cannot pay even with a perfect model."""
    g = _rate("acceptance_rate", acceptance_rate)
    c, d = _cost("contact_cost", contact_cost), _cost("offer_cost", offer_cost)
    denom = g * float(value) + (1.0 - g) * d
    return float("inf") if denom <= 0 else (c + d) / denom


def retention_profit_curve(y: Any, p: Any, value: Any, offer_cost: float,
                           contact_cost: float = 0.0, acceptance_rate: float = 0.3,
                           n_points: int = 101) -> pd.DataFrame:
    """Expected profit of offering the incentive to the top k customers by churn score ``p``.

    ``y``: observed churn (0/1); ``value``: value of keeping each customer (array or scalar).
    Columns: k, share, churners (among the targeted), precision, recall, profit,
    profit_per_contact, break_even_precision (with the mean value of the targeted churners).
    """
    y, p, v = _check_inputs(y, p, value)
    g = _rate("acceptance_rate", acceptance_rate)
    c, d = _cost("contact_cost", contact_cost), _cost("offer_cost", offer_cost)
    order, k = _ranked(y, p, n_points)
    ys, vs = y[order], v[order]
    churners = _cum_at(ys, k)
    value_churners = _cum_at(ys * vs, k)
    profit = g * value_churners - g * d * churners - c * k - d * (k - churners)
    mean_v = np.divide(value_churners, churners, out=np.full(len(k), np.nan), where=churners > 0)
    denom = g * mean_v + (1 - g) * d
    return pd.DataFrame({
        "k": k, "share": k / len(y), "churners": churners,
        "precision": np.divide(churners, k, out=np.full(len(k), np.nan), where=k > 0),
        "recall": churners / max(y.sum(), 1.0), "profit": profit,
        "profit_per_contact": np.divide(profit, k, out=np.full(len(k), np.nan), where=k > 0),
        "break_even_precision": np.divide(c + d, denom, out=np.full(len(k), np.nan),
                                          where=denom > 0),
    })


def acquisition_profit_curve(y: Any, p: Any, value: Any, contact_cost: Any,
                             n_points: int = 101) -> pd.DataFrame:
    """Expected profit of contacting the top k prospects by acquisition score ``p``.

    ``value``: worth of each prospect if acquired; ``contact_cost``: cost of contacting each
    (arrays or scalars). Columns as :func:`retention_profit_curve` (``churners`` is then the
    number acquired); break-even precision ``c̄ / V̄`` over the targeted prospects.
    """
    y, p, v = _check_inputs(y, p, value)
    cost = np.broadcast_to(np.asarray(contact_cost, dtype=float), y.shape).astype(float)
    if not (np.isfinite(cost).all() and (cost >= 0).all()):
        raise ParameterError("contact_cost must be finite and non-negative")
    order, k = _ranked(y, p, n_points)
    ys, vs, cs = y[order], v[order], cost[order]
    acquired = _cum_at(ys, k)
    value_acq = _cum_at(ys * vs, k)
    spend = _cum_at(cs, k)
    profit = value_acq - spend
    mean_v = np.divide(value_acq, acquired, out=np.full(len(k), np.nan), where=acquired > 0)
    mean_c = np.divide(spend, k, out=np.full(len(k), np.nan), where=k > 0)
    return pd.DataFrame({
        "k": k, "share": k / len(y), "churners": acquired,
        "precision": np.divide(acquired, k, out=np.full(len(k), np.nan), where=k > 0),
        "recall": acquired / max(y.sum(), 1.0), "profit": profit,
        "profit_per_contact": np.divide(profit, k, out=np.full(len(k), np.nan), where=k > 0),
        "break_even_precision": np.divide(mean_c, mean_v, out=np.full(len(k), np.nan),
                                          where=mean_v > 0),
    })


def curve_summary(curve: pd.DataFrame, threshold: float, min_share: float = 0.05) -> dict:
    """Key points of a profit curve: the optimum (share, precision, profit), the precision of
    the top decile, the best precision at ``min_share`` or more, and whether a profit was made
    while precision stayed below ``threshold``."""
    require_columns(curve, ["share", "precision", "profit", "break_even_precision"], "curve")
    pos = curve[curve["share"] > 0]
    best = pos.loc[pos["profit"].idxmax()]
    top = pos.iloc[(pos["share"] - 0.1).abs().argmin()]
    wide = pos[pos["share"] >= min_share]
    below = pos[(pos["precision"] < threshold) & (pos["profit"] > 0)]
    return {"optimal_share": float(best["share"]), "precision_at_optimum": float(best["precision"]),
            "profit_at_optimum": float(best["profit"]),
            "break_even_at_optimum": float(best["break_even_precision"]),
            "precision_top_decile": float(top["precision"]),
            "max_precision": float(wide["precision"].max()) if len(wide) else float("nan"),
            "profitable_below_threshold": bool(len(below)),
            "max_profit_below_threshold": float(below["profit"].max()) if len(below)
            else float("nan")}


def model_confidence_claims(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Table of "required confidence" claims against the data.

    Each ``rows`` item: claim_id, source, claim, threshold, data, model, roc_auc, curve (a
    profit curve), and optionally base_rate. Adds the :func:`curve_summary` numbers and a
    verdict: 'not supported' if the campaign is profitable at a precision below the claimed
    threshold or the model never reaches it yet still pays; 'consistent' if profit requires
    precision at or above the threshold.
    """
    out = []
    for r in rows:
        require = ["claim_id", "source", "claim", "threshold", "data", "model", "curve"]
        missing = [k for k in require if k not in r]
        if missing:
            raise ParameterError(f"model_confidence_claims: row lacks {missing}")
        s = curve_summary(r["curve"], float(r["threshold"]))
        pays = s["profit_at_optimum"] > 0
        if pays and s["profitable_below_threshold"]:
            verdict = (f"not supported as a fixed rule: the campaign already pays at a precision "
                       f"below {r['threshold']:.0%}; the precision needed depends on costs, "
                       "acceptance and customer value")
        elif pays:
            verdict = (f"consistent here: profit needs a precision of at least "
                       f"{r['threshold']:.0%} with these parameters")
        else:
            verdict = "cannot be judged: the campaign makes no profit at any targeting depth"
        row = {k: v for k, v in r.items() if k != "curve"}
        out.append({**row, **s, "verdict": verdict})
    return pd.DataFrame(out)


@dataclass
class ConfidenceClaims:
    """Result of :func:`confidence_claims`: ``table`` (one row per claim, see
    :func:`model_confidence_claims`) and the two profit curves behind it."""

    table: pd.DataFrame
    retention: pd.DataFrame
    acquisition: pd.DataFrame

    def fit_table(self) -> pd.DataFrame:
        """Break-even and achieved precision of each claim (statistic, value)."""
        rows = []
        for r in self.table.itertuples():
            rows += [{"statistic": f"{r.claim_id} break_even_at_optimum",
                      "value": r.break_even_at_optimum},
                     {"statistic": f"{r.claim_id} precision_at_optimum",
                      "value": r.precision_at_optimum}]
        return pd.DataFrame(rows)


def confidence_claims(telco: pd.DataFrame, prospects: pd.DataFrame,
                      offer_cost: float = 100.0, contact_cost: float = 10.0,
                      acceptance_rate: float = 0.3, churn_threshold: float = 0.7,
                      prospect_threshold: float = 0.9,
                      churn_covariates: Sequence[str] = TELCO_CHURN_COVARIATES,
                      acquisition_covariates: Sequence[str] = ACQUISITION_COVARIATES,
                      value_group: str | None = "contract", model: str = "logit",
                      n_folds: int = 5, seed: int = 20261123) -> ConfidenceClaims:
    """The 'required confidence' claims of source text 002 tested on Telco and SMCRM data.

    Retention (claim 002-24, L423-L429): out-of-fold churn probabilities of ``model`` on
    ``telco`` (``cross_validate_churn``), value = monthly charges × :func:`remaining_tenure`
    (Kaplan-Meier by ``value_group``), :func:`retention_profit_curve`. Prospecting (claim
    002-20, L345-L347): out-of-fold acquisition probabilities on ``prospects`` (the SMCRM
    acquisition data), contact cost = recorded ``acq_exp``, value of an acquired prospect =
    ``profit + acq_exp`` (the data's profit is net of the spending), and
    :func:`acquisition_profit_curve`. Both curves go through :func:`model_confidence_claims`.
    """
    from crm_research.churn import classification_metrics, cross_validate_churn

    require_columns(telco, ["churn", "tenure", "monthly_charges"], "telco data")
    require_columns(prospects, ["acquisition", "profit", "acq_exp"], "prospect data")
    value = telco["monthly_charges"].to_numpy(dtype=float) * remaining_tenure(
        telco, "tenure", "churn", group=value_group)
    cv = cross_validate_churn(telco, "churn", list(churn_covariates), models=[model],
                              n_folds=n_folds, seed=seed)
    cp = cv.predictions.sort_values("row")
    retention = retention_profit_curve(cp["y"], cp["p"], value[cp["row"].to_numpy()],
                                       offer_cost, contact_cost, acceptance_rate)
    acv = cross_validate_churn(prospects, "acquisition", list(acquisition_covariates),
                               models=[model], n_folds=n_folds, seed=seed)
    ap = acv.predictions.sort_values("row")
    rows = ap["row"].to_numpy()
    gross = (prospects["profit"] + prospects["acq_exp"]).to_numpy(dtype=float)
    acquisition = acquisition_profit_curve(ap["y"], ap["p"], gross[rows],
                                           prospects["acq_exp"].to_numpy(dtype=float)[rows])
    table = model_confidence_claims([
        {"claim_id": "002-24", "source": "source text 002, L423-L429",
         "claim": "a churn model needs about 70% confidence before a loyalty campaign pays",
         "threshold": churn_threshold, "data": "telco_churn", "model": model,
         "roc_auc": classification_metrics(cp["y"], cp["p"])["roc_auc"],
         "base_rate": float(cp["y"].mean()), "curve": retention},
        {"claim_id": "002-20", "source": "source text 002, L345-L347",
         "claim": "reach 90% confidence before prospecting",
         "threshold": prospect_threshold, "data": "smcrm_acquisition_retention",
         "model": model, "roc_auc": classification_metrics(ap["y"], ap["p"])["roc_auc"],
         "base_rate": float(ap["y"].mean()), "curve": acquisition},
    ])
    return ConfidenceClaims(table=table, retention=retention, acquisition=acquisition)
