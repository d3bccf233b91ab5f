"""Capture the forward pass of a model as a hierarchy of module calls and tensor operations.

Tracing runs the model once, for real, on the example input (so the branch actually taken by
data-dependent control flow is what is recorded), with three instruments that are always
removed in ``finally``:

- per-module forward pre-hooks and hooks, which open and close one *module call* node per call
  (a module called twice gives two nodes, as in torchview [1]);
- a ``TorchFunctionMode`` [2] that sees every ``torch.*``, ``torch.nn.functional.*`` and
  ``Tensor`` method call, records it as an *op* node under the innermost open module call, and
  links it to the ops that produced its tensor arguments (tensors are keyed by identity in a
  weak dictionary, so nothing is kept alive);
- ``torch.utils.flop_counter.FlopCounterMode`` [3], whose running total is read before and after
  each op, so the FLOPs of every op, module and the model are exactly PyTorch's own count
  (plus the CPU attention kernel its registry lacks: :func:`extra_flop_formulas`).

No FX or TorchScript tracing is involved, so any Python is allowed in ``forward``. If the model
raises, the partial graph is kept and :attr:`Capture.error` says where and why.

[1] M. Koksal, torchview, https://github.com/mert-kurttutan/torchview
[2] PyTorch, "Extending torch with a Tensor-like type", ``torch.overrides.TorchFunctionMode``.
[3] PyTorch, ``torch/utils/flop_counter.py``.

Example: ``cap = capture(model, (x,), {}); len(cap.nodes)``
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary

from ._tree import describe, flat_tensors, iter_tensors
from .flops import FLOP_FREE, counting, extra_flop_formulas

__all__ = ["Capture", "Edge", "Node", "capture", "extra_flop_formulas"]  # the last re-exported from .flops

_SKIP_GETTERS = {"T", "mT", "H", "mH", "real", "imag"}  # attribute getters that are real ops


@dataclass(slots=True)
class Node:
    """One node of the captured graph: an input, output, module call or op."""

    id: int
    kind: str  # "input" | "output" | "module" | "op"
    name: str  # module qualified name, op name or input/output path
    type: str  # module class, op function or "Tensor"
    parent: int | None
    depth: int
    start: int = 0
    end: int = 0
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # parameters used (op) or owned (module)
    flops: int = 0
    call: int = 0  # 0 for the first call of a module, 1 for the second...
    children: list[int] = field(default_factory=list)
    virtual: bool = False  # a container never called itself (ModuleList, ModuleDict)


@dataclass(slots=True)
class Edge:
    """A tensor flowing from ``src`` to ``dst`` (both input, op or output nodes)."""

    src: int
    dst: int
    shape: tuple[int, ...]
    dtype: str


@dataclass
class Capture:
    """What :func:`capture` returns: nodes (node 0 is the root module call), edges and an error."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    error: str | None = None
    total_flops: int = 0
    activation_bytes: int = 0
    output: Any = None
    read: set[str] | None = None  # parameters read, when no op nodes say it (the summary's pass)
    uncounted: list[dict[str, str]] = field(default_factory=list)  # {"module", "type", "why"}
    scripted: list[str] = field(default_factory=list)  # TorchScript modules: no hooks, ops unseen

    def add(self, kind: str, name: str, type_: str, parent: int | None) -> Node:
        depth = 0 if parent is None else self.nodes[parent].depth + 1
        node = Node(len(self.nodes), kind, name, type_, parent, depth, start=len(self.nodes))
        self.nodes.append(node)
        if parent is not None:
            self.nodes[parent].children.append(node.id)
        return node


