"""The ``torchscope`` command: ``torchscope demo | serve | report | summary | graph | runs | ...``.

Each subcommand is a small function taking parsed arguments; later capabilities add theirs in
``COMMANDS`` (name -> (help, configure parser, run)).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main"]


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default=None, help="store directory (default: $TORCHSCOPE_DIR or ./tsruns)")
    p.add_argument("--epochs", type=int, default=None, help="epochs of the two CNNs (default 3, 2 with --quick)")
    p.add_argument("--quick", action="store_true", help="a short version on scikit-learn's 8x8 digits (seconds), "
                                                        "as the tests use")
    p.add_argument("--data", default=None, help="your own image data set (MNIST IDX files, an image folder, "
                                                "an archive) instead of the embedded MNIST digits")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same runs (default 0)")
    p.add_argument("--no-serve", action="store_true", help="stop after writing the runs (no dashboard)")
    p.add_argument("--open", action="store_true", help="open the dashboard in a web browser once it serves")
    p.add_argument("--port", type=_port, default=6006,
                   help="dashboard port (default 6006; when taken, the next free one is used and said)")


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    tour = run_demo(dir=args.dir, data=args.data, epochs=args.epochs, quick=args.quick, seed=args.seed)
    if args.no_serve:
        return 0
    from .server.serve import serve

    print("serving the dashboard on these runs, opened on its Overview (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):  # a taken port: serve() takes the next free one and says so
        serve(tour.dir if tour.dir is not None else tour.location, port=args.port, open_browser=args.open)
    return 0


def _runs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=None, help="store directory or postgresql:// URL "
                                                        "(default: $TORCHSCOPE_STORE, $TORCHSCOPE_DIR or ./tsruns)")
    p.add_argument("--project", default=None, help="only the runs of this project (default: every project)")


def _port(text: str) -> int:
    from .server.serve import port_number

    return port_number(text)


def _runs(args: argparse.Namespace) -> int:
    from .store import open_store

    store = open_store(args.dir)
    rows = store.runs(project=args.project)
    if not rows:
        print(f"no runs in {store.location}")
        return 0
    print(f"{'id':12}  {'project':14}  {'name':20}  {'status':9}  keys")
    for r in rows:
        n = len(store.keys(r.id))
        print(f"{r.id:12}  {r.project[:14]:14}  {r.name[:20]:20}  {r.status:9}  {n}")
    return 0


def _import_tb_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("logdir", help="a TensorBoard log directory (searched recursively for event files)")
    p.add_argument("--to", default=None, help="store directory (default: $TORCHSCOPE_DIR or ./tsruns)")
    p.add_argument("--project", default="tensorboard", help="project name for the imported runs")


def _import_tb(args: argparse.Namespace) -> int:
    from .integrations import import_tensorboard
    from .store import open_store

    ids = import_tensorboard(args.logdir, args.to, project=args.project)
    store = open_store(args.to)
    for rid in ids:
        info = store.run(rid)
        points = sum(k.count for k in store.keys(rid, "scalar"))
        print(f"imported {info.name!r} as run {rid}: {points:,} scalar points")
    print(f"into {store.dir}; view with: torchscope serve {store.dir}")
    return 0


def _doctor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=None, help="store directory (default: $TORCHSCOPE_DIR or ./tsruns)")
    p.add_argument("--to", default=None, help="where to copy a damaged store's readable data "
                                               "(default: DIR-salvaged, a new directory)")
    p.add_argument("--check-only", action="store_true", help="only check; copy nothing")


def _doctor(args: argparse.Namespace) -> int:
    from .store.doctor import main as doctor

    return doctor(args.dir, args.to, repair=not args.check_only)


def _sync_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="a local store directory, or a directory with stores below it (one per node)")
    p.add_argument("dest", help="the team store: a postgresql:// URL")
    p.add_argument("--run", action="append", default=None, metavar="ID", help="only this run (repeat for more)")


def _sync(args: argparse.Namespace) -> int:
    from .store.sync import sync

    report = sync(args.src, args.dest, runs=args.run, progress=sys.stderr.isatty())
    print(report.text())
    return 0


def _version(args: argparse.Namespace) -> int:
    import torch

    from . import __version__

    print(f"torchscope {__version__} (torch {torch.__version__})")
    return 0


def _serve_args(p: argparse.ArgumentParser) -> None:
    from .server.serve import configure_parser

    configure_parser(p)


def _serve(args: argparse.Namespace) -> int:
    from .server.serve import run_command

    return run_command(args)


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "demo": ("the tour: five runs on the embedded MNIST digits (data, model, training, health, evaluation, "
             "explanations, GANs), then the dashboard", _demo_args, _demo),
    "runs": ("list the runs in a store", _runs_args, _runs),
    "import-tensorboard": ("convert TensorBoard event files into a torchscope store", _import_tb_args, _import_tb),
    "sync": ("push local stores (one per node, or many below a directory) into a PostgreSQL team store: "
             "only what is new, safe to run again or after a kill", _sync_args, _sync),
    "version": ("print versions", lambda p: None, _version),
    "doctor": ("check a store; copy what is readable of a damaged one into a new store", _doctor_args, _doctor),
    "serve": ("serve the live web dashboard over a store", _serve_args, _serve),
    "gan-lab": ("open the dashboard on the GAN lab: watch a GAN learn a 2-D distribution, live",
                lambda p: __import__("torchscope.server.panels.ganlab.cli", fromlist=["cli"]).configure(p),
                lambda a: __import__("torchscope.server.panels.ganlab.cli", fromlist=["cli"]).run(a)),
    "summary": ("a model's layers, output shapes, parameters, MACs and memory as a table (torchinfo's view)",
                lambda p: __import__("torchscope.model.cli", fromlist=["cli"]).configure_summary(p),
                lambda a: __import__("torchscope.model.cli", fromlist=["cli"]).run_summary(a)),
    "graph": ("draw a model's forward graph (or its autograd graph) as SVG, interactive HTML, DOT or PNG",
              lambda p: __import__("torchscope.model.cli", fromlist=["cli"]).configure_graph(p),
              lambda a: __import__("torchscope.model.cli", fromlist=["cli"]).run_graph(a)),
    "export": ("write a store's runs, scalars, histograms, texts and media manifest as Parquet or CSV files",
               lambda p: __import__("torchscope.export.cli", fromlist=["cli"]).configure(p),
               lambda a: __import__("torchscope.export.cli", fromlist=["cli"]).run(a)),
    "report": ("write one self-contained HTML file with every panel's view of runs (no server needed)",
               lambda p: __import__("torchscope.report.cli", fromlist=["cli"]).configure(p),
               lambda a: __import__("torchscope.report.cli", fromlist=["cli"]).run(a)),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchscope", description="See deep learning in PyTorch.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help, description=help))
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an argument the subcommand does not know is reported with that subcommand's
    usage (argparse alone reports it with the top-level one)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        subs = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        where = subs.choices.get(args.command) if subs is not None and args.command else None
        (where or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> Any:
    parser = build_parser()
    args = _parse(parser, argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command][2](args)
    except (ValueError, TypeError, OSError, sqlite3.Error) as exc:
        print(f"torchscope {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
