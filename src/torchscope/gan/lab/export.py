"""Exporting the lab over time: an animated GIF, or numbered PNG frames (Pillow + matplotlib).

:func:`record` trains a lab and keeps a :class:`LabFrame` every few steps; :func:`save_gif` and
:func:`save_pngs` draw frames with the lab's own renderer (canvas, and optionally the curves)
and write them out. Pillow writes the GIF with an adaptive palette per frame.

Example::

    frames = record(lab, steps=600, every=20); save_gif(frames, "ring.gif", fps=12)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .frame import LabFrame
from .render import draw_frame

__all__ = ["record", "render_png", "save_gif", "save_pngs"]


def record(lab: Any, steps: int, every: int = 10) -> list[LabFrame]:
    """Train ``lab`` for ``steps`` steps, keeping a frame first and every ``every`` steps.

    Example: ``frames = record(Lab2D(), steps=300, every=30)`` gives 11 frames.
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    frames = [lab.frame()]
    done = 0
    while done < steps:
        n = min(every, steps - done)
        lab.step(n)
        done += n
        frames.append(lab.frame())
    return frames


def render_png(frame: LabFrame, *, curves: bool = False, size: float = 4.0, dpi: int = 100) -> bytes:
    """One frame as PNG bytes (canvas only unless ``curves``): ``render_png(lab.frame())``."""
    fig = draw_frame(frame, curves=curves, size=size)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def save_pngs(frames: Sequence[LabFrame], folder: str | Path, *, curves: bool = True, size: float = 4.0,
              dpi: int = 100) -> list[Path]:
    """Write ``frame_00000.png``, ... (named by index) into ``folder``: ``save_pngs(frames, "out/")``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(frames):
        p = out / f"frame_{i:05d}.png"
        p.write_bytes(render_png(f, curves=curves, size=size, dpi=dpi))
        paths.append(p)
    return paths


def save_gif(frames: Sequence[LabFrame], path: str | Path, *, fps: float = 10.0, curves: bool = False,
             size: float = 4.0, dpi: int = 80, loop: int = 0) -> Path:
    """An animated GIF of ``frames`` (``loop=0`` repeats forever): ``save_gif(frames, "lab.gif")``."""
    from PIL import Image

    if not frames:
        raise ValueError("save_gif needs at least one frame (use record(lab, steps, every) to make some)")
    images = []
    for f in frames:
        with Image.open(io.BytesIO(render_png(f, curves=curves, size=size, dpi=dpi))) as im:
            images.append(im.convert("RGB").quantize(colors=255, method=Image.Quantize.MEDIANCUT))
    path = Path(path)
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(round(1000 / fps)), loop=loop,
                   optimize=False, disposal=2)
    return path
