"""Runs out as tables: pandas, Arrow, polars, Parquet and CSV, every point exact.

Functions over the read contract (:class:`torchscope.store.Provider`), so they work on any
backend: ``ts.open(dir)``, a ``MultiStore``, a server store. The tables:

- ``scalars`` (long form): ``run_id, run, key, rank, step, wall_time, value``, every point;
- ``runs``: ``run_id, name, project, status, start_time, end_time, ...`` then ``config.*``,
  ``summary.*`` and ``tags.*``, flattened with dots (the column naming of MLflow's ``search_runs``);
- ``histograms``: one row per bin, ``..., step, wall_time, bin, lo, hi, count``;
- ``texts``: ``..., step, wall_time, text``;
- ``media``: the manifest of images and records (``kind``, ``id``, ``mime``, ``width``, ``height``).

pandas, pyarrow and polars are optional (``pip install torchscope[export]``); a missing one is
named in the error. CSV needs nothing. ``torchscope export DIR -o OUT`` writes every table.

Example::

    store = ts.open("tsruns")
    df = ts.export.to_pandas(store)                       # every scalar point of every run
    runs = ts.export.to_pandas(store, "runs", project="mnist")
    ts.export.export_dir(store, "out", format="parquet")  # runs, scalars, histograms, texts, media
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import FORMATS, export_tables
from ._frames import need, to_arrow_table, to_pandas_frame, to_polars_frame
from ._tables import (
    TABLES,
    Coded,
    Table,
    histograms_table,
    media_table,
    runs_table,
    scalars_table,
    select_runs,
    texts_table,
)

if TYPE_CHECKING:
    from ..store.provider import Provider

__all__ = ["FORMATS", "TABLES", "export_dir", "history", "table", "to_arrow", "to_pandas", "to_polars"]


def _provider(source: Any) -> Provider:
    if isinstance(source, (str, os.PathLike)):
        from ..store import open_store

        return open_store(source)  # type: ignore[no-any-return]
    return source  # type: ignore[no-any-return]


def table(source: Any, name: str = "scalars", *, runs: Iterable[str] | str | None = None,
          project: str | None = None, tags: list[str] | None = None,
          keys: Iterable[str] | str | None = None) -> Table:
    """One export table as numpy columns (no frame library needed): ``ts.export.table(store)["value"]``.

    ``source``: a Provider (``ts.open(dir)``) or a store directory. ``name``: one of
    ``scalars``, ``runs``, ``histograms``, ``texts``, ``media``. ``runs``: ids or names;
    ``project``/``tags``: filters; ``keys``: only these keys. Repeated string columns come as
    ``Coded`` (codes into values; ``.strings()`` for an object array).
    """
    if name not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}, got {name!r}")
    provider = _provider(source)
    infos = select_runs(provider, runs=runs, project=project, tags=tags)
    if name == "runs":
        return runs_table(infos)
    build = {"scalars": scalars_table, "histograms": histograms_table, "texts": texts_table,
             "media": media_table}[name]
    return build(provider, infos, keys)


def to_pandas(source: Any, name: str = "scalars", **filters: Any) -> Any:
    """A table as a pandas DataFrame: ``ts.export.to_pandas(store)`` (long-form scalars).

    ``name`` and the filters (``runs=``, ``project=``, ``tags=``, ``keys=``) are those of :func:`table`.
    """
    return to_pandas_frame(table(source, name, **filters))


def to_arrow(source: Any, name: str = "scalars", **filters: Any) -> Any:
    """A table as a pyarrow Table: ``ts.export.to_arrow(store, "runs")`` (filters as :func:`table`)."""
    return to_arrow_table(table(source, name, **filters))


def to_polars(source: Any, name: str = "scalars", **filters: Any) -> Any:
    """A table as a polars DataFrame: ``ts.export.to_polars(store, keys=["loss"])`` (filters as :func:`table`)."""
    return to_polars_frame(table(source, name, **filters))


def export_dir(source: Any, out: str | os.PathLike[str], *, format: str = "parquet",
               runs: Iterable[str] | str | None = None, project: str | None = None,
               tags: list[str] | None = None, keys: Iterable[str] | str | None = None) -> dict[str, Path]:
    """Write every table (and the media files) into ``out``: ``ts.export.export_dir("tsruns", "out")``.

    ``format``: ``"parquet"`` (pyarrow or polars) or ``"csv"`` (no extra package). Returns
    ``{table name: file}``; images and records go under ``out/media/`` (see the ``media`` table).
    """
    provider = _provider(source)
    infos = select_runs(provider, runs=runs, project=project, tags=tags)
    return export_tables(provider, infos, out, format, keys)


def history(source: Any, run_id: str, keys: Iterable[str] | str | None = None, *, rank: int = 0,
            wide: bool = True) -> Any:
    """One run's scalars as a pandas DataFrame: ``ts.export.history(store, run_id)``.

    Wide (default): a ``step`` column, ``wall_time`` (the latest at that step) and one column per
    key, NaN where a key has no point at a step (a key logged twice at one step shows its last
    value; ``wide=False`` keeps every point, in the long form of :func:`to_pandas`).
    """
    pd = need("pandas", "history()")
    provider = _provider(source)
    info = provider.run(run_id)
    full = scalars_table(provider, [info], keys)
    keep = np.asarray(full["rank"]) == rank
    t: Table = {k: Coded(v.codes[keep], v.values) if isinstance(v, Coded) else v[keep] for k, v in full.items()}
    if not wide:
        return to_pandas_frame(t)
    key_col = t["key"]
    assert isinstance(key_col, Coded)
    codes = key_col.codes
    step, wall, value = (np.asarray(t[c]) for c in ("step", "wall_time", "value"))
    steps = np.unique(step)
    cols: dict[str, Any] = {"step": steps, "wall_time": np.full(len(steps), np.nan)}
    for code, key in enumerate(key_col.values):
        mine = codes == code
        s, w, v = step[mine], wall[mine], value[mine]
        _, last = np.unique(s[::-1], return_index=True)  # a step logged twice: its last point
        pick = len(s) - 1 - last
        at = np.searchsorted(steps, s[pick])
        col = np.full(len(steps), np.nan)
        col[at] = v[pick]
        cols[key] = col
        np.fmax.at(cols["wall_time"], at, w[pick])
    return pd.DataFrame(cols)
