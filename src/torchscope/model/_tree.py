"""Walking arbitrary input/output structures and building the forward call's arguments.

Models take and return tensors nested in tuples, lists, dicts, namedtuples, dataclasses and
Hugging Face ``ModelOutput`` objects (an ``OrderedDict`` subclass). :func:`iter_tensors` yields
every tensor with a readable path (``logits``, ``out[0]``, ``hidden.h``); :func:`make_call`
turns the ``input``/``input_size`` conventions of torchinfo [1] into ``(args, kwargs)``.

[1] T. Yep, torchinfo, https://github.com/TylerYep/torchinfo (``input_data``/``input_size``).

Example: ``list(iter_tensors({"a": x}, "out"))  # [("out['a']", x)]``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from .view import shape_str  # torch-free: the records draw shapes without torch

__all__ = ["describe", "iter_tensors", "make_call", "shape_str"]

_MAX_DEPTH = 8


def iter_tensors(obj: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, torch.Tensor]]:
    """Yield ``(path, tensor)`` for every tensor inside ``obj``: ``iter_tensors((x, y), "in")``."""
    if isinstance(obj, torch.Tensor):
        yield path, obj
        return
    if depth >= _MAX_DEPTH or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
        return
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from iter_tensors(v, f"{path}[{k!r}]" if path else str(k), depth + 1)
    elif isinstance(obj, (list, tuple)):
        fields = getattr(obj, "_fields", None)  # namedtuple
        for i, v in enumerate(obj):
            sub = f"{path}.{fields[i]}" if fields else f"{path}[{i}]"
            yield from iter_tensors(v, sub if path or fields is None else fields[i], depth + 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from iter_tensors(getattr(obj, f.name), f"{path}.{f.name}" if path else f.name, depth + 1)


def flat_tensors(obj: Any) -> list[torch.Tensor]:
    """The tensors of an op's arguments, fast for the flat common case: ``flat_tensors((x, 2))``."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    out: list[torch.Tensor] = []
    if isinstance(obj, (list, tuple)):
        for a in obj:
            if isinstance(a, torch.Tensor):
                out.append(a)
            elif isinstance(a, (list, tuple, dict)) and a:
                out.extend(flat_tensors(a))
    elif isinstance(obj, dict):
        for a in obj.values():
            if isinstance(a, torch.Tensor):
                out.append(a)
            elif isinstance(a, (list, tuple, dict)) and a:
                out.extend(flat_tensors(a))
    return out


def describe(t: torch.Tensor) -> dict[str, Any]:
    """Shape and dtype of a tensor as JSON: ``describe(x) == {"shape": [2, 3], "dtype": "float32"}``."""
    dtype = t.dtype
    return {"shape": list(t.shape), "dtype": _DTYPES.get(dtype) or str(dtype).replace("torch.", "")}


_DTYPES = {d: str(d).replace("torch.", "") for d in vars(torch).values() if isinstance(d, torch.dtype)}


def _device_of(model: torch.nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _from_size(size: Any, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    shape = tuple(int(s) for s in size)
    if dtype.is_floating_point or dtype.is_complex:
        return torch.randn(shape, dtype=dtype, device=device)
    return torch.zeros(shape, dtype=dtype, device=device)


def make_call(model: torch.nn.Module, input: Any = None, *, input_size: Any = None, dtypes: Any = None,
              kwargs: Mapping[str, Any] | None = None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for ``model(...)``.

    ``input``: a tensor (one argument), a tuple/list (several positional arguments) or a dict
    (keyword arguments). ``input_size``: a shape or a list of shapes, filled with ``randn``
    (float) or zeros (integer ``dtypes``) on the model's device.

    Example: ``make_call(model, input_size=(1, 3, 32, 32))``.
    """
    extra = dict(kwargs or {})
    if input is not None and input_size is not None:
        raise ValueError("pass either input or input_size, not both")
    if input is None and input_size is None:
        if extra:
            return (), extra
        raise ValueError("pass an example input (a tensor, a tuple of arguments or a dict of keyword "
                         "arguments) or input_size=(1, 3, 224, 224)")
    if input_size is not None:
        sizes = input_size
        single = len(sizes) > 0 and all(isinstance(s, int) for s in sizes)
        sizes = [sizes] if single else list(sizes)
        types = dtypes if isinstance(dtypes, (list, tuple)) else [dtypes or torch.float32] * len(sizes)
        device = _device_of(model)
        return tuple(_from_size(s, t, device) for s, t in zip(sizes, types)), extra
    if isinstance(input, Mapping):
        return (), {**dict(input), **extra}
    if isinstance(input, (list, tuple)) and not hasattr(input, "_fields"):
        return tuple(input), extra
    return (input,), extra
