"""Small teaching computations of the CRM primer (formulas the model engines do not provide).

Each function is one textbook formula, with its source:

* Funnel conversion rates: step rate ``n_k / n_(k-1)``, cumulative rate ``n_k / n_0``
  (e.g. Kotler & Keller, *Marketing Management*, the "marketing funnel"; Jeffery 2010,
  *Data-Driven Marketing*, ch. 4).
* Retention-based customer lifetime value with constant margin ``m`` per period, constant
  retention ``r`` and discount rate ``d`` per period (Gupta & Lehmann 2003, "Customers as
  assets", J. Interactive Marketing 17(1):9-24; Gupta & Lehmann 2005, *Managing Customers as
  Investments*, "margin multiple"). Two timing conventions are offered and named explicitly:

  - ``timing="end"`` (Gupta & Lehmann's convention): the customer is acquired now, the first
    margin is earned at the END of period 1 by those retained, so
    ``CLV = Σ_{t=1..H} m·r^t/(1+d)^t``; infinite horizon ``m·r/(1+d−r)`` (the "margin
    multiple" r/(1+d−r): 4.5 at r = 0.9, d = 0.1).
  - ``timing="start"``: the margin of the current period is earned now (t = 0) and counted,
    ``CLV = Σ_{t=0..H} m·r^t/(1+d)^t``; infinite horizon ``m·(1+d)/(1+d−r)``. This equals
    ``m`` + the "end" value (e.g. Berger & Nasr 1998, J. Interactive Marketing 12(1), case 1;
    the form used by :func:`crm_research.clv.value.retention_whatif_constant`).

  Finite sums are evaluated in closed form: with q = r/(1+d), Σ_{t=a..H} q^t =
  (q^a − q^(H+1))/(1 − q) (q ≠ 1).
* Sample size of a campaign test cell (two independent proportions, normal approximation,
  pooled variance under H0): Fleiss, Levin & Paik (2003), *Statistical Methods for Rates and
  Proportions*, 3rd ed., ch. 4 (equal groups and allocation ratio k)::

      n1 = [z_(1−α/2)·√(p̄q̄(1+1/k)) + z_(1−β)·√(p1q1 + p2q2/k)]² / (p1 − p2)²,  n2 = k·n1,
      p̄ = (p1 + k·p2)/(1 + k)

  (for k = 1 the same as R's ``power.prop.test``: p1 = .5, p2 = .75, power .9 → n = 76.7).
  Optional continuity correction (Fleiss, Tytun & Ury 1980, Biometrics 36:343-346)::

      n1' = n1/4 · [1 + √(1 + 2(k+1)/(k·n1·|p1−p2|))]²

* Churn rate = customers lost during the period / customers at the start of the period; a
  per-period rate c is annualised as 1 − (1 − c)^k for k periods per year (constant-rate
  assumption). Exact (Clopper-Pearson 1934) interval for the binomial proportion.
* Pareto concentration: share of the total held by the top x% of customers, read off the
  (top-down) Lorenz curve with linear interpolation inside the customer that straddles x
  (Lorenz 1905; "80/20" after Pareto / Juran). For non-negative values the share lies in
  [x, 1].
* Attitudinal loyalty = a respondent's mean loyalty-item score rescaled to 0-100; behavioural
  loyalty = repeat purchasing (share of customers with ≥ 2 purchase days; number of purchase
  days) (Dick & Basu 1994, J. Academy of Marketing Science 22(2):99-113, "relative attitude"
  × "repeat patronage"; their four cells: true loyalty, latent loyalty, spurious loyalty, no
  loyalty).
* Response-rate lift of a treated cell over a control cell: difference of proportions with a
  Wald interval and the relative lift p_t/p_c − 1 (Agresti 2013, *Categorical Data Analysis*,
  sec. 3.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats

from crm_research.errors import DataError, ParameterError, SpecError

__all__ = [
    "funnel_rates", "funnel_from_flags",
    "retention_clv", "margin_multiple", "retention_clv_grid", "retention_uplift",
    "SampleSize", "sample_size_two_proportions", "power_two_proportions",
    "campaign_test_cell", "minimum_detectable_rate",
    "churn_rate", "annualise_churn", "lapse_share",
    "pareto_share", "pareto_curve", "pareto_share_ci", "customer_totals",
    "attitudinal_loyalty", "repeat_buyer_share", "dick_basu_segments",
    "response_lift", "campaign_cell_vs_rollout", "exact_proportion_ci", "load_glossary",
    "rate_by_group", "score_summary", "crm_type_headlines", "clv_formula_vs_model",
    "TRANSACTION_DATASETS", "transaction_log", "clv_formula_table",
    "customer_share_for_value_share", "pareto_table", "repeat_buyer_table",
    "snapshot_churn_rate",
]

TIMINGS = ("end", "start")


# --------------------------------------------------------------------------- helpers

def _num(value: object, name: str, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be finite, got {value!r}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ParameterError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {v}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ParameterError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {v}")
    return v


def _integer(value: object, name: str, minimum: int, what: str) -> int:
    """``value`` as an int if it is a whole number >= ``minimum``; else ParameterError
    "<name> must be <what>"."""
    try:
        ok = not isinstance(value, bool) and int(value) == value and value >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ParameterError(f"{name} must be {what}, got {value}")
    return int(value)  # type: ignore[arg-type]


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    """DataError naming the missing columns (and the ones there are) unless ``df`` has
    ``cols``."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: expected a DataFrame, got {type(df).__name__}")
    miss = [c for c in cols if c not in df.columns]
    if miss:
        raise DataError(f"{what}: column(s) {miss} missing; it has {list(df.columns)}")


