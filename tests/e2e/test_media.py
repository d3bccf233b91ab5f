"""The Media panel in headless Chromium: the video players' frame scrubbers (pixels read back from the
<video> and the sprite canvas and checked against the logged frames), the audio player's seek on the
waveform, the three.js view turned by dragging and its 2-D fallback, a phone, the static report
opened from ``file://``, and the notebook players."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import torchscope as ts
from torchscope.media.video import tile_batch
from torchscope.report import build_report

from ..conftest import ROOT
from ..media import scenes
from .conftest import Server, offline_report

ARTIFACTS = ROOT / "test-artifacts" / "media"
READY = ".md-box[data-state=ready]"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Chromium with WebGL in software (SwiftShader), as a machine without a GPU has it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=[
            "--headless", "--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
            "--disable-background-networking", "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[Path, str, str]]:
    dir = tmp_path_factory.mktemp("e2e_media") / "tsruns"
    rid = scenes.fill(dir)
    server = Server(dir)
    yield dir, server.url, rid
    server.stop()


def open_panel(page: Any, url: str) -> None:
    page.goto(f"{url}#media")
    page.wait_for_function(f"() => document.querySelectorAll('{READY}').length === 5", timeout=30000)


def card(key: str) -> str:
    return f'.md-card[data-key="{key}"]'


# the <video>'s current frame at its native size, drawn once it has seeked there
SEEK_AND_READ = """async ([sel, i]) => {
  const c = document.querySelector(sel), v = c.querySelector('video'), s = c.querySelector('.md-scrub');
  const seeked = new Promise((ok) => v.addEventListener('seeked', ok, { once: true }));
  s.value = i; s.dispatchEvent(new Event('input'));
  await seeked;
  await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
  const k = document.createElement('canvas'); k.width = v.videoWidth; k.height = v.videoHeight;
  const g = k.getContext('2d'); g.drawImage(v, 0, 0);
  return { w: k.width, h: k.height, data: Array.from(g.getImageData(0, 0, k.width, k.height).data),
           label: c.querySelector('.md-frame').textContent, frame: v.dataset.frame };
}"""


def _ball_centre(got: dict[str, Any], scale: int) -> tuple[float, float]:
    px = np.array(got["data"], np.uint8).reshape(got["h"], got["w"], 4)
    ys, xs = np.nonzero((px[..., 2] > 180) & (px[..., 1] > 120))  # the cyan ball at step 10
    return xs.mean() / scale, ys.mean() / scale


def test_the_video_scrubber_shows_each_frame(served: tuple[Path, str, str], page: Any) -> None:
    dir, url, rid = served
    open_panel(page, url)
    shot(page, "desktop")
    rec = ts.open(dir).latest(rid, "media.video", key="rollout")
    frames = scenes.ball(color=(0.2, 0.8, 1.0))
    for i in (10, 30):
        got = page.evaluate(SEEK_AND_READ, [card("rollout"), i])
        assert got["label"].startswith(f"frame {i + 1} / 40") and got["frame"] == str(i)
        cx, cy = _ball_centre(got, rec.scale)
        ys, xs = np.nonzero(frames[i, 2] > 0.9)
        assert abs(cx - xs.mean()) < 1.5 and abs(cy - ys.mean()) < 1.5, (i, cx, cy)
    page.click(f"{card('rollout')} .md-play")  # plays, then pauses where it is
    page.wait_for_timeout(600)
    page.click(f"{card('rollout')} .md-play")
    assert int(page.get_attribute(f"{card('rollout')} video", "data-frame")) != 30
    assert not page.errors


def test_the_sprite_player_draws_the_exact_frame(served: tuple[Path, str, str], page: Any) -> None:
    _dir, url, _rid = served
    open_panel(page, url)
    page.press(f"{card('squares')} .md-player", "ArrowRight")  # keyboard: next frame
    for _ in range(4):
        page.click(f"{card('squares')} button[title^='next frame']")
    data = page.evaluate("""(sel) => { const c = document.querySelector(sel + ' canvas.md-video');
      return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)]; }""",
                         card("squares"))
    want = tile_batch(scenes.squares())[5, 0]
    got = np.array(data[2], np.uint8).reshape(data[1], data[0], 4)[..., 0]
    np.testing.assert_array_equal(got, want)


def test_audio_seeks_where_the_waveform_is_clicked(served: tuple[Path, str, str], page: Any) -> None:
    _dir, url, _rid = served
    open_panel(page, url)
    box = page.locator(f"{card('chirp')} .md-wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    t = float(page.get_attribute(f"{card('chirp')} .md-box", "data-time"))
    assert abs(t - 0.75) < 0.05  # half of 1.5 s
    left = page.evaluate(f"document.querySelector('{card('chirp')} .md-head').style.left")
    assert abs(float(left.rstrip("%")) - 50) < 3


def test_points_turn_in_3d_and_fall_back_to_2d(served: tuple[Path, str, str], page: Any) -> None:
    _dir, url, _rid = served
    open_panel(page, url)
    gl = f"{card('torus')} canvas.md-gl"
    page.wait_for_selector(f"{gl}[data-state=ready]")
    page.wait_for_function(f"() => Number(document.querySelector('{gl}').dataset.frames) >= 1")
    page.locator(card("torus")).scroll_into_view_if_needed()
    before = page.locator(gl).screenshot()
    frames = int(page.get_attribute(gl, "data-frames"))
    box = page.locator(gl).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40, steps=6)
    page.mouse.up()
    page.wait_for_function(f"() => Number(document.querySelector('{gl}').dataset.frames) > {frames}")
    page.wait_for_timeout(200)
    assert page.locator(gl).screenshot() != before  # the torus turned
    shot(page, "desktop-turned")
    page.click(f"{card('torus')} button[data-mode='2d']")
    img = page.wait_for_selector(f"{card('torus')} img.md-proj")
    first = img.get_attribute("src")
    page.wait_for_function(f"() => document.querySelector('{card('torus')} img.md-proj').complete")
    b = img.bounding_box()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2 + 60, b["y"] + b["height"] / 2, steps=4)
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('{card('torus')} img.md-proj').src !== {first!r}")
    assert "azimuth=" in img.get_attribute("src") and not page.errors


def test_a_phone_gets_the_2d_view_in_one_column(served: tuple[Path, str, str], browser: Any) -> None:
    _dir, url, _rid = served
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              device_scale_factor=2)
    try:
        page = ctx.new_page()
        open_panel(page, url)
        assert page.locator("img.md-proj").count() == 2 and page.locator("canvas.md-gl").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, "phone")
    finally:
        ctx.close()


def test_the_static_report_plays_media_and_turns_the_projection(served: tuple[Path, str, str], browser: Any,
                                                                tmp_path: Path) -> None:
    dir, _url, _rid = served
    out = build_report(dir, tmp_path / "media.html", panels=["media"], progress=None)
    with offline_report(browser, out) as page:
        page.click("text=Media")
        page.wait_for_function(f"() => document.querySelectorAll('{READY}').length === 5", timeout=30000)
        got = page.evaluate(SEEK_AND_READ, [card("rollout"), 10])
        assert got["label"].startswith("frame 11 / 40")
        img = page.locator(f"{card('cloud')} img.md-proj")
        first = img.get_attribute("src")
        page.locator(f"{card('cloud')} input[aria-label=turn]").fill("3")
        page.wait_for_function(f"() => document.querySelector('{card('cloud')} img.md-proj').src !== {first!r}")
        assert page.locator(f"{card('cloud')} output").inner_text().startswith("135°")
        assert page.locator("canvas.md-gl").count() == 0 and not page.errors
        shot(page, "report")


def test_notebook_players(served: tuple[Path, str, str], page: Any, tmp_path: Path) -> None:
    dir, _url, rid = served
    store = ts.open(dir)
    shown = (("media.video", "rollout"), ("media.video", "squares"), ("media.audio", "chirp"), ("media.mesh", "torus"))
    parts = [store.latest(rid, kind, key=key)._repr_html_() for kind, key in shown]
    path = tmp_path / "nb.html"
    path.write_text("<!DOCTYPE html><meta charset=utf-8><body>" + "".join(parts))
    page.goto(path.as_uri())
    page.wait_for_timeout(500)
    slider = page.locator("input[aria-label=frame]").first
    slider.fill("7")
    assert "frame 8 / 40" in page.content()
    assert page.locator("canvas").count() == 1 and page.locator("img[alt=projection]").count() == 0  # script ran
    shot(page, "notebook")
    assert not page.errors
