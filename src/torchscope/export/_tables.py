"""The export tables as plain columns, read through the :class:`~torchscope.store.Provider` contract only.

Every table is a :class:`Table`: an ordered mapping of column name -> numpy array, where a
string column that repeats (run ids, run names, keys) is a :class:`Coded` column (integer codes
into a list of values), so ten million points cost three small code arrays, not thirty million
Python strings. The frame libraries (:mod:`torchscope.export._frames`) and the file writers
(:mod:`torchscope.export._files`) turn these columns into their own types without copying the
numbers. Values are exact: every stored point, NaN and infinities included.

Column naming of the runs table follows MLflow's ``search_runs``: ``config.<name>`` (MLflow's
``params.``), ``summary.<name>`` (MLflow's ``metrics.``) and ``tags.<tag>``, nested mappings
flattened with dots.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..store.provider import Provider
    from ..store.types import RunInfo

__all__ = ["TABLES", "Coded", "Table", "histograms_table", "media_table", "runs_table", "scalars_table",
           "select_runs", "texts_table"]

TABLES = ("scalars", "runs", "histograms", "texts", "media")


@dataclasses.dataclass
class Coded:
    """A repeated string column: ``values[codes[i]]`` is row ``i``'s value."""

    codes: np.ndarray
    values: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def strings(self) -> np.ndarray:
        """The column as a numpy object array of str (materialises every row)."""
        return np.asarray(self.values, dtype=object)[self.codes] if len(self.values) else np.zeros(0, object)


Column = np.ndarray | Coded
Table = dict[str, Column]


def select_runs(provider: Provider, *, runs: Iterable[str] | None = None, project: str | None = None,
                tags: list[str] | None = None) -> list[RunInfo]:
    """The runs to export: ``runs`` (ids or names) and/or a ``project``/``tags`` filter, oldest first."""
    found = provider.runs(project=project, tags=tags)
    if runs is not None:
        wanted = [runs] if isinstance(runs, str) else list(runs)
        by_id = {r.id: r for r in found}
        by_name: dict[str, list[RunInfo]] = {}
        for r in found:
            by_name.setdefault(r.name, []).append(r)
        picked: list[RunInfo] = []
        for w in wanted:
            hits = [by_id[w]] if w in by_id else by_name.get(w, [])
            if not hits:
                from ..errors import NotFound

                raise NotFound(f"no run with id or name {w!r:.80} in {provider.location}")
            picked += [h for h in hits if h not in picked]
        found = picked
    return sorted(found, key=lambda r: (r.created, r.id))


class _Builder:
    """Accumulates one long table series by series: coded strings, numeric pieces concatenated once."""

    def __init__(self, coded: tuple[str, ...], numeric: dict[str, Any]) -> None:
        # name -> (code pieces, value -> code)
        self._coded: dict[str, tuple[list[np.ndarray], dict[str, int]]] = {name: ([], {}) for name in coded}
        self._numeric: dict[str, list[np.ndarray]] = {name: [] for name in numeric}
        self._dtypes = numeric

    def add(self, n: int, strings: Mapping[str, str], numbers: Mapping[str, Any]) -> None:
        for name, (pieces, index) in self._coded.items():
            code = index.setdefault(strings[name], len(index))
            pieces.append(np.full(n, code, np.int32))
        for name, values in numbers.items():
            arr = np.asarray(values, self._dtypes[name])
            self._numeric[name].append(np.full(n, arr, self._dtypes[name]) if arr.ndim == 0 else arr)

    def table(self, order: tuple[str, ...]) -> Table:
        out: Table = {}
        for name in order:
            if name in self._coded:
                pieces, index = self._coded[name]
                out[name] = Coded(np.concatenate(pieces) if pieces else np.zeros(0, np.int32), list(index))
            else:
                pieces_n = self._numeric[name]
                out[name] = np.concatenate(pieces_n) if pieces_n else np.zeros(0, self._dtypes[name])
        return out


SCALAR_COLUMNS = ("run_id", "run", "key", "rank", "step", "wall_time", "value")


def _series(provider: Provider, infos: list[RunInfo], kind: str, keys: Iterable[str] | None
            ) -> Iterator[tuple[RunInfo, str, int]]:
    wanted = None if keys is None else ({keys} if isinstance(keys, str) else set(keys))
    for info in infos:
        for k in provider.keys(info.id, kind=kind):
            if wanted is None or k.key in wanted:
                yield info, k.key, k.rank


def scalars_table(provider: Provider, infos: list[RunInfo], keys: Iterable[str] | None = None) -> Table:
    """Long form, every point: run_id, run (name), key, rank, step, wall_time, value."""
    b = _Builder(("run_id", "run", "key"), {"rank": np.int32, "step": np.int64, "wall_time": np.float64,
                                           "value": np.float64})
    for info, key, rank in _series(provider, infos, "scalar", keys):
        s = provider.scalars(info.id, key, rank=rank)
        b.add(len(s), {"run_id": info.id, "run": info.name, "key": key},
              {"rank": rank, "step": s.step, "wall_time": s.wall_time, "value": s.value})
    return b.table(SCALAR_COLUMNS)


