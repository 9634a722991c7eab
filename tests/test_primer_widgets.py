"""Tests of the primer's interactive widgets (crm_research.studies.primer.widgets): the pure
callbacks against hand-checked numbers and textbook formulas, their agreement with the static
sections' functions, invariants (hypothesis), and the ipywidgets objects built headless
(controls present, moving a control recomputes, errors shown, default state reported)."""

from __future__ import annotations

import math

import ipywidgets
import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_research.errors import ParameterError
from crm_research.studies import primer
from crm_research.studies.primer import widgets as W

matplotlib.use("Agg")

# --------------------------------------------------------------------------- (a) CLV


def test_clv_view_hand_values():
    # m = 100, r = 0.8, d = 0.1: end m·r/(1+d−r) = 80/0.3, start m(1+d)/(1+d−r) = 110/0.3
    v = W.clv_view(100, 0.8, 0.1, delta=0.05, horizon=10, timing="start", draw=False)
    inf = v.table[v.table["horizon"] == "infinite"].set_index("formula")["clv"]
    assert inf["m·r/(1+d−r)"] == pytest.approx(80 / 0.3, rel=1e-12)
    assert inf["m·(1+d)/(1+d−r)"] == pytest.approx(110 / 0.3, rel=1e-12)
    assert v.numbers["clv"] == pytest.approx(366.6666666667, rel=1e-12)
    # what-if r = 0.85 (start timing): 110/0.25 = 440, +20%
    assert v.numbers["clv_new"] == pytest.approx(440.0, rel=1e-12)
    assert v.numbers["clv_change_pct"] == pytest.approx(20.0, rel=1e-9)
    assert v.numbers["margin_multiple"] == pytest.approx(1.1 / 0.3, rel=1e-12)
    # the finite horizon by the explicit sum Σ_{t=1..10} 100·0.8^t/1.1^t
    fin = v.table[(v.table["horizon"] == "10") & (v.table["timing"] == "end")]["clv"].item()
    assert fin == pytest.approx(sum(100 * 0.8**t / 1.1**t for t in range(1, 11)), rel=1e-12)
    assert v.table["formula"].iloc[-1] == "what-if: retention + 0.05"
    assert "CLV 366.7" in v.text and "+20.0%" in v.text


def test_clv_view_exercise_5_and_figure():
    # primer exercise 5: 100·0.9/0.2 = 450, 100·0.95/0.15 = 633.3 (+40.7%), end timing
    v = W.clv_view(100, 0.9, 0.1, delta=0.05, timing="end")
    assert v.numbers["clv"] == pytest.approx(450.0, rel=1e-12)
    assert v.numbers["clv_new"] == pytest.approx(100 * 0.95 / 0.15, rel=1e-12)
    assert v.numbers["clv_change_pct"] == pytest.approx(100 * (0.95 / 0.15 / 4.5 - 1), rel=1e-9)
    ax = v.figure.axes[0]
    curve, marks = ax.lines[0], ax.lines[-1]
    assert np.interp(0.9, curve.get_xdata(), curve.get_ydata()) == pytest.approx(450, rel=1e-2)
    np.testing.assert_allclose(marks.get_xdata(), [0.9, 0.95])
    np.testing.assert_allclose(marks.get_ydata(), [450.0, 633.333333], rtol=1e-6)


def test_clv_view_refuses_bad_input():
    with pytest.raises(ParameterError, match="retention"):
        W.clv_view(100, 0.98, 0.1, delta=0.05, draw=False)  # r + δ = 1.03
    with pytest.raises(ParameterError, match="timing"):
        W.clv_view(100, 0.8, 0.1, timing="middle", draw=False)


@settings(max_examples=40)
@given(r=st.floats(0.05, 0.9), d=st.floats(0.0, 0.5), dl=st.floats(0.005, 0.09),
       m=st.floats(1.0, 1000.0))
