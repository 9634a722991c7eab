"""Display formatting of report tables, chosen from each column's meaning.

The CSV written beside a report keeps every column at full precision; this module only decides
how a table *reads* on the page, the way a journal table does (APA 7th ed., §7.21: "report
p values to two or three decimals; report p values less than .001 as p < .001"):

- integer-valued columns (counts, sizes, degrees of freedom) with thousands separators, never
  as ``21387.0000``;
- p-value columns (``p_value``, ``p``, ``*_p``, ``p_*``) as ``< 0.001`` or three decimals;
- other numbers with a number of decimals picked from the column's magnitude (2–3 for
  estimates, none for money-sized values) and never in scientific notation;
- threshold rules (boolean columns ``X_ok``/``X_ok_N`` beside a value column ``X``) as a
  highlighted cell with a symbol and a legend, instead of True/False columns;
- verdict and status columns as coloured badges;
- readable column labels (the CSV name stays in the header's ``title``).

Why our own writer rather than great-tables: great-tables formats and colours tables well, but
it brings several further dependencies (Babel, htmltools, commonmark, faicons …), gives each table
a random element id unless one is set, and writes a style block of several kilobytes into every
table (30 tables a report), with its own layout that would still need our phone, print and
sticky-column rules. The rules this project needs (below) are ~250 lines we test directly, and
their output is deterministic and small.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FAIL_SYMBOL = "✗"
PASS_SYMBOL = "✓"
_P_NAME = re.compile(r"^(p|pvalue|p_value|p_adj|p_val)$|_p$|^p_|_p_value$|_pvalue$")
_FLAG_NAME = re.compile(r"^(?:(?P<target>.+?)_)?(?:ok|passed)(?:_(?P<rule>[A-Za-z0-9]+))?$")
_NOT_APPLICABLE = {"not applicable", "n/a", "na"}
_BADGE_COLUMNS = ("verdict", "status")
_BADGE_CLASS = {
    "supported": "good", "ok": "good", "pass": "good", "passed": "good", "yes": "good",
    "contradicted": "bad", "failed": "bad", "fail": "bad", "no": "bad",
    "depends": "mixed", "partly supported": "mixed", "warning": "mixed",
    "not testable with these data": "none", "not testable": "none", "not applicable": "none",
    "converged": "good", "boundary": "mixed", "iteration limit": "bad", "time limit": "bad",
    "not converged": "bad", "error": "bad", "skipped": "none",
}
LABELS = {
    "p_value": "p", "std_error": "SE", "ci_low": "CI low", "ci_high": "CI high", "n": "n",
    "estimate": "estimate", "sd": "SD", "df": "df", "ave": "AVE", "rho_c": "ρc", "rho_a": "ρA",
    "alpha": "α", "vif": "VIF", "htmt": "HTMT", "r2": "R²", "r2_adj": "adj. R²", "f2": "f²",
    "q2_predict": "Q² predict", "rmsea": "RMSEA", "cfi": "CFI", "tli": "TLI", "srmr": "SRMR",
    "chi2": "χ²", "clv": "CLV", "aic": "AIC", "bic": "BIC", "auc": "AUC", "se": "SE",
}


TOKENS = {  # words inside snake_case names: weight_se → "weight SE", rmsea_ci_low → "RMSEA CI low"
    "se": "SE", "sd": "SD", "ci": "CI", "ave": "AVE", "vif": "VIF", "htmt": "HTMT", "r2": "R²",
    "f2": "f²", "q2": "Q²", "rmsea": "RMSEA", "cfi": "CFI", "tli": "TLI", "srmr": "SRMR",
    "chi2": "χ²", "clv": "CLV", "aic": "AIC", "bic": "BIC", "auc": "AUC", "pct": "%",
    "rmse": "RMSE", "mae": "MAE", "lm": "LM", "pls": "PLS", "ols": "OLS", "ipw": "IPW",
    "aipw": "AIPW", "rfm": "RFM", "id": "ID", "df": "df", "std": "std.",
}


def is_p_column(name: str) -> bool:
    """True for a column holding p values (``p_value``, ``p``, ``chi2_p``, ``p_adj`` …)."""
    return bool(_P_NAME.search(str(name).lower()))


def label(name: Any) -> str:
    """Readable header for a column name: known abbreviations, else words for underscores."""
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    if text.isupper() or " " in text:
        return text  # construct names (SAT, LOY) and labels already in words
    return " ".join(TOKENS.get(t, t) for t in text.split("_"))


def format_p(v: float) -> str:
    """``< 0.001`` below one in a thousand, else three decimals (APA 7th ed., §6.36)."""
    if v < 0.001:
        return "< 0.001"
    return f"{v:.3f}"


def _thousands(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def _decimals_for(values: np.ndarray) -> int:
    """Decimals from the column's typical magnitude: 0 from 1,000, 1 from 100, 2 from 10, else 3
    (more only for columns whose values are all below 0.01, so they do not print as 0.000)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 3
    typical = float(np.median(finite))
    if typical >= 1000:
        return 0
    if typical >= 100:
        return 1
    if typical >= 10:
        return 2
    nonzero = finite[finite > 0]
    if nonzero.size and float(nonzero.max()) < 0.01:
        return min(8, 2 - int(math.floor(math.log10(float(nonzero.max())))))
    return 3


