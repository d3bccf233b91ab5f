"""What TensorBoard's events mean in torchscope's terms: one decoder for the importer and the FileWriter.

:func:`decode_summary` turns a ``Summary`` protocol buffer (what ``add_summary`` receives and
event files hold) into items: :class:`Scalar`, :class:`Image`, :class:`Histogram`, :class:`Text`,
:class:`RecordItem` (audio, video, meshes, PR curves, tensors, custom-scalar layouts) and
:class:`HParams` (the hparams plugin's session start: hyper-parameters for the run's config).
Both the old fields (``simple_value``, ``image``, ``histo``, ``audio``) and the plugin tensors
(scalars, text, PR curves, meshes, hparams, custom scalars, TF2 images/histograms/audio) are read.
Needs the ``tensorboard`` package (only those who hold its protos call this).

Example: ``items = decode_summary(event.summary)``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..records import Record
from .tb_records import audio_record, layout_record, mesh_record, pr_record, video_record

__all__ = ["HParams", "Histogram", "Image", "RecordItem", "Scalar", "Text", "decode_summary", "histogram_from_raw"]


@dataclass(frozen=True, slots=True)
class Scalar:
    """One scalar value."""

    tag: str
    value: float


@dataclass(frozen=True, slots=True)
class Image:
    """An encoded image (PNG, JPEG, GIF, WebP) as it was written."""

    tag: str
    data: bytes
    width: int
    height: int
    mime: str


@dataclass(frozen=True, slots=True)
class Histogram:
    """A histogram: ``len(counts) + 1`` edges, counts and TensorBoard's statistics."""

    tag: str
    edges: np.ndarray
    counts: np.ndarray
    stats: dict[str, float]


@dataclass(frozen=True, slots=True)
class Text:
    """Text (markdown); torch's ``/text_summary`` tag suffix removed."""

    tag: str
    text: str


@dataclass(frozen=True, slots=True)
class RecordItem:
    """A record to log under ``tag`` (audio, video, mesh, PR curve, layout, tensor)."""

    tag: str
    record: Record


@dataclass(frozen=True, slots=True)
class HParams:
    """The hparams plugin: ``config`` (session start), ``metrics`` (experiment metric tags), ``status``."""

    config: dict[str, Any]
    metrics: list[str]
    status: str | None = None


Item = Scalar | Image | Histogram | Text | RecordItem | HParams


def histogram_from_raw(vmin: float, vmax: float, num: float, total: float, sum_squares: float,
                       limits: Any, counts: Any) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(edges, counts, stats) of a TensorBoard histogram: edges ``[min, *limits]``, each limit at most ``max``."""
    lim = np.asarray(limits, np.float64).reshape(-1)
    cnt = np.asarray(counts, np.float64).reshape(-1)
    if len(lim) != len(cnt):
        raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
    edges = np.r_[float(vmin), np.minimum(lim, float(vmax))] if len(lim) else np.array([vmin, vmax], np.float64)
    edges = np.maximum.accumulate(edges)  # TensorBoard's first limit may lie below min
    mean = total / num if num else float("nan")
    std = float(np.sqrt(max(sum_squares / num - mean * mean, 0.0))) if num else float("nan")
    stats = {"count": float(num), "min": float(vmin), "max": float(vmax), "sum": float(total), "mean": mean,
             "std": std, "nan": 0.0, "inf": 0.0, "-inf": 0.0, "sum_squares": float(sum_squares)}
    return edges, cnt if len(cnt) else np.zeros(1), stats


def _image(tag: str, data: bytes, width: int = 0, height: int = 0) -> Item:
    """An encoded image; an animated GIF (TensorBoard's video, MONAI's volume) becomes a ``media.video``
    record, kept lossless (the PNG frame sprite: a volume's slices and a label map's levels stay exact)
    unless the sprite would be too large, then as ``run.log_video`` encodes by default."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as img:
        fmt = (img.format or "PNG").upper()
        frames = getattr(img, "n_frames", 1)
        if fmt == "GIF" and frames > 1:
            stack = []
            for i in range(frames):
                img.seek(i)
                stack.append(np.asarray(img.convert("RGB")))
            fps = 1000.0 / img.info["duration"] if img.info.get("duration") else 4.0
            return RecordItem(tag, _gif_video(np.stack(stack), fps))
        size = img.size
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}.get(fmt, "image/png")
    return Image(tag, data, width or size[0], height or size[1], mime)


