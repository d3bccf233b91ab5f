"""The records TensorBoard's calls become, shared by the SummaryWriter, its FileWriter and the importer.

Video, audio and meshes become :mod:`torchscope.media`'s records, as ``run.log_video`` /
``log_audio`` / ``log_points`` store them (the Media panel plays them; ``rec["frames"]``,
``rec["samples"]``, ``rec["vertices"]`` read them back as arrays):

- ``media.video``: TensorBoard's frames (``T x H x W x C`` uint8) encoded as MP4, or as a lossless PNG
  frame sprite without PyAV, at ``fps``;
- ``media.audio``: the samples as a 16-bit WAV (``int16(x * 32767)``, TensorBoard's conversion) with
  its waveform and spectrogram;
- ``media.mesh``: ``vertices`` (``B x N x 3`` float32), optional ``faces`` (``B x F x 3`` int32) and
  ``colors`` (``B x N x 3`` uint8), ``config`` (the three.js ``config_dict``).

Other records are ``GenericRecord`` (JSON fields, arrays as ``.npy`` blobs):

- ``tensor``: ``value`` (any array; ``add_tensor``);
- ``scalars.layout``: ``categories`` ``[{"title", "charts": [{"title", "type": "multiline" |
  "margin", "tags": [...]}]}]`` (``add_custom_scalars``; a run's last layout is its chart groups);
- ``tensorboard.onnx_graph``: ``nodes`` (op, name, inputs, outputs) and ``text``.

PR curves become ``eval.curves`` records (the Evaluation panel's) holding TensorBoard's points:
``x`` recall, ``y`` precision at thresholds ``i / (T - 1)``, ``area`` their average precision;
embeddings become ``data.projection`` records (the Projector panel's).

Example: ``rec = video_record(frames, fps=4); run.log_record(rec, key="clip")``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..records import GenericRecord, Record

__all__ = ["array_record", "audio_record", "embedding_record", "layout_record", "mesh_record", "pr_record",
           "video_record"]


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def array_record(kind: str, arrays: dict[str, np.ndarray | None], **fields: Any) -> GenericRecord:
    """A record of arrays (as ``.npy`` blobs; None left out) and JSON ``fields``."""
    data: dict[str, Any] = dict(fields)
    blobs: dict[str, bytes] = {}
    for name, arr in arrays.items():
        if arr is not None:
            blobs[name] = _npy(arr)
            data[name] = {"__blob__": name, "type": "ndarray"}
    return GenericRecord(kind=kind, data=data, blobs=blobs)


def video_record(frames: np.ndarray, fps: float) -> Record:
    """``media.video`` from ``T x H x W x C`` uint8 frames (MP4 with PyAV, else a PNG frame sprite)."""
    from ..media.video import encode_video

    return encode_video(frames, fps)


def audio_record(samples: np.ndarray, sample_rate: int) -> Record:
    """``media.audio`` from samples in [-1, 1] (``L`` or ``L x channels``)."""
    from ..media.audio import encode_audio

    return encode_audio(samples, sample_rate)


def mesh_record(vertices: np.ndarray, faces: np.ndarray | None, colors: np.ndarray | None,
                config: dict[str, Any] | None) -> Record:
    """``media.mesh`` (a point cloud when there are no faces)."""
    from ..media.points import Points

    return Points(vertices=vertices, faces=faces, colors=colors, config=config or {})


def layout_record(layout: dict[str, Any]) -> GenericRecord:
    """``scalars.layout`` from TensorBoard's ``{category: {chart: ["Multiline" | "Margin", tags]}}``."""
    categories = []
    for category, charts in layout.items():
        items = []
        for title, spec in charts.items():
            if not isinstance(spec, (list, tuple)) or len(spec) != 2 or not isinstance(spec[1], (list, tuple)):
                raise ValueError(f"layout[{category!r}][{title!r}] must be ['Multiline' or 'Margin', [tags]], "
                                 f"got {spec!r:.80}")
            kind, tags = str(spec[0]), [str(t) for t in spec[1]]
            if kind == "Margin" and len(tags) != 3:
                raise ValueError(f"a Margin chart takes 3 tags (value, lower, upper), got {len(tags)} in "
                                 f"{category!r}/{title!r}")
            items.append({"title": str(title), "type": "margin" if kind == "Margin" else "multiline", "tags": tags})
        categories.append({"title": str(category), "charts": items})
    return GenericRecord(kind="scalars.layout", data={"categories": categories})


def pr_record(tag: str, data: np.ndarray) -> Record:
    """An ``eval.curves`` PR record from TensorBoard's ``6 x T`` (tp, fp, tn, fn, precision, recall) data."""
    from ..evaluate.curves import Curves

    tp, _fp, _tn, fn, precision, recall = (np.asarray(r, np.float64) for r in data)
    t = data.shape[1]
    order = np.arange(t)[::-1]  # thresholds high -> low: recall grows
    r, p = recall[order], precision[order]
    area = float(np.sum(np.diff(np.r_[0.0, r]) * p))
    return Curves(curve="pr", class_names=[tag], x=[r.tolist()], y=[p.tolist()],
                  thresholds=[(order / max(t - 1, 1)).tolist()], area=[area],
                  positives=[int(round(float(tp[0] + fn[0])))], title=tag)


def _pca2(x: np.ndarray) -> np.ndarray:
    """2-D PCA coordinates of any number of points (zeros where there is no variance to show)."""
    n = len(x)
    out = np.zeros((n, 2), np.float32)
    if n < 2:
        return out
    centred = x - x.mean(0)
    vt = np.linalg.svd(centred, full_matrices=False)[2]
    k = min(2, vt.shape[0])
    out[:, :k] = centred @ vt[:k].T
    return out


def embedding_record(mat: np.ndarray, metadata: list[list[str]] | None, header: list[str] | None,
                     thumbnails: np.ndarray | None, tag: str) -> Record:
    """A ``data.projection`` record of ``N x D`` vectors (PCA to 2-D, any N): labels from the first
    metadata column, every column kept in ``params["metadata"]``."""
    from ..data.projection import Projection

    x = np.asarray(mat, np.float64)
    n = len(x)
    names = [row[0] for row in metadata] if metadata else ["point"] * n
    classes = sorted(set(names))
    index = {c: i for i, c in enumerate(classes)}
    params: dict[str, Any] = {"source": "add_embedding", "tag": tag, "points": n, "dims": int(x.shape[1])}
    if metadata:
        params["metadata_header"] = header or ["label"]
        params["metadata"] = metadata
    return Projection(coords=_pca2(x), labels=np.asarray([index[c] for c in names], np.int32),
                      class_names=classes, method="pca", indices=np.arange(n, dtype=np.int64), thumbnails=thumbnails,
                      params=params, title=f"embedding {tag} ({n} points, {x.shape[1]} dimensions)")
