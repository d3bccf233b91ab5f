"""``ts.init`` and :class:`Run`: the tracker's write side.

Every ``log*`` call validates its input on the caller's thread (a clear error naming the argument,
nothing already logged is lost), then hands the data to the background writer and returns: the
training loop never waits on disk. The run is finished by ``run.finish()``, by leaving a
``with ts.init(...)`` block, or at interpreter exit; an uncaught exception marks it crashed.

Example::

    with ts.init(project="mnist", config={"lr": 1e-3}) as run:
        for step in range(100):
            run.log({"train/loss": 1 / (step + 1)})
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from time import time
from typing import Any

import numpy as np
import torch

from ..records import GenericRecord, Record
from ..store.location import is_url, redact
from ..store.location import resolve as resolve_location
from ..store.postgres.write import PostgresWriter
from ..store.write import SQLiteWriter
from . import dist
from .checks import (
    MAX_STEP,
    MIN_STEP,
    check_key,
    check_nrow,
    check_scalar,
    check_step,
    check_text,
    check_wall,
    printable,
)
from .checks import jsonable_config as _jsonable_config
from .hooks import WriterBatch
from .media import given_histogram, prepare_histogram, prepare_image
from .messages import CallMsg, ConfigMsg, HistogramMsg, ImageMsg, RecordMsg, SummaryMsg, TextMsg
from .summary import Summary
from .writer import BackgroundWriter

__all__ = ["Run", "init"]


class Run:
    """One training run. Create it with :func:`ts.init <torchscope.init>`.

    Example: ``run = ts.init(project="mnist"); run.log({"train/loss": 0.3})``.

    ``run.summary`` is a mapping of the run's final numbers (``run.summary["best_acc"] = 0.97``):
    every change, by any mapping method, is checked and written with the run.

    Extending the tracker (what ``run.watch`` is built on, and all it uses):

    - every ``log*`` method takes ``advance=False``: the data goes at ``step`` (or at the coming
      step) and the run's step counter stays put, so an extension logging at its own steps never
      shifts the user's auto-stepped logs;
    - :meth:`on_writer_thread` hands a function to the background writer thread, which calls it
      with the batch it is assembling (a :class:`~torchscope.track.hooks.WriterBatch`): read device
      tensors there (the host sync is off the training thread) and add scalars and records.
    """

    def __init__(self, *, project: str, name: str, config: dict[str, Any], tags: list[str], dir: Any, store: Any,
                 flush_interval: float, rank: int, world_size: int, enabled: bool, run_id: str,
                 log_rank: int, system: float | None = None, sync_to: str | None = None,
                 media: str | None = None) -> None:
        self.project, self.name, self.config, self.tags = project, name, config, tags
        self.id = run_id
        self.rank, self.world_size = rank, world_size
        self.enabled = enabled
        self._summary = Summary(self._persist_summary)
        self._log_rank = log_rank
        self._step = 0
        self._keys_ok: set[str] = set()  # keys of log() that passed check_key
        self._finished = False
        self._status = "finished"
        self._error: str | None = None
        self._pid = os.getpid()
        self._writer: BackgroundWriter | None = None
        self._watchers: list[Any] = []
        self._forked = False
        self._system: Any = None
        self._console: Any = None  # ts.init(console=True)'s capture, stopped at finish
        self.dir: Path | None = None  # the store's directory (None for a PostgreSQL store)
        self.location: Any = None  # where the run is stored: a directory or a postgresql:// URL
        self.sync_to = sync_to  # offline=True: the team store this run is synced into at finish
        if not enabled:
            return
        location = resolve_location(store, dir)
        if media is not None and not is_url(location):
            raise ValueError("media= is for the team store (store='postgresql://...'): a directory store keeps "
                             "its media in its own file")
        writer = PostgresWriter(location, run_id, rank=log_rank, media=media) if is_url(location) \
            else SQLiteWriter(location, run_id, rank=log_rank)
        self.dir, self.location = writer.dir, location
        store = writer
        store.create_run(project=project, name=name, config=config, tags=tags, world_size=world_size)
        self._writer = BackgroundWriter(store, flush_interval=flush_interval)
        self._put_scalars = self._writer.put_scalars
        atexit.register(self._at_exit)
        _install_process_hooks()
        _ACTIVE.add(self)
        if system is not None:
            self._start_system(system)

    def _start_system(self, interval: float) -> None:
        """``system/`` metrics on a background thread, at the latest training step (see ``track.system``)."""
        from .system import SystemMonitor, machine_info

        assert self._writer is not None
        self._writer.put(TextMsg("system/info", self._log_rank, 0, time(), machine_info()))
        put = self._put_scalars

        def emit(values: dict[str, float]) -> None:
            if not self._finished and not self._forked:
                put(max(self._step - 1, 0), time(), values)

        self._system = SystemMonitor(emit, interval)
        emit(self._system.sample(rates=False))  # a first point at once (rates need an interval)

    def __repr__(self) -> str:
        state = "finished" if self._finished else ("disabled" if not self.enabled else "running")
        where = redact(self.location) if is_url(self.location) else str(self.dir)
        return f"Run(id={self.id!r}, project={self.project!r}, name={self.name!r}, {state}, store={where!r})"

    # -- logging -----------------------------------------------------------------------------
    def _next_step(self, step: Any, advance: bool = True) -> int:
        """The step of a log call (``None``: the coming step); the counter moves past it unless ``advance=False``."""
        if step is None:
            step = self._step
        elif type(step) is not int or not MIN_STEP <= step <= MAX_STEP:
            step = check_step(step)
        if advance:
            self._step = step + 1
        return step

    def _live(self) -> bool:
        if self._finished:
            raise RuntimeError(f"run {self.id!r} is finished; start a new one with ts.init()")
        return self.enabled and not self._forked  # a forked child (a DataLoader worker) never writes

    def log(self, data: Mapping[str, Any], step: int | None = None, *, wall_time: float | None = None,
            advance: bool = True) -> None:
        """Log scalars: ``run.log({"train/loss": 0.31}, step=120)``; step auto-increments when omitted.

        ``wall_time`` (seconds since the epoch) overrides the time of logging, e.g. when importing.
        ``advance=False`` leaves the run's step counter as it is (see *Extending the tracker* on :class:`Run`).
        """
        if type(data) is not dict:
            if not isinstance(data, Mapping):
                raise TypeError(f"log() takes a dict of key -> number, got {type(data).__name__}")
            data = dict(data)
        ok = self._keys_ok
        for key, value in data.items():  # the common case (keys seen before, float values) costs one pass
            if type(value) is not float or key not in ok:
                data = self._checked(data)
                break
        if self._finished or not self.enabled or self._forked:
            self._live()
            return
        if step is None:
            step = self._step
        if type(step) is not int or not MIN_STEP <= step <= MAX_STEP:
            step = check_step(step)
        if advance:
            self._step = step + 1
        self._put_scalars(step, time() if wall_time is None else check_wall(wall_time), data)

    def _checked(self, data: dict[str, Any]) -> dict[str, Any]:
        out = {}
        ok = self._keys_ok
        if len(ok) > 100_000:  # a bound on what the cache of checked keys holds
            ok.clear()
        for key, value in data.items():
            if key not in ok:
                ok.add(check_key(key))
            out[key] = value if type(value) is float else check_scalar(key, value)
        return out

    def _key(self, key: Any) -> str:
        """``check_key``, remembered: a key seen before costs one set lookup."""
        ok = self._keys_ok
        if type(key) is not str or key not in ok:
            check_key(key)
            if len(ok) > 100_000:  # a bound on what the cache of checked keys holds
                ok.clear()
            ok.add(key)
        return key

    def log_image(self, key: str, image: Any, step: int | None = None, *, caption: str | None = None,
                  nrow: int | None = None, boxes: Any = None, labels: Any = None, scores: Any = None,
                  masks: Any = None, class_names: list[str] | None = None, score_threshold: float = 0.0,
                  advance: bool = True, wall_time: float | None = None) -> None:
        """Log an image or a batch (shown as a grid): ``run.log_image("samples", x[:16], step=10)``.

        Detection/segmentation results: give ``boxes`` (N x 4, x1 y1 x2 y2 in pixels) and/or
        ``masks`` (N x H x W) with ``labels``/``scores``: the image is stored with them drawn, and
        the raw results as an ``explain.detections`` record under the same key (the dashboard
        toggles classes and filters by score). ``wall_time`` (seconds since the epoch) overrides
        the time of logging, on every ``log*`` method.
        """
        self._key(key)
        wall = time() if wall_time is None else check_wall(wall_time)
        if boxes is not None or masks is not None:
            from ..explain.detection import detections

            rec = detections(image, boxes if boxes is not None else [], labels, scores, masks,
                             class_names=class_names, score_threshold=score_threshold)
            image = rec.render()
        else:
            rec = None
        nrow = check_nrow(nrow)
        if caption is not None:
            check_text(caption, "caption")
        arr = prepare_image(image, name="image")
        if not self._live():
            return
        assert self._writer is not None
        step = self._next_step(step, advance)
        if rec is not None:
            self.log_record(rec, step=step, key=key, advance=False, wall_time=wall)
        self._writer.put(ImageMsg(key, self._log_rank, step, wall, caption, arr, nrow, arr.nbytes))

    def log_volume(self, key: str, volume: Any, step: int | None = None, *, labels: Any = None, pred: Any = None,
                   heat: Any = None, affine: Any = None, advance: bool = True, wall_time: float | None = None,
                   **options: Any) -> None:
        """Log a 3-D (or 4-D) volume with optional label maps and a heat map: ``run.log_volume("ct", x, labels=y)``.

        ``volume`` is anything ``ts.volume`` takes (a NIfTI path, a nibabel or torchio image, an array or
        tensor shaped (D,H,W), (C,D,H,W) or (N,C,D,H,W)); ``options`` are its other keywords
        (``title=``, ``class_names=``, ``spacing=``, ``modality=``, ``sample=``). The caller's thread
        checks the input and takes one copy; statistics and encoding happen on the writer thread.
        The dashboard's Volumes panel shows it as three linked planes.
        """
        from ..volume.log import log_volume

        log_volume(self, key, volume, step, labels=labels, pred=pred, heat=heat, affine=affine, advance=advance,
                   wall_time=wall_time, **options)

    def log_video(self, key: str, frames: Any, step: int | None = None, *, fps: float = 4, caption: str | None = None,
                  format: str | None = None, advance: bool = True, wall_time: float | None = None) -> None:
        """Log a video: ``run.log_video("rollout", frames, fps=15)``; a frame scrubber plays it in the Media panel.

        ``frames`` is (T, C, H, W), or (N, T, C, H, W) tiled in a grid as TensorBoard's ``add_video``
        does; uint8, or floats in [0, 1] (clipped); C = 1, 3 or 4. Encoded on the writer thread:
        ``format="mp4"`` (H.264, PyAV: ``pip install 'torchscope[media]'``), ``"png"`` (a lossless
        frame sprite, no encoder) or None (MP4 when PyAV is installed).
        """
        from .media_log import log_video

        log_video(self, key, frames, step, fps=fps, caption=caption, format=format, advance=advance,
                  wall_time=wall_time)

    def log_audio(self, key: str, samples: Any, step: int | None = None, *, sample_rate: int,
                  caption: str | None = None, advance: bool = True, wall_time: float | None = None) -> None:
        """Log a clip: ``run.log_audio("speech", wav, sample_rate=16000)``, a WAV with its waveform and spectrogram.

        ``samples``: mono or stereo, (L,), (C, L) or (L, C); floats in [-1, 1] (clipped, with a
        warning) or int16 (kept exactly).
        """
        from .media_log import log_audio

        log_audio(self, key, samples, step, sample_rate=sample_rate, caption=caption, advance=advance,
                  wall_time=wall_time)

    def log_points(self, key: str, xyz: Any, step: int | None = None, *, colors: Any = None, faces: Any = None,
                   caption: str | None = None, config: Mapping[str, Any] | None = None, advance: bool = True,
                   wall_time: float | None = None) -> None:
        """Log a point cloud, or a mesh with ``faces``: ``run.log_points("cloud", xyz, colors=rgb)``.

        ``xyz`` (N, 3) or (B, N, 3) finite numbers; ``colors`` one per point, uint8 or floats in
        [0, 1]; ``faces`` (F, 3) vertex indices of triangles; ``config`` kept with it (TensorBoard's
        three.js ``config_dict``). The Media panel turns it in 3-D.
        """
        from .media_log import log_points

        log_points(self, key, xyz, step, colors=colors, faces=faces, caption=caption, config=config, advance=advance,
                   wall_time=wall_time)

    def log_histogram(self, key: str, values: Any, step: int | None = None, *, bins: int = 64,
                      advance: bool = True, wall_time: float | None = None) -> None:
        """Log a histogram of a tensor/array: ``run.log_histogram("weights/fc", model.fc.weight)``.

        ``advance=False`` leaves the run's step counter as it is (``run.watch``'s histograms, at its
        own steps, so the user's next auto-step ``run.log()`` keeps its step).
        """
        self._key(key)
        wall = time() if wall_time is None else check_wall(wall_time)
        prepared = prepare_histogram(values, bins, name="values")
        if not self._live():
            return
        assert self._writer is not None
        nbytes = prepared.nbytes if isinstance(prepared, np.ndarray) else 8 * bins
        self._writer.put(HistogramMsg(key, self._log_rank, self._next_step(step, advance), wall, prepared, bins,
                                      nbytes))

    def log_histogram_raw(self, key: str, edges: Any, counts: Any, step: int | None = None, *,
                          stats: Mapping[str, float] | None = None, advance: bool = True,
                          wall_time: float | None = None) -> None:
        """Log a histogram you binned yourself: ``run.log_histogram_raw("w", [0, 1, 2], [3, 4])``.

        ``edges`` are the ``len(counts) + 1`` bin edges (non-decreasing, finite), kept exactly;
        ``stats`` (count, min, max, mean, std, sum...) default to what the bins say.
        """
        self._key(key)
        wall = time() if wall_time is None else check_wall(wall_time)
        prepared = given_histogram(edges, counts, stats)
        if not self._live():
            return
        assert self._writer is not None
        self._writer.put(HistogramMsg(key, self._log_rank, self._next_step(step, advance), wall, prepared,
                                      len(prepared[3]), 16 * len(prepared[3])))

    def log_text(self, key: str, text: str, step: int | None = None, *, advance: bool = True,
                 wall_time: float | None = None) -> None:
        """Log markdown text: ``run.log_text("notes", "**lr** halved")``."""
        self._key(key)
        check_text(text)
        wall = time() if wall_time is None else check_wall(wall_time)
        if not self._live():
            return
        assert self._writer is not None
        self._writer.put(TextMsg(key, self._log_rank, self._next_step(step, advance), wall, text))

    def log_record(self, record: Record | Mapping[str, Any], step: int | None = None, *, key: str | None = None,
                   kind: str | None = None, advance: bool = True, wall_time: float | None = None) -> None:
        """Log a typed result: ``run.log_record(ts.summary(model, x))``. A plain dict needs ``kind=``."""
        if isinstance(record, Mapping):
            if not kind:
                raise ValueError("log_record(dict) needs kind='...' naming what the dict holds")
            record = GenericRecord(kind=check_key(kind, "kind"), data=dict(record))
        if not isinstance(record, Record):
            raise TypeError(f"record must be a torchscope Record (or a dict with kind=), got {type(record).__name__}")
        rkind = check_key(record.kind, "record kind")
        key = self._key(key if key is not None else rkind)
        wall = time() if wall_time is None else check_wall(wall_time)
        data, blobs = record.to_dict()
        try:
            text = json.dumps(data, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"record {rkind!r} is not JSON-serializable: {exc}") from exc
        if not self._live():
            return
        assert self._writer is not None
        nbytes = len(text) + sum(len(b) for b in blobs.values())
        self._writer.put(RecordMsg(key, self._log_rank, self._next_step(step, advance), wall, rkind, text, blobs,
                                   nbytes))

    def log_graph(self, model: torch.nn.Module, input: Any = None, *, step: int | None = None, **kw: Any) -> Any:
        """Store the model's summary and hierarchical graph with the run: ``run.log_graph(model, x)``.

        Keyword arguments are those of ``ts.graph`` (``input_size=``, ``depth=``...); returns both records.
        """
        from ..model import log_graph

        return log_graph(self, model, input, step=step, **kw)

    # -- inside the network -------------------------------------------------------------------
    def watch(self, model: torch.nn.Module, every: int = 100, *, log: str = "all",
              optimizer: torch.optim.Optimizer | None = None, histograms: bool = True,
              check_nonfinite: bool = True, graph: bool = False) -> Any:
        """Per-layer statistics and health alarms while training: ``run.watch(model, every=100)``.

        ``log`` is "gradients", "parameters", "activations" or "all". Give ``optimizer`` to log the
        learning rate of each parameter group. ``graph=True`` also logs the model's summary and graph
        (as ``run.log_graph``) from the inputs of its first forward pass, with one extra forward pass
        in eval mode and without gradients (not for a model whose forward changes its own state, such
        as a cache). Returns the :class:`~torchscope.watch.Watcher`.
        """
        from ..watch import Watcher

        if not self._live():
            return None
        if any(w.model is model for w in self._watchers):
            raise ValueError("this model is already watched by this run; call run.unwatch(model) first")
        watcher = Watcher(self, model, every=every, log=log, optimizer=optimizer, histograms=histograms,
                          check_nonfinite=check_nonfinite)
        self._watchers.append(watcher)
        assert self._writer is not None
        if len(self._watchers) == 1:
            self._writer.monitors.append(watcher.check_losses)
        if graph:
            self._graph_on_first_call(model, watcher)
        return watcher

    def _graph_on_first_call(self, model: torch.nn.Module, watcher: Any) -> None:
        """Log the graph from the first forward call's own inputs (a pre-hook that removes itself)."""
        inner = getattr(model, "module", None)
        # a DDP / DataParallel wrapper: capture the wrapped model (the wrapper's forward may talk to other ranks)
        target = inner if isinstance(inner, torch.nn.Module) and isinstance(
            model, (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)) else model

        def first_call(module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            handle.remove()
            if self._finished:
                return
            step = self._step  # the records go at the coming step; the run's step counter stays as it is
            try:
                _, rec = self.log_graph(target, tuple(args), kwargs=dict(kwargs) or None, step=step)
                if rec.error:
                    warnings.warn(f"run.watch(graph=True): the logged graph is partial: {rec.error}",
                                  RuntimeWarning, stacklevel=2)
            except Exception as exc:  # a graph is a nicety: training goes on
                warnings.warn(f"run.watch(graph=True): could not log the graph ({type(exc).__name__}: {exc}); "
                              "call run.log_graph(model, example_input) yourself", RuntimeWarning, stacklevel=2)
            finally:
                self._step = step

        handle = model.register_forward_pre_hook(first_call, with_kwargs=True)
        watcher._handles.append(handle)

    def unwatch(self, model: torch.nn.Module | None = None) -> None:
        """Remove the hooks of ``watch`` (of every watched model when ``model`` is None)."""
        gone = [w for w in self._watchers if model is None or w.model is model]
        self._watchers = [w for w in self._watchers if w not in gone]
        try:
            for w in gone:
                w.remove()  # hands its last statistics to the writer
        finally:
            if gone and self._writer is not None and not self._finished:
                self.flush()  # loss checks see everything logged while watched
                for w in gone:
                    if w.check_losses in self._writer.monitors:
                        self._writer.monitors.remove(w.check_losses)

    def on_writer_thread(self, fn: Callable[[WriterBatch], None]) -> None:
        """Call ``fn(out)`` on the background writer thread with the next batch it writes:
        ``run.on_writer_thread(lambda out: out.add_scalars("ext/norm", [step], [norm.item()]))``.

        ``out`` is a :class:`~torchscope.track.hooks.WriterBatch` (``add_scalars``, ``add_record``).
        Calls run in the order given, before everything logged after them is committed; ``run.flush()``
        returns once they have run. An exception in ``fn`` drops that call alone (said on stderr and
        in the run's ``torchscope/errors``). Like every ``log*`` call, an error after ``finish()``.
        """
        if not callable(fn):
            raise TypeError(f"on_writer_thread() takes a function of one argument, got {type(fn).__name__}")
        if not self._live():
            return
        assert self._writer is not None
        self._writer.put(CallMsg(fn))

    def update_config(self, changes: Mapping[str, Any]) -> None:
        """Add or change hyper-parameters after ``init``: ``run.update_config({"batch_size": 64})``."""
        cfg = _jsonable_config(changes)
        self.config.update(cfg)
        if self._live():
            assert self._writer is not None
            self._writer.put(ConfigMsg(cfg))

    @property
    def summary(self) -> Summary:
        """The run's final numbers, a mutable mapping: ``run.summary["best_acc"] = 0.97``.

        Every change (``[]=``, ``update``, ``setdefault``, ``|=``, ``del``, ``pop``, ``popitem``,
        ``clear``) checks keys like ``log`` and values as JSON, then is written with the run; a bad
        key or value raises and leaves the summary as it was. Assigning a mapping replaces it.
        """
        return self._summary

    @summary.setter
    def summary(self, values: Mapping[str, Any]) -> None:
        self._summary.replace(values)

    def _persist_summary(self, values: dict[str, Any]) -> None:
        """The summary's writer: refuses a change after ``finish()`` (it could not be stored)."""
        if self._live():
            assert self._writer is not None
            self._writer.put(SummaryMsg(values))

    def history(self, keys: list[str] | None = None, *, wide: bool = True) -> Any:
        """This run's scalars as a pandas DataFrame, every point: ``df = run.history()``.

        Wide (default): one row per step, a ``step`` column, a ``wall_time`` column (the latest
        of the step) and one column per key (NaN where a key has no point at that step);
        ``wide=False``: the long form of :func:`torchscope.export.to_pandas`. Flushes first.
        Needs pandas (``pip install torchscope[export]``).
        """
        from ..export import history
        from ..store import open_store

        if self.location is None:
            raise RuntimeError(f"run {self.id!r} logs nothing on this process (rank {self.rank}), so it has no history")
        self.flush()
        store = open_store(self.location)
        try:
            return history(store, self.id, keys, rank=self._log_rank, wide=wide)
        finally:
            store.close()

    # -- lifecycle ---------------------------------------------------------------------------
    def flush(self, timeout: float | None = 60.0) -> None:
        """Block until everything logged so far is committed to disk."""
        if self._writer is not None and not self._finished and os.getpid() == self._pid \
                and not self._writer.flush(timeout):
            raise TimeoutError(f"torchscope could not flush run {self.id!r} within {timeout} s")

    def finish(self, status: str = "finished", *, error: str | None = None) -> None:
        """Write everything, mark the run finished (idempotent). Called for you at exit."""
        if self._finished:
            return
        try:
            if self._console is not None:  # its last lines go in before the writer closes
                self._console.stop()
            if self._system is not None:
                self._system.stop()
            for w in self._watchers:  # hooks off; loss monitors stay until the writer has drained
                w.remove()
        finally:
            self._system = self._console = None
            self._watchers = []
            self._finished = True
            _ACTIVE.discard(self)
        if self._writer is None or os.getpid() != self._pid:
            return
        atexit.unregister(self._at_exit)
        writer = self._writer
        try:
            writer.close()
        except BaseException as exc:  # the data could not be saved: the run must not look complete
            status, error = "crashed", printable(f"{exc}" + (f"; then {error}" if error else ""))
            raise
        finally:
            if writer.dropped:
                note = f"{writer.dropped} item(s) could not be stored: " + "; ".join(writer.drop_notes[:3])
                error = f"{error}\n{note}" if error else note
            try:
                writer.store.finish(status, printable(error) if error else None)
                if self.sync_to is not None and self.rank == self._log_rank:
                    self._sync_quietly()
            except Exception:
                if writer.dead is None and writer.error is None:
                    raise  # else: the store cannot be written, which close() has said already
            finally:
                writer.store.close()

    def sync(self) -> Any:
        """Push this run, as far as it got, into the team store given with ``offline=True``
        (only what is new; safe to call often). Returns what moved (:class:`~torchscope.store.sync.SyncReport`)."""
        from ..store.sync import sync

        if self.sync_to is None:
            raise RuntimeError("run.sync() is for runs started with ts.init(store=URL, offline=True)")
        if not self._finished:
            self.flush()
        return sync(self.location, self.sync_to, runs=[self.id], progress=False)

    def _sync_quietly(self) -> None:
        """At finish: sync, and if the team store cannot be reached, say how to do it later (never raise)."""
        try:
            moved = self.sync()
            print(f"torchscope: {moved.text().splitlines()[0]}", file=sys.stderr)
        except Exception as exc:
            print(f"torchscope: run {self.id} is stored in {self.location} but could not be synced to "
                  f"{redact(self.sync_to or '')} ({type(exc).__name__}: {exc}); run `torchscope sync "
                  f"{self.location} URL` when it can be reached", file=sys.stderr)

    def _at_exit(self) -> None:
        self.finish(self._status, error=self._error)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.finish("crashed", error="".join(traceback.format_exception_only(exc_type, exc)).strip())


_ACTIVE: set[Run] = set()  # runs of this process still open: crashed on an uncaught exception
_HOOK_LOCK = threading.Lock()
_HOOKED: list[bool] = []


def _install_process_hooks() -> None:
    """Once per process: an uncaught exception marks open runs crashed; a forked child never writes."""
    with _HOOK_LOCK:
        if _HOOKED:
            return
        _HOOKED.append(True)
        previous = sys.excepthook

        def after_fork_in_child() -> None:
            for run in _ACTIVE:
                run._forked = True

        os.register_at_fork(after_in_child=after_fork_in_child)

        def hook(exc_type: Any, exc: Any, tb: Any) -> None:
            text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
            for run in list(_ACTIVE):
                run._status, run._error = "crashed", text
            previous(exc_type, exc, tb)

        sys.excepthook = hook


def init(project: str = "default", name: str | None = None, *, config: Any = None, dir: Any = None, store: Any = None,
         tags: list[str] | None = None, flush_interval: float = 1.0, all_ranks: bool = False,
         system: bool | float = False, offline: bool = False, media: str | None = None, console: bool = False,
         code: bool = False) -> Run:
    """Start a run: ``run = ts.init(project="mnist", name="cnn-a", config={"lr": 1e-3})``.

    ``store`` is where the run goes: a directory (the SQLite store) or a ``postgresql://`` URL (the
    team store, ``pip install 'torchscope[postgres]'``); ``dir`` is the same for a directory. Without
    either: ``$TORCHSCOPE_STORE``, else ``$TORCHSCOPE_DIR``, else ``./tsruns``. ``offline=True`` with a
    URL store (a node that cannot reach the database while it trains): the run is written locally,
    in ``dir`` (default ``$TORCHSCOPE_DIR`` or ``./tsruns``), and synced into the URL's store at
    finish, or whenever ``run.sync()`` is called (``torchscope sync DIR URL`` does it later).
    ``media`` (team store only): where images and record blobs of 1 KiB or more go, an fsspec URL
    (``"s3://bucket/prefix"``) or a shared directory; the database keeps references and checksums.
    In distributed jobs only rank 0 logs unless ``all_ranks=True``, which keeps every rank's data in
    the same run, labelled by rank.
    ``system=True`` logs CPU, memory, disk and GPU metrics under ``system/`` every 10 s (a number:
    every that many seconds) from a background thread; see :mod:`torchscope.track.system`.
    ``console=True`` tees ``sys.stdout``/``sys.stderr`` into the run (``console/stdout``,
    ``console/stderr``; the Console panel tails them live); ``code=True`` stores the code state (git
    commit, branch, uncommitted diff, command line, Python and package versions) as a ``run.code``
    record. See :mod:`torchscope.context`.
    """
    from .system import interval_of

    system_interval = interval_of(system)
    project = check_key(project, "project")
    if name is not None:
        name = check_key(name, "name")
    tag_list = list(tags or [])
    if isinstance(tags, str) or not all(isinstance(t, str) and t for t in tag_list):
        raise TypeError(f"tags must be a list of non-empty strings, got {tags!r:.80}")
    for tag in tag_list:
        check_key(tag, "tag")
    if not isinstance(flush_interval, (int, float)) or not 0 < flush_interval <= 3600 or math.isnan(flush_interval):
        raise ValueError(f"flush_interval must be seconds in (0, 3600], got {flush_interval!r}")
    cfg = _jsonable_config(config)
    rank, world = dist.rank_and_world()
    run_id = dist.shared_run_id(rank, world, seed=f"{project}|{name}")
    enabled = rank == 0 or all_ranks
    sync_to = None
    if offline:  # write locally, sync into the team store later
        target = resolve_location(store, None)
        if not is_url(target):
            raise ValueError("offline=True is for a team store: give store='postgresql://...' (or set "
                             "$TORCHSCOPE_STORE to one); the run is written in dir= and synced there")
        sync_to, store = target, None
        if dir is None:
            dir = os.environ.get("TORCHSCOPE_DIR") or "tsruns"
    run = Run(project=project, name=name or f"run-{run_id[:6]}", config=cfg, tags=tag_list, dir=dir, store=store,
              flush_interval=float(flush_interval), rank=rank, world_size=world, enabled=enabled, run_id=run_id,
              log_rank=rank if all_ranks else 0, system=system_interval, sync_to=sync_to, media=media)
    if (console or code) and run.enabled:
        from ..context.attach import attach

        run._console = attach(run, console=bool(console), code=bool(code))
    return run
