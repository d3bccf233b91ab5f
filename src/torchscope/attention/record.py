"""The ``attention.maps`` record: attention weights of every layer and head, grouped by stack.

A model has one group of attention maps per stack: ``"self"`` (an encoder such as BERT or ViT, or
a decoder-only language model such as GPT-2 or Llama, whose maps are causal), or ``"encoder"``,
``"decoder"`` and ``"cross"`` for an encoder-decoder (T5, ``nn.Transformer``). Each group's maps are
one array, ``layers x samples x heads x queries x keys``; a row of a map is what one query token
attends to, and sums to 1.

JSON (what a dashboard panel reads; the maps travel as ``.npy`` blobs, float16 unless captured with
``dtype="float32"``)::

    {"model": "BertModel", "source": "huggingface" | "torch", "dtype": "float16",
     "tokens": [["[CLS]", "the", ...], ...],          # one list per sample: the (encoder) sequence
     "decoder_tokens": [[...], ...] | [],             # encoder-decoder models: the decoder's sequence
     "grid": [h, w] | null, "prefix": 1,              # vision transformers: the patch grid after `prefix`
                                                      # leading tokens (the class token)
     "image": {"__blob__": "image", ...} | null,      # N x H x W x 3 uint8, the images (ViTs)
     "groups": [{"name": "self", "role": "self" | "cross", "causal": false,
                 "layers": ["bert.encoder.layer.0.attention.self", ...],
                 "heads": 12, "shape": [L, N, H, Tq, Tk],
                 "query": "tokens" | "decoder_tokens", "key": "tokens" | "decoder_tokens",
                 "maps": {"__blob__": "maps.0", "type": "ndarray"}}]}

Example::

    rec = ts.attention(bert, enc, tokenizer=tok)
    rec.group().maps[11, 0, 3]        # layer 11, sample 0, head 3: T x T
    rec.head_view(layer=5); rec.model_view(); rec.heatmap(layer=5, head=0); rec.rollout(0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import _BLOB, Record, _array_to_blob, _blob_to_array, register_record
from .rollout import rollout as _rollout

__all__ = ["AttentionGroup", "AttentionMaps"]


@dataclass
class AttentionGroup:
    """One stack's maps: ``maps`` is ``layers x samples x heads x queries x keys``."""

    name: str
    role: str
    layers: list[str]
    maps: np.ndarray
    query: str = "tokens"
    key: str = "tokens"
    causal: bool = False

    @property
    def heads(self) -> int:
        return int(self.maps.shape[2])

    def describe(self) -> dict[str, Any]:
        """The group's JSON without its maps."""
        return {"name": self.name, "role": self.role, "causal": self.causal, "layers": list(self.layers),
                "heads": self.heads, "shape": list(self.maps.shape), "query": self.query, "key": self.key}