def histograms_table(provider: Provider, infos: list[RunInfo], keys: Iterable[str] | None = None) -> Table:
    """One row per bin: run_id, run, key, rank, step, wall_time, bin, lo, hi, count (the exact stored edges)."""
    b = _Builder(("run_id", "run", "key"), {"rank": np.int32, "step": np.int64, "wall_time": np.float64,
                                           "bin": np.int32, "lo": np.float64, "hi": np.float64,
                                           "count": np.float64})
    for info, key, rank in _series(provider, infos, "histogram", keys):
        for h in provider.histograms(info.id, key, rank=rank):
            edges, n = h.edges, len(h.counts)
            b.add(n, {"run_id": info.id, "run": info.name, "key": key},
                  {"rank": rank, "step": h.step, "wall_time": h.wall_time, "bin": np.arange(n),
                   "lo": edges[:-1], "hi": edges[1:], "count": h.counts})
    return b.table(("run_id", "run", "key", "rank", "step", "wall_time", "bin", "lo", "hi", "count"))


def texts_table(provider: Provider, infos: list[RunInfo], keys: Iterable[str] | None = None) -> Table:
    """run_id, run, key, rank, step, wall_time, text."""
    b = _Builder(("run_id", "run", "key"), {"rank": np.int32, "step": np.int64, "wall_time": np.float64})
    texts: list[str] = []
    for info, key, rank in _series(provider, infos, "text", keys):
        entries = provider.texts(info.id, key, rank=rank)
        b.add(len(entries), {"run_id": info.id, "run": info.name, "key": key},
              {"rank": rank, "step": [e.step for e in entries], "wall_time": [e.wall_time for e in entries]})
        texts += [e.text for e in entries]
    out = b.table(("run_id", "run", "key", "rank", "step", "wall_time"))
    out["text"] = np.asarray(texts, dtype=object)
    return out


MEDIA_COLUMNS = ("run_id", "run", "key", "rank", "step", "wall_time", "kind", "id", "mime", "width", "height",
                 "caption")


def media_entries(provider: Provider, infos: list[RunInfo], keys: Iterable[str] | None = None
                  ) -> Iterator[tuple[RunInfo, int, Any]]:
    """Every image and record entry (bytes not loaded): (run, rank, ImageEntry | RecordEntry)."""
    for info, key, rank in _series(provider, infos, "image", keys):
        for img in provider.images(info.id, key, rank=rank):
            yield info, rank, img
    wanted = None if keys is None else ({keys} if isinstance(keys, str) else set(keys))
    for info in infos:
        for rec in provider.records(info.id):
            if wanted is None or rec.key in wanted:
                yield info, rec.rank, rec


def media_table(provider: Provider, infos: list[RunInfo], keys: Iterable[str] | None = None,
                files: list[str] | None = None) -> Table:
    """The media manifest: images and records, one row each (``kind`` image or the record's kind).

    ``mime`` is the image type (``application/json`` for records); ``files`` adds a ``file``
    column (where :func:`~torchscope.export.export_dir` wrote each one).
    """
    b = _Builder(("run_id", "run", "key", "kind", "mime"), {"rank": np.int32, "step": np.int64,
                                                            "wall_time": np.float64, "id": np.int64,
                                                            "width": np.int64, "height": np.int64})
    captions: list[Any] = []
    for info, rank, e in media_entries(provider, infos, keys):
        image = hasattr(e, "mime")
        b.add(1, {"run_id": info.id, "run": info.name, "key": e.key, "kind": "image" if image else e.kind,
                  "mime": e.mime if image else "application/json"},
              {"rank": rank, "step": e.step, "wall_time": e.wall_time, "id": e.id,
               "width": e.width if image else 0, "height": e.height if image else 0})
        captions.append(e.caption if image else None)
    out = b.table(MEDIA_COLUMNS[:-1])
    out["caption"] = np.asarray(captions, dtype=object)
    if files is not None:
        out["file"] = np.asarray(files, dtype=object)
    return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value


def _typed(values: list[Any]) -> np.ndarray:
    """One column of JSON values with one type: bool, int, float, str; a mix of kinds becomes JSON text."""
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if kinds <= {bool}:
        return np.asarray(values, dtype=object) if None in values else np.asarray(values, bool)
    if kinds <= {int} and None not in values:
        return np.asarray(values, np.int64)
    if kinds <= {int, float}:
        return np.asarray([np.nan if v is None else v for v in values], np.float64)
    if kinds <= {str}:
        return np.asarray(values, dtype=object)
    return np.asarray([None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values],
                      dtype=object)


RUN_COLUMNS = ("run_id", "name", "project", "status", "start_time", "end_time", "host", "world_size", "notes",
               "archived", "error")


def runs_table(infos: list[RunInfo]) -> Table:
    """One row per run: the run's fields, then ``config.*``, ``summary.*`` and ``tags.*`` (True/False)."""
    rows = []
    for r in infos:
        row: dict[str, Any] = {"run_id": r.id, "name": r.name, "project": r.project, "status": r.status,
                               "start_time": r.created, "end_time": r.ended, "host": r.host,
                               "world_size": r.world_size, "notes": r.notes, "archived": r.archived,
                               "error": r.error}
        for k, v in r.config.items():
            _flatten(f"config.{k}", v, row)
        for k, v in r.summary.items():
            _flatten(f"summary.{k}", v, row)
        rows.append(row)
    extra = sorted({c for row in rows for c in row} - set(RUN_COLUMNS))
    tags = sorted({t for r in infos for t in r.tags})
    out: Table = {}
    for name in (*RUN_COLUMNS, *extra):
        out[name] = _typed([row.get(name) for row in rows])
    for t in tags:
        out[f"tags.{t}"] = np.asarray([t in r.tags for r in infos], bool)
    return out
