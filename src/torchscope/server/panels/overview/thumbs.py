"""The Overview's picture thumbnails, as PNG: samples of every class, an explanation, GAN samples.

- ``data``: the first two samples of each class (at most 10 classes) from the run's latest data
  profile (or ``data.samples`` record), classes across, at their own pixel size (the page scales
  them up without smoothing); without one, the run's ``data/samples`` image;
- ``explain``: four inputs above their attribution maps (Grad-CAM when logged, else the first
  method), the map in a red-yellow-white scale laid over the greyed input, more opaque where it is higher;
- ``attention``: the run's latest attention record's first group as its model view (layers in rows,
  heads across, each map scaled to its own maximum, in viridis);
- ``volumes``: the axial plane through the run's first labelled volume's largest class (else its first
  volume's centre), in its default window, beside the same plane with the prediction (else the
  labels, else the heat map) laid over it in the viewer's colours;
- ``gan``: the run's latest GAN sample grid (``gan/samples``, else its first ``gan/`` image key), as
  logged.

Example::

    thumb(ctx.provider, "a1", "explain")  # -> Blob(png, "image/png", ...)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....errors import InvalidArgument, NotFound
from ....store.provider import Provider
from ...endpoint import Blob
from ...shared.records import IMAGE_HEADERS, png_blob

__all__ = ["STAGES", "thumb"]

STAGES = ("data", "explain", "attention", "volumes", "gan")
GAP = 2  # pixels between tiles
SAFE_MIME = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _rgb(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return img[:, :, :3].astype(np.uint8)


def _tile(rows: list[list[np.ndarray]]) -> np.ndarray:
    """Equal-sized H x W x 3 tiles in rows, GAP white pixels between them."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + GAP) - GAP, cols * (w + GAP) - GAP, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, t in enumerate(row):
            out[i * (h + GAP): i * (h + GAP) + h, j * (w + GAP): j * (w + GAP) + w] = t
    return out


def _image(store: Provider, rid: str, key: str) -> Blob:
    entries = store.images(rid, key)
    if not entries:
        raise NotFound(f"run {rid!r} has no image under {key!r}")
    e = entries[-1]
    mime = e.mime if e.mime in SAFE_MIME else "application/octet-stream"
    return Blob(e.data, mime, {**IMAGE_HEADERS, "X-Content-Type-Options": "nosniff"})


def _data(store: Provider, rid: str) -> Blob:
    grid: Any = None
    for kind in ("data.profile", "data.samples"):
        try:
            rec: Any = store.latest(rid, kind)
        except NotFound:
            continue
        grid = next((r for r in rec.records if r.kind == "data.samples"), None) if kind == "data.profile" else rec
        if grid is not None:
            break
    if grid is None:
        return _image(store, rid, "data/samples")
    images, idx = np.asarray(grid.images), np.asarray(grid.indices)  # classes x samples x H x W x C
    classes = [k for k in range(min(len(images), 10)) if (idx[k] >= 0).any()]
    rows = [[_rgb(images[k, j]) if idx[k, j] >= 0 else np.full_like(_rgb(images[k, 0]), 255) for k in classes]
            for j in range(min(2, images.shape[1]))]
    return png_blob(_tile(rows))


def _heat(t: np.ndarray) -> np.ndarray:
    """0..1 to black-red-yellow-white (a "hot" scale), H x W x 3 float."""
    return np.stack([np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], axis=-1)


def _explain(store: Provider, rid: str) -> Blob:
    entries = store.records(rid, kind="explain.attribution")
    if not entries:
        raise NotFound(f"run {rid!r} has no explanation")
    entry = next((e for e in reversed(entries) if e.data.get("method") == "gradcam"), entries[-1])
    rec: Any = store.record(rid, entry.id).record
    images, heat = np.asarray(rec.images)[:4], np.asarray(rec.heat, dtype=np.float64)[:4]
    tops, bottoms = [], []
    for img, hm in zip(images, heat):
        rgb = _rgb(img)
        hm = hm / 255.0 if hm.max() > 1.0 else hm
        grey = rgb.astype(np.float64).mean(axis=2, keepdims=True) / 255.0
        alpha = 0.15 + 0.75 * hm[:, :, None]  # the input where the map is low, the map's colour where it is high
        over = ((1 - alpha) * (0.2 + 0.6 * grey) + alpha * _heat(0.35 + 0.65 * hm)) * 255
        tops.append(rgb)
        bottoms.append(over.clip(0, 255).astype(np.uint8))
    return png_blob(_tile([tops, bottoms]))


def _attention(store: Provider, rid: str) -> Blob:
    from matplotlib import colormaps

    from ....attention.views import mosaic

    entries = store.records(rid, kind="attention.maps")
    if not entries:
        raise NotFound(f"run {rid!r} has no attention record")
    rec: Any = store.record(rid, entries[-1].id).record
    image = mosaic(rec.group(), 0, thumb=32)
    rgb = (colormaps["viridis"](np.nan_to_num(image, nan=0.0))[:, :, :3] * 255).astype(np.uint8)
    rgb[np.isnan(image)] = 255
    scale = max(1, 96 // max(image.shape))
    return png_blob(np.kron(rgb, np.ones((scale, scale, 1), np.uint8)))


def _volume(store: Provider, rid: str) -> Blob:
    from ....volume.figure import _centre
    from ....volume.slicing import display_plane

    entries = store.records(rid, kind="volume")
    if not entries:
        raise NotFound(f"run {rid!r} has no volume")
    entry = next((e for e in entries if e.data.get("labels")), entries[0])
    rec: Any = store.record(rid, entry.id).record
    z = _centre(rec)[2]
    c, w = rec.window.get("center", 0.0), rec.window.get("width", 1.0) or 1.0
    plane = display_plane(rec, "axial", z).astype(np.float64)
    grey = np.clip((plane - (c - w / 2)) / w, 0, 1)
    base = np.repeat((grey * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    over = base.astype(np.float64)
    layer = next((n for n in ("pred", "labels") if getattr(rec, n) is not None), None)
    if layer is not None:
        ids = display_plane(rec, "axial", z, layer=layer)
        for cls in rec.classes:
            h = cls["color"].lstrip("#")
            rgb = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], np.float64)
            m = ids == cls["id"]
            over[m] = 0.45 * over[m] + 0.55 * rgb
    elif rec.heat is not None:
        h = display_plane(rec, "axial", z, layer="heat").astype(np.float64)
        hm = np.abs(h - 127.5) / 127.5 if rec.heat_signed else h / 255.0
        alpha = 0.15 + 0.75 * hm[:, :, None]
        over = (1 - alpha) * over + alpha * _heat(0.35 + 0.65 * hm) * 255
    scale = max(1, 96 // max(plane.shape))  # small volumes are drawn a few pixels per voxel
    tiles = [np.kron(t, np.ones((scale, scale, 1), np.uint8)) for t in (base, over.clip(0, 255).astype(np.uint8))]
    return png_blob(_tile([tiles]))


def thumb(store: Provider, rid: str, stage: str) -> Blob:
    """The PNG thumbnail of ``stage`` (one of :data:`STAGES`) for run ``rid``."""
    if stage == "data":
        return _data(store, rid)
    if stage == "explain":
        return _explain(store, rid)
    if stage == "volumes":
        return _volume(store, rid)
    if stage == "attention":
        return _attention(store, rid)
    if stage == "gan":
        keys = sorted((k.key for k in store.keys(rid, kind="image") if k.key.startswith("gan/")),
                      key=lambda k: (k != "gan/samples", k))
        return _image(store, rid, keys[0] if keys else "gan/samples")
    raise InvalidArgument(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