@register_record
@dataclass
class AttentionMaps(Record):
    """Attention maps of every layer and head of a model on a batch of inputs."""

    kind: ClassVar[str] = "attention.maps"
    groups: list[AttentionGroup]
    tokens: list[list[str]]
    decoder_tokens: list[list[str]] = field(default_factory=list)
    model: str = ""
    source: str = "torch"
    grid: list[int] | None = None
    prefix: int = 0
    image: np.ndarray | None = None

    # -- access ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.groups[0].maps.shape[1]) if self.groups else 0

    def group(self, name: str | None = None) -> AttentionGroup:
        """A group by name (``"self"``, ``"encoder"``, ``"decoder"``, ``"cross"``); None: the first."""
        if name is None:
            return self.groups[0]
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"no attention group {name!r}; this record has {[g.name for g in self.groups]}")

    def labels(self, which: str, sample: int = 0) -> list[str]:
        """The token labels of ``which`` (``"tokens"`` or ``"decoder_tokens"``) for a sample."""
        lists = self.tokens if which == "tokens" else self.decoder_tokens
        return lists[sample] if sample < len(lists) else lists[0]

    def rollout(self, sample: int = 0, group: str | None = None, *, head_fusion: str = "mean",
                residual: bool = True) -> np.ndarray:
        """Attention rollout (Abnar & Zuidema 2020) of a self-attention group: queries x keys."""
        g = self.group(group)
        if g.role != "self":
            raise ValueError(f"rollout follows self-attention through the layers; group {g.name!r} is cross-attention")
        return _rollout(g.maps[:, sample], head_fusion=head_fusion, residual=residual)

    def rollout_grid(self, sample: int = 0, group: str | None = None, **options: Any) -> np.ndarray:
        """The rollout from the first token (the class token) to each patch, as the ``h x w`` grid."""
        if self.grid is None:
            raise ValueError("this record has no patch grid (not a vision transformer's input)")
        h, w = self.grid
        return self.rollout(sample, group, **options)[0, self.prefix:self.prefix + h * w].reshape(h, w)

    # -- views (matplotlib, in .views) -------------------------------------------------------
    def head_view(self, layer: int = 0, sample: int = 0, group: str | None = None, **options: Any) -> Any:
        """One layer's heads as token-to-token lines (see :func:`torchscope.attention.views.head_view`)."""
        from .views import head_view

        return head_view(self, layer, sample, group, **options)

    def model_view(self, sample: int = 0, group: str | None = None, **options: Any) -> Any:
        """Layers x heads thumbnails (see :func:`torchscope.attention.views.model_view`)."""
        from .views import model_view

        return model_view(self, sample, group, **options)

    def heatmap(self, layer: int = -1, head: int | None = None, sample: int = 0, group: str | None = None,
                **options: Any) -> Any:
        """One map as a heat map, fast at thousands of tokens (see :func:`torchscope.attention.views.heatmap`)."""
        from .views import heatmap

        return heatmap(self, layer, head, sample, group, **options)

    def rollout_view(self, sample: int = 0, group: str | None = None, **options: Any) -> Any:
        """The rollout over the image's patch grid, or as a matrix (:func:`torchscope.attention.views.rollout_view`)."""
        from .views import rollout_view

        return rollout_view(self, sample, group, **options)

    def figure(self) -> Any:
        """The model view of the first sample's first group."""
        return self.model_view()

    def _repr_html_(self) -> str:
        from .._display import card, table

        rows = [(g.name, g.role + (" (causal)" if g.causal else ""), len(g.layers), g.heads,
                 f"{g.maps.shape[3]} x {g.maps.shape[4]}") for g in self.groups]
        facts = table(["group", "attention", "layers", "heads", "queries x keys"], rows)
        facts += table(["sample", "tokens"], [(i, " ".join(t)[:400]) for i, t in enumerate(self.tokens[:8])])
        return card(f"attention of {self.model}", self.figure(), facts)

    # -- serialization ----------------------------------------------------------------------
    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        blobs: dict[str, bytes] = {}
        groups = []
        for i, g in enumerate(self.groups):
            blobs[f"maps.{i}"] = _array_to_blob(g.maps)
            groups.append({**g.describe(), "maps": {_BLOB: f"maps.{i}", "type": "ndarray"}})
        image = None
        if self.image is not None:
            blobs["image"] = _array_to_blob(self.image)
            image = {_BLOB: "image", "type": "ndarray"}
        dtype = str(self.groups[0].maps.dtype) if self.groups else "float16"
        data = {"model": self.model, "source": self.source, "dtype": dtype, "tokens": self.tokens,
                "decoder_tokens": self.decoder_tokens, "grid": self.grid, "prefix": self.prefix,
                "image": image, "groups": groups}
        return data, blobs

    @classmethod
    def from_dict(cls, data: dict[str, Any], blobs: dict[str, bytes]) -> AttentionMaps:
        groups = [AttentionGroup(name=g["name"], role=g["role"], layers=list(g["layers"]),
                                 maps=_blob_to_array(blobs[g["maps"][_BLOB]]), query=g["query"], key=g["key"],
                                 causal=bool(g["causal"])) for g in data["groups"]]
        image = data.get("image")
        return cls(groups=groups, tokens=data["tokens"], decoder_tokens=data.get("decoder_tokens") or [],
                   model=data.get("model", ""), source=data.get("source", "torch"), grid=data.get("grid"),
                   prefix=int(data.get("prefix") or 0),
                   image=_blob_to_array(blobs[image[_BLOB]]) if image else None)
