"""Dashboard benchmark: scalars API and first paint vs TensorBoard on the same data.

A store of RUNS x KEYS x POINTS (default 100 x 10 x 100,000; cached under /tmp) is served by
torchscope as ``torchscope serve`` runs it (with its start-up warm-up); we time (1) the scalars
panel's query: all runs, one key, 2,000 buckets (the first call right after start, then the median
of the next five; and uncached: new bucket counts), (2) the first complete paint of the Scalars panel in
headless Chromium (filtered to that key, and the whole panel), also on a fresh server without
warm-up, and (3) TensorBoard on the same points of that key: the time from
launch until its scalars API answers for every run with the last step loaded. Prints figures and
ratios. TensorBoard gets only the measured tag (writing 10^8 events takes too long), which favours it.
It also times (4) the first complete paint of the Overview (where the dashboard opens) over those runs.

``--tour`` measures the tour instead: ``torchscope demo --no-serve`` and ``--quick`` in fresh
processes (a fresh feature-extractor cache, as on a first run; the machine's load average said),
then the first complete paint of the Overview (every card and thumbnail drawn) and of Scalars
(every visible chart drawn) over the full tour's store, served as ``torchscope serve`` serves it.

    python benchmarks/bench_dashboard.py [--runs 100 --keys 10 --points 100000] [--no-tensorboard]
    python benchmarks/bench_dashboard.py --tour [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np


def build_store(path: Path, runs: int, keys: int, points: int) -> None:
    from torchscope.store import Batch, SQLiteWriter

    if (path / ".complete").exists():
        return
    shutil.rmtree(path, ignore_errors=True)
    rng = np.random.default_rng(0)
    steps = np.arange(points, dtype=np.int64)
    walls = 1.7e9 + steps * 0.01
    t = time.time()
    for r in range(runs):
        w = SQLiteWriter(path, uuid.uuid4().hex[:12])
        w.create_run(project="bench", name=f"run-{r:03d}", config={"lr": float(10 ** -rng.uniform(2, 4)), "seed": r},
                     tags=["bench"])
        for k in range(keys):
            vals = np.exp(-steps / (20000 + 500 * k)) + 0.05 * rng.standard_normal(points)
            w.write(Batch(scalars={(f"metric/{k}", 0): (steps, walls, vals)}))
        w.finish()
        w.close()
    (path / ".complete").write_text("ok")
    print(f"built store {path} in {time.time() - t:.1f} s")


# -- TensorBoard event files, written fast (hand-encoded protos, vectorized CRC32C) ----------------
def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[i] = c
    return table


TABLE = _crc_table()


def _masked_crc(rows: np.ndarray) -> np.ndarray:
    crc = np.full(len(rows), 0xFFFFFFFF, np.uint32)
    for j in range(rows.shape[1]):
        crc = TABLE[(crc ^ rows[:, j]) & 0xFF] ^ (crc >> np.uint32(8))
    crc ^= np.uint32(0xFFFFFFFF)
    return (((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)).astype(np.uint32)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_tb_run(logdir: Path, tag: str, steps: np.ndarray, walls: np.ndarray, vals: np.ndarray) -> None:
    logdir.mkdir(parents=True, exist_ok=True)
    tagb = tag.encode()
    value = b"\x0a" + _varint(len(tagb)) + tagb + b"\x15"
    events = [b"\x09" + struct.pack("<d", walls[0]) + b"\x1a" + _varint(13) + b"brain.Event:2"]
    for s, w, v in zip(steps.tolist(), walls.tolist(), vals.tolist()):
        val = value + struct.pack("<f", v)
        summ = b"\x0a" + _varint(len(val)) + val
        events.append(b"\x09" + struct.pack("<d", w) + b"\x10" + _varint(s) + b"\x2a" + _varint(len(summ)) + summ)
    lens = np.array([len(e) for e in events], np.uint64)
    heads = lens.astype("<u8").view(np.uint8).reshape(-1, 8)
    head_crc = _masked_crc(heads)
    data_crc = np.zeros(len(events), np.uint32)
    for n in np.unique(lens):
        idx = np.flatnonzero(lens == n)
        rows = np.frombuffer(b"".join(events[i] for i in idx), np.uint8).reshape(len(idx), int(n))
        data_crc[idx] = _masked_crc(rows)
    with open(logdir / f"events.out.tfevents.{int(walls[0])}.bench", "wb") as f:
        for i, e in enumerate(events):
            f.write(heads[i].tobytes() + struct.pack("<I", head_crc[i]) + e + struct.pack("<I", data_crc[i]))


def build_tb(path: Path, store_dir: Path, key: str) -> list[str]:
    import torchscope as ts

    store = ts.open(store_dir)
    names = []
    if not (path / ".complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        t = time.time()
        for r in store.runs():
            s = store.scalars(r.id, key)
            write_tb_run(path / r.name, key, s.step, s.wall_time, s.value)
        (path / ".complete").write_text("ok")
        print(f"wrote TensorBoard event files in {time.time() - t:.1f} s")
    names = sorted(p.name for p in path.iterdir() if p.is_dir())
    return names


def time_tensorboard(logdir: Path, runs: list[str], tag: str, last_step: int, timeout: float) -> float | None:
    from torchscope.server.serve import free_port

    port = free_port()
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port", str(port),
                             "--host=127.0.0.1", "--reload_interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            pending = set(runs)
            while pending and time.time() - t0 < timeout:
                for run in list(pending):
                    try:
                        r = c.get("/data/plugin/scalars/scalars", params={"run": run, "tag": tag})
                        if r.status_code == 200 and r.json() and r.json()[-1][1] == last_step:
                            pending.discard(run)
                    except (httpx.HTTPError, ValueError):
                        break
                if pending:
                    time.sleep(0.1)
            return None if pending else time.time() - t0
    finally:
        proc.terminate()
        proc.wait(10)


def time_paint(url: str, key_filter: str | None) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        state = "{smoothing: 0.6, filter: %r}" % (key_filter or "")
        page.add_init_script(f"localStorage.setItem('torchscope.panel.scalars', JSON.stringify({state}))")
        t0 = time.time()
        page.goto(url + "#scalars")
        page.wait_for_function("() => { const cs = [...document.querySelectorAll('.grid .card')].filter((c) => {"
                               " const r = c.getBoundingClientRect(); return r.top < innerHeight; });"
                               " return cs.length && cs.every((c) => c.dataset.state === 'drawn'); }", timeout=120000)
        dt = time.time() - t0
        b.close()
        return dt


def time_overview(url: str) -> float:
    """The first complete paint of the Overview, where the dashboard opens: every card drawn, pictures decoded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        t0 = time.time()
        page.goto(url)  # no panel named: the Overview
        page.wait_for_function("() => { const cs = [...document.querySelectorAll('.ov-card')];"
                               " return cs.length && cs.every((c) => c.dataset.state !== 'pending'); }", timeout=120000)
        dt = time.time() - t0
        b.close()
        return dt


