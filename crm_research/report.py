"""What a study notebook calls to show and save its results.

Every table a report shows is also written as ``tables/<name>.csv`` and every figure as
``figures/<name>.png`` in the run's output directory. The pipeline tells the notebook's kernel
where that directory is through the environment variable ``CRM_RESEARCH_OUT``; a notebook run
by hand (Jupyter, nbval) without it writes into a fresh temporary directory instead, so an
interactive session never touches ``reports/``.

All text that may come from a user (data values, column names, file paths, parameters) is
HTML-escaped before it is displayed.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError

OUT_ENV = "CRM_RESEARCH_OUT"
DATASETS_USED_FILE = "datasets_used.jsonl"
FINDINGS_MIME = "application/vnd.crm-research.findings+json"
FINDINGS_FILE = "findings.json"
MAX_FINDINGS = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_fallback_dir: Path | None = None

# One plotting style for every study (deterministic PNG output, no date metadata).
STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "svg.hashsalt": "crm-research",
    "image.cmap": "viridis",
}


def output_dir() -> Path:
    """Directory of the current run (``$CRM_RESEARCH_OUT``, else a temporary directory)."""
    global _fallback_dir
    env = os.environ.get(OUT_ENV)
    if env:
        path = Path(env)
    else:
        if _fallback_dir is None:
            _fallback_dir = Path(tempfile.mkdtemp(prefix="crm-research-interactive-"))
        path = _fallback_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ParameterError(
            f"table/figure name {name!r} is not a plain file name "
            "(expected letters, digits, '_', '-', '.')"
        )
    return name


def _display(obj: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency via ipykernel
        return
    display(obj)


class _HTML:
    """Minimal rich-display object (text/html) without importing IPython at module import."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return re.sub(r"<[^>]+>", "", self.body)


def apply_style() -> None:
    """Apply the project's matplotlib style (call once at the top of a notebook)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    matplotlib.rcParams.update(STYLE)


def table_html(df: pd.DataFrame, caption: str | None = None, float_digits: int = 4) -> str:
    """Render ``df`` as an escaped HTML table (cell values, labels and caption are escaped)."""
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.{float_digits}g}"
                                        if abs(v) >= 1e5 or (v != 0 and abs(v) < 1e-3)
                                        else f"{v:.{float_digits}f}")
    body = shown.to_html(escape=True, index=not isinstance(df.index, pd.RangeIndex),
                         border=0, classes="data", na_rep="")
    cap = f"<p class='caption'>{html.escape(caption)}</p>" if caption else ""
    return f"<div class='table-wrap'>{cap}{body}</div>"


def show_table(df: pd.DataFrame, name: str, caption: str | None = None,
               max_rows: int = 60, index: bool | None = None,
               float_digits: int = 4, display_columns: list[str] | None = None) -> None:
    """Write ``df`` to ``tables/<name>.csv`` and display it (first ``max_rows`` rows).

    The CSV carries the full table with full float precision; the displayed table is rounded
    to ``float_digits`` and escaped. ``index`` defaults to writing the index only when it is
    not a plain RangeIndex. ``display_columns`` shows only those columns (long text such as
    sources and notes stays in the CSV). Returns None, so that a call ending a notebook cell
    does not display the table a second time.
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"show_table({name!r}): expected a pandas DataFrame, "
                             f"got {type(df).__name__}")
    _check_name(name)
    tables = output_dir() / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    write_index = (not isinstance(df.index, pd.RangeIndex)) if index is None else index
    df.to_csv(tables / f"{name}.csv", index=write_index, float_format="%.10g",
              lineterminator="\n")
    shown = df if len(df) <= max_rows else df.head(max_rows)
    cap = caption or name
    if display_columns is not None:
        unknown = [c for c in display_columns if c not in df.columns]
        if unknown:
            raise ParameterError(f"show_table({name!r}): display_columns {unknown} are not "
                                 f"columns of the table ({list(df.columns)})")
        shown = shown[list(display_columns)]
        hidden = len(df.columns) - len(display_columns)
        if hidden:
            cap += f" ({hidden} more columns in tables/{name}.csv)"
    if len(df) > max_rows:
        cap += f" (first {max_rows} of {len(df)} rows; full table in tables/{name}.csv)"
    _display(_HTML(table_html(shown, cap, float_digits)))