def _gif_video(frames: np.ndarray, fps: float) -> Record:
    """A GIF's decoded frames, exactly, in a PNG sprite when it fits (else MP4 where PyAV is installed)."""
    from ..media.video import SPRITE_MAX, encode_video, sprite_columns

    t, h, w, _ = frames.shape
    cols = sprite_columns(t, h, w)
    fits = cols * w <= SPRITE_MAX and -(-t // cols) * h <= SPRITE_MAX
    return encode_video(frames, fps, format="png" if fits else None)


def _wav(tag: str, data: bytes, rate: float = 0.0) -> Item:
    import wave

    with wave.open(io.BytesIO(data), "rb") as w:
        channels, width, sr, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(frames)
    dtype = np.dtype({1: "u1", 2: "<i2", 4: "<i4"}[width])
    ints = np.frombuffer(raw, dtype).astype(np.float32)
    x = ((ints - 128) / 127 if width == 1 else ints / float(np.iinfo(dtype).max)).astype(np.float32)
    if width == 2:  # 16-bit, as media.audio stores it: kept exactly
        x = np.frombuffer(raw, dtype).astype(np.int16)
    x = x.reshape(-1, channels) if channels > 1 else x
    return RecordItem(tag, audio_record(x, int(rate or sr)))


def _hparams(content: bytes) -> Item | None:
    from google.protobuf import json_format
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    which = data.WhichOneof("data")
    if which == "session_start_info":
        config = {k: json_format.MessageToDict(v) for k, v in data.session_start_info.hparams.items()}
        return HParams(config=config, metrics=[])
    if which == "experiment":
        return HParams(config={}, metrics=[m.name.tag for m in data.experiment.metric_infos])
    if which == "session_end_info":
        from tensorboard.plugins.hparams import api_pb2

        return HParams(config={}, metrics=[], status=api_pb2.Status.Name(data.session_end_info.status))
    return None


def _layout(arr: np.ndarray) -> Item:
    from tensorboard.plugins.custom_scalar import layout_pb2

    layout = layout_pb2.Layout.FromString(arr.reshape(-1)[0])
    spec: dict[str, dict[str, Any]] = {}
    for cat in layout.category:
        charts = spec.setdefault(cat.title, {})
        for chart in cat.chart:
            if chart.WhichOneof("content") == "margin":
                s = chart.margin.series[0]
                charts[chart.title] = ["Margin", [s.value, s.lower, s.upper]]
            else:
                charts[chart.title] = ["Multiline", list(chart.multiline.tag)]
    return RecordItem("custom_scalars", layout_record(spec))


def _tensor(tag: str, plugin: str, content: bytes, value: Any, meshes: dict[str, dict[str, Any]]) -> Item | None:
    from tensorboard.util import tensor_util

    arr = tensor_util.make_ndarray(value.tensor)
    if plugin == "text" or (arr.dtype.kind in "OSU" and plugin not in ("images", "audio", "custom_scalars")):
        text = arr.reshape(-1)[0] if arr.size else b""
        return Text(tag.removesuffix("/text_summary"), text.decode() if isinstance(text, bytes) else str(text))
    if plugin == "pr_curves":
        return RecordItem(tag, pr_record(tag, arr))
    if plugin == "custom_scalars":
        return _layout(arr)
    if plugin == "images":  # TF2: [width, height, png, png...]
        encoded = list(arr.reshape(-1)[2:])
        return _image(tag, bytes(encoded[0])) if len(encoded) == 1 else RecordItem(
            tag, video_record(np.stack([_decoded(bytes(e)) for e in encoded]), 4.0))
    if plugin == "audio":  # TF2: N x 2 strings (wav, label)
        return _wav(tag, bytes(arr.reshape(-1)[0]))
    if plugin == "histograms" and arr.ndim == 2 and arr.shape[1] == 3:  # TF2: k x (left, right, count)
        edges = np.r_[arr[:, 0], arr[-1:, 1]] if len(arr) else np.array([0.0, 1.0])
        counts = arr[:, 2] if len(arr) else np.zeros(1)
        n = float(counts.sum())
        return Histogram(tag, edges.astype(np.float64), counts.astype(np.float64),
                         {"count": n, "min": float(edges[0]), "max": float(edges[-1]), "nan": 0.0, "inf": 0.0,
                          "-inf": 0.0})
    if plugin == "mesh":
        from tensorboard.plugins.mesh import metadata as mesh_meta

        meta = mesh_meta.parse_plugin_metadata(content)
        part = {1: "vertices", 2: "faces", 3: "colors"}.get(int(meta.content_type), "vertices")
        parts = meshes.setdefault(meta.name, {"config": meta.json_config})
        parts[part] = arr
        return None
    if arr.size == 1 and arr.dtype.kind in "biuf" and plugin in ("scalars", ""):
        return Scalar(tag, float(arr.reshape(-1)[0]))
    from .tb_records import array_record

    return RecordItem(tag, array_record("tensor", {"value": np.asarray(arr)}))


def _decoded(data: bytes) -> np.ndarray:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def _mesh(name: str, parts: dict[str, Any]) -> Item:
    import json

    v = np.asarray(parts.get("vertices", np.zeros((1, 0, 3))), np.float32)
    f = parts.get("faces")
    c = parts.get("colors")
    config = json.loads(parts["config"]) if parts.get("config") else {}
    return RecordItem(name, mesh_record(v, None if f is None else np.asarray(f, np.int32),
                                        None if c is None else np.asarray(c).clip(0, 255).astype(np.uint8), config))


def decode_summary(summary: Any) -> list[Item]:
    """The items a ``Summary`` proto holds (mesh parts of one summary joined into one record)."""
    out: list[Item] = []
    meshes: dict[str, dict[str, Any]] = {}
    for value in summary.value:
        meta = value.metadata if value.HasField("metadata") else None
        plugin = meta.plugin_data.plugin_name if meta is not None else ""
        content = bytes(meta.plugin_data.content) if meta is not None else b""
        kind = value.WhichOneof("value")
        item: Item | None = None
        if plugin == "hparams":
            item = _hparams(content)
        elif kind == "simple_value":
            item = Scalar(value.tag, float(value.simple_value))
        elif kind == "image":
            img = value.image
            if img.encoded_image_string:
                item = _image(value.tag, bytes(img.encoded_image_string), img.width, img.height)
        elif kind == "histo":
            h = value.histo
            edges, counts, stats = histogram_from_raw(h.min, h.max, h.num, h.sum, h.sum_squares, h.bucket_limit,
                                                      h.bucket)
            item = Histogram(value.tag, edges, counts, stats)
        elif kind == "audio":
            item = _wav(value.tag, bytes(value.audio.encoded_audio_string), value.audio.sample_rate)
        elif kind == "tensor":
            item = _tensor(value.tag, plugin, content, value, meshes)
        if item is not None:
            out.append(item)
    out += [_mesh(name, parts) for name, parts in meshes.items()]
    return out
