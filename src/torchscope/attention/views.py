"""Matplotlib views of attention maps: head view, model view, heat map, rollout over the patch grid.

- :func:`head_view`: one layer's heads as lines from each query token (left) to each key token
  (right), one colour per head, opacity the weight (after bertviz's head view, Vig 2019); ``token=``
  isolates one query token. Past ``HEAD_VIEW_LIMIT`` tokens the lines are unreadable: it draws the
  heat map instead and says so (a warning and the title).
- :func:`model_view`: every layer (rows) x head (columns) as a thumbnail, each map reduced by block
  maxima to at most ``THUMB`` pixels a side (a thin diagonal stays visible).
- :func:`heatmap`: one head's map (or the mean over heads), reduced by block maxima to at most
  ``max_pixels`` a side, so 2,048 tokens draw as fast as 512; token labels when few enough.
- :func:`rollout_view`: attention rollout over the image's patch grid (vision transformers), or as
  a matrix.

Token labels are drawn with mathtext off: a ``$`` in a token stays a dollar sign.

Example::

    rec.head_view(layer=2, heads=[0, 1]).savefig("heads.png")
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._display import class_colors

if TYPE_CHECKING:
    from .record import AttentionGroup, AttentionMaps

__all__ = ["HEAD_VIEW_LIMIT", "THUMB", "block_max", "head_view", "heatmap", "model_view", "mosaic", "rollout_view",
           "thumbnails"]

HEAD_VIEW_LIMIT = 128  # tokens; beyond, the head view falls back to the heat map
THUMB = 64  # model view thumbnails: pixels a side at most
MIN_WEIGHT = 0.01  # head view: a line's opacity is its weight; lines under 1% are invisible and not drawn


def _block_max(m: np.ndarray, fy: int, fx: int, *, rows_first: bool = False) -> np.ndarray:
    """Maxima over ``fy`` x ``fx`` blocks of the last two axes of ``m``, in its dtype, zero-padded.
    ``rows_first``: rows (contiguous) then columns on 1/fy of the data, 2x faster; for integers only,
    where the order cannot change a tie (+0 against -0) or a NaN's sign."""
    *lead, mh, mw = m.shape
    h, w = -(-mh // fy) * fy, -(-mw // fx) * fx
    if (h, w) != (mh, mw):
        padded = np.zeros((*lead, h, w), m.dtype)
        padded[..., :mh, :mw] = m
        m = padded
    if rows_first:
        by_rows = m.reshape(*lead, h // fy, fy, w)
        part = by_rows[..., 0, :].copy()
        for k in range(1, fy):
            np.maximum(part, by_rows[..., k, :], out=part)
        by_cols = part.reshape(*lead, h // fy, w // fx, fx)
        done = by_cols[..., 0].copy()
        for k in range(1, fx):
            np.maximum(done, by_cols[..., k], out=done)
        return done
    cols = m.reshape(*lead, h, w // fx, fx)
    out = cols[..., 0].copy()
    for k in range(1, fx):
        np.maximum(out, cols[..., k], out=out)
    rows = out.reshape(*lead, h // fy, fy, w // fx)
    res = rows[..., 0, :].copy()
    for k in range(1, fy):
        np.maximum(res, rows[..., k, :], out=res)
    return res


def _block_max_f32(m: np.ndarray, size: int) -> np.ndarray:
    """:func:`block_max` over the last two axes of ``m``, as float32. A float16 ``m`` is not converted
    first (that pass cost ~90% of the thumbnails' time): its bits are compared as uint16, which order
    as the values do when no sign bit is set (NaN, positive, still wins, as ``np.maximum`` lets it);
    when a block's maximum has the sign bit (a negative value, -0, a negative NaN), the float path."""
    fy, fx = -(-m.shape[-2] // size), -(-m.shape[-1] // size)
    if fy == 1 and fx == 1:
        return np.asarray(m, dtype=np.float32)
    if m.dtype == np.float16:
        bits = _block_max(m.view(np.uint16), fy, fx, rows_first=True)
        if not (bits >= 0x8000).any():
            return bits.view(np.float16).astype(np.float32)
    return _block_max(np.asarray(m, dtype=np.float32), fy, fx)


def block_max(m: np.ndarray, size: int) -> np.ndarray:
    """``m`` (H x W) reduced by maxima over blocks to at most ``size`` a side: ``block_max(a, 64)``.

    One strided ``np.maximum`` per offset inside a block, columns then rows (a 2,048-square map to
    1,024 in about 35 ms, 7x a reshaped ``max`` over two axes); float32 out, float16 reduced as is."""
    m = np.asarray(m)
    if m.dtype != np.float16:
        m = m.astype(np.float32, copy=False)
    return _block_max_f32(m, size)


def _labels_ticks(ax: Any, axis: str, labels: list[str], extent: int, most: int = 48) -> None:
    n = len(labels)
    step = max(1, -(-n // most))
    pos = [(i + 0.5) * extent / n - 0.5 for i in range(0, n, step)]
    text = [labels[i] for i in range(0, n, step)]
    if axis == "x":
        ax.set_xticks(pos, text, rotation=90, fontsize=6, parse_math=False)
    else:
        ax.set_yticks(pos, text, fontsize=6, parse_math=False)


def _map(g: AttentionGroup, layer: int, head: int | None, sample: int) -> np.ndarray:
    m = g.maps[layer, sample]
    return (m.astype(np.float32).mean(axis=0) if head is None else m[head].astype(np.float32))


def heatmap(rec: AttentionMaps, layer: int = -1, head: int | None = None, sample: int = 0, group: str | None = None,
            *, max_pixels: int = 1024, title: str | None = None) -> Any:
    """One map (``head=None``: the mean over heads) as a heat map of at most ``max_pixels`` a side."""
    from matplotlib.figure import Figure

    g = rec.group(group)
    m = _map(g, layer, head, sample)
    shown = block_max(m, max_pixels)
    fig = Figure(figsize=(6.4, 6.0))
    ax = fig.add_subplot()
    ax.imshow(shown, cmap="viridis", vmin=0, vmax=max(float(shown.max()), 1e-6), interpolation="nearest",
              aspect="auto")
    _labels_ticks(ax, "y", rec.labels(g.query, sample), shown.shape[0])
    _labels_ticks(ax, "x", rec.labels(g.key, sample), shown.shape[1])
    which = "mean over heads" if head is None else f"head {head}"
    reduced = f", {m.shape[0]}x{m.shape[1]} shown as {shown.shape[0]}x{shown.shape[1]} block maxima" \
        if shown.shape != m.shape else ""
    ax.set_title(title or f"{g.name} layer {layer % len(g.layers)}, {which}{reduced}", fontsize=8)
    ax.set_ylabel("query", fontsize=7)
    ax.set_xlabel("key", fontsize=7)
    fig.tight_layout()
    return fig


def head_view(rec: AttentionMaps, layer: int = 0, sample: int = 0, group: str | None = None, *,
              heads: list[int] | None = None, token: int | None = None) -> Any:
    """Lines from query tokens (left) to key tokens (right) of one layer, one colour per head."""
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    g = rec.group(group)
    queries, keys = rec.labels(g.query, sample), rec.labels(g.key, sample)
    if max(len(queries), len(keys)) > HEAD_VIEW_LIMIT:
        msg = (f"head view: {max(len(queries), len(keys))} tokens is past its limit of {HEAD_VIEW_LIMIT} "
               "(lines would be unreadable); showing the heat map instead")
        warnings.warn(msg, stacklevel=3)
        return heatmap(rec, layer, None, sample, group, title=msg)
    heads = list(range(g.heads)) if heads is None else list(heads)
    colors = class_colors(max(g.heads, 1))
    n = max(len(queries), len(keys))
    fig = Figure(figsize=(4.5, 0.6 + 0.17 * n))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - 0.45 / fig.get_figheight()))
    ax.set_xlim(-0.9, 1.9)
    ax.set_ylim(n - 0.5, -0.5)
    ax.axis("off")
    rows = range(len(queries)) if token is None else [token]
    for h in heads:
        m = g.maps[layer, sample, h].astype(np.float32)
        segs: list[list[tuple[float, float]]] = []
        rgba = []
        for i in rows:
            for j in np.nonzero(m[i] >= MIN_WEIGHT)[0].tolist():
                segs.append([(0.0, float(i)), (1.0, float(j))])
                rgba.append((*colors[h][:3], float(min(1.0, m[i, j])) * (0.9 if token is None else 1.0)))
        if segs:
            ax.add_collection(LineCollection(segs, colors=rgba, linewidths=1.2 if token is None else 2.0))
    for i, tok in enumerate(queries):
        ax.text(-0.05, i, tok, ha="right", va="center", fontsize=7, parse_math=False,
                fontweight="bold" if i == token else "normal")
    for k, tok in enumerate(keys):
        ax.text(1.05, k, tok, ha="left", va="center", fontsize=7, parse_math=False)
    which = "all heads" if len(heads) == g.heads else f"heads {heads}"
    only = f", token {token}" if token is not None else ""
    fig.suptitle(f"{g.name} layer {layer % len(g.layers)}: {which}{only}", fontsize=8)
    return fig


def thumbnails(g: AttentionGroup, sample: int = 0, thumb: int = THUMB) -> np.ndarray:
    """Every map of a sample reduced by block maxima to at most ``thumb`` pixels a side:
    ``layers x heads x th x tw`` float32 (what the model view and the dashboard's thumbnails draw)."""
    maps = np.asarray(g.maps[:, sample])  # layers x heads x T x T, reduced at once, float16 as is
    if maps.dtype != np.float16:
        maps = maps.astype(np.float32, copy=False)
    return np.ascontiguousarray(_block_max_f32(maps, thumb), dtype=np.float32)


def mosaic(g: AttentionGroup, sample: int = 0, thumb: int = THUMB, gap: int = 2) -> np.ndarray:
    """Every layer (rows) x head (columns) of a group as one image: thumbnails of at most ``thumb``
    pixels a side, each scaled to its own maximum, ``gap`` pixels of NaN between them."""
    thumbs = thumbnails(g, sample, thumb)
    layers, heads, th, tw = thumbs.shape
    out = np.full((layers * (th + gap) - gap, heads * (tw + gap) - gap), np.nan, np.float32)
    for layer in range(layers):
        for h in range(heads):
            m = thumbs[layer, h]
            y, x = layer * (th + gap), h * (tw + gap)
            out[y:y + th, x:x + tw] = m / max(float(m.max()), 1e-6)
    return out


def model_view(rec: AttentionMaps, sample: int = 0, group: str | None = None, *, thumb: int = THUMB) -> Any:
    """Every layer (rows) x head (columns) as a thumbnail of at most ``thumb`` pixels a side, drawn as
    one image (a 12 x 12 model costs one ``imshow``, not 144 axes)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    g = rec.group(group)
    layers, heads = g.maps.shape[0], g.maps.shape[2]
    image = mosaic(g, sample, thumb)
    cmap = colormaps["viridis"].copy()
    cmap.set_bad("white")
    fig = Figure(figsize=(0.75 * heads + 0.8, 0.75 * layers + 0.7))
    ax = fig.add_axes((0.55 / fig.get_figwidth(), 0.02, 1 - 0.6 / fig.get_figwidth(), 1 - 0.75 / fig.get_figheight()))
    ax.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest", aspect="auto")
    step_y, step_x = (image.shape[0] + 2) / layers, (image.shape[1] + 2) / heads
    ax.set_yticks([(i + 0.5) * step_y - 1.5 for i in range(layers)], [f"L{i}" for i in range(layers)], fontsize=7)
    ax.xaxis.tick_top()
    ax.set_xticks([(h + 0.5) * step_x - 1.5 for h in range(heads)], [f"h{h}" for h in range(heads)], fontsize=7)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.suptitle(f"{g.name}: {layers} layers x {heads} heads, {g.maps.shape[3]}x{g.maps.shape[4]} tokens",
                 fontsize=8)
    return fig


def rollout_view(rec: AttentionMaps, sample: int = 0, group: str | None = None, *, alpha: float = 0.6,
                 head_fusion: str = "mean") -> Any:
    """The rollout from the class token over the patch grid, on the image when the record has it;
    without a grid, the rollout matrix."""
    from matplotlib.figure import Figure

    if rec.grid is None:
        r = rec.rollout(sample, group, head_fusion=head_fusion)
        fig = heatmap(rec, sample=sample, group=group, title="attention rollout (Abnar & Zuidema 2020)")
        fig.axes[0].images[0].set_data(block_max(r, 1024))
        fig.axes[0].images[0].set_clim(0, float(r.max()))
        return fig
    grid = rec.rollout_grid(sample, group, head_fusion=head_fusion)
    grid = (grid - grid.min()) / max(float(np.ptp(grid)), 1e-12)  # stretched: rollout is often nearly flat
    panels = 2 if rec.image is not None else 1
    fig = Figure(figsize=(3.2 * panels, 3.4))
    ax = fig.add_subplot(1, panels, 1)
    ax.imshow(grid, cmap="inferno", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"rollout, {grid.shape[0]}x{grid.shape[1]} patches (min to max)", fontsize=8)
    ax.axis("off")
    if rec.image is not None:
        img = rec.image[sample]
        ax = fig.add_subplot(1, panels, 2)
        ax.imshow(img if img.shape[-1] != 1 else img[..., 0], cmap="gray" if img.shape[-1] == 1 else None)
        ax.imshow(grid, cmap="inferno", alpha=alpha, vmin=0, vmax=1, interpolation="bilinear",
                  extent=(-0.5, img.shape[1] - 0.5, img.shape[0] - 0.5, -0.5))
        ax.set_title("on the image", fontsize=8)
        ax.axis("off")
    fig.suptitle("attention rollout (Abnar & Zuidema 2020)", fontsize=9)
    return fig
