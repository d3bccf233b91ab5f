"""The Media panel's routes: a run's videos, audio clips, point clouds and meshes, and their bytes.

The index is read from the records' JSON alone (no blob is loaded); each player then fetches its
own bytes: the video (MP4, or the PNG frame sprite), the WAV, the spectrogram PNG and waveform,
the points as one binary buffer for WebGL, or a projection PNG at any angle (the 2-D view of the
static report and of devices without WebGL).

Example::

    GET /api/media/index?run=a1                                -> {"videos": [...], "audio": [...], "points": [...]}
    GET /api/media/points.bin?run=a1&key=cloud&step=3&batch=0  -> float32 xyz, then uint8 rgb, then uint32 faces
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....errors import NotFound
from ...apidoc import RUN, STEP, Param
from ...context import PanelContext
from ...endpoint import Blob, Query, endpoint
from ...params import float_param, int_param, one_run
from ...registry import Panel
from ...shared.records import IMAGE_HEADERS, entries, pick
from .report import report

VIDEO, AUDIO, MESH = "media.video", "media.audio", "media.mesh"
SAFE_VIDEO = {"video/mp4", "image/png"}
HEADERS = {**IMAGE_HEADERS}
VIDEO_FIELDS = ("mime", "fps", "length", "width", "height", "channels", "scale", "columns", "caption")
AUDIO_FIELDS = ("sample_rate", "channels", "length", "db", "hop", "caption")
MESH_FIELDS = ("batch", "points", "triangles", "bounds", "caption")


def _row(e: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {"key": e.key, "step": e.step, "wall_time": e.wall_time, **{f: e.data.get(f) for f in fields}}


def index(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """The run's media, oldest step first, without their bytes."""
    rid = one_run(q)
    store = ctx.provider
    points = []
    for e in entries(store, rid, (MESH,)):
        row = _row(e, MESH_FIELDS)
        row["colors"] = "colors" in e.blob_names
        points.append(row)
    return {"run": rid, "videos": [_row(e, VIDEO_FIELDS) for e in entries(store, rid, (VIDEO,))],
            "audio": [_row(e, AUDIO_FIELDS) for e in entries(store, rid, (AUDIO,))], "points": points}


def video(ctx: PanelContext, q: Query) -> Blob:
    """A video's bytes: MP4, or its PNG frame sprite."""
    rec = pick(ctx, q, VIDEO).record
    mime = rec.mime if rec.mime in SAFE_VIDEO else "application/octet-stream"
    return Blob(rec.data, mime, HEADERS)


def audio_wav(ctx: PanelContext, q: Query) -> Blob:
    """A clip's 16-bit WAV."""
    return Blob(pick(ctx, q, AUDIO).record.wav, "audio/wav", HEADERS)


def spectrogram_png(ctx: PanelContext, q: Query) -> Blob:
    """A clip's spectrogram (low frequencies at the bottom, magma colours)."""
    return Blob(pick(ctx, q, AUDIO).record.spectrogram, "image/png", HEADERS)


def waveform(ctx: PanelContext, q: Query) -> dict[str, Any]:
    """A clip's waveform: per channel, the ``min`` and ``max`` of equal spans."""
    mm = pick(ctx, q, AUDIO).record.waveform
    return {"channels": [{"min": np.round(c[:, 0], 4), "max": np.round(c[:, 1], 4)} for c in mm]}


def _batch(q: Query, rec: Any) -> int:
    b = int_param(q, "batch", 0, 0, 1 << 20)
    if b >= rec.vertices.shape[0]:
        raise NotFound(f"no batch {b}: the record holds {rec.vertices.shape[0]}")
    return b


def points_bin(ctx: PanelContext, q: Query) -> Blob:
    """One cloud or mesh as little-endian bytes: N x 3 float32 positions, N x 3 uint8 colours (when it has
    them), F x 3 uint32 triangle indices (when it has faces)."""
    rec = pick(ctx, q, MESH).record
    b = _batch(q, rec)
    parts = [np.ascontiguousarray(rec.vertices[b], "<f4").tobytes()]
    if rec.colors is not None:
        parts.append(np.ascontiguousarray(rec.colors[b], np.uint8).tobytes())
    if rec.is_mesh:
        parts.append(np.ascontiguousarray(rec.faces[b], "<u4").tobytes())
    return Blob(b"".join(parts), "application/octet-stream", HEADERS)


def points_png(ctx: PanelContext, q: Query) -> Blob:
    """An orthographic view at ``azimuth``/``elevation`` degrees (defaults 30, 20), ``size`` px a side."""
    from ....media.points import project_png

    rec = pick(ctx, q, MESH).record
    az = float_param(q, "azimuth")
    el = float_param(q, "elevation")
    size = int_param(q, "size", 360, 32, 1024)
    png = project_png(rec, azimuth=30.0 if az is None else az % 360,
                      elevation=20.0 if el is None else max(-90.0, min(90.0, el)), size=size, batch=_batch(q, rec))
    return Blob(png, "image/png", HEADERS)


ONE = {"run": RUN, "key": Param("record key", required=True), "step": STEP}
BATCH = Param("which of the record's batch (TensorBoard's B)", type="integer", minimum=0, maximum=1 << 20)

PANEL = Panel(
    name="media", report=report, title="Media", order=67,
    routes=[endpoint("/index", index), endpoint("/video", video), endpoint("/audio.wav", audio_wav),
            endpoint("/spectrogram.png", spectrogram_png), endpoint("/waveform", waveform),
            endpoint("/points.bin", points_bin), endpoint("/points.png", points_png)],
    api_doc={
        "/index": {"summary": "A run's videos, audio clips, point clouds and meshes (no bytes)",
                   "params": {"run": RUN}},
        "/video": {"summary": "A video: MP4, or its PNG frame sprite",
                   "media": (*sorted(SAFE_VIDEO), "application/octet-stream"), "params": ONE},
        "/audio.wav": {"summary": "An audio clip as a 16-bit WAV", "media": "audio/wav", "params": ONE},
        "/spectrogram.png": {"summary": "An audio clip's spectrogram", "media": "image/png", "params": ONE},
        "/waveform": {"summary": "An audio clip's waveform (min and max per span, per channel)", "params": ONE},
        "/points.bin": {"summary": "A point cloud or mesh as binary (float32 xyz, uint8 rgb, uint32 faces)",
                        "media": "application/octet-stream", "params": {**ONE, "batch": BATCH}},
        "/points.png": {"summary": "A point cloud or mesh projected at an angle", "media": "image/png",
                        "params": {**ONE, "batch": BATCH,
                                   "azimuth": Param("degrees about the vertical axis (default 30)", type="number"),
                                   "elevation": Param("degrees above the horizon (default 20)", type="number",
                                                      minimum=-90, maximum=90),
                                   "size": Param("pixels a side", type="integer", minimum=32, maximum=1024)}},
    },
)
