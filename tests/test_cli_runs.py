"""Command-line runs as a user meets them (issue 11): quiet kernel, a file given as --out,
Ctrl-C, and parameters meaning "none" or below their declared minimum."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import write_toy_study

from crm_research.errors import ParameterError
from crm_research.runner.registry import get_study, load_study

SLOW_YAML = """
title: Slow study
summary: Sleeps so that a test can interrupt it.
parameters:
  seconds: {type: int, default: 60, min: 1, help: how long to sleep}
"""


def _cli(*args: str, env: dict[str, str] | None = None,
         timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crm_research", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_a_run_prints_no_kernel_noise(tmp_path):
    folder = write_toy_study(tmp_path / "nb")
    res = _cli("run", "toy", "--out", str(tmp_path / "out"),
               env={"CRM_RESEARCH_NOTEBOOKS": str(folder)})
    assert res.returncode == 0, res.stderr
    assert "without encryption" not in res.stderr
    assert "KeyboardInterrupt" not in res.stderr + res.stdout
    assert res.stderr.strip() == ""


def test_out_pointing_at_a_file_is_a_clear_error(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("not a folder")
    res = _cli("run", "data_overview", "--out", str(target))
    assert res.returncode == 2
    assert "is a file; expected a folder" in res.stderr and "Traceback" not in res.stderr
    res = _cli("build", "--out", str(target / "sub"))
    assert res.returncode == 2 and "cannot create the folder" in res.stderr


def test_ctrl_c_prints_one_line_exits_130_and_cleans_up(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("seconds = 60", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import os, time, pathlib\n"
            "pathlib.Path(os.environ['CRM_RESEARCH_OUT'], 'started').write_text('1')\n"
            "time.sleep(seconds)"),
    ]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    nbformat.write(nb, folder / "slow.ipynb")
    (folder / "slow.yaml").write_text(SLOW_YAML, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_research", "run", "slow", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "CRM_RESEARCH_NOTEBOOKS": str(folder)})
    deadline = time.monotonic() + 120
    while not list(out.glob(".tmp-slow-*/started")):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted (Ctrl-C)" in lines[0], stderr
    assert "Traceback" not in stderr
    assert not list(out.glob(".tmp-*")) and not (out / "slow").exists()


def test_empty_values_mean_none_where_the_help_says_so(toy_notebooks):
    study = get_study("toy")
    assert study.resolve({"group": ""})["group"] is None
    assert study.resolve({"group": "none"})["group"] is None
    assert study.resolve({"label": ""})["label"] == ""  # a plain string may be empty
    with pytest.raises(ParameterError, match="expected at least one float value"):
        study.resolve({"weights": "[]"})


def test_bundled_studies_reject_empty_lists_and_zero_resamples():
    with pytest.raises(ParameterError, match="empty list"):
        get_study("data_overview").resolve({"datasets": "[]"})
    with pytest.raises(ParameterError, match="value 0 is below the minimum 10"):
        get_study("loyalty_drivers").resolve({"n_boot": "0"})
    with pytest.raises(ParameterError, match="value 0 is below the minimum 20"):
        get_study("loyalty_drivers").resolve({"n_perm": "0"})
    assert get_study("crm_success_factors").parameters["n_perm"].min >= 20
    assert get_study("crm_success_factors").resolve({"group": ""})["group"] is None
    assert get_study("crm_success_factors").resolve({"projects_data": ""})["projects_data"] \
        is None


def test_purpose_is_read_from_the_study_yaml(tmp_path):
    folder = write_toy_study(tmp_path)
    path = folder / "toy.yaml"
    path.write_text(path.read_text() + 'purpose: "Students start  here."\n')
    assert load_study(Path(path)).purpose == "Students start here."
    assert get_study.__module__ == "crm_research.runner.registry"
    assert "start here" in get_study("crm_primer").purpose.lower()


def test_every_study_states_its_purpose():
    """The index shows each study's purpose (issue 12); ecrm_loyalty lacked it."""
    from crm_research.runner.registry import all_studies

    missing = [name for name, study in all_studies().items() if not study.purpose.strip()]
    assert not missing, f"studies without a purpose: line in their YAML: {missing}"


def test_index_shows_purpose_headline_and_failed_checks(toy_notebooks, tmp_path):
    import json

    from crm_research.runner import pipeline

    path = toy_notebooks / "toy.yaml"
    path.write_text(path.read_text() + 'purpose: "For <testing> the index."\n')
    out = tmp_path / "out"
    (out / "toy").mkdir(parents=True)
    (out / "toy" / "report.html").write_text("x")
    (out / "_runs").mkdir()
    (out / "_runs" / "toy.json").write_text(json.dumps({
        "study": "toy", "status": "ok", "parameters": {}, "started": "2026-01-02T03:04:05+00:00",
        "duration_s": 1.0, "headline": "Loyalty <rises>", "failed_checks": 2}))
    index = pipeline.write_index(out).read_text()
    assert "For &lt;testing&gt; the index." in index and "Loyalty &lt;rises&gt;" in index
    assert "2 failed checks</span>" in index and "2026-01-02 03:04 UTC" in index
    assert "name='viewport'" in index
