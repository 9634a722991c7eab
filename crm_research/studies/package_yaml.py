"""The studies' data files (``claims.yaml``, ``sources.yaml``, ``frameworks.yaml``,
``glossary.yaml`` in this package): one reader, so every file is parsed, shaped and checked for
duplicate ids the same way, and every problem is one :class:`SpecError` naming the file."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from crm_research.errors import SpecError


def read_mapping(file: str) -> dict[str, Any]:
    """The top-level mapping of package file ``crm_research/studies/<file>``."""
    text = resources.files("crm_research.studies").joinpath(file).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"crm_research/studies/{file} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"crm_research/studies/{file}: expected a mapping at top level")
    return data


def read_entries(file: str, key: str, id_key: str | None = "id",
                 data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The non-empty list of mappings under ``key`` of ``file`` (or of its already read
    ``data``); with ``id_key``, each entry's id must be unique."""
    data = read_mapping(file) if data is None else data
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"crm_research/studies/{file} must hold a non-empty {key!r} list")
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise SpecError(f"{file}: {key} entry {i} is not a mapping")
        if id_key is not None:
            ident = str(entry.get(id_key, ""))
            if ident in seen:
                raise SpecError(f"{file}: {key} entry {i} repeats {id_key} {ident!r}")
            seen.add(ident)
    return entries