def _binary(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    """Column ``col`` as numbers, checked to be 0/1 (or bool) without missing values."""
    y = pd.to_numeric(df[col], errors="coerce")
    if y.isna().any() or not y.isin([0, 1]).all():
        raise DataError(f"{what}: column {col!r} must be 0/1 (or bool) without missing values")
    return y


def _level(level: float) -> float:
    return _num(level, "level", 0.0, 1.0, lo_open=True, hi_open=True)


def exact_proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (1934) exact interval for a binomial proportion successes/n."""
    if n <= 0:
        raise DataError(f"proportion: need n > 0 trials, got {n}")
    if not 0 <= successes <= n:
        raise DataError(f"proportion: successes {successes} outside [0, {n}]")
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(_level(level), method="exact")
    return float(ci.low), float(ci.high)


# --------------------------------------------------------------------------- funnel

def funnel_rates(counts: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """Conversion rates of a funnel from the number reaching each stage (in funnel order).

    Returns stage, count, step_rate (n_k / n_(k−1); NaN for the first stage),
    cumulative_rate (n_k / n_0) and lost (n_(k−1) − n_k).
    """
    s = counts if isinstance(counts, pd.Series) else pd.Series(counts)
    if len(s) < 2:
        raise DataError("funnel: need counts of at least two stages")
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    if np.isnan(v).any() or np.any(v < 0):
        bad = list(s.index[np.isnan(v) | (v < 0)])
        raise DataError(f"funnel: stage count(s) {bad} must be non-negative numbers")
    if v[0] <= 0:
        raise DataError(f"funnel: first stage {s.index[0]!r} must have a positive count")
    if np.any(np.diff(v) > 0):
        k = int(np.argmax(np.diff(v) > 0)) + 1
        raise DataError(f"funnel: stage {s.index[k]!r} has more ({v[k]:g}) than the stage before "
                        f"it ({v[k - 1]:g}); a funnel narrows")
    prev = np.r_[np.nan, v[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(prev > 0, v / prev, np.nan)
    return pd.DataFrame({"stage": [str(x) for x in s.index], "count": v, "step_rate": step,
                         "cumulative_rate": v / v[0], "lost": prev - v})


def funnel_from_flags(df: pd.DataFrame, stages: Sequence[str], base_label: str = "contacted",
                      group: str | None = None) -> pd.DataFrame:
    """Funnel of 0/1 stage columns: every row reaches the base stage; a row reaches stage k if
    its flags for stages 1..k are all 1. Returns :func:`funnel_rates` per group (column
    ``group`` = 'all' without ``group``)."""
    _need(df, [*stages, *([group] if group else [])], "funnel")
    if not stages:
        raise ParameterError("funnel: give at least one stage column")
    flags = [_binary(df, c, "funnel").to_numpy(dtype=int) for c in stages]
    reached = np.cumprod(np.vstack(flags), axis=0) if flags else np.empty((0, len(df)))
    labels = np.array(["all"] * len(df), dtype=object) if group is None else \
        df[group].astype(str).to_numpy(dtype=object)
    out = []
    for g in pd.unique(labels):
        m = labels == g
        counts = {base_label: float(m.sum())}
        counts.update({c: float(reached[i, m].sum()) for i, c in enumerate(stages)})
        tab = funnel_rates(counts)
        tab.insert(0, "group", g)
        out.append(tab)
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- CLV by formula

def _check_clv_args(margin: float, retention: float, discount_rate: float, timing: str,
                    horizon: int | None) -> tuple[float, float, float, int | None]:
    m = _num(margin, "margin")
    r = _num(retention, "retention", 0.0, 1.0)
    d = _num(discount_rate, "discount_rate", 0.0)
    if timing not in TIMINGS:
        raise ParameterError(f"timing must be one of {list(TIMINGS)}, got {timing!r}")
    if horizon is not None:
        horizon = _integer(horizon, "horizon", 0, "a non-negative integer or None")
    elif r >= 1 + d:
        raise ParameterError("infinite-horizon CLV needs retention < 1 + discount_rate "
                             f"(got r = {r}, d = {d})")
    return m, r, d, horizon


def retention_clv(margin: float, retention: float, discount_rate: float,
                  horizon: int | None = None, timing: str = "end") -> float:
    """CLV of one customer by the retention formula (module docstring for both timings).

    ``horizon`` = number of future periods H (None = infinite). ``timing="end"``:
    Σ_{t=1..H} m·r^t/(1+d)^t (→ m·r/(1+d−r)); ``timing="start"``: Σ_{t=0..H} (→
    m·(1+d)/(1+d−r)). Margin, retention and discount rate refer to the same period length.
    """
    m, r, d, h = _check_clv_args(margin, retention, discount_rate, timing, horizon)
    q = r / (1.0 + d)
    a = 1 if timing == "end" else 0
    if h is None:
        return m * q ** a / (1.0 - q)
    if h < a:
        return 0.0
    if q == 1.0:
        return m * (h - a + 1)
    return m * (q ** a - q ** (h + 1)) / (1.0 - q)


def margin_multiple(retention: float, discount_rate: float, timing: str = "end") -> float:
    """CLV per unit margin, infinite horizon: r/(1+d−r) (end) or (1+d)/(1+d−r) (start)."""
    return retention_clv(1.0, retention, discount_rate, None, timing)


def retention_clv_grid(retentions: Sequence[float], discount_rates: Sequence[float],
                       margin: float = 1.0, horizon: int | None = None,
                       timing: str = "end") -> pd.DataFrame:
    """CLV over a grid: one row per retention, one column per discount rate."""
    rows = {}
    for r in retentions:
        rows[float(r)] = {f"d={float(d):g}": retention_clv(margin, r, d, horizon, timing)
                          for d in discount_rates}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "retention"
    return out


def clv_formula_table(margin: float, retention: float, discount_rate: float,
                      horizon: int) -> pd.DataFrame:
    """CLV of one customer under both timing conventions, over ``horizon`` periods and over an
    infinite horizon. Columns: timing, horizon, formula, clv."""
    rows = []
    for tm, f_fin, f_inf in (("end", "Σ_{t=1..H} m·r^t/(1+d)^t", "m·r/(1+d−r)"),
                             ("start", "Σ_{t=0..H} m·r^t/(1+d)^t", "m·(1+d)/(1+d−r)")):
        rows.append({"timing": tm, "horizon": str(int(horizon)), "formula": f_fin,
                     "clv": retention_clv(margin, retention, discount_rate, horizon, tm)})
        rows.append({"timing": tm, "horizon": "infinite", "formula": f_inf,
                     "clv": retention_clv(margin, retention, discount_rate, None, tm)})
    return pd.DataFrame(rows)


def retention_uplift(margin: float, retention: float, delta: float, discount_rate: float,
                     acquisition_cost: float = 0.0, horizon: int | None = None,
                     timing: str = "end") -> dict[str, float]:
    """What raising retention by ``delta`` (points, e.g. 0.05) does to CLV and to customer
    profit = CLV − acquisition cost.

    Returns retention, new_retention, clv, clv_new, clv_change_pct, profit, profit_new,
    profit_change_pct (NaN when the baseline profit is ≤ 0: a percentage change of a loss is
    not meaningful). Infinite horizon, end timing: clv_change_pct =
    100·δ(1+d)/(r(1+d−r−δ)) — note it does not depend on the margin.
    """
    dlt = _num(delta, "delta")
    ac = _num(acquisition_cost, "acquisition_cost", 0.0)
    base = retention_clv(margin, retention, discount_rate, horizon, timing)
    new = retention_clv(margin, retention + dlt, discount_rate, horizon, timing)
    pb, pn = base - ac, new - ac
    return {"retention": float(retention), "new_retention": float(retention) + dlt,
            "clv": base, "clv_new": new,
            "clv_change_pct": 100.0 * (new / base - 1.0) if base > 0 else float("nan"),
            "acquisition_cost": ac, "profit": pb, "profit_new": pn,
            "profit_change_pct": 100.0 * (pn / pb - 1.0) if pb > 0 else float("nan")}


# --------------------------------------------------------------------------- test-cell size

@dataclass(frozen=True)
class SampleSize:
    """Sample size of a two-cell comparison of proportions (``n1_exact``: unrounded)."""

    p1: float
    p2: float
    alpha: float
    power: float
    ratio: float
    n1_exact: float
    n1: int
    n2: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def _z_alpha(alpha: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(stats.norm.ppf(1 - alpha / 2))
    if alternative == "one-sided":
        return float(stats.norm.ppf(1 - alpha))
    raise ParameterError(f"alternative must be 'two-sided' or 'one-sided', got {alternative!r}")


def sample_size_two_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8,
                                ratio: float = 1.0, alternative: str = "two-sided",
                                continuity: bool = False) -> SampleSize:
    """Per-group sample sizes to detect p1 ≠ p2 (Fleiss, Levin & Paik 2003, ch. 4).

    ``ratio`` k = n2/n1 (e.g. a small test cell n1 against a large control k·n1). The
    far tail of a two-sided test is ignored (as in the textbook and R ``power.prop.test``).
    ``continuity=True`` applies the Fleiss-Tytun-Ury correction. n1, n2 are rounded up.
    """
    p1 = _num(p1, "p1", 0.0, 1.0, True, True)
    p2 = _num(p2, "p2", 0.0, 1.0, True, True)
    if p1 == p2:
        raise ParameterError("p1 and p2 are equal: no difference to detect")
    a = _num(alpha, "alpha", 0.0, 1.0, True, True)
    pw = _num(power, "power", 0.0, 1.0, True, True)
    k = _num(ratio, "ratio", 0.0, lo_open=True)
    za, zb = _z_alpha(a, alternative), float(stats.norm.ppf(pw))
    pbar = (p1 + k * p2) / (1 + k)
    num = za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)) + \
        zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k)
    diff = abs(p1 - p2)
    n1 = num ** 2 / diff ** 2
    if continuity:
        n1 = n1 / 4 * (1 + math.sqrt(1 + 2 * (k + 1) / (k * n1 * diff))) ** 2
    n1_int = math.ceil(n1 - 1e-9)
    return SampleSize(p1=p1, p2=p2, alpha=a, power=pw, ratio=k, n1_exact=n1, n1=n1_int,
                      n2=math.ceil(k * n1_int - 1e-9))


def power_two_proportions(p1: float, p2: float, n1: float, n2: float, alpha: float = 0.05,
                          alternative: str = "two-sided") -> float:
    """Approximate power of the pooled two-proportion z test (inverse of the formula above):
    Φ((|p1−p2| − z_α·√(p̄q̄(1/n1+1/n2))) / √(p1q1/n1 + p2q2/n2))."""
    p1 = _num(p1, "p1", 0.0, 1.0, True, True)
    p2 = _num(p2, "p2", 0.0, 1.0, True, True)
    n1 = _num(n1, "n1", 0.0, lo_open=True)
    n2 = _num(n2, "n2", 0.0, lo_open=True)
    za = _z_alpha(_num(alpha, "alpha", 0.0, 1.0, True, True), alternative)
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    se1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return float(stats.norm.cdf((abs(p1 - p2) - za * se0) / se1))


def campaign_test_cell(baseline_rate: float, lift: float, alpha: float = 0.05,
                       power: float = 0.8, control_ratio: float = 1.0,
                       list_size: int | None = None, relative: bool = True) -> pd.DataFrame:
    """Test-cell and control-cell sizes to detect a response-rate lift.

    ``lift`` is relative (p_test = baseline·(1+lift)) or, with ``relative=False``, in points
    (p_test = baseline + lift). ``control_ratio`` = control size / test size. With
    ``list_size`` the share of the mailing list the test (both cells) uses is added.
    """
    p0 = _num(baseline_rate, "baseline_rate", 0.0, 1.0, True, True)
    lf = _num(lift, "lift")
    p1 = p0 * (1 + lf) if relative else p0 + lf
    if not 0 < p1 < 1:
        raise ParameterError(f"baseline_rate {p0} with lift {lf} gives a test rate {p1} "
                             "outside (0, 1)")
    ss = sample_size_two_proportions(p1, p0, alpha, power, control_ratio)
    row = {"baseline_rate": p0, "test_rate": p1, "alpha": ss.alpha, "power": ss.power,
           "control_ratio": ss.ratio, "n_test": ss.n1, "n_control": ss.n2,
           "n_total": ss.n1 + ss.n2}
    if list_size is not None:
        ls = _num(list_size, "list_size", 0.0, lo_open=True)
        row["list_size"] = ls
        row["share_of_list"] = (ss.n1 + ss.n2) / ls
    return pd.DataFrame([row])


def minimum_detectable_rate(baseline_rate: float, n_test: float, n_control: float,
                            alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest test-cell response rate above ``baseline_rate`` detectable with the given cell
    sizes (solves :func:`power_two_proportions` = power by Brent's method)."""
    p0 = _num(baseline_rate, "baseline_rate", 0.0, 1.0, True, True)
    target = _num(power, "power", 0.0, 1.0, True, True)

    def f(p: float) -> float:
        return power_two_proportions(p, p0, n_test, n_control, alpha) - target

    hi = 1 - 1e-9
    if f(hi) < 0:
        raise ParameterError("cells too small: even a 100% response rate is not detectable "
                             f"with n_test={n_test}, n_control={n_control}")
    return float(optimize.brentq(f, p0 + 1e-12, hi, xtol=1e-12))


# --------------------------------------------------------------------------- churn

def churn_rate(lost: int, at_start: int, level: float = 0.95) -> dict[str, float]:
    """Churn rate = lost / at_start with its exact (Clopper-Pearson) interval."""
    if isinstance(lost, bool) or isinstance(at_start, bool):
        raise ParameterError("lost and at_start must be counts")
    n = int(_num(at_start, "at_start", 0.0, lo_open=True))
    x = int(_num(lost, "lost", 0.0))
    if x > n:
        raise DataError(f"churn rate: lost ({x}) exceeds customers at start ({n})")
    lo, hi = exact_proportion_ci(x, n, level)
    return {"lost": x, "at_start": n, "churn_rate": x / n, "ci_low": lo, "ci_high": hi}


def snapshot_churn_rate(df: pd.DataFrame, churn_col: str = "churn",
                        tenure_col: str = "tenure", min_tenure: float = 1,
                        level: float = 0.95) -> dict[str, float]:
    """Churn rate of the last period from a customer snapshot that flags who left in it (e.g.
    Telco: ``churn`` = left within the last month): customers at the start of the period are
    those with tenure ≥ ``min_tenure`` periods (newer ones joined during it). Returns
    :func:`churn_rate`'s dictionary."""
    _need(df, [churn_col, tenure_col], "snapshot churn")
    y = _binary(df, churn_col, "snapshot churn")
    at_start = pd.to_numeric(df[tenure_col], errors="coerce") >= float(min_tenure)
    return churn_rate(int(y[at_start].sum()), int(at_start.sum()), level)


def annualise_churn(rate: float, periods_per_year: float) -> float:
    """Annual churn 1 − (1 − c)^k from a per-period churn c (k periods a year; constant c)."""
    c = _num(rate, "rate", 0.0, 1.0)
    k = _num(periods_per_year, "periods_per_year", 0.0, lo_open=True)
    return 1.0 - (1.0 - c) ** k


def lapse_share(log: pd.DataFrame, base_start: object, base_end: object,
                followup_end: object, customer_col: str = "customer_id",
                date_col: str = "date", level: float = 0.95) -> dict[str, object]:
    """Inactivity proxy of churn in non-contractual data: of the customers who bought in
    [base_start, base_end], the share with no purchase in (base_end, followup_end].

    Returns base_customers, lapsed, lapse_share, ci_low, ci_high (exact), followup_days.
    """
    _need(log, [customer_col, date_col], "lapse share")
    try:
        b0, b1, f1 = (pd.Timestamp(x) for x in (base_start, base_end, followup_end))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"lapse share: cannot read the window dates: {exc}") from exc
    if not b0 <= b1 < f1:
        raise ParameterError("lapse share: need base_start <= base_end < followup_end")
    try:
        d = pd.to_datetime(log[date_col])
    except (TypeError, ValueError) as exc:
        raise DataError(f"lapse share: column {date_col!r} cannot be read as dates") from exc
    ids = log[customer_col]
    base = pd.unique(ids[(d >= b0) & (d <= b1)])
    if len(base) == 0:
        raise DataError(f"lapse share: no purchases between {b0.date()} and {b1.date()}")
    again = pd.unique(ids[(d > b1) & (d <= f1)])
    lapsed = int(len(base) - np.isin(base, again).sum())
    lo, hi = exact_proportion_ci(lapsed, len(base), level)
    return {"base_customers": int(len(base)), "lapsed": lapsed,
            "lapse_share": lapsed / len(base), "ci_low": lo, "ci_high": hi,
            "followup_days": int((f1 - b1).days)}


