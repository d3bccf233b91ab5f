"""``torchscope import-tensorboard LOGDIR``: TensorBoard event files into a torchscope store.

Every directory below ``LOGDIR`` holding ``events.out.tfevents.*`` files becomes one run (named by
its path relative to ``LOGDIR``), every point kept with its step and wall time (none of
TensorBoard's reservoir sampling). What comes in (decoded by :mod:`torchscope.integrations.tb_events`):

- scalars (old ``simple_value`` and new tensor style), images (their encoded bytes, as they are;
  an animated GIF, TensorBoard's video, as a ``media.video`` record), histograms (TensorBoard's
  bucket edges kept in ``stats["edges"]``, exact count/sum/min/max), text (torch's
  ``/text_summary`` suffix removed);
- hparams: the session's hyper-parameters into the run's config and its metrics' last values into
  the run's summary, so the Config panel links them to the results. ``add_hparams`` writes its
  session into a sub-directory of the run; when a run has exactly one such session it is merged
  into the run (several sessions stay runs of their own, ``run/<session>``); the sub-runs of
  ``add_scalars`` (``run/<main_tag>_<tag>``) become ``main_tag/tag`` keys of the run, as
  torchscope's SummaryWriter logs them;
- PR curves (``eval.curves``), audio (``media.audio``), meshes (``media.mesh``), custom-scalar
  layouts (``scalars.layout``), other tensors (``tensor``), graphs (``model.graph``, the Graph
  panel's) and embeddings from ``projector_config.pbtxt`` (``data.projection``, the projector's,
  with metadata and sprite thumbnails);
- ``purge_step``: a ``SessionLog.START`` at step T drops what came before it at steps >= T, as
  TensorBoard's reader does.

Needs the ``tensorboard`` package (to decode events).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..store.write import Batch, SQLiteWriter
from .tb_events import Histogram, HParams, Image, RecordItem, Scalar, Text, decode_summary

__all__ = ["find_event_dirs", "import_tensorboard"]

FLUSH_POINTS = 1_000_000


def find_event_dirs(logdir: Path) -> list[Path]:
    """Directories below ``logdir`` (itself included) with TensorBoard event files, sorted."""
    out = []
    for here, dirs, files in os.walk(logdir):
        dirs.sort()
        if any(f.startswith("events.out.tfevents") for f in files):
            out.append(Path(here))
    return out


def _events(run_dir: Path) -> Iterator[Any]:
    """Events as written (not upgraded to tensors: legacy histograms keep their exact sums)."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event

    for f in sorted(p for p in run_dir.iterdir() if p.name.startswith("events.out.tfevents")):
        for record in RawEventFileLoader(str(f)).Load():
            yield Event.FromString(record)


def _scalars_subrun(run_dir: Path) -> str | None:
    """The tag of an ``add_scalars`` sub-run (``<run>/<main_tag>_<tag>`` holding only scalars of ``main_tag``),
    renamed ``main_tag/<tag>`` as the SummaryWriter logs it; None for any other directory."""
    tags: set[str] = set()
    for i, event in enumerate(_events(run_dir)):
        if event.HasField("summary"):
            for v in event.summary.value:
                if v.WhichOneof("value") != "simple_value":
                    return None
                tags.add(v.tag)
        if len(tags) > 1 or i > 64:
            return None
    if len(tags) != 1:
        return None
    (tag,) = tags
    prefix = tag.replace("/", "_") + "_"
    return f"{tag}/{run_dir.name[len(prefix):]}" if run_dir.name.startswith(prefix) and run_dir.name != prefix \
        else None


def _is_session(run_dir: Path) -> bool:
    """Whether ``run_dir`` is an ``add_hparams`` session (its first events carry the hparams plugin)."""
    for i, event in enumerate(_events(run_dir)):
        if event.HasField("summary") and any(v.metadata.plugin_data.plugin_name == "hparams"
                                             for v in event.summary.value):
            return True
        if i > 8:
            return False
    return False


class _Sink:
    """Collects one run's items into batches for the store; remembers what the summary needs."""

    def __init__(self, writer: SQLiteWriter) -> None:
        self.writer = writer
        self.batch = Batch()
        self.cols: dict[str, tuple[list[int], list[float], list[float]]] = {}
        self.points = 0
        self.last: dict[str, float] = {}
        self.metrics: list[str] = []

    def add(self, item: Any, step: int, wall: float) -> None:
        b = self.batch
        if isinstance(item, Scalar):
            col = self.cols.setdefault(item.tag, ([], [], []))
            col[0].append(step)
            col[1].append(wall)
            col[2].append(item.value)
            self.last[item.tag] = item.value
            self.points += 1
        elif isinstance(item, Image):
            b.images.append((item.tag, 0, step, wall, None, item.width, item.height, item.mime, item.data))
        elif isinstance(item, Histogram):
            stats = {**item.stats, "edges": item.edges.tolist()}
            b.histograms.append((item.tag, 0, step, wall, float(item.edges[0]), float(item.edges[-1]), item.counts,
                                 stats))
        elif isinstance(item, Text):
            b.texts.append((item.tag, 0, step, wall, item.text))
        elif isinstance(item, RecordItem):
            data, blobs = item.record.to_dict()
            b.records.append((item.tag, 0, step, wall, item.record.kind, json.dumps(data, allow_nan=True), blobs))
        elif isinstance(item, HParams):
            if item.config:
                b.config = {**(b.config or {}), **item.config}
            self.metrics += [m for m in item.metrics if m not in self.metrics]
        if self.points >= FLUSH_POINTS or len(b.images) + len(b.records) > 256:
            self.flush()

    def flush(self) -> None:
        for tag, (steps, walls, vals) in self.cols.items():
            self.batch.add_scalars(tag, 0, steps, walls, vals)
        if self.batch:
            self.writer.write(self.batch)
        self.batch, self.cols, self.points = Batch(), {}, 0

    def finish(self) -> None:
        summary = {m: self.last[m] for m in self.metrics if m in self.last}
        if summary:
            self.batch.summary = summary
        self.flush()


