"""Generator and classifier weights stored with a run, so the GAN lens (and the dashboard) can
rebuild them later: a ``gan.checkpoint`` record holding the ``state_dict`` bytes (``torch.save``,
read back with ``weights_only=True``), the constructor ``config`` and what the model needs around
it (``z_dim``, ``value_range``, ``class_names``...).

Models are rebuilt only from a fixed list of torchscope builders (configuration is data: nothing
is imported by name from the store); a user's own model loads with ``model=`` given.

Example::

    ts.gan.save_checkpoint(run, G, role="generator", z_dim=100)
    G = ts.gan.load_checkpoint("tsruns", run.id, role="generator")
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..records import Record, register_record

__all__ = ["BUILDERS", "ModelCheckpoint", "load_checkpoint", "save_checkpoint"]


def _builders() -> dict[str, type[torch.nn.Module]]:
    from .dcgan import Discriminator, Generator
    from .features import Classifier

    return {"dcgan.Generator": Generator, "dcgan.Discriminator": Discriminator, "features.Classifier": Classifier}


BUILDERS = ("dcgan.Generator", "dcgan.Discriminator", "features.Classifier")


@register_record
@dataclass
class ModelCheckpoint(Record):
    """One model's weights (``state``: bytes of ``torch.save(state_dict)``) and how to rebuild it.

    A classifier may carry ``means``: each class's real mean image (uint8 N x H x W x C), shown
    beside its class prototype.
    """

    kind: ClassVar[str] = "gan.checkpoint"
    role: str
    builder: str
    config: dict[str, Any]
    state: bytes
    meta: dict[str, Any] = field(default_factory=dict)
    means: np.ndarray | None = None

    def build(self, model: torch.nn.Module | None = None) -> torch.nn.Module:
        """The model with these weights, in eval mode: ``rec.build()`` (or into ``model``)."""
        if model is None:
            cls = _builders().get(self.builder)
            if cls is None:
                raise ValueError(f"checkpoint of a user model ({self.meta.get('class') or 'unknown class'}); "
                                 "pass model=<an instance of it> to load the weights into")
            model = cls(**self.config)
        model.load_state_dict(torch.load(io.BytesIO(self.state), weights_only=True, map_location="cpu"))
        model.eval()
        for name in ("z_dim", "value_range", "class_names"):
            if name in self.meta and not hasattr(model, name):
                setattr(model, name, tuple(self.meta[name]) if name == "value_range" else self.meta[name])
        return model

    def _repr_html_(self) -> str:
        import html

        meta = ", ".join(f"{k}={v}" for k, v in self.meta.items() if k != "class_names")
        return (f"<div class='torchscope-record'><b>{html.escape(self.role)} checkpoint</b> "
                f"{html.escape(self.builder or 'user model')} ({len(self.state) / 1e6:.2f} MB) "
                f"{html.escape(str(self.config))} {html.escape(meta)}</div>")


def save_checkpoint(run: Any, model: Any, *, role: str = "generator", step: int | None = None,
                    value_range: tuple[float, float] = (-1.0, 1.0), real: Any = None, **meta: Any) -> ModelCheckpoint:
    """Store ``model``'s weights with the run under ``gan/checkpoint/<role>``; returns the record.

    ``meta`` adds JSON facts (``z_dim=``, ``class_names=``...). A classifier may be a
    :class:`~torchscope.gan.FeatureExtractor` (its class names and id come along); ``real=dataset``
    stores each class's real mean image with it (the dashboard shows them beside the prototypes).
    Example: ``ts.gan.save_checkpoint(run, G, role="generator", z_dim=100)``,
    ``ts.gan.save_checkpoint(run, ts.gan.feature_extractor(ds), role="classifier", real=ds)``.
    """
    from .dcgan import Discriminator, Generator
    from .features import Classifier, FeatureExtractor

    if isinstance(model, FeatureExtractor):
        meta = {"class_names": list(model.class_names), "extractor": model.id, **meta}
        model = model.model
    means = None
    if real is not None:
        from .prototypes import class_means

        means = class_means(real)
        meta.setdefault("class_names", list(real.class_names))
    known = {Generator: "dcgan.Generator", Discriminator: "dcgan.Discriminator", Classifier: "features.Classifier"}
    builder = known.get(type(model), "")
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
    info = {"class": f"{type(model).__module__}.{type(model).__qualname__}", "value_range": list(value_range)}
    z_dim = getattr(model, "z_dim", None)
    if z_dim is not None:
        info["z_dim"] = int(z_dim)
    info.update(meta)
    rec = ModelCheckpoint(role=role, builder=builder, config=dict(getattr(model, "config", {}) if builder else {}),
                          state=buf.getvalue(), meta=info, means=means)
    run.log_record(rec, step=step, key=f"gan/checkpoint/{role}")
    return rec


def load_checkpoint(source: Any, run_id: str | None = None, *, role: str = "generator",
                    model: torch.nn.Module | None = None) -> torch.nn.Module:
    """Rebuild a stored model: ``load_checkpoint("tsruns", run_id, role="classifier")``.

    ``source`` is a :class:`ModelCheckpoint`, a store, or a store directory (then ``run_id``).
    """
    if isinstance(source, ModelCheckpoint):
        return source.build(model)
    if run_id is None:
        raise ValueError("load_checkpoint(store, run_id): run_id is required when reading a store")
    from ..store import open_store

    owned = isinstance(source, (str, Path))
    st = open_store(source) if owned else source
    try:
        rec = st.record(run_id, ModelCheckpoint.kind, key=f"gan/checkpoint/{role}")
    finally:
        if owned:
            st.close()
    return rec.build(model)
