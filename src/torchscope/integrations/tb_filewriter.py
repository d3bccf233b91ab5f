"""``writer.file_writer`` / ``writer._get_file_writer()``: TensorBoard's FileWriter, writing into the run.

Libraries that build TensorBoard protocol buffers themselves (MONAI's animated GIF summaries,
Lightning's hparams, TensorBoard's own ``summary`` helpers) hand them to the SummaryWriter's
FileWriter: ``add_summary(summary, global_step, walltime)``, ``add_event(event)``,
``add_graph``, ``add_onnx_graph``. Each summary is decoded (:mod:`torchscope.integrations.tb_events`)
and logged into the writer's run: scalars, images (an animated GIF as a ``media.video`` record),
histograms with their exact buckets, text, audio, meshes, PR curves and hparams (into the run's
config). An event with ``SessionLog.START`` at step T purges the run's steps >= T, as
TensorBoard's reader does. Needs the ``tensorboard`` package only for what it decodes.

Example: ``writer._get_file_writer().add_summary(summary_pb, global_step=3)``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .tb_events import Histogram, HParams, Image, RecordItem, Scalar, Text, decode_summary

if TYPE_CHECKING:
    from ..track.run import Run
    from .tensorboard import SummaryWriter

__all__ = ["FileWriter", "log_items"]


def log_items(run: Run, items: list[Any], step: int, wall: float) -> None:
    """Log decoded summary items into ``run`` at ``step`` and ``wall``."""
    for item in items:
        if isinstance(item, Scalar):
            run.log({item.tag: item.value}, step=step, wall_time=wall, advance=False)
        elif isinstance(item, Image):
            import io

            from PIL import Image as PILImage

            with PILImage.open(io.BytesIO(item.data)) as img:
                pixels = np.asarray(img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB"))
            run.log_image(item.tag, pixels[None], step, wall_time=wall, advance=False)
        elif isinstance(item, Histogram):
            run.log_histogram_raw(item.tag, item.edges, item.counts, step, stats=item.stats, wall_time=wall,
                                  advance=False)
        elif isinstance(item, Text):
            run.log_text(item.tag, item.text, step, wall_time=wall, advance=False)
        elif isinstance(item, RecordItem):
            run.log_record(item.record, step=step, key=item.tag, wall_time=wall, advance=False)
        elif isinstance(item, HParams) and item.config:
            run.update_config(item.config)


class FileWriter:
    """TensorBoard's ``FileWriter`` for one :class:`~torchscope.integrations.SummaryWriter`: what it gets goes
    into the writer's run. Example: ``writer.file_writer.add_summary(summary, 3)``."""

    def __init__(self, owner: SummaryWriter) -> None:
        self._owner = owner

    def get_logdir(self) -> str:
        """The directory this writer writes to."""
        return str(self._owner.log_dir)

    def add_summary(self, summary: Any, global_step: Any = None, walltime: float | None = None) -> None:
        """Log a ``Summary`` protocol buffer: ``fw.add_summary(summary, 3)``."""
        step = 0 if global_step is None else int(global_step)
        self._log(decode_summary(summary), step, walltime)

    def add_event(self, event: Any, step: Any = None, walltime: float | None = None) -> None:
        """Log an ``Event`` protocol buffer (its summary, graph, or a ``SessionLog.START`` purge)."""
        at = int(step) if step is not None else int(event.step)
        if event.HasField("summary"):
            self._log(decode_summary(event.summary), at, walltime)
        if event.HasField("graph_def"):
            self._graph(bytes(event.graph_def), walltime)
        if event.HasField("session_log"):
            from tensorboard.compat.proto.event_pb2 import SessionLog

            if event.session_log.status == SessionLog.START:
                self._owner._purge(at)

    def add_graph(self, graph_profile: Any, walltime: float | None = None) -> None:
        """Log a ``(GraphDef, RunMetadata)`` pair (what ``torch.utils.tensorboard``'s ``graph()`` returns)."""
        graph = graph_profile[0] if isinstance(graph_profile, (tuple, list)) else graph_profile
        self._graph(graph.SerializeToString(), walltime)

    def add_onnx_graph(self, graph: Any, walltime: float | None = None) -> None:
        """Log a ``GraphDef`` made from an ONNX model."""
        self._graph(graph.SerializeToString(), walltime)

    def flush(self) -> None:
        """Write everything so far (the run's flush)."""
        self._owner.flush()

    def close(self) -> None:
        """Flush; the SummaryWriter's ``close()`` finishes the run."""
        self._owner.flush()

    def reopen(self) -> None:
        """Nothing to reopen: the run is written as long as its SummaryWriter is open."""

    def _log(self, items: list[Any], step: int, walltime: float | None) -> None:
        log_items(self._owner._live_run(), items, step, time.time() if walltime is None else walltime)

    def _graph(self, graph_def: bytes, walltime: float | None) -> None:
        from .tb_graph import graph_from_graphdef

        run = self._owner._live_run()
        run.log_record(graph_from_graphdef(graph_def), step=0, key="model/graph", advance=False,
                       wall_time=walltime)
