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
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, register_record

if TYPE_CHECKING:  # the record reads back without torch; building the model imports it
    import torch

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
        import torch

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

    def facts(self) -> list[tuple[str, Any]]:
        """What the checkpoint holds, as (name, value) rows: role, model, size, parameters, meta."""
        import torch

        try:
            state = torch.load(io.BytesIO(self.state), weights_only=True, map_location="cpu")
            params = sum(int(v.numel()) for v in state.values() if hasattr(v, "numel"))
        except Exception:  # unreadable bytes: still show the rest
            params = None
        model = self.builder or self.meta.get("class", "user model")
        rows: list[tuple[str, Any]] = [("role", self.role), ("model", model),
                                       ("size", f"{len(self.state) / 1e6:.2f} MB"),
                                       ("parameters", "?" if params is None else f"{params:,}")]
        rows += [(k, v) for k, v in self.config.items()]
        for k, v in self.meta.items():
            if k == "class_names":
                v = ", ".join(map(str, v[:20])) + (" ..." if len(v) > 20 else "")
            rows.append((k, v))
        if self.means is not None:
            rows.append(("class means", f"{len(self.means)} images {self.means.shape[1]}x{self.means.shape[2]}"))
        return rows

    def _pictures(self) -> tuple[np.ndarray, list[str]] | None:
        """Images worth showing: a generator's samples (seed 0), else a classifier's class means."""
        import torch

        from ._util import as_uint8, generate

        if self.role == "generator" and self.builder in BUILDERS:
            try:
                gen = self.build()
                z = torch.randn(16, int(self.meta.get("z_dim", gen.z_dim)), generator=torch.Generator().manual_seed(0))
                vr = tuple(self.meta.get("value_range", (-1.0, 1.0)))
                return as_uint8(generate(gen, z, value_range=vr)), [""] * 16
            except Exception:  # weights that no longer fit the builder: show the facts only
                return None
        if self.means is not None and len(self.means):
            names = list(self.meta.get("class_names", range(len(self.means))))
            return np.asarray(self.means), [str(n) for n in names[:len(self.means)]]
        return None

    def figure(self) -> Any:
        """A generator's samples from a fixed seed, or a classifier's class means, with the facts."""
        import matplotlib.pyplot as plt

        from ._util import image_axes

        pics = self._pictures()
        n = 0 if pics is None else min(len(pics[0]), 16)
        cols = max(1, min(n, 8))
        rows = (n + cols - 1) // cols if n else 0
        fig = plt.figure(figsize=(max(5.0, 1.0 * cols), 0.7 + 1.0 * rows), layout="constrained")
        grid = fig.add_gridspec(rows + 1, cols, height_ratios=[0.7] + [1.0] * rows)
        head = fig.add_subplot(grid[0, :])
        head.axis("off")
        facts = [f"{k}: {v}" for k, v in self.facts()[:8]]
        head.text(0, 1, f"{self.role} checkpoint\n" + "   ".join(facts[1:4]) + "\n" + "   ".join(facts[4:8]),
                  va="top", fontsize=8, family="monospace")
        for i in range(n):
            assert pics is not None
            image_axes(fig.add_subplot(grid[1 + i // cols, i % cols]), pics[0][i], pics[1][i] or None)
        return fig

    def _repr_html_(self) -> str:
        from .._display import card, table

        return card(f"{self.role} checkpoint", self.figure(), table(["", ""], self.facts()))


def save_checkpoint(run: Any, model: Any, *, role: str = "generator", step: int | None = None,
                    value_range: tuple[float, float] = (-1.0, 1.0), real: Any = None, **meta: Any) -> ModelCheckpoint:
    """Store ``model``'s weights with the run under ``gan/checkpoint/<role>``; returns the record.

    ``meta`` adds JSON facts (``z_dim=``, ``class_names=``...). A classifier may be a
    :class:`~torchscope.gan.FeatureExtractor` (its class names and id come along); ``real=dataset``
    stores each class's real mean image with it (the dashboard shows them beside the prototypes).
    Example: ``ts.gan.save_checkpoint(run, G, role="generator", z_dim=100)``,
    ``ts.gan.save_checkpoint(run, ts.gan.feature_extractor(ds), role="classifier", real=ds)``.
    """
    import torch

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
    info: dict[str, Any] = {"class": f"{type(model).__module__}.{type(model).__qualname__}",
                            "value_range": list(value_range)}
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
        rec = st.latest(run_id, ModelCheckpoint.kind, key=f"gan/checkpoint/{role}")
    finally:
        if owned:
            st.close()
    return rec.build(model)