def test_clv_whatif_textbook_percentage(r, d, dl, m):
    # end timing, infinite horizon: % change = 100·δ(1+d)/(r(1+d−r−δ)), whatever the margin
    v = W.clv_view(m, r, d, delta=dl, timing="end", draw=False)
    assert v.numbers["clv_change_pct"] == pytest.approx(
        100 * dl * (1 + d) / (r * (1 + d - r - dl)), rel=1e-9)


# --------------------------------------------------------------------------- (b) test cell


def test_test_cell_view_power_prop_test_case():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7 per group
    v = W.test_cell_view(0.5, 0.5, alpha=0.05, power=0.9, draw=False)
    assert v.numbers["test_rate"] == pytest.approx(0.75)
    assert v.numbers["n_test_exact"] == pytest.approx(76.7069284517, rel=1e-9)
    assert (v.numbers["n_test"], v.numbers["n_control"], v.numbers["n_total"]) == (77, 77, 154)
    assert v.numbers["achieved_power"] >= 0.9
    row = v.table.iloc[0]
    assert row["n_test_exact"] == pytest.approx(76.7069284517, rel=1e-9)
    assert "77 customers in the test cell" in v.text


def test_test_cell_view_matches_static_section_and_list_share():
    v = W.test_cell_view(0.02, 0.25, 0.05, 0.8, 4.0, list_size=100000)
    static = primer.campaign_test_cell(0.02, 0.25, 0.05, 0.8, 4.0, 100000)
    for col in static.columns:
        assert v.table[col].item() == pytest.approx(static[col].item())
    assert v.numbers["n_control"] == math.ceil(4.0 * v.numbers["n_test"] - 1e-9)
    assert v.numbers["share_of_list"] == pytest.approx(v.numbers["n_total"] / 100000)
    ax = v.figure.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.lines[-1].get_ydata()[0] == v.numbers["n_test"]


@settings(max_examples=30)
@given(p0=st.floats(0.01, 0.3), lift=st.floats(0.1, 1.0), k=st.floats(0.5, 5.0))
def test_test_cell_smaller_for_larger_lift(p0, lift, k):
    a = W.test_cell_view(p0, lift, control_ratio=k, draw=False).numbers
    b = W.test_cell_view(p0, lift * 1.5, control_ratio=k, draw=False).numbers
    assert b["n_test_exact"] < a["n_test_exact"]
    assert a["achieved_power"] >= 0.8 - 1e-9
    assert a["n_test"] == math.ceil(a["n_test_exact"] - 1e-9)


def test_test_cell_view_refuses_rate_above_one():
    with pytest.raises(ParameterError, match="outside"):
        W.test_cell_view(0.6, 1.0, draw=False)


# --------------------------------------------------------------------------- (c) funnel


def test_funnel_view_counts_and_bottleneck():
    v = W.funnel_view([0.5, 0.2, 0.6], ["contacted", "opened", "clicked", "bought"], 1000)
    t = v.table
    np.testing.assert_allclose(t["count"], [1000, 500, 100, 60])
    np.testing.assert_allclose(t["cumulative_rate"], [1, 0.5, 0.1, 0.06])
    assert list(t["bottleneck"]) == [False, False, True, False]
    assert v.numbers == {"bottleneck": "clicked", "bottleneck_rate": 0.2, "end_count": 60.0,
                         "cumulative_rate": pytest.approx(0.06)}
    assert "Bottleneck: 'clicked'" in v.text
    bars = v.figure.axes[0].patches
    assert len(bars) == 4
    assert sum(b.get_facecolor() != bars[0].get_facecolor() for b in bars) == 1


def test_funnel_view_tie_takes_first_and_refusals():
    v = W.funnel_view([0.3, 0.3], ["a", "b", "c"], 100, draw=False)
    assert v.numbers["bottleneck"] == "b"
    with pytest.raises(ParameterError, match="one stage name more"):
        W.funnel_view([0.3, 0.3], ["a", "b"], draw=False)
    with pytest.raises(ParameterError, match="'b'"):
        W.funnel_view([1.2, 0.3], ["a", "b", "c"], draw=False)
    with pytest.raises(ParameterError, match="start"):
        W.funnel_view([0.5], ["a", "b"], start=0, draw=False)


