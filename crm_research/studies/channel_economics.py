"""Service-channel cost what-if: moving contacts from costly to cheap channels.

Arithmetic only — the inputs are claims, not estimates. The default cost per contact are the
figures most often quoted in eCRM texts for the cost of one banking transaction by channel
(branch / face-to-face about US$1.07, telephone / contact centre about US$0.52-0.54, internet
self-service about US$0.01-0.02; attributed to a late-1990s Booz Allen & Hamilton study of US
banking). They are kept here as *claims* to be replaced by a firm's own unit costs; only the
ratios between channels matter for the relative savings. The source texts give their own
ratios instead (:data:`TEXT_RELATIVE_COST`, source text 002): the primer and the claims audit use
those; pass them as ``cost_per_contact`` with ``channels=TEXT_CHANNELS`` (costs in units of one
distributor contact).

For channel shares ``s_c`` (summing to 1), ``N`` contacts and unit costs ``k_c``:
``cost = N · Σ_c s_c k_c``; a scenario changes the shares and the difference is the saving.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError

__all__ = ["CHANNELS", "CLAIMED_COST_PER_CONTACT", "TEXT_CHANNELS", "TEXT_RELATIVE_COST",
           "TEXT_FACE_TO_FACE_READINGS", "channel_cost_whatif", "channel_shift_curve"]

CHANNELS: tuple[str, ...] = ("face_to_face", "contact_centre", "self_service")

#: Claimed unit costs (US$ per contact), see module docstring — a claim, not a measurement.
CLAIMED_COST_PER_CONTACT: tuple[float, ...] = (1.07, 0.52, 0.01)

#: Channels whose relative costs source text 002 states (L887-L897, a garbled PDF).
TEXT_CHANNELS: tuple[str, ...] = ("distributor", "contact_centre", "self_service")
#: Cost per contact relative to a contact through a distributor, as source text 002 states it:
#: a contact-centre contact ≈ 1/10 of a distributor contact (L889-L891) and a web self-service
#: contact ≈ 1/20 of a contact-centre contact (L893-L895), so 1 : 0.1 : 0.005.
TEXT_RELATIVE_COST: tuple[float, ...] = (1.0, 0.1, 0.005)
#: The garbled face-to-face ratio (L891-L893): a contact-centre contact costs 1/3 or 1/30 of a
#: face-to-face contact (two readings of the garbled words); face-to-face cost in contact-centre
#: units.
TEXT_FACE_TO_FACE_READINGS: tuple[float, ...] = (3.0, 30.0)


def _vector(values: Sequence[float], name: str, channels: Sequence[str]) -> np.ndarray:
    n = len(channels)
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a list of numbers, got {values!r}") from exc
    if v.shape != (n,):
        raise ParameterError(f"{name} must have {n} values (one per channel {tuple(channels)}), "
                             f"got {len(np.atleast_1d(v))}")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ParameterError(f"{name} must be finite and non-negative, got {list(v)}")
    return v


def _shares(values: Sequence[float], name: str, channels: Sequence[str]) -> np.ndarray:
    v = _vector(values, name, channels)
    if abs(v.sum() - 1.0) > 1e-9:
        raise ParameterError(f"{name} must sum to 1 (shares of contacts), got sum {v.sum():.6g}")
    return v


def _check_contacts(contacts: float) -> None:
    if not isinstance(contacts, int | float) or not np.isfinite(contacts) or contacts < 0:
        raise ParameterError(f"contacts must be a non-negative number, got {contacts!r}")


def channel_cost_whatif(contacts: float, baseline_shares: Sequence[float],
                        scenario_shares: Sequence[float],
                        cost_per_contact: Sequence[float] = CLAIMED_COST_PER_CONTACT,
                        channels: Sequence[str] = CHANNELS) -> pd.DataFrame:
    """Cost by channel under baseline and scenario shares, plus a ``total`` row.

    Columns: channel, cost_per_contact, cost_ratio (to the cheapest channel), share_baseline,
    share_scenario, contacts_baseline, contacts_scenario, cost_baseline, cost_scenario,
    saving (baseline - scenario).
    """
    channels = list(channels)
    _check_contacts(contacts)
    k = _vector(cost_per_contact, "cost_per_contact", channels)
    if k.min() <= 0:
        raise ParameterError("cost_per_contact must be positive for every channel")
    s0 = _shares(baseline_shares, "baseline_shares", channels)
    s1 = _shares(scenario_shares, "scenario_shares", channels)
    df = pd.DataFrame({
        "channel": channels, "cost_per_contact": k, "cost_ratio": k / k.min(),
        "share_baseline": s0, "share_scenario": s1,
        "contacts_baseline": contacts * s0, "contacts_scenario": contacts * s1,
    })
    df["cost_baseline"] = df["contacts_baseline"] * k
    df["cost_scenario"] = df["contacts_scenario"] * k
    df["saving"] = df["cost_baseline"] - df["cost_scenario"]
    total = {
        "channel": "total", "cost_per_contact": float(s0 @ k), "cost_ratio": np.nan,
        "share_baseline": 1.0, "share_scenario": 1.0, "contacts_baseline": float(contacts),
        "contacts_scenario": float(contacts), "cost_baseline": df["cost_baseline"].sum(),
        "cost_scenario": df["cost_scenario"].sum(), "saving": df["saving"].sum(),
    }
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def channel_shift_curve(contacts: float, baseline_shares: Sequence[float],
                        shift_from: str, shift_to: str, max_shift: float | None = None,
                        steps: int = 11,
                        cost_per_contact: Sequence[float] = CLAIMED_COST_PER_CONTACT,
                        channels: Sequence[str] = CHANNELS) -> pd.DataFrame:
    """Total cost and saving when a share ``x`` of all contacts moves ``shift_from`` → ``shift_to``.

    ``x`` runs over ``steps`` equal steps from 0 to ``max_shift`` (default: the whole
    baseline share of ``shift_from``). Columns: shifted_share, total_cost, saving,
    saving_pct (of the baseline cost).
    """
    channels = list(channels)
    for c in (shift_from, shift_to):
        if c not in channels:
            raise ParameterError(f"channel {c!r} is not one of {channels}")
    if shift_from == shift_to:
        raise ParameterError("shift_from and shift_to must differ")
    _check_contacts(contacts)
    k = _vector(cost_per_contact, "cost_per_contact", channels)
    s0 = _shares(baseline_shares, "baseline_shares", channels)
    i, j = channels.index(shift_from), channels.index(shift_to)
    top = s0[i] if max_shift is None else float(max_shift)
    if not 0 <= top <= s0[i] + 1e-12:
        raise ParameterError(
            f"max_shift must be between 0 and the baseline share of {shift_from!r} ({s0[i]:g})"
        )
    if not isinstance(steps, int) or steps < 2:
        raise ParameterError(f"steps must be an integer >= 2, got {steps!r}")
    xs = np.linspace(0.0, top, steps)
    base = contacts * float(s0 @ k)
    cost = base - contacts * xs * (k[i] - k[j])
    saving = base - cost
    pct = 100.0 * saving / base if base > 0 else np.zeros_like(saving)
    return pd.DataFrame({"shifted_share": xs, "total_cost": cost, "saving": saving,
                         "saving_pct": pct})
