"""Interactive widgets (ipywidgets) of the CRM primer's formula sections.

Each widget is a pure callback ``*_view(...) -> WidgetView`` that recomputes through the same
``crm_research`` functions as the primer's static sections, plus a builder ``*_widget(...)``
that wires sliders to it with :class:`ipywidgets.interactive` (the last view is the widget's
``.result``):

* :func:`clv_view` — CLV by the retention formula (:func:`crm_research.clv.retention.
  retention_clv` through :func:`~crm_research.studies.primer.clv_formula_table`,
  :func:`~crm_research.studies.primer.retention_uplift` and
  :func:`~crm_research.studies.primer.retention_clv_grid`; Gupta & Lehmann 2003) against margin,
  retention and discount rate, with the retention what-if (+δ points).
* :func:`test_cell_view` — test- and control-cell sizes to detect a relative lift of a
  baseline response rate (:func:`~crm_research.studies.primer.campaign_test_cell`,
  :func:`~crm_research.studies.primer.sample_size_two_proportions`; Fleiss, Levin & Paik 2003).
* :func:`funnel_view` — a funnel from a start count and step conversion rates
  (:func:`~crm_research.studies.primer.funnel_rates`); the bottleneck is the stage with the
  lowest step rate (the first one on ties), as in
  :func:`~crm_research.studies.primer.marketing_funnel`.
* :func:`pareto_view` — top-x% share, customers holding half the total, Gini and the top-down
  Lorenz curve of one data set (:mod:`crm_research.clv.concentration`, interpolated as in
  :func:`~crm_research.studies.primer.pareto_table`).

In a papermill/HTML run nobody moves a slider: :func:`show_widget` displays the widget (with an
HTML note for the report) and renders its default state through :mod:`crm_research.report`, so
the report shows the same table and figure that the widget first shows in JupyterLab.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_research import report
from crm_research.clv.concentration import customers_for_share, gini, lorenz_curve, top_share
from crm_research.errors import CRMResearchError, ParameterError
from crm_research.reporting import theme
from crm_research.studies.plots_primer import plot_clv_by_retention, plot_pareto_curves
from crm_research.studies.primer.args import number
from crm_research.studies.primer.campaign import (
    campaign_test_cell,
    funnel_bottleneck,
    funnel_rates,
    power_two_proportions,
    sample_size_two_proportions,
)
from crm_research.studies.primer.clv_formula import (
    TIMINGS,
    clv_formula_table,
    margin_multiple,
    retention_clv_grid,
    retention_uplift,
)
from crm_research.studies.primer.concentration import METHOD as PARETO_METHOD

__all__ = ["WidgetView", "clv_view", "clv_widget", "test_cell_view", "test_cell_widget",
           "funnel_view", "funnel_widget", "pareto_view", "pareto_widget", "controls",
           "render_view", "show_widget"]

#: Room for the longest control label ("discount rate") and a usable slider length.
_LOOK: dict[str, Any] = {"style": {"description_width": "8em"}, "layout": {"width": "32em"}}
REPORT_NOTE = ("Interactive widget: open this notebook in JupyterLab (<code>make lab</code>) "
               "and move the controls to recompute. The report shows its default state below.")


@dataclass
class WidgetView:
    """What a widget shows for one setting of its controls: a table, the key numbers, one
    sentence and (unless ``draw=False``) a matplotlib Figure."""

    title: str
    table: pd.DataFrame
    numbers: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    figure: Any = None


def _slider(value: float, lo: float, hi: float, step: float, description: str,
            fmt: str | None = None, integer: bool = False) -> Any:
    """A slider over [lo, hi], widened to hold ``value`` (ipywidgets would otherwise clip the
    default silently and the widget's first state would not be the notebook's parameters)."""
    import ipywidgets as w

    v = number(value, description)
    kw: dict[str, Any] = {"description": description, "continuous_update": False, **_LOOK}
    if fmt:
        kw["readout_format"] = fmt
    if integer:
        return w.IntSlider(value=int(v), min=int(min(lo, v)), max=int(max(hi, v)),
                           step=int(step), **kw)
    return w.FloatSlider(value=v, min=min(lo, v), max=max(hi, v), step=step, **kw)


def _closed(fig: Any) -> Any:
    """Detach a pyplot figure from pyplot (it stays drawable and savable): no figure leaks
    while sliders move and none is shown a second time by the inline backend."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- (a) CLV