@settings(max_examples=40)
@given(rates=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6),
       start=st.floats(1.0, 1e6))
def test_funnel_bottleneck_is_lowest_step(rates, start):
    names = [f"s{i}" for i in range(len(rates) + 1)]
    v = W.funnel_view(rates, names, start, draw=False)
    assert v.numbers["bottleneck"] == names[1 + int(np.argmin(rates))]
    assert v.numbers["end_count"] == pytest.approx(start * np.prod(rates), rel=1e-9)


def test_funnel_bottleneck_agrees_with_marketing_funnel():
    # a purchase log: 10 customers, purchase days 1,1,1,1,2,2,2,4,5,6 -> repeat 6/10, loyal 3/6
    days = [1, 1, 1, 1, 2, 2, 2, 4, 5, 6]
    log = pd.DataFrame([{"customer_id": c, "date": pd.Timestamp("2020-01-01")
                         + pd.Timedelta(days=7 * j)} for c, n in enumerate(days)
                        for j in range(n)])
    mf = primer.marketing_funnel(log, loyal_min_days=4)
    v = W.funnel_view(mf["step_rate"].iloc[1:].tolist(), mf["stage"].tolist(),
                      mf["count"].iloc[0], draw=False)
    np.testing.assert_allclose(v.table["count"], mf["count"])
    assert list(v.table["bottleneck"]) == list(mf["bottleneck"])


# --------------------------------------------------------------------------- (d) Pareto


def test_pareto_view_hand_values():
    totals = {"ten": np.arange(1.0, 11.0), "equal": np.ones(5)}
    v = W.pareto_view(totals, "ten", 0.2)
    assert v.numbers["share"] == pytest.approx(19 / 55)  # (10 + 9) / 55
    # half of 55 = 27.5: 10+9+8 = 27 then 0.5/7 of the 4th customer -> (3 + 1/14) / 10
    assert v.numbers["customers_for_half"] == pytest.approx((3 + 1 / 14) / 10)
    assert v.numbers["gini"] == pytest.approx(0.3)  # Σ(2i−11)i / (10·55) = 165/550
    assert v.table["data"].item() == "ten" and v.numbers["customers"] == 10
    ax = v.figure.axes[0]
    curve = ax.lines[0]
    assert np.interp(0.2, curve.get_xdata(), curve.get_ydata()) == pytest.approx(19 / 55)
    e = W.pareto_view(totals, "equal", 0.4, draw=False)
    assert (e.numbers["share"], e.numbers["gini"]) == (pytest.approx(0.4), pytest.approx(0.0))
    with pytest.raises(ParameterError, match="not one of"):
        W.pareto_view(totals, "missing", draw=False)


def test_pareto_view_matches_static_table():
    rng = np.random.default_rng(3)
    log = pd.DataFrame({"customer_id": rng.integers(0, 200, 1500),
                        "value": rng.lognormal(3, 1.2, 1500)})
    static = primer.pareto_table({"sim": log}, top=0.2, n_boot=0).iloc[0]
    v = W.pareto_view({"sim": primer.customer_totals(log)}, "sim", 0.2, draw=False)
    assert v.numbers["share"] == pytest.approx(static["share"], rel=1e-12)
    assert v.numbers["customers_for_half"] == pytest.approx(static["customers_for_half"])
    assert v.numbers["customers"] == static["customers"]


# --------------------------------------------------------------------------- the widgets


def _ok(widget):
    assert isinstance(widget.result, W.WidgetView), widget.result
    return widget.result


