"""GAN lab end to end: frames per second that the panel receives and paints in headless Chromium.

Starts ``torchscope gan-lab`` in a child process (a real server), opens one page (or ``--tabs N``
pages, each with its own lab session) in Debian's chromium, presses play with the default
settings and counts, over ``--seconds``, the frames each page received (server-sent events) and
painted (requestAnimationFrame), and how long the page's main thread was blocked (long tasks).
The engine alone is measured by ``bench_gan_lab.py``. Figures are absolute: there is no
alternative to compare with in the same process. On a bigger machine pin it to 2 cores:

    taskset -c 0,1 .venv/bin/python benchmarks/bench_gan_lab_page.py [--seconds 10] [--tabs 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]


def start_server(cwd: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("TORCHSCOPE_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "torchscope", "gan-lab", "--port", "0"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = ""
    while "http://" not in line:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("torchscope gan-lab did not start")
    return proc, re.search(r"(http://\S+)", line).group(1)


LONG_TASKS = """() => { window.__long = 0; new PerformanceObserver((l) => { for (const e of l.getEntries())
  window.__long += e.duration; }).observe({ type: "longtask", buffered: false }); }"""


def page_fps(seconds: float, tabs: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cwd:
        proc, url = start_server(cwd)
        pages = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                for _ in range(tabs):
                    page = ctx.new_page()
                    page.goto(url)
                    page.wait_for_function("() => window.torchscope?.ganlab?.view?.frame", timeout=30000)
                    page.evaluate(LONG_TASKS)
                    pages.append(page)
                for page in pages:
                    page.click(".gl-play")
                for page in pages:
                    page.wait_for_function("() => window.torchscope.ganlab.view.frame.step >= 5", timeout=30000)
                read = "() => { const g = window.torchscope.ganlab; return [g.stats.received, g.stats.painted, " \
                       "g.view.frame.step, window.__long, performance.now()]; }"
                before = [page.evaluate(read) for page in pages]
                time.sleep(seconds)
                after = [page.evaluate(read) for page in pages]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    out = []
    for b, a in zip(before, after):
        dt = (a[4] - b[4]) / 1000
        out.append({"received": (a[0] - b[0]) / dt, "painted": (a[1] - b[1]) / dt, "steps": (a[2] - b[2]) / dt,
                    "blocked": (a[3] - b[3]) / 1000 / dt})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--tabs", type=int, default=1, help="pages (lab sessions) at once")
    args = ap.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"needs Debian's chromium at {CHROMIUM}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"GAN lab page, default settings, {args.tabs} tab(s), {args.seconds:g} s, {cores} CPU cores")
    for i, r in enumerate(page_fps(args.seconds, args.tabs)):
        print(f"  tab {i + 1}: {r['received']:.1f} frames/s received, {r['painted']:.1f} painted, "
              f"{r['steps']:.1f} training steps/s, main thread blocked {100 * r['blocked']:.1f}% of the time")


if __name__ == "__main__":
    main()
