"""Every store below a directory, read as one: TensorBoard's ``--logdir runs`` habit.

``SummaryWriter`` (and anyone passing ``dir=runs/<name>``) makes one store per run directory.
``ts.open("runs")`` on a directory without a store of its own finds every ``torchscope.db``
below it and answers as one :class:`~torchscope.store.sqlite.Store` would: runs from all of them,
and each run's data from the store that holds it. New run directories are picked up as they
appear (the tree is rescanned at most every ``rescan_interval`` seconds).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import NotFound, SchemaError, StoreDamagedError, StoreLocationError
from ..records import Record
from ._db import DB_NAME
from .sqlite import Store
from .types import HistogramEntry, ImageEntry, KeyInfo, RecordEntry, RunInfo, Scalars, TextEntry

__all__ = ["MultiStore", "find_stores"]


def find_stores(root: Path) -> list[Path]:
    """Directories below ``root`` (itself included) that hold a store, sorted."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if DB_NAME in files:
            found.append(Path(here))
    return found


class MultiStore:
    """Read the stores in every sub-directory of ``root`` as one: ``ts.open("runs")``."""

    def __init__(self, root: str | os.PathLike[str], *, rescan_interval: float = 2.0) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no torchscope store at {str(root)!r}: the directory does not exist")
        self.rescan_interval = rescan_interval
        self._stores: dict[Path, Store] = {}
        self._owner: dict[str, Store] = {}
        self._lock = threading.Lock()
        self._scanned = 0.0
        self._scan()
        if not self._stores:
            raise FileNotFoundError(f"no torchscope store in {str(root)!r} or below it ({DB_NAME} is missing)")

    @property
    def dir(self) -> Path:
        return self.root

    @property
    def location(self) -> str:
        return str(self.root)

    def _scan(self) -> None:
        with self._lock:
            for path in find_stores(self.root):
                if path not in self._stores:
                    try:
                        self._stores[path] = Store(path)
                    except (SchemaError, StoreLocationError, StoreDamagedError) as exc:  # say so, read the others
                        print(f"torchscope: skipping {path}: {exc}", file=sys.stderr)
            self._scanned = time.monotonic()

    def stores(self) -> list[Store]:
        if time.monotonic() - self._scanned > self.rescan_interval:
            self._scan()
        return list(self._stores.values())

    def close(self) -> None:
        for store in self._stores.values():
            store.close()

    def __enter__(self) -> MultiStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------
    def runs(self, project: str | None = None, **filters: Any) -> list[RunInfo]:
        """Runs of every store, newest first (same filters as ``Store.runs``)."""
        out = []
        for store in self.stores():
            for info in store.runs(project, **filters):
                self._owner[info.id] = store
                out.append(info)
        return sorted(out, key=lambda r: r.created, reverse=True)

    def _of(self, run_id: str) -> Store:
        store = self._owner.get(run_id)
        if store is None:
            self.runs()
            store = self._owner.get(run_id)
        if store is None:
            raise NotFound(f"no run with id {str(run_id)[:80]!r} in {self.root} or below it")
        return store

    def run(self, run_id: str) -> RunInfo:
        return self._of(run_id).run(run_id)

    def projects(self) -> list[str]:
        return sorted({p for store in self.stores() for p in store.projects()})

    def update_run(self, run_id: str, **changes: Any) -> RunInfo:
        return self._of(run_id).update_run(run_id, **changes)

    def delete_run(self, run_id: str) -> None:
        self._of(run_id).delete_run(run_id)
        self._owner.pop(run_id, None)

    def refresh_status(self) -> list[str]:
        """Persist ``crashed`` for dead runs in every store (see ``Store.refresh_status``)."""
        return sorted(rid for store in self.stores() for rid in store.refresh_status())

    # -- data ------------------------------------------------------------------------------
    def keys(self, run_id: str, kind: str | None = None) -> list[KeyInfo]:
        return self._of(run_id).keys(run_id, kind)

    def scalars(self, run_id: str, key: str, **kw: Any) -> Scalars:
        return self._of(run_id).scalars(run_id, key, **kw)

    def images(self, run_id: str, key: str, **kw: Any) -> list[ImageEntry]:
        return self._of(run_id).images(run_id, key, **kw)

    def image(self, run_id: str, image_id: int) -> ImageEntry:
        return self._of(run_id).image(run_id, image_id)

    def histograms(self, run_id: str, key: str, **kw: Any) -> list[HistogramEntry]:
        return self._of(run_id).histograms(run_id, key, **kw)

    def texts(self, run_id: str, key: str, **kw: Any) -> list[TextEntry]:
        return self._of(run_id).texts(run_id, key, **kw)

    def records(self, run_id: str, **kw: Any) -> list[RecordEntry]:
        return self._of(run_id).records(run_id, **kw)

    def record(self, run_id: str, record_id: Any, key: str | None = None) -> Any:
        return self._of(run_id).record(run_id, record_id, key)

    def latest(self, run_id: str, kind: str, *, key: str | None = None) -> Record:
        return self._of(run_id).latest(run_id, kind, key=key)

    def blob(self, run_id: str, record_id: int, name: str) -> bytes:
        return self._of(run_id).blob(run_id, record_id, name)
