"""Attributions at a layer's output: token ids explained through their embeddings.

Token ids are integers, with no gradient; what a text model differentiates is the embedding layer's
output. These methods replace that output (by a forward hook, removed in ``finally``) and attribute
to it, as Captum's layer methods do:

- :class:`LayerIntegratedGradients`: Captum's ``LayerIntegratedGradients`` (Sundararajan, Taly &
  Yan, ICML 2017, applied to a layer): the layer's output on the inputs and on the baseline ids
  (default 0, Captum's), the path between them integrated in budget-sized chunks (never the
  ``N x steps`` batch at once), ``(e(x) - e(x0)) * sum_k w_k grad(e0 + a_k (e - e0))``.
- :class:`LayerSaliency`: the gradient at the layer's output (Simonyan et al. 2014), as Captum's
  ``LayerGradientXActivation(multiply_by_inputs=False)``; ``abs=True`` by default like ``Saliency``.
- :class:`LayerSmoothGrad`: that gradient averaged over Gaussian noise added to the layer's output
  (Smilkov et al. 2017); the noise is ``stdevs`` times each sample's range of the output (0.15).

Each returns the layer's shape (``N x T x D`` for an embedding); ``ts.explain`` sums over ``D``
for one score per token. The layer defaults to the model's input embeddings
(``get_input_embeddings()`` of a Hugging Face model, else the first ``nn.Embedding``).

Example::

    attr = LayerIntegratedGradients(model).attribute(ids, target=1)   # N x T x D
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

import torch
from torch import nn

from ._hooks import forward_hooks
from ._layers import layer_by_name
from .base import Explainer, Result, Rows, RowsLike
from .integrated_gradients import quadrature

__all__ = ["LayerExplainer", "LayerIntegratedGradients", "LayerSaliency", "LayerSmoothGrad", "embedding_layer"]


def embedding_layer(model: nn.Module) -> tuple[str, nn.Module]:
    """The model's input embedding layer: ``embedding_layer(bert) == ("bert.embeddings.word_embeddings", ...)``."""
    get = getattr(model, "get_input_embeddings", None)
    if callable(get):
        try:
            found = get()
        except (NotImplementedError, AttributeError):
            found = None
        if isinstance(found, nn.Module):
            return layer_by_name(model, found)
    for name, m in model.named_modules():
        if isinstance(m, nn.Embedding):
            return name, m
    raise ValueError(f"{type(model).__name__} has no nn.Embedding to attribute token ids to; pass layer=")


class _Stop(Exception):
    """Ends a forward pass once the layer's output is captured."""


class LayerExplainer(Explainer):
    """Base of the layer methods: ``Method(model, layer=None).attribute(ids, target=...)``."""

    accepts_integers = True

    def __init__(self, model: nn.Module, layer: str | nn.Module | None = None, *, budget_mb: float | None = None,
                 position: int | None = None) -> None:
        super().__init__(model, budget_mb=budget_mb, position=position)
        self.layer_name, self.layer = embedding_layer(model) if layer is None else layer_by_name(model, layer)

    def layer_output(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's output for every sample, the rest of the model skipped, in chunks."""
        out = Rows(len(x))

        def keep(mod: nn.Module, args: Any, output: Any) -> None:
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"layer {self.layer_name!r} must output one tensor, got {type(output).__name__}")
            captured.append(output.detach())
            raise _Stop

        captured: list[torch.Tensor] = []

        def step(a: int, b: int) -> None:
            captured.clear()
            with suppress(_Stop):
                self.model(x[a:b], **self.kwargs_for(slice(a, b), b - a))
            if not captured:
                raise ValueError(f"layer {self.layer_name!r} was not called by the model's forward pass")
            out.put(a, b, captured[0])

        with torch.no_grad(), forward_hooks([(self.layer, keep)]):
            self.chunked(x, len(x), step)
        assert out.tensor is not None
        return out.tensor

    def layer_gradient(self, x: torch.Tensor, value: torch.Tensor | None, target: torch.Tensor | None,
                       rows: RowsLike) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(d score / d layer output, scores, target)`` with the layer's output replaced by ``value``
        (None: the layer's own output, detached from what came before)."""
        held: list[torch.Tensor] = []

        def swap(mod: nn.Module, args: Any, output: Any) -> torch.Tensor:
            if held:
                raise ValueError(f"layer {self.layer_name!r} is called more than once in a forward pass")
            act = (output if value is None else value).detach().requires_grad_(True)
            held.append(act)
            return act

        with torch.enable_grad(), forward_hooks([(self.layer, swap)]):
            out = self.forward(x, rows)
            t = out.detach().argmax(dim=1) if target is None else target
            (grad,) = torch.autograd.grad(out.gather(1, t[:, None]).sum(), held[0])
        return grad, out.detach(), t


class LayerSaliency(LayerExplainer):
    """``|d y_target / d layer output|`` (``abs=False`` keeps the sign)."""

    name = "saliency"
    signed = False
    picks_targets = True

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *, abs: bool = True) -> Result:
        out, scores, targets = Rows(len(x)), Rows(len(x)), Rows(len(x))

        def step(a: int, b: int) -> None:
            g, s, t = self.layer_gradient(x[a:b], None, None if target is None else target[a:b], slice(a, b))
            out.put(a, b, g.abs_() if abs else g)
            scores.put(a, b, s)
            targets.put(a, b, t)

        self.chunked(x, len(x), step)
        assert out.tensor is not None and targets.tensor is not None
        return Result(out.tensor, targets.tensor, scores.tensor)