def test_clv_widget_controls_and_recompute():
    wd = W.clv_widget(margin=100, retention=0.8, discount_rate=0.1, delta=0.05)
    assert isinstance(wd, ipywidgets.interactive)
    c = W.controls(wd)
    assert list(c) == ["margin", "retention", "discount_rate", "delta", "horizon", "timing"]
    assert isinstance(c["retention"], ipywidgets.FloatSlider)
    assert isinstance(c["horizon"], ipywidgets.IntSlider)
    assert list(c["timing"].options) == ["start", "end"] and c["timing"].value == "end"
    assert _ok(wd).numbers["clv"] == pytest.approx(80 / 0.3)
    c["retention"].value = 0.9
    assert _ok(wd).numbers["clv"] == pytest.approx(450.0)
    c["timing"].value = "start"
    assert _ok(wd).numbers["clv"] == pytest.approx(550.0)
    c["retention"].value = 0.99  # + δ = 1.04: refused, message shown, error as result
    assert isinstance(wd.result, ParameterError)
    with pytest.raises(ParameterError):
        W.show_widget(wd, "w_bad")


def test_test_cell_widget_recomputes():
    wd = W.test_cell_widget(baseline_rate=0.5, lift=0.5, power=0.9)
    c = W.controls(wd)
    assert list(c) == ["baseline_rate", "lift", "alpha", "power", "control_ratio"]
    assert _ok(wd).numbers["n_test_exact"] == pytest.approx(76.7069284517, rel=1e-9)
    before = wd.result.numbers["n_test"]
    c["power"].value = 0.8
    assert _ok(wd).numbers["n_test"] < before
    c["control_ratio"].value = 4.0
    assert wd.result.numbers["n_control"] == math.ceil(4 * wd.result.numbers["n_test"] - 1e-9)


def test_widget_defaults_outside_usual_range_are_kept():
    # the primer's YAML allows e.g. baseline 0.0001 and lift 0.01: the sliders widen, the first
    # state is the parameters' state (ipywidgets would otherwise clip the values silently)
    wd = W.test_cell_widget(baseline_rate=0.001, lift=0.01, alpha=0.001, control_ratio=0.1)
    c = W.controls(wd)
    assert (c["baseline_rate"].value, c["lift"].value, c["alpha"].value) == (0.001, 0.01, 0.001)
    assert c["baseline_rate"].min == 0.001 and c["control_ratio"].min == 0.1
    want = W.test_cell_view(0.001, 0.01, 0.001, 0.8, 0.1, draw=False)
    assert _ok(wd).numbers["n_test"] == want.numbers["n_test"]
    cw = W.clv_widget(margin=2000.0, horizon=200)
    assert (W.controls(cw)["margin"].max, W.controls(cw)["horizon"].value) == (2000.0, 200)


def test_funnel_and_pareto_widgets_recompute():
    fw = W.funnel_widget(["contacted", "opened", "bought"], [0.5, 0.2], start=1000)
    c = W.controls(fw)
    assert [s.description for s in c.values()] == ["opened", "bought"]
    assert _ok(fw).numbers["bottleneck"] == "bought"
    c["step_2"].value = 0.9
    assert _ok(fw).numbers["bottleneck"] == "opened"
    assert fw.result.numbers["end_count"] == pytest.approx(450.0)
    with pytest.raises(ParameterError):
        W.funnel_widget(["a", "b"], [0.5, 0.5])

    pw = W.pareto_widget({"ten": np.arange(1.0, 11.0), "equal": np.ones(4)}, top=0.2)
    c = W.controls(pw)
    assert list(c["data"].options) == ["ten", "equal"]
    assert _ok(pw).numbers["share"] == pytest.approx(19 / 55)
    c["data"].value = "equal"
    assert _ok(pw).numbers["share"] == pytest.approx(0.2)
    c["top"].value = 0.5
    assert _ok(pw).numbers["share"] == pytest.approx(0.5)


