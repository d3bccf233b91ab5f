"""``torchscope summary MODEL`` and ``torchscope graph MODEL``: the model views from a terminal.

Examples::

    torchscope summary demo                  # the tour's CNN on one 1 x 28 x 28 MNIST digit
    torchscope summary torchvision.models:resnet18 --input-size 1,3,224,224 --depth 2
    torchscope graph nets.py:Net --kwargs '{"width": 64}' --input-size 1,3,32,32 -o net.html
    torchscope graph nets.py:Net --input-size 1,3,32,32 --autograd -o backward.svg

MODEL is ``package.module:NAME``, ``file.py:NAME`` or ``demo`` (see :mod:`.spec`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["configure_graph", "configure_summary", "run_graph", "run_summary"]

GRAPH_SUFFIXES = (".svg", ".html", ".htm", ".dot", ".gv", ".png", ".pdf", ".json")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL",
                   help="package.module:NAME, file.py:NAME or demo; NAME is a module, a module class or a "
                        "function returning one")
    p.add_argument("--input-size", action="append", default=None, metavar="SHAPE",
                   help="an input's shape, e.g. 1,3,224,224; repeat for a model taking several inputs "
                        "(random floats; integer --dtype gives zeros)")
    p.add_argument("--dtype", action="append", default=None, metavar="DTYPE",
                   help="each input's dtype (float32, int64, ...); one for all or one per --input-size")
    p.add_argument("--kwargs", default=None, metavar="JSON",
                   help="arguments for the class or function, as a JSON object: '{\"classes\": 100}'")
    p.add_argument("--mode", choices=("eval", "train"), default="eval", help="the mode of the forward pass")
    p.add_argument("--device", default="cpu", help="where to run the forward pass (cpu, cuda, cuda:1)")


def configure_summary(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--depth", type=int, default=3, help="nesting depth of the rows shown (default 3)")
    p.add_argument("--width", type=int, default=100, help="table width in characters (default 100)")
    p.add_argument("--no-flops", action="store_true", help="skip FLOP counting (faster on very large models)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="also save it: .png/.svg/.pdf (a table figure), .html or .json (every row)")


def configure_graph(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("-o", "--output", default="graph.svg", metavar="FILE",
                   help="the file to write: .svg (default graph.svg), .html (interactive: collapse, expand, "
                        "search), .dot (Graphviz), .png/.pdf or .json")
    p.add_argument("--depth", type=int, default=None,
                   help="modules expanded (default: a readable depth; the .html view expands on click)")
    p.add_argument("--expand-all", action="store_true", help="every module expanded down to single operations")
    p.add_argument("--no-fold", action="store_true", help="draw repeated blocks one by one, not as 'Block x12'")
    p.add_argument("--autograd", action="store_true",
                   help="draw the backward (autograd) graph of the output instead, as torchviz's make_dot")


def _call(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The model (on its device, eval/train as asked by the views themselves) and the capture arguments."""
    import torch

    from .spec import DEMO, load_model, parse_dtype, parse_size

    kwargs = None
    if args.kwargs:
        try:
            kwargs = json.loads(args.kwargs)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--kwargs is not valid JSON ({exc.msg}): write '{{\"name\": 3}}'") from None
        if not isinstance(kwargs, dict):
            raise ValueError("--kwargs must be a JSON object: '{\"name\": 3}'")
    model = load_model(args.model, kwargs)
    sizes = [parse_size(s) for s in args.input_size or []]
    if not sizes:
        if args.model.strip() not in ("demo", DEMO) or (kwargs or {}).get("in_channels", 1) != 1:
            raise ValueError("pass the input's shape: --input-size 1,3,32,32 (repeat it for several inputs)")
        sizes = [(1, 1, 28, 28)]  # the tour's data: MNIST digits, 1 x 28 x 28
    dtypes = [parse_dtype(d) for d in args.dtype or []]
    if len(dtypes) > 1 and len(dtypes) != len(sizes):
        raise ValueError(f"{len(dtypes)} --dtype for {len(sizes)} --input-size: give one for all, or one each")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: this torch sees no CUDA device")
    model = model.to(device)
    call: dict[str, Any] = {"input_size": sizes if len(sizes) > 1 else sizes[0], "mode": args.mode}
    if dtypes:
        call["dtypes"] = dtypes if len(dtypes) > 1 else [dtypes[0]] * len(sizes)
    return model, call


def run_summary(args: argparse.Namespace) -> int:
    from .summary import summary

    if args.depth < 0 or args.width < 40:
        raise ValueError("--depth must be 0 or more and --width at least 40")
    model, call = _call(args)
    rec = summary(model, depth=args.depth, flops=not args.no_flops, **call)
    print(rec.text(depth=args.depth, width=args.width))
    if args.output:
        path = rec.save(args.output)
        print(f"saved {path}", file=sys.stderr)
    return 1 if rec.error else 0


def run_graph(args: argparse.Namespace) -> int:
    suffix = Path(args.output).suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise ValueError(f"-o {args.output}: write one of {', '.join(GRAPH_SUFFIXES)}")
    model, call = _call(args)
    if args.autograd:
        rec = _autograd(model, call)
    else:
        from .graph import graph

        rec = graph(model, depth=args.depth, fold=not args.no_fold, **call)
        if args.expand_all:
            rec = rec.expand_all()
    path = rec.save(args.output)
    nodes = len(rec.view().nodes) if hasattr(rec, "view") else None
    print(f"wrote {path}" + (f" ({nodes} nodes shown)" if nodes is not None else ""))
    return 1 if getattr(rec, "error", None) else 0


def _autograd(model: Any, call: dict[str, Any]) -> Any:
    import torch

    from ._tree import make_call
    from .autograd import autograd_graph

    args, kw = make_call(model, input_size=call["input_size"], dtypes=call.get("dtypes"))
    was = model.training
    model.train(call["mode"] == "train")
    try:
        with torch.enable_grad():
            out = model(*args, **kw)
    finally:
        model.train(was)
    return autograd_graph(out, params=dict(model.named_parameters()))
