"""Tracker and store benchmark: torchscope vs torch.utils.tensorboard.SummaryWriter, same process.

Measures (and prints as ratios, never asserts):
  1. cost per scalar of run.log() vs SummaryWriter.add_scalar(), and the time until 1,000,000
     scalars are durable on disk (log loop + flush);
  2. reading 1,000,000 points back: store.scalars() vs TensorBoard's EventAccumulator (asked to
     keep every point; by default it keeps 10,000 per tag);
  3. downsampling a 10,000,000-point series to 2,000 buckets;
  4. log_image (3x64x64) and log_histogram (1M values) on the caller's thread vs add_image / add_histogram;
  5. SummaryWriter.add_video / add_audio / add_mesh on the caller's thread, torchscope's vs TensorBoard's
     (TensorBoard encodes a GIF with moviepy, a WAV, and protobuf float lists there), and the tracker's own
     run.log_video / log_audio / log_points with the same data (checks and one copy there; the MP4, WAV,
     waveform and spectrogram are made on the writer thread, whose time per call is printed too);
  6. exporting the 10,000,000-point series to Parquet (``ts.export``) vs reading the same number of
     points with EventAccumulator (measured on the points of 2., scaled linearly: it reads one event at
     a time; ``--full`` writes and reads all 10,000,000 with TensorBoard, minutes).

Run: ``.venv/bin/python benchmarks/bench_tracker.py`` (``--quick`` for smaller sizes, ``--media`` for 5. alone).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import torchscope as ts
from torchscope.store import Batch, SQLiteWriter


def _timeit(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_log(root: Path, n: int, n_tb: int) -> dict[str, float]:
    from torch.utils.tensorboard import SummaryWriter

    out = {}
    run = ts.init(project="bench", name="log-1key", dir=root / "ts")
    t = time.perf_counter()
    for i in range(n):
        run.log({"loss": float(i)}, step=i)
    t_loop = time.perf_counter() - t
    run.flush()
    out["ts_1key_us"] = t_loop / n * 1e6
    out["ts_1key_durable_s"] = time.perf_counter() - t
    run.finish()

    run = ts.init(project="bench", name="log-10keys", dir=root / "ts")
    keys = [f"k{j}" for j in range(10)]
    t = time.perf_counter()
    for i in range(n // 10):
        v = float(i)
        run.log({k: v for k in keys}, step=i)
    t_loop = time.perf_counter() - t
    run.flush()
    out["ts_10key_us"] = t_loop / n * 1e6
    out["ts_10key_durable_s"] = time.perf_counter() - t
    run.finish()

    writer = SummaryWriter(str(root / "tb" / "log"))
    t = time.perf_counter()
    for i in range(n_tb):
        writer.add_scalar("loss", float(i), i)
    t_loop = time.perf_counter() - t
    writer.flush()
    out["tb_us"] = t_loop / n_tb * 1e6
    out["tb_durable_s_per_1M"] = (time.perf_counter() - t) / n_tb * 1_000_000
    writer.close()
    return out


def bench_read(root: Path, n: int) -> dict[str, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    tb_dir = root / "tb" / "read"
    writer = SummaryWriter(str(tb_dir))
    for i in range(n):
        writer.add_scalar("loss", float(i), i)
    writer.close()
    t = time.perf_counter()
    acc = EventAccumulator(str(tb_dir), size_guidance={"scalars": 0})
    acc.Reload()
    events = acc.Scalars("loss")
    tb_s = time.perf_counter() - t
    default = EventAccumulator(str(tb_dir))
    default.Reload()
    tb_default_kept = len(default.Scalars("loss"))

    store = ts.open(root / "ts")
    rid = next(r.id for r in store.runs() if r.name == "log-1key")
    ts_s = _timeit(lambda: store.scalars(rid, "loss"))
    kept = len(store.scalars(rid, "loss"))
    return {"tb_read_s": tb_s, "tb_kept": len(events), "tb_default_kept": tb_default_kept, "ts_read_s": ts_s,
            "ts_kept": kept}


def bench_downsample(root: Path, n: int) -> dict[str, float]:
    w = SQLiteWriter(root / "big", "big10m")
    w.create_run(project="bench", name="10M points", config={}, tags=[])
    chunk = 1_000_000
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    for start in range(0, n, chunk):
        steps = np.arange(start, start + chunk, dtype=np.int64)
        vals = np.cumsum(rng.normal(size=chunk)) + start
        w.write(Batch(scalars={("x", 0): (steps, np.full(chunk, 1.7e9) + steps * 1e-3, vals)}))
    build = time.perf_counter() - t
    w.finish()
    store = ts.open(root / "big")
    full = _timeit(lambda: store.scalars("big10m", "x", downsample=2000), repeat=7)
    zoom = _timeit(lambda: store.scalars("big10m", "x", downsample=2000, x_range=(n // 4, 3 * n // 4)), repeat=7)
    narrow = _timeit(lambda: store.scalars("big10m", "x", downsample=2000, x_range=(n // 2, n // 2 + n // 25)),
                     repeat=7)
    return {"build_s": build, "ds_full_ms": full * 1e3, "ds_zoom_ms": zoom * 1e3, "ds_narrow_ms": narrow * 1e3}


def _caller_ms(call, settle, reps: int) -> float:
    """Median time of ``call`` alone, letting background work finish (untimed) between calls."""
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
        settle()
    return statistics.median(times) * 1e3


def bench_media(root: Path, reps: int) -> dict[str, float]:
    from torch.utils.tensorboard import SummaryWriter

    img = torch.rand(3, 64, 64)
    values = torch.randn(1_000_000)
    run = ts.init(project="bench", name="media", dir=root / "ts")
    writer = SummaryWriter(str(root / "tb" / "media"))
    out = {
        "ts_image_ms": _caller_ms(lambda: run.log_image("img", img), run.flush, reps),
        "tb_image_ms": _caller_ms(lambda: writer.add_image("img", img, 0), writer.flush, reps),
        "ts_hist_ms": _caller_ms(lambda: run.log_histogram("h", values), run.flush, reps),
        "tb_hist_ms": _caller_ms(lambda: writer.add_histogram("h", values, 0), writer.flush, reps),
    }
    # what the background thread spends per item, for transparency
    t = time.perf_counter()
    for _ in range(reps):
        run.log_histogram("h", values)
    run.flush()
    out["ts_hist_total_ms"] = (time.perf_counter() - t) / reps * 1e3
    run.finish()
    writer.close()
    return out


def bench_media_calls(root: Path, reps: int) -> dict[str, float]:
    """add_video / add_audio / add_mesh through both SummaryWriters, caller's thread only."""
    import importlib.util

    from torch.utils.tensorboard import SummaryWriter as TBWriter

    rng = np.random.default_rng(0)
    video = rng.random((1, 16, 3, 64, 64)).astype(np.float32)  # 16 frames of 64 x 64 RGB
    audio = np.sin(np.arange(44_100) / 20.0).astype(np.float32) * 0.5  # one second at 44.1 kHz
    vertices = torch.rand(1, 10_000, 3)
    colors = torch.randint(0, 255, (1, 10_000, 3))
    faces = torch.randint(0, 10_000, (1, 20_000, 3))
    out: dict[str, float] = {"moviepy": float(importlib.util.find_spec("moviepy") is not None),
                             "pyav": float(importlib.util.find_spec("av") is not None)}
    for name, cls in (("tb", TBWriter), ("ts", ts.SummaryWriter)):
        w = cls(str(root / f"calls-{name}"))
        out[f"{name}_video_ms"] = _caller_ms(lambda w=w: w.add_video("v", video, 0, fps=8), w.flush, reps)
        out[f"{name}_audio_ms"] = _caller_ms(lambda w=w: w.add_audio("a", audio, 0), w.flush, reps)
        out[f"{name}_mesh_ms"] = _caller_ms(lambda w=w: w.add_mesh("m", vertices, colors, faces), w.flush, reps)
        w.close()
    run = ts.init(project="bench", name="media-calls", dir=root / "calls-run")
    calls = {"video": lambda: run.log_video("v", video[0], fps=8),
             "audio": lambda: run.log_audio("a", audio, sample_rate=44_100),
             "mesh": lambda: run.log_points("m", vertices[0], colors=colors[0], faces=faces[0])}
    for what, call in calls.items():
        out[f"run_{what}_ms"] = _caller_ms(call, run.flush, reps)
        t = time.perf_counter()  # the writer thread's work too: calls and a flush, per call
        for _ in range(reps):
            call()
        run.flush()
        out[f"run_{what}_total_ms"] = (time.perf_counter() - t) / reps * 1e3
    run.finish()
    return out


