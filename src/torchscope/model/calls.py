"""The module calls of one forward pass, for the summary: shapes and FLOPs per call, no op graph.

``ts.summary`` needs each module call's input and output shapes and FLOPs, which parameters
were read and how much memory the activations take. :func:`~torchscope.model.capture.capture`
builds the whole op graph for ``ts.graph`` (a node and edges per op); here the same module hooks
open and close the calls, and a thin ``TorchFunctionMode`` only counts:

- a stock ``nn.Linear``, ``nn.ConvNd`` or ``nn.ConvTransposeNd`` gets its FLOPs from its shapes
  in its forward hook (:func:`~torchscope.model.flops.module_flops`, PyTorch's own formulas), so
  no op inside it goes through FlopCounterMode's dispatch mode;
- any other op that may reach a counted kernel runs inside that dispatch mode, as in the
  capture, and its FLOPs go to the innermost open call;
- a model holding TorchScript modules (they take no hooks and their ops are invisible to a
  ``TorchFunctionMode``) is counted by the dispatch mode for the whole pass, each call getting the
  count between its two hooks: scripted code is counted in the call that ran it;
- what cannot be counted is said, never a silent 0 (:attr:`Capture.uncounted`): kernels outside
  ATen with no FLOP formula (custom and extension ops), and ops that read a weight matrix and
  counted nothing (a kernel PyTorch's registry lacks).

Rows, totals, unused parameters and activation bytes are exactly those the summary computes from
a full capture (``tests/model/test_model_calls.py`` checks every zoo model).

Example: ``cap = record_calls(model, (x,), {}); [n.name for n in cap.nodes]``
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

import torch

from . import flops as flops_module
from ._inventory import Inventory, inventory
from ._tree import describe, flat_tensors, iter_tensors
from .capture import _SKIP_GETTERS, Capture, _input_name, _model_state, _Tracer, _where, scripted
from .flops import FLOP_FREE, _Mode, by_shapes, counting, extra_flop_formulas, module_flops, shape_flops

__all__ = ["record_calls"]


class _Calls(_Tracer):
    """The capture's tracer, recording module calls only: ops are counted, not stored."""

    def __init__(self, cap: Capture, param_names: dict[int, str], flops: bool, weights: dict[int, str]) -> None:
        super().__init__(cap, param_names, None)  # FlopCounterMode is made when an op first needs it
        self.flops = flops
        self.weights = weights  # parameters of 2 or more dims: an op reading one and counting 0 is noted
        self.whole = False  # the dispatch mode counts the whole pass (TorchScript inside)
        self.by_formula: set[int] = set()  # open calls whose FLOPs come from module_flops
        self.had_op: set[int] = set()  # calls that ran an op of their own
        self.read: set[str] = set()
        self.start: dict[int, int] = {}
        self.seen: dict[int, Any] = {}  # id -> weak reference of the tensors already counted as activations

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        # while this runs the mode is off: our own reads of tensors do not come back here
        kwargs = kwargs or {}
        name = getattr(func, "__name__", None) or str(func)
        if name == "__get__":
            attr = getattr(getattr(func, "__self__", None), "__name__", "")
            if attr not in _SKIP_GETTERS:
                return func(*args, **kwargs)
            name = attr
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        version = first._version if first is not None else 0
        top = self.stack[-1]
        self.current = name
        flops = -1  # not measured
        if not self.flops or name in FLOP_FREE or top in self.by_formula:
            out = func(*args, **kwargs)
        elif self.whole:  # the whole pass is counted; calls take their FLOPs from their hooks
            before = self._flops()
            out = func(*args, **kwargs)
            flops = self._flops() - before
        else:
            out, flops = self._counted(name, func, args, kwargs, top)
        self.current = None
        if isinstance(out, torch.Tensor):
            outs = [out]
        elif isinstance(out, (list, tuple, dict)) and not isinstance(out, torch.Size):
            outs = flat_tensors(out)
        else:
            outs = []
        if name == "__setitem__" and first is not None:
            outs = [first]
        if not outs or (len(outs) == 1 and outs[0] is first and first._version == version):
            return out  # what the capture records no op node for
        ins = flat_tensors(args) + flat_tensors(kwargs) if kwargs else flat_tensors(args)
        self._note(top, ins, outs)
        if flops == 0:
            self._zero(top, name, ins, outs)
        return out

    def _counted(self, name: str, func: Any, args: Any, kwargs: Any, top: int) -> tuple[Any, int]:
        """Run an op that may reach a counted kernel; its FLOPs go to the open call ``top``.
        From its shapes when a formula knows it, else by FlopCounterMode's dispatch mode.
        Returns the output and the FLOPs (-1 when a kernel without formula is already named)."""
        flops = shape_flops(name, args, kwargs)
        if flops:  # no dispatch-mode round trip per ATen op
            out = func(*args, **kwargs)
        else:
            if self.gate is None:
                self.open_counter()
            before = self._flops()
            with self.gate:
                out = func(*args, **kwargs)
            flops = self._flops() - before
        self.cap.nodes[top].flops += flops
        if self.missed:
            self._drain(top)
            return out, -1
        return out, flops

    def open_counter(self) -> Any:
        """Make FlopCounterMode (with :func:`extra_flop_formulas`) and its dispatch mode; what to
        enter for the whole pass (:attr:`whole`), else a null context (the gate opens per op)."""
        from torch.utils.flop_counter import FlopCounterMode

        self.counter = FlopCounterMode(display=False, custom_mapping=extra_flop_formulas())
        return counting(self, whole=self.whole)

    def _note(self, parent: int, ins: list[torch.Tensor], outs: list[torch.Tensor]) -> None:
        """What the capture's op node would add: parameters read, activation bytes, the call's last child."""
        names = self.param_names
        for t in ins:
            pname = names.get(id(t))
            if pname:
                self.read.add(pname)
        seen = self.seen
        for t in outs:
            ref = seen.get(id(t))
            if (ref is None or ref() is not t) and t._base is None:  # views and in-place results add no memory
                seen[id(t)] = weakref.ref(t)
                self.activation_bytes += t.numel() * t.element_size()
        self.tail_op.add(parent)
        self.had_op.add(parent)

    def _zero(self, parent: int, op: str, ins: list[torch.Tensor], outs: list[torch.Tensor]) -> None:
        """An op that multiplied data by a weight matrix (read it, with other inputs, into an output
        of another shape) and counted 0: FlopCounterMode has no formula for its kernel."""
        if all(id(t) in self.param_names for t in ins):
            return  # only parameters in: a transform of the weights, not a product with data
        for t in ins:
            w = self.weights.get(id(t))
            if w is not None and all(o.shape != t.shape for o in outs):
                self._uncounted(parent, f"`{op}` multiplies {w} {list(t.shape)} and counted no FLOPs: "
                                        "FlopCounterMode has no formula for its kernel")
                return

    def _uncounted(self, node_id: int, why: str) -> None:
        node = self.cap.nodes[node_id]
        note = {"module": node.name, "type": node.type, "why": why}
        if note not in self.cap.uncounted:
            self.cap.uncounted.append(note)

    def _drain(self, node_id: int) -> None:
        """Kernels the dispatch mode could not count since the last look belong to this call."""
        if self.missed:
            for op in dict.fromkeys(self.missed):
                self._uncounted(node_id, f"kernel {op} has no FLOP formula")
            self.missed.clear()

    def pre_hook(self, qualname: str, calls: dict[str, int]) -> Any:
        types, own = self.types, self.own_params

        def hook(module: torch.nn.Module, args: Any, kwargs: Any) -> None:
            with _quiet():  # our own tensor reads (shapes, dtypes) skip __torch_function__
                parent = self.stack[-1]
                if self.missed:
                    self._drain(parent)
                node = self.cap.add("module", qualname, types[qualname], self._container(qualname, calls))
                node.call = calls.get(qualname, 0)
                calls[qualname] = node.call + 1
                node.params = own[qualname]  # shared, never changed; the rows show outputs only: no inputs
                self.stack.append(node.id)
                self.tail_op.discard(parent)
                if self.whole:
                    self.start[node.id] = self._flops()
                elif self.flops and by_shapes(module, args):
                    self.by_formula.add(node.id)
                    node.inputs = [describe(args[0])]
        return hook

    def post_hook(self, module: torch.nn.Module, args: Any, kwargs: Any, output: Any) -> None:
        with _quiet():
            node = self.cap.nodes[self.stack.pop()]
            node.outputs = _describe(output, None)
            if node.id in self.by_formula:
                self.by_formula.discard(node.id)
                node.flops = module_flops(module, node.inputs[0]["shape"], node.outputs[0]["shape"])
            elif self.whole:
                node.flops = self._flops() - self.start.pop(node.id)
            if self.missed:
                self._drain(node.id)
            if not node.children and node.id not in self.had_op:  # an identity: the capture records an op
                self._note(node.id, [t for _, t in iter_tensors((args, kwargs))],
                           [t for _, t in iter_tensors(output)])
            node.end = len(self.cap.nodes)


