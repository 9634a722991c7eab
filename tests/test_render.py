"""The report layer's formatting, page structure and path diagram (hand-checkable cases)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crm_research import report  # noqa: E402
from crm_research.errors import ParameterError  # noqa: E402
from crm_research.reporting import tables, theme  # noqa: E402
from crm_research.runner import render  # noqa: E402
from crm_research.sem import path_diagram as pd_mod  # noqa: E402


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setenv(report.OUT_ENV, str(tmp_path))
    return tmp_path


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html)]


def test_columns_are_formatted_from_their_meaning():
    df = pd.DataFrame({
        "customers": [21387.0, 5.0], "revenue": [244100.0, 1234567.89],
        "p_value": [2.452e-110, 0.04567], "estimate": [0.123456, -1.5],
        "tiny_rate": [0.000412, 0.0009], "chi2_p": [0.5, np.nan],
    })
    assert tables.format_column(df["customers"]) == ["21,387", "5"]
    assert tables.format_column(df["revenue"]) == ["244,100", "1,234,568"]
    assert tables.format_column(df["p_value"]) == ["< 0.001", "0.046"]
    assert tables.format_column(df["estimate"]) == ["0.123", "-1.500"]
    assert tables.format_column(df["tiny_rate"]) == ["0.000412", "0.000900"]
    assert tables.format_column(df["chi2_p"]) == ["0.500", ""]
    html = tables.table_html(df, "c")
    assert not re.search(r"\d[eE][+-]?\d", "".join(_cells(html)))  # no scientific notation


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12,
                          max_value=1e12), min_size=1, max_size=8))
def test_no_scientific_notation_and_round_trip_order(values):
    shown = tables.format_column(pd.Series(values, name="x"))
    assert all("e" not in s.lower() for s in shown)
    back = [float(s.replace(",", "")) for s in shown]
    # formatting keeps the order of values that differ by more than the shown precision
    for i in range(len(values) - 1):
        if back[i] < back[i + 1]:
            assert values[i] < values[i + 1]


def test_p_columns_and_labels():
    assert tables.is_p_column("p_value") and tables.is_p_column("chi2_p")
    assert tables.is_p_column("p_adj") and not tables.is_p_column("power")
    assert not tables.is_p_column("top_share")
    assert tables.format_p(0.0009) == "< 0.001" and tables.format_p(0.001) == "0.001"
    assert tables.label("std_error") == "SE" and tables.label("relative_lift") == "relative lift"
    assert tables.label("SAT") == "SAT"
    assert tables.label("weight_se") == "weight SE" and tables.label("rmsea_ci_low") == \
        "RMSEA CI low"


def test_threshold_flags_become_highlighted_cells_with_legend():
    df = pd.DataFrame({"construct": ["A", "B"], "alpha": [0.91, 0.55],
                       "alpha_ok": [True, False], "fl_ok": [True, False],
                       "vif": [2.0, 6.0], "vif_ok_5": [True, False], "vif_ok_3": [True, False]})
    html = tables.table_html(df, "rel")
    heads = re.findall(r"<th scope='col'[^>]*>(.*?)</th>", html)
    assert heads == ["construct", "α", "fl ok", "VIF"]  # rule columns drawn on their targets
    assert "True" not in html and "False" not in html
    assert html.count("class='num fail'") == 2  # alpha 0.55 and vif 6
    assert "vif_ok_5, vif_ok_3" in html  # both rules named on the failing cell
    assert "✗" in html and "class='legend'" in html and "miss their" in html
    ok = tables.table_html(df.iloc[:1], "rel")
    assert "fail'" not in ok and "Every value meets" in ok


def test_missing_flag_is_not_applicable_not_a_failure():
    df = pd.DataFrame({"construct": ["A", "B"], "rho_a": [0.8, np.nan],
                       "rho_a_ok": pd.Series([True, None], dtype=object)})
    html = tables.table_html(df)
    assert "fail" not in html.replace("class='legend'", "")


def test_verdict_badges_and_stray_index_and_key_column():
    df = pd.DataFrame({"claim": ["x", "y", "z"], "verdict": ["supported", "contradicted",
                                                             "depends"], "lift": [1.0, 2.5, 3]})
    html = tables.table_html(df, first_columns=["lift"])
    assert "<span class='badge good'>supported</span>" in html
    assert "badge bad" in html and "badge mixed" in html
    assert re.findall(r"<th scope='col'[^>]*>(.*?)</th>", html)[0] == "lift"
    assert ">0</" not in html  # a RangeIndex is not shown as a column


def test_show_table_shortens_long_tables_and_links_the_csv(out, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj._repr_html_()))
    df = pd.DataFrame({"n": np.arange(100), "x": np.linspace(0, 1, 100)})
    report.show_table(df, "long", max_rows=10)
    html = shown[0]
    assert html.count("<tr>") == 11 and "First 10 of 100 rows" in html
    assert "<a href='tables/long.csv'>" in html and "id='tbl-long'" in html
    assert len(pd.read_csv(out / "tables" / "long.csv")) == 100


def test_figures_are_2x_with_alt_text_and_numbered(out, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, raw=False, metadata=None: shown.append((obj, metadata)))
    report.apply_style()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    report.show_figure(fig, "line", caption="A <line>")
    png = (out / "figures" / "line.png").read_bytes()
    width = int.from_bytes(png[16:20], "big")
    bundle, meta = shown[0]
    assert meta["crm-research"]["width"] == width // 2  # drawn at 2x, shown at 1x
    nb = {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "outputs": [
        {"output_type": "display_data", "data": bundle, "metadata": meta}] * 2}]}
    html = render.notebook_to_html(nb, "T")
    assert html.count("<figure id='fig-line'>") == 2 and "alt='A &lt;line&gt;'" in html
    assert "Figure 1.</span>" in html and "Figure 2.</span>" in html
    assert "alt='figure'" not in html


def test_small_text_in_an_oversized_figure_is_noted(out, monkeypatch, capsys):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    report.apply_style()
    fig, ax = plt.subplots(figsize=(16, 3))
    ax.plot([1, 2], [1, 2])
    report.show_figure(fig, "wide")
    err = capsys.readouterr().err
    assert "figure 'wide': smallest text shows at" in err and "/tmp/" not in err


def test_page_structure_rtl_and_code_switch():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# The title\n\nIntro with رضایت مشتری here."},
        {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["injected-parameters"]},
         "outputs": []},
        {"cell_type": "code", "source": "y = 2", "metadata": {}, "outputs": []},
        {"cell_type": "markdown", "source": "## Part\n`کد` stays"},
    ]}
    html = render.notebook_to_html(nb, "T", "<p>run line</p>")
    assert html.count("<h1>") == 1 and "<h1>The title</h1>" in html
    assert "name='viewport'" in html and "@media print" in html
    assert "<span lang='fa' dir='rtl'>رضایت مشتری</span>" in html
    assert "<code>کد</code>" in html  # code is left as written
    assert "x = 1" not in html and "<pre class='code'>y = 2</pre>" in html
    assert html.count("id='show-code'") == 1 and "<script" not in html
    assert "href='../index.html'" in html


def test_path_diagram_layout_and_marks():
    pos = pd_mod.layout(["A", "B", "C", "D"], [("A", "C"), ("B", "C"), ("C", "D")])
    assert pos == {"A": (0, 0), "B": (0, 1), "C": (1, 0), "D": (2, 0)}
    assert [pd_mod.stars(p) for p in (0.0005, 0.005, 0.03, 0.2, None)] == \
        ["***", "**", "*", "", ""]
    with pytest.raises(ParameterError, match="cycle"):
        pd_mod.layout(["A", "B"], [("A", "B"), ("B", "A")])
    # a six-layer chain is folded onto MAX_COLUMNS columns, earlier layers on top
    chain = [str(i) for i in range(6)]
    pos = pd_mod.layout(chain, list(zip(chain, chain[1:], strict=False)))
    assert max(c for c, _ in pos.values()) == pd_mod.MAX_COLUMNS - 1
    assert pos["1"][0] == pos["2"][0] and pos["1"][1] < pos["2"][1]


def test_path_diagram_draws_coefficients_r2_and_is_deterministic():
    from crm_research.data.datasets import load
    from crm_research.sem.pls import bootstrap_pls

    report.apply_style()
    boot = bootstrap_pls(load("ecsi_satisfaction"), "ecsi_satisfaction", n_boot=20, seed=3)
    pngs = []
    for _ in range(2):
        fig = pd_mod.path_diagram(boot)
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]
    r2 = boot.estimates.r_squared.dropna(subset=["r2"])
    for c, v in zip(r2["construct"], r2["r2"], strict=True):
        assert f"{c}\nR² = {v:.2f}" in texts
    first = boot.paths.iloc[0]
    assert f"{first['estimate']:.2f}{pd_mod.stars(first['p_value'])}" in texts
    assert fig.get_size_inches()[0] * theme.DISPLAY_DPI <= theme.MAX_DISPLAY_PX
    with pytest.raises(ParameterError, match="expected a PLS result"):
        pd_mod.path_diagram(pd.DataFrame())


def test_key_findings_heading_cell_is_dropped_and_headline_not_repeated():
    box = {"headline": "First.", "findings": ["First.", "Second."], "failed_checks": [],
           "caveats": []}
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# T\n## Data"},
        {"cell_type": "markdown", "source": "## Key findings"},
        {"cell_type": "code", "source": "x", "metadata": {}, "outputs": [
            {"output_type": "display_data", "data": {report.FINDINGS_MIME: box}}]},
    ]}
    html = render.notebook_to_html(nb, "T")
    assert "href='#key-findings'" not in html and html.count("First.") == 1
    assert "href='#data'" in html


def test_code_names_in_legends_and_axis_labels_become_words(out, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    report.apply_style()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], label="pareto_nbd")
    ax.plot([1, 2], [2, 1], label="predicted_clv of customers")
    ax.legend()
    ax.set_xlabel("history_segment")
    ax.set_ylabel("SAT → LOY")
    report.show_figure(fig, "words")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["Pareto/NBD", "predicted CLV of customers"]
    assert ax.get_xlabel() == "history segment" and ax.get_ylabel() == "SAT → LOY"
    assert theme.words("n_treated and n") == "n treated and n"


def test_tidy_checks_table_with_not_applicable():
    df = pd.DataFrame({"rule": ["alpha", "alpha", "ave"], "subject": ["A", "B", "C"],
                       "value": [0.9, 0.5, np.nan], "threshold": [">= 0.7"] * 3,
                       "passed": pd.Series([True, False, "not applicable"], dtype=object)})
    html = tables.table_html(df)
    assert "passed" not in re.findall(r"<th scope='col'[^>]*>(.*?)</th>", html)
    assert html.count("class='num fail'") == 1 and "not applicable" not in html
    assert "<td class='num'>n/a</td>" in html


def test_small_text_is_raised_to_9pt_in_figures_shown_at_full_size(out, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    report.apply_style()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([1, 2], [1, 2], label="a")
    ax.legend(fontsize=7)
    note = ax.text(1, 1, "note", fontsize=6)
    report.show_figure(fig, "small")
    assert note.get_fontsize() == theme.MIN_FONT_PT
    assert ax.get_legend().get_texts()[0].get_fontsize() == theme.MIN_FONT_PT


def test_rtl_runs_keep_their_brackets_and_contents_are_not_double_escaped():
    assert render.mark_rtl("<td>مدیریت مشتری (همکارانه)</td>") == \
        "<td><span lang='fa' dir='rtl'>مدیریت مشتری (همکارانه)</span></td>"
    nb = {"cells": [{"cell_type": "markdown",
                     "source": "# T\n## Pareto (\"80/20\") and Keen's factors"}]}
    html = render.notebook_to_html(nb, "T")
    toc = html[html.index("<nav"):html.index("</nav>")]
    assert "&amp;quot;" not in toc and "&amp;#x27;" not in toc and "80/20" in toc


def test_stray_integer_index_is_neither_shown_nor_written(out, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj._repr_html_()))
    df = pd.DataFrame({"claim": ["a", "b", "c"], "x": [1, 2, 3]}).iloc[[0, 2]]
    report.show_table(df, "filtered")
    assert list(pd.read_csv(out / "tables" / "filtered.csv").columns) == ["claim", "x"]
    assert re.findall(r"<th scope='col'[^>]*>(.*?)</th>", shown[0]) == ["claim", "x"]
    labelled = pd.DataFrame({"r2": [0.5]}, index=pd.Index(["SAT"], name="construct"))
    report.show_table(labelled, "r2")
    assert list(pd.read_csv(out / "tables" / "r2.csv").columns) == ["construct", "r2"]
    assert "SAT" in shown[1]


def test_decimals_no_more_than_the_values_have():
    assert tables.format_column(pd.Series([8.0, 7.5, 7.0], name="median")) == ["8.0", "7.5", "7.0"]
    assert tables.format_column(pd.Series([0.25, 0.5], name="share")) == ["0.25", "0.50"]
    assert tables.format_column(pd.Series([0.1234, 0.5], name="x")) == ["0.123", "0.500"]


def test_path_diagram_of_a_plsc_bootstrap_shows_plsc_numbers():
    from crm_research.data.datasets import load
    from crm_research.sem.pls.plsc import bootstrap_model

    boot = bootstrap_model(load("ecsi_satisfaction"), "ecsi_satisfaction", estimator="plsc",
                           n_boot=10, seed=2)
    fig = pd_mod.path_diagram(boot)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    plt.close(fig)
    row = boot.r_squared.iloc[0]
    assert f"{row['construct']}\nR² = {row['estimate']:.2f}" in texts
    first = boot.paths.iloc[0]
    assert f"{first['estimate']:.2f}{pd_mod.stars(first['p_value'])}" in texts


def test_wide_tables_bring_the_result_column_next_to_the_labels():
    cols = ["treatment", "outcome"] + [f"x{i}" for i in range(8)] + ["relative_lift"]
    df = pd.DataFrame([["a", "b"] + list(range(9))], columns=cols)
    heads = re.findall(r"<th scope='col' title='([^']*)'", tables.table_html(df))
    assert heads[:3] == ["treatment", "outcome", "relative_lift"]
    narrow = df[["treatment", "x0", "relative_lift"]]
    heads = re.findall(r"<th scope='col' title='([^']*)'", tables.table_html(narrow))
    assert heads == ["treatment", "x0", "relative_lift"]