def print_media_calls(calls: dict[str, float]) -> None:
    print("\n5. media calls on the caller's thread: TensorBoard's SummaryWriter vs torchscope's, and run.log_*"
          + ("" if calls["moviepy"] else "  [moviepy missing: TensorBoard's add_video encodes nothing]")
          + ("" if calls["pyav"] else "  [PyAV missing: torchscope's video is a PNG sprite]"))
    for what, label, ours in (("video", "add_video 16 x 3 x 64 x 64", "log_video"),
                              ("audio", "add_audio 1 s at 44.1 kHz", "log_audio"),
                              ("mesh", "add_mesh 10k vertices, 20k faces", "log_points")):
        tb_ms, ts_ms, run_ms = calls[f"tb_{what}_ms"], calls[f"ts_{what}_ms"], calls[f"run_{what}_ms"]
        print(f"   {label:34} TensorBoard {tb_ms:8.3f} ms   torchscope SummaryWriter {ts_ms:7.3f} ms "
              f"(ratio {tb_ms / ts_ms:5.1f}x)   run.{ours:10} {run_ms:7.3f} ms (ratio {tb_ms / run_ms:5.1f}x; "
              f"writer thread included {calls[f'run_{what}_total_ms']:.1f} ms)")


def _write_tb_scalars(path: Path, n: int) -> None:
    """``n`` scalar events in a TensorBoard event file, written with TensorBoard's own classes (no SummaryWriter
    call overhead: one prebuilt summary per point)."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    w = EventFileWriter(str(path), max_queue_size=10_000, flush_secs=600)
    for i in range(n):
        w.add_event(Event(wall_time=1.7e9 + i * 1e-3, step=i, summary=Summary(value=[
            Summary.Value(tag="x", simple_value=float(i))])))
    w.close()


def bench_export(root: Path, n: int, tb_read_s: float, tb_points: int, full: bool) -> dict[str, float]:
    """The 10M-point store of 3. exported to Parquet vs TensorBoard's reader on the same number of points."""
    import pyarrow.parquet as pq

    store = ts.open(root / "big")
    t = time.perf_counter()
    files = ts.export.export_dir(store, root / "export", format="parquet")
    ts_s = time.perf_counter() - t
    rows = pq.read_metadata(files["scalars"]).num_rows
    t = time.perf_counter()
    table = ts.export.to_arrow(store)
    arrow_s = time.perf_counter() - t
    assert rows == n == table.num_rows
    out = {"ts_export_s": ts_s, "ts_arrow_s": arrow_s, "rows": rows,
           "parquet_mb": files["scalars"].stat().st_size / 2**20}
    if full:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        tb_dir = root / "tb" / "export"
        _write_tb_scalars(tb_dir, n)
        t = time.perf_counter()
        acc = EventAccumulator(str(tb_dir), size_guidance={"scalars": 0})
        acc.Reload()
        out["tb_read_s"] = time.perf_counter() - t
        assert len(acc.Scalars("x")) == n
        out["tb_scaled"] = 0.0
    else:
        out["tb_read_s"] = tb_read_s * n / tb_points
        out["tb_scaled"] = float(tb_points)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--full", action="store_true", help="6.: write and read all the points with TensorBoard")
    parser.add_argument("--media", action="store_true", help="5. alone (the media calls)")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    root = Path(tempfile.mkdtemp(prefix="tsbench-"))
    if args.media:
        try:
            print_media_calls(bench_media_calls(root, reps=10))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    try:
        print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, sizes: {n:,} scalars\n")
        log = bench_log(root, n, n_tb=min(n, 100_000))
        print("1. logging scalars (caller's cost per scalar)")
        print(f"   TensorBoard add_scalar        {log['tb_us']:8.2f} us/scalar   "
              f"({log['tb_durable_s_per_1M']:.1f} s per 1M durable)")
        print(f"   torchscope log, 1 key/call    {log['ts_1key_us']:8.2f} us/scalar   "
              f"{n:,} durable in {log['ts_1key_durable_s']:.2f} s   ratio {log['tb_us'] / log['ts_1key_us']:.1f}x")
        print(f"   torchscope log, 10 keys/call  {log['ts_10key_us']:8.2f} us/scalar   "
              f"{n:,} durable in {log['ts_10key_durable_s']:.2f} s   ratio {log['tb_us'] / log['ts_10key_us']:.1f}x")
        read = bench_read(root, n)
        print(f"\n2. reading {n:,} points back")
        print(f"   TensorBoard EventAccumulator  {read['tb_read_s']:8.3f} s  kept {read['tb_kept']:,} "
              f"(default settings keep {read['tb_default_kept']:,})")
        print(f"   torchscope store.scalars      {read['ts_read_s']:8.3f} s  kept {read['ts_kept']:,}   "
              f"ratio {read['tb_read_s'] / read['ts_read_s']:.0f}x")
        big = 1_000_000 if args.quick else 10_000_000
        ds = bench_downsample(root, big)
        print(f"\n3. downsampling a {big:,}-point series to 2,000 buckets (written in {ds['build_s']:.1f} s)")
        print(f"   whole range {ds['ds_full_ms']:.1f} ms, half range {ds['ds_zoom_ms']:.1f} ms, "
              f"4% range {ds['ds_narrow_ms']:.1f} ms")
        media = bench_media(root, reps=20)
        print("\n4. media on the caller's thread")
        print(f"   image 3x64x64   TensorBoard {media['tb_image_ms']:.3f} ms   torchscope {media['ts_image_ms']:.3f} ms"
              f"   ratio {media['tb_image_ms'] / media['ts_image_ms']:.1f}x")
        print(f"   histogram 1M    TensorBoard {media['tb_hist_ms']:.3f} ms   torchscope {media['ts_hist_ms']:.3f} ms"
              f"   ratio {media['tb_hist_ms'] / media['ts_hist_ms']:.1f}x   (background thread, per histogram: "
              f"{media['ts_hist_total_ms']:.1f} ms)")
        print_media_calls(bench_media_calls(root, reps=10))
        exp = bench_export(root, big, read["tb_read_s"], read["tb_kept"], args.full)
        how = f"measured on {int(exp['tb_scaled']):,} points, scaled" if exp["tb_scaled"] else "measured"
        print(f"\n6. {big:,} points out: torchscope to Parquet vs TensorBoard's EventAccumulator reading them")
        print(f"   torchscope export_dir (parquet) {exp['ts_export_s']:7.2f} s   ({exp['rows']:,} rows, "
              f"{exp['parquet_mb']:.0f} MiB; to_arrow alone {exp['ts_arrow_s']:.2f} s)")
        print(f"   TensorBoard EventAccumulator    {exp['tb_read_s']:7.2f} s   ({how})   "
              f"ratio {exp['tb_read_s'] / exp['ts_export_s']:.0f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
