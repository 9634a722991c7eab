"""The source register: every item of the inventory of the five Persian source texts, with a
one-line summary, its Persian key terms and how the project meets it (package file
``sources.yaml``; format in its header).

:func:`load_sources` reads and validates the register; :func:`register_table` flattens it to
one row per (item, way met); :func:`reference_problems` lists every reference that points to
nothing (a claim id not in ``claims.yaml``, a primer section not in ``frameworks.yaml``, a
study without ``notebooks/<study>.yaml``, an output or section the study's notebook does not
show); :func:`missing_ids` compares the register with the inventory's ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from crm_research.errors import SpecError
from crm_research.studies.package_yaml import read_entries

__all__ = ["KINDS", "WAYS", "INVENTORY_COUNTS", "inventory_ids", "load_sources",
           "register_table", "missing_ids", "reference_problems", "context_items",
           "inventory_ids_from_markdown"]

KINDS: tuple[str, ...] = ("CONCEPT", "FRAMEWORK", "PROCESS", "CASE", "CLAIM")
WAYS: tuple[str, ...] = ("computed", "taught", "audited", "context")
#: Number of inventory items per source text (INVENTORY.md: 239 items, ids numbered from 1).
INVENTORY_COUNTS: dict[str, int] = {"000": 31, "001": 124, "002": 60, "003": 7, "004": 17}
_NEEDS = {"computed": ("study", "section", "output"), "taught": ("section", "exercise"),
          "audited": ("claim",), "context": ("reason",)}
_ID = re.compile(r"^\d{3}-\d{2,3}$")


def inventory_ids() -> list[str]:
    """The 239 inventory ids, text by text ("000-01" … "004-17")."""
    return [f"{text}-{k:02d}" for text, n in INVENTORY_COUNTS.items() for k in range(1, n + 1)]


def inventory_ids_from_markdown(text: str) -> dict[str, str]:
    """id → kind of every item of an INVENTORY.md text (lines '- **001-58 · CLAIM** · ...')."""
    return dict(re.findall(r"^- \*\*(\d{3}-\d+) · (\w+)\*\*", text, re.M))


@cache
def _items() -> tuple[dict[str, Any], ...]:
    items = read_entries("sources.yaml", "items")
    for it in items:
        iid = str(it.get("id", ""))
        if not _ID.match(iid):
            raise SpecError(f"sources.yaml: item id {iid!r} is not of the form '001-58'")
        if it.get("kind") not in KINDS:
            raise SpecError(f"sources.yaml: item {iid} kind must be one of {list(KINDS)}, "
                            f"got {it.get('kind')!r}")
        if not str(it.get("summary", "")).strip():
            raise SpecError(f"sources.yaml: item {iid} lacks a summary")
        if not isinstance(it.get("terms", []), list):
            raise SpecError(f"sources.yaml: item {iid} terms must be a list")
        meets = it.get("meets") or []
        if not meets:
            raise SpecError(f"sources.yaml: item {iid} says nowhere how the project meets it")
        for m in meets:
            how = m.get("how")
            if how not in WAYS:
                raise SpecError(f"sources.yaml: item {iid}: 'how' must be one of {list(WAYS)}, "
                                f"got {how!r}")
            miss = [k for k in _NEEDS[how] if not str(m.get(k, "")).strip()]
            if miss:
                raise SpecError(f"sources.yaml: item {iid}: a '{how}' entry lacks {miss}")
        if it["kind"] == "CLAIM" and not any(m["how"] == "audited" for m in meets):
            raise SpecError(f"sources.yaml: claim {iid} is not audited")
    return tuple(items)


def load_sources() -> pd.DataFrame:
    """One row per item: id, text, kind, lines, summary, terms (joined by ' · '), ways (the
    ways it is met, joined by ', ')."""
    return pd.DataFrame([{"id": it["id"], "text": it["id"][:3], "kind": it["kind"],
                          "lines": it.get("lines", ""), "summary": it["summary"],
                          "terms": " · ".join(it.get("terms", [])),
                          "ways": ", ".join(dict.fromkeys(m["how"] for m in it["meets"]))}
                         for it in _items()])


def register_table() -> pd.DataFrame:
    """One row per (item, way met): id, kind, how, study, section, output, claim, reason."""
    rows = []
    for it in _items():
        for m in it["meets"]:
            rows.append({"id": it["id"], "kind": it["kind"], "how": m["how"],
                         "study": m.get("study", "crm_primer" if m["how"] == "taught" else ""),
                         "section": m.get("section", ""), "output": m.get("output", ""),
                         "claim": m.get("claim", ""), "reason": m.get("reason", "")})
    return pd.DataFrame(rows)


def context_items() -> pd.DataFrame:
    """Items met only as context: id, kind, summary, reason."""
    rows = [{"id": it["id"], "kind": it["kind"], "summary": it["summary"],
             "reason": "; ".join(m["reason"] for m in it["meets"] if m["how"] == "context")}
            for it in _items() if all(m["how"] == "context" for m in it["meets"])]
    return pd.DataFrame(rows, columns=["id", "kind", "summary", "reason"])


def missing_ids(expected: Iterable[str] | None = None) -> list[str]:
    """Inventory ids (default :func:`inventory_ids`) absent from the register, plus register
    ids that are not inventory ids (prefixed 'unknown ')."""
    want = list(expected) if expected is not None else inventory_ids()
    have = [it["id"] for it in _items()]
    return [i for i in want if i not in set(have)] + \
        [f"unknown {i}" for i in have if i not in set(want)]


def _notebook_parts(path: Path) -> tuple[set[str], list[str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    names = set(re.findall(r"show_(?:table|figure)\([^\"]*?f?\"([A-Za-z0-9_]+)\"", code, re.S))
    heads = [ln.lstrip("#").strip() for c in nb["cells"] if c["cell_type"] == "markdown"
             for ln in "".join(c["source"]).splitlines() if ln.startswith("#")]
    return names, heads


def reference_problems(notebooks_dir: str | Path) -> list[str]:
    """Every reference of the register that points to nothing (empty list = all resolve).

    audited → the claim id exists in claims.yaml; taught → the section is a theme id of
    frameworks.yaml; computed → ``notebooks_dir/<study>.yaml`` and ``.ipynb`` exist, the
    notebook shows a table or figure named ``output``, and ``section`` is a theme id (for
    crm_primer) or part of a heading of the notebook (other studies)."""
    from crm_research.studies.claims import load_claims
    from crm_research.studies.primer.frameworks import theme_ids

    nbdir = Path(notebooks_dir)
    claims = set(load_claims()["id"])
    themes = set(theme_ids())
    cache_nb: dict[str, tuple[set[str], list[str]] | None] = {}
    problems = []
    for it in _items():
        for m in it["meets"]:
            where = f"{it['id']} ({m['how']})"
            if m["how"] == "audited" and m["claim"] not in claims:
                problems.append(f"{where}: claim {m['claim']!r} not in claims.yaml")
            elif m["how"] == "taught" and m["section"] not in themes:
                problems.append(f"{where}: primer section {m['section']!r} not in "
                                "frameworks.yaml")
            elif m["how"] == "computed":
                study = m["study"]
                if study not in cache_nb:
                    ok = (nbdir / f"{study}.yaml").is_file() and \
                        (nbdir / f"{study}.ipynb").is_file()
                    cache_nb[study] = _notebook_parts(nbdir / f"{study}.ipynb") if ok else None
                parts = cache_nb[study]
                if parts is None:
                    problems.append(f"{where}: study {study!r} has no notebooks/{study}.yaml "
                                    "and .ipynb")
                    continue
                names, heads = parts
                if m["output"] not in names:
                    problems.append(f"{where}: {study} shows no table or figure "
                                    f"{m['output']!r}")
                if study == "crm_primer":
                    if m["section"] not in themes:
                        problems.append(f"{where}: primer section {m['section']!r} not in "
                                        "frameworks.yaml")
                elif not any(m["section"] in h for h in heads):
                    problems.append(f"{where}: {study} has no heading containing "
                                    f"{m['section']!r}")
    return problems
