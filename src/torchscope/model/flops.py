"""FLOP counting for the capture and the summary: PyTorch's FlopCounterMode, its missing kernels, module formulas.

``torch.utils.flop_counter.FlopCounterMode`` [1] counts matmul, convolution and attention
kernels at the ATen level. The capture enters its dispatch mode around each op except the ones
listed in :data:`FLOP_FREE` (elementwise, shape, normalization and pooling functions, which
never reach a counted kernel), so totals are PyTorch's own and the counter's per-op cost is
paid only where it matters. :func:`extra_flop_formulas` adds the kernels PyTorch's registry
lacks: the CPU attention kernel (PyTorch's own ``sdpa_flop_count``; the formula for scaled
dot-product attention is that of FlashAttention [2], two matmuls, 2 FLOPs per multiply-add),
the fused recurrent kernels that ``nn.LSTM`` reaches on CPU (oneDNN), CUDA (cuDNN), ROCm and MPS,
and matrix-vector products. :func:`module_flops` gives the FLOPs of a stock ``nn.Linear`` or
convolution from its shapes, with the same formulas, so the summary need not intercept its ops.

[1] PyTorch, ``torch/utils/flop_counter.py``.
[2] T. Dao et al., "FlashAttention: fast and memory-efficient exact attention with IO-awareness",
    NeurIPS 2022.
[3] S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 1997; the
    projection of H. Sak et al., "Long short-term memory recurrent neural network architectures
    for large scale acoustic modeling", Interspeech 2014 (``proj_size``).

Example: ``FlopCounterMode(custom_mapping=extra_flop_formulas())``
"""

from __future__ import annotations

import contextlib
from math import prod
from typing import Any

import torch
import torch.utils.flop_counter as _fc
from torch.utils.flop_counter import conv_flop_count

# FlopCounterMode's private dispatch mode: without it (older torch) the public mode is entered for
# the whole pass instead
_Mode: Any = getattr(_fc, "_FlopCounterMode", None)
_Base: Any = _Mode if _Mode is not None else object

__all__ = ["BY_SHAPES", "FAST_FLOPS", "FLOP_FREE", "Gate", "by_shapes", "counting", "extra_flop_formulas",
           "module_flops", "rnn_flops", "shape_flops"]

FAST_FLOPS = True


def _cpu_attention_flops(query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, out_shape: Any = None,
                         **kwargs: Any) -> int:
    from torch.utils.flop_counter import sdpa_flop_count

    return int(sdpa_flop_count(query_shape, key_shape, value_shape))


def rnn_flops(rows: int, weights: Any) -> int:
    """FLOPs of a fused recurrent kernel: ``rows`` time steps x batch entries through every matrix.

    Every layer and direction of an RNN, GRU or LSTM [3] runs each of its (time step, batch entry)
    rows through its weight matrices once: ``weight_ih`` (gates x input), ``weight_hh`` (gates x
    hidden, or x ``proj_size``) and, with a projection, ``weight_hr`` (``proj_size`` x hidden).
    A packed sequence has ``sum(batch_sizes)`` rows per layer, not time x batch. As for every
    matmul FlopCounterMode counts, a multiply-add is 2 FLOPs and the bias additions and gate
    nonlinearities are not counted. Example: an LSTM(10, 20) on 7 steps of 3: ``rnn_flops(21, [(80, 10),
    (80, 20)]) == 2 * 21 * 2400``.

    Why torchinfo says more: it multiplies every parameter, biases included, by the output
    positions. On its own ``lstm`` test case (Embedding(20, 300), a 2-layer LSTM(300, 512) and a
    Linear(512, 20) on 100 tokens) its golden file says 377.86M mult-adds; the multiply-adds
    are 376.01M in the LSTM (100 x (2048 x 300 + 3 x 2048 x 512)) and 1.02M in the decoder,
    377.04M: the 0.83M between are the embedding's 6,000 table entries (a lookup, no product),
    100 steps x 2 layers x 4,096 LSTM biases and 100 x 20 decoder biases.
    """
    return 2 * rows * sum(int(w[0]) * int(w[1]) for w in weights if w is not None and len(w) == 2)


def _rows(input_shape: Any, batch_sizes: Any) -> int:
    # a packed sequence's data is (sum(batch_sizes), features); a padded one (T, B, F) or (B, T, F)
    return int(input_shape[0]) if batch_sizes else prod(int(s) for s in input_shape[:-1])


