"""``ts.data.profile``: every data view of a data set at once, as one record.

For images: class balance, samples per class, mean/std images, pixel statistics and a PCA
projection; for tables: class balance, feature distributions, correlation, pair scatter and a
PCA projection. The summary also flags what deserves a look (a "data profile" in the spirit of
Gebru et al., "Datasheets for Datasets", 2018): strong imbalance, missing values, duplicates,
and test samples that also occur in the training set (leakage).

Example::

    ts.data.profile(train, test).save("profile.html"); run.log_record(ts.data.profile(ds))
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..records import Record, rebuild, register_record, to_jsonable
from ._images import figure_png
from .views import class_balance, correlation, feature_dists, mean_images, pairplot, pixel_stats, samples
from .views._common import require, table, view_arrays

if TYPE_CHECKING:  # the records read back without torch; computing one imports it
    from .dataset import Dataset

__all__ = ["Profile", "profile"]

_BLOB = "__blob__"


@register_record
@dataclass
class Profile(Record):
    """A summary of a data set plus its view records (``records``), stored as one record."""

    kind: ClassVar[str] = "data.profile"
    summary: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str = "data profile"

    def __getitem__(self, kind: str) -> Record:
        """The child record of ``kind``: ``prof["data.class_balance"]``."""
        for r in self.records:
            if r.kind == kind:
                return r
        raise KeyError(f"no {kind!r} record in this profile; it has {[r.kind for r in self.records]}")

    def to_dict(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        children, blobs = [], {}
        for i, rec in enumerate(self.records):
            data, child_blobs = rec.to_dict()
            data = {k: ({**v, _BLOB: f"{i}/{v[_BLOB]}"} if isinstance(v, dict) and _BLOB in v else v)
                    for k, v in data.items()}
            children.append({"kind": rec.kind, "data": data})
            blobs.update({f"{i}/{k}": v for k, v in child_blobs.items()})
        return {"summary": to_jsonable(self.summary), "warnings": list(self.warnings), "title": self.title,
                "records": children}, blobs

    @classmethod
    def from_dict(cls, data: dict[str, Any], blobs: dict[str, bytes]) -> Profile:
        records = []
        for i, child in enumerate(data.get("records", [])):
            prefix = f"{i}/"
            cdata = {k: ({**v, _BLOB: v[_BLOB][len(prefix):]} if isinstance(v, dict) and _BLOB in v else v)
                     for k, v in child["data"].items()}
            cblobs = {k[len(prefix):]: v for k, v in blobs.items() if k.startswith(prefix)}
            records.append(rebuild(child["kind"], cdata, cblobs))
        return cls(summary=data.get("summary", {}), records=records, warnings=data.get("warnings", []),
                   title=data.get("title", "data profile"))

    def figure(self) -> Any:
        """The summary and every view stacked in one tall figure."""
        from io import BytesIO

        from matplotlib.figure import Figure
        from PIL import Image

        images = [np.asarray(Image.open(BytesIO(figure_png(r.figure(), dpi=80))).convert("RGB")) for r in self.records]
        heights = [max(1, im.shape[0]) for im in images]
        width = max([im.shape[1] for im in images] + [800])
        text = "\n".join([f"{k}: {v}" for k, v in self.summary.items()] + [f"! {w}" for w in self.warnings])
        fig = Figure(figsize=(width / 80, (sum(heights) + 22 * (text.count("\n") + 2)) / 80))
        grid = fig.add_gridspec(len(images) + 1, 1, height_ratios=[22 * (text.count("\n") + 2), *heights], hspace=0.02)
        ax = fig.add_subplot(grid[0])
        ax.axis("off")
        ax.text(0, 1, f"{self.title}\n{text}", va="top", family="monospace", fontsize=9)
        for i, im in enumerate(images):
            ax = fig.add_subplot(grid[i + 1])
            ax.imshow(im)
            ax.axis("off")
        return fig

    def _repr_html_(self) -> str:
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        head = (f"<div class='torchscope-record'><h3>{html.escape(self.title)}</h3>"
                f"{table(['', ''], [[k, v] for k, v in self.summary.items()])}"
                + (f"<ul style='color:#b45309'>{warn}</ul>" if warn else ""))
        return head + "".join(r._repr_html_() for r in self.records) + "</div>"


def _hashes(x: np.ndarray) -> np.ndarray:
    rows = np.ascontiguousarray(x.reshape(len(x), -1))
    return np.array([hashlib.blake2b(r.tobytes(), digest_size=8).hexdigest() for r in rows])


def _summary(ds: Dataset, x: np.ndarray, test: Dataset | None, xt: np.ndarray | None) -> tuple[dict, list[str]]:
    counts = np.bincount(ds.targets, minlength=ds.num_classes)
    s: dict[str, Any] = {"name": ds.name, "task": ds.task, "samples": len(ds),
                         "sample shape": "x".join(map(str, ds.sample_shape)), "classes": ds.num_classes,
                         "dtype": str(x.dtype),
                         "value range": f"{float(np.nanmin(x)):.4g} .. {float(np.nanmax(x)):.4g}",
                         "storage": "files, read on demand" if ds.is_lazy else "in memory"}
    warnings = []
    if counts.min() == 0:
        warnings.append(f"classes without samples: {[ds.class_names[i] for i in np.flatnonzero(counts == 0)]}")
    elif counts.max() / counts.min() > 3:
        warnings.append(f"imbalanced: the largest class has {counts.max() / counts.min():.1f}x the smallest")
    missing = int((~np.isfinite(x)).sum()) if x.dtype.kind == "f" else 0
    if missing:
        warnings.append(f"{missing:,} missing or non-finite values")
    h = _hashes(x)
    dup = len(h) - len(np.unique(h))
    s["duplicates"] = dup
    if dup:
        warnings.append(f"{dup:,} samples are exact duplicates of another sample")
    if test is not None and xt is not None:
        s["test samples"] = len(test)
        leak = int(np.isin(_hashes(xt), h).sum())
        s["test samples also in train"] = leak
        if leak:
            warnings.append(f"{leak:,} test samples also occur in the training set (leakage)")
    if len(x) < len(ds):
        s["profiled on"] = f"a random {len(x):,} of {len(ds):,} samples"
    return s, warnings


def profile(ds: Any, test: Any = None, *, projection: str | None = "pca", limit: int | None = None,
            seed: int = 0, progress: bool = True) -> Profile:
    """All data views of ``ds`` (and its ``test`` split) in one record: ``ts.data.profile(train, test)``.

    ``projection`` is ``"pca"``, ``"tsne"``, ``"umap"`` or None; ``limit`` caps the samples read
    (default: all of an in-memory set, 10,000 of a file-backed one).
    """
    from .load import load
    from .projector import project

    ds = require(load(ds), "", "profile")
    test = require(load(test), "", "profile") if test is not None else None
    x, _ = view_arrays(ds, limit, seed)
    xt = view_arrays(test, limit, seed)[0] if test is not None else None
    summary, warnings = _summary(ds, x, test, xt)
    recs: list[Record] = [class_balance(ds, test) if test is not None else class_balance(ds)]
    if ds.task == "image":
        recs += [samples(ds, seed=seed), mean_images(ds, limit=limit, seed=seed),
                 pixel_stats(ds, limit=limit, seed=seed)]
    else:
        recs += [feature_dists(ds, limit=limit, seed=seed), correlation(ds, limit=limit, seed=seed),
                 pairplot(ds, seed=seed)]
    if projection is not None:
        recs.append(project(ds, method=projection, seed=seed, progress=progress,
                            max_points=min(limit or 10_000, 10_000)))
    return Profile(summary=summary, records=recs, warnings=warnings, title=f"data profile of {ds.name}")
