"""Video: frames checked on the caller's thread, encoded on the writer thread, played with a frame scrubber.

Two encodings, one record (``media.video``):

- **MP4 (H.264)** through PyAV (``pip install 'torchscope[media]'``; its wheel ships its own FFmpeg):
  small files every browser plays in a ``<video>``. Frames under 128 px are enlarged by a whole
  factor (nearest neighbour, an even one) first, so every source pixel is a block the 4:2:0
  chroma subsampling cannot blur into its neighbours, and odd sizes become even.
- **PNG sprite** (no encoder needed): every frame, lossless, in one PNG grid the browser steps
  through on a canvas. The default when PyAV is not installed; capped at ``SPRITE_MAX`` pixels a side.

The decoded frames (``rec.frames()``, or ``rec["frames"]`` as TensorBoard's records read) are
``T x H x W x C`` uint8 at the logged size. Reference: ITU-T H.264 (Advanced video coding).

Example::

    rec = encode_video(frames_thwc_uint8, fps=8)     # writer thread
    rec.frames().shape                               # (T, H, W, 3)
"""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import io
import math
import os
import tempfile
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record

__all__ = ["SPRITE_MAX", "Video", "encode_video", "has_encoder", "tile_batch", "to_uint8_frames"]

SPRITE_MAX = 16384  # the PNG sprite's largest side (browsers decode and draw images this large)
MIN_SIDE = 128  # MP4 frames smaller than this are enlarged (nearest neighbour) before encoding
CRF = 17  # x264's constant rate factor: visually lossless for training videos


def has_encoder() -> bool:
    """True when PyAV (the MP4 encoder) is installed: ``has_encoder()``."""
    return importlib.util.find_spec("av") is not None


