"""Model visualization benchmark: torchscope vs torchinfo, torchview and torchviz, same process.

For the same models and inputs (ResNet-18/50 at 224x224, U-Net, DCGAN G, BERT-base and GPT-2
built from their configs when ``transformers`` is installed), prints the best-of-N time of:
  1. the summary table: ``torchinfo.summary`` vs ``ts.summary`` with op-level FLOPs and with
     ``flops=False``, as ours/torchinfo ratios (below 1: torchscope is faster) over ``--rounds``
     rounds; in each round the three run in turn, each the best of ``--repeat`` calls, so a burst
     of load on a shared machine hits all three alike: the range and median of the rounds' ratios;
  2. the forward graph: torchview ``draw_graph`` build + SVG render (Graphviz ``dot``) vs
     ``ts.graph`` capture + our layout + SVG (no binary), at torchview's default depth (3) and
     fully expanded;
  3. the autograd graph: torchviz ``make_dot`` build + SVG render vs ``ts.autograd_graph`` + SVG;
  4. the layout of a 10,000-op graph (every op visible).
Lines 2-4 give the ratio their time / ours (above 1 means torchscope is faster). Nothing is
asserted. Tools that are not installed (or ``dot`` when missing) are reported as skipped.

Run: ``.venv/bin/python benchmarks/bench_model.py`` (``--quick`` for fewer repeats,
``--only summary`` for the summary alone, ``--threads 1`` for one intra-op thread).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.model.zoo import BasicBlock, Bottleneck, ResNet, UNet, dcgan_g

import torchscope.model as tsm
from torchscope.model.svg import compute


class Failed(float):
    """A competitor that raised: printed as its error instead of a time."""

    def __new__(cls, why: str) -> Failed:
        obj = super().__new__(cls, float("nan"))
        obj.why = why  # type: ignore[attr-defined]
        return obj


def attempt(fn: Any, repeat: int) -> float:
    """``timeit`` for competitors: their failure is a result, not a crash."""
    try:
        return timeit(fn, repeat)
    except Exception as exc:
        return Failed(f"{type(exc).__name__}: {str(exc)[:50]}")


def timeit(fn: Any, repeat: int, warm: bool = True, clock: Any = time.perf_counter) -> float:
    """The best of ``repeat`` runs after a warm-up: the cost without interference from other load."""
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def models() -> dict[str, tuple[nn.Module, Any]]:
    torch.manual_seed(0)
    out: dict[str, tuple[nn.Module, Any]] = {
        "ResNet-18": (ResNet(BasicBlock, [2, 2, 2, 2]), torch.randn(1, 3, 224, 224)),
        "ResNet-50": (ResNet(Bottleneck, [3, 4, 6, 3]), torch.randn(1, 3, 224, 224)),
        "U-Net": (UNet(3, 32, 2), torch.randn(1, 3, 128, 128)),
        "DCGAN-G": (dcgan_g(100, 64), torch.randn(1, 100, 1, 1)),
    }
    try:
        import transformers

        transformers.logging.set_verbosity_error()
        ids = torch.randint(0, 1000, (1, 128))
        out["BERT-base"] = (transformers.BertModel(transformers.BertConfig()), {"input_ids": ids})
        out["GPT-2"] = (transformers.GPT2LMHeadModel(transformers.GPT2Config()), {"input_ids": ids})
    except ImportError:
        print("transformers not installed: BERT-base and GPT-2 skipped")
    for m, _ in out.values():
        m.eval()
    return out


def call(model: nn.Module, x: Any) -> Any:
    return model(**x) if isinstance(x, dict) else model(x)


def row(label: str, theirs: float | None, ours: float, what: str) -> None:
    if isinstance(theirs, Failed):
        print(f"  {label:<34} {'FAILED':>10}   torchscope {ours * 1e3:8.1f} ms   ({theirs.why})")  # type: ignore
    elif theirs is None:
        print(f"  {label:<34} {'skipped':>10}   torchscope {ours * 1e3:8.1f} ms   ({what})")
    else:
        print(f"  {label:<34} {theirs * 1e3:8.1f} ms   torchscope {ours * 1e3:8.1f} ms   x{theirs / ours:5.2f}")


def bench_summary(name: str, model: nn.Module, x: Any, repeat: int, rounds: int, clock: Any) -> None:
    try:
        import torchinfo
    except ImportError:
        print(f"  {'summary (torchinfo)':<34} skipped: torchinfo not installed "
              f"(torchscope {timeit(lambda: tsm.summary(model, x), repeat) * 1e3:.1f} ms)")
        return
    tools = {"torchinfo": lambda: torchinfo.summary(model, input_data=x, verbose=0),
             "flops": lambda: tsm.summary(model, x), "lean": lambda: tsm.summary(model, x, flops=False)}
    for fn in tools.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in tools}
    for r in range(rounds):
        order = list(tools)[r % 3:] + list(tools)[:r % 3]  # who goes first changes each round
        for k in order:
            times[k].append(timeit(tools[k], repeat, warm=False, clock=clock))
    s = tsm.summary(model, x)
    info = torchinfo.summary(model, input_data=x, verbose=0)
    theirs = statistics.median(times["torchinfo"])
    print(f"  {'summary: torchinfo':<34} {theirs * 1e3:8.1f} ms   (MACs: torchinfo {info.total_mult_adds / 1e6:,.1f}M, "
          f"torchscope {s.total_macs / 1e6:,.1f}M at the op level)")
    for k, label in (("flops", "ts.summary (op-level FLOPs)"), ("lean", "ts.summary(flops=False)")):
        ratios = sorted(o / t for o, t in zip(times[k], times["torchinfo"]))
        print(f"  {label:<34} {statistics.median(times[k]) * 1e3:8.1f} ms   ours/torchinfo "
              f"{ratios[0]:.2f}-{ratios[-1]:.2f} (median {statistics.median(ratios):.2f}, {rounds} rounds)")


def bench_graph(name: str, model: nn.Module, x: Any, repeat: int, has_dot: bool) -> None:
    ours_build = timeit(lambda: tsm.graph(model, x, depth=3), repeat)
    g = tsm.graph(model, x, depth=3)
    ours_render = timeit(lambda: g.svg(), repeat)
    full = g.expand_all()
    ours_full = timeit(lambda: full.svg(), max(1, repeat // 2))
    try:
        from torchview import draw_graph

        data = x if not isinstance(x, dict) else x["input_ids"]
        tv_build = attempt(lambda: draw_graph(model, input_data=data, depth=3, device="cpu"), repeat)
        tv_render = None
        if has_dot and not isinstance(tv_build, Failed):
            tv = draw_graph(model, input_data=data, depth=3, device="cpu")
            tv_render = timeit(lambda: tv.visual_graph.pipe(format="svg"), repeat)
    except ImportError:
        tv_build = tv_render = None
    row("graph build (torchview depth 3)", tv_build, ours_build, "torchview not installed")
    if isinstance(tv_build, Failed):
        row("graph build+SVG (torchview)", tv_build, ours_build + ours_render, "")
    elif tv_build is not None and tv_render is not None:
        row("graph build+SVG (torchview)", tv_build + tv_render, ours_build + ours_render, "")
    else:
        row("graph build+SVG (torchview)", None, ours_build + ours_render, "dot binary or torchview missing")
    print(f"  {'':<34} visible nodes {len(g.view().nodes)} (depth 3), {len(full.view().nodes)} fully expanded: "
          f"full layout+SVG {ours_full * 1e3:.1f} ms")


def bench_autograd(name: str, model: nn.Module, x: Any, repeat: int, has_dot: bool) -> None:
    params = dict(model.named_parameters())
    with torch.enable_grad():
        out = call(model, x)
    tensor = out if isinstance(out, torch.Tensor) else out[0]
    ours = timeit(lambda: tsm.autograd_graph(tensor, params=params).svg(), repeat)
    try:
        from torchviz import make_dot

        build = attempt(lambda: make_dot(tensor, params=params, show_saved=True), repeat)
        if isinstance(build, Failed) or not has_dot:
            theirs = build if isinstance(build, Failed) else None
        else:
            dot = make_dot(tensor, params=params, show_saved=True)
            theirs = build + timeit(lambda: dot.pipe(format="svg"), max(1, repeat // 2))
    except ImportError:
        theirs = None
    row("autograd build+SVG (torchviz)", theirs, ours, "torchviz or dot missing")


class Deep(nn.Module):
    """A chain of blocks with residuals, about 5 ops each: ``Deep(2250)`` gives about 10,000 ops."""

    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(8, 8) for _ in range(blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, lin in enumerate(self.blocks):
            h = torch.relu(lin(x))
            x = (x + h) * 0.5 if i % 2 else torch.cat([x[:, :4], h[:, 4:]], 1)
        return x


def bench_layout() -> None:
    g = tsm.graph(Deep(2250), torch.randn(2, 8), fold=False).expand_all()
    view = g.view()
    ops = sum(1 for n in g.nodes if n["kind"] == "op")
    t = time.perf_counter()
    compute(view)
    lay = time.perf_counter() - t
    t = time.perf_counter()
    g.svg()
    svg = time.perf_counter() - t
    print(f"  {ops:,} ops, {len(view.nodes):,} visible nodes, {len(view.edges):,} edges: layout {lay:.2f} s "
          f"(goal < 2 s), layout + SVG {svg:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["summary", "graph"], help="run one part only")
    ap.add_argument("--rounds", type=int, help="summary rounds (default 9, 5 with --quick)")
    ap.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="summary times: wall clock, or this process's CPU time (steadier on a loaded machine; "
                         "with --threads 1 it is the work done)")
    args = ap.parse_args()
    repeat = 3 if args.quick else 7
    rounds = args.rounds or (5 if args.quick else 9)
    if args.threads:
        torch.set_num_threads(args.threads)
    has_dot = shutil.which("dot") is not None
    warnings.simplefilter("ignore")
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.clock} clock; "
          f"graphviz dot: {'yes' if has_dot else 'no (renders skipped)'}")
    for name, (model, x) in models().items():
        with torch.no_grad():
            fwd = timeit(lambda: call(model, x), repeat)  # noqa: B023
        print(f"\n{name}  ({sum(p.numel() for p in model.parameters()):,} parameters; "
              f"the forward pass alone takes {fwd * 1e3:.1f} ms)")
        if args.only != "graph":
            bench_summary(name, model, x, max(1, repeat // 2), rounds, clock)
        if args.only != "summary":
            bench_graph(name, model, x, repeat, has_dot)
            bench_autograd(name, model, x, max(1, repeat // 2), has_dot)
    if args.only != "summary":
        print("\n10,000-op graph, fully expanded")
        bench_layout()


if __name__ == "__main__":
    main()
