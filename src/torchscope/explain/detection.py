"""Detection and segmentation results drawn on an image: boxes, labels, scores and masks.

The ``explain.detections`` record keeps the image and the raw results, so a viewer can toggle
classes and move a score threshold; ``render()`` draws them with Pillow (a PNG for a run or a
report) and ``figure()`` with matplotlib. Boxes are ``x1, y1, x2, y2`` in pixels (torchvision's
convention); masks are ``n x H x W`` (booleans or probabilities, shown where > 0.5).

JSON: ``class_names``, ``labels`` (class indices), ``scores``, ``score_threshold``; blobs:
``image`` (H x W x C uint8), ``boxes`` (n x 4 float32) and ``masks`` (n x H x W uint8, or 0 x 0 x 0).

Example::

    rec = detections(img, boxes=[[4, 4, 20, 30]], labels=[1], scores=[0.9], class_names=["bg", "cat"])
    rec.save("det.png"); png = rec.png(score_threshold=0.5)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..evaluate._common import class_colors, display_images
from ..records import Record, register_record

__all__ = ["Detections", "detections"]


def _array(v: Any) -> np.ndarray:
    return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)


@register_record
@dataclass
class Detections(Record):
    """One image's detections; ``labels`` index ``class_names``; ``scores`` are NaN when unknown."""

    kind: ClassVar[str] = "explain.detections"
    image: np.ndarray
    boxes: np.ndarray
    labels: list[int]
    scores: list[float]
    masks: np.ndarray
    class_names: list[str]
    score_threshold: float = 0.0

    def visible(self, score_threshold: float | None = None, classes: Sequence[str | int] | None = None) -> list[int]:
        """Indices of the detections at or above the threshold, in the chosen classes."""
        thr = self.score_threshold if score_threshold is None else score_threshold
        wanted = None if classes is None else {self.class_names.index(c) if isinstance(c, str) else int(c)
                                               for c in classes}
        return [i for i, (lab, s) in enumerate(zip(self.labels, self.scores))
                if (np.isnan(s) or s >= thr) and (wanted is None or lab in wanted)]

    def _color(self, label: int) -> tuple[int, int, int]:
        rgba = class_colors(max(len(self.class_names), 1))[label % max(len(self.class_names), 1)]
        return tuple(int(255 * c) for c in rgba[:3])  # type: ignore[return-value]

    def _caption(self, i: int) -> str:
        s = self.scores[i]
        return self.class_names[self.labels[i]] + ("" if np.isnan(s) else f" {s:.2f}")

    def render(self, score_threshold: float | None = None, classes: Sequence[str | int] | None = None, *,
               mask_alpha: float = 0.45) -> np.ndarray:
        """The image with masks, boxes and captions drawn (H x W x 3 uint8)."""
        from PIL import Image, ImageDraw

        keep = self.visible(score_threshold, classes)
        img = Image.fromarray(_with_masks(self, keep, mask_alpha))
        draw = ImageDraw.Draw(img)
        width = max(1, round(max(img.size) / 200))
        for i in keep:
            x1, y1, x2, y2 = (float(v) for v in self.boxes[i])
            color = self._color(self.labels[i])
            draw.rectangle((x1, y1, x2, y2), outline=color, width=width)
            text = self._caption(i)
            tx, ty = x1, max(0.0, y1 - 11)
            box = draw.textbbox((tx, ty), text)
            draw.rectangle(box, fill=color)
            draw.text((tx, ty), text, fill=(255, 255, 255))
        return np.asarray(img)

    def png(self, score_threshold: float | None = None, classes: Sequence[str | int] | None = None) -> bytes:
        """``render()`` as PNG bytes (what ``run.log_image(..., boxes=...)`` stores)."""
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(self.render(score_threshold, classes)).save(buf, format="PNG")
        return buf.getvalue()

    def figure(self, score_threshold: float | None = None, classes: Sequence[str | int] | None = None) -> Any:
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        h, w = self.image.shape[:2]
        fig = Figure(figsize=(6.0, 6.0 * h / max(w, 1) + 0.4))
        ax = fig.add_subplot()
        keep = self.visible(score_threshold, classes)
        ax.imshow(_with_masks(self, keep))
        for i in keep:
            x1, y1, x2, y2 = (float(v) for v in self.boxes[i])
            color = np.array(self._color(self.labels[i])) / 255
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=color, lw=1.8))
            ax.text(x1, y1, self._caption(i), fontsize=7, color="white", va="bottom",
                    bbox={"facecolor": color, "edgecolor": "none", "pad": 1})
        ax.axis("off")
        thr = self.score_threshold if score_threshold is None else score_threshold
        ax.set_title(f"{len(keep)} of {len(self.labels)} detections (score >= {thr:g})", fontsize=9)
        fig.tight_layout()
        return fig


