"""The GAN as a lens, part 3: what a classifier's classes look like, and what would change its mind.

- :func:`prototypes`: activation maximization with a generator as the image prior (Nguyen,
  Dosovitskiy, Yosinski, Brox & Clune, "Synthesizing the preferred inputs for neurons in neural
  networks via deep generator networks", NeurIPS 2016): optimize the latent code ``z`` to maximize
  the classifier's logit for a class, with an L2 penalty that keeps ``z`` where the generator was
  trained, from several random starts; shown beside the class's real mean image.
- :func:`counterfactual`: from a generated sample the classifier calls ``source``, the smallest
  latent change (cross-entropy to ``target`` plus an L2 penalty on the change) that makes it say
  ``target``; the straight path to it is shown as a strip with the probabilities along it.

Example::

    ts.gan.prototypes(G, fx, dataset=ds).figure(); ts.gan.counterfactual(G, fx, "3", "8").figure()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._util import as_uint8, dataset_tensors, frozen_stats, image_axes, small_model_threads
from .lens import _z_dim

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    import torch

__all__ = ["Counterfactual", "Prototypes", "class_means", "counterfactual", "prototypes"]

Progress = Callable[[int, int], Any]  # callback(done, total) after every optimizer step; raise in it to stop


def _parts(classifier: Any) -> tuple[torch.nn.Module, list[str]]:
    model = getattr(classifier, "model", classifier)
    names = list(getattr(classifier, "class_names", None) or getattr(model, "class_names", None) or [])
    return model, names


def _index(c: Any, names: list[str]) -> int:
    if isinstance(c, str):
        if c not in names:
            raise ValueError(f"unknown class {c!r}; the classifier's classes are {names}")
        return names.index(c)
    return int(c)


def _image_fn(G: torch.nn.Module, value_range: tuple[float, float]) -> Any:
    lo, hi = value_range
    return lambda z: (G(z) - lo) / (hi - lo)  # differentiable (no clamp: tanh stays in range)


@register_record
@dataclass
class Prototypes(Record):
    """Per class: the optimized ``images``, the real ``means``, probabilities before/after, and ``z``."""

    kind: ClassVar[str] = "gan.prototypes"
    images: np.ndarray
    means: np.ndarray
    classes: list[str]
    start_probs: list[float]
    probs: list[float]
    z: np.ndarray
    steps: int = 200

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k = len(self.classes)
        rows = 2 if len(self.means) else 1
        fig = Figure(figsize=(1.15 * k + 0.8, 1.35 * rows + 0.5))
        axes = fig.subplots(rows, k, squeeze=False, gridspec_kw={"wspace": 0.08, "hspace": 0.35})
        for i, c in enumerate(self.classes):
            image_axes(axes[0, i], self.images[i], f"'{c}' p={self.probs[i]:.2f}")
            if rows == 2:
                image_axes(axes[1, i], self.means[i], "real mean")
        axes[0, 0].set_ylabel("prototype", fontsize=8)
        fig.suptitle("class prototypes: z optimized for the classifier's score (generator as prior)", fontsize=9)
        return fig


def class_means(dataset: Any, classes: Any = None, *, limit: int | None = 20000, seed: int = 0) -> np.ndarray:
    """Each class's real mean image (uint8 NHWC, from up to ``limit`` samples): ``class_means(ds)``."""
    import torch

    x, y = dataset_tensors(dataset, limit, seed=seed)
    idx = range(len(dataset.class_names)) if classes is None else classes
    return as_uint8(torch.stack([x[y == c].mean(0) if bool((y == c).any()) else torch.zeros(x.shape[1:])
                                 for c in idx]))


def prototypes(generator: torch.nn.Module, classifier: Any, classes: Any = None, *, dataset: Any = None,
               means: np.ndarray | None = None, z_dim: int | None = None, steps: int = 200, starts: int = 16,
               lr: float = 0.05, l2: float = 1.0, value_range: tuple[float, float] = (-1.0, 1.0), seed: int = 0,
               callback: Progress | None = None) -> Prototypes:
    """Optimize ``z`` per class for the classifier's logit: ``ts.gan.prototypes(G, fx, dataset=ds)``.

    ``classifier`` is a :class:`~torchscope.gan.FeatureExtractor` or a module on images in [0, 1];
    ``dataset`` adds each class's real mean image (or give ``means``, all classes' uint8 means, as
    :func:`class_means` returns them). ``callback(done, total)`` is called after every step.
    """
    import torch

    model, names = _parts(classifier)
    d = _z_dim(generator, z_dim)
    idx = list(range(len(names))) if classes is None else [_index(c, names) for c in classes]
    device = next(generator.parameters()).device
    g = torch.Generator().manual_seed(seed)
    img = _image_fn(generator, value_range)
    target = torch.tensor(idx, device=device).repeat_interleave(starts)  # all classes in one batch
    with small_model_threads(generator, model), frozen_stats(generator, train=False), \
            frozen_stats(model, train=False), torch.enable_grad():
        z = torch.randn(len(target), d, generator=g).to(device).requires_grad_(True)
        with torch.no_grad():
            p0 = model(img(z)).softmax(-1).gather(1, target[:, None])[:, 0]
        opt = torch.optim.Adam([z], lr=lr)
        for i in range(steps):
            loss = -model(img(z)).gather(1, target[:, None]).sum() + l2 * (z * z).sum() / d
            (grad,) = torch.autograd.grad(loss, z)
            z.grad = grad
            opt.step()
            if callback is not None:
                callback(i + 1, steps)
        with torch.no_grad():
            p = model(img(z)).softmax(-1).gather(1, target[:, None])[:, 0].reshape(len(idx), starts)
            best = p.argmax(1)
            zs = z.detach().reshape(len(idx), starts, d)[torch.arange(len(idx)), best]
            images = as_uint8(img(zs).clamp(0, 1).cpu())
    start_p = p0.reshape(len(idx), starts).mean(1).tolist()
    end_p = p.max(1).values.tolist()
    if dataset is not None:
        means = class_means(dataset, idx, limit=None)
    elif means is not None and len(means):
        means = np.asarray(means)[idx]
    else:
        means = np.zeros((0, *images.shape[1:]), np.uint8)
    return Prototypes(images=images, means=means, classes=[names[c] if names else str(c) for c in idx],
                      start_probs=start_p, probs=end_p, z=zs.cpu().numpy(), steps=steps)