class _Tracer(TorchFunctionMode):
    def __init__(self, cap: Capture, param_names: dict[int, str], counter: Any) -> None:
        super().__init__()
        self.cap = cap
        self.param_names = param_names
        self.counter = counter
        self.producer: WeakIdKeyDictionary = WeakIdKeyDictionary()
        self.stack: list[int] = [0]
        self.busy = False
        self.current: str | None = None
        self.counted: WeakIdKeyDictionary = WeakIdKeyDictionary()
        self.activation_bytes = 0
        self.types: dict[str, str] = {}
        self.own_params: dict[str, list[str]] = {}
        self.gate: Any = None  # FlopCounterMode's dispatch mode, entered around ops that may count
        self.missed: list[str] = []  # kernels the dispatch mode could not count (flops.Gate)
        self.tail_op: set[int] = set()  # calls whose last child is an op no node records (calls.py)

    def _flops(self) -> int:
        return sum(self.counter.flop_counts["Global"].values()) if self.counter is not None else 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if self.busy:
            return func(*args, **kwargs)
        name = getattr(func, "__name__", None) or str(func)
        if name == "__get__":
            attr = getattr(getattr(func, "__self__", None), "__name__", "")
            if attr not in _SKIP_GETTERS:
                return func(*args, **kwargs)
            name = attr
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        version = first._version if first is not None else 0
        self.current = name
        flops = 0
        if self.counter is None or (self.gate is not None and name in FLOP_FREE):
            out = func(*args, **kwargs)
        elif self.gate is not None:
            before = self._flops()
            with self.gate:
                out = func(*args, **kwargs)
            flops = self._flops() - before
        else:  # the public FlopCounterMode is active for the whole pass
            before = self._flops()
            out = func(*args, **kwargs)
            flops = self._flops() - before
        self.current = None
        outs = flat_tensors(out) if not isinstance(out, torch.Tensor) else [out]
        if name == "__setitem__" and args and isinstance(args[0], torch.Tensor):
            outs = [args[0]]
        if not outs:
            return out
        if len(outs) == 1 and outs[0] is first and first._version == version:
            return out  # a no-op such as .contiguous() on a contiguous tensor or eval-mode dropout
        ins = flat_tensors(args) + flat_tensors(kwargs)
        self.busy = True
        try:
            self._record(name, ins, outs, flops)
        finally:
            self.busy = False
        return out

    def _record(self, name: str, ins: list[torch.Tensor], outs: list[torch.Tensor], flops: int) -> None:
        cap = self.cap
        node = cap.add("op", name, name, self.stack[-1])
        node.flops = flops
        for t in ins:
            pname = self.param_names.get(id(t))
            if pname is not None:
                if pname:  # buffers map to "" and are neither parameters nor graph inputs
                    node.params.append(pname)
                continue
            node.inputs.append(describe(t))
            src = self.producer.get(t)
            if src is not None:
                cap.edges.append(Edge(src, node.id, tuple(t.shape), str(t.dtype).replace("torch.", "")))
        for t in outs:
            node.outputs.append(describe(t))
            self.producer[t] = node.id
            if t not in self.counted and t._base is None:  # views and in-place results add no memory
                self.counted[t] = True
                self.activation_bytes += t.numel() * t.element_size()
        node.end = len(cap.nodes)

    # -- module hooks --------------------------------------------------------------------
    def _container(self, qualname: str, calls: dict[str, int]) -> int:
        """The parent for a call of ``qualname``: the open call, or containers that were never called
        themselves (a ModuleList iterated in the parent's forward), inserted as virtual nodes."""
        parent = self.stack[-1]
        top = self.cap.nodes[parent].name
        if top and not qualname.startswith(top + "."):
            return parent
        parts = qualname[len(top) + 1 if top else 0:].split(".")[:-1]
        prefix = top
        for part in parts:
            prefix = f"{prefix}.{part}" if prefix else part
            kids = self.cap.nodes[parent].children
            last = self.cap.nodes[kids[-1]] if kids and parent not in self.tail_op else None
            if last is not None and last.virtual and last.name == prefix:
                parent = last.id
                continue
            node = self.cap.add("module", prefix, self.types.get(prefix, "Module"), parent)
            node.virtual = True
            node.call = calls.get(prefix, 0)
            calls[prefix] = node.call + 1
            parent = node.id
        return parent

    def pre_hook(self, qualname: str, calls: dict[str, int]) -> Any:
        def hook(module: torch.nn.Module, args: Any, kwargs: Any) -> None:
            self.busy = True
            try:
                node = self.cap.add("module", qualname, type(module).__name__, self._container(qualname, calls))
                node.call = calls.get(qualname, 0)
                calls[qualname] = node.call + 1
                node.params = list(self.own_params.get(qualname, ()))
                node.inputs = [describe(t) for _, t in iter_tensors((args, kwargs))]
                self.stack.append(node.id)
            finally:
                self.busy = False
        return hook

    def post_hook(self, module: torch.nn.Module, args: Any, kwargs: Any, output: Any) -> None:
        self.busy = True
        try:
            node = self.cap.nodes[self.stack.pop()]
            node.outputs = [describe(t) for _, t in iter_tensors(output)]
            if not node.children:  # an identity (eval-mode Dropout, nn.Identity): keep it in the flow
                self.stack.append(node.id)
                ins = [t for _, t in iter_tensors((args, kwargs))]
                self._record("identity", ins, [t for _, t in iter_tensors(output)], 0)
                self.stack.pop()
            node.end = len(self.cap.nodes)
        finally:
            self.busy = False


