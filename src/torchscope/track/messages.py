"""The tracker's queue messages: what a ``log*`` call hands the background writer, one type per kind.

Each is a small frozen dataclass built on the caller's thread after validation; the writer
(:func:`torchscope.track.writer.BackgroundWriter`) turns it into a row of a
:class:`~torchscope.store.write.Batch`, dispatching on the type. ``nbytes`` is the media a message
holds (backpressure by size counts it; 0 for the kinds that hold none). Scalars are not messages:
``log()``'s hot path appends them to per-key columns (``BackgroundWriter.put_scalars``).

Example::

    writer.put(TextMsg(key="notes", rank=0, step=3, wall=time.time(), text="lr halved"))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import numpy as np

if TYPE_CHECKING:
    from .hooks import WriterBatch

__all__ = ["CallMsg", "ConfigMsg", "FlushMsg", "HistogramMsg", "ImageMsg", "Message", "RecordMsg", "SummaryMsg",
           "TextMsg", "describe"]


@dataclass(frozen=True, slots=True)
class ImageMsg:
    """An image or a batch shown as a grid (``pixels`` from ``media.prepare_image``), PNG-encoded by the writer."""

    key: str
    rank: int
    step: int
    wall: float
    caption: str | None
    pixels: np.ndarray
    nrow: int | None
    nbytes: int


@dataclass(frozen=True, slots=True)
class HistogramMsg:
    """Values to bin (``media.prepare_histogram``'s result: an array, or a histogram computed on the device)."""

    key: str
    rank: int
    step: int
    wall: float
    values: Any
    bins: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class TextMsg:
    """Markdown text."""

    key: str
    rank: int
    step: int
    wall: float
    text: str
    nbytes: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class RecordMsg:
    """A typed result: its JSON ``data`` (already serialized) and binary ``blobs``, or a ``build`` callable
    that makes both on the writer thread (a volume's statistics and encoding, off the training loop)."""

    key: str
    rank: int
    step: int
    wall: float
    kind: str
    data: str
    blobs: dict[str, bytes]
    nbytes: int
    build: Callable[[], tuple[str, dict[str, bytes]]] | None = None


@dataclass(frozen=True, slots=True)
class SummaryMsg:
    """The whole run summary (plain JSON values), replacing the stored one."""

    summary: dict[str, Any]
    nbytes: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class ConfigMsg:
    """Hyper-parameters merged into the run's config."""

    changes: dict[str, Any]
    nbytes: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class CallMsg:
    """Work handed to the writer thread (``run.on_writer_thread``): ``fn`` gets the batch being assembled."""

    fn: Callable[[WriterBatch], None]
    nbytes: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class FlushMsg:
    """A marker: ``done`` is set once everything queued before it is committed."""

    done: threading.Event
    nbytes: ClassVar[int] = 0


Message: TypeAlias = "ImageMsg | HistogramMsg | TextMsg | RecordMsg | SummaryMsg | ConfigMsg | CallMsg | FlushMsg"

_KINDS = {ImageMsg: "image", HistogramMsg: "histogram", TextMsg: "text", RecordMsg: "record"}


def describe(msg: Message) -> str:
    """What a message holds, for an error note: ``describe(text_msg) == "the text 'notes' at step 3"``."""
    if isinstance(msg, (ImageMsg, HistogramMsg, TextMsg, RecordMsg)):
        return f"the {_KINDS[type(msg)]} {msg.key!r} at step {msg.step}"
    if isinstance(msg, SummaryMsg):
        return "the summary"
    if isinstance(msg, ConfigMsg):
        return "the config"
    if isinstance(msg, CallMsg):
        fn = getattr(msg.fn, "func", msg.fn)  # a functools.partial: name the function
        return f"the work handed to the writer thread ({getattr(fn, '__qualname__', type(fn).__name__)})"
    return f"a {type(msg).__name__}"
