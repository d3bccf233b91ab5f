"""A small classifier trained on a data set, used as the feature space of the GAN metrics and as
the model the GAN lens explains.

FID (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium", NeurIPS 2017) uses Inception-v3 features, which need downloaded ImageNet weights and
only suit natural photos. Here the features are the penultimate layer of a small CNN trained on the
*same* data set (as Kynkaanniemi et al. 2019 and many papers do for MNIST-like data). It is trained
once and cached under ``$TORCHSCOPE_CACHE`` (default ``~/.cache/torchscope``), keyed by a
fingerprint of the data set, so every run on that data set measures in the same space; its ``id``
is recorded with every metric value.

Example::

    fx = ts.gan.feature_extractor(ts.data.load("digits")); f = fx.features(x01)
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._util import dataset_tensors, small_model_threads, threads

__all__ = ["Classifier", "FeatureExtractor", "cache_dir", "feature_extractor", "fingerprint"]

VERSION = "cnn-v1"  # bump when the architecture or training recipe changes: old caches are ignored


def cache_dir() -> Path:
    """Where trained extractors live: ``$TORCHSCOPE_CACHE`` or ``~/.cache/torchscope``."""
    root = os.environ.get("TORCHSCOPE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torchscope")
    return Path(root) / "gan-features"


def fingerprint(ds: Any) -> str:
    """A short hash of a data set's name, size, classes, shape and (a sample of) its pixels."""
    h = hashlib.sha256()
    h.update(f"{ds.name}|{len(ds)}|{ds.class_names}|{ds.sample_shape}".encode())
    idx = np.linspace(0, len(ds) - 1, num=min(len(ds), 256)).astype(np.int64)
    h.update(np.ascontiguousarray(ds.take(idx, progress=False)).tobytes())
    h.update(np.ascontiguousarray(ds.targets).tobytes())
    return h.hexdigest()[:16]


class Classifier(nn.Module):
    """A small CNN: images in [0, 1] to class logits; ``features`` is its penultimate layer.

    Example: ``Classifier(channels=1, num_classes=10)(torch.rand(2, 1, 8, 8)).shape == (2, 10)``.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 16, feature_dim: int = 64) -> None:
        super().__init__()
        self.config: dict[str, Any] = {"channels": channels, "num_classes": num_classes, "width": width,
                                       "feature_dim": feature_dim}
        w = width
        self.body = nn.Sequential(  # any input size: pooled to 8x8 first (28x28 MNIST, 64x64 colour)
            nn.AdaptiveAvgPool2d(8), nn.Conv2d(channels, w, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
            nn.Linear(8 * w, feature_dim), nn.ReLU())
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class FeatureExtractor:
    """A trained :class:`Classifier` with its identity: ``fx.features(x)``, ``fx.probs(x)``, ``fx.id``."""

    def __init__(self, model: Classifier, *, id: str, accuracy: float, class_names: list[str]) -> None:
        self.model = model.eval()
        self.id, self.accuracy, self.class_names = id, accuracy, class_names

    def __repr__(self) -> str:
        return f"FeatureExtractor({self.id!r}, held-out accuracy {self.accuracy:.3f})"

    def _batched(self, fn: Any, x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
        with torch.no_grad(), small_model_threads(self.model):
            return torch.cat([fn(x[i:i + batch].float()) for i in range(0, len(x), batch)])

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features (N x D) of images in [0, 1] (N x C x H x W)."""
        return self._batched(self.model.features, x)

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N x classes) of images in [0, 1]."""
        return self._batched(lambda t: self.model(t).softmax(-1), x)


def _train(x: torch.Tensor, y: torch.Tensor, classes: int, *, epochs: int, seed: int) -> tuple[Classifier, float]:
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    n_test = max(1, len(x) // 10)
    test, train = perm[:n_test], perm[n_test:]
    torch.manual_seed(seed)
    model = Classifier(x.shape[1], classes)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * max(1, len(train) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    model.train()
    for _ in range(steps):
        idx = train[torch.randint(len(train), (64,), generator=g)]
        xb = x[idx]
        shift = torch.randint(-1, 2, (2,), generator=g).tolist()  # a 1-pixel jitter: a smoother feature space
        xb = torch.roll(xb, shifts=shift, dims=(2, 3))
        loss = nn.functional.cross_entropy(model(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(x[test]).argmax(-1) == y[test]).float().mean())
    return model, acc


def feature_extractor(ds: Any, *, epochs: int | None = None, limit: int = 20000, seed: int = 0,
                      cache: bool = True) -> FeatureExtractor:
    """The data set's trained classifier, from the cache or trained now (seconds on CPU).

    Example: ``fx = ts.gan.feature_extractor(ts.data.load("digits"))``.
    """
    from ..data.views._common import require

    ds = require(ds, "image", "feature_extractor")
    fp = fingerprint(ds)
    ident = f"torchscope-{VERSION}:{ds.name}:{fp}"
    path = cache_dir() / f"{VERSION}-{fp}.pt"
    if cache and path.exists():
        saved = torch.load(path, weights_only=True)
        model = Classifier(**saved["config"])
        model.load_state_dict(saved["state"])
        return FeatureExtractor(model, id=ident, accuracy=saved["accuracy"], class_names=saved["class_names"])
    x, y = dataset_tensors(ds, limit, seed=seed)
    if epochs is None:
        epochs = int(np.clip(40_000 // max(len(x), 1), 2, 20))
    with threads(1):
        model, acc = _train(x, y, ds.num_classes, epochs=epochs, seed=seed)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        torch.save({"config": model.config, "state": model.state_dict(), "accuracy": acc,
                    "class_names": list(ds.class_names)}, buf)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(buf.getvalue())
        tmp.replace(path)  # atomic: concurrent processes never read half a file
    return FeatureExtractor(model, id=ident, accuracy=acc, class_names=list(ds.class_names))