def clv_view(margin: float, retention: float, discount_rate: float, delta: float = 0.05,
             horizon: int = 10, timing: str = "end", draw: bool = True) -> WidgetView:
    """CLV of one customer (both timings, ``horizon`` periods and infinite) and the what-if of
    retention + ``delta`` (infinite horizon, ``timing``). numbers: clv, clv_new,
    clv_change_pct, margin_multiple (all of ``timing``, infinite horizon)."""
    if timing not in TIMINGS:
        raise ParameterError(f"timing must be one of {list(TIMINGS)}, got {timing!r}")
    up = retention_uplift(margin, retention, delta, discount_rate, timing=timing)
    table = clv_formula_table(margin, retention, discount_rate, int(horizon))
    table.insert(2, "retention", float(retention))
    table = pd.concat([table, pd.DataFrame([{
        "timing": timing, "horizon": "infinite", "retention": up["new_retention"],
        "formula": f"what-if: retention + {float(delta):g}", "clv": up["clv_new"]}])],
        ignore_index=True)
    numbers = {"clv": up["clv"], "clv_new": up["clv_new"],
               "clv_change_pct": up["clv_change_pct"],
               "margin_multiple": margin_multiple(retention, discount_rate, timing)}
    text = (f"Margin {float(margin):g}, retention {float(retention):.2f}, discount rate "
            f"{float(discount_rate):.2f} ({timing} timing, no time limit): CLV "
            f"{up['clv']:,.1f} ({numbers['margin_multiple']:.2f} margins). Raising retention by "
            f"{float(delta):.2f} to {up['new_retention']:.2f} gives CLV {up['clv_new']:,.1f} "
            f"({up['clv_change_pct']:+.1f}%).")
    fig = None
    if draw:
        top = max(0.95, min(0.99, up["new_retention"]))
        grid = retention_clv_grid(np.round(np.linspace(0.0, top, 100), 4), [discount_rate],
                                  margin, None, timing)
        fig = plot_clv_by_retention(grid, float(margin))
        ax = fig.axes[0]
        ax.plot([up["retention"], up["new_retention"]], [up["clv"], up["clv_new"]], "o",
                color="C3", label=f"r = {up['retention']:.2f} → {up['new_retention']:.2f}")
        ax.annotate(f"{up['clv_change_pct']:+.0f}%", (up["new_retention"], up["clv_new"]),
                    textcoords="offset points", xytext=(-36, 4), color="C3")
        ax.legend(loc="upper left")
        _closed(fig)
    return WidgetView("CLV by the retention formula", table, numbers, text, fig)


def clv_widget(margin: float = 100.0, retention: float = 0.8, discount_rate: float = 0.1,
               delta: float = 0.05, horizon: int = 10, timing: str = "end") -> Any:
    """Sliders for margin, retention, discount rate, δ and horizon, a timing menu; each change
    recomputes :func:`clv_view`."""
    import ipywidgets as w

    return _interactive(clv_view, {
        "margin": _slider(margin, 0.0, 500.0, 5.0, "margin"),
        "retention": _slider(retention, 0.0, 0.99, 0.01, "retention"),
        "discount_rate": _slider(discount_rate, 0.0, 0.5, 0.01, "discount rate"),
        "delta": _slider(delta, 0.0, 0.2, 0.01, "what-if +δ"),
        "horizon": _slider(horizon, 1, 50, 1, "horizon", integer=True),
        "timing": w.Dropdown(options=list(TIMINGS), value=timing, description="timing",
                             **_LOOK),
    })


# --------------------------------------------------------------------------- (b) test cell

