"""The model summary: a layer tree with shapes, parameters (shared ones counted once), FLOPs, memory.

Inspired by Keras' ``model.summary()`` and torchinfo [1], with three corrections: parameters
shared between modules (tied embeddings) are counted once and the sharing is listed; FLOPs
are ``torch.utils.flop_counter.FlopCounterMode``'s at the op level, so ``matmul``, attention
and functional calls count, not only modules, plus the kernels its registry lacks (``nn.LSTM``,
matrix-vector products: :mod:`torchscope.model.flops`), and what cannot be counted (TorchScript
inside, custom kernels) is said in the table and in :attr:`ModelSummary.uncounted`, never a
silent 0; and the model's state is left exactly as it was (see :mod:`torchscope.model.capture`).
The pass records module calls only (:mod:`torchscope.model.calls`): no op graph is built. MACs
are FLOPs / 2 (every kernel counted is a multiply-add kernel: matmul, convolution, attention, RNN).

[1] T. Yep, torchinfo, https://github.com/TylerYep/torchinfo

Example: ``print(ts.summary(model, input_size=(1, 1, 28, 28)))``
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..records import Record, register_record
from .view import shape_str

if TYPE_CHECKING:  # the record reads back without torch; building one imports it
    import torch

    from ._inventory import Inventory
    from .capture import Capture

__all__ = ["ModelSummary", "summarize", "summary"]


def relative_name(name: str, parent: str) -> str:
    """A module's name relative to the module that called it: ``relative_name("a.b.c", "a.b") == "c"``."""
    if parent and name.startswith(parent + "."):
        return name[len(parent) + 1:]
    return name


def human(n: float, unit: str = "") -> str:
    """``human(1234567) == "1.23M"``; ``human(2048, "B") == "2.05 KB"``."""
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.2f}{' ' if unit else ''}{suffix}{unit}"
    return f"{int(n)}{' ' if unit else ''}{unit}"


