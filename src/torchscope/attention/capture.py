"""``ts.attention``: capture the attention maps of every layer and head, as an ``attention.maps`` record.

Two ways in, both leaving the model exactly as they found it:

- **Hugging Face models** (``PreTrainedModel``): with the default SDPA (or flash) implementation,
  ``output_attentions=True`` returns nothing, so the call switches the model (and every sub-model's
  config) to the ``"eager"`` implementation, runs it once with ``output_attentions=True`` in eval
  mode without gradients, and restores each config's implementation and each module's mode in
  ``finally``. Encoder (``attentions``), decoder-only (causal), and encoder-decoder models
  (``encoder_attentions``, ``decoder_attentions``, ``cross_attentions``) give their groups; layer
  names are the attention modules' paths.
- **Plain PyTorch**: every ``nn.MultiheadAttention`` (``nn.TransformerEncoder``/``Decoder`` and
  ``nn.Transformer`` use it) gets a pre-hook that asks for per-head weights (``need_weights=True``,
  ``average_attn_weights=False``) and a hook that keeps them and hands the caller what it asked
  for; both are removed in ``finally``, and PyTorch's fused fast path is off for the call (it
  would skip the module). Calls whose query is not the key are cross-attention; layers group by
  their path with the layer index taken out (``encoder.layers.*.self_attn``).

Attention that cannot be captured is an error naming the layers and why: a hand-written attention
module (its weights are never returned), a Hugging Face model wrapped in a plain module, a model
whose eager implementation still returns no weights. Token labels must match each sequence.

Example::

    rec = ts.attention(model, tok("the cat sat", return_tensors="pt"), tokenizer=tok)
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from ..explain._hooks import eval_mode
from ..explain._layers import _grid_side
from .record import AttentionGroup, AttentionMaps

__all__ = ["DTYPES", "attention"]

DTYPES = {"float16": torch.float16, "float32": torch.float32}
_ATTENTION_NAME = re.compile(r"attn|attention", re.IGNORECASE)
_MISSING = object()


def attention(model: nn.Module, inputs: Any, tokens: Sequence[Any] | None = None, *,
              decoder_tokens: Sequence[Any] | None = None, tokenizer: Any = None,
              dtype: str = "float16") -> AttentionMaps:
    """Attention maps of every layer and head of ``model`` on ``inputs``: ``ts.attention(bert, enc, tokenizer=tok)``.

    ``inputs``: a tensor (token ids, images, or whatever the model's first argument is), a dict of
    keyword arguments (a tokenizer's output) or a tuple of positional ones. ``tokens`` label the
    (encoder) sequence, ``decoder_tokens`` an encoder-decoder's decoder sequence: one list of strings
    for every sample, or one list per sample; or ``tokenizer`` labels token ids. ``dtype``: the maps
    are kept as ``"float16"`` (half the memory; enough for any view) or ``"float32"``.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"ts.attention needs a torch.nn.Module, got {type(model).__name__}")
    hf = _is_hf(model)
    args, kwargs = _call_arguments(model, inputs, hf)
    if hf:
        groups = _capture_hf(model, args, kwargs, DTYPES[dtype])
        ids, decoder_ids = kwargs.get("input_ids"), kwargs.get("decoder_input_ids")
        pixels = kwargs.get("pixel_values")
    else:
        groups = _capture_torch(model, args, kwargs, DTYPES[dtype])
        first = args[0] if args else next(iter(kwargs.values()), None)
        ids = first if isinstance(first, torch.Tensor) and not first.is_floating_point() else None
        decoder_ids = args[1] if len(args) > 1 and isinstance(args[1], torch.Tensor) \
            and not args[1].is_floating_point() else None
        pixels = first if isinstance(first, torch.Tensor) and first.is_floating_point() and first.ndim == 4 else None
    encdec = {"encoder", "decoder"} <= {g.name for g in groups}
    for g in groups:
        if encdec and g.name in ("decoder", "cross"):
            g.query = "decoder_tokens"
            g.key = "decoder_tokens" if g.name == "decoder" else "tokens"
    rec = AttentionMaps(groups=groups, tokens=[], model=type(model).__name__,
                        source="huggingface" if hf else "torch")
    n = int(groups[0].maps.shape[1])
    enc_len = next(int(g.maps.shape[3]) for g in groups if g.query == "tokens") if any(
        g.query == "tokens" for g in groups) else int(groups[0].maps.shape[4])
    if pixels is not None:
        _vision(rec, model, pixels, enc_len)
    rec.tokens = _labels(tokens, ids, tokenizer, n, enc_len, rec, "tokens")
    if encdec:
        dec_len = next(int(g.maps.shape[3]) for g in groups if g.name == "decoder")
        rec.decoder_tokens = _labels(decoder_tokens, decoder_ids, tokenizer, n, dec_len, rec, "decoder_tokens")
    _check_lengths(rec)
    return rec


# -- calling the model -----------------------------------------------------------------------
def _is_hf(model: nn.Module) -> bool:
    return any(c.__name__ == "PreTrainedModel" and c.__module__.startswith("transformers.")
               for c in type(model).__mro__)


def _device(model: nn.Module) -> torch.device | None:
    return next((p.device for p in model.parameters()), None)


def _call_arguments(model: nn.Module, inputs: Any, hf: bool) -> tuple[tuple[Any, ...], dict[str, Any]]:
    device = _device(model)

    def move(v: Any) -> Any:
        return v.to(device) if isinstance(v, torch.Tensor) and device is not None else v

    if isinstance(inputs, Mapping):
        return (), {k: move(v) for k, v in inputs.items()}
    if isinstance(inputs, (tuple, list)):
        return tuple(move(v) for v in inputs), {}
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a tensor, a dict of keyword arguments or a tuple, got {type(inputs).__name__}")
    if hf:
        key = "pixel_values" if inputs.is_floating_point() and inputs.ndim == 4 else "input_ids"
        return (), {key: move(inputs)}
    return (move(inputs),), {}


# -- Hugging Face ----------------------------------------------------------------------------
def _configs(model: nn.Module) -> list[Any]:
    """Every config the model and its sub-models hold, sub-configs included (each once)."""
    seen: dict[int, Any] = {}
    todo = [m.config for m in model.modules() if hasattr(m, "config") and hasattr(m.config, "sub_configs")]
    while todo:
        c = todo.pop()
        if id(c) in seen:
            continue
        seen[id(c)] = c
        todo.extend(s for k in getattr(c, "sub_configs", {}) if (s := getattr(c, k, None)) is not None)
    return list(seen.values())


_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_forward_hooks_with_kwargs",
               "_forward_pre_hooks_with_kwargs", "_forward_hooks_always_called")
