"""What the browser draws for each data record: small JSON payloads and PNG sheets of pixels.

``payload(rec)`` returns the fields the Data panel's renderer of ``rec.kind`` reads (columnar
lists, never a picture), or ``{"fallback": True}`` for a kind the browser does not draw (the
panel then shows the record's own matplotlib figure). Image data travels as PNG sheets built
from the record's pixels (``pixels(rec, field)``): a class x sample grid for ``data.samples``,
one row of classes for the mean and the std images.

Example::

    payload(ts.data.class_balance(train, test))  # {"class_names": [...], "splits": [...], "counts": [[...]]}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....data._images import encode_png, figure_png
from ....errors import InvalidArgument
from ....records import Record

__all__ = ["BROWSER_KINDS", "figure", "payload", "pixels"]


def _class_balance(r: Any) -> dict[str, Any]:
    return {"class_names": r.class_names, "splits": r.splits, "counts": r.counts, "imbalance": r.imbalance}


def _samples(r: Any) -> dict[str, Any]:
    k, j, h, w, c = r.images.shape
    return {"class_names": r.class_names, "rows": k, "cols": j, "height": h, "width": w, "channels": c,
            "indices": r.indices, "sheets": ["images"]}


def _mean_images(r: Any) -> dict[str, Any]:
    k, h, w, c = r.mean.shape
    return {"class_names": r.class_names, "counts": r.counts, "rows": 1, "cols": k, "height": h, "width": w,
            "channels": c, "std_max": float(np.nanmax(r.std)) if r.std.size else 0.0,
            "mean_range": [float(np.nanmin(r.mean)), float(np.nanmax(r.mean))] if r.mean.size else [0, 1],
            "sheets": ["mean", "std"]}


def _pixel_stats(r: Any) -> dict[str, Any]:
    return {f: getattr(r, f) for f in ("channels", "mean", "std", "min", "max", "hist", "edges", "class_mean",
                                       "class_names", "n_images", "image_shape", "zero_fraction")}


def _feature_dists(r: Any) -> dict[str, Any]:
    return {f: getattr(r, f) for f in ("feature_names", "class_names", "edges", "counts", "mean", "std", "min",
                                       "max", "missing", "separation")}


def _correlation(r: Any) -> dict[str, Any]:
    return {"feature_names": r.feature_names, "matrix": r.matrix, "method": r.method, "n_rows": r.n_rows,
            "strongest": [list(p) for p in r.strongest(5)]}


def _pairplot(r: Any) -> dict[str, Any]:
    return {"feature_names": r.feature_names, "class_names": r.class_names, "values": r.values.T,
            "labels": r.labels, "n_total": r.n_total, "notes": r.notes}


def _projection(r: Any) -> dict[str, Any]:
    return {"method": r.method, "n": int(len(r.coords)), "dims": int(r.coords.shape[1]),
            "class_names": r.class_names, "params": r.params}


BROWSER_KINDS = {
    "data.class_balance": _class_balance, "data.samples": _samples, "data.mean_images": _mean_images,
    "data.pixel_stats": _pixel_stats, "data.feature_dists": _feature_dists, "data.correlation": _correlation,
    "data.pairplot": _pairplot, "data.projection": _projection,
}


def payload(rec: Record) -> dict[str, Any]:
    """The JSON the browser renderer of ``rec.kind`` reads (``{"fallback": True}`` when there is none)."""
    fn = BROWSER_KINDS.get(rec.kind)
    if fn is None:
        return {"fallback": True}
    return fn(rec)


def _row(images: np.ndarray) -> np.ndarray:
    """K x h x w x c -> one h x (K*w) x c strip."""
    k, h, w, c = images.shape
    return images.transpose(1, 0, 2, 3).reshape(h, k * w, c)


def pixels(rec: Record, field: str) -> bytes:
    """One PNG sheet of a record's pixels: ``pixels(samples_rec, "images")`` (classes are rows)."""
    if rec.kind == "data.samples" and field == "images":
        k, j, h, w, c = rec.images.shape  # type: ignore[attr-defined]
        sheet = rec.images.transpose(0, 2, 1, 3, 4).reshape(k * h, j * w, c)  # type: ignore[attr-defined]
        return encode_png(sheet)
    if rec.kind == "data.mean_images" and field in ("mean", "std"):
        arr = np.nan_to_num(np.asarray(getattr(rec, field), np.float32))
        top = float(arr.max()) if arr.size else 0.0
        if field == "std" or top > 1.0 or float(arr.min(initial=0.0)) < 0.0:
            lo = 0.0 if field == "std" else float(arr.min(initial=0.0))
            arr = (arr - lo) / (top - lo) if top > lo else arr * 0
        return encode_png(_row((np.clip(arr, 0, 1) * 255).round().astype(np.uint8)))
    raise InvalidArgument(f"record {rec.kind!r} has no pixel sheet {field!r}")


def figure(rec: Record) -> bytes:
    """The record's own matplotlib figure as PNG (the fallback for kinds without a browser renderer)."""
    return figure_png(rec.figure(), dpi=90)
