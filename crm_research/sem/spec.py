"""Model specification of a PLS path model (one format for notebooks, CLI and tests).

A model is a YAML file, or the same structure as a Python dict::

    name: ECSI satisfaction
    data: ecsi_satisfaction        # bundled data set name, or a path to a CSV
    scale: {min: 1, max: 10}       # optional: theoretical item scale (used by IPMA)
    constructs:
      IMAG: {items: [imag1, imag2, imag3, imag4, imag5], mode: A}
      SAT:  {items: [sat1, sat2, sat3, sat4]}          # mode defaults to A
    paths:                         # target: [sources]
      SAT: [IMAG]
    interactions:                  # optional (moderation, two-stage approach)
      SAT_x_IMAG: {of: [SAT, IMAG], method: two_stage}
    codebook: ecsi_satisfaction    # optional

Constructs are kept in a topological order of the structural model (sources before targets,
ties broken by the order of declaration), which is the lower-triangular ordering R plspm
requires of its path matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from crm_research._checks import plain, spreadsheet_rows
from crm_research.errors import DataError, SpecError

MODES = ("A", "B")
INTERACTION_METHODS = ("two_stage",)
_TOP_KEYS = {"name", "data", "constructs", "paths", "interactions", "codebook", "scale",
             "description", "group"}


@dataclass(frozen=True)
class Construct:
    """A construct (latent variable / composite) and its indicators."""

    name: str
    items: tuple[str, ...]
    mode: str = "A"


@dataclass(frozen=True)
class Interaction:
    """A moderation term: the product of the scores of two constructs."""

    name: str
    of: tuple[str, str]
    method: str = "two_stage"


@dataclass(frozen=True)
class ModelSpec:
    """A validated PLS path model specification (immutable).

    ``constructs`` are in topological order of ``paths``; ``paths`` are (source, target) pairs.
    Interaction terms (if any) may appear as sources in ``paths``.
    """

    name: str
    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    data: str | None = None
    interactions: tuple[Interaction, ...] = ()
    codebook: str | None = None
    scale: tuple[float, float] | None = None
    description: str = ""
    group: str | None = None
    group_labels: tuple[tuple[Any, str], ...] = ()
    item_scales: tuple[tuple[str, float, float], ...] = ()
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c.name: i for i, c in enumerate(self.constructs)})

    # -- helpers ---------------------------------------------------------------------------
    @property
    def construct_names(self) -> list[str]:
        """Construct names in topological order (sources before targets)."""
        return [c.name for c in self.constructs]

    @property
    def interaction_names(self) -> list[str]:
        return [t.name for t in self.interactions]

    @property
    def all_items(self) -> list[str]:
        """All indicator columns, block by block in construct order."""
        return [it for c in self.constructs for it in c.items]

    def construct(self, name: str) -> Construct:
        if name not in self._index:
            raise SpecError(f"model {self.name!r}: no construct named {name!r} "
                            f"(constructs: {', '.join(self.construct_names)})")
        return self.constructs[self._index[name]]

    def items_of(self, name: str) -> list[str]:
        """Indicator columns of construct ``name``."""
        return list(self.construct(name).items)

    def mode_of(self, name: str) -> str:
        return self.construct(name).mode

    @property
    def blocks(self) -> dict[str, list[str]]:
        """{construct: [items]} in construct order."""
        return {c.name: list(c.items) for c in self.constructs}

    def blocks_of_mode(self, mode: str = "A", min_items: int = 1) -> dict[str, list[str]]:
        """{construct: [items]} of the blocks in ``mode`` with at least ``min_items`` items."""
        return {c.name: list(c.items) for c in self.constructs
                if c.mode == mode and len(c.items) >= min_items}

    def scale_of(self, item: str) -> tuple[float, float] | None:
        """Theoretical (min, max) of an item: its own entry under ``scale.items``, else the
        model-wide ``scale``, else None."""
        for it, lo, hi in self.item_scales:
            if it == item:
                return (lo, hi)
        return self.scale

    @property
    def modes(self) -> dict[str, str]:
        return {c.name: c.mode for c in self.constructs}

    def predecessors(self, target: str) -> list[str]:
        """Sources with a path into ``target`` (constructs, then interaction terms)."""
        return [s for s, t in self.paths if t == target]

    def successors(self, source: str) -> list[str]:
        return [t for s, t in self.paths if s == source]

    @property
    def endogenous(self) -> list[str]:
        """Constructs that are the target of at least one path, in construct order."""
        targets = {t for _, t in self.paths}
        return [n for n in self.construct_names if n in targets]

    @property
    def exogenous(self) -> list[str]:
        """Constructs that are the target of no path, in construct order."""
        targets = {t for _, t in self.paths}
        return [n for n in self.construct_names if n not in targets]

    def adjacency(self, include_interactions: bool = False) -> pd.DataFrame:
        """0/1 matrix A with A.loc[source, target] = 1 for every path.

        (This is the transpose of R plspm's ``path_matrix``, whose rows are targets.)
        """
        names = self.construct_names + (self.interaction_names if include_interactions else [])
        a = pd.DataFrame(0, index=names, columns=names, dtype=int)
        for s, t in self.paths:
            if s in a.index:
                a.loc[s, t] = 1
        return a

    def without_interactions(self) -> ModelSpec:
        """The main-effects model: the same spec with interaction terms and their paths removed."""
        inter = set(self.interaction_names)
        return ModelSpec(
            name=self.name, constructs=self.constructs,
            paths=tuple(p for p in self.paths if p[0] not in inter),
            data=self.data, interactions=(), codebook=self.codebook, scale=self.scale,
            description=self.description, group=self.group, group_labels=self.group_labels,
            item_scales=self.item_scales,
        )

    def without_scale(self) -> ModelSpec:
        """The same spec with no declared item scale (for continuous or rescaled data)."""
        return replace(self, scale=None, item_scales=())

    def to_dict(self) -> dict[str, Any]:
        """The spec as a plain dict in the YAML format."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.data is not None:
            out["data"] = self.data
        if self.scale is not None or self.item_scales:
            sc: dict[str, Any] = {}
            if self.scale is not None:
                sc.update({"min": self.scale[0], "max": self.scale[1]})
            if self.item_scales:
                sc["items"] = {it: [lo, hi] for it, lo, hi in self.item_scales}
            out["scale"] = sc
        out["constructs"] = {c.name: {"items": list(c.items), "mode": c.mode}
                             for c in self.constructs}
        paths: dict[str, list[str]] = {}
        for s, t in self.paths:
            paths.setdefault(t, []).append(s)
        out["paths"] = paths
        if self.interactions:
            out["interactions"] = {i.name: {"of": list(i.of), "method": i.method}
                                   for i in self.interactions}
        if self.codebook is not None:
            out["codebook"] = self.codebook
        if self.group is not None:
            out["group"] = ({"column": self.group, "labels": dict(self.group_labels)}
                            if self.group_labels else self.group)
        return out


# -- parsing -------------------------------------------------------------------------------

def _as_str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where}: expected a list of names, got {value!r}")
    return list(value)


