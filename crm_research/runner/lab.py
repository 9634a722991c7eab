"""JupyterLab as a way into the studies: a named kernel and a loopback-only Lab on ``notebooks/``.

``make lab`` runs ``python -m crm_research.runner.lab``, which

1. installs the kernel spec ``crm-research`` into the running environment (``sys.prefix``), so
   the notebooks run on the project's own interpreter and package;
2. starts JupyterLab bound to 127.0.0.1 with a random token (never on a public interface), with
   ``notebooks/`` as its root, and prints the URL to open.

Notebooks run interactively write their tables and figures to a fresh temporary folder
(:func:`crm_research.report.output_dir` when ``CRM_RESEARCH_OUT`` is unset), never over a built
report in ``reports/``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from crm_research.errors import ParameterError
from crm_research.runner.registry import notebooks_dir

KERNEL_NAME = "crm-research"
KERNEL_DISPLAY = "crm-research (Python 3)"


def install_kernel(prefix: str | os.PathLike[str] | None = None) -> Path:
    """Install the ``crm-research`` kernel spec under ``prefix`` (default: this environment).

    Returns the kernel-spec folder. The spec runs ``sys.executable -m ipykernel_launcher``.
    """
    from ipykernel.kernelspec import install

    where = install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY,
                    prefix=str(prefix if prefix is not None else sys.prefix))
    return Path(where)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def lab_command(port: int, token: str, root: Path | None = None, *,
                browser: bool = False) -> list[str]:
    """The command line that starts JupyterLab on 127.0.0.1:``port`` with ``token``."""
    if not 0 < port < 65536:
        raise ParameterError(f"port must be between 1 and 65535, got {port}")
    if len(token) < 16:
        raise ParameterError("token must be at least 16 characters long")
    root = root or notebooks_dir()
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--ServerApp.root_dir={root}",
           f"--IdentityProvider.token={token}", "--ServerApp.allow_remote_access=False"]
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        cmd.append("--allow-root")
    return cmd


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_research.runner.lab",
                                     description="Open the study notebooks in JupyterLab.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--browser", action="store_true", help="also open a web browser")
    args = parser.parse_args(argv)
    spec = install_kernel()
    port = args.port or free_port()
    token = secrets.token_hex(24)
    print(f"kernel '{KERNEL_NAME}' installed in {spec}")
    print(f"JupyterLab on the study notebooks: http://127.0.0.1:{port}/lab?token={token}")
    print("Interactive runs write to a temporary folder, never into reports/. Ctrl-C stops.")
    env = dict(os.environ)
    env.pop("CRM_RESEARCH_OUT", None)
    try:
        return subprocess.call(lab_command(port, token, browser=args.browser), env=env)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