_quiet = torch._C.DisableTorchFunction  # no __torch_function__ (our mode's or a subclass's) inside


def _describe(args: Any, kwargs: Any) -> list[dict[str, Any]]:
    """``describe`` of every tensor in a call's arguments (or an output), fast for plain tensors."""
    if isinstance(args, torch.Tensor):
        return [describe(args)]
    if not kwargs and type(args) is tuple and all(type(a) is torch.Tensor for a in args):
        return [describe(a) for a in args]
    return [describe(t) for _, t in iter_tensors(args if kwargs is None else (args, kwargs))]


def record_calls(model: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], *, mode: str = "eval",
                 flops: bool = True, inv: Inventory | None = None) -> Capture:
    """Run ``model(*args, **kwargs)`` once and record its module calls: ``record_calls(net, (x,), {})``.

    A :class:`~torchscope.model.capture.Capture` with module, input and output nodes (no op
    nodes, no edges; a call's outputs are described, not its inputs), each call's FLOPs,
    :attr:`Capture.read` and :attr:`Capture.uncounted`.
    ``mode`` as in :func:`~torchscope.model.capture.capture`; never raises for an error inside
    the model (the calls made so far are kept and :attr:`Capture.error` says where and why).
    ``inv``: the model's :func:`~torchscope.model._inventory.inventory`, when the caller has it.
    """
    inv = inv or inventory(model)
    cap = Capture()
    root = cap.add("module", "", type(model).__name__, None)
    named = inv.named
    param_names = dict.fromkeys(inv.buffers, "")
    weights: dict[int, str] = {}
    for n, p in inv.params.items():
        param_names[id(p)] = n
        if p.dim() >= 2:
            weights[id(p)] = n
    for path, t in iter_tensors((args, kwargs)):
        node = cap.add("input", _input_name(path, model), "Tensor", None)
        node.outputs = [describe(t)]
    root.inputs = [n.outputs[0] for n in cap.nodes[1:]]
    tracer = _Calls(cap, param_names, flops, weights)
    tracer.types = {name: type(m).__name__ for name, m in named}
    tracer.own_params = inv.own
    root.params = list(inv.own[""])
    cap.scripted = scripted(named)
    # TorchScript runs ops no TorchFunctionMode sees; without FlopCounterMode's private dispatch mode
    # (older torch) its public one is entered for the whole pass too
    tracer.whole = flops and (bool(cap.scripted) or _Mode is None or not flops_module.FAST_FLOPS)
    handles: list[Any] = []
    calls: dict[str, int] = {}
    try:
        for qualname, module in named:
            if module is model or isinstance(module, torch.jit.ScriptModule):
                continue  # TorchScript modules take no hooks
            handles.append(module.register_forward_pre_hook(tracer.pre_hook(qualname, calls), with_kwargs=True))
            handles.append(module.register_forward_hook(tracer.post_hook, with_kwargs=True))
        whole = tracer.open_counter() if tracer.whole else contextlib.nullcontext()
        with _model_state(model, mode), torch.no_grad(), whole, tracer:
            out = model(*args, **kwargs)
        for path, t in iter_tensors(out, "output"):
            cap.add("output", path, "Tensor", None).inputs = [describe(t)]
        root.outputs = [describe(t) for _, t in iter_tensors(out)]
    except Exception as exc:
        cap.error = _where(cap, tracer, exc)
    finally:
        for h in handles:
            h.remove()
    tracer._drain(0)
    _finish(cap, tracer)
    return cap


def _finish(cap: Capture, tracer: _Calls) -> None:
    from .capture import _dissolve_split_containers

    _dissolve_split_containers(cap)
    for n in reversed(cap.nodes):  # every subtree is a contiguous id range [start, end)
        n.start = n.id
        n.end = max([n.id + 1] + [cap.nodes[c].end for c in n.children])
        if n.virtual and n.children:
            n.outputs = cap.nodes[n.children[-1]].outputs
    cap.total_flops = sum(tracer.counter.flop_counts["Global"].values()) if tracer.counter is not None else 0
    if tracer.whole:  # each call counted between its hooks, children included; the root is the whole pass
        for n in reversed(cap.nodes):
            if n.virtual:  # a container never called itself: its calls' sum
                n.flops = sum(cap.nodes[c].flops for c in n.children)
        cap.nodes[0].flops = cap.total_flops
    else:  # each call holds its own ops' FLOPs: add its children's (children come after parents)
        for n in reversed(cap.nodes):
            if n.kind == "module":
                n.flops += sum(cap.nodes[c].flops for c in n.children)
        cap.total_flops = cap.nodes[0].flops
    cap.activation_bytes = tracer.activation_bytes
    cap.read = tracer.read
