"""Report pipeline: promised files, atomic writes on failure, determinism, index, escaping."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crm_research.errors import ParameterError, StudyRunError
from crm_research.runner import pipeline

pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "run.json"}


def test_toy_run_writes_every_promised_file(toy_notebooks, tmp_path):
    out = tmp_path / "out"
    res = pipeline.run_study("toy", {"n": "4", "label": "<script>alert(1)</script>"}, out=out)
    assert res.status == "ok"
    folder = out / "toy"
    for rel in ("report.html", "executed.ipynb", "run.json", "tables/draws.csv",
                "figures/line.png"):
        assert (folder / rel).is_file(), rel
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "ok" and run["parameters"]["n"] == 4
    assert {"started", "duration_s", "versions", "git_commit", "datasets"} <= set(run)
    html = (folder / "report.html").read_text()
    assert "<script" not in html  # user string escaped, and no scripts at all
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # renders offline
    assert "class='toc'" in html and "href='#section-one'" in html
    assert "<pre class='code'>" in html and html.count("id='show-code'") == 1  # one code switch
    assert "types int str float" in html  # types reached the kernel as declared
    assert len(pd.read_csv(folder / "tables/draws.csv")) == 4
    nb = json.loads((folder / "executed.ipynb").read_text())
    assert "start_time" not in json.dumps(nb) and "iopub" not in json.dumps(nb)
    index = (out / "index.html").read_text()
    assert "toy/report.html" in index and "Toy &lt;study&gt; &amp; co" in index


def test_same_parameters_give_identical_outputs(toy_notebooks, tmp_path):
    a = pipeline.run_study("toy", {"seed": 7}, out=tmp_path / "a")
    b = pipeline.run_study("toy", {"seed": 7}, out=tmp_path / "b")
    assert a.status == b.status == "ok"
    assert _files(tmp_path / "a" / "toy") == _files(tmp_path / "b" / "toy")
    c = pipeline.run_study("toy", {"seed": 8}, out=tmp_path / "c")
    assert c.status == "ok"
    assert (tmp_path / "a/toy/tables/draws.csv").read_bytes() != \
        (tmp_path / "c/toy/tables/draws.csv").read_bytes()


def test_failed_run_keeps_previous_report_and_says_which_cell(toy_notebooks, tmp_path):
    out = tmp_path / "out"
    pipeline.run_study("toy", {"seed": 3}, out=out)
    before = _files(out / "toy")
    expected = r"failed at cell 3 of toy.ipynb \('if fail:'\): RuntimeError: asked to fail"
    with pytest.raises(StudyRunError, match=expected):
        pipeline.run_study("toy", {"seed": 4, "fail": True}, out=out)
    assert _files(out / "toy") == before
    assert (out / "_failed" / "toy" / "executed.ipynb").is_file()
    index = (out / "index.html").read_text()
    assert "failed" in index and "previous report kept" in index
    assert not list(out.glob(".tmp-*"))
    pipeline.run_study("toy", {"seed": 3}, out=out)  # a good run clears the failure
    assert not (out / "_failed" / "toy").exists()
    assert "class='status-ok'" in (out / "index.html").read_text()


def test_bad_parameter_fails_before_any_cell(toy_notebooks, tmp_path):
    with pytest.raises(ParameterError, match="parameter 'n'"):
        pipeline.run_study("toy", {"n": "lots"}, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_build_runs_all_and_writes_index(toy_notebooks, tmp_path):
    from conftest import write_toy_study

    write_toy_study(toy_notebooks, "toy2")
    results = pipeline.build(out=tmp_path / "out", quick=True, jobs=2)
    assert sorted(r.study for r in results) == ["toy", "toy--big", "toy2", "toy2--big"]
    assert all(r.status == "ok" for r in results)
    index = (tmp_path / "out" / "index.html").read_text()
    assert index.count("class='status-ok'") == 4 and "n=3" in index and "n=8" in index
    assert "toy--big/report.html" in index and "variant big" in index
    assert len(pd.read_csv(tmp_path / "out" / "toy--big" / "tables" / "draws.csv")) == 8


def test_variant_values_and_unknown_variant(toy_notebooks, tmp_path):
    from crm_research.runner.registry import get_study

    study = get_study("toy")
    assert study.resolve(variant="big")["n"] == 8
    assert study.resolve({"n": 2}, variant="big")["n"] == 2  # given beats the variant
    with pytest.raises(ParameterError, match="unknown variant 'nope'; known: big"):
        pipeline.run_study("toy", out=tmp_path / "o", variant="nope")


def test_cli_run_data_overview_writes_promised_files(tmp_path):
    out = tmp_path / "rep"
    cmd = [sys.executable, "-m", "crm_research", "run", "data_overview", "-p", "datasets",
           "ecsi_satisfaction,telco_churn,fader_hardie_retention", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    folder = out / "data_overview"
    for rel in ("report.html", "executed.ipynb", "run.json", "tables/datasets.csv",
                "tables/profile_telco_churn.csv", "figures/overview_telco_churn.png",
                "tables/codebook_ecsi_satisfaction.csv"):
        assert (folder / rel).is_file(), rel
    run = json.loads((folder / "run.json").read_text())
    assert [d["name"] for d in run["datasets"]] == [
        "ecsi_satisfaction", "fader_hardie_retention", "telco_churn"]
    assert run["versions"]["pandas"] == pd.__version__
    html = (folder / "report.html").read_text()
    assert not re.search(r"<script", html)
    profile = pd.read_csv(folder / "tables/profile_telco_churn.csv")
    row = profile.set_index("column").loc["total_charges"]
    assert row["missing"] == 11


def test_cli_reports_errors_without_traceback(tmp_path):
    cmd = [sys.executable, "-m", "crm_research", "run", "data_overview", "-p", "bogus", "1",
           "--out", str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "unknown parameter(s) ['bogus']" in res.stderr
    assert "Traceback" not in res.stderr


def test_every_study_is_deterministic_in_quick_mode(tmp_path):
    """Each shipped study, run twice with its quick parameters, gives byte-identical tables,
    figures, executed notebook and HTML (run.json differs only by times)."""
    first = pipeline.build(out=tmp_path / "a", quick=True, jobs=2)
    second = pipeline.build(out=tmp_path / "b", quick=True, jobs=2)
    failed = [(r.study, r.error) for r in first + second if r.status != "ok"]
    assert not failed
    for r in first:
        a, b = _files(tmp_path / "a" / r.study), _files(tmp_path / "b" / r.study)
        assert a.keys() == b.keys(), r.study
        differing = [k for k in a if a[k] != b[k]]
        assert not differing, f"{r.study}: {differing}"
        assert any(k.startswith("tables/") for k in a), f"{r.study} wrote no table"


def test_build_reports_a_failing_variant_and_goes_on(toy_notebooks, tmp_path):
    yaml_path = toy_notebooks / "toy.yaml"
    yaml_path.write_text(yaml_path.read_text() + "  broken: {fail: true}\n")
    results = {r.study: r for r in pipeline.build(out=tmp_path / "out", quick=True, jobs=1)}
    assert results["toy"].status == results["toy--big"].status == "ok"
    assert results["toy--broken"].status == "failed"
    assert "asked to fail" in results["toy--broken"].error
    index = (tmp_path / "out" / "index.html").read_text()
    assert index.count("class='status-failed'") == 1 and index.count("class='status-ok'") == 2
    cmd = [sys.executable, "-m", "crm_research", "build", "--quick", "--out",
           str(tmp_path / "cli"), "--jobs", "1"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 1 and "toy--broken: FAILED" in res.stderr