def test_cell_view(baseline_rate: float, lift: float, alpha: float = 0.05, power: float = 0.8,
                   control_ratio: float = 1.0, list_size: int | None = None,
                   draw: bool = True) -> WidgetView:
    """Cells needed to detect a relative ``lift`` of ``baseline_rate`` (two-sided pooled z
    test): the row of :func:`campaign_test_cell` plus ``n_test_exact`` (unrounded) and
    ``achieved_power`` of the rounded cells. The figure shows n_test against the lift."""
    table = campaign_test_cell(baseline_rate, lift, alpha, power, control_ratio, list_size)
    row = table.to_dict("records")[0]
    p0, p1 = float(row["baseline_rate"]), float(row["test_rate"])
    exact = sample_size_two_proportions(p1, p0, alpha, power, control_ratio).n1_exact
    achieved = power_two_proportions(p1, p0, row["n_test"], row["n_control"], alpha)
    table.insert(table.columns.get_loc("n_test"), "n_test_exact", exact)
    table["achieved_power"] = achieved
    numbers = {**row, "n_test_exact": exact, "achieved_power": achieved}
    text = (f"To tell a response rate of {p1:.2%} from {p0:.2%} (lift {float(lift):+.0%}) with "
            f"α = {float(alpha):g} and power {float(power):.0%}: {int(row['n_test']):,} "
            f"customers in the test cell and {int(row['n_control']):,} in the control cell "
            f"({int(row['n_total']):,} in all).")
    if "share_of_list" in row:
        text += f" That is {float(row['share_of_list']):.1%} of a list of {row['list_size']:,.0f}."
    fig = None
    if draw:
        import matplotlib.pyplot as plt

        hi = min(max(1.0, 2 * float(lift)), (0.999 / p0 - 1) if p0 > 0 else 1.0)
        lifts = np.linspace(min(0.02, float(lift)), hi, 60)
        ns = [sample_size_two_proportions(p0 * (1 + x), p0, alpha, power, control_ratio).n1
              for x in lifts]
        fig, ax = plt.subplots()
        ax.plot(lifts, ns, color="C0", label=f"baseline {p0:.2%}")
        ax.plot([float(lift)], [int(row["n_test"])], "o", color="C3",
                label=f"lift {float(lift):+.0%}: {int(row['n_test']):,}")
        ax.set_yscale("log")
        ax.set_xlabel("relative lift to detect")
        ax.set_ylabel("customers in the test cell (log scale)")
        ax.legend(loc="upper right")
        _closed(fig)
    return WidgetView("Size of a campaign test cell", table, numbers, text, fig)


def test_cell_widget(baseline_rate: float = 0.02, lift: float = 0.25, alpha: float = 0.05,
                     power: float = 0.8, control_ratio: float = 1.0,
                     list_size: int | None = None) -> Any:
    """Sliders for baseline rate, lift, α, power and control ratio (``list_size`` fixed);
    each change recomputes :func:`test_cell_view`."""
    return _interactive(lambda **kw: test_cell_view(**kw, list_size=list_size), {
        "baseline_rate": _slider(baseline_rate, 0.005, 0.5, 0.005, "baseline rate", ".3f"),
        "lift": _slider(lift, 0.05, 2.0, 0.05, "lift"),
        "alpha": _slider(alpha, 0.01, 0.2, 0.01, "α"),
        "power": _slider(power, 0.5, 0.99, 0.01, "power"),
        "control_ratio": _slider(control_ratio, 0.25, 10.0, 0.25, "control/test"),
    })


# --------------------------------------------------------------------------- (c) funnel

