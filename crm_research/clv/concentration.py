"""Value concentration: top-x% share, Lorenz curve, Gini coefficient ("is it 80/20?").

The one home of these concepts in the package (the primer and the claims audit call them).

Definitions (values v_1..v_n of n customers, total V = sum v > 0):

* **Top-x% share**, with the customers sorted by decreasing value v_(1) >= v_(2) >= ...:

  - ``method="ceil"``: the top x% are the k = ceil(x n) customers with the highest values
    (at least one when x > 0); share = (v_(1) + ... + v_(k)) / V. A whole number of customers,
    as a customer list would be cut.
  - ``method="interpolate"``: k = x n need not be whole; share = (v_(1) + ... + v_(floor k) +
    (k - floor k) v_(floor k + 1)) / V, i.e. the top-down Lorenz curve read at x by linear
    interpolation (Lorenz 1905; the usual continuous reading of the "80/20 rule").

  Both agree whenever x n is whole.
* **Customers for a value share** q: the inverse. ``"ceil"``: k/n with k the smallest number
  of top customers whose values reach q V; ``"interpolate"``: the x at which the interpolated
  top-x% share equals q.
* **Lorenz curve** (Lorenz 1905): customers sorted by increasing value, points
  (i/n, L(i/n)) from (0, 0) to (1, 1) with L(i/n) the share of the i lowest values;
  ``top_down=True`` sorts by decreasing value (the "top x% hold y%" curve, 1 - L(1 - x)).
* **Gini coefficient** G = sum_i (2i - n - 1) v_[i] / (n V), v_[i] sorted ascending
  (i = 1..n); equivalently G = (n + 1)/n - (2/n) sum_{i=1..n} L(i/n) = 1 - 2 x (trapezoid
  area under the Lorenz curve) (0 = everyone equal, (n - 1)/n = one customer has everything).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research.errors import DataError, ParameterError

METHODS = ("ceil", "interpolate")
_EPS = 1e-9  # tolerance of x n against floating-point error (0.2 * 10 = 2.0000000000000004)


def _values(values, allow_negative: bool = False, what: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise DataError(f"{what}: no values given")
    if not np.all(np.isfinite(v)):
        i = int(np.argmax(~np.isfinite(v)))
        raise DataError(f"{what}: values must be finite (value {i + 1} is {v[i]})")
    if not allow_negative and np.any(v < 0):
        i = int(np.argmax(v < 0))
        raise DataError(f"{what}: values must be >= 0 (value {i + 1} is {v[i]}); pass "
                        "allow_negative=True for profits")
    if v.sum() <= 0:
        raise DataError(f"{what}: the total must be positive, got {v.sum()}")
    return v


def _method(method: str) -> str:
    if method not in METHODS:
        raise ParameterError(f"method must be one of {list(METHODS)}, got {method!r}")
    return method


def _fractions(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ParameterError(f"{name} must lie in [0, 1], got {x!r}")
    return arr


def top_share(values, x=0.2, method: str = "ceil", allow_negative: bool = False):
    """Share of the total held by the top ``x`` fraction of customers (module docstring).

    ``x`` may be a number or an array of fractions in [0, 1] (result of the same shape);
    ``method`` is ``"ceil"`` (whole customers, ceil(x n)) or ``"interpolate"``.
    """
    method = _method(method)
    xs = _fractions(x, "x")
    v = np.sort(_values(values, allow_negative))[::-1]
    n = v.size
    cum = np.r_[0.0, np.cumsum(v)] / v.sum()
    k = xs * n
    if method == "ceil":
        kk = np.ceil(k - _EPS).astype(np.int64)
        kk = np.where(xs > 0, np.maximum(kk, 1), 0)
        out = cum[np.clip(kk, 0, n)]
    else:
        out = np.interp(k, np.arange(n + 1), cum)
    return float(out) if np.ndim(out) == 0 else out


def customers_for_share(values, share: float = 0.8, method: str = "ceil") -> float:
    """Smallest share of customers (highest values first) holding ``share`` of the total.

    ``"ceil"``: k/n with k the fewest whole customers reaching the share; ``"interpolate"``:
    the inverse of the interpolated :func:`top_share`. Values must be non-negative.
    """
    method = _method(method)
    q = float(_fractions(share, "share"))
    v = np.sort(_values(values))[::-1]
    n = v.size
    cum = np.r_[0.0, np.cumsum(v)] / v.sum()
    k = int(np.searchsorted(cum, q - 1e-12, side="left"))
    if method == "ceil" or k == 0:
        return k / n
    step = cum[k] - cum[k - 1]
    frac = (q - cum[k - 1]) / step if step > 0 else 0.0
    return float((k - 1 + frac) / n)


def lorenz_curve(values, points: int | None = None, top_down: bool = False,
                 allow_negative: bool = False) -> pd.DataFrame:
    """Lorenz curve ``customer_share, value_share`` (module docstring).

    ``points=None``: the n + 1 vertices (0, 0) .. (1, 1); an integer: that many evenly spaced
    customer shares, read off the piecewise-linear curve. ``top_down=True`` sorts customers
    by decreasing value (y = share held by the top x).
    """
    v = np.sort(_values(values, allow_negative))
    if top_down:
        v = v[::-1]
    n = v.size
    cum = np.r_[0.0, np.cumsum(v)] / v.sum()
    shares = np.arange(n + 1) / n
    if points is None:
        return pd.DataFrame({"customer_share": shares, "value_share": cum})
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 2:
        raise ParameterError(f"points must be an integer >= 2 or None, got {points!r}")
    grid = np.linspace(0.0, 1.0, int(points))
    return pd.DataFrame({"customer_share": grid, "value_share": np.interp(grid, shares, cum)})


def gini(values) -> float:
    """Gini coefficient G = sum_i (2i - n - 1) v_[i] / (n sum v), v ascending, i = 1..n."""
    v = np.sort(_values(values, what="gini"))
    n = v.size
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * v) / (n * v.sum()))


def concentration_table(values, top_shares=(0.01, 0.05, 0.10, 0.20, 0.50),
                        method: str = "ceil") -> pd.DataFrame:
    """Share of total value held by the top x% of customers (:func:`top_share`), the share of
    customers making 80% of the value (:func:`customers_for_share`), the Gini coefficient and
    the number of customers. Columns ``measure, value``."""
    v = _values(values, what="concentration")
    shares = np.atleast_1d(top_share(v, np.asarray(top_shares, dtype=float), method))
    rows = [{"measure": f"value share of top {100 * s:g}% customers", "value": float(sh)}
            for s, sh in zip(top_shares, shares, strict=True)]
    rows.append({"measure": "share of customers making 80% of value",
                 "value": customers_for_share(v, 0.8, method)})
    rows.append({"measure": "gini coefficient", "value": gini(v)})
    rows.append({"measure": "customers", "value": float(v.size)})
    return pd.DataFrame(rows)


def concentration_comparison(values: dict[str, object],
                             top_shares=(0.01, 0.05, 0.10, 0.20, 0.50),
                             method: str = "ceil") -> pd.DataFrame:
    """:func:`concentration_table` for several value measures side by side (one column each)."""
    out = None
    for name, v in values.items():
        t = concentration_table(v, top_shares, method).rename(columns={"value": name})
        out = t if out is None else out.merge(t, on="measure")
    return out
