"""``from torchscope import SummaryWriter``: a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

Switching is a one-line import change. The common methods keep their signatures and habits:
one directory per run (default ``runs/<Mon DD_HH-MM-SS>_<host><comment>``), ``global_step``
defaulting to 0, ``dataformats`` for images. Each ``log_dir`` holds a torchscope store with one run
named after the directory; ``torchscope serve runs`` and ``ts.open("runs")`` find every run below
``runs``, as ``tensorboard --logdir runs`` does.

Differences, on purpose: ``add_scalars`` logs ``main_tag/tag`` keys in the same run (TensorBoard
makes one sub-run per tag); histograms use 64 equal-width bins (``bins=`` an int to choose),
not TensorBoard's exponential buckets; ``add_hparams`` adds the hyper-parameters to the run's
config and the metrics to its summary and scalars.
"""

from __future__ import annotations

import datetime
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..track.run import Run, init

__all__ = ["SummaryWriter"]

_LAYOUTS = {"CHW": "CHW", "HWC": "HWC", "HW": "HW", "NCHW": "NCHW", "NHWC": "NHWC"}


def _to_array(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _layout(img: Any, dataformats: str) -> Any:
    """Bring an image to CHW/NCHW as TensorBoard reads ``dataformats`` (no guessing)."""
    fmt = dataformats.upper()
    if fmt not in _LAYOUTS:
        raise ValueError(f"dataformats must be one of {', '.join(_LAYOUTS)}, got {dataformats!r}")
    t = img if isinstance(img, torch.Tensor) else torch.as_tensor(np.asarray(img))
    if t.dim() != len(fmt):
        raise ValueError(f"image has {t.dim()} dimensions but dataformats={dataformats!r} says {len(fmt)}")
    if fmt == "HW":
        return t.unsqueeze(0)
    if fmt == "HWC":
        return t.permute(2, 0, 1)
    if fmt == "NHWC":
        return t.permute(0, 3, 1, 2)
    return t


class SummaryWriter:
    """Write to a torchscope store with TensorBoard's API: ``writer = SummaryWriter("runs/exp1")``."""

    def __init__(self, log_dir: str | os.PathLike[str] | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "", *, project: str | None = None,
                 config: dict[str, Any] | None = None) -> None:
        if log_dir is None:
            stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        path = Path(self.log_dir)
        self.run: Run = init(project=project or (path.parent.name or "tensorboard"), name=path.name or "run",
                             dir=path, config=config, tags=["tensorboard"])

    def get_logdir(self) -> str:
        return self.log_dir

    @staticmethod
    def _step(global_step: Any) -> int:
        return 0 if global_step is None else int(global_step)

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None, walltime: float | None = None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Log one scalar: ``writer.add_scalar("loss", 0.3, step)``."""
        self.run.log({tag: scalar_value}, step=self._step(global_step), wall_time=walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several scalars under one tag: logged as ``main_tag/tag`` keys of this run."""
        self.run.log({f"{main_tag}/{k}": v for k, v in tag_scalar_dict.items()}, step=self._step(global_step),
                     wall_time=walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                  dataformats: str = "CHW") -> None:
        """One image, ``dataformats`` CHW (default), HWC or HW."""
        self.run.log_image(tag, _layout(img_tensor, dataformats), step=self._step(global_step))

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images, shown as a grid; ``dataformats`` NCHW (default) or NHWC."""
        self.run.log_image(tag, _layout(img_tensor, dataformats), step=self._step(global_step))

    def add_figure(self, tag: str, figure: Any, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """A matplotlib figure (or a list of them), rendered to an image."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        images = []
        for fig in figures:
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            images.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
            if close:
                import matplotlib.pyplot as plt

                plt.close(fig)
        batch = np.stack(images) if len(images) > 1 and len({i.shape for i in images}) == 1 else images[0]
        self.run.log_image(tag, batch, step=self._step(global_step))

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None, bins: Any = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """A histogram of ``values``: 64 equal bins unless ``bins`` is an int."""
        n = bins if isinstance(bins, int) else (max_bins or 64)
        self.run.log_histogram(tag, values if isinstance(values, torch.Tensor) else _to_array(values),
                               step=self._step(global_step), bins=n)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Markdown text."""
        self.run.log_text(tag, text_string, step=self._step(global_step))

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list[Any]] | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """Hyper-parameters (into the run's config) linked to their results (summary and scalars)."""
        self.run.update_config(hparam_dict)
        self.run.summary.update(metric_dict)
        self.run.log(dict(metric_dict), step=self._step(global_step))

    def add_graph(self, model: torch.nn.Module, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The model's summary and hierarchical graph (``ts.graph``), for the Graph panel."""
        from ..model import log_graph

        log_graph(self.run, model, input_to_model)

    def add_embedding(self, mat: Any, metadata: Any = None, label_img: Any = None, global_step: int | None = None,
                      tag: str = "default", metadata_header: Any = None) -> None:
        """Vectors to explore in the projector: stored as a PCA projection (``ts.data.project``)."""
        from ..data import project

        x = _to_array(mat).astype(np.float32)
        if x.ndim != 2:
            raise ValueError(f"mat must be (N, D), got shape {x.shape}")
        labels = None
        if metadata is not None:
            names = [str(m) for m in (metadata.tolist() if hasattr(metadata, "tolist") else metadata)]
            classes = sorted(set(names))
            labels = np.array([classes.index(n) for n in names])
        rec = project(x, labels, method="pca", thumbnails=False, progress=False)
        self.run.log_record(rec, step=self._step(global_step), key=f"embedding/{tag}")

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: int | None = None,
                     num_thresholds: int = 127, weights: Any = None, walltime: float | None = None) -> None:
        """A binary precision-recall curve (``ts.evaluate(...).pr_curves()``)."""
        from ..evaluate import evaluate

        y = _to_array(labels).astype(np.int64).reshape(-1)
        p = _to_array(predictions).astype(np.float64).reshape(-1)
        rec = evaluate(y_true=y, y_score=p).pr_curves(max_points=num_thresholds)
        self.run.log_record(rec, step=self._step(global_step), key=tag)

    def flush(self) -> None:
        self.run.flush()

    def close(self) -> None:
        self.run.finish()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