def _mkldnn_rnn_flops(input_shape: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, hx: Any, cx: Any,
                      reverse: bool, batch_sizes: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    # one layer, one direction of nn.LSTM on CPU (oneDNN): what FlopCounterMode counts as 0
    return rnn_flops(_rows(input_shape, batch_sizes), [w_ih, w_hh])


def _cudnn_rnn_flops(input_shape: Any, weights: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    # all layers and directions of nn.LSTM/GRU/RNN on CUDA (cuDNN) or ROCm (MIOpen)
    batch_sizes = kwargs.get("batch_sizes", args[12] if len(args) > 12 else ())
    return rnn_flops(_rows(input_shape, batch_sizes), weights)


def _miopen_rnn_flops(input_shape: Any, weights: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    # MIOpen's signature is cuDNN's without weight_buf and proj_size: batch_sizes comes two places earlier
    batch_sizes = kwargs.get("batch_sizes", args[10] if len(args) > 10 else ())
    return rnn_flops(_rows(input_shape, batch_sizes), weights)


def _mps_lstm_flops(input_shape: Any, hx: Any, params: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return rnn_flops(_rows(input_shape, ()), params)


def _mv_flops(a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 2 * int(a_shape[0]) * int(a_shape[1])


def _addmv_flops(self_shape: Any, a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return _mv_flops(a_shape, b_shape)


def _dot_flops(a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return 2 * int(a_shape[0])


def _addbmm_flops(self_shape: Any, a_shape: Any, b_shape: Any, *args: Any, out_shape: Any = None,
                  **kwargs: Any) -> int:
    b, n, k = (int(s) for s in a_shape)
    return 2 * b * n * k * int(b_shape[-1])


_EXTRA = {
    "_scaled_dot_product_flash_attention_for_cpu": _cpu_attention_flops,
    "mkldnn_rnn_layer": _mkldnn_rnn_flops, "_cudnn_rnn": _cudnn_rnn_flops, "miopen_rnn": _miopen_rnn_flops,
    "_lstm_mps": _mps_lstm_flops,
    "mv": _mv_flops, "addmv": _addmv_flops, "dot": _dot_flops, "vdot": _dot_flops, "addbmm": _addbmm_flops,
}


def extra_flop_formulas() -> dict[Any, Any]:
    """FLOP formulas added to FlopCounterMode's registry: ``FlopCounterMode(custom_mapping=extra_flop_formulas())``.

    PyTorch's registry lacks the CPU kernel ``F.scaled_dot_product_attention`` dispatches to, the
    fused recurrent kernels (``nn.LSTM`` counts 0 on CPU, and every RNN on CUDA) and
    matrix-vector and dot products; each is counted here as a multiply-add kernel.
    """
    out: dict[Any, Any] = {}
    for name, formula in _EXTRA.items():
        op = getattr(torch.ops.aten, name, None)
        if op is not None:
            out[op] = formula
    return out


# Torch functions that never reach a kernel FlopCounterMode counts (mm, addmm, bmm, baddbmm,
# convolution, attention): they run outside its dispatch mode, which saves its per-op cost.
FLOP_FREE = frozenset({
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__", "__imul__",
    "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__", "__neg__", "__pow__", "__rpow__",
    "__getitem__", "__setitem__", "__and__", "__or__", "__invert__", "__eq__", "__ne__", "__lt__", "__le__",
    "__gt__", "__ge__", "__mod__", "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "neg", "pow",
    "sqrt", "rsqrt", "exp", "log", "abs", "clamp", "clamp_", "clip", "relu", "relu_", "gelu", "silu",
    "tanh", "sigmoid", "softmax", "log_softmax", "leaky_relu", "hardtanh", "elu", "selu", "mish",
    "hardswish", "hardsigmoid", "softplus", "dropout", "dropout_", "alpha_dropout", "dropout1d",
    "dropout2d", "dropout3d", "view", "view_as", "reshape", "reshape_as", "transpose", "t", "permute",
    "contiguous", "flatten", "unflatten", "squeeze", "unsqueeze", "expand", "expand_as", "repeat",
    "repeat_interleave", "cat", "concat", "concatenate", "stack", "chunk", "split", "narrow", "select",
    "index_select", "gather", "scatter", "masked_fill", "masked_fill_", "where", "to", "float", "half",
    "double", "long", "int", "bool", "type", "type_as", "clone", "detach", "copy_", "fill_", "zero_",
    "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "empty", "empty_like", "arange",
    "rand", "randn", "randint", "layer_norm", "batch_norm", "group_norm", "instance_norm", "rms_norm",
    "normalize", "embedding", "embedding_bag", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool2d", "max_pool2d_with_indices", "pad", "interpolate", "upsample", "mean", "sum",
    "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "norm", "cumsum", "prod", "all", "any",
    "isnan", "isinf", "tril", "triu", "flip", "roll", "identity", "T", "mT", "size", "dim",
    # tensor creation, comparisons, reductions and elementwise functions (no multiply-add kernel)
    "tensor", "as_tensor", "scalar_tensor", "from_numpy", "new_zeros", "new_ones", "new_full", "new_empty",
    "new_tensor", "gt", "lt", "ge", "le", "eq", "ne", "__bool__", "item", "tolist", "logical_and", "logical_or",
    "logical_not", "isfinite", "sort", "argsort", "topk", "nonzero", "numel", "erf", "sin", "cos", "floor",
    "ceil", "round", "sign", "square", "reciprocal", "log1p", "expm1", "log2", "exp2", "minimum", "maximum",
    "fmod", "remainder", "__rshift__", "__lshift__", "__xor__", "unbind", "movedim", "swapaxes", "masked_select",
    "index_add", "index_copy", "index_put", "index_put_", "scatter_add", "bincount", "one_hot", "cumprod",
    "diff", "tanh_", "sigmoid_", "exp_", "gelu_", "silu_", "fill", "nan_to_num", "addcmul", "addcdiv", "lerp",
    "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "affine_grid", "grid_sample", "channel_shuffle",
    "local_response_norm", "glu", "logsigmoid", "softmin", "softsign", "tanhshrink", "threshold", "rrelu",
    "celu", "relu6", "prelu", "hardshrink", "softshrink", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "smooth_l1_loss", "huber_loss",
})


_ATEN = frozenset({"aten", "prim", "prims", "profiler"})


class Gate(_Base):
    """FlopCounterMode's dispatch mode that also names the kernels it could not count: ops outside
    ATen (custom and extension ops) that have no formula and no decomposition into counted ops."""

    def __init__(self, counter: Any) -> None:
        super().__init__(counter)
        self.missed: list[str] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        packet = getattr(func, "_overloadpacket", None)
        if packet is not None and func.namespace not in _ATEN and packet not in self.counter.flop_registry:
            with self:
                out = func.decompose(*args, **(kwargs or {}))
            if out is not NotImplemented:
                return out
            self.missed.append(f"{func.namespace}.{packet.__name__}")
        return super().__torch_dispatch__(func, types, args, kwargs)


def counting(tracer: Any, *, whole: bool = False) -> Any:
    """Set up FLOP counting: FlopCounterMode's own dispatch mode (:class:`Gate`), entered by the
    tracer around each op that may count (not its module tracker: we attribute FLOPs to ops
    ourselves), or, with ``whole=True``, returned to be entered for the whole pass (TorchScript
    runs ops no TorchFunctionMode sees). Every count goes to the counter's "Global" total, the one
    ``get_total_flops()`` returns. Without the private mode, the public FlopCounterMode is entered
    for the whole pass instead."""
    counter = tracer.counter
    if counter is None:
        return contextlib.nullcontext()
    if FAST_FLOPS and _Mode is not None:
        counter.flop_counts.clear()
        gate = Gate(counter)
        tracer.gate = None if whole else gate
        tracer.missed = gate.missed
        return gate if whole else contextlib.nullcontext()
    return counter


def _mm(args: Any, kwargs: Any) -> int | None:
    a, b = args[-2], args[-1]  # mm(a, b), addmm(c, a, b), bmm(a, b), baddbmm(c, a, b)
    if a.dim() != b.dim() or a.dim() not in (2, 3) or a.shape[-1] != b.shape[-2]:
        return None
    return 2 * prod(a.shape) * int(b.shape[-1])


def _matmul(args: Any, kwargs: Any) -> int | None:
    a, b = args
    if a.dim() == 0 or b.dim() == 0:
        return None
    m = int(a.shape[-2]) if a.dim() > 1 else 1
    n = int(b.shape[-1]) if b.dim() > 1 else 1
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # folded into mm or expanded for bmm: same count
    return 2 * prod(batch) * m * int(a.shape[-1]) * n


def _linear(args: Any, kwargs: Any) -> int | None:
    x, w = args[0], (args[1] if len(args) > 1 else kwargs.get("weight"))
    if not isinstance(w, torch.Tensor) or w.dim() != 2 or x.dim() == 0:
        return None
    return 2 * prod(x.shape[:-1]) * int(w.shape[0]) * int(w.shape[1])


def _sdpa(args: Any, kwargs: Any) -> int | None:
    from torch.utils.flop_counter import sdpa_flop_count

    qkv = list(args[:3]) + [kwargs.get(n) for n in ("query", "key", "value")[len(args[:3]):]]
    if not all(isinstance(t, torch.Tensor) and t.dim() == 4 and not t.is_nested for t in qkv):
        return None
    q, k, v = qkv
    if q.shape[:2] != k.shape[:2] or k.shape[:2] != v.shape[:2] or kwargs.get("enable_gqa"):
        return None  # grouped-query attention: left to the kernel's own formula
    return int(sdpa_flop_count(q.shape, k.shape, v.shape))


# FLOPs of torch functions from their arguments' shapes, before they run, exactly as FlopCounterMode
# counts the kernels they reach (mm, addmm, bmm, baddbmm, dot, mv, attention): no dispatch-mode round
# trip per ATen op. Each entry: the formula and how many leading arguments must be tensors. A formula
# answers None for arguments it does not know: the op is then counted by the dispatch mode.
BY_SHAPES: dict[str, tuple[Any, int]] = {
    "mm": (_mm, 2), "addmm": (_mm, 3), "bmm": (_mm, 2), "baddbmm": (_mm, 3), "matmul": (_matmul, 2),
    "__matmul__": (_matmul, 2), "linear": (_linear, 1), "scaled_dot_product_attention": (_sdpa, 0),
}


def shape_flops(name: str, args: Any, kwargs: Any) -> int | None:
    """FLOPs of ``name(*args, **kwargs)`` from shapes, or None: ``shape_flops("mm", (a, b), {})``."""
    entry = BY_SHAPES.get(name)
    if entry is None:
        return None
    formula, tensors = entry
    if len(args) < tensors or not all(isinstance(t, torch.Tensor) for t in args[:tensors]):
        return None
    try:
        return formula(args, kwargs)
    except (IndexError, RuntimeError, TypeError, ValueError):
        return None


def by_shapes(module: torch.nn.Module, args: Any) -> bool:
    """Whether :func:`module_flops` can count this call from shapes: a stock ``nn.Linear`` (input of 2
    or more dims), ``nn.ConvNd`` or ``nn.ConvTransposeNd`` (batched input), called with its input
    as the first positional argument. A subclass may compute anything, so types match exactly."""
    kind = _FORMULAS.get(type(module))
    if kind is None or not args or not isinstance(args[0], torch.Tensor):
        return False
    weight = module._parameters.get("weight")
    if not isinstance(weight, torch.Tensor):
        return False
    return args[0].dim() >= 2 if kind == "linear" else args[0].dim() == weight.dim()


def module_flops(module: torch.nn.Module, x_shape: Any, out_shape: Any) -> int:
    """FLOPs of one call of a stock ``nn.Linear``, ``nn.ConvNd`` or ``nn.ConvTransposeNd`` from its
    input and output shapes, exactly as FlopCounterMode counts its kernel (``mm``, ``convolution``,
    with PyTorch's own ``conv_flop_count``): only for calls :func:`by_shapes` accepts.

    Example: ``module_flops(nn.Linear(4, 3), [2, 4], [2, 3]) == 2 * 2 * 4 * 3``.
    """
    kind = _FORMULAS[type(module)]
    w = module._parameters["weight"].shape  # type: ignore[union-attr]
    if kind == "linear":
        return 2 * prod(x_shape[:-1]) * w[1] * w[0]
    return int(conv_flop_count(list(x_shape), list(w), list(out_shape), kind == "transposed"))


_FORMULAS: dict[type, str] = {
    torch.nn.Linear: "linear",
    torch.nn.Conv1d: "conv", torch.nn.Conv2d: "conv", torch.nn.Conv3d: "conv",
    torch.nn.ConvTranspose1d: "transposed", torch.nn.ConvTranspose2d: "transposed",
    torch.nn.ConvTranspose3d: "transposed",
}