def _exact_decimals(values: np.ndarray, most: int) -> int:
    """Fewest decimals (≤ ``most``) that show every value exactly: medians 7.5 and 8 as "7.5"
    and "8.0" rather than "7.500" and "8.000"."""
    finite = values[np.isfinite(values)]
    for d in range(most + 1):
        if np.all(np.abs(finite - np.round(finite, d)) <= 1e-9 * np.maximum(1.0, np.abs(finite))):
            return max(d, 1) if d < most else d
    return most


def _is_int_valued(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(finite == np.round(finite))) and \
        bool(np.all(np.abs(finite) < 1e15))


def format_column(series: pd.Series) -> list[str]:
    """Display strings for one column (no scientific notation, thousands separators)."""
    name = str(series.name)
    if _is_boolish(series):
        return ["n/a" if _missing(v) else "yes" if bool(v) else "no" for v in series]
    if not pd.api.types.is_numeric_dtype(series):
        return ["" if _missing(v) else _text(v) for v in series]
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if is_p_column(name):
        return ["" if math.isnan(v) else format_p(v) for v in values]
    if pd.api.types.is_integer_dtype(series) or _is_int_valued(values):
        return ["" if math.isnan(v) else _thousands(v, 0) for v in values]
    if name in ("value", "statistic_value"):  # mixed statistics: counts stay whole
        return ["" if math.isnan(v) else _thousands(v, 0) if v == round(v) and abs(v) >= 1
                else _thousands(v, _decimals_for(np.array([v]))) for v in values]
    dec = _exact_decimals(values, _decimals_for(values))
    return ["" if math.isnan(v) else ("∞" if v > 0 else "−∞") if math.isinf(v)
            else _thousands(v, dec) for v in values]


def _missing(v: Any) -> bool:
    """Missing, or a rule that does not apply ("not applicable")."""
    if isinstance(v, str):
        return v.strip().lower() in _NOT_APPLICABLE
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return format_column(pd.Series([float(v)]))[0]
    return str(v)


@dataclass
class Flag:
    """A threshold rule: boolean ``column`` (True = met) shown on the cells of ``target``."""

    column: str
    target: str | None


def _is_boolish(series: pd.Series) -> bool:
    """Boolean column, possibly with missing values ("not applicable")."""
    if pd.api.types.is_bool_dtype(series):
        return True
    if series.dtype != object:
        return False
    present = [v for v in series if not _missing(v)]
    return bool(present) and all(isinstance(v, bool | np.bool_) for v in present)


def _failed(v: Any) -> bool:
    return not _missing(v) and not bool(v)


KEY_RESULTS = ("verdict", "estimate", "relative_lift", "power")
WIDE = 9


def key_first(columns: list[str], first: Sequence[str], df: pd.DataFrame) -> list[str]:
    """Display order: ``first`` columns at the front; in a wide table (more than ``WIDE``
    columns) the main result column (the first of ``KEY_RESULTS`` present) moves to just after
    the leading label columns, so it is on screen next to the sticky key column."""
    order = [c for c in first if c in columns]
    rest = [c for c in columns if c not in order]
    if not order and len(columns) > WIDE:
        key = next((c for c in KEY_RESULTS if c in rest), None)
        if key is not None:
            labels = 0
            while labels < len(rest) and not pd.api.types.is_numeric_dtype(df[rest[labels]]):
                labels += 1
            rest.remove(key)
            rest.insert(min(labels, len(rest)), key)
    return order + rest


def meaningful_index(index: pd.Index) -> bool:
    """True if the index carries information worth a column: it has a name (or names), or
    holds labels; False for a RangeIndex and for the unnamed integer positions left over from
    filtering rows (a "stray index")."""
    if isinstance(index, pd.MultiIndex):
        return True
    if index.name is not None:
        return True
    return not (isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index))