@register_record
@dataclasses.dataclass
class Video(Record):
    """An encoded video: ``data`` (MP4 or a PNG sprite, per ``mime``), ``fps``, ``length`` frames of
    ``width x height``; MP4 frames are enlarged ``scale`` times, sprites tiled ``columns`` across."""

    kind: ClassVar[str] = "media.video"
    data: bytes
    mime: str
    fps: float
    length: int
    width: int
    height: int
    channels: int = 3
    scale: int = 1
    columns: int = 1
    caption: str | None = None

    def frames(self) -> np.ndarray:
        """The frames, ``T x H x W x C`` uint8 at the logged size (MP4 decoding needs PyAV)."""
        if self.mime == "image/png":
            from PIL import Image

            sheet = np.asarray(Image.open(io.BytesIO(self.data)))
            sheet = sheet[..., None] if sheet.ndim == 2 else sheet
            h, w = self.height, self.width
            tiles = [sheet[(i // self.columns) * h:(i // self.columns + 1) * h,
                           (i % self.columns) * w:(i % self.columns + 1) * w] for i in range(self.length)]
            return np.stack(tiles)[..., :self.channels] if tiles else np.zeros((0, h, w, self.channels), np.uint8)
        import av

        out = []
        with av.open(io.BytesIO(self.data), mode="r") as box:
            for frame in box.decode(video=0):
                rgb = yuv420_to_rgb(frame.to_ndarray(format="yuv420p"))
                k = self.scale
                out.append(rgb[k // 2::k, k // 2::k][:self.height, :self.width])
        frames = np.stack(out) if out else np.zeros((0, self.height, self.width, 3), np.uint8)
        return frames[..., :1] if self.channels == 1 else frames

    def __getitem__(self, name: str) -> Any:
        """Field access as on TensorBoard's generic records: ``rec["frames"]``, ``rec["fps"]``."""
        return self.frames() if name == "frames" else getattr(self, name)

    def figure(self) -> Any:
        """Up to eight frames, evenly spaced, in a row (MP4 needs PyAV to decode)."""
        from matplotlib.figure import Figure

        frames = self.frames()
        pick = np.unique(np.linspace(0, len(frames) - 1, min(8, len(frames))).round().astype(int))
        fig = Figure(figsize=(1.6 * len(pick), 1.9))
        for j, i in enumerate(pick):
            ax = fig.add_subplot(1, len(pick), j + 1)
            ax.imshow(frames[i].squeeze(), cmap="gray" if self.channels == 1 else None)
            ax.set_title(f"frame {i}", fontsize=8)
            ax.axis("off")
        return fig

    def _repr_html_(self) -> str:
        """A player: ``<video>`` with controls (MP4), or the sprite stepped through by a frame slider."""
        from ._html import video_player

        return video_player(self, title=html.escape(self.caption or "video"))


def to_uint8_frames(frames: np.ndarray) -> np.ndarray:
    """``T x H x W x C`` frames of any number type as uint8: floats x255 and clipped (TensorBoard's scaling)."""
    if frames.dtype == np.uint8:
        return frames
    if frames.dtype == np.bool_:
        return frames.astype(np.uint8) * 255
    if frames.dtype.kind in "iu":
        return frames.clip(0, 255).astype(np.uint8)
    return (frames.astype(np.float32) * 255.0 + 0.5).clip(0, 255).astype(np.uint8)


def tile_batch(video: np.ndarray) -> np.ndarray:
    """``N x T x C x H x W`` as ``T x C x H' x W'``: TensorBoard's grid (the batch padded to a power of
    two, ``2 ** (log2(N) // 2)`` rows)."""
    b, t, c, h, w = video.shape
    if b & (b - 1):
        video = np.concatenate((video, np.zeros(((1 << b.bit_length()) - b, t, c, h, w), video.dtype)))
    rows = 2 ** ((b.bit_length() - 1) // 2)
    cols = video.shape[0] // rows
    return video.reshape(rows, cols, t, c, h, w).transpose(2, 3, 0, 4, 1, 5).reshape(t, c, rows * h, cols * w)


def encode_video(frames: np.ndarray, fps: float, *, format: str | None = None,
                 caption: str | None = None) -> Video:
    """A :class:`Video` from ``T x H x W x C`` frames (C = 1, 3 or 4; floats in [0, 1] or uint8).

    ``format``: ``"mp4"`` (needs PyAV), ``"png"`` (a lossless sprite) or None (MP4 when PyAV is
    installed). Alpha is dropped from MP4 (a video has none). Example: ``encode_video(x, fps=4)``.
    """
    frames = to_uint8_frames(frames)
    t, h, w, c = frames.shape
    fmt = format or ("mp4" if has_encoder() else "png")
    if fmt == "png":
        return _sprite(frames, fps, caption)
    k = 1 if min(h, w) >= MIN_SIDE else 2 * math.ceil(MIN_SIDE / min(h, w) / 2)
    rgb = np.repeat(frames, 3, axis=3) if c == 1 else frames[..., :3]
    if k > 1:
        rgb = rgb.repeat(k, axis=1).repeat(k, axis=2)
    ph, pw = rgb.shape[1] % 2, rgb.shape[2] % 2
    if ph or pw:  # 4:2:0 needs even sizes: repeat the last row/column
        rgb = np.pad(rgb, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge")
    data = _mp4(np.ascontiguousarray(rgb), fps)
    return Video(data=data, mime="video/mp4", fps=float(fps), length=t, width=w, height=h, channels=min(c, 3),
                 scale=k, caption=caption)


def _mp4(rgb: np.ndarray, fps: float) -> bytes:
    import av

    rate = Fraction(fps).limit_denominator(1001)
    with tempfile.TemporaryDirectory(prefix="torchscope-video-") as tmp:  # faststart rewrites the file
        path = os.path.join(tmp, "video.mp4")
        _write_mp4(av, path, rgb, rate, fps)
        with open(path, "rb") as f:
            return f.read()


def _write_mp4(av: Any, path: str, rgb: np.ndarray, rate: Fraction, fps: float) -> None:
    with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as box:
        stream = box.add_stream("libx264", rate=rate)
        stream.width, stream.height = rgb.shape[2], rgb.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(CRF), "preset": "fast", "bf": "0", "g": str(max(1, min(250, round(fps * 2)))),
                          "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709:range=tv"}
        for i, image in enumerate(rgb):
            frame = av.VideoFrame.from_ndarray(rgb_to_yuv420(image), format="yuv420p")
            frame.pts = i
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)


_KR, _KB = 0.2126, 0.0722  # ITU-R BT.709 (the stream says so: colormatrix=bt709, limited range)


def rgb_to_yuv420(rgb: np.ndarray) -> np.ndarray:
    """One ``H x W x 3`` uint8 frame (even sizes) as planar 4:2:0, limited range, BT.709: ``(H * 3 / 2) x W``.

    Each chroma sample is the mean of its 2 x 2 pixels, so a block of equal pixels keeps its colour
    exactly (the enlarged frames' case); FFmpeg's scaler would filter across blocks.
    """
    x = rgb.astype(np.float32)
    luma = _KR * x[..., 0] + (1 - _KR - _KB) * x[..., 1] + _KB * x[..., 2]
    cb = (x[..., 2] - luma) / (2 * (1 - _KB))
    cr = (x[..., 0] - luma) / (2 * (1 - _KR))
    h, w = luma.shape

    def sub(c: np.ndarray) -> np.ndarray:
        return c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    y = 16 + luma * (219 / 255)
    u, v = 128 + sub(cb) * (224 / 255), 128 + sub(cr) * (224 / 255)
    flat = np.concatenate([np.rint(p).clip(0, 255).astype(np.uint8).ravel() for p in (y, u, v)])
    return flat.reshape(h * 3 // 2, w)  # the planes one after another, as FFmpeg lays them out


def yuv420_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """The inverse of :func:`rgb_to_yuv420` (chroma repeated over its 2 x 2 pixels): ``H x W x 3`` uint8."""
    h, w = yuv.shape[0] * 2 // 3, yuv.shape[1]
    flat, n = yuv.ravel().astype(np.float32), h * w
    y = (flat[:n].reshape(h, w) - 16) * (255 / 219)
    u = (flat[n:n + n // 4].reshape(h // 2, w // 2) - 128) * (255 / 224)
    v = (flat[n + n // 4:].reshape(h // 2, w // 2) - 128) * (255 / 224)
    u, v = (c.repeat(2, axis=0).repeat(2, axis=1) for c in (u, v))
    r = y + 2 * (1 - _KR) * v
    b = y + 2 * (1 - _KB) * u
    g = (y - _KR * r - _KB * b) / (1 - _KR - _KB)
    return np.rint(np.stack([r, g, b], axis=-1)).clip(0, 255).astype(np.uint8)


def sprite_columns(t: int, h: int, w: int) -> int:
    """Columns of an about-square grid of ``t`` frames of ``h x w``."""
    return max(1, min(t, round(math.sqrt(t * h / w))))


def _sprite(frames: np.ndarray, fps: float, caption: str | None) -> Video:
    from PIL import Image

    t, h, w, c = frames.shape
    cols = sprite_columns(t, h, w)
    rows = -(-t // cols)
    if cols * w > SPRITE_MAX or rows * h > SPRITE_MAX:
        raise ValueError(f"a video of {t} frames of {w}x{h} is too large for the PNG sprite ({cols * w}x{rows * h} "
                         f"px, at most {SPRITE_MAX} a side): install the MP4 encoder with "
                         f"pip install 'torchscope[media]' (PyAV), or log fewer or smaller frames")
    sheet = np.zeros((rows * h, cols * w, c), np.uint8)
    for i in range(t):
        r, col = divmod(i, cols)
        sheet[r * h:(r + 1) * h, col * w:(col + 1) * w] = frames[i]
    buf = io.BytesIO()
    Image.fromarray(sheet[..., 0] if c == 1 else sheet).save(buf, format="PNG", compress_level=6)
    return Video(data=buf.getvalue(), mime="image/png", fps=float(fps), length=t, width=w, height=h, channels=c,
                 columns=cols, caption=caption)