def _sum_rows(flat: torch.Tensor, a: int, b: int, per: int, weights: torch.Tensor, g: torch.Tensor) -> None:
    """Add chunk rows ``a:b`` (row r belongs to sample ``r // per``) into ``flat``, weighted."""
    r = torch.arange(a, b, device=g.device)
    first, last = a // per, (b - 1) // per + 1
    w = torch.zeros(last - first, b - a, dtype=g.dtype, device=g.device)
    w[r // per - first, r - a] = weights
    flat[first:last].addmm_(w, g.reshape(b - a, -1))


class LayerIntegratedGradients(LayerExplainer):
    """``(e - e0) * sum_k w_k grad(e0 + a_k (e - e0))`` at the layer's output ``e``."""

    name = "integrated_gradients"

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *,
                   baselines: int | torch.Tensor | None = None, n_steps: int = 50,
                   method: str = "gausslegendre") -> Result:
        assert target is not None
        alphas_l, sizes_l = quadrature(method, n_steps)
        base_ids = torch.zeros_like(x) if baselines is None else torch.as_tensor(
            baselines, dtype=x.dtype, device=x.device).expand_as(x)
        e, e0 = self.layer_output(x), self.layer_output(base_ids.contiguous())
        delta = e - e0
        alphas = torch.tensor(alphas_l, dtype=e.dtype, device=x.device)
        sizes = torch.tensor(sizes_l, dtype=torch.float32, device=x.device).to(e.dtype)
        total = torch.zeros(e.shape, dtype=e.dtype, device=x.device)
        flat = total.view(len(x), -1)
        shape = (-1,) + (1,) * (e.ndim - 1)

        def step(a: int, b: int) -> None:  # row r is step r % n_steps of sample r // n_steps
            r = torch.arange(a, b, device=x.device)
            sample, k = r // n_steps, r % n_steps
            scaled = e0[sample] + alphas[k].reshape(shape) * delta[sample]
            g, _, _ = self.layer_gradient(x[sample], scaled, target[sample], sample)
            _sum_rows(flat, a, b, n_steps, sizes[k], g)

        self.chunked(x, len(x) * n_steps, step)
        return Result(total * delta, target, None)


class LayerSmoothGrad(LayerExplainer):
    """Mean over ``nt_samples`` of ``|grad(e + noise)|``, the noise ``stdevs`` times each sample's range of ``e``."""

    name = "smoothgrad"
    signed = False

    def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, *, nt_samples: int = 5,
                   stdevs: float = 0.15, abs: bool = True, seed: int | None = None) -> Result:
        assert target is not None
        if nt_samples < 1:
            raise ValueError(f"nt_samples must be at least 1, got {nt_samples}")
        e = self.layer_output(x)
        flat_e = e.reshape(len(e), -1)
        scale = stdevs * (flat_e.amax(dim=1) - flat_e.amin(dim=1)).reshape((-1,) + (1,) * (e.ndim - 1))
        gen = torch.Generator(device=x.device)
        gen.manual_seed(seed) if seed is not None else gen.seed()
        total = torch.zeros(e.shape, dtype=e.dtype, device=x.device)
        flat = total.view(len(x), -1)
        transform: Callable[[torch.Tensor], torch.Tensor] = torch.abs if abs else (lambda g: g)

        def step(a: int, b: int) -> None:
            from ._budget import OverBudget

            r = torch.arange(a, b, device=x.device)
            sample = r // nt_samples
            state = gen.get_state()
            noisy = e[sample] + scale[sample] * torch.randn(e[sample].shape, generator=gen, device=x.device,
                                                            dtype=e.dtype)
            try:
                g, _, _ = self.layer_gradient(x[sample], noisy, target[sample], sample)
            except OverBudget:  # the chunk runs again smaller: draw the same noise then
                gen.set_state(state)
                raise
            _sum_rows(flat, a, b, nt_samples, torch.ones(b - a, dtype=e.dtype, device=x.device), transform(g))

        self.chunked(x, len(x) * nt_samples, step)
        return Result(total / nt_samples, target, None)