def run_tour(quick: bool, dir: Path, cache: Path) -> tuple[float, float]:
    """``torchscope demo --no-serve [--quick]`` in a fresh process: (wall seconds, the tour's own seconds)."""
    shutil.rmtree(dir, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "TORCHSCOPE_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "torchscope", "demo", "--no-serve", "--dir", str(dir), *(["--quick"] if quick else [])]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    wall = time.perf_counter() - t
    return wall, float(re.search(r"whole tour in ([\d.]+) s", out).group(1))


def tour_bench(args: argparse.Namespace) -> None:
    from torchscope.server import create_app
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.server.util import ServerThread

    root = Path(os.environ.get("TMPDIR", "/tmp")) / "torchscope-bench-tour"
    print(f"{os.cpu_count()} CPUs; load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for quick in (True, False):
        got = [run_tour(quick, root / ("quick" if quick else "full"), root / "cache") for _ in range(args.repeat)]
        walls = ", ".join(f"{w:.1f}" for w, _ in got)
        print(f"torchscope demo --no-serve{' --quick' if quick else ''}: {walls} s wall (process start to exit; "
              f"the tour itself {', '.join(f'{t:.1f}' for _, t in got)} s); goal < {30 if quick else 180} s; "
              f"load average now {os.getloadavg()[0]:.1f}")
    with ServerThread(create_app(root / "full"), lifespan="on") as url:
        overview = [time_overview(url + "/") for _ in range(args.repeat)]
        scalars = [time_paint(url + "/", None) for _ in range(args.repeat)]
    print(f"first complete paint over the tour's store (5 runs), headless Chromium, 1280x900: Overview "
          f"{', '.join(f'{t * 1000:.0f}' for t in overview)} ms; Scalars (visible charts) "
          f"{', '.join(f'{t * 1000:.0f}' for t in scalars)} ms")


def wait_warm(c: httpx.Client, timeout: float = 120) -> dict[str, float]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        warm = c.get("/api/health").json()["warm"]
        if warm["state"] != "running":
            return warm
        time.sleep(0.5)
    raise RuntimeError("the warm-up did not finish")


def probe_first_call(store_dir: Path, buckets: int) -> float:
    """In a fresh process: start the server as `torchscope serve` does and time its first scalars answer."""
    import torchscope as ts
    from torchscope.server import create_app
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.server.util import ServerThread

    ids = [r.id for r in ts.open(store_dir).runs()]
    params = {"key": "metric/0", "run": ids, "buckets": buckets, "format": "bin"}
    with ServerThread(create_app(store_dir), lifespan="on") as url, httpx.Client(base_url=url, timeout=120) as c:
        t = time.perf_counter()
        assert c.get("/api/scalars/series", params=params).status_code == 200
        return time.perf_counter() - t


def cold_first_call(args: argparse.Namespace, repeats: int = 3) -> list[float] | None:
    """The first answer after the OS dropped its file cache (the store read from disk), or None if not allowed.

    A fresh process each time: a process that has the store's pages mapped keeps them in memory.
    """
    out = []
    for _ in range(repeats):
        try:
            os.sync()
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError:
            return None
        cmd = [sys.executable, __file__, "--probe-cold", "--runs", str(args.runs), "--keys", str(args.keys),
               "--points", str(args.points), "--buckets", str(args.buckets)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out.append(float(res.stdout.strip().splitlines()[-1]) / 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--buckets", type=int, default=2000)
    ap.add_argument("--no-tensorboard", action="store_true")
    ap.add_argument("--tb-timeout", type=float, default=600)
    ap.add_argument("--probe-cold", action="store_true", help=argparse.SUPPRESS)  # internal: see cold_first_call
    ap.add_argument("--tour", action="store_true", help="time the tour and the first paints over its store")
    ap.add_argument("--repeat", type=int, default=1, help="with --tour: rounds of each measurement")
    args = ap.parse_args()
    if args.tour:
        tour_bench(args)
        return
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"torchscope-bench-{args.runs}x{args.keys}x{args.points}"
    store_dir = root / "tsruns"
    if args.probe_cold:
        print(f"{probe_first_call(store_dir, args.buckets) * 1000:.0f}")
        return
    build_store(store_dir, args.runs, args.keys, args.points)

    import torchscope as ts
    from torchscope.server import create_app
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.server.util import ServerThread

    ids = [r.id for r in ts.open(store_dir).runs()]
    key = "metric/0"
    params = {"key": key, "run": ids, "buckets": args.buckets}
    # as `torchscope serve` runs it: the lifespan starts the warm-up (see server/warm.py)
    with ServerThread(create_app(store_dir), lifespan="on") as url, httpx.Client(base_url=url, timeout=120) as c:
        times = []
        for _ in range(6):
            t = time.perf_counter()
            r = c.get("/api/scalars/series", params={**params, "format": "bin"})
            times.append(time.perf_counter() - t)
            assert r.status_code == 200
        t = time.perf_counter()
        size = len(c.get("/api/scalars/series", params=params).content)
        t_json = time.perf_counter() - t
        api_cold, api_warm = times[0], statistics.median(times[1:])
        print(f"store: {args.runs} runs x {args.keys} keys x {args.points:,} points")
        print(f"scalars API (all runs, 1 key, {args.buckets} buckets, binary): first {api_cold * 1000:.0f} ms "
              f"(right after start, beside the warm-up), median of next 5 {api_warm * 1000:.0f} ms; "
              f"JSON form {t_json * 1000:.0f} ms ({size / 1e6:.1f} MB)")
        fresh = []
        for b in range(5):  # bucket counts nobody asked for: the store reads again, no cache
            t = time.perf_counter()
            c.get("/api/scalars/series", params={**params, "buckets": args.buckets - 1 - b, "format": "bin"})
            fresh.append(time.perf_counter() - t)
        print(f"  the same without the server's cache (new bucket counts): "
              f"median {statistics.median(fresh) * 1000:.0f} ms")
        cold = cold_first_call(args)
        if cold is None:
            print("  cold disk: not measured (dropping the OS file cache needs root)")
        else:
            print(f"  first call on a cold disk (OS file cache dropped, fresh server): "
                  f"{', '.join(f'{c * 1000:.0f}' for c in cold)} ms")
        warm = wait_warm(c)
        print(f"  warm-up: {warm['reads']} reads in {warm['seconds']:.1f} s")
        paint_one = time_paint(url + "/", f"^{key}$")
        paint_all = time_paint(url + "/", None)
        print(f"first complete paint, Scalars panel in headless Chromium: {paint_one * 1000:.0f} ms (one key), "
              f"{paint_all * 1000:.0f} ms (all {args.keys} keys, visible charts)")
        print(f"first complete paint of the Overview ({args.runs} runs): {time_overview(url + '/') * 1000:.0f} ms")
    with ServerThread(create_app(store_dir, warm=False)) as url:
        cold_one = time_paint(url + "/", f"^{key}$")
        print(f"  on a fresh server with no warm-up: {cold_one * 1000:.0f} ms (one key)")
    if args.no_tensorboard:
        return
    names = build_tb(root / "tb", store_dir, key)
    tb = time_tensorboard(root / "tb", names, key, args.points - 1, args.tb_timeout)
    if tb is None:
        print(f"TensorBoard: scalars API not complete within {args.tb_timeout:.0f} s")
        return
    print(f"TensorBoard (same {key} points, launch until its scalars API answers for every run): {tb * 1000:.0f} ms")
    print(f"ratios: TensorBoard / torchscope API = {tb / api_cold:.1f}x (cold), "
          f"TensorBoard / torchscope first paint = {tb / paint_one:.1f}x")


if __name__ == "__main__":
    main()
