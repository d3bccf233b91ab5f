"""Attention maps of transformers: ``ts.attention(model, inputs, tokens=None)``, every layer and head.

``ts.attention`` returns an :class:`AttentionMaps` record (kind ``attention.maps``; its JSON shape
is documented in :mod:`.record`) with views: the head view, the model view, a heat map that stays
fast for thousands of tokens, and attention rollout (Abnar & Zuidema 2020) over a vision
transformer's patch grid. Hugging Face models run once on their eager attention (restored
afterwards); plain PyTorch ``nn.MultiheadAttention`` layers are captured through hooks.

Example::

    rec = ts.attention(bert, enc, tokenizer=tok); rec.head_view(layer=3); rec.model_view()
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .._lazy import LazyPackage as _LazyPackage
from .._lazy import lazy_package as _lazy_package

if _TYPE_CHECKING:
    from .capture import attention, eager_attention
    from .record import AttentionGroup, AttentionMaps
    from .rollout import rollout

__all__ = ["AttentionGroup", "AttentionMaps", "attention", "eager_attention", "rollout"]


class _CallableModule(_LazyPackage):
    """Importing ``torchscope.attention`` binds the package over the lazy ``ts.attention`` function, so
    the package calls through: ``ts.attention(model, ids)`` works whatever was imported first."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        from .capture import attention

        return attention(*args, **kwargs)


_lazy_package(__name__, {
    "attention": ".capture", "eager_attention": ".capture", "AttentionGroup": ".record",
    "AttentionMaps": ".record", "rollout": ".rollout",
}, cls=_CallableModule)