_INSTALLED = "_output_capturing_hooks_installed"  # transformers' mark of a model whose output hooks are in


@contextmanager
def eager_attention(model: nn.Module) -> Iterator[None]:
    """The Hugging Face model on its eager attention for the block, then exactly as it was: every
    config's implementation, and no hook that transformers installs on a first ``output_attentions``
    call: ``with eager_attention(model): model(ids, output_attentions=True)``."""
    saved = [(c, c.__dict__.get("_attn_implementation_internal", _MISSING)) for c in _configs(model)]
    hooks = {id(m): {d: set(getattr(m, d, {})) for d in _HOOK_DICTS} for m in model.modules()}
    marks = {id(m): m.__dict__.get(_INSTALLED, _MISSING) for m in model.modules()}
    try:
        if any(c._attn_implementation != "eager" for c, _ in saved):
            switch = getattr(model, "set_attn_implementation", None)
            if callable(switch):
                switch("eager")
            else:  # transformers before set_attn_implementation: the configs are what the layers read
                for c, _ in saved:
                    c.__dict__["_attn_implementation_internal"] = "eager"
        yield
    finally:
        for c, value in saved:
            if value is _MISSING:
                c.__dict__.pop("_attn_implementation_internal", None)
            else:
                c.__dict__["_attn_implementation_internal"] = value
        for m in model.modules():
            for d in _HOOK_DICTS:
                table = getattr(m, d, None)
                if table is not None:
                    for key in [k for k in table if k not in hooks[id(m)][d]]:
                        del table[key]
            if marks[id(m)] is _MISSING:
                m.__dict__.pop(_INSTALLED, None)
            else:
                m.__dict__[_INSTALLED] = marks[id(m)]


