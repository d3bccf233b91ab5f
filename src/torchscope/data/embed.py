"""A model's embeddings of a data set: the output of any layer for each sample.

A forward hook (``torch.nn.Module.register_forward_hook``) captures the layer's output batch by
batch; it is registered inside a context manager and removed in ``finally``, on success and on
error. The model's own output gives predictions when it has one column per class.

Example::

    emb, pred = ts.data.embeddings(model, ds, layer="classifier.1")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from .dataset import Dataset

__all__ = ["capture", "embeddings"]


@contextmanager
def capture(module: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Collect ``module``'s outputs while the block runs: ``with capture(model.fc) as outs: model(x)``."""
    outs: list[torch.Tensor] = []

    def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
        t = out[0] if isinstance(out, (tuple, list)) else out
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"the hooked layer returned a {type(out).__name__}, not a tensor")
        outs.append(t.detach().flatten(1).float().cpu())

    handle = module.register_forward_hook(hook)
    try:
        yield outs
    finally:
        handle.remove()


def _find(model: nn.Module, layer: str | nn.Module | None) -> nn.Module | None:
    if layer is None or isinstance(layer, nn.Module):
        return layer
    modules = dict(model.named_modules())
    if layer not in modules:
        names = [n for n in modules if n][:30]
        raise KeyError(f"model has no layer named {layer!r}; its layers include {names}")
    return modules[layer]


def embeddings(model: nn.Module, data: Dataset | torch.Tensor, *, layer: str | nn.Module | None = None,
               indices: np.ndarray | None = None, batch_size: int = 256, device: str | torch.device | None = None,
               num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(embeddings N x D float32, predictions N int64 or None)`` of ``layer`` (default: the output).

    ``data`` is a torchscope Dataset (its ``ds[i]`` inputs, transforms applied) or an input
    tensor; ``indices`` picks samples of the Dataset.
    """
    target = _find(model, layer)
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    if isinstance(data, Dataset):
        idx = np.arange(len(data)) if indices is None else np.asarray(indices)
        num_classes = num_classes or data.num_classes

        def batches() -> Iterator[torch.Tensor]:
            for s in range(0, len(idx), batch_size):
                yield torch.stack([data[int(i)][0] for i in idx[s:s + batch_size]])
    else:
        x = data if indices is None else data[torch.as_tensor(indices)]

        def batches() -> Iterator[torch.Tensor]:
            for s in range(0, len(x), batch_size):
                yield x[s:s + batch_size]

    was_training = model.training
    model.eval()
    outputs: list[torch.Tensor] = []
    try:
        with torch.no_grad(), capture(target or model) as captured:
            for xb in batches():
                out = model(xb.to(device))
                out = out[0] if isinstance(out, (tuple, list)) else out
                outputs.append(out.detach().float().cpu())
    finally:
        model.train(was_training)
    emb = torch.cat(captured).numpy() if captured else np.zeros((0, 0), np.float32)
    logits = torch.cat(outputs) if outputs else None
    pred = None
    if logits is not None and logits.ndim == 2 and (num_classes is None or logits.shape[1] == num_classes):
        pred = logits.argmax(1).numpy().astype(np.int64)
    return emb.astype(np.float32), pred
