"""Sensitivity to unmeasured confounding: E-values.

VanderWeele & Ding (2017), "Sensitivity analysis in observational research: introducing the
E-value", Ann. Intern. Med. 167:268-274 (as R ``EValue::evalues.RR``).
"""

from __future__ import annotations

import numpy as np

from crm_research.errors import ParameterError

__all__ = ["e_value", "e_value_from_difference"]


def _e_point(rr: float) -> float:
    rr = 1.0 / rr if rr < 1.0 else rr
    return float(rr + np.sqrt(rr * (rr - 1.0)))


def e_value(rr: float, ci_low: float | None = None,
            ci_high: float | None = None) -> dict[str, float]:
    """E-value for a risk ratio and for the confidence limit closer to 1 (as R
    ``EValue::evalues.RR``).

    VanderWeele & Ding (2017), Ann. Intern. Med. 167:268-274: for RR ≥ 1,
    ``E = RR + sqrt(RR (RR - 1))``; for RR < 1 apply it to 1/RR. For the interval: the limit
    closer to the null (lower limit if RR > 1, upper if RR < 1) is used; if the interval
    contains 1 the E-value for the limit is 1. Returns ``{"e_value": ..., "e_value_ci": ...}``
    (``e_value_ci`` NaN when no limits are given).
    """
    limits = [v for v in (ci_low, ci_high) if v is not None]
    if not (np.isfinite(rr) and rr > 0) or any(np.isnan(v) or v <= 0 for v in limits):
        raise ParameterError(
            f"risk ratio must be positive and finite and its limits positive, got "
            f"{[rr] + limits}"
        )
    if ci_low is not None and ci_high is not None and not ci_low <= rr <= ci_high:
        raise ParameterError(f"risk ratio {rr} is not inside its interval [{ci_low}, {ci_high}]")
    out = {"e_value": _e_point(rr), "e_value_ci": float("nan")}
    if rr >= 1.0 and ci_low is not None:
        out["e_value_ci"] = 1.0 if ci_low <= 1.0 else _e_point(ci_low)
    elif rr < 1.0 and ci_high is not None:
        out["e_value_ci"] = 1.0 if ci_high >= 1.0 else _e_point(ci_high)
    return out


def e_value_from_difference(estimate: float, std_error: float,
                            sd_outcome: float) -> dict[str, float]:
    """Approximate E-value for a mean difference on a continuous outcome.

    VanderWeele & Ding (2017), section "continuous outcomes": with the standardised
    difference ``d = estimate / sd_outcome`` and ``s_d = std_error / sd_outcome``, approximate
    ``RR ≈ exp(0.91 d)`` with interval ``exp(0.91 d ± 1.78 s_d)`` (Hasselblad & Hedges 1995
    conversion), then :func:`e_value`. Returns also the converted ``rr``, ``rr_ci_low``,
    ``rr_ci_high``.
    """
    if not (np.isfinite(sd_outcome) and sd_outcome > 0):
        raise ParameterError(f"sd_outcome must be positive, got {sd_outcome!r}")
    if not (np.isfinite(std_error) and std_error >= 0):
        raise ParameterError(f"std_error must be non-negative, got {std_error!r}")
    d, sd_ = estimate / sd_outcome, std_error / sd_outcome
    rr = float(np.exp(0.91 * d))
    lo, hi = float(np.exp(0.91 * d - 1.78 * sd_)), float(np.exp(0.91 * d + 1.78 * sd_))
    out = e_value(rr, lo, hi)
    return {"rr": rr, "rr_ci_low": lo, "rr_ci_high": hi, **out}

