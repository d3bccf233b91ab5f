"""GAN lab benchmark: step time, frame time and worker frame rate of the default lab, and the time
for the ring of 8 Gaussians to be covered (all modes present) per loss type.

There is no in-process alternative to compare with (GAN Lab runs TF.js in a browser), so the
figures are absolute, but for one: ``Lab2D`` step + frame as a notebook runs it, in a fresh
process with torch's default threads while a busy loop holds a core, before (the previous code
path: no thread setting in the library calls) and after (one intra-op thread inside
``step()``/``frame()`` for small networks), alternating, in frames/s. Run on the target machine
(2 CPU cores); ``taskset -c 0,1`` pins a bigger one.

    .venv/bin/python benchmarks/bench_gan_lab.py [--quick] [--only busy]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch

from torchscope.gan.lab import Lab2D, LabWorker

LOSS_SETTINGS = {  # the settings each loss is timed with (WGAN-GP's critic gets 5 updates, as in its paper)
    "minimax": {}, "nonsaturating": {}, "lsgan": {}, "hinge": {}, "wgan-gp": {"d_steps": 5},
}


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_lab(repeat: int) -> None:
    lab = Lab2D()
    lab.step(20)
    step = timed(lambda: lab.step(1), repeat)
    frame = timed(lab.frame, max(10, repeat // 5))
    f = lab.frame()
    msg = timed(lambda: json.dumps(f.to_message(history_since=len(lab.history) - 1)), 20)
    size = len(json.dumps(f.to_message(history_since=len(lab.history) - 1)))
    print(f"default lab (ring, nonsaturating, 2x64 MLPs, batch 256), torch threads={torch.get_num_threads()}")
    print(f"  step (1 D + 1 G update, curves)  {step * 1e3:7.2f} ms   ({1 / step:6.0f} steps/s)")
    print(f"  frame() (48x48 heat map, 21x21 manifold, 512 points + arrows)  {frame * 1e3:7.2f} ms")
    print(f"  frame message to JSON            {msg * 1e3:7.2f} ms   ({size / 1024:.0f} KiB, incremental curves)")
    print(f"  step + frame + JSON              {(step + frame + msg) * 1e3:7.2f} ms  -> "
          f"{1 / (step + frame + msg):5.1f} frames/s upper bound")


def bench_worker(seconds: float, sessions: int) -> None:
    with LabWorker(fps=120) as w:
        sids = [w.handle({"type": "open", "config": {"seed": i}})["session"] for i in range(sessions)]
        for sid in sids:
            w.handle({"type": "play", "session": sid})
        seqs = {sid: -1 for sid in sids}
        got = dict.fromkeys(sids, 0)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            for sid in sids:  # a consumer that turns every frame into JSON, as a server would
                f = w.frame(sid, after=seqs[sid], timeout=0.2, history_since=max(0, seqs[sid]))
                if f is not None:
                    json.dumps(f)
                    seqs[sid] = f["seq"]
                    got[sid] += 1
        elapsed = time.perf_counter() - start
        made = [w.sessions[s].frames_made for s in sids]
        steps = [w.handle({"type": "status", "session": s})["step"] for s in sids]
    print(f"worker, {sessions} session(s) playing (1 step per frame, fps cap 120), {seconds:.0f} s:")
    print(f"  frames produced per session  {statistics.mean(made) / elapsed:6.1f} fps")
    print(f"  frames delivered as JSON     {statistics.mean(got.values()) / elapsed:6.1f} fps per session")
    print(f"  steps per session            {statistics.mean(steps) / elapsed:6.1f} steps/s")


def bench_coverage(max_steps: int, check: int) -> None:
    print(f"time to cover the ring of 8 Gaussians (all 8 modes, checked every {check} steps; seed 0):")
    for loss, extra in LOSS_SETTINGS.items():
        lab = Lab2D(target="ring", loss=loss, metric_every=100_000, **extra)
        start, spent = time.perf_counter(), 0.0
        covered = 0
        while lab.steps < max_steps:
            t = time.perf_counter()
            lab.step(check)
            spent += time.perf_counter() - t
            cov = lab.coverage()
            covered = cov["covered"]
            if covered == 8:
                break
        note = "" if covered == 8 else f"  (not covered: {covered}/8 after {max_steps} steps)"
        print(f"  {loss:14s} {json.dumps(extra):16s} {lab.steps:6d} steps  {spent:6.2f} s training  "
              f"{time.perf_counter() - start:6.2f} s total  high-quality {cov['high_quality']:.2f}{note}")


NOTEBOOK = """
import contextlib, sys, time
import torch
from torchscope.gan.lab import Lab2D
if sys.argv[1] == "before":  # the previous code path: the library calls leave torch's threads alone
    Lab2D._threads = lambda self: contextlib.nullcontext()
lab = Lab2D()
lab.step(5)
lab.frame()
frames, start = 0, time.perf_counter()
while time.perf_counter() - start < float(sys.argv[2]):
    lab.step()
    lab.frame()
    frames += 1
print(frames / (time.perf_counter() - start), torch.get_num_threads())
"""


def bench_busy(rounds: int, seconds: float) -> None:
    """Lab2D step + frame, torch's default threads, a fresh process each time, one core kept busy."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    rates: dict[str, list[float]] = {"before": [], "after": []}
    try:
        for r in range(rounds):
            for mode in (("before", "after") if r % 2 == 0 else ("after", "before")):
                out = subprocess.run([sys.executable, "-c", NOTEBOOK, mode, str(seconds)], capture_output=True,
                                     text=True, check=True).stdout.split()
                rates[mode].append(float(out[0]))
                threads = out[1]
    finally:
        busy.kill()
        busy.wait()
    b, a = rates["before"], rates["after"]
    print(f"Lab2D step + frame in a fresh process, torch's default threads ({threads}), one core busy "
          f"(a busy-loop process), {rounds} rounds of {seconds:g} s:")
    print(f"  before (no thread setting in the library)  {min(b):6.1f}-{max(b):6.1f} frames/s "
          f"(median {statistics.median(b):.1f})")
    print(f"  after (one thread inside step/frame)       {min(a):6.1f}-{max(a):6.1f} frames/s "
          f"(median {statistics.median(a):.1f}), x{statistics.median(a) / statistics.median(b):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a shorter worker run")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for the lab (default 1)")
    parser.add_argument("--only", choices=["busy"], help="only the busy-machine notebook comparison")
    args = parser.parse_args()
    bench_busy(3 if args.quick else 5, 3.0 if args.quick else 5.0)
    if args.only:
        return
    torch.set_num_threads(args.threads)
    bench_lab(50 if args.quick else 300)
    for n in (1, 2):
        bench_worker(2.0 if args.quick else 5.0, n)
    bench_coverage(1500 if args.quick else 4000, 25)


if __name__ == "__main__":
    main()