@contextlib.contextmanager
def _model_state(model: torch.nn.Module, mode: str) -> Iterator[None]:
    """Switch to eval/train for the pass and put every flag (and, in train mode, buffer) back."""
    flags = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()] if mode == "train" else []
    try:
        if mode not in ("eval", "train", "same"):
            raise ValueError(f"mode must be 'eval', 'train' or 'same', got {mode!r}")
        if mode != "same" and any(flag != (mode == "train") for _, flag in flags):  # else nothing to switch
            model.train(mode == "train")
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        for m, flag in flags:
            if m.training != flag:  # Module.__setattr__ is slow: only the flags the switch changed
                m.training = flag
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)


def capture(model: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], *, mode: str = "eval",
            flops: bool = True, grad: bool = False) -> Capture:
    """Run ``model(*args, **kwargs)`` once and record its graph: ``capture(net, (x,), {})``.

    ``mode``: ``"eval"`` (default), ``"train"`` or ``"same"``; the model's flags, buffers and
    the global RNG state are restored afterwards. ``grad``: run with autograd on (default off;
    fused inference fast paths are never taken while tracing, so FLOPs are those of the
    standard path either way). Never raises for an error inside the model:
    the partial graph is returned with :attr:`Capture.error` set.
    """
    from torch.utils.flop_counter import FlopCounterMode

    cap = Capture()
    root = cap.add("module", "", type(model).__name__, None)
    root.params = [n for n, _ in model.named_parameters(recurse=False)]
    param_names = {id(b): "" for b in model.buffers()}
    param_names.update({id(p): n for n, p in model.named_parameters()})
    for path, t in iter_tensors((args, kwargs)):
        node = cap.add("input", _input_name(path, model), "Tensor", None)
        node.outputs = [describe(t)]
    counter = FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) if flops else None
    tracer = _Tracer(cap, param_names, counter)
    named = list(model.named_modules())
    tracer.types = {name: type(m).__name__ for name, m in named}
    tracer.own_params = {name: [f"{name}.{n}" for n, p in m._parameters.items() if p is not None]
                         for name, m in named}
    for n in cap.nodes[1:]:
        tracer.producer[_nth_tensor(args, kwargs, n.id - 1)] = n.id
    root.inputs = [n.outputs[0] for n in cap.nodes[1:]]
    handles: list[Any] = []
    calls: dict[str, int] = {}
    cap.scripted = scripted(named)
    try:
        for qualname, module in named:
            if module is model or isinstance(module, torch.jit.ScriptModule):
                continue  # TorchScript modules take no hooks; their ops still show in the parent
            handles.append(module.register_forward_pre_hook(tracer.pre_hook(qualname, calls), with_kwargs=True))
            handles.append(module.register_forward_hook(tracer.post_hook, with_kwargs=True))
        # TorchScript runs ops no TorchFunctionMode sees: FlopCounterMode counts the whole pass then
        whole = counting(tracer, whole=bool(cap.scripted))
        with _model_state(model, mode), torch.set_grad_enabled(grad), whole, tracer:
            out = model(*args, **kwargs)
        cap.output = out
        for path, t in iter_tensors(out, "output"):
            node = cap.add("output", path, "Tensor", None)
            node.inputs = [describe(t)]
            src = tracer.producer.get(t)
            if src is not None:
                cap.edges.append(Edge(src, node.id, tuple(t.shape), str(t.dtype).replace("torch.", "")))
        root.outputs = [describe(t) for _, t in iter_tensors(out)]
    except Exception as exc:
        cap.error = _where(cap, tracer, exc)
    finally:
        for h in handles:
            h.remove()
    _dissolve_split_containers(cap)
    for n in reversed(cap.nodes):  # every subtree is a contiguous id range [start, end)
        n.start = n.id
        n.end = max([n.id + 1] + [cap.nodes[c].end for c in n.children])
        if n.virtual and n.children:
            n.inputs, n.outputs = cap.nodes[n.children[0]].inputs, cap.nodes[n.children[-1]].outputs
    cap.total_flops = sum(counter.flop_counts["Global"].values()) if counter is not None else 0
    cap.activation_bytes = tracer.activation_bytes
    _sum_flops(cap)
    if cap.scripted:  # what scripted code counted belongs to no op: the root call holds the whole count
        cap.nodes[0].flops = cap.total_flops
    return cap