def _attention_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules whose class name ends in "Attention" and holds no other such module, in definition order."""
    found = [(n, m) for n, m in model.named_modules() if type(m).__name__.endswith("Attention")]
    return [(n, m) for n, m in found
            if not any(type(c).__name__.endswith("Attention") for c in m.modules() if c is not m)]


def _pattern(name: str) -> str:
    return re.sub(r"(^|\.)\d+(?=\.|$)", r"\1*", name)


def _capture_hf(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                dtype: torch.dtype) -> list[AttentionGroup]:
    with eager_attention(model), eval_mode(model), torch.no_grad():
        out = model(*args, **kwargs, output_attentions=True, return_dict=True)
    if getattr(out, "encoder_attentions", None) is not None:
        fields = [("encoder_attentions", "encoder", "self"), ("decoder_attentions", "decoder", "self"),
                  ("cross_attentions", "cross", "cross")]
    else:
        fields = [("attentions", "self", "self"), ("cross_attentions", "cross", "cross")]
    modules = _attention_modules(model)
    groups = []
    for field, name, role in fields:
        maps = getattr(out, field, None)
        if maps is None or len(maps) == 0:
            if field in ("attentions", "encoder_attentions"):
                raise ValueError(_no_weights(model, modules, "returned no attention maps"))
            continue
        missing = [i for i, m in enumerate(maps) if not isinstance(m, torch.Tensor)]
        if missing:
            raise ValueError(_no_weights(model, modules, f"returned no {name} attention for layers {missing}"))
        stacked = _stack(list(maps), dtype)
        groups.append(AttentionGroup(name=name, role=role, layers=[], maps=stacked, causal=_causal(maps[0])))
    _name_layers(groups, modules)
    return groups


def _no_weights(model: nn.Module, modules: list[tuple[str, nn.Module]], what: str) -> str:
    listed = ", ".join(f"{n} ({type(m).__name__})" for n, m in modules[:6]) or "none found"
    return (f"cannot capture attention in {type(model).__name__}: with the eager implementation and "
            f"output_attentions=True it {what}; its attention layers ({listed}) do not return their weights")


def _name_layers(groups: list[AttentionGroup], modules: list[tuple[str, nn.Module]]) -> None:
    by_pattern: dict[str, list[str]] = {}
    for n, _ in modules:
        by_pattern.setdefault(_pattern(n), []).append(n)
    names = list(by_pattern.values())
    fits = len(names) == len(groups) and all(len(n) == len(g.maps) for n, g in zip(names, groups))
    for i, g in enumerate(groups):
        g.layers = names[i] if fits else [f"{g.name}.{j}" for j in range(len(g.maps))]


def _stack(maps: list[torch.Tensor], dtype: torch.dtype) -> np.ndarray:
    """Layers of ``N x H x Tq x Tk`` maps as one ``L x N x H x Tq x Tk`` array, filled layer by layer."""
    out = np.empty((len(maps), *maps[0].shape), dtype=np.float16 if dtype == torch.float16 else np.float32)
    for i, m in enumerate(maps):
        out[i] = m.detach().to("cpu", dtype).numpy()
    return out


def _causal(maps: torch.Tensor) -> bool:
    """Whether a layer's maps (``... x T x T``) give no weight to later tokens (a decoder's mask)."""
    if maps.shape[-1] != maps.shape[-2] or maps.shape[-1] < 2:
        return False
    return not bool(torch.triu(maps.detach(), 1).any())


# -- plain PyTorch ---------------------------------------------------------------------------
def _uncapturable(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules that look like attention (by class or attribute name) but are not, and hold no,
    ``nn.MultiheadAttention``: outermost ones only."""
    hits: list[tuple[str, nn.Module]] = []
    for name, m in model.named_modules():
        if not name or isinstance(m, nn.MultiheadAttention):
            continue
        if any(isinstance(c, nn.MultiheadAttention) for c in m.modules()):
            continue
        if not (_ATTENTION_NAME.search(type(m).__name__) or _ATTENTION_NAME.search(name.rsplit(".", 1)[-1])):
            continue
        if any(name.startswith(h + ".") for h, _ in hits):
            continue
        hits.append((name, m))
    mha = [n for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]
    return [(n, m) for n, m in hits if not any(n.startswith(a + ".") for a in mha)]


