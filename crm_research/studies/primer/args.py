"""Argument checks shared by the primer modules (public: the claims audit uses them too)."""

from __future__ import annotations

import math
from typing import Any

from crm_research.errors import ParameterError

__all__ = ["number", "whole_number"]


def number(value: object, name: str, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite float within [lo, hi] (open ends if asked); ParameterError naming
    ``name`` otherwise."""
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


def whole_number(value: Any, name: str, minimum: int, what: str) -> int:
    """``value`` as an int if it is a whole number >= ``minimum``; else ParameterError
    "<name> must be <what>"."""
    try:
        ok = not isinstance(value, bool) and int(value) == value and value >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ParameterError(f"{name} must be {what}, got {value}")
    return int(value)

