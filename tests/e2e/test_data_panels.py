"""The Data and Projector panels in headless Chromium over a real store and a real server.

The store holds real profiles of the digits and iris sets, a 3-D PCA of digits with a real
classifier's predictions, and a 70,000-point projection (the MNIST test set's PCA, each point
repeated 7 times with a little jitter, when ../shared/data/mnist is there; synthetic clusters
otherwise) with four planted, isolated marker points whose thumbnails are known. Counts, hover
read-outs and selections are read back from the page and compared with what Python computes.
Screenshots (desktop and 390 px) go to test-artifacts/data/.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import torchscope as ts
from torchscope.data import Projection
from torchscope.server import create_app

from ..conftest import ROOT
from ..server.util import ServerThread

ARTIFACTS = ROOT / "test-artifacts" / "data"
MNIST = Path("/work/shared/data/mnist")
N_BIG = 70_000
MARKERS = 4


def big_projection(n: int = N_BIG, seed: int = 0) -> Projection:
    """``n`` 2-D points with 28 x 28 thumbnails and predictions; the last ``MARKERS`` are isolated markers.

    Marker ``m`` (point ``n - MARKERS + m``) has label ``m`` and a thumbnail whose left half is
    white and right half black; it sits outside the cloud, far from every other point.
    """
    rng = np.random.default_rng(seed)
    if (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        base = ts.data.project(ts.data.load(MNIST, subset="test"), method="pca", seed=seed, progress=False)
        idx = np.arange(n) % len(base.coords)
        spread = base.coords.std(0)
        coords = base.coords[idx] + rng.normal(0, 0.04, (n, 2)) * spread
        labels, thumbs, names = base.labels[idx], base.thumbnails[idx].copy(), base.class_names
        title = f"PCA of mnist/test x{n // len(base.coords)} ({n:,} points)"
    else:
        labels = rng.integers(0, 10, n).astype(np.int32)
        angle = labels * (2 * np.pi / 10)
        coords = np.stack([np.cos(angle), np.sin(angle)], 1) * 6 + rng.normal(0, 1, (n, 2))
        bars = (np.arange(28)[None, :, None] // 3 <= labels[:, None, None]) & (np.arange(28)[None, None, :] % 6 < 3)
        thumbs = (bars * 255).astype(np.uint8)[..., None]
        names, title = [str(i) for i in range(10)], f"synthetic clusters ({n:,} points)"
    lo, hi = coords.min(0), coords.max(0)
    span = hi - lo
    corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [lo[0], hi[1]], [hi[0], hi[1]]]) + \
        np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]]) * 0.12 * span
    coords[n - MARKERS:] = corners
    labels = labels.astype(np.int32)
    labels[n - MARKERS:] = np.arange(MARKERS)
    thumbs[n - MARKERS:] = 0
    thumbs[n - MARKERS:, :, :14] = 255
    wrong = rng.random(n) < 0.08
    preds = np.where(wrong, rng.integers(0, 10, n), labels).astype(np.int32)
    preds[n - MARKERS:] = labels[n - MARKERS:]
    return Projection(coords=coords.astype(np.float32), labels=labels, class_names=list(names), method="pca",
                      indices=np.arange(n), predictions=preds, thumbnails=thumbs, title=title,
                      params={"method": "pca", "dims": 2, "n_points": n})


def fill(dir: Path) -> dict[str, object]:
    """Three runs: digits (profile + 3-D PCA with predictions), iris (profile), big (70k projection)."""
    from sklearn.linear_model import LogisticRegression

    ids: dict[str, object] = {}
    digits = ts.data.load("digits")
    train, test = digits.split(0.8, seed=0, stratify=True)
    run = ts.init(project="data", name="digits", dir=dir)
    run.log_record(ts.data.profile(train, test, progress=False))
    xtr, ytr = train.arrays()
    xte, _ = test.arrays()
    clf = LogisticRegression(max_iter=300).fit(xtr.reshape(len(xtr), -1), ytr)
    pred = clf.predict(xte.reshape(len(xte), -1))
    run.log_record(ts.data.project(test, method="pca", dims=3, predictions=pred, progress=False), key="digits/pca3")
    run.finish()
    ids["digits"] = run.id
    ids["digits_test_n"] = len(test)
    ids["counts"] = [np.bincount(s.targets, minlength=10).tolist() for s in (train, test)]
    iris = ts.data.load("iris")
    itrain, itest = iris.split(0.8, seed=0, stratify=True)
    run = ts.init(project="data", name="iris", dir=dir)
    prof = ts.data.profile(itrain, itest, progress=False)
    run.log_record(prof)
    run.finish()
    ids["iris"] = run.id
    ids["iris_corr"] = float(prof["data.correlation"].matrix[2, 3])
    big = big_projection()
    run = ts.init(project="data", name="big", dir=dir)
    run.log_record(big, key="projection/70k")
    run.finish()
    ids["big"] = run.id
    ids["big_coords"] = big.coords
    rng = np.random.default_rng(1)  # a small colour set: 3 classes of 16 x 16 RGB images, red/green/blue-ish
    y = np.repeat(np.arange(3), 20)
    x = rng.random((60, 3, 16, 16)).astype(np.float32) * 0.5
    x[np.arange(60), y] += 0.5
    run = ts.init(project="data", name="rgb", dir=dir)
    run.log_record(ts.data.profile(ts.data.load(x, y, classes=["red", "green", "blue"]), progress=False))
    run.finish()
    ids["rgb"] = run.id
    live = ts.init(project="data", name="live", dir=dir)
    live.log_record(ts.data.class_balance(train, test), key="balance")
    live.flush()
    ids["live"], ids["live_run"], ids["train"], ids["test"] = live.id, live, train, test
    return ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, dict[str, object]]]:
    dir = tmp_path_factory.mktemp("datapanels") / "tsruns"
    ids = fill(dir)
    with ServerThread(create_app(dir, poll_interval=0.3, warm=False)) as url:
        yield url, ids
    ids["live_run"].finish()


def shot(page: object, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def open_panel(page: object, url: str, run_id: str, panel: str) -> None:
    sel = json.dumps({"manual": True, "selected": [run_id]})
    page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
    page.goto(f"{url}/#{panel}")


def test_data_panel_draws_digits(page, site):
    url, ids = site
    open_panel(page, url, ids["digits"], "data")
    page.wait_for_selector('.card[data-kind="data.class_balance"] rect.bar', timeout=15000)
    bars = page.eval_on_selector_all('.card[data-kind="data.class_balance"] rect.bar',
                                     "els => els.map(e => [e.dataset.split, e.dataset.class, +e.dataset.count])")
    got = {(s, c): n for s, c, n in bars}
    train, test = ids["counts"]
    assert got == {**{("train", str(k)): train[k] for k in range(10)}, **{("test", str(k)): test[k] for k in range(10)}}
    labels = page.eval_on_selector_all('.card[data-kind="data.class_balance"] text.val',
                                       "els => els.map(e => e.textContent)")
    assert labels[:2] == [str(train[0]), str(test[0])]  # the counts are written on the bars
    # samples and mean images are real pixels, not blank canvases
    page.wait_for_function("""() => { const c = document.querySelector('.samples canvas.pixels');
        if (!c) return false; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = 0; for (let i = 3; i < d.length; i += 4) lit += d[i] > 0 && d[i - 1] > 40; return lit > 20; }""")
    assert page.locator(".samples .srow").count() == 10
    assert page.locator(".means .mcol[data-class]").count() == 10
    assert "Normalize" in page.locator(".card[data-kind='data.pixel_stats'] code.normalize").inner_text()
    page.wait_for_selector(".card[data-kind='data.projection'] .preview canvas")
    page.wait_for_timeout(300)
    shot(page, "data-digits")
    assert not page.errors


def test_data_panel_draws_iris(page, site):
    url, ids = site
    open_panel(page, url, ids["iris"], "data")
    page.wait_for_selector(".card[data-kind='data.correlation'] svg.heatmap rect[data-i]", timeout=15000)
    assert page.locator(".card[data-kind='data.feature_dists'] .feature").count() == 4
    cell = page.get_attribute(".card[data-kind='data.correlation'] rect[data-i='2'][data-j='3']", "data-v")
    assert float(cell) == pytest.approx(ids["iris_corr"], abs=1e-3)
    assert page.locator(".card[data-kind='data.pairplot'] canvas.pairs").count() == 1
    assert "leakage" in page.locator(".card.summary .warnings").inner_text()
    # the share toggle turns counts into each split's percentages
    page.click(".card[data-kind='data.class_balance'] h3 button")
    assert page.locator(".card[data-kind='data.class_balance'] text.val").first.text_content() == "33"
    shot(page, "data-iris")
    assert not page.errors


def test_data_panel_draws_colour_images(page, site):
    url, ids = site
    open_panel(page, url, ids["rgb"], "data")
    page.wait_for_selector(".card[data-kind='data.pixel_stats'] table.stats", timeout=15000)
    rows = page.eval_on_selector_all(".card[data-kind='data.pixel_stats'] table.stats tr td:first-child",
                                     "els => els.map(e => e.textContent)")
    assert rows == ["red", "green", "blue"]
    page.wait_for_function("""() => { const c = document.querySelector('.means .mcol[data-class="green"] canvas');
        if (!c) return false; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let g = 0, r = 0; for (let i = 0; i < d.length; i += 4) { g += d[i + 1]; r += d[i]; } return g > 1.3 * r; }""")
    shot(page, "data-rgb")
    assert not page.errors


def _screen(page, i: int) -> tuple[float, float]:
    """Page coordinates of point i (from the scatter's own projection)."""
    return tuple(page.evaluate("""(i) => { const p = window.torchscope.projector, s = p.scatter;
        const r = s.overlay.getBoundingClientRect(); const [x, y] = s.toScreen(i);
        return [r.left + x, r.top + y]; }""", i))


def test_projector_70k_points(page, site):
    url, ids = site
    coords = ids["big_coords"]
    open_panel(page, url, ids["big"], "projector")
    page.wait_for_selector(".projector[data-state='drawn']", timeout=30000)
    info = page.evaluate("""() => { const p = window.torchscope.projector; const s = p.scatter; s.draw();
        const d = s.image.data; let lit = 0; for (let i = 0; i < d.length; i += 4) lit += d[i] < 250 || d[i + 1] < 250;
        return { n: p.header.n, drawn: s.sx.length, lit, pixels: d.length / 4,
                 first: [p.cols.coords[0], p.cols.coords[1]] }; }""")
    assert info["n"] == N_BIG and info["drawn"] == N_BIG
    assert info["first"] == pytest.approx(coords[0].tolist())  # float32 coordinates arrive exactly
    assert info["lit"] > 0.05 * info["pixels"]
    # frame time while panning: 120 animation frames, each panning and redrawing every point
    frames = page.evaluate("""() => new Promise((done) => { const s = window.torchscope.projector.scatter;
        const draws = [], gaps = []; let last = null, k = 0;
        function step(t) { if (last !== null) gaps.push(t - last); last = t; s.panBy(3, 1.5);
          cancelAnimationFrame(s.pending); s.pending = 0; draws.push(s.draw());
          if (++k < 120) requestAnimationFrame(step); else done({ draws, gaps }); }
        requestAnimationFrame(step); })""")
    draw = statistics.median(frames["draws"])
    p95 = sorted(frames["draws"])[int(0.95 * len(frames["draws"]))]
    gap = statistics.median(frames["gaps"])
    print(f"\nprojector, {N_BIG:,} points, panning: draw {draw:.2f} ms median ({p95:.2f} ms p95), "
          f"frame interval {gap:.2f} ms median ({1000 / gap:.0f} fps)")
    assert draw < 50  # the goal is under 16 ms (see benchmarks/bench_projector_page.py); this only guards regressions
    page.click(".modes button[data-mode='pan']")
    page.dblclick(".proj-plot canvas.overlay")  # reset the view
    page.wait_for_timeout(100)
    # a real mouse drag pans the view
    before = page.evaluate("() => ({ ...window.torchscope.projector.scatter.view })")
    box = page.locator(".proj-plot").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 100, cy + 40, steps=10)
    page.mouse.up()
    after = page.evaluate("() => ({ ...window.torchscope.projector.scatter.view })")
    assert after["cx"] - before["cx"] == pytest.approx(100 / before["scale"], rel=1e-3)
    assert after["cy"] - before["cy"] == pytest.approx(40 / before["scale"], rel=1e-3)
    page.dblclick(".proj-plot canvas.overlay")
    page.wait_for_timeout(100)
    # hover: the marker's thumbnail (left half white, right half black), label and index
    marker = N_BIG - MARKERS + 3
    x, y = _screen(page, marker)
    page.mouse.move(x + 1, y - 1)
    page.wait_for_function(f"() => document.querySelector('.proj-tip canvas.thumb')?.dataset.index === '{marker}'")
    tip = page.locator(".proj-tip")
    assert tip.get_attribute("data-index") == str(marker)
    text = tip.inner_text()
    assert "3" in text.split("\n")[0] and f"#{marker}" in text and "predicted 3 ✓" in text
    halves = page.evaluate("""() => { const c = document.querySelector('.proj-tip canvas.thumb');
        const g = c.getContext('2d'); const px = (x, y) => g.getImageData(x, y, 1, 1).data[0];
        return [px(10, 42), px(30, 42), px(55, 42), px(75, 42)]; }""")
    assert halves[0] > 240 and halves[1] > 240 and halves[2] < 15 and halves[3] < 15
    shot(page, "projector-70k-hover", full=False)
    x, y = _screen(page, 1234)  # a real sample inside the cloud: the read-out is the point under the cursor
    page.mouse.move(x, y)
    page.wait_for_function("() => document.querySelector('.proj-tip canvas.thumb')?.dataset.index === "
                           "document.querySelector('.proj-tip').dataset.index")
    shown = int(page.get_attribute(".proj-tip", "data-index"))
    assert np.hypot(*(np.array(_screen(page, shown)) - (x, y))) <= 10  # within the hover radius
    shot(page, "projector-70k-hover-sample", full=False)
    # box selection: a data-space rectangle around the middle of the cloud
    lo, hi = coords[:-MARKERS].min(0), coords[:-MARKERS].max(0)
    a, b = lo + 0.40 * (hi - lo), lo + 0.55 * (hi - lo)
    page.click(".modes button[data-mode='box']")
    corners = page.evaluate("""([a, b]) => { const s = window.torchscope.projector.scatter, v = s.view;
        const r = s.overlay.getBoundingClientRect();
        const X = (x) => r.left + (x - v.cx) * v.scale + s.cssW / 2;
        const Y = (y) => r.top + s.cssH / 2 - (y - v.cy) * v.scale;
        return [X(a[0]), Y(a[1]), X(b[0]), Y(b[1])]; }""", [a.tolist(), b.tolist()])
    page.mouse.move(corners[0], corners[1])
    page.mouse.down()
    page.mouse.move(corners[2], corners[3], steps=6)
    page.mouse.up()
    got = set(page.evaluate("() => window.torchscope.projector.selection()"))
    inside = np.flatnonzero(np.all((coords >= a) & (coords <= b), axis=1))
    want = set(inside.tolist())
    edge = np.abs(np.concatenate([coords - a, coords - b], 1)).min(1) < 1e-3 * (hi - lo).max()
    assert len(want) > 500
    assert all(edge[i] for i in got ^ want), f"{len(got ^ want)} points differ away from the box's edges"
    assert page.locator(".proj-selection .sel-count").inner_text().startswith(f"{len(got):,} selected")
    page.wait_for_function("() => document.querySelectorAll('.proj-selection figure canvas[data-index]').length >= 20")
    shot(page, "projector-70k-selection", full=False)
    # colour by correctness, then hide the "wrong" class in the legend
    page.select_option(".projector select[aria-label='colour by']", "correct")
    page.click(".legend-item[data-k='1']")
    hidden = page.evaluate("() => Array.from(window.torchscope.projector.scatter.hidden)")
    assert hidden == [0, 1]
    page.click(".proj-selection button.link")  # clear
    shot(page, "projector-70k-correct", full=False)
    assert not page.errors