@register_record
@dataclass
class ModelSummary(Record):
    """What :func:`summary` returns: rows (one per module call) and totals.

    Example: ``s = ts.summary(model, x); s.total_params, s.text(depth=2)``
    """

    kind: ClassVar[str] = "model.summary"
    model: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    frozen_params: int = 0
    shared: list[list[str]] = field(default_factory=list)
    param_bytes: int = 0
    buffer_bytes: int = 0
    activation_bytes: int = 0
    input_bytes: int = 0
    total_flops: int = 0
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    depth: int = 3
    error: str | None = None
    unused: list[str] = field(default_factory=list)  # parameters no op read on this input
    # FLOPs that could not be counted, never a silent 0: {"module", "type", "why"} each
    uncounted: list[dict[str, str]] = field(default_factory=list)
    scripted: list[str] = field(default_factory=list)  # TorchScript modules: counted in their parent's row

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates: ``total_flops // 2``."""
        return self.total_flops // 2

    def visible_rows(self, depth: int | None = None) -> list[dict[str, Any]]:
        """Rows down to ``depth`` (root is depth 0): ``s.visible_rows(1)``."""
        limit = self.depth if depth is None else depth
        return [r for r in self.rows if r["depth"] <= limit]

    def text(self, depth: int | None = None, width: int = 100) -> str:
        """The table as plain text, rows down to ``depth``: ``print(s.text(depth=2))``."""
        rows = self.visible_rows(depth)
        cells = [_cells(r, rows, i) for i, r in enumerate(rows)]
        head = ("Layer (type)", "Output shape", "Params", "Train", "MACs")
        w0 = min(max([len(head[0])] + [len(c[0]) for c in cells]), max(24, width - 52))
        w1 = max([len(head[1])] + [len(c[1]) for c in cells])
        fmt = f"{{:<{w0}}}  {{:<{w1}}}  {{:>12}}  {{:>5}}  {{:>9}}"
        line = "=" * len(fmt.format(*head))
        out = [line, fmt.format(*head), line]
        out += [fmt.format(c[0][:w0], *c[1:]) for c in cells]
        out += [line, *self._totals(), line]
        return "\n".join(out)

    def _totals(self) -> list[str]:
        lines = [f"Total params: {self.total_params:,} ({human(self.param_bytes, 'B')})",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Frozen params: {self.frozen_params:,}"]
        for group in self.shared:
            lines.append(f"Shared: {' = '.join(group)} (counted once)")
        if self.unused:
            more = f" and {len(self.unused) - 4} more" if len(self.unused) > 4 else ""
            lines.append(f"Not used on this input: {', '.join(self.unused[:4])}{more}")
        more = " + what could not be counted (below)" if self.uncounted else ""
        lines += [f"MACs: {human(self.total_macs)}   FLOPs: {human(self.total_flops)}{more}",
                  f"Input size: {human(self.input_bytes, 'B')}   "
                  f"Forward activations: {human(self.activation_bytes, 'B')}   "
                  f"Params: {human(self.param_bytes, 'B')}   Buffers: {human(self.buffer_bytes, 'B')}"]
        for u in self.uncounted:
            lines.append(f"FLOPs not counted in {u['module'] or self.model} ({u['type']}): {u['why']}")
        for name in self.scripted:
            lines.append(f"TorchScript: {name or self.model} takes no hooks: its layers are not shown and its "
                         "FLOPs are counted in the row that called it")
        if self.error:
            lines.append(f"PARTIAL: {self.error}")
        return lines

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = self.visible_rows()
        body = []
        for i, r in enumerate(rows):
            c = _cells(r, rows, i, tree=False)
            pad = 1.2 * r["depth"]
            tip = html.escape(r["name"] or self.model)
            body.append(f"<tr><td style='padding-left:{pad:.1f}em' title='{tip}'>{html.escape(c[0])}</td>"
                        + "".join(f"<td>{html.escape(x)}</td>" for x in c[1:]) + "</tr>")
        foot = "<br>".join(html.escape(x) for x in self._totals())
        return ("<div class='torchscope-summary'><table style='font-family:monospace;font-size:12px'>"
                "<thead><tr><th style='text-align:left'>Layer (type)</th><th>Output shape</th><th>Params</th>"
                "<th>Train</th><th>MACs</th></tr></thead><tbody>" + "".join(body)
                + f"</tbody></table><p style='font-family:monospace;font-size:12px'>{foot}</p></div>")

    def figure(self, depth: int | None = None) -> Any:
        """The text table drawn on a matplotlib Figure: ``s.figure().savefig("s.png")``."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))  # one axes holding the text, like every other record's figure
        ax.axis("off")
        t = ax.text(0, 1, self.text(depth), va="top", ha="left", family="monospace", fontsize=8,
                    transform=ax.transAxes)
        box = t.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]  # sized to the text
        pad = 0.1
        w, h = box.width / fig.dpi + 2 * pad, box.height / fig.dpi + 2 * pad
        fig.set_size_inches(w, h)
        t.set_position((pad / w, 1 - pad / h))
        return fig


def _cells(r: dict[str, Any], rows: list[dict[str, Any]], i: int, tree: bool = True) -> tuple[str, ...]:
    label = r.get("short", r["name"])
    label = f"{label} ({r['type']})" if label else r["type"]
    if r["call"]:
        label += f" [call {r['call'] + 1}]"
    if tree and r["depth"]:
        last = not any(x["depth"] == r["depth"] for x in _until_shallower(rows, i + 1, r["depth"]))
        prefix = "".join("│  " if _open(rows, i, d) else "   " for d in range(1, r["depth"]))
        label = prefix + ("└─ " if last else "├─ ") + label
    shapes = ", ".join(shape_str(s) for s in r["output_shapes"][:3]) + (" …" if len(r["output_shapes"]) > 3 else "")
    if r["call"]:
        params = "(reused)"
    else:
        params = f"{r['params']:,}" if r["params"] else "--"
        if r["tied"]:
            params = "(tied) " + params
    train = "--" if not r["params"] else ("yes" if r["trainable"] == r["params"] else
                                          "no" if r["trainable"] == 0 else "part")
    macs = human(r["flops"] // 2) if r["flops"] else "--"
    if r.get("uncounted"):  # a kernel in this call (or below) could not be counted: never a silent 0
        macs = macs + " +?" if r["flops"] else "?"
    return label, shapes or "--", params, train, macs


def _until_shallower(rows: list[dict[str, Any]], start: int, depth: int) -> list[dict[str, Any]]:
    out = []
    for r in rows[start:]:
        if r["depth"] < depth:
            break
        out.append(r)
    return out


def _open(rows: list[dict[str, Any]], i: int, d: int) -> bool:
    """Whether the ancestor at depth ``d`` of row ``i`` has more children below row ``i``."""
    for r in rows[i + 1:]:
        if r["depth"] < d:
            return False
        if r["depth"] == d:
            return True
    return False


def summarize(model: torch.nn.Module, cap: Capture, *, depth: int = 3, inv: Inventory | None = None) -> ModelSummary:
    """Build the summary record from a capture: ``summarize(model, capture(model, (x,), {}))``.

    ``inv``: the model's :func:`~torchscope.model._inventory.inventory`, when the caller has it.
    """
    from ._inventory import inventory

    inv = inv or inventory(model)
    unique = inv.params
    shared = [names for names in inv.names.values() if len(names) > 1]
    tied_ids = {i for i, names in inv.names.items() if len(names) > 1}
    sizes = {i: (p.numel(), p.requires_grad) for i, p in inv.subtree.get("", {}).items()}  # the root: every one
    counts: dict[str, tuple[int, int, bool]] = {}  # per module: parameters, trainable ones, any tied
    rows = []
    names = {u["module"] for u in cap.uncounted}
    short = {n.id for n in cap.nodes if n.kind == "module" and n.name in names and not n.call}
    for n in reversed(cap.nodes):  # a call holding one that could not be counted is short too
        if n.id in short and n.parent is not None:
            short.add(n.parent)
    for n in cap.nodes:
        if n.kind != "module":
            continue
        if n.name not in counts:
            total = trainable = 0
            for i in inv.subtree.get(n.name, ()):
                k, grad = sizes[i]
                total += k
                trainable += k if grad else 0
            counts[n.name] = (total, trainable, not tied_ids.isdisjoint(inv.subtree.get(n.name, ())))
        total, trainable, tied = counts[n.name]
        pname = cap.nodes[n.parent].name if n.parent is not None else ""
        rows.append({
            "name": n.name, "short": relative_name(n.name, pname), "type": n.type, "depth": n.depth, "call": n.call,
            "output_shapes": [o["shape"] for o in n.outputs], "params": total, "trainable": trainable,
            "flops": n.flops, "tied": tied,
        })
        if n.id in short:
            rows[-1]["uncounted"] = True
    buffers = inv.buffers
    read = cap.read if cap.read is not None else {p for n in cap.nodes if n.kind == "op" for p in n.params}
    unseen = tuple(f"{s}." if s else "" for s in cap.scripted)  # TorchScript reads no op can see
    unused = [name for name in unique if name not in read and not (unseen and name.startswith(unseen))]
    unused = unused if cap.error is None else []
    inputs = [{"name": x.name, **x.outputs[0]} for x in cap.nodes if x.kind == "input"]
    total, trainable = counts[""][:2] if "" in counts else (0, 0)
    return ModelSummary(
        model=type(model).__name__, rows=rows, total_params=total, trainable_params=trainable,
        frozen_params=total - trainable,
        shared=shared, param_bytes=sum(p.numel() * p.element_size() for p in unique.values()),
        buffer_bytes=sum(b.numel() * b.element_size() for b in buffers.values()),
        activation_bytes=cap.activation_bytes,
        input_bytes=sum(_nbytes(i) for i in inputs), total_flops=cap.total_flops, inputs=inputs,
        outputs=[{"name": x.name, **x.inputs[0]} for x in cap.nodes if x.kind == "output" and x.inputs],
        depth=depth, error=cap.error, unused=unused, uncounted=list(cap.uncounted), scripted=list(cap.scripted))


def _nbytes(desc: dict[str, Any]) -> int:
    import torch

    n = 1
    for s in desc["shape"]:
        n *= s
    return n * getattr(torch, desc["dtype"]).itemsize


def summary(model: torch.nn.Module, input: Any = None, *, input_size: Any = None, dtypes: Any = None,
            depth: int = 3, mode: str = "eval", flops: bool = True,
            kwargs: dict[str, Any] | None = None) -> ModelSummary:
    """Summarize a model on an example input: ``ts.summary(model, input_size=(1, 1, 28, 28))``.

    ``input``: a tensor, a tuple of positional arguments or a dict of keyword arguments.
    ``depth``: rows shown by :meth:`ModelSummary.text` (all rows are kept in the record).
    ``mode``: ``"eval"`` (default), ``"train"`` or ``"same"``; the model is restored afterwards.
    ``flops=False`` skips FLOP counting (MACs show as 0).
    If the forward pass fails, a partial summary is returned with ``error`` set and a warning.
    """
    from ._inventory import inventory
    from ._tree import make_call
    from .calls import record_calls

    args, kw = make_call(model, input, input_size=input_size, dtypes=dtypes, kwargs=kwargs)
    inv = inventory(model)
    cap = record_calls(model, args, kw, mode=mode, flops=flops, inv=inv)
    if cap.error:
        warnings.warn(f"ts.summary: {cap.error}", RuntimeWarning, stacklevel=2)
    return summarize(model, cap, depth=depth, inv=inv)