def _topological_order(names: list[str], edges: list[tuple[str, str]], model: str) -> list[str]:
    """Kahn's algorithm, ties broken by declaration order; a cycle → SpecError naming it."""
    preds = {n: {s for s, t in edges if t == n} for n in names}
    order: list[str] = []
    remaining = list(names)
    while remaining:
        ready = [n for n in remaining if not (preds[n] - set(order))]
        if not ready:
            cycle = _find_cycle(remaining, edges)
            raise SpecError(f"model {model!r}: the paths contain a cycle: "
                            f"{' -> '.join(cycle)}; a PLS path model must be recursive")
        order.append(ready[0])
        remaining.remove(ready[0])
    return order


def _find_cycle(nodes: list[str], edges: list[tuple[str, str]]) -> list[str]:
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        if s in succ and t in succ:
            succ[s].append(t)
    for start in nodes:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in succ[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return nodes  # pragma: no cover - only called when a cycle exists


def parse_spec(obj: Mapping[str, Any] | str | Path) -> ModelSpec:
    """Parse a model spec from a dict, a YAML string/file path → validated ModelSpec.

    Checks the structure only (see ``validate_against`` for checks against a data set):
    unknown keys, construct with no items, bad mode, item in two constructs, unknown construct
    in paths, self-loops and cycles, malformed interactions.
    """
    if isinstance(obj, Path) or (isinstance(obj, str) and "\n" not in obj
                                 and obj.endswith((".yaml", ".yml"))):
        path = Path(obj)
        if not path.is_file():
            raise SpecError(f"model file {str(path)!r} does not exist")
        try:
            obj = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise SpecError(f"model file {str(path)!r} is not valid YAML: {exc}") from exc
    elif isinstance(obj, str):
        try:
            obj = yaml.safe_load(obj)
        except yaml.YAMLError as exc:
            raise SpecError(f"model text is not valid YAML: {exc}") from exc
    if not isinstance(obj, Mapping):
        raise SpecError(f"a model spec must be a mapping, got {type(obj).__name__}")
    unknown = set(obj) - _TOP_KEYS
    if unknown:
        raise SpecError(f"model spec: unknown key(s) {sorted(unknown)}; "
                        f"allowed: {sorted(_TOP_KEYS)}")
    name = str(obj.get("name", "model"))
    raw_constructs = obj.get("constructs")
    if not isinstance(raw_constructs, Mapping) or not raw_constructs:
        raise SpecError(f"model {name!r}: 'constructs' must be a non-empty mapping "
                        "{NAME: {items: [...], mode: A|B}}")

    constructs: dict[str, Construct] = {}
    owner: dict[str, str] = {}
    for cname, body in raw_constructs.items():
        cname = str(cname)
        if isinstance(body, (list, tuple)):
            body = {"items": body}
        if not isinstance(body, Mapping):
            raise SpecError(f"model {name!r}: construct {cname!r} must be a mapping with 'items'")
        extra = set(body) - {"items", "mode", "label"}
        if extra:
            raise SpecError(f"model {name!r}: construct {cname!r} has unknown key(s) "
                            f"{sorted(extra)}")
        items = _as_str_list(body.get("items", []), f"model {name!r}: construct {cname!r} items")
        if not items:
            raise SpecError(f"model {name!r}: construct {cname!r} has no items")
        if len(set(items)) != len(items):
            raise SpecError(f"model {name!r}: construct {cname!r} lists an item twice")
        mode = str(body.get("mode", "A")).upper()
        if mode not in MODES:
            raise SpecError(f"model {name!r}: construct {cname!r} has mode {mode!r}; "
                            f"expected one of {MODES}")
        for it in items:
            if it in owner:
                raise SpecError(f"model {name!r}: item {it!r} is in two constructs "
                                f"({owner[it]!r} and {cname!r})")
            owner[it] = cname
        constructs[cname] = Construct(cname, tuple(items), mode)

    interactions: dict[str, Interaction] = {}
    raw_inter = obj.get("interactions") or {}
    if not isinstance(raw_inter, Mapping):
        raise SpecError(f"model {name!r}: 'interactions' must be a mapping")
    for iname, body in raw_inter.items():
        iname = str(iname)
        if iname in constructs:
            raise SpecError(f"model {name!r}: interaction {iname!r} has the name of a construct")
        if not isinstance(body, Mapping) or "of" not in body:
            raise SpecError(f"model {name!r}: interaction {iname!r} needs 'of: [X, M]'")
        of = _as_str_list(body["of"], f"model {name!r}: interaction {iname!r} 'of'")
        if len(of) != 2 or of[0] == of[1]:
            raise SpecError(f"model {name!r}: interaction {iname!r} must be of two different "
                            f"constructs, got {of}")
        for c in of:
            if c not in constructs:
                raise SpecError(f"model {name!r}: interaction {iname!r} refers to unknown "
                                f"construct {c!r}")
        method = str(body.get("method", "two_stage"))
        if method not in INTERACTION_METHODS:
            raise SpecError(f"model {name!r}: interaction {iname!r} method {method!r}; "
                            f"expected one of {INTERACTION_METHODS}")
        interactions[iname] = Interaction(iname, (of[0], of[1]), method)

    raw_paths = obj.get("paths")
    if not isinstance(raw_paths, Mapping) or not raw_paths:
        raise SpecError(f"model {name!r}: 'paths' must be a non-empty mapping "
                        "{target: [sources]}")
    edges: list[tuple[str, str]] = []
    for target, sources in raw_paths.items():
        target = str(target)
        if target not in constructs:
            what = "an interaction term" if target in interactions else "an unknown construct"
            raise SpecError(f"model {name!r}: path target {target!r} is {what}; "
                            f"known constructs: {', '.join(constructs)}")
        for s in _as_str_list(sources, f"model {name!r}: sources of {target!r}"):
            if s not in constructs and s not in interactions:
                raise SpecError(f"model {name!r}: path {s!r} -> {target!r} names unknown "
                                f"construct {s!r}")
            if s == target:
                raise SpecError(f"model {name!r}: path {s!r} -> {target!r} is a self-loop "
                                "(a cycle)")
            if (s, target) in edges:
                raise SpecError(f"model {name!r}: path {s!r} -> {target!r} is listed twice")
            edges.append((s, target))
    for iname, inter in interactions.items():
        if not any(s == iname for s, _ in edges):
            raise SpecError(f"model {name!r}: interaction {iname!r} is not used in any path")
        for s, t in edges:
            if s == iname and t in inter.of:
                raise SpecError(f"model {name!r}: interaction {iname!r} cannot point at one of "
                                f"its own constructs ({t!r})")
    construct_edges = [(s, t) for s, t in edges if s in constructs]
    involved = {c for e in construct_edges for c in e} | {t for _, t in edges}
    for inter in interactions.values():
        involved |= set(inter.of)
    isolated = [c for c in constructs if c not in involved]
    if isolated:
        raise SpecError(f"model {name!r}: construct(s) {isolated} are in no path")
    order = _topological_order(list(constructs), construct_edges, name)

    scale = obj.get("scale")
    scale_t: tuple[float, float] | None = None
    item_scales: list[tuple[str, float, float]] = []
    if isinstance(scale, Mapping) and "items" in scale:
        scale = dict(scale)
        per_item = scale.pop("items") or {}
        if not isinstance(per_item, Mapping):
            raise SpecError(f"model {name!r}: 'scale.items' must map item -> [min, max]")
        for it, rng_ in per_item.items():
            if it not in owner:
                raise SpecError(f"model {name!r}: 'scale.items' names unknown item {it!r}")
            try:
                lo_i, hi_i = float(rng_[0]), float(rng_[1])
            except (TypeError, ValueError, IndexError, KeyError) as exc:
                raise SpecError(f"model {name!r}: scale of item {it!r} must be [min, max], "
                                f"got {rng_!r}") from exc
            if not hi_i > lo_i:
                raise SpecError(f"model {name!r}: scale of item {it!r}: max {hi_i} must "
                                f"exceed min {lo_i}")
            item_scales.append((str(it), lo_i, hi_i))
        if not scale:
            scale = None
    if scale is not None:
        try:
            lo, hi = (float(scale["min"]), float(scale["max"])) if isinstance(scale, Mapping) \
                else (float(scale[0]), float(scale[1]))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SpecError(f"model {name!r}: 'scale' must be {{min: x, max: y}}, "
                            f"got {scale!r}") from exc
        if not hi > lo:
            raise SpecError(f"model {name!r}: scale max {hi} must exceed min {lo}")
        scale_t = (lo, hi)

    # order paths: by target in construct order, then sources in construct order
    pos = {n: i for i, n in enumerate(order)}
    pos.update({n: len(order) + i for i, n in enumerate(interactions)})
    edges_sorted = sorted(edges, key=lambda e: (pos[e[1]], pos[e[0]]))
    data = obj.get("data")
    codebook = obj.get("codebook")
    group, group_labels = _parse_group(obj.get("group"), name)
    return ModelSpec(
        name=name,
        constructs=tuple(constructs[n] for n in order),
        paths=tuple(edges_sorted),
        data=None if data is None else str(data),
        interactions=tuple(interactions.values()),
        codebook=None if codebook is None else str(codebook),
        scale=scale_t,
        description=str(obj.get("description", "")),
        group=group,
        group_labels=group_labels,
        item_scales=tuple(item_scales),
    )


def _parse_group(raw: Any, name: str) -> tuple[str | None, tuple[tuple[Any, str], ...]]:
    """``group: column`` or ``group: {column: c, labels: {value: label}}`` (default MGA split)."""
    if raw is None:
        return None, ()
    if isinstance(raw, str):
        return raw, ()
    if isinstance(raw, Mapping) and isinstance(raw.get("column"), str):
        labels = raw.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise SpecError(f"model {name!r}: group labels must be a mapping value -> label")
        return raw["column"], tuple((k, str(v)) for k, v in labels.items())
    raise SpecError(f"model {name!r}: 'group' must be a column name or "
                    f"{{column: name, labels: {{value: label}}}}, got {raw!r}")


def model_data(spec: ModelSpec) -> pd.DataFrame:
    """The data set named in the spec's ``data`` (a bundled data set or a CSV path), checked
    against the spec with :func:`validate_against` (unknown, non-numeric or constant items
    → SpecError naming the item)."""
    from crm_research.data import datasets

    if spec.data is None:
        raise SpecError(f"model {spec.name!r} names no data set ('data:' is missing)")
    path = Path(spec.data)
    if spec.data not in datasets.names() and not (path.suffix.lower() == ".csv"
                                                  and path.is_file()):
        raise SpecError(f"model {spec.name!r}: data {spec.data!r} is neither a bundled data set "
                        f"({', '.join(datasets.names())}) nor an existing CSV file")
    df = datasets.load_or_read(spec.data, f"data file of model {spec.name!r}")
    validate_against(spec, df)
    return df


def builtin_models() -> list[str]:
    """Names of the models shipped in ``crm_research/sem/models``."""
    root = resources.files("crm_research.sem") / "models"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def load_model(name_or_path: str | Path | Mapping[str, Any] | ModelSpec) -> ModelSpec:
    """A built-in model by name (e.g. ``"ecsi_satisfaction"``), a YAML file path, or a dict."""
    if isinstance(name_or_path, ModelSpec):
        return name_or_path
    if isinstance(name_or_path, Mapping):
        return parse_spec(name_or_path)
    text = str(name_or_path)
    if text in builtin_models():
        res = resources.files("crm_research.sem") / "models" / f"{text}.yaml"
        return parse_spec(yaml.safe_load(res.read_text()))
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return parse_spec(path)
    raise SpecError(f"unknown model {text!r}: not a built-in model "
                    f"({', '.join(builtin_models())}) and not a YAML file")


def validate_against(spec: ModelSpec, df: pd.DataFrame) -> ModelSpec:
    """Check that every item of ``spec`` is a usable numeric, non-constant column of ``df``
    whose values lie on the item's declared scale.

    Raises SpecError naming the offending item: unknown column, non-numeric column, column
    with no observed value, constant column (zero variance among observed values); DataError
    for values outside the item's ``scale`` (naming the first data rows, counted from 1). It
    runs when the data are loaded (:func:`model_data`) and again before every estimation.
    Returns the spec unchanged so calls can be chained.
    """
    if not isinstance(df, pd.DataFrame):
        raise SpecError(f"model {spec.name!r}: data must be a pandas DataFrame, "
                        f"got {type(df).__name__}")
    missing = [it for it in spec.all_items if it not in df.columns]
    if missing:
        owner = {it: c.name for c in spec.constructs for it in c.items}
        first = missing[0]
        raise SpecError(f"model {spec.name!r}: item {first!r} of construct {owner[first]!r} is "
                        f"not a column of the data"
                        + (f" ({len(missing)} unknown items: {missing})" if len(missing) > 1
                           else ""))
    for c in spec.constructs:
        for it in c.items:
            col = df[it]
            if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
                raise SpecError(f"model {spec.name!r}: item {it!r} of construct {c.name!r} is "
                                f"not numeric (dtype {col.dtype}); expected numeric scores")
            values = col.to_numpy(dtype=float, na_value=np.nan)
            obs = values[~np.isnan(values)]
            if obs.size == 0:
                raise SpecError(f"model {spec.name!r}: item {it!r} of construct {c.name!r} has "
                                "no observed values")
            if np.isinf(obs).any():
                raise SpecError(f"model {spec.name!r}: item {it!r} of construct {c.name!r} "
                                "contains infinite values")
            if np.ptp(obs) == 0:
                raise SpecError(f"model {spec.name!r}: item {it!r} of construct {c.name!r} is "
                                f"constant ({plain(obs[0])!r} for every respondent); it carries "
                                "no information")
            bounds = spec.scale_of(it)
            if bounds is not None:
                lo, hi = bounds
                out = ~np.isnan(values) & ((values < lo) | (values > hi))
                if out.any():
                    rows = spreadsheet_rows(out, 3)
                    raise DataError(
                        f"model {spec.name!r}: item {it!r} of construct {c.name!r} has "
                        f"{int(out.sum())} value(s) outside its scale {lo:g}-{hi:g} "
                        f"(first at data row(s) {rows}, counting from 1: "
                        f"{[plain(v) for v in values[out][:3]]}); recode them (e.g. a "
                        "missing-value code such as -99 to empty) or declare the right scale")
    return spec
