"""Packages whose public names load on first use (PEP 562), so reading never imports torch.

A capability package (``torchscope.model``, ``.data``, ``.gan``...) names what it exports and the
submodule each name lives in; nothing is imported until a name is first read. Reading a store
(``ts.open``, ``torchscope serve``, ``torchscope report``) rebuilds typed records from modules that
do not import torch, so it must not pay for the packages' torch-using parts
(``tests/test_imports.py`` holds this).

Example (at the end of a package's ``__init__.py``)::

    lazy_package(__name__, {"ModelGraph": ".graph", "graph": ".graph", "summary": ".summary"})
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

__all__ = ["LazyPackage", "lazy_package"]


class LazyPackage(types.ModuleType):
    """A package module whose names in ``_lazy_exports`` (name -> submodule) import on first access."""

    _lazy_exports: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        exports = self.__dict__.get("_lazy_exports", {})
        if name not in exports:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name], self.__name__), name)
        types.ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Python binds a submodule to its package's namespace once it is loaded; a submodule named
        # like the function it holds (``data/profile.py``, ``model/graph.py``) must not hide it when
        # something else (a record read back) imports it first: the function wins, as it did when
        # the package imported everything eagerly.
        exports = self.__dict__.get("_lazy_exports", {})
        if (isinstance(value, types.ModuleType) and name in exports
                and value.__name__ == f"{self.__name__}.{name}"):
            return
        types.ModuleType.__setattr__(self, name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_exports", {})))


def lazy_package(name: str, exports: dict[str, str], cls: type[LazyPackage] = LazyPackage) -> None:
    """Make package ``name`` load each of ``exports`` (public name -> relative submodule) on first use.

    ``cls`` is a :class:`LazyPackage` subclass when the package needs more (a callable package).
    Example: ``lazy_package(__name__, {"graph": ".graph"})``.
    """
    module = sys.modules[name]
    module.__class__ = cls
    module.__dict__["_lazy_exports"] = dict(exports)
