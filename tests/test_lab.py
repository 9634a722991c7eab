"""JupyterLab as a way in (issue 16): a real server on loopback runs a study's first cells.

The test starts JupyterLab exactly as ``make lab`` does (``crm_research.runner.lab``), on a free
loopback port with a token, with the ``crm-research`` kernel spec installed into a temporary
prefix; it checks the REST API, the kernel list, opens a session on a study notebook, executes
that notebook's first code cells through the server's kernel over its websocket, and shuts down.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from crm_research.errors import ParameterError
from crm_research.runner import lab

websocket = pytest.importorskip("websocket", reason="websocket-client (a jupyter_server dep)")
pytest.importorskip("jupyterlab", reason="JupyterLab is not installed")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "data_overview.ipynb"
DEADLINE_S = 90


def test_lab_command_is_loopback_only_with_a_token():
    cmd = lab.lab_command(8888, "x" * 32, ROOT / "notebooks")
    assert "--ip=127.0.0.1" in cmd and "--IdentityProvider.token=" + "x" * 32 in cmd
    assert "--no-browser" in cmd
    with pytest.raises(ParameterError, match="token"):
        lab.lab_command(8888, "short")
    with pytest.raises(ParameterError, match="port"):
        lab.lab_command(70000, "x" * 32)


def _wait_for_api(base: str, headers: dict[str, str], proc: subprocess.Popen) -> None:
    start = time.monotonic()
    while time.monotonic() - start < DEADLINE_S:
        if proc.poll() is not None:
            raise AssertionError(f"JupyterLab exited early with code {proc.returncode}")
        try:
            if requests.get(f"{base}/api", headers=headers, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab API did not answer within {DEADLINE_S} s")


def _execute(ws: websocket.WebSocket, code: str) -> dict:
    """Send one execute_request on the kernel channels; return the execute_reply content."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    start = time.monotonic()
    while time.monotonic() - start < DEADLINE_S:
        reply = json.loads(ws.recv())
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if reply["msg_type"] == "execute_reply":
            return reply["content"]
    raise AssertionError("no execute_reply in time")


@pytest.mark.slow
def test_lab_server_runs_a_study_notebook(tmp_path):
    prefix = tmp_path / "prefix"
    lab.install_kernel(prefix)
    port = lab.free_port()
    token = uuid.uuid4().hex
    env = dict(os.environ, JUPYTER_PATH=str(prefix / "share" / "jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    env.pop("CRM_RESEARCH_OUT", None)
    proc = subprocess.Popen(lab.lab_command(port, token, ROOT / "notebooks"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    try:
        _wait_for_api(base, headers, proc)
        # without the token the contents API is refused
        assert requests.get(f"{base}/api/contents", timeout=5).status_code == 403
        specs = requests.get(f"{base}/api/kernelspecs", headers=headers, timeout=10).json()
        assert lab.KERNEL_NAME in specs["kernelspecs"]
        listing = requests.get(f"{base}/api/contents", headers=headers, timeout=10).json()
        assert NOTEBOOK in {item["name"] for item in listing["content"]}
        session = requests.post(f"{base}/api/sessions", headers=headers, timeout=30, json={
            "path": NOTEBOOK, "type": "notebook", "name": NOTEBOOK,
            "kernel": {"name": lab.KERNEL_NAME}}).json()
        kernel_id = session["kernel"]["id"]
        nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
        code_cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}", timeout=60)
        try:
            for code in code_cells[:2]:
                content = _execute(ws, code)
                assert content["status"] == "ok", content
            content = _execute(ws, "import crm_research, sys; assert 'crm_research' in sys.modules")
            assert content["status"] == "ok", content
        finally:
            ws.close()
        resp = requests.delete(f"{base}/api/sessions/{session['id']}", headers=headers, timeout=30)
        assert resp.status_code == 204
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
