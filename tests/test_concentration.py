"""Tests of value concentration (crm_research.clv.concentration): top-x% share with both
methods, customers for a value share, Lorenz curve, Gini coefficient, concentration tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.clv import concentration as conc
from crm_research.errors import DataError, ParameterError

# ---------------------------------------------------------------- hand-checkable cases


def test_top_share_both_methods_by_hand():
    v = list(range(1, 11))  # total 55; sorted down: 10, 9, 8, ...
    assert conc.top_share(v, 0.2) == pytest.approx(19 / 55)  # 2 customers: 10 + 9
    assert conc.top_share(v, 0.2, method="interpolate") == pytest.approx(19 / 55)
    # x n = 2.5: ceil -> 3 customers (27); interpolate -> 19 + 0.5 * 8 = 23
    assert conc.top_share(v, 0.25) == pytest.approx(27 / 55)
    assert conc.top_share(v, 0.25, method="interpolate") == pytest.approx(23 / 55)
    # one customer out of three for any 0 < x <= 1/3 under "ceil"
    assert conc.top_share([6, 3, 1], 0.01) == pytest.approx(0.6)
    assert conc.top_share([6, 3, 1], 0.01, method="interpolate") == pytest.approx(0.03 * 0.6)
    assert conc.top_share(v, 0.0) == 0.0 and conc.top_share(v, 1.0) == pytest.approx(1.0)
    arr = conc.top_share(v, [0.2, 0.25], method="interpolate")
    np.testing.assert_allclose(arr, [19 / 55, 23 / 55])


def test_customers_for_share_by_hand():
    v = [100] + [0] * 9  # one customer holds everything
    assert conc.customers_for_share(v, 0.8) == pytest.approx(0.1)
    assert conc.customers_for_share(v, 0.8, method="interpolate") == pytest.approx(0.08)
    v = list(range(1, 11))  # 10+9+8+7+6+5 = 45 < 0.8*55 = 44? no: 10..6 = 40, +5 = 45 >= 44
    assert conc.customers_for_share(v, 0.8) == pytest.approx(0.6)
    # interpolated: 40/55 after 5 customers, 4 of the 6th customer's 5 -> 5.8 customers
    assert conc.customers_for_share(v, 0.8, method="interpolate") == pytest.approx(0.58)


def test_gini_and_lorenz_hand_values():
    assert conc.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert conc.gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n-1)/n
    assert conc.gini([1, 2, 3]) == pytest.approx(2 / 9)  # sum|xi-xj| / (2 n^2 mean)
    lc = conc.lorenz_curve([1, 2, 3, 4])
    assert lc.iloc[0].tolist() == [0.0, 0.0] and lc.iloc[-1].tolist() == [1.0, 1.0]
    assert lc["value_share"].iloc[2] == pytest.approx(3 / 10)
    top = conc.lorenz_curve([1, 2, 3, 4], top_down=True)
    assert top["value_share"].iloc[1] == pytest.approx(4 / 10)
    grid = conc.lorenz_curve([1, 2, 3, 4], points=5, top_down=True)
    np.testing.assert_allclose(grid["customer_share"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(grid["value_share"], [0, 0.4, 0.7, 0.9, 1.0])
    with pytest.raises(DataError):
        conc.gini([1, -1])


def test_concentration_table_hand_case():
    v = [100] + [0] * 9  # one customer has everything
    t = conc.concentration_table(v, top_shares=(0.1, 0.2)).set_index("measure")["value"]
    assert t["value share of top 10% customers"] == 1.0
    assert t["share of customers making 80% of value"] == pytest.approx(0.1)
    v = list(range(1, 11))  # top 20% = 10 + 9 = 19 of 55
    t = conc.concentration_table(v, top_shares=(0.2,)).set_index("measure")["value"]
    assert t["value share of top 20% customers"] == pytest.approx(19 / 55)
    t = conc.concentration_table(v, top_shares=(0.25,), method="interpolate")
    assert t.set_index("measure")["value"].iloc[0] == pytest.approx(23 / 55)


def test_concentration_comparison_columns():
    t = conc.concentration_comparison({"a": [1, 2, 3], "b": [5, 5, 5]})
    assert list(t.columns) == ["measure", "a", "b"]
    g = t.set_index("measure").loc["gini coefficient"]
    assert g["b"] == pytest.approx(0.0) and g["a"] == pytest.approx(2 / 9)


def test_negative_values_and_bad_arguments():
    profits = [10.0, 5.0, -3.0, 1.0]  # total 13
    with pytest.raises(DataError, match="allow_negative"):
        conc.top_share(profits, 0.25)
    assert conc.top_share(profits, 0.25, allow_negative=True) == pytest.approx(10 / 13)
    with pytest.raises(ParameterError, match="method"):
        conc.top_share([1, 2], 0.2, method="floor")
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        conc.top_share([1, 2], 1.5)
    with pytest.raises(DataError, match="total"):
        conc.top_share([0, 0], 0.5)
    with pytest.raises(DataError, match="finite"):
        conc.gini([1.0, np.nan])


# ---------------------------------------------------------------- properties


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=2, max_size=200), st.floats(0.01, 100),
       st.randoms(use_true_random=False))
def test_gini_properties(values, scale, rnd):
    v = np.array(values)
    if v.sum() <= 0:
        return
    g = conc.gini(v)
    assert -1e-12 <= g < 1.0
    shuffled = v.copy()
    rnd.shuffle(shuffled)
    assert conc.gini(shuffled) == pytest.approx(g, abs=1e-12)
    assert conc.gini(v * scale) == pytest.approx(g, abs=1e-9)
    lc = conc.lorenz_curve(v)
    area = np.trapezoid(lc["value_share"], lc["customer_share"])
    assert g == pytest.approx(1 - 2 * area, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=60), st.floats(0.0, 1.0))
def test_top_share_properties(values, x):
    v = np.array(values)
    if v.sum() <= 0:
        return
    n = len(v)
    ceil_, interp = conc.top_share(v, x), conc.top_share(v, x, method="interpolate")
    # whole customers never hold less than the interpolated share, both within [x, 1]-ish
    assert ceil_ >= interp - 1e-12
    assert interp >= x - 1e-9  # the top x hold at least a share x (sorted decreasing)
    assert 0.0 <= interp <= 1.0 + 1e-12 and 0.0 <= ceil_ <= 1.0 + 1e-12
    k = int(np.floor(x * n))
    if x * n == k:  # both definitions agree on whole numbers of customers
        assert ceil_ == pytest.approx(interp, abs=1e-12)
    # the top-down Lorenz curve read at x is the interpolated share; 1 - Lorenz(1 - x)
    top = conc.lorenz_curve(v, top_down=True)
    assert np.interp(x, top["customer_share"], top["value_share"]) == pytest.approx(
        interp, abs=1e-9)
    low = conc.lorenz_curve(v)
    assert 1 - np.interp(1 - x, low["customer_share"], low["value_share"]) == pytest.approx(
        interp, abs=1e-9)
    # inverse: the interpolated customer share for the interpolated value share is <= x, up to
    # rounding; where the curve is nearly flat (tiny values beside large ones) the customer share
    # is ill-conditioned, so check the round trip on the value side there
    if 0 < interp < 1:
        c = conc.customers_for_share(v, interp, method="interpolate")
        assert c <= x + 1e-9 or conc.top_share(v, c, method="interpolate") == pytest.approx(
            interp, abs=1e-9)
