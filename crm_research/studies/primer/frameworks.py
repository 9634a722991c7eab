"""The source texts' definitions and frameworks as data: the package file ``frameworks.yaml``,
one primer theme per theme of the inventory's cross-reference table, each with its frameworks
(lists and models, items tagged by view or kind, inventory ids), the primer functions that
compute it and one short exercise with its answer.
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

import pandas as pd

from crm_research.errors import ParameterError, SpecError
from crm_research.studies.package_yaml import read_entries

__all__ = ["load_frameworks", "theme_ids", "theme", "framework_table", "theme_html",
           "themes_table"]

_THEME_KEYS = ("id", "title", "intro", "frameworks", "exercise", "answer")


@cache
def _file() -> tuple[dict[str, Any], ...]:
    themes = read_entries("frameworks.yaml", "themes")
    for t in themes:
        miss = [k for k in _THEME_KEYS if not t.get(k)]
        if miss:
            raise SpecError(f"frameworks.yaml: theme {t.get('id')!r} lacks {miss}")
        for f in t["frameworks"]:
            if not f.get("name") or not f.get("items") or not f.get("refs"):
                raise SpecError(f"frameworks.yaml: a framework of theme {t['id']!r} lacks "
                                "name, refs or items")
            for it in f["items"]:
                if not all(str(it.get(k, "")).strip() for k in ("label", "text", "ref")):
                    raise SpecError(f"frameworks.yaml: an item of {f['name']!r} lacks label, "
                                    "text or ref")
        for k in ("intro", "exercise", "answer"):
            t[k] = " ".join(str(t[k]).split())
    return tuple(themes)


def load_frameworks() -> list[dict[str, Any]]:
    """The themes of frameworks.yaml (validated; SpecError naming what is wrong)."""
    return list(_file())


def theme_ids() -> list[str]:
    """Ids of the primer themes, in primer order."""
    return [t["id"] for t in _file()]


def theme(theme_id: str) -> dict[str, Any]:
    """One theme by id (ParameterError listing the known ids)."""
    for t in _file():
        if t["id"] == theme_id:
            return t
    raise ParameterError(f"primer theme {theme_id!r} unknown; known: {theme_ids()}")


def framework_table(theme_id: str) -> pd.DataFrame:
    """The frameworks of one theme as rows: framework, item, text, tag, inventory_id."""
    rows = [{"framework": f["name"], "item": str(it["label"]), "text": it["text"],
             "tag": it.get("tag", ""), "inventory_id": it["ref"]}
            for f in theme(theme_id)["frameworks"] for it in f["items"]]
    return pd.DataFrame(rows)


def themes_table() -> pd.DataFrame:
    """One row per theme: id, title, frameworks (count), items (count), inventory ids cited,
    computed functions."""
    rows = []
    for t in _file():
        refs = sorted({r for f in t["frameworks"] for r in f["refs"]}
                      | {it["ref"] for f in t["frameworks"] for it in f["items"]})
        rows.append({"id": t["id"], "title": t["title"], "frameworks": len(t["frameworks"]),
                     "items": sum(len(f["items"]) for f in t["frameworks"]),
                     "inventory_ids": len(refs), "computed": ", ".join(t.get("computed", []))})
    return pd.DataFrame(rows)


def theme_html(theme_id: str, number: int | str | None = None) -> str:
    """HTML of one theme for the primer: heading, intro, exercise and the folded answer (the
    framework items are shown as a table by the notebook). Braces are doubled so the text can
    be passed as a template to :func:`crm_research.report.say`."""
    t = theme(theme_id)
    head = f"{number}. {t['title']}" if number is not None else t["title"]
    out = (f"<h3>{html.escape(head)}</h3><p>{html.escape(t['intro'])}</p>"
           f"<p><b>Exercise.</b> {html.escape(t['exercise'])}</p>"
           f"<details class='answer'><summary>Answer</summary>{html.escape(t['answer'])}"
           f"</details>")
    return out.replace("{", "{{").replace("}", "}}")