# --------------------------------------------------------------------------- Pareto

def _values(values: object, name: str = "values", allow_negative: bool = False) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numbers") from exc
    if v.size == 0:
        raise DataError(f"{name} is empty")
    if not np.all(np.isfinite(v)):
        raise DataError(f"{name} has missing or infinite values (first at position "
                        f"{int(np.argmax(~np.isfinite(v)))})")
    if not allow_negative and np.any(v < 0):
        raise DataError(f"{name} has negative values (first at position "
                        f"{int(np.argmax(v < 0))}); pass allow_negative=True for profits")
    if v.sum() <= 0:
        raise DataError(f"{name} must have a positive total")
    return v


def pareto_share(values: object, top: float = 0.2, allow_negative: bool = False) -> float:
    """Share of the total held by the top ``top`` fraction of customers (interpolated).

    With values sorted in decreasing order and k = top·n (not necessarily whole), the share is
    (sum of the first ⌊k⌋ values + (k − ⌊k⌋)·value ⌊k⌋+1) / total.
    """
    x = _num(top, "top", 0.0, 1.0)
    return _top_share(np.sort(_values(values, allow_negative=allow_negative))[::-1], x)


def _top_share(v: np.ndarray, x: float) -> float:
    """:func:`pareto_share` of values already checked and sorted in decreasing order."""
    k = x * v.size
    whole = int(math.floor(k + 1e-12))
    part = v[:whole].sum() + ((k - whole) * v[whole] if whole < v.size else 0.0)
    return float(part / v.sum())