def _capture_torch(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                   dtype: torch.dtype) -> list[AttentionGroup]:
    wrapped = [n for n, m in model.named_modules() if n and _is_hf(m)]
    if wrapped:
        raise ValueError(f"cannot capture attention in {type(model).__name__}: {wrapped[0]!r} is a Hugging Face model "
                         f"inside a plain module, whose forward does not ask it for attention maps; call "
                         f"ts.attention(model.{wrapped[0]}, ...) so its attention implementation can be switched")
    custom = _uncapturable(model)
    if custom:
        listed = ", ".join(f"{n} ({type(m).__name__})" for n, m in custom[:6])
        raise ValueError(f"cannot capture attention in {type(model).__name__}: {listed} compute attention "
                         "themselves (not through nn.MultiheadAttention), so their weights never leave the "
                         "module; torchscope captures nn.MultiheadAttention (nn.TransformerEncoder/Decoder use it) "
                         "and Hugging Face models")
    mhas: list[tuple[str, nn.Module]] = [(n or type(m).__name__, m) for n, m in model.named_modules()
                                         if isinstance(m, nn.MultiheadAttention)]
    if not mhas:
        raise ValueError(f"{type(model).__name__} has no attention layer to capture: no nn.MultiheadAttention "
                         "(nn.TransformerEncoder/Decoder use it) and no module named like attention")
    captured: dict[str, list[tuple[str, torch.Tensor]]] = {n: [] for n, _ in mhas}
    with _mha_hooks(mhas, captured, dtype), eval_mode(model), torch.no_grad():
        model(*args, **kwargs)
    return _torch_groups(mhas, captured)


