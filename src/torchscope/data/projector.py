"""Embedding projector: PCA, t-SNE and UMAP of raw inputs or of a model's embeddings, 2-D or 3-D.

- PCA (Pearson 1901; Hotelling 1933) through scikit-learn's ``PCA``.
- t-SNE (van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 2008) through
  scikit-learn's Barnes-Hut ``TSNE`` (van der Maaten 2014). As in the paper, inputs with more
  than ``pca_dims`` (50) dimensions are first reduced by PCA.
- UMAP (McInnes, Healy & Melville, "UMAP: Uniform Manifold Approximation and Projection", 2018)
  when ``umap-learn`` is installed (imported only when asked for).

The result is a :class:`~torchscope.data.projection.Projection` record: float32 coordinates,
labels, predictions, class names and the image thumbnails as one PNG sprite sheet, ready for an
interactive scatter. The parameters match scikit-learn's defaults, so the only overhead over
calling it directly is sampling, flattening and the thumbnails.

Example::

    rec = ts.data.project(ds, method="tsne", model=model, layer="classifier.1")
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from torch import nn

from ._images import thumbnails as make_thumbnails
from .dataset import Dataset
from .embed import embeddings
from .projection import Projection

__all__ = ["METHODS", "project", "reduce"]

METHODS = ("pca", "tsne", "umap")
_DEFAULT_POINTS = {"pca": 70_000, "tsne": 10_000, "umap": 70_000}


@contextmanager
def _stage(bar: Any, name: str) -> Iterator[None]:
    """Show ``name`` and its elapsed time on ``bar`` while a long call (with no callback) runs."""
    bar.set_description(name)
    done = threading.Event()
    t0 = time.perf_counter()

    def tick() -> None:
        while not done.wait(1.0):
            bar.set_postfix_str(f"{time.perf_counter() - t0:.0f} s", refresh=True)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.update(1)


def reduce(x: np.ndarray, method: str = "pca", dims: int = 2, *, seed: int = 0, perplexity: float = 30.0,
           pca_dims: int = 50, n_neighbors: int = 15, min_dist: float = 0.1, progress: bool = True,
           ) -> tuple[np.ndarray, dict[str, Any]]:
    """Project rows of ``x`` to ``dims`` dimensions; returns ``(coords float32, params)``: ``reduce(x, "tsne")``."""
    from torchscope._progress import tqdm

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    n = len(x)
    if n < dims + 2:
        raise ValueError(f"{method} needs at least {dims + 2} points, got {n}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    params: dict[str, Any] = {"method": method, "dims": dims, "seed": seed, "n_points": n, "n_features": x.shape[1]}
    pre = method != "pca" and x.shape[1] > pca_dims and n > pca_dims
    with tqdm(total=1 + pre, desc=method, disable=not progress, unit="stage") as bar:
        if method == "umap":
            try:
                with warnings.catch_warnings():  # umap-learn warns that TensorFlow (ParametricUMAP) is absent
                    warnings.simplefilter("ignore", ImportWarning)
                    import umap
            except ImportError as exc:
                raise ImportError("method='umap' needs the optional package umap-learn: pip install umap-learn "
                                  "(or use method='tsne' or 'pca')") from exc
        from sklearn.decomposition import PCA

        if pre:
            with _stage(bar, f"PCA to {pca_dims} dims"):
                x = PCA(n_components=pca_dims, random_state=seed).fit_transform(x)
            params["pca_dims"] = pca_dims
        if method == "pca":
            with _stage(bar, f"PCA of {n:,} points"):
                pca = PCA(n_components=dims, random_state=seed)
                out = pca.fit_transform(x)
            params["explained_variance_ratio"] = pca.explained_variance_ratio_.tolist()
        elif method == "tsne":
            from sklearn.manifold import TSNE

            perp = float(min(perplexity, (n - 1) / 3))
            with _stage(bar, f"t-SNE of {n:,} points (perplexity {perp:g})"):
                out = TSNE(n_components=dims, perplexity=perp, init="pca", learning_rate="auto",
                           random_state=seed).fit_transform(x)
            params["perplexity"] = perp
        else:
            with _stage(bar, f"UMAP of {n:,} points"):
                out = umap.UMAP(n_components=dims, n_neighbors=min(n_neighbors, n - 1), min_dist=min_dist,
                                random_state=seed, n_jobs=1).fit_transform(x)
            params.update(n_neighbors=min(n_neighbors, n - 1), min_dist=min_dist)
    return np.asarray(out, dtype=np.float32), params


def project(data: Any, labels: Any = None, *, method: str = "pca", dims: int = 2, model: nn.Module | None = None,
            layer: str | nn.Module | None = None, predictions: Any = None, max_points: int | None = None,
            seed: int = 0, thumbnails: bool = True, thumb_size: int = 32, standardize: bool | None = None,
            progress: bool = True, **method_args: Any) -> Projection:
    """Project a data set (or a model's embeddings of it) to 2-D/3-D: ``ts.data.project(ds, method="tsne")``.

    Args:
        data: anything ``ts.data.load`` takes (a Dataset, an inputs array, a path, a name).
        labels: labels when ``data`` is an array (e.g. precomputed embeddings).
        method: ``"pca"``, ``"tsne"`` or ``"umap"``; dims: 2 or 3.
        model, layer: project the output of ``layer`` (a name or a module; default the model's
            output) instead of the raw inputs; predictions come from the model's output.
        predictions: per-sample predicted classes, when you have them (aligned with ``data``).
        max_points: random sample size (default 10,000 for t-SNE, 70,000 otherwise).
        standardize: scale each input feature to zero mean and unit variance first (default: on
            for the raw columns of a table, whose units differ; off for images and embeddings).
        method_args: ``perplexity``, ``pca_dims``, ``n_neighbors``, ``min_dist``.
    """
    from .load import load

    ds = data if isinstance(data, Dataset) else load(data, labels)
    limit = max_points if max_points is not None else _DEFAULT_POINTS.get(method, 10_000)
    idx = ds.sample_indices(limit, seed=seed)
    raw = ds.take(idx, progress=progress) if (model is None or (thumbnails and ds.task == "image")) else None
    pred = None
    if model is not None:
        feats, pred = embeddings(model, ds, layer=layer, indices=idx)
        source = f"model layer {layer!r}" if layer is not None else "model output"
    else:
        assert raw is not None
        feats = raw.reshape(len(raw), -1)
        feats = feats.astype(np.float32) / 255.0 if feats.dtype == np.uint8 else feats.astype(np.float32, copy=False)
        source = "inputs"
        if standardize if standardize is not None else ds.task == "tabular":
            std = feats.std(0)
            feats = (feats - feats.mean(0)) / np.where(std > 0, std, 1)
            source = "standardized inputs"
    if predictions is not None:
        pred = np.asarray(predictions.cpu() if hasattr(predictions, "cpu") else predictions).reshape(-1)
        if len(pred) != len(ds):
            raise ValueError(f"predictions has {len(pred)} entries but {ds.name!r} has {len(ds)} samples")
        pred = pred[idx].astype(np.int64)
    coords, params = reduce(feats, method, dims, seed=seed, progress=progress, **method_args)
    thumbs = None
    if thumbnails and ds.task == "image" and raw is not None:
        side = max(1, int(np.ceil(np.sqrt(len(raw)))))  # keep the sprite sheet within 8192 px (WebGL textures)
        thumbs = make_thumbnails(raw, max(4, min(thumb_size, 8192 // side)))
    params["source"] = source
    return Projection(coords=coords, labels=ds.targets[idx].astype(np.int32), class_names=list(ds.class_names),
                      method=method, indices=idx.astype(np.int64),
                      predictions=None if pred is None else pred.astype(np.int32), thumbnails=thumbs,
                      params=params, color_by="label",
                      title=f"{_NAMES[method]} of {ds.name} ({source})")


_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
