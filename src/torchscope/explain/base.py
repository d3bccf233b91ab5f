"""The one contract every attribution method follows: ``Explainer(model).attribute(inputs, target=...)``.

Like Captum, each method is one class with one verb; like pytorch-grad-cam, each lives in its own
small module on this base. The base resolves targets (``None`` = the predicted class, taken from
the method's own forward pass on the inputs when it makes one), runs the model in eval mode with
its parameters frozen (only input or layer gradients are needed; every module's mode and every
``requires_grad`` flag are restored afterwards), and splits the work into chunks that fit a memory
budget (see :mod:`._budget`), so a large batch or many integration steps never expand into one
giant tensor.

Example::

    attr = Saliency(model).attribute(x, target=3)     # same shape as x
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import torch
from torch import nn

from ._budget import FIRST_ROWS, GPU_FIRST_ROWS, budget_bytes, run_chunks
from ._hooks import eval_mode, frozen

__all__ = ["Explainer", "Result", "Rows", "TargetLike", "scores_of"]

TargetLike = int | list[int] | torch.Tensor | None
RowsLike = slice | torch.Tensor | None  # the samples a chunk's rows come from: a:b, or one index per row

# row costs measured per model (kept as long as the model lives), so that explaining a data set batch
# by batch measures once: the first chunk of a call is measured only for a new method, shape or model
_ROW_COSTS: weakref.WeakKeyDictionary[nn.Module, dict[Any, int]] = weakref.WeakKeyDictionary()


def _structure(model: nn.Module) -> tuple[int, int]:
    """A cheap fingerprint of a model's structure: modules and parameter elements (a model edited in
    place, a layer swapped for a bigger one, is measured again)."""
    modules = elements = 0
    for m in model.modules():
        modules += 1
        elements += sum(p.numel() for p in m._parameters.values() if p is not None)
    return modules, elements


def scores_of(out: Any, position: int | None = None) -> torch.Tensor:
    """A model's output as a tensor of scores: a Hugging Face ``ModelOutput`` or dict gives its
    ``logits``, a tuple its first element; with ``position`` a ``N x T x K`` output (a language
    model's logits) gives the scores at that position: ``scores_of(gpt2(ids), position=-1)``."""
    if isinstance(out, Mapping) or hasattr(out, "logits"):
        logits = out["logits"] if isinstance(out, Mapping) and "logits" in out else getattr(out, "logits", None)
        if logits is None:
            raise TypeError(f"the model returned {type(out).__name__} without logits; return a tensor of scores")
        out = logits
    elif isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model must return a tensor of class scores, got {type(out).__name__}")
    if position is not None and out.ndim == 3:
        out = out[:, position]
    return out


def _has_rnn(model: nn.Module) -> bool:
    return any(isinstance(m, nn.RNNBase) for m in model.modules())


class Result(NamedTuple):
    """What one call computed: the attributions, the class explained for each sample, and the model's
    ``N x K`` outputs on the inputs when the method computed them on the way (else None)."""

    attributions: torch.Tensor
    targets: torch.Tensor
    scores: torch.Tensor | None


class Rows:
    """An ``N x ...`` tensor filled chunk by chunk, allocated with the first chunk's row shape (a chunk
    of all ``N`` rows is kept as it is, not copied): ``r = Rows(10); r.put(0, 4, t4); r.tensor``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tensor: torch.Tensor | None = None

    def put(self, a: int, b: int, value: torch.Tensor) -> None:
        if self.tensor is None:
            if (a, b) == (0, self.n):
                self.tensor = value
                return
            self.tensor = value.new_empty((self.n, *value.shape[1:]))
        self.tensor[a:b] = value


class Explainer:
    """Base of the attribution methods. Subclasses set ``name`` and implement ``_attribute``."""

    name: ClassVar[str] = ""
    signed: ClassVar[bool] = True  # False when attributions are non-negative by construction
    per_pixel: ClassVar[bool] = True  # False when the map is coarser than the input (Grad-CAM's layer map)
    picks_targets: ClassVar[bool] = False  # True: _attribute takes target=None and uses its own forward's argmax

    def __init__(self, model: nn.Module, *, budget_mb: float | None = None, position: int | None = None) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"{type(self).__name__} needs a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.budget_mb = budget_mb
        self.position = position  # for N x T x K outputs (language models): the position whose scores to explain
        self._model_kwargs: dict[str, Any] = {}
        self._batch = 0
        self.positioned = False  # whether the model's outputs had a position axis that ``position`` picked
        self.dense_error = ""  # set (to what the inputs are): an output with spatial axes is refused, not flattened

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.model).__name__})"

    def attribute(self, inputs: torch.Tensor, target: TargetLike = None, *,
                  model_kwargs: Mapping[str, Any] | None = None, **options: Any) -> torch.Tensor:
        """Attributions for ``inputs`` (N x ...) towards ``target``: ``explainer.attribute(x, target=3)``.

        ``target`` is a class index, one per sample, or None for each sample's predicted class.
        ``model_kwargs`` are passed to the model with the inputs (``attention_mask=``...); tensors
        whose first dimension is the batch's follow the rows they belong to.
        """
        return self._run(inputs, target, model_kwargs=model_kwargs, **options).attributions

    def _run(self, inputs: torch.Tensor, target: TargetLike = None, *,
             model_kwargs: Mapping[str, Any] | None = None, **options: Any) -> Result:
        x = self._check_inputs(inputs)
        with self._with_kwargs(x, model_kwargs), eval_mode(self.model), frozen(self.model), self._rnn_backward(x):
            scores = None
            if target is None and not self.picks_targets:
                scores = self.outputs(x)
                t: torch.Tensor | None = scores.argmax(dim=1)
            else:
                t = None if target is None else self.targets(x, target)
            result = self._attribute(x, t, **options)
        return result if result.scores is not None else result._replace(scores=scores)

    if TYPE_CHECKING:  # each method takes its own keyword options: (x, target, *, n_steps=50, ...) -> Result
        _attribute: Callable[..., Result]
    else:
        def _attribute(self, x: torch.Tensor, target: torch.Tensor | None, **options: Any) -> Result:
            raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------
    accepts_integers: ClassVar[bool] = False  # True for methods that never differentiate the inputs (occlusion)

    def _check_inputs(self, inputs: Any) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(f"inputs must be a torch.Tensor (N x ...), got {type(inputs).__name__}")
        if inputs.ndim < 2 or len(inputs) == 0:
            raise ValueError(f"inputs must be a non-empty batch (N x ...), got shape {tuple(inputs.shape)}")
        if not inputs.is_floating_point() and not self.accepts_integers:
            raise TypeError(f"{self.name} needs floating point inputs, got {inputs.dtype}: token ids have no gradient; "
                            "ts.explain(model, ids) attributes them at the embedding layer "
                            "(or LayerIntegratedGradients(model).attribute(ids))")
        device = next((p.device for p in self.model.parameters()), inputs.device)
        return inputs.detach().to(device)

    @contextmanager
    def _with_kwargs(self, x: torch.Tensor, model_kwargs: Mapping[str, Any] | None) -> Iterator[None]:
        kwargs = dict(model_kwargs or {})
        for k, v in kwargs.items():
            if isinstance(v, torch.Tensor):
                kwargs[k] = v.to(x.device)
        self._model_kwargs, self._batch = kwargs, len(x)
        try:
            yield
        finally:
            self._model_kwargs, self._batch = {}, 0

    def _rnn_backward(self, x: torch.Tensor) -> Any:
        """cuDNN's RNN kernels have no backward pass in eval mode: RNNs on a GPU run without cuDNN."""
        if x.device.type == "cuda" and _has_rnn(self.model):
            return torch.backends.cudnn.flags(enabled=False)
        return nullcontext()

    def kwargs_for(self, rows: RowsLike, n: int) -> dict[str, Any]:
        """The model's keyword arguments for a chunk of ``n`` rows taken from samples ``rows``."""
        out = {}
        for k, v in self._model_kwargs.items():
            if isinstance(v, torch.Tensor) and v.ndim and len(v) == self._batch and rows is not None:
                v = v[rows]
            out[k] = v
        return out

    def forward(self, x: torch.Tensor, rows: RowsLike = None) -> torch.Tensor:
        """The model's output as ``N x K`` scores (a 1-D output becomes one column); ``rows`` are
        the samples the chunk's rows come from (for ``model_kwargs``)."""
        out = scores_of(self.model(x, **self.kwargs_for(rows, len(x))))
        if self.position is not None and out.ndim == 3:
            out, self.positioned = out[:, self.position], True
        if self.dense_error and out.ndim > 2:
            raise ValueError(f"the model returns scores of shape {tuple(out.shape)} for {self.dense_error}: a "
                             "segmentation map. ts.explain explains one score per class (N x K); wrap the model so "
                             "it returns that, for example each class's logits summed over the voxels predicted as "
                             "that class (Captum's recipe for segmentation) or averaged over the volume")
        return out.reshape(len(x), -1) if out.ndim != 2 else out

    def chunked(self, x: torch.Tensor, total: int, step: Callable[[int, int], None]) -> None:
        """Call ``step(a, b)`` over ``total`` rows shaped like ``x[0]``, in chunks under the budget."""
        row_bytes = x[0].numel() * x.element_size()
        first = GPU_FIRST_ROWS if x.device.type == "cuda" else FIRST_ROWS
        known = _ROW_COSTS.setdefault(self.model, {})
        layer = getattr(self, "layer", None)
        key = (type(self).__qualname__, getattr(step, "__qualname__", None), id(layer) if layer is not None else None,
               tuple(x.shape[1:]), x.dtype, str(x.device), torch.is_grad_enabled(), _structure(self.model))
        run_chunks(self.model, total, row_bytes, budget_bytes(self.budget_mb, x.device), step, first, known, key)

    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The model's ``N x K`` outputs in eval mode, without gradients, in chunks under the budget."""
        out = Rows(len(x))
        with torch.no_grad(), eval_mode(self.model):
            self.chunked(x, len(x), lambda a, b: out.put(a, b, self.forward(x[a:b], slice(a, b))))
        assert out.tensor is not None
        return out.tensor

    def targets(self, x: torch.Tensor, target: TargetLike) -> torch.Tensor:
        """One class index per sample (``None``: the predicted class)."""
        n = len(x)
        if target is None:
            return self.outputs(x).argmax(dim=1)
        t = torch.as_tensor(target, dtype=torch.long, device=x.device).reshape(-1)
        if t.numel() == 1:
            t = t.expand(n)
        if t.numel() != n:
            raise ValueError(f"target must be one class index or one per sample ({n}), got {t.numel()}")
        return t.contiguous()

    def gradient(self, x: torch.Tensor, target: torch.Tensor | None,
                 rows: RowsLike = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(d score[target] / d x, outputs, target)`` for a chunk (target None: each row's argmax).

        One backward pass for the batch's sum: rows are independent in eval mode.
        """
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            out = self.forward(x, rows)
            t = out.detach().argmax(dim=1) if target is None else target
            (grad,) = torch.autograd.grad(out.gather(1, t[:, None]).sum(), x)
        return grad, out.detach(), t
