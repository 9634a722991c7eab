"""report helpers and the HTML renderer: files written, escaping, no scripts, TOC."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crm_research import report  # noqa: E402
from crm_research.errors import ParameterError  # noqa: E402
from crm_research.runner import render  # noqa: E402


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setenv(report.OUT_ENV, str(tmp_path))
    return tmp_path


def test_show_table_writes_full_csv_and_escapes(out):
    df = pd.DataFrame({"name": ["<b>x</b>", "y"], "value": [1.23456789, 2.0]})
    report.show_table(df, "t1", max_rows=1)
    back = pd.read_csv(out / "tables" / "t1.csv")
    assert back["value"].tolist() == [1.23456789, 2.0]  # full precision, all rows
    html = report.table_html(df, caption="<i>c</i>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;i&gt;c&lt;/i&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize("bad", ["../x", "a/b", "", " x", None])
def test_table_names_must_be_plain(out, bad):
    with pytest.raises(ParameterError):
        report.show_table(pd.DataFrame({"a": [1]}), bad)


def test_show_figure_png_is_deterministic(out):
    data = []
    for _ in range(2):
        report.apply_style()
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2])
        assert report.show_figure(fig, "f") is None
        data.append((out / "figures" / "f.png").read_bytes())
    assert data[0] == data[1] and data[0][:8] == b"\x89PNG\r\n\x1a\n"


def test_say_escapes_values(out, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj))
    assert report.say("hello <b>{who}</b> {x}", who="<script>", x=0.123456) is None
    assert shown[0]._repr_html_() == "<p>hello <b>&lt;script&gt;</b> 0.123</p>"


def test_render_escapes_outputs_and_builds_toc():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# Title\n## Part A\ntext"},
        {"cell_type": "code", "source": "print('<x>')", "metadata": {},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "<x>\n"},
                     {"output_type": "stream", "name": "stderr", "text": "warn <y>"},
                     {"output_type": "execute_result", "data": {"text/plain": "<z>"}}]},
        {"cell_type": "markdown", "source": "## Part A"},
    ]}
    html = render.notebook_to_html(nb, "T <1>")
    assert "&lt;x&gt;" in html and "&lt;y&gt;" in html and "&lt;z&gt;" in html
    assert "<title>T &lt;1&gt;</title>" in html
    assert "id='part-a'" in html and "id='part-a-2'" in html  # unique anchors
    assert "<script" not in html


def test_cli_list_and_datasets():
    res = subprocess.run([sys.executable, "-m", "crm_research", "list"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "data_overview" in res.stdout and "-p datasets" in res.stdout
    res = subprocess.run([sys.executable, "-m", "crm_research", "datasets"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    assert "online_retail" in res.stdout and "sha256" in res.stdout


def test_display_columns_show_a_subset_but_csv_keeps_all(out, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj))
    df = pd.DataFrame({"a": [1], "long_note": ["x" * 500]})
    report.show_table(df, "sub", display_columns=["a"])
    assert "long_note" in pd.read_csv(out / "tables" / "sub.csv").columns
    assert "long_note" not in shown[0]._repr_html_() and "1 more columns" in shown[0]._repr_html_()
    with pytest.raises(ParameterError, match="display_columns \\['zz'\\]"):
        report.show_table(df, "sub", display_columns=["zz"])


def test_key_findings_box_goes_to_top_and_is_escaped(out, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    assert report.key_findings([f"Loyalty rises by {0.5:.2f} <b>", "Second"],
                               failed_checks=["HTMT 0.98 > 0.90"],
                               caveats=["simulated data"]) is None
    bundle = shown[0]
    box = bundle[report.FINDINGS_MIME]
    assert box["headline"] == "Loyalty rises by 0.50 <b>"  # first finding by default
    saved = (out / report.FINDINGS_FILE).read_text(encoding="utf-8")
    assert "HTMT 0.98" in saved
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# Title\n## Part A\ntext"},
        {"cell_type": "code", "source": "report.key_findings(...)", "metadata": {},
         "outputs": [{"output_type": "display_data", "data": bundle, "metadata": {}}]},
    ]}
    page = render.notebook_to_html(nb, "T", "<header>H</header>", "<details>P</details>")
    assert page.count("class='key-findings'") == 1
    assert page.index("<header>H") < page.index("class='key-findings'") < page.index("<details>P")
    assert page.index("<details>P") < page.index("class='toc'")
    assert "&lt;b&gt;" in page and "Failed checks" in page and "simulated data" in page
    assert render.extract_findings(nb) == box


@pytest.mark.parametrize("kwargs", [
    {"findings": []}, {"findings": "one string"}, {"findings": ["ok", ""]},
    {"findings": ["ok"], "failed_checks": [3]}, {"findings": ["ok"], "headline": ""},
    {"findings": [f"f{i}" for i in range(9)]},
])
def test_key_findings_rejects_bad_input(out, kwargs):
    with pytest.raises(ParameterError):
        report.key_findings(**kwargs)


def test_say_separates_thousands_but_not_years(out, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj._repr_html_()))
    report.say("{a} {b} {c}", a=21387, b=2011, c=True)
    assert shown[0] == "<p>21,387 2011 True</p>"
