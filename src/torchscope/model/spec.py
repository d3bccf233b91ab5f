"""Models named on the command line: ``package.module:Name``, ``path/to/file.py:Name`` or ``demo``.

``Name`` (dots reach inside: ``models:zoo.resnet``) may be a module instance, an ``nn.Module``
subclass or a function returning a module; classes and functions are called with ``kwargs``.
Loading a file runs it, as ``python file.py`` would (its folder first on ``sys.path``, so its own
imports work), but not as ``__main__``: code under ``if __name__ == "__main__":`` does not run.

Example::

    model = load_model("torchscope.demo:TourCNN")
    model = load_model("nets.py:Net", {"width": 64})

Shapes are written ``1,3,32,32`` (``parse_size``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["load_model", "parse_dtype", "parse_size"]

DEMO = "torchscope.demo:TourCNN"  # the model `torchscope demo` trains (digits, 1 x 8 x 8)


def load_model(spec: str, kwargs: dict[str, Any] | None = None) -> nn.Module:
    """The ``nn.Module`` a spec names; a ``ValueError`` that says what to write when it does not."""
    spec = spec.strip()
    if spec == "demo":
        spec = DEMO
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise ValueError(f"cannot read the model {spec!r}: write MODULE:NAME (torchvision.models:resnet18), "
                         "FILE.py:NAME (nets.py:Net) or demo")
    owner = _load_file(where) if where.endswith(".py") else _import(where)
    obj: Any = owner
    for part in name.split("."):
        if not hasattr(obj, part):
            found = sorted(n for n, v in vars(owner).items() if _is_model_like(v))
            hint = f"; it has {', '.join(found[:12])}" if found else ""
            raise ValueError(f"{where} has no {name!r}{hint}")
        obj = getattr(obj, part)
    if isinstance(obj, nn.Module):
        if kwargs:
            raise ValueError(f"{spec} is already a model instance: --kwargs does not apply")
        return obj
    if not callable(obj):
        raise ValueError(f"{spec} is a {type(obj).__name__}, not a model, a model class or a function returning one")
    try:
        model = obj(**(kwargs or {}))
    except TypeError as exc:
        try:
            signature = f"{name}{inspect.signature(obj)}"
        except (TypeError, ValueError):
            signature = name
        raise ValueError(f"could not build {spec}: {exc}. Its signature: {signature}; "
                         "pass arguments as --kwargs '{\"name\": value}'") from exc
    if not isinstance(model, nn.Module):
        raise ValueError(f"{spec}(...) returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def _is_model_like(v: Any) -> bool:
    return isinstance(v, nn.Module) or (inspect.isclass(v) and issubclass(v, nn.Module))


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise ValueError(f"no module named {name!r} (is it installed, or did you mean a file: {name}.py:NAME?)") \
                from exc
        raise


def _load_file(path: str) -> Any:
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    module_name = f"_torchscope_model_{abs(hash(str(file)))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def parse_size(text: str) -> tuple[int, ...]:
    """``"1,3,32,32"`` (or ``1x3x32x32``) as a shape."""
    parts = [p for p in text.replace("x", ",").replace(" ", "").split(",") if p]
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"an input size is whole numbers separated by commas (1,3,32,32), got {text!r}") from None
    if not size or any(s < 0 for s in size):
        raise ValueError(f"an input size is whole numbers separated by commas (1,3,32,32), got {text!r}")
    return size


def parse_dtype(text: str) -> torch.dtype:
    """``"float32"``, ``"int64"``, ``"long"``... as a torch dtype."""
    dtype = getattr(torch, text.strip().removeprefix("torch."), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"unknown dtype {text!r}: write float32, float16, bfloat16, int64, bool...")
    return dtype
