"""The fixed-noise timeline: the same latent codes drawn at every checkpoint, as frames to scrub
through, a strip figure and an animated GIF.

The monitor logs each frame as an image under ``gan/samples``; :func:`timeline` reads them back
from a store, so a finished run exports its GIF without the training process.

Example::

    ts.gan.timeline("tsruns", run.id).gif("training.gif")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._util import image_axes

__all__ = ["Timeline", "save_gif", "timeline"]


def _labelled(frame: np.ndarray, text: str, width: int) -> Any:
    from PIL import Image, ImageDraw

    img = Image.fromarray(frame[..., 0] if frame.shape[-1] == 1 else frame).convert("RGB")
    scale = max(1, width // img.width)
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    bar = 18
    out = Image.new("RGB", (img.width, img.height + bar), (24, 24, 28))
    out.paste(img, (0, bar))
    ImageDraw.Draw(out).text((6, 3), text, fill=(235, 235, 235))
    return out


def save_gif(frames: list[np.ndarray], steps: list[int], path: str | Path | IO[bytes], *, fps: float = 6.0,
             width: int = 384, hold_last: float = 1.5) -> Path | IO[bytes]:
    """Write HWC uint8 frames as an animated GIF, each labelled with its step: ``save_gif(f, s, "t.gif")``.

    ``path`` may be a binary file object (``io.BytesIO()``); one GIF frame per frame given.
    """
    if not frames:
        raise ValueError("save_gif: no frames (did the monitor reach a checkpoint?)")
    imgs = [_labelled(f, f"step {s}", width) for f, s in zip(frames, steps)]
    ms = int(1000 / fps)
    durations = [ms] * (len(imgs) - 1) + [int(hold_last * 1000)]
    out: Path | IO[bytes] = path if hasattr(path, "write") else Path(path)  # type: ignore[arg-type,assignment]
    imgs[0].save(out, format="GIF", save_all=True, append_images=imgs[1:], duration=durations, loop=0,
                 optimize=False)
    return out


@register_record
@dataclass
class Timeline(Record):
    """Fixed-noise sample grids (``frames``: T x H x W x C uint8) at ``steps``."""

    kind: ClassVar[str] = "gan.timeline"
    frames: np.ndarray
    steps: list[int] = field(default_factory=list)
    title: str = "samples from fixed noise"

    def gif(self, path: str | Path | IO[bytes], *, fps: float = 6.0, width: int = 384) -> Path | IO[bytes]:
        """Export as an animated GIF (a path or a binary file object): ``tl.gif("training.gif")``."""
        return save_gif(list(self.frames), self.steps, path, fps=fps, width=width)

    def figure(self, columns: int = 6) -> Any:
        from matplotlib.figure import Figure

        n = len(self.frames)
        pick: Any = np.unique(np.linspace(0, n - 1, min(columns, n)).round().astype(int)) if n else []
        fig = Figure(figsize=(2.1 * max(len(pick), 1), 2.5))
        axes = fig.subplots(1, max(len(pick), 1), squeeze=False)[0]
        for ax, i in zip(axes, pick):
            image_axes(ax, self.frames[i], f"step {self.steps[i]}", fontsize=9)
        fig.suptitle(self.title, fontsize=10)
        return fig

    def _repr_html_(self) -> str:
        from ..data._images import figure_html

        return f"<div class='torchscope-record'><b>{self.title}</b> ({len(self.steps)} frames)" \
               f"{figure_html(self.figure())}</div>"


def timeline(store: Any, run_id: str, *, key: str = "gan/samples") -> Timeline:
    """The fixed-noise frames of a stored run: ``ts.gan.timeline("tsruns", run_id).gif("t.gif")``."""
    from ..data._images import decode_png
    from ..store import open_store

    owned = isinstance(store, (str, Path))
    st = open_store(store) if owned else store
    try:
        entries = st.images(run_id, key, with_data=True)
    finally:
        if owned:
            st.close()
    frames = [decode_png(e.data) for e in entries]
    if frames and len({f.shape for f in frames}) > 1:
        raise ValueError(f"timeline: the images under {key!r} change size; log one grid size per key")
    arr = np.stack(frames) if frames else np.zeros((0, 1, 1, 1), np.uint8)
    return Timeline(frames=arr, steps=[int(e.step) for e in entries])
