"""Shared test set-up: one hypothesis profile, session-scoped data fixtures, and a throw-away
notebooks folder with tiny studies for pipeline tests."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# One hypothesis profile for the whole suite: derandomised (CI runs are reproducible: the same
# examples every run), no per-example deadline (a 2-core CI machine shared with notebook kernels
# has noisy timings), and no "too slow" health check. HYPOTHESIS_PROFILE=explore draws new
# random examples (and more of them) when hunting for counter-examples locally.
settings.register_profile("ci", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", parent=settings.get_profile("ci"), derandomize=False,
                          max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def load_dataset():
    """Load a bundled data set once per test session: ``load_dataset("telco_churn")``.

    Returns a copy each time, so a test that modifies its frame cannot affect another test.
    """
    from crm_research.data import datasets

    cache: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = datasets.load(name)
        return cache[name].copy()

    return load

TOY_STUDY_YAML = """
title: Toy <study> & co
summary: A tiny study used by the pipeline tests.
order: 1
key_parameters: [n, label]
parameters:
  n: {type: int, default: 5, min: 1, max: 1000, help: number of rows}
  label: {type: str, default: "a", help: a label shown in the report}
  fail: {type: bool, default: false, help: raise in the third cell}
  seed: {type: int, default: 1, min: 0, help: random seed}
  weights: {type: "list[float]", default: [1.0, 2.0], help: weights}
  mode: {type: str, default: x, allowed: [x, y], help: mode}
  group: {type: str, default: null, nullable: true, help: optional group}
quick: {n: 3}
variants:
  big: {n: 8, label: "variant <b>"}
"""


def write_toy_study(folder: Path, name: str = "toy") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Toy study\n\n## Section one\n\nText."),
        nbformat.v4.new_code_cell(
            'n = 5\nlabel = "a"\nfail = False\nseed = 1\nweights = [1.0, 2.0]\nmode = "x"\n'
            "group = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import numpy as np, pandas as pd\nfrom crm_research import report\n"
            "report.apply_style()\nrng = np.random.default_rng(seed)\n"
            "df = pd.DataFrame({'x': rng.normal(size=n), 'label': [label] * n})\n"
            "report.show_table(df, 'draws')\nreport.say('Label is {label}', label=label)"),
        nbformat.v4.new_code_cell("if fail:\n    raise RuntimeError('asked to fail')"),
        nbformat.v4.new_markdown_cell("## Section two"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
            "ax.plot(df['x'])\nreport.show_figure(fig, 'line')\nprint('types', type(n).__name__,"
            " type(label).__name__, type(weights[0]).__name__)"),
    ]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / f"{name}.yaml").write_text(TOY_STUDY_YAML, encoding="utf-8")
    return folder


@pytest.fixture
def toy_notebooks(tmp_path, monkeypatch):
    folder = write_toy_study(tmp_path / "notebooks")
    monkeypatch.setenv("CRM_RESEARCH_NOTEBOOKS", str(folder))
    return folder