@contextmanager
def _mha_hooks(mhas: list[tuple[str, nn.Module]], captured: dict[str, list[tuple[str, torch.Tensor]]],
               dtype: torch.dtype) -> Iterator[None]:
    fast = torch.backends.mha.get_fastpath_enabled()
    handles = []
    pending: dict[int, list[tuple[bool, bool, str]]] = {}

    def pre(name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            bound = inspect.signature(module.forward).bind(*args, **kwargs).arguments
            wanted, avg = bound.get("need_weights", True), bound.get("average_attn_weights", True)
            role = "self" if bound["query"] is bound["key"] else "cross"
            pending.setdefault(id(module), []).append((wanted, avg, role))
            return (), {**bound, "need_weights": True, "average_attn_weights": False}
        return hook

    def post(name: str) -> Any:
        def hook(module: nn.Module, args: Any, kwargs: Any, output: Any) -> Any:
            wanted, avg, role = pending[id(module)].pop()
            out, weights = output
            w = weights.detach()
            captured[name].append((role, (w if w.ndim == 4 else w[None]).to("cpu", dtype)))
            return out, (weights.mean(dim=1) if avg else weights) if wanted else None
        return hook

    try:
        torch.backends.mha.set_fastpath_enabled(False)
        for name, m in mhas:
            handles.append(m.register_forward_pre_hook(pre(name), with_kwargs=True))
            handles.append(m.register_forward_hook(post(name), with_kwargs=True))
        yield
    finally:
        for h in handles:
            h.remove()
        torch.backends.mha.set_fastpath_enabled(fast)


def _torch_groups(mhas: list[tuple[str, nn.Module]],
                  captured: dict[str, list[tuple[str, torch.Tensor]]]) -> list[AttentionGroup]:
    parts: dict[tuple[str, str, tuple[int, ...]], list[tuple[str, torch.Tensor]]] = {}
    for name, _ in mhas:
        calls = captured[name]
        for k, (role, w) in enumerate(calls):
            label = name if len(calls) == 1 else f"{name}#{k}"
            parts.setdefault((_pattern(name), role, tuple(w.shape)), []).append((label, w))
    if not parts:
        raise ValueError("no nn.MultiheadAttention ran in the forward pass: nothing to capture")
    groups: list[AttentionGroup] = []
    for (pattern, role, _), layers in parts.items():
        lower = pattern.lower()
        name = "cross" if role == "cross" else "decoder" if "decoder" in lower else "encoder" if "encoder" in lower \
            else "self"
        if any(g.name == name for g in groups):
            name = pattern
        groups.append(AttentionGroup(name=name, role=role, layers=[n for n, _ in layers],
                                     maps=torch.stack([w for _, w in layers]).numpy(), causal=_causal(layers[0][1])))
    return groups


# -- labels ----------------------------------------------------------------------------------
def _vision(rec: AttentionMaps, model: nn.Module, pixels: torch.Tensor, length: int) -> None:
    """The patch grid, leading tokens and display images of a vision transformer's input."""
    from ..evaluate._common import display_images

    patch = getattr(getattr(model, "config", None), "patch_size", None)
    h = w = 0
    if patch is not None:
        ph, pw = (patch, patch) if isinstance(patch, int) else tuple(patch)
        h, w = pixels.shape[-2] // ph, pixels.shape[-1] // pw
    if not (0 < h * w <= length):
        found = _grid_side(length)
        if found is None:
            return
        h = w = found[1]
    rec.grid, rec.prefix = [int(h), int(w)], int(length - h * w)
    rec.image = display_images(pixels.detach().cpu())


def _labels(given: Sequence[Any] | None, ids: Any, tokenizer: Any, n: int, length: int, rec: AttentionMaps,
            what: str) -> list[list[str]]:
    if given is not None:
        lists = [list(given)] * n if given and isinstance(given[0], str) else [list(t) for t in given]
        if len(lists) != n:
            raise ValueError(f"{what}: {len(lists)} lists for {n} samples")
        return [[str(t) for t in row] for row in lists]
    if isinstance(ids, torch.Tensor) and ids.ndim == 2 and ids.shape[1] == length:
        rows = ids.detach().cpu().tolist()
        if tokenizer is not None:
            return [[str(t) for t in tokenizer.convert_ids_to_tokens(r)] for r in rows]
        return [[str(i) for i in r] for r in rows]
    if rec.grid is not None and what == "tokens":
        h, w = rec.grid
        lead = ["[CLS]"] + [f"[T{i}]" for i in range(1, rec.prefix)]
        return [lead[:rec.prefix] + [f"{r},{c}" for r in range(h) for c in range(w)]] * n
    return [[str(i) for i in range(length)]] * n


def _check_lengths(rec: AttentionMaps) -> None:
    for g in rec.groups:
        _, n, _, tq, tk = g.maps.shape
        for s in range(n):
            for which, size, axis in ((g.query, tq, "queries"), (g.key, tk, "keys")):
                got = len(rec.labels(which, s))
                if got != size:
                    raise ValueError(f"{which}: {got} tokens for sample {s}, but the {g.name} attention has {size} "
                                     f"{axis}; give one token per position")