def find_flags(df: pd.DataFrame) -> list[Flag]:
    """Boolean ``X_ok``/``X_ok_N`` columns (and bare ``ok``/``passed``, which check ``value``);
    ``target`` is ``X`` when the table has it (``vif_ok_5`` → ``vif``), else None (the rule is
    shown as its own symbol column). "not applicable" entries are neither passes nor fails."""
    flags = []
    for col in df.columns:
        if not _is_boolish(df[col]):
            continue
        m = _FLAG_NAME.match(str(col))
        if m:
            target = m.group("target") or "value"  # a bare ok/passed column checks "value"
            flags.append(Flag(str(col), target if target in df.columns else None))
    return flags


def table_html(df: pd.DataFrame, caption: str | None = None, *, name: str | None = None,
               csv_link: str | None = None, note: str | None = None,
               first_columns: Sequence[str] = ()) -> str:
    """A formatted, escaped HTML table inside its own scrolling box.

    ``caption`` becomes ``<caption>`` (numbered by the renderer); ``csv_link`` adds a link to
    the full-precision CSV; threshold flags (see :func:`find_flags`) are drawn on their target
    cells with a legend; ``first_columns`` are moved to the front (else, in a wide table, the
    main result column follows the label columns: :func:`key_first`).
    """
    shown = df.copy()
    if meaningful_index(shown.index):
        shown = shown.reset_index()
    else:
        shown = shown.reset_index(drop=True)
    shown.columns = [str(c) for c in shown.columns]
    shown = shown[key_first(list(shown.columns), first_columns, shown)]
    flags = find_flags(shown)
    hidden = {f.column for f in flags if f.target is not None}
    columns = [c for c in shown.columns if c not in hidden]
    cells = {c: format_column(shown[c]) for c in columns}
    fails: dict[str, list[list[str]]] = {c: [[] for _ in range(len(shown))] for c in columns}
    for f in flags:
        where = f.target if f.target is not None else f.column
        for i, ok in enumerate(shown[f.column].tolist()):
            if _failed(ok):
                fails[where][i].append(f.column)
            elif f.target is not None and _missing(ok) and not cells[where][i]:
                cells[where][i] = "n/a"  # the rule does not apply (one-item, mode B …)
        if f.target is None:
            cells[f.column] = ["n/a" if _missing(v) else PASS_SYMBOL if bool(v) else FAIL_SYMBOL
                               for v in shown[f.column]]
    head = "".join(
        f"<th scope='col' title='{html.escape(c)}'>{html.escape(label(c))}</th>" for c in columns)
    rows = []
    for i in range(len(shown)):
        tds = []
        for j, c in enumerate(columns):
            text = html.escape(cells[c][i])
            cls = []
            if pd.api.types.is_numeric_dtype(shown[c]) and not _is_boolish(shown[c]):
                cls.append("num")
            if len(cells[c][i]) > 32:
                cls.append("long")
            if fails[c][i]:
                cls.append("fail")
                rule = ", ".join(fails[c][i])
                if c not in {f.column for f in flags}:
                    text = f"{text} <span class='sym' title='{html.escape(rule)}'>" \
                           f"{FAIL_SYMBOL}</span>"
            elif c.lower() in _BADGE_COLUMNS and cells[c][i]:
                kind = _BADGE_CLASS.get(cells[c][i].strip().lower(), "none")
                text = f"<span class='badge {kind}'>{text}</span>"
            attr = f" class='{' '.join(cls)}'" if cls else ""
            tag = "th scope='row'" if j == 0 else "td"
            tds.append(f"<{tag}{attr}>{text}</{tag.split()[0]}>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    cap = ""
    if caption:
        cap = f"<caption><span class='tnum'></span>{html.escape(caption)}</caption>"
    legend = _legend(flags, shown)
    extra = []
    if note:
        extra.append(html.escape(note))
    if csv_link:
        extra.append(f"Full table at full precision: <a href='{html.escape(csv_link)}'>"
                     f"{html.escape(csv_link)}</a>.")
    notes = f"<p class='table-note'>{' '.join(extra)}</p>" if extra else ""
    anchor = f" id='tbl-{html.escape(name)}'" if name else ""
    return (f"<div class='table-block'{anchor}><div class='table-wrap' tabindex='0' "
            f"role='region' aria-label='{html.escape(caption or name or 'table')}'>"
            f"<table class='data'>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            f"</tbody></table></div>{legend}{notes}</div>")


def _legend(flags: list[Flag], shown: pd.DataFrame) -> str:
    if not flags:
        return ""
    failing = [f for f in flags if any(_failed(v) for v in shown[f.column])]
    rules = ", ".join(f"<code>{html.escape(f.column)}</code>" for f in flags)
    if failing:
        text = (f"<span class='fail sym'>{FAIL_SYMBOL}</span> highlighted cells miss their "
                f"threshold rule ({rules}; the rule columns are in the CSV).")
    else:
        text = f"Every value meets its threshold rule ({rules}; the rule columns are in the CSV)."
    return f"<p class='legend'>{text}</p>"