def scripted(named: list[tuple[str, torch.nn.Module]]) -> list[str]:
    """The outermost TorchScript modules of ``named_modules()`` (the model itself is named "")."""
    out: list[str] = []
    for name, m in named:
        if isinstance(m, torch.jit.ScriptModule) and not any(name.startswith(o + ".") or o == "" for o in out):
            out.append(name)
    return out


def _dissolve_split_containers(cap: Capture) -> None:
    """Drop virtual containers that ops of the parent split in several pieces (a U-Net's ``down``
    list with pooling between its blocks): their blocks hang from the parent, and ids are renumbered."""
    seen: dict[tuple[int | None, str], int] = {}
    for n in cap.nodes:
        if n.virtual:
            seen[(n.parent, n.name)] = seen.get((n.parent, n.name), 0) + 1
    drop = {n.id for n in cap.nodes if n.virtual and seen[(n.parent, n.name)] > 1}
    if not drop:
        return
    for n in cap.nodes:
        if any(c in drop for c in n.children):
            kids: list[int] = []
            stack = list(reversed(n.children))
            while stack:
                c = stack.pop()
                if c in drop:
                    stack.extend(reversed(cap.nodes[c].children))
                else:
                    kids.append(c)
            n.children = kids
            for c in kids:
                cap.nodes[c].parent = n.id
    new = {}
    keep = [n for n in cap.nodes if n.id not in drop]
    for i, n in enumerate(keep):
        new[n.id] = i
    for n in keep:
        n.id = new[n.id]
        n.parent = None if n.parent is None else new[n.parent]
        n.children = [new[c] for c in n.children]
        n.depth = 0 if n.parent is None else keep[n.parent].depth + 1
    for e in cap.edges:
        e.src, e.dst = new[e.src], new[e.dst]
    cap.nodes[:] = keep


def _nth_tensor(args: Any, kwargs: Any, n: int) -> torch.Tensor:
    for i, (_, t) in enumerate(iter_tensors((args, kwargs))):
        if i == n:
            return t
    raise IndexError(n)


def _input_name(path: str, model: torch.nn.Module) -> str:
    # "[0][0]" -> first positional argument; "[1]['ids']" -> keyword argument "ids"
    if path.startswith("[1]["):
        return path[4:].split("]")[0].strip("'\"") + path[4:].split("]", 1)[1]
    try:
        names = _arg_names(model.forward)
        idx = int(path[4:].split("]")[0])
        rest = path[4:].split("]", 1)[1]
        return (names[idx] if idx < len(names) else f"input{idx}") + rest
    except (ValueError, TypeError, IndexError):
        return "input" + path[3:]


def _arg_names(forward: Any) -> list[str]:
    """The parameter names of a bound ``forward``, as ``inspect.signature`` lists them (without self),
    read from the code object when nothing wraps it (a signature costs about the forward of a small model)."""
    import inspect

    fn = getattr(forward, "__func__", None)
    code = getattr(fn, "__code__", None)
    if code is None or hasattr(fn, "__wrapped__") or hasattr(fn, "__signature__"):
        return [p for p in inspect.signature(forward).parameters if p != "self"]
    n, k = code.co_argcount, code.co_kwonlyargcount
    names = list(code.co_varnames[1:n])  # the first is the bound instance
    extra = n + k
    if code.co_flags & inspect.CO_VARARGS:
        names.append(code.co_varnames[extra])
        extra += 1
    names += code.co_varnames[n:n + k]
    if code.co_flags & inspect.CO_VARKEYWORDS:
        names.append(code.co_varnames[extra])
    return [p for p in names if p != "self"]


def _where(cap: Capture, tracer: _Tracer, exc: BaseException) -> str:
    open_calls = [cap.nodes[i] for i in tracer.stack[1:]]
    where = " > ".join(f"{n.name} ({n.type})" for n in open_calls) or f"{cap.nodes[0].type}.forward"
    op = f", in op `{tracer.current}`" if tracer.current else ""
    calls = sum(1 for n in cap.nodes if n.kind == "module")  # the same in the summary's pass and the graph's
    return f"capture stopped inside {where}{op} after {calls} module calls: {type(exc).__name__}: {exc}"


def _sum_flops(cap: Capture) -> None:
    """Module FLOPs are the sum of the ops they contain (children come after parents)."""
    for n in reversed(cap.nodes):
        if n.kind == "module":
            n.flops = sum(cap.nodes[c].flops for c in n.children)
