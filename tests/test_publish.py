"""Run lists for `build --runs`, the site zip, and one maths thread per parallel kernel
(issues 16 and 17)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from crm_research.errors import SpecError
from crm_research.runner import pipeline
from crm_research.runner.cli import main
from crm_research.runner.publish import read_run_list, write_zip

ROOT = Path(__file__).resolve().parent.parent


def test_example_run_list_is_valid():
    specs = read_run_list(ROOT / "notebooks" / "runs" / "example.yaml")
    assert [s.key for s in specs] == ["customer_value--cdnow-monthly",
                                      "loyalty_drivers--corp_rep", "crm_primer"]
    assert specs[0].params == {"dataset": "cdnow_sample", "time_unit": "M", "horizon": 24}
    assert all(s.quick for s in specs)


@pytest.mark.parametrize("body, message", [
    ("runs: []", "non-empty list 'runs'"),
    ("runs:\n  - study: nope", "run 1: .*nope"),
    ("runs:\n  - study: toy\n  - study: toy\n    params: {n: 0}", "run 2: .*n"),
    ("runs:\n  - study: toy\n  - study: toy", "run 2: writes the same report folder 'toy'"),
    ("runs:\n  - study: toy\n    name: Big Run", "run 1: name 'Big Run'"),
    ("runs:\n  - study: toy\n    name: a\n    variant: big", "either 'name' or 'variant'"),
    ("runs:\n  - study: toy\n    colour: red", "unknown key"),
])
def test_run_list_errors_name_the_file_and_the_entry(toy_notebooks, tmp_path, body, message):
    path = tmp_path / "runs.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        read_run_list(path)


def test_build_from_a_run_list_writes_named_runs_index_and_a_deterministic_zip(
        toy_notebooks, tmp_path):
    runs = tmp_path / "runs.yaml"
    runs.write_text("runs:\n  - study: toy\n    name: small\n    params: {n: 3}\n"
                    "  - study: toy\n    name: labelled\n    params: {n: 4, label: '<b>x</b>'}\n",
                    encoding="utf-8")
    out = tmp_path / "site"
    assert main(["build", "--runs", str(runs), "--out", str(out), "--jobs", "1",
                 "--zip", str(tmp_path / "site.zip")]) == 0
    for key in ("toy--small", "toy--labelled"):
        assert (out / key / "report.html").is_file()
    assert not (out / "toy").exists()  # the default run was not part of the list
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "toy--small/report.html" in index and "run labelled" in index
    with zipfile.ZipFile(tmp_path / "site.zip") as zf:
        names = zf.namelist()
    assert "index.html" in names and "toy--small/report.html" in names
    assert names == sorted(names) and not any(n.startswith("_runs") for n in names)
    again = write_zip(out, tmp_path / "again.zip")
    assert again.read_bytes() == (tmp_path / "site.zip").read_bytes()


def test_runs_and_only_do_not_mix(toy_notebooks, tmp_path, capsys):
    runs = tmp_path / "runs.yaml"
    runs.write_text("runs:\n  - study: toy\n", encoding="utf-8")
    assert main(["build", "--runs", str(runs), "--only", "toy", "--out", str(tmp_path)]) == 2
    assert "--runs" in capsys.readouterr().err


def test_zip_needs_a_built_site(tmp_path):
    with pytest.raises(Exception, match="no built site"):
        write_zip(tmp_path, tmp_path / "x.zip")


def test_parallel_build_gives_each_kernel_one_maths_thread(monkeypatch):
    for v in pipeline.THREAD_VARS:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # a user's own setting is kept
    with pipeline._threads_per_kernel(2):
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "3"
    with pipeline._threads_per_kernel(1):
        assert "OMP_NUM_THREADS" not in os.environ
