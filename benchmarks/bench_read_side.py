"""Read-side benchmark, before and after: the dashboard API, ``torchscope serve`` start-up, and the report.

Runs the same measurements against two source trees of torchscope (``--before``: a git revision,
checked out into a temporary worktree; "after" is the working tree, or ``--after REV``, another
worktree: committed code only, whatever else the working tree holds), each in fresh processes:

1. ``torchscope serve`` on a store of RUNS x KEYS x POINTS (default 100 x 10 x 100,000; built once,
   cached under /tmp, shared with ``bench_dashboard.py``): seconds from the process start to the
   first answer of ``/api/runs``; right then, the query the Scalars panel makes first (its first key,
   all runs, ``--panel-buckets`` = 512 buckets, binary: what headless Chromium asks at 1280x900 and
   1920x1080, one bucket per device pixel rounded up to a multiple of 256; as a browser opened at
   once would), and the time from the process start to that answer; then, once the start-up warm-up
   is done, the first Scalars query
   (all runs, one key, 2,000 buckets, binary), the median of ``--warm-calls`` more (default 5;
   finished runs' series are cached), and five uncached ones (new bucket counts each time);
2. ``torchscope report`` of the demo store (``torchscope demo --quick --no-serve``, built once).

``--cold`` drops the OS file cache before each server start (``sync; echo 3 > /proc/sys/vm/drop_caches``,
root only): the store comes off the disk. Ranges (min-max over the rounds) are printed beside the medians.

Before and after alternate for ``--rounds`` rounds (default 3) and the medians are printed, with
the ratio after/before (below 1 is faster). Not a test: figures vary with
the machine; the issue's rule is that neither the API nor the report gets slower.

    python benchmarks/bench_read_side.py [--before 2f5dcd3] [--after HEAD] [--runs 100 --keys 10 --points 100000]
                                         [--rounds 3] [--warm-calls 5] [--quick] [--cold] [--no-report]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 300) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return bytes(r.read())


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.pop("TORCHSCOPE_DIR", None)
    return env


def drop_os_cache() -> None:
    """Empty the OS file cache (root only): the next reads come off the disk."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def measure_serve(src: Path, store: Path, key: str, buckets: int, warm_calls: int = 5, panel_buckets: int = 512,
                  cold: bool = False) -> dict[str, float]:
    if cold:
        drop_os_cache()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "torchscope", "serve", str(store), "--port", str(port)],
                            env=_env(src), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                runs = json.loads(_get(base + "/api/runs", timeout=5))["runs"]
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t0 > 120:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.02)
        start = time.perf_counter() - t0
        ids = [r["id"] for r in runs]

        def series(b: int) -> float:
            q = urllib.parse.urlencode([("key", key), *(("run", i) for i in ids), ("buckets", b), ("x", "step"),
                                        ("format", "bin")])
            t = time.perf_counter()
            _get(f"{base}/api/scalars/series?{q}")
            return time.perf_counter() - t

        panel = series(panel_buckets)  # the panel's first query, the moment the server answers
        panel_total = time.perf_counter() - t0
        deadline = time.perf_counter() + 180  # the start-up warm-up reads the first screen: let it finish
        while json.loads(_get(base + "/api/health"))["warm"]["state"] == "running" and time.perf_counter() < deadline:
            time.sleep(0.1)
        warm_up = json.loads(_get(base + "/api/health"))["warm"].get("seconds", 0.0)
        first = series(buckets)
        warm = statistics.median(series(buckets) for _ in range(warm_calls))
        uncached = statistics.median(series(buckets + 7 * (i + 1)) for i in range(5))
        return {"start_s": start, "panel_s": panel, "panel_total_s": panel_total, "warmup_s": warm_up,
                "first_s": first, "warm_s": warm, "uncached_s": uncached}
    finally:
        proc.terminate()
        proc.wait(10)


def measure_report(src: Path, store: Path) -> float:
    out = Path(tempfile.mkdtemp()) / "r.html"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "torchscope", "report", str(store), "-o", str(out)], env=_env(src),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    shutil.rmtree(out.parent, ignore_errors=True)
    return dt


def worktree(rev: str) -> Path:
    """The ``src`` of ``rev`` checked out (once) in a detached worktree under the temporary directory."""
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    where = Path(tempfile.gettempdir()) / f"torchscope-bench-{rev}"
    if not where.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev], check=True,
                       stdout=subprocess.DEVNULL)
    return where / "src"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="2f5dcd3", help="the git revision to compare with")
    ap.add_argument("--after", default=None, help="a git revision to measure instead of the working tree")
    ap.add_argument("--warm-calls", type=int, default=5, help="warm (cached) calls per round; their median is kept")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--buckets", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are printed")
    ap.add_argument("--panel-buckets", type=int, default=512, help="the Scalars panel's first query's buckets")
    ap.add_argument("--cold", action="store_true", help="drop the OS file cache before each server start (root)")
    ap.add_argument("--no-report", action="store_true", help="skip torchscope report")
    ap.add_argument("--quick", action="store_true", help="20 x 4 x 20,000 points (a smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.keys, args.points = 20, 4, 20_000
    from bench_dashboard import build_store

    # the same place as bench_dashboard.py's (its TensorBoard logs sit beside it in the parent)
    store = Path(tempfile.gettempdir()) / f"torchscope-bench-{args.runs}x{args.keys}x{args.points}" / "tsruns"
    build_store(store, args.runs, args.keys, args.points)
    demo = Path(tempfile.gettempdir()) / "torchscope-bench-demo-store"
    if not (demo / "torchscope.db").exists():
        subprocess.run([sys.executable, "-m", "torchscope", "demo", "--quick", "--no-serve", "--dir", str(demo)],
                       env=_env(ROOT / "src"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    trees = {"before": worktree(args.before), "after": worktree(args.after) if args.after else ROOT / "src"}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):  # before and after alternate, so a busy moment costs both alike
        for name, src in trees.items():
            one = measure_serve(src, store, "metric/0", args.buckets, args.warm_calls, args.panel_buckets, args.cold)
            if not args.no_report:
                one["report_s"] = measure_report(src, demo)
            samples[name].append(one)
    got = {name: {k: statistics.median(s[k] for s in rows) for k in rows[0]} for name, rows in samples.items()}
    print(f"read side on {args.runs} runs x {args.keys} keys x {args.points:,} points; before = {args.before}, "
          f"after = {args.after or 'the working tree'}; medians [min-max] of {args.rounds} alternating rounds; "
          f"OS file cache {'dropped before each start' if args.cold else 'warm'}")
    rows = [("torchscope serve: start to first answer", "start_s"),
            (f"panel's first query ({args.panel_buckets} buckets) right then", "panel_s"),
            ("  process start to that answer", "panel_total_s"),
            ("  the start-up warm-up took", "warmup_s"),
            (f"scalars API, all runs, {args.buckets} buckets: first call", "first_s"),  # after the warm-up
            (f"  warm (median of {args.warm_calls})", "warm_s"), ("  uncached (median of 5)", "uncached_s"),
            ("torchscope report of the demo store", "report_s")]

    def span(name: str, k: str) -> str:
        v = [s[k] * 1000 for s in samples[name]]
        return f"{statistics.median(v):7.1f} [{min(v):.0f}-{max(v):.0f}]"

    for label, k in rows:
        if k not in got["before"]:
            continue
        b, a = got["before"][k], got["after"][k]
        print(f"  {label:52} before {span('before', k):>20} ms   after {span('after', k):>20} ms   "
              f"ratio {a / b if b else float('nan'):5.2f}")


if __name__ == "__main__":
    main()