def customer_share_for_value_share(values: object, value_share: float = 0.5) -> float:
    """Smallest share of customers (largest first, interpolated) holding ``value_share`` of
    the total: the inverse of :func:`pareto_share` for non-negative values."""
    q = _num(value_share, "value_share", 0.0, 1.0)
    v = np.sort(_values(values))[::-1]
    cum = np.r_[0.0, np.cumsum(v)] / v.sum()
    k = int(np.searchsorted(cum, q - 1e-15, side="left"))
    if k == 0:
        return 0.0
    step = cum[k] - cum[k - 1]
    frac = (q - cum[k - 1]) / step if step > 0 else 0.0
    return float((k - 1 + frac) / v.size)


def pareto_curve(values: object, points: int = 101, allow_negative: bool = False
                 ) -> pd.DataFrame:
    """Top-down Lorenz curve: customer_share (0..1) vs value_share, ``points`` grid points."""
    v = np.sort(_values(values, allow_negative=allow_negative))[::-1]
    grid = np.linspace(0.0, 1.0, int(points))
    return pd.DataFrame({"customer_share": grid,
                         "value_share": [_top_share(v, float(g)) for g in grid]})


def pareto_share_ci(values: object, top: float = 0.2, n_boot: int = 1000, seed: int = 0,
                    level: float = 0.95, allow_negative: bool = False) -> dict[str, float]:
    """Pareto share with a percentile bootstrap interval (customers resampled, seeded)."""
    v = _values(values, allow_negative=allow_negative)
    n_boot = _integer(n_boot, "n_boot", 0, "a non-negative integer")
    lv = _level(level)
    x = _num(top, "top", 0.0, 1.0)
    est = _top_share(np.sort(v)[::-1], x)
    lo = hi = float("nan")
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = np.empty(n_boot)
        for b in range(n_boot):
            s = v[rng.integers(0, v.size, v.size)]
            boots[b] = _top_share(np.sort(s)[::-1], x) if s.sum() > 0 else np.nan
        lo, hi = (float(q) for q in np.nanquantile(boots, [(1 - lv) / 2, (1 + lv) / 2]))
    return {"top": float(top), "customers": int(v.size), "share": est, "ci_low": lo,
            "ci_high": hi}


