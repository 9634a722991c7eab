"""Lazy imports of heavy libraries (issue 17: a study's kernel should not pay for what it
does not use; ``scipy.stats`` and ``statsmodels.api`` cost 0.4-0.6 s each to import).

``stats = lazy_module("scipy.stats")`` at module level binds a proxy; the real import happens on
the first attribute access (``stats.norm``) and later accesses go straight to the module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """A module proxy that imports ``name`` on first attribute access."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_target"] = name

    def _load(self) -> ModuleType:
        module = importlib.import_module(self.__dict__["_lazy_target"])
        self.__dict__.update(module.__dict__)  # later lookups are ordinary attribute hits
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)


def lazy_module(name: str) -> Any:
    """A proxy for module ``name``, imported when first used."""
    return LazyModule(name)
