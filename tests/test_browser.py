"""Every built report, opened in a real headless Chromium (Debian's ``chromium`` package)
driven over the DevTools protocol with ``websocket-client`` (already a dev dependency, so no
browser-automation package or browser download is needed).

Checks per report: no console error or uncaught exception, no request leaves the file (only
``file:``/``data:`` URLs), every contents link resolves to an element, the header's links to
``tables/``, ``run.json`` and ``executed.ipynb`` exist, no horizontal page overflow at a 390 px
phone width, the key-findings box starts above the fold at 1280×800, every image has alt text
other than "figure", and print-to-PDF succeeds. The index: one entry per study, each run with
its headline, no overflow at 390 px. One 1280×800 screenshot per report is kept in
``BUILD/_screenshots/``.

The reports are built once per session (quick parameters) into a temporary folder, or taken from
``$CRM_RESEARCH_REPORTS`` (CI builds them once and points the tests at that folder). Without a
browser the tests are skipped with the reason (``apt-get install -y chromium``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_research.runner import pipeline
from crm_research.runner.registry import all_studies

websocket = pytest.importorskip("websocket", reason="websocket-client is a dev dependency")
pytestmark = pytest.mark.slow  # builds (or opens) every report; `make test-fast` skips it

REPORTS_ENV = "CRM_RESEARCH_REPORTS"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
ALLOWED_SCHEMES = ("file:", "data:", "about:", "chrome-error:")
KEYS = [pipeline.report_key(n, v) for n, s in all_studies().items() for v in [None, *s.variants]]


def _browser() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


class Page:
    """One browser tab over the DevTools protocol (synchronous, one command at a time)."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            self.events.append(json.loads(self.ws.recv()))

    def js(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def open(self, path: Path, width: int, height: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        self.events.clear()
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and requests that leave the file."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(ALLOWED_SCHEMES):
                    out.append(f"request leaves the file: {url[:120]}")
        return out


@pytest.fixture(scope="session")
def build_dir() -> Iterator[Path]:
    given = os.environ.get(REPORTS_ENV)
    if given:
        yield Path(given)
        return
    if _browser() is None:
        pytest.skip("chromium not installed (apt-get install -y chromium): browser tests skipped")
    with tempfile.TemporaryDirectory(prefix="crm-browser-") as tmp:
        pipeline.build(out=tmp, quick=True, jobs=2)
        yield Path(tmp)


@pytest.fixture(scope="session")
def page(build_dir: Path) -> Iterator[Page]:
    exe = _browser()
    if exe is None:
        pytest.skip("chromium not installed (apt-get install -y chromium): browser tests skipped")
    profile = Path(tempfile.mkdtemp(prefix="crm-chromium-"))
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"{exe} did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            target = next(t for t in json.load(r) if t.get("type") == "page")
        tab = Page(target["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.send(f"{domain}.enable")
        yield tab
        tab.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("key", KEYS)
def test_report_in_browser(key: str, build_dir: Path, page: Page) -> None:
    report = build_dir / key / "report.html"
    assert report.is_file(), f"{key}: no report.html in {build_dir} (did the study fail?)"
    failures: list[str] = []
    page.open(report, 1280, 800)
    failures += page.problems()
    missing = page.js("""[...document.querySelectorAll('nav.toc a')]
        .map(a => a.getAttribute('href'))
        .filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)))""")
    if missing or not page.js("document.querySelectorAll('nav.toc a').length"):
        failures.append(f"contents links that resolve to nothing (or none): {missing}")
    failures += [f"header link {rel} is broken" for rel in
                 ("tables", "run.json", "executed.ipynb", "../index.html")
                 if not (report.parent / rel).exists()]
    if page.js("document.querySelectorAll('h1').length") != 1:
        failures.append("not exactly one <h1> title")
    bad_alt = page.js("[...document.images].filter(i => !i.alt || i.alt === 'figure').length")
    if bad_alt:
        failures.append(f"{bad_alt} images without alt text")
    top = page.js("""(() => { const b = document.querySelector('section.key-findings');
        return b ? b.getBoundingClientRect().top : null })()""")
    if top is None:
        failures.append("no key-findings box (the notebook does not call report.key_findings)")
    elif top > 800 - 120:
        failures.append(f"key findings start at {top:.0f} px, below the fold of 1280x800")
    shot = page.send("Page.captureScreenshot", format="png")["data"]
    shots = build_dir / "_screenshots"
    shots.mkdir(exist_ok=True)
    (shots / f"{key}.png").write_bytes(base64.b64decode(shot))
    pdf = base64.b64decode(page.send("Page.printToPDF", printBackground=False)["data"])
    if pdf[:5] != b"%PDF-" or len(pdf) < 2000:
        failures.append("print to PDF failed")
    page.open(report, 390, 844, mobile=True)
    overflow = page.js("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        wide = page.js("""[...document.querySelectorAll('main *, header *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                         && !e.closest('.table-wrap, pre'))
            .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ')""")
        failures.append(f"page wider than a 390 px phone by {overflow} px ({wide})")
    failures += page.problems()
    assert not failures, f"{key}: " + "; ".join(failures)


def test_index_in_browser(build_dir: Path, page: Page) -> None:
    index = build_dir / "index.html"
    page.open(index, 1280, 800)
    assert page.problems() == []
    entries = page.js("document.querySelectorAll('ul.studies > li').length")
    assert entries == len(KEYS)
    broken = page.js("""[...document.querySelectorAll('ul.studies a')]
        .map(a => a.getAttribute('href'))""")
    assert all((build_dir / h).is_file() for h in broken), broken
    ok_runs = sum(
        1 for k in KEYS if (build_dir / "_runs" / f"{k}.json").exists()
        and json.loads((build_dir / "_runs" / f"{k}.json").read_text())["status"] == "ok")
    assert page.js("document.querySelectorAll('ul.studies .headline').length") == ok_runs, \
        "every report that ran shows its headline on the index"
    shots = build_dir / "_screenshots"
    shots.mkdir(exist_ok=True)
    (shots / "index.png").write_bytes(
        base64.b64decode(page.send("Page.captureScreenshot", format="png")["data"]))
    page.open(index, 390, 844, mobile=True)
    assert page.js("document.documentElement.scrollWidth - window.innerWidth") <= 0
