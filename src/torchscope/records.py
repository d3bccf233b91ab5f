"""Records: the typed, JSON-serializable results that every torchscope capability returns.

A record is a dataclass that subclasses :class:`Record` and names its ``kind``. It can be
logged to a run (``run.log_record(rec)``), read back typed (``store.records(run_id, kind=...)``),
shown in a notebook (``_repr_html_``), drawn with matplotlib (``figure()``) and saved
(``save("x.png" | "x.svg" | "x.html" | "x.json")``).

Serialization is automatic: scalar, string, list and dict fields go to JSON; ``numpy.ndarray``
fields and ``bytes`` fields travel as binary blobs next to the JSON (exact, any size). A
subclass only overrides ``to_dict``/``from_dict`` when it needs a custom layout, and
``figure``/``_repr_html_`` to draw itself.

Example::

    @ts.register_record
    @dataclass
    class Profile(ts.Record):
        kind: ClassVar[str] = "data.profile"
        counts: np.ndarray
        names: list[str]
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import io
import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

__all__ = ["BUILTIN_KINDS", "GenericRecord", "Record", "rebuild", "record_class", "register_record", "to_jsonable"]

_BLOB = "__blob__"
_REGISTRY: dict[str, type[Record]] = {}
R = TypeVar("R", bound="type[Record]")


def register_record(cls: R) -> R:
    """Register a Record subclass so readers rebuild it typed: ``@ts.register_record``."""
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"{cls.__name__} must define a non-empty class attribute `kind: ClassVar[str]`")
    _REGISTRY[kind] = cls
    return cls


def record_class(kind: str) -> type[Record] | None:
    """The registered class for ``kind``, or None: ``record_class("data.profile")``.

    torchscope's own kinds are found in :data:`BUILTIN_KINDS` and imported on first use.
    """
    cls = _REGISTRY.get(kind)
    if cls is None and kind in BUILTIN_KINDS:
        module, _, name = BUILTIN_KINDS[kind].partition(":")
        cls = getattr(importlib.import_module(module), name)  # which registers it
    return cls


def to_jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars and small containers into plain JSON types: ``to_jsonable(np.int64(3)) == 3``.

    Non-finite floats stay floats (NaN, inf); torchscope's JSON keeps them exactly.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    item = getattr(value, "item", None)  # torch scalars
    if callable(item) and getattr(value, "numel", lambda: 2)() == 1:
        return item()
    raise TypeError(f"value of type {type(value).__name__} is not JSON-serializable: {value!r:.80}")


def _array_to_blob(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _blob_to_array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class Record:
    """Base class of every torchscope result. Subclasses are dataclasses with a ``kind``.

    Example: ``run.log_record(ts.summary(model, x))``.
    """

    kind: ClassVar[str] = "record"

    # -- serialization -------------------------------------------------------------------
    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Split the record into (JSON-able dict, binary blobs)."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a dataclass or override to_dict()")
        data: dict[str, Any] = {}
        blobs: dict[str, bytes] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                blobs[f.name] = _array_to_blob(value)
                data[f.name] = {_BLOB: f.name, "type": "ndarray"}
            elif isinstance(value, (bytes, bytearray)):
                blobs[f.name] = bytes(value)
                data[f.name] = {_BLOB: f.name, "type": "bytes"}
            else:
                data[f.name] = to_jsonable(value)
        return data, blobs

    @classmethod
    def from_dict(cls, data: dict[str, Any], blobs: dict[str, bytes]) -> Record:
        """Rebuild a record from what ``to_dict`` produced."""
        kwargs = {}
        names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set(data)
        for name, value in data.items():
            if name not in names:
                continue
            if isinstance(value, dict) and _BLOB in value:
                raw = blobs[value[_BLOB]]
                value = _blob_to_array(raw) if value.get("type") == "ndarray" else raw
            kwargs[name] = value
        return cls(**kwargs)

    def to_json(self) -> str:
        """The JSON part as a string (NaN/Infinity kept as JS literals)."""
        return json.dumps(self.to_dict()[0], allow_nan=True)

    # -- display --------------------------------------------------------------------------
    def figure(self) -> Any:
        """A matplotlib Figure of this record. Subclasses draw themselves; the base shows its JSON."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3))
        ax = fig.add_subplot()
        ax.axis("off")
        text = json.dumps(self.to_dict()[0], indent=1, default=str)[:1500]
        ax.text(0, 1, text, va="top", family="monospace", fontsize=7)
        ax.set_title(self.kind)
        return fig

    def _repr_html_(self) -> str:
        """Notebook HTML: the record's own figure as an image (when it draws one) above a table of its fields."""
        from ._display import card, table

        title = getattr(self, "title", None) or self.kind
        facts = table(["field", "value"], _facts(self))
        if type(self).figure is not Record.figure:
            return card(str(title), self.figure(), facts)
        return f"<div class='torchscope-record'><b>{html.escape(str(title))}</b>{facts}</div>"

    def save(self, path: str | Path) -> Path:
        """Save as .png/.svg/.pdf (matplotlib), .html (notebook HTML) or .json: ``rec.save("x.png")``."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".png", ".svg", ".pdf"):
            self.figure().savefig(path, bbox_inches="tight")
        elif suffix in (".html", ".htm"):  # a whole document: a browser opening the file reads it as UTF-8
            title = html.escape(str(getattr(self, "title", None) or self.kind))
            path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>"
                            f"<body>{self._repr_html_()}</body></html>\n", encoding="utf-8")
        elif suffix == ".json":
            path.write_text(self.to_json(), encoding="utf-8")
        else:
            raise ValueError(f"save(path): unsupported extension {suffix!r}; use .png, .svg, .pdf, .html or .json")
        return path


def _facts(rec: Record) -> list[tuple[str, str]]:
    """(field, short text) rows of a record for its notebook table: arrays by shape, long values cut."""
    data, _blobs = rec.to_dict()
    rows = []
    for name, value in data.items():
        if isinstance(value, dict) and _BLOB in value:
            arr = rec[name] if isinstance(rec, GenericRecord) else getattr(rec, name, None)
            if isinstance(arr, np.ndarray):
                text = f"array {'x'.join(map(str, arr.shape))} {arr.dtype}"
            else:
                text = f"{len(arr)} bytes" if isinstance(arr, (bytes, bytearray)) else str(value.get("type"))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            text = text if len(text) <= 200 else text[:197] + "..."
        rows.append((name, text))
    return rows


@dataclasses.dataclass
class GenericRecord(Record):
    """A record read back whose kind has no registered class (or logged as a plain dict)."""

    kind: str = "record"  # type: ignore[misc]  # instance attribute here, ClassVar on subclasses
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    blobs: dict[str, bytes] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        return to_jsonable(self.data), dict(self.blobs)

    def __getitem__(self, name: str) -> Any:
        value = self.data[name]
        if isinstance(value, dict) and _BLOB in value:
            raw = self.blobs[value[_BLOB]]
            return _blob_to_array(raw) if value.get("type") == "ndarray" else raw
        return value


# where the record classes of torchscope's own kinds live ("module:Class"): a reader imports one the first
# time it meets its kind. These modules import torch only inside the functions that compute records, so
# reading a store (ts.open, `torchscope serve`, `torchscope report`) never imports it; tests/test_records.py
# checks the table against every registered class, tests/test_imports.py that reading needs no torch.
BUILTIN_KINDS = {
    "attention.maps": "torchscope.attention.record:AttentionMaps",
    "data.class_balance": "torchscope.data.views.class_balance:ClassBalance",
    "data.correlation": "torchscope.data.views.correlation:Correlation",
    "data.feature_dists": "torchscope.data.views.feature_dists:FeatureDists",
    "data.mean_images": "torchscope.data.views.mean_images:MeanImages",
    "data.pairplot": "torchscope.data.views.pairplot:PairPlot",
    "data.pixel_stats": "torchscope.data.views.pixel_stats:PixelStats",
    "data.profile": "torchscope.data.profile:Profile",
    "data.projection": "torchscope.data.projection:Projection",
    "data.samples": "torchscope.data.views.samples:SampleGrid",
    "eval.calibration": "torchscope.evaluate.calibration:Calibration",
    "eval.confusion": "torchscope.evaluate.confusion:ConfusionMatrix",
    "eval.curves": "torchscope.evaluate.curves:Curves",
    "eval.mistakes": "torchscope.evaluate.mistakes:Mistakes",
    "eval.most_confused": "torchscope.evaluate.mistakes:MostConfused",
    "eval.per_class": "torchscope.evaluate.per_class:PerClass",
    "explain.attribution": "torchscope.explain.attribution:Attribution",
    "explain.detections": "torchscope.explain.detection:Detections",
    "explain.feature_maps": "torchscope.explain.features:FeatureMaps",
    "explain.filters": "torchscope.explain.features:Filters",
    "explain.sequence": "torchscope.explain.sequence:SequenceAttribution",
    "explain.tabular": "torchscope.explain.tabular:TabularAttribution",
    "explain.tokens": "torchscope.explain.tokens:TokenAttribution",
    "explain.topk": "torchscope.explain.topk:TopK",
    "explain.volume": "torchscope.explain.volume:VolumeAttribution",
    "gan.checkpoint": "torchscope.gan.checkpoint:ModelCheckpoint",
    "gan.counterfactual": "torchscope.gan.prototypes:Counterfactual",
    "gan.directions": "torchscope.gan.directions:LatentDirections",
    "gan.interpolation": "torchscope.gan.lens:Interpolation",
    "gan.lab2d.frame": "torchscope.gan.lab.frame:LabFrame",
    "gan.metrics": "torchscope.gan.metrics:GanMetrics",
    "gan.neighbours": "torchscope.gan.lens:Neighbours",
    "gan.prototypes": "torchscope.gan.prototypes:Prototypes",
    "gan.timeline": "torchscope.gan.timeline:Timeline",
    "health.alarm": "torchscope.watch.alarms:Alarm",
    "media.audio": "torchscope.media.audio:Audio",
    "media.mesh": "torchscope.media.points:Points",
    "media.video": "torchscope.media.video:Video",
    "model.autograd_graph": "torchscope.model.autograd:AutogradGraph",
    "model.graph": "torchscope.model.graph:ModelGraph",
    "model.summary": "torchscope.model.summary:ModelSummary",
    "run.code": "torchscope.context.code:CodeSnapshot",
    "volume": "torchscope.volume.record:Volume",
}


def rebuild(kind: str, data: dict[str, Any], blobs: dict[str, bytes]) -> Record:
    """Rebuild a stored record: typed when its kind is registered or built in, else a GenericRecord."""
    cls = record_class(kind)
    if cls is None:
        return GenericRecord(kind=kind, data=data, blobs=blobs)
    return cls.from_dict(data, blobs)

