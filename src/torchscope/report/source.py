"""Which store and which runs a report shows: ``RUN_OR_DIR`` and ``--run`` resolved.

``RUN_OR_DIR`` is a store directory or a ``postgresql://`` URL (all its runs that are not
archived), a directory with stores
below it (``runs/<name>/torchscope.db``, SummaryWriter's layout: a run directory is one of those),
the ``torchscope.db`` file itself, or a run id (or name) in the default store
(``$TORCHSCOPE_DIR`` or ``./tsruns``). ``runs`` narrows it to some runs, by id or by unique name.

Example::

    sel = select_runs("tsruns", runs=["86ed39ce9ba3"])   # sel.store, sel.runs (RunInfo), sel.dir
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..store.provider import Provider
    from ..store.types import RunInfo

__all__ = ["Selection", "select_runs"]

DB_NAME = "torchscope.db"


@dataclasses.dataclass
class Selection:
    """A store and the runs of it to report, in the store's order (newest first)."""

    store: Provider
    runs: list[RunInfo]
    dir: Path


def _open(path: Path) -> Any:
    from ..store import open_store
    from ..store.multi import find_stores

    if path.is_file():
        if path.name != DB_NAME:
            raise FileNotFoundError(f"{str(path)!r} is a file, not a torchscope store (a directory holding {DB_NAME})")
        path = path.parent
    if not (path / DB_NAME).exists() and not find_stores(path):
        raise FileNotFoundError(f"no torchscope store in {str(path)!r} ({DB_NAME} is missing there and below it)")
    return open_store(path)


def _match(runs: list[Any], wanted: str, where: Path) -> Any:
    for r in runs:
        if r.id == wanted:
            return r
    named = [r for r in runs if r.name == wanted] or [r for r in runs if r.id.startswith(wanted)]
    if len(named) == 1:
        return named[0]
    if named:
        raise ValueError(f"{wanted!r} matches {len(named)} runs in {where}: give a run id "
                         f"({', '.join(r.id for r in named[:6])})")
    known = ", ".join(f"{r.id} ({r.name})" for r in runs[:8]) + (" ..." if len(runs) > 8 else "")
    raise ValueError(f"no run {wanted!r} in {where}; its runs: {known}")


def select_runs(target: str | os.PathLike[str] | None = None, runs: Sequence[str] | None = None) -> Selection:
    """Resolve ``RUN_OR_DIR`` (+ ``--run``) to a store and runs: ``select_runs("tsruns").runs``.

    Raises FileNotFoundError for a path that holds no store (or does not exist and is no run id of
    the default store) and ValueError for a store without runs or an unknown ``--run``.
    """
    from ..store._db import resolve_dir
    from ..store.location import is_url

    wanted = list(runs or [])
    if target is None and is_url(os.environ.get("TORCHSCOPE_STORE")):
        target = os.environ["TORCHSCOPE_STORE"]
    if is_url(target):  # the team store: a postgresql:// URL
        from ..store import open_store

        store = open_store(str(target))
        where = Path(urlsplit(str(target)).path.strip("/") or "postgresql")  # the database's name, no credentials
        all_runs = store.runs()
        if not all_runs:
            raise ValueError(f"no runs in {store.location}: nothing to report")
        chosen = [_match(all_runs, w, where) for w in dict.fromkeys(wanted)] or \
            [r for r in all_runs if not r.archived]
        if not chosen:
            raise ValueError(f"every run in {store.location} is archived: choose some with --run ID")
        return Selection(store, chosen, where)
    path = resolve_dir(target)
    if not path.exists() and target is not None:
        default = resolve_dir(None)
        if os.path.sep in str(target) or "/" in str(target):
            raise FileNotFoundError(f"{str(target)!r}: no such directory")
        if (default / DB_NAME).exists():  # a run id (or name) of the default store?
            store = _open(default)
            try:
                return Selection(store, [_match(store.runs(), str(target), default)], default)
            except ValueError:
                pass
        raise FileNotFoundError(f"{str(target)!r}: no such directory, nor a run in the default store {str(default)!r}")
    if not path.exists():
        raise FileNotFoundError(f"no torchscope store at {str(path)!r}: the directory does not exist "
                                "(give a store directory, or set $TORCHSCOPE_DIR)")
    store = _open(path)
    where = Path(store.dir)
    all_runs = store.runs()
    if not all_runs:
        raise ValueError(f"no runs in {str(where)!r}: nothing to report (log one with ts.init(dir=...))")
    if wanted:
        chosen = []
        for w in wanted:
            r = _match(all_runs, w, where)
            if r not in chosen:
                chosen.append(r)
        return Selection(store, chosen, where)
    shown = [r for r in all_runs if not r.archived]
    if not shown:
        raise ValueError(f"every run in {str(where)!r} is archived: choose some with --run ID")
    return Selection(store, shown, where)