def test_show_widget_reports_default_state(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_RESEARCH_OUT", str(tmp_path))
    wd = W.test_cell_widget(0.02, 0.25, list_size=100000)
    assert W.show_widget(wd, "widget_test_cell", caption="Test cell") is None
    view = wd.result
    saved = pd.read_csv(tmp_path / "tables" / "widget_test_cell.csv")
    assert saved["n_test"].item() == view.numbers["n_test"]
    assert (tmp_path / "figures" / "widget_test_cell_figure.png").stat().st_size > 1000
    bundle = wd._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_widget_recomputes_through_a_live_kernel_comm():
    """The JupyterLab path: a real kernel builds the CLV widget, a front-end-style comm message
    moves the retention slider, and the widget's output area receives the recomputed view."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        def execute(code: str) -> list[dict]:
            msg_id = kc.execute(code)
            return _replies(kc, msg_id)

        out = execute("from crm_research.studies.primer import widgets\n"
                      "wd = widgets.clv_widget(100, 0.8, 0.1, 0.05, 10, 'end')\n"
                      "print(widgets.controls(wd)['retention'].model_id)")
        errors = [m["content"] for m in out if m["msg_type"] == "error"]
        assert not errors, errors
        model_id = "".join(m["content"]["text"] for m in out
                           if m["msg_type"] == "stream").strip()
        msg = kc.session.msg("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": {"value": 0.9}, "buffer_paths": []}})
        kc.shell_channel.send(msg)
        shown = [m["content"]["data"].get("text/html", "")
                 for m in _replies(kc, msg["header"]["msg_id"])
                 if m["msg_type"] == "display_data"]
        assert any("CLV 450.0" in h and "+40.7%" in h for h in shown), shown
        out = execute("print(round(wd.result.numbers['clv'], 6))")
        assert "450.0" in "".join(m["content"].get("text", "") for m in out)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _replies(kc, parent_id: str, timeout: float = 60.0) -> list[dict]:
    """iopub messages of one request, up to its 'idle' status."""
    got = []
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != parent_id:
            continue
        got.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return got


def test_executed_notebook_widget_ids_are_made_stable():
    """Executed notebooks must be byte-identical across runs: the pipeline renames the random
    widget model ids (outputs, saved state, IPY_MODEL_ references) in a fixed order."""
    from crm_research.runner.pipeline import (
        WIDGET_STATE_MIME,
        WIDGET_VIEW_MIME,
        normalise_notebook,
    )

    def executed(box: str, slider: str, layout: str, other: str) -> dict:
        state = {
            other: {"model_name": "LayoutModel", "state": {"width": "10px"}},
            layout: {"model_name": "LayoutModel", "state": {"width": None}},
            slider: {"model_name": "FloatSliderModel",
                     "state": {"layout": f"IPY_MODEL_{layout}", "value": 0.8}},
            box: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{slider}"]}},
        }
        out = {"output_type": "display_data", "metadata": {},
               "data": {WIDGET_VIEW_MIME: {"model_id": box}, "text/plain": "w"}}
        return {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [out],
                           "source": "", "id": "c1"}],
                "metadata": {"widgets": {WIDGET_STATE_MIME: {"state": state}}}}

    run1 = normalise_notebook(executed("a" * 32, "b" * 32, "c" * 32, "d" * 32))
    run2 = normalise_notebook(executed("9" * 32, "8" * 32, "7" * 32, "6" * 32))
    assert run1 == run2
    one, two, three, four = (f"{i:032x}" for i in range(1, 5))
    state = run1["metadata"]["widgets"][WIDGET_STATE_MIME]["state"]
    assert run1["cells"][0]["outputs"][0]["data"][WIDGET_VIEW_MIME]["model_id"] == one
    assert state[one]["state"]["children"] == [f"IPY_MODEL_{two}"]
    assert state[two]["state"]["layout"] == f"IPY_MODEL_{three}"
    assert state[four]["state"] == {"width": "10px"}  # not displayed: numbered last
