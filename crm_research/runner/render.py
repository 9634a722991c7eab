"""Render an executed notebook as one self-contained, offline HTML report.

Why not nbconvert's templates: the lab template loads require.js (and MathJax) from a CDN, and
its output is hard to make byte-identical. This renderer uses no script at all: images are
embedded as base64 PNG, the code of every cell is hidden behind one CSS switch per report, a
contents list is built from the markdown headings, and every text output is HTML-escaped.
Trusted HTML is limited to what the notebook author wrote in markdown cells and to the
``text/html`` outputs produced by :mod:`crm_research.report` (which escapes user values).

Page order: back link, the one title (the notebook's first ``#`` heading), the run line (date,
commit, links to ``tables/``, ``run.json``, ``executed.ipynb``, code switch), the key-findings
box, the parameters, the contents (a sticky sidebar on wide screens), then the body with
numbered tables and figures (``Table 3.``, ``Figure 2.``; anchors ``tbl-NAME``/``fig-NAME``).
Runs of Arabic-script text (Persian labels) are marked ``lang="fa" dir="rtl"``.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from typing import Any, cast

import mistune

from crm_research.report import FIGURE_META, FINDINGS_MIME, findings_html
from crm_research.reporting.style import CSS

__all__ = ["CSS", "extract_findings", "mark_rtl", "notebook_to_html", "page", "params_table"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"<h([1-3])>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_KF_HEADING = re.compile(r"\A\s*#{1,4}\s+(?:\d+\.?\s*)?key findings\s*\Z", re.I)
_FIRST_H1 = re.compile(r"\A\s*#\s+(.+?)\s*(?:\n|\Z)")
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_RTL_RUN = re.compile(  # a run from its opening bracket to its closing bracket/punctuation
    f"[(«]*[{_ARABIC}](?:[{_ARABIC}\u200c\u200f\\s\\d.,،؛:()«»/-]*[{_ARABIC}])?[)»]*[،؛؟]?")
_SKIP_RTL = ("pre", "code", "style", "title", "script")

# the HTML renderer returns a str (the stubs say str | AST tokens, for the AST renderer)
_markdown = cast(Callable[[str], str],
                 mistune.create_markdown(escape=False, plugins=["table", "strikethrough"]))


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", _TAG.sub("", text).lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in used:
        slug, k = f"{base}-{k}", k + 1
    used.add(slug)
    return slug


def _join(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def mark_rtl(fragment: str) -> str:
    """Wrap runs of Arabic-script text (outside tags, ``<pre>`` and ``<code>``) in
    ``<span lang="fa" dir="rtl">``."""
    out: list[str] = []
    skip = 0
    for part in re.split(r"(<[^>]+>)", fragment):
        if part.startswith("<"):
            m = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if m and m.group(2).lower() in _SKIP_RTL and not part.endswith("/>"):
                skip += -1 if m.group(1) else 1
                skip = max(skip, 0)
            out.append(part)
        elif skip or not part:
            out.append(part)
        else:
            out.append(_RTL_RUN.sub(lambda m: f"<span lang='fa' dir='rtl'>{m.group(0)}</span>",
                                    part))
    return "".join(out)


def _figure(data: dict[str, Any], meta: dict[str, Any]) -> str:
    b64 = _join(data["image/png"]).replace("\n", "")
    info = meta.get(FIGURE_META) or meta.get("image/png") or {}
    caption = str(info.get("caption") or "")
    name = str(info.get("name") or "")
    plain = _join(data.get("text/plain", "")).strip("'\"")
    if plain.startswith("<Figure"):  # matplotlib's repr, not a description
        plain = ""
    alt = caption or plain or name.replace("_", " ") or "chart without a caption"
    width = info.get("width")
    size = f" width='{int(width)}'" if isinstance(width, int | float) and width > 0 else ""
    anchor = f" id='fig-{html.escape(name)}'" if name else ""
    cap = html.escape(caption) if caption else html.escape(name.replace("_", " "))
    return (f"<figure{anchor}><img alt='{html.escape(alt)}'{size} "
            f"src='data:image/png;base64,{b64}'><figcaption><span class='fnum'></span>{cap}"
            f"</figcaption></figure>")


def _render_output(out: dict[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        text = _ANSI.sub("", _join(out.get("text", "")))
        if out.get("name") == "stderr":
            return (f"<details class='messages'><summary>messages</summary>"
                    f"<pre>{html.escape(text)}</pre></details>")
        return f"<pre class='stream'>{html.escape(text)}</pre>"
    if kind == "error":
        tb = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        return f"<pre class='error'>{html.escape(tb)}</pre>"
    data = out.get("data", {})
    if FINDINGS_MIME in data:
        return ""  # shown at the top of the report
    if "image/png" in data:
        return _figure(data, out.get("metadata", {}) or {})
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


def _number(content: str, cls: str, word: str) -> str:
    """Replace each empty ``<span class='cls'></span>`` marker by ``Word k.`` in page order."""
    counter = itertools.count(1)
    marker = re.escape(f"<span class='{cls}'></span>")
    return re.sub(marker, lambda _: f"<span class='{cls}'>{word} {next(counter)}.</span> ",
                  content)


def page(title: str, body: str, lang: str = "en") -> str:
    """A complete HTML page around ``body`` (viewport tag, inline style sheet, no script)."""
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"{body}</body></html>\n"
    )


def notebook_to_html(nb: dict[str, Any], title: str, header_html: str = "",
                     params_html: str = "", back_link: str | None = "../index.html") -> str:
    """Self-contained HTML of an executed notebook (dict as read by nbformat/json).

    ``title`` is the page title and the fallback heading when the notebook does not start
    with a ``#`` heading; ``header_html`` is the run line under the title (trusted HTML);
    ``params_html`` the parameters block shown after the key findings."""
    findings = extract_findings(nb)
    heading = html.escape(title)
    body: list[str] = []
    first_markdown = True
    for cell in nb.get("cells", []):
        kind = cell.get("cell_type")
        if kind == "markdown":
            src = _join(cell.get("source", ""))
            if first_markdown:
                first_markdown = False
                m = _FIRST_H1.match(src)
                if m:
                    heading = _markdown(m.group(1)).strip().removeprefix("<p>") \
                        .removesuffix("</p>")
                    src = src[m.end():]
            if findings and _KF_HEADING.match(src):
                continue  # a heading-only "Key findings" cell: the box at the top is that
            body.append(_markdown(src))
        elif kind == "code":
            src = _join(cell.get("source", ""))
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags:
                continue  # the parameters block at the top shows them
            if src.strip():
                body.append(f"<pre class='code'>{html.escape(src)}</pre>")
            body.extend(_render_output(o) for o in cell.get("outputs", []))
    content = "\n".join(body)
    used: set[str] = {"key-findings", "kf-title", "contents"}
    toc: list[tuple[int, str, str]] = []

    def anchor(m: re.Match[str]) -> str:
        level, inner = int(m.group(1)), m.group(2)
        level = max(level, 2)  # one <h1> per page: the title
        slug = _slug(inner, used)
        toc.append((level, slug, _TAG.sub("", inner)))
        return f"<h{level} id='{slug}'>{inner}</h{level}>"

    content = _HEADING.sub(anchor, content)
    content = _number(content, "tnum", "Table")
    content = _number(content, "fnum", "Figure")
    toc_html = "".join(
        f"<li class='l{lvl}'><a href='#{slug}'>{text}</a></li>"  # heading HTML, tags removed
        for lvl, slug, text in toc if lvl <= 3
    )
    back = (f"<p class='back'><a href='{html.escape(back_link)}'>← All reports</a></p>"
            if back_link else "")
    top = findings_html(findings) if findings else ""
    page_body = (
        "<input type='checkbox' id='show-code' class='switch' aria-label='show code'>"
        f"<div class='page with-toc'><header class='report'>{back}<h1>{heading}</h1>{header_html}"
        f"</header>{top}{params_html}"
        f"<nav class='toc' id='contents' aria-label='Contents'><strong>Contents</strong>"
        f"<ul>{toc_html}</ul></nav><main>{content}</main></div>"
    )
    return page(title, mark_rtl(page_body))


def params_table(params: dict[str, Any]) -> str:
    """HTML table of parameter names and values (escaped)."""
    rows = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(repr(v))}</td>"
                   f"</tr>" for k, v in params.items())
    return f"<table class='params'>{rows}</table>"
