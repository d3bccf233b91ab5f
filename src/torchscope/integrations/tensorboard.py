"""``from torchscope import SummaryWriter``: a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

Every public method and attribute of PyTorch's writer, with its arguments and habits: one
directory per run (default ``runs/<Mon DD_HH-MM-SS>_<host><comment>``), ``global_step``
defaulting to 0, ``walltime`` on every call, ``purge_step`` (the run in ``log_dir`` resumes and
its steps >= ``purge_step`` are dropped; writing into a ``log_dir`` again continues its run, as
TensorBoard shows one run per directory), ``dataformats``, TensorBoard's pixel scaling (x255
unless uint8, clipped) and batch tiling, ``file_writer`` / ``_get_file_writer()`` for libraries that
write summary protocol buffers themselves. Each ``log_dir`` holds a torchscope store with one run
named after the directory; ``torchscope serve runs`` and ``ts.open("runs")`` find every run below
``runs``, as ``tensorboard --logdir runs`` does. The work is the tracker's: on the caller's thread
only validation and a private copy, encoding on the background writer.

Differences, on purpose: ``add_scalars`` logs ``main_tag/tag`` keys in the same run (TensorBoard
makes one sub-run per tag); ``add_histogram`` with the default ``bins="tensorflow"`` uses 64 equal
bins and an int ``bins`` that many (TensorBoard's exponential buckets are ~1,500 thin bins; any
other numpy ``bins`` rule or ``max_bins`` is computed exactly as TensorBoard does);
``add_hparams`` puts the hyper-parameters into the run's config and the metrics into its summary
and scalars, linked to everything else the run logged (a call with ``run_name=``, or a second call
with other values, makes a run of its own, ``<run>/<run_name>``, as TensorBoard does); video, audio
and meshes are stored as records (see :mod:`torchscope.integrations.tb_records`), not GIF/WAV files.
"""

from __future__ import annotations

import datetime
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..records import Record
from ..track.checks import check_key, check_wall
from ..track.media_log import check_format, grid_shape
from ..track.run import Run, init
from . import _tb_convert as conv
from ._resume import TAG, purge, reopen
from .tb_filewriter import FileWriter
from .tb_records import (
    array_record,
    audio_record,
    embedding_record,
    layout_record,
    mesh_record,
    pr_record,
    video_record,
)

__all__ = ["SummaryWriter"]

HANDOFF_BYTES = 64 * 2**20  # media handed to the writer thread and not yet written, at most


