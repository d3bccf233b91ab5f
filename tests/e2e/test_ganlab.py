"""The GAN lab panel in headless Chromium over ``torchscope gan-lab`` (a real server process).

Values are read back from the page: the frame data it holds and the colours of canvas pixels.
The page's frame rate is printed, not asserted. Screenshots go to test-artifacts/ganlab/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import ROOT, child_env

ARTIFACTS = ROOT / "test-artifacts" / "ganlab"


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[str]:
    cwd = tmp_path_factory.mktemp("ganlab")  # no ./tsruns here: gan-lab makes a temporary store
    proc = subprocess.Popen([sys.executable, "-m", "torchscope", "gan-lab", "--port", "0"], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env())
    try:
        line, deadline = "", time.time() + 60
        while "http://" not in line and time.time() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
        url = re.search(r"(http://\S+)", line).group(1)
        assert url.endswith("/#ganlab")
        for _ in range(200):
            try:
                if httpx.get(url.split("#")[0] + "api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.torchscope?.ganlab?.view?.frame", timeout=20000)


def _frame(page, expr: str = "f"):
    return page.evaluate(f"() => {{ const g = window.torchscope.ganlab, f = g.view.frame; return {expr}; }}")


def _wait(page, cond: str, timeout: float = 15000) -> None:
    page.wait_for_function(f"() => {{ const g = window.torchscope.ganlab, f = g?.view?.frame; return f && ({cond}); }}",
                           timeout=timeout)


def _only(page, *layers: str) -> None:
    for box in page.locator("input[data-layer]").all():
        box.set_checked(box.get_attribute("data-layer") in layers)


PIXELS = """(pts) => { const c = document.querySelector('.gl-canvas'), ctx = c.getContext('2d');
  const f = window.torchscope.ganlab.view.frame, b = f.bounds, k = c.width / c.clientWidth, size = c.clientWidth;
  return pts.map(([x, y]) => { const px = Math.round((x - b[0]) / (b[1] - b[0]) * size * k),
    py = Math.round((1 - (y - b[0]) / (b[1] - b[0])) * size * k);
    return Array.from(ctx.getImageData(Math.min(px, c.width - 1), Math.min(py, c.height - 1), 1, 1).data); }); }"""


def test_canvas_draws_points_and_heat_map(page, lab_url):
    _open(page, lab_url)
    page.click(".gl-step-both")
    _wait(page, "f.step === 1")
    f = _frame(page)
    assert f["config"]["target"]["name"] == "ring"
    assert len(page.evaluate("() => window.torchscope.ganlab.view.real")) == 1024
    # heat map alone: each cell centre has the colour of its value (purple = fake .. green = real)
    _only(page, "heat")
    page.wait_for_timeout(100)
    heat = f["heat"]
    k, lo, hi = heat["size"], *f["bounds"]
    vals = heat["values"]
    cells = sorted(range(k * k), key=lambda i: vals[i])
    picks = [cells[0], cells[len(cells) // 2], cells[-1]]
    centres = [[lo + (i % k + 0.5) * (hi - lo) / k, lo + (i // k + 0.5) * (hi - lo) / k] for i in picks]
    lut = page.evaluate("async () => Array.from((await import('/panels/ganlab/colors.js')).heatLUT)")
    got = page.evaluate(PIXELS, centres)
    for i, px in zip(picks, got):
        want = [0.9 * lut[vals[i] * 3 + c] + 0.1 * 251 for c in range(3)]  # alpha 0.9 over the background
        assert all(abs(px[c] - want[c]) <= 14 for c in range(3)), (vals[i], px, want)
    # points alone: real points are green, generated ones purple
    _only(page, "real")
    page.wait_for_timeout(100)
    real = page.evaluate("() => window.torchscope.ganlab.view.real")
    for r, g, b, _ in page.evaluate(PIXELS, [real[i:i + 2] for i in range(0, 40, 2)]):
        assert g > r + 30 and g > b + 20, (r, g, b)
    _only(page, "fake")
    page.wait_for_timeout(100)
    fake = f["fake"]
    for r, g, b, _ in page.evaluate(PIXELS, [fake[i:i + 2] for i in range(0, 40, 2)]):
        assert r > g + 25 and b > g + 25, (r, g, b)
    _only(page, "heat", "manifold", "real", "fake", "arrows")
    assert not page.errors


def test_play_pause_step_counter_and_frame_rate(page, lab_url):
    _open(page, lab_url)
    assert page.locator(".gl-step").inner_text() == "step 0"
    page.click(".gl-play")
    _wait(page, "f.step >= 10 && f.playing")
    t0, n0 = time.time(), _frame(page, "g.stats.received")
    page.wait_for_timeout(3000)
    n1, t1 = _frame(page, "g.stats.received"), time.time()
    print(f"\nGAN lab page: {(n1 - n0) / (t1 - t0):.1f} frames/s received while playing "
          f"(rolling {_frame(page, 'g.stats.fps'):.1f}), step {_frame(page, 'f.step')}")
    shot(page, "desktop-playing")
    page.click(".gl-play")  # pause
    _wait(page, "!f.playing")
    page.wait_for_timeout(300)
    s1 = int(page.locator(".gl-step").inner_text().split()[1])
    page.wait_for_timeout(600)
    assert int(page.locator(".gl-step").inner_text().split()[1]) == s1 >= 10
    assert page.locator(".gl-chip").inner_text() == "paused"
    # the curves hold every step's row, in order
    steps = page.evaluate("() => window.torchscope.ganlab.history.step")
    assert steps == list(range(1, s1 + 1))
    page.click(".gl-step-g")
    _wait(page, f"f.step === {s1 + 1}")
    assert page.evaluate("() => window.torchscope.ganlab.history.d_loss.at(-1)") is None  # G only: no D loss
    assert not page.errors


def test_settings_take_effect_and_bad_values_are_explained(page, lab_url):
    _open(page, lab_url)
    page.select_option("select[name=loss]", "hinge")
    _wait(page, "f.config.loss === 'hinge'")
    assert "hinge" in page.locator(".gl-model").inner_text()
    page.fill("input[name=width]", "16")
    page.press("input[name=width]", "Enter")
    _wait(page, "f.config.width === 16 && f.latest.event.includes('networks rebuilt')")
    page.fill("input[name=lr_d]", "-1")
    page.press("input[name=lr_d]", "Enter")
    err = page.locator(".gl-alert.error")
    err.wait_for(state="visible")
    assert "lr_d must be a number >= 0" in err.inner_text()
    assert page.input_value("input[name=lr_d]") == "0.001"  # back to the lab's value
    page.fill("input[name=lr_g]", "0")
    page.press("input[name=lr_g]", "Enter")
    status = page.locator(".gl-alert.status")
    status.wait_for(state="visible")
    assert "lr_g is 0" in status.inner_text()
    for name in ("lr_d", "lr_g"):
        page.fill(f"input[name={name}]", "1e9")
        page.press(f"input[name={name}]", "Enter")
    _wait(page, "f.config.lr_d === 1e9 && f.config.lr_g === 1e9")
    page.click(".gl-play")
    _wait(page, "f.status === 'diverged'")
    page.wait_for_function("() => document.querySelector('.gl-alert.status').innerText.includes('diverged')")
    assert page.locator(".gl-chip").inner_text() == "diverged"
    shot(page, "desktop-diverged")
    page.click(".gl-reset")  # the session lives on
    _wait(page, "f.step === 0")
    assert not page.errors


def _draw(page, strokes) -> None:
    box = page.locator(".gl-canvas").bounding_box()
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()


def test_a_drawn_distribution_is_used(page, lab_url):
    _open(page, lab_url)
    page.click(".gl-draw-btn")
    _draw(page, [[(0.5, 0.5)]])  # one tap: not a distribution yet
    page.click(".gl-draw-apply")
    err = page.locator(".gl-alert.error")
    err.wait_for(state="visible")
    assert "at least 2 distinct points" in err.inner_text()
    assert page.locator(".gl-drawbar").is_visible()  # still drawing: fix it
    page.click(".gl-draw-clear")
    # an L: along y = 0.75 (lab units) from x = -0.9 to 0.9, then down to y = -0.75 at x = 0.9
    _draw(page, [[(0.2, 0.25), (0.8, 0.25), (0.8, 0.75)]])
    shot(page, "desktop-drawing")
    page.click(".gl-draw-apply")
    _wait(page, "f.config.target.name === 'drawn'")
    # the new frame can arrive on the stream before the command's reply closes the draw bar
    page.locator(".gl-drawbar").wait_for(state="hidden", timeout=10_000)
    assert not err.is_visible()
    real = page.evaluate("() => window.torchscope.ganlab.view.real")
    pts = list(zip(real[::2], real[1::2]))
    near = [min(abs(y - 0.75) + max(0, abs(x) - 0.95), abs(x - 0.9) + max(0, abs(y) - 0.8)) for x, y in pts]
    assert sum(d < 0.15 for d in near) >= 0.97 * len(pts)  # real samples follow the drawing
    top = [x for x, y in pts if abs(y - 0.75) < 0.15]
    assert min(top) < -0.7 and max(top) > 0.7
    assert page.input_value("select[name=target]") == "drawn"
    page.click(".gl-play")
    _wait(page, "f.step >= 30")
    shot(page, "desktop-drawn")
    assert not page.errors


def test_slow_motion_walks_through_the_phases(page, lab_url):
    _open(page, lab_url)
    page.select_option(".gl-overview select", "0.6")
    page.click(".gl-slow")
    seen = set()
    for _ in range(60):
        ph = _frame(page, "f.phase")
        if ph and ph.get("name"):
            seen.add(ph["name"])
            if ph["name"] == "classify":
                assert "discriminator scores" in page.locator(".gl-phase").inner_text()
                shot(page, "desktop-slow-motion")
            if ph["index"] == 4:
                break
        page.wait_for_timeout(150)
    assert {"sample", "classify", "update"} <= seen and _frame(page, "f.step") == 1
    assert page.locator(".gl-node.on").count() >= 2
    assert not page.errors


def test_two_tabs_run_independent_sessions_and_save_load(browser, lab_url, tmp_path: Path):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    a, b = ctx.new_page(), ctx.new_page()
    try:
        _open(a, lab_url)
        _open(b, lab_url)
        sa, sb = (p.evaluate("() => window.torchscope.ganlab.stream.session") for p in (a, b))
        assert sa != sb
        a.click(".gl-play")
        _wait(a, "f.step >= 8")
        assert _frame(b, "f.step") == 0 and not _frame(b, "f.playing")
        a.click(".gl-play")
        _wait(a, "!f.playing")
        step = _frame(a, "f.step")
        with a.expect_download() as dl:
            a.click(".gl-save")
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        assert path.name == f"ganlab-step{step}.pt" and path.stat().st_size > 10_000
        b.set_input_files(".gl-file", str(path))  # tab b continues from tab a's lab
        _wait(b, f"f.step === {step}")
        assert "loaded" in b.locator(".gl-files-note").inner_text()
        a.close(run_before_unload=True)  # the page says goodbye: its session stops
        base = lab_url.split("#")[0]
        t0 = time.time()
        while time.time() < t0 + 20:  # sendBeacon stops it at once; else the stream's end, after 8 s
            r = httpx.post(base + "api/ganlab/command", json={"session": sa, "type": "status"})
            if r.status_code == 404:
                break
            time.sleep(0.1)
        assert r.status_code == 404
        print(f"\nsession stopped {time.time() - t0:.2f} s after its tab closed")
        assert httpx.post(base + "api/ganlab/command", json={"session": sb, "type": "status"}).json()["ok"]
    finally:
        ctx.close()


def test_phone_layout(browser, lab_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
    page = ctx.new_page()
    try:
        _open(page, lab_url)
        page.click(".gl-play")
        _wait(page, "f.step >= 20")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        canvas = page.locator(".gl-canvas").bounding_box()
        assert canvas["width"] > 330 and abs(canvas["width"] - canvas["height"]) < 2
        page.screenshot(path=str(ARTIFACTS / "phone.png"))
        shot(page, "phone-full")
    finally:
        ctx.close()
