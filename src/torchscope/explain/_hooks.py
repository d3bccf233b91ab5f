"""Hooks that always come off: forward hooks registered in a context manager, removed in ``finally``.

The same discipline as Captum's ``_utils/gradient.py``: whatever happens inside the block (an
exception in the model included), every handle is removed, and the model's train/eval mode and its
parameters' ``requires_grad`` flags are restored.

Example::

    with forward_hooks([(model.layer4, keep)]):
        model(x)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from torch import nn

__all__ = ["eval_mode", "forward_hooks", "frozen"]

Hook = Callable[[nn.Module, Any, Any], Any]


@contextmanager
def forward_hooks(pairs: Sequence[tuple[nn.Module, Hook]]) -> Iterator[None]:
    """Register ``module.register_forward_hook(fn)`` for each pair; remove them all on exit."""
    handles = []
    try:
        for module, fn in pairs:
            handles.append(module.register_forward_hook(fn))
        yield
    finally:
        for h in handles:
            h.remove()


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put the model in eval mode for the block, then restore every module's own mode."""
    modes = [(m, m.training) for m in model.modules()]
    changed = any(training for _, training in modes)
    if changed:  # a model already in eval mode (the usual case) is left untouched
        model.eval()
    try:
        yield model
    finally:
        if changed:
            for m, training in modes:
                if m.training != training:
                    m.training = training


@contextmanager
def frozen(model: nn.Module) -> Iterator[nn.Module]:
    """Parameters without ``requires_grad`` for the block, then each flag as it was.

    Attributions need gradients with respect to inputs (or a layer's output) only: with frozen
    parameters autograd neither records nor saves what their gradients would need. Not for a model
    that another thread is training at the same time.
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    try:
        for p in trainable:
            p.requires_grad_(False)
        yield model
    finally:
        for p in trainable:
            p.requires_grad_(True)