def _default_bins() -> list[float]:
    """TensorBoard's default histogram bucket edges (the ``default_bins`` attribute)."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0.0] + pos


class SummaryWriter:
    """Write to a torchscope store with TensorBoard's API: ``writer = SummaryWriter("runs/exp1")``.

    ``project=`` and ``config=`` (keyword-only, torchscope's) name the run's project (default: the
    parent directory's name) and start its config.
    """

    def __init__(self, log_dir: str | os.PathLike[str] | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "", *, project: str | None = None,
                 config: dict[str, Any] | None = None) -> None:
        if not log_dir:
            stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self._project, self._config = project, config
        self.run: Run | None = None
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._hparams_logged: dict[str, Any] | None = None
        self._handed = 0  # bytes handed to the writer thread since the last flush
        self._get_file_writer()
        self.default_bins = _default_bins()

    # -- the run behind the writer ---------------------------------------------------------------
    def _open(self, purge_step: int | None) -> Run:
        path = Path(self.log_dir)
        name = path.name or "run"
        project = self._project or (path.parent.name or "tensorboard")
        run_id = reopen(path, name, None if purge_step is None else int(purge_step))
        if run_id is None:
            return init(project=project, name=name, dir=path, config=self._config, tags=[TAG])
        from ..track import dist

        rank, world = dist.rank_and_world()
        run = Run(project=project, name=name, config={}, tags=[TAG], dir=path, store=None, flush_interval=1.0,
                  rank=rank, world_size=world, enabled=rank == 0, run_id=run_id, log_rank=0)
        if self._config:
            run.update_config(self._config)
        return run

    def _get_file_writer(self) -> FileWriter:
        """The FileWriter (re)opened on this writer's run: ``writer._get_file_writer().add_summary(s)``."""
        if self.file_writer is None or self.all_writers is None:
            self.run = self._open(self.purge_step)
            self.purge_step = None
            self.file_writer = FileWriter(self)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
        return self.file_writer

    def _live_run(self) -> Run:
        self._get_file_writer()
        assert self.run is not None
        return self.run

    def _purge(self, step: int) -> None:
        """Drop the run's steps >= ``step`` (TensorBoard's ``SessionLog.START``): close, purge, resume."""
        run = self._live_run()
        run.finish()
        if run.dir is not None:
            purge(run.dir, run.id, step)
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    def get_logdir(self) -> str:
        """The directory of this run: ``writer.get_logdir()``."""
        return self.log_dir  # type: ignore[return-value]  # as given, like TensorBoard

    @staticmethod
    def _step(global_step: Any) -> int:
        return 0 if global_step is None else int(global_step)

    @staticmethod
    def _encode(rawstr: str) -> str:
        """TensorBoard's escaping of a tag in a path (``%`` and slashes)."""
        return rawstr.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")

    # -- scalars -----------------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None, walltime: float | None = None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Log one scalar: ``writer.add_scalar("loss", 0.3, step)`` (kept as float64, every point)."""
        value = scalar_value if type(scalar_value) is float else _one_number(scalar_value)
        self._live_run().log({tag: value}, step=self._step(global_step), wall_time=walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several scalars under one tag: logged as ``main_tag/tag`` keys of this run."""
        walltime = time.time() if walltime is None else walltime
        self._live_run().log({f"{main_tag}/{k}": _one_number(v) for k, v in tag_scalar_dict.items()},
                             step=self._step(global_step), wall_time=walltime)

    def add_tensor(self, tag: str, tensor: Any, global_step: int | None = None, walltime: float | None = None) -> None:
        """A whole tensor, stored as a ``tensor`` record: ``writer.add_tensor("w", t, 3)``."""
        arr = np.array(conv.to_numpy(tensor, "tensor"), copy=True)
        self._live_run().log_record(array_record("tensor", {"value": arr}), step=self._step(global_step), key=tag,
                                    wall_time=walltime)

    # -- histograms --------------------------------------------------------------------------------
    def add_histogram(self, tag: str, values: Any, global_step: int | None = None, bins: Any = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """A histogram of ``values``: 64 equal bins by default, ``bins`` an int for that many, or any numpy rule."""
        run = self._live_run()
        step = self._step(global_step)
        if (isinstance(bins, str) and bins == "tensorflow") or (isinstance(bins, int) and max_bins is None):
            n = bins if isinstance(bins, int) else (max_bins or 64)
            if isinstance(values, (list, tuple)):
                values = np.asarray(values)
            if getattr(values, "size", 1) == 0 or (isinstance(values, torch.Tensor) and values.numel() == 0):
                raise ValueError("The input has no element.")
            run.log_histogram(tag, values if isinstance(values, torch.Tensor) else conv.to_numpy(values), step,
                              bins=n, wall_time=walltime)
            return
        vmin, vmax, num, total, squares, limits, counts = conv.tb_histogram(values, bins, max_bins)
        self.add_histogram_raw(tag, vmin, vmax, num, total, squares, limits, counts, step, walltime)

    def add_histogram_raw(self, tag: str, min: float, max: float, num: int, sum: float, sum_squares: float,
                          bucket_limits: Any, bucket_counts: Any, global_step: int | None = None,
                          walltime: float | None = None) -> None:
        """A histogram you binned: TensorBoard's upper bucket limits and counts, kept exactly."""
        from .tb_events import histogram_from_raw

        edges, counts, stats = histogram_from_raw(float(min), float(max), float(num), float(sum), float(sum_squares),
                                                  conv.to_numpy(bucket_limits, "bucket_limits"),
                                                  conv.to_numpy(bucket_counts, "bucket_counts"))
        self._live_run().log_histogram_raw(tag, edges, counts, self._step(global_step), stats=stats,
                                           wall_time=walltime)

    # -- images, figures, video, audio, meshes -------------------------------------------------------
    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                  dataformats: str = "CHW") -> None:
        """One image (``dataformats`` CHW, HWC, HW... any order); floats x255, clipped, as TensorBoard."""
        pixels = conv.image_hwc_uint8(img_tensor, dataformats)
        self._live_run().log_image(tag, pixels[None], self._step(global_step), wall_time=walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                   dataformats: str = "NCHW") -> None:
        """A batch tiled as TensorBoard tiles it (up to 8 per row); ``dataformats`` NCHW or NHWC."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_image_with_boxes(self, tag: str, img_tensor: Any, box_tensor: Any, global_step: int | None = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: Any = None) -> None:
        """An image with boxes (x1, y1, x2, y2 in pixels) drawn, stored with them as ``explain.detections``."""
        pixels = conv.image_hwc_uint8(img_tensor, dataformats)
        boxes = np.asarray(conv.to_numpy(box_tensor, "box_tensor"), np.float64).reshape(-1, 4)
        if isinstance(labels, str):
            labels = [labels]
        if labels is not None and len(labels) != len(boxes):
            labels = None  # as TensorBoard: labels that do not match the boxes are dropped
        if rescale != 1:
            from PIL import Image

            h, w = pixels.shape[:2]
            size = (int(w * rescale), int(h * rescale))
            pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))
            boxes = boxes * rescale
        self._live_run().log_image(tag, pixels, self._step(global_step), boxes=boxes,
                                   labels=None if labels is None else [str(x) for x in labels], wall_time=walltime)

    def add_figure(self, tag: str, figure: Any, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """A matplotlib figure (or a list of them, tiled), rendered to an image."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        figures = figure if isinstance(figure, list) else [figure]
        images = []
        for fig in figures:
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            images.append(np.asarray(canvas.buffer_rgba())[..., :3].transpose(2, 0, 1).copy())
            if close:
                import matplotlib.pyplot as plt

                plt.close(fig)
        if isinstance(figure, list):
            self.add_image(tag, np.stack(images), global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, images[0], global_step, walltime, dataformats="CHW")

    def _later(self, tag: str, global_step: Any, walltime: Any, nbytes: int, build: Callable[[], Record]) -> None:
        """Log the record ``build()`` makes, built on the writer thread (the caller pays for checks and a copy).

        What is handed over is bounded: past ``HANDOFF_BYTES`` not yet written, the call waits for the writer.
        """
        run = self._live_run()
        check_key(tag)
        step = self._step(global_step)
        wall = time.time() if walltime is None else check_wall(walltime)
        if self._handed + nbytes > HANDOFF_BYTES:
            run.flush()
            self._handed = 0
        self._handed += nbytes
        run.on_writer_thread(lambda out: out.add_record(build(), step=step, key=tag, wall=wall))

    def add_video(self, tag: str, vid_tensor: Any, global_step: int | None = None, fps: float = 4,
                  walltime: float | None = None) -> None:
        """A video ``(N, T, C, H, W)`` as TensorBoard's frames (the batch tiled), a ``media.video`` record
        (MP4 through PyAV, ``pip install 'torchscope[media]'``; a lossless PNG frame sprite without it)."""
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps < 1e6:
            raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}")
        video = conv.private_copy(vid_tensor, conv.check_video(vid_tensor))
        n, t, _, h, w = video.shape
        rows, cols = grid_shape(n)
        check_format(None, (t, h * rows, w * cols))  # MP4 with PyAV; else a PNG sprite that must fit
        self._later(tag, global_step, walltime, video.nbytes, lambda: video_record(conv.video_frames(video), fps))

    def add_audio(self, tag: str, snd_tensor: Any, global_step: int | None = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """One channel of samples in [-1, 1] (clipped) at ``sample_rate`` Hz, a ``media.audio`` record."""
        samples, rate = conv.check_audio(snd_tensor, sample_rate)
        samples = conv.private_copy(snd_tensor, samples)
        self._later(tag, global_step, walltime, samples.nbytes,
                    lambda: audio_record(conv.clip_audio(samples), rate))

    def add_mesh(self, tag: str, vertices: Any, colors: Any = None, faces: Any = None, config_dict: Any = None,
                 global_step: int | None = None, walltime: float | None = None) -> None:
        """A mesh or point cloud (``B x N x 3`` vertices, colors, faces), a ``media.mesh`` record."""
        v = _triples(vertices, "vertices")
        if not np.isfinite(v).all():
            raise ValueError("vertices must be finite (a NaN or an infinity cannot be drawn)")
        c = None if colors is None else _triples(colors, "colors")
        f = None if faces is None else _triples(faces, "faces")
        if f is not None and f.size and (f.min() < 0 or f.max() >= v.shape[1]):
            raise ValueError(f"faces index vertices 0..{v.shape[1] - 1}, got {f.min()}..{f.max()}")
        config = dict(config_dict or {})
        nbytes = sum(a.nbytes for a in (v, c, f) if a is not None)
        self._later(tag, global_step, walltime, nbytes, lambda: mesh_record(
            v.astype(np.float32), None if f is None else f.astype(np.int32),
            None if c is None else _colors(c), config))

    # -- text, graphs, embeddings, PR curves, layouts, hparams ---------------------------------------
    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Markdown text."""
        self._live_run().log_text(tag, text_string, self._step(global_step), wall_time=walltime)

    def add_graph(self, model: torch.nn.Module, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The model's summary and hierarchical graph (``ts.graph``), for the Graph panel.

        As TensorBoard's trace, a forward pass that fails raises (a ``RuntimeError``) and logs nothing.
        """
        from ..model._tree import make_call
        from ..model.capture import capture
        from ..model.graph import build_graph
        from ..model.summary import summarize

        run = self._live_run()
        args, kwargs = make_call(model, input_to_model)
        cap = capture(model, args, kwargs, mode="eval", flops=True)
        if cap.error:
            raise RuntimeError(f"add_graph: the forward pass failed, so there is no graph: {cap.error}")
        run.log_record(summarize(model, cap), step=0, key="model/summary")
        run.log_record(build_graph(model, cap), step=0, key="model/graph")

    def add_onnx_graph(self, prototxt: Any) -> None:
        """An ONNX model file's graph, for the Graph panel (needs ``pip install onnx``)."""
        try:
            import onnx
        except ImportError as exc:
            raise ImportError("add_onnx_graph needs the onnx package: pip install onnx "
                              "(or pip install 'torchscope[onnx]')") from exc
        from .tb_graph import graph_from_onnx

        model = onnx.load(prototxt)
        self._live_run().log_record(graph_from_onnx(model), step=0, key="model/graph")

    def add_embedding(self, mat: Any, metadata: Any = None, label_img: Any = None, global_step: int | None = None,
                      tag: str = "default", metadata_header: Any = None) -> None:
        """Vectors for the projector (any number of points, PCA to 2-D), with labels and thumbnails."""
        x = conv.to_numpy(mat, "mat")
        if x.ndim != 2:
            raise ValueError(f"mat must be (N, D), one row per point, got shape {x.shape}")
        rows = _metadata(metadata, metadata_header, len(x))
        thumbs = None
        if label_img is not None:
            img = conv.to_numpy(label_img, "label_img")
            if img.ndim != 4 or len(img) != len(x):
                raise ValueError(f"label_img must be (N, C, H, W) with N = {len(x)} points, got shape {img.shape}")
            thumbs = _thumbnails(img)
        record = embedding_record(x, rows, None if metadata_header is None else [str(h) for h in metadata_header],
                                  thumbs, tag)
        self._live_run().log_record(record, step=self._step(global_step), key=f"embedding/{tag}")

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: int | None = None,
                     num_thresholds: int = 127, weights: Any = None, walltime: float | None = None) -> None:
        """A binary precision-recall curve at TensorBoard's thresholds, an ``eval.curves`` record."""
        data = conv.pr_curve_data(labels, predictions, num_thresholds, weights)
        self._live_run().log_record(pr_record(tag, data), step=self._step(global_step), key=tag, wall_time=walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts: Any, false_positive_counts: Any,
                         true_negative_counts: Any, false_negative_counts: Any, precision: Any, recall: Any,
                         global_step: int | None = None, num_thresholds: int = 127, weights: Any = None,
                         walltime: float | None = None) -> None:
        """A precision-recall curve you computed (counts, precision and recall per threshold)."""
        parts = [conv.to_numpy(p, "counts").reshape(-1).astype(np.float64) for p in (
            true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts, precision,
            recall)]
        if len({len(p) for p in parts}) != 1:
            raise ValueError(f"the six curves must have the same length, got {[len(p) for p in parts]}")
        self._live_run().log_record(pr_record(tag, np.stack(parts)), step=self._step(global_step), key=tag,
                                    wall_time=walltime)

    def add_custom_scalars(self, layout: dict[str, Any]) -> None:
        """Chart groups for the Scalars panel: ``{category: {chart: ["Multiline" | "Margin", tags]}}``."""
        self._live_run().log_record(layout_record(layout), step=0, key="custom_scalars")

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """One chart of several tags: ``writer.add_custom_scalars_multilinechart(["a", "b"])``."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """One chart of a value with its lower and upper margins (exactly 3 tags)."""
        if len(tags) != 3:
            raise ValueError(f"a margin chart takes 3 tags (value, lower, upper), got {len(tags)}")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list[Any]] | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """Hyper-parameters (into the run's config) linked to their results (summary and scalars)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        params = {k: _hparam(k, v) for k, v in hparam_dict.items() if v is not None}
        for k, domain in (hparam_domain_discrete or {}).items():
            if k not in hparam_dict or not isinstance(domain, list) or \
                    not all(isinstance(d, type(hparam_dict[k])) for d in domain):
                raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                                f"hparam_dict[{k}].")
        metrics = {k: _one_number(v) for k, v in metric_dict.items()}
        step = self._step(global_step)
        if run_name or (self._hparams_logged is not None and self._hparams_logged != params):
            path = Path(self.log_dir)
            name = f"{path.name or 'run'}/{run_name or time.time()}"
            with init(project=self._live_run().project, name=name, dir=path, config=params,
                      tags=[TAG, "hparams"]) as sub:
                sub.summary.update(metrics)
                sub.log(metrics, step=step)
            return
        run = self._live_run()
        run.update_config(params)
        run.summary.update(metrics)
        run.log(metrics, step=step)
        self._hparams_logged = params

    # -- lifecycle -----------------------------------------------------------------------------------
    def flush(self) -> None:
        """Block until everything so far is on disk."""
        if self.run is not None and self.all_writers is not None:
            self.run.flush()
            self._handed = 0

    def close(self) -> None:
        """Finish the run (logging again later resumes it, as TensorBoard reopens its writer)."""
        if self.all_writers is None:
            return
        assert self.run is not None
        self.run.finish()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_number(value: Any) -> float:
    if type(value) is float:
        return value
    arr = conv.to_numpy(value, "scalar_value")
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise ValueError(f"scalar_value must be one number, got {type(value).__name__} of shape {arr.shape}")
    return float(arr.reshape(-1)[0])


def _hparam(name: str, value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        return _one_number(value)
    raise ValueError(f"hparam {name!r}: value should be one of int, float, str, bool, or torch.Tensor, got "
                     f"{type(value).__name__}")


def _colors(c: np.ndarray) -> np.ndarray:
    """Colors as uint8: floats in [0, 1] x255, anything else clipped to [0, 255]."""
    return (c * 255 if c.dtype.kind == "f" and c.size and c.max() <= 1 else c).clip(0, 255).astype(np.uint8)


def _triples(x: Any, name: str) -> np.ndarray:
    arr = conv.to_numpy(x, name)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be (B, N, 3) numbers, got shape {arr.shape} and dtype {arr.dtype}")
    return np.array(arr, copy=True)


def _metadata(metadata: Any, header: Any, n: int) -> list[list[str]] | None:
    """Metadata rows as strings (one column, or one per header name), checked against ``n`` points."""
    if metadata is None:
        return None
    items = conv.to_numpy(metadata).tolist() if isinstance(metadata, (torch.Tensor, np.ndarray)) else list(metadata)
    if len(items) != n:
        raise ValueError(f"metadata has {len(items)} labels but mat has {n} points (#labels should equal #data "
                         f"points)")
    if header is None:
        return [[str(m)] for m in items]
    rows = [[str(_plain(e)) for e in row] for row in items]
    if any(len(r) != len(header) for r in rows):
        raise ValueError(f"each metadata row needs {len(header)} values, one per metadata_header name")
    return rows


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, (torch.Tensor, np.generic)) and getattr(x, "ndim", 0) == 0 else x


def _thumbnails(img: np.ndarray) -> np.ndarray:
    """``N x C x H x W`` label images as ``N x h x w x 3`` uint8 thumbnails (x255 as TensorBoard, at most 64 px)."""
    nhwc = img.transpose(0, 2, 3, 1)
    if nhwc.shape[3] == 1:
        nhwc = np.repeat(nhwc, 3, axis=3)
    pixels = conv.scale_uint8(nhwc[..., :3])
    side = max(pixels.shape[1], pixels.shape[2])
    if side > 64:
        step = -(-side // 64)
        pixels = np.ascontiguousarray(pixels[:, ::step, ::step])
    return pixels
