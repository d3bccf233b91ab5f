"""``run.log_video``, ``run.log_audio`` and ``run.log_points``: checks and one private copy on the
caller's thread, encoding on the background writer's (a :class:`~torchscope.track.messages.RecordMsg`
whose ``build`` makes the record there).

Every check raises on the caller's thread, naming the argument and what it accepts, before
anything is queued, so a bad call logs nothing and costs nothing already logged; an encoding that
fails on the writer thread drops that item alone (said on stderr and in the run's errors). The
records are :mod:`torchscope.media`'s (``media.video``, ``media.audio``, ``media.mesh``).

Example::

    run.log_video("rollout", frames_tchw, fps=15)        # through run.log_video
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from time import time
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..records import Record
from .checks import check_text, check_wall, jsonable_config
from .messages import RecordMsg

if TYPE_CHECKING:
    from .run import Run

__all__ = ["check_format", "check_fps", "check_sample_rate", "grid_shape", "log_audio", "log_points", "log_video",
           "points_arrays", "video_array"]

_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _numpy(x: Any, name: str, accepted: str, ok: Callable[[np.dtype[Any]], bool], copy: bool = True) -> np.ndarray:
    """A private numpy copy of a tensor or array (half floats widened), or a TypeError naming ``accepted``;
    ``copy=False`` when the caller converts it anyway (a CPU tensor's or an array's memory is then shared)."""
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype in (torch.float16, torch.bfloat16):
            arr = t.to("cpu", torch.float32).numpy()
        else:
            if t.is_complex() or t.dtype == torch.bool:
                raise TypeError(f"{name} must be {accepted}, got a tensor of dtype {t.dtype}")
            if t.device.type == "cpu":
                arr = t.resolve_conj().resolve_neg().numpy()
                arr = np.array(arr, copy=True) if copy else arr
            else:
                arr = t.cpu().numpy()  # the transfer is the copy
    elif isinstance(x, np.ndarray):
        arr = np.array(x, copy=True) if copy else x
    elif isinstance(x, (list, tuple)):
        arr = np.asarray(x)
    else:
        raise TypeError(f"{name} must be a torch.Tensor, numpy.ndarray or list of {accepted}, got {type(x).__name__}")
    if not ok(arr.dtype):
        raise TypeError(f"{name} must be {accepted}, got dtype {arr.dtype}")
    return arr


def _finite(arr: np.ndarray, name: str, what: str) -> None:
    if arr.dtype.kind == "f" and arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):  # no temporary
        bad = int((~np.isfinite(arr)).sum())
        raise ValueError(f"{name} holds {bad:,} NaN or infinite value{'s' if bad != 1 else ''}; {what}")


# -- video ------------------------------------------------------------------------------------
def check_fps(fps: Any, name: str = "fps") -> float:
    """A positive, finite number of frames per second, or a ValueError: ``check_fps(30) == 30.0``."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) \
            or not math.isfinite(fps) or not 0 < fps <= 1000:
        raise ValueError(f"{name} must be a positive number of frames per second (at most 1000), got {fps!r}")
    return float(fps)


