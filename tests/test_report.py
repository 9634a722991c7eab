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
from crm_research.runner import render  # noqa: E402
from crm_research.errors import ParameterError  # noqa: E402


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
