"""``torchscope report [RUN_OR_DIR] [-o report.html] [--run ID ...] [--panel NAME ...]``.

Example::

    torchscope report tsruns -o report.html --run 86ed39ce9ba3
"""

from __future__ import annotations

import argparse
import sys

from .plans import Limits

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", default=None, metavar="RUN_OR_DIR",
                   help="a store directory (default: $TORCHSCOPE_DIR or ./tsruns), a directory of run "
                        "directories, or a run id in the default store")
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write (default report.html)")
    p.add_argument("--run", action="append", default=None, metavar="ID",
                   help="only this run (id or name); repeat for several (default: every run not archived)")
    p.add_argument("--panel", action="append", default=None, metavar="NAME",
                   help="only this panel (scalars, images, graph, ...); repeat for several (default: all)")
    p.add_argument("--title", default=None, help="the report's title (default: from the run names)")
    p.add_argument("--buckets", type=int, default=Limits.buckets,
                   help=f"points per scalar series in the charts (default {Limits.buckets}; the CSV keeps all)")
    p.add_argument("--max-steps", type=int, default=Limits.max_steps,
                   help=f"image and sample steps kept per timeline (default {Limits.max_steps})")
    p.add_argument("--no-csv", action="store_true", help="do not attach the exact CSV of each scalar key")
    p.add_argument("--csv-points", type=int, default=Limits.max_csv_points,
                   help=f"points in all CSV files, the smallest keys first (default {Limits.max_csv_points:,})")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def run(args: argparse.Namespace) -> int:
    from .build import build_report

    if args.buckets < 16 or args.max_steps < 1:
        raise ValueError("--buckets must be at least 16 and --max-steps at least 1")
    limits = Limits(buckets=args.buckets, max_steps=args.max_steps, csv=not args.no_csv, max_csv_points=args.csv_points)
    build_report(args.target, args.output, runs=args.run, panels=args.panel, title=args.title, limits=limits,
                 progress=None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True)))
    return 0
