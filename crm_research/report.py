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

import base64
import html
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError
from crm_research.reporting import tables, theme

OUT_ENV = "CRM_RESEARCH_OUT"
DATASETS_USED_FILE = "datasets_used.jsonl"
FINDINGS_MIME = "application/vnd.crm-research.findings+json"
FINDINGS_FILE = "findings.json"
MAX_FINDINGS = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_fallback_dir: Path | None = None

# One plotting style for every study (deterministic PNG output, no date metadata).
STYLE: dict[str, Any] = theme.RC
FIGURE_META = "crm-research"
DEFAULT_MAX_ROWS = 30


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
    """Apply the project's plot theme (seaborn, colour-blind-safe palette, 2× PNGs)."""
    theme.apply()


def table_html(df: pd.DataFrame, caption: str | None = None, **kwargs: Any) -> str:
    """Formatted, escaped HTML of ``df`` (see :mod:`crm_research.reporting.tables`)."""
    return tables.table_html(df, caption, **kwargs)


def show_table(df: pd.DataFrame, name: str, caption: str | None = None,
               max_rows: int = DEFAULT_MAX_ROWS, index: bool | None = None,
               float_digits: int | None = None, display_columns: list[str] | None = None,
               first_columns: list[str] | None = None) -> None:
    """Write ``df`` to ``tables/<name>.csv`` and display it formatted (first ``max_rows`` rows).

    The CSV carries the full table with full float precision. The displayed table is formatted
    from each column's meaning (:mod:`crm_research.reporting.tables`: thousands separators,
    p values as ``< 0.001``, no scientific notation, threshold flags as highlighted cells) and
    escaped; a shortened table links its full CSV. ``index`` defaults to writing (and showing)
    the index only when it means something: named, or labels (not the unnamed row positions
    left over from filtering). ``display_columns`` shows only those columns (long
    text such as sources and notes stays in the CSV); ``first_columns`` moves key result
    columns to the front. ``float_digits`` is accepted for compatibility and ignored (decimals
    follow the column's magnitude). Returns None, so that a call ending a notebook cell does
    not display the table a second time.
    """
    del float_digits
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"show_table({name!r}): expected a pandas DataFrame, "
                             f"got {type(df).__name__}")
    _check_name(name)
    folder = output_dir() / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    write_index = tables.meaningful_index(df.index) if index is None else index
    df.to_csv(folder / f"{name}.csv", index=write_index, float_format="%.10g",
              lineterminator="\n")
    shown = df if len(df) <= max_rows else df.head(max_rows)
    if not write_index:
        shown = shown.reset_index(drop=True)
    cap = caption or name.replace("_", " ")
    notes = []
    if display_columns is not None:
        unknown = [c for c in display_columns if c not in df.columns]
        if unknown:
            raise ParameterError(f"show_table({name!r}): display_columns {unknown} are not "
                                 f"columns of the table ({list(df.columns)})")
        flags = [f.column for f in tables.find_flags(df)
                 if f.target is not None and f.target in display_columns]
        shown = shown[list(display_columns) + [c for c in flags if c not in display_columns]]
        hidden = len(df.columns) - len(display_columns) - len(flags)
        if hidden > 0:
            notes.append(f"{hidden} more columns in tables/{name}.csv.")
    if len(df) > max_rows:
        notes.append(f"First {max_rows} of {len(df):,} rows shown.")
    _display(_HTML(tables.table_html(shown, cap, name=name, csv_link=f"tables/{name}.csv",
                                     note=" ".join(notes) or None,
                                     first_columns=first_columns or ())))


def show_figure(fig: Any, name: str, caption: str | None = None) -> None:
    """Save a matplotlib figure as ``figures/<name>.png`` at 2× pixel density, display it
    embedded with its caption (the renderer uses the caption as alt text), close it.

    Text below 9 pt in a figure that is shown at full size is raised to 9 pt; a figure wider
    than the report column is shrunk by the browser, and then a note on stderr says how small
    its smallest text shows (make such a figure narrower). Returns None (a cell ending in this call
    shows the figure once, not also a path)."""
    import matplotlib.pyplot as plt

    _check_name(name)
    figures = output_dir() / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    theme.words_in_labels(fig)
    if theme.display_scale(float(fig.get_size_inches()[0])) >= 1.0:
        theme.raise_small_text(fig)  # shown at full size: text of at least 9 pt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=theme.SAVE_DPI,
                metadata={"Software": None})
    data = theme.compact_png(buf.getvalue())
    width_px = int.from_bytes(data[16:20], "big")
    shown_px = width_px * theme.DISPLAY_DPI // theme.SAVE_DPI
    smallest = theme.smallest_display_pt(fig, shown_px)
    if smallest is not None and smallest < theme.MIN_FONT_PT - 0.05:
        # a note on stderr (folded under "messages" in the report), without the kernel's
        # temporary file path that warnings.warn would add (runs stay byte-identical)
        print(f"note: figure {name!r}: smallest text shows at {smallest:.1f} pt "
              f"(minimum {theme.MIN_FONT_PT:g} pt); make the figure narrower or the text "
              "larger", file=sys.stderr)
    (figures / f"{name}.png").write_bytes(data)
    plt.close(fig)
    meta = {FIGURE_META: {"name": name, "caption": caption or "",
                          "width": min(shown_px, theme.MAX_DISPLAY_PX)}}
    try:
        from IPython.display import display

        b64 = base64.b64encode(data).decode("ascii")
        display({"image/png": b64, "text/plain": caption or name}, raw=True,
                metadata={"image/png": meta[FIGURE_META], **meta})
    except ImportError:  # pragma: no cover
        pass


def say(template: str, **values: Any) -> None:
    """Display a sentence built from ``template`` with ``values`` HTML-escaped.

    ``template`` is trusted text from the notebook author and may carry simple HTML
    (``<b>``, ``<em>``); the ``{name}`` placeholders are filled with escaped values.
    Floats are shown with 3 decimals and integers from 10,000 with thousands separators,
    unless pre-formatted by the caller.
    """
    def fmt(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return f"{v:.3f}"
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) \
                and abs(int(v)) >= 10_000:
            return f"{int(v):,}"  # 21,387; years and small counts stay as they are
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
    found = findings.get("findings", [])
    if findings.get("headline") and findings["headline"] not in found[:1]:
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
