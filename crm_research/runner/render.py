"""Render an executed notebook as one self-contained, offline HTML report.

Why not nbconvert's templates: the lab template loads require.js (and MathJax) from a CDN, and
its output is hard to make byte-identical. This renderer uses no script at all: images are
embedded as base64 PNG, code cells are folded in ``<details>`` (hidden by default), a table of
contents is built from the markdown headings, and every text output is HTML-escaped.
Trusted HTML is limited to what the notebook author wrote in markdown cells and to the
``text/html`` outputs produced by :mod:`crm_research.report` (which escapes user values).
"""

from __future__ import annotations

import html
import re
from typing import Any

import mistune

from crm_research.report import FINDINGS_MIME, findings_html

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"<h([1-3])>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")

_markdown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1d2330;
line-height:1.5;background:#fafbfc}
main{max-width:980px;margin:0 auto;padding:1.5em 2em 4em;background:#fff}
header.report{border-bottom:2px solid #2b5d8a;margin-bottom:1em}
h1,h2,h3{color:#173a5e}
nav.toc{background:#f1f5f9;border:1px solid #d8e0e8;padding:.6em 1.2em;margin:1em 0}
nav.toc ul{margin:.2em 0;padding-left:1.2em}
table.data{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.data th,table.data td{border-bottom:1px solid #e1e6ec;padding:.25em .6em;text-align:left;
vertical-align:top;max-width:32em}
table.data th{background:#eef2f6}
table.params td,table.params th{padding:.15em .8em;text-align:left;border-bottom:1px solid #eee}
.table-wrap{overflow-x:auto}
.caption{font-size:.85em;color:#555;margin:.6em 0 .2em;font-style:italic}
details.code{margin:.3em 0;font-size:.85em}
details.code summary{cursor:pointer;color:#6a7785}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:.85em}
pre.error{background:#fdecea;color:#8a1c12}
img{max-width:100%}
details.answer{background:#f3f8ee;border-left:3px solid #6c9a3f;padding:.3em .8em;margin:.5em 0}
section.key-findings{background:#f4f8fc;border:1px solid #9db8d3;border-left:5px solid #2b5d8a;
padding:.4em 1.2em;margin:1em 0}
section.key-findings h2{margin:.3em 0}section.key-findings h3{margin:.5em 0 .2em;font-size:1em}
section.key-findings .headline{font-weight:600}
ul.failed-checks li{color:#8a1c12}
.status-ok{color:#1d7a33}.status-failed{color:#b3261e;font-weight:bold}
"""


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", _TAG.sub("", text).lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in used:
        slug, k = f"{base}-{k}", k + 1
    used.add(slug)
    return slug


def _join(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _render_output(out: dict[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        text = _ANSI.sub("", _join(out.get("text", "")))
        if out.get("name") == "stderr":
            return (f"<details class='code'><summary>messages</summary>"
                    f"<pre>{html.escape(text)}</pre></details>")
        return f"<pre class='stream'>{html.escape(text)}</pre>"
    if kind == "error":
        tb = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        return f"<pre class='error'>{html.escape(tb)}</pre>"
    data = out.get("data", {})
    if FINDINGS_MIME in data:
        return ""  # shown at the top of the report
    if "image/png" in data:
        b64 = _join(data["image/png"]).replace("\n", "")
        return f"<img alt='figure' src='data:image/png;base64,{b64}'>"
    if "text/html" in data:
        return f"<div class='output'>{_join(data['text/html'])}</div>"
    if "text/markdown" in data:
        return f"<div class='output'>{_markdown(_join(data['text/markdown']))}</div>"
    if "text/plain" in data:
        return f"<pre>{html.escape(_join(data['text/plain']))}</pre>"
    return ""


def extract_findings(nb: dict[str, Any]) -> dict[str, Any] | None:
    """The last key-findings box a notebook displayed (``report.key_findings``), or None."""
    found = None
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            box = out.get("data", {}).get(FINDINGS_MIME)
            if isinstance(box, dict):
                found = box
    return found


def notebook_to_html(nb: dict[str, Any], title: str, header_html: str = "",
                     params_html: str = "") -> str:
    """Self-contained HTML of an executed notebook (dict as read by nbformat/json).

    Order: ``header_html``, the key-findings box (moved up from wherever the notebook showed
    it), ``params_html``, the contents, the body."""
    findings = extract_findings(nb)
    top = findings_html(findings) if findings else ""
    body: list[str] = []
    for cell in nb.get("cells", []):
        kind = cell.get("cell_type")
        if kind == "markdown":
            body.append(_markdown(_join(cell.get("source", ""))))
        elif kind == "code":
            src = _join(cell.get("source", ""))
            tags = cell.get("metadata", {}).get("tags", [])
            label = ("parameters of this run" if "injected-parameters" in tags
                     else "default parameters" if "parameters" in tags else "code")
            if src.strip():
                body.append(f"<details class='code'><summary>{label}</summary>"
                            f"<pre>{html.escape(src)}</pre></details>")
            body.extend(_render_output(o) for o in cell.get("outputs", []))
    content = "\n".join(body)
    used: set[str] = set()
    toc: list[tuple[int, str, str]] = []

    def anchor(m: re.Match[str]) -> str:
        level, inner = int(m.group(1)), m.group(2)
        slug = _slug(inner, used)
        toc.append((level, slug, _TAG.sub("", inner)))
        return f"<h{level} id='{slug}'>{inner}</h{level}>"

    content = _HEADING.sub(anchor, content)
    toc_html = "".join(
        f"<li style='margin-left:{(lvl - 1) * 1.2}em'><a href='#{slug}'>{text}</a></li>"
        for lvl, slug, text in toc
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"{header_html}{top}{params_html}"
        f"<nav class='toc'><strong>Contents</strong><ul>{toc_html}</ul></nav>"
        f"{content}</main></body></html>\n"
    )


def params_table(params: dict[str, Any]) -> str:
    """HTML table of parameter names and values (escaped)."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(repr(v))}</td></tr>"
                   for k, v in params.items())
    return f"<table class='params'>{rows}</table>"
