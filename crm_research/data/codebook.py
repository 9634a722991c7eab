"""Survey codebooks: item → construct mapping, scale, wording (English and Persian), and the
check of a user's survey data against them (one YAML format, shared by notebooks, CLI and tests).

Built-in codebooks are package data (``crm_research/data/codebooks/*.yaml``); a user's codebook
is a YAML file in the same format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from crm_research.errors import DataError, SpecError


@dataclass(frozen=True)
class Codebook:
    """Item → construct mapping, scale and wording of a survey data set."""

    name: str
    dataset: str | None
    title: str
    source: str
    scale_min: float
    scale_max: float
    missing_codes: tuple[float, ...]
    constructs: dict[str, dict[str, Any]]
    other_columns: dict[str, Any]

    @property
    def blocks(self) -> dict[str, list[str]]:
        """Construct → item columns."""
        return {c: list(v["items"]) for c, v in self.constructs.items()}

    def items_frame(self) -> pd.DataFrame:
        """One row per item: construct, construct label, item, wording, scale min/max."""
        rows = []
        for c, v in self.constructs.items():
            for item, meta in v["items"].items():
                meta = meta or {}
                scale = meta.get("scale") or {}
                rows.append({
                    "construct": c,
                    "construct_label": v.get("label", c),
                    "item": item,
                    "wording": meta.get("wording") or meta.get("description", ""),
                    "scale_min": scale.get("min", self.scale_min),
                    "scale_max": scale.get("max", self.scale_max),
                })
        return pd.DataFrame(rows)

    def check_data(self, df: pd.DataFrame, where: str = "data") -> None:
        """Check that ``df`` has every item column, numeric, within the scale (NaN allowed)."""
        items = self.items_frame()
        missing = [i for i in items["item"] if i not in df.columns]
        if missing:
            raise DataError(
                f"{where}: codebook {self.name!r} expects item column(s) {missing} which are "
                f"not in the data (columns: {list(df.columns)[:30]})"
            )
        for _, r in items.iterrows():
            col = df[r["item"]]
            if not pd.api.types.is_numeric_dtype(col):
                raise DataError(f"{where}, column {r['item']!r}: expected numeric item scores, "
                                f"got dtype {col.dtype}")
            out = col.notna() & ((col < r["scale_min"]) | (col > r["scale_max"]))
            if out.any():
                row = int(np.flatnonzero(out.to_numpy())[0])
                raise DataError(
                    f"{where}, column {r['item']!r}, row {row}: value {col.iloc[row]} outside "
                    f"the scale {r['scale_min']:g}..{r['scale_max']:g} of codebook {self.name!r}"
                )


def _parse_codebook(raw: Any, origin: str) -> Codebook:
    if not isinstance(raw, dict):
        raise SpecError(f"codebook {origin}: expected a YAML mapping at top level")
    for key in ("name", "scale", "constructs"):
        if key not in raw:
            raise SpecError(f"codebook {origin}: missing required key {key!r}")
    scale = raw["scale"]
    if not isinstance(scale, dict) or "min" not in scale or "max" not in scale:
        raise SpecError(f"codebook {origin}: 'scale' must be a mapping with 'min' and 'max'")
    if not float(scale["min"]) < float(scale["max"]):
        raise SpecError(f"codebook {origin}: scale min {scale['min']} must be below "
                        f"max {scale['max']}")
    constructs = raw["constructs"]
    if not isinstance(constructs, dict) or not constructs:
        raise SpecError(f"codebook {origin}: 'constructs' must be a non-empty mapping")
    seen: dict[str, str] = {}
    for cname, cdef in constructs.items():
        items = cdef.get("items") if isinstance(cdef, dict) else None
        if not isinstance(items, dict) or not items:
            raise SpecError(f"codebook {origin}: construct {cname!r} needs a non-empty "
                            "'items' mapping")
        for item in cdef["items"]:
            if item in seen:
                raise SpecError(f"codebook {origin}: item {item!r} is listed under both "
                                f"{seen[item]!r} and {cname!r}")
            seen[item] = cname
    return Codebook(
        name=str(raw["name"]), dataset=raw.get("dataset"), title=str(raw.get("title", raw["name"])),
        source=str(raw.get("source", "")), scale_min=float(scale["min"]),
        scale_max=float(scale["max"]),
        missing_codes=tuple(float(x) for x in raw.get("missing_codes", []) or []),
        constructs=constructs, other_columns=raw.get("other_columns", {}) or {},
    )


def codebook_names() -> list[str]:
    """Names of the built-in codebooks (package data ``crm_research/data/codebooks/*.yaml``)."""
    folder = resources.files("crm_research.data") / "codebooks"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_codebook(name_or_path: str | os.PathLike[str]) -> Codebook:
    """Load a built-in codebook by name, or a codebook YAML file by path."""
    text: str
    origin = str(name_or_path)
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise SpecError(f"codebook file {candidate} not found")
        text = candidate.read_text(encoding="utf-8")
    else:
        res = resources.files("crm_research.data") / "codebooks" / f"{name_or_path}.yaml"
        if not res.is_file():
            raise SpecError(f"unknown codebook {origin!r}; built-in: {', '.join(codebook_names())}")
        text = res.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"codebook {origin}: invalid YAML: {exc}") from exc
    return _parse_codebook(raw, origin)