@register_record
@dataclass
class Counterfactual(Record):
    """``images`` along the latent path from ``source`` to ``target``; ``probs`` (N x classes) along it."""

    kind: ClassVar[str] = "gan.counterfactual"
    images: np.ndarray
    probs: np.ndarray
    alphas: list[float]
    source: str
    target: str
    class_names: list[str] = field(default_factory=list)
    distance: float = 0.0  # |delta z|
    z: np.ndarray | None = None

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        n = len(self.images)
        s, t = self.class_names.index(self.source), self.class_names.index(self.target)
        fig = Figure(figsize=(max(1.05 * n, 6.0), 3.4))
        gs = fig.add_gridspec(2, n, height_ratios=[1.0, 1.1], hspace=0.35, wspace=0.06)
        for i in range(n):
            image_axes(fig.add_subplot(gs[0, i]), self.images[i], f"{self.alphas[i]:.2f}")
        ax = fig.add_subplot(gs[1, :])
        ax.plot(self.alphas, self.probs[:, s], "o-", color="#4c72b0", label=f"p('{self.source}')")
        ax.plot(self.alphas, self.probs[:, t], "o-", color="#dd8452", label=f"p('{self.target}')")
        other = np.delete(self.probs, [s, t], axis=1).max(axis=1) if self.probs.shape[1] > 2 else None
        if other is not None:
            ax.plot(self.alphas, other, ":", color="grey", label="max other")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("fraction of the latent change", fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=7)
        fig.suptitle(f"counterfactual '{self.source}' -> '{self.target}' (|Δz| = {self.distance:.2f})", fontsize=9)
        return fig


def counterfactual(generator: torch.nn.Module, classifier: Any, source: Any, target: Any, *, z: Any = None,
                   z_dim: int | None = None, points: int = 9, steps: int = 300, lr: float = 0.05, l2: float = 0.05,
                   confidence: float = 0.9, value_range: tuple[float, float] = (-1.0, 1.0),
                   seed: int = 0, callback: Progress | None = None) -> Counterfactual:
    """The smallest latent change turning a ``source`` sample into ``target``: ``counterfactual(G, fx, "3", "8")``.

    Without ``z`` the start is the most confident ``source`` sample among 512 random codes.
    ``callback(done, total)`` is called after every step (``done == total`` when it stops early).
    """
    import torch

    model, names = _parts(classifier)
    s, t = _index(source, names), _index(target, names)
    d = _z_dim(generator, z_dim)
    device = next(generator.parameters()).device
    img = _image_fn(generator, value_range)
    with small_model_threads(generator, model), frozen_stats(generator, train=False), \
            frozen_stats(model, train=False):
        if z is None:
            cand = torch.randn(512, d, generator=torch.Generator().manual_seed(seed)).to(device)
            z0 = cand[int(model(img(cand)).softmax(-1)[:, s].argmax())]
        else:
            z0 = torch.as_tensor(z, dtype=torch.float32).reshape(-1).to(device)
        delta = torch.zeros_like(z0, requires_grad=True)
        opt = torch.optim.Adam([delta], lr=lr)
        with torch.enable_grad():
            for i in range(steps):
                logits = model(img((z0 + delta)[None]))
                if float(logits.detach().softmax(-1)[0, t]) >= confidence:
                    break
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor([t], device=device)) \
                    + l2 * (delta * delta).sum()
                (grad,) = torch.autograd.grad(loss, delta)
                delta.grad = grad
                opt.step()
                if callback is not None:
                    callback(i + 1, steps)
            if callback is not None:
                callback(steps, steps)
        a = torch.linspace(0, 1, points, device=device)
        path = z0 + a[:, None] * delta.detach()
        x = img(path).clamp(0, 1)
        probs = model(x).softmax(-1)
    label = [names[i] if names else str(i) for i in range(probs.shape[1])]
    return Counterfactual(images=as_uint8(x.cpu()), probs=probs.cpu().numpy(), alphas=a.cpu().tolist(),
                          source=label[s], target=label[t], class_names=label,
                          distance=float(delta.detach().norm()), z=path.cpu().numpy())
