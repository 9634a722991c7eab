"""Campaign arithmetic of the primer: funnel conversion rates, the size of a campaign test cell
and the response lift of a treated over a control cell.

* Funnel: step rate ``n_k / n_(k-1)``, cumulative rate ``n_k / n_0`` (Kotler & Keller,
  *Marketing Management*, the "marketing funnel"; Jeffery 2010, *Data-Driven Marketing*, ch. 4).
* Test-cell size: two independent proportions, normal approximation, pooled variance under H0
  (Fleiss, Levin & Paik 2003, *Statistical Methods for Rates and Proportions*, 3rd ed., ch. 4),
  with the Fleiss, Tytun & Ury (1980) continuity correction; for k = 1 the same as R's
  ``power.prop.test`` (p1 = .5, p2 = .75, power .9 → n = 76.7).
* Response lift: difference of proportions with a Wald interval and the relative lift
  p_t/p_c − 1 (Agresti 2013, *Categorical Data Analysis*, sec. 3.1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from crm_research._checks import binary_outcome, check_level, require_columns
from crm_research._lazy import lazy_module
from crm_research.errors import DataError, ParameterError
from crm_research.studies.primer.args import number

stats = lazy_module("scipy.stats")

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



def funnel_bottleneck(step_rates: Sequence[float] | pd.Series | np.ndarray,
                      exclude: Sequence[int] = ()) -> int | None:
    """Position of the funnel's bottleneck: the stage with the lowest step rate ``n_k / n_(k-1)``
    (Kotler & Keller's marketing funnel, source text 001: the stage where most of those who
    reached the previous stage are lost). ``step_rates`` is in stage order as in
    :func:`funnel_rates` (NaN for the first stage); NaN entries and the positions in
    ``exclude`` (e.g. a step from an assumed count) are skipped; the first stage wins a tie.
    None if no step rate is left."""
    rates = np.asarray(step_rates, dtype=float).copy()
    for k in exclude:
        if 0 <= int(k) < len(rates):
            rates[int(k)] = np.nan
    if not np.isfinite(rates).any():
        return None
    return int(np.nanargmin(rates))

def funnel_from_flags(df: pd.DataFrame, stages: Sequence[str], base_label: str = "contacted",
                      group: str | None = None) -> pd.DataFrame:
    """Funnel of 0/1 stage columns: every row reaches the base stage; a row reaches stage k if
    its flags for stages 1..k are all 1. Returns :func:`funnel_rates` per group (column
    ``group`` = 'all' without ``group``)."""
    require_columns(df, [*stages, *([group] if group else [])], "funnel")
    if not stages:
        raise ParameterError("funnel: give at least one stage column")
    flags = [binary_outcome(df[c], c).astype(int) for c in stages]
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
    p1 = number(p1, "p1", 0.0, 1.0, True, True)
    p2 = number(p2, "p2", 0.0, 1.0, True, True)
    if p1 == p2:
        raise ParameterError("p1 and p2 are equal: no difference to detect")
    a = number(alpha, "alpha", 0.0, 1.0, True, True)
    pw = number(power, "power", 0.0, 1.0, True, True)
    k = number(ratio, "ratio", 0.0, lo_open=True)
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
    p1 = number(p1, "p1", 0.0, 1.0, True, True)
    p2 = number(p2, "p2", 0.0, 1.0, True, True)
    n1 = number(n1, "n1", 0.0, lo_open=True)
    n2 = number(n2, "n2", 0.0, lo_open=True)
    za = _z_alpha(number(alpha, "alpha", 0.0, 1.0, True, True), alternative)
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
    p0 = number(baseline_rate, "baseline_rate", 0.0, 1.0, True, True)
    lf = number(lift, "lift")
    p1 = p0 * (1 + lf) if relative else p0 + lf
    if not 0 < p1 < 1:
        raise ParameterError(f"baseline_rate {p0} with lift {lf} gives a test rate {p1} "
                             "outside (0, 1)")
    ss = sample_size_two_proportions(p1, p0, alpha, power, control_ratio)
    row = {"baseline_rate": p0, "test_rate": p1, "alpha": ss.alpha, "power": ss.power,
           "control_ratio": ss.ratio, "n_test": ss.n1, "n_control": ss.n2,
           "n_total": ss.n1 + ss.n2}
    if list_size is not None:
        ls = number(list_size, "list_size", 0.0, lo_open=True)
        row["list_size"] = ls
        row["share_of_list"] = (ss.n1 + ss.n2) / ls
    return pd.DataFrame([row])


def minimum_detectable_rate(baseline_rate: float, n_test: float, n_control: float,
                            alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest test-cell response rate above ``baseline_rate`` detectable with the given cell
    sizes (solves :func:`power_two_proportions` = power by Brent's method)."""
    p0 = number(baseline_rate, "baseline_rate", 0.0, 1.0, True, True)
    target = number(power, "power", 0.0, 1.0, True, True)

    def f(p: float) -> float:
        return power_two_proportions(p, p0, n_test, n_control, alpha) - target

    hi = 1 - 1e-9
    if f(hi) < 0:
        raise ParameterError("cells too small: even a 100% response rate is not detectable "
                             f"with n_test={n_test}, n_control={n_control}")
    return float(optimize.brentq(f, p0 + 1e-12, hi, xtol=1e-12))


# --------------------------------------------------------------------------- response lift

def response_lift(df: pd.DataFrame, arm_col: str, treated: object, control: object,
                  outcome: str, level: float = 0.95) -> dict[str, float]:
    """Response rates of a treated and a control cell, their difference (Wald interval) and
    the relative lift p_t/p_c − 1."""
    require_columns(df, [arm_col, outcome], "response lift")
    y = binary_outcome(df[outcome], outcome)
    arm = df[arm_col]
    yt, yc = y[arm == treated], y[arm == control]
    if yt.size == 0 or yc.size == 0:
        raise DataError(f"response lift: no rows with {arm_col} == {treated!r} or {control!r}")
    pt, pc = float(yt.mean()), float(yc.mean())
    se = math.sqrt(pt * (1 - pt) / len(yt) + pc * (1 - pc) / len(yc))
    z = float(stats.norm.ppf(0.5 + check_level(level) / 2))
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
    sh = number(test_share, "test_share", 0.0, 1.0, True, True)
    rng = np.random.default_rng(seed)
    in_test = rng.random(len(df)) < sh
    rows = []
    for part, mask in (("test cell", in_test), ("roll-out", ~in_test)):
        res = response_lift(df[mask], arm_col, treated, control, outcome, level)
        rows.append({"part": part, "rows": int(mask.sum()), **res})
    return pd.DataFrame(rows)


