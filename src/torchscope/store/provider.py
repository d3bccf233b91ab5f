"""The read side's contract: what every store backend gives the dashboard, the report and users.

A :class:`Provider` is read-only (no call changes the store; crash detection is derived at read
time, and persisting it is the explicit :meth:`Provider.refresh_status`), takes keyword-only
options, returns the typed values of :mod:`torchscope.store.types`, and raises only the typed
errors of :mod:`torchscope.errors`: :class:`~torchscope.errors.NotFound` for what is not there,
:class:`~torchscope.errors.InvalidArgument` for a request it cannot answer as asked. Listings are
cheap: ``images()`` and ``records()`` leave the bytes in the store unless asked
(``with_data=True`` / ``with_blobs=True``); an entry loads its own bytes the first time they are
used (``entry.data``, ``entry.to_numpy()``, ``entry.record``).

The SQLite store (:class:`~torchscope.store.sqlite.Store`, what ``ts.open(dir)`` returns) and
the many-stores reader (:class:`~torchscope.store.multi.MultiStore`) implement it, and one
conformance suite (``tests/store/test_provider.py``) holds every implementation to it. A new
backend implements these methods and runs that suite. In the spirit of TensorBoard's
``DataProvider``.

Example::

    def loss_curve(provider: Provider, run_id: str) -> Scalars:
        return provider.scalars(run_id, "train/loss", downsample=1000)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..records import Record
    from .types import HistogramEntry, ImageEntry, KeyInfo, RecordEntry, RunInfo, Scalars, TextEntry

__all__ = ["Provider"]


@runtime_checkable
class Provider(Protocol):
    """Read runs and what they logged. Every method may raise ``NotFound`` / ``InvalidArgument``."""

    @property
    def location(self) -> str:
        """Where the store lives, for people and messages: a directory, or a URL without its password."""
        ...

    def runs(self, *, project: str | None = None, tags: list[str] | None = None, status: str | None = None,
             archived: bool | None = None) -> list[RunInfo]:
        """Runs, newest first, filtered (``tags``: runs holding all of them)."""
        ...

    def run(self, run_id: str) -> RunInfo:
        """One run by id."""
        ...

    def projects(self) -> list[str]:
        """The projects that have runs, sorted."""
        ...

    def keys(self, run_id: str, *, kind: str | None = None) -> list[KeyInfo]:
        """What a run logged: key, kind (scalar, image, histogram, text, record), rank, count."""
        ...

    def scalars(self, run_id: str, key: str, *, rank: int = 0, downsample: int | None = None,
                x_range: tuple[float | None, float | None] | None = None, x: str = "step") -> Scalars:
        """Every point of a series, or at most ``downsample`` buckets (last/min/max) over ``x_range``."""
        ...

    def images(self, run_id: str, key: str, *, rank: int = 0, step: int | None = None,
               with_data: bool = False) -> list[ImageEntry]:
        """A key's images in step order; their bytes load on first use unless ``with_data``."""
        ...

    def image(self, run_id: str, image_id: int) -> ImageEntry:
        """One image with its bytes, by the ``id`` a listing gave."""
        ...

    def histograms(self, run_id: str, key: str, *, rank: int = 0) -> list[HistogramEntry]:
        """A key's histograms in step order."""
        ...

    def texts(self, run_id: str, key: str, *, rank: int = 0) -> list[TextEntry]:
        """A key's texts in step order."""
        ...

    def records(self, run_id: str, *, kind: str | None = None, key: str | None = None, rank: int | None = None,
                with_blobs: bool = False) -> list[RecordEntry]:
        """A run's records in step order; blobs load on first use unless ``with_blobs``."""
        ...

    def record(self, run_id: str, record_id: int) -> RecordEntry:
        """One record entry with its blobs, by the ``id`` a listing gave."""
        ...

    def latest(self, run_id: str, kind: str, *, key: str | None = None) -> Record:
        """The typed record last logged with ``kind`` (and ``key``)."""
        ...

    def blob(self, run_id: str, record_id: int, name: str) -> bytes:
        """One binary part of a record."""
        ...

    def refresh_status(self) -> list[str]:
        """Persist ``crashed`` for runs whose processes died (the one write, explicit); returns their ids."""
        ...

    def close(self) -> None:
        """Release connections (the provider may be used again; it reconnects)."""
        ...
