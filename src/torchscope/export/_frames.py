"""Export tables as pandas, Arrow and polars frames (each library optional: ``pip install torchscope[export]``).

Repeated strings (run ids, names, keys) become categorical / dictionary columns built from the
table's integer codes, and numeric columns are handed over as numpy arrays, so a ten-million
point table converts in about the time it takes to copy its numbers once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tables import Coded, Table

__all__ = ["need", "to_arrow_table", "to_pandas_frame", "to_polars_frame"]


def need(module: str, what: str) -> Any:
    """Import an optional library or raise an ImportError naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = {"pyarrow.parquet": "pyarrow"}.get(module, module)
        raise ImportError(f"{what} needs {name}: pip install 'torchscope[export]' (or pip install {name})") from exc


def to_pandas_frame(table: Table) -> Any:
    """A pandas DataFrame; coded string columns become ``category`` columns."""
    pd = need("pandas", "to_pandas()")
    cols: dict[str, Any] = {}
    for name, col in table.items():
        if isinstance(col, Coded):
            cols[name] = pd.Categorical.from_codes(col.codes, categories=pd.Index(col.values, dtype=object))
        else:
            cols[name] = col
    return pd.DataFrame(cols, copy=False)


def _arrow_column(pa: Any, col: Any) -> Any:
    if isinstance(col, Coded):
        return pa.DictionaryArray.from_arrays(pa.array(col.codes, pa.int32()), pa.array(col.values, pa.string()))
    if col.dtype == object:
        return pa.array(col.tolist(), from_pandas=True)
    return pa.array(col)


def to_arrow_table(table: Table) -> Any:
    """A pyarrow Table; coded string columns become dictionary-encoded columns."""
    pa = need("pyarrow", "to_arrow()")
    return pa.table({name: _arrow_column(pa, col) for name, col in table.items()})


def to_polars_frame(table: Table) -> Any:
    """A polars DataFrame; coded string columns become ``Categorical`` columns."""
    pl = need("polars", "to_polars()")
    cols: dict[str, Any] = {}
    for name, col in table.items():
        if isinstance(col, Coded):
            values = pl.Series(name, col.values, dtype=pl.String)
            cols[name] = values.gather(pl.Series(col.codes.astype(np.int64))).cast(pl.Categorical) \
                if len(col.values) else pl.Series(name, [], dtype=pl.Categorical)
        elif col.dtype == object:
            cols[name] = pl.Series(name, col.tolist())
        else:
            cols[name] = pl.Series(name, col)
    return pl.DataFrame(cols)
