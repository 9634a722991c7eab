"""Roll-out economics of a scored campaign: profit curves, the profit-maximising number of
contacts with a bootstrap interval, and a decision table.

Profit of contacting the top ``k`` of ``n`` experiment customers by a score (highest first),
measured on the randomised experiment (Radcliffe 2007; the "incremental profit" form of the
uplift curve, e.g. Gutierrez & Gérardy 2017, sec. 4)::

    profit(k) = scale · (margin · U(k) - cost · k),      scale = population / n

where ``U(k) = (Y_T(k)/N_T(k) - Y_C(k)/N_C(k)) · k`` is the uplift curve of
:func:`crm_research.causal.uplift_eval.uplift_curve` (extra outcome units if the top k were
contacted), ``margin`` the profit per unit of outcome and ``cost`` the cost per contact. Mailing
nobody earns 0; mailing everybody earns ``population · (margin · ATE - cost)``. Only ``k`` with
``scale · k · cost <= budget`` are feasible. Curves are evaluated on a grid of shares; between
the curve's points (distinct scores) the uplift curve is interpolated linearly.

Interval for the optimum: ``n_boot`` Poisson-bootstrap resamples of the customers (each
customer weighted by an independent Poisson(1) count; Hanley & MacGibbon 2006, Comput. Methods
Programs Biomed. 83:57-62 — the large-sample equivalent of resampling), with the scores held
fixed (they are out-of-fold predictions, so the model is not refitted); in each resample the
profit curve is recomputed on the grid (ties broken by the
fixed stable order) and maximised. Reported: percentile intervals of the optimal share and of
the profit at the point-estimate optimum. The optimum chosen on the same data is optimistic
(winner's curse): the interval shows how unsure the location is, not an unbiased profit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot, check_seed, require_columns
from crm_research.causal.uplift_eval import uplift_curve
from crm_research.errors import ParameterError

__all__ = ["profit_curve", "optimal_rollout", "rollout_table"]


def _check_money(margin: float, cost: float, budget: float | None) -> None:
    for name, v, need in (("margin", margin, "positive"), ("cost", cost, "non-negative")):
        bad = isinstance(v, bool) or not isinstance(v, int | float | np.floating)
        if bad or not (v > 0 if need == "positive" else v >= 0):
            raise ParameterError(f"{name} must be a {need} number, got {v!r}")
    if budget is not None and not (isinstance(budget, int | float) and budget >= 0):
        raise ParameterError(f"budget must be a non-negative number or None, got {budget!r}")


def _grid(n_points: int) -> np.ndarray:
    if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer) or n_points < 2:
        raise ParameterError(f"n_points must be an integer >= 2, got {n_points!r}")
    return np.linspace(0.0, 1.0, int(n_points))


def profit_curve(y: Any, t: Any, score: Any, margin: float, cost: float,
                 population: float | None = None, budget: float | None = None,
                 n_points: int = 101) -> pd.DataFrame:
    """Expected profit of contacting the top share of customers by ``score`` (module docstring).

    Columns: share, contacts (in the population), extra_outcome, revenue, contact_cost, profit,
    within_budget.
    """
    _check_money(margin, cost, budget)
    x, u = uplift_curve(y, score, t)
    n = float(x[-1])
    scale = (n if population is None else float(population)) / n
    share = _grid(n_points)
    k = share * n
    extra = np.interp(k, x, u) * scale
    contacts = k * scale
    revenue = margin * extra
    spend = cost * contacts
    ok = np.ones_like(share, dtype=bool) if budget is None else spend <= budget + 1e-9
    return pd.DataFrame({"share": share, "contacts": contacts, "extra_outcome": extra,
                         "revenue": revenue, "contact_cost": spend, "profit": revenue - spend,
                         "within_budget": ok})


def _boot_profits(y: np.ndarray, t: np.ndarray, score: np.ndarray, margin: float, cost: float,
                  scale: float, share: np.ndarray, n_boot: int,
                  rng: np.random.Generator) -> np.ndarray:
    """(n_boot, len(share)) profits of Poisson-bootstrap resamples, fixed score order."""
    order = np.argsort(score, kind="mergesort")[::-1]
    y, t = y[order], t[order]
    n = len(y)
    pos = np.clip(np.round(share * n).astype(int), 0, n)
    cuts = np.unique(np.r_[0, pos[(pos > 0) & (pos < n)]])
    where = np.searchsorted(cuts, pos, side="left")  # bins [cuts[i], cuts[i+1]) before pos
    out = np.empty((n_boot, len(share)))
    chunk = 50
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        # weights drawn in the customers' original order, so that resamples are the same
        # customers whatever the score (paired comparisons between shares and scores)
        w = rng.poisson(1.0, size=(b, n)).astype(float)[:, order]
        sums = [np.add.reduceat(v, cuts, axis=1) for v in (w * t, w * (1 - t), w * t * y,
                                                           w * (1 - t) * y)]
        cum = [np.hstack([np.zeros((b, 1)), np.cumsum(v, axis=1)])[:, np.where(pos == n,
                                                                               len(cuts), where)]
               for v in sums]
        nt, nc, yt, yc = cum
        rate = np.divide(yt, nt, out=np.zeros_like(yt), where=nt > 0) - \
            np.divide(yc, nc, out=np.zeros_like(yc), where=nc > 0)
        out[start:start + b] = scale * (margin * rate * pos - cost * pos)
    return out


def optimal_rollout(y: Any, t: Any, score: Any, margin: float, cost: float,
                    population: float | None = None, budget: float | None = None,
                    n_points: int = 101, n_boot: int = 200, level: float = 0.95,
                    seed: int = 0) -> dict[str, Any]:
    """Profit-maximising share of customers to contact by ``score``, with bootstrap intervals.

    Returns share, contacts, profit at the optimum, ``share_ci_low``/``share_ci_high``
    (percentile interval of the optimal share over the resamples), ``profit_ci_low``/
    ``profit_ci_high`` (percentile interval of the profit at the point-estimate optimum) and
    ``std_error`` of that profit (bootstrap SD), and ``gain_vs_everybody`` — profit at the
    optimum minus the profit of contacting everybody — with a paired percentile interval
    (``gain_ci_low``/``gain_ci_high``: the same resampled customers for both).
    """
    level = check_level(level)
    n_boot = check_n_boot(n_boot, minimum=2)
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    curve = profit_curve(y, t, score, margin, cost, population, budget, n_points)
    feasible = curve["within_budget"].to_numpy()
    prof = np.where(feasible, curve["profit"].to_numpy(), -np.inf)
    j = int(np.argmax(prof))
    y_arr, t_arr = np.asarray(y, dtype=float), np.asarray(t, dtype=float)
    n = len(y_arr)
    scale = (n if population is None else float(population)) / n
    boots = _boot_profits(y_arr, t_arr, np.asarray(score, dtype=float), margin, cost, scale,
                          curve["share"].to_numpy(), n_boot, rng)
    boots_feasible = np.where(feasible[None, :], boots, -np.inf)
    best_share = curve["share"].to_numpy()[np.argmax(boots_feasible, axis=1)]
    a = (1.0 - level) / 2.0
    gain = boots[:, j] - boots[:, -1]
    return {"share": float(curve["share"].iloc[j]), "contacts": float(curve["contacts"].iloc[j]),
            "profit": float(curve["profit"].iloc[j]),
            "gain_vs_everybody": float(curve["profit"].iloc[j] - curve["profit"].iloc[-1]),
            "gain_ci_low": float(np.quantile(gain, a)),
            "gain_ci_high": float(np.quantile(gain, 1 - a)),
            "std_error": float(np.std(boots[:, j], ddof=1)),
            "profit_ci_low": float(np.quantile(boots[:, j], a)),
            "profit_ci_high": float(np.quantile(boots[:, j], 1 - a)),
            "share_ci_low": float(np.quantile(best_share, a)),
            "share_ci_high": float(np.quantile(best_share, 1 - a)),
            "n_boot": n_boot}


def rollout_table(scores: pd.DataFrame, margin: float, cost: float,
                  population: float | None = None, budget: float | None = None,
                  n_points: int = 101, n_boot: int = 200, level: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """Decision table: mail nobody, everybody, or the profit-maximising top share by each
    model's score (long score table of :class:`~crm_research.causal.uplift.UpliftResult`).

    Columns: strategy, model, share, contacts, profit, std_error, profit_ci_low,
    profit_ci_high, share_ci_low, share_ci_high, gain_vs_everybody, gain_ci_low, gain_ci_high,
    within_budget, profit_per_contact, chosen.
    Sorted by profit (best first); 'everybody' is marked ``within_budget=False`` if the budget
    cannot pay for it; ``chosen`` marks the most profitable strategy within the budget.
    """
    require_columns(scores, ["model", "treatment", "outcome", "uplift"], "uplift scores")
    models = list(dict.fromkeys(scores["model"]))
    first = scores[scores["model"] == models[0]]
    y, t = first["outcome"].to_numpy(float), first["treatment"].to_numpy(float)
    n = len(y)
    pop = float(n if population is None else population)
    level = check_level(level)
    n_boot = check_n_boot(n_boot, minimum=2)
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    ones = np.zeros(n)
    all_curve = profit_curve(y, t, ones, margin, cost, pop, None, 2).iloc[-1]
    boot_all = _boot_profits(y, t, ones, margin, cost, pop / n, np.array([1.0]), n_boot,
                             rng)[:, 0]
    a = (1.0 - level) / 2.0
    rows = [{"strategy": "nobody", "model": "", "share": 0.0, "contacts": 0.0, "profit": 0.0,
             "std_error": 0.0, "profit_ci_low": 0.0, "profit_ci_high": 0.0,
             "share_ci_low": np.nan, "share_ci_high": np.nan,
             "gain_vs_everybody": -float(all_curve["profit"]),
             "gain_ci_low": -float(np.quantile(boot_all, 1 - a)),
             "gain_ci_high": -float(np.quantile(boot_all, a)), "within_budget": True},
            {"strategy": "everybody", "model": "", "share": 1.0, "contacts": pop,
             "profit": float(all_curve["profit"]), "std_error": float(np.std(boot_all, ddof=1)),
             "profit_ci_low": float(np.quantile(boot_all, a)),
             "profit_ci_high": float(np.quantile(boot_all, 1 - a)),
             "share_ci_low": np.nan, "share_ci_high": np.nan, "gain_vs_everybody": 0.0,
             "gain_ci_low": 0.0, "gain_ci_high": 0.0,
             "within_budget": budget is None or cost * pop <= budget + 1e-9}]
    for i, model in enumerate(models):
        part = scores[scores["model"] == model]
        kind = part["kind"].iloc[0] if "kind" in part else "uplift"
        opt = optimal_rollout(part["outcome"], part["treatment"], part["uplift"], margin, cost,
                              pop, budget, n_points, n_boot, level, seed + i + 1)
        rows.append({"strategy": f"top by {kind}", "model": model,
                     **{k: v for k, v in opt.items() if k != "n_boot"}, "within_budget": True})
    out = pd.DataFrame(rows)
    out["profit_per_contact"] = np.divide(out["profit"], out["contacts"],
                                          out=np.full(len(out), np.nan),
                                          where=out["contacts"].to_numpy() > 0)
    out = out.sort_values("profit", ascending=False, kind="mergesort").reset_index(drop=True)
    out["chosen"] = False
    out.loc[out.index[out["within_budget"].to_numpy(dtype=bool)][0], "chosen"] = True
    return out
