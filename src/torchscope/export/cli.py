"""``torchscope export DIR --format parquet|csv -o OUT``: the tables of :mod:`torchscope.export` as files."""

from __future__ import annotations

import argparse
import sys

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    """The ``export`` subcommand's options."""
    p.add_argument("dir", nargs="?", default=None,
                   help="a store: a directory (default: $TORCHSCOPE_DIR or ./tsruns) or a postgresql:// URL")
    p.add_argument("-o", "--out", required=True, help="the folder to write (created if missing)")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="parquet (needs pyarrow or polars: pip install 'torchscope[export]') or csv (no extra)")
    p.add_argument("--run", action="append", default=None, dest="runs", metavar="ID_OR_NAME",
                   help="only this run (repeatable)")
    p.add_argument("--project", default=None, help="only runs of this project")
    p.add_argument("--tag", action="append", default=None, dest="tags", help="only runs with this tag (repeatable)")
    p.add_argument("--key", action="append", default=None, dest="keys", help="only this key (repeatable)")


def run(args: argparse.Namespace) -> int:
    """Write the tables; print what was written."""
    from ..store import open_store
    from . import export_dir
    from ._files import FORMATS

    assert args.format in FORMATS
    store = open_store(args.dir)
    try:
        written = export_dir(store, args.out, format=args.format, runs=args.runs, project=args.project,
                             tags=args.tags, keys=args.keys)
    except ImportError as exc:
        print(f"torchscope export: error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    for name, path in written.items():
        print(f"{name:11} {path}")
    return 0
