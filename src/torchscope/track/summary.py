"""``run.summary``: the run's final numbers, a mutable mapping whose every change is checked and stored.

A ``dict`` subclass cannot promise that: ``setdefault``, ``|=``, ``pop`` and ``del`` bypass an
overridden ``__setitem__``. :class:`Summary` is a :class:`collections.abc.MutableMapping`, so
every mutation goes through ``__setitem__``/``__delitem__`` (or an override that does the same
checks): keys are checked as ``run.log`` checks them, values must be JSON (numpy and torch
scalars, arrays, tuples, paths and dataclasses are converted as ``records.to_jsonable`` does).
Each change hands the whole summary to ``persist`` (the run queues it for its writer); a change
that is refused, by the checks or by ``persist``, leaves the summary as it was.

Example::

    run.summary["best_acc"] = 0.97
    run.summary.setdefault("epochs", 10)
    run.summary |= {"note": "warm restart"}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from ..records import to_jsonable
from .checks import check_key

__all__ = ["Summary"]


def _value(key: str, value: Any) -> Any:
    """``value`` as stored (plain JSON); a TypeError/ValueError naming ``key`` when it cannot be."""
    try:
        plain = to_jsonable(value)
    except (TypeError, RecursionError) as exc:
        raise TypeError(f"summary[{key!r}] must be JSON-serializable (numbers, strings, lists, dicts...): "
                        f"{exc}") from exc
    try:  # what the store writes, and what a reader can send on as UTF-8 JSON
        json.dumps(plain, allow_nan=True, ensure_ascii=False).encode("utf-8")
    except (TypeError, RecursionError) as exc:
        raise TypeError(f"summary[{key!r}] must be JSON-serializable: {exc}") from exc
    except ValueError as exc:  # a lone surrogate, an int too long to write as text
        raise ValueError(f"summary[{key!r}] cannot be stored: {str(exc)[:200]}") from exc
    return plain


def _checked(items: Mapping[Any, Any]) -> dict[str, Any]:
    """Every key and value of ``items`` as stored; raises at the first bad one (nothing is changed)."""
    return {check_key(k, "summary key"): _value(k, v) for k, v in items.items()}


class Summary(MutableMapping[str, Any]):
    """A mapping that checks and stores every change: ``run.summary["best_acc"] = 0.97``.

    Reads like a dict (``==`` a dict, ``dict(run.summary)``, its repr is the dict's). ``persist``
    receives the new contents after each change (a new dict each time, never mutated later).
    """

    __slots__ = ("_data", "_persist")

    def __init__(self, persist: Callable[[dict[str, Any]], None]) -> None:
        self._data: dict[str, Any] = {}
        self._persist = persist

    def _commit(self, new: dict[str, Any]) -> None:
        self._persist(new)  # raises (a finished run) before anything changes here
        self._data = new

    # -- reading -----------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return repr(self._data)

    def __or__(self, other: Any) -> Any:
        return {**self._data, **other} if isinstance(other, Mapping) else NotImplemented

    def __ror__(self, other: Any) -> Any:
        return {**other, **self._data} if isinstance(other, Mapping) else NotImplemented

    def copy(self) -> dict[str, Any]:
        """A plain dict of the contents: ``snapshot = run.summary.copy()``."""
        return dict(self._data)

    # -- changing (each one checked, then persisted) -------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        key = check_key(key, "summary key")
        self._commit({**self._data, key: _value(key, value)})

    def __delitem__(self, key: str) -> None:
        if key not in self._data:
            raise KeyError(key)
        self._commit({k: v for k, v in self._data.items() if k != key})

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set several values as one change (all checked first): ``run.summary.update(epochs=3, acc=0.9)``."""
        self._commit({**self._data, **_checked(dict(other, **kwargs))})

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, set to ``default`` first if missing: ``run.summary.setdefault("runs", 1)``."""
        if key not in self._data:
            self[key] = default
        return self._data[key]

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last item set, as ``dict.popitem`` does."""
        if not self._data:
            raise KeyError("popitem(): the summary is empty")
        key = next(reversed(self._data))
        value = self._data[key]
        del self[key]
        return key, value

    def __ior__(self, other: Any) -> Summary:
        self.update(other)
        return self

    def clear(self) -> None:
        """Empty the summary (one change): ``run.summary.clear()``."""
        self._commit({})

    def replace(self, values: Mapping[str, Any]) -> None:
        """Replace the contents as one change (``run.summary = {...}``): ``run.summary.replace({"acc": 0.9})``."""
        if not isinstance(values, Mapping):
            raise TypeError(f"the summary must be a mapping of key -> value, got {type(values).__name__}")
        self._commit(_checked(values))
