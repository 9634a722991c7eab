"""The study registry: each study is ``notebooks/<name>.ipynb`` plus ``notebooks/<name>.yaml``.

The YAML declares the study's parameters (the one schema used by the CLI, the pipeline, the
index and the tests)::

    title: Data overview
    summary: What the study answers.
    purpose: One sentence on what the study is for (shown on the index page).
    order: 10
    key_parameters: [datasets]
    parameters:
      datasets: {type: "list[str]", default: [all], help: "..."}
      n_boot: {type: int, default: 1000, min: 0, max: 100000, help: "..."}
      group: {type: str, default: null, nullable: true, allowed: [a, b], help: "..."}
    quick: {n_boot: 20}
    variants:                       # extra named runs that `build` makes too
      corp_rep: {model: corp_rep_extended}

Types: ``int``, ``float``, ``str``, ``bool``, ``list[str]``, ``list[int]``, ``list[float]``.
Values from the command line arrive as strings and are coerced by the declared type, never by
guessing (``papermill -p`` would turn ``"42"`` into an int even for a string parameter).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crm_research._checks import plain
from crm_research.errors import ParameterError, SpecError

TYPES = ("int", "float", "str", "bool", "list[str]", "list[int]", "list[float]")
NOTEBOOKS_ENV = "CRM_RESEARCH_NOTEBOOKS"
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NULL = {"none", "null", ""}


def notebooks_dir() -> Path:
    """Folder of the study notebooks (``$CRM_RESEARCH_NOTEBOOKS`` or ``<repo>/notebooks``)."""
    env = os.environ.get(NOTEBOOKS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class Parameter:
    """One declared study parameter."""

    name: str
    type: str
    default: Any
    help: str = ""
    allowed: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False

    def coerce(self, value: Any, study: str = "?") -> Any:
        """Coerce ``value`` (a string from the CLI or a Python value) to the declared type.

        Raises ParameterError naming the study, the parameter and what was expected.
        """
        where = f"study {study!r}, parameter {self.name!r}"
        if value is None or (isinstance(value, str) and value.strip().lower() in _NULL
                             and self.type != "str"):
            if self.nullable:
                return None
            raise ParameterError(f"{where}: a value of type {self.type} is required (got none)")
        if isinstance(value, str) and self.type == "str" and self.nullable and \
                value.strip().lower() in _NULL:
            return None  # "", none, null: the help's "empty: skip" / "none"
        if self.type.startswith("list["):
            inner = self.type[5:-1]
            if isinstance(value, str):
                text = value.strip()
                if text.startswith("["):
                    try:
                        parsed = json.loads(text)
                    except json.JSONDecodeError as exc:
                        raise ParameterError(f"{where}: cannot read {value!r} as a list "
                                             f"({exc.msg})") from None
                    items = parsed if isinstance(parsed, list) else [parsed]
                else:
                    items = [p.strip() for p in text.split(",") if p.strip()]
            elif isinstance(value, list | tuple):
                items = list(value)
            else:
                raise ParameterError(f"{where}: expected a list of {inner}, got {value!r}")
            out = [self._scalar(inner, v, where) for v in items]
            if not out and not (isinstance(self.default, list) and not self.default):
                if self.nullable:
                    return None
                raise ParameterError(f"{where}: expected at least one {inner} value, got an "
                                     f"empty list (default: {self.default!r})")
            for v in out:
                self._check_range(v, where)
            return out
        out = self._scalar(self.type, value, where)
        self._check_range(out, where)
        return out

    @staticmethod
    def _scalar(kind: str, value: Any, where: str) -> Any:
        if kind == "str":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ParameterError(f"{where}: expected a string, got {value!r}")
            return str(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise ParameterError(f"{where}: expected true or false, got {value!r}")
        if kind == "int":
            if isinstance(value, bool):
                raise ParameterError(f"{where}: expected an integer, got {value!r}")
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                try:
                    return int(value.strip())
                except ValueError:
                    pass
            raise ParameterError(f"{where}: expected an integer, got {value!r}")
        if kind == "float":
            if isinstance(value, bool):
                raise ParameterError(f"{where}: expected a number, got {value!r}")
            try:
                out = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"{where}: expected a number, got {value!r}") from None
            if not math.isfinite(out):
                raise ParameterError(f"{where}: expected a finite number, got {value!r}")
            return out
        raise SpecError(f"{where}: unknown parameter type {kind!r}; expected one of {TYPES}")

    def _check_range(self, v: Any, where: str) -> None:
        if self.allowed is not None and v not in self.allowed:
            raise ParameterError(f"{where}: value {v!r} not allowed; expected one of "
                                 f"{list(self.allowed)}")
        if self.min is not None and isinstance(v, int | float) and v < self.min:
            raise ParameterError(f"{where}: value {plain(v)} is below the minimum "
                                 f"{plain(self.min)}")
        if self.max is not None and isinstance(v, int | float) and v > self.max:
            raise ParameterError(f"{where}: value {plain(v)} is above the maximum "
                                 f"{plain(self.max)}")


@dataclass(frozen=True)
class Study:
    """A study: its notebook, declared parameters and quick parameter set."""

    name: str
    title: str
    summary: str
    notebook: Path
    parameters: dict[str, Parameter]
    quick: dict[str, Any]
    key_parameters: tuple[str, ...]
    order: int = 100
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    purpose: str = ""

    def defaults(self) -> dict[str, Any]:
        return {n: p.default for n, p in self.parameters.items()}

    def resolve(self, given: dict[str, Any] | None = None, quick: bool = False,
                variant: str | None = None) -> dict[str, Any]:
        """Full parameter set: defaults, then ``quick`` values, then the ``variant``'s values,
        then ``given`` (all validated)."""
        given = dict(given or {})
        if variant is not None:
            if variant not in self.variants:
                raise ParameterError(
                    f"study {self.name!r}: unknown variant {variant!r}; known: "
                    f"{', '.join(self.variants) or '(none)'}")
            given = {**self.variants[variant], **given}
        unknown = sorted(set(given) - set(self.parameters))
        if unknown:
            raise ParameterError(
                f"study {self.name!r}: unknown parameter(s) {unknown}; known: "
                f"{', '.join(self.parameters) or '(none)'}"
            )
        values = self.defaults()
        if quick:
            values.update(self.quick)
        values.update(given)
        return {n: self.parameters[n].coerce(v, self.name) for n, v in values.items()}


def _parse_parameter(study: str, name: str, raw: Any) -> Parameter:
    where = f"study {study!r}, parameter {name!r}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: expected a mapping with type/default/help")
    kind = raw.get("type")
    if kind not in TYPES:
        raise SpecError(f"{where}: type {kind!r} unknown; expected one of {list(TYPES)}")
    if "default" not in raw:
        raise SpecError(f"{where}: missing 'default'")
    extra = set(raw) - {"type", "default", "help", "allowed", "min", "max", "nullable"}
    if extra:
        raise SpecError(f"{where}: unknown key(s) {sorted(extra)}")
    param = Parameter(
        name=name, type=kind, default=raw["default"], help=str(raw.get("help", "")),
        allowed=tuple(raw["allowed"]) if raw.get("allowed") is not None else None,
        min=raw.get("min"), max=raw.get("max"), nullable=bool(raw.get("nullable", False)),
    )
    param.coerce(param.default, study)  # the default itself must be valid
    return param


def load_study(yaml_path: Path) -> Study:
    """Read one study declaration (``notebooks/<name>.yaml``)."""
    name = yaml_path.stem
    try:
        raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError(f"study file {yaml_path}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SpecError(f"study file {yaml_path}: expected a mapping")
    notebook = yaml_path.with_suffix(".ipynb")
    if not notebook.is_file():
        raise SpecError(f"study file {yaml_path}: notebook {notebook.name} is missing")
    params = {n: _parse_parameter(name, n, r) for n, r in (raw.get("parameters") or {}).items()}
    study = Study(
        name=name, title=str(raw.get("title", name)), summary=str(raw.get("summary", "")).strip(),
        notebook=notebook, parameters=params, quick=dict(raw.get("quick") or {}),
        key_parameters=tuple(raw.get("key_parameters") or list(params)[:3]),
        order=int(raw.get("order", 100)),
        variants={str(k): dict(v or {}) for k, v in (raw.get("variants") or {}).items()},
        purpose=" ".join(str(raw.get("purpose") or "").split()),
    )
    study.resolve(quick=True)  # quick set must be valid too
    for variant in study.variants:  # and every variant
        if not variant.replace("_", "").isalnum():
            raise SpecError(f"study file {yaml_path}: variant name {variant!r} must be letters, "
                            "digits and '_'")
        study.resolve(variant=variant)
    bad_keys = [k for k in study.key_parameters if k not in params]
    if bad_keys:
        raise SpecError(f"study file {yaml_path}: key_parameters {bad_keys} are not parameters")
    return study


def all_studies() -> dict[str, Study]:
    """Every study in the notebooks folder, in declared order."""
    folder = notebooks_dir()
    studies = [load_study(p) for p in sorted(folder.glob("*.yaml"))]
    studies.sort(key=lambda s: (s.order, s.name))
    return {s.name: s for s in studies}


def get_study(name: str) -> Study:
    """The study called ``name``; unknown → ParameterError listing the known ones."""
    studies = all_studies()
    if name not in studies:
        raise ParameterError(f"unknown study {name!r}; known: {', '.join(studies) or '(none)'}")
    return studies[name]