def funnel_view(step_rates: Sequence[float], stages: Sequence[str], start: float = 1000.0,
                draw: bool = True) -> WidgetView:
    """Expected count at each stage of a funnel entered by ``start`` customers, the k-th stage
    reached by a share ``step_rates[k-1]`` of the stage before (``stages`` has one more name
    than ``step_rates``). Table of :func:`funnel_rates` plus ``bottleneck`` (the stage with the
    lowest step rate; the first one on ties)."""
    names = [str(s) for s in stages]
    rates = [number(r, f"step rate of {names[i + 1]!r}" if i + 1 < len(names) else "step rate",
                    0.0, 1.0) for i, r in enumerate(step_rates)]
    if len(names) != len(rates) + 1 or not rates:
        raise ParameterError(f"funnel: give one stage name more than step rates (got "
                             f"{len(names)} names, {len(rates)} rates)")
    n0 = number(start, "start", 0.0, lo_open=True)
    table = funnel_rates(pd.Series(n0 * np.cumprod([1.0, *rates]), index=names))
    # from the rates as given (count ratios may differ from them by rounding)
    k = funnel_bottleneck([np.nan, *rates])
    table["bottleneck"] = table.index == k
    b = table.iloc[k]
    end = table.iloc[-1]
    numbers = {"bottleneck": str(b["stage"]), "bottleneck_rate": float(b["step_rate"]),
               "end_count": float(end["count"]),
               "cumulative_rate": float(end["cumulative_rate"])}
    text = (f"Of {_count(n0)} at {names[0]!r}, {_count(end['count'])} reach {names[-1]!r} "
            f"({end['cumulative_rate']:.2%}). Bottleneck: {b['stage']!r}, reached by only "
            f"{b['step_rate']:.1%} of the stage before; {_count(b['lost'])} are lost there.")
    fig = None
    if draw:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        y = np.arange(len(table))[::-1]
        colors = ["C3" if f else "C0" for f in table["bottleneck"]]
        ax.barh(y, table["count"], color=colors)
        for yy, (_, r) in zip(y, table.iterrows(), strict=True):
            lab = _count(r["count"]) if pd.isna(r["step_rate"]) else \
                f"{_count(r['count'])} ({r['step_rate']:.1%} of previous)"
            ax.annotate(lab, (r["count"], yy), textcoords="offset points", xytext=(4, -4))
        ax.set_yticks(y)
        ax.set_yticklabels(table["stage"])
        ax.set_xlim(0, n0 * 1.6)
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
        ax.set_xlabel("customers reaching the stage (bottleneck in red)")
        _closed(fig)
    return WidgetView("Funnel and its bottleneck", table, numbers, text, fig)


def _count(x: float) -> str:
    """A count with thousands separators; one decimal only when it is not whole (up to
    floating-point error of the products of rates)."""
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 * max(1.0, abs(x)) else f"{x:,.1f}"


def funnel_widget(stages: Sequence[str], step_rates: Sequence[float],
                  start: float = 1000.0) -> Any:
    """One slider per step rate (labelled by the stage it leads to); each change recomputes
    :func:`funnel_view` with a fixed ``start``."""
    names = [str(s) for s in stages]
    if len(names) != len(step_rates) + 1:
        raise ParameterError(f"funnel: give one stage name more than step rates (got "
                             f"{len(names)} names, {len(step_rates)} rates)")
    controls = {f"step_{i + 1}": _slider(r, 0.0, 1.0, 0.001, names[i + 1], ".1%")
                for i, r in enumerate(step_rates)}

    def run(**kw: float) -> WidgetView:
        return funnel_view([kw[f"step_{i + 1}"] for i in range(len(step_rates))], names, start)

    return _interactive(run, controls)


# --------------------------------------------------------------------------- (d) Pareto