def check_format(format: Any, frames: tuple[int, int, int]) -> str:
    """``"mp4"`` or ``"png"`` for a video of ``(T, H, W)``: None picks MP4 when PyAV is installed.

    An explicit ``"mp4"`` without PyAV, or a sprite too large for the PNG fallback, raises here.
    """
    from ..media.video import SPRITE_MAX, has_encoder, sprite_columns

    if format not in (None, "mp4", "png"):
        raise ValueError(f"format must be 'mp4' (H.264, needs PyAV), 'png' (a lossless frame sprite) or None "
                         f"(MP4 when PyAV is installed), got {format!r}")
    if format == "mp4" or (format is None and has_encoder()):
        if not has_encoder():
            raise ImportError("log_video(format='mp4') needs the MP4 encoder PyAV: pip install 'torchscope[media]' "
                              "(its wheel ships FFmpeg), or format='png' for a lossless frame sprite")
        return "mp4"
    t, h, w = frames
    cols = sprite_columns(t, h, w)
    if cols * w > SPRITE_MAX or -(-t // cols) * h > SPRITE_MAX:
        raise ValueError(f"{t} frames of {w}x{h} are too many for the PNG frame sprite (at most {SPRITE_MAX} px a "
                         f"side) and no MP4 encoder is installed: pip install 'torchscope[media]' (PyAV), or log "
                         f"fewer or smaller frames")
    return "png"


def video_array(frames: Any, name: str = "frames") -> np.ndarray:
    """A private ``N x T x C x H x W`` copy of ``(T, C, H, W)`` or ``(N, T, C, H, W)`` frames (uint8, or floats
    in [0, 1] clipped), or an error naming ``name`` and what is accepted."""
    arr = _numpy(frames, name, "uint8 in [0, 255] or floats in [0, 1]",
                 lambda d: d == np.uint8 or d.kind == "f")
    if arr.ndim == 4:
        arr = arr[None]
    if arr.ndim != 5 or arr.shape[2] not in (1, 3, 4) or 0 in arr.shape:
        raise ValueError(f"{name} must be (T, C, H, W) or (N, T, C, H, W) with C = 1, 3 or 4 channels and no empty "
                         f"dimension, got shape {tuple(arr.shape)}")
    if arr.shape[3] > 8192 or arr.shape[4] > 8192:
        raise ValueError(f"{name}: frames of {arr.shape[4]}x{arr.shape[3]} px are larger than 8192 a side")
    _finite(arr, name, "video frames must be finite (floats in [0, 1])")
    return arr


def _video_build(arr: np.ndarray, fps: float, fmt: str, caption: str | None) -> Callable[[], tuple[str, dict]]:
    def build() -> tuple[str, dict[str, bytes]]:
        from ..media.video import encode_video, tile_batch

        tchw = arr[0] if arr.shape[0] == 1 else tile_batch(arr)
        return _serialized(encode_video(tchw.transpose(0, 2, 3, 1), fps, format=fmt, caption=caption))
    return build


def log_video(run: Run, key: str, frames: Any, step: int | None = None, *, fps: float = 4, caption: str | None = None,
              format: str | None = None, advance: bool = True, wall_time: float | None = None) -> None:
    """What :meth:`Run.log_video` does (see there)."""
    run._key(key)
    wall = time() if wall_time is None else check_wall(wall_time)
    rate = check_fps(fps)
    if caption is not None:
        check_text(caption, "caption")
    arr = video_array(frames)
    rows, cols = grid_shape(arr.shape[0])
    fmt = check_format(format, (arr.shape[1], arr.shape[3] * rows, arr.shape[4] * cols))
    _put(run, key, step, advance, wall, "media.video", arr.nbytes, _video_build(arr, rate, fmt, caption))


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) of TensorBoard's tiling of a batch of ``n`` videos."""
    padded = n if not n & (n - 1) else 1 << n.bit_length()
    rows = 2 ** ((n.bit_length() - 1) // 2)
    return rows, padded // rows


# -- audio ------------------------------------------------------------------------------------
def check_sample_rate(rate: Any, name: str = "sample_rate") -> int:
    """A positive whole number of samples per second, or a ValueError: ``check_sample_rate(16000) == 16000``."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
            or not math.isfinite(rate) or not float(rate).is_integer() or not 0 < rate < 2**31:
        raise ValueError(f"{name} must be a positive whole number of samples per second (e.g. 16000 or 44100), "
                         f"got {rate!r}")
    return int(rate)


def audio_array(samples: Any, name: str = "samples") -> np.ndarray:
    """A private ``L x C`` copy (C = 1 or 2) of ``(L,)``, ``(C, L)`` or ``(L, C)`` samples, floats in [-1, 1]
    (clipped, with a warning) or int16."""
    arr = _numpy(samples, name, "floats in [-1, 1] or int16", lambda d: d == np.int16 or d.kind == "f")
    if arr.ndim == 2 and arr.shape[0] in (1, 2) and arr.shape[1] > 2:
        arr = arr.T  # channels first (torchaudio's layout)
    elif arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, 2) or not len(arr):
        raise ValueError(f"{name} must be mono or stereo: (L,), (C, L) or (L, C) with C = 1 or 2 and L > 0, got "
                         f"shape {tuple(getattr(samples, 'shape', ()))}")
    if arr.dtype.kind == "f" and not (arr.min() >= -1 and arr.max() <= 1):  # NaN fails both: one pass when fine
        _finite(arr, name, "audio samples must be finite (floats in [-1, 1])")
        warnings.warn(f"{name}: amplitude outside [-1, 1], clipped", RuntimeWarning, stacklevel=4)
        np.clip(arr, -1, 1, out=arr)
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def log_audio(run: Run, key: str, samples: Any, step: int | None = None, *, sample_rate: int,
              caption: str | None = None, advance: bool = True, wall_time: float | None = None) -> None:
    """What :meth:`Run.log_audio` does (see there)."""
    run._key(key)
    wall = time() if wall_time is None else check_wall(wall_time)
    rate = check_sample_rate(sample_rate)
    if caption is not None:
        check_text(caption, "caption")
    arr = audio_array(samples)

    def build() -> tuple[str, dict[str, bytes]]:
        from ..media.audio import encode_audio

        return _serialized(encode_audio(arr, rate, caption=caption))

    _put(run, key, step, advance, wall, "media.audio", arr.nbytes, build)


# -- points and meshes ------------------------------------------------------------------------
def _batched(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    arr = arr[None] if arr.ndim == 2 else arr
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{name} must be {what}: (N, 3) or (B, N, 3), got shape {tuple(arr.shape)}")
    return arr


def points_arrays(xyz: Any, colors: Any = None, faces: Any = None, *,
                  names: tuple[str, str, str] = ("xyz", "colors", "faces")) -> tuple[np.ndarray, Any, Any]:
    """Private ``B x N x 3`` float32 vertices, uint8 colours (floats in [0, 1] x255) and int32 faces, checked."""
    nx, nc, nf = names
    v = _batched(_numpy(xyz, nx, "numbers", lambda d: d.kind in "iuf"), nx, "x, y, z per point")
    if not v.shape[1]:
        raise ValueError(f"{nx} has no points (shape {tuple(v.shape)})")
    _finite(v, nx, "a point cloud must be finite (drop or fill those points first)")
    v = v.astype(np.float32, copy=False)
    c = None
    if colors is not None:
        c = _batched(_numpy(colors, nc, "uint8 in [0, 255] or floats in [0, 1]", lambda d: d.kind in "iuf", False),
                     nc, "r, g, b per point")
        if c.shape[:2] != v.shape[:2]:
            raise ValueError(f"{nc} has shape {tuple(c.shape)} but {nx} has {tuple(v.shape)}: one colour per point")
        _finite(c, nc, "colours must be finite")
        if c.dtype == np.uint8:
            c = c.copy()
        else:
            c = np.clip(c * 255 + 0.5 if c.dtype.kind == "f" else c, 0, 255).astype(np.uint8)
    f = None
    if faces is not None:
        f = _batched(_numpy(faces, nf, "integer vertex indices", lambda d: d.kind in "iu", False), nf,
                     "three vertex indices per triangle")
        if f.shape[0] != v.shape[0]:
            raise ValueError(f"{nf} has {f.shape[0]} batches but {nx} has {v.shape[0]}")
        if f.size and (f.min() < 0 or f.max() >= v.shape[1]):
            raise ValueError(f"{nf} index vertices 0..{v.shape[1] - 1}, got indices {f.min()}..{f.max()}")
        f = f.astype(np.int32)  # a copy (also of int32 input)
    return v, c, f


def log_points(run: Run, key: str, xyz: Any, step: int | None = None, *, colors: Any = None, faces: Any = None,
               caption: str | None = None, config: Mapping[str, Any] | None = None, advance: bool = True,
               wall_time: float | None = None) -> None:
    """What :meth:`Run.log_points` does (see there)."""
    run._key(key)
    wall = time() if wall_time is None else check_wall(wall_time)
    if caption is not None:
        check_text(caption, "caption")
    settings = jsonable_config(dict(config)) if config else {}
    v, c, f = points_arrays(xyz, colors, faces)

    def build() -> tuple[str, dict[str, bytes]]:
        from ..media.points import Points

        return _serialized(Points(vertices=v, faces=f, colors=c, config=settings, caption=caption))

    _put(run, key, step, advance, wall, "media.mesh", sum(a.nbytes for a in (v, c, f) if a is not None), build)


# -- shared -----------------------------------------------------------------------------------
def _serialized(rec: Record) -> tuple[str, dict[str, bytes]]:
    data, blobs = rec.to_dict()
    return json.dumps(data, allow_nan=True), blobs


def _put(run: Run, key: str, step: int | None, advance: bool, wall: float, kind: str, nbytes: int,
         build: Callable[[], tuple[str, dict[str, bytes]]]) -> None:
    if not run._live():
        return
    assert run._writer is not None
    run._writer.put(RecordMsg(key, run._log_rank, run._next_step(step, advance), wall, kind, "", {}, nbytes, build))
