"""Declarations of the claims audit: the claims file, the verdict rules and the row format.

The claims, their origin in the source texts, the band of values that agrees with each claim and
the verdict rules are declared in the package file ``claims.yaml`` (:func:`load_claims`). Every
claim function returns rows with the columns of :data:`ROW_COLUMNS`.

Verdict rules (:func:`verdict_from_interval`): *supported* if the estimate's interval lies inside
the claim's band; *contradicted* if it lies entirely outside; *depends* if it straddles a band
edge, or if data sets / assumptions disagree (:func:`combine_verdicts`); *not testable with these
data* if no bundled data set measures the quantity; *context* for a claim that is not about
customers (a date, a market size, a company fact, a design rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from crm_research._checks import check_level, check_n_boot
from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.studies.package_yaml import read_entries, read_mapping

__all__ = [
    "SUPPORTED", "CONTRADICTED", "DEPENDS", "NOT_TESTABLE", "CONTEXT", "VERDICTS", "STATUSES",
    "ROW_COLUMNS", "load_claims", "claim_info", "verdict_rules", "verdict_from_interval",
    "combine_verdicts", "claim_row", "rows_frame", "check_boot", "percentile_interval",
]

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
DEPENDS = "depends"
NOT_TESTABLE = "not testable with these data"
CONTEXT = "context"
VERDICTS: tuple[str, ...] = (SUPPORTED, CONTRADICTED, DEPENDS, NOT_TESTABLE, CONTEXT)
#: ``status`` of a claim in claims.yaml.
STATUSES: tuple[str, ...] = ("tested", "not_testable", "context")

ROW_COLUMNS: list[str] = ["claim_id", "inventory_id", "theme", "claim", "source", "data_used",
                          "estimate", "ci_low", "ci_high", "unit", "band_low", "band_high",
                          "verdict", "note"]

_REQUIRED = ("id", "inventory_id", "theme", "status", "claim", "source", "unit", "band",
             "would_test")


@cache
def _claims_file() -> dict[str, Any]:
    data = read_mapping("claims.yaml")
    if "verdict_rules" not in data:
        raise SpecError("crm_research/studies/claims.yaml must have 'verdict_rules' and 'claims'")
    for c in read_entries("claims.yaml", "claims", data=data):
        miss = [k for k in _REQUIRED if k not in c]
        if miss:
            raise SpecError(f"claims.yaml: claim {c.get('id')!r} lacks {miss}")
        if c["status"] not in STATUSES:
            raise SpecError(f"claims.yaml: claim {c['id']!r} status must be one of "
                            f"{list(STATUSES)}, got {c['status']!r}")
        if c["status"] == "tested" and (c["band"] is None or "function" not in c):
            raise SpecError(f"claims.yaml: tested claim {c['id']!r} needs a band and a function")
        if c["status"] != "tested" and "reason" not in c:
            raise SpecError(f"claims.yaml: claim {c['id']!r} ({c['status']}) needs a reason")
        band = c["band"]
        if band is not None and (len(band) != 2 or not float(band[0]) < float(band[1])):
            raise SpecError(f"claims.yaml: claim {c['id']!r} band must be [low, high], got {band}")
        for key in ("claim", "source", "would_test", "reason", "unit"):
            if key in c:  # YAML block text on one line, once, for every table that shows it
                c[key] = " ".join(str(c[key]).split())
    return data


def load_claims() -> pd.DataFrame:
    """The declared claims: id, inventory_id, theme, status, claim, source, function, unit,
    band_low, band_high, band_rule, reason, would_test."""
    rows = []
    for c in _claims_file()["claims"]:
        band = c["band"] or [math.nan, math.nan]
        rows.append({"id": c["id"], "inventory_id": c["inventory_id"], "theme": c["theme"],
                     "status": c["status"], "claim": c["claim"], "source": c["source"],
                     "function": c.get("function", ""), "unit": c["unit"],
                     "band_low": float(band[0]), "band_high": float(band[1]),
                     "band_rule": c.get("band_rule", ""), "reason": c.get("reason", ""),
                     "would_test": c["would_test"]})
    return pd.DataFrame(rows)


def claim_info(claim_id: str) -> dict[str, Any]:
    """Declaration of one claim by its id or inventory id (unknown → SpecError)."""
    for c in _claims_file()["claims"]:
        if claim_id in (c["id"], c["inventory_id"]):
            return c
    known = [c["id"] for c in _claims_file()["claims"]]
    raise SpecError(f"unknown claim {claim_id!r}; known: {known}")


def verdict_rules() -> pd.DataFrame:
    """The verdict rules and band rules of claims.yaml as a table (kind, name, rule)."""
    data = _claims_file()
    rows = [{"kind": "verdict", "name": k, "rule": " ".join(v.split())}
            for k, v in data["verdict_rules"].items()]
    rows += [{"kind": "band", "name": k, "rule": " ".join(v.split())}
             for k, v in data.get("band_rules", {}).items()]
    return pd.DataFrame(rows)


def verdict_from_interval(low: float, high: float, band: Sequence[float] | None,
                          tol: float = 1e-9) -> str:
    """Verdict of one estimate interval [low, high] against the claim's band (module rules).

    The band edges are widened by ``tol`` × max(1, |edge|) so that a value equal to an edge up
    to rounding (e.g. 25.000000000000004 for a 25% edge) counts as on the edge."""
    if band is None:
        return NOT_TESTABLE
    b0, b1 = float(band[0]), float(band[1])
    b0 -= tol * max(1.0, abs(b0)) if math.isfinite(b0) else 0.0
    b1 += tol * max(1.0, abs(b1)) if math.isfinite(b1) else 0.0
    lo, hi = float(low), float(high)
    if math.isnan(lo) or math.isnan(hi):
        raise EstimationError("verdict: the estimate's interval is undefined (NaN)")
    if lo > hi:
        lo, hi = hi, lo
    if b0 <= lo and hi <= b1:
        return SUPPORTED
    if hi < b0 or lo > b1:
        return CONTRADICTED
    return DEPENDS


def combine_verdicts(verdicts: Sequence[str]) -> str:
    """Overall verdict of a claim tested several ways: the common verdict, else 'depends'."""
    vs = list(verdicts)
    if not vs:
        raise ParameterError("combine_verdicts: no verdicts given")
    bad = [v for v in vs if v not in VERDICTS]
    if bad:
        raise ParameterError(f"unknown verdict(s) {bad}; expected one of {list(VERDICTS)}")
    return vs[0] if all(v == vs[0] for v in vs) else DEPENDS


def claim_row(claim_id: str, data_used: str, estimate: float, ci_low: float, ci_high: float,
              note: str, verdict: str | None = None) -> dict[str, Any]:
    """One audit row (columns :data:`ROW_COLUMNS`) of a declared claim; the verdict follows
    from the interval and the claim's band unless given."""
    c = claim_info(claim_id)
    band = c["band"]
    if verdict is None:
        verdict = verdict_from_interval(ci_low, ci_high, band)
    return {"claim_id": c["id"], "inventory_id": c["inventory_id"], "theme": c["theme"],
            "claim": c["claim"], "source": c["source"], "data_used": data_used,
            "estimate": float(estimate), "ci_low": float(ci_low), "ci_high": float(ci_high),
            "unit": c["unit"], "band_low": float(band[0]) if band else math.nan,
            "band_high": float(band[1]) if band else math.nan, "verdict": verdict,
            "note": note}


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Audit rows as a DataFrame with exactly the columns of :data:`ROW_COLUMNS`."""
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def check_boot(n_boot: int, level: float) -> None:
    """A bootstrap resample count ≥ 1 and a confidence level in (0, 1) (ParameterError)."""
    check_n_boot(n_boot, minimum=1)
    check_level(level)


def percentile_interval(boots: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap replicates (EstimationError if none)."""
    b = np.asarray(boots, dtype=float)
    b = b[np.isfinite(b)]
    if b.size == 0:
        raise EstimationError("bootstrap: no finite replicate")
    lo, hi = np.quantile(b, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
