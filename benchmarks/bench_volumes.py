"""3-D volumes: time to a figure against torchio's ``Subject.plot``, and ``run.log_volume`` against ``np.save``.

**Figure** (from a NIfTI path and its label map to a drawn matplotlib figure, Agg backend):
torchscope's ``ts.volume(path, labels=seg).figure()`` (three linked planes with the labels overlaid,
the histogram with the window) against torchio's ``tio.Subject(t1=tio.ScalarImage(path),
seg=tio.LabelMap(seg)).plot(show=False, return_fig=True)`` (three planes of the image, the label
map in a second row); each figure drawn with ``FigureCanvasAgg.draw()``. Volumes: nibabel's
bundled ``anatomical.nii`` (33 x 41 x 25 int16, 2 mm, located from ``nibabel.__file__``) with a
three-class label map cut from its intensities, and a synthetic 256^3 float32 volume (64 MB,
uncompressed ``.nii``, so that gzip does not hide both) with spheres as labels. Each library runs
in fresh child processes, alternating (median of ``--rounds``); each child reports its import and
first figure together (cold: torchscope imports torch lazily, on its first call; torchio at its
import) and the median of three more figures (warm). Skipped, and said, when torchio
is not installed (``pip install "torchio[plot]"``: its plots need colorcet).

**Logging** a 256^3 float32 volume: ``run.log_volume`` on the caller's thread (checks and one
private copy; the statistics and the encoding run on the writer thread, timed until ``flush``)
against ``np.save`` of the same array to a file in the same folder. Median of ``--repeat``.

**The Volumes panel** in headless Chromium (Debian's /usr/bin/chromium, --disable-gpu), over
``torchscope serve`` on a store holding a 256^3 float32 volume with a label map, at a desktop
viewport (1280 x 900) and a phone's (390 x 844, 3 device pixels per CSS pixel, touch): the time
from switching to the panel (``location.hash``, the dashboard already open) until every visible
plane is drawn, and the bytes its slice requests fetched against the volume's; scrolling one
slice at a time (``view.setAxis``, what the wheel, the arrow keys and a swipe call), the time from
the scroll until the new slice is on the canvas (median, 95th percentile); and scrolling one slice
every animation frame, the interval between frames (goal: under 16.7 ms) and how many of the
slices passed were drawn. No other tool has this view, so no ratio.

Ratios are torchscope / other: below 1 is faster. Nothing is asserted.

Run: ``python benchmarks/bench_volumes.py [--quick] [--rounds 3] [--repeat 5] [--only figure|log|page]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.server.util's ServerThread for the page part
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MPLBACKEND": "Agg"}

FIGURE_CHILD = r"""
import json, statistics, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
lib, image, labels = sys.argv[2], sys.argv[3], sys.argv[4]
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
t0 = time.perf_counter()
if lib == "torchscope":
    import torchscope as ts
    def figure():
        return ts.volume(image, labels=labels).figure()
else:
    import torchio as tio
    def figure():
        subject = tio.Subject(t1=tio.ScalarImage(image), seg=tio.LabelMap(labels))
        return subject.plot(show=False, return_fig=True)
imported = time.perf_counter() - t0
times = []
for _ in range(4):
    t1 = time.perf_counter()
    fig = figure()
    FigureCanvasAgg(fig).draw()
    times.append(time.perf_counter() - t1)
    plt.close("all")
print(json.dumps({"cold": imported + times[0], "warm": statistics.median(times[1:])}))
"""

LOG_CHILD = r"""
import json, statistics, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
folder, side, repeat = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import numpy as np
import torchscope as ts
x = np.random.default_rng(0).standard_normal((side, side, side), dtype=np.float32)
run = ts.init(project="bench", name="volumes", dir=folder + "/ts")
run.log_volume("warmup", x[:16, :16, :16], step=0)  # imports and first-call costs out of the way
run.flush()
caller, flushed, saves = [], [], []
for i in range(repeat):
    t0 = time.perf_counter()
    run.log_volume("ct", x, step=i + 1)
    t1 = time.perf_counter()
    run.flush(timeout=600)
    caller.append(t1 - t0)
    flushed.append(time.perf_counter() - t0)
    t2 = time.perf_counter()
    np.save(folder + "/x.npy", x)
    saves.append(time.perf_counter() - t2)
run.finish()
print(json.dumps({"caller": statistics.median(caller), "flushed": statistics.median(flushed),
                  "np_save": statistics.median(saves), "mb": x.nbytes / 2**20}))
