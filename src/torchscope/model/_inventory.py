"""One walk of a model's module tree: its modules, parameters (each once, and every name), buffers.

``named_modules()``, ``named_parameters()`` (twice: unique and with duplicates), ``buffers()`` and
each module's own ``parameters()`` each walk the whole tree again; the summary needs all of them,
which on a small model costs as much as the forward pass. :func:`inventory` gives them from one
walk, in the orders PyTorch's own functions give.

Example: ``inv = inventory(model); list(inv.params)``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["Inventory", "inventory"]


@dataclass
class Inventory:
    """What one walk of ``model`` finds (see :func:`inventory`)."""

    named: list[tuple[str, torch.nn.Module]] = field(default_factory=list)  # named_modules(): each once
    params: dict[str, torch.nn.Parameter] = field(default_factory=dict)  # named_parameters(): each once
    names: dict[int, list[str]] = field(default_factory=dict)  # id -> every name (tied: several)
    buffers: dict[int, torch.Tensor] = field(default_factory=dict)  # buffers(): each once
    subtree: dict[str, dict[int, torch.nn.Parameter]] = field(default_factory=dict)  # a module's and below
    own: dict[str, list[str]] = field(default_factory=dict)  # a module's own parameters' qualified names


def inventory(model: torch.nn.Module) -> Inventory:
    """Modules, parameters and buffers of ``model`` from one walk: ``inventory(model).params``.

    ``named`` equals ``list(model.named_modules())``, ``params`` ``dict(model.named_parameters())``,
    ``names`` groups ``model.named_parameters(remove_duplicate=False)`` by parameter and
    ``subtree[name]`` holds the parameters of the module called ``name`` and of its children
    (a module that holds itself is walked once); ``own[name]`` names the module's own parameters.
    """
    inv = Inventory()
    seen: set[int] = set()

    def visit(prefix: str, module: torch.nn.Module, path: tuple[int, ...]) -> dict[int, torch.nn.Parameter]:
        first = id(module) not in seen
        if first:
            seen.add(id(module))
            inv.named.append((prefix, module))
            for b in module._buffers.values():
                if b is not None:
                    inv.buffers.setdefault(id(b), b)
        own: dict[int, torch.nn.Parameter] = {}
        quals: list[str] = []
        for name, p in module._parameters.items():
            if p is None:
                continue
            own[id(p)] = p
            qual = f"{prefix}.{name}" if prefix else name
            quals.append(qual)
            names = inv.names.setdefault(id(p), [])
            if not names and first:
                inv.params[qual] = p
            names.append(qual)
        if first:
            inv.own[prefix] = quals
        for name, child in module._modules.items():
            if child is not None and id(child) not in path:
                own.update(visit(f"{prefix}.{name}" if prefix else name, child, (*path, id(child))))
        inv.subtree.setdefault(prefix, own)
        return own

    visit("", model, (id(model),))
    return inv
