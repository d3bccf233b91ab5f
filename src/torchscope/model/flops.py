"""FLOP counting for the capture: PyTorch's FlopCounterMode, entered only around ops that may count.

``torch.utils.flop_counter.FlopCounterMode`` [1] counts matmul, convolution and attention
kernels at the ATen level. The capture enters its dispatch mode around each op except the ones
listed in :data:`FLOP_FREE` (elementwise, shape, normalization and pooling functions, which
never reach a counted kernel), so totals are PyTorch's own and the counter's per-op cost is
paid only where it matters. :func:`extra_flop_formulas` adds the CPU attention kernel that
PyTorch's registry lacks, with PyTorch's own ``sdpa_flop_count``; the formula for scaled
dot-product attention is that of FlashAttention [2] (two matmuls, 2 FLOPs per multiply-add).

[1] PyTorch, ``torch/utils/flop_counter.py``.
[2] T. Dao et al., "FlashAttention: fast and memory-efficient exact attention with IO-awareness",
    NeurIPS 2022.

Example: ``FlopCounterMode(custom_mapping=extra_flop_formulas())``
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

__all__ = ["FAST_FLOPS", "FLOP_FREE", "counting", "extra_flop_formulas"]

FAST_FLOPS = True


def _cpu_attention_flops(query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, out_shape: Any = None,
                         **kwargs: Any) -> int:
    from torch.utils.flop_counter import sdpa_flop_count

    return int(sdpa_flop_count(query_shape, key_shape, value_shape))


def extra_flop_formulas() -> dict[Any, Any]:
    """FLOP formulas added to FlopCounterMode's registry: ``FlopCounterMode(custom_mapping=extra_flop_formulas())``.

    PyTorch's registry has the CUDA attention kernels but not the CPU one that
    ``F.scaled_dot_product_attention`` dispatches to, so attention would count 0 on CPU; we
    count it with PyTorch's own ``sdpa_flop_count``.
    """
    op = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    return {op: _cpu_attention_flops} if op is not None else {}


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
    "normalize", "embedding", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool2d", "max_pool2d_with_indices", "pad", "interpolate", "upsample", "mean", "sum",
    "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "norm", "cumsum", "prod", "all", "any",
    "isnan", "isinf", "tril", "triu", "flip", "roll", "identity", "T", "mT", "size", "dim"
})


def counting(tracer: Any) -> Any:
    """Set up FLOP counting: FlopCounterMode's own dispatch mode, entered by the tracer around each
    op that may count (not its module tracker: we attribute FLOPs to ops ourselves). Every count
    goes to the counter's "Global" total, the one ``get_total_flops()`` returns. Without the
    private mode, the public FlopCounterMode is entered for the whole pass instead."""
    counter = tracer.counter
    if counter is None:
        return contextlib.nullcontext()
    if FAST_FLOPS:
        try:
            from torch.utils.flop_counter import _FlopCounterMode

            counter.flop_counts.clear()
            tracer.gate = _FlopCounterMode(counter)
            return contextlib.nullcontext()
        except (ImportError, TypeError):
            pass
    return counter