def test_projector_3d_orbit_and_lasso(page, site):
    url, ids = site
    open_panel(page, url, ids["digits"], "projector")
    page.wait_for_selector(".projector[data-state='drawn']", timeout=15000)
    src = page.evaluate("() => window.torchscope.projector.header")
    assert src["dims"] == 3 and src["n"] == ids["digits_test_n"] and src["has_predictions"]
    cam0 = page.evaluate("() => ({ ...window.torchscope.projector.scatter.cam })")
    box = page.locator(".proj-plot").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy + 30, steps=8)
    page.mouse.up()
    cam1 = page.evaluate("() => ({ ...window.torchscope.projector.scatter.cam })")
    assert cam1["yaw"] == pytest.approx(cam0["yaw"] + 0.8, abs=1e-6)
    assert cam1["pitch"] == pytest.approx(cam0["pitch"] + 0.3, abs=1e-6)
    # a lasso around the centre selects exactly the points whose screen position is inside it
    page.click(".modes button[data-mode='lasso']")
    r = min(box["width"], box["height"]) * 0.18
    path = [(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    page.mouse.move(*path[0])
    page.mouse.down()
    for p in path[1:]:
        page.mouse.move(*p)
    page.mouse.up()
    got = set(page.evaluate("() => window.torchscope.projector.selection()"))
    pos = np.array(page.evaluate("""() => { const s = window.torchscope.projector.scatter;
        const r = s.overlay.getBoundingClientRect();
        return Array.from({ length: s.n }, (_, i) => [r.left + s.sx[i] / s.dpr, r.top + s.sy[i] / s.dpr]); }"""))
    dist = np.hypot(pos[:, 0] - cx, pos[:, 1] - cy)
    assert set(np.flatnonzero(dist < r * 0.97).tolist()) <= got <= set(np.flatnonzero(dist < r * 1.03).tolist())
    assert len(got) > 5
    page.select_option(".projector select[aria-label='colour by']", "prediction")
    shot(page, "projector-3d-lasso", full=False)
    assert not page.errors


def test_records_logged_while_the_panels_are_open_appear(page, site):
    url, ids = site
    run = ids["live_run"]
    open_panel(page, url, ids["live"], "data")
    page.wait_for_selector('.card[data-kind="data.class_balance"] rect.bar', timeout=15000)
    run.log_record(ts.data.mean_images(ids["train"]))
    run.flush()
    page.wait_for_selector(".means .mcol[data-class]", timeout=5000)
    page.goto(f"{url}/#projector")
    page.wait_for_selector(".projector-empty", timeout=15000)  # none yet
    run.log_record(ts.data.project(ids["test"], method="pca", progress=False), key="live/pca")
    run.flush()
    page.wait_for_selector(".projector[data-state='drawn']", timeout=8000)
    run.log_record(ts.data.project(ids["test"], method="pca", dims=3, progress=False), key="live/pca3")
    run.flush()
    options = "() => document.querySelectorAll('.projector select[aria-label=projection] option').length == 2"
    page.wait_for_function(options, timeout=5000)
    assert not page.errors


@pytest.mark.parametrize("panel", ["data", "projector"])
def test_phone_layout(browser, site, panel):
    url, ids = site
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_panel(page, url, ids["digits"], panel)
        sel = ".card[data-kind='data.class_balance'] rect.bar" if panel == "data" else ".projector[data-state='drawn']"
        page.wait_for_selector(sel, timeout=15000)
        page.wait_for_timeout(400)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        shot(page, f"phone-{panel}", full=panel == "data")
    finally:
        ctx.close()
    assert not errors