def customer_totals(log: pd.DataFrame, customer_col: str = "customer_id",
                    value_col: str = "value") -> pd.Series:
    """Total value per customer of a transaction log."""
    _need(log, [customer_col, value_col], "customer totals")
    return log.groupby(customer_col, sort=True)[value_col].sum()


def pareto_table(logs: Mapping[str, pd.DataFrame], top: float = 0.2, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """:func:`pareto_share_ci` of the customer totals of each named transaction log, plus the
    share of customers holding half of the total. Columns: data, top, customers, share,
    ci_low, ci_high, customers_for_half."""
    rows = []
    for name, log in logs.items():
        tot = customer_totals(log).to_numpy(dtype=float)
        rows.append({"data": name, **pareto_share_ci(tot, top, n_boot, seed, level),
                     "customers_for_half": customer_share_for_value_share(tot, 0.5)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- loyalty

def attitudinal_loyalty(items: pd.DataFrame, scale_min: float, scale_max: float) -> pd.Series:
    """Per-respondent attitudinal loyalty: mean of the loyalty items rescaled to 0-100,
    100·(mean − scale_min)/(scale_max − scale_min). Rows with a missing item are NaN."""
    lo = _num(scale_min, "scale_min")
    hi = _num(scale_max, "scale_max")
    if hi <= lo:
        raise ParameterError(f"scale_max ({hi}) must exceed scale_min ({lo})")
    if items.shape[1] == 0:
        raise DataError("attitudinal loyalty: no item columns given")
    x = items.apply(pd.to_numeric, errors="coerce")
    bad = (x < lo) | (x > hi)
    if bad.any().any():
        col = bad.any().idxmax()
        raise DataError(f"attitudinal loyalty: column {col!r} has values outside "
                        f"[{lo:g}, {hi:g}]")
    return 100.0 * (x.mean(axis=1, skipna=False) - lo) / (hi - lo)


def repeat_buyer_share(log: pd.DataFrame, customer_col: str = "customer_id",
                       date_col: str = "date", level: float = 0.95) -> dict[str, float]:
    """Behavioural loyalty of a transaction log: share of customers with ≥ 2 distinct purchase
    days (exact interval) and the mean number of purchase days per customer (purchase days =
    the occasions of :func:`crm_research.data.transactions.summarize_transactions`, frequency + 1).
    """
    from crm_research.data.transactions import summarize_transactions

    summary = summarize_transactions(log, customer_col, date_col, value_col=None)
    per = summary["frequency"] + 1
    rep = int((per >= 2).sum())
    lo, hi = exact_proportion_ci(rep, int(per.size), level)
    return {"customers": int(per.size), "repeat_buyers": rep, "repeat_share": rep / per.size,
            "ci_low": lo, "ci_high": hi, "mean_purchase_days": float(per.mean())}


def repeat_buyer_table(logs: Mapping[str, pd.DataFrame], level: float = 0.95) -> pd.DataFrame:
    """:func:`repeat_buyer_share` of each named transaction log (column ``data`` first)."""
    return pd.DataFrame([{"data": name, **repeat_buyer_share(log, level=level)}
                         for name, log in logs.items()])


def dick_basu_segments(attitude: object, behaviour: object, attitude_cut: float,
                       behaviour_cut: float) -> pd.Series:
    """Dick & Basu (1994) cells: high/low attitude (≥ cut) × high/low repeat patronage:
    'true loyalty' (high, high), 'latent loyalty' (high attitude, low behaviour),
    'spurious loyalty' (low attitude, high behaviour), 'no loyalty' (low, low)."""
    try:
        a = np.asarray(attitude, dtype=float)
        b = np.asarray(behaviour, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError("attitude and behaviour must be numbers (missing as NaN)") from exc
    attitude_cut = _num(attitude_cut, "attitude_cut")
    behaviour_cut = _num(behaviour_cut, "behaviour_cut")
    if a.shape != b.shape:
        raise DataError(f"attitude ({a.shape}) and behaviour ({b.shape}) differ in length")
    ha, hb = a >= attitude_cut, b >= behaviour_cut
    lab = np.where(ha & hb, "true loyalty", np.where(ha, "latent loyalty",
                   np.where(hb, "spurious loyalty", "no loyalty")))
    lab = np.where(np.isnan(a) | np.isnan(b), None, lab)
    return pd.Series(pd.Categorical(lab, categories=["true loyalty", "latent loyalty",
                                                     "spurious loyalty", "no loyalty"]))


# --------------------------------------------------------------------------- response lift

def response_lift(df: pd.DataFrame, arm_col: str, treated: object, control: object,
                  outcome: str, level: float = 0.95) -> dict[str, float]:
    """Response rates of a treated and a control cell, their difference (Wald interval) and
    the relative lift p_t/p_c − 1."""
    _need(df, [arm_col, outcome], "response lift")
    y = _binary(df, outcome, "response lift")
    arm = df[arm_col]
    yt, yc = y[arm == treated], y[arm == control]
    if yt.empty or yc.empty:
        raise DataError(f"response lift: no rows with {arm_col} == {treated!r} or {control!r}")
    pt, pc = float(yt.mean()), float(yc.mean())
    se = math.sqrt(pt * (1 - pt) / len(yt) + pc * (1 - pc) / len(yc))
    z = float(stats.norm.ppf(0.5 + _level(level) / 2))
    return {"n_treated": int(len(yt)), "n_control": int(len(yc)), "rate_treated": pt,
            "rate_control": pc, "difference": pt - pc, "ci_low": pt - pc - z * se,
            "ci_high": pt - pc + z * se,
            "relative_lift": pt / pc - 1 if pc > 0 else float("nan")}


def campaign_cell_vs_rollout(df: pd.DataFrame, arm_col: str, treated: object, control: object,
                         outcome: str, test_share: float, seed: int = 0,
                         level: float = 0.95) -> pd.DataFrame:
    """Campaign cycle on a randomised experiment: draw a random test cell (``test_share`` of
    the rows, seeded), estimate the response lift there, and compare it with the estimate on
    the remaining rows (the 'roll-out'). One row per part: part, rows, and the columns of
    :func:`response_lift`."""
    sh = _num(test_share, "test_share", 0.0, 1.0, True, True)
    rng = np.random.default_rng(seed)
    in_test = rng.random(len(df)) < sh
    rows = []
    for part, mask in (("test cell", in_test), ("roll-out", ~in_test)):
        res = response_lift(df[mask], arm_col, treated, control, outcome, level)
        rows.append({"part": part, "rows": int(mask.sum()), **res})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- small tables

def rate_by_group(df: pd.DataFrame, outcome: str, group: str | None = None,
                  level: float = 0.95) -> pd.DataFrame:
    """Rate of a 0/1 outcome per group (or overall): group, n, successes, rate and exact
    (Clopper-Pearson) interval. Groups sorted (categories in their order)."""
    _need(df, [outcome, *([group] if group else [])], "rate by group")
    y = _binary(df, outcome, "rate by group")
    if group is None:
        parts = [("all", y)]
    else:
        g = df[group]
        if isinstance(g.dtype, pd.CategoricalDtype):
            levels = list(g.cat.categories)
        else:
            levels = list(pd.unique(g.dropna()))
            try:
                levels = sorted(levels)
            except TypeError:  # mixed types: keep the order of first appearance
                pass
        parts = [(lev, y[g == lev]) for lev in levels if (g == lev).any()]
    rows = []
    for lev, yy in parts:
        k, n = int(yy.sum()), int(len(yy))
        lo, hi = exact_proportion_ci(k, n, level)
        rows.append({"group": str(lev), "n": n, "successes": k, "rate": k / n, "ci_low": lo,
                     "ci_high": hi})
    return pd.DataFrame(rows)


def score_summary(scores: pd.Series, cut: float, level: float = 0.95) -> dict[str, float]:
    """n, mean, standard deviation and share of scores ≥ ``cut`` (exact interval), missing
    scores dropped."""
    v = pd.to_numeric(pd.Series(scores), errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        raise DataError("score summary: no non-missing score")
    k = int((v >= float(cut)).sum())
    lo, hi = exact_proportion_ci(k, v.size, level)
    return {"n": int(v.size), "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else float("nan"), "cut": float(cut),
            "share_at_least_cut": k / v.size, "ci_low": lo, "ci_high": hi}


def crm_type_headlines(win_back: pd.DataFrame, acq_ret: pd.DataFrame, b2b: pd.DataFrame,
                       level: float = 0.95) -> pd.DataFrame:
    """One headline figure per CRM type from the SMCRM teaching data (Kumar & Petersen 2012):

    * prospecting / acquisition: share of prospects acquired (``acquisition``);
    * retention: share of B2B customers still customers when observation ended at 730 days
      (``censor`` = 1; the data's end of observation, not a survival estimate);
    * cross-selling: share of acquired customers buying in ≥ 2 categories (``crossbuy``);
    * win-back: share of lapsed customers re-acquired (``reacquire``).
    Exact intervals. Columns: crm_type, data, measure, count, n, value, ci_low, ci_high.
    """
    for name, df, cols in (("smcrm_win_back", win_back, ["reacquire"]),
                           ("smcrm_acquisition_retention", acq_ret, ["acquisition", "crossbuy"]),
                           ("smcrm_b2b_churn", b2b, ["censor"])):
        _need(df, cols, name)
    acquired = acq_ret[acq_ret["acquisition"] == 1]
    items = [
        ("prospecting / acquisition", "smcrm_acquisition_retention", "prospects acquired",
         int(acq_ret["acquisition"].sum()), len(acq_ret)),
        ("retention / loyalty", "smcrm_b2b_churn", "customers still active at 730 days",
         int(b2b["censor"].sum()), len(b2b)),
        ("cross-selling", "smcrm_acquisition_retention",
         "acquired customers buying in >= 2 categories", int((acquired["crossbuy"] >= 2).sum()),
         len(acquired)),
        ("win-back", "smcrm_win_back", "lapsed customers re-acquired",
         int(win_back["reacquire"].sum()), len(win_back)),
    ]
    rows = []
    for typ, data, measure, k, n in items:
        lo, hi = exact_proportion_ci(k, n, level)
        rows.append({"crm_type": typ, "data": data, "measure": measure, "count": k, "n": n,
                     "value": k / n, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def clv_formula_vs_model(survivors: Sequence[float], margin: float, discount_rate: float,
                         fit_periods: int, horizon: int = 200) -> pd.DataFrame:
    """Expected CLV of a new customer (margin at the START of each period while active, i.e.
    Σ_{t=0..H−1} m·S(t)/(1+d)^t) from a cohort's survivor counts n_0, n_1, ..., four ways:

    * formula, constant retention = first-period retention n_1/n_0;
    * formula, constant retention = mean retention over the fitted periods (n_k/n_0)^(1/k);
    * model: shifted-beta-geometric fitted to n_0..n_k (Fader & Hardie 2007,
      :func:`crm_research.clv.value.fit_sbg`), whose retention rises with tenure;
    * observed: the same sum with the observed survival S(t) = n_t/n_0 over the periods
      available (a truncated, lower-bound value).
    k = ``fit_periods``; H = ``horizon``. Columns: method, retention_used, clv.
    """
    from crm_research.clv.value import fit_sbg, sbg_expected_lifetime_value

    n = np.asarray(survivors, dtype=float)
    k = int(fit_periods)
    if n.ndim != 1 or n.size < 2 or not 1 <= k < n.size:
        raise ParameterError(f"fit_periods must be between 1 and {n.size - 1}, got {fit_periods}")
    if np.any(n <= 0) or np.any(np.diff(n) > 0):
        raise DataError("survivor counts must be positive and non-increasing")
    m = _num(margin, "margin")
    d = _num(discount_rate, "discount_rate", 0.0)
    h = int(horizon)
    r1 = n[1] / n[0]
    rbar = (n[k] / n[0]) ** (1 / k)
    fit = fit_sbg(n[: k + 1])
    a, b = float(fit.params["alpha"]), float(fit.params["beta"])
    obs = float(np.sum(m * (n / n[0]) / (1 + d) ** np.arange(n.size)))
    rows = [
        {"method": "formula, first-period retention", "retention_used": r1,
         "clv": retention_clv(m, r1, d, h - 1, "start")},
        {"method": f"formula, mean retention over {k} periods", "retention_used": rbar,
         "clv": retention_clv(m, rbar, d, h - 1, "start")},
        {"method": f"sBG model fitted to periods 0-{k} (alpha {a:.3f}, beta {b:.3f})",
         "retention_used": b / (a + b),
         "clv": sbg_expected_lifetime_value(fit.params, m, d, h)},
        {"method": f"observed survival, periods 0-{n.size - 1} only (truncated)",
         "retention_used": float("nan"), "clv": obs},
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- data access

#: Bundled transaction logs the primer can use for Pareto and repeat-buying sections.
TRANSACTION_DATASETS: tuple[str, ...] = ("cdnow_master", "cdnow_sample", "online_retail")


def transaction_log(name: str, loader: Callable[[str], pd.DataFrame] | None = None
                    ) -> pd.DataFrame:
    """Transaction log (customer_id, date, value) of a bundled data set, prepared by
    :func:`crm_research.data.transactions.prepare_log` (the CDNOW logs as loaded; Online Retail
    cleaned by :func:`crm_research.data.transactions.clean_online_retail`).
    ``loader`` defaults to :func:`crm_research.data.datasets.load`."""
    if name not in TRANSACTION_DATASETS:
        raise ParameterError(f"transaction data set {name!r} unknown; expected one of "
                             f"{list(TRANSACTION_DATASETS)}")
    if loader is None:
        from crm_research.data.datasets import load as loader
    from crm_research.data.transactions import prepare_log

    return prepare_log(name, loader(name))[0]


# --------------------------------------------------------------------------- glossary

GLOSSARY_COLUMNS = ["term", "persian", "section", "definition"]


def load_glossary(section: str | None = None) -> pd.DataFrame:
    """The CRM glossary (package file ``glossary.yaml``): term, persian, section, definition;
    optionally only the terms of one primer ``section``."""
    res = resources.files("crm_research.studies").joinpath("glossary.yaml")
    text = res.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"crm_research/glossary.yaml is not valid YAML: {exc}") from exc
    terms = data.get("terms") if isinstance(data, dict) else None
    if not terms:
        raise SpecError("crm_research/glossary.yaml must hold a non-empty 'terms' list")
    for i, t in enumerate(terms):
        miss = [k for k in GLOSSARY_COLUMNS if not str(t.get(k, "")).strip()]
        if miss:
            raise SpecError(f"glossary.yaml: term #{i + 1} ({t.get('term')!r}) lacks {miss}")
    df = pd.DataFrame([{k: " ".join(str(t[k]).split()) for k in GLOSSARY_COLUMNS}
                       for t in terms])
    if section is not None:
        if section not in set(df["section"]):
            raise ParameterError(f"glossary section {section!r} unknown; known: "
                                 f"{sorted(set(df['section']))}")
        df = df[df["section"] == section].reset_index(drop=True)
    return df
