"""Class balance: how many samples each class has, for one or several splits side by side.

Imbalance is summarized as the ratio of the largest to the smallest class (the "imbalance ratio"
of He & Garcia, "Learning from Imbalanced Data", IEEE TKDE 2009).

Example::

    ts.data.class_balance(train, test).save("balance.png")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...records import Record, register_record
from ._common import card, class_colors, require, table

__all__ = ["ClassBalance", "class_balance"]


@register_record
@dataclass
class ClassBalance(Record):
    """Sample counts per class (columns) for each split (rows of ``counts``)."""

    kind: ClassVar[str] = "data.class_balance"
    class_names: list[str]
    splits: list[str]
    counts: list[list[int]]
    title: str = "class balance"

    @property
    def imbalance(self) -> list[float]:
        """Largest over smallest class count, per split (inf when a class is missing)."""
        out = []
        for row in self.counts:
            lo, hi = min(row), max(row)
            out.append(float(hi) / lo if lo else float("inf"))
        return out

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        k, s = len(self.class_names), len(self.splits)
        fig = Figure(figsize=(min(14, max(5, 0.45 * k * max(1, s) ** 0.5 + 2)), 3.4))
        ax = fig.add_subplot()
        width = 0.8 / s
        colors = class_colors(max(s, 2))
        x = np.arange(k)
        for j, (split, row) in enumerate(zip(self.splits, self.counts)):
            total = max(1, sum(row))
            ax.bar(x + (j - (s - 1) / 2) * width, row, width, label=f"{split} ({sum(row):,})", color=colors[j])
            if k <= 20:
                for xi, v in zip(x, row):
                    ax.text(xi + (j - (s - 1) / 2) * width, v, f"{100 * v / total:.0f}%", ha="center",
                            va="bottom", fontsize=6)
        upright = k <= 12 and max(map(len, self.class_names)) <= 10
        ax.set_xticks(x, self.class_names, rotation=0 if upright else 60, fontsize=8,
                      ha="center" if upright else "right")
        ax.set_ylabel("samples")
        ratios = ", ".join(f"{sp} {r:.2f}" for sp, r in zip(self.splits, self.imbalance))
        ax.set_title(f"{self.title}  (largest/smallest class: {ratios})", fontsize=9)
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        rows = [[c, *[r[i] for r in self.counts]] for i, c in enumerate(self.class_names)]
        rows.append(["total", *[sum(r) for r in self.counts]])
        return card(self.title, self.figure(), table(["class", *self.splits], rows))


def _split_label(name: str, i: int) -> str:
    m = re.search(r"\[(\w+)\]$", name) or re.search(r"/(train|test|val)$", name)
    return m.group(1) if m else (name or f"set {i}")


def class_balance(*datasets: Any, names: list[str] | None = None) -> ClassBalance:
    """Class counts of one or more splits: ``ts.data.class_balance(train, test)``.

    Also takes a dict ``{"train": train, "test": test}``; classes are matched by name.
    """
    if len(datasets) == 1 and isinstance(datasets[0], dict):
        names, datasets = list(datasets[0]), tuple(datasets[0].values())
    if not datasets:
        raise ValueError("class_balance() needs at least one data set")
    sets = [require(d, "", "class_balance") for d in datasets]
    labels = names or [_split_label(d.name, i) for i, d in enumerate(sets)]
    if len(labels) != len(sets):
        raise ValueError(f"class_balance: {len(sets)} data sets but {len(labels)} names")
    classes: list[str] = []
    for d in sets:
        classes += [c for c in d.class_names if c not in classes]
    counts = []
    for d in sets:
        per = np.bincount(d.targets, minlength=d.num_classes)
        by_name = dict(zip(d.class_names, per.tolist()))
        counts.append([int(by_name.get(c, 0)) for c in classes])
    root = sets[0].name.split("[")[0]
    return ClassBalance(class_names=classes, splits=labels, counts=counts, title=f"class balance of {root}")