def pareto_view(totals: Mapping[str, Any], data: str, top: float = 0.2,
                draw: bool = True) -> WidgetView:
    """Concentration of the customer totals of data set ``data``: share held by the top
    ``top`` of customers, the share of customers holding half the total (both interpolated on
    the top-down Lorenz curve), the Gini coefficient and the curve itself."""
    if data not in totals:
        raise ParameterError(f"pareto: data set {data!r} is not one of {list(totals)}")
    x = number(top, "top", 0.0, 1.0)
    v = np.asarray(totals[data], dtype=float).ravel()
    share = float(top_share(v, x, PARETO_METHOD))
    half = customers_for_share(v, 0.5, PARETO_METHOD)
    numbers = {"customers": int(v.size), "top": x, "share": share, "customers_for_half": half,
               "gini": gini(v)}
    table = pd.DataFrame([{"data": data, **numbers}])
    text = (f"{data}: the top {x:.0%} of {v.size:,} customers hold {share:.1%} of the total; "
            f"{half:.1%} of the customers hold half of it (Gini {numbers['gini']:.2f}).")
    fig = None
    if draw:
        fig = _closed(plot_pareto_curves({data: lorenz_curve(v, top_down=True)}, x))
    return WidgetView("Pareto concentration", table, numbers, text, fig)


def pareto_widget(totals: Mapping[str, Any], data: str | None = None,
                  top: float = 0.2) -> Any:
    """A data-set menu and a top-share slider; each change recomputes :func:`pareto_view`."""
    import ipywidgets as w

    names = list(totals)
    if not names:
        raise ParameterError("pareto: no data set given")
    return _interactive(lambda **kw: pareto_view(totals, **kw), {
        "data": w.Dropdown(options=names, value=data if data is not None else names[0],
                           description="data set", **_LOOK),
        "top": _slider(top, 0.01, 0.99, 0.01, "top share", ".0%"),
    })


# --------------------------------------------------------------------------- display

def _display(obj: Any, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)


def render_view(view: WidgetView) -> None:
    """Display a view inside the widget's output area (no files written): table, figure,
    sentence."""
    from IPython.display import HTML, Image

    _display(HTML(report.table_html(view.table, view.title)))
    if view.figure is not None:
        buf = io.BytesIO()
        view.figure.savefig(buf, format="png", bbox_inches="tight", dpi=theme.DISPLAY_DPI)
        _display(Image(data=buf.getvalue()))
    if view.text:
        _display(HTML(f"<p>{html.escape(view.text)}</p>"))


def controls(widget: Any) -> dict[str, Any]:
    """The controls of a widget built here, by the callback's argument name."""
    return dict(zip(widget.kwargs, widget.kwargs_widgets, strict=True))


def _interactive(view_fn: Callable[..., WidgetView], controls: dict[str, Any]) -> Any:
    """``ipywidgets.interactive`` over ``view_fn``: each change renders the new view; a
    project error (e.g. retention + δ above 1) is shown as a message and becomes ``.result``."""
    import ipywidgets as w

    def run(**kw: Any) -> WidgetView | CRMResearchError:
        try:
            view = view_fn(**kw)
        except CRMResearchError as exc:
            from IPython.display import HTML

            _display(HTML(f"<p class='widget-error'>{html.escape(str(exc))}</p>"))
            return exc
        render_view(view)
        return view

    return w.interactive(run, **controls)


def show_widget(widget: Any, name: str, caption: str | None = None) -> None:
    """Display ``widget`` (live in JupyterLab; in an HTML report a note) and render its current
    (default) state through :func:`crm_research.report.show_table` (``tables/<name>.csv``),
    :func:`~crm_research.report.show_figure` (``figures/<name>_figure.png``) and
    :func:`~crm_research.report.say` (the view stays in ``widget.result``). ``name`` must be
    unique in the report. Returns None, like the report helpers (no second display)."""
    view = widget.result
    if isinstance(view, Exception):
        raise view
    if not isinstance(view, WidgetView):
        raise ParameterError(f"show_widget({name!r}): the widget has no view to show")
    bundle = dict(widget._repr_mimebundle_())
    bundle["text/plain"] = "Interactive widget (JupyterLab); default state below."
    bundle["text/html"] = f"<p class='widget-note'>{REPORT_NOTE}</p>"
    _display(bundle, raw=True)
    cap = caption or view.title
    report.show_table(view.table, name, caption=f"{cap} (default state)")
    if view.figure is not None:
        report.show_figure(view.figure, f"{name}_figure", caption=f"{cap} (default state)")
    if view.text:
        report.say("{text}", text=view.text)
