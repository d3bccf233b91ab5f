"""The ``explain.tokens`` record: one attribution per token, shown as coloured tokens.

Tokens are strings from a tokenizer or a user, so every view treats them as hostile: the notebook
HTML escapes them (``html.escape``, quotes included) and matplotlib draws them with mathtext off
(a ``$`` stays a dollar sign). Colours follow Captum's text visualization: red for positive, blue
for negative (signed methods), orange for magnitudes; each sample is scaled by its largest score.

JSON: ``method``, ``tokens`` (one list per sample), ``targets``, ``predictions``,
``target_probs``, ``pred_probs``, ``target_labels``, ``pred_labels``, ``layer``, ``position``
(the output position explained, for language models; null for classifiers), ``signed``,
``options``. Blobs (``.npy``): ``scores`` (N x T float32: the layer attributions summed over the
embedding), ``ids`` (N x T int64) and ``valid`` (N x T bool: False for padding).

Example::

    ex = ts.explain(bert, enc, method="ig", tokenizer=tok); ex.top(0, 5); ex.save("tokens.html")
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record
from ._labels import caption, scale

__all__ = ["TokenAttribution", "token_colour"]

LINE_CHARS = 90  # characters per line in the matplotlib view


def token_colour(score: float, signed: bool) -> tuple[int, int, int, float]:
    """``(r, g, b, alpha)`` for a score in [-1, 1]: red positive, blue negative, orange magnitude."""
    if not signed:
        return 230, 120, 20, min(1.0, abs(score))
    return (200, 30, 30, min(1.0, score)) if score >= 0 else (30, 80, 200, min(1.0, -score))


@register_record
@dataclass
class TokenAttribution(Record):
    """Per-token attributions of one method for a batch of token sequences."""

    kind: ClassVar[str] = "explain.tokens"
    method: str
    tokens: list[list[str]]
    scores: np.ndarray
    ids: np.ndarray
    valid: np.ndarray
    targets: list[int]
    predictions: list[int]
    target_probs: list[float]
    pred_probs: list[float]
    target_labels: list[str]
    pred_labels: list[str]
    layer: str = ""
    position: int | None = None
    signed: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets)

    def sample(self, i: int) -> list[tuple[str, float]]:
        """Sample ``i``'s ``(token, score)`` pairs, padding left out."""
        return [(tok, float(s)) for tok, s, ok in zip(self.tokens[i], self.scores[i], self.valid[i]) if ok]

    def top(self, i: int, k: int = 10) -> list[tuple[str, float]]:
        """Sample ``i``'s ``k`` tokens of largest attribution magnitude: ``ex.top(0, 5)``."""
        return sorted(self.sample(i), key=lambda p: -abs(p[1]))[:k]

    def _normalized(self, i: int) -> list[tuple[str, float]]:
        pairs = self.sample(i)
        top = scale(np.array([s for _, s in pairs], dtype=np.float32))
        return [(tok, s / top) for tok, s in pairs]

    def html(self, max_samples: int = 16) -> str:
        """The coloured tokens as an HTML fragment, every token escaped (a tooltip gives its score)."""
        out = []
        for i in range(min(len(self), max_samples)):
            spans = []
            for (tok, s), (_, raw) in zip(self._normalized(i), self.sample(i)):
                r, g, b, a = token_colour(s, self.signed)
                spans.append(f"<span title='{raw:.4g}' style='background:rgba({r},{g},{b},{a:.3f});"
                             f"padding:1px 2px;margin:1px;border-radius:3px;white-space:pre'>"
                             f"{html.escape(tok, quote=True)}</span>")
            out.append(f"<div style='margin:4px 0'><small>{html.escape(caption(self, i))}</small><br/>"
                       f"<span style='font-family:monospace;line-height:1.9'>{''.join(spans)}</span></div>")
        return "".join(out)

    def figure(self, max_samples: int = 8) -> Any:
        """The coloured tokens of the first ``max_samples`` samples, wrapped at ``LINE_CHARS`` characters."""
        from matplotlib.figure import Figure

        n = min(len(self), max_samples)
        lines: list[list[tuple[str, float]] | str] = []
        for i in range(n):
            lines.append(f"sample {i}: {caption(self, i)}")
            line: list[tuple[str, float]] = []
            width = 0
            for tok, s in self._normalized(i):
                shown = tok.replace("\n", "\\n") or " "
                if line and width + len(shown) + 1 > LINE_CHARS:
                    lines.append(line)
                    line, width = [], 0
                line.append((shown, s))
                width += len(shown) + 1
            lines.append(line)
        fig = Figure(figsize=(LINE_CHARS * 0.085 + 0.4, 0.26 * len(lines) + 0.6))
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98 - 0.35 / fig.get_figheight()))
        ax.set_xlim(0, LINE_CHARS)
        ax.set_ylim(len(lines), 0)
        ax.axis("off")
        for row, item in enumerate(lines):
            if isinstance(item, str):
                ax.text(0, row + 0.7, item, fontsize=8, color="#444", parse_math=False)
                continue
            x = 0.0
            for tok, s in item:
                r, g, b, a = token_colour(s, self.signed)
                ax.text(x, row + 0.7, tok, family="monospace", fontsize=8, parse_math=False,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": (r / 255, g / 255, b / 255, a),
                              "edgecolor": "none"})
                x += len(tok) + 1
        layer = f" at {self.layer}" if self.layer else ""
        fig.suptitle(f"{self.method}{layer}", fontsize=9)
        return fig

    def _repr_html_(self) -> str:
        from .._display import table

        layer = f" at {html.escape(self.layer)}" if self.layer else ""
        top = table(["sample", "token", "score"], [(i, tok, s) for i in range(min(len(self), 16))
                                                   for tok, s in self.top(i, 5)])
        return (f"<div class='torchscope-record'><b>{html.escape(self.method)}</b>{layer}"
                f"<br/>{self.html()}<details><summary>largest</summary>{top}</details></div>")