"""


SCROLL = """async ([plane, steps, mode]) => {
  const v = window.torchscope.volumes, p = v.panes.find((q) => q.plane === plane);
  const axis = p.g.fixed, n = v.dims[axis], stride = v.source.stride[axis];
  const frame = () => new Promise((ok) => requestAnimationFrame(ok));
  let dir = 1;
  const next = () => { let to = v.st.pos[axis] + dir * stride;
    if (to < 0 || to >= n) { dir = -dir; to = v.st.pos[axis] + dir * stride; } return to; };
  if (mode === "step") {  // one slice, then wait until it is on the canvas
    const lat = [];
    for (let k = 0; k < steps; k++) {
      const want = next(), t0 = performance.now();
      v.setAxis(axis, want);
      while (p.el.dataset.index !== String(want)) await frame();
      lat.push(performance.now() - t0);
    }
    return { lat };
  }
  const gaps = [], shown = new Set(); let last = null;  // one slice further every animation frame
  for (let k = 0; k < steps; k++) {
    const t = await frame();
    if (last !== null) gaps.push(t - last);
    last = t; shown.add(p.el.dataset.index); v.setAxis(axis, next());
  }
  const want = String(v.st.pos[axis]); while (p.el.dataset.index !== want) await frame();
  return { gaps, shown: shown.size };
}"""

FETCHED = """() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/volumes/slice?'))
  .reduce((a, e) => [a[0] + 1, a[1] + e.encodedBodySize], [0, 0])"""


def child(code: str, *args: str, timeout: float = 1800) -> dict:
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), *args], capture_output=True, text=True,
                         timeout=timeout, env=ENV)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def anatomical_path() -> Path:
    """nibabel's bundled example (importing ``nibabel.testing`` would pull pytest, so not through it)."""
    import nibabel

    return Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"


def make_cases(folder: Path, quick: bool) -> dict[str, tuple[Path, Path]]:
    """``{name: (image path, label map path)}``, written into ``folder``."""
    import nibabel as nib

    src: Any = nib.load(anatomical_path())  # a Nifti1Image
    data = np.asarray(src.dataobj)
    seg = np.digitize(data, np.percentile(data, [40, 75])).astype(np.uint8)  # background, tissue, bright
    nib.save(nib.Nifti1Image(seg, src.affine), folder / "anatomical_seg.nii")
    cases = {"anatomical": (anatomical_path(), folder / "anatomical_seg.nii")}
    if quick:
        return cases
    side = 256
    grid = np.indices((side, side, side), dtype=np.float32) - (side - 1) / 2
    radius = np.sqrt((grid**2).sum(0))
    del grid
    rng = np.random.default_rng(0)
    vol = (1000 * np.cos(radius / 9) + rng.standard_normal(radius.shape, dtype=np.float32) * 50).astype(np.float32)
    labels = np.digitize(radius, [40, 80, 110]).astype(np.uint8)  # three shells and the outside
    affine = np.diag([0.8, 0.8, 1.5, 1.0])  # anisotropic voxels, in mm
    nib.save(nib.Nifti1Image(vol, affine), folder / "synthetic256.nii")
    nib.save(nib.Nifti1Image(labels, affine), folder / "synthetic256_seg.nii")
    cases["synthetic256"] = (folder / "synthetic256.nii", folder / "synthetic256_seg.nii")
    return cases


def figure_table(folder: Path, rounds: int, quick: bool) -> None:
    try:
        import colorcet  # noqa: F401  (torchio's plots need it: its "plot" extra)
        import torchio  # noqa: F401
    except ImportError:
        print("# torchio is not installed (pip install 'torchio[plot]'): the figure comparison is skipped")
        return
    print(f"{'volume':13} {'library':10} {'cold s':>7} {'warm s':>7}")
    for name, (image, labels) in make_cases(folder, quick).items():
        runs: dict[str, list[dict[str, float]]] = {"torchscope": [], "torchio": []}
        for r in range(rounds):  # the libraries alternate, so a change of load hits both
            for lib in ("torchscope", "torchio") if r % 2 == 0 else ("torchio", "torchscope"):
                runs[lib].append(child(FIGURE_CHILD, lib, str(image), str(labels)))
        res = {lib: {k: statistics.median(one[k] for one in got) for k in got[0]} for lib, got in runs.items()}
        for lib, m in res.items():
            print(f"{name:13} {lib:10} {m['cold']:7.3f} {m['warm']:7.3f}", flush=True)
        a, b = res["torchscope"], res["torchio"]
        print(f"{name:13} {'ratio':10} {a['cold'] / b['cold']:7.2f} {a['warm'] / b['warm']:7.2f}", flush=True)