def _read_events(sink: _Sink, run_dir: Path, to: Path, rename: str | None = None) -> None:
    from tensorboard.compat.proto.event_pb2 import SessionLog

    from ._resume import purge
    from .tb_graph import graph_from_graphdef

    seen = False
    for event in _events(run_dir):
        step, wall = int(event.step), float(event.wall_time)
        if event.HasField("session_log") and event.session_log.status == SessionLog.START and seen:
            sink.flush()
            run_id = sink.writer.run_id
            sink.writer.close()
            purge(to, run_id, step)
            sink.writer = SQLiteWriter(to, run_id)  # a writer that knows nothing of the chunks purged
        if event.HasField("graph_def"):
            sink.add(RecordItem("model/graph", graph_from_graphdef(bytes(event.graph_def))), step, wall)
        if event.HasField("summary"):
            for item in decode_summary(event.summary):
                sink.add(Scalar(rename, item.value) if rename and isinstance(item, Scalar) else item, step, wall)
            seen = True


def _embeddings(sink: _Sink, run_dir: Path) -> None:
    """The projector's embeddings of a run directory (``projector_config.pbtxt``) as ``data.projection`` records."""
    config_path = run_dir / "projector_config.pbtxt"
    if not config_path.exists():
        return
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    from .tb_records import embedding_record

    config = text_format.Parse(config_path.read_text(encoding="utf-8"), ProjectorConfig())
    wall = config_path.stat().st_mtime
    for emb in config.embeddings:
        tag, _, step_text = emb.tensor_name.rpartition(":")
        mat = np.loadtxt(run_dir / emb.tensor_path, delimiter="\t", ndmin=2, dtype=np.float64)
        rows, header = None, None
        if emb.metadata_path:
            lines = (run_dir / emb.metadata_path).read_text(encoding="utf-8").rstrip("\n").split("\n")
            if "\t" in lines[0]:  # several columns: the first line is the header
                header, lines = lines[0].split("\t"), lines[1:]
            rows = [line.split("\t") for line in lines]
        thumbs = None
        if emb.sprite.image_path and len(emb.sprite.single_image_dim) == 2:
            thumbs = _split_sprite((run_dir / emb.sprite.image_path).read_bytes(), len(mat),
                                   *emb.sprite.single_image_dim)
        record = embedding_record(mat, rows, header, thumbs, tag or "default")
        step = int(step_text) if step_text.isdigit() else 0
        sink.add(RecordItem(f"embedding/{tag or 'default'}", record), step, wall)


def _split_sprite(png: bytes, n: int, width: int, height: int) -> np.ndarray:
    import io

    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as img:
        sheet = np.asarray(img.convert("RGB"))
    cols = max(1, sheet.shape[1] // max(width, 1))
    tiles = [sheet[(i // cols) * height:(i // cols + 1) * height, (i % cols) * width:(i % cols + 1) * width]
             for i in range(n)]
    return np.stack(tiles) if tiles else np.zeros((0, height, width, 3), np.uint8)


def import_tensorboard(logdir: str | os.PathLike[str], to: str | os.PathLike[str] | None = None, *,
                       project: str = "tensorboard", progress: bool = True) -> list[str]:
    """Import every TensorBoard run below ``logdir`` into the store at ``to``; returns the run ids.

    Example: ``import_tensorboard("runs", to="tsruns")``.
    """
    try:
        import tensorboard  # noqa: F401
    except ImportError as exc:
        raise ImportError("import-tensorboard needs the tensorboard package: pip install tensorboard") from exc
    root = Path(logdir)
    if not root.is_dir():
        raise FileNotFoundError(f"no TensorBoard log directory at {str(logdir)!r}")
    dirs = find_event_dirs(root)
    if not dirs:
        raise FileNotFoundError(f"no TensorBoard event files (events.out.tfevents.*) in {str(logdir)!r} or below")
    from torchscope._progress import tqdm

    known = set(dirs)
    sessions: dict[Path, list[Path]] = {}
    children: dict[Path, list[tuple[Path, str]]] = {}  # add_scalars sub-runs, with their new key
    for d in dirs:
        if d != root and d.parent in known:
            if _is_session(d):
                sessions.setdefault(d.parent, []).append(d)
            elif (key := _scalars_subrun(d)) is not None:
                children.setdefault(d.parent, []).append((d, key))
    merged = {only[0] for only in sessions.values() if len(only) == 1}
    merged |= {d for subs in children.values() for d, _ in subs}
    ids = []
    for run_dir in tqdm([d for d in dirs if d not in merged], desc="importing TensorBoard runs", unit="run",
                        disable=not progress):
        name = str(run_dir.relative_to(root)) if run_dir != root else root.resolve().name
        writer = SQLiteWriter(to, uuid.uuid4().hex[:12])
        writer.create_run(project=project, name=name, config={"imported_from": str(run_dir)}, tags=["tensorboard"])
        sink = _Sink(writer)
        _read_events(sink, run_dir, writer.dir)
        for session in sessions.get(run_dir, []):
            if session in merged:
                _read_events(sink, session, writer.dir)
        for sub, key in children.get(run_dir, []):
            _read_events(sink, sub, writer.dir, rename=key)
        _embeddings(sink, run_dir)
        sink.finish()
        sink.writer.finish()
        sink.writer.close()
        ids.append(writer.run_id)
    return ids