def show_figure(fig: Any, name: str, caption: str | None = None) -> None:
    """Save a matplotlib figure as ``figures/<name>.png``, display it embedded, close it.

    Returns None (a cell ending in this call shows the figure once, not also a path)."""
    import matplotlib.pyplot as plt

    _check_name(name)
    figures = output_dir() / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    data = buf.getvalue()
    path = figures / f"{name}.png"
    path.write_bytes(data)
    plt.close(fig)
    try:
        from IPython.display import Image

        _display(Image(data=data, format="png"))
    except ImportError:  # pragma: no cover
        pass
    if caption:
        _display(_HTML(f"<p class='caption'>{html.escape(caption)}</p>"))


def say(template: str, **values: Any) -> None:
    """Display a sentence built from ``template`` with ``values`` HTML-escaped.

    ``template`` is trusted text from the notebook author and may carry simple HTML
    (``<b>``, ``<em>``); the ``{name}`` placeholders are filled with escaped values.
    Floats are shown with 3 decimals unless pre-formatted by the caller.
    """
    def fmt(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return f"{v:.3f}"
        return str(v)

    body = template.format(**{k: html.escape(fmt(v)) for k, v in values.items()})
    _display(_HTML(f"<p>{body}</p>"))


def record_dataset(name: str, path: str, sha256: str) -> None:
    """Note that a bundled data set (or user file) was used, for the run's ``run.json``."""
    if not os.environ.get(OUT_ENV):
        return
    line = json.dumps({"name": name, "path": path, "sha256": sha256}, sort_keys=True)
    with open(output_dir() / DATASETS_USED_FILE, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _text_list(value: Sequence[str], what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ParameterError(f"key_findings: {what} must be a list of sentences, got "
                             f"{type(value).__name__}")
    out = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise ParameterError(f"key_findings: {what} item {i} must be a non-empty string, "
                                 f"got {item!r}")
        out.append(" ".join(item.split()))
    return out


def findings_html(findings: dict[str, Any]) -> str:
    """The key-findings box of a report (every sentence HTML-escaped)."""
    def items(key: str) -> str:
        return "".join(f"<li>{html.escape(t)}</li>" for t in findings.get(key, []))

    parts = ["<section class='key-findings' id='key-findings' aria-labelledby='kf-title'>",
             "<h2 id='kf-title'>Key findings</h2>"]
    if findings.get("headline"):
        parts.append(f"<p class='headline'>{html.escape(findings['headline'])}</p>")
    parts.append(f"<ul class='findings'>{items('findings')}</ul>")
    if findings.get("failed_checks"):
        parts.append("<h3>Failed checks</h3>"
                     f"<ul class='failed-checks'>{items('failed_checks')}</ul>")
    if findings.get("caveats"):
        parts.append(f"<h3>Caveats</h3><ul class='caveats'>{items('caveats')}</ul>")
    parts.append("</section>")
    return "".join(parts)


def key_findings(findings: Sequence[str], failed_checks: Sequence[str] = (),
                 caveats: Sequence[str] = (), headline: str | None = None) -> None:
    """Show the report's key-findings box; the renderer moves it to the top of the report.

    ``findings`` are 1–8 sentences (3–6 recommended), each built in the notebook from computed
    values (never typed numbers), e.g. ``f"Satisfaction drives loyalty (β = {b:.2f})"``.
    ``failed_checks`` lists every check the run failed in words (thresholds missed, fits that
    did not converge, false positives against a known truth); ``caveats`` lists the limits of the
    evidence (simulated data, small samples). ``headline`` is one line shown on the index page
    (default: the first finding). The box is also written to ``findings.json`` in the run's
    folder. Returns None.
    """
    found = _text_list(findings, "findings")
    if not 1 <= len(found) <= MAX_FINDINGS:
        raise ParameterError(f"key_findings: expected 1 to {MAX_FINDINGS} findings "
                             f"(3-6 recommended), got {len(found)}")
    if headline is not None and (not isinstance(headline, str) or not headline.strip()):
        raise ParameterError(f"key_findings: headline must be a non-empty string or None, "
                             f"got {headline!r}")
    box = {
        "headline": " ".join((headline or found[0]).split()),
        "findings": found,
        "failed_checks": _text_list(failed_checks, "failed_checks"),
        "caveats": _text_list(caveats, "caveats"),
    }
    (output_dir() / FINDINGS_FILE).write_text(
        json.dumps(box, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    bundle = {FINDINGS_MIME: box, "text/html": findings_html(box),
              "text/plain": "\n".join(["Key findings:", *(f"- {t}" for t in found)])}
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    display(bundle, raw=True)
