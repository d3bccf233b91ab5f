"""``torchscope import-tensorboard LOGDIR``: TensorBoard event files into a torchscope store.

Every directory below ``LOGDIR`` holding ``events.out.tfevents.*`` files becomes one run (named by
its path relative to ``LOGDIR``). Scalars (old ``simple_value`` and new tensor style), images
(their encoded bytes, kept as they are), histograms (TensorBoard's bucket edges kept in
``stats["edges"]``, exact count/sum/min/max) and text (torch's ``/text_summary`` suffix removed)
are imported with their steps and wall times: every point kept,
none of TensorBoard's reservoir sampling. Needs the ``tensorboard`` package (to decode events).
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..store.write import Batch, SQLiteWriter

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


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size


Columns = dict[str, tuple[list[int], list[float], list[float]]]


def _scalar(cols: Columns, tag: str, step: int, wall: float, value: float) -> int:
    col = cols.get(tag)
    if col is None:
        col = cols[tag] = ([], [], [])
    col[0].append(step)
    col[1].append(wall)
    col[2].append(value)
    return 1


def _add_value(batch: Batch, cols: Columns, value: Any, step: int, wall: float) -> int:
    """One summary value into the batch (scalars into ``cols``); returns the scalar points added."""
    tag = value.tag
    plugin = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else ""
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return _scalar(cols, tag, step, wall, float(value.simple_value))
    if kind == "image":
        data = bytes(value.image.encoded_image_string)
        w, h = (value.image.width, value.image.height) if value.image.width else _image_size(data)
        mime = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
        batch.images.append((tag, 0, step, wall, None, w, h, mime, data))
    elif kind == "histo":
        histo = value.histo
        limits = list(histo.bucket_limit)
        counts = np.asarray(histo.bucket, np.float64)
        edges = [histo.min, *[min(lim, histo.max) for lim in limits]]
        stats = {"count": histo.num, "min": histo.min, "max": histo.max, "sum": histo.sum,
                 "mean": histo.sum / histo.num if histo.num else float("nan"), "nan": 0.0, "inf": 0.0, "-inf": 0.0,
                 "std": float(np.sqrt(max(histo.sum_squares / histo.num - (histo.sum / histo.num) ** 2, 0.0)))
                 if histo.num else float("nan"), "edges": edges}
        batch.histograms.append((tag, 0, step, wall, float(edges[0]), float(edges[-1]), counts, stats))
    elif kind == "tensor":
        from tensorboard.util import tensor_util

        arr = tensor_util.make_ndarray(value.tensor)
        if plugin == "text" or arr.dtype.kind in "OSU":
            text = arr.reshape(-1)[0] if arr.size else b""
            tag = tag.removesuffix("/text_summary")  # torch's add_text appends it
            batch.texts.append((tag, 0, step, wall, text.decode() if isinstance(text, bytes) else str(text)))
        elif arr.size == 1 and arr.dtype.kind in "biuf":
            return _scalar(cols, tag, step, wall, float(arr.reshape(-1)[0]))
    return 0


def _write(writer: SQLiteWriter, batch: Batch, cols: Columns) -> None:
    for tag, (steps, walls, vals) in cols.items():
        batch.add_scalars(tag, 0, steps, walls, vals)
    if batch:
        writer.write(batch)


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

    ids = []
    for run_dir in tqdm(dirs, desc="importing TensorBoard runs", unit="run", disable=not progress):
        name = str(run_dir.relative_to(root)) if run_dir != root else root.resolve().name
        writer = SQLiteWriter(to, uuid.uuid4().hex[:12])
        writer.create_run(project=project, name=name, config={"imported_from": str(run_dir)}, tags=["tensorboard"])
        batch, cols, points = Batch(), Columns(), 0
        for event in _events(run_dir):
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                points += _add_value(batch, cols, value, int(event.step), float(event.wall_time))
            if points >= FLUSH_POINTS or len(batch.images) > 256:
                _write(writer, batch, cols)
                batch, cols, points = Batch(), Columns(), 0
        _write(writer, batch, cols)
        writer.finish()
        writer.close()
        ids.append(writer.run_id)
    return ids