def _with_masks(rec: Detections, keep: list[int], alpha: float = 0.45) -> np.ndarray:
    """The image (as RGB) with the kept detections' masks blended in their class colours."""
    base = rec.image if rec.image.shape[-1] == 3 else np.repeat(rec.image[..., :1], 3, axis=-1)
    if not len(rec.masks):
        return np.ascontiguousarray(base)
    out = base.astype(np.float32)
    for i in keep:
        m = rec.masks[i] > 127
        out[m] = out[m] * (1 - alpha) + np.array(rec._color(rec.labels[i])) * alpha
    return out.round().astype(np.uint8)


def detections(image: Any, boxes: Any, labels: Any = None, scores: Any = None, masks: Any = None, *,
               class_names: Sequence[str] | None = None, score_threshold: float = 0.0) -> Detections:
    """Check and pack one image's results: ``detections(img, boxes=b, labels=l, scores=s)``.

    ``image`` is H x W x C or C x H x W (uint8 or float); ``labels`` are class indices or names.
    """
    img = display_images(image[None] if hasattr(image, "detach") else np.asarray(image)[None])[0]
    try:
        raw = _array(boxes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"detections: boxes must be N x 4 numbers (x1, y1, x2, y2 in pixels): {exc}") from exc
    if raw.size and (raw.ndim not in (1, 2) or raw.shape[-1] != 4 or (raw.ndim == 1 and raw.size != 4)):
        raise ValueError(f"detections: boxes must be N x 4 (x1, y1, x2, y2 in pixels), got shape {raw.shape}")
    try:
        b = raw.astype(np.float32).reshape(-1, 4)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"detections: boxes must be numbers, N x 4 (x1, y1, x2, y2 in pixels): {exc}") from exc
    n = len(b)
    if labels is None:
        labels = [0] * n
    labels = list(_array(labels).reshape(-1).tolist()) if not isinstance(labels, (list, tuple)) else list(labels)
    names = list(class_names or [])
    if any(isinstance(v, str) for v in labels):
        for v in labels:
            if v not in names:
                names.append(str(v))
        labels = [names.index(v) for v in labels]
    labels = [int(v) for v in labels]
    names += [str(i) for i in range(len(names), max(labels, default=-1) + 1)]
    s = [float("nan")] * n if scores is None else [float(v) for v in _array(scores).reshape(-1)]
    if len(labels) != n or len(s) != n:
        raise ValueError(f"detections: {n} boxes but {len(labels)} labels and {len(s)} scores")
    if masks is None:
        m = np.zeros((0, 0, 0), np.uint8)
    else:
        m = _array(masks)
        m = m.reshape(n, *m.shape[-2:]) if n else np.zeros((0, 0, 0), np.uint8)
        if n and m.shape[1:] != img.shape[:2]:
            raise ValueError(f"detections: masks are {m.shape[1:]} but the image is {img.shape[:2]}")
        m = (m > 0.5).astype(np.uint8) * 255 if m.dtype != np.uint8 else np.where(m > 0, 255, 0).astype(np.uint8)
    return Detections(image=img, boxes=b, labels=labels, scores=s, masks=m, class_names=names,
                      score_threshold=float(score_threshold))