def log_table(folder: Path, side: int, repeat: int) -> None:
    res = child(LOG_CHILD, str(folder), str(side), str(repeat))
    print(f"{'volume':13} {'log_volume (caller) s':>22} {'np.save s':>10} {'ratio':>6} {'until flushed s':>16}")
    print(f"{f'{side}^3 f32':13} {res['caller']:22.3f} {res['np_save']:10.3f} {res['caller'] / res['np_save']:6.2f} "
          f"{res['flushed']:16.3f}", flush=True)


def quantiles(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def page_store(side: int) -> tuple[Path, str]:
    """A store under /tmp with a ``side``^3 float32 volume and its labels (kept between runs)."""
    import torchscope as ts

    store = Path(f"/tmp/torchscope-bench-volumes/{side}")
    if not (store / ".complete").exists():
        shutil.rmtree(store, ignore_errors=True)
        grid = np.indices((side,) * 3, dtype=np.float32) - (side - 1) / 2
        radius = np.sqrt((grid**2).sum(0))
        del grid
        vol = (1000 * np.cos(radius / 9) + np.random.default_rng(0).standard_normal(radius.shape, np.float32) * 50)
        labels = np.digitize(radius, [side * 0.16, side * 0.31, side * 0.43]).astype(np.uint8)
        run = ts.init(project="bench", name=f"volume-{side}", dir=store)
        run.log_volume("ct", vol.astype(np.float32), step=1, labels=labels, spacing=(1.5, 0.8, 0.8))
        run.finish()
        (store / ".complete").write_text(run.id)
    return store, (store / ".complete").read_text()


def page_table(side: int, steps: int) -> None:
    if not Path("/usr/bin/chromium").exists():
        print("# /usr/bin/chromium is not installed: the Volumes panel measures are skipped")
        return
    from playwright.sync_api import sync_playwright
    from tests.server.util import ServerThread

    from torchscope.server import create_app

    store, run_id = page_store(side)
    volume_mb = side**3 * 4 / 2**20
    viewports: dict[str, dict[str, Any]] = {
        "desktop": {"viewport": {"width": 1280, "height": 900}},
        "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
                  "has_touch": True}}
    print(f"{'viewport':8} {'open s':>7} {'fetched':>14} {'step ms p50/p95':>16} {'frame ms p50/p95':>17} "
          f"{'drawn':>9}  ({side}^3 float32, {volume_mb:.0f} MB, with labels)")
    with ServerThread(create_app(store, warm=False)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        for name, options in viewports.items():
            page = browser.new_page(**options)
            sel = json.dumps({"manual": True, "selected": [run_id]})
            page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
            page.goto(f"{url}/#overview")
            page.wait_for_load_state("networkidle")
            t = time.perf_counter()
            page.evaluate("() => { location.hash = '#volumes?key=ct'; }")
            page.wait_for_selector(".vol-view[data-state='ready']", timeout=120_000)
            page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
            opened = time.perf_counter() - t
            requests, fetched = page.evaluate(FETCHED)
            plane = page.evaluate("() => window.torchscope.volumes.panes.find((p) => p.visible()).plane")
            lat = page.evaluate(SCROLL, [plane, steps, "step"])["lat"]
            fast = page.evaluate(SCROLL, [plane, steps, "frames"])
            (l50, l95), (g50, g95) = quantiles(lat), quantiles(fast["gaps"])
            print(f"{name:8} {opened:7.2f} {fetched / 2**20:6.2f} MB/{requests:<3d} {l50:7.1f}/{l95:<8.1f} "
                  f"{g50:8.1f}/{g95:<8.1f} {fast['shown']:4d}/{steps:<4d}", flush=True)
            page.close()
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the bundled volume only; a 128^3 volume to log")
    ap.add_argument("--rounds", type=int, default=3, help="children per library and volume (default 3)")
    ap.add_argument("--repeat", type=int, default=5, help="log_volume / np.save calls (default 5)")
    ap.add_argument("--only", choices=("figure", "log", "page"), help="one of the three parts")
    ap.add_argument("--steps", type=int, default=60, help="slices scrolled in the panel (default 60)")
    args = ap.parse_args()
    print(f"# load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"{args.rounds} rounds{'; quick' if args.quick else ''}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="bench_volumes_"))
    try:
        if args.only in (None, "figure"):
            figure_table(folder, args.rounds, args.quick)
        if args.only in (None, "log"):
            log_table(folder, 128 if args.quick else 256, args.repeat)
        if args.only in (None, "page"):
            page_table(128 if args.quick else 256, args.steps)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
