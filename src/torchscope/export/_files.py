"""``torchscope export DIR -o OUT``: a store's runs as files (Parquet or CSV) plus the media they hold.

``OUT`` gets one file per table (``runs``, ``scalars``, ``histograms``, ``texts``, ``media``),
``.parquet`` or ``.csv``, and a ``media/`` folder: each image as it is stored (``.png``...), each
record as its JSON (``.json``) with its binary parts beside it (``.npy`` for arrays). The
``media`` table is the manifest: one row per image or record, its ``file`` relative to ``OUT``.
CSV needs no extra package and keeps every float exactly (Python's shortest round-trip repr:
``nan``, ``inf`` and ``-inf`` as pandas reads them); Parquet needs pyarrow (or polars).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._frames import need, to_arrow_table, to_polars_frame
from ._tables import (
    Coded,
    Table,
    histograms_table,
    media_entries,
    media_table,
    runs_table,
    scalars_table,
    texts_table,
)

if TYPE_CHECKING:
    from ..store.provider import Provider
    from ..store.types import RunInfo

__all__ = ["FORMATS", "write_media", "write_table"]

FORMATS = ("parquet", "csv")
_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


def _csv_column(col: Any) -> list[Any]:
    if isinstance(col, Coded):
        return col.strings().tolist()
    return col.tolist()


def write_table(table: Table, path: Path, format: str) -> Path:
    """Write one table as ``path`` + ``.parquet`` or ``.csv``; returns the file written."""
    if format == "csv":
        out = path.with_suffix(".csv")
        columns = [_csv_column(c) for c in table.values()]
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(list(table))
            w.writerows(zip(*columns))
        return out
    if format != "parquet":
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    out = path.with_suffix(".parquet")
    try:
        pq = need("pyarrow.parquet", "Parquet export")
    except ImportError:
        try:
            to_polars_frame(table).write_parquet(out)
            return out
        except ImportError:
            pass
        raise
    # dictionary encoding for the repeated strings only: tried on every column it costs 5x for numbers
    pq.write_table(to_arrow_table(table), out, use_dictionary=[n for n, c in table.items() if isinstance(c, Coded)])
    return out


def _blob_types(data: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, dict) and "__blob__" in value:
                out[str(value["__blob__"])] = str(value.get("type"))
    return out


def write_media(provider: Provider, infos: list[RunInfo], root: Path) -> list[str]:
    """Every image and record of ``infos`` under ``root/media/<run id>/``; their paths relative to ``root``."""
    files: list[str] = []
    for info, _rank, e in media_entries(provider, infos):
        folder = root / "media" / info.id
        folder.mkdir(parents=True, exist_ok=True)
        if hasattr(e, "mime"):
            name = f"image-{e.id}{_EXT.get(e.mime, '.bin')}"
            (folder / name).write_bytes(provider.image(info.id, e.id).data)
        else:
            name = f"record-{e.id}.json"
            full = provider.record(info.id, e.id)
            (folder / name).write_text(json.dumps({"kind": full.kind, "key": full.key, "step": full.step,
                                                   "data": full.data}, allow_nan=True), encoding="utf-8")
            types = _blob_types(full.data)
            for blob, raw in full.blobs.items():
                ext = ".npy" if types.get(blob) == "ndarray" else ".bin"
                (folder / f"record-{e.id}.{_safe(blob)}{ext}").write_bytes(raw)
        files.append(f"media/{info.id}/{name}")
    return files


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80] or "blob"


def export_tables(provider: Provider, infos: list[RunInfo], out: str | os.PathLike[str], format: str,
                  keys: Any = None) -> dict[str, Path]:
    """Write the five tables (and the media files) of ``infos`` into the folder ``out``."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if format == "parquet":  # fail before writing anything when no Parquet library is there
        try:
            need("pyarrow.parquet", "Parquet export")
        except ImportError:
            need("polars", "Parquet export")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    files = write_media(provider, infos, root)
    tables = {
        "runs": runs_table(infos),
        "scalars": scalars_table(provider, infos, keys),
        "histograms": histograms_table(provider, infos, keys),
        "texts": texts_table(provider, infos, keys),
        "media": media_table(provider, infos, None, files),
    }
    return {name: write_table(t, root / name, format) for name, t in tables.items()}


def table_rows(table: Table) -> int:
    """The number of rows of a table."""
    first = next(iter(table.values()), np.zeros(0))
    return len(first)
